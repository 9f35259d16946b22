/* fuzz_profile.c: sandbox profiles (runtime/lib/profile.c): the profile
 * parser, then the profile applied to the default config (`airlock spec`)
 * and its seccomp section compiled (never loaded). Applying must be
 * idempotent: a config the profile tightened passes the profile again. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fuzz.h"
#include "profile.h"
#include "seccomp.h"
#include "spec.h"

static char *default_json;

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  _cleanup_error_ al_error_t err = NULL;
  _cleanup_profile_ struct al_profile *p = NULL;
  int r = al_profile_parse ("fuzz.json", (const char *) data, size, &p, &err);
  if (r < 0)
    {
      if (err == NULL || err->msg == NULL)
        abort ();
      return 0;
    }
  (void) al_profile_name (p);
  (void) al_profile_clamp_timeout (p, size);

  if (default_json == NULL)
    default_json = oci_spec_default_json (false);
  _cleanup_spec_ struct oci_spec *spec = NULL;
  if (oci_spec_parse ("config.json", default_json, strlen (default_json), &spec, &err) < 0)
    abort ();
  /* The host's abilities vary with the input's size: every combination. */
  struct al_profile_host host = {
    .cgroup_pids = size & 2, .cgroup_memory = size & 4, .cgroup_cpu = size & 8, .monitor = size & 16
  };
  struct al_profile_report rep;
  if (al_profile_apply (p, spec, &host, &rep, &err) < 0)
    return 0;
  if (al_profile_apply (p, spec, &host, &rep, &err) < 0)
    abort (); /* not idempotent: exec re-applies the profile */
  if (spec->process)
    al_profile_apply_process (p, spec->process, &host);
  if (spec->linux_ && spec->linux_->seccomp)
    {
      struct al_seccomp *s = NULL;
      if (al_seccomp_prepare (spec->linux_->seccomp, &s, &err) == 0)
        al_seccomp_free (s);
    }
  return 0;
}
