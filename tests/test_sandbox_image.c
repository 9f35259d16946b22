/* test_sandbox_image.c: safedir.c (directories only root can change, trees
 * removed without following links) and sandbox_image.c (the busybox image
 * of `airlock sandbox`: built privately, published once, checked before
 * use). A stand-in file plays busybox. Run as root. */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "safedir.h"
#include "sandbox_image.h"
#include "util.h"

#define HINT "do this"

struct fx
{
  char dir[64]; /* /tmp/al-cache-XXXXXX, root's 0700 */
  char bb[PATH_MAX];
};

static char *
P (struct fx *f, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static char *
P (struct fx *f, const char *fmt, ...)
{
  static char bufs[8][PATH_MAX];
  static int n;
  char *b = bufs[n++ % 8];
  char rel[PATH_MAX / 2];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (rel, sizeof rel, fmt, ap);
  va_end (ap);
  snprintf (b, PATH_MAX, "%s/%s", f->dir, rel);
  return b;
}

static void
write_str (const char *path, const char *s, mode_t mode)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, s, strlen (s)), (ssize_t) strlen (s));
  assert_int_equal (fchmod (fd, mode), 0);
  close (fd);
}

static int
setup (void **state)
{
  struct fx *f = calloc (1, sizeof (*f));
  strcpy (f->dir, "/tmp/al-cache-XXXXXX");
  if (mkdtemp (f->dir) == NULL)
    return -1;
  snprintf (f->bb, sizeof f->bb, "%s/busybox", f->dir);
  write_str (f->bb, "#!/not/really/busybox\n", 0755);
  *state = f;
  return 0;
}

static int
rm_one (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  return type == FTW_DP ? rmdir (path) : unlink (path);
}

static int
teardown (void **state)
{
  struct fx *f = *state;
  nftw (f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  free (f);
  return 0;
}

static int
entries (const char *dir, char *first, size_t n)
{
  DIR *d = opendir (dir);
  if (d == NULL)
    return -1;
  int k = 0;
  struct dirent *e;
  while ((e = readdir (d)))
    if (strcmp (e->d_name, ".") && strcmp (e->d_name, ".."))
      {
        if (k++ == 0 && first)
          snprintf (first, n, "%s", e->d_name);
      }
  closedir (d);
  return k;
}

/* al_safe_dir_open must refuse `path`; the message contains `needle`. */
static void
refused (const char *path, bool create, const char *needle)
{
  int fd = -1;
  al_error_t err = NULL;
  char *canon = NULL;
  if (al_safe_dir_open (path, create, "cache", HINT, &fd, &canon, &err) >= 0)
    fail_msg ("%s: accepted", path);
  assert_int_equal (fd, -1);
  assert_null (canon);
  if (strstr (err->msg, needle) == NULL)
    fail_msg ("%s:\n got: %s\nwant: ...%s...", path, err->msg, needle);
  al_error_free (&err);
}

static void
test_safe_dir_creates_and_resolves (void **state)
{
  struct fx *f = *state;
  umask (077);
  int fd = -1;
  char *canon = NULL;
  al_error_t err = NULL;
  if (al_safe_dir_open (P (f, "a/b/c"), true, "cache", HINT, &fd, &canon, &err) < 0)
    fail_msg ("%s", err->msg);
  umask (022);
  assert_string_equal (canon, P (f, "a/b/c"));
  struct stat st;
  assert_int_equal (fstat (fd, &st), 0);
  assert_int_equal (st.st_mode & 07777, 0755); /* whatever the umask */
  assert_int_equal (stat (P (f, "a"), &st), 0);
  assert_int_equal (st.st_mode & 07777, 0755);
  close (fd);
  free (canon);
  /* root's symlinks are followed, "." and ".." too; canon has none left */
  assert_int_equal (symlink ("a/b", P (f, "l")), 0);
  assert_int_equal (al_safe_dir_open (P (f, "l/./c/../c"), false, "cache", HINT, &fd, &canon, &err), 0);
  assert_string_equal (canon, P (f, "a/b/c"));
  close (fd);
  free (canon);
  /* missing without create */
  assert_true (al_safe_dir_open (P (f, "nope"), false, "cache", HINT, &fd, NULL, &err) < 0);
  assert_int_equal (err->errnum, ENOENT);
  al_error_free (&err);
  refused ("relative/dir", true, "cache relative/dir: not an absolute path");
}

static void
test_safe_dir_refusals (void **state)
{
  struct fx *f = *state;
  /* owned by another user */
  assert_int_equal (mkdir (P (f, "theirs"), 0755), 0);
  assert_int_equal (chown (P (f, "theirs"), 65534, 65534), 0);
  refused (P (f, "theirs"), true,
           "is owned by uid 65534 (mode 0755): it and every directory above it must belong to root and be writable "
           "by nobody else (another user could plant or swap what root trusts there); " HINT);
  /* ... above the cache: they can rename it away */
  assert_int_equal (mkdir (P (f, "theirs/cache"), 0755), 0);
  refused (P (f, "theirs/cache"), true, P (f, "theirs is owned by uid 65534"));
  /* writable by others: above the cache only with the sticky bit */
  assert_int_equal (mkdir (P (f, "open"), 0777), 0);
  assert_int_equal (chmod (P (f, "open"), 0777), 0);
  refused (P (f, "open/c"), true,
           P (f, "open is writable by group or others (owner uid 0, mode 0777)"));
  assert_int_equal (entries (P (f, "open"), NULL, 0), 0); /* nothing created in it */
  assert_int_equal (mkdir (P (f, "sticky"), 0755), 0);
  assert_int_equal (chmod (P (f, "sticky"), 01777), 0);
  int fd = -1;
  al_error_t err = NULL;
  if (al_safe_dir_open (P (f, "sticky/c"), true, "cache", HINT, &fd, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  close (fd);
  refused (P (f, "sticky"), false, P (f, "sticky is writable by group or others (owner uid 0, mode 1777)"));
  assert_int_equal (mkdir (P (f, "group"), 0755), 0);
  assert_int_equal (chmod (P (f, "group"), 0775), 0);
  refused (P (f, "group"), false, "is writable by group or others (owner uid 0, mode 0775)");
  /* another user's symlink, as the cache or above it; nothing written
     where it points */
  assert_int_equal (mkdir (P (f, "target"), 0755), 0);
  assert_int_equal (symlink (P (f, "target"), P (f, "sticky/link")), 0);
  assert_int_equal (lchown (P (f, "sticky/link"), 65534, 65534), 0);
  refused (P (f, "sticky/link"), true, P (f, "sticky/link is a symlink owned by uid 65534"));
  refused (P (f, "sticky/link/deeper"), true, P (f, "sticky/link is a symlink owned by uid 65534"));
  assert_int_equal (entries (P (f, "target"), NULL, 0), 0);
  /* not a directory */
  write_str (P (f, "file"), "", 0644);
  refused (P (f, "file"), true, "Not a directory");
}

static void
test_remove_tree_never_follows (void **state)
{
  struct fx *f = *state;
  assert_int_equal (mkdir (P (f, "keep"), 0755), 0);
  write_str (P (f, "keep/precious"), "x", 0644);
  assert_int_equal (al_mkdir_p (AT_FDCWD, P (f, "t/a/b"), 0755, NULL), 0);
  write_str (P (f, "t/a/b/f"), "x", 0644);
  assert_int_equal (symlink (P (f, "keep"), P (f, "t/a/link")), 0);
  assert_int_equal (symlink (P (f, "keep/precious"), P (f, "t/flink")), 0);
  _cleanup_close_ int dfd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  al_error_t err = NULL;
  assert_int_equal (al_remove_tree_at (dfd, "t", "test", &err), 0);
  assert_int_equal (access (P (f, "t"), F_OK), -1);
  assert_int_equal (access (P (f, "keep/precious"), F_OK), 0);
  assert_int_equal (al_remove_tree_at (dfd, "t", "test", &err), 0); /* gone already: fine */
}

static char *
image (struct fx *f, const char *cache)
{
  char *out = NULL;
  al_error_t err = NULL;
  if (al_sandbox_image (cache, f->bb, &out, &err) < 0)
    fail_msg ("%s", err->msg);
  return out;
}

static void
test_image_built_once (void **state)
{
  struct fx *f = *state;
  umask (077);
  _cleanup_free_ char *img = image (f, P (f, "cache"));
  umask (022);
  char name[256] = "";
  assert_int_equal (entries (P (f, "cache"), name, sizeof name), 1);
  assert_string_equal (img, P (f, "cache/%s", name));
  assert_true (al_has_prefix (name, "sandbox-rootfs-"));
  struct stat st, bb, sh;
  assert_int_equal (stat (f->bb, &st), 0);
  _cleanup_free_ char *want = al_sandbox_image_name (&st);
  assert_string_equal (name, want);
  /* root's, 0755 dirs (the umask does not matter), busybox and its links */
  assert_int_equal (stat (img, &st), 0);
  assert_int_equal (st.st_mode & 07777, 0755);
  assert_int_equal (stat (P (f, "cache/%s/tmp", name), &st), 0);
  assert_int_equal (st.st_mode & 07777, 0755);
  assert_int_equal (stat (P (f, "cache/%s/bin/busybox", name), &bb), 0);
  assert_int_equal (bb.st_mode & 07777, 0755);
  assert_int_equal (stat (P (f, "cache/%s/bin/sh", name), &sh), 0);
  assert_true (sh.st_ino == bb.st_ino);
  assert_int_equal (stat (P (f, "cache/%s/etc/passwd", name), &st), 0);
  assert_int_equal (st.st_mode & 07777, 0644);
  /* used again as it is */
  ino_t ino = 0;
  assert_int_equal (stat (img, &st), 0);
  ino = st.st_ino;
  _cleanup_free_ char *again = image (f, P (f, "cache"));
  assert_string_equal (again, img);
  assert_int_equal (stat (img, &st), 0);
  assert_true (st.st_ino == ino);
  assert_int_equal (entries (P (f, "cache"), NULL, 0), 1);
  /* a new busybox: a new name, a second image */
  write_str (f->bb, "#!/a/newer/busybox\n", 0755);
  _cleanup_free_ char *newer = image (f, P (f, "cache"));
  assert_string_not_equal (newer, img);
  assert_int_equal (entries (P (f, "cache"), NULL, 0), 2);
}

static void
test_image_checked_before_use (void **state)
{
  struct fx *f = *state;
  _cleanup_free_ char *img = image (f, P (f, "cache"));
  char *out = NULL;
  al_error_t err = NULL;
  static const struct
  {
    const char *setup, *undo, *want;
  } cases[] = {
    { "chmod o+w %s/etc/hosts", "chmod o-w %s/etc/hosts",
      "etc/hosts is writable by group or others (owner uid 0, mode 0646): the image must belong to root" },
    { "chown 65534 %s/bin", "chown 0 %s/bin", "bin is owned by uid 65534" },
    { "ln -s /etc/shadow %s/etc/shadow", "rm %s/etc/shadow", "etc/shadow is neither a directory nor a regular file" },
    { "rm %s/bin/ls && cp %s/bin/busybox %s/bin/ls", "rm %s/bin/ls && ln %s/bin/busybox %s/bin/ls",
      "bin/ls is not a hard link of bin/busybox" },
    { "mkfifo %s/tmp/fifo", "rm %s/tmp/fifo", "tmp/fifo is neither a directory nor a regular file" },
    { "chmod g+w %s", "chmod g-w %s", ". is writable by group or others" },
    { "echo >>%s/bin/busybox", "truncate -s -1 %s/bin/busybox", "bin/busybox is not the copy of busybox" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char cmd[4 * PATH_MAX];
      snprintf (cmd, sizeof cmd, cases[i].setup, img, img, img);
      assert_int_equal (system (cmd), 0);
      if (al_sandbox_image (P (f, "cache"), f->bb, &out, &err) >= 0)
        fail_msg ("case %zu (%s): accepted", i, cases[i].setup);
      assert_null (out);
      char want[2 * PATH_MAX];
      snprintf (want, sizeof want, "sandbox image %s: %s", img, cases[i].want);
      if (strstr (err->msg, want) == NULL)
        fail_msg ("case %zu:\n got: %s\nwant: %s", i, err->msg, want);
      al_error_free (&err);
      snprintf (cmd, sizeof cmd, cases[i].undo, img, img, img);
      assert_int_equal (system (cmd), 0);
      _cleanup_free_ char *ok = image (f, P (f, "cache"));
    }
}

static void
test_busybox_source_checked (void **state)
{
  struct fx *f = *state;
  char *out = NULL;
  al_error_t err = NULL;
  assert_int_equal (chmod (f->bb, 0757), 0);
  assert_true (al_sandbox_image (P (f, "cache"), f->bb, &out, &err) < 0);
  assert_non_null (strstr (err->msg, "is writable by group or others (owner uid 0, mode 0757): refusing to copy it"));
  al_error_free (&err);
  assert_int_equal (chmod (f->bb, 0755), 0);
  assert_true (al_sandbox_image (P (f, "cache"), P (f, "nope"), &out, &err) < 0);
  assert_non_null (strstr (err->msg, "the default rootfs needs"));
  al_error_free (&err);
  assert_true (al_sandbox_image (P (f, "cache"), f->dir, &out, &err) < 0);
  assert_non_null (strstr (err->msg, "is not a regular file"));
  al_error_free (&err);
}

static void
test_concurrent_builds (void **state)
{
  struct fx *f = *state;
  for (int round = 0; round < 5; round++)
    {
      const char *cache = P (f, "cache%d", round);
      int go[2];
      assert_int_equal (pipe2 (go, O_CLOEXEC), 0);
      pid_t pids[6];
      for (int i = 0; i < 6; i++)
        {
          pids[i] = fork ();
          assert_true (pids[i] >= 0);
          if (pids[i] == 0)
            {
              close (go[1]);
              char c;
              if (read (go[0], &c, 1) != 0) /* all start when the pipe closes */
                _exit (3);
              char *out = NULL;
              al_error_t err = NULL;
              if (al_sandbox_image (cache, f->bb, &out, &err) < 0)
                {
                  fprintf (stderr, "%s\n", err->msg);
                  _exit (1);
                }
              _exit (0);
            }
        }
      close (go[0]);
      close (go[1]);
      for (int i = 0; i < 6; i++)
        {
          int status;
          assert_int_equal (waitpid (pids[i], &status, 0), pids[i]);
          assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
        }
      char name[256] = "";
      assert_int_equal (entries (cache, name, sizeof name), 1);
      assert_true (al_has_prefix (name, "sandbox-rootfs-"));
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_safe_dir_creates_and_resolves, setup, teardown),
    cmocka_unit_test_setup_teardown (test_safe_dir_refusals, setup, teardown),
    cmocka_unit_test_setup_teardown (test_remove_tree_never_follows, setup, teardown),
    cmocka_unit_test_setup_teardown (test_image_built_once, setup, teardown),
    cmocka_unit_test_setup_teardown (test_image_checked_before_use, setup, teardown),
    cmocka_unit_test_setup_teardown (test_busybox_source_checked, setup, teardown),
    cmocka_unit_test_setup_teardown (test_concurrent_builds, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
