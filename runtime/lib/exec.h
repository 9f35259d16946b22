/* exec.h: run another process in a running container, exactly as confined as
 * its init: its namespaces, cgroup, user, capabilities, no_new_privs, LSM
 * label, rlimits and seccomp filter. */
#ifndef AIRLOCK_EXEC_H
#define AIRLOCK_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct al_exec_opts
{
  const char *root;
  const char *id;
  /* The process to run. NULL: the container's own process with `args`. */
  const struct oci_process *process;
  char **args;              /* used when process is NULL */
  /* Overrides applied to the process (runc's exec flags). */
  bool tty;                 /* -t */
  bool set_tty;             /* -t was given (else keep the process's) */
  const char *cwd;          /* --cwd */
  char **env;               /* --env, added (replacing the same names) */
  bool set_user;
  uint32_t uid, gid;        /* --user UID[:GID] */
  uint32_t *additional_gids;
  size_t n_additional_gids; /* --additional-gids */
  int *caps;
  size_t n_caps;            /* --cap: added to every set */
  bool no_new_privs;        /* --no-new-privs */
  const char *apparmor;     /* --apparmor */
  const char *process_label; /* --process-label */

  const char *console_socket;
  const char *pid_file;
  int preserve_fds;
  bool detach;
  bool ignore_paused;
  const char *cgroup;       /* --cgroup: a sub-cgroup of the container's */
  int stdio[3];             /* the process's stdin/stdout/stderr; -1: ours.
                               Set all three: zero means fd 0. */
};

struct al_exec_result
{
  pid_t pid;
  int pidfd;      /* -1 when detached */
  int pty_master; /* foreground -t without a console socket, else -1 */
};

/* Start the process. It is our child (pidfd polls its exit); with `detach`
 * the caller just leaves it. Errors name the container and the cause,
 * including a program that cannot be executed. */
int al_container_exec (const struct al_exec_opts *o, struct al_exec_result *out, al_error_t *err);

/* sched_setaffinity of the calling thread to a "0-3,7" list; `what` names
 * the field in errors (process.execCPUAffinity.initial/final). */
int al_exec_set_affinity (const char *list, const char *what, al_error_t *err);

#endif
