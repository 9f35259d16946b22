/* devices.h: populate the container's /dev (default devices, linux.devices,
 * the standard symlinks, /dev/ptmx, /dev/shm). Part of al_rootfs_setup. */
#ifndef AIRLOCK_DEVICES_H
#define AIRLOCK_DEVICES_H

#include "error.h"
#include "rootfs.h"
#include "spec.h"

/* rootfd: O_PATH fd of the rootfs (before pivot_root). Nothing is done when
 * /dev is bind mounted from the host. Every path is resolved inside rootfd. */
int al_devices_setup (const struct oci_spec *spec, int rootfd, const struct al_rootfs_opts *o, al_error_t *err);

#endif
