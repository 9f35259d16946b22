/* fuzz_seccomp.c: seccomp translation (runtime/lib/seccomp.c): a config's
 * linux.seccomp compiled into a libseccomp filter, which is built but never
 * loaded. The input is a config.json (tests/fuzz/corpus/seccomp holds ones
 * with seccomp sections). Then the containerProcessState message sent to
 * listenerPath (runtime/lib/seccomp_listener.c) is built from the config
 * (metadata, annotations): it must be valid JSON carrying the metadata. */
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "error.h"
#include "fuzz.h"
#include "seccomp.h"
#include "seccomp_listener.h"
#include "state.h"
#include "spec.h"

static void
check_message (const struct oci_spec *spec)
{
  const struct oci_seccomp *sc = spec->linux_->seccomp;
  char **ann = calloc (2 * spec->n_annotations + 1, sizeof *ann);
  if (ann == NULL)
    abort ();
  for (size_t i = 0; i < spec->n_annotations; i++)
    {
      ann[2 * i] = spec->annotations[i].key;
      ann[2 * i + 1] = spec->annotations[i].value;
    }
  struct al_state st = {
    .id = (char *) "fuzz", .pid = 42, .bundle = (char *) "/run/bundle", .rootfs = spec->root_path,
    .created = (char *) "2026-01-01T00:00:00Z", .owner = (char *) "", .annotations = ann,
  };
  char *msg = al_seccomp_listener_message (sc, &st);
  char ebuf[128];
  yajl_val root = yajl_tree_parse (msg, ebuf, sizeof ebuf);
  if (root == NULL)
    abort (); /* not JSON */
  const char *path[] = { "metadata", NULL };
  const char *meta = YAJL_GET_STRING (yajl_tree_get (root, path, yajl_t_string));
  if (meta == NULL || strcmp (meta, sc->listener_metadata ? sc->listener_metadata : "") != 0)
    abort (); /* the metadata did not survive */
  yajl_tree_free (root);
  free (msg);
  free (ann);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  _cleanup_error_ al_error_t err = NULL;
  _cleanup_spec_ struct oci_spec *spec = NULL;
  if (oci_spec_parse ("config.json", (const char *) data, size, &spec, &err) < 0)
    return 0;
  if (spec->linux_ == NULL || spec->linux_->seccomp == NULL)
    return 0;
  struct al_seccomp *s = NULL;
  int r = al_seccomp_prepare (spec->linux_->seccomp, &s, &err);
  if (r < 0 && (err == NULL || err->msg == NULL))
    abort ();
  if (r == 0)
    {
      size_t n = 0;
      const char *const *ignored = al_seccomp_ignored (s, &n);
      for (size_t i = 0; i < n; i++)
        if (ignored == NULL || ignored[i] == NULL)
          abort ();
      al_seccomp_free (s);
    }
  check_message (spec);
  return 0;
}
