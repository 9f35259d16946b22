/* watcher.h: the monitor `airlock create` leaves behind for a profiled
 * container (airlock.profile) when nobody else watches it: under conmon
 * (CRI-O), whose `create` returns while the container lives on. (`run` and
 * `sandbox` watch in the foreground, the shim in its own loop; they never
 * come here.)
 *
 * `create` forks the monitor before anything exists, and the monitor makes
 * the container (al_container_create), so that the init is the monitor's
 * child; the create reports back over a pipe and `create` exits with its
 * result (errors printed by `create`, as without a monitor). Then the
 * monitor, in a session of its own (setsid: not in conmon's process group or
 * session), with every fd closed but the init's pidfd, the seccomp listener
 * and the state dir (no lock held, stdio on /dev/null), runs the usual loop
 * (monitor.h): it answers and records the denied syscalls, kills the
 * container at its deadline (airlock.timeout, counted from `start`: the
 * init's end of exec.fifo closing) and samples its memory and pids. Once the
 * init has exited it writes verdict.json into the state dir (`airlock
 * verdict ID`) and the verdict into the termination message file
 * (verdict.h), then exits.
 *
 * Who reaps the init. The monitor reads the init's wait status with
 * WNOWAIT and leaves it a zombie; when the monitor exits, the kernel hands
 * that zombie to the nearest subreaper, conmon, which reaps it and reports
 * the exit as with any runtime. So conmon (and CRI-O, which reads the
 * termination message once conmon reports the exit) sees the exit only
 * after the verdict has been written. The monitor itself is reparented to
 * conmon when `create` exits; conmon reaps unknown children and ignores
 * them.
 *
 * The container cannot kill or trace the monitor. The monitor runs as root
 * in the host's user, pid and every other namespace (it never enters the
 * container's) and is not dumpable. The container's processes run in a pid
 * namespace of their own (both profiles make one): the monitor has no pid
 * there, so kill(2), kill(-1), pidfd_open(2) and ptrace(2) cannot name it,
 * and /proc shows only the container's processes. Both profiles also run
 * them as the unprivileged host ids of a user namespace (`untrusted`: the
 * container's own slot of the pool; `untrusted-pod`: its pod's, or under
 * CRI-O, where no shim makes one per pod, a slot of its own), so kill(2)
 * would be refused even to one that could name it, and ptrace and
 * /proc/PID/mem of a non-dumpable root process with every capability are
 * refused without CAP_SYS_PTRACE even to one that could name it. (The
 * container's init is the monitor's child: a child has no way to signal or
 * trace its parent that others lack.) Tested from inside the container and
 * with its credentials on the host.
 *
 * If the monitor dies anyway (killed by root on the host, the OOM killer):
 * the init dies with it (PR_SET_PDEATHSIG SIGKILL, set by the init itself
 * after its last credential change, checked against a monitor that died
 * before: al_create_opts.die_with_parent), and with the init its pid
 * namespace. Nothing of the container runs unwatched; conmon reaps the
 * killed init and reports the exit (SIGKILL). Not covered: a program that
 * clears its own parent-death signal (prctl PR_SET_PDEATHSIG 0, which the
 * profiles allow) survives a monitor that dies later: it keeps its limits
 * (cgroup, rlimits, seccomp: denied calls then fail with ENOSYS) but loses
 * its deadline until `delete` kills it.
 *
 * `delete` (any status) stops the monitor recorded in the state dir
 * (AL_WATCHER_FILE: pid and start time, checked against pid reuse): after
 * the init is killed the monitor writes the verdict and exits; delete waits
 * for that (pidfd, at most AL_WATCHER_STOP_MS), then kills it. No monitor
 * outlives delete.
 */
#ifndef AIRLOCK_WATCHER_H
#define AIRLOCK_WATCHER_H

#include "error.h"
#include "log.h"

struct al_create_opts;
struct al_watch;

#define AL_WATCHER_FILE "monitor"
#define AL_WATCHER_STOP_MS 5000

/* Fork the monitor, which creates the container of o (prepared with
 * al_watch_prepare_detached: w active) and watches it; termination_log is
 * the host path of the termination message file (NULL: none). Returns the
 * create's result in this process (0, or its error); the monitor never
 * returns. A monitor killed before it reported: *killed_by is the signal
 * (the caller may die of it too, as the create it is), else 0. */
int al_watcher_create (struct al_create_opts *o, struct al_watch *w, const char *termination_log, int *killed_by,
                       al_error_t *err);

/* For delete: wait for the monitor recorded in the state dir dirfd to exit
 * (bounded), kill it when it does not. Nothing to do without a record. */
void al_watcher_stop (int dirfd, const char *id, const struct al_log *log);

#endif
