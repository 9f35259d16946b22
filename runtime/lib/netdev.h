/* netdev.h: linux.netDevices, host interfaces moved into the container's
 * network namespace over rtnetlink (RTM_NEWLINK with IFLA_NET_NS_FD), renamed,
 * set up, with their permanent global addresses; moved back under their host
 * names on delete, while the namespace still exists (as runc does). */
#ifndef AIRLOCK_NETDEV_H
#define AIRLOCK_NETDEV_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

/* An interface name: 1 to 15 bytes, not "." or "..", no '/', ':' or blank.
 * With template_ok one "%d" may appear (the kernel picks the number). */
int al_netdev_name_check (const char *name, bool template_ok, const char **why);
/* Before the clone: a network namespace is in the config, and every host
 * device exists in the runtime's namespace. */
int al_netdev_precheck (const struct oci_spec *spec, al_error_t *err);
/* Move every linux.netDevices entry into the namespace netns_fd. */
int al_netdev_move_all (const struct oci_linux *l, int netns_fd, al_error_t *err);
/* On delete: move every device found in the namespace netns_fd back into the
 * runtime's, under its host name. Each failure is passed to warn (delete goes
 * on); -1 when any failed. */
int al_netdev_move_back (const struct oci_linux *l, int netns_fd, void (*warn) (void *, const char *), void *data);

#endif
