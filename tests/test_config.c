/* test_config.c: config.c (config.json parser), config_default.c and names.c.
 * Run from the repository root: the examples and invalid configs are read
 * from specs/examples and tests/configs/invalid. */
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
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "spec.h"
#include "util.h"

#define EXAMPLES_DIR "specs/examples"
#define INVALID_DIR "tests/configs/invalid"

static struct oci_spec *
parse_ok (const char *text)
{
  struct oci_spec *spec = NULL;
  al_error_t err = NULL;
  int r = oci_spec_parse ("config.json", text, strlen (text), &spec, &err);
  if (r < 0)
    fail_msg ("unexpected error: %s", err ? err->msg : "(none)");
  assert_null (err);
  assert_non_null (spec);
  return spec;
}

static void
expect_error (const char *text, size_t len, const char *msg)
{
  if (len == SIZE_MAX)
    len = strlen (text);
  struct oci_spec *spec = NULL;
  _cleanup_error_ al_error_t err = NULL;
  int r = oci_spec_parse ("config.json", text, len, &spec, &err);
  assert_int_equal (r, -EINVAL);
  assert_null (spec);
  assert_non_null (err);
  assert_string_equal (err->msg, msg);
}

static struct oci_spec *
load_ok (const char *path)
{
  struct oci_spec *spec = NULL;
  _cleanup_error_ al_error_t err = NULL;
  if (oci_spec_load (path, &spec, &err) < 0)
    fail_msg ("%s: %s", path, err ? err->msg : "(none)");
  assert_non_null (spec);
  return spec;
}

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && strcmp (s + a - b, suffix) == 0;
}

static void
test_examples_parse (void **state)
{
  (void) state;
  DIR *d = opendir (EXAMPLES_DIR);
  assert_non_null (d);
  int n = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (!has_suffix (de->d_name, ".json"))
        continue;
      _cleanup_free_ char *path = al_xasprintf ("%s/%s", EXAMPLES_DIR, de->d_name);
      struct oci_spec *spec = load_ok (path);
      oci_spec_free (spec);
      n++;
    }
  closedir (d);
  assert_true (n >= 3);
}

static void
test_minimal (void **state)
{
  (void) state;
  _cleanup_spec_ struct oci_spec *s = load_ok (EXAMPLES_DIR "/minimal.json");
  assert_string_equal (s->oci_version, "1.0.2");
  assert_string_equal (s->root_path, "rootfs");
  assert_false (s->root_readonly);
  assert_null (s->process);
  assert_null (s->linux_);
  assert_int_equal (s->n_mounts, 0);
  assert_null (oci_spec_namespace (s, OCI_NS_PID));
  assert_null (oci_spec_annotation (s, "x"));
}

static void
test_runc_default (void **state)
{
  (void) state;
  _cleanup_spec_ struct oci_spec *s = load_ok (EXAMPLES_DIR "/runc-default.json");
  assert_non_null (s->process);
  assert_true (s->process->terminal);
  assert_string_equal (s->process->args[0], "sh");
  assert_null (s->process->args[1]);
  assert_true (s->process->capabilities.bounding.present);
  assert_false (s->process->capabilities.ambient.present);
  assert_int_equal (s->process->capabilities.bounding.n, 3);
  assert_int_equal (s->process->capabilities.bounding.caps[0], 29);
  assert_int_equal (s->n_mounts, 7);
  assert_string_equal (s->mounts[2].options[5], "gid=5");
  assert_non_null (s->linux_->resources);
  assert_int_equal (s->linux_->resources->n_devices, 1);
  assert_false (s->linux_->resources->devices[0].allow);
  assert_int_equal (s->linux_->resources->devices[0].type, 'a');
  assert_int_equal (s->linux_->resources->devices[0].major, -1);
  assert_int_equal (s->linux_->n_namespaces, 6);
  assert_non_null (oci_spec_namespace (s, OCI_NS_CGROUP));
  assert_null (oci_spec_namespace (s, OCI_NS_USER));
  assert_int_equal (al_strv_len (s->linux_->masked_paths), 10);
  assert_int_equal (al_strv_len (s->linux_->readonly_paths), 5);
}

static void
test_full (void **state)
{
  (void) state;
  _cleanup_spec_ struct oci_spec *s = load_ok (EXAMPLES_DIR "/full.json");
  struct oci_process *p = s->process;
  assert_non_null (p);
  assert_true (p->has_console_size);
  assert_int_equal (p->console_height, 25);
  assert_int_equal (p->console_width, 80);
  assert_int_equal (p->user.uid, 1000);
  assert_true (p->user.has_umask);
  assert_int_equal (p->user.umask, 18);
  assert_int_equal (p->user.n_additional_gids, 3);
  assert_int_equal (p->user.additional_gids[2], UINT32_MAX);
  assert_string_equal (p->args[2], "echo hi");
  assert_string_equal (p->cwd, "/work");
  assert_int_equal (p->capabilities.bounding.caps[2], 40);
  assert_true (p->capabilities.inheritable.present);
  assert_int_equal (p->capabilities.inheritable.n, 0);
  assert_int_equal (p->capabilities.ambient.caps[0], 13);
  assert_int_equal (p->n_rlimits, 3);
  assert_int_equal (p->rlimits[1].resource, RLIMIT_CORE);
  assert_true (p->rlimits[1].hard == UINT64_MAX);
  assert_int_equal (p->rlimits[2].resource, RLIMIT_RTTIME);
  assert_true (p->no_new_privileges);
  assert_true (p->has_oom_score_adj);
  assert_int_equal (p->oom_score_adj, -500);
  assert_true (p->io_priority.present);
  assert_int_equal (p->io_priority.klass, 2);
  assert_int_equal (p->io_priority.priority, 4);
  assert_true (p->scheduler.present);
  assert_int_equal (p->scheduler.policy, 6);
  assert_int_equal (p->scheduler.flags, 0x3);
  assert_true (p->scheduler.has_nice);
  assert_int_equal (p->scheduler.nice, -5);
  assert_int_equal (p->scheduler.period, 30000000);
  assert_string_equal (p->exec_cpu_affinity_final, "1");

  assert_string_equal (s->domainname, "example.org");
  assert_int_equal (s->n_mounts, 3);
  assert_null (s->mounts[1].type);
  assert_int_equal (s->mounts[1].n_uid_mappings, 1);
  assert_int_equal (s->mounts[1].uid_mappings[0].host_id, 100000);
  assert_null (s->mounts[2].source);

  assert_int_equal (s->hooks.prestart.n, 1);
  assert_string_equal (s->hooks.prestart.hooks[0].args[1], "arg1");
  assert_true (s->hooks.create_runtime.hooks[0].has_timeout);
  assert_int_equal (s->hooks.create_runtime.hooks[0].timeout, 5);
  assert_int_equal (s->hooks.create_container.n, 1);
  assert_int_equal (s->hooks.start_container.n, 1);
  assert_int_equal (s->hooks.poststart.n, 1);
  assert_int_equal (s->hooks.poststop.n, 1);

  assert_string_equal (oci_spec_annotation (s, "com.example.key2"), "value2");

  struct oci_linux *l = s->linux_;
  assert_int_equal (l->n_namespaces, 8);
  const struct oci_namespace *net = oci_spec_namespace (s, OCI_NS_NETWORK);
  assert_non_null (net);
  assert_string_equal (net->path, "/var/run/netns/neta");
  assert_non_null (oci_spec_namespace (s, OCI_NS_TIME));
  assert_null (oci_spec_namespace (s, OCI_NS_PID)->path);
  assert_int_equal (l->n_uid_mappings, 1);
  assert_int_equal (l->gid_mappings[0].size, 65536);
  assert_true (l->time_monotonic.present);
  assert_int_equal (l->time_monotonic.secs, -86400);
  assert_int_equal (l->time_monotonic.nanosecs, 500);
  assert_true (l->time_boottime.present);
  assert_int_equal (l->n_devices, 3);
  assert_int_equal (l->devices[0].type, 'c');
  assert_int_equal (l->devices[0].minor, 229);
  assert_true (l->devices[0].has_file_mode);
  assert_int_equal (l->devices[0].file_mode, 438);
  assert_false (l->devices[1].has_uid);
  assert_int_equal (l->devices[2].type, 'p');
  assert_string_equal (l->cgroups_path, "/airlock/full");

  struct oci_resources *res = l->resources;
  assert_non_null (res);
  assert_int_equal (res->n_devices, 3);
  assert_string_equal (res->devices[0].access, "rwm");
  assert_int_equal (res->devices[2].type, 'b');
  assert_int_equal (res->devices[2].minor, -1);
  assert_string_equal (res->devices[1].access, "rw");
  assert_true (res->memory.present);
  assert_int_equal (res->memory.limit, 536870912);
  assert_int_equal (res->memory.swap, -1);
  assert_true (res->memory.has_swappiness);
  assert_int_equal (res->memory.swappiness, 0);
  assert_true (res->memory.has_check_before_update);
  assert_true (res->cpu.present);
  assert_int_equal (res->cpu.quota, 1000000);
  assert_string_equal (res->cpu.cpus, "0-3");
  assert_true (res->cpu.has_idle);
  assert_true (res->pids.present);
  assert_int_equal (res->pids.limit, 32771);
  assert_true (res->block_io.present);
  assert_int_equal (res->block_io.n_weight_device, 2);
  assert_false (res->block_io.weight_device[1].has_leaf_weight);
  assert_int_equal (res->block_io.throttle_write_iops[0].minor, 16);
  assert_int_equal (res->n_hugepage_limits, 2);
  assert_string_equal (res->hugepage_limits[1].page_size, "1GB");
  assert_true (res->network.has_class_id);
  assert_int_equal (res->network.n_priorities, 2);
  assert_int_equal (res->n_rdma, 2);
  assert_string_equal (res->rdma[1].device, "mlx4_0");
  assert_false (res->rdma[1].has_hca_handles);
  assert_int_equal (res->n_unified, 2);

  assert_string_equal (l->rootfs_propagation, "rslave");
  struct oci_seccomp *sc = l->seccomp;
  assert_non_null (sc);
  assert_string_equal (sc->default_action, "SCMP_ACT_ERRNO");
  assert_true (sc->has_default_errno_ret);
  assert_int_equal (al_strv_len (sc->architectures), 4);
  assert_int_equal (al_strv_len (sc->flags), 2);
  assert_int_equal (sc->n_syscalls, 5);
  assert_int_equal (sc->syscalls[1].n_args, 2);
  assert_int_equal (sc->syscalls[1].args[1].value, 8);
  assert_true (sc->syscalls[2].args[0].has_value_two);
  assert_string_equal (sc->syscalls[2].args[0].op, "SCMP_CMP_MASKED_EQ");
  assert_int_equal (sc->syscalls[3].errno_ret, 13);
  assert_int_equal (l->n_sysctl, 2);
  assert_string_equal (l->sysctl[0].key, "net.ipv4.ip_forward");
  assert_int_equal (al_strv_len (l->masked_paths), 2);
  assert_true (l->has_personality);
  assert_string_equal (l->personality_domain, "LINUX32");
  assert_true (l->has_intel_rdt);
}

static void
test_default_json (void **state)
{
  (void) state;
  for (int rootless = 0; rootless <= 1; rootless++)
    {
      _cleanup_free_ char *json = oci_spec_default_json (rootless);
      assert_non_null (json);
      _cleanup_spec_ struct oci_spec *s = parse_ok (json);
      assert_string_equal (s->oci_version, AL_OCI_VERSION);
      assert_string_equal (s->root_path, "rootfs");
      assert_true (s->root_readonly);
      assert_string_equal (s->hostname, "airlock");
      assert_true (s->process->terminal);
      assert_true (s->process->no_new_privileges);
      assert_string_equal (s->process->cwd, "/");
      assert_string_equal (s->process->env[1], "TERM=xterm");
      assert_int_equal (s->process->capabilities.permitted.n, 3);
      assert_int_equal (s->process->rlimits[0].resource, RLIMIT_NOFILE);
      assert_int_equal (al_strv_len (s->linux_->masked_paths), 10);
      assert_int_equal (al_strv_len (s->linux_->readonly_paths), 5);
      assert_non_null (oci_spec_namespace (s, OCI_NS_PID));
      assert_non_null (oci_spec_namespace (s, OCI_NS_MOUNT));
      if (rootless)
        {
          assert_non_null (oci_spec_namespace (s, OCI_NS_USER));
          assert_null (oci_spec_namespace (s, OCI_NS_NETWORK));
          assert_null (oci_spec_namespace (s, OCI_NS_CGROUP));
          assert_null (s->linux_->resources);
          assert_int_equal (s->linux_->n_uid_mappings, 1);
          assert_int_equal (s->linux_->uid_mappings[0].host_id, getuid ());
          assert_int_equal (s->linux_->gid_mappings[0].host_id, getgid ());
          assert_int_equal (s->linux_->uid_mappings[0].container_id, 0);
          assert_int_equal (s->linux_->uid_mappings[0].size, 1);
          for (size_t i = 0; i < s->n_mounts; i++)
            {
              if (strcmp (s->mounts[i].destination, "/sys") == 0)
                assert_string_equal (s->mounts[i].options[0], "rbind");
              for (char **o = s->mounts[i].options; o && *o; o++)
                assert_false (al_has_prefix (*o, "gid="));
            }
        }
      else
        {
          assert_null (oci_spec_namespace (s, OCI_NS_USER));
          assert_non_null (oci_spec_namespace (s, OCI_NS_NETWORK));
          assert_non_null (oci_spec_namespace (s, OCI_NS_CGROUP));
          assert_non_null (s->linux_->resources);
          assert_int_equal (s->linux_->resources->n_devices, 1);
          assert_string_equal (s->linux_->resources->devices[0].access, "rwm");
          assert_int_equal (s->n_mounts, 7);
          assert_string_equal (s->mounts[6].destination, "/sys/fs/cgroup");
          assert_string_equal (s->mounts[6].type, "cgroup2");
        }
    }
}

/* Every tests/configs/invalid/NAME.json fails with the one line in NAME.err. */
static void
test_invalid_configs (void **state)
{
  (void) state;
  DIR *d = opendir (INVALID_DIR);
  assert_non_null (d);
  int n = 0, failed = 0;
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      if (!has_suffix (de->d_name, ".json"))
        continue;
      _cleanup_free_ char *path = al_xasprintf ("%s/%s", INVALID_DIR, de->d_name);
      _cleanup_free_ char *errpath = al_xasprintf ("%.*s.err", (int) (strlen (path) - 5), path);
      _cleanup_free_ char *text = NULL, *want = NULL;
      size_t len = 0, wlen = 0;
      _cleanup_error_ al_error_t rerr = NULL;
      if (al_read_file_at (AT_FDCWD, path, 1 << 20, &text, &len, &rerr) < 0
          || al_read_file_at (AT_FDCWD, errpath, 4096, &want, &wlen, &rerr) < 0)
        fail_msg ("%s", rerr->msg);
      while (wlen > 0 && want[wlen - 1] == '\n')
        want[--wlen] = '\0';

      struct oci_spec *spec = NULL;
      _cleanup_error_ al_error_t err = NULL;
      int r = oci_spec_parse ("config.json", text, len, &spec, &err);
      n++;
      if (r != -EINVAL || spec != NULL || err == NULL || strcmp (err->msg, want) != 0)
        {
          print_error ("%s:\n  want: %s\n  got:  %s (r=%d)\n", de->d_name, want, err ? err->msg : "(no error)", r);
          failed++;
        }
      oci_spec_free (spec);
    }
  closedir (d);
  print_message ("%d invalid configs checked\n", n);
  assert_int_equal (failed, 0);
  assert_true (n >= 35);
}

static void
test_deep_nesting (void **state)
{
  (void) state;
  size_t depth = 100000;
  char *text = al_xmalloc0 (2 * depth + 1);
  memset (text, '[', depth);
  memset (text + depth, ']', depth);
  expect_error (text, 2 * depth, "config.json: invalid JSON: nesting deeper than 64 levels");

  /* Objects too, and unterminated. */
  size_t n = 0;
  for (size_t i = 0; i < depth / 8; i++)
    n += (size_t) sprintf (text + n, "{\"a\":");
  expect_error (text, n, "config.json: invalid JSON: nesting deeper than 64 levels");
  free (text);
}

static void
test_nul_bytes (void **state)
{
  (void) state;
  static const char raw[] = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"a\0b\"}}";
  expect_error (raw, sizeof (raw) - 1, "config.json: invalid JSON: lexical error: invalid character inside string");
  static const char outside[] = "{\"ociVersion\":\"1.2.0\",\0\"root\":{\"path\":\"ab\"}}";
  expect_error (outside, sizeof (outside) - 1, "config.json: invalid JSON: lexical error: invalid char in json text");
  static const char esc[] = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"a\\u0000b\"}}";
  expect_error (esc, sizeof (esc) - 1, "config.json: root.path: string contains a NUL character (\\u0000)");
  static const char key[] = "{\"ociVersion\":\"1.2.0\",\"ro\\u0000ot\":{\"path\":\"ab\"}}";
  expect_error (key, sizeof (key) - 1, "config.json: invalid JSON: object key contains a NUL character (\\u0000)");
  static const char nested_key[] = "{\"ociVersion\":\"1.2.0\",\"annotations\":{\"a\":\"1\",\"b\\u0000\":\"2\"}}";
  expect_error (nested_key, sizeof (nested_key) - 1,
                "config.json: annotations: object key contains a NUL character (\\u0000)");
  static const char arg[] = "{\"ociVersion\":\"1.2.0\",\"process\":{\"cwd\":\"/\",\"args\":[\"sh\",\"-c\",\"x\\u0000y\"]}}";
  expect_error (arg, sizeof (arg) - 1, "config.json: process.args[2]: string contains a NUL character (\\u0000)");
  static const char env[] = "{\"ociVersion\":\"1.2.0\",\"process\":{\"env\":[\"A=1\",\"B=\\u0000\"]}}";
  expect_error (env, sizeof (env) - 1, "config.json: process.env[1]: string contains a NUL character (\\u0000)");
  static const char ann[] = "{\"ociVersion\":\"1.2.0\",\"annotations\":{\"io.x/y\":\"\\u0000\"}}";
  expect_error (ann, sizeof (ann) - 1, "config.json: annotations[\"io.x/y\"]: string contains a NUL character (\\u0000)");
  expect_error ("", 0, "config.json: invalid JSON: parse error: premature EOF");
}

static void
test_oversized (void **state)
{
  (void) state;
  size_t size = AL_CONFIG_MAX_SIZE + 100;
  char *text = al_xmalloc0 (size + 1);
  /* A valid config padded with an annotation to above the limit. */
  const char *head = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"annotations\":{\"pad\":\"";
  size_t hl = strlen (head);
  memcpy (text, head, hl);
  memset (text + hl, 'x', size - hl - 3);
  memcpy (text + size - 3, "\"}}", 3);

  _cleanup_free_ char *msg = al_xasprintf ("config.json: %zu bytes is more than the %u allowed", size,
                                           AL_CONFIG_MAX_SIZE);
  expect_error (text, size, msg);

  char path[] = "/tmp/airlock-test-config-XXXXXX";
  int fd = mkstemp (path);
  assert_true (fd >= 0);
  assert_int_equal (al_write_all (fd, text, size), (ssize_t) size);
  close (fd);
  struct oci_spec *spec = NULL;
  _cleanup_error_ al_error_t err = NULL;
  assert_true (oci_spec_load (path, &spec, &err) < 0);
  assert_null (spec);
  assert_non_null (err);
  assert_non_null (strstr (err->msg, path));

  /* Just at the limit it parses. */
  size = AL_CONFIG_MAX_SIZE;
  memset (text + hl, 'x', size - hl - 3);
  memcpy (text + size - 3, "\"}}", 3);
  fd = open (path, O_WRONLY | O_TRUNC);
  assert_true (fd >= 0);
  assert_int_equal (al_write_all (fd, text, size), (ssize_t) size);
  close (fd);
  spec = load_ok (path);
  assert_int_equal (strlen (oci_spec_annotation (spec, "pad")), size - hl - 3);
  oci_spec_free (spec);
  unlink (path);
  free (text);
}

static void
test_versions (void **state)
{
  (void) state;
  static const char *const good[] = { "1.0.0", "1.0.2", "1.0.2-dev", "1.1.0", "1.1.0-rc.1", "1.2.0", "1.2.1", "1.2.10", "1.0.0-rc5",
                                      "1.3.0", "1.3.1", "1.3.0-rc.2", "1.3.0+build" };
  static const char *const bad[] = { "2.0.0", "1.4.0", "0.9.9", "1.2", "1.2.0-", "v1.2.0", "1.2.x", "", "1.02.0", "1.2.0 " };
  for (size_t i = 0; i < sizeof (good) / sizeof (good[0]); i++)
    {
      _cleanup_free_ char *t = al_xasprintf ("{\"ociVersion\":\"%s\",\"root\":{\"path\":\"r\"}}", good[i]);
      oci_spec_free (parse_ok (t));
    }
  for (size_t i = 0; i < sizeof (bad) / sizeof (bad[0]); i++)
    {
      _cleanup_free_ char *t = al_xasprintf ("{\"ociVersion\":\"%s\",\"root\":{\"path\":\"r\"}}", bad[i]);
      _cleanup_free_ char *m = al_xasprintf (
          "config.json: ociVersion: unsupported version \"%s\" (airlock supports 1.0.0 to 1.3.x)", bad[i]);
      expect_error (t, strlen (t), m);
    }
}

static void
test_process_parse (void **state)
{
  (void) state;
  const char *good = "{\"args\":[\"ls\",\"-l\"],\"cwd\":\"/tmp\",\"env\":[\"A=1\"],\"terminal\":true,"
                     "\"user\":{\"uid\":5,\"gid\":6},\"capabilities\":{\"bounding\":[\"CAP_KILL\"]}}";
  struct oci_process *p = NULL;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (oci_process_parse ("process.json", good, strlen (good), &p, &err), 0);
  assert_non_null (p);
  assert_string_equal (p->args[1], "-l");
  assert_string_equal (p->cwd, "/tmp");
  assert_int_equal (p->user.gid, 6);
  assert_int_equal (p->capabilities.bounding.caps[0], 5);
  oci_process_free (p);

  const char *bad = "{\"args\":[\"ls\"],\"cwd\":\"tmp\"}";
  p = NULL;
  assert_int_equal (oci_process_parse ("process.json", bad, strlen (bad), &p, &err), -EINVAL);
  assert_null (p);
  assert_string_equal (err->msg, "process.json: cwd: must be an absolute path, got \"tmp\"");
  al_error_free (&err);

  const char *noargs = "{\"cwd\":\"/\"}";
  assert_int_equal (oci_process_parse ("process.json", noargs, strlen (noargs), &p, &err), -EINVAL);
  assert_string_equal (err->msg, "process.json: args: missing required field");
  al_error_free (&err);

  assert_int_equal (oci_process_parse ("process.json", "[1]", 3, &p, &err), -EINVAL);
  assert_string_equal (err->msg, "process.json: expected an object, got array");
  al_error_free (&err);

  assert_int_equal (oci_process_parse ("process.json", "{", 1, &p, &err), -EINVAL);
  assert_string_equal (err->msg, "process.json: invalid JSON: parse error: premature EOF");
}

static void
test_top_level_type (void **state)
{
  (void) state;
  expect_error ("[]", 2, "config.json: expected an object, got array");
  expect_error ("\"x\"", 3, "config.json: expected an object, got string");
  expect_error ("{} {}", 5, "config.json: invalid JSON: parse error: trailing garbage");
}

static void
test_null_is_absent (void **state)
{
  (void) state;
  _cleanup_spec_ struct oci_spec *s
      = parse_ok ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\",\"readonly\":null},\"process\":null,"
                  "\"linux\":{\"seccomp\":null,\"namespaces\":null},\"hostname\":null,\"future\":[{}]}");
  assert_null (s->process);
  assert_non_null (s->linux_);
  assert_null (s->linux_->seccomp);
  assert_null (s->hostname);
}

static void
test_strict_utf8 (void **state)
{
  (void) state;
  /* Malformed sequences: yajl refuses them. */
  expect_error ("{\"ociVersion\":\"1.2.0\",\"hostname\":\"\xff\xfe\"}", SIZE_MAX,
                "config.json: invalid JSON: lexical error: invalid bytes in UTF8 string");
  /* Well-formed in shape, invalid all the same: we refuse them. */
  static const char *const bad[] = {
    "\xc0\xaf",         /* overlong '/' */
    "\xe0\x80\xaf",     /* overlong '/' */
    "\xf0\x80\x80\xaf", /* overlong '/' */
    "\xed\xa0\x80",     /* U+D800, a surrogate */
    "\xf4\x90\x80\x80", /* U+110000 */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      _cleanup_free_ char *text = al_xasprintf ("{\"ociVersion\":\"1.2.0\",\"hostname\":\"a%sb\"}", bad[i]);
      expect_error (text, SIZE_MAX, "config.json: hostname: string is not valid UTF-8");
    }
  _cleanup_free_ char *key = al_xasprintf ("{\"ociVersion\":\"1.2.0\",\"annotations\":{\"\xc0\xaf\":\"x\"}}");
  expect_error (key, SIZE_MAX, "config.json: annotations: object key is not valid UTF-8");
  /* The edges of what is valid. */
  _cleanup_spec_ struct oci_spec *s = parse_ok ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
                                                "\"hostname\":\"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80"
                                                "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"}");
  assert_string_equal (s->hostname, "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
}

static void
test_env_entries (void **state)
{
  (void) state;
  expect_error ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],"
                "\"env\":[\"A=1\",\"NOEQUALS\"]}}",
                SIZE_MAX, "config.json: process.env[1]: \"NOEQUALS\" is not NAME=VALUE");
  expect_error ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\",\"args\":[\"sh\"],"
                "\"env\":[\"=x\"]}}",
                SIZE_MAX, "config.json: process.env[0]: \"=x\" is not NAME=VALUE");
  expect_error ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"hooks\":{\"prestart\":[{\"path\":\"/h\","
                "\"env\":[\"\"]}]}}",
                SIZE_MAX, "config.json: hooks.prestart[0].env[0]: \"\" is not NAME=VALUE");
  _cleanup_spec_ struct oci_spec *s = parse_ok ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"process\":{"
                                                "\"cwd\":\"/\",\"args\":[\"sh\"],\"env\":[\"A=\",\"B==c\"]}}");
  assert_string_equal (s->process->env[1], "B==c");
}

static void
test_value_count (void **state)
{
  /* 300000 tiny values fit in 4 MiB but not in the value budget. */
  (void) state;
  size_t n = 300000;
  _cleanup_free_ char *text = malloc (64 + 2 * n);
  size_t len = (size_t) sprintf (text, "{\"ociVersion\":\"1.2.0\",\"x\":[");
  for (size_t i = 0; i < n; i++)
    text[len++] = i ? ',' : '0', text[len++] = i ? '0' : ' ';
  len += (size_t) sprintf (text + len, "]}");
  /* the object, the version, the array: the 262145th value is x[262141] */
  expect_error (text, len, "config.json: x[262141]: more than 262144 values in the document");
}

static void
test_duplicate_keys (void **state)
{
  (void) state;
  /* Parsers disagree on which of two equal keys wins: refused, anywhere. */
  expect_error ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"a\"},\"root\":{\"path\":\"b\"}}", SIZE_MAX,
                "config.json: root: duplicate key");
  expect_error ("{\"ociVersion\":\"1.2.0\",\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"args\":[\"b\"]}}", SIZE_MAX,
                "config.json: process.args: duplicate key");
  expect_error ("{\"ociVersion\":\"1.2.0\",\"mounts\":[{\"destination\":\"/a\"},{\"type\":\"x\",\"type\":\"y\"}]}",
                SIZE_MAX, "config.json: mounts[1].type: duplicate key");
  expect_error ("{\"ociVersion\":\"1.2.0\",\"annotations\":{\"k.1\":\"a\",\"k.2\":\"b\",\"k.1\":\"c\"}}", SIZE_MAX,
                "config.json: annotations[\"k.1\"]: duplicate key");
  /* Unknown objects too. */
  expect_error ("{\"ociVersion\":\"1.2.0\",\"future\":{\"x\":1,\"x\":2}}", SIZE_MAX,
                "config.json: future.x: duplicate key");
  /* Equal keys in different objects are fine. */
  _cleanup_spec_ struct oci_spec *s = parse_ok (
      "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"a\":{\"path\":1},\"b\":[{\"path\":1},{\"path\":2}]}");
  assert_string_equal (s->root_path, "r");
}

static void
test_many_keys (void **state)
{
  /* 100000 distinct annotations: the duplicate check stays fast. */
  (void) state;
  size_t n = 100000;
  size_t cap = 64 + n * 24;
  _cleanup_free_ char *text = malloc (cap);
  size_t len = (size_t) sprintf (text, "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},\"annotations\":{");
  for (size_t i = 0; i < n; i++)
    len += (size_t) sprintf (text + len, "%s\"k%zu\":\"v\"", i ? "," : "", i);
  len += (size_t) sprintf (text + len, "}}");
  _cleanup_spec_ struct oci_spec *s = parse_ok (text);
  assert_non_null (s);
  sprintf (text + len - 2, ",\"k77\":\"w\"}}");
  expect_error (text, SIZE_MAX, "config.json: annotations.k77: duplicate key");
}

static void
test_names (void **state)
{
  (void) state;
  assert_int_equal (al_cap_from_name ("CAP_CHOWN"), 0);
  assert_int_equal (al_cap_from_name ("CAP_SYS_ADMIN"), 21);
  assert_int_equal (al_cap_from_name ("CAP_CHECKPOINT_RESTORE"), 40);
  assert_int_equal (al_cap_from_name ("CAP_FOO"), -1);
  assert_int_equal (al_cap_from_name ("SYS_ADMIN"), -1);
  assert_int_equal (al_cap_from_name (NULL), -1);
  for (int i = 0; i <= 40; i++)
    {
      assert_non_null (al_cap_name (i));
      assert_int_equal (al_cap_from_name (al_cap_name (i)), i);
    }
  assert_null (al_cap_name (41));
  assert_null (al_cap_name (-1));
  assert_string_equal (al_cap_name (29), "CAP_AUDIT_WRITE");

  static const struct
  {
    const char *n;
    int v;
  } rl[] = {
    { "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_FSIZE", RLIMIT_FSIZE },       { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_STACK", RLIMIT_STACK },   { "RLIMIT_CORE", RLIMIT_CORE },         { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_NOFILE", RLIMIT_NOFILE },     { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_LOCKS", RLIMIT_LOCKS },       { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  };
  for (size_t i = 0; i < sizeof (rl) / sizeof (rl[0]); i++)
    assert_int_equal (al_rlimit_from_name (rl[i].n), rl[i].v);
  assert_int_equal (al_rlimit_from_name ("RLIMIT_FOO"), -1);
  assert_int_equal (al_rlimit_from_name ("NOFILE"), -1);

  assert_string_equal (oci_ns_type_name (OCI_NS_PID), "pid");
  assert_string_equal (oci_ns_type_name (OCI_NS_NETWORK), "network");
  assert_string_equal (oci_ns_type_name (OCI_NS_TIME), "time");
  assert_string_equal (oci_ns_type_name (OCI_NS_CGROUP), "cgroup");
}

/* runtime-spec 1.3: pids.limit optional, 0 a real limit (older: none). */
static void
test_pids_limit (void **state)
{
  (void) state;
  static const char *const fmt = "{\"ociVersion\":\"%s\",\"root\":{\"path\":\"r\"},"
                                 "\"linux\":{\"resources\":{\"pids\":%s}}}";
  struct
  {
    const char *version, *pids;
    bool present;
    int64_t limit;
  } cases[] = {
    { "1.3.0", "{\"limit\":0}", true, 0 },   { "1.2.0", "{\"limit\":0}", true, -1 },
    { "1.3.0", "{\"limit\":-1}", true, -1 }, { "1.3.0", "{\"limit\":7}", true, 7 },
    { "1.3.0", "{}", false, 0 },             { "1.0.2", "{\"limit\":5}", true, 5 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      _cleanup_free_ char *t = al_xasprintf (fmt, cases[i].version, cases[i].pids);
      _cleanup_spec_ struct oci_spec *s = parse_ok (t);
      assert_int_equal (s->linux_->resources->pids.present, cases[i].present);
      if (cases[i].present)
        assert_int_equal (s->linux_->resources->pids.limit, cases[i].limit);
    }
}

/* linux.netDevices, linux.memoryPolicy, linux.intelRdt (1.3). */
static void
test_spec13_fields (void **state)
{
  (void) state;
  _cleanup_spec_ struct oci_spec *s = parse_ok (
      "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"r\"},\"linux\":{"
      "\"netDevices\":{\"eth0\":{\"name\":\"ctr%d\"},\"eth1\":{}},"
      "\"memoryPolicy\":{\"mode\":\"MPOL_INTERLEAVE\",\"nodes\":\"0-1\",\"flags\":[\"MPOL_F_STATIC_NODES\"]},"
      "\"intelRdt\":{\"closID\":\"g\",\"schemata\":[\"L3:0=7f0\",\"MB:0=20\"],\"enableMonitoring\":true}}}");
  struct oci_linux *l = s->linux_;
  assert_int_equal (l->n_net_devices, 2);
  assert_string_equal (l->net_devices[0].host_name, "eth0");
  assert_string_equal (l->net_devices[0].name, "ctr%d");
  assert_null (l->net_devices[1].name);
  assert_true (l->memory_policy.present);
  assert_int_equal (l->memory_policy.mode, 3);
  assert_int_equal (l->memory_policy.flags, 1 << 15);
  assert_string_equal (l->memory_policy.nodes, "0-1");
  assert_true (l->intel_rdt.present);
  assert_string_equal (l->intel_rdt.clos_id, "g");
  assert_string_equal (l->intel_rdt.schemata[1], "MB:0=20");
  assert_true (l->intel_rdt.enable_monitoring);

#define HEAD "{\"ociVersion\":\"1.3.0\",\"root\":{\"path\":\"r\"},\"linux\":"
  expect_error (HEAD "{\"netDevices\":{\"eth0\":{\"name\":\"\"}}}}", SIZE_MAX,
                "config.json: linux.netDevices.eth0.name: invalid interface name \"\": empty interface name");
  expect_error (HEAD "{\"netDevices\":{\"a:b\":{}}}}", SIZE_MAX,
                "config.json: linux.netDevices[\"a:b\"]: invalid interface name \"a:b\": interface names cannot hold "
                "'/', ':' or blanks");
  expect_error (HEAD "{\"netDevices\":{\"eth0\":{\"name\":\"x%d%d\"}}}}", SIZE_MAX,
                "config.json: linux.netDevices.eth0.name: invalid interface name \"x%d%d\": '%' is only allowed as one "
                "\"%d\" (the kernel picks a free number)");
  expect_error (HEAD "{\"netDevices\":{\"eth0\":{\"name\":\"..\"}}}}", SIZE_MAX,
                "config.json: linux.netDevices.eth0.name: invalid interface name \"..\": \".\" and \"..\" are not "
                "interface names");
  expect_error (HEAD "{\"netDevices\":{\"eth0\":{\"name\":\"c\"},\"eth1\":{\"name\":\"c\"}}}}", SIZE_MAX,
                "config.json: linux.netDevices.eth1: two devices would be named \"c\" in the container");
  expect_error (HEAD "{\"memoryPolicy\":{\"mode\":\"MPOL_LOCAL\",\"nodes\":\"1\"}}}", SIZE_MAX,
                "config.json: linux.memoryPolicy.nodes: nodes must be empty for this mode (mode MPOL_LOCAL, nodes 1)");
  expect_error (HEAD "{\"memoryPolicy\":{\"nodes\":\"1\"}}}", SIZE_MAX,
                "config.json: linux.memoryPolicy.mode: missing required field");
  expect_error (HEAD "{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\",\"nodes\":\"0\",\"flags\":[\"MPOL_F_STATIC_NODES\","
                     "\"MPOL_F_RELATIVE_NODES\"]}}}",
                SIZE_MAX,
                "config.json: linux.memoryPolicy.nodes: MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other "
                "(mode MPOL_BIND, nodes 0)");
  expect_error (HEAD "{\"intelRdt\":{\"memBwSchema\":\"L3:0=1\"}}}", SIZE_MAX,
                "config.json: linux.intelRdt.memBwSchema: must start with \"MB:\" and hold no newline");
  expect_error (HEAD "{\"intelRdt\":{\"closID\":\"a/b\"}}}", SIZE_MAX,
                "config.json: linux.intelRdt.closID: invalid CLOS \"a/b\" (a directory name, or \"/\" for the default one)");
#undef HEAD
}

static void
test_load_missing (void **state)
{
  (void) state;
  struct oci_spec *s = NULL;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (oci_spec_load ("/nonexistent/config.json", &s, &err), -ENOENT);
  assert_null (s);
  assert_non_null (strstr (err->msg, "/nonexistent/config.json"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_examples_parse), cmocka_unit_test (test_minimal),
    cmocka_unit_test (test_runc_default),   cmocka_unit_test (test_full),
    cmocka_unit_test (test_default_json),   cmocka_unit_test (test_invalid_configs),
    cmocka_unit_test (test_deep_nesting),   cmocka_unit_test (test_nul_bytes),
    cmocka_unit_test (test_oversized),      cmocka_unit_test (test_versions),
    cmocka_unit_test (test_process_parse),  cmocka_unit_test (test_top_level_type),
    cmocka_unit_test (test_null_is_absent), cmocka_unit_test (test_duplicate_keys), cmocka_unit_test (test_env_entries),
    cmocka_unit_test (test_value_count), cmocka_unit_test (test_strict_utf8),
    cmocka_unit_test (test_many_keys),      cmocka_unit_test (test_names),
    cmocka_unit_test (test_load_missing),   cmocka_unit_test (test_pids_limit),
    cmocka_unit_test (test_spec13_fields),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
