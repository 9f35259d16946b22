/* reaper.h: nothing is left behind by a monitor that died.
 *
 * A monitor (`airlock sandbox`, `airlock run` of a profiled config: the
 * process that answers the container's denied syscalls, enforces its
 * deadline and writes its verdict) registers before it creates anything:
 * <root>/@monitors/<id>, a file that appears already locked (flock) and that
 * stays locked as long as the monitor lives. The monitor unregisters once it
 * has deleted the container (or, with --keep, written its verdict). However
 * the monitor dies (SIGKILL, OOM killer), the kernel drops its lock: a
 * registration nobody holds is a dead monitor. Its container's init is
 * already dead (it dies with its parent: al_create_opts.die_with_parent);
 * al_reap removes the rest: whatever is still in the cgroup (killed: without
 * a pid namespace the init's descendants would outlive it), the cgroup, the
 * state dir (only the one its create made: al_reaper_claim records it; a
 * monitor that died before never removes another container of that id) and
 * the temporary dir the registration names (the sandbox's bundle).
 *
 * Who reaps: `sandbox` and `run` of a profiled config (before they register),
 * `list`, and `delete ID` (that one id). The cost is a readdir of @monitors,
 * which holds one entry per live monitor, and one open + flock(LOCK_NB) per
 * entry. `@` is not allowed in container ids: the directory never clashes
 * with a container's state dir and `list` skips it.
 */
#ifndef AIRLOCK_REAPER_H
#define AIRLOCK_REAPER_H

#include "error.h"
#include "log.h"

#define AL_REAPER_DIR "@monitors"

/* Register the calling process as the monitor of container `id` under root
 * (created if needed). *lock is the registration, to keep open until
 * al_reaper_unregister (never inherited past an exec: O_CLOEXEC; the init
 * closes its copy: al_create_opts.monitor_lock). A registration left by a
 * dead monitor of the same id is reaped first. EEXIST: a live monitor watches
 * that id. */
int al_reaper_register (const char *root, const char *id, int *lock, al_error_t *err);

/* Name the temporary dir the reaper removes with the container (replaces
 * the previous one): a dir holding at most config.json, owned by us. */
int al_reaper_note_dir (int lock, const char *dir, al_error_t *err);

/* The create made the container's state dir (state_dirfd, locked): from now
 * on it is the registration's to remove. Nothing to do when lock is -1. */
int al_reaper_claim (int lock, int state_dirfd, al_error_t *err);

/* The monitor is done: remove the registration and close *lock. */
void al_reaper_unregister (const char *root, const char *id, int *lock);

/* Reap the containers of dead monitors under root: every one when only_id
 * is NULL, else that one. Failures are logged (the registration stays for
 * the next time). Returns how many were reaped. */
int al_reap (const char *root, const char *only_id, const struct al_log *log);

#endif
