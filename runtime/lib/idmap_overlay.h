/* idmap_overlay.h: an overlay rootfs seen through a user namespace's
 * mapping. Overlayfs mounts cannot be idmapped themselves (mount_setattr
 * says EINVAL), but their layers can: each lower dir, and the upper and work
 * dirs, is cloned as a detached mount with MOUNT_ATTR_IDMAP and the overlay
 * is made of those (containerd 2 does the same for its uidmap=/gidmap=
 * mount options). Files owned by host 0 then show as owned by the
 * namespace's 0, and what its root writes lands as host 0 in the upper dir. */
#ifndef AIRLOCK_IDMAP_OVERLAY_H
#define AIRLOCK_IDMAP_OVERLAY_H

#include <stddef.h>

#include "error.h"
#include "spec.h"

/* Mount an overlay on `target` from its mount data ("lowerdir=A:B,upperdir=
 * U,workdir=W,..."; `\:` escapes a colon in a lower dir) and mount flags,
 * every layer idmapped by the user namespace `userns_fd`. Other options are
 * passed on. Errors name the layer and the cause. */
int al_idmap_overlay_mount (const char *data, unsigned long flags, const char *target, int userns_fd,
                            al_error_t *err);

/* Parse the value of containerd 2's `uidmap=`/`gidmap=` mount option:
 * "CONTAINER:HOST:SIZE" triples separated by ',' or ' '. *out is malloc'd. */
int al_idmap_parse_triples (const char *opt, const char *value, struct oci_id_mapping **out, size_t *n,
                            al_error_t *err);

#endif
