/* bindcheck.h: what a bind mount's source really is, checked on the fd that
 * gets mounted. A profile's deniedHostPaths (struct al_bind_policy, set by
 * al_profile_apply) are compared with what the source resolves to, never
 * with the path as written: the source is opened once (O_PATH, following
 * symlinks as mount(2) does, but no /proc magic link), its real path
 * (/proc/self/fd/N) and its identity (st_dev/st_ino of it and of every
 * directory above it, walked with "..") come from that fd, and the caller
 * mounts that very fd (open_tree AT_EMPTY_PATH): nothing can be swapped
 * between the check and the mount. */
#ifndef AIRLOCK_BINDCHECK_H
#define AIRLOCK_BINDCHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "spec.h"

/* The policy's denied paths, resolved once for all the binds of a
 * container: their real paths and the identities of them and their
 * ancestors. A denied path that does not exist, or that the caller cannot
 * look at, is compared by its path only (and a bind of a directory above it
 * is refused, as it could appear there). NULL policy: NULL guard. */
struct al_bind_guard;
struct al_bind_guard *al_bind_guard_new (const struct al_bind_policy *pol);
void al_bind_guard_free (struct al_bind_guard *g);
void al_bind_guard_freep (struct al_bind_guard **g);
#define _cleanup_bind_guard_ __attribute__ ((cleanup (al_bind_guard_freep)))

/* Open mounts[index]'s source, the absolute host path `path` (`written` is
 * the source as the config has it, `destination` its destination: both for
 * messages), as an O_PATH|O_CLOEXEC fd in *out, following symlinks.
 *
 * With a guard it is then refused when it
 *  - goes through a /proc magic link (/proc/PID/root, /proc/PID/fd/N, ...);
 *  - is a device node;
 *  - resolves to a denied path or below one (by path, and by identity: a
 *    hard link, or the same directory reached through another bind mount);
 *  - is a directory above a denied path that the mount would show: a
 *    recursive one (`recursive`) brings every mount below it; a plain one
 *    shows what lies on the source's own filesystem without crossing a
 *    mount point (a bind of / shows /etc/shadow, not /proc).
 * "profile \"untrusted\": mounts[3] (/tmp/x -> /data): /tmp/x resolves to
 * /etc/ssh, which the profile keeps from containers".
 *
 * Opening errors read "mounts[3].source \"PATH\": strerror"; with
 * `missing_ok` a source that cannot be opened (missing, no access) is not an
 * error: 0 with *out = -1 (the early check in al_profile_apply: the mount
 * reports it). */
int al_bind_source_open (const struct al_bind_guard *g, size_t index, const char *path, const char *written,
                         const char *destination, bool recursive, bool missing_ok, int *out, al_error_t *err);

/* The early check of al_container_create, before anything exists: every
 * bind of `spec` (relative sources in `bundle`) under spec->bind_policy
 * (none: 0) as its source resolves now. Sources that cannot be opened are
 * left to the mount, whose check on the fd it mounts decides. */
int al_bind_check_spec (const struct oci_spec *spec, const char *bundle, al_error_t *err);

#endif
