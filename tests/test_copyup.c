/* test_copyup.c: copyup.c (al_copy_tree, the `tmpcopyup` mount option). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copyup.h"
#include "util.h"

struct fx
{
  char dir[64];
  int src, dst;
};

static int
setup (void **state)
{
  struct fx *fx = calloc (1, sizeof *fx);
  strcpy (fx->dir, "/tmp/al-copyup.XXXXXX");
  if (mkdtemp (fx->dir) == NULL)
    return -1;
  char p[PATH_MAX];
  snprintf (p, sizeof p, "%s/src", fx->dir);
  mkdir (p, 0755);
  fx->src = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  snprintf (p, sizeof p, "%s/dst", fx->dir);
  mkdir (p, 0755);
  fx->dst = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *state = fx;
  return fx->src >= 0 && fx->dst >= 0 ? 0 : -1;
}

static int
teardown (void **state)
{
  struct fx *fx = *state;
  close (fx->src);
  close (fx->dst);
  char cmd[128];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
  int r = system (cmd);
  free (fx);
  return r == 0 ? 0 : -1;
}

static void
write_at (int dir, const char *name, const char *text, mode_t mode)
{
  int fd = openat (dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, text, strlen (text)), (ssize_t) strlen (text));
  assert_int_equal (fchmod (fd, mode), 0);
  close (fd);
}

static void
test_copies_every_kind (void **state)
{
  struct fx *fx = *state;
  write_at (fx->src, "file", "hello\n", 0604);
  assert_int_equal (mkdirat (fx->src, "sub", 0700), 0);
  assert_int_equal (fchmodat (fx->src, "sub", 0751, 0), 0);
  int sub = openat (fx->src, "sub", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  write_at (sub, "inner", "x", 0600);
  close (sub);
  assert_int_equal (symlinkat ("/etc/shadow", fx->src, "abs"), 0);
  assert_int_equal (symlinkat ("sub", fx->src, "rel"), 0);
  assert_int_equal (mkfifoat (fx->src, "fifo", 0620), 0);
  assert_int_equal (fchmodat (fx->src, "fifo", 0620, 0), 0);

  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_copy_tree (fx->src, fx->dst, "mounts[0]", &err), 0);

  struct stat st;
  assert_int_equal (fstatat (fx->dst, "file", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISREG (st.st_mode));
  assert_int_equal (st.st_mode & 07777, 0604);
  assert_int_equal (st.st_size, 6);
  assert_int_equal (fstatat (fx->dst, "sub", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISDIR (st.st_mode));
  assert_int_equal (st.st_mode & 07777, 0751);
  assert_int_equal (fstatat (fx->dst, "sub/inner", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_int_equal (st.st_size, 1);
  assert_int_equal (fstatat (fx->dst, "fifo", &st, AT_SYMLINK_NOFOLLOW), 0);
  assert_true (S_ISFIFO (st.st_mode));
  assert_int_equal (st.st_mode & 07777, 0620);
  /* Links stay links, with their targets as written. */
  char t[64];
  ssize_t n = readlinkat (fx->dst, "abs", t, sizeof t - 1);
  assert_true (n > 0);
  t[n] = '\0';
  assert_string_equal (t, "/etc/shadow");
  n = readlinkat (fx->dst, "rel", t, sizeof t - 1);
  assert_true (n > 0);
  t[n] = '\0';
  assert_string_equal (t, "sub");
}

static void
test_depth_limit (void **state)
{
  struct fx *fx = *state;
  int d = fcntl (fx->src, F_DUPFD_CLOEXEC, 3);
  for (int i = 0; i < AL_COPYUP_MAX_DEPTH + 2; i++)
    {
      assert_int_equal (mkdirat (d, "d", 0755), 0);
      int n = openat (d, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      assert_true (n >= 0);
      close (d);
      d = n;
    }
  close (d);
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_copy_tree (fx->src, fx->dst, "mounts[3]", &err), -ELOOP);
  assert_non_null (strstr (err->msg, "mounts[3]: tmpcopyup: more than 128 levels deep"));
}

static void
test_errors_name_the_entry (void **state)
{
  struct fx *fx = *state;
  assert_int_equal (mkdirat (fx->src, "a", 0755), 0);
  int a = openat (fx->src, "a", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  write_at (a, "f", "x", 0644);
  close (a);
  /* Already there in the target: the copy cannot be created. */
  assert_int_equal (mkdirat (fx->dst, "a", 0755), 0);
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_copy_tree (fx->src, fx->dst, "mounts[1] (tmpfs -> /r/tmp)", &err), -EEXIST);
  assert_non_null (strstr (err->msg, "mounts[1] (tmpfs -> /r/tmp): tmpcopyup: create the copy of \"/a\""));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_copies_every_kind, setup, teardown),
    cmocka_unit_test_setup_teardown (test_depth_limit, setup, teardown),
    cmocka_unit_test_setup_teardown (test_errors_name_the_entry, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
