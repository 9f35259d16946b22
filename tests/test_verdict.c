/* test_verdict.c: durations, the verdict's JSON (out and back), collect
 * without a cgroup (rusage fallbacks), the human print, and the monitor loop
 * on a plain child process: output counting with a limit, the deadline, a
 * seccomp notification answered with EPERM and recorded by name, a reader
 * that never reads, and which stdin the container gets; a monitor that
 * leaves the init a zombie; the termination message file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <seccomp.h> /* libseccomp's (-iquote runtime/lib) */

#include <errno.h>
#include <inttypes.h>
#include <linux/seccomp.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "monitor.h"
#include "terminal.h"
#include "util.h"
#include "verdict.h"

static void
test_duration (void **state)
{
  (void) state;
  uint64_t ms = 0;
  assert_int_equal (al_parse_duration_ms ("10s", &ms), 0);
  assert_int_equal (ms, 10000);
  assert_int_equal (al_parse_duration_ms ("500ms", &ms), 0);
  assert_int_equal (ms, 500);
  assert_int_equal (al_parse_duration_ms ("2m", &ms), 0);
  assert_int_equal (ms, 120000);
  assert_int_equal (al_parse_duration_ms ("1h", &ms), 0);
  assert_int_equal (ms, 3600000);
  assert_int_equal (al_parse_duration_ms ("1.5s", &ms), 0);
  assert_int_equal (ms, 1500);
  assert_int_equal (al_parse_duration_ms ("3", &ms), 0);
  assert_int_equal (ms, 3000);
  assert_int_equal (al_parse_duration_ms ("", &ms), -EINVAL);
  assert_int_equal (al_parse_duration_ms ("0s", &ms), -EINVAL);
  assert_int_equal (al_parse_duration_ms ("-1s", &ms), -EINVAL);
  assert_int_equal (al_parse_duration_ms ("10x", &ms), -EINVAL);
  assert_int_equal (al_parse_duration_ms ("soon", &ms), -EINVAL);
  assert_int_equal (al_parse_duration_ms ("nan", &ms), -EINVAL);
  assert_int_equal (al_parse_duration_ms ("0.1ms", &ms), -EINVAL);
}

static void
test_record_denied (void **state)
{
  (void) state;
  struct al_monitor m;
  al_monitor_init (&m);
  al_monitor_record_denied (&m, "mount", 10, 5);
  al_monitor_record_denied (&m, "bpf", 11, 7);
  al_monitor_record_denied (&m, "mount", 12, 9);
  assert_int_equal (m.n_denied, 2);
  assert_string_equal (m.denied[0].name, "mount");
  assert_int_equal (m.denied[0].count, 2);
  assert_int_equal (m.denied[0].first_ms, 5);
  assert_int_equal (m.denied[0].first_pid, 10);
  assert_int_equal (m.denied[1].count, 1);
  al_monitor_clear (&m);
  assert_null (m.denied);
}

/* A flood of unknown numbers never takes a known name's place; every denial
 * is counted (listed or dropped), counts saturate. */
static void
test_denied_flood (void **state)
{
  (void) state;
  struct al_monitor m;
  al_monitor_init (&m);
  char name[32];
  for (int i = 0; i < 20000; i++)
    {
      snprintf (name, sizeof name, "syscall#%d", 100000 + i);
      al_monitor_record_denied (&m, name, 5, (uint64_t) i);
    }
  al_monitor_record_denied (&m, "mount", 6, 20000);
  al_monitor_record_denied (&m, "bpf", 6, 20001);
  for (int i = 0; i < 50000; i++)
    al_monitor_record_denied (&m, "mount", 6, 20002);
  al_monitor_record_denied (&m, "syscall#100000", 5, 1); /* listed: counted there */
  al_monitor_record_denied (&m, "i386:syscall#99999", 5, 1); /* dropped */
  assert_int_equal (m.n_denied, AL_MONITOR_MAX_UNKNOWN + 2);
  assert_int_equal (m.denied_total, 20000 + 2 + 50000 + 2);
  assert_int_equal (m.denied_dropped_calls, 20000 - AL_MONITOR_MAX_UNKNOWN + 1);
  /* distinct dropped names: at least, never more than the truth */
  assert_true (m.denied_dropped_names <= 20000 - AL_MONITOR_MAX_UNKNOWN + 1);
  assert_true (m.denied_dropped_names > 15000);
  const struct al_denied_syscall *mount = NULL, *bpf = NULL, *first = NULL;
  uint64_t listed = 0;
  for (size_t i = 0; i < m.n_denied; i++)
    {
      listed += m.denied[i].count;
      if (strcmp (m.denied[i].name, "mount") == 0)
        mount = &m.denied[i];
      if (strcmp (m.denied[i].name, "bpf") == 0)
        bpf = &m.denied[i];
      if (strcmp (m.denied[i].name, "syscall#100000") == 0)
        first = &m.denied[i];
    }
  assert_non_null (mount);
  assert_non_null (bpf);
  assert_non_null (first);
  assert_int_equal (mount->count, 50001);
  assert_int_equal (mount->first_ms, 20000);
  assert_int_equal (bpf->count, 1);
  assert_int_equal (first->count, 2);
  assert_int_equal (listed + m.denied_dropped_calls, m.denied_total);

  /* Known names all get a slot, up to the bound, past which they are
     counted too. */
  for (int i = 0; i < AL_MONITOR_MAX_DENIED + 10; i++)
    {
      snprintf (name, sizeof name, "known%d", i);
      al_monitor_record_denied (&m, name, 7, 1);
    }
  assert_int_equal (m.n_denied, AL_MONITOR_MAX_UNKNOWN + AL_MONITOR_MAX_DENIED);
  assert_int_equal (m.denied_dropped_calls, 20000 - AL_MONITOR_MAX_UNKNOWN + 1 + 12);
  for (size_t i = 0; i < m.n_denied; i++)
    if (strcmp (m.denied[i].name, "mount") == 0)
      assert_int_equal (m.denied[i].count, 50001);

  /* The verdict: total, dropped, and a line for people. */
  struct al_verdict v;
  al_verdict_collect (&v, "flood", &m, NULL, "untrusted", NULL);
  _cleanup_free_ char *json = al_verdict_json (&v, false);
  _cleanup_free_ char *want_total = al_xasprintf ("\"denied_syscalls_total\":%d", 20000 + 2 + 50000 + 2 + 4106);
  assert_non_null (strstr (json, want_total));
  _cleanup_free_ char *want_dropped = al_xasprintf ("\"denied_syscalls_dropped\":{\"names\":%" PRIu64 ",\"calls\":%d}",
                                                    m.denied_dropped_names, 20000 - AL_MONITOR_MAX_UNKNOWN + 1 + 12);
  assert_non_null (strstr (json, want_dropped));
  struct al_verdict back;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_verdict_parse ("v", json, strlen (json), &back, &err), 0);
  assert_int_equal (back.denied_total, v.denied_total);
  assert_int_equal (back.denied_dropped_names, v.denied_dropped_names);
  assert_int_equal (back.denied_dropped_calls, v.denied_dropped_calls);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);
  al_verdict_print (f, &back);
  fclose (f);
  _cleanup_free_ char *line = al_xasprintf ("not listed:          %d calls of at least %" PRIu64 " more names",
                                            20000 - AL_MONITOR_MAX_UNKNOWN + 1 + 12, v.denied_dropped_names);
  assert_non_null (strstr (text, line));
  free (text);
  al_verdict_clear (&back);
  al_verdict_clear (&v);

  /* Saturation, never wrap-around. */
  for (size_t i = 0; i < m.n_denied; i++)
    if (strcmp (m.denied[i].name, "bpf") == 0)
      m.denied[i].count = UINT64_MAX - 1;
  m.denied_total = UINT64_MAX - 1;
  al_monitor_record_denied (&m, "bpf", 6, 1);
  al_monitor_record_denied (&m, "bpf", 6, 1);
  for (size_t i = 0; i < m.n_denied; i++)
    if (strcmp (m.denied[i].name, "bpf") == 0)
      assert_true (m.denied[i].count == UINT64_MAX);
  assert_true (m.denied_total == UINT64_MAX);
  al_verdict_collect (&v, "flood", &m, NULL, "untrusted", NULL);
  assert_true (al_verdict_denied_total (&v) == UINT64_MAX);
  al_verdict_clear (&v);
  al_monitor_clear (&m);
  assert_null (m.denied);
  assert_null (m.denied_slots);
}

/* Notifications are named by syscall, ABI and, for a few multiplexers, the
 * operation (compared on the 32 bits the kernel reads). */
static void
test_denial_names (void **state)
{
  (void) state;
  static const struct
  {
    uint32_t arch;
    int nr;
    uint64_t a0, a1;
    const char *name;
  } cases[] = {
#ifdef __x86_64__
    { SCMP_ARCH_X86_64, SYS_mount, 0, 0, "mount" },
    { SCMP_ARCH_X86_64, SYS_prctl, PR_SET_SECCOMP, 0, "prctl(PR_SET_SECCOMP)" },
    { SCMP_ARCH_X86_64, SYS_prctl, PR_SET_SECCOMP | (1ull << 32), 0, "prctl(PR_SET_SECCOMP)" },
    { SCMP_ARCH_X86_64, SYS_prctl, PR_SET_NAME, 0, "prctl" },
    { SCMP_ARCH_X86_64, SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, "seccomp(SECCOMP_SET_MODE_FILTER)" },
    { SCMP_ARCH_X86_64, SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, "seccomp(SECCOMP_SET_MODE_STRICT)" },
    { SCMP_ARCH_X86_64, SYS_seccomp, 9, 0, "seccomp" },
    { SCMP_ARCH_X86_64, SYS_ioctl, 0, TIOCSTI, "ioctl(TIOCSTI)" },
    { SCMP_ARCH_X86_64, SYS_ioctl, 0, TIOCLINUX | (0xffull << 40), "ioctl(TIOCLINUX)" },
    { SCMP_ARCH_X86_64, SYS_ioctl, 0, TCGETS, "ioctl" },
    { SCMP_ARCH_X86_64, 100000, 0, 0, "syscall#100000" },
    { SCMP_ARCH_X86_64, -10243, 0, 0, "syscall#-10243" }, /* a libseccomp pseudo number */
    { SCMP_ARCH_X86, 21, 0, 0, "i386:mount" },
    { SCMP_ARCH_X86, 100000, 0, 0, "i386:syscall#100000" },
    { SCMP_ARCH_X86_64, 0x40000000 | 165, 0, 0, "x32:mount" },
#endif
  };
  struct al_monitor m;
  al_monitor_init (&m);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      struct seccomp_notif req;
      memset (&req, 0, sizeof req);
      req.pid = 3;
      req.data.arch = cases[i].arch;
      req.data.nr = cases[i].nr;
      req.data.args[0] = cases[i].a0;
      req.data.args[1] = cases[i].a1;
      al_monitor_note_notification (&m, &req, 1);
      assert_int_equal (m.n_denied, 1);
      assert_int_equal (m.notifications, 1);
      assert_string_equal (m.denied[0].name, cases[i].name);
      assert_int_equal (al_denied_name_is_unknown (m.denied[0].name), strstr (cases[i].name, "syscall#") != NULL);
      al_monitor_clear (&m);
      al_monitor_init (&m);
    }
  al_monitor_clear (&m);
}

/* A finished monitor as al_monitor_run leaves it. */
static void
fake_monitor (struct al_monitor *m, int status)
{
  al_monitor_init (m);
  m->reaped = true;
  m->status = status;
  m->wall_ms = 1234;
  m->timeout_ms = 10000;
  m->rusage.ru_maxrss = 2048; /* KiB */
  m->rusage.ru_utime.tv_sec = 1;
  m->rusage.ru_stime.tv_usec = 500;
  m->out.bytes = 100;
  m->err.bytes = 7;
  m->err.dropped = 3;
  al_monitor_record_denied (m, "ptrace", 42, 17);
  al_monitor_record_denied (m, "ptrace", 43, 18);
  al_monitor_record_denied (m, "socket", 42, 20);
}

static void
test_collect_rusage (void **state)
{
  (void) state;
  struct al_monitor m;
  fake_monitor (&m, 0); /* exited 0 */
  struct al_profile_report rep = { 0 };
  rep.memory = AL_ENFORCE_RLIMIT;
  rep.memory_limit = 1 << 28;
  rep.pids = AL_ENFORCE_CGROUP;
  rep.pids_limit = 128;
  struct al_verdict v;
  al_verdict_collect (&v, "c1", &m, NULL, "untrusted", &rep);
  assert_true (v.ok);
  assert_true (v.exited);
  assert_int_equal (v.exit_code, 0);
  assert_int_equal (v.oom_killed, -1);
  /* the init's rusage is never a memory peak: null without a sample */
  assert_false (v.has_memory_peak);
  assert_null (v.memory_peak_source);
  assert_int_equal (v.cpu_time_us, 1000500);
  assert_string_equal (v.cpu_time_source, "rusage");
  assert_false (v.has_pids_peak);
  assert_string_equal (v.memory.enforcement, "rlimit");
  assert_string_equal (v.pids.enforcement, "cgroup");
  assert_string_equal (v.cpu.enforcement, "none");
  assert_int_equal (v.n_denied, 2);
  al_verdict_clear (&v);

  /* the monitor's sampled sum over every process */
  m.memory_sampled = true;
  m.memory_sampled_peak = 3u << 20;
  al_verdict_collect (&v, "c1", &m, NULL, "untrusted", &rep);
  assert_true (v.has_memory_peak);
  assert_int_equal (v.memory_peak_bytes, 3u << 20);
  assert_string_equal (v.memory_peak_source, "sampled");
  al_verdict_clear (&v);

  /* a timeout: SIGKILL, not ok */
  m.timed_out = true;
  m.status = SIGKILL; /* as wait() reports a signal death */
  al_verdict_collect (&v, "c1", &m, NULL, NULL, NULL);
  assert_false (v.ok);
  assert_false (v.exited);
  assert_int_equal (v.signal, SIGKILL);
  assert_null (v.profile);
  assert_string_equal (v.memory.enforcement, "none");
  al_verdict_clear (&v);

  /* exited 1: not ok */
  m.timed_out = false;
  m.status = 1 << 8;
  al_verdict_collect (&v, "c1", &m, NULL, NULL, NULL);
  assert_false (v.ok);
  assert_int_equal (v.exit_code, 1);
  al_verdict_clear (&v);
  al_monitor_clear (&m);
}

/* No memory controller: the monitor killed over the limit, and
   limits.memory says which bounds held. */
static void
test_monitor_memory_kill (void **state)
{
  (void) state;
  struct al_monitor m;
  fake_monitor (&m, SIGKILL);
  m.memory_kill_bytes = 64u << 20;
  m.memory_killed = true;
  struct al_profile_report rep = { .memory = AL_ENFORCE_RLIMIT, .memory_limit = 64 << 20,
                                   .memory_no_controller = true, .tmpfs_sized = 3,
                                   .tmpfs_max_bytes = 64u << 20, .ipc_bounded = true,
                                   .ipc_shmmax = 64u << 20, .ipc_shmall = 16384 };
  struct al_verdict v;
  al_verdict_collect (&v, "hog", &m, NULL, "untrusted", &rep);
  assert_int_equal (v.oom_killed, 1);
  assert_false (v.ok);
  _cleanup_free_ char *json = al_verdict_json (&v, false);
  assert_non_null (strstr (json, "\"oom_killed_by\":\"monitor\""));
  assert_non_null (strstr (json, "\"enforced_by\":\"monitor-sampled\""));
  assert_non_null (strstr (json, "\"kernel\":\"unbounded\""));
  assert_non_null (strstr (json, "\"shmall_pages\":16384"));
  struct al_verdict back;
  al_error_t err = NULL;
  assert_int_equal (al_verdict_parse ("verdict.json", json, strlen (json), &back, &err), 0);
  assert_string_equal (back.oom_killed_by, "monitor");
  assert_string_equal (back.memory_enforced_by, "monitor-sampled");
  assert_false (back.memory_kernel_bounded);
  assert_int_equal (back.tmpfs_sized, 3);
  assert_true (back.ipc_bounded);
  assert_int_equal (back.ipc_shmmax, 64u << 20);
  al_verdict_clear (&back);
  al_verdict_clear (&v);
  al_monitor_clear (&m);

  /* without the monitor's kill nothing says "monitor" */
  fake_monitor (&m, SIGKILL);
  al_verdict_collect (&v, "c", &m, NULL, "untrusted", NULL);
  assert_null (v.oom_killed_by);
  assert_null (v.memory_enforced_by);
  al_verdict_clear (&v);
  al_monitor_clear (&m);
}

static void
test_json_round_trip (void **state)
{
  (void) state;
  struct al_monitor m;
  fake_monitor (&m, SIGKILL);
  m.timed_out = true;
  m.pids_sampled_peak = 9;
  struct al_verdict v;
  m.memory_sampled = true;
  m.memory_sampled_peak = 2048 * 1024;
  al_verdict_collect (&v, "round", &m, NULL, "untrusted", NULL);
  v.oom_killed = 0;
  _cleanup_free_ char *json = al_verdict_json (&v, true);
  assert_non_null (strstr (json, "\"signal\": \"SIGKILL\""));
  assert_non_null (strstr (json, "\"exit_code\": null"));
  assert_non_null (strstr (json, "\"timed_out\": true"));
  assert_non_null (strstr (json, "\"oom_killed\": false"));
  assert_non_null (strstr (json, "\"pids_peak_source\": \"sampled\""));
  assert_non_null (strstr (json, "\"denied_syscalls_total\": 3"));

  struct al_verdict back;
  al_error_t err = NULL;
  assert_int_equal (al_verdict_parse ("verdict.json", json, strlen (json), &back, &err), 0);
  assert_string_equal (back.id, "round");
  assert_string_equal (back.profile, "untrusted");
  assert_false (back.ok);
  assert_false (back.exited);
  assert_int_equal (back.signal, SIGKILL);
  assert_true (back.timed_out);
  assert_int_equal (back.timeout_ms, 10000);
  assert_int_equal (back.oom_killed, 0);
  assert_int_equal (back.wall_time_ms, 1234);
  assert_int_equal (back.memory_peak_bytes, 2048 * 1024);
  assert_int_equal (back.pids_peak, 9);
  assert_int_equal (back.n_denied, 2);
  assert_string_equal (back.denied[0].name, "ptrace");
  assert_int_equal (back.denied[0].count, 2);
  assert_int_equal (back.denied[0].first_ms, 17);
  assert_int_equal (back.denied[0].first_pid, 42);
  assert_string_equal (back.denied[1].name, "socket");
  assert_true (back.has_output);
  assert_int_equal (back.stdout_bytes, 100);
  assert_int_equal (back.stderr_dropped, 3);

  /* the same JSON again */
  _cleanup_free_ char *again = al_verdict_json (&back, true);
  assert_string_equal (json, again);

  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&text, &len);
  al_verdict_print (f, &back);
  fclose (f);
  assert_non_null (strstr (text, "FAILED"));
  assert_non_null (strstr (text, "killed by SIGKILL"));
  assert_non_null (strstr (text, "ptrace"));
  assert_non_null (strstr (text, "x2"));
  free (text);

  al_verdict_clear (&back);
  al_verdict_clear (&v);
  al_monitor_clear (&m);

  assert_int_equal (al_verdict_parse ("bad.json", "[1]", 3, &back, &err), -EINVAL);
  assert_non_null (strstr (err->msg, "bad.json"));
  al_error_free (&err);
}

/* The monitor on a plain child: it writes `n` bytes to stdout and "e" to
 * stderr, then sleeps `sleep_s`. */
static pid_t
spawn_writer (struct al_monitor *m, size_t n, unsigned sleep_s, int *pidfd)
{
  struct al_create_opts o;
  al_create_opts_init (&o);
  al_error_t err = NULL;
  assert_int_equal (al_monitor_prepare (m, &o, &err), 0);
  assert_true (o.keep_seccomp_listener);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      dup2 (o.stdio[1], 1);
      dup2 (o.stdio[2], 2);
      char buf[4096];
      memset (buf, 'x', sizeof buf);
      while (n > 0)
        {
          size_t k = n < sizeof buf ? n : sizeof buf;
          if (write (1, buf, k) < 0)
            _exit (9);
          n -= k;
        }
      if (write (2, "e", 1) < 0)
        _exit (9);
      if (sleep_s)
        sleep (sleep_s);
      _exit (5);
    }
  al_monitor_created (m);
  *pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  assert_true (*pidfd >= 0);
  return pid;
}

static void
test_monitor_output (void **state)
{
  (void) state;
  struct al_monitor m;
  al_monitor_init (&m);
  m.out_to = -1;
  m.err_to = -1;
  m.output_limit = 1000;
  int pidfd;
  pid_t pid = spawn_writer (&m, 3u << 20, 0, &pidfd);
  struct al_created c = { .pid = pid, .pidfd = pidfd, .pty_master = -1, .seccomp_listener = -1 };
  al_error_t err = NULL;
  assert_int_equal (al_monitor_run (&m, &c, NULL, &err), 0);
  assert_true (m.reaped);
  assert_int_equal (al_monitor_exit_code (&m), 5);
  assert_int_equal (m.out.bytes, 3u << 20);
  assert_int_equal (m.out.dropped, 3u << 20); /* out_to -1: nothing passed */
  assert_int_equal (m.err.bytes, 1);
  assert_false (m.timed_out);
  close (pidfd);
  al_monitor_clear (&m);
}

static void
test_monitor_passthrough_limit (void **state)
{
  (void) state;
  int sink[2];
  assert_int_equal (pipe (sink), 0);
  struct al_monitor m;
  al_monitor_init (&m);
  m.out_to = sink[1];
  m.err_to = -1;
  m.output_limit = 1000;
  int pidfd;
  pid_t pid = spawn_writer (&m, 5000, 0, &pidfd);
  struct al_created c = { .pid = pid, .pidfd = pidfd, .pty_master = -1, .seccomp_listener = -1 };
  al_error_t err = NULL;
  assert_int_equal (al_monitor_run (&m, &c, NULL, &err), 0);
  close (sink[1]);
  char buf[8192];
  ssize_t got = read (sink[0], buf, sizeof buf);
  close (sink[0]);
  assert_int_equal (got, 1000);
  assert_int_equal (m.out.bytes, 5000);
  assert_int_equal (m.out.dropped, 4000);
  close (pidfd);
  al_monitor_clear (&m);
}

static void
test_monitor_deadline (void **state)
{
  (void) state;
  struct al_monitor m;
  al_monitor_init (&m);
  m.out_to = -1;
  m.err_to = -1;
  m.timeout_ms = 200;
  int pidfd;
  pid_t pid = spawn_writer (&m, 10, 30, &pidfd);
  struct al_created c = { .pid = pid, .pidfd = pidfd, .pty_master = -1, .seccomp_listener = -1 };
  al_error_t err = NULL;
  assert_int_equal (al_monitor_run (&m, &c, NULL, &err), 0);
  assert_true (m.timed_out);
  assert_true (WIFSIGNALED (m.status));
  assert_int_equal (WTERMSIG (m.status), SIGKILL);
  assert_int_equal (al_monitor_exit_code (&m), 137);
  assert_true (m.wall_ms >= 190 && m.wall_ms < 5000);
  close (pidfd);
  al_monitor_clear (&m);
}

/* Bytes readable now from a non-blocking fd. */
static size_t
drain_count (int fd)
{
  char buf[65536];
  size_t total = 0;
  ssize_t n;
  while ((n = read (fd, buf, sizeof buf)) > 0)
    total += (size_t) n;
  return total;
}

/* A reader that never reads: the program's output waits for it a while,
 * then is dropped and counted; the deadline fires on time and every byte is
 * accounted for. */
static void
test_monitor_stalled_reader (void **state)
{
  (void) state;
  int sink[2];
  assert_int_equal (pipe (sink), 0);
  /* the write end stays blocking, as a caller's stdout is */
  fcntl (sink[0], F_SETFL, O_NONBLOCK);
  struct al_monitor m;
  al_monitor_init (&m);
  m.out_to = sink[1];
  m.err_to = -1;
  m.timeout_ms = AL_MONITOR_STALL_MS + 500;
  int pidfd;
  pid_t pid = spawn_writer (&m, 4u << 20, 30, &pidfd);
  struct al_created c = { .pid = pid, .pidfd = pidfd, .pty_master = -1, .seccomp_listener = -1 };
  al_error_t err = NULL;
  assert_int_equal (al_monitor_run (&m, &c, NULL, &err), 0);
  assert_true (m.timed_out);
  assert_true (m.wall_ms >= AL_MONITOR_STALL_MS && m.wall_ms < AL_MONITOR_STALL_MS + 3000);
  /* past the stall the writer was not held: all of it was read */
  assert_int_equal (m.out.bytes, 4u << 20);
  assert_true (m.out.dropped > 0);
  close (sink[1]);
  assert_int_equal (m.out.bytes - m.out.dropped, drain_count (sink[0]));
  close (sink[0]);
  close (pidfd);
  al_monitor_clear (&m);
}

/* A process outside the watched one keeps its stdout open after its exit:
 * the drain is bounded, the rest is counted as far as it can be, and the
 * verdict says why. */
static void
test_monitor_writer_outlives (void **state)
{
  (void) state;
  struct al_monitor m;
  al_monitor_init (&m);
  m.out_to = -1;
  m.err_to = -1;
  struct al_create_opts o;
  al_create_opts_init (&o);
  al_error_t err = NULL;
  assert_int_equal (al_monitor_prepare (&m, &o, &err), 0);
  int ready[2];
  assert_int_equal (pipe (ready), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      dup2 (o.stdio[1], 1);
      dup2 (o.stdio[2], 2);
      pid_t g = fork ();
      if (g == 0)
        {
          /* the grandchild holds stdout: a writer the monitor cannot wait for */
          if (write (1, "x", 1) < 0)
            _exit (9);
          sleep (30);
          _exit (0);
        }
      if (write (ready[1], &g, sizeof g) != (ssize_t) sizeof g)
        _exit (9);
      _exit (0);
    }
  close (ready[1]);
  pid_t grandchild;
  assert_int_equal (read (ready[0], &grandchild, sizeof grandchild), (ssize_t) sizeof grandchild);
  close (ready[0]);
  al_monitor_created (&m);
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  struct al_created c = { .pid = pid, .pidfd = pidfd, .pty_master = -1, .seccomp_listener = -1 };
  assert_int_equal (al_monitor_run (&m, &c, NULL, &err), 0);
  kill (grandchild, SIGKILL);
  assert_int_equal (al_monitor_exit_code (&m), 0);
  assert_int_equal (m.out.bytes, 1);
  assert_int_equal (m.out.rfd, -1);
  assert_non_null (m.error);
  assert_non_null (strstr (m.error, "stdout still open"));
  close (pidfd);
  al_monitor_clear (&m);
}

/* Which stdin the container gets for which caller's stdin. */
static void
test_monitor_stdin_policy (void **state)
{
  (void) state;
  struct al_monitor m;
  struct al_create_opts o;
  al_error_t err = NULL;
  struct stat st;

  /* a read-only pipe: passed as is */
  int p[2];
  assert_int_equal (pipe (p), 0);
  al_monitor_init (&m);
  m.in_from = p[0];
  al_create_opts_init (&o);
  assert_int_equal (al_monitor_prepare (&m, &o, &err), 0);
  assert_int_equal (o.stdio[0], p[0]);
  assert_int_equal (m.in.wfd, -1);
  al_monitor_clear (&m);

  /* nothing readable: /dev/null */
  al_monitor_init (&m);
  m.in_from = p[1];
  al_create_opts_init (&o);
  assert_int_equal (al_monitor_prepare (&m, &o, &err), 0);
  assert_int_equal (fstat (o.stdio[0], &st), 0);
  assert_true (S_ISCHR (st.st_mode));
  al_monitor_clear (&m);
  close (p[0]);
  close (p[1]);

  /* a file opened read-write: the same file, read-only, at the same offset */
  char path[] = "/tmp/al-stdin.XXXXXX";
  int f = mkstemp (path);
  assert_true (f >= 0);
  assert_int_equal (write (f, "abcdef", 6), 6);
  assert_int_equal (lseek (f, 2, SEEK_SET), 2);
  al_monitor_init (&m);
  m.in_from = f;
  al_create_opts_init (&o);
  assert_int_equal (al_monitor_prepare (&m, &o, &err), 0);
  assert_true (o.stdio[0] != f);
  assert_int_equal (fcntl (o.stdio[0], F_GETFL) & O_ACCMODE, O_RDONLY);
  char b[8] = { 0 };
  assert_int_equal (read (o.stdio[0], b, sizeof b), 4);
  assert_string_equal (b, "cdef");
  al_monitor_clear (&m);
  close (f);
  unlink (path);

  /* a terminal: never passed; a pipe the monitor feeds from it */
  int master, slave;
  assert_int_equal (al_pty_open ("/dev/ptmx", &master, &slave, &err), 0);
  al_monitor_init (&m);
  m.in_from = slave;
  al_create_opts_init (&o);
  assert_int_equal (al_monitor_prepare (&m, &o, &err), 0);
  assert_true (o.stdio[0] != slave);
  assert_int_equal (fstat (o.stdio[0], &st), 0);
  assert_true (S_ISFIFO (st.st_mode));
  assert_false (isatty (o.stdio[0]));
  assert_true (m.in.wfd >= 0);
  /* the caller's fd keeps its flags: a new open file description is ours */
  assert_int_equal (fcntl (slave, F_GETFL) & O_NONBLOCK, 0);
  al_monitor_clear (&m);
  close (master);
  close (slave);
}

/* A child installs a filter that notifies mkdir/mkdirat; the test takes the
 * listener with pidfd_getfd and lets the monitor answer. */
static void
test_monitor_seccomp (void **state)
{
  (void) state;
  int sync[2], go[2];
  assert_int_equal (pipe (sync), 0);
  assert_int_equal (pipe (go), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
      if (ctx == NULL || seccomp_rule_add (ctx, SCMP_ACT_NOTIFY, SCMP_SYS (mkdir), 0) < 0
          || seccomp_rule_add (ctx, SCMP_ACT_NOTIFY, SCMP_SYS (mkdirat), 0) < 0 || seccomp_load (ctx) < 0)
        _exit (20);
      int fd = seccomp_notify_fd (ctx);
      if (write (sync[1], &fd, sizeof fd) != sizeof fd)
        _exit (21);
      char b;
      if (read (go[0], &b, 1) != 1)
        _exit (22);
      /* Would be ENOENT if it ran; the monitor answers EACCES. */
      int r1 = mkdir ("/nonexistent-airlock-test/a", 0700);
      int e1 = errno;
      int r2 = mkdir ("/nonexistent-airlock-test/b", 0700);
      _exit (r1 < 0 && e1 == EACCES && r2 < 0 && errno == EACCES ? 0 : 23);
    }
  int fd = -1;
  assert_int_equal (read (sync[0], &fd, sizeof fd), (ssize_t) sizeof fd);
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  assert_true (pidfd >= 0);
  int listener = (int) syscall (SYS_pidfd_getfd, pidfd, fd, 0);
  if (listener < 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      skip ();
    }
  struct al_monitor m;
  al_monitor_init (&m);
  m.capture_output = false;
  m.deny_errno = EACCES;
  struct al_created c = { .pid = pid, .pidfd = pidfd, .pty_master = -1, .seccomp_listener = listener };
  assert_int_equal (write (go[1], "g", 1), 1);
  al_error_t err = NULL;
  assert_int_equal (al_monitor_run (&m, &c, NULL, &err), 0);
  assert_int_equal (al_monitor_exit_code (&m), 0);
  assert_int_equal (m.n_denied, 1);
  assert_true (strcmp (m.denied[0].name, "mkdir") == 0 || strcmp (m.denied[0].name, "mkdirat") == 0);
  assert_int_equal (m.denied[0].count, 2);
  assert_int_equal (m.denied[0].first_pid, pid);
  assert_null (m.error);
  close (listener);
  close (pidfd);
  close (sync[0]);
  close (sync[1]);
  close (go[0]);
  close (go[1]);
  al_monitor_clear (&m);
}

/* Deep nesting and NUL bytes are refused before yajl_tree sees them. */
static void
test_parse_deep (void **state)
{
  (void) state;
  size_t n = 1000000;
  char *text = malloc (2 * n);
  memset (text, '{', n);
  memset (text + n, '}', n);
  struct al_verdict v;
  _cleanup_error_ al_error_t err = NULL;
  assert_true (al_verdict_parse ("verdict.json", text, 2 * n, &v, &err) < 0);
  assert_string_equal (err->msg, "verdict.json: not a verdict: nesting deeper than 64 levels: Invalid argument");
  al_error_free (&err);
  assert_true (al_verdict_parse ("verdict.json", "{\"id\":\"a\0b\"}", 11, &v, &err) < 0);
  assert_string_equal (err->msg, "verdict.json: not a verdict: a NUL byte at offset 8: Invalid argument");
  free (text);
}

/* leave_zombie (create's monitor under conmon, watcher.h): the status and
 * rusage are read, the init stays a zombie for its reaper. */
static void
test_monitor_leave_zombie (void **state)
{
  (void) state;
  for (int round = 0; round < 2; round++)
    {
      pid_t pid = fork ();
      assert_true (pid >= 0);
      if (pid == 0)
        {
          if (round == 1)
            raise (SIGKILL);
          _exit (7);
        }
      int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
      assert_true (pidfd >= 0);
      struct al_monitor m;
      al_monitor_init (&m);
      m.capture_output = false;
      m.forward_signals = false;
      m.leave_zombie = true;
      struct al_created c = { .pid = pid, .pidfd = pidfd, .pty_master = -1, .seccomp_listener = -1 };
      al_error_t err = NULL;
      assert_int_equal (al_monitor_run (&m, &c, NULL, &err), 0);
      assert_true (m.reaped);
      assert_int_equal (al_monitor_exit_code (&m), round == 0 ? 7 : 137);
      /* still there to be reaped, with the same status */
      int st = 0;
      assert_int_equal (waitpid (pid, &st, WNOHANG), pid);
      assert_int_equal (st, m.status);
      close (pidfd);
      al_monitor_clear (&m);
    }
}

/* The termination message file: the mount at CRI-O's annotation, else at
 * /dev/termination-log; written into a regular file only. */
static void
test_termination_log (void **state)
{
  (void) state;
  const char *base = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},"
                     "\"process\":{\"args\":[\"true\"],\"cwd\":\"/\"},\"mounts\":["
                     "{\"destination\":\"/dev/termination-log\",\"type\":\"bind\",\"source\":\"/host/a\"},"
                     "{\"destination\":\"/msg\",\"type\":\"bind\",\"source\":\"/host/b\"}]";
  char text[1024];
  struct oci_spec *spec = NULL;
  al_error_t err = NULL;
  snprintf (text, sizeof text, "%s}", base);
  assert_int_equal (oci_spec_parse ("config.json", text, strlen (text), &spec, &err), 0);
  assert_string_equal (al_termination_log_of (spec), "/host/a");
  oci_spec_free (spec);
  snprintf (text, sizeof text, "%s,\"annotations\":{\"%s\":\"/msg\"}}", base, AL_CRIO_TERMINATION_PATH_ANNOTATION);
  assert_int_equal (oci_spec_parse ("config.json", text, strlen (text), &spec, &err), 0);
  assert_string_equal (al_termination_log_of (spec), "/host/b");
  oci_spec_free (spec);
  snprintf (text, sizeof text, "%s,\"annotations\":{\"%s\":\"/none\"}}", base, AL_CRIO_TERMINATION_PATH_ANNOTATION);
  assert_int_equal (oci_spec_parse ("config.json", text, strlen (text), &spec, &err), 0);
  assert_null (al_termination_log_of (spec));
  oci_spec_free (spec);

  char dir[] = "/tmp/al-tl.XXXXXX";
  assert_non_null (mkdtemp (dir));
  _cleanup_free_ char *file = al_xasprintf ("%s/file", dir);
  _cleanup_free_ char *fifo = al_xasprintf ("%s/fifo", dir);
  _cleanup_free_ char *link = al_xasprintf ("%s/link", dir);
  int fd = open (file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, "a much longer old content than the verdict ...", 47), 47);
  close (fd);
  assert_int_equal (mkfifo (fifo, 0644), 0);
  assert_int_equal (symlink (file, link), 0);
  struct al_verdict v;
  memset (&v, 0, sizeof v);
  v.id = (char *) "c1";
  v.timed_out = true;
  v.timeout_ms = 2000;
  assert_int_equal (al_verdict_write_termination_log (file, &v, &err), 0);
  _cleanup_free_ char *got = NULL;
  size_t len = 0;
  assert_int_equal (al_read_file_at (AT_FDCWD, file, 65536, &got, &len, &err), 0);
  _cleanup_free_ char *want = al_verdict_json (&v, false);
  assert_int_equal (len, strlen (want));
  assert_memory_equal (got, want, len);
  /* a FIFO: refused at once (ENXIO without a reader, "not a regular
     file" with one), never a blocked monitor */
  assert_true (al_verdict_write_termination_log (fifo, &v, &err) < 0);
  al_error_free (&err);
  int rd = open (fifo, O_RDONLY | O_NONBLOCK);
  assert_true (rd >= 0);
  assert_true (al_verdict_write_termination_log (fifo, &v, &err) < 0);
  assert_non_null (strstr (err->msg, "not a regular file"));
  al_error_free (&err);
  close (rd);
  assert_true (al_verdict_write_termination_log (link, &v, &err) < 0);
  al_error_free (&err);
  unlink (file);
  unlink (fifo);
  unlink (link);
  rmdir (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_duration),
    cmocka_unit_test (test_parse_deep),
    cmocka_unit_test (test_record_denied),
    cmocka_unit_test (test_denied_flood),
    cmocka_unit_test (test_denial_names),
    cmocka_unit_test (test_collect_rusage),
    cmocka_unit_test (test_json_round_trip),
    cmocka_unit_test (test_monitor_memory_kill),
    cmocka_unit_test (test_monitor_output),
    cmocka_unit_test (test_monitor_passthrough_limit),
    cmocka_unit_test (test_monitor_deadline),
    cmocka_unit_test (test_monitor_seccomp),
    cmocka_unit_test (test_monitor_stalled_reader),
    cmocka_unit_test (test_monitor_writer_outlives),
    cmocka_unit_test (test_monitor_stdin_policy),
    cmocka_unit_test (test_monitor_leave_zombie),
    cmocka_unit_test (test_termination_log),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
