/* test_bindcheck.c: bindcheck.c: a bind source checked on what it resolves
 * to (symlinks, chains, "..", magic links, hard links, another mount of a
 * denied directory, device nodes, directories above a denied path, plain
 * binds that stop at a mount point), each refusal with its exact message.
 * Cases that mount run in a forked child in a private mount namespace. Run
 * as root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

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
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bindcheck.h"
#include "util.h"

struct fx
{
  char dir[64]; /* /tmp/al-bind-XXXXXX */
  char denied[PATH_MAX], secret[PATH_MAX];
  struct al_bind_policy pol;
  char *denied_v[4];
};

static char *
P (struct fx *f, const char *rel)
{
  static char bufs[8][PATH_MAX];
  static int n;
  char *b = bufs[n++ % 8];
  snprintf (b, PATH_MAX, "%s/%s", f->dir, rel);
  return b;
}

static int
setup (void **state)
{
  struct fx *f = calloc (1, sizeof (*f));
  strcpy (f->dir, "/tmp/al-bind-XXXXXX");
  if (mkdtemp (f->dir) == NULL)
    return -1;
  /* denied: a directory with a file, and a lone file */
  snprintf (f->denied, sizeof f->denied, "%s/denied", f->dir);
  snprintf (f->secret, sizeof f->secret, "%s/secret", f->dir);
  if (mkdir (f->denied, 0755) < 0 || mkdir (P (f, "ok"), 0755) < 0 || mkdir (P (f, "ok/sub"), 0755) < 0)
    return -1;
  int fd = open (P (f, "denied/key"), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  int fd2 = open (f->secret, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || fd2 < 0)
    return -1;
  close (fd);
  close (fd2);
  f->denied_v[0] = f->denied;
  f->denied_v[1] = f->secret;
  f->denied_v[2] = P (f, "missing/below");
  f->denied_v[2] = strdup (f->denied_v[2]);
  f->pol.profile = "test";
  f->pol.denied_paths = f->denied_v;
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
  nftw (f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  free (f->denied_v[2]);
  free (f);
  return 0;
}

/* Open `src` under the policy; expect a refusal whose message is `want`
   (NULL: success, and the fd is `src`'s target). */
static void
expect (struct fx *f, const char *src, bool recursive, const char *want)
{
  _cleanup_bind_guard_ struct al_bind_guard *g = al_bind_guard_new (&f->pol);
  al_error_t err = NULL;
  int fd = -1;
  int r = al_bind_source_open (g, 3, src, src, "/dst", recursive, false, &fd, &err);
  if (want == NULL)
    {
      if (r < 0)
        fail_msg ("%s: refused: %s", src, err->msg);
      struct stat a, b;
      assert_int_equal (fstat (fd, &a), 0);
      assert_int_equal (stat (src, &b), 0);
      assert_true (a.st_dev == b.st_dev && a.st_ino == b.st_ino);
      close (fd);
      return;
    }
  if (r >= 0)
    fail_msg ("%s: accepted, expected: %s", src, want);
  assert_int_equal (fd, -1);
  if (strcmp (err->msg, want) != 0)
    fail_msg ("%s:\n got: %s\nwant: %s", src, err->msg, want);
  al_error_free (&err);
}

static char *
msg (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static char *
msg (const char *fmt, ...)
{
  static char bufs[4][2 * PATH_MAX];
  static int n;
  char *b = bufs[n++ % 4];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (b, 2 * PATH_MAX, fmt, ap);
  va_end (ap);
  return b;
}

#define KEEPS "which the profile keeps from containers"

static void
test_no_policy_opens_anything (void **state)
{
  struct fx *f = *state;
  assert_int_equal (symlink (f->denied, P (f, "l")), 0);
  int fd = -1;
  al_error_t err = NULL;
  assert_null (al_bind_guard_new (NULL));
  assert_int_equal (al_bind_source_open (NULL, 0, P (f, "l"), "l", "/d", true, false, &fd, &err), 0);
  struct stat a, b;
  assert_int_equal (fstat (fd, &a), 0);
  assert_int_equal (stat (f->denied, &b), 0);
  assert_true (a.st_ino == b.st_ino);
  close (fd);
  /* a missing source: the open error, by index and path */
  assert_true (al_bind_source_open (NULL, 2, P (f, "nope"), "nope", "/d", false, false, &fd, &err) < 0);
  assert_string_equal (err->msg, msg ("mounts[2].source \"%s\": No such file or directory", P (f, "nope")));
  al_error_free (&err);
  /* missing_ok: no error, no fd */
  assert_int_equal (al_bind_source_open (NULL, 2, P (f, "nope"), "nope", "/d", false, true, &fd, &err), 0);
  assert_int_equal (fd, -1);
}

static void
test_symlinks_and_climbs (void **state)
{
  struct fx *f = *state;
  assert_int_equal (symlink (f->denied, P (f, "l1")), 0);
  assert_int_equal (symlink (P (f, "l1"), P (f, "l2")), 0);
  assert_int_equal (symlink ("l2", P (f, "l3")), 0);
  assert_int_equal (symlink (f->secret, P (f, "ls")), 0);
  expect (f, P (f, "l3"), true,
          msg ("profile \"test\": mounts[3] (%s -> /dst): %s resolves to %s, " KEEPS, P (f, "l3"), P (f, "l3"),
               f->denied));
  expect (f, P (f, "l1/key"), false,
          msg ("profile \"test\": mounts[3] (%s -> /dst): %s resolves to %s/key, inside %s, " KEEPS, P (f, "l1/key"),
               P (f, "l1/key"), f->denied, f->denied));
  expect (f, P (f, "ls"), false,
          msg ("profile \"test\": mounts[3] (%s -> /dst): %s resolves to %s, " KEEPS, P (f, "ls"), P (f, "ls"),
               f->secret));
  expect (f, P (f, "ok/sub/../../denied"), false,
          msg ("profile \"test\": mounts[3] (%s -> /dst): %s resolves to %s, " KEEPS, P (f, "ok/sub/../../denied"),
               P (f, "ok/sub/../../denied"), f->denied));
  /* allowed, through a symlink too */
  assert_int_equal (symlink (P (f, "ok"), P (f, "lok")), 0);
  expect (f, P (f, "lok"), true, NULL);
  expect (f, P (f, "ok/sub"), true, NULL);
}

static void
test_magic_links (void **state)
{
  struct fx *f = *state;
  char target[PATH_MAX];
  snprintf (target, sizeof target, "/proc/self/root%s", P (f, "ok"));
  assert_int_equal (symlink (target, P (f, "m1")), 0);
  assert_int_equal (symlink ("/proc/self/cwd", P (f, "m2")), 0);
  for (int i = 0; i < 2; i++)
    {
      const char *src = P (f, i ? "m2" : "m1");
      expect (f, src, false,
              msg ("profile \"test\": mounts[3] (%s -> /dst): %s resolves through a /proc magic link (such as "
                   "/proc/PID/root or /proc/PID/fd/N): the profile allows only plain paths as bind sources",
                   src, src));
    }
  /* the magic link refusal holds with missing_ok (the early check) */
  _cleanup_bind_guard_ struct al_bind_guard *g = al_bind_guard_new (&f->pol);
  al_error_t err = NULL;
  int fd = -1;
  assert_true (al_bind_source_open (g, 0, P (f, "m1"), "m1", "/d", false, true, &fd, &err) < 0);
  al_error_free (&err);
}

static void
test_same_thing_another_name (void **state)
{
  struct fx *f = *state;
  assert_int_equal (link (f->secret, P (f, "hard")), 0);
  expect (f, P (f, "hard"), false,
          msg ("profile \"test\": mounts[3] (%s -> /dst): %s resolves to %s, which is %s under another name (a hard "
               "link or another mount of it), " KEEPS,
               P (f, "hard"), P (f, "hard"), P (f, "hard"), f->secret));
}

static void
test_devices (void **state)
{
  struct fx *f = *state;
  assert_int_equal (mknod (P (f, "null"), S_IFCHR | 0666, makedev (1, 3)), 0);
  assert_int_equal (mknod (P (f, "loop"), S_IFBLK | 0600, makedev (7, 0)), 0);
  expect (f, P (f, "null"), false,
          msg ("profile \"test\": mounts[3] (%s -> /dst): %s resolves to %s, a device node (c 1:3): the profile "
               "allows no device as a bind source (a device goes in linux.devices)",
               P (f, "null"), P (f, "null"), P (f, "null")));
  expect (f, P (f, "loop"), false,
          msg ("profile \"test\": mounts[3] (%s -> /dst): %s resolves to %s, a device node (b 7:0): the profile "
               "allows no device as a bind source (a device goes in linux.devices)",
               P (f, "loop"), P (f, "loop"), P (f, "loop")));
}

static void
test_parents (void **state)
{
  struct fx *f = *state;
  /* f->dir holds denied/ and secret on its own filesystem: a plain bind
     shows them, a recursive one too. The first denied path wins. */
  expect (f, f->dir, false,
          msg ("profile \"test\": mounts[3] (%s -> /dst): %s resolves to %s, whose bind would show %s, " KEEPS, f->dir,
               f->dir, f->dir, f->denied));
  expect (f, f->dir, true,
          msg ("profile \"test\": mounts[3] (%s -> /dst): %s resolves to %s: a recursive bind would bring %s, " KEEPS,
               f->dir, f->dir, f->dir, f->denied));
  /* a missing denied path below: refused by its path (it may appear) */
  f->denied_v[0] = f->denied_v[2];
  f->denied_v[1] = NULL;
  assert_int_equal (mkdir (P (f, "missing"), 0755), 0);
  expect (f, P (f, "missing"), false,
          msg ("profile \"test\": mounts[3] (%s -> /dst): %s resolves to %s, which would show %s, " KEEPS,
               P (f, "missing"), P (f, "missing"), P (f, "missing"), f->denied_v[2]));
  expect (f, P (f, "ok"), true, NULL);
}

static void
test_unsearchable_denied_dir (void **state)
{
  /* As a user who may not search the denied directory (a container's
     mapped root before a 0700 host directory): its place is still known
     (its parent by name), so the refusal is by identity, not by path. */
  struct fx *f = *state;
  assert_int_equal (chmod (f->dir, 0755), 0);
  assert_int_equal (chmod (f->denied, 0700), 0);
  f->denied_v[1] = NULL;
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      if (setresgid (65534, 65534, 65534) < 0 || setresuid (65534, 65534, 65534) < 0)
        _exit (2);
      _cleanup_bind_guard_ struct al_bind_guard *g = al_bind_guard_new (&f->pol);
      al_error_t err = NULL;
      int fd = -1;
      int r = al_bind_source_open (g, 0, f->dir, f->dir, "/d", false, false, &fd, &err);
      const char *want = msg ("%s resolves to %s, whose bind would show %s, " KEEPS, f->dir, f->dir, f->denied);
      if (r >= 0 || strstr (err->msg, want) == NULL)
        {
          fprintf (stderr, "got: %s\nwant: %s\n", r >= 0 ? "accepted" : err->msg, want);
          _exit (1);
        }
      _exit (0);
    }
  int status;
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

/* ---- mounts, in a child ---- */

static int report_fd = -1;

#define CHECK(c)                                                                                                  \
  do                                                                                                              \
    {                                                                                                             \
      if (!(c))                                                                                                   \
        {                                                                                                         \
          dprintf (report_fd, "%s:%d: CHECK(%s) failed (errno: %s)\n", __FILE__, __LINE__, #c, strerror (errno)); \
          _exit (1);                                                                                              \
        }                                                                                                         \
    }                                                                                                             \
  while (0)

/* Under the policy: 0 (accepted) or the refusal's message contains `needle`. */
static bool
child_open (struct fx *f, const char *src, bool rec, const char *needle)
{
  _cleanup_bind_guard_ struct al_bind_guard *g = al_bind_guard_new (&f->pol);
  al_error_t err = NULL;
  int fd = -1;
  int r = al_bind_source_open (g, 0, src, src, "/d", rec, false, &fd, &err);
  if (fd >= 0)
    close (fd);
  bool ok = needle ? (r < 0 && strstr (err->msg, needle) != NULL) : r == 0;
  if (!ok)
    dprintf (report_fd, "%s (%s): %s\n", src, rec ? "rbind" : "bind", err ? err->msg : "accepted");
  al_error_free (&err);
  return ok;
}

static void
child_mounts (struct fx *f)
{
  CHECK (unshare (CLONE_NEWNS) == 0);
  CHECK (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
  /* denied/ becomes a mount of its own, with nothing else denied: a plain
     bind of the parent stops at the mount point, a recursive one brings it */
  f->denied_v[1] = NULL;
  CHECK (mount ("tmpfs", f->denied, "tmpfs", 0, "size=1m") == 0);
  CHECK (child_open (f, f->dir, false, NULL));
  CHECK (child_open (f, f->dir, true, "a recursive bind would bring"));
  /* another mount of the denied directory, elsewhere: the same thing */
  CHECK (mkdir (P (f, "ok/alias"), 0755) == 0);
  CHECK (mount (f->denied, P (f, "ok/alias"), NULL, MS_BIND, NULL) == 0);
  CHECK (child_open (f, P (f, "ok/alias"), false, "under another name"));
  CHECK (mkdir (P (f, "ok/alias/inner"), 0755) == 0);
  CHECK (child_open (f, P (f, "ok/alias/inner"), false, "reached under another name"));
  /* the directory holding that alias: the alias is a mount below it */
  CHECK (child_open (f, P (f, "ok"), false, NULL));
  CHECK (child_open (f, P (f, "ok"), true, "a recursive bind would bring the mount at"));
  CHECK (umount (P (f, "ok/alias")) == 0);
  CHECK (child_open (f, P (f, "ok"), true, NULL));
  /* another proc mounted elsewhere, with /proc denied: refused as a
     source, and as a mount a recursive bind would bring */
  f->denied_v[1] = "/proc";
  CHECK (mkdir (P (f, "ok/p"), 0755) == 0);
  CHECK (mount ("proc", P (f, "ok/p"), "proc", 0, NULL) == 0);
  CHECK (child_open (f, P (f, "ok/p"), false, "on a proc filesystem like /proc, which the profile keeps"));
  CHECK (child_open (f, P (f, "ok/p/self"), false, "on a proc filesystem like /proc"));
  CHECK (child_open (f, P (f, "ok"), true, "a recursive bind would bring the mount at "));
  CHECK (child_open (f, P (f, "ok"), true, "/ok/p, a proc filesystem like /proc, which the profile keeps"));
  CHECK (child_open (f, P (f, "ok"), false, NULL));
  _exit (0);
}

static void
test_mounts (void **state)
{
  struct fx *f = *state;
  int p[2];
  assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (p[0]);
      report_fd = p[1];
      child_mounts (f);
    }
  close (p[1]);
  char buf[4096];
  ssize_t n = al_read_all (p[0], buf, sizeof buf - 1);
  close (p[0]);
  buf[n > 0 ? n : 0] = '\0';
  int status;
  assert_int_equal (waitpid (pid, &status, 0), pid);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0 || buf[0])
    fail_msg ("child failed (status %d): %s", status, buf);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_no_policy_opens_anything, setup, teardown),
    cmocka_unit_test_setup_teardown (test_symlinks_and_climbs, setup, teardown),
    cmocka_unit_test_setup_teardown (test_magic_links, setup, teardown),
    cmocka_unit_test_setup_teardown (test_same_thing_another_name, setup, teardown),
    cmocka_unit_test_setup_teardown (test_devices, setup, teardown),
    cmocka_unit_test_setup_teardown (test_parents, setup, teardown),
    cmocka_unit_test_setup_teardown (test_unsearchable_denied_dir, setup, teardown),
    cmocka_unit_test_setup_teardown (test_mounts, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
