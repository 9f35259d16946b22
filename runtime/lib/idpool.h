/* idpool.h: a profile's pool of host uid/gid ranges (user.pool in
 * specs/profiles/README.md): every container created under the profile gets
 * a range of its own, so no two tenants share a host uid (per-user kernel
 * accounting: pipe buffers, epoll watches, SCM_RIGHTS fds in flight, the key
 * quota; file ownership and signal permission should one escape).
 *
 * A slot taken is a file in the pool dir (root's, 0700), named for its host
 * range "FIRST-LAST" and recording the owner: the state root, the container
 * id and a random token. The container's state dir records the same token
 * and range in AL_IDPOOL_STATE_FILE. Every change to the pool dir happens
 * under an flock of POOL_DIR/.lock (waited for at most
 * AL_IDPOOL_LOCK_TIMEOUT_MS), so allocations from any process and any
 * --root are atomic, and a slot's file never exists without its state dir's
 * record (written first). A slot is released by its container's delete; a
 * slot whose state dir no longer records its token (the container is gone:
 * a crash, a state dir removed) is reclaimed when the pool is otherwise
 * full, unless a process still runs with an id of its range. */
#ifndef AIRLOCK_IDPOOL_H
#define AIRLOCK_IDPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#ifndef AL_IDPOOL_DIR
#define AL_IDPOOL_DIR "/run/airlock-ids"
#endif
#define AL_IDPOOL_STATE_FILE "ids" /* in the container's state dir */
#define AL_IDPOOL_LOCK_TIMEOUT_MS 5000

struct oci_spec;

struct al_idpool
{
  char *name;     /* the profile's, for messages */
  uint32_t start; /* the first host id of slot 0 */
  uint32_t size;  /* ids per slot: container ids 0..size-1 */
  uint32_t slots;
  /* NULL, 0: AL_IDPOOL_DIR, /etc/subuid, /etc/subgid,
     AL_IDPOOL_LOCK_TIMEOUT_MS (tests set their own). */
  const char *dir, *subuid, *subgid;
  int lock_timeout_ms;
};

/* A container's range: host ids first..first+size-1 (uids and gids). */
struct al_idslot
{
  uint32_t first, size;
};

/* Fill pool from a loaded profile; false when it has no user.pool. */
struct al_profile;
bool al_idpool_from_profile (const struct al_profile *p, struct al_idpool *pool);
void al_idpool_clear (struct al_idpool *pool);
#define _cleanup_idpool_ __attribute__ ((cleanup (al_idpool_clear)))

/* For create, with the container's state dir created and locked: when the
 * profile's new user namespace has no mappings of the config's own, take a
 * slot of the pool for root/id and set linux.uidMappings/gidMappings to it
 * (container 0..size-1 -> the slot). 0 without doing anything otherwise. */
int al_idpool_apply (const struct al_idpool *pool, struct oci_spec *spec, const char *root, const char *id,
                     int state_dirfd, al_error_t *err);

/* Take the lowest free slot of the pool (reclaiming stale ones when none is
 * free) for container id under root, recorded in its state dir. Errors: the
 * pool overlaps /etc/subuid or /etc/subgid, the pool dir is not root's
 * alone, the lock is held too long (EBUSY), no slot is free (EAGAIN:
 * "... all N slots are in use"). */
int al_idpool_acquire (const struct al_idpool *pool, const char *root, const char *id, int state_dirfd,
                       struct al_idslot *out, al_error_t *err);

/* Release the slot recorded in a state dir (by delete, or a failed create),
 * if it is still this container's; removes the record. 0 when there is none. */
int al_idpool_release (int state_dirfd, const char *id, al_error_t *err);

/* The slot recorded in a state dir: true and *out, false when none. */
bool al_idpool_recorded (int state_dirfd, struct al_idslot *out);

/* Whether the slot starting at host id `first` is taken and its owner
 * still records it (a live container's state dir, or a pod's bundle). */
bool al_idpool_slot_held (const struct al_idpool *pool, uint32_t first);

/* How many of the pool's slots are taken (their files overlap it). */
int al_idpool_count (const struct al_idpool *pool, size_t *in_use, al_error_t *err);

#endif
