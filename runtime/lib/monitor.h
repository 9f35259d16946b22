/* monitor.h: watch a running container from the process that created it in
 * the foreground (`airlock sandbox`, `airlock run` of a profiled container,
 * the shim): one epoll loop, no threads, that
 *   - answers the seccomp user notifications of the denied syscalls with an
 *     errno (the call never runs) and records each syscall by name: count,
 *     first time (ms since the monitor started) and first pid;
 *   - kills the container's whole cgroup at the deadline (airlock.timeout);
 *   - copies the init's stdout/stderr pipes through to the caller, counting
 *     bytes, and never blocks on the caller (see "Output" below);
 *   - gives the container the caller's stdin only when it is a file or a
 *     pipe opened read-only, or /dev/null; anything else (a terminal, a
 *     socket, a device, a writable file) never reaches the container: it
 *     gets a pipe the monitor copies the caller's input into (non-blocking,
 *     bounded; EOF when the caller's input ends), /dev/null when that input
 *     cannot be read without blocking;
 *   - forwards SIGINT/SIGTERM/SIGHUP/SIGQUIT to the init (a second one kills
 *     the cgroup);
 *   - samples the cgroup's process count (peak pids where pids.peak is missing);
 *   - reaps the init with wait4 (status and rusage).
 *
 * Output. The caller's stdout/stderr are written without ever blocking the
 * loop, and without touching the caller's open file description (its shell
 * shares it; O_NONBLOCK there would break the shell): a pipe, FIFO,
 * terminal or other device is reopened through /proc/self/fd/N with
 * O_NONBLOCK (a new open file description of the same file), a socket is
 * written with send(MSG_DONTWAIT), a regular file with plain writes. Each
 * stream has one fixed buffer (AL_MONITOR_CHUNK bytes): while the caller's
 * reader takes bytes, the program waits for it as in any pipeline (nothing is
 * lost); once it has taken nothing for AL_MONITOR_STALL_MS, what is held is
 * dropped and the stream is read and dropped (counted in `dropped`) until the
 * reader takes bytes again. So a stalled reader costs the program a second,
 * never the monitor its deadline, notifications or signals. After the init's
 * exit (and the cgroup kill) the pipes are drained for at most
 * AL_MONITOR_DRAIN_MS; what is left then is dropped and counted. Output to a
 * terminal is escaped (termsafe.h): the program cannot drive the caller's
 * terminal.
 *
 * Typical use (see verdict.h for the verdict written afterwards):
 *
 *   struct al_monitor m;
 *   al_monitor_init (&m);
 *   m.timeout_ms = ...;                        // al_monitor_configure_from_spec
 *   al_monitor_prepare (&m, &create_opts, err);  // pipes + keep_seccomp_listener
 *   al_container_create (&create_opts, &created, err);
 *   al_monitor_created (&m);                   // close our copies of the write ends
 *   al_container_start (...);
 *   al_monitor_watch (&m, &created, root, id, err); // until the init is reaped
 *   al_verdict_finish (root, id, &m, profile, report, &v, err); // verdict.json
 *   al_monitor_clear (&m);
 */
#ifndef AIRLOCK_MONITOR_H
#define AIRLOCK_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct al_cgroup;
struct al_create_opts;
struct al_created;

#define AL_ANNOTATION_TIMEOUT "airlock.timeout"
#define AL_ANNOTATION_PROFILE "airlock.profile"

/* Distinct names the monitor lists: every known syscall name (libseccomp's
 * tables for the ABIs a container can use: some 1200 on x86_64 with i386 and
 * x32, so this bound is never reached there), and at most
 * AL_MONITOR_MAX_UNKNOWN numbers libseccomp does not know; denials past
 * those are counted, not listed (denied_dropped_*). */
#define AL_MONITOR_MAX_DENIED 4096
#define AL_MONITOR_MAX_UNKNOWN 32

/* One denied syscall, by name: the syscall ("mount"); for the few
 * multiplexers whose denied operations matter, with the operation
 * ("prctl(PR_SET_SECCOMP)", "seccomp(SECCOMP_SET_MODE_FILTER)",
 * "ioctl(TIOCSTI)"); prefixed by the ABI when it is not the native one
 * ("i386:mount", "x32:mount"); "syscall#N" when libseccomp does not know
 * the number for that architecture. */
struct al_denied_syscall
{
  char *name;
  uint64_t count;
  uint64_t first_ms; /* since the monitor started */
  pid_t first_pid;   /* as seen from the monitor's pid namespace */
};

#define AL_MONITOR_CHUNK 65536    /* the buffer of a stream */
#define AL_MONITOR_STALL_MS 1000  /* a reader that takes nothing this long is stalled */
#define AL_MONITOR_DRAIN_MS 2000  /* after the init's exit, wait this long for EOF */

/* Per output stream (stdout, stderr). */
struct al_monitor_stream
{
  int rfd;            /* read end of the init's pipe, -1 when not captured */
  int wfd;            /* write end, ours until al_monitor_created */
  int to;             /* (internal) our non-blocking handle on the
                         destination, -1: discard */
  uint64_t bytes;     /* everything the container wrote */
  uint64_t dropped;   /* not passed through: past output_limit, while the
                         destination stalled, failed or was gone, or left at
                         the end of the drain */
  bool escaped;       /* the destination is a terminal: escaped (termsafe.h) */
  bool partial_line;  /* the last byte passed through was not a newline */

  /* Internal (al_monitor_run). */
  int kind;
  bool dropping;      /* the destination stalled: read and drop */
  uint64_t stall_at;  /* ms (+1): when pending bytes count as stalled; 0: none */
  uint32_t ev_src, ev_sink; /* what epoll watches now */
  unsigned char *buf;
  size_t off, len;
  char tail[16];      /* the rest of an escaped unit the destination took in part */
  size_t tail_off, tail_len;
};

/* The caller's stdin, when the monitor copies it into the container's. */
struct al_monitor_input
{
  int rfd;            /* the container's stdin (a pipe's read end, or
                         /dev/null), ours until al_monitor_created; -1:
                         the caller's own is passed */
  int wfd;            /* the pipe's write end; -1 when nothing is copied */
  int from;           /* (internal) our non-blocking handle on the caller's input */
  int kind;
  uint32_t ev_src, ev_sink;
  unsigned char *buf;
  size_t off, len;
};

struct al_monitor
{
  /* Settings (al_monitor_init gives the defaults). */
  uint64_t timeout_ms;    /* 0: no deadline */
  int deny_errno;         /* answered to every notified syscall (EPERM) */
  uint64_t output_limit;  /* bytes passed through per stream; 0: no limit */
  bool capture_output;    /* pipes for stdout/stderr (true) */
  bool forward_signals;   /* (true) */
  uint32_t sample_ms;     /* pids sampling period; 0: never (20) */
  int out_to, err_to;     /* pass-through targets (1 and 2) */
  int in_from;            /* the caller's input (0); -1: /dev/null */
  bool escape_terminal;   /* escape output to a terminal (true) */
  /* No memory controller: the sampled sum (memsample.h over cgroup.procs,
     plus the used bytes of the container's own tmpfs mounts, each
     superblock once) above this kills the container (0: never). */
  uint64_t memory_kill_bytes;
  char **tmpfs_paths;     /* their destinations in the container (owned) */
  /* The init is left a zombie (waitid WNOWAIT: status and rusage read, not
     reaped): `create`'s monitor under conmon, whose subreaper reaps it once
     the monitor has exited (watcher.h). */
  bool leave_zombie;

  /* Results. */
  struct al_monitor_stream out, err;
  struct al_monitor_input in;
  bool timed_out;
  bool interrupted;       /* a forwarded signal arrived */
  bool reaped;
  int status;             /* wait status of the init */
  struct rusage rusage;   /* of the init and every descendant it reaped */
  uint64_t wall_ms;       /* monitor start (just before the init is
                             released) to the init's exit */
  uint64_t pids_sampled_peak; /* highest cgroup.procs count seen (0: none) */
  bool memory_sampled;        /* memory_sampled_peak was sampled at least once */
  uint64_t memory_sampled_peak; /* highest memsample.h sum over cgroup.procs
                                   (+ tmpfs used bytes with tmpfs_paths) */
  bool memory_killed;         /* memory_kill_bytes exceeded: the monitor killed */
  uint64_t notifications;     /* all answered notifications */
  struct al_denied_syscall *denied; /* listed, in order of first denial */
  size_t n_denied;
  uint64_t denied_total;         /* every denial, listed or not */
  uint64_t denied_dropped_calls; /* denials of names not listed (unknown
                                    numbers past AL_MONITOR_MAX_UNKNOWN) */
  uint64_t denied_dropped_names; /* distinct names among those: at least
                                    (a bounded bitmap of their hashes) */
  char *error;            /* a problem the loop survived (e.g. the listener
                             failed), NULL when none */

  /* Internal. */
  uint64_t start_ns;
  uint32_t *denied_slots;  /* open addressing: index + 1 into denied, 0 empty */
  size_t denied_slots_cap; /* a power of two, at least twice n_denied */
  size_t denied_cap, n_denied_unknown;
  uint64_t *dropped_seen;  /* AL_MONITOR_DROPPED_BITS, allocated at the first drop */
  uint64_t hash_seed;
  struct seccomp_notif *notif_req; /* receive/answer buffers, sized by the kernel */
  struct seccomp_notif_resp *notif_resp;
  size_t notif_req_size, notif_resp_size;
};

void al_monitor_init (struct al_monitor *m);
void al_monitor_clear (struct al_monitor *m);

/* "10s", "500ms", "2m", "1h", "1.5s", a bare number = seconds. -EINVAL when
 * not a positive duration. */
int al_parse_duration_ms (const char *s, uint64_t *ms);

/* Settings from the config's annotations: airlock.timeout. The error names
 * the annotation. */
int al_monitor_configure_from_spec (struct al_monitor *m, const struct oci_spec *spec, al_error_t *err);

/* Before al_container_create: pipes for stdout/stderr (when capture_output)
 * go into o->stdio[1], o->stdio[2], the container's stdin (see above) into
 * o->stdio[0], and o->keep_seccomp_listener is set. */
int al_monitor_prepare (struct al_monitor *m, struct al_create_opts *o, al_error_t *err);
/* After al_container_create (success or not): close our write ends. */
void al_monitor_created (struct al_monitor *m);
/* Mark time zero (al_monitor_run does it when not done): call it right
 * before al_container_start for an exact wall time. */
void al_monitor_start_clock (struct al_monitor *m);

/* The loop. c->pidfd and c->pid are the init (foreground create);
 * c->seccomp_listener may be -1 (no notify rules). cg may be NULL (then the
 * deadline kills the init alone, which takes a pid namespace with it).
 * Returns once the init is reaped and the pipes are drained (bounded wait).
 * An error is returned only when the init could not be waited for. */
int al_monitor_run (struct al_monitor *m, const struct al_created *c, struct al_cgroup *cg, al_error_t *err);

/* al_monitor_run with the container's cgroup taken from its state under
 * root/id (the usual entry point after al_container_start). */
int al_monitor_watch (struct al_monitor *m, const struct al_created *c, const char *root, const char *id,
                      al_error_t *err);

/* The container process's exit as an exit code: 128+N on signal N. */
int al_monitor_exit_code (const struct al_monitor *m);

/* For a monitor that runs in its own loop (the shim) instead of
 * al_monitor_run: answer one notification of the listener (record the
 * syscall, deny it with m->deny_errno); false when the listener is gone or
 * failed (m->error says why). */
bool al_monitor_handle_notification (struct al_monitor *m, int listener);
/* The init was reaped elsewhere: its wait status and rusage (may be NULL). */
void al_monitor_exited (struct al_monitor *m, int status, const struct rusage *ru);

/* Test hook: record a denial as the loop does (a name with "syscall#" is an
 * unknown number). Constant time: a hash table, no scan. */
void al_monitor_record_denied (struct al_monitor *m, const char *name, pid_t pid, uint64_t at_ms);
/* "syscall#N" (any ABI prefix): a number libseccomp does not know. */
bool al_denied_name_is_unknown (const char *name);

/* What the loop does with one received notification (its arch, syscall
 * number and arguments come from the container): record the denial by name
 * (see struct al_denied_syscall). */
struct seccomp_notif;
struct seccomp_notif_resp;
void al_monitor_note_notification (struct al_monitor *m, const struct seccomp_notif *req, uint64_t at_ms);

#endif
