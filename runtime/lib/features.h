/* features.h: the runtime-spec "features" document (features.md,
 * features-linux.md) for `airlock features`. Every value is computed when
 * asked from what this build implements and what this host offers: a
 * namespace is listed only when the kernel has it, a capability only when it
 * is in the runtime's own bounding set, a mount option only when rootfs.c
 * does not refuse it (idmap, ridmap), a seccomp flag is
 * "supported" only when both the kernel and libseccomp take it, cgroup
 * systemd only when systemd is PID 1 (the driver talks to it). */
#ifndef AIRLOCK_FEATURES_H
#define AIRLOCK_FEATURES_H

#include <stdbool.h>

#include "error.h"

/* The features document as pretty JSON, heap allocated and NUL terminated
 * in *out. Fails only when the JSON cannot be generated. */
int al_features_json (char **out, al_error_t *err);

/* Probes used by the document, exposed for tests. */

/* "unified" (cgroup2 on /sys/fs/cgroup), "hybrid" (a cgroup2 mount next to
 * v1 hierarchies) or "legacy" (no cgroup2 mount). */
const char *al_features_cgroup_hierarchy (void);

/* The kernel accepts seccomp filter flag `name` ("SECCOMP_FILTER_FLAG_LOG")
 * and libseccomp can set it. Probed without installing any filter. */
bool al_features_seccomp_flag_supported (const char *name);

#endif
