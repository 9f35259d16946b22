/* seccomp.h: linux.seccomp compiled with libseccomp. */

/* -Iruntime/lib makes <seccomp.h> name this file. A file that needs
 * libseccomp's own header defines AL_INCLUDE_LIBSECCOMP and includes
 * <seccomp.h> after "seccomp.h": this reaches the next include directory.
 * (With -iquote runtime/lib instead of -I, <seccomp.h> is libseccomp's
 * directly and this block is never seen.) */
#if defined(AL_INCLUDE_LIBSECCOMP) && defined(AIRLOCK_SECCOMP_H)
#include_next <seccomp.h>
#endif
#ifndef AIRLOCK_SECCOMP_H
#define AIRLOCK_SECCOMP_H

#include "error.h"
#include "spec.h"

struct al_seccomp; /* a compiled filter, ready to load */

/* Compile the config into a filter (no syscall loaded yet). Syscall names
 * unknown to libseccomp are skipped (as the runtime-spec allows) and listed by
 * al_seccomp_ignored. Rules whose action is the default action are skipped.
 * Unknown actions, ops, archs and flags are errors naming the JSON path, and
 * so is a filter that would notify sendmsg (a SCMP_ACT_NOTIFY rule for it, or
 * a SCMP_ACT_NOTIFY default without an unconditional allow of it): the init
 * hands the listener over with that syscall (runc refuses `write`, its own). */
int al_seccomp_prepare (const struct oci_seccomp *s, struct al_seccomp **out, al_error_t *err);

/* Load the filter into the calling thread (all threads: TSYNC not needed, we
 * are single threaded). When the filter has SCMP_ACT_NOTIFY rules,
 * *listener_fd receives the notification fd (else -1). */
int al_seccomp_install (struct al_seccomp *s, int *listener_fd, al_error_t *err);

void al_seccomp_free (struct al_seccomp *s);

/* Syscall names prepare skipped because libseccomp does not know them (for
 * --debug output): NULL terminated, owned by s; *n (when non-NULL) gets the count. */
const char *const *al_seccomp_ignored (const struct al_seccomp *s, size_t *n);

/* Names known to this build, for `features`. NULL terminated static arrays. */
extern const char *const al_seccomp_actions[];
extern const char *const al_seccomp_operators[];
extern const char *const al_seccomp_flags[];

#endif
