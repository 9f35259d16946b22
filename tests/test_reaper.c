/* test_reaper.c: monitor registrations: a live monitor's is left alone (and
 * its id is taken), a dead one's is reaped with its temporary dir and the
 * state dir its create claimed, never another container's of the same id. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reaper.h"
#include "util.h"

static char root[64];

static int
setup (void **state)
{
  (void) state;
  strcpy (root, "/tmp/al-reaper.XXXXXX");
  assert_non_null (mkdtemp (root));
  return 0;
}

static int
teardown (void **state)
{
  (void) state;
  _cleanup_free_ char *cmd = al_xasprintf ("rm -rf %s", root);
  assert_int_equal (system (cmd), 0);
  return 0;
}

static bool
exists (const char *fmt, const char *arg)
{
  _cleanup_free_ char *p = al_xasprintf (fmt, root, arg);
  return access (p, F_OK) == 0;
}

/* A monitor that registers `id`, notes `dir`, claims root/id when `claim`,
 * and dies. */
static void
dead_monitor (const char *id, const char *dir, bool claim)
{
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      int lock;
      if (al_reaper_register (root, id, &lock, NULL) < 0)
        _exit (2);
      if (dir && al_reaper_note_dir (lock, dir, NULL) < 0)
        _exit (3);
      if (claim)
        {
          _cleanup_free_ char *sd = al_xasprintf ("%s/%s", root, id);
          if (mkdir (sd, 0700) < 0)
            _exit (4);
          int fd = open (sd, O_RDONLY | O_DIRECTORY);
          if (fd < 0 || al_reaper_claim (lock, fd, NULL) < 0)
            _exit (5);
        }
      _exit (0); /* SIGKILL or not: the kernel drops the lock */
    }
  int st;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
}

static void
test_live_monitor (void **state)
{
  (void) state;
  int lock;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_reaper_register (root, "live", &lock, &err), 0);
  assert_true (lock >= 0);
  assert_true (exists ("%s/" AL_REAPER_DIR "/%s", "live"));
  /* the id is taken while it lives */
  int other;
  assert_int_equal (al_reaper_register (root, "live", &other, &err), -EEXIST);
  assert_non_null (strstr (err->msg, "container \"live\" already exists"));
  al_error_free (&err);
  /* alive: not reaped */
  assert_int_equal (al_reap (root, NULL, NULL), 0);
  assert_int_equal (al_reap (root, "live", NULL), 0);
  assert_true (exists ("%s/" AL_REAPER_DIR "/%s", "live"));
  al_reaper_unregister (root, "live", &lock);
  assert_int_equal (lock, -1);
  assert_false (exists ("%s/" AL_REAPER_DIR "/%s", "live"));
  /* invalid ids are refused */
  assert_true (al_reaper_register (root, "../x", &other, &err) < 0);
  al_error_free (&err);
}

static void
test_dead_monitor (void **state)
{
  (void) state;
  char tmp[] = "/tmp/airlock-sandbox-test.XXXXXX";
  assert_non_null (mkdtemp (tmp));
  _cleanup_free_ char *cfg = al_xasprintf ("%s/config.json", tmp);
  assert_int_equal (al_write_file_at (AT_FDCWD, cfg, "{}", 2, 0600, NULL), 0);
  dead_monitor ("dead", tmp, true);
  assert_true (exists ("%s/%s", "dead"));
  assert_int_equal (al_reap (root, NULL, NULL), 1);
  assert_false (exists ("%s/%s", "dead"));
  assert_false (exists ("%s/" AL_REAPER_DIR "/%s", "dead"));
  assert_int_equal (access (tmp, F_OK), -1);
  /* and its id is free again */
  int lock;
  assert_int_equal (al_reaper_register (root, "dead", &lock, NULL), 0);
  al_reaper_unregister (root, "dead", &lock);
}

static void
test_dead_before_create (void **state)
{
  (void) state;
  /* Died before its create made the state dir: a container of that id that
     exists (someone else's) stays. */
  _cleanup_free_ char *sd = al_xasprintf ("%s/theirs", root);
  assert_int_equal (mkdir (sd, 0700), 0);
  dead_monitor ("theirs", NULL, false);
  assert_int_equal (al_reap (root, "theirs", NULL), 1);
  assert_true (exists ("%s/%s", "theirs"));
  assert_false (exists ("%s/" AL_REAPER_DIR "/%s", "theirs"));
}

static void
test_replaced_state_dir (void **state)
{
  (void) state;
  /* Its state dir was removed and another container made one of the same
     id: that one stays. */
  dead_monitor ("again", NULL, true);
  _cleanup_free_ char *sd = al_xasprintf ("%s/again", root);
  _cleanup_free_ char *keep = al_xasprintf ("%s/again.keep", root);
  /* a new directory (a new inode) under the same name */
  assert_int_equal (mkdir (keep, 0700), 0);
  assert_int_equal (rmdir (sd), 0);
  assert_int_equal (rename (keep, sd), 0);
  assert_int_equal (al_reap (root, NULL, NULL), 1);
  assert_true (exists ("%s/%s", "again"));
}

static void
test_regular_dir_not_removed (void **state)
{
  (void) state;
  /* A noted dir with more than config.json in it is left alone. */
  char tmp[] = "/tmp/airlock-sandbox-test.XXXXXX";
  assert_non_null (mkdtemp (tmp));
  _cleanup_free_ char *f = al_xasprintf ("%s/precious", tmp);
  assert_int_equal (al_write_file_at (AT_FDCWD, f, "x", 1, 0600, NULL), 0);
  dead_monitor ("busy", tmp, false);
  assert_int_equal (al_reap (root, NULL, NULL), 1);
  assert_int_equal (access (f, F_OK), 0);
  unlink (f);
  rmdir (tmp);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_live_monitor, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dead_monitor, setup, teardown),
    cmocka_unit_test_setup_teardown (test_dead_before_create, setup, teardown),
    cmocka_unit_test_setup_teardown (test_replaced_state_dir, setup, teardown),
    cmocka_unit_test_setup_teardown (test_regular_dir_not_removed, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
