/* worker.h: libairlock's create and exec, run in a forked child.
 *
 * al_container_create and al_container_exec change the calling process
 * while they work (setns into the container's pid and time namespaces and
 * back, an unshared time namespace, PR_SET_DUMPABLE toggles, the signal
 * mask), and a failure half-way could leave the shim changed. So the shim
 * forks a short-lived worker with an empty signal mask that makes the call
 * and reports the result over a socketpair (pid, error message; pty master
 * and seccomp listener as SCM_RIGHTS), then exits. The container process, the worker's child,
 * is reparented to the shim, a child subreaper: the caller reaps the worker
 * and then opens a pidfd for the process, which cannot be reaped or reused
 * by anyone else. The shim's namespaces, cwd, dumpable flag and signal mask
 * are never touched. */
#ifndef SHIM_WORKER_H
#define SHIM_WORKER_H

#include <sys/types.h>

#include "container.h"
#include "error.h"
#include "exec.h"

struct sh_spawned
{
  pid_t pid;
  int pidfd;      /* opened by the shim once the process is its child */
  int pty_master; /* -1 without a terminal */
  int seccomp_listener; /* o->keep_seccomp_listener and a notify rule, else -1 */
};

int sh_worker_create (const struct al_create_opts *o, struct sh_spawned *out, al_error_t *err);
int sh_worker_exec (const struct al_exec_opts *o, struct sh_spawned *out, al_error_t *err);

#endif
