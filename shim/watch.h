/* watch.h: a container selected by a sandbox profile (annotation
 * airlock.profile, or the runtime class's shim config), watched from the
 * shim's own loop as `airlock run` watches it in the foreground:
 *   - the seccomp notify listener comes back from the create worker; each
 *     denied syscall is recorded and answered with the profile's errno;
 *   - the deadline (airlock.timeout, clamped by the profile) kills the
 *     container's whole cgroup; it counts from Start. A pod's sandbox
 *     (pause) container, io.kubernetes.cri.container-type=sandbox, gets no
 *     deadline: it only holds the pod's namespaces, and killing it would
 *     end the pod rather than the untrusted program;
 *   - when the init has exited, the verdict (verdict.h) is written to the
 *     container's state dir (verdict.json) and, compact and at most 4096
 *     bytes, to the container's termination message file: the host source
 *     of the bind mount whose destination is /dev/termination-log (kubelet
 *     puts it there), so `kubectl get pod` and the CRI's
 *     ContainerStatus.message show it. That happens before TaskExit;
 *   - the init's stdout and stderr are counted (stdio.h, counted output) for
 *     the verdict's stdout_bytes/stderr_bytes (with a terminal: the pty's
 *     output as stdout, stderr 0). Once the init has exited, the verdict
 *     waits for EOF on both (what the init left in its pipes reaches
 *     containerd and is counted), but at most SH_WATCH_DRAIN_MS: a process
 *     that still holds them open, or a client that stopped reading, cannot
 *     hold the exit back. The profiles give every container its own pid
 *     namespace, whose processes are all gone when its init is reaped, so
 *     the wait is normally only the copy of what is buffered. Past the bound
 *     the verdict has the bytes read until then and says so in
 *     monitor_error; the copying goes on until EOF or Delete.
 * Nothing of this exists for containers without a profile. */
#ifndef SHIM_WATCH_H
#define SHIM_WATCH_H

#include <sys/resource.h>

#include "container.h"
#include "error.h"
#include "loop.h"

#define SH_TERMINATION_LOG "/dev/termination-log"
#define SH_TERMINATION_MAX 4096
#define SH_WATCH_DRAIN_MS 2000

struct sh_watch;
struct sh_stdio;

/* From the config create will read (config_path): without a profile, *out
 * is NULL and nothing is set. With one: the profile is loaded and the config
 * checked against it (a conflict is the error create would give, before
 * anything exists), and o->keep_seccomp_listener is set. */
int sh_watch_new (const char *config_path, const char *id, struct al_create_opts *o, struct sh_watch **out,
                  al_error_t *err);
/* Created: the listener (owned afterwards; -1 when none came back). */
void sh_watch_created (struct sh_watch *w, struct sl_loop *loop, const char *root, int listener);
/* al_container_start of the watched container: the startContainer hooks
 * run under its filter, so their notifications are answered (recorded,
 * denied) meanwhile, not left until the event loop runs again. */
int sh_watch_container_start (struct sh_watch *w, const char *root, const char *id, al_error_t *err);
/* Started: the clock and the deadline. */
void sh_watch_started (struct sh_watch *w);
/* The init exited (wait status, rusage may be NULL): stop watching; once
 * io's counted output is drained (io NULL or not counted: at once; see
 * above for the bound), write the verdict and call done(data), possibly
 * before this returns. */
void sh_watch_exited (struct sh_watch *w, int status, const struct rusage *ru, struct sh_stdio *io,
                      void (*done) (void *data), void *data);
/* Waiting for the output after the exit: stop waiting, write the verdict
 * now (done is called). Nothing when not waiting; w may be NULL. */
void sh_watch_finish_now (struct sh_watch *w);
void sh_watch_free (struct sh_watch *w);

/* A create under the profile "untrusted" of a CRI container (pod sandbox
 * or pod container) failed: say in *err that pods need "untrusted-pod". */
void sh_watch_explain (const char *config_path, al_error_t *err);

/* The termination message text for a verdict JSON too long for kubelet:
 * exposed for tests. Returns the compact JSON of v with as many denied
 * syscalls as fit in max bytes: names of the native ABI, then of other
 * ABIs ("i386:mount"), then unknown numbers ("syscall#N"); the others
 * counted in denied_syscalls_dropped (names and calls);
 * denied_syscalls_total stays the total. */
struct al_verdict;
char *sh_watch_termination_message (const struct al_verdict *v, size_t max);

#endif
