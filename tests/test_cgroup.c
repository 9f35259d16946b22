/* test_cgroup.c: cgroup.c unit tests. Run as root on a host with a cgroup2
 * mount (pure v2 or the unified tree of a hybrid host). Every test works in
 * its own uniquely named cgroup under the mount root; the teardown kills what
 * is left in it and removes it even when a check failed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup.h"
#include "error.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

struct fixture
{
  char *mount;
  char *top;  /* "/airlock-test-PID-N": removed by the teardown */
  pid_t child;
  int child_pipe; /* write end: closing it lets the child exit */
  bool hugetlb_was_enabled;
};

static int counter;

static int
setup (void **state)
{
  struct fixture *f = al_xmalloc0 (sizeof *f);
  al_error_t err = NULL;
  if (al_cgroup_find_mount (&f->mount, &err) < 0)
    {
      fprintf (stderr, "no cgroup2 mount: %s\n", err->msg);
      al_error_free (&err);
      free (f);
      return -1;
    }
  f->top = al_xasprintf ("/airlock-test-%d-%d-%ld", (int) getpid (), ++counter, (long) time (NULL));
  f->child = -1;
  f->child_pipe = -1;
  _cleanup_free_ char *sc = NULL;
  _cleanup_free_ char *scf = al_xasprintf ("%s/cgroup.subtree_control", f->mount);
  if (al_read_file_at (AT_FDCWD, scf, 4096, &sc, NULL, &err) == 0)
    f->hugetlb_was_enabled = strstr (sc, "hugetlb") != NULL;
  al_error_free (&err);
  *state = f;
  return 0;
}

/* Kill and remove a cgroup directory tree without the code under test. */
static void
force_remove (const char *dir)
{
  _cleanup_free_ char *killf = al_xasprintf ("%s/cgroup.kill", dir);
  int fd = open (killf, O_WRONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      if (write (fd, "1", 1) < 0)
        perror (killf);
      close (fd);
    }
  /* depth first: children before parents */
  for (int i = 0; i < 200 && access (dir, F_OK) == 0; i++)
    {
      DIR *d = opendir (dir);
      if (d)
        {
          struct dirent *de;
          while ((de = readdir (d)) != NULL)
            if (de->d_type == DT_DIR && strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
              {
                _cleanup_free_ char *sub = al_xasprintf ("%s/%s", dir, de->d_name);
                force_remove (sub);
              }
          closedir (d);
        }
      if (rmdir (dir) == 0 || errno == ENOENT)
        return;
      usleep (10000);
    }
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  if (f->child_pipe >= 0)
    close (f->child_pipe);
  if (f->child > 0)
    {
      kill (f->child, SIGKILL);
      waitpid (f->child, NULL, 0);
    }
  _cleanup_free_ char *top = al_xasprintf ("%s%s", f->mount, f->top);
  force_remove (top);
  if (access (top, F_OK) == 0)
    fprintf (stderr, "warning: could not remove %s\n", top);
  if (!f->hugetlb_was_enabled)
    {
      /* Put the root's subtree_control back as it was (best effort). */
      _cleanup_free_ char *sc = al_xasprintf ("%s/cgroup.subtree_control", f->mount);
      int fd = open (sc, O_WRONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          if (write (fd, "-hugetlb", 8) < 0 && errno != EBUSY)
            perror (sc);
          close (fd);
        }
    }
  free (f->mount);
  free (f->top);
  free (f);
  return 0;
}

/* A child that blocks reading a pipe until the test closes the write end. */
static void
spawn_child (struct fixture *f)
{
  int p[2];
  assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (p[1]);
      char c;
      while (read (p[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (p[0]);
  f->child = pid;
  f->child_pipe = p[1];
}

static char *
full_path (struct fixture *f, const char *sub)
{
  return al_xasprintf ("%s%s%s", f->mount, f->top, sub);
}

static struct al_cgroup *
resolve_ok (const char *path, const char *id)
{
  al_error_t err = NULL;
  struct al_cgroup *cg = NULL;
  int r = al_cgroup_resolve (path, id, &cg, &err);
  if (r < 0)
    fail_msg ("resolve %s: %s", path ? path : "(null)", err->msg);
  return cg;
}

static void
expect_error (int r, al_error_t *err, const char *needle)
{
  assert_true (r < 0);
  assert_non_null (*err);
  if (strstr ((*err)->msg, needle) == NULL)
    fail_msg ("error `%s` does not contain `%s`", (*err)->msg, needle);
  al_error_free (err);
}

static void
test_find_mount (void **state)
{
  struct fixture *f = *state;
  struct statfs st;
  assert_int_equal (statfs (f->mount, &st), 0);
  assert_true (st.f_type == CGROUP2_SUPER_MAGIC);
}

static void
test_resolve (void **state)
{
  (void) state;
  _cleanup_free_ char *own = NULL;
  {
    _cleanup_free_ char *buf = NULL;
    al_error_t err = NULL;
    assert_int_equal (al_read_file_at (AT_FDCWD, "/proc/self/cgroup", 65536, &buf, NULL, &err), 0);
    char *l = strstr (buf, "0::");
    assert_non_null (l);
    l += 3;
    l[strcspn (l, "\n")] = '\0';
    own = al_xstrdup (strcmp (l, "/") == 0 ? "" : l);
  }

  struct al_cgroup *cg = resolve_ok (NULL, "abc");
  _cleanup_free_ char *want = al_xasprintf ("%s/airlock/abc", own);
  assert_string_equal (cg->path, want);
  assert_int_equal (cg->dirfd, -1);
  al_cgroup_free (cg);

  cg = resolve_ok ("//a/./b//", "x");
  assert_string_equal (cg->path, "/a/b");
  al_cgroup_free (cg);

  cg = resolve_ok ("rel/c", "x");
  _cleanup_free_ char *want2 = al_xasprintf ("%s/rel/c", own);
  assert_string_equal (cg->path, want2);
  al_cgroup_free (cg);

  al_error_t err = NULL;
  cg = NULL;
  expect_error (al_cgroup_resolve ("/a/../b", "x", &cg, &err), &err, "`..` components are not allowed");
  assert_null (cg);
  expect_error (al_cgroup_resolve ("../b", "x", &cg, &err), &err, "linux.cgroupsPath \"../b\"");
  expect_error (al_cgroup_resolve ("system.slice:airlock:x", "x", &cg, &err), &err,
                "linux.cgroupsPath \"system.slice:airlock:x\" is a systemd slice path: use --systemd-cgroup");
  expect_error (al_cgroup_resolve ("/", "x", &cg, &err), &err, "root cgroup");
  expect_error (al_cgroup_resolve (NULL, "a/b", &cg, &err), &err, "container id");
  assert_null (cg);
}

static void
test_lifecycle (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *path = al_xasprintf ("%s/ctr", f->top);
  _cleanup_free_ char *dir = full_path (f, "/ctr");
  al_error_t err = NULL;
  struct al_cgroup *cg = resolve_ok (path, "ignored");
  assert_string_equal (cg->mount, f->mount);

  if (al_cgroup_create (cg, NULL, &err) < 0)
    fail_msg ("create: %s", err->msg);
  assert_true (cg->dirfd >= 0);
  struct stat st;
  assert_int_equal (stat (dir, &st), 0);
  assert_true (S_ISDIR (st.st_mode));

  /* creating again while empty is fine */
  if (al_cgroup_create (cg, NULL, &err) < 0)
    fail_msg ("create again: %s", err->msg);

  spawn_child (f);
  if (al_cgroup_enter (cg, f->child, &err) < 0)
    fail_msg ("enter: %s", err->msg);

  /* /proc/CHILD/cgroup shows the path */
  {
    _cleanup_free_ char *pc = al_xasprintf ("/proc/%d/cgroup", (int) f->child);
    _cleanup_free_ char *buf = NULL;
    assert_int_equal (al_read_file_at (AT_FDCWD, pc, 65536, &buf, NULL, &err), 0);
    _cleanup_free_ char *line = al_xasprintf ("0::%s\n", path);
    if (strstr (buf, line) == NULL)
      fail_msg ("%s does not show %s: %s", pc, path, buf);
  }

  /* an existing cgroup with processes cannot be created again */
  {
    struct al_cgroup *cg2 = resolve_ok (path, "x");
    expect_error (al_cgroup_create (cg2, NULL, &err), &err, "already exists and has processes");
    al_cgroup_free (cg2);
  }

  /* pids lists the child */
  {
    pid_t *pids = NULL;
    size_t n = 0;
    if (al_cgroup_pids (cg, &pids, &n, &err) < 0)
      fail_msg ("pids: %s", err->msg);
    assert_int_equal (n, 1);
    assert_int_equal (pids[0], f->child);
    free (pids);
  }

  /* freeze */
  bool frozen = true;
  assert_int_equal (al_cgroup_is_frozen (cg, &frozen, &err), 0);
  assert_false (frozen);
  if (al_cgroup_freeze (cg, true, &err) < 0)
    fail_msg ("freeze: %s", err->msg);
  assert_int_equal (al_cgroup_is_frozen (cg, &frozen, &err), 0);
  assert_true (frozen);
  {
    _cleanup_free_ char *ev = al_xasprintf ("%s/cgroup.events", dir);
    _cleanup_free_ char *buf = NULL;
    assert_int_equal (al_read_file_at (AT_FDCWD, ev, 4096, &buf, NULL, &err), 0);
    assert_non_null (strstr (buf, "frozen 1"));
  }
  /* thaw */
  if (al_cgroup_freeze (cg, false, &err) < 0)
    fail_msg ("thaw: %s", err->msg);
  assert_int_equal (al_cgroup_is_frozen (cg, &frozen, &err), 0);
  assert_false (frozen);

  /* signal 0 reaches it, the child is still alive */
  assert_int_equal (al_cgroup_signal (cg, 0, &err), 0);
  int status;
  assert_int_equal (waitpid (f->child, &status, WNOHANG), 0);

  /* kill: the child dies of SIGKILL */
  if (al_cgroup_kill (cg, &err) < 0)
    fail_msg ("kill: %s", err->msg);
  assert_int_equal (waitpid (f->child, &status, 0), f->child);
  f->child = -1;
  assert_true (WIFSIGNALED (status));
  assert_int_equal (WTERMSIG (status), SIGKILL);

  /* destroy: the directory is gone; a second destroy is not an error */
  if (al_cgroup_destroy (cg, false, &err) < 0)
    fail_msg ("destroy: %s", err->msg);
  assert_int_equal (cg->dirfd, -1);
  assert_int_equal (access (dir, F_OK), -1);
  assert_int_equal (errno, ENOENT);
  assert_int_equal (al_cgroup_destroy (cg, true, &err), 0);
  al_cgroup_free (cg);
}

static void
test_freeze_empty_and_kill_empty (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *path = al_xasprintf ("%s/empty", f->top);
  al_error_t err = NULL;
  struct al_cgroup *cg = resolve_ok (path, "x");
  assert_int_equal (al_cgroup_create (cg, NULL, &err), 0);
  assert_int_equal (al_cgroup_freeze (cg, true, &err), 0);
  assert_int_equal (al_cgroup_freeze (cg, false, &err), 0);
  assert_int_equal (al_cgroup_kill (cg, &err), 0);
  pid_t *pids = NULL;
  size_t n = 7;
  assert_int_equal (al_cgroup_pids (cg, &pids, &n, &err), 0);
  assert_int_equal (n, 0);
  free (pids);
  assert_int_equal (al_cgroup_destroy (cg, false, &err), 0);
  al_cgroup_free (cg);
}

static void
test_destroy_busy_and_force (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *path = al_xasprintf ("%s/busy", f->top);
  _cleanup_free_ char *dir = full_path (f, "/busy");
  al_error_t err = NULL;
  struct al_cgroup *cg = resolve_ok (path, "x");
  assert_int_equal (al_cgroup_create (cg, NULL, &err), 0);

  /* a child cgroup holding the process: destroy is recursive */
  _cleanup_free_ char *subpath = al_xasprintf ("%s/busy/sub/deeper", f->top);
  struct al_cgroup *sub = resolve_ok (subpath, "x");
  assert_int_equal (al_cgroup_create (sub, NULL, &err), 0);
  spawn_child (f);
  assert_int_equal (al_cgroup_enter (sub, f->child, &err), 0);

  pid_t *pids = NULL;
  size_t n = 0;
  assert_int_equal (al_cgroup_pids (cg, &pids, &n, &err), 0); /* recursive */
  assert_int_equal (n, 1);
  assert_int_equal (pids[0], f->child);
  free (pids);

  expect_error (al_cgroup_destroy (cg, false, &err), &err, "still has processes");
  assert_int_equal (access (dir, F_OK), 0);

  if (al_cgroup_destroy (cg, true, &err) < 0)
    fail_msg ("destroy force: %s", err->msg);
  assert_int_equal (access (dir, F_OK), -1);
  int status;
  assert_int_equal (waitpid (f->child, &status, 0), f->child);
  f->child = -1;
  assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  al_cgroup_free (sub);
  al_cgroup_free (cg);
}

static void
test_missing_controller (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *ctrls = NULL;
  _cleanup_free_ char *cf = al_xasprintf ("%s/cgroup.controllers", f->mount);
  al_error_t err = NULL;
  assert_int_equal (al_read_file_at (AT_FDCWD, cf, 4096, &ctrls, NULL, &err), 0);
  if (strstr (ctrls, "memory"))
    skip (); /* a pure v2 host with memory: the error path cannot be seen */

  _cleanup_free_ char *path = al_xasprintf ("%s/mem", f->top);
  _cleanup_free_ char *top = full_path (f, "");
  struct al_cgroup *cg = resolve_ok (path, "x");
  struct oci_resources res = { 0 };
  res.memory.present = true;
  res.memory.has_limit = true;
  res.memory.limit = 100 << 20;
  expect_error (al_cgroup_create (cg, &res, &err), &err,
                "linux.resources.memory.limit: the memory controller is not available on ");
  /* nothing was created */
  assert_int_equal (access (top, F_OK), -1);

  /* unified keys name their controller */
  struct oci_kv kv = { .key = "memory.high", .value = "1G" };
  struct oci_resources res2 = { .unified = &kv, .n_unified = 1 };
  expect_error (al_cgroup_create (cg, &res2, &err), &err,
                "linux.resources.unified[\"memory.high\"]: the memory controller is not available");
  struct oci_kv bad = { .key = "..", .value = "1" };
  struct oci_resources res3 = { .unified = &bad, .n_unified = 1 };
  expect_error (al_cgroup_create (cg, &res3, &err), &err, "linux.resources.unified: invalid key \"..\"");
  struct oci_kv bad2 = { .key = "../cgroup.procs", .value = "1" };
  struct oci_resources res4 = { .unified = &bad2, .n_unified = 1 };
  expect_error (al_cgroup_create (cg, &res4, &err), &err, "invalid key");

  /* devices need no controller (BPF); cgroup.* keys need none either */
  struct oci_device_cgroup dev = { .allow = false, .type = 'a', .major = -1, .minor = -1 };
  struct oci_kv core = { .key = "cgroup.max.depth", .value = "3" };
  struct oci_resources ok = { .devices = &dev, .n_devices = 1, .unified = &core, .n_unified = 1 };
  if (al_cgroup_create (cg, &ok, &err) < 0)
    fail_msg ("create with devices: %s", err->msg);
  if (al_cgroup_apply (cg, &ok, &err) < 0)
    fail_msg ("apply cgroup.max.depth: %s", err->msg);
  _cleanup_free_ char *depth = NULL;
  assert_int_equal (al_read_file_at (cg->dirfd, "cgroup.max.depth", 64, &depth, NULL, &err), 0);
  assert_string_equal (depth, "3\n");

  /* apply of a limit the cgroup has no file for names the file and value */
  _cleanup_free_ char *want = al_xasprintf ("cgroup %s%s: write \"104857600\" to memory.max: No such file or directory",
                                            f->mount, path);
  al_cgroup_apply (cg, &res, &err);
  assert_non_null (err);
  assert_string_equal (err->msg, want);
  al_error_free (&err);

  assert_int_equal (al_cgroup_destroy (cg, false, &err), 0);
  al_cgroup_free (cg);
}

static void
test_hugetlb (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *ctrls = NULL;
  _cleanup_free_ char *cf = al_xasprintf ("%s/cgroup.controllers", f->mount);
  al_error_t err = NULL;
  assert_int_equal (al_read_file_at (AT_FDCWD, cf, 4096, &ctrls, NULL, &err), 0);
  if (strstr (ctrls, "hugetlb") == NULL || access ("/sys/kernel/mm/hugepages/hugepages-2048kB", F_OK) < 0)
    skip ();

  /* two levels: the controller is enabled at the root and at the top */
  _cleanup_free_ char *path = al_xasprintf ("%s/mid/leaf", f->top);
  struct al_cgroup *cg = resolve_ok (path, "x");
  struct oci_hugepage_limit h = { .page_size = "2MB", .limit = 4 << 21 };
  struct oci_resources res = { .hugepage_limits = &h, .n_hugepage_limits = 1 };
  if (al_cgroup_create (cg, &res, &err) < 0)
    fail_msg ("create: %s", err->msg);
  if (al_cgroup_apply (cg, &res, &err) < 0)
    fail_msg ("apply: %s", err->msg);
  _cleanup_free_ char *v = NULL;
  assert_int_equal (al_read_file_at (cg->dirfd, "hugetlb.2MB.max", 64, &v, NULL, &err), 0);
  assert_string_equal (v, "8388608\n");

  /* the kernel's refusal names file and value */
  struct oci_kv kv = { .key = "hugetlb.2MB.max", .value = "bogus" };
  struct oci_resources bad = { .unified = &kv, .n_unified = 1 };
  _cleanup_free_ char *want
      = al_xasprintf ("cgroup %s%s: write \"bogus\" to hugetlb.2MB.max: Invalid argument", f->mount, path);
  assert_true (al_cgroup_apply (cg, &bad, &err) < 0);
  assert_string_equal (err->msg, want);
  al_error_free (&err);

  struct oci_hugepage_limit hb = { .page_size = "../2MB", .limit = 1 };
  struct oci_resources badps = { .hugepage_limits = &hb, .n_hugepage_limits = 1 };
  expect_error (al_cgroup_create (cg, &badps, &err), &err, "hugepageLimits[0].pageSize");

  assert_int_equal (al_cgroup_destroy (cg, false, &err), 0);
  al_cgroup_free (cg);
}

static void
test_unsupported_v2 (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *path = al_xasprintf ("%s/x", f->top);
  al_error_t err = NULL;
  struct al_cgroup *cg = resolve_ok (path, "x");
  struct oci_resources res = { 0 };
  res.network.present = true;
  res.network.has_class_id = true;
  res.network.class_id = 1;
  expect_error (al_cgroup_create (cg, &res, &err), &err, "linux.resources.network");
  struct oci_resources rt = { 0 };
  rt.cpu.present = true;
  rt.cpu.has_realtime_runtime = true;
  rt.cpu.realtime_runtime = 1000;
  expect_error (al_cgroup_create (cg, &rt, &err), &err, "realtime");
  al_cgroup_free (cg);
}

/* Values equal to the kernel's defaults ask for nothing (issue 12). */
static void
test_defaults_are_not_limits (void **state)
{
  (void) state;
  assert_true (al_cgroup_cpu_shares_is_default (1024));
  assert_false (al_cgroup_cpu_shares_is_default (512));
  assert_false (al_cgroup_cpu_shares_is_default (1025));
  /* quota unset or -1 with any period, or the default period alone */
  assert_true (al_cgroup_cpu_max_is_default (false, 0, false, 0));
  assert_true (al_cgroup_cpu_max_is_default (true, -1, false, 0));
  assert_true (al_cgroup_cpu_max_is_default (true, -1, true, 50000));
  assert_true (al_cgroup_cpu_max_is_default (true, 0, true, 100000));
  assert_true (al_cgroup_cpu_max_is_default (false, 0, true, 100000));
  assert_false (al_cgroup_cpu_max_is_default (false, 0, true, 50000));
  assert_false (al_cgroup_cpu_max_is_default (true, 50000, true, 100000));
  assert_false (al_cgroup_cpu_max_is_default (true, 50000, false, 0));
  assert_true (al_cgroup_limit_is_default (-1));
  assert_false (al_cgroup_limit_is_default (0));
  assert_false (al_cgroup_limit_is_default (100));

  /* On a tree without cpu, memory and pids, defaults create and apply. */
  struct fixture *f = *state;
  _cleanup_free_ char *ctrls = NULL;
  _cleanup_free_ char *cf = al_xasprintf ("%s/cgroup.controllers", f->mount);
  al_error_t err = NULL;
  assert_int_equal (al_read_file_at (AT_FDCWD, cf, 4096, &ctrls, NULL, &err), 0);
  if (strstr (ctrls, "cpu") || strstr (ctrls, "memory") || strstr (ctrls, "pids"))
    skip ();
  _cleanup_free_ char *path = al_xasprintf ("%s/defaults", f->top);
  struct al_cgroup *cg = resolve_ok (path, "x");
  struct oci_resources res = { 0 };
  res.cpu.present = res.cpu.has_shares = res.cpu.has_quota = res.cpu.has_period = true;
  res.cpu.shares = 1024;
  res.cpu.quota = -1;
  res.cpu.period = 100000;
  res.memory.present = res.memory.has_limit = res.memory.has_reservation = res.memory.has_swap = true;
  res.memory.limit = res.memory.reservation = res.memory.swap = -1;
  res.pids.present = true;
  res.pids.limit = -1;
  if (al_cgroup_create (cg, &res, &err) < 0)
    fail_msg ("create with defaults: %s", err->msg);
  if (al_cgroup_apply (cg, &res, &err) < 0)
    fail_msg ("apply of defaults: %s", err->msg);
  assert_int_equal (al_cgroup_ensure_controllers (cg, &res, &err), 0);
  res.cpu.shares = 512;
  expect_error (al_cgroup_ensure_controllers (cg, &res, &err), &err,
                "linux.resources.cpu.shares: the cpu controller is not available");
  assert_int_equal (al_cgroup_destroy (cg, false, &err), 0);
  al_cgroup_free (cg);
}

/* shares -> weight: the log-quadratic curve through (2, 1), (1024, 100) and
 * (262144, 10000), rounded up; 0 stays "unset". */
static void
test_cpu_weight (void **state)
{
  (void) state;
  assert_int_equal (al_cgroup_cpu_weight (0), 0);
  assert_int_equal (al_cgroup_cpu_weight (1), 1);
  assert_int_equal (al_cgroup_cpu_weight (2), 1);
  assert_int_equal (al_cgroup_cpu_weight (1024), 100); /* the defaults match (the linear map gave 39) */
  assert_int_equal (al_cgroup_cpu_weight (262144), 10000);
  assert_int_equal (al_cgroup_cpu_weight (1u << 30), 10000);
  assert_int_equal (al_cgroup_cpu_weight (512), 59);
  assert_int_equal (al_cgroup_cpu_weight (2048), 174);
  uint64_t prev = 1;
  for (uint64_t sh = 2; sh <= 262144; sh++)
    {
      uint64_t w = al_cgroup_cpu_weight (sh);
      assert_true (w >= prev && w >= 1 && w <= 10000);
      prev = w;
    }
}

int
main (void)
{
  if (geteuid () != 0)
    {
      fprintf (stderr, "test_cgroup: needs root, skipping\n");
      return 77;
    }
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_cpu_weight),
    cmocka_unit_test_setup_teardown (test_find_mount, setup, teardown),
    cmocka_unit_test_setup_teardown (test_resolve, setup, teardown),
    cmocka_unit_test_setup_teardown (test_lifecycle, setup, teardown),
    cmocka_unit_test_setup_teardown (test_freeze_empty_and_kill_empty, setup, teardown),
    cmocka_unit_test_setup_teardown (test_destroy_busy_and_force, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_controller, setup, teardown),
    cmocka_unit_test_setup_teardown (test_hugetlb, setup, teardown),
    cmocka_unit_test_setup_teardown (test_unsupported_v2, setup, teardown),
    cmocka_unit_test_setup_teardown (test_defaults_are_not_limits, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
