/* hooks.h: OCI hooks: run each with the container state on stdin. */
#ifndef AIRLOCK_HOOKS_H
#define AIRLOCK_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "spec.h"

/* Bytes of a failing hook's output (stdout and stderr, interleaved) quoted in
 * the error message: the last ones. */
#define AL_HOOK_OUTPUT_TAIL 1024

/* Run the hooks of one phase in order. Each gets `state_json` on stdin, its
 * args (args[0] is argv[0]) and env (only what the hook lists), its own
 * process group, and a timeout (SIGKILL of the group at the deadline, reported
 * as an error); without a timeout a hook is waited for as long as it runs.
 * Its stdout and stderr are captured: discarded when it succeeds, and their
 * last AL_HOOK_OUTPUT_TAIL bytes quoted (escaped) in the error when it fails.
 * The first failing hook stops the phase and returns an error naming the
 * phase, the index and the path ("prestart hook #1 `/usr/bin/x` exited with
 * status 3; output: \"no network\n\""); the group of a failed hook is killed. */
int al_hooks_run (const struct oci_hook_list *list, const char *phase, const char *state_json, al_error_t *err);

/* What al_hooks_run_all reports of each failing hook, as it happens: `later`
 * is false for the first failure of the phase, true for the ones after it. */
typedef void (*al_hook_failed_fn) (void *data, bool later, const char *msg);

/* Run every hook of the phase, in order, also after one fails (poststart and
 * poststop: the spec has the rest run). Returns 0 when all succeeded; else
 * the first failure's negative errno, its error (as al_hooks_run words it)
 * in *err, and in *n_later (when non-NULL) how many of the hooks after it
 * failed too. `failed` (when non-NULL) is called for every failure. */
int al_hooks_run_all (const struct oci_hook_list *list, const char *phase, const char *state_json,
                      al_hook_failed_fn failed, void *data, size_t *n_later, al_error_t *err);

#endif
