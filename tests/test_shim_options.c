/* test_shim_options.c: shim/options.c (runtime options, the shim config,
 * the config rewrite) and the termination message of shim/watch.c. */
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

#include "error.h"
#include "options.h"
#include "spec.h"
#include "util.h"
#include "verdict.h"
#include "watch.h"

#include "containerd/runc/v1/options.pb-c.h"
#include "runtimeoptions/v1/api.pb-c.h"

static char *
tmpdir (void)
{
  char t[] = "/tmp/al-shimopt.XXXXXX";
  assert_non_null (mkdtemp (t));
  return al_xstrdup (t);
}

static void
write_text (const char *path, const char *text)
{
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_write_file_atomic_at (AT_FDCWD, path, text, strlen (text), 0644, &err), 0);
}

static void
test_config (void **state)
{
  (void) state;
  struct sh_options o = { 0 };
  _cleanup_error_ al_error_t err = NULL;
  const char *ok = "{\"comment\":\"x\",\"profile\":\"untrusted-pod\",\"timeout\":\"1.5s\"}";
  assert_int_equal (sh_options_parse_config ("c.json", ok, strlen (ok), &o, &err), 0);
  assert_string_equal (o.profile, "untrusted-pod");
  assert_string_equal (o.timeout, "1.5s");
  assert_string_equal (o.source, "c.json");
  sh_options_clear (&o);

  static const struct
  {
    const char *text, *msg;
  } bad[] = {
    { "{\"profil\":\"x\"}", "c.json: profil: unknown key (known: profile, timeout, comment)" },
    { "{\"profile\":\"../etc/x\"}", "c.json: profile: not a profile name (letters, digits, '_', '.', '-')" },
    { "{\"profile\":7}", "c.json: profile: not a profile name (letters, digits, '_', '.', '-')" },
    { "{\"timeout\":\"soon\"}", "c.json: timeout: not a duration (e.g. \"10s\", \"500ms\", \"2m\")" },
    { "[1]", "c.json: not a JSON object" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      assert_true (sh_options_parse_config ("c.json", bad[i].text, strlen (bad[i].text), &o, &err) < 0);
      assert_string_equal (err->msg, bad[i].msg);
      al_error_free (&err);
      sh_options_clear (&o);
    }
  assert_true (sh_options_parse_config ("c.json", "{", 1, &o, &err) < 0);
  assert_true (al_has_prefix (err->msg, "c.json: not JSON: "));
}

static void
test_any (void **state)
{
  (void) state;
  _cleanup_free_ char *dir = tmpdir ();
  _cleanup_free_ char *cfg = al_xasprintf ("%s/shim.json", dir);
  write_text (cfg, "{\"profile\":\"untrusted\"}");
  _cleanup_error_ al_error_t err = NULL;
  struct sh_options o = { 0 };

  /* CRI's runtimeoptions with a ConfigPath, both package names. */
  Runtimeoptions__V1__Options ro = RUNTIMEOPTIONS__V1__OPTIONS__INIT;
  ro.config_path = cfg;
  uint8_t buf[512];
  size_t n = runtimeoptions__v1__options__pack (&ro, buf);
  assert_int_equal (sh_options_parse ("runtimeoptions.v1.Options", buf, n, &o, &err), 0);
  assert_string_equal (o.profile, "untrusted");
  sh_options_clear (&o);
  assert_int_equal (sh_options_parse ("types.googleapis.com/cri.runtimeoptions.v1.Options", buf, n, &o, &err), 0);
  assert_string_equal (o.source, cfg);
  sh_options_clear (&o);

  /* config_body wins over the file. */
  ro.config_body.data = (uint8_t *) "{\"profile\":\"other\"}";
  ro.config_body.len = strlen ((char *) ro.config_body.data);
  n = runtimeoptions__v1__options__pack (&ro, buf);
  assert_int_equal (sh_options_parse ("runtimeoptions.v1.Options", buf, n, &o, &err), 0);
  assert_string_equal (o.profile, "other");
  sh_options_clear (&o);
  ro.config_body.len = 0;

  /* A missing file, a foreign TypeUrl, an unknown Any. */
  _cleanup_free_ char *missing = al_xasprintf ("%s/nope.json", dir);
  ro.config_path = missing;
  n = runtimeoptions__v1__options__pack (&ro, buf);
  assert_true (sh_options_parse ("runtimeoptions.v1.Options", buf, n, &o, &err) < 0);
  assert_non_null (strstr (err->msg, "runtime options: ConfigPath"));
  assert_non_null (strstr (err->msg, missing));
  al_error_free (&err);
  ro.config_path = cfg;
  ro.type_url = (char *) "io.containerd.runsc.v1.options";
  n = runtimeoptions__v1__options__pack (&ro, buf);
  assert_true (sh_options_parse ("runtimeoptions.v1.Options", buf, n, &o, &err) < 0);
  assert_string_equal (err->msg, "runtime options: TypeUrl \"io.containerd.runsc.v1.options\": airlock's shim config "
                                 "is \"io.airlock.shim.v1.Config\" (or empty)");
  al_error_free (&err);
  assert_true (sh_options_parse ("example.Options", buf, n, &o, &err) < 0);
  assert_true (al_has_prefix (err->msg, "runtime options: unknown type \"example.Options\""));
  al_error_free (&err);

  /* runc's options: accepted, the relevant flags honoured. */
  Containerd__Runc__V1__Options rc = CONTAINERD__RUNC__V1__OPTIONS__INIT;
  rc.systemd_cgroup = true;
  rc.no_pivot_root = true;
  rc.binary_name = (char *) "runc";
  n = containerd__runc__v1__options__pack (&rc, buf);
  assert_int_equal (sh_options_parse ("containerd.runc.v1.Options", buf, n, &o, &err), 0);
  assert_true (o.systemd_cgroup);
  assert_true (o.no_pivot);
  assert_false (o.no_new_keyring);
  assert_null (o.profile);
  sh_options_clear (&o);

  /* No options at all. */
  assert_int_equal (sh_options_parse (NULL, NULL, 0, &o, &err), 0);
  assert_null (o.source);
  unlink (cfg);
  rmdir (dir);
}

static void
test_rewrite (void **state)
{
  (void) state;
  _cleanup_free_ char *dir = tmpdir ();
  _cleanup_free_ char *cfg = al_xasprintf ("%s/config.json", dir);
  write_text (cfg, "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"sh\"],"
                   "\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}},\"annotations\":{\"a\":\"b\",\"airlock.timeout\":"
                   "\"2s\"},\"linux\":{\"resources\":{\"cpu\":{\"quota\":-1,\"shares\":1024}}}}");
  _cleanup_error_ al_error_t err = NULL;
  struct sh_options o = { 0 };
  char *path = NULL;
  /* Nothing to change: no file. */
  assert_int_equal (sh_options_rewrite_config (&o, dir, &path, &err), 0);
  assert_null (path);

  o.profile = al_xstrdup ("untrusted");
  o.timeout = al_xstrdup ("10s");
  o.source = al_xstrdup ("shim.json");
  assert_int_equal (sh_options_rewrite_config (&o, dir, &path, &err), 0);
  _cleanup_free_ char *want = al_xasprintf ("%s/config.airlock.json", dir);
  assert_string_equal (path, want);
  _cleanup_spec_ struct oci_spec *s = NULL;
  if (oci_spec_load (path, &s, &err) < 0)
    fail_msg ("%s", err->msg);
  assert_string_equal (oci_spec_annotation (s, "airlock.profile"), "untrusted");
  assert_string_equal (oci_spec_annotation (s, "airlock.timeout"), "2s"); /* the lower one */
  assert_string_equal (oci_spec_annotation (s, "a"), "b");
  _cleanup_free_ char *text = NULL;
  size_t len;
  assert_int_equal (al_read_file_at (AT_FDCWD, path, 1 << 20, &text, &len, &err), 0);
  assert_non_null (strstr (text, "\"quota\":-1,\"shares\":1024")); /* numbers as written */
  free (path);
  path = NULL;

  /* A pod's annotation cannot swap the runtime class's profile. */
  write_text (cfg, "{\"ociVersion\":\"1.2.0\",\"annotations\":{\"airlock.profile\":\"lax\"}}");
  assert_true (sh_options_rewrite_config (&o, dir, &path, &err) < 0);
  _cleanup_free_ char *msg = al_xasprintf ("%s: annotations.\"airlock.profile\" is \"lax\" but the runtime class runs "
                                           "every container under profile \"untrusted\" (shim.json)",
                                           cfg);
  assert_string_equal (err->msg, msg);
  al_error_free (&err);

  /* No annotations: added. */
  write_text (cfg, "{\"ociVersion\":\"1.2.0\"}");
  assert_int_equal (sh_options_rewrite_config (&o, dir, &path, &err), 0);
  free (text);
  text = NULL;
  assert_int_equal (al_read_file_at (AT_FDCWD, path, 1 << 20, &text, &len, &err), 0);
  assert_string_equal (text, "{\"ociVersion\":\"1.2.0\",\"annotations\":{\"airlock.profile\":\"untrusted\","
                             "\"airlock.timeout\":\"10s\"}}");
  unlink (path);
  free (path);
  sh_options_clear (&o);
  unlink (cfg);
  rmdir (dir);
}

static void
test_termination_message (void **state)
{
  (void) state;
  struct al_verdict v;
  memset (&v, 0, sizeof v);
  v.id = (char *) "c";
  v.profile = (char *) "untrusted";
  v.exited = true;
  v.exit_code = 3;
  v.oom_killed = -1;
  struct al_denied_syscall d[200];
  char names[200][16];
  for (size_t i = 0; i < 200; i++)
    {
      snprintf (names[i], sizeof names[i], "sys%03zu", i);
      d[i] = (struct al_denied_syscall){ .name = names[i], .count = 1, .first_ms = 5, .first_pid = 7 };
    }
  v.denied = d;
  v.n_denied = 200;
  _cleanup_free_ char *full = al_verdict_json (&v, false);
  assert_true (strlen (full) > SH_TERMINATION_MAX);
  _cleanup_free_ char *msg = sh_watch_termination_message (&v, SH_TERMINATION_MAX);
  assert_true (strlen (msg) <= SH_TERMINATION_MAX);
  assert_null (strchr (msg, '\n'));
  struct al_verdict back;
  memset (&back, 0, sizeof back);
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_verdict_parse ("msg", msg, strlen (msg), &back, &err), 0);
  assert_int_equal (back.exit_code, 3);
  assert_true (back.n_denied > 10 && back.n_denied < 200);
  assert_string_equal (back.denied[0].name, "sys000");
  /* what was cut is said, the total stays */
  assert_int_equal (back.denied_dropped_names, 200 - back.n_denied);
  assert_int_equal (back.denied_dropped_calls, 200 - back.n_denied);
  assert_int_equal (back.denied_total, 200);
  al_verdict_clear (&back);
  v.n_denied = 2;
  _cleanup_free_ char *small = sh_watch_termination_message (&v, SH_TERMINATION_MAX);
  _cleanup_free_ char *small_full = al_verdict_json (&v, false);
  assert_string_equal (small, small_full);
}

/* A flood of unknown numbers (the monitor lists 32, counts the rest) and of
 * i386 names, then mount and bpf, then more native names than fit: the
 * message keeps the native names first, says how many names and calls it
 * dropped, and keeps the total. */
static void
test_termination_message_flood (void **state)
{
  (void) state;
  struct al_monitor m;
  al_monitor_init (&m);
  char name[32];
  for (int i = 0; i < 20000; i++)
    {
      snprintf (name, sizeof name, "syscall#%d", 100000 + i);
      al_monitor_record_denied (&m, name, 9, 1);
    }
  for (int i = 0; i < 100; i++)
    {
      snprintf (name, sizeof name, "i386:name_%03d", i);
      al_monitor_record_denied (&m, name, 9, 1);
    }
  al_monitor_record_denied (&m, "mount", 9, 2);
  al_monitor_record_denied (&m, "bpf", 9, 3);
  for (int i = 0; i < 100; i++)
    {
      snprintf (name, sizeof name, "known_name_%03d", i);
      al_monitor_record_denied (&m, name, 9, 4);
      al_monitor_record_denied (&m, name, 9, 4);
    }
  struct al_verdict v;
  al_verdict_collect (&v, "c", &m, NULL, "untrusted-pod", NULL);
  uint64_t total = 20000 + 100 + 2 + 200;
  assert_int_equal (al_verdict_denied_total (&v), total);
  _cleanup_free_ char *msg = sh_watch_termination_message (&v, SH_TERMINATION_MAX);
  assert_true (strlen (msg) <= SH_TERMINATION_MAX);
  struct al_verdict back;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_verdict_parse ("msg", msg, strlen (msg), &back, &err), 0);
  assert_true (back.n_denied >= 20);
  assert_string_equal (back.denied[0].name, "mount");
  assert_string_equal (back.denied[1].name, "bpf");
  uint64_t listed = 0;
  for (size_t i = 0; i < back.n_denied; i++)
    {
      /* no room left for other ABIs' names or unknown numbers */
      assert_false (al_denied_name_is_unknown (back.denied[i].name));
      assert_null (strchr (back.denied[i].name, ':'));
      listed += back.denied[i].count;
    }
  assert_int_equal (back.denied_total, total);
  assert_int_equal (listed + back.denied_dropped_calls, total);
  assert_int_equal (back.denied_dropped_names, m.denied_dropped_names + (m.n_denied - back.n_denied));
  al_verdict_clear (&back);
  al_verdict_clear (&v);
  al_monitor_clear (&m);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_config),
    cmocka_unit_test (test_any),
    cmocka_unit_test (test_rewrite),
    cmocka_unit_test (test_termination_message),
    cmocka_unit_test (test_termination_message_flood),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
