/* fuzz_config.c: config.json parsing and validation (runtime/lib/config.c):
 * the same bytes as a whole config, as a lone process (exec --process) and
 * as a lone linux.resources object (update --resources). Every failure must
 * come with a message; every success must be freeable. */
#include <stdlib.h>

#include "error.h"
#include "fuzz.h"
#include "spec.h"

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
