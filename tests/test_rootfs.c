/* test_rootfs.c: rootfs setup, /dev, pivot_root, masked/read-only paths and
 * mount option parsing. Every test that mounts runs in a forked child that
 * first enters a private mount namespace; the child reports failures on a
 * pipe and by its exit status, the parent asserts and removes the temp dirs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rootfs.h"
#include "util.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

/* ---- child side ---- */

static int report_fd = -1; /* the child's end of the report pipe */

#define CHECK(c)                                                                                                  \
  do                                                                                                              \
    {                                                                                                             \
      if (!(c))                                                                                                   \
        {                                                                                                         \
          int _e = errno;                                                                                         \
          dprintf (report_fd, "%s:%d: CHECK(%s) failed (errno: %s)\n", __FILE__, __LINE__, #c, strerror (_e));    \
          _exit (1);                                                                                              \
        }                                                                                                         \
    }                                                                                                             \
  while (0)

#define CHECK_OK(fn, ...)                                                                                         \
  do                                                                                                              \
    {                                                                                                             \
      al_error_t _err = NULL;                                                                                     \
      if (fn (__VA_ARGS__, &_err) < 0)                                                                            \
        {                                                                                                         \
          dprintf (report_fd, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #fn, _err ? _err->msg : "?");       \
          _exit (1);                                                                                              \
        }                                                                                                         \
      al_error_free (&_err);                                                                                      \
    }                                                                                                             \
  while (0)

/* Expect failure with a message containing `needle`. */
#define CHECK_FAILS(needle, fn, ...)                                                                              \
  do                                                                                                              \
    {                                                                                                             \
      al_error_t _err = NULL;                                                                                     \
      int _r = fn (__VA_ARGS__, &_err);                                                                           \
      if (_r >= 0 || _err == NULL || strstr (_err->msg, needle) == NULL)                                          \
        {                                                                                                         \
          dprintf (report_fd, "%s:%d: %s: expected an error with \"%s\", got %d: %s\n", __FILE__, __LINE__, #fn, \
                   needle, _r, _err ? _err->msg : "(none)");                                                      \
          _exit (1);                                                                                              \
        }                                                                                                         \
      al_error_free (&_err);                                                                                      \
    }                                                                                                             \
  while (0)

struct fixture
{
  char bundle[64];  /* /tmp/al-rootfs-XXXXXX */
  char rootfs[128]; /* bundle/rootfs */
  char host[64];    /* /tmp/al-host-XXXXXX: a host dir symlinks point at */
  struct oci_spec spec;
  struct oci_linux lnx;
  struct al_rootfs_opts opts;
};

static char *
pathf (const char *fmt, ...)
{
  static char bufs[8][PATH_MAX];
  static int n;
  char *b = bufs[n++ % 8];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (b, PATH_MAX, fmt, ap);
  va_end (ap);
  return b;
}

static void
write_str (const char *path, const char *s)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, s, strlen (s)), (ssize_t) strlen (s));
  close (fd);
}

static bool
is_mountpoint (const char *path)
{
  struct statx stx;
  if (statx (AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx) < 0)
    return false;
  return (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

static unsigned long
vfs_flags (const char *path)
{
  struct statvfs sv;
  if (statvfs (path, &sv) < 0)
    return ~0ul;
  return sv.f_flag;
}

static long
fs_magic (const char *path)
{
  struct statfs sf;
  if (statfs (path, &sf) < 0)
    return -1;
  return (long) sf.f_type;
}

static int
dir_entries (const char *path)
{
  DIR *d = opendir (path);
  if (d == NULL)
    return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir (d)))
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
      n++;
  closedir (d);
  return n;
}

/* Propagation tag ("shared:", "master:") of the mount at `mp` in mountinfo. */
static bool
mountinfo_has (const char *mp, const char *tag)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return false;
  char line[4096];
  bool found = false;
  while (fgets (line, sizeof (line), f))
    {
      char mpoint[PATH_MAX];
      if (sscanf (line, "%*s %*s %*s %*s %4095s", mpoint) != 1)
        continue;
      if (strcmp (mpoint, mp) == 0)
        found = strstr (line, tag) != NULL; /* the last (top) mount wins */
    }
  fclose (f);
  return found;
}

/* Whether any mount point in this process's namespace starts with prefix. */
static bool
any_mount_under (const char *prefix)
{
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return false;
  char line[4096];
  bool found = false;
  while (fgets (line, sizeof (line), f))
    {
      char mpoint[PATH_MAX];
      if (sscanf (line, "%*s %*s %*s %*s %4095s", mpoint) == 1 && strncmp (mpoint, prefix, strlen (prefix)) == 0)
        found = true;
    }
  fclose (f);
  return found;
}

typedef void (*child_fn) (struct fixture *fx);

/* Run fn in a child in a new private mount namespace; assert it succeeded. */
static void
run_child (struct fixture *fx, child_fn fn)
{
  int p[2];
  assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (p[0]);
      report_fd = p[1];
      CHECK (unshare (CLONE_NEWNS) == 0);
      CHECK (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
      fn (fx);
      _exit (0);
    }
  close (p[1]);
  char buf[4096];
  ssize_t n = al_read_all (p[0], buf, sizeof (buf) - 1);
  close (p[0]);
  buf[n > 0 ? n : 0] = '\0';
  int status;
  assert_int_equal (waitpid (pid, &status, 0), pid);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || buf[0])
    fail_msg ("child failed (status %d): %s", status, buf);
  /* Nothing leaked to the host. */
  assert_false (any_mount_under (fx->bundle));
  assert_false (any_mount_under (fx->host));
  assert_int_equal (dir_entries (fx->host), 0);
}

static int
rm_one (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  if (type == FTW_DP)
    return rmdir (path);
  return unlink (path);
}

static int
setup_fx (void **state)
{
  struct fixture *fx = calloc (1, sizeof (*fx));
  strcpy (fx->bundle, "/tmp/al-rootfs-XXXXXX");
  strcpy (fx->host, "/tmp/al-host-XXXXXX");
  if (mkdtemp (fx->bundle) == NULL || mkdtemp (fx->host) == NULL)
    return -1;
  snprintf (fx->rootfs, sizeof (fx->rootfs), "%s/rootfs", fx->bundle);
  if (mkdir (fx->rootfs, 0755) < 0)
    return -1;
  fx->spec.linux_ = &fx->lnx;
  fx->opts.rootfs = fx->rootfs;
  fx->opts.bundle = fx->bundle;
  *state = fx;
  return 0;
}

static int
teardown_fx (void **state)
{
  struct fixture *fx = *state;
  nftw (fx->bundle, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  nftw (fx->host, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  struct stat st;
  assert_int_equal (stat (fx->bundle, &st), -1);
  free (fx);
  return 0;
}

static void
mkdirs (const char *root, const char *const *dirs)
{
  for (size_t i = 0; dirs[i]; i++)
    assert_int_equal (al_mkdir_p (AT_FDCWD, pathf ("%s/%s", root, dirs[i]), 0755, NULL), 0);
}

/* ---- option parsing ---- */

struct opt_case
{
  const char *name;
  unsigned long flags, clear, prop, rec_flags, rec_clear;
  bool bind, rbind, idmap, tmpcopyup;
};

static void
test_parse_every_option (void **state)
{
  (void) state;
  static const struct opt_case cases[] = {
    { "defaults", 0, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "ro", MS_RDONLY, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "rw", 0, MS_RDONLY, 0, 0, 0, 0, 0, 0, 0 },
    { "nosuid", MS_NOSUID, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "suid", 0, MS_NOSUID, 0, 0, 0, 0, 0, 0, 0 },
    { "nodev", MS_NODEV, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "dev", 0, MS_NODEV, 0, 0, 0, 0, 0, 0, 0 },
    { "noexec", MS_NOEXEC, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "exec", 0, MS_NOEXEC, 0, 0, 0, 0, 0, 0, 0 },
    { "sync", MS_SYNCHRONOUS, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "async", 0, MS_SYNCHRONOUS, 0, 0, 0, 0, 0, 0, 0 },
    { "dirsync", MS_DIRSYNC, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "remount", MS_REMOUNT, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "mand", MS_MANDLOCK, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "nomand", 0, MS_MANDLOCK, 0, 0, 0, 0, 0, 0, 0 },
    { "atime", 0, MS_NOATIME, 0, 0, 0, 0, 0, 0, 0 },
    { "noatime", MS_NOATIME, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "diratime", 0, MS_NODIRATIME, 0, 0, 0, 0, 0, 0, 0 },
    { "nodiratime", MS_NODIRATIME, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "relatime", MS_RELATIME, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "norelatime", 0, MS_RELATIME, 0, 0, 0, 0, 0, 0, 0 },
    { "strictatime", MS_STRICTATIME, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "nostrictatime", 0, MS_STRICTATIME, 0, 0, 0, 0, 0, 0, 0 },
    { "lazytime", MS_LAZYTIME, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "nolazytime", 0, MS_LAZYTIME, 0, 0, 0, 0, 0, 0, 0 },
    { "nosymfollow", MS_NOSYMFOLLOW, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "symfollow", 0, MS_NOSYMFOLLOW, 0, 0, 0, 0, 0, 0, 0 },
    { "silent", MS_SILENT, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "loud", 0, MS_SILENT, 0, 0, 0, 0, 0, 0, 0 },
    { "iversion", MS_I_VERSION, 0, 0, 0, 0, 0, 0, 0, 0 },
    { "noiversion", 0, MS_I_VERSION, 0, 0, 0, 0, 0, 0, 0 },
    { "bind", MS_BIND, 0, 0, 0, 0, 1, 0, 0, 0 },
    { "rbind", MS_BIND | MS_REC, 0, 0, 0, 0, 1, 1, 0, 0 },
    { "private", 0, 0, MS_PRIVATE, 0, 0, 0, 0, 0, 0 },
    { "rprivate", 0, 0, MS_PRIVATE | MS_REC, 0, 0, 0, 0, 0, 0 },
    { "shared", 0, 0, MS_SHARED, 0, 0, 0, 0, 0, 0 },
    { "rshared", 0, 0, MS_SHARED | MS_REC, 0, 0, 0, 0, 0, 0 },
    { "slave", 0, 0, MS_SLAVE, 0, 0, 0, 0, 0, 0 },
    { "rslave", 0, 0, MS_SLAVE | MS_REC, 0, 0, 0, 0, 0, 0 },
    { "unbindable", 0, 0, MS_UNBINDABLE, 0, 0, 0, 0, 0, 0 },
    { "runbindable", 0, 0, MS_UNBINDABLE | MS_REC, 0, 0, 0, 0, 0, 0 },
    { "tmpcopyup", 0, 0, 0, 0, 0, 0, 0, 0, 1 },
    { "idmap", 0, 0, 0, 0, 0, 0, 0, 1, 0 },
    { "ridmap", 0, 0, 0, 0, 0, 0, 0, 1, 0 },
    { "rro", 0, 0, 0, MS_RDONLY, 0, 0, 0, 0, 0 },
    { "rrw", 0, 0, 0, 0, MS_RDONLY, 0, 0, 0, 0 },
    { "rnosuid", 0, 0, 0, MS_NOSUID, 0, 0, 0, 0, 0 },
    { "rsuid", 0, 0, 0, 0, MS_NOSUID, 0, 0, 0, 0 },
    { "rnodev", 0, 0, 0, MS_NODEV, 0, 0, 0, 0, 0 },
    { "rdev", 0, 0, 0, 0, MS_NODEV, 0, 0, 0, 0 },
    { "rnoexec", 0, 0, 0, MS_NOEXEC, 0, 0, 0, 0, 0 },
    { "rexec", 0, 0, 0, 0, MS_NOEXEC, 0, 0, 0, 0 },
    { "rnodiratime", 0, 0, 0, MS_NODIRATIME, 0, 0, 0, 0, 0 },
    { "rdiratime", 0, 0, 0, 0, MS_NODIRATIME, 0, 0, 0, 0 },
    { "rnoatime", 0, 0, 0, MS_NOATIME, 0, 0, 0, 0, 0 },
    { "ratime", 0, 0, 0, 0, MS_NOATIME, 0, 0, 0, 0 },
    { "rrelatime", 0, 0, 0, MS_RELATIME, 0, 0, 0, 0, 0 },
    { "rnorelatime", 0, 0, 0, 0, MS_RELATIME, 0, 0, 0, 0 },
    { "rstrictatime", 0, 0, 0, MS_STRICTATIME, 0, 0, 0, 0, 0 },
    { "rnostrictatime", 0, 0, 0, 0, MS_STRICTATIME, 0, 0, 0, 0 },
    { "rnosymfollow", 0, 0, 0, MS_NOSYMFOLLOW, 0, 0, 0, 0, 0 },
    { "rsymfollow", 0, 0, 0, 0, MS_NOSYMFOLLOW, 0, 0, 0, 0 },
  };
  size_t n_cases = sizeof (cases) / sizeof (cases[0]);
  for (size_t i = 0; i < n_cases; i++)
    {
      char *opts[] = { (char *) cases[i].name, NULL };
      struct al_mount_flags f;
      al_error_t err = NULL;
      assert_int_equal (al_mount_flags_parse (opts, &f, &err), 0);
      if (f.flags != cases[i].flags || f.clear != cases[i].clear || f.propagation != cases[i].prop
          || f.rec_flags != cases[i].rec_flags || f.rec_clear != cases[i].rec_clear || f.bind != cases[i].bind
          || f.recursive_bind != cases[i].rbind || f.idmap != cases[i].idmap || f.tmpcopyup != cases[i].tmpcopyup
          || f.data != NULL)
        fail_msg ("option %s parsed wrong", cases[i].name);
      al_mount_flags_free (&f);
    }

  /* Every advertised option is in the table above, and vice versa. */
  size_t n_known = 0;
  for (const char *const *o = al_mount_options; *o; o++, n_known++)
    {
      bool found = false;
      for (size_t i = 0; i < n_cases; i++)
        found = found || strcmp (cases[i].name, *o) == 0;
      if (!found)
        fail_msg ("al_mount_options has %s, untested", *o);
    }
  assert_int_equal (n_known, n_cases);
}

static void
test_parse_combined (void **state)
{
  (void) state;
  char *opts[] = { "ro", "nosuid", "size=65536k", "", "rw", "mode=755", "rslave", "rprivate", "noatime", NULL };
  struct al_mount_flags f;
  assert_int_equal (al_mount_flags_parse (opts, &f, NULL), 0);
  assert_int_equal (f.flags, MS_NOSUID | MS_NOATIME);
  assert_int_equal (f.clear, MS_RDONLY);
  assert_int_equal (f.propagation, MS_PRIVATE | MS_REC);
  assert_string_equal (f.data, "size=65536k,mode=755");
  al_mount_flags_free (&f);
  assert_null (f.data);

  assert_int_equal (al_mount_flags_parse (NULL, &f, NULL), 0);
  assert_int_equal (f.flags, 0);
  assert_null (f.data);
  al_mount_flags_free (&f);
}

/* ---- mounts ---- */

static void
child_mounts (struct fixture *fx)
{
  /* a submount in the rbind source, which must come along */
  CHECK (mount ("tmpfs", pathf ("%s/data/sub", fx->bundle), "tmpfs", 0, NULL) == 0);
  CHECK_OK (al_rootfs_setup, &fx->spec, &fx->opts);
  const char *r = fx->rootfs;
  CHECK (is_mountpoint (r));

  CHECK (fs_magic (pathf ("%s/proc", r)) == PROC_SUPER_MAGIC);
  unsigned long fl = vfs_flags (pathf ("%s/proc", r));
  CHECK ((fl & (ST_NOSUID | ST_NOEXEC | ST_NODEV)) == (ST_NOSUID | ST_NOEXEC | ST_NODEV));
  CHECK (!(fl & ST_RDONLY));

  CHECK (fs_magic (pathf ("%s/run", r)) == TMPFS_MAGIC);
  fl = vfs_flags (pathf ("%s/run", r));
  CHECK ((fl & (ST_NOSUID | ST_NODEV)) == (ST_NOSUID | ST_NODEV));
  CHECK (!(fl & (ST_RDONLY | ST_NOEXEC)));
  struct stat st;
  CHECK (stat (pathf ("%s/run", r), &st) == 0 && (st.st_mode & 07777) == 0700);

  /* bundle-relative rbind, ro + nosuid, with a submount kept (rbind). */
  const char *data = pathf ("%s/mnt/data", r);
  CHECK (is_mountpoint (data));
  fl = vfs_flags (data);
  CHECK ((fl & (ST_RDONLY | ST_NOSUID)) == (ST_RDONLY | ST_NOSUID));
  CHECK (access (pathf ("%s/file", data), R_OK) == 0);
  CHECK (open (pathf ("%s/new", data), O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
  CHECK (fs_magic (pathf ("%s/sub", data)) == TMPFS_MAGIC);

  /* file bind into a missing directory */
  const char *hn = pathf ("%s/etc/hostname", r);
  CHECK (stat (hn, &st) == 0 && S_ISREG (st.st_mode));
  CHECK (is_mountpoint (hn));
  CHECK (vfs_flags (hn) & ST_RDONLY);
  char buf[64] = "";
  int fd = open (hn, O_RDONLY);
  CHECK (fd >= 0 && read (fd, buf, sizeof (buf)) == 9 && memcmp (buf, "hostdata\n", 9) == 0);
  close (fd);

  /* propagation option */
  CHECK (mountinfo_has (pathf ("%s/shared", r), "shared:"));
  CHECK (!mountinfo_has (pathf ("%s/run", r), "shared:"));
  CHECK (vfs_flags (pathf ("%s/shared", r)) & ST_NOEXEC);
}

static void
test_mounts (void **state)
{
  struct fixture *fx = *state;
  const char *dirs[] = { "data", "rootfs/proc", "rootfs/run", NULL };
  mkdirs (fx->bundle, dirs);
  write_str (pathf ("%s/data/file", fx->bundle), "x");
  write_str (pathf ("%s/hostfile", fx->bundle), "hostdata\n");
  assert_int_equal (mkdir (pathf ("%s/data/sub", fx->bundle), 0755), 0);

  char *o_proc[] = { "nosuid", "noexec", "nodev", NULL };
  char *o_run[] = { "nosuid", "nodev", "mode=0700", "size=1m", NULL };
  char *o_data[] = { "rbind", "ro", "nosuid", NULL };
  char *o_host[] = { "bind", "ro", NULL };
  char *o_shared[] = { "noexec", "rshared", NULL };
  struct oci_mount mounts[] = {
    { .destination = "/proc", .type = "proc", .source = "proc", .options = o_proc },
    { .destination = "/run", .type = "tmpfs", .source = "tmpfs", .options = o_run },
    { .destination = "/mnt/data", .type = "none", .source = "data", .options = o_data },
    { .destination = "/etc/hostname", .type = "bind", .source = pathf ("%s/hostfile", fx->bundle),
      .options = o_host },
    { .destination = "/shared", .type = "tmpfs", .source = "tmpfs", .options = o_shared },
  };
  fx->spec.mounts = mounts;
  fx->spec.n_mounts = sizeof (mounts) / sizeof (mounts[0]);
  run_child (fx, child_mounts);
}

/* ---- symlink escapes ---- */

static void
child_escape (struct fixture *fx)
{
  CHECK_OK (al_rootfs_setup, &fx->spec, &fx->opts);
  const char *H = fx->host;
  /* nothing landed in the host dir, nothing got mounted there */
  CHECK (dir_entries (H) == 0);
  CHECK (!is_mountpoint (H));
  CHECK (!any_mount_under (H));
  /* it all landed inside the rootfs, where the symlinks resolve with the
   * rootfs as "/" */
  const char *in = pathf ("%s%s", fx->rootfs, H);
  CHECK (is_mountpoint (in));
  CHECK (is_mountpoint (pathf ("%s/x", in)));
  CHECK (is_mountpoint (pathf ("%s/newdir/y", in)));
  CHECK (access (pathf ("%s/newdir/y/file", in), F_OK) == 0);
  struct stat st;
  CHECK (lstat (pathf ("%s/devnode", in), &st) == 0 && S_ISCHR (st.st_mode));
  CHECK (st.st_rdev == makedev (1, 3));
}

static void
test_symlink_escape (void **state)
{
  struct fixture *fx = *state;
  const char *dirs[] = { "data", NULL };
  mkdirs (fx->bundle, dirs);
  write_str (pathf ("%s/data/file", fx->bundle), "x");
  assert_int_equal (symlink (fx->host, pathf ("%s/evil", fx->rootfs)), 0);
  assert_int_equal (symlink (pathf ("../../../../../../../..%s", fx->host), pathf ("%s/up", fx->rootfs)), 0);
  assert_int_equal (symlink (pathf ("%s/newdir", fx->host), pathf ("%s/dangling", fx->rootfs)), 0);

  char *o_bind[] = { "bind", NULL };
  struct oci_mount mounts[] = {
    { .destination = "/evil", .type = "tmpfs", .source = "tmpfs" },
    { .destination = "/up/x", .type = "tmpfs", .source = "tmpfs" },
    { .destination = "/dangling/y", .type = "bind", .source = "data", .options = o_bind },
  };
  struct oci_device devs[] = { { .type = 'c', .path = "/up/devnode", .major = 1, .minor = 3 } };
  fx->spec.mounts = mounts;
  fx->spec.n_mounts = 3;
  fx->lnx.devices = devs;
  fx->lnx.n_devices = 1;
  run_child (fx, child_escape);
  assert_int_equal (dir_entries (fx->host), 0);
}

/* ---- devices ---- */

static void
child_devices (struct fixture *fx)
{
  umask (022);
  CHECK_OK (al_rootfs_setup, &fx->spec, &fx->opts);
  const char *r = fx->rootfs;
  struct stat st;
  static const struct
  {
    const char *n;
    unsigned ma, mi;
  } defs[] = { { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 },
               { "tty", 5, 0 } };
  for (size_t i = 0; i < 6; i++)
    {
      CHECK (lstat (pathf ("%s/dev/%s", r, defs[i].n), &st) == 0);
      CHECK (S_ISCHR (st.st_mode) && (st.st_mode & 07777) == 0666);
      CHECK (st.st_rdev == makedev (defs[i].ma, defs[i].mi));
    }
  CHECK (lstat (pathf ("%s/dev/fuse", r), &st) == 0 && S_ISCHR (st.st_mode));
  CHECK ((st.st_mode & 07777) == 0600 && st.st_uid == 1000 && st.st_gid == 1001);
  CHECK (st.st_rdev == makedev (10, 229));
  /* /dev/net is a symlink to the host dir: followed inside the rootfs */
  CHECK (lstat (pathf ("%s%s/tun", r, fx->host), &st) == 0 && S_ISCHR (st.st_mode));
  CHECK ((st.st_mode & 07777) == 0666 && st.st_rdev == makedev (10, 200) && st.st_uid == 0);
  CHECK (lstat (pathf ("%s/dev/myfifo", r), &st) == 0 && S_ISFIFO (st.st_mode));
  CHECK (lstat (pathf ("%s/dev/loopx", r), &st) == 0 && S_ISBLK (st.st_mode));
  CHECK ((st.st_mode & 07777) == 0640 && st.st_rdev == makedev (7, 99));

  char buf[64];
  ssize_t n = readlink (pathf ("%s/dev/ptmx", r), buf, sizeof (buf));
  CHECK (n == 8 && memcmp (buf, "pts/ptmx", 8) == 0);
  CHECK (lstat (pathf ("%s/dev/pts/ptmx", r), &st) == 0 && S_ISCHR (st.st_mode));
  n = readlink (pathf ("%s/dev/fd", r), buf, sizeof (buf));
  CHECK (n == 13 && memcmp (buf, "/proc/self/fd", 13) == 0);
  n = readlink (pathf ("%s/dev/stderr", r), buf, sizeof (buf));
  CHECK (n == 15 && memcmp (buf, "/proc/self/fd/2", 15) == 0);
  CHECK (readlink (pathf ("%s/dev/stdin", r), buf, sizeof (buf)) == 15);
  CHECK (readlink (pathf ("%s/dev/stdout", r), buf, sizeof (buf)) == 15);
  /* /dev/core -> /proc/kcore only where the kernel has /proc/kcore. */
  if (access ("/proc/kcore", F_OK) == 0)
    CHECK (readlink (pathf ("%s/dev/core", r), buf, sizeof (buf)) == 11);
  else
    CHECK (lstat (pathf ("%s/dev/core", r), &st) < 0 && errno == ENOENT);
  CHECK (lstat (pathf ("%s/dev/shm", r), &st) == 0 && S_ISDIR (st.st_mode));
  CHECK (dir_entries (fx->host) == 0);
}

static void
test_devices (void **state)
{
  struct fixture *fx = *state;
  const char *dirs[] = { "rootfs/dev", NULL };
  mkdirs (fx->bundle, dirs);
  /* planted symlinks: /dev/null to a host path, /dev/zero through "..", and
   * /dev/net itself */
  assert_int_equal (symlink (pathf ("%s/null", fx->host), pathf ("%s/dev/null", fx->rootfs)), 0);
  assert_int_equal (symlink (pathf ("../../../../../..%s/zero", fx->host), pathf ("%s/dev/zero", fx->rootfs)), 0);
  assert_int_equal (symlink (fx->host, pathf ("%s/dev/net", fx->rootfs)), 0);

  char *o_pts[] = { "newinstance", "ptmxmode=0666", "mode=0620", NULL };
  struct oci_mount mounts[] = {
    { .destination = "/dev/pts", .type = "devpts", .source = "devpts", .options = o_pts },
  };
  struct oci_device devs[] = {
    { .type = 'c', .path = "/dev/fuse", .major = 10, .minor = 229, .has_file_mode = true, .file_mode = 0600,
      .has_uid = true, .uid = 1000, .has_gid = true, .gid = 1001 },
    { .type = 'c', .path = "/dev/net/tun", .major = 10, .minor = 200 },
    { .type = 'p', .path = "/dev/myfifo" },
    { .type = 'b', .path = "/dev/loopx", .major = 7, .minor = 99, .has_file_mode = true, .file_mode = 0640 },
  };
  fx->spec.mounts = mounts;
  fx->spec.n_mounts = 1;
  fx->lnx.devices = devs;
  fx->lnx.n_devices = 4;
  run_child (fx, child_devices);
}

static void
child_devices_bind (struct fixture *fx)
{
  CHECK_OK (al_rootfs_setup, &fx->spec, &fx->opts);
  struct stat st;
  const char *null = pathf ("%s/dev/null", fx->rootfs);
  CHECK (fs_magic (pathf ("%s/dev", fx->rootfs)) == TMPFS_MAGIC);
  CHECK (is_mountpoint (null));
  CHECK (stat (null, &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3));
  CHECK (stat (pathf ("%s/dev/fuse", fx->rootfs), &st) == 0 && st.st_rdev == makedev (10, 229));
  CHECK (is_mountpoint (pathf ("%s/dev/fuse", fx->rootfs)));
}

static void
test_devices_bind_in_userns (void **state)
{
  struct fixture *fx = *state;
  if (access ("/dev/fuse", F_OK) < 0)
    skip ();
  char *o_dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  struct oci_mount mounts[] = { { .destination = "/dev", .type = "tmpfs", .source = "tmpfs", .options = o_dev } };
  struct oci_device devs[] = { { .type = 'c', .path = "/dev/fuse", .major = 10, .minor = 229 } };
  fx->spec.mounts = mounts;
  fx->spec.n_mounts = 1;
  fx->lnx.devices = devs;
  fx->lnx.n_devices = 1;
  fx->opts.in_userns = true; /* no real user namespace: only the bind path is exercised */
  run_child (fx, child_devices_bind);
}

/* ---- pivot ---- */

static char *o_dev_tmpfs[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
static char *o_pts_std[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };

static void
child_pivot (struct fixture *fx)
{
  CHECK_OK (al_rootfs_setup, &fx->spec, &fx->opts);
  CHECK_OK (al_rootfs_pivot, &fx->opts);
  char cwd[PATH_MAX];
  CHECK (getcwd (cwd, sizeof (cwd)) && strcmp (cwd, "/") == 0);
  CHECK (access ("/marker", F_OK) == 0);
  CHECK (access (fx->host, F_OK) < 0 && errno == ENOENT);
  CHECK (access (fx->bundle, F_OK) < 0 && errno == ENOENT);
  CHECK (access ("/dev/null", F_OK) == 0);
  /* only our mounts are left */
  FILE *f = fopen ("/proc/self/mountinfo", "re");
  CHECK (f != NULL);
  char line[4096];
  int n = 0;
  while (fgets (line, sizeof (line), f))
    {
      char mp[PATH_MAX];
      CHECK (sscanf (line, "%*s %*s %*s %*s %4095s", mp) == 1);
      if (!(strcmp (mp, "/") == 0 || al_has_prefix (mp, "/proc") || al_has_prefix (mp, "/dev")))
        {
          dprintf (report_fd, "unexpected mount %s", line);
          _exit (1);
        }
      n++;
    }
  fclose (f);
  CHECK (n >= 4);
}

static void
prepare_pivot (struct fixture *fx, struct oci_mount *mounts)
{
  write_str (pathf ("%s/marker", fx->rootfs), "m");
  mounts[0] = (struct oci_mount){ .destination = "/proc", .type = "proc", .source = "proc" };
  mounts[1] = (struct oci_mount){ .destination = "/dev", .type = "tmpfs", .source = "tmpfs", .options = o_dev_tmpfs };
  mounts[2] = (struct oci_mount){ .destination = "/dev/pts", .type = "devpts", .source = "devpts",
                                  .options = o_pts_std };
  fx->spec.mounts = mounts;
  fx->spec.n_mounts = 3;
}

static void
test_pivot (void **state)
{
  struct fixture *fx = *state;
  struct oci_mount mounts[3];
  prepare_pivot (fx, mounts);
  run_child (fx, child_pivot);
}

static void
child_no_pivot (struct fixture *fx)
{
  CHECK_OK (al_rootfs_setup, &fx->spec, &fx->opts);
  CHECK_OK (al_rootfs_pivot, &fx->opts);
  char cwd[PATH_MAX];
  CHECK (getcwd (cwd, sizeof (cwd)) && strcmp (cwd, "/") == 0);
  CHECK (access ("/marker", F_OK) == 0);
  CHECK (access (fx->host, F_OK) < 0 && errno == ENOENT);
  CHECK (access ("/dev/null", F_OK) == 0);
  CHECK (fs_magic ("/proc") == PROC_SUPER_MAGIC);
}

static void
test_no_pivot (void **state)
{
  struct fixture *fx = *state;
  struct oci_mount mounts[3];
  prepare_pivot (fx, mounts);
  fx->opts.no_pivot = true;
  run_child (fx, child_no_pivot);
}

/* ---- masked, read-only paths, read-only root ---- */

static void
child_finish (struct fixture *fx)
{
  CHECK_OK (al_rootfs_setup, &fx->spec, &fx->opts);
  CHECK_OK (al_rootfs_pivot, &fx->opts);
  CHECK_OK (al_rootfs_finish, &fx->spec, &fx->opts);
  struct stat st;
  /* masked directory: an empty read-only tmpfs */
  CHECK (dir_entries ("/secretdir") == 0);
  CHECK (fs_magic ("/secretdir") == TMPFS_MAGIC);
  CHECK (open ("/secretdir/x", O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
  /* masked file: /dev/null */
  CHECK (stat ("/secretfile", &st) == 0 && S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3));
  char buf[16];
  int fd = open ("/secretfile", O_RDONLY);
  CHECK (fd >= 0 && read (fd, buf, sizeof (buf)) == 0);
  close (fd);
  CHECK (stat ("/proc/keys", &st) == 0 && S_ISCHR (st.st_mode));
  CHECK (dir_entries ("/proc/acpi") == 0 && fs_magic ("/proc/acpi") == TMPFS_MAGIC);
  /* read-only paths */
  CHECK (open ("/rodir/new", O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
  CHECK (access ("/rodir/keep", F_OK) == 0);
  fd = open ("/proc/sys/kernel/hostname", O_WRONLY);
  CHECK (fd < 0 && errno == EROFS);
  CHECK (vfs_flags ("/proc/sys") & ST_NOEXEC);
  CHECK (!(vfs_flags ("/proc") & ST_RDONLY));
  /* read-only root, tmpfs still writable */
  CHECK (open ("/newfile", O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
  CHECK (vfs_flags ("/") & ST_RDONLY);
  fd = open ("/run/ok", O_WRONLY | O_CREAT, 0644);
  CHECK (fd >= 0);
  close (fd);
  /* rootfsPropagation applied to / */
  CHECK (!mountinfo_has ("/", "shared:"));
  CHECK (!mountinfo_has ("/", "master:"));
}

static void
test_finish (void **state)
{
  struct fixture *fx = *state;
  const char *dirs[] = { "rootfs/secretdir", "rootfs/rodir", "rootfs/run", NULL };
  mkdirs (fx->bundle, dirs);
  write_str (pathf ("%s/secretdir/a", fx->rootfs), "a");
  write_str (pathf ("%s/secretfile", fx->rootfs), "secret");
  write_str (pathf ("%s/rodir/keep", fx->rootfs), "k");
  struct oci_mount mounts[4];
  prepare_pivot (fx, mounts);
  mounts[3] = (struct oci_mount){ .destination = "/run", .type = "tmpfs", .source = "tmpfs" };
  fx->spec.n_mounts = 4;
  char *masked[] = { "/secretdir", "/secretfile", "/nonexistent", "/proc/keys", "/proc/acpi", "/proc/kcore",
                     "/secretfile/notdir", NULL };
  char *ro[] = { "/rodir", "/proc/sys", "/nothere", NULL };
  fx->lnx.masked_paths = masked;
  fx->lnx.readonly_paths = ro;
  fx->lnx.rootfs_propagation = "rprivate";
  fx->spec.root_readonly = true;
  run_child (fx, child_finish);
}

/* ---- rootfsPropagation ---- */

static void
child_propagation (struct fixture *fx)
{
  static const char *const props[] = { "rshared", "shared", "rslave", "slave", "private", "runbindable" };
  for (size_t i = 0; i < sizeof (props) / sizeof (props[0]); i++)
    {
      pid_t pid = fork ();
      CHECK (pid >= 0);
      if (pid == 0)
        {
          fx->lnx.rootfs_propagation = (char *) props[i];
          CHECK (unshare (CLONE_NEWNS) == 0);
          /* the host side of this namespace is shared, as on systemd hosts */
          CHECK (mount (NULL, "/", NULL, MS_REC | MS_SHARED, NULL) == 0);
          CHECK_OK (al_rootfs_setup, &fx->spec, &fx->opts);
          CHECK_OK (al_rootfs_pivot, &fx->opts);
          CHECK_OK (al_rootfs_finish, &fx->spec, &fx->opts);
          CHECK (access ("/marker", F_OK) == 0);
          CHECK (mountinfo_has ("/", "shared:") == (strstr (props[i], "shared") != NULL));
          CHECK (mountinfo_has ("/", "unbindable") == (strstr (props[i], "unbindable") != NULL));
          _exit (0);
        }
      int status;
      CHECK (waitpid (pid, &status, 0) == pid);
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        {
          dprintf (report_fd, "(with rootfsPropagation %s)\n", props[i]);
          _exit (1);
        }
    }
  /* the host side (this namespace) saw nothing of the container's mounts */
  CHECK (!is_mountpoint (fx->rootfs));
  CHECK (!any_mount_under (fx->rootfs));
}

static void
test_propagation (void **state)
{
  struct fixture *fx = *state;
  struct oci_mount mounts[3];
  prepare_pivot (fx, mounts);
  run_child (fx, child_propagation);
}

/* ---- inside a real user namespace ---- */

static void
write_proc (const char *file, const char *s)
{
  int fd = open (file, O_WRONLY | O_CLOEXEC);
  CHECK (fd >= 0);
  CHECK (write (fd, s, strlen (s)) == (ssize_t) strlen (s));
  close (fd);
}

static void
child_userns (struct fixture *fx)
{
  /* The mounts copied into this new namespace are locked. */
  CHECK (unshare (CLONE_NEWUSER | CLONE_NEWNS) == 0);
  write_proc ("/proc/self/setgroups", "deny");
  write_proc ("/proc/self/uid_map", "0 0 1");
  write_proc ("/proc/self/gid_map", "0 0 1");
  CHECK_OK (al_rootfs_setup, &fx->spec, &fx->opts);
  struct stat st;
  /* mknod is refused here: host nodes were bound */
  CHECK (stat (pathf ("%s/dev/null", fx->rootfs), &st) == 0 && st.st_rdev == makedev (1, 3));
  CHECK (is_mountpoint (pathf ("%s/dev/null", fx->rootfs)));
  /* sysfs cannot be mounted without a net namespace: the host's is bound */
  CHECK (fs_magic (pathf ("%s/sys", fx->rootfs)) == 0x62656572);
  CHECK_OK (al_rootfs_pivot, &fx->opts);
  CHECK_OK (al_rootfs_finish, &fx->spec, &fx->opts);
  CHECK (access ("/marker", F_OK) == 0);
  CHECK (open ("/rodir/x", O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
  CHECK (open ("/newfile", O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
  CHECK (vfs_flags ("/data") & ST_RDONLY);
  CHECK (access ("/data/file", R_OK) == 0);
  CHECK (dir_entries ("/secretdir") == 0);
}

static void
test_userns (void **state)
{
  struct fixture *fx = *state;
  const char *dirs[] = { "data", "rootfs/rodir", "rootfs/secretdir/x", NULL };
  mkdirs (fx->bundle, dirs);
  write_str (pathf ("%s/data/file", fx->bundle), "x");
  write_str (pathf ("%s/marker", fx->rootfs), "m");
  char *o_data[] = { "rbind", "ro", "nosuid", "nodev", NULL };
  char *o_sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  struct oci_mount mounts[] = {
    { .destination = "/dev", .type = "tmpfs", .source = "tmpfs", .options = o_dev_tmpfs },
    { .destination = "/sys", .type = "sysfs", .source = "sysfs", .options = o_sys },
    { .destination = "/data", .type = "bind", .source = "data", .options = o_data },
  };
  char *masked[] = { "/secretdir", NULL };
  char *ro[] = { "/rodir", "/sys", NULL };
  fx->spec.mounts = mounts;
  fx->spec.n_mounts = 3;
  fx->lnx.masked_paths = masked;
  fx->lnx.readonly_paths = ro;
  fx->spec.root_readonly = true;
  fx->opts.in_userns = true;
  run_child (fx, child_userns);
}

/* ---- a profile's bind policy: checked on the fd that is mounted ---- */

static void
child_bind_policy (struct fixture *fx)
{
  /* "link" -> secret (denied): refused at mount time, by what it resolves
     to, with no early check before it; nothing mounted. */
  struct oci_mount *m = &fx->spec.mounts[0];
  const char *want = pathf ("profile \"p\": mounts[0] (link -> /x): link resolves to %s/secret, which the profile "
                            "keeps from containers",
                            fx->bundle);
  CHECK_FAILS (want, al_rootfs_setup, &fx->spec, &fx->opts);
  CHECK (!is_mountpoint (pathf ("%s/x", fx->rootfs)));
  /* an allowed source through a symlink: what it resolves to is mounted */
  m->source = "oklink";
  CHECK_OK (al_rootfs_setup, &fx->spec, &fx->opts);
  CHECK (is_mountpoint (pathf ("%s/x", fx->rootfs)));
  CHECK (access (pathf ("%s/x/marker", fx->rootfs), F_OK) == 0);
}

static void
test_bind_policy (void **state)
{
  struct fixture *fx = *state;
  const char *dirs[] = { "secret", "ok", NULL };
  mkdirs (fx->bundle, dirs);
  write_str (pathf ("%s/ok/marker", fx->bundle), "m");
  assert_int_equal (symlink (pathf ("%s/secret", fx->bundle), pathf ("%s/link", fx->bundle)), 0);
  assert_int_equal (symlink ("ok", pathf ("%s/oklink", fx->bundle)), 0);
  char *o_bind[] = { "rbind", "ro", NULL };
  struct oci_mount mounts[] = {
    { .destination = "/x", .type = "bind", .source = "link", .options = o_bind },
  };
  char *denied[] = { pathf ("%s/secret", fx->bundle), NULL };
  struct al_bind_policy pol = { .profile = "p", .denied_paths = denied };
  fx->spec.mounts = mounts;
  fx->spec.n_mounts = 1;
  fx->spec.bind_policy = &pol;
  run_child (fx, child_bind_policy);
  fx->spec.bind_policy = NULL;
}

/* ---- errors ---- */

static void
child_errors (struct fixture *fx)
{
  struct oci_mount m = { .destination = "/x", .type = "bind", .source = "missing" };
  fx->spec.mounts = &m;
  fx->spec.n_mounts = 1;
  CHECK_FAILS ("mounts[0].source", al_rootfs_setup, &fx->spec, &fx->opts);
  CHECK_FAILS ("No such file or directory", al_rootfs_setup, &fx->spec, &fx->opts);

  m = (struct oci_mount){ .destination = "/x", .type = "nosuchfs", .source = "nosuchfs" };
  CHECK_FAILS ("mounts[0] (nosuchfs -> ", al_rootfs_setup, &fx->spec, &fx->opts);
  CHECK_FAILS ("rootfs/x): mount nosuchfs: No such device", al_rootfs_setup, &fx->spec, &fx->opts);

  char *o_copy[] = { "tmpcopyup", NULL };
  m = (struct oci_mount){ .destination = "/x", .type = "bind", .source = "/tmp", .options = o_copy };
  CHECK_FAILS ("option tmpcopyup: only for a tmpfs", al_rootfs_setup, &fx->spec, &fx->opts);
  char *o_idmap[] = { "rbind", "idmap", NULL };
  m = (struct oci_mount){ .destination = "/x", .type = "bind", .source = "/tmp", .options = o_idmap };
  CHECK_FAILS ("idmapped", al_rootfs_setup, &fx->spec, &fx->opts);
  m = (struct oci_mount){ .destination = "/x", .source = "/tmp" };
  CHECK_FAILS ("no type and no bind option", al_rootfs_setup, &fx->spec, &fx->opts);

  fx->spec.n_mounts = 0;
  fx->lnx.rootfs_propagation = "sideways";
  CHECK_FAILS ("linux.rootfsPropagation", al_rootfs_setup, &fx->spec, &fx->opts);
  fx->lnx.rootfs_propagation = NULL;

  struct oci_device d = { .type = 'x', .path = "/dev/bad" };
  fx->lnx.devices = &d;
  fx->lnx.n_devices = 1;
  CHECK_FAILS ("linux.devices[0] (/dev/bad): unknown device type", al_rootfs_setup, &fx->spec, &fx->opts);
  d = (struct oci_device){ .type = 'c', .path = "/dev/..", .major = 1, .minor = 3 };
  CHECK_FAILS ("linux.devices[0] (/dev/..)", al_rootfs_setup, &fx->spec, &fx->opts);
  CHECK (dir_entries (fx->host) == 0);
}

static void
test_errors (void **state)
{
  struct fixture *fx = *state;
  run_child (fx, child_errors);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse_every_option),
    cmocka_unit_test (test_parse_combined),
    cmocka_unit_test_setup_teardown (test_mounts, setup_fx, teardown_fx),
    cmocka_unit_test_setup_teardown (test_symlink_escape, setup_fx, teardown_fx),
    cmocka_unit_test_setup_teardown (test_devices, setup_fx, teardown_fx),
    cmocka_unit_test_setup_teardown (test_devices_bind_in_userns, setup_fx, teardown_fx),
    cmocka_unit_test_setup_teardown (test_pivot, setup_fx, teardown_fx),
    cmocka_unit_test_setup_teardown (test_no_pivot, setup_fx, teardown_fx),
    cmocka_unit_test_setup_teardown (test_finish, setup_fx, teardown_fx),
    cmocka_unit_test_setup_teardown (test_propagation, setup_fx, teardown_fx),
    cmocka_unit_test_setup_teardown (test_userns, setup_fx, teardown_fx),
    cmocka_unit_test_setup_teardown (test_errors, setup_fx, teardown_fx),
    cmocka_unit_test_setup_teardown (test_bind_policy, setup_fx, teardown_fx),
  };
  if (geteuid () != 0)
    {
      fprintf (stderr, "test_rootfs: needs root, skipped\n");
      return 0;
    }
  return cmocka_run_group_tests (tests, NULL, NULL);
}
