/* fuzz_config.c: config.json parsing and validation (runtime/lib/config.c):
 * the same bytes as a whole config, as a lone process (exec --process) and
 * as a lone linux.resources object (update --resources). Every failure must
 * come with a message; every success must be freeable. A parsed config then
 * goes through what create checks before anything exists: each mount's
 * options (runtime/lib/mountopts.c), and the untrusted sandbox profile
 * (runtime/lib/profile.c: path checks on mounts and devices, tightening),
 * which must then accept its own result. */
#include <stdlib.h>

#include "error.h"
#include "fuzz.h"
#include "profile.h"
#include "rootfs.h"
#include "spec.h"

static struct al_profile *untrusted;

static void
validate (struct oci_spec *spec)
{
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      _cleanup_error_ al_error_t err = NULL;
      struct al_mount_flags f;
      if (al_mount_flags_parse (spec->mounts[i].options, &f, &err) == 0)
        al_mount_flags_free (&f);
      else if (err == NULL || err->msg == NULL)
        abort ();
    }
  if (untrusted == NULL)
    {
      _cleanup_error_ al_error_t err = NULL;
      /* run from the repository's root (make fuzz, make unit) */
      if (al_profile_load ("specs/profiles/untrusted.json", &untrusted, &err) < 0)
        abort ();
    }
  _cleanup_error_ al_error_t err = NULL;
  struct al_profile_host host = { .cgroup_pids = true, .monitor = true };
  if (al_profile_apply (untrusted, spec, &host, NULL, &err) == 0
      && al_profile_apply (untrusted, spec, &host, NULL, &err) < 0)
    abort (); /* exec re-applies the profile to the stored config */
}

static void
check_err (int r, al_error_t err)
{
  /* An error is a negative errno with a message naming the file. */
  if (r < 0 && (err == NULL || err->msg == NULL || err->msg[0] == '\0'))
    abort ();
  if (r > 0)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  {
    _cleanup_error_ al_error_t err = NULL;
    struct oci_spec *spec = NULL;
    int r = oci_spec_parse ("config.json", text, size, &spec, &err);
    check_err (r, err);
    if (r == 0)
      {
        /* The lookups the runtime does on a parsed config. */
        for (int t = 0; t < OCI_NS_COUNT; t++)
          (void) oci_spec_namespace (spec, (enum oci_ns_type) t);
        (void) oci_spec_annotation (spec, "airlock.profile");
        validate (spec);
      }
    oci_spec_free (spec);
  }
  {
    _cleanup_error_ al_error_t err = NULL;
    struct oci_process *p = NULL;
    int r = oci_process_parse ("process.json", text, size, &p, &err);
    check_err (r, err);
    oci_process_free (p);
  }
  {
    _cleanup_error_ al_error_t err = NULL;
    struct oci_resources *res = NULL;
    int r = oci_resources_parse ("resources.json", text, size, &res, &err);
    check_err (r, err);
    oci_resources_free (res);
  }
  return 0;
}
