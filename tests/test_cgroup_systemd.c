/* test_cgroup_systemd.c: cgroup_systemd.c unit tests. The pure parts
 * (cgroupsPath parsing, property conversion) run anywhere; the bus tests need
 * systemd as PID 1 on a cgroup v2 host and skip (with the reason) otherwise:
 * run them in the test VM with `hack/vm/run.sh -- build/tests/test_cgroup_systemd`. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "cgroup.h"
#include "cgroup_systemd.h"
#include "error.h"
#include "util.h"

/* ---- cgroupsPath ------------------------------------------------------ */

static void
parse_ok (const char *path, const char *id, const char *want_slice, const char *want_unit, bool want_is_slice)
{
  al_error_t err = NULL;
  char *slice = NULL, *unit = NULL;
  bool is_slice = !want_is_slice;
  int r = al_systemd_parse_path (path, id, &slice, &unit, &is_slice, &err);
  if (r < 0)
    fail_msg ("parse \"%s\": %s", path ? path : "(null)", err->msg);
  assert_string_equal (slice, want_slice);
  assert_string_equal (unit, want_unit);
  assert_int_equal (is_slice, want_is_slice);
  free (slice);
  free (unit);
}

static void
parse_bad (const char *path, const char *id, const char *want_msg)
{
  al_error_t err = NULL;
  char *unit = NULL;
  int r = al_systemd_unit_name (path, id, &unit, &err);
  assert_int_equal (r, -EINVAL);
  assert_null (unit);
  assert_non_null (err);
  if (strstr (err->msg, want_msg) == NULL || strstr (err->msg, "linux.cgroupsPath") == NULL)
    fail_msg ("error for \"%s\": <%s> lacks <%s>", path ? path : "(null)", err->msg, want_msg);
  al_error_free (&err);
}

static void
test_parse_path (void **state)
{
  (void) state;
  parse_ok (NULL, "abc", "system.slice", "airlock-abc.scope", false);
  parse_ok ("", "abc", "system.slice", "airlock-abc.scope", false);
  parse_ok ("system.slice:airlock:abc", "x", "system.slice", "airlock-abc.scope", false);
  parse_ok ("machine.slice:docker:1234", "x", "machine.slice", "docker-1234.scope", false);
  parse_ok (":crio:xyz", "x", "system.slice", "crio-xyz.scope", false);
  parse_ok ("user.slice::xyz", "x", "user.slice", "xyz.scope", false);
  parse_ok ("kubepods.slice:x:kubepods-pod1.slice", "x", "kubepods.slice", "kubepods-pod1.slice", true);
  parse_ok ("-.slice:p:n", "x", "-.slice", "p-n.scope", false);

  parse_bad ("system.slice", "x", "slice:prefix:name");
  parse_bad ("a:b", "x", "slice:prefix:name");
  parse_bad ("a.slice:b:c:d", "x", "slice:prefix:name");
  parse_bad ("/sys/fs/cgroup/x", "x", "slice:prefix:name");
  parse_bad ("system.slice:p:", "x", "name");
  parse_bad ("system:p:n", "x", "not a valid slice");
  parse_bad ("sys/tem.slice:p:n", "x", "not a valid slice");
  parse_bad ("system.slice:p:a/b", "x", "not a valid systemd unit name");
  parse_bad ("system.slice:p:a b", "x", "not a valid systemd unit name");
  parse_bad (NULL, "a+b", "not a valid systemd unit name");
  parse_bad (NULL, "", "container id");
  char longname[300];
  memset (longname, 'a', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  parse_bad (NULL, longname, "not a valid systemd unit name");
}

static void
test_unit_name_valid (void **state)
{
  (void) state;
  assert_true (al_systemd_unit_name_valid ("a.scope", ".scope"));
  assert_true (al_systemd_unit_name_valid ("a-b_c:d.slice", ".slice"));
  assert_false (al_systemd_unit_name_valid (".scope", ".scope"));
  assert_false (al_systemd_unit_name_valid ("a.scope", ".slice"));
  assert_false (al_systemd_unit_name_valid ("a@b.scope", ".scope"));
}

/* ---- conversions ------------------------------------------------------ */

static void
test_conversions (void **state)
{
  (void) state;
  assert_int_equal (al_systemd_cpu_weight (2), 1);
  assert_int_equal (al_systemd_cpu_weight (1024), 100);
  assert_int_equal (al_systemd_cpu_weight (262144), 10000);
  assert_int_equal (al_systemd_cpu_weight (1), 1);          /* clamped */
  assert_int_equal (al_systemd_cpu_weight (1u << 30), 10000); /* clamped */
  assert_int_equal (al_systemd_io_weight (10), 1);
  assert_int_equal (al_systemd_io_weight (500), 1 + (490 * 9999) / 990);
  assert_int_equal (al_systemd_io_weight (1000), 10000);
  assert_int_equal (al_systemd_io_weight (5), 1);

  assert_int_equal (al_systemd_quota_per_sec (50000, 100000), 500000);
  assert_int_equal (al_systemd_quota_per_sec (50000, 0), 500000);
  assert_int_equal (al_systemd_quota_per_sec (200000, 100000), 2000000);
  assert_int_equal (al_systemd_quota_per_sec (1234, 100000), 20000);  /* 12340 -> whole percent */
  assert_int_equal (al_systemd_quota_per_sec (1, 1000000), 10000);
  assert_true (al_systemd_quota_per_sec (-1, 100000) == UINT64_MAX);
}

static void
mask_is (const char *list, const uint8_t *want, size_t n)
{
  al_error_t err = NULL;
  uint8_t *mask = NULL;
  size_t got = 0;
  if (al_systemd_cpuset_mask (list, "linux.resources.cpu.cpus", &mask, &got, &err) < 0)
    fail_msg ("mask \"%s\": %s", list, err->msg);
  assert_int_equal (got, n);
  if (n)
    assert_memory_equal (mask, want, n);
  free (mask);
}

static void
mask_bad (const char *list, const char *want)
{
  al_error_t err = NULL;
  uint8_t *mask = NULL;
  size_t n = 0;
  assert_true (al_systemd_cpuset_mask (list, "linux.resources.cpu.mems", &mask, &n, &err) < 0);
  assert_null (mask);
  if (strstr (err->msg, "linux.resources.cpu.mems") == NULL || strstr (err->msg, want) == NULL)
    fail_msg ("mask \"%s\": <%s> lacks <%s>", list, err->msg, want);
  al_error_free (&err);
}

static void
test_cpuset_mask (void **state)
{
  (void) state;
  mask_is ("", NULL, 0);
  mask_is (" \n", NULL, 0);
  mask_is ("0", (const uint8_t[]){ 0x01 }, 1);
  mask_is ("0-3", (const uint8_t[]){ 0x0f }, 1);
  mask_is ("0-3,5", (const uint8_t[]){ 0x2f }, 1);
  mask_is ("7,8", (const uint8_t[]){ 0x80, 0x01 }, 2);
  mask_is ("1,17\n", (const uint8_t[]){ 0x02, 0x00, 0x02 }, 3);
  mask_is ("8-15, 0", (const uint8_t[]){ 0x01, 0xff }, 2);
  mask_bad ("a", "expected a number");
  mask_bad ("3-1", "reversed");
  mask_bad ("1;2", "unexpected");
  mask_bad ("1-", "expected a number");
  mask_bad ("1,", "expected a number");
  mask_bad ("99999", "larger than");
}

static void
expect_u64 (const struct al_sd_props *p, const char *name, uint64_t v)
{
  const struct al_sd_prop *e = al_sd_props_find (p, name);
  if (e == NULL)
    fail_msg ("no property %s", name);
  assert_int_equal (e->type, AL_SD_U64);
  if (e->u != v)
    fail_msg ("%s = %" PRIu64 ", want %" PRIu64, name, e->u, v);
}

static void
test_resource_props (void **state)
{
  (void) state;
  al_error_t err = NULL;
  struct al_sd_props p = { NULL, 0 };

  assert_int_equal (al_systemd_resource_props (NULL, &p, &err), 0);
  assert_int_equal (p.n, 0);

  struct oci_resources res;
  memset (&res, 0, sizeof res);
  assert_int_equal (al_systemd_resource_props (&res, &p, &err), 0);
  assert_int_equal (p.n, 0);

  res.memory.present = true;
  res.memory.has_limit = true;
  res.memory.limit = 64 << 20;
  res.memory.has_reservation = true;
  res.memory.reservation = 32 << 20;
  res.memory.has_swap = true;
  res.memory.swap = 96 << 20;
  res.pids.present = true;
  res.pids.limit = 100;
  res.cpu.present = true;
  res.cpu.has_shares = true;
  res.cpu.shares = 1024;
  res.cpu.has_quota = true;
  res.cpu.quota = 50000;
  res.cpu.has_period = true;
  res.cpu.period = 200000;
  res.cpu.cpus = (char *) "0-1";
  res.cpu.mems = (char *) "0";
  res.block_io.present = true;
  res.block_io.has_weight = true;
  res.block_io.weight = 1000;
  if (al_systemd_resource_props (&res, &p, &err) < 0)
    fail_msg ("%s", err->msg);
  expect_u64 (&p, "MemoryMax", 64 << 20);
  expect_u64 (&p, "MemoryLow", 32 << 20);
  expect_u64 (&p, "MemorySwapMax", 32 << 20);
  expect_u64 (&p, "TasksMax", 100);
  expect_u64 (&p, "CPUWeight", 100);
  expect_u64 (&p, "CPUQuotaPerSecUSec", 250000);
  expect_u64 (&p, "CPUQuotaPeriodUSec", 200000);
  expect_u64 (&p, "IOWeight", 10000);
  const struct al_sd_prop *c = al_sd_props_find (&p, "AllowedCPUs");
  assert_non_null (c);
  assert_int_equal (c->type, AL_SD_BYTES);
  assert_int_equal (c->n_bytes, 1);
  assert_int_equal (c->bytes[0], 0x03);
  c = al_sd_props_find (&p, "AllowedMemoryNodes");
  assert_non_null (c);
  assert_int_equal (c->bytes[0], 0x01);
  al_sd_props_clear (&p);

  /* Unlimited values. */
  memset (&res, 0, sizeof res);
  res.memory.present = true;
  res.memory.has_limit = true;
  res.memory.limit = -1;
  res.memory.has_swap = true;
  res.memory.swap = -1;
  res.pids.present = true;
  res.pids.limit = -1;
  res.cpu.present = true;
  res.cpu.has_quota = true;
  res.cpu.quota = -1;
  assert_int_equal (al_systemd_resource_props (&res, &p, &err), 0);
  expect_u64 (&p, "MemoryMax", UINT64_MAX);
  expect_u64 (&p, "MemorySwapMax", UINT64_MAX);
  expect_u64 (&p, "TasksMax", UINT64_MAX);
  expect_u64 (&p, "CPUQuotaPerSecUSec", UINT64_MAX);
  assert_null (al_sd_props_find (&p, "CPUQuotaPeriodUSec"));
  al_sd_props_clear (&p);

  /* Zero means unset. */
  memset (&res, 0, sizeof res);
  res.memory.present = true;
  res.memory.has_limit = true;
  res.cpu.present = true;
  res.cpu.has_shares = true;
  res.cpu.has_quota = true;
  res.block_io.present = true;
  res.block_io.has_weight = true;
  assert_int_equal (al_systemd_resource_props (&res, &p, &err), 0);
  assert_int_equal (p.n, 0);

  /* Swap errors. */
  memset (&res, 0, sizeof res);
  res.memory.present = true;
  res.memory.has_swap = true;
  res.memory.swap = 1 << 20;
  assert_true (al_systemd_resource_props (&res, &p, &err) < 0);
  assert_non_null (strstr (err->msg, "linux.resources.memory.swap"));
  assert_non_null (strstr (err->msg, "needs a memory limit"));
  al_error_free (&err);
  res.memory.has_limit = true;
  res.memory.limit = 2 << 20;
  assert_true (al_systemd_resource_props (&res, &p, &err) < 0);
  assert_non_null (strstr (err->msg, "less than linux.resources.memory.limit"));
  al_error_free (&err);

  /* Bad cpuset. */
  memset (&res, 0, sizeof res);
  res.cpu.present = true;
  res.cpu.cpus = (char *) "x";
  assert_true (al_systemd_resource_props (&res, &p, &err) < 0);
  assert_non_null (strstr (err->msg, "linux.resources.cpu.cpus"));
  al_error_free (&err);
  al_sd_props_clear (&p);
}

static const struct al_sd_prop *
annot_ok (struct al_sd_props *p, const char *name, const char *value, const char *want_name, enum al_sd_type type)
{
  al_error_t err = NULL;
  _cleanup_free_ char *key = al_xasprintf ("org.systemd.property.%s", name);
  if (al_systemd_annotation_prop (key, value, p, &err) < 0)
    fail_msg ("%s=%s: %s", key, value, err->msg);
  const struct al_sd_prop *e = al_sd_props_find (p, want_name);
  assert_non_null (e);
  assert_int_equal (e->type, type);
  return e;
}

static void
annot_bad (const char *name, const char *value, const char *want)
{
  al_error_t err = NULL;
  struct al_sd_props p = { NULL, 0 };
  _cleanup_free_ char *key = al_xasprintf ("org.systemd.property.%s", name);
  assert_true (al_systemd_annotation_prop (key, value, &p, &err) < 0);
  assert_int_equal (p.n, 0);
  _cleanup_free_ char *wkey = al_xasprintf ("annotations[\"%s\"]", key);
  if (strstr (err->msg, wkey) == NULL || strstr (err->msg, want) == NULL)
    fail_msg ("%s=%s: <%s> lacks <%s>", key, value, err->msg, want);
  al_error_free (&err);
}

static void
test_annotations (void **state)
{
  (void) state;
  struct al_sd_props p = { NULL, 0 };
  const struct al_sd_prop *e;
  e = annot_ok (&p, "CollectMode", "'inactive-or-failed'", "CollectMode", AL_SD_STRING);
  assert_string_equal (e->s, "inactive-or-failed");
  e = annot_ok (&p, "Description", "\"it's \\\"quoted\\\"\"", "Description", AL_SD_STRING);
  assert_string_equal (e->s, "it's \"quoted\"");
  e = annot_ok (&p, "SendSIGHUP", "true", "SendSIGHUP", AL_SD_BOOL);
  assert_true (e->b);
  e = annot_ok (&p, "SendSIGKILL", "false", "SendSIGKILL", AL_SD_BOOL);
  assert_false (e->b);
  e = annot_ok (&p, "TimeoutStopUSec", "uint64 123456789", "TimeoutStopUSec", AL_SD_U64);
  assert_int_equal (e->u, 123456789);
  e = annot_ok (&p, "RuntimeMaxUSec", "@t 5", "RuntimeMaxUSec", AL_SD_U64);
  assert_int_equal (e->u, 5);
  e = annot_ok (&p, "TasksMax", "42", "TasksMax", AL_SD_U64);
  assert_int_equal (e->u, 42);
  e = annot_ok (&p, "Nice", "int32 -5", "Nice", AL_SD_I32);
  assert_int_equal (e->i, -5);
  e = annot_ok (&p, "OOMScoreAdjust", "-100", "OOMScoreAdjust", AL_SD_I64);
  assert_int_equal (e->i, -100);
  e = annot_ok (&p, "CPUShares", "uint32 7", "CPUShares", AL_SD_U32);
  assert_int_equal (e->u, 7);
  /* Seconds become microseconds. */
  e = annot_ok (&p, "TimeoutStopSec", "5", "TimeoutStopUSec", AL_SD_U64);
  assert_int_equal (e->u, 5000000);
  e = annot_ok (&p, "RuntimeMaxSec", "1.5", "RuntimeMaxUSec", AL_SD_U64);
  assert_int_equal (e->u, 1500000);
  e = annot_ok (&p, "TimeoutStopSec", "uint64 2", "TimeoutStopUSec", AL_SD_U64);
  assert_int_equal (e->u, 2000000);
  al_sd_props_clear (&p);

  annot_bad ("lowercase", "1", "not a systemd property name");
  annot_bad ("Bad-Name", "1", "not a systemd property name");
  annot_bad ("", "1", "not a systemd property name");
  annot_bad ("X", "'unterminated", "cannot parse");
  annot_bad ("X", "'a'b'", "cannot parse");
  annot_bad ("X", "yes", "cannot parse");
  annot_bad ("X", "", "cannot parse");
  annot_bad ("X", "uint32 4294967296", "cannot parse");
  annot_bad ("X", "int32 -2147483649", "cannot parse");
  annot_bad ("X", "1e3", "cannot parse");
  annot_bad ("TimeoutStopSec", "soon", "not a number of seconds");
  annot_bad ("TimeoutStopSec", "-1", "not a number of seconds");

  /* From a spec: only org.systemd.property.* are taken, in order. */
  struct oci_kv kv[] = {
    { (char *) "org.systemd.property.CollectMode", (char *) "'inactive-or-failed'" },
    { (char *) "com.example.other", (char *) "ignored" },
    { (char *) "org.systemd.property.TimeoutStopSec", (char *) "3" },
  };
  struct oci_spec spec;
  memset (&spec, 0, sizeof spec);
  spec.annotations = kv;
  spec.n_annotations = 3;
  al_error_t err = NULL;
  assert_int_equal (al_systemd_annotation_props (&spec, &p, &err), 0);
  assert_int_equal (p.n, 2);
  assert_string_equal (p.v[0].name, "CollectMode");
  assert_string_equal (p.v[1].name, "TimeoutStopUSec");
  assert_int_equal (p.v[1].u, 3000000);
  al_sd_props_clear (&p);
  assert_int_equal (al_systemd_annotation_props (NULL, &p, &err), 0);
}

/* ---- against systemd -------------------------------------------------- */

struct child
{
  pid_t pid;
  int wfd; /* closing it lets the child exit */
};

static struct child
spawn_blocked (void)
{
  int fds[2];
  assert_int_equal (pipe2 (fds, O_CLOEXEC), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (fds[1]);
      char c;
      while (read (fds[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (fds[0]);
  return (struct child){ pid, fds[1] };
}

static void
reap (struct child *c)
{
  if (c->wfd >= 0)
    close (c->wfd);
  c->wfd = -1;
  if (c->pid > 0)
    {
      kill (c->pid, SIGKILL);
      waitpid (c->pid, NULL, 0);
    }
  c->pid = -1;
}

static bool
need_systemd (void)
{
  if (al_systemd_is_running ())
    return true;
  fprintf (stderr, "# skip: systemd is not PID 1 here (no /run/systemd/system); run in the VM: "
                   "hack/vm/run.sh -- build/tests/test_cgroup_systemd\n");
  return false;
}

static char *
cg_file (const struct al_cgroup *cg, const char *file)
{
  _cleanup_free_ char *p = al_xasprintf ("%s%s/%s", cg->mount, cg->path, file);
  char *buf = NULL;
  al_error_t err = NULL;
  if (al_read_file_at (AT_FDCWD, p, 65536, &buf, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  buf[strcspn (buf, "\n")] = '\0';
  return buf;
}

static void
assert_cg_file (const struct al_cgroup *cg, const char *file, const char *want)
{
  _cleanup_free_ char *v = cg_file (cg, file);
  if (strcmp (v, want) != 0)
    fail_msg ("%s%s/%s: \"%s\", want \"%s\"", cg->mount, cg->path, file, v, want);
}

/* The unit's property over the bus (as a string, a u64 or "missing"). */
static char *
unit_property (const char *unit, const char *iface, const char *prop, char type)
{
  sd_bus *bus = NULL;
  assert_true (sd_bus_open_system (&bus) >= 0);
  _cleanup_free_ char *path = NULL;
  assert_true (sd_bus_path_encode ("/org/freedesktop/systemd1/unit", unit, &path) >= 0);
  sd_bus_error e = SD_BUS_ERROR_NULL;
  char *out = NULL;
  if (type == 's')
    {
      char *s = NULL;
      if (sd_bus_get_property_string (bus, "org.freedesktop.systemd1", path, iface, prop, &e, &s) >= 0)
        out = s;
    }
  else
    {
      uint64_t v = 0;
      if (sd_bus_get_property_trivial (bus, "org.freedesktop.systemd1", path, iface, prop, &e, 't', &v) >= 0)
        out = al_xasprintf ("%" PRIu64, v);
    }
  if (out == NULL)
    out = al_xasprintf ("missing (%s)", e.name ? e.name : "?");
  sd_bus_error_free (&e);
  sd_bus_flush_close_unref (bus);
  return out;
}

static void
test_bus_lifecycle (void **state)
{
  (void) state;
  if (!need_systemd ())
    {
      skip ();
      return;
    }
  char id[64];
  snprintf (id, sizeof id, "t%d-%ld", (int) getpid (), (long) time (NULL));
  struct child c = spawn_blocked ();

  struct oci_resources res;
  memset (&res, 0, sizeof res);
  res.memory.present = true;
  res.memory.has_limit = true;
  res.memory.limit = 64 << 20;
  res.pids.present = true;
  res.pids.limit = 100;
  res.cpu.present = true;
  res.cpu.has_shares = true;
  res.cpu.shares = 1024;
  res.cpu.cpus = (char *) "0";

  struct oci_kv kv[] = {
    { (char *) "org.systemd.property.TimeoutStopSec", (char *) "7" },
    { (char *) "org.systemd.property.CollectMode", (char *) "'inactive-or-failed'" },
  };
  struct oci_spec spec;
  memset (&spec, 0, sizeof spec);
  spec.annotations = kv;
  spec.n_annotations = 2;

  al_error_t err = NULL;
  struct al_cgroup *cg = NULL;
  char *unit = NULL;
  struct timespec t0, t1;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  int r = al_systemd_cgroup_create (id, NULL, c.pid, &res, &spec, &cg, &unit, &err);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  if (r < 0)
    {
      reap (&c);
      fail_msg ("create: %s", err->msg);
    }
  fprintf (stderr, "# create took %.1f ms\n",
           (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6);
  _cleanup_free_ char *want_unit = al_xasprintf ("airlock-%s.scope", id);
  assert_string_equal (unit, want_unit);
  _cleanup_free_ char *want_path = al_xasprintf ("/system.slice/%s", want_unit);
  assert_string_equal (cg->path, want_path);

  /* The child is in the scope's cgroup, the limits are in its files. */
  _cleanup_free_ char *pcg = NULL;
  _cleanup_free_ char *procf = al_xasprintf ("/proc/%d/cgroup", (int) c.pid);
  assert_int_equal (al_read_file_at (AT_FDCWD, procf, 4096, &pcg, NULL, &err), 0);
  _cleanup_free_ char *want_line = al_xasprintf ("0::%s\n", want_path);
  assert_string_equal (pcg, want_line);
  assert_cg_file (cg, "memory.max", "67108864");
  assert_cg_file (cg, "pids.max", "100");
  assert_cg_file (cg, "cpu.weight", "100");
  assert_cg_file (cg, "cpuset.cpus", "0");
  _cleanup_free_ char *tso = unit_property (unit, "org.freedesktop.systemd1.Scope", "TimeoutStopUSec", 't');
  assert_string_equal (tso, "7000000");
  _cleanup_free_ char *cm = unit_property (unit, "org.freedesktop.systemd1.Unit", "CollectMode", 's');
  assert_string_equal (cm, "inactive-or-failed");
  /* Delegated: the scope lists the controllers a container can enable. */
  _cleanup_free_ char *ctrl = cg_file (cg, "cgroup.controllers");
  assert_non_null (strstr (ctrl, "memory"));
  assert_non_null (strstr (ctrl, "pids"));

  /* The same unit again is an error naming it. */
  struct al_cgroup *cg2 = NULL;
  char *unit2 = NULL;
  assert_true (al_systemd_cgroup_create (id, NULL, c.pid, NULL, NULL, &cg2, &unit2, &err) < 0);
  assert_non_null (strstr (err->msg, unit));
  fprintf (stderr, "# duplicate: %s\n", err->msg);
  al_error_free (&err);

  /* Update. */
  memset (&res, 0, sizeof res);
  res.memory.present = true;
  res.memory.has_limit = true;
  res.memory.limit = 128 << 20;
  res.pids.present = true;
  res.pids.limit = 200;
  res.cpu.present = true;
  res.cpu.has_shares = true;
  res.cpu.shares = 2048;
  res.cpu.has_quota = true;
  res.cpu.quota = 50000;
  res.cpu.has_period = true;
  res.cpu.period = 100000;
  if (al_systemd_cgroup_update (unit, &res, &err) < 0)
    fail_msg ("update: %s", err->msg);
  assert_cg_file (cg, "memory.max", "134217728");
  assert_cg_file (cg, "pids.max", "200");
  assert_cg_file (cg, "cpu.weight", "174");
  assert_cg_file (cg, "cpu.max", "50000 100000");

  /* The cgroupfs driver works on the delegated cgroup. */
  pid_t *pids = NULL;
  size_t np = 0;
  if (al_cgroup_pids (cg, &pids, &np, &err) < 0)
    fail_msg ("pids: %s", err->msg);
  assert_int_equal (np, 1);
  assert_int_equal (pids[0], c.pid);
  free (pids);

  /* Destroy with the child still running: systemd stops it. */
  _cleanup_free_ char *dir = al_xasprintf ("%s%s", cg->mount, cg->path);
  clock_gettime (CLOCK_MONOTONIC, &t0);
  if (al_systemd_cgroup_destroy (unit, cg, &err) < 0)
    fail_msg ("destroy: %s", err->msg);
  clock_gettime (CLOCK_MONOTONIC, &t1);
  fprintf (stderr, "# destroy took %.1f ms\n",
           (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6);
  struct stat st;
  assert_int_equal (stat (dir, &st), -1);
  assert_int_equal (errno, ENOENT);
  _cleanup_free_ char *lstate = unit_property (unit, "org.freedesktop.systemd1.Unit", "LoadState", 's');
  if (strcmp (lstate, "not-found") != 0 && strncmp (lstate, "missing", 7) != 0)
    fail_msg ("unit %s after destroy: LoadState %s", unit, lstate);
  int ws = 0;
  assert_int_equal (waitpid (c.pid, &ws, 0), c.pid);
  assert_true (WIFSIGNALED (ws));
  c.pid = -1;

  /* Destroying again: no such unit is fine. */
  if (al_systemd_cgroup_destroy (unit, NULL, &err) < 0)
    fail_msg ("destroy again: %s", err->msg);
  /* Updating a unit that is gone is an error naming it. */
  assert_true (al_systemd_cgroup_update (unit, &res, &err) < 0);
  assert_non_null (strstr (err->msg, unit));
  assert_non_null (strstr (err->msg, "SetUnitProperties"));
  fprintf (stderr, "# update of a missing unit: %s\n", err->msg);
  al_error_free (&err);

  al_cgroup_free (cg);
  free (unit);
  reap (&c);
}

/* A slice given in cgroupsPath, an empty prefix, and a dead pid. */
static void
test_bus_slice_and_errors (void **state)
{
  (void) state;
  if (!need_systemd ())
    {
      skip ();
      return;
    }
  char path[128];
  snprintf (path, sizeof path, "machine.slice::s%d-%ld", (int) getpid (), (long) time (NULL));
  struct child c = spawn_blocked ();
  al_error_t err = NULL;
  struct al_cgroup *cg = NULL;
  char *unit = NULL;
  if (al_systemd_cgroup_create ("ignored", path, c.pid, NULL, NULL, &cg, &unit, &err) < 0)
    {
      reap (&c);
      fail_msg ("create: %s", err->msg);
    }
  _cleanup_free_ char *want = al_xasprintf ("/machine.slice/%s", unit);
  assert_string_equal (cg->path, want);
  _cleanup_free_ char *want_unit = al_xasprintf ("%s.scope", strrchr (path, ':') + 1);
  assert_string_equal (unit, want_unit);
  /* Let the child exit: systemd collects the scope by itself. */
  reap (&c);
  if (al_systemd_cgroup_destroy (unit, cg, &err) < 0)
    fail_msg ("destroy: %s", err->msg);
  al_cgroup_free (cg);
  free (unit);

  /* A pid that does not exist: systemd refuses, the error names the unit. */
  cg = NULL;
  unit = NULL;
  int r = al_systemd_cgroup_create ("deadpid", NULL, 0x3ffffff, NULL, NULL, &cg, &unit, &err);
  assert_true (r < 0);
  assert_non_null (strstr (err->msg, "airlock-deadpid.scope"));
  fprintf (stderr, "# dead pid: %s\n", err->msg);
  al_error_free (&err);
}

/* Without systemd the error says so. */
static void
test_no_systemd (void **state)
{
  (void) state;
  if (al_systemd_is_running () || access ("/run/dbus/system_bus_socket", F_OK) == 0)
    {
      fprintf (stderr, "# skip: a system bus is reachable here\n");
      skip ();
      return;
    }
  al_error_t err = NULL;
  struct al_cgroup *cg = NULL;
  char *unit = NULL;
  assert_true (al_systemd_cgroup_create ("x", NULL, getpid (), NULL, NULL, &cg, &unit, &err) < 0);
  assert_non_null (strstr (err->msg, "systemd is not reachable on the system bus (is systemd PID 1?): "));
  al_error_free (&err);
  assert_true (al_systemd_cgroup_destroy ("x.scope", NULL, &err) < 0);
  assert_non_null (strstr (err->msg, "systemd is not reachable"));
  al_error_free (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse_path),   cmocka_unit_test (test_unit_name_valid),
    cmocka_unit_test (test_conversions),  cmocka_unit_test (test_cpuset_mask),
    cmocka_unit_test (test_resource_props), cmocka_unit_test (test_annotations),
    cmocka_unit_test (test_no_systemd),   cmocka_unit_test (test_bus_lifecycle),
    cmocka_unit_test (test_bus_slice_and_errors),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
