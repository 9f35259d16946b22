/* test_stats.c: stats.c unit tests on fixture cgroup directories (plain
 * files in a temp dir, as the kernel formats them). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "error.h"
#include "stats.h"
#include "util.h"

struct fixture
{
  char dir[64];
  int fd;
};

static int
setup (void **state)
{
  struct fixture *f = al_xmalloc0 (sizeof *f);
  strcpy (f->dir, "/tmp/al-test-stats.XXXXXX");
  if (mkdtemp (f->dir) == NULL)
    return -1;
  f->fd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *state = f;
  return f->fd < 0 ? -1 : 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  /* The fixture is flat: remove its files, then the directory. */
  DIR *d = fdopendir (f->fd);
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    if (de->d_type == DT_REG)
      unlinkat (dirfd (d), de->d_name, 0);
  if (d)
    closedir (d);
  else
    close (f->fd);
  rmdir (f->dir);
  free (f);
  return 0;
}

static void
put (struct fixture *f, const char *name, const char *content)
{
  assert_int_equal (al_write_file_at (f->fd, name, content, strlen (content), 0644, NULL), 0);
}

static yajl_val
parse_json (const char *text)
{
  char errbuf[256];
  yajl_val v = yajl_tree_parse (text, errbuf, sizeof errbuf);
  if (v == NULL)
    fail_msg ("invalid JSON (%s): %s", errbuf, text);
  return v;
}

static yajl_val
jget (yajl_val v, ...)
{
  const char *path[16];
  size_t n = 0;
  va_list ap;
  va_start (ap, v);
  const char *p;
  while ((p = va_arg (ap, const char *)) != NULL && n < 15)
    path[n++] = p;
  va_end (ap);
  path[n] = NULL;
  return yajl_tree_get (v, path, yajl_t_any);
}

static uint64_t
jnum (yajl_val v)
{
  assert_non_null (v);
  assert_true (YAJL_IS_NUMBER (v));
  return strtoull (YAJL_GET_NUMBER (v), NULL, 10);
}

/* A cgroup with no controller files: only cpu.stat's base keys. */
static void
test_cpu_only (void **state)
{
  struct fixture *f = *state;
  put (f, "cpu.stat", "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\ncore_sched.force_idle_usec 0\n");
  put (f, "cgroup.procs", "1\n");
  struct al_stats s;
  al_error_t err = NULL;
  assert_int_equal (al_stats_read_at (f->fd, f->dir, &s, &err), 0);
  assert_true (s.has_cpu);
  assert_int_equal (s.cpu.total_ns, 1500000);
  assert_int_equal (s.cpu.user_ns, 1000000);
  assert_int_equal (s.cpu.kernel_ns, 500000);
  assert_false (s.cpu.has_throttling);
  assert_false (s.has_memory);
  assert_false (s.has_pids);
  assert_false (s.has_io);
  assert_int_equal (s.n_hugetlb, 0);

  _cleanup_free_ char *json = al_stats_event_json (&s, "c1");
  yajl_val v = parse_json (json);
  assert_string_equal (YAJL_GET_STRING (jget (v, "type", NULL)), "stats");
  assert_string_equal (YAJL_GET_STRING (jget (v, "id", NULL)), "c1");
  assert_int_equal (jnum (jget (v, "data", "cpu", "usage", "total", NULL)), 1500000);
  assert_int_equal (jnum (jget (v, "data", "cpu", "usage", "user", NULL)), 1000000);
  assert_int_equal (jnum (jget (v, "data", "cpu", "usage", "kernel", NULL)), 500000);
  assert_null (jget (v, "data", "memory", NULL));
  assert_null (jget (v, "data", "pids", NULL));
  assert_null (jget (v, "data", "blkio", NULL));
  assert_null (jget (v, "data", "hugetlb", NULL));
  yajl_tree_free (v);
  al_stats_clear (&s);
}

/* Every controller, as on a pure v2 host. */
static void
test_all_controllers (void **state)
{
  struct fixture *f = *state;
  put (f, "cpu.stat",
       "usage_usec 2000\nuser_usec 1200\nsystem_usec 800\nnr_periods 10\nnr_throttled 3\nthrottled_usec 250\n"
       "nr_bursts 0\nburst_usec 0\n");
  put (f, "memory.current", "1048576\n");
  put (f, "memory.max", "67108864\n");
  put (f, "memory.peak", "2097152\n");
  put (f, "memory.swap.current", "4096\n");
  put (f, "memory.swap.max", "max\n");
  put (f, "memory.events", "low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\noom_group_kill 0\n");
  put (f, "memory.stat", "anon 1000\nfile 2000\nkernel 300\nshmem 0\npgfault 42\n");
  put (f, "pids.current", "3\n");
  put (f, "pids.max", "max\n");
  put (f, "io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"
                     "253:1 rbytes=10 wbytes=20 rios=3 wios=4 dbytes=5 dios=6 cost.vrate=100.00\n");
  put (f, "hugetlb.2MB.current", "2097152\n");
  put (f, "hugetlb.2MB.max", "max\n");
  put (f, "hugetlb.2MB.events", "max 4\n");
  put (f, "hugetlb.2MB.rsvd.current", "0\n");
  put (f, "hugetlb.1GB.current", "0\n");
  put (f, "hugetlb.1GB.max", "1073741824\n");
  put (f, "hugetlb.1GB.events", "max 0\n");

  struct al_stats s;
  al_error_t err = NULL;
  int r = al_stats_read_at (f->fd, f->dir, &s, &err);
  if (r < 0)
    fail_msg ("%s", err->msg);
  assert_true (s.cpu.has_throttling);
  assert_int_equal (s.cpu.periods, 10);
  assert_int_equal (s.cpu.throttled_periods, 3);
  assert_int_equal (s.cpu.throttled_ns, 250000);

  assert_true (s.has_memory);
  assert_int_equal (s.memory.usage, 1048576);
  assert_int_equal (s.memory.limit, 67108864);
  assert_true (s.memory.has_peak);
  assert_int_equal (s.memory.peak, 2097152);
  assert_true (s.memory.has_swap);
  assert_int_equal (s.memory.swap_usage, 4096);
  assert_true (s.memory.swap_limit == AL_STATS_UNLIMITED);
  assert_true (s.memory.has_events);
  assert_int_equal (s.memory.ev_max, 7);
  assert_int_equal (s.memory.ev_oom, 2);
  assert_int_equal (s.memory.ev_oom_kill, 1);
  assert_int_equal (s.memory.n_stat, 5);
  assert_string_equal (s.memory.stat[1].key, "file");
  assert_int_equal (s.memory.stat[1].value, 2000);

  assert_true (s.has_pids);
  assert_int_equal (s.pids.current, 3);
  assert_true (s.pids.limit == AL_STATS_UNLIMITED);

  assert_true (s.has_io);
  assert_int_equal (s.n_io, 2);
  assert_int_equal (s.io[1].major, 253);
  assert_int_equal (s.io[1].minor, 1);
  assert_int_equal (s.io[1].rbytes, 10);
  assert_int_equal (s.io[1].wios, 4);
  assert_int_equal (s.io[1].dios, 6);

  assert_int_equal (s.n_hugetlb, 2); /* rsvd is not a page size */
  assert_string_equal (s.hugetlb[0].page_size, "1GB");
  assert_int_equal (s.hugetlb[0].max, 1073741824);
  assert_string_equal (s.hugetlb[1].page_size, "2MB");
  assert_int_equal (s.hugetlb[1].usage, 2097152);
  assert_true (s.hugetlb[1].max == AL_STATS_UNLIMITED);
  assert_int_equal (s.hugetlb[1].failcnt, 4);

  _cleanup_free_ char *json = al_stats_event_json (&s, "c2");
  yajl_val v = parse_json (json);
  assert_int_equal (jnum (jget (v, "data", "cpu", "throttling", "periods", NULL)), 10);
  assert_int_equal (jnum (jget (v, "data", "cpu", "throttling", "throttledPeriods", NULL)), 3);
  assert_int_equal (jnum (jget (v, "data", "cpu", "throttling", "throttledTime", NULL)), 250000);
  assert_int_equal (jnum (jget (v, "data", "memory", "cache", NULL)), 2000);
  assert_int_equal (jnum (jget (v, "data", "memory", "usage", "usage", NULL)), 1048576);
  assert_int_equal (jnum (jget (v, "data", "memory", "usage", "limit", NULL)), 67108864);
  assert_int_equal (jnum (jget (v, "data", "memory", "usage", "max", NULL)), 2097152);
  assert_int_equal (jnum (jget (v, "data", "memory", "usage", "failcnt", NULL)), 7);
  /* swap as memory+swap (runc's convention); unlimited swap: max uint64 */
  assert_int_equal (jnum (jget (v, "data", "memory", "swap", "usage", NULL)), 1048576 + 4096);
  assert_string_equal (YAJL_GET_NUMBER (jget (v, "data", "memory", "swap", "limit", NULL)), "18446744073709551615");
  assert_int_equal (jnum (jget (v, "data", "memory", "raw", "pgfault", NULL)), 42);
  assert_int_equal (jnum (jget (v, "data", "pids", "current", NULL)), 3);
  assert_null (jget (v, "data", "pids", "limit", NULL)); /* "max": left out like runc */
  yajl_val sb = jget (v, "data", "blkio", "ioServiceBytesRecursive", NULL);
  assert_non_null (sb);
  assert_true (YAJL_IS_ARRAY (sb));
  assert_int_equal (YAJL_GET_ARRAY (sb)->len, 6);
  yajl_val e0 = YAJL_GET_ARRAY (sb)->values[0];
  assert_int_equal (jnum (jget (e0, "major", NULL)), 8);
  assert_string_equal (YAJL_GET_STRING (jget (e0, "op", NULL)), "Read");
  assert_int_equal (jnum (jget (e0, "value", NULL)), 4096);
  yajl_val sv = jget (v, "data", "blkio", "ioServicedRecursive", NULL);
  assert_non_null (sv);
  yajl_val e1 = YAJL_GET_ARRAY (sv)->values[1];
  assert_string_equal (YAJL_GET_STRING (jget (e1, "op", NULL)), "Write");
  assert_int_equal (jnum (jget (e1, "value", NULL)), 2);
  assert_int_equal (jnum (jget (v, "data", "hugetlb", "2MB", "usage", NULL)), 2097152);
  assert_int_equal (jnum (jget (v, "data", "hugetlb", "2MB", "failcnt", NULL)), 4);
  assert_int_equal (jnum (jget (v, "data", "hugetlb", "1GB", "max", NULL)), 1073741824);
  yajl_tree_free (v);
  al_stats_clear (&s);
}

static void
test_bad_content (void **state)
{
  struct fixture *f = *state;
  put (f, "memory.current", "lots\n");
  struct al_stats s;
  al_error_t err = NULL;
  assert_int_equal (al_stats_read_at (f->fd, f->dir, &s, &err), -EINVAL);
  assert_non_null (strstr (err->msg, "memory.current"));
  assert_non_null (strstr (err->msg, f->dir));
  al_error_free (&err);

  put (f, "memory.current", "1\n");
  put (f, "io.stat", "garbage rbytes=1\n");
  assert_int_equal (al_stats_read_at (f->fd, f->dir, &s, &err), -EINVAL);
  assert_non_null (strstr (err->msg, "io.stat"));
  al_error_free (&err);
}

static void
test_keyed_and_oom (void **state)
{
  struct fixture *f = *state;
  uint64_t v = 99;
  assert_true (al_stats_keyed ("oom 3\noom_kill 5\n", "oom_kill", &v));
  assert_int_equal (v, 5);
  assert_true (al_stats_keyed ("oom 3\noom_kill 5\n", "oom", &v));
  assert_int_equal (v, 3);
  assert_false (al_stats_keyed ("oom_kill 5\n", "oom", &v));
  assert_false (al_stats_keyed ("oom x\n", "oom", &v));
  assert_false (al_stats_keyed ("", "oom", &v));

  put (f, "memory.events", "low 0\nhigh 0\nmax 0\noom 4\noom_kill 2\n");
  _cleanup_close_ int fd = openat (f->fd, "memory.events", O_RDONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  uint64_t oom = 0, kill = 0;
  assert_int_equal (al_stats_read_oom (fd, &oom, &kill), 0);
  assert_int_equal (oom, 4);
  assert_int_equal (kill, 2);
  /* Re-read from the start each time. */
  assert_int_equal (al_stats_read_oom (fd, &oom, &kill), 0);
  assert_int_equal (oom, 4);
}

static void
test_simple_event (void **state)
{
  (void) state;
  _cleanup_free_ char *j = al_stats_simple_event_json ("oom", "a\"b");
  assert_string_equal (j, "{\"type\":\"oom\",\"id\":\"a\\\"b\"}");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_cpu_only, setup, teardown),
    cmocka_unit_test_setup_teardown (test_all_controllers, setup, teardown),
    cmocka_unit_test_setup_teardown (test_bad_content, setup, teardown),
    cmocka_unit_test_setup_teardown (test_keyed_and_oom, setup, teardown),
    cmocka_unit_test (test_simple_event),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
