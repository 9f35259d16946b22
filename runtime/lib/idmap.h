/* idmap.h: idmapped bind and tmpfs mounts (mounts[].uidMappings/gidMappings, the
 * idmap and ridmap options), prepared by the runtime before the clone. */
#ifndef AIRLOCK_IDMAP_H
#define AIRLOCK_IDMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "spec.h"

/* At most this many idmapped mounts per container. */
#define AL_IDMAP_MAX 32

/* True when mounts[i] asks for an idmapped mount. */
bool al_idmap_wanted (const struct oci_mount *m);

/* In the runtime (host root, its own mount namespace), before the clone: for
 * every idmapped mounts[i], a detached clone of its source (relative to
 * bundle) with MOUNT_ATTR_IDMAP set, by a user namespace holding the mount's
 * maps (the container's linux.uid/gidMappings when the mount has none, or
 * the joined user namespace `joined_userns_fd` itself); for a tmpfs, a new
 * detached tmpfs with its options, idmapped the same way. *fds_out gets
 * n_mounts fds (-1 where not idmapped), NULL when no mount is. Refuses an
 * idmapped mount without a container user namespace (has_userns false),
 * one that is neither a bind nor a tmpfs mount, and one under a sandbox
 * profile. */
int al_idmap_prepare (const struct oci_spec *spec, const char *bundle, bool has_userns, int joined_userns_fd,
                      int **fds_out, al_error_t *err);
void al_idmap_close (int *fds, size_t n);

/* A user namespace with these uid and gid maps (host ids), held only by the
 * returned fd (*out): for idmapping mounts. Errors name `what`. */
int al_idmap_userns (const struct oci_id_mapping *um, size_t nu, const struct oci_id_mapping *gm, size_t ng,
                     const char *what, int *out, al_error_t *err);

#endif
