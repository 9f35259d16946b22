/* safedir.c: directories only root can change (see safedir.h), and trees
 * removed without following links.
 *
 * The walk keeps the fd of every directory it went through on a stack, so
 * ".." pops (never looked up) and each component is opened relative to the
 * already checked directory above it with O_NOFOLLOW: a checked directory
 * cannot be swapped for another under us, and a symlink is seen as one. */
#include "safedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define MAX_SYMLINKS 40
#define MAX_DEPTH 256

bool
al_safe_owner (uid_t uid)
{
  return uid == 0 || uid == geteuid ();
}

char *
al_safe_node_problem (const struct stat *st)
{
  if (!al_safe_owner (st->st_uid))
    return al_xasprintf ("is owned by uid %u (mode %04o)", (unsigned) st->st_uid, (unsigned) (st->st_mode & 07777));
  if (st->st_mode & (S_IWGRP | S_IWOTH))
    return al_xasprintf ("is writable by group or others (owner uid %u, mode %04o)", (unsigned) st->st_uid,
                         (unsigned) (st->st_mode & 07777));
  return NULL;
}

struct walk
{
  int fds[MAX_DEPTH];
  size_t lens[MAX_DEPTH]; /* length of canon at each level */
  size_t n;
  char canon[PATH_MAX];
};

static void
walk_pop_to (struct walk *w, size_t n)
{
  while (w->n > n)
    close (w->fds[--w->n]);
  w->canon[w->lens[w->n - 1]] = '\0';
}

static int
bad (const char *what, const char *path, const char *node, const char *problem, const char *hint, al_error_t *err)
{
  return al_err (err, 0,
                 "%s %s: %s %s: it and every directory above it must belong to root and be writable by nobody "
                 "else (another user could plant or swap what root trusts there); %s",
                 what, path, node, problem, hint);
}

int
al_safe_dir_open (const char *path, bool create, const char *what, const char *hint, int *out, char **canon,
                  al_error_t *err)
{
  *out = -1;
  if (canon)
    *canon = NULL;
  if (path == NULL || path[0] != '/')
    return al_err (err, EINVAL, "%s %s: not an absolute path", what, path ? path : "(none)");
  if (strlen (path) >= PATH_MAX)
    return al_err (err, ENAMETOOLONG, "%s %s", what, path);

  struct walk w = { .n = 0 };
  int r = 0;
  int root = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return al_err (err, errno, "%s %s: open /", what, path);
  w.fds[w.n] = root;
  strcpy (w.canon, "/");
  w.lens[w.n++] = 1;

  _cleanup_free_ char *rest = al_xstrdup (path);
  size_t pos = 0;
  int links = 0;
  struct stat st;
  if (fstat (root, &st) < 0)
    {
      r = al_err (err, errno, "%s %s: stat /", what, path);
      goto out;
    }
  if (!al_safe_owner (st.st_uid) || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)))
    {
      _cleanup_free_ char *p = al_xasprintf ("is owned by uid %u, mode %04o", (unsigned) st.st_uid,
                                             (unsigned) (st.st_mode & 07777));
      r = bad (what, path, "/", p, hint, err);
      goto out;
    }

  for (;;)
    {
      while (rest[pos] == '/')
        pos++;
      if (rest[pos] == '\0')
        break;
      size_t end = pos;
      while (rest[end] && rest[end] != '/')
        end++;
      char comp[NAME_MAX + 1];
      if (end - pos > NAME_MAX)
        {
          r = al_err (err, ENAMETOOLONG, "%s %s", what, path);
          goto out;
        }
      memcpy (comp, rest + pos, end - pos);
      comp[end - pos] = '\0';
      pos = end;
      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          if (w.n > 1)
            walk_pop_to (&w, w.n - 1);
          continue;
        }
      int top = w.fds[w.n - 1];
      /* The name as it will be in canon, for messages. */
      size_t cl = strlen (w.canon);
      if (cl + 1 + strlen (comp) >= PATH_MAX || w.n >= MAX_DEPTH)
        {
          r = al_err (err, ENAMETOOLONG, "%s %s", what, path);
          goto out;
        }
      char here[PATH_MAX];
      if ((size_t) snprintf (here, sizeof here, "%s%s%s", w.canon, cl > 1 ? "/" : "", comp) >= sizeof here)
        {
          r = al_err (err, ENAMETOOLONG, "%s %s", what, path);
          goto out;
        }

      int fd = openat (top, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT && create)
        {
          if (mkdirat (top, comp, 0700) < 0 && errno != EEXIST)
            {
              r = al_err (err, errno, "%s %s: create %s", what, path, here);
              goto out;
            }
          fd = openat (top, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
          if (fd >= 0 && fstat (fd, &st) == 0 && S_ISDIR (st.st_mode) && st.st_uid == geteuid ()
              && (st.st_mode & 07777) == 0700)
            {
              /* Ours (or a twin made at the same moment by root): 0755
                 whatever the umask, so a container's mapped root can
                 traverse it. */
              int rw = openat (top, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
              if (rw < 0 || fchmod (rw, 0755) < 0)
                {
                  r = al_err (err, errno, "%s %s: chmod %s", what, path, here);
                  if (rw >= 0)
                    close (rw);
                  close (fd);
                  goto out;
                }
              close (rw);
            }
        }
      if (fd < 0)
        {
          r = al_err (err, errno, "%s %s: open %s", what, path, here);
          goto out;
        }
      if (fstat (fd, &st) < 0)
        {
          r = al_err (err, errno, "%s %s: stat %s", what, path, here);
          close (fd);
          goto out;
        }
      if (S_ISLNK (st.st_mode))
        {
          if (!al_safe_owner (st.st_uid))
            {
              _cleanup_free_ char *p = al_xasprintf ("is a symlink owned by uid %u", (unsigned) st.st_uid);
              close (fd);
              r = bad (what, path, here, p, hint, err);
              goto out;
            }
          char target[PATH_MAX];
          ssize_t n = readlinkat (fd, "", target, sizeof target - 1);
          close (fd);
          if (n < 0)
            {
              r = al_err (err, errno, "%s %s: readlink %s", what, path, here);
              goto out;
            }
          target[n] = '\0';
          if (++links > MAX_SYMLINKS)
            {
              r = al_err (err, ELOOP, "%s %s", what, path);
              goto out;
            }
          char *next = al_xasprintf ("%s%s", target, rest + pos);
          free (rest);
          rest = next;
          pos = 0;
          if (target[0] == '/')
            walk_pop_to (&w, 1);
          continue;
        }
      if (!S_ISDIR (st.st_mode))
        {
          close (fd);
          r = al_err (err, ENOTDIR, "%s %s: %s", what, path, here);
          goto out;
        }
      bool sticky_ok = (st.st_mode & S_ISVTX) != 0;
      if (!al_safe_owner (st.st_uid) || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !sticky_ok))
        {
          _cleanup_free_ char *p = al_safe_node_problem (&st);
          close (fd);
          r = bad (what, path, here, p, hint, err);
          goto out;
        }
      /* A real fd: it is what we write in (an O_PATH one cannot fchmod). */
      int dfd = openat (top, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      struct stat st2;
      if (dfd < 0 || fstat (dfd, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino)
        {
          r = al_err (err, dfd < 0 ? errno : ESTALE, "%s %s: open %s", what, path, here);
          if (dfd >= 0)
            close (dfd);
          close (fd);
          goto out;
        }
      close (fd);
      w.fds[w.n] = dfd;
      strcpy (w.canon, here);
      w.lens[w.n++] = strlen (here);
    }

  /* The last one: nobody else may write in it, sticky or not. */
  if (fstat (w.fds[w.n - 1], &st) < 0)
    {
      r = al_err (err, errno, "%s %s: stat", what, path);
      goto out;
    }
  {
    _cleanup_free_ char *p = al_safe_node_problem (&st);
    if (p)
      {
        r = bad (what, path, w.canon, p, hint, err);
        goto out;
      }
  }
  *out = w.fds[--w.n];
  if (canon)
    *canon = al_xstrdup (w.canon);

out:
  while (w.n > 0)
    close (w.fds[--w.n]);
  return r;
}

static int
remove_at (int parent, const char *name, const char *what, int depth, al_error_t *err)
{
  if (unlinkat (parent, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return al_err (err, errno, "%s: remove %s", what, name);
  if (depth >= MAX_DEPTH)
    return al_err (err, ELOOP, "%s: remove %s: too deep", what, name);
  int fd = openat (parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "%s: open %s", what, name);
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      int e = errno;
      close (fd);
      return al_err (err, e, "%s: read %s", what, name);
    }
  int r = 0;
  for (int pass = 0; pass < 3 && r == 0; pass++)
    {
      rewinddir (d);
      bool any = false;
      struct dirent *e;
      while (r == 0 && (e = readdir (d)) != NULL)
        {
          if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
            continue;
          any = true;
          r = remove_at (dirfd (d), e->d_name, what, depth + 1, err);
        }
      if (!any)
        break;
    }
  closedir (d);
  if (r < 0)
    return r;
  if (unlinkat (parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return al_err (err, errno, "%s: remove %s", what, name);
  return 0;
}

int
al_remove_tree_at (int parent, const char *name, const char *what, al_error_t *err)
{
  return remove_at (parent, name, what, 0, err);
}
