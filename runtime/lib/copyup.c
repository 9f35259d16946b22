/* copyup.c: copy a directory of the container's rootfs into the tmpfs that
 * is mounted over it (the `tmpcopyup` mount option, as podman uses for
 * /tmp, /var/tmp, /run... with --read-only).
 *
 * The rootfs is untrusted. Every entry is looked up relative to the fd of
 * its parent directory with O_NOFOLLOW, and what was opened is checked with
 * fstat (not the name's earlier lstat) before it is opened for reading: a
 * symlink is copied as a link, never followed, an entry swapped for another
 * kind meanwhile fails the copy, and only files and directories are ever
 * opened (never a fifo or a device). The copies are made in the new tmpfs, which nothing in the container can see
 * yet. */
#include "copyup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util.h"

#define STR_(x) #x
#define STR(x) STR_ (x)

struct copy
{
  const char *what;
  al_error_t *err;
  char buf[65536];
};

static int
fail (struct copy *c, int e, const char *rel, const char *step)
{
  return al_err (c->err, e, "%s: tmpcopyup: %s \"%s\"", c->what, step, *rel ? rel : "/");
}

/* A setter's error that leaves the copy usable: the filesystem or the user
   namespace cannot represent it. */
static bool
ignorable (int e)
{
  return e == ENOTSUP || e == EOPNOTSUPP || e == EPERM || e == EACCES || e == EINVAL;
}

static int
copy_xattrs (struct copy *c, int from, int to, const char *rel)
{
  ssize_t n = flistxattr (from, NULL, 0);
  if (n < 0)
    return ignorable (errno) ? 0 : fail (c, errno, rel, "list the xattrs of");
  if (n == 0)
    return 0;
  _cleanup_free_ char *names = al_xmalloc0 ((size_t) n + 1);
  n = flistxattr (from, names, (size_t) n);
  if (n < 0)
    return errno == ERANGE ? 0 : fail (c, errno, rel, "list the xattrs of"); /* ERANGE: changed meanwhile */
  for (char *name = names; name < names + n; name += strlen (name) + 1)
    {
      ssize_t len = fgetxattr (from, name, c->buf, sizeof c->buf);
      if (len < 0)
        {
          if (errno == ENODATA || errno == ERANGE || ignorable (errno))
            continue;
          return fail (c, errno, rel, "read an xattr of");
        }
      if (fsetxattr (to, name, c->buf, (size_t) len, 0) < 0 && !ignorable (errno))
        return fail (c, errno, rel, "set an xattr of the copy of");
    }
  return 0;
}

/* Owner, mode, xattrs and times of `to` (an fd of the copy) from `st`. */
static int
copy_meta (struct copy *c, int from, int to, const struct stat *st, const char *rel)
{
  /* The owner first: chown clears the set-id bits. */
  if (fchown (to, st->st_uid, st->st_gid) < 0 && !ignorable (errno))
    return fail (c, errno, rel, "chown the copy of");
  if (fchmod (to, st->st_mode & 07777) < 0)
    return fail (c, errno, rel, "chmod the copy of");
  if (from >= 0)
    {
      int r = copy_xattrs (c, from, to, rel);
      if (r < 0)
        return r;
    }
  struct timespec ts[2] = { st->st_atim, st->st_mtim };
  if (futimens (to, ts) < 0 && !ignorable (errno))
    return fail (c, errno, rel, "set the times of the copy of");
  return 0;
}

static int
copy_file (struct copy *c, int from, int to, const char *rel)
{
  for (;;)
    {
      ssize_t n = read (from, c->buf, sizeof c->buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return fail (c, errno, rel, "read");
      if (n == 0)
        return 0;
      for (ssize_t off = 0; off < n;)
        {
          ssize_t w = write (to, c->buf + off, (size_t) (n - off));
          if (w < 0 && errno == EINTR)
            continue;
          if (w < 0)
            return fail (c, errno, rel, "write the copy of");
          off += w;
        }
    }
}

static int copy_dir (struct copy *c, int from, int to, char *rel, size_t rel_len, int depth);

/* One entry `name` of the directory `sfd` into `dfd`; rel is its path. */
static int
copy_entry (struct copy *c, int sfd, int dfd, const char *name, char *rel, size_t rel_len, int depth)
{
  struct stat st;
  if (fstatat (sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : fail (c, errno, rel, "stat");

  if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (sfd, name, target, sizeof target - 1);
      if (n < 0)
        return errno == ENOENT ? 0 : fail (c, errno, rel, "readlink");
      target[n] = '\0';
      if (symlinkat (target, dfd, name) < 0)
        return fail (c, errno, rel, "create the copy of the symlink");
      if (fchownat (dfd, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && !ignorable (errno))
        return fail (c, errno, rel, "chown the copy of");
      struct timespec ts[2] = { st.st_atim, st.st_mtim };
      if (utimensat (dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0 && !ignorable (errno))
        return fail (c, errno, rel, "set the times of the copy of");
      return 0;
    }

  if (S_ISDIR (st.st_mode) || S_ISREG (st.st_mode))
    {
      /* An O_PATH fd first: what it is, which may not be what was stat'ed,
         is checked before it is opened for reading (through /proc/self/fd:
         the same inode), so nothing but a file or directory is ever opened
         (no fifo, no device). */
      _cleanup_close_ int node = openat (sfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (node < 0)
        return errno == ENOENT ? 0 : fail (c, errno, rel, "open");
      struct stat ost;
      if (fstat (node, &ost) < 0)
        return fail (c, errno, rel, "stat");
      if ((ost.st_mode & S_IFMT) != (st.st_mode & S_IFMT))
        return fail (c, EAGAIN, rel, "changed while being copied:");
      char p[64];
      snprintf (p, sizeof p, "/proc/self/fd/%d", node);
      _cleanup_close_ int from
          = open (p, O_RDONLY | O_NOCTTY | O_CLOEXEC | (S_ISDIR (ost.st_mode) ? O_DIRECTORY : 0));
      if (from < 0)
        return fail (c, errno, rel, "open");
      _cleanup_close_ int to = -1;
      if (S_ISDIR (ost.st_mode))
        {
          if (mkdirat (dfd, name, 0700) < 0)
            return fail (c, errno, rel, "create the copy of");
          to = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (to < 0)
            return fail (c, errno, rel, "open the copy of");
          int r = copy_dir (c, from, to, rel, rel_len, depth + 1);
          if (r < 0)
            return r;
        }
      else
        {
          to = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
          if (to < 0)
            return fail (c, errno, rel, "create the copy of");
          int r = copy_file (c, from, to, rel);
          if (r < 0)
            return r;
        }
      return copy_meta (c, from, to, &ost, rel);
    }

  /* fifo, socket, char or block device: a new node of the same kind. */
  if (mknodat (dfd, name, (st.st_mode & S_IFMT) | 0600, st.st_rdev) < 0)
    return fail (c, errno, rel, "create the copy of");
  _cleanup_close_ int to = openat (dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (to < 0)
    return fail (c, errno, rel, "open the copy of");
  /* Through /proc/self/fd: fchown/fchmod need an fd opened for real. */
  char p[64];
  snprintf (p, sizeof p, "/proc/self/fd/%d", to);
  if (chown (p, st.st_uid, st.st_gid) < 0 && !ignorable (errno))
    return fail (c, errno, rel, "chown the copy of");
  if (chmod (p, st.st_mode & 07777) < 0)
    return fail (c, errno, rel, "chmod the copy of");
  struct timespec ts[2] = { st.st_atim, st.st_mtim };
  if (utimensat (dfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0 && !ignorable (errno))
    return fail (c, errno, rel, "set the times of the copy of");
  return 0;
}

static int
copy_dir (struct copy *c, int from, int to, char *rel, size_t rel_len, int depth)
{
  if (depth > AL_COPYUP_MAX_DEPTH)
    return fail (c, ELOOP, rel, "more than " STR (AL_COPYUP_MAX_DEPTH) " levels deep:");
  int dfd = fcntl (from, F_DUPFD_CLOEXEC, 3);
  if (dfd < 0)
    return fail (c, errno, rel, "open");
  DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      int e = errno;
      close (dfd);
      return fail (c, e, rel, "read the directory");
    }
  int r = 0;
  for (;;)
    {
      errno = 0;
      struct dirent *de = readdir (d);
      if (de == NULL)
        {
          if (errno)
            r = fail (c, errno, rel, "read the directory");
          break;
        }
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      size_t nl = strlen (de->d_name);
      if (rel_len + 1 + nl >= PATH_MAX)
        {
          r = fail (c, ENAMETOOLONG, rel, "a name in");
          break;
        }
      rel[rel_len] = '/';
      memcpy (rel + rel_len + 1, de->d_name, nl + 1);
      r = copy_entry (c, from, to, de->d_name, rel, rel_len + 1 + nl, depth);
      rel[rel_len] = '\0';
      if (r < 0)
        break;
    }
  closedir (d);
  return r;
}

int
al_copy_tree (int src, int dst, const char *what, al_error_t *err)
{
  _cleanup_free_ struct copy *c = al_xmalloc0 (sizeof *c);
  c->what = what;
  c->err = err;
  char rel[PATH_MAX] = "";
  return copy_dir (c, src, dst, rel, 0, 0);
}
