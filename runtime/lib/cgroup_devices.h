/* cgroup_devices.h: linux.resources.devices on cgroup v2, compiled to a
 * BPF_PROG_TYPE_CGROUP_DEVICE program (raw instructions, no libbpf) and
 * attached to the container's cgroup with BPF_F_ALLOW_MULTI.
 *
 * Semantics (the same as runc, which emulates the cgroup v1 devices
 * controller): the rules are applied in order to a state made of a default
 * verdict and a set of exceptions.
 *   - A rule of type 'a' resets the state, whatever its numbers and access:
 *     deny-all (allow=false) or allow-all (allow=true), no exceptions.
 *   - Before any such rule the state is deny-all.
 *   - Other rules, when their verdict differs from the default, add their
 *     access bits to the exception with the same (type, major, minor); when
 *     it equals the default they remove those bits from that exception.
 *     Removing bits that a wildcard exception ('*' major and/or minor) also
 *     grants is refused, as runc does ("cannot punch a hole" in it).
 * An access (one request of r, w, m bits together, e.g. rw for O_RDWR) gets
 * the exceptions' verdict when one exception matches the type, the numbers
 * (or has '*') and contains every requested bit; otherwise the default.
 * For the usual lists (deny-all first, then allow rules) this is "the last
 * matching rule wins". */
#ifndef AIRLOCK_CGROUP_DEVICES_H
#define AIRLOCK_CGROUP_DEVICES_H

#include <stddef.h>

#include "error.h"
#include "spec.h"

/* Name given to airlock's programs: BPF_PROG_QUERY + the program's name is
 * how a later attach (update) finds the programs it replaces. */
#define AL_DEVICES_PROG_NAME "airlock_devices"

/* The rules runc appends after the config's own rules so a container always
 * gets its standard devices: mknod of any char and block device; rwm on
 * /dev/null (1:3), random (1:8), full (1:7), tty (5:0), zero (1:5),
 * urandom (1:9), the pty slaves (136:*), /dev/ptmx (5:2) and
 * /dev/net/tun (10:200): runc 1.1's list, as its devices.list shows on this
 * host. Not /dev/console (5:1): a container's console is a pty slave.
 * Static storage; *n receives the count. */
const struct oci_device_cgroup *al_cgroup_devices_defaults (size_t *n);

/* Compile exactly `rules` (rules[i] named linux.resources.devices[i] in
 * errors), load the program, attach it to the cgroup directory fd, then
 * detach the airlock programs that were attached before (other programs are
 * left alone). Nothing is detached when loading or attaching fails. */
int al_cgroup_devices_attach (int cgroup_dirfd, const struct oci_device_cgroup *rules, size_t n, al_error_t *err);

/* Same, with al_cgroup_devices_defaults() appended to the rules, as runc
 * does: this is what al_cgroup_apply uses for a config's device rules. */
int al_cgroup_devices_attach_with_defaults (int cgroup_dirfd, const struct oci_device_cgroup *rules, size_t n,
                                            al_error_t *err);

/* Number of BPF_CGROUP_DEVICE programs attached to the cgroup itself, and
 * how many of them are airlock's (by name). Either pointer may be NULL. */
int al_cgroup_devices_count (int cgroup_dirfd, size_t *total, size_t *ours, al_error_t *err);

#endif
