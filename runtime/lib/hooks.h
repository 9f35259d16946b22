/* hooks.h: OCI hooks: run each with the container state on stdin. */
#ifndef AIRLOCK_HOOKS_H
#define AIRLOCK_HOOKS_H

#include "error.h"
#include "spec.h"

/* Run the hooks of one phase in order. Each gets `state_json` on stdin, its
 * args (args[0] is argv[0]) and env (only what the hook lists), a timeout
 * (SIGKILL at the deadline, reported as an error), and its stdout/stderr
 * passed through to `out_fd`/stderr (out_fd -1: stderr). The first failing hook
 * stops the phase and returns an error naming the phase, the index and the path
 * ("prestart hook #1 `/usr/bin/x` exited with status 3"). */
int al_hooks_run (const struct oci_hook_list *list, const char *phase, const char *state_json, al_error_t *err);

#endif
