/* monitor.c: the epoll loop that watches a foreground container: seccomp
 * notifications, deadline, stdout/stderr pass-through, signals, exit. */
#include "monitor.h"
#include "memsample.h"

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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "termsafe.h"
#include "util.h"

#define AL_MONITOR_DROPPED_BITS 65536 /* bitmap counting distinct dropped names (8 KiB) */
#define AL_MONITOR_NAME_MAX 96        /* "i386:seccomp(SECCOMP_SET_MODE_FILTER)" */
#define AL_MONITOR_ROUNDS 8           /* chunks moved per event (fairness) */
#define AL_MONITOR_FINAL_READS 32     /* reads counted at the end of the drain */

enum
{
  EV_PIDFD = 1,
  EV_LISTENER,
  EV_OUT,
  EV_ERR,
  EV_OUT_SINK,
  EV_ERR_SINK,
  EV_IN,
  EV_IN_SINK,
  EV_DEADLINE,
  EV_SAMPLE,
  EV_SIGNAL,
};

/* How the monitor writes to (or reads from) a caller's fd without blocking. */
enum
{
  IO_NONE,   /* discard (nothing to read) */
  IO_FILE,   /* a regular file or block device: plain I/O never waits for a reader */
  IO_OWN,    /* our own O_NONBLOCK open file description of the same file */
  IO_SOCKET, /* send/recv with MSG_DONTWAIT */
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
  m->in_from = STDIN_FILENO;
  m->escape_terminal = true;
  m->out.rfd = m->out.wfd = m->out.to = -1;
  m->err.rfd = m->err.wfd = m->err.to = -1;
  m->in.rfd = m->in.wfd = m->in.from = -1;
}

static void
stream_clear (struct al_monitor_stream *s)
{
  al_closep (&s->rfd);
  al_closep (&s->wfd);
  al_closep (&s->to);
  free (s->buf);
  s->buf = NULL;
  s->off = s->len = s->tail_off = s->tail_len = 0;
}

static void
input_clear (struct al_monitor_input *in)
{
  al_closep (&in->rfd);
  al_closep (&in->wfd);
  al_closep (&in->from);
  free (in->buf);
  in->buf = NULL;
  in->off = in->len = 0;
}

void
al_monitor_clear (struct al_monitor *m)
{
  stream_clear (&m->out);
  stream_clear (&m->err);
  input_clear (&m->in);
  al_strv_free (m->tmpfs_paths);
  m->tmpfs_paths = NULL;
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

/* A handle on the caller's fd that never blocks, without touching the
 * caller's open file description; *kind says how to use it (-1, IO_NONE:
 * none). */
static int
open_caller (int fd, bool for_write, int *kind)
{
  *kind = IO_NONE;
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return -1;
  int own;
  if (S_ISREG (st.st_mode) || S_ISBLK (st.st_mode) || S_ISSOCK (st.st_mode))
    {
      own = fcntl (fd, F_DUPFD_CLOEXEC, 3);
      if (own >= 0)
        *kind = S_ISSOCK (st.st_mode) ? IO_SOCKET : IO_FILE;
      return own;
    }
  /* A pipe, FIFO, terminal or other device: a new open file description of
     the same file, ours to make non-blocking. */
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  own = open (path, (for_write ? O_WRONLY : O_RDONLY) | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (own >= 0)
    *kind = IO_OWN;
  return own;
}

static int
stdin_devnull (struct al_monitor *m, struct al_create_opts *o, al_error_t *err)
{
  m->in.rfd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (m->in.rfd < 0)
    return al_err (err, errno, "monitor: open /dev/null for the container's stdin");
  o->stdio[0] = m->in.rfd;
  return 0;
}

/* The container's stdin: the caller's only when it is a file or a pipe
 * opened read-only; /dev/null for /dev/null or nothing readable; else (a
 * terminal above all, a socket, a device, a writable file or FIFO) a pipe
 * the monitor copies the caller's input into. */
static int
prepare_stdin (struct al_monitor *m, struct al_create_opts *o, al_error_t *err)
{
  int fd = m->in_from;
  struct stat st;
  int fl = fd >= 0 ? fcntl (fd, F_GETFL) : -1;
  if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY || fstat (fd, &st) < 0
      || (S_ISCHR (st.st_mode) && st.st_rdev == makedev (1, 3)))
    return stdin_devnull (m, o, err);
  bool read_only = (fl & O_ACCMODE) == O_RDONLY;
  if ((S_ISREG (st.st_mode) || S_ISFIFO (st.st_mode)) && read_only)
    {
      o->stdio[0] = fd;
      return 0;
    }
  if (S_ISREG (st.st_mode))
    {
      /* Writable: the same file read-only, at the caller's offset. */
      char path[64];
      snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
      int ro = open (path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
      if (ro < 0)
        return stdin_devnull (m, o, err);
      off_t at = lseek (fd, 0, SEEK_CUR);
      if (at > 0)
        lseek (ro, at, SEEK_SET);
      m->in.rfd = ro;
      o->stdio[0] = ro;
      return 0;
    }
  int kind;
  int from = open_caller (fd, false, &kind);
  if (from < 0)
    return stdin_devnull (m, o, err);
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    {
      close (from);
      return al_err (err, errno, "monitor: pipe for the container's stdin");
    }
  fcntl (p[1], F_SETFL, fcntl (p[1], F_GETFL) | O_NONBLOCK);
  m->in.from = from;
  m->in.kind = kind;
  m->in.rfd = p[0];
  m->in.wfd = p[1];
  o->stdio[0] = p[0];
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
  if (r == 0)
    r = prepare_stdin (m, o, err);
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
  al_closep (&m->in.rfd);
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

/* ---- output: the init's pipes to the caller ------------------------------- */

static void
ep_set (int ep, int fd, uint32_t tag, uint32_t *cur, uint32_t want)
{
  if (fd < 0 || *cur == want)
    return;
  struct epoll_event ev = { .events = want, .data.u32 = tag };
  epoll_ctl (ep, EPOLL_CTL_MOD, fd, &ev);
  *cur = want;
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

/* What epoll watches on a stream's destination (nothing to watch on a
   file: it never waits). */
static void
sink_watch (int ep, struct al_monitor_stream *s, uint32_t tag, uint32_t want)
{
  if (s->kind == IO_OWN || s->kind == IO_SOCKET)
    ep_set (ep, s->to, tag, &s->ev_sink, want);
}

static ssize_t
io_write (int fd, int kind, const void *buf, size_t n)
{
  ssize_t w;
  do
    w = kind == IO_SOCKET ? send (fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) : write (fd, buf, n);
  while (w < 0 && errno == EINTR);
  return w;
}

static ssize_t
io_read (int fd, int kind, void *buf, size_t n)
{
  ssize_t r;
  do
    r = kind == IO_SOCKET ? recv (fd, buf, n, MSG_DONTWAIT) : read (fd, buf, n);
  while (r < 0 && errno == EINTR);
  return r;
}

struct stream_tags
{
  uint32_t src, sink;
};

static struct stream_tags
tags_of (const struct al_monitor *m, const struct al_monitor_stream *s)
{
  return s == &m->out ? (struct stream_tags){ EV_OUT, EV_OUT_SINK } : (struct stream_tags){ EV_ERR, EV_ERR_SINK };
}

static size_t
pending (const struct al_monitor_stream *s)
{
  return (s->len - s->off) + (s->tail_len - s->tail_off);
}

static bool
stream_busy (const struct al_monitor_stream *s)
{
  return s->rfd >= 0 || pending (s) > 0;
}

/* The destination failed or went away: everything from now on is dropped. */
static void
sink_gone (int ep, struct al_monitor_stream *s)
{
  if (s->to >= 0 && s->kind != IO_FILE)
    ep_del (ep, s->to);
  al_closep (&s->to);
  s->kind = IO_NONE;
  s->ev_sink = 0;
}

static void
drop_pending (struct al_monitor_stream *s)
{
  s->dropped += s->len - s->off;
  s->off = s->len = 0;
  s->tail_off = s->tail_len = 0;
}

static void
passed (struct al_monitor_stream *s, const char *last)
{
  s->partial_line = *last != '\n';
  s->stall_at = 0; /* the reader takes bytes */
}

enum
{
  FLUSH_DONE,    /* nothing left that can go now */
  FLUSH_BLOCKED, /* the destination is full */
};

/* Pass on what is held; `final`: no more input (an incomplete UTF-8
 * sequence at the end is shown as bytes). */
static int
flush (int ep, struct al_monitor_stream *s, bool final)
{
  while (pending (s) > 0)
    {
      if (s->to < 0)
        {
          drop_pending (s);
          break;
        }
      ssize_t w;
      if (s->tail_off < s->tail_len)
        {
          w = io_write (s->to, s->kind, s->tail + s->tail_off, s->tail_len - s->tail_off);
          if (w > 0)
            {
              s->tail_off += (size_t) w;
              passed (s, s->tail + s->tail_off - 1);
              continue;
            }
        }
      else if (!s->escaped)
        {
          w = io_write (s->to, s->kind, s->buf + s->off, s->len - s->off);
          if (w > 0)
            {
              s->off += (size_t) w;
              passed (s, (const char *) s->buf + s->off - 1);
              continue;
            }
        }
      else
        {
          char out[4096];
          size_t used;
          size_t o = al_termsafe (s->buf + s->off, s->len - s->off, final, out, sizeof out, &used);
          if (o == 0)
            break; /* an incomplete sequence: more input may complete it */
          w = io_write (s->to, s->kind, out, o);
          if (w > 0)
            {
              passed (s, out + w - 1);
              if ((size_t) w < o)
                {
                  /* The units it took whole, and the rest of the one it
                     took in part. */
                  size_t used_whole;
                  size_t o_whole = al_termsafe (s->buf + s->off, s->len - s->off, final, out, (size_t) w,
                                                &used_whole);
                  used = used_whole;
                  if (o_whole < (size_t) w)
                    {
                      size_t ulen;
                      used += al_termsafe_unit (s->buf + s->off + used_whole, s->len - s->off - used_whole, final,
                                                s->tail, &ulen);
                      s->tail_off = (size_t) w - o_whole;
                      s->tail_len = ulen;
                    }
                }
              s->off += used;
              continue;
            }
        }
      if (w == 0 || (w < 0 && errno == EAGAIN))
        return FLUSH_BLOCKED;
      /* EPIPE (the reader left), EIO (a hung-up terminal), ENOSPC...: the
         rest is counted, not shown. */
      drop_pending (s);
      sink_gone (ep, s);
    }
  if (s->off == s->len)
    s->off = s->len = 0;
  if (s->tail_off == s->tail_len)
    s->tail_off = s->tail_len = 0;
  return FLUSH_DONE;
}

/* Move what can move now, never waiting. Output is read only while the
 * buffer has room (the program waits for a reader that takes bytes), except
 * when the destination stalled (then it is read and dropped). */
static void
stream_step (struct al_monitor *m, struct al_monitor_stream *s, int ep)
{
  struct stream_tags t = tags_of (m, s);
  for (int round = 0; round < AL_MONITOR_ROUNDS; round++)
    {
      if (pending (s) > 0 && flush (ep, s, s->rfd < 0) == FLUSH_BLOCKED)
        {
          uint64_t now = elapsed_ms (m) + 1;
          if (s->stall_at == 0)
            s->stall_at = now + AL_MONITOR_STALL_MS;
          if (now < s->stall_at)
            {
              /* Wait for the reader (bounded: the stall timer). */
              ep_set (ep, s->rfd, t.src, &s->ev_src, 0);
              sink_watch (ep, s, t.sink, EPOLLOUT);
              return;
            }
          drop_pending (s);
          s->dropping = true;
        }
      if (s->rfd < 0)
        {
          sink_watch (ep, s, t.sink, 0);
          return;
        }
      if (s->off > 0)
        {
          /* An incomplete UTF-8 sequence waits at the front. */
          memmove (s->buf, s->buf + s->off, s->len - s->off);
          s->len -= s->off;
          s->off = 0;
        }
      size_t room = AL_MONITOR_CHUNK - s->len;
      ssize_t n = read (s->rfd, s->buf + s->len, room);
      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        {
          ep_set (ep, s->rfd, t.src, &s->ev_src, EPOLLIN);
          /* Dropping: wait for the reader to take bytes again. */
          sink_watch (ep, s, t.sink, s->dropping ? EPOLLOUT : 0);
          return;
        }
      if (n <= 0)
        {
          /* EOF (or a broken pipe): whatever is held still goes. */
          ep_del (ep, s->rfd);
          al_closep (&s->rfd);
          s->ev_src = 0;
          continue;
        }
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
      if (s->to < 0 || s->dropping)
        pass = 0;
      s->dropped += (uint64_t) n - pass;
      s->len += pass;
    }
  /* More to move: the next round of the loop comes back (level-triggered). */
  ep_set (ep, s->rfd, t.src, &s->ev_src, EPOLLIN);
  sink_watch (ep, s, t.sink, pending (s) > 0 || s->dropping ? EPOLLOUT : 0);
}

/* The destination can take bytes (or failed: the write says which). */
static void
sink_ready (struct al_monitor *m, struct al_monitor_stream *s, int ep, uint32_t events)
{
  if (s->dropping && (events & (EPOLLERR | EPOLLHUP)) == 0)
    {
      /* It takes bytes again: what comes from now on is shown. */
      s->dropping = false;
      s->stall_at = 0;
    }
  if ((events & (EPOLLERR | EPOLLHUP)) && pending (s) == 0)
    {
      sink_gone (ep, s);
      return;
    }
  stream_step (m, s, ep);
}

/* Where the stream's bytes go: a handle that never blocks. */
static void
stream_open_sink (struct al_monitor *m, struct al_monitor_stream *s, int dest, int ep)
{
  s->buf = al_xmalloc0 (AL_MONITOR_CHUNK);
  s->to = open_caller (dest, true, &s->kind);
  if (s->to < 0)
    {
      s->kind = IO_NONE;
      /* ENXIO: a pipe or FIFO nobody reads any more, as EPIPE later. */
      if (dest >= 0 && errno != ENXIO && fcntl (dest, F_GETFD) >= 0)
        {
          char msg[160];
          snprintf (msg, sizeof msg, "%s: cannot write to fd %d without blocking (%s): the output is dropped",
                    s == &m->out ? "stdout" : "stderr", dest, strerror (errno));
          note_error (m, msg);
        }
      return;
    }
  s->escaped = m->escape_terminal && isatty (s->to);
  if (s->kind != IO_FILE)
    {
      struct epoll_event ev = { .events = 0, .data.u32 = tags_of (m, s).sink };
      if (epoll_ctl (ep, EPOLL_CTL_ADD, s->to, &ev) < 0)
        s->kind = IO_FILE; /* cannot be polled (e.g. /dev/null): it never waits */
    }
}

/* The end of the drain: what is held and what is still readable (bounded)
 * is counted, not shown. */
static void
stream_abandon (struct al_monitor *m, struct al_monitor_stream *s, int ep)
{
  drop_pending (s);
  if (s->rfd < 0)
    return;
  char buf[AL_MONITOR_CHUNK];
  ssize_t n = -1;
  for (int i = 0; i < AL_MONITOR_FINAL_READS; i++)
    {
      n = read (s->rfd, buf, sizeof buf);
      if (n <= 0)
        break;
      s->bytes += (uint64_t) n;
      s->dropped += (uint64_t) n;
    }
  if (n != 0)
    {
      /* No EOF: a writer lives on after the container's end. */
      char msg[160];
      snprintf (msg, sizeof msg,
                "%s still open %d ms after the exit (a process outside the container holds it): the rest is not "
                "counted",
                s == &m->out ? "stdout" : "stderr", AL_MONITOR_DRAIN_MS);
      note_error (m, msg);
    }
  ep_del (ep, s->rfd);
  al_closep (&s->rfd);
}

/* ---- input: the caller's stdin into the container's ---------------------- */

static void
input_close (struct al_monitor_input *in, int ep)
{
  if (in->from >= 0)
    ep_del (ep, in->from);
  if (in->wfd >= 0)
    ep_del (ep, in->wfd);
  al_closep (&in->from);
  al_closep (&in->wfd);
  free (in->buf);
  in->buf = NULL;
  in->off = in->len = 0;
}

static void
input_step (struct al_monitor_input *in, int ep)
{
  for (int round = 0; round < AL_MONITOR_ROUNDS && in->wfd >= 0; round++)
    {
      if (in->off < in->len)
        {
          ssize_t w = io_write (in->wfd, IO_OWN, in->buf + in->off, in->len - in->off);
          if (w < 0 && errno == EAGAIN)
            {
              ep_set (ep, in->from, EV_IN, &in->ev_src, 0);
              ep_set (ep, in->wfd, EV_IN_SINK, &in->ev_sink, EPOLLOUT);
              return;
            }
          if (w <= 0)
            {
              /* The program closed its stdin. */
              input_close (in, ep);
              return;
            }
          in->off += (size_t) w;
          continue;
        }
      in->off = in->len = 0;
      if (in->from < 0)
        {
          /* The caller's input ended and all of it went: EOF for the program. */
          input_close (in, ep);
          return;
        }
      ssize_t n = io_read (in->from, in->kind, in->buf, AL_MONITOR_CHUNK);
      if (n < 0 && errno == EAGAIN)
        {
          ep_set (ep, in->from, EV_IN, &in->ev_src, EPOLLIN);
          ep_set (ep, in->wfd, EV_IN_SINK, &in->ev_sink, 0);
          return;
        }
      if (n <= 0)
        {
          /* EOF; EIO: a terminal we may not read (a background job). */
          ep_del (ep, in->from);
          al_closep (&in->from);
          in->ev_src = 0;
          continue;
        }
      in->len = (size_t) n;
    }
}

static void
input_open (struct al_monitor_input *in, int ep)
{
  if (in->wfd < 0 || in->from < 0)
    {
      input_close (in, ep);
      return;
    }
  in->buf = al_xmalloc0 (AL_MONITOR_CHUNK);
  struct epoll_event src = { .events = EPOLLIN, .data.u32 = EV_IN };
  struct epoll_event sink = { .events = 0, .data.u32 = EV_IN_SINK };
  if (epoll_ctl (ep, EPOLL_CTL_ADD, in->from, &src) < 0 || epoll_ctl (ep, EPOLL_CTL_ADD, in->wfd, &sink) < 0)
    {
      /* Not pollable: the program gets EOF rather than a blocked monitor. */
      input_close (in, ep);
      return;
    }
  in->ev_src = EPOLLIN;
  in->ev_sink = 0;
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

/* The used bytes of the container's tmpfs mounts, seen through its init's
   root; a superblock mounted twice counts once. */
static uint64_t
sample_tmpfs (const struct al_monitor *m, pid_t init)
{
  uint64_t sum = 0;
  dev_t seen[64];
  size_t n_seen = 0;
  for (size_t i = 0; m->tmpfs_paths && m->tmpfs_paths[i] && init > 0; i++)
    {
      _cleanup_free_ char *p = al_xasprintf ("/proc/%d/root%s", (int) init, m->tmpfs_paths[i]);
      struct stat st;
      struct statfs fs;
      if (stat (p, &st) < 0 || statfs (p, &fs) < 0 || fs.f_type != TMPFS_MAGIC)
        continue;
      bool dup = false;
      for (size_t j = 0; j < n_seen && !dup; j++)
        dup = seen[j] == st.st_dev;
      if (dup)
        continue;
      if (n_seen < sizeof seen / sizeof seen[0])
        seen[n_seen++] = st.st_dev;
      sum += (uint64_t) (fs.f_blocks - fs.f_bfree) * (uint64_t) fs.f_bsize;
    }
  return sum;
}

static void kill_container (struct al_monitor *m, const struct al_created *c, struct al_cgroup *cg);

static void
sample_pids (struct al_monitor *m, const struct al_created *c, struct al_cgroup *cg)
{
  pid_t *pids = NULL;
  size_t n = 0;
  if (al_cgroup_pids (cg, &pids, &n, NULL) == 0)
    {
      if (n > m->pids_sampled_peak)
        m->pids_sampled_peak = n;
      uint64_t mem = al_memsample_pids (pids, n);
      if (!m->reaped)
        mem += sample_tmpfs (m, c->pid);
      /* No process left, or only zombies: nothing was measured, and a 0
         would be a false figure (the verdict says null instead). */
      if (mem == 0)
        {
          free (pids);
          return;
        }
      m->memory_sampled = true;
      if (mem > m->memory_sampled_peak)
        m->memory_sampled_peak = mem;
      if (m->memory_kill_bytes && mem > m->memory_kill_bytes && !m->memory_killed && !m->reaped)
        {
          m->memory_killed = true;
          kill_container (m, c, cg);
        }
    }
  free (pids);
}

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
/* The init's wait status and rusage, leaving it a zombie for its reaper. */
static pid_t
wait_nowait (const struct al_created *c, int *status, struct rusage *ru)
{
  siginfo_t si;
  memset (&si, 0, sizeof si);
  long r;
  while ((r = syscall (SYS_waitid, P_PIDFD, c->pidfd, &si, WEXITED | WNOWAIT, ru)) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return -1;
  if (si.si_code == CLD_EXITED)
    *status = (si.si_status & 0xff) << 8;
  else
    *status = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
  return c->pid;
}

int
al_monitor_run (struct al_monitor *m, const struct al_created *c, struct al_cgroup *cg, al_error_t *err)
{
  al_monitor_start_clock (m);
  struct al_monitor_stream *streams[2] = { &m->out, &m->err };
  int listener = c->seccomp_listener;
  if (listener >= 0 && notif_bufs (m, err) < 0)
    return -1;

  /* Signals: forwarded ones through a signalfd; SIGPIPE blocked so that a
     vanished reader of our stdout is an EPIPE, not our death; the job
     control stops blocked: a monitor stopped by ^Z or by reading or writing
     its terminal in the background would hold the deadline (a background
     read of the terminal is then EIO, a write goes through). */
  sigset_t mask, old, quiet;
  sigemptyset (&quiet);
  sigaddset (&quiet, SIGPIPE);
  sigaddset (&quiet, SIGTSTP);
  sigaddset (&quiet, SIGTTIN);
  sigaddset (&quiet, SIGTTOU);
  mask = quiet;
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
  int dests[2] = { m->out_to, m->err_to };
  for (int i = 0; i < 2; i++)
    if (streams[i]->rfd >= 0)
      {
        ep_add (ep, streams[i]->rfd, tags_of (m, streams[i]).src);
        streams[i]->ev_src = EPOLLIN;
        stream_open_sink (m, streams[i], dests[i], ep);
      }
  input_open (&m->in, ep);
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
      /* A first sample now: start returned once the program was exec'd, so
         even a program that ends within the first period is seen. */
      sample_pids (m, c, cg);
    }
  if (m->forward_signals)
    {
      sigset_t fwd;
      sigemptyset (&fwd);
      sigaddset (&fwd, SIGINT);
      sigaddset (&fwd, SIGTERM);
      sigaddset (&fwd, SIGHUP);
      sigaddset (&fwd, SIGQUIT);
      sfd = signalfd (-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
      if (sfd >= 0)
        ep_add (ep, sfd, EV_SIGNAL);
    }

  uint64_t drain_until = 0; /* ms; set once the init is reaped */
  int signals_seen = 0;
  for (;;)
    {
      bool streams_open = stream_busy (&m->out) || stream_busy (&m->err);
      uint64_t now = elapsed_ms (m);
      if (m->reaped && streams_open && now >= drain_until)
        {
          stream_abandon (m, &m->out, ep);
          stream_abandon (m, &m->err, ep);
          break;
        }
      if (m->reaped && !streams_open)
        break;
      /* Wake up for the drain's end and for a reader that may have stalled. */
      uint64_t wake = m->reaped ? drain_until : UINT64_MAX;
      for (int i = 0; i < 2; i++)
        {
          struct al_monitor_stream *s = streams[i];
          if (s->stall_at && !s->dropping && pending (s) > 0)
            {
              if (s->stall_at <= now + 1)
                stream_step (m, s, ep);
              else if (s->stall_at - 1 < wake)
                wake = s->stall_at - 1;
            }
        }
      int wait_ms = wake == UINT64_MAX ? -1 : wake > now ? (int) (wake - now) : 0;
      struct epoll_event evs[16];
      int n = epoll_wait (ep, evs, 16, wait_ms);
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
              stream_step (m, &m->out, ep);
              break;
            case EV_ERR:
              stream_step (m, &m->err, ep);
              break;
            case EV_OUT_SINK:
              sink_ready (m, &m->out, ep, evs[i].events);
              break;
            case EV_ERR_SINK:
              sink_ready (m, &m->err, ep, evs[i].events);
              break;
            case EV_IN:
              input_step (&m->in, ep);
              break;
            case EV_IN_SINK:
              if (evs[i].events & (EPOLLERR | EPOLLHUP))
                input_close (&m->in, ep); /* the program closed its stdin */
              else
                input_step (&m->in, ep);
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
                  sample_pids (m, c, cg);
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
                if (m->leave_zombie)
                  w = wait_nowait (c, &st, &m->rusage);
                else
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
                    sample_pids (m, c, cg);
                    al_cgroup_kill (cg, NULL);
                  }
                drain_until = m->wall_ms + AL_MONITOR_DRAIN_MS;
                input_close (&m->in, ep);
                break;
              }
            }
        }
    }

out:
  for (int i = 0; i < 2; i++)
    {
      al_closep (&streams[i]->to);
      free (streams[i]->buf);
      streams[i]->buf = NULL;
    }
  input_close (&m->in, ep);
  /* Consume the signals we kept pending, then restore the mask. */
  {
    struct timespec zero = { 0, 0 };
    while (sigtimedwait (&quiet, NULL, &zero) > 0)
      ;
    if (m->forward_signals)
      {
        /* Signals that arrived after the signalfd was closed stay pending:
           drop them rather than die of them now. */
        sigset_t fwd = mask;
        for (int s = SIGHUP; s < NSIG; s++)
          if (sigismember (&quiet, s) == 1)
            sigdelset (&fwd, s);
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
