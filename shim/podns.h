/* podns.h: a user namespace for every pod of a pooled profile
 * (untrusted-pod), on containerd 1.6 as well, which knows nothing of user
 * namespaces.
 *
 * The sandbox container gets a new user namespace mapped to a host range of
 * the profile's id pool taken for the pod alone (recorded in its bundle, as
 * a container's state dir records its slot; released when the sandbox is
 * deleted). Every other container of the pod joins it by path. The rootfs
 * (an overlay of host-root-owned layers) is mounted with idmapped layers
 * and the CRI's own files (/etc/hosts, /etc/resolv.conf, /etc/hostname,
 * /dev/shm, /dev/termination-log) get the "idmap" option, so container root
 * sees them as its own while it is an unprivileged host uid. */
#ifndef AIRLOCK_SHIM_PODNS_H
#define AIRLOCK_SHIM_PODNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct sh_podns
{
  int userns_fd;   /* the pod's user namespace (for the rootfs), -1: none */
  uid_t root_uid;  /* the host ids of its root */
  gid_t root_gid;
  bool slot_taken; /* the sandbox's: release it on delete */
};

/* Finds the init pid of the pod's sandbox container `sandbox_id` (0 when
   the shim serves none of that id). */
typedef pid_t (*sh_podns_sandbox_pid_fn) (void *ctx, const char *sandbox_id);

/* Before the rootfs is mounted: when the config (*config_path, or
   bundle/config.json when NULL) is a CRI container or sandbox under a
   profile with an id pool and has no user namespace of its own, rewrite it
   as above (*config_path then names the rewritten file) and set *out. Does
   nothing otherwise (out->userns_fd -1). */
int sh_podns_prepare (const char *bundle, const char *id, char **config_path, sh_podns_sandbox_pid_fn sandbox_pid,
                      void *ctx, struct sh_podns *out, al_error_t *err);

/* The sandbox's slot back to the pool (its delete, a failed create). */
void sh_podns_release (const char *bundle, const char *id);

/* The user namespace a containerd 2 overlay rootfs asks for with its
   uidmap=/gidmap= options (both, or neither): *userns_fd, -1 when none, and
   the host ids of its root (0 when unmapped).
   *data (the mount data) loses those options. */
int sh_podns_mount_idmap (char *data, int *userns_fd, uid_t *root_uid, gid_t *root_gid, al_error_t *err);

#endif
