/* seccomp_listener.h: hand a seccomp user-notification listener to
 * linux.seccomp.listenerPath, as the runtime-spec describes. */
#ifndef AIRLOCK_SECCOMP_LISTENER_H
#define AIRLOCK_SECCOMP_LISTENER_H

#include "error.h"
#include "spec.h"
#include "state.h"

/* Send the listener fd (received with AL_SYNC_SECCOMP; always closed) over
 * the unix socket at s->listener_path (SCM_RIGHTS) with the containerProcessState JSON
 * (ociVersion, fds ["seccompFd"], pid, metadata, state). Without a
 * listenerPath the fd is closed: notified syscalls then fail with ENOSYS. */
/* The containerProcessState JSON sent with the fd. Caller frees. */
char *al_seccomp_listener_message (const struct oci_seccomp *s, const struct al_state *st);

/* A SCMP_ACT_NOTIFY action (defaultAction or a rule) needs a non-empty
 * listenerPath when no monitor of ours answers the notifications: the
 * notified syscalls would block forever. Names the JSON path. */
int al_seccomp_check_listener (const struct oci_seccomp *s, al_error_t *err);

int al_seccomp_listener_forward (int listener, const struct oci_seccomp *s, const struct al_state *st, al_error_t *err);

#endif
