/* cgroup.h: the container's cgroup v2 (cgroupfs driver). On a pure v2 host the
 * hierarchy is /sys/fs/cgroup; on a hybrid host it is the unified tree
 * (/sys/fs/cgroup/unified), where membership, freeze and kill work without any
 * controller. The v1 trees are never touched. */
#ifndef AIRLOCK_CGROUP_H
#define AIRLOCK_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct al_cgroup
{
  char *mount; /* cgroup2 mount point, e.g. "/sys/fs/cgroup/unified" */
  char *path;  /* path inside the hierarchy, starting with '/', e.g. "/airlock/ID" */
  int dirfd;   /* O_DIRECTORY fd of mount+path, -1 when not open */
};

/* Find the cgroup2 mount (pure v2 or hybrid). Error when there is none. */
int al_cgroup_find_mount (char **mount, al_error_t *err);

/* The path a container gets: linux.cgroupsPath when set (absolute, or relative
 * to the runtime's own cgroup), else "/airlock/<id>" under the caller's cgroup.
 * Does not create anything. */
int al_cgroup_resolve (const char *cgroups_path, const char *id, struct al_cgroup **out, al_error_t *err);

/* mkdir -p of the cgroup (an existing non-empty cgroup is an error naming it),
 * then check `resources` against the controllers available on the hierarchy:
 * a resource whose controller is missing is an error naming the resource and the
 * controller ("linux.resources.memory: the memory controller is not available
 * on /sys/fs/cgroup/unified"). Opens dirfd (usable as CLONE_INTO_CGROUP). */
int al_cgroup_create (struct al_cgroup *cg, const struct oci_resources *resources, al_error_t *err);

/* For an existing cgroup (update): make every controller `resources` need
 * available to it, enabling them in cgroup.subtree_control along the path, or
 * fail naming the resource and the missing controller. */
int al_cgroup_ensure_controllers (struct al_cgroup *cg, const struct oci_resources *resources, al_error_t *err);

/* The explicit opt-in for hosts whose cgroup2 tree lacks controllers (a
 * hybrid host): clear from `res` every resource whose controller the
 * hierarchy does not offer, so the container runs without those limits.
 * *dropped lists them ("linux.resources.memory.limit (memory), ...") for
 * the warning the caller must print; NULL when nothing was dropped.
 * linux.resources.unified keys are never dropped. */
int al_cgroup_drop_unavailable (const struct al_cgroup *cg, struct oci_resources *res, char **dropped,
                                al_error_t *err);

/* Values equal to the kernel's defaults ask for nothing: they need no
 * controller (al_cgroup_create, al_cgroup_ensure_controllers), and
 * al_cgroup_apply writes them only where the cgroup already has the file.
 * cpu.shares 1024 (cpu.weight 100); a quota unset or -1 ("max") with any
 * period, or the default period alone; memory limit, reservation, swap and
 * pids limit -1 ("max"). 0 stays "not set" as before. */
#define AL_CGROUP_DEFAULT_CPU_SHARES 1024
#define AL_CGROUP_DEFAULT_CPU_PERIOD 100000
bool al_cgroup_cpu_shares_is_default (uint64_t shares);
bool al_cgroup_cpu_max_is_default (bool has_quota, int64_t quota, bool has_period, uint64_t period);
bool al_cgroup_limit_is_default (int64_t v);

/* cpu shares (cgroup v1 scale, 2..262144) to cpu.weight (1..10000), on the
 * curve that maps the defaults onto each other (1024 -> 100); 0 stays 0. */
uint64_t al_cgroup_cpu_weight (uint64_t shares);

/* Apply resources (limits) to the cgroup. */
int al_cgroup_apply (struct al_cgroup *cg, const struct oci_resources *resources, al_error_t *err);

/* Move a pid into the cgroup (cgroup.procs). */
int al_cgroup_enter (struct al_cgroup *cg, pid_t pid, al_error_t *err);

/* cgroup.kill when the kernel has it, else SIGKILL every pid in cgroup.procs
 * until it is empty. */
int al_cgroup_kill (struct al_cgroup *cg, al_error_t *err);
/* Send a signal to every process in the cgroup. */
int al_cgroup_signal (struct al_cgroup *cg, int sig, al_error_t *err);

/* cgroup.freeze 1/0, waiting for `frozen 1/0` in cgroup.events (inotify/poll). */
int al_cgroup_freeze (struct al_cgroup *cg, bool frozen, al_error_t *err);
int al_cgroup_is_frozen (struct al_cgroup *cg, bool *frozen, al_error_t *err);

/* pids in cgroup.procs (recursive over children); *pids malloc'ed. */
int al_cgroup_pids (struct al_cgroup *cg, pid_t **pids, size_t *n, al_error_t *err);

/* Remove the cgroup (and any empty child cgroups). Missing is not an error.
 * Busy: kills what is left first when `force` is true. */
int al_cgroup_destroy (struct al_cgroup *cg, bool force, al_error_t *err);

void al_cgroup_free (struct al_cgroup *cg);

#endif
