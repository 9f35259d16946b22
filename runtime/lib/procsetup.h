/* procsetup.h: the last steps of a container process before execve, shared
 * by the init (create) and by exec'd processes: terminal, credentials
 * (LSM, user, capabilities, no_new_privs, seccomp) and the exec itself. */
#ifndef AIRLOCK_PROCSETUP_H
#define AIRLOCK_PROCSETUP_H

#include "error.h"
#include "seccomp.h"
#include "spec.h"

/* With process.terminal: open a pty from /dev/ptmx, send its master to
 * `console` (the --console-socket) or, when console is -1 and sync >= 0,
 * back to the parent over the sync socket (AL_SYNC_PTY + SCM_RIGHTS); make the
 * slave our controlling terminal and stdio. */
int al_proc_terminal (const struct oci_process *p, int console, int sync, al_error_t *err);

/* LSM label, user, capabilities, no_new_privs and seccomp (before or after the
 * user switch, depending on no_new_privs). `seccomp` may be NULL. A notify
 * listener fd goes to the parent over `sync` (AL_SYNC_SECCOMP + SCM_RIGHTS)
 * when sync >= 0; it is never kept by the container process. */
int al_proc_finalize_creds (const struct oci_process *p, struct al_seccomp *seccomp, int sync, al_error_t *err);
/* The same for a process that dies with its parent (the monitor): when
 * *parent_pidfd >= 0 (a pidfd of the parent), al_proc_die_with_parent after
 * the last credential change and before the filter. */
int al_proc_finalize_creds_watched (const struct oci_process *p, struct al_seccomp *seccomp, int sync,
                                    int *parent_pidfd, al_error_t *err);
/* PR_SET_PDEATHSIG SIGKILL, then an error (ESRCH) when the parent, whose
 * pidfd *parent_pidfd is, died before it (nothing would kill us then).
 * Closes *parent_pidfd. Nothing to do when it is -1. */
int al_proc_die_with_parent (int *parent_pidfd, al_error_t *err);

/* Put stdio[0..2] (each -1: keep what we have) on fds 0, 1 and 2. */
int al_proc_stdio (const int stdio[3], al_error_t *err);

/* Keep fds 3 .. 3+preserve_fds-1 across exec, mark every other fd >= 3
 * close-on-exec, and execve(path, args, env). Returns only on failure. */
int al_proc_exec (const struct oci_process *p, const char *path, int preserve_fds, al_error_t *err);

#endif
