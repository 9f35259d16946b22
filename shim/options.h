/* options.h: the runtime options containerd gives the shim, and airlock's
 * shim config file they point at.
 *
 * containerd sends the runtime handler's `options` as a protobuf Any in
 * CreateTaskRequest.options (and on `start`'s stdin, which the shim does
 * not need: every Create carries them again). Accepted type URLs (with or
 * without a "types.googleapis.com/" prefix):
 *   runtimeoptions.v1.Options, cri.runtimeoptions.v1.Options
 *       CRI, a runtime_type other than runc's: {type_url, config_path,
 *       config_body}; the config (config_body when present, else the file
 *       at config_path) is airlock's shim config, below;
 *   containerd.runc.v1.Options
 *       a handler configured like runc's: NoPivotRoot, NoNewKeyring and
 *       SystemdCgroup are honoured, the rest (runc's binary, root, criu)
 *       ignored.
 * Any other type URL is an error.
 *
 * The shim config (JSON; integration/k8s/README.md documents it):
 *   {
 *     "profile": "untrusted",   every container of the runtime class runs
 *                               under this sandbox profile (as if it had
 *                               the annotation airlock.profile)
 *     "timeout": "30s"          their deadline (as airlock.timeout; the
 *                               lower of this and the annotation wins, the
 *                               profile's own is the ceiling)
 *   }
 * Unknown keys are errors; "comment" is allowed. */
#ifndef SHIM_OPTIONS_H
#define SHIM_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define SH_CONFIG_TYPE_URL "io.airlock.shim.v1.Config"
#define SH_CONFIG_MAX_SIZE (64u * 1024)
/* The bundle's config as the shim rewrote it (the runtime reads this one). */
#define SH_CONFIG_REWRITTEN "config.airlock.json"

struct sh_options
{
  char *source;  /* where the settings came from, for messages; NULL: none */
  char *profile; /* NULL: none */
  char *timeout; /* the duration as written ("30s"), NULL: none */
  bool no_pivot, no_new_keyring, systemd_cgroup;
};

/* An Any's type URL and bytes (NULL/0: no options, *o stays empty). */
int sh_options_parse (const char *type_url, const uint8_t *data, size_t len, struct sh_options *o,
                      al_error_t *err);
/* The shim config's JSON text; `name` names it in errors. */
int sh_options_parse_config (const char *name, const char *text, size_t len, struct sh_options *o,
                             al_error_t *err);
void sh_options_clear (struct sh_options *o);

/* When the options select a profile or a timeout: write
 * <bundle>/config.airlock.json, the bundle's config.json with the
 * annotations airlock.profile and airlock.timeout set from them, and return
 * its path in *path (NULL when nothing changes: use config.json). An
 * annotation airlock.profile naming another profile than the options is an
 * error (a runtime class's profile cannot be swapped by a pod). */
int sh_options_rewrite_config (const struct sh_options *o, const char *bundle, char **path, al_error_t *err);

#endif
