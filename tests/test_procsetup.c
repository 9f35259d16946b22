/* test_procsetup.c: the steps that keep a container process off the host
 * before it runs anything: al_proc_close_fds (every fd but a keep-list) and
 * al_proc_enter_cwd / al_proc_check_cwd (process.cwd resolved, created and
 * checked inside the root). Each test runs in a forked child (it closes fds,
 * chroots, mounts in a private mount namespace); the child prints what
 * failed and exits 1. */
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
#include <sys/wait.h>
#include <unistd.h>

#include <seccomp.h>

#include "procsetup.h"
#include "util.h"

#define CHECK(c)                                                                                                  \
  do                                                                                                              \
    {                                                                                                             \
      if (!(c))                                                                                                   \
        {                                                                                                         \
          dprintf (2, "%s:%d: CHECK(%s) failed (errno: %s)\n", __FILE__, __LINE__, #c, strerror (errno));      \
          _exit (1);                                                                                              \
        }                                                                                                         \
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
          dprintf (2, "%s:%d: %s: expected an error with \"%s\", got %d: %s\n", __FILE__, __LINE__, #fn, needle, \
                   _r, _err ? _err->msg : "(none)");                                                              \
          _exit (1);                                                                                              \
        }                                                                                                         \
      al_error_free (&_err);                                                                                      \
    }                                                                                                             \
  while (0)

#define CHECK_OK(fn, ...)                                                                                         \
  do                                                                                                              \
    {                                                                                                             \
      al_error_t _err = NULL;                                                                                     \
      if (fn (__VA_ARGS__, &_err) < 0)                                                                            \
        {                                                                                                         \
          dprintf (2, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #fn, _err ? _err->msg : "?");               \
          _exit (1);                                                                                              \
        }                                                                                                         \
      al_error_free (&_err);                                                                                      \
    }                                                                                                             \
  while (0)

static void
run_child (void (*body) (void *), void *arg)
{
  fflush (NULL);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      body (arg);
      _exit (0);
    }
  int st = 0;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
}

static bool
is_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0;
}

/* ---- al_proc_close_fds ---- */

static void
close_fds_body (void *arg)
{
  (void) arg;
  int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  CHECK (null >= 0);
  static const int placed[] = { 3, 4, 5, 9, 10, 11, 40, 300, 1000 };
  for (size_t i = 0; i < sizeof placed / sizeof placed[0]; i++)
    if (placed[i] != null)
      CHECK (dup2 (null, placed[i]) == placed[i]);
  /* Kept: below 4 (stdio and one preserved fd), 10, 40 and 1000; the list
     unsorted, with a duplicate and unused slots. */
  int keep[] = { 1000, -1, 40, 10, 40, -1 };
  CHECK_OK (al_proc_close_fds, 4, keep, sizeof keep / sizeof keep[0]);
  CHECK (is_open (0) || errno == EBADF); /* whatever stdio the runner gave us */
  CHECK (is_open (3));
  CHECK (!is_open (4));
  CHECK (!is_open (5));
  CHECK (!is_open (9));
  CHECK (is_open (10));
  CHECK (!is_open (11));
  CHECK (is_open (40));
  CHECK (!is_open (300));
  CHECK (is_open (1000));
  /* Nothing kept above stdio. */
  CHECK_OK (al_proc_close_fds, 3, NULL, 0);
  for (int fd = 3; fd < 1100; fd++)
    CHECK (!is_open (fd));
}

static void
test_close_fds (void **state)
{
  (void) state;
  run_child (close_fds_body, NULL);
}

/* Without close_range (kernel < 5.9, emulators): the same, one close a slot. */
static void
close_fds_fallback_body (void *arg)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  CHECK (ctx != NULL);
  CHECK (seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (close_range), 0) == 0);
  CHECK (seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 1) == 0);
  CHECK (seccomp_load (ctx) == 0);
  seccomp_release (ctx);
  close_fds_body (arg);
}

static void
test_close_fds_fallback (void **state)
{
  (void) state;
  run_child (close_fds_fallback_body, NULL);
}

/* ---- al_proc_enter_cwd / al_proc_check_cwd ---- */

struct root_fx
{
  char root[64]; /* /tmp/al-procsetup-XXXXXX: the "container" root */
  char host[64]; /* /tmp/al-procsetup-host-XXXXXX: a host dir outside it */
};

static int
setup_root (void **state)
{
  struct root_fx *fx = calloc (1, sizeof *fx);
  strcpy (fx->root, "/tmp/al-procsetup-XXXXXX");
  strcpy (fx->host, "/tmp/al-procsetup-host-XXXXXX");
  assert_non_null (mkdtemp (fx->root));
  assert_non_null (mkdtemp (fx->host));
  *state = fx;
  return 0;
}

static int
rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) flag;
  (void) ftw;
  return remove (path);
}

static int
teardown_root (void **state)
{
  struct root_fx *fx = *state;
  nftw (fx->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  nftw (fx->host, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free (fx);
  return 0;
}

static void
enter_cwd_body (void *arg)
{
  struct root_fx *fx = arg;
  char p[PATH_MAX];
  /* In the root: a dir, a symlink climbing out with "..", one to an
     absolute host path, a loop, a regular file; /proc of its own. */
  snprintf (p, sizeof p, "%s/dir", fx->root);
  CHECK (mkdir (p, 0755) == 0);
  snprintf (p, sizeof p, "%s/up", fx->root);
  CHECK (symlink ("../../../../../../..", p) == 0);
  snprintf (p, sizeof p, "%s/abs", fx->root);
  CHECK (symlink (fx->host, p) == 0);
  snprintf (p, sizeof p, "%s/loop", fx->root);
  CHECK (symlink ("loop", p) == 0);
  snprintf (p, sizeof p, "%s/file", fx->root);
  int f = open (p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  CHECK (f >= 0);
  close (f);
  snprintf (p, sizeof p, "%s/proc", fx->root);
  CHECK (mkdir (p, 0755) == 0);
  CHECK (unshare (CLONE_NEWNS) == 0);
  CHECK (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
  CHECK (mount ("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0);

  /* A host directory fd held across the chroot, as a leaked one would be. */
  int hostfd = open (fx->host, O_PATH | O_DIRECTORY); /* not O_CLOEXEC: leaked */
  CHECK (hostfd >= 0);
  CHECK (chdir (fx->root) == 0 && chroot (".") == 0 && chdir ("/") == 0);

  char buf[PATH_MAX];
  CHECK_OK (al_proc_enter_cwd, "/dir", false);
  CHECK (getcwd (buf, sizeof buf) && strcmp (buf, "/dir") == 0);
  /* ".." and an absolute symlink stay inside; missing parts are created
     inside with `create`, refused without. */
  CHECK_FAILS ("process.cwd \"/up/made/deeper\": No such file or directory", al_proc_enter_cwd, "/up/made/deeper",
               false);
  CHECK_OK (al_proc_enter_cwd, "/up/made/deeper", true);
  CHECK (getcwd (buf, sizeof buf) && strcmp (buf, "/made/deeper") == 0);
  CHECK_OK (al_proc_enter_cwd, "/abs/new", true);
  snprintf (p, sizeof p, "%s/new", fx->host); /* the host path, made inside the root */
  CHECK (getcwd (buf, sizeof buf) && strcmp (buf, p) == 0);
  /* Magic links of /proc: the leaked fd, our cwd, our root. */
  snprintf (p, sizeof p, "/proc/self/fd/%d", hostfd);
  CHECK_FAILS ("goes through a magic link", al_proc_enter_cwd, p, true);
  CHECK_FAILS ("goes through a magic link", al_proc_enter_cwd, p, false);
  snprintf (p, sizeof p, "/proc/self/fd/%d/sub", hostfd);
  CHECK_FAILS ("goes through a magic link", al_proc_enter_cwd, p, true);
  CHECK_FAILS ("goes through a magic link", al_proc_enter_cwd, "/proc/self/cwd", false);
  CHECK_FAILS ("goes through a magic link", al_proc_enter_cwd, "/proc/self/root/..", false);
  CHECK_FAILS ("or a symlink loop", al_proc_enter_cwd, "/loop", true);
  CHECK_FAILS ("process.cwd \"/file\": chdir: Not a directory", al_proc_enter_cwd, "/file", false);
  /* Nothing was made in the host dir. */
  CHECK (faccessat (hostfd, "sub", F_OK, 0) < 0 && errno == ENOENT);
  CHECK (faccessat (hostfd, "new", F_OK, 0) < 0 && errno == ENOENT);

  /* A cwd outside the root (what a leaked fd would give): refused. */
  CHECK_OK (al_proc_check_cwd, "/dir");
  CHECK (fchdir (hostfd) == 0);
  CHECK_FAILS ("process.cwd \"/x\": resolves outside the container's root: refusing to run", al_proc_check_cwd, "/x");
}

static void
test_enter_cwd (void **state)
{
  run_child (enter_cwd_body, *state);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_close_fds),
    cmocka_unit_test (test_close_fds_fallback),
    cmocka_unit_test_setup_teardown (test_enter_cwd, setup_root, teardown_root),
  };
  if (geteuid () != 0)
    {
      fprintf (stderr, "# skip: test_procsetup needs root (chroot, mount): only the close_fds tests run\n");
      const struct CMUnitTest some[] = { cmocka_unit_test (test_close_fds), cmocka_unit_test (test_close_fds_fallback) };
      return cmocka_run_group_tests (some, NULL, NULL);
    }
  return cmocka_run_group_tests (tests, NULL, NULL);
}
