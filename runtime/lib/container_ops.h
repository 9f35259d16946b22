/* container_ops.h: operations on a running container through its cgroup:
 * pause/resume (cgroup freezer), the list of its processes, resource
 * updates and statistics. The CLI (pause, resume, ps, update, events) and
 * the shim are thin layers on top. */
#ifndef AIRLOCK_CONTAINER_OPS_H
#define AIRLOCK_CONTAINER_OPS_H

#include <sys/types.h>

#include "error.h"
#include "spec.h"
#include "stats.h"

/* Freeze a running container (error when it is not running or already
 * paused), thaw a paused one (error when it is not paused). Both wait until
 * the kernel reports the new state in cgroup.events. */
int al_container_pause (const char *root, const char *id, al_error_t *err);
int al_container_resume (const char *root, const char *id, al_error_t *err);

/* Host pids of every process in the container's cgroup (recursive), sorted.
 * A stopped container is an error. *pids malloc'ed (NULL when n is 0). */
int al_container_pids (const char *root, const char *id, pid_t **pids, size_t *n, al_error_t *err);

/* Apply new limits to a created, running or paused container. Each resource
 * needs its controller enabled for the container's cgroup: controllers
 * available higher in the hierarchy are enabled down to it; a missing one
 * is an error naming the resource and the controller. Knobs that only exist
 * in cgroup v1 (kernel memory, realtime CPU, net_cls/net_prio) are refused.
 * A pids limit of 0 means "unchanged" (runc), -1 unlimited. Only the
 * cgroup changes: the saved config is not rewritten. */
int al_container_update (const char *root, const char *id, const struct oci_resources *res, al_error_t *err);
/* The same, warnings to `log` (may be NULL: stderr). With the opt-in to run
 * without missing controllers (recorded at create, or in this process's
 * environment; al_missing_controllers_opt_in), a resource whose controller
 * the cgroupfs hierarchy lacks is dropped with one warning naming the
 * container and each dropped field, as create does, instead of failing. */
struct al_log;
int al_container_update_log (const char *root, const char *id, const struct oci_resources *res,
                             const struct al_log *log, al_error_t *err);

/* Statistics of the container's cgroup (any state but stopped). */
int al_container_stats (const char *root, const char *id, struct al_stats *out, al_error_t *err);

#endif
