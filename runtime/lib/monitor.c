/* monitor.c: the epoll loop that watches a foreground container: seccomp
 * notifications, deadline, stdout/stderr pass-through, signals, exit. */
#include "monitor.h"

#include <seccomp.h> /* libseccomp's (-iquote runtime/lib): syscall names */

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "util.h"

#define AL_MONITOR_CHUNK 65536        /* one read of a stream */
#define AL_MONITOR_DRAIN_MS 2000      /* after the init's exit, wait this long for EOF */
#define AL_MONITOR_DROPPED_BITS 65536 /* bitmap counting distinct dropped names (8 KiB) */
#define AL_MONITOR_NAME_MAX 96        /* "i386:seccomp(SECCOMP_SET_MODE_FILTER)" */

enum
{
  EV_PIDFD = 1,
  EV_LISTENER,
  EV_OUT,
  EV_ERR,
  EV_DEADLINE,
  EV_SAMPLE,
  EV_SIGNAL,
};

static uint64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

void
al_monitor_init (struct al_monitor *m)
{
  memset (m, 0, sizeof *m);
  m->deny_errno = EPERM;
  m->capture_output = true;
  m->forward_signals = true;
  m->sample_ms = 20;
  m->out_to = STDOUT_FILENO;
  m->err_to = STDERR_FILENO;
  m->out.rfd = m->out.wfd = -1;
  m->err.rfd = m->err.wfd = -1;
}

void
al_monitor_clear (struct al_monitor *m)
{
  al_closep (&m->out.rfd);
  al_closep (&m->out.wfd);
  al_closep (&m->err.rfd);
  al_closep (&m->err.wfd);
  for (size_t i = 0; i < m->n_denied; i++)
    free (m->denied[i].name);
  free (m->denied);
  m->denied = NULL;
  m->n_denied = m->denied_cap = m->n_denied_unknown = 0;
  free (m->denied_slots);
  m->denied_slots = NULL;
  m->denied_slots_cap = 0;
  free (m->dropped_seen);
  m->dropped_seen = NULL;
  free (m->notif_req);
  free (m->notif_resp);
  m->notif_req = NULL;
  m->notif_resp = NULL;
  free (m->error);
  m->error = NULL;
}

int
al_parse_duration_ms (const char *s, uint64_t *ms)
{
  if (s == NULL || *s == '\0')
    return -EINVAL;
  char *end;
  errno = 0;
  double v = strtod (s, &end);
  if (errno || end == s || !(v > 0) || isinf (v) || isnan (v))
    return -EINVAL;
  double mult;
  if (*end == '\0' || strcmp (end, "s") == 0)
    mult = 1000;
  else if (strcmp (end, "ms") == 0)
    mult = 1;
  else if (strcmp (end, "m") == 0)
    mult = 60 * 1000;
  else if (strcmp (end, "h") == 0)
    mult = 3600 * 1000;
  else
    return -EINVAL;
  double r = v * mult;
  if (r < 1 || r > 1e15)
    return -EINVAL;
  *ms = (uint64_t) (r + 0.5);
  return 0;
}

int
al_monitor_configure_from_spec (struct al_monitor *m, const struct oci_spec *spec, al_error_t *err)
{
  const char *t = oci_spec_annotation (spec, AL_ANNOTATION_TIMEOUT);
  if (t && al_parse_duration_ms (t, &m->timeout_ms) < 0)
    return al_err (err, 0, "annotations.\"%s\": not a duration: \"%s\" (e.g. 10s, 500ms, 2m)", AL_ANNOTATION_TIMEOUT,
                   t);
  return 0;
}

static int
make_pipe (struct al_monitor_stream *s, al_error_t *err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return al_err (err, errno, "monitor: pipe for the container's output");
  s->rfd = p[0];
  s->wfd = p[1];
  fcntl (s->rfd, F_SETFL, fcntl (s->rfd, F_GETFL) | O_NONBLOCK);
  return 0;
}

int
al_monitor_prepare (struct al_monitor *m, struct al_create_opts *o, al_error_t *err)
{
  o->keep_seccomp_listener = true;
  if (!m->capture_output)
    return 0;
  int r = make_pipe (&m->out, err);
  if (r == 0)
    r = make_pipe (&m->err, err);
  if (r < 0)
    return r;
  o->stdio[1] = m->out.wfd;
  o->stdio[2] = m->err.wfd;
  return 0;
}

void
al_monitor_created (struct al_monitor *m)
{
  al_closep (&m->out.wfd);
  al_closep (&m->err.wfd);
}

void
al_monitor_start_clock (struct al_monitor *m)
{
  if (m->start_ns == 0)
    m->start_ns = now_ns ();
}

static uint64_t
elapsed_ms (const struct al_monitor *m)
{
  return (now_ns () - m->start_ns) / 1000000u;
}

static void
note_error (struct al_monitor *m, const char *msg)
{
  if (m->error == NULL)
    m->error = al_xstrdup (msg);
}

/* ---- the denied-syscall table ----------------------------------------------
 * Every denial costs O(1) here whatever the container does: a hash of the
 * name (seeded per monitor, so that a container cannot aim its unknown
 * numbers at one chain) into an open-addressing index. Memory is bounded:
 * at most AL_MONITOR_MAX_DENIED known names and AL_MONITOR_MAX_UNKNOWN
 * unknown numbers are listed, so a flood of unknown numbers can never take
 * a known name's place; what is not listed is counted (calls exactly, names
 * at least), and every count saturates instead of wrapping. */

static uint64_t
sat_inc (uint64_t x)
{
  return x == UINT64_MAX ? x : x + 1;
}

bool
al_denied_name_is_unknown (const char *name)
{
  return strstr (name, "syscall#") != NULL;
}

static uint64_t
name_hash (const struct al_monitor *m, const char *s)
{
  uint64_t h = 0xcbf29ce484222325ull ^ m->hash_seed; /* FNV-1a, seeded */
  for (; *s; s++)
    {
      h ^= (unsigned char) *s;
      h *= 0x100000001b3ull;
    }
  return h ^ (h >> 29);
}

/* The slot holding `name`, or the empty one where it would go. */
static size_t
find_slot (const struct al_monitor *m, const char *name, uint64_t h, bool *found)
{
  size_t mask = m->denied_slots_cap - 1;
  for (size_t i = (size_t) h & mask;; i = (i + 1) & mask)
    {
      uint32_t e = m->denied_slots[i];
      if (e == 0 || strcmp (m->denied[e - 1].name, name) == 0)
        {
          *found = e != 0;
          return i;
        }
    }
}

/* Room for one more entry: the index at most half full. */
static void
grow (struct al_monitor *m)
{
  if (m->denied_slots == NULL)
    {
      uint64_t seed = 0;
      if (getrandom (&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t) sizeof seed)
        seed = now_ns () ^ (uint64_t) (uintptr_t) m;
      m->hash_seed = seed;
    }
  if (m->n_denied + 1 > m->denied_cap)
    {
      size_t cap = m->denied_cap ? m->denied_cap * 2 : 16;
      struct al_denied_syscall *d = realloc (m->denied, cap * sizeof *d);
      if (d == NULL)
        abort ();
      m->denied = d;
      m->denied_cap = cap;
    }
  if (2 * (m->n_denied + 1) <= m->denied_slots_cap)
    return;
  size_t cap = m->denied_slots_cap ? m->denied_slots_cap * 2 : 64;
  free (m->denied_slots);
  m->denied_slots = al_xmalloc0 (cap * sizeof *m->denied_slots);
  m->denied_slots_cap = cap;
  for (size_t i = 0; i < m->n_denied; i++)
    {
      bool found;
      size_t slot = find_slot (m, m->denied[i].name, name_hash (m, m->denied[i].name), &found);
      m->denied_slots[slot] = (uint32_t) (i + 1);
    }
}

static void
record (struct al_monitor *m, const char *name, bool known, pid_t pid, uint64_t at_ms)
{
  m->denied_total = sat_inc (m->denied_total);
  bool found = false;
  uint64_t h = name_hash (m, name);
  size_t slot = 0;
  if (m->denied_slots)
    slot = find_slot (m, name, h, &found);
  if (found)
    {
      struct al_denied_syscall *d = &m->denied[m->denied_slots[slot] - 1];
      d->count = sat_inc (d->count);
      return;
    }
  if (known ? m->n_denied - m->n_denied_unknown >= AL_MONITOR_MAX_DENIED
            : m->n_denied_unknown >= AL_MONITOR_MAX_UNKNOWN)
    {
      m->denied_dropped_calls = sat_inc (m->denied_dropped_calls);
      if (m->dropped_seen == NULL)
        m->dropped_seen = al_xmalloc0 (AL_MONITOR_DROPPED_BITS / 8);
      size_t bit = (size_t) (h >> 40) % AL_MONITOR_DROPPED_BITS;
      if (!(m->dropped_seen[bit / 64] & (UINT64_C (1) << (bit % 64))))
        {
          m->dropped_seen[bit / 64] |= UINT64_C (1) << (bit % 64);
          m->denied_dropped_names++;
        }
      return;
    }
  grow (m);
  slot = find_slot (m, name, name_hash (m, name), &found);
  m->denied[m->n_denied] = (struct al_denied_syscall){
    .name = al_xstrdup (name), .count = 1, .first_ms = at_ms, .first_pid = pid
  };
  m->denied_slots[slot] = (uint32_t) ++m->n_denied;
  if (!known)
    m->n_denied_unknown++;
}

void
al_monitor_record_denied (struct al_monitor *m, const char *name, pid_t pid, uint64_t at_ms)
{
  record (m, name, !al_denied_name_is_unknown (name), pid, at_ms);
}

/* Operations of multiplexers worth naming (a bounded table: the names it
 * can add are bounded too). The argument is compared as the kernel reads it:
 * its low 32 bits. */
static const struct
{
  const char *syscall;
  unsigned arg;
  uint32_t value;
  const char *name;
} decoded_ops[] = {
  { "seccomp", 0, SECCOMP_SET_MODE_STRICT, "seccomp(SECCOMP_SET_MODE_STRICT)" },
  { "seccomp", 0, SECCOMP_SET_MODE_FILTER, "seccomp(SECCOMP_SET_MODE_FILTER)" },
  { "prctl", 0, PR_SET_SECCOMP, "prctl(PR_SET_SECCOMP)" },
  { "ioctl", 1, TIOCSTI, "ioctl(TIOCSTI)" },
  { "ioctl", 1, TIOCLINUX, "ioctl(TIOCLINUX)" },
};

static const struct
{
  uint32_t arch;
  const char *name;
} abi_names[] = {
  { SCMP_ARCH_X86_64, "x86_64" }, { SCMP_ARCH_X86, "i386" },       { SCMP_ARCH_X32, "x32" },
  { SCMP_ARCH_AARCH64, "aarch64" }, { SCMP_ARCH_ARM, "arm" },      { SCMP_ARCH_RISCV64, "riscv64" },
  { SCMP_ARCH_PPC64LE, "ppc64le" }, { SCMP_ARCH_S390X, "s390x" },
};

/* The name a notification is recorded under (see struct al_denied_syscall);
 * false when libseccomp does not know the number ("syscall#N"). Negative
 * numbers are never known: libseccomp maps its pseudo numbers for other
 * architectures' syscalls there, which the kernel would not run. */
static bool
denial_name (const struct seccomp_notif *req, char *buf, size_t size)
{
  uint32_t arch = req->data.arch;
  int nr = req->data.nr;
  /* x32 calls come with x86_64's audit arch and the x32 bit in the number
     (a negative number is no syscall at all). */
  if (arch == SCMP_ARCH_X86_64 && nr >= 0 && (nr & 0x40000000))
    arch = SCMP_ARCH_X32;
  char abi[32] = "";
  if (arch != seccomp_arch_native ())
    {
      snprintf (abi, sizeof abi, "arch-%#x:", arch);
      for (size_t i = 0; i < sizeof abi_names / sizeof abi_names[0]; i++)
        if (abi_names[i].arch == arch)
          snprintf (abi, sizeof abi, "%s:", abi_names[i].name);
    }
  char *name = nr >= 0 ? seccomp_syscall_resolve_num_arch (arch, nr) : NULL;
  if (name == NULL)
    {
      snprintf (buf, size, "%ssyscall#%d", abi, nr);
      return false;
    }
  const char *shown = name;
  for (size_t i = 0; i < sizeof decoded_ops / sizeof decoded_ops[0]; i++)
    if (strcmp (name, decoded_ops[i].syscall) == 0 && (uint32_t) req->data.args[decoded_ops[i].arg] == decoded_ops[i].value)
      shown = decoded_ops[i].name;
  snprintf (buf, size, "%s%s", abi, shown);
  free (name);
  return true;
}

void
al_monitor_note_notification (struct al_monitor *m, const struct seccomp_notif *req, uint64_t at_ms)
{
  char name[AL_MONITOR_NAME_MAX];
  bool known = denial_name (req, name, sizeof name);
  record (m, name, known, (pid_t) req->pid, at_ms);
  m->notifications++;
}

/* The buffers for SECCOMP_IOCTL_NOTIF_RECV/SEND, sized as the kernel says,
 * allocated once per monitor. */
static int
notif_bufs (struct al_monitor *m, al_error_t *err)
{
  if (m->notif_req)
    return 0;
  struct seccomp_notif_sizes sizes;
  if (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
    return al_err (err, errno, "monitor: seccomp(SECCOMP_GET_NOTIF_SIZES)");
  m->notif_req_size = sizes.seccomp_notif > sizeof *m->notif_req ? sizes.seccomp_notif : sizeof *m->notif_req;
  m->notif_resp_size = sizes.seccomp_notif_resp > sizeof *m->notif_resp ? sizes.seccomp_notif_resp
                                                                         : sizeof *m->notif_resp;
  m->notif_req = al_xmalloc0 (m->notif_req_size);
  m->notif_resp = al_xmalloc0 (m->notif_resp_size);
  return 0;
}

/* One notification: record and deny. Returns false when the listener is gone. */
static bool
handle_notification (struct al_monitor *m, int listener)
{
  struct seccomp_notif *req = m->notif_req;
  struct seccomp_notif_resp *resp = m->notif_resp;
  memset (req, 0, m->notif_req_size);
  if (ioctl (listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
    {
      /* ENOENT: the caller died (or was killed) before we got it. */
      if (errno == EINTR || errno == ENOENT || errno == EAGAIN)
        return true;
      char msg[128];
      snprintf (msg, sizeof msg, "seccomp listener: receive: %s", strerror (errno));
      note_error (m, msg);
      return false;
    }
  al_monitor_note_notification (m, req, elapsed_ms (m));

  memset (resp, 0, m->notif_resp_size);
  resp->id = req->id;
  resp->val = 0;
  resp->error = -m->deny_errno;
  resp->flags = 0;
  if (ioctl (listener, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT && errno != EINTR)
    {
      char msg[128];
      snprintf (msg, sizeof msg, "seccomp listener: answer: %s", strerror (errno));
      note_error (m, msg);
    }
  return true;
}

bool
al_monitor_handle_notification (struct al_monitor *m, int listener)
{
  _cleanup_error_ al_error_t err = NULL;
  if (notif_bufs (m, &err) < 0)
    {
      note_error (m, err->msg);
      return false;
    }
  return handle_notification (m, listener);
}

void
al_monitor_exited (struct al_monitor *m, int status, const struct rusage *ru)
{
  al_monitor_start_clock (m);
  m->wall_ms = elapsed_ms (m);
  m->status = status;
  if (ru)
    m->rusage = *ru;
  m->reaped = true;
}

/* Read one chunk of a stream and pass it on. Returns false at EOF. */
static bool
pump (struct al_monitor *m, struct al_monitor_stream *s, int *to)
{
  char buf[AL_MONITOR_CHUNK];
  ssize_t n = read (s->rfd, buf, sizeof buf);
  if (n < 0)
    return errno == EINTR || errno == EAGAIN;
  if (n == 0)
    return false;
  uint64_t before = s->bytes;
  s->bytes += (uint64_t) n;
  size_t pass = (size_t) n;
  if (m->output_limit)
    {
      if (before >= m->output_limit)
        pass = 0;
      else if (s->bytes > m->output_limit)
        pass = (size_t) (m->output_limit - before);
    }
  if (*to < 0)
    pass = 0;
  if (pass > 0 && al_write_all (*to, buf, pass) < 0)
    {
      *to = -1; /* the caller's end went away: keep counting */
      pass = 0;
    }
  s->dropped += (uint64_t) n - pass;
  return true;
}

static int
arm_timer (int fd, uint64_t first_ms, uint64_t every_ms)
{
  struct itimerspec its = {
    .it_value = { .tv_sec = (time_t) (first_ms / 1000), .tv_nsec = (long) (first_ms % 1000) * 1000000 },
    .it_interval = { .tv_sec = (time_t) (every_ms / 1000), .tv_nsec = (long) (every_ms % 1000) * 1000000 },
  };
  if (first_ms == 0)
    its.it_value.tv_nsec = 1;
  return timerfd_settime (fd, 0, &its, NULL);
}

static void
kill_container (struct al_monitor *m, const struct al_created *c, struct al_cgroup *cg)
{
  if (cg)
    {
      _cleanup_error_ al_error_t e = NULL;
      if (al_cgroup_kill (cg, &e) == 0)
        return;
      note_error (m, e->msg);
    }
  syscall (SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
}

static void
sample_pids (struct al_monitor *m, struct al_cgroup *cg)
{
  pid_t *pids = NULL;
  size_t n = 0;
  if (al_cgroup_pids (cg, &pids, &n, NULL) == 0 && n > m->pids_sampled_peak)
    m->pids_sampled_peak = n;
  free (pids);
}

static void
ep_add (int ep, int fd, uint32_t tag)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };
  epoll_ctl (ep, EPOLL_CTL_ADD, fd, &ev);
}

static void
ep_del (int ep, int fd)
{
  epoll_ctl (ep, EPOLL_CTL_DEL, fd, NULL);
}

int
al_monitor_run (struct al_monitor *m, const struct al_created *c, struct al_cgroup *cg, al_error_t *err)
{
  al_monitor_start_clock (m);
  int listener = c->seccomp_listener;
  if (listener >= 0 && notif_bufs (m, err) < 0)
    return -1;

  /* Signals: forwarded ones through a signalfd; SIGPIPE blocked so that a
     vanished reader of our stdout is an EPIPE, not our death. */
  sigset_t mask, old;
  sigemptyset (&mask);
  sigaddset (&mask, SIGPIPE);
  if (m->forward_signals)
    {
      sigaddset (&mask, SIGINT);
      sigaddset (&mask, SIGTERM);
      sigaddset (&mask, SIGHUP);
      sigaddset (&mask, SIGQUIT);
    }
  sigprocmask (SIG_BLOCK, &mask, &old);

  _cleanup_close_ int ep = epoll_create1 (EPOLL_CLOEXEC);
  _cleanup_close_ int deadline = -1, sampler = -1, sfd = -1;
  int r = 0;
  if (ep < 0)
    {
      r = al_err (err, errno, "monitor: epoll_create1");
      goto out;
    }
  ep_add (ep, c->pidfd, EV_PIDFD);
  if (listener >= 0)
    ep_add (ep, listener, EV_LISTENER);
  if (m->out.rfd >= 0)
    ep_add (ep, m->out.rfd, EV_OUT);
  if (m->err.rfd >= 0)
    ep_add (ep, m->err.rfd, EV_ERR);
  if (m->timeout_ms)
    {
      deadline = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
      uint64_t spent = elapsed_ms (m);
      if (deadline < 0 || arm_timer (deadline, m->timeout_ms > spent ? m->timeout_ms - spent : 0, 0) < 0)
        {
          r = al_err (err, errno, "monitor: timerfd for the deadline");
          goto out;
        }
      ep_add (ep, deadline, EV_DEADLINE);
    }
  if (cg && m->sample_ms)
    {
      sampler = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
      if (sampler >= 0 && arm_timer (sampler, 0, m->sample_ms) == 0)
        ep_add (ep, sampler, EV_SAMPLE);
    }
  if (m->forward_signals)
    {
      sigset_t fwd = mask;
      sigdelset (&fwd, SIGPIPE);
      sfd = signalfd (-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
      if (sfd >= 0)
        ep_add (ep, sfd, EV_SIGNAL);
    }

  uint64_t drain_until = 0; /* ms; set once the init is reaped */
  int signals_seen = 0;
  for (;;)
    {
      bool streams_open = m->out.rfd >= 0 || m->err.rfd >= 0;
      if (m->reaped && (!streams_open || elapsed_ms (m) >= drain_until))
        break;
      int wait_ms = -1;
      if (m->reaped)
        wait_ms = (int) (drain_until - elapsed_ms (m));
      struct epoll_event evs[8];
      int n = epoll_wait (ep, evs, 8, wait_ms);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          r = al_err (err, errno, "monitor: epoll_wait");
          goto out;
        }
      for (int i = 0; i < n; i++)
        {
          switch (evs[i].data.u32)
            {
            case EV_LISTENER:
              if ((evs[i].events & EPOLLIN) == 0 || !handle_notification (m, listener))
                ep_del (ep, listener); /* EPOLLHUP: no task uses the filter any more */
              break;
            case EV_OUT:
              if (!pump (m, &m->out, &m->out_to))
                {
                  ep_del (ep, m->out.rfd);
                  al_closep (&m->out.rfd);
                }
              break;
            case EV_ERR:
              if (!pump (m, &m->err, &m->err_to))
                {
                  ep_del (ep, m->err.rfd);
                  al_closep (&m->err.rfd);
                }
              break;
            case EV_DEADLINE:
              {
                uint64_t x;
                if (read (deadline, &x, sizeof x) == (ssize_t) sizeof x && !m->reaped)
                  {
                    m->timed_out = true;
                    kill_container (m, c, cg);
                  }
                ep_del (ep, deadline);
                break;
              }
            case EV_SAMPLE:
              {
                uint64_t x;
                if (read (sampler, &x, sizeof x) == (ssize_t) sizeof x && !m->reaped)
                  sample_pids (m, cg);
                break;
              }
            case EV_SIGNAL:
              {
                struct signalfd_siginfo si;
                while (read (sfd, &si, sizeof si) == (ssize_t) sizeof si)
                  {
                    m->interrupted = true;
                    if (m->reaped)
                      continue;
                    if (++signals_seen > 1)
                      kill_container (m, c, cg);
                    else
                      syscall (SYS_pidfd_send_signal, c->pidfd, (int) si.ssi_signo, NULL, 0);
                  }
                break;
              }
            case EV_PIDFD:
              {
                ep_del (ep, c->pidfd);
                int st = 0;
                pid_t w;
                while ((w = wait4 (c->pid, &st, 0, &m->rusage)) < 0 && errno == EINTR)
                  ;
                if (w < 0)
                  {
                    r = al_err (err, errno, "monitor: wait for the init (pid %d)", (int) c->pid);
                    goto out;
                  }
                m->wall_ms = elapsed_ms (m);
                m->status = st;
                m->reaped = true;
                /* Whatever the init left behind (no pid namespace) goes too:
                   the container ends with its init. */
                if (cg)
                  {
                    sample_pids (m, cg);
                    al_cgroup_kill (cg, NULL);
                  }
                drain_until = m->wall_ms + AL_MONITOR_DRAIN_MS;
                break;
              }
            }
        }
    }

out:
  /* Consume a SIGPIPE we kept pending, then restore the mask. */
  {
    sigset_t pipe_only;
    sigemptyset (&pipe_only);
    sigaddset (&pipe_only, SIGPIPE);
    struct timespec zero = { 0, 0 };
    while (sigtimedwait (&pipe_only, NULL, &zero) > 0)
      ;
    if (m->forward_signals)
      {
        /* Signals that arrived after the signalfd was closed stay pending:
           drop them rather than die of them now. */
        sigset_t fwd = mask;
        sigdelset (&fwd, SIGPIPE);
        al_closep (&sfd);
        while (sigtimedwait (&fwd, NULL, &zero) > 0)
          m->interrupted = true;
      }
  }
  sigprocmask (SIG_SETMASK, &old, NULL);
  return r;
}

int
al_monitor_watch (struct al_monitor *m, const struct al_created *c, const char *root, const char *id, al_error_t *err)
{
  struct al_cgroup *cg = NULL;
  struct al_opened o;
  if (al_container_open (root, id, false, &o, NULL) == 0)
    {
      cg = al_state_cgroup (o.st);
      al_container_close (&o);
    }
  int r = al_monitor_run (m, c, cg, err);
  al_cgroup_free (cg);
  return r;
}

int
al_monitor_exit_code (const struct al_monitor *m)
{
  if (WIFSIGNALED (m->status))
    return 128 + WTERMSIG (m->status);
  return WEXITSTATUS (m->status);
}
