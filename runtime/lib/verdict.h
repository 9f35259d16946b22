/* verdict.h: what a watched container did, once it has ended: collected from
 * the monitor (exit, timeout, denied syscalls, output) and the cgroup
 * (memory.events, memory.peak, cpu.stat, pids.peak) with rusage fallbacks,
 * written as JSON to the state dir (verdict.json) and printed for people.
 *
 * JSON fields (every one always present; null = not measurable here):
 *   id, profile                  container id, profile name (null: none)
 *   ok                           exited 0, not timed out, not OOM killed
 *   exit_code                    0..255, null when killed by a signal
 *   signal                       "SIGKILL"..., null when it exited
 *   timed_out, timeout_ms        airlock.timeout reached (the cgroup killed)
 *   oom_killed                   memory.events oom_kill > 0; null when the
 *                                cgroup has no memory.events (memory limit
 *                                enforced by an rlimit or not at all)
 *   oom_killed_by                "memory.max" (the kernel's OOM killer),
 *                                "monitor" (no memory controller: the sampled
 *                                sum, tmpfs included, went over the limit),
 *                                null
 *   memory_limit_enforcement     "cgroup", "rlimit" or "none" (profile report)
 *   limits                       {memory, pids, cpu}: {enforcement, value};
 *                                memory also {limit, enforced_by
 *                                ("memory.max", "monitor-sampled", "rlimit",
 *                                null), kernel ("bounded" by memory.max, else
 *                                "unbounded": socket and pipe buffers...),
 *                                tmpfs {sized, max_bytes}, ipc {shmmax,
 *                                shmall_pages, shm_rmid_forced} or null}
 *   memory_peak_bytes            memory.peak, else the highest sum over every
 *   memory_peak_source           process of the cgroup the monitor sampled
 *                                (memsample.h, "sampled"), else null; never
 *                                the init's rusage
 *   cpu_time_us, cpu_time_source cpu.stat usage_usec, else rusage user+sys of
 *                                the init and its reaped descendants
 *   pids_peak, pids_peak_source  pids.peak, else the highest cgroup.procs
 *                                count the monitor sampled ("sampled": a
 *                                lower bound), else null
 *   wall_time_ms                 start to the init's exit
 *   denied_syscalls              [{name, count, first_ms, first_pid}], in
 *                                order of first denial: every known name
 *                                ("mount", "prctl(PR_SET_SECCOMP)",
 *                                "i386:mount"), and at most 32 numbers
 *                                libseccomp does not know ("syscall#N")
 *   denied_syscalls_total        every denied call, listed or not
 *   denied_syscalls_dropped      {names, calls}: what the list leaves out
 *                                (unknown numbers past the first 32; the
 *                                shim's termination message drops more):
 *                                calls exactly, names at least
 *   stdout_bytes, stderr_bytes   everything written (null: not captured)
 *   stdout_dropped_bytes, stderr_dropped_bytes  not passed through
 *   host_ids                     {first, size}: the host uid/gid range of
 *                                its profile's id pool slot (idpool.h), or
 *                                null (no pool, or the config's own maps)
 *   interrupted                  a signal was forwarded to the container
 *   monitor_error                a problem the monitor survived, or null
 */
#ifndef AIRLOCK_VERDICT_H
#define AIRLOCK_VERDICT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "monitor.h"
#include "profile.h"

struct al_cgroup;

#define AL_VERDICT_FILE "verdict.json"

struct al_verdict_limit
{
  char *enforcement; /* "cgroup", "rlimit", "none" */
  int64_t value;     /* bytes, pids, or cpu (cgroup: quota us per period; rlimit: seconds); 0 none */
};

struct al_verdict
{
  char *id;
  char *profile; /* NULL: none */
  bool ok;
  bool exited;   /* exit_code valid; else signal */
  int exit_code;
  int signal;
  bool timed_out;
  uint64_t timeout_ms; /* 0: none */
  int oom_killed;      /* -1 unknown, 0, 1 */
  char *oom_killed_by; /* "memory.max", "monitor", NULL */
  /* limits.memory: which bound held (no memory controller: the monitor's
     samples, sized tmpfs, the IPC namespace's SysV limits) */
  char *memory_enforced_by; /* "memory.max", "monitor-sampled", "rlimit", NULL */
  bool memory_kernel_bounded;
  size_t tmpfs_sized;
  uint64_t tmpfs_max_bytes;
  bool ipc_bounded;
  uint64_t ipc_shmmax, ipc_shmall;
  struct al_verdict_limit memory, pids, cpu;
  bool has_memory_peak;
  uint64_t memory_peak_bytes;
  char *memory_peak_source;
  bool has_cpu_time;
  uint64_t cpu_time_us;
  char *cpu_time_source;
  bool has_pids_peak;
  uint64_t pids_peak;
  char *pids_peak_source;
  uint64_t wall_time_ms;
  struct al_denied_syscall *denied;
  size_t n_denied;
  uint64_t denied_total;         /* every denial (at least the listed ones' sum) */
  uint64_t denied_dropped_names; /* not listed: distinct names (at least), */
  uint64_t denied_dropped_calls; /* and their calls */
  bool has_output;
  uint64_t stdout_bytes, stderr_bytes, stdout_dropped, stderr_dropped;
  bool interrupted;
  char *monitor_error;
  bool has_host_ids;
  uint32_t host_ids_first, host_ids_size;
};

/* Fill v from the finished monitor (al_monitor_run returned) and the cgroup
 * (read before the container is deleted; NULL: rusage only). profile and
 * report may be NULL. */
void al_verdict_collect (struct al_verdict *v, const char *id, const struct al_monitor *m, struct al_cgroup *cg,
                         const char *profile, const struct al_profile_report *report);
void al_verdict_clear (struct al_verdict *v);

/* denied_syscalls_total: v->denied_total, but never less than what the
 * verdict lists plus what it says it dropped (saturating). */
uint64_t al_verdict_denied_total (const struct al_verdict *v);

/* JSON text (pretty: indented, trailing newline). Caller frees. */
char *al_verdict_json (const struct al_verdict *v, bool pretty);
/* Parse verdict JSON back (unknown fields ignored). */
int al_verdict_parse (const char *name, const char *text, size_t len, struct al_verdict *v, al_error_t *err);

/* verdict.json in a state dir (atomic write). */
int al_verdict_write (int dirfd, const struct al_verdict *v, al_error_t *err);
/* Read the raw text of a state dir's verdict.json ("container \"x\": no
 * verdict: ..." when absent). */
int al_verdict_read_text (int dirfd, const char *id, char **text, size_t *len, al_error_t *err);

/* Human-readable, several lines between two fence lines naming the
 * container ("==== airlock verdict: container ID ====" ... "==== end of
 * airlock verdict: container ID ===="); every string escaped (al_escape). */
#define AL_VERDICT_FENCE_BEGIN "==== airlock verdict: container "
#define AL_VERDICT_FENCE_END "==== end of airlock verdict: container "
void al_verdict_print (FILE *f, const struct al_verdict *v);

/* Everything the foreground path does once the init has been reaped:
 * collect the verdict with the container's cgroup (from its state) and write
 * verdict.json into root/id. The verdict stays in *v for printing. */
int al_verdict_finish (const char *root, const char *id, const struct al_monitor *m, const char *profile,
                       const struct al_profile_report *report, struct al_verdict *v, al_error_t *err);

/* al_verdict_finish for a caller that holds the state dir (dirfd, not
 * locked here) and the cgroup (may be NULL) itself. */
int al_verdict_finish_at (int dirfd, struct al_cgroup *cg, const char *id, const struct al_monitor *m,
                          const char *profile, const struct al_profile_report *report, struct al_verdict *v,
                          al_error_t *err);

/* ---- the termination message (Kubernetes' terminationMessagePath) ---------
 *
 * The verdict also goes, as one line of JSON, into the host file the
 * container's termination message path is bind-mounted from: the mounts[]
 * entry whose destination is the annotation
 * io.kubernetes.cri-o.TerminationMessagePath (CRI-O), else
 * /dev/termination-log (the kubelet's default, containerd's CRI). The
 * kubelet reads at most AL_TERMINATION_MAX bytes: a longer verdict lists
 * fewer denied syscalls (the rest counted in denied_syscalls_dropped). */
#define AL_TERMINATION_LOG "/dev/termination-log"
#define AL_TERMINATION_MAX 4096
#define AL_CRIO_TERMINATION_PATH_ANNOTATION "io.kubernetes.cri-o.TerminationMessagePath"
struct oci_spec;
/* The host path (the mount's source), NULL when the config has none. */
const char *al_termination_log_of (const struct oci_spec *spec);
/* The verdict's JSON, cut to at most max bytes as above. Caller frees. */
char *al_verdict_termination_message (const struct al_verdict *v, size_t max);
/* Truncate and write it into path (a regular file; no symlink followed). */
int al_verdict_write_termination_log (const char *path, const struct al_verdict *v, al_error_t *err);

/* ---- the whole watch, for `run`, `sandbox` and the shim -------------------
 *
 *   struct al_watch w;
 *   if (al_watch_prepare (&w, &o, &err) < 0) fail;  // before create
 *   r = al_container_create (&o, &c, &err);
 *   al_watch_created (&w);                           // success or not
 *   if (r < 0) { al_watch_clear (&w); fail; }
 *   al_watch_start_clock (&w);
 *   al_container_start (root, id, log, &err);
 *   if (w.active) status = al_watch_run (&w, &c, root, id, &err);  // loop + verdict.json
 *   else status = <the usual foreground wait>;
 *   ... delete unless --keep; w.v is the verdict (al_verdict_print, al_verdict_json) ...
 *   al_watch_clear (&w);
 */
struct al_watch
{
  bool active;   /* the config selects a profile (annotation airlock.profile) */
  char *profile; /* its name */
  struct al_profile_report report; /* how each limit is enforced here */
  struct al_monitor m;
  struct al_verdict v; /* filled by al_watch_run */
  /* What al_watch_prepare read, parsed and tightened, lent to create through
     the opts (config_text, spec, profile); freed by al_watch_created. */
  char *config_text;
  struct oci_spec *spec;
  struct al_profile *prof; /* the profile applied (also al_watch_configure) */
};

/* Read the config the create will read (o->config_path, else
 * <o->bundle or .>/config.json). Without airlock.profile: inactive, o
 * untouched. With it: load the profile, check the config against it (the
 * same error create would give, before anything exists), learn how each
 * limit is enforced on this host, set the deadline (airlock.timeout, clamped
 * by the profile) and the errno denied syscalls get; then al_monitor_prepare:
 * o->keep_seccomp_listener, and pipes for stdout/stderr unless
 * process.terminal is set (then output is not counted). Settings of w->m
 * (output_limit, out_to, ...) may be changed before al_watch_run. */
int al_watch_prepare (struct al_watch *w, struct al_create_opts *o, al_error_t *err);
/* The same for a monitor that neither copies the container's stdio nor
 * forwards signals (`create`'s, watcher.h): only o->keep_seccomp_listener. */
int al_watch_prepare_detached (struct al_watch *w, struct al_create_opts *o, al_error_t *err);
/* The config read, parsed and tightened by al_watch_prepare is lent to the
 * create through o (one pass: create neither reads nor parses it again);
 * al_watch_created ends the loan. */
/* The part of al_watch_prepare that needs no create opts, for a caller
 * that has the config parsed already (the shim): from `spec` (tightened in
 * place by the profile; `path` names it in errors), load the profile, check,
 * learn the enforcement, set w->m.timeout_ms, deny_errno and
 * capture_output. Inactive without airlock.profile. No pipes, no listener
 * flag: the caller sets o->keep_seccomp_listener. */
int al_watch_configure (struct al_watch *w, const char *path, struct oci_spec *spec, al_error_t *err);
void al_watch_created (struct al_watch *w);
void al_watch_start_clock (struct al_watch *w);
struct al_log;
/* al_container_start of the watched container: its startContainer hooks run
 * under its filter, so the monitor answers (records, denies) their
 * notifications meanwhile. Plain al_container_start when inactive. */
int al_watch_container_start (struct al_watch *w, const struct al_created *c, const char *root, const char *id,
                              const struct al_log *log, al_error_t *err);
/* Monitor until the init is reaped, then write verdict.json into the state
 * dir (before any delete). Returns the container's exit status (128+N on
 * signal N) or a negative errno when the init could not be waited for. A
 * verdict that cannot be written is logged into w->v.monitor_error, not
 * fatal. */
int al_watch_run (struct al_watch *w, const struct al_created *c, const char *root, const char *id, al_error_t *err);
void al_watch_clear (struct al_watch *w);

#endif
