/* idmap_overlay.h: an overlay rootfs seen through a user namespace's
 * mapping. Overlayfs mounts cannot be idmapped themselves (mount_setattr
 * says EINVAL), but their layers can: each lower dir is cloned as a detached mount with MOUNT_ATTR_IDMAP and the overlay
 * is made of those (containerd 2 does the same for its uidmap=/gidmap=
 * mount options). Files owned by host 0 then show as owned by the
 * namespace's 0; what its root writes lands in the upper dir as its host uid. */
#ifndef AIRLOCK_IDMAP_OVERLAY_H
#define AIRLOCK_IDMAP_OVERLAY_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Mount an overlay on `target` from its mount data ("lowerdir=A:B,upperdir=
 * U,workdir=W,..."; `\:` escapes a colon in a lower dir) and mount flags,
 * every lower dir idmapped by the user namespace `userns_fd`. The upper dir
 * is not (overlayfs writes in it as the mounter, host root, whom the
 * mapping lacks): when it is host root's, it is given to the namespace's
 * root, host ids root_uid:root_gid. Other options are passed on. Errors
 * name the layer and the cause. */
int al_idmap_overlay_mount (const char *data, unsigned long flags, const char *target, int userns_fd, uid_t root_uid,
                            gid_t root_gid, al_error_t *err);

/* Parse the value of containerd 2's `uidmap=`/`gidmap=` mount option:
 * "CONTAINER:HOST:SIZE" triples separated by ',' or ' '. *out is malloc'd. */
int al_idmap_parse_triples (const char *opt, const char *value, struct oci_id_mapping **out, size_t *n,
                            al_error_t *err);

#endif
