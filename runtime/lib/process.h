/* process.h: the container process's attributes: user, rlimits, scheduling,
 * personality, sysctl, and finding the program to exec. */
#ifndef AIRLOCK_PROCESS_H
#define AIRLOCK_PROCESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

int al_process_set_rlimits (const struct oci_process *p, al_error_t *err);
/* True in AddressSanitizer builds (make SAN=1), which leave RLIMIT_AS unset. */
bool al_process_skips_rlimit_as (void);
/* setgroups(additionalGids), setresgid, setresuid; umask. */
int al_process_set_user (const struct oci_process *p, al_error_t *err);
/* process.scheduler, process.ioPriority (+ linux.personality when given). */
int al_process_set_sched (const struct oci_process *p, const struct oci_linux *l, al_error_t *err);
int al_process_set_oom_score_adj (pid_t pid, int adj, al_error_t *err);
/* linux.sysctl, before anything is created: every key must belong to a
 * kernel namespace the container does not share with the runtime (the host):
 * net.* the network namespace, kernel.msg*, kernel.sem*, kernel.shm* and
 * fs.mqueue.* the ipc one, kernel.hostname and kernel.domainname the uts one,
 * user.* the user one. The namespace is the container's own when it is new
 * (linux.namespaces without a path) or joined by a path that is not the
 * runtime's own namespace of that type. Any other key has no namespace and
 * would change the host: refused. Errors name the key and the namespace. */
struct al_ns_plan;
int al_process_check_sysctl (const struct oci_linux *l, const struct al_ns_plan *plan, al_error_t *err);
/* linux.sysctl written through /proc/sys of the current mount namespace. */
int al_process_set_sysctl (const struct oci_linux *l, al_error_t *err);
/* process.env with HOME added when it has none, as runc does: the home
 * directory of process.user.uid in the container's /etc/passwd (read below
 * the current root, /etc resolved inside it, passwd itself not a symlink and
 * a regular file), else "/". Call after entering the container's root and
 * before the credentials change. Returns a new array (the strings of
 * process.env plus a new "HOME=..."), or NULL when process.env has HOME. */
char **al_process_env_with_home (const struct oci_process *p);
/* Resolve args[0] with the PATH of process.env (like execvp), checking it is an
 * executable regular file. Returns a heap path or an error naming the program. */
int al_process_find_exec (const struct oci_process *p, char **path, al_error_t *err);

#endif
