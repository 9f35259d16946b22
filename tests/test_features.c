/* test_features.c: features.c unit tests: the document parses, has every
 * key the runtime-spec defines, and its values agree with the host. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cmocka.h>
#include <yajl/yajl_tree.h>

#include "caps.h"
#include "error.h"
#include "features.h"
#include "spec.h"

/* The parsed document, shared by the tests (setup/teardown). */
static int
setup (void **state)
{
  _cleanup_error_ al_error_t err = NULL;
  char *json = NULL;
  if (al_features_json (&json, &err) < 0)
    {
      fprintf (stderr, "al_features_json: %s\n", err->msg);
      return -1;
    }
  char errbuf[256];
  yajl_val root = yajl_tree_parse (json, errbuf, sizeof errbuf);
  if (root == NULL)
    fprintf (stderr, "parse: %s\n%s\n", errbuf, json);
  free (json);
  *state = root;
  return root ? 0 : -1;
}

static int
teardown (void **state)
{
  yajl_tree_free (*state);
  return 0;
}

static yajl_val
get (yajl_val root, yajl_type type, ...)
{
  const char *path[8];
  size_t n = 0;
  va_list ap;
  va_start (ap, type);
  const char *p;
  while ((p = va_arg (ap, const char *)) != NULL && n < 7)
    path[n++] = p;
  va_end (ap);
  path[n] = NULL;
  yajl_val v = yajl_tree_get (root, path, type);
  if (v == NULL)
    fail_msg ("missing or wrong type: %s%s%s%s%s", path[0], n > 1 ? "." : "", n > 1 ? path[1] : "", n > 2 ? "." : "",
              n > 2 ? path[2] : "");
  return v;
}

static bool
array_has (yajl_val a, const char *s)
{
  for (size_t i = 0; i < YAJL_GET_ARRAY (a)->len; i++)
    {
      const char *e = YAJL_GET_STRING (YAJL_GET_ARRAY (a)->values[i]);
      if (e && strcmp (e, s) == 0)
        return true;
    }
  return false;
}

static void
test_versions_and_hooks (void **state)
{
  yajl_val root = *state;
  assert_string_equal (YAJL_GET_STRING (get (root, yajl_t_string, "ociVersionMin", NULL)), "1.0.0");
  assert_string_equal (YAJL_GET_STRING (get (root, yajl_t_string, "ociVersionMax", NULL)), AL_OCI_VERSION);
  yajl_val hooks = get (root, yajl_t_array, "hooks", NULL);
  assert_int_equal (YAJL_GET_ARRAY (hooks)->len, 6);
  static const char *const names[]
      = { "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop" };
  for (size_t i = 0; i < 6; i++)
    assert_true (array_has (hooks, names[i]));
}

static void
test_mount_options (void **state)
{
  yajl_val opts = get (*state, yajl_t_array, "mountOptions", NULL);
  assert_true (array_has (opts, "ro"));
  assert_true (array_has (opts, "rbind"));
  assert_true (array_has (opts, "rro"));
  /* tmpcopyup works on every tmpfs (copyup.h). */
  assert_true (array_has (opts, "tmpcopyup"));
  /* Only with a user namespace and a bind mount (idmap, ridmap: see
     mountExtensions): not advertised. */
  assert_false (array_has (opts, "idmap"));
  assert_false (array_has (opts, "ridmap"));
}

static void
test_namespaces_follow_the_kernel (void **state)
{
  yajl_val ns = get (*state, yajl_t_array, "linux", "namespaces", NULL);
  static const char *const oci[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };
  static const char *const proc[] = { "pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time" };
  for (size_t i = 0; i < 8; i++)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/self/ns/%s", proc[i]);
      assert_int_equal (array_has (ns, oci[i]), access (path, F_OK) == 0);
    }
}

static void
test_capabilities (void **state)
{
  yajl_val caps = get (*state, yajl_t_array, "linux", "capabilities", NULL);
  /* Exactly the kernel's capabilities that are in our bounding set. */
  size_t want = 0;
  for (int c = 0; c <= al_caps_last_cap (); c++)
    {
      bool in = prctl (PR_CAPBSET_READ, (unsigned long) c, 0, 0, 0) == 1;
      want += in;
      assert_int_equal (array_has (caps, al_cap_name (c)), in);
    }
  assert_int_equal (YAJL_GET_ARRAY (caps)->len, want);
}

static void
test_cgroup (void **state)
{
  yajl_val root = *state;
  assert_true (YAJL_IS_FALSE (get (root, yajl_t_any, "linux", "cgroup", "v1", NULL)));
  yajl_val v2 = get (root, yajl_t_any, "linux", "cgroup", "v2", NULL);
  assert_true (YAJL_IS_TRUE (v2) || YAJL_IS_FALSE (v2));
  assert_true (YAJL_IS_FALSE (get (root, yajl_t_any, "linux", "cgroup", "systemdUser", NULL)));
  get (root, yajl_t_any, "linux", "cgroup", "systemd", NULL);
  get (root, yajl_t_any, "linux", "cgroup", "rdma", NULL);
  const char *h = al_features_cgroup_hierarchy ();
  assert_true (strcmp (h, "unified") == 0 || strcmp (h, "hybrid") == 0 || strcmp (h, "legacy") == 0);
  assert_string_equal (
      YAJL_GET_STRING (get (root, yajl_t_string, "annotations", "io.github.airlock.cgroup.hierarchy", NULL)), h);
  /* v2 is true exactly when there is a cgroup2 mount. */
  assert_int_equal (YAJL_IS_TRUE (v2), strcmp (h, "legacy") != 0);
}

static void
test_seccomp (void **state)
{
  yajl_val root = *state;
  get (root, yajl_t_any, "linux", "seccomp", "enabled", NULL);
  yajl_val actions = get (root, yajl_t_array, "linux", "seccomp", "actions", NULL);
  assert_true (array_has (actions, "SCMP_ACT_ALLOW"));
  assert_true (array_has (actions, "SCMP_ACT_ERRNO"));
  yajl_val ops = get (root, yajl_t_array, "linux", "seccomp", "operators", NULL);
  assert_int_equal (YAJL_GET_ARRAY (ops)->len, 7);
  yajl_val archs = get (root, yajl_t_array, "linux", "seccomp", "archs", NULL);
#if defined(__x86_64__)
  assert_true (array_has (archs, "SCMP_ARCH_X86_64"));
#endif
  assert_false (array_has (archs, "SCMP_ARCH_NATIVE"));
  yajl_val known = get (root, yajl_t_array, "linux", "seccomp", "knownFlags", NULL);
  yajl_val supported = get (root, yajl_t_array, "linux", "seccomp", "supportedFlags", NULL);
  for (size_t i = 0; i < YAJL_GET_ARRAY (supported)->len; i++)
    assert_true (array_has (known, YAJL_GET_STRING (YAJL_GET_ARRAY (supported)->values[i])));
  assert_false (al_features_seccomp_flag_supported ("SECCOMP_FILTER_FLAG_BOGUS"));
}

static void
test_lsm_rdt_idmap_annotations (void **state)
{
  yajl_val root = *state;
  get (root, yajl_t_any, "linux", "apparmor", "enabled", NULL);
  get (root, yajl_t_any, "linux", "selinux", "enabled", NULL);
  assert_true (YAJL_IS_FALSE (get (root, yajl_t_any, "linux", "intelRdt", "enabled", NULL)));
  assert_true (YAJL_IS_TRUE (get (root, yajl_t_any, "linux", "mountExtensions", "idmap", "enabled", NULL)));
  get (root, yajl_t_string, "annotations", "io.github.airlock.version", NULL);
  get (root, yajl_t_string, "annotations", "io.github.airlock.commit", NULL);
  const char *v
      = YAJL_GET_STRING (get (root, yajl_t_string, "annotations", "io.github.airlock.libseccomp.version", NULL));
  unsigned a, b, c;
  assert_int_equal (sscanf (v, "%u.%u.%u", &a, &b, &c), 3);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_versions_and_hooks),
    cmocka_unit_test (test_mount_options),
    cmocka_unit_test (test_namespaces_follow_the_kernel),
    cmocka_unit_test (test_capabilities),
    cmocka_unit_test (test_cgroup),
    cmocka_unit_test (test_seccomp),
    cmocka_unit_test (test_lsm_rdt_idmap_annotations),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
