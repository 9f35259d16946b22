/* test_cgroup_devices.c: cgroup_devices.c unit tests. Run as root on a host
 * with a cgroup2 mount (pure v2, or the unified tree of a hybrid host). Each
 * test makes its own cgroup under the mount root, attaches rules, and checks
 * the verdicts from a forked child that moved itself into the cgroup. The
 * teardown waits for the child and removes the cgroup even when a check
 * failed. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"
#include "cgroup_devices.h"
#include "error.h"
#include "util.h"

struct fixture
{
  char *dir;    /* cgroup directory */
  char *tmp;    /* scratch directory for mknod */
  int dirfd;
};

static int counter;

static int
setup (void **state)
{
  _cleanup_free_ char *mount = NULL;
  al_error_t err = NULL;
  if (al_cgroup_find_mount (&mount, &err) < 0)
    {
      fprintf (stderr, "no cgroup2 mount: %s\n", err->msg);
      al_error_free (&err);
      return -1;
    }
  struct fixture *f = al_xmalloc0 (sizeof *f);
  f->dir = al_xasprintf ("%s/airlock-devtest-%d-%d", mount, (int) getpid (), ++counter);
  f->tmp = al_xasprintf ("/tmp/airlock-devtest-%d-%d", (int) getpid (), counter);
  if (mkdir (f->dir, 0755) < 0 || mkdir (f->tmp, 0700) < 0)
    {
      fprintf (stderr, "mkdir %s or %s: %s\n", f->dir, f->tmp, strerror (errno));
      rmdir (f->dir);
      free (f->dir);
      free (f->tmp);
      free (f);
      return -1;
    }
  f->dirfd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *state = f;
  return f->dirfd < 0 ? -1 : 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  if (f == NULL)
    return 0;
  if (f->dirfd >= 0)
    close (f->dirfd);
  /* The children are reaped by run_in(): the cgroup is empty, but its
   * removal may race with the last exit for a moment. */
  for (int i = 0; i < 100 && rmdir (f->dir) < 0 && errno == EBUSY; i++)
    usleep (10000);
  _cleanup_free_ char *node = al_xasprintf ("%s/node", f->tmp);
  unlink (node);
  rmdir (f->tmp);
  free (f->dir);
  free (f->tmp);
  free (f);
  return 0;
}

/* ---- probes, run in a child inside the cgroup ------------------------- */

struct probe
{
  enum { P_OPEN, P_MKNOD } kind;
  const char *path;
  int flags;
  mode_t type; /* S_IFCHR or S_IFBLK */
  unsigned major, minor;
};

/* 0 when the operation worked, else its errno (as the child's exit code). */
static int
run_in (struct fixture *f, struct probe p)
{
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      int fd = open (f->dir, O_RDONLY | O_DIRECTORY);
      if (fd < 0 || al_write_file_at (fd, "cgroup.procs", "0", 1, 0, NULL) < 0)
        _exit (250);
      if (p.kind == P_OPEN)
        {
          int o = open (p.path, p.flags | O_CLOEXEC);
          _exit (o < 0 ? errno : 0);
        }
      _cleanup_free_ char *node = al_xasprintf ("%s/node", f->tmp);
      unlink (node);
      int r = mknod (node, p.type | 0600, makedev (p.major, p.minor));
      int e = errno;
      unlink (node);
      _exit (r < 0 ? e : 0);
    }
  int status;
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_not_equal (WEXITSTATUS (status), 250);
  return WEXITSTATUS (status);
}

static int
op (struct fixture *f, const char *path, int flags)
{
  return run_in (f, (struct probe){ .kind = P_OPEN, .path = path, .flags = flags });
}

static int
mk (struct fixture *f, mode_t type, unsigned major, unsigned minor)
{
  return run_in (f, (struct probe){ .kind = P_MKNOD, .type = type, .major = major, .minor = minor });
}

#define R(allow_, type_, major_, minor_, access_)                                                                      \
  {                                                                                                                    \
    .allow = (allow_), .type = (type_), .major = (major_), .minor = (minor_), .access = (char *) (access_)             \
  }
#define DENY_ALL R (false, 'a', -1, -1, "rwm")
#define ALLOW_ALL R (true, 'a', -1, -1, "rwm")

static void
attach_ok (struct fixture *f, const struct oci_device_cgroup *rules, size_t n)
{
  al_error_t err = NULL;
  int r = al_cgroup_devices_attach (f->dirfd, rules, n, &err);
  if (r < 0)
    fail_msg ("attach: %s", err->msg);
}

#define ATTACH(f, ...)                                                                                                 \
  do                                                                                                                   \
    {                                                                                                                  \
      const struct oci_device_cgroup rules_[] = { __VA_ARGS__ };                                                       \
      attach_ok ((f), rules_, sizeof rules_ / sizeof rules_[0]);                                                       \
    }                                                                                                                  \
  while (0)

/* ---- tests -------------------------------------------------------------- */

static void
test_deny_all_allow_null (void **state)
{
  struct fixture *f = *state;
  ATTACH (f, DENY_ALL, R (true, 'c', 1, 3, "rw"));
  assert_int_equal (op (f, "/dev/null", O_RDWR), 0);
  assert_int_equal (op (f, "/dev/null", O_RDONLY), 0);
  assert_int_equal (op (f, "/dev/zero", O_RDONLY), EPERM);
  assert_int_equal (op (f, "/dev/full", O_WRONLY), EPERM);
  /* No 'm': mknod of the same device is refused. */
  assert_int_equal (mk (f, S_IFCHR, 1, 3), EPERM);
}

static void
test_mknod_by_m (void **state)
{
  struct fixture *f = *state;
  ATTACH (f, DENY_ALL, R (true, 'c', 1, 3, "m"));
  assert_int_equal (mk (f, S_IFCHR, 1, 3), 0);
  assert_int_equal (mk (f, S_IFCHR, 1, 5), EPERM);
  assert_int_equal (mk (f, S_IFBLK, 1, 3), EPERM); /* type matters */
  assert_int_equal (op (f, "/dev/null", O_RDONLY), EPERM);
}

static void
test_access_subset (void **state)
{
  struct fixture *f = *state;
  /* Every requested bit must be granted by one rule: rw is two bits. */
  ATTACH (f, DENY_ALL, R (true, 'c', 1, 3, "r"), R (true, 'c', 1, 5, NULL));
  assert_int_equal (op (f, "/dev/null", O_RDONLY), 0);
  assert_int_equal (op (f, "/dev/null", O_WRONLY), EPERM);
  assert_int_equal (op (f, "/dev/null", O_RDWR), EPERM);
  /* access NULL = rwm */
  assert_int_equal (op (f, "/dev/zero", O_RDWR), 0);
  assert_int_equal (mk (f, S_IFCHR, 1, 5), 0);
}

static void
test_wildcards (void **state)
{
  struct fixture *f = *state;
  ATTACH (f, DENY_ALL, R (true, 'c', -1, 5, "rw"), R (true, 'c', 1, -1, "r"), R (true, 'b', -1, -1, "m"));
  assert_int_equal (op (f, "/dev/zero", O_RDWR), 0);   /* *:5 */
  assert_int_equal (op (f, "/dev/null", O_RDONLY), 0); /* 1:* r */
  assert_int_equal (op (f, "/dev/null", O_WRONLY), EPERM);
  assert_int_equal (mk (f, S_IFBLK, 7, 0), 0);   /* b *:* m */
  assert_int_equal (mk (f, S_IFBLK, 259, 3), 0); /* any major */
  assert_int_equal (mk (f, S_IFCHR, 7, 0), EPERM);
}

static void
test_last_match_wins (void **state)
{
  struct fixture *f = *state;
  ATTACH (f, DENY_ALL, R (true, 'c', 1, 3, "rw"), R (false, 'c', 1, 3, "w"));
  assert_int_equal (op (f, "/dev/null", O_RDONLY), 0);
  assert_int_equal (op (f, "/dev/null", O_WRONLY), EPERM);

  ATTACH (f, DENY_ALL, R (false, 'c', 1, 3, "rw"), R (true, 'c', 1, 3, "rw"));
  assert_int_equal (op (f, "/dev/null", O_RDWR), 0);

  ATTACH (f, DENY_ALL, R (true, 'c', 1, 3, "rw"), R (false, 'c', 1, 3, "rw"));
  assert_int_equal (op (f, "/dev/null", O_RDONLY), EPERM);

  /* Allow-list mode: deny rules are the exceptions. */
  ATTACH (f, ALLOW_ALL, R (false, 'c', 1, 5, "rwm"));
  assert_int_equal (op (f, "/dev/null", O_RDWR), 0);
  assert_int_equal (op (f, "/dev/zero", O_RDONLY), EPERM);

  ATTACH (f, ALLOW_ALL, R (false, 'c', 1, -1, "w"), R (true, 'c', 1, -1, "w"));
  assert_int_equal (op (f, "/dev/zero", O_RDWR), 0);
}

static void
test_type_a (void **state)
{
  struct fixture *f = *state;
  ATTACH (f, ALLOW_ALL);
  assert_int_equal (op (f, "/dev/zero", O_RDWR), 0);
  assert_int_equal (mk (f, S_IFBLK, 7, 0), 0);

  /* An 'a' rule resets whatever came before, whatever its access. */
  ATTACH (f, R (true, 'c', 1, 3, "rwm"), R (false, 'a', -1, -1, "r"));
  assert_int_equal (op (f, "/dev/null", O_WRONLY), EPERM);
  ATTACH (f, DENY_ALL, R (true, 'c', 1, 3, "rwm"), ALLOW_ALL);
  assert_int_equal (op (f, "/dev/zero", O_RDONLY), 0);
  /* An absent type means 'a'. */
  ATTACH (f, R (true, '\0', -1, -1, NULL), R (false, 'c', 1, 5, "r"));
  assert_int_equal (op (f, "/dev/zero", O_RDONLY), EPERM);
  assert_int_equal (op (f, "/dev/null", O_RDONLY), 0);

  /* No rule at all: deny everything (the state before any 'a' rule). */
  attach_ok (f, NULL, 0);
  assert_int_equal (op (f, "/dev/null", O_RDONLY), EPERM);
}

static void
test_replace (void **state)
{
  struct fixture *f = *state;
  al_error_t err = NULL;
  size_t total = 0, ours = 0;
  ATTACH (f, DENY_ALL, R (true, 'c', 1, 3, "rwm"));
  assert_int_equal (op (f, "/dev/null", O_RDONLY), 0);
  assert_int_equal (al_cgroup_devices_count (f->dirfd, &total, &ours, &err), 0);
  assert_int_equal (total, 1);
  assert_int_equal (ours, 1);

  ATTACH (f, DENY_ALL, R (true, 'c', 1, 5, "rwm"));
  assert_int_equal (op (f, "/dev/null", O_RDONLY), EPERM);
  assert_int_equal (op (f, "/dev/zero", O_RDONLY), 0);
  assert_int_equal (al_cgroup_devices_count (f->dirfd, &total, &ours, &err), 0);
  assert_int_equal (total, 1);
  assert_int_equal (ours, 1);

  ATTACH (f, ALLOW_ALL);
  assert_int_equal (op (f, "/dev/null", O_RDONLY), 0);
  assert_int_equal (al_cgroup_devices_count (f->dirfd, &total, &ours, &err), 0);
  assert_int_equal (total, 1);
}

static void
test_defaults (void **state)
{
  struct fixture *f = *state;
  al_error_t err = NULL;
  const struct oci_device_cgroup rules[] = { DENY_ALL };
  int r = al_cgroup_devices_attach_with_defaults (f->dirfd, rules, 1, &err);
  if (r < 0)
    fail_msg ("attach: %s", err->msg);
  assert_int_equal (op (f, "/dev/null", O_RDWR), 0);
  assert_int_equal (op (f, "/dev/zero", O_RDONLY), 0);
  assert_int_equal (op (f, "/dev/urandom", O_RDONLY), 0);
  assert_int_equal (op (f, "/dev/full", O_WRONLY), 0);
  assert_int_equal (mk (f, S_IFCHR, 10, 229), 0); /* c *:* m */
  assert_int_equal (mk (f, S_IFBLK, 7, 0), 0);    /* b *:* m */
  struct stat st;
  if (stat ("/dev/fuse", &st) == 0 && S_ISCHR (st.st_mode))
    assert_int_equal (op (f, "/dev/fuse", O_RDWR), EPERM);

  size_t n = 0;
  const struct oci_device_cgroup *d = al_cgroup_devices_defaults (&n);
  assert_true (n >= 10);
  bool null_found = false;
  for (size_t i = 0; i < n; i++)
    if (d[i].type == 'c' && d[i].major == 1 && d[i].minor == 3 && d[i].allow)
      null_found = true;
  assert_true (null_found);
}

static void
expect_error (struct fixture *f, const struct oci_device_cgroup *rules, size_t n, const char *want)
{
  al_error_t err = NULL;
  int r = al_cgroup_devices_attach (f->dirfd, rules, n, &err);
  assert_int_equal (r, -EINVAL);
  assert_non_null (err);
  if (strstr (err->msg, want) == NULL)
    fail_msg ("error \"%s\" lacks \"%s\"", err->msg, want);
  al_error_free (&err);
}

static void
test_errors (void **state)
{
  struct fixture *f = *state;
  const struct oci_device_cgroup bad_access[] = { DENY_ALL, R (true, 'c', 1, 3, "rx") };
  expect_error (f, bad_access, 2, "linux.resources.devices[1].access");
  const struct oci_device_cgroup empty_access[] = { DENY_ALL, R (true, 'c', 1, 3, "") };
  expect_error (f, empty_access, 2, "linux.resources.devices[1].access");
  const struct oci_device_cgroup bad_type[] = { R (true, 'u', 1, 3, "rwm") };
  expect_error (f, bad_type, 1, "linux.resources.devices[0].type");
  const struct oci_device_cgroup bad_num[] = { DENY_ALL, R (true, 'c', 1LL << 33, 3, "rwm") };
  expect_error (f, bad_num, 2, "linux.resources.devices[1]: major/minor");
  /* A hole in an earlier wildcard: refused, as runc does. */
  const struct oci_device_cgroup hole[] = { DENY_ALL, R (true, 'c', -1, -1, "rwm"), R (false, 'c', 1, 3, "w") };
  expect_error (f, hole, 3, "linux.resources.devices[2]");
  /* Nothing was attached by the failures. */
  size_t total = 1;
  al_error_t err = NULL;
  assert_int_equal (al_cgroup_devices_count (f->dirfd, &total, NULL, &err), 0);
  assert_int_equal (total, 0);
}

int
main (void)
{
  if (geteuid () != 0)
    {
      printf ("1..0 # SKIP needs root\n");
      return 0;
    }
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_deny_all_allow_null, setup, teardown),
    cmocka_unit_test_setup_teardown (test_mknod_by_m, setup, teardown),
    cmocka_unit_test_setup_teardown (test_access_subset, setup, teardown),
    cmocka_unit_test_setup_teardown (test_wildcards, setup, teardown),
    cmocka_unit_test_setup_teardown (test_last_match_wins, setup, teardown),
    cmocka_unit_test_setup_teardown (test_type_a, setup, teardown),
    cmocka_unit_test_setup_teardown (test_replace, setup, teardown),
    cmocka_unit_test_setup_teardown (test_defaults, setup, teardown),
    cmocka_unit_test_setup_teardown (test_errors, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
