/* sandbox_image.c: the busybox image `airlock sandbox` runs in by default
 * (see sandbox_image.h).
 *
 * Threats: another local user pre-creating the cache (or a directory above
 * it) to plant an image whose busybox lies about every verdict, or planting
 * symlinks where root's build writes. The cache is opened through
 * al_safe_dir_open (root's, all the way up, writable by nobody else), so
 * only root can have put anything in it; the image is checked anyway before
 * use; the build happens in a fresh 0700 directory with a random name, all
 * relative to directory fds with O_NOFOLLOW/O_EXCL, and is published with
 * one rename that never replaces an existing image. */
#include "sandbox_image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "safedir.h"
#include "util.h"

/* Bump when what the image holds changes: the name changes with it. */
#define IMAGE_VERSION 2
#define BUILD_PREFIX ".build-"

#define CACHE_HINT                                                                                                \
  "remove it, or set " AL_SANDBOX_CACHE_ENV " to a directory only root can write (default " AL_SANDBOX_CACHE_DEFAULT \
  ")"

/* Commands a person expects to run directly; busybox sh finds every applet
 * by itself, so `sh -c '...'` reaches all of them. */
static const char *const applets[] = {
  "sh", "ash", "cat", "echo", "ls", "mkdir", "rm", "rmdir", "cp", "mv", "ln", "touch", "head", "tail", "wc",
  "grep", "sed", "awk", "sort", "uniq", "cut", "tr", "dd", "find", "xargs", "env", "printf", "test", "true",
  "false", "sleep", "yes", "seq", "id", "whoami", "hostname", "uname", "date", "ps", "kill", "mount", "umount",
  "df", "du", "free", "stat", "readlink", "realpath", "basename", "dirname", "chmod", "chown", "md5sum",
  "sha256sum", "tee", "timeout", "nc", "wget", "ping", "ip", "cmp", "diff", "od", "hexdump", "base64", "gzip",
  "gunzip", "tar", "vi", "less", "which", "expr", "nproc", "top", "pwd", "unshare", "nsenter", "chroot",
  "getconf", "ulimit", "nohup", "setsid", "sync", "mknod", "mkfifo", "truncate", "fallocate", NULL,
};

/* Every directory 0755: /tmp too (the profile mounts its scratch tmpfs
   there); nothing in the image is writable by anyone but root. */
static const char *const dirs[] = { "bin", "etc", "proc", "sys", "dev", "tmp", "root", "var", "run", "mnt", "work",
                                    NULL };

static const struct
{
  const char *name, *text;
} etc_files[] = {
  { "passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n" },
  { "group", "root:x:0:\nnogroup:x:65534:\n" },
  { "hosts", "127.0.0.1 localhost\n" },
  { "resolv.conf", "" },
};

const char *
al_sandbox_cache_dir (void)
{
  const char *c = getenv (AL_SANDBOX_CACHE_ENV);
  return c && *c ? c : AL_SANDBOX_CACHE_DEFAULT;
}

static uint64_t
fnv1a (uint64_t h, const void *p, size_t n)
{
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    {
      h ^= b[i];
      h *= 0x100000001b3ull;
    }
  return h;
}

char *
al_sandbox_image_name (const struct stat *st)
{
  uint64_t v[] = { IMAGE_VERSION,
                   (uint64_t) st->st_dev,
                   (uint64_t) st->st_ino,
                   (uint64_t) st->st_size,
                   (uint64_t) st->st_mtim.tv_sec,
                   (uint64_t) st->st_mtim.tv_nsec,
                   (uint64_t) st->st_ctim.tv_sec,
                   (uint64_t) st->st_ctim.tv_nsec };
  return al_xasprintf ("sandbox-rootfs-%016" PRIx64, fnv1a (0xcbf29ce484222325ull, v, sizeof v));
}

/* ---- checking ---------------------------------------------------------------- */

struct check
{
  const char *path; /* the image, for messages */
  dev_t bb_dev;
  ino_t bb_ino;
};

static int
image_bad (const struct check *c, const char *rel, const char *problem, al_error_t *err)
{
  return al_err (err, 0,
                 "sandbox image %s: %s %s: the image must belong to root and be writable by nobody else (only "
                 "directories and regular files, busybox's hard links in bin/); remove %s (the next run builds it "
                 "again)",
                 c->path, rel, problem, c->path);
}

static int
check_dir (const struct check *c, int fd, const char *rel, int depth, al_error_t *err)
{
  if (depth > 4)
    return image_bad (c, rel, "is nested deeper than an image can be", err);
  int dup = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (dup < 0)
    return al_err (err, errno, "sandbox image %s: %s", c->path, rel);
  DIR *d = fdopendir (dup);
  if (d == NULL)
    {
      int e = errno;
      close (dup);
      return al_err (err, e, "sandbox image %s: read %s", c->path, rel);
    }
  bool in_bin = strcmp (rel, "bin") == 0;
  int r = 0;
  struct dirent *e;
  while (r == 0 && (e = readdir (d)) != NULL)
    {
      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      _cleanup_free_ char *sub = *rel ? al_xasprintf ("%s/%s", rel, e->d_name) : al_xstrdup (e->d_name);
      struct stat st;
      if (fstatat (fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          r = al_err (err, errno, "sandbox image %s: stat %s", c->path, sub);
          break;
        }
      _cleanup_free_ char *p = al_safe_node_problem (&st);
      if (!S_ISDIR (st.st_mode) && !S_ISREG (st.st_mode))
        r = image_bad (c, sub, "is neither a directory nor a regular file", err);
      else if (p)
        r = image_bad (c, sub, p, err);
      else if (S_ISDIR (st.st_mode))
        {
          _cleanup_close_ int sfd = openat (fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (sfd < 0)
            r = al_err (err, errno, "sandbox image %s: open %s", c->path, sub);
          else
            r = check_dir (c, sfd, sub, depth + 1, err);
        }
      else if (in_bin && (st.st_dev != c->bb_dev || st.st_ino != c->bb_ino))
        r = image_bad (c, sub, "is not a hard link of bin/busybox", err);
    }
  closedir (d);
  return r;
}

int
al_sandbox_image_check (int cachefd, const char *name, const char *path, off_t busybox_size, al_error_t *err)
{
  _cleanup_close_ int fd = openat (cachefd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "sandbox image %s", path);
  struct check c = { .path = path };
  struct stat st;
  if (fstat (fd, &st) < 0)
    return al_err (err, errno, "sandbox image %s", path);
  _cleanup_free_ char *p = al_safe_node_problem (&st);
  if (p)
    return image_bad (&c, ".", p, err);
  struct stat bb;
  if (fstatat (fd, "bin/busybox", &bb, AT_SYMLINK_NOFOLLOW) < 0)
    return al_err (err, errno, "sandbox image %s: bin/busybox", path);
  if (!S_ISREG (bb.st_mode) || (busybox_size >= 0 && bb.st_size != busybox_size))
    return image_bad (&c, "bin/busybox", "is not the copy of busybox it should be", err);
  struct stat sh;
  if (fstatat (fd, "bin/sh", &sh, AT_SYMLINK_NOFOLLOW) < 0)
    return al_err (err, errno, "sandbox image %s: bin/sh", path);
  c.bb_dev = bb.st_dev;
  c.bb_ino = bb.st_ino;
  return check_dir (&c, fd, "", 0, err);
}

/* ---- building ---------------------------------------------------------------- */

/* Create `name` in dirfd as a directory with exactly `mode`; its fd. */
static int
make_dir (int dirfd, const char *name, mode_t mode, const char *what, al_error_t *err)
{
  if (mkdirat (dirfd, name, 0700) < 0)
    return al_err (err, errno, "%s: mkdir %s", what, name);
  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "%s: open %s", what, name);
  if (fchmod (fd, mode) < 0)
    {
      int e = errno;
      close (fd);
      return al_err (err, e, "%s: chmod %s", what, name);
    }
  return fd;
}

/* A new file (never an existing one, never through a link), written and
   synced, with exactly `mode`. */
static int
write_new (int dirfd, const char *name, mode_t mode, int from, const char *text, const char *what, al_error_t *err)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return al_err (err, errno, "%s: create %s", what, name);
  if (fchmod (fd, mode) < 0)
    return al_err (err, errno, "%s: chmod %s", what, name);
  if (text && al_write_all (fd, text, strlen (text)) < 0)
    return al_err (err, errno, "%s: write %s", what, name);
  if (from >= 0)
    {
      char buf[65536];
      off_t off = 0;
      for (;;)
        {
          ssize_t n = pread (from, buf, sizeof buf, off);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            return al_err (err, errno, "%s: read busybox", what);
          if (n == 0)
            break;
          if (al_write_all (fd, buf, (size_t) n) < 0)
            return al_err (err, errno, "%s: write %s", what, name);
          off += n;
        }
    }
  if (fsync (fd) < 0)
    return al_err (err, errno, "%s: fsync %s", what, name);
  return 0;
}

static int
populate (int top, int bbfd, const char *what, al_error_t *err)
{
  int r;
  for (size_t i = 0; dirs[i]; i++)
    {
      int fd = make_dir (top, dirs[i], 0755, what, err);
      if (fd < 0)
        return fd;
      close (fd);
    }
  _cleanup_close_ int bin = openat (top, "bin", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_close_ int etc = openat (top, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (bin < 0 || etc < 0)
    return al_err (err, errno, "%s: open bin/ and etc/", what);
  if ((r = write_new (bin, "busybox", 0755, bbfd, NULL, what, err)) < 0)
    return r;
  for (size_t i = 0; applets[i]; i++)
    if (linkat (bin, "busybox", bin, applets[i], 0) < 0)
      return al_err (err, errno, "%s: link bin/%s", what, applets[i]);
  for (size_t i = 0; i < sizeof etc_files / sizeof etc_files[0]; i++)
    if ((r = write_new (etc, etc_files[i].name, 0644, -1, etc_files[i].text, what, err)) < 0)
      return r;
  if (fsync (bin) < 0 || fsync (etc) < 0)
    return al_err (err, errno, "%s: fsync", what);
  return 0;
}

/* Build the image `name` in cachefd from bbfd. 0 also when a concurrent
   build published it first (ours is then removed). */
static int
build (int cachefd, const char *cache, const char *name, int bbfd, al_error_t *err)
{
  char tmp[sizeof BUILD_PREFIX + 16];
  for (int tries = 0;; tries++)
    {
      uint64_t rnd;
      if (getrandom (&rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
        return al_err (err, errno, "sandbox cache %s: getrandom", cache);
      snprintf (tmp, sizeof tmp, BUILD_PREFIX "%016" PRIx64, rnd);
      if (mkdirat (cachefd, tmp, 0700) == 0)
        break;
      if (errno != EEXIST || tries >= 16)
        return al_err (err, errno, "sandbox cache %s: mkdir %s", cache, tmp);
    }
  _cleanup_free_ char *what = al_xasprintf ("sandbox image %s/%s", cache, tmp);
  _cleanup_close_ int top = openat (cachefd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  int r = 0;
  if (top < 0)
    r = al_err (err, errno, "%s: open", what);
  else if (fstat (top, &st) < 0)
    r = al_err (err, errno, "%s: stat", what);
  else if (!S_ISDIR (st.st_mode) || st.st_uid != geteuid ())
    r = al_err (err, 0, "%s: not the directory just made", what);
  if (r == 0)
    r = populate (top, bbfd, what, err);
  if (r == 0 && (fchmod (top, 0755) < 0 || fsync (top) < 0))
    r = al_err (err, errno, "%s: publish", what);
  if (r == 0)
    {
      /* Never over an existing image: the first complete one wins. */
      int rr = renameat2 (cachefd, tmp, cachefd, name, RENAME_NOREPLACE);
      if (rr < 0 && errno == EINVAL)
        rr = renameat (cachefd, tmp, cachefd, name); /* no RENAME_NOREPLACE here: a full image is never replaced */
      if (rr == 0)
        {
          fsync (cachefd);
          return 0;
        }
      if (errno != EEXIST && errno != ENOTEMPTY)
        r = al_err (err, errno, "%s: rename to %s", what, name);
    }
  /* Failed, or a concurrent build won: leave nothing behind. */
  _cleanup_error_ al_error_t rerr = NULL;
  int rm = al_remove_tree_at (cachefd, tmp, what, r < 0 ? &rerr : err);
  return r < 0 ? r : rm;
}

int
al_sandbox_image (const char *cache, const char *busybox, char **out, al_error_t *err)
{
  *out = NULL;
  if (cache == NULL)
    cache = al_sandbox_cache_dir ();
  _cleanup_close_ int bbfd = open (busybox, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (bbfd < 0)
    return al_err (err, errno, "sandbox: the default rootfs needs %s (apt-get install busybox-static), or pass "
                               "--rootfs DIR",
                   busybox);
  struct stat bb;
  if (fstat (bbfd, &bb) < 0)
    return al_err (err, errno, "sandbox: %s", busybox);
  if (!S_ISREG (bb.st_mode))
    return al_err (err, 0, "sandbox: %s is not a regular file", busybox);
  _cleanup_free_ char *bbp = al_safe_node_problem (&bb);
  if (bbp)
    return al_err (err, 0, "sandbox: %s %s: refusing to copy it into the sandbox image (another user could have "
                           "changed it); reinstall it, or pass --rootfs DIR",
                   busybox, bbp);

  _cleanup_close_ int cachefd = -1;
  _cleanup_free_ char *canon = NULL;
  int r = al_safe_dir_open (cache, true, "sandbox cache", CACHE_HINT, &cachefd, &canon, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *name = al_sandbox_image_name (&bb);
  _cleanup_free_ char *path = al_xasprintf ("%s%s%s", canon, strcmp (canon, "/") ? "/" : "", name);
  struct stat st;
  if (fstatat (cachefd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno != ENOENT)
        return al_err (err, errno, "sandbox image %s", path);
      r = build (cachefd, canon, name, bbfd, err);
      if (r < 0)
        return r;
    }
  r = al_sandbox_image_check (cachefd, name, path, bb.st_size, err);
  if (r < 0)
    return r;
  *out = al_steal_ptr (path);
  return 0;
}
