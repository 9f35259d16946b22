/* state.h: a container's state directory --root/<id>/ under a lock:
 *   state.json   what airlock records (pid and its start time, bundle, cgroup...)
 *   config.json  a copy of the bundle's config at create time (for delete's hooks)
 *   exec.fifo    present while the container is "created" (start consumes it)
 *   cgroup       "<mount>\n<path>\n" of the cgroup create made, written as soon
 *                as it exists: `delete --force` of a create that died before
 *                state.json knows that cgroup is this container's to kill
 *   ids          the host id range of its profile's id pool slot (idpool.h),
 *                written before the slot is taken, read by delete to give it
 *                back
 */
#ifndef AIRLOCK_STATE_H
#define AIRLOCK_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define AL_ID_MAX 128 /* a cgroup, a state dir and a unit are named after it */

enum al_status
{
  AL_STATUS_CREATING,
  AL_STATUS_CREATED,
  AL_STATUS_RUNNING,
  AL_STATUS_PAUSED,
  AL_STATUS_STOPPED,
};

struct al_state
{
  char *id;
  pid_t pid;
  uint64_t pid_start; /* field 22 of /proc/PID/stat: guards against pid reuse */
  char *bundle;
  char *rootfs;
  char *created;      /* RFC 3339 */
  char *owner;
  char *cgroup_mount; /* may be NULL when the container has no cgroup */
  char *cgroup_path;
  bool systemd;
  /* AIRLOCK_MISSING_CONTROLLERS=warn (or the annotation) at create: every
     later command (update...) runs without the limits whose controller the
     host lacks, whatever its own environment (CRI-O runs them with its own,
     not conmon's). state.json "missing_controllers": "warn" | "refuse". */
  bool missing_controllers_warn;
  char **annotations; /* key, value, key, value, ..., NULL */
  /* Not in state.json: `state` fills them from the id pool's record
     (idpool.h); al_state_oci_json shows them as hostIDs when size > 0. */
  uint32_t host_ids_first, host_ids_size;
};

/* Validate a container id: non-empty, at most AL_ID_MAX bytes, characters
 * [A-Za-z0-9_+.-], not starting with `-`, not "." or "..". */
int al_id_validate (const char *id, al_error_t *err);

/* Open (creating with mode 0700) the root directory. */
int al_root_open (const char *root, bool create, al_error_t *err);

/* Create the state dir of a new container and lock it. Returns the dir fd
 * (locked, LOCK_EX) or an error ("container \"x\" already exists"). */
int al_state_dir_create (int rootfd, const char *id, al_error_t *err);
/* Open and lock (exclusive or shared) an existing state dir. Error when the
 * container does not exist ("container \"x\" does not exist"). */
int al_state_dir_open (int rootfd, const char *id, bool exclusive, al_error_t *err);
/* The same, exclusive, but waiting at most timeout_ms for the lock (delete
 * --force must not hang behind a create that hangs): EBUSY then. */
int al_state_dir_open_bounded (int rootfd, const char *id, int timeout_ms, al_error_t *err);
/* Remove a state dir and everything in it (the dir fd stays valid). */
int al_state_dir_remove (int rootfd, const char *id, al_error_t *err);

#define AL_STATE_CGROUP_FILE "cgroup"

int al_state_write (int dirfd, const struct al_state *st, al_error_t *err);
int al_state_read (int dirfd, const char *id, struct al_state **out, al_error_t *err);
void al_state_free (struct al_state *st);

/* Start time of a pid from /proc/PID/stat; 0 when it does not exist. */
uint64_t al_pid_start_time (pid_t pid);
/* Is the recorded init still the same live (non-zombie) process? */
bool al_state_init_alive (const struct al_state *st);
/* created / running / paused / stopped, from the live system. */
enum al_status al_state_status (int dirfd, const struct al_state *st);
const char *al_status_name (enum al_status s);

/* The runtime-spec state JSON of a container (ociVersion, id, status, pid,
 * bundle, annotations, plus runc's rootfs, created, owner). */
char *al_state_oci_json (const struct al_state *st, enum al_status status, bool pretty);

#endif
