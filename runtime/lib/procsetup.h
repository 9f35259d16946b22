/* procsetup.h: the steps of a container process before execve, shared by the
 * init (create) and by exec'd processes: a session of its own, no runtime
 * fds, terminal, working directory, credentials (LSM, user, capabilities,
 * no_new_privs, seccomp) and the exec itself. */
#ifndef AIRLOCK_PROCSETUP_H
#define AIRLOCK_PROCSETUP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "seccomp.h"
#include "spec.h"

/* With process.terminal: open a pty from /dev/ptmx, send its master to
 * `console` (the --console-socket) or, when console is -1 and sync >= 0,
 * back to the parent over the sync socket (AL_SYNC_PTY + SCM_RIGHTS); make the
 * slave our controlling terminal and stdio. */
int al_proc_terminal (const struct oci_process *p, int console, int sync, al_error_t *err);

/* Mark every fd from `first` on close-on-exec (close_range, else one by one
 * from /proc/self/fd, else every slot up to the limit); an error when one
 * cannot be. Called before the seccomp filter is loaded, which may deny
 * close_range: al_proc_exec relies on it and closes nothing itself. */
int al_proc_cloexec_from (int first, al_error_t *err);

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

/* setsid(): the process leaves the caller's session and process group, so it
 * never has the caller's controlling terminal (no TIOCSTI into it, no job
 * control signals from it). Before anything the config controls runs. */
int al_proc_new_session (al_error_t *err);

/* Close every fd except 0 .. keep_below-1 (stdio and the fds preserved for
 * the program) and the n fds of keep (entries < 0 are skipped): whatever the
 * runtime opened in the host's namespaces and whatever its caller leaked in,
 * with no list of them to keep up to date. close_range(2) over the gaps, or
 * close(2) up to RLIMIT_NOFILE without it. */
int al_proc_close_fds (int keep_below, const int *keep, size_t n, al_error_t *err);

/* Make `cwd` (process.cwd) the working directory: resolved inside our root
 * ("/") with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS (no /proc/self/fd/N, no
 * /proc/PID/cwd, no symlink out), fchdir to it, then al_proc_check_cwd. With
 * `create`, missing components are made inside the root (mkdirat relative to
 * resolved parents). The caller closed its host fds first. */
int al_proc_enter_cwd (const char *cwd, bool create, al_error_t *err);

/* Fail unless the working directory is reachable from our root (the kernel's
 * getcwd says "(unreachable)" for one outside it). `cwd` names it in errors. */
int al_proc_check_cwd (const char *cwd, al_error_t *err);

/* Put stdio[0..2] (each -1: keep what we have) on fds 0, 1 and 2; fails
 * when one of them is a directory (the program could fchdir to it). */
int al_proc_stdio (const int stdio[3], al_error_t *err);

/* Keep fds 3 .. 3+preserve_fds-1 across exec, mark every other fd >= 3
 * close-on-exec, and execve(path, args, env): `env`, or process.env when
 * it is NULL. Returns only on failure. */
int al_proc_exec (const struct oci_process *p, char *const *env, const char *path, int preserve_fds,
                  al_error_t *err);

#endif
