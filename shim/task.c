/* task.c: see task.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "container_ops.h"
#include "exec.h"
#include "idmap_overlay.h"
#include "memsample.h"
#include "options.h"
#include "podns.h"
#include "shimlog.h"
#include "spec.h"
#include "state.h"
#include "stats.h"
#include "stdio.h"
#include "task.h"
#include "util.h"
#include "watch.h"
#include "worker.h"

#include "containerd/cgroups/v2/metrics.pb-c.h"
#include "containerd/events/task.pb-c.h"
#include "containerd/task/v2/shim.pb-c.h"
#include "google/protobuf/empty.pb-c.h"

#define SHIM_VERSION "airlock-shim 1"

struct proc
{
  struct proc *next; /* execs of a container */
  struct ctr *ctr;
  char *exec_id; /* NULL: the init */
  pid_t pid;
  struct sl_watch pid_w; /* pidfd */
  bool started, exited;
  bool draining; /* reaped; exited once the verdict is written (watch.h)
                    and containerd has read the output FIFOs */
  struct sl_watch fifo_w; /* timerfd while the output FIFOs drain, fd -1 */
  unsigned fifo_ticks;
  uint32_t exit_status;
  struct timespec exited_at;
  char *in, *out, *errp;
  bool terminal;
  struct sh_stdio io;
  struct oci_process *spec; /* exec: until started */
  struct tt_call **waiters;
  size_t n_waiters;
};

struct ctr
{
  struct ctr *next;
  struct sh_task *t;
  char *id;
  char *bundle;
  bool mounted;
  bool paused;
  struct proc init;
  struct proc *execs;
  struct sl_watch oom_w; /* memory.events, fd -1 when none */
  uint64_t oom_kills;
  struct sh_watch *watch; /* a sandbox profile's monitor, NULL when none */
  struct sh_podns podns;  /* the pod's user namespace (podns.h) */
};

struct sh_task
{
  struct sl_loop *loop;
  struct sh_events *ev;
  char *root;
  char *ns;
  struct ctr *ctrs;
  bool shutdown;
};

/* ------------------------------------------------------------ helpers -- */

static bool
empty (const char *s)
{
  return s == NULL || *s == 0;
}

static Google__Protobuf__Timestamp *
ts_set (Google__Protobuf__Timestamp *ts, const struct timespec *t)
{
  google__protobuf__timestamp__init (ts);
  ts->seconds = t->tv_sec;
  ts->nanos = (int32_t) t->tv_nsec;
  return ts;
}

static void
reply_empty (struct tt_call *call)
{
  tt_reply (call, NULL, 0);
}

/* Error status from a libairlock error: NotFound for missing things. */
static void
reply_al_error (struct tt_call *call, int r, al_error_t err, const char *what)
{
  int code = TT_UNKNOWN;
  if (r == -ENOENT || r == -ESRCH)
    code = TT_NOT_FOUND;
  else if (r == -EEXIST)
    code = TT_ALREADY_EXISTS;
  else if (r == -EBUSY)
    code = TT_FAILED_PRECONDITION;
  tt_reply_error (call, code, "%s: %s", what, err && err->msg ? err->msg : strerror (-r));
}

static struct ctr *
find_ctr (struct sh_task *t, const char *id)
{
  for (struct ctr *c = t->ctrs; c; c = c->next)
    if (strcmp (c->id, id) == 0)
      return c;
  return NULL;
}

static struct proc *
find_proc (struct sh_task *t, const char *id, const char *exec_id, struct tt_call *call)
{
  struct ctr *c = find_ctr (t, id ? id : "");
  if (c == NULL)
    {
      tt_reply_error (call, TT_NOT_FOUND, "container %s: not found", id ? id : "");
      return NULL;
    }
  if (empty (exec_id))
    return &c->init;
  for (struct proc *p = c->execs; p; p = p->next)
    if (strcmp (p->exec_id, exec_id) == 0)
      return p;
  tt_reply_error (call, TT_NOT_FOUND, "container %s: process %s: not found", id, exec_id);
  return NULL;
}

static const char *
proc_name (const struct proc *p)
{
  return p->exec_id ? p->exec_id : p->ctr->id;
}

/* ------------------------------------------------------------- events -- */

static void
publish_exit (struct proc *p)
{
  Containerd__Events__TaskExit e = CONTAINERD__EVENTS__TASK_EXIT__INIT;
  Google__Protobuf__Timestamp ts;
  e.container_id = p->ctr->id;
  e.id = (char *) proc_name (p);
  e.pid = (uint32_t) p->pid;
  e.exit_status = p->exit_status;
  e.exited_at = ts_set (&ts, &p->exited_at);
  sh_events_publish (p->ctr->t->ev, "/tasks/exit", &e.base);
}

static void
publish_id (struct sh_task *t, const char *topic, const ProtobufCMessageDescriptor *d, const char *id)
{
  /* TaskOOM, TaskPaused, TaskResumed: one field, container_id. */
  Containerd__Events__TaskOOM e = CONTAINERD__EVENTS__TASK_OOM__INIT;
  e.base.descriptor = d;
  e.container_id = (char *) id;
  sh_events_publish (t->ev, topic, &e.base);
}

/* -------------------------------------------------------------- exits -- */

static void
wait_reply (struct tt_call *call, struct proc *p)
{
  Containerd__Task__V2__WaitResponse r = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
  Google__Protobuf__Timestamp ts;
  r.exit_status = p->exit_status;
  r.exited_at = ts_set (&ts, &p->exited_at);
  tt_reply_msg (call, &r.base);
}

static void
proc_forget_pidfd (struct proc *p)
{
  if (p->pid_w.fd < 0)
    return;
  sl_watch_del (p->ctr->t->loop, &p->pid_w);
  close (p->pid_w.fd);
  p->pid_w.fd = -1;
}

/* Reaped (and the verdict written): tell containerd and the waiters. */
static void
proc_exited (void *data)
{
  struct proc *p = data;
  p->draining = false;
  p->exited = true;
  publish_exit (p);
  for (size_t i = 0; i < p->n_waiters; i++)
    wait_reply (p->waiters[i], p);
  free (p->waiters);
  p->waiters = NULL;
  p->n_waiters = 0;
}

/* Polling period and bound of the wait for containerd to read what an
 * exited process left in its output FIFOs. */
#define FIFO_DRAIN_TICK_MS 2
#define FIFO_DRAIN_MS 2000

static void
proc_fifos_done (struct proc *p)
{
  if (p->fifo_w.fd >= 0)
    {
      sl_watch_del (p->ctr->t->loop, &p->fifo_w);
      close (p->fifo_w.fd);
      p->fifo_w.fd = -1;
    }
  proc_exited (p);
}

static void
fifo_tick (struct sl_watch *w, uint32_t events)
{
  (void) events;
  struct proc *p = w->data;
  uint64_t n;
  if (read (w->fd, &n, sizeof n) == (ssize_t) sizeof n)
    p->fifo_ticks += (unsigned) n;
  if (sh_stdio_unread (&p->io) == 0 || p->fifo_ticks >= FIFO_DRAIN_MS / FIFO_DRAIN_TICK_MS)
    proc_fifos_done (p);
}

/* Reaped (and the verdict written): containerd hears of the exit once it
 * has read what the process left in the stdout/stderr FIFOs. containerd
 * 1.6 closes its FIFO readers first thing in a task's Delete, which CRI
 * sends as soon as it learns of the exit: output still in a FIFO then is
 * lost (the tail of the container log). Bounded, for a client that does
 * not read. */
static void
proc_drain_fifos (void *data)
{
  struct proc *p = data;
  if (sh_stdio_unread (&p->io) == 0)
    {
      proc_exited (p);
      return;
    }
  int fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  struct itimerspec its = { .it_interval = { 0, FIFO_DRAIN_TICK_MS * 1000000L },
                            .it_value = { 0, FIFO_DRAIN_TICK_MS * 1000000L } };
  if (fd < 0 || timerfd_settime (fd, 0, &its, NULL) < 0)
    {
      if (fd >= 0)
        close (fd);
      proc_exited (p);
      return;
    }
  p->draining = true;
  p->fifo_ticks = 0;
  p->fifo_w = (struct sl_watch){ .fd = fd, .cb = fifo_tick, .data = p };
  if (sl_watch_add (p->ctr->t->loop, &p->fifo_w, EPOLLIN) < 0)
    {
      close (fd);
      p->fifo_w.fd = -1;
      proc_exited (p);
    }
}

/* Collect the exit if there is one. */
static void
proc_check_exit (struct proc *p)
{
  if (p->exited || p->pid_w.fd < 0)
    return;
  siginfo_t si;
  struct rusage ru;
  memset (&si, 0, sizeof si);
  memset (&ru, 0, sizeof ru);
  /* The raw syscall: glibc's waitid has no rusage (the verdict's CPU time
     and peak RSS where the cgroup has none). */
  if (syscall (SYS_waitid, P_PIDFD, p->pid_w.fd, &si, WEXITED | WNOHANG, &ru) < 0 || si.si_pid == 0)
    return;
  proc_forget_pidfd (p);
  clock_gettime (CLOCK_REALTIME, &p->exited_at);
  int wstatus;
  if (si.si_code == CLD_EXITED)
    {
      p->exit_status = (uint32_t) si.si_status;
      wstatus = (si.si_status & 0xff) << 8;
    }
  else
    {
      p->exit_status = 128 + (uint32_t) si.si_status;
      wstatus = (si.si_status & 0x7f) | (si.si_code == CLD_DUMPED ? 0x80 : 0);
    }
  sh_stdio_release_child (&p->io);
  /* The verdict goes to the termination message file before containerd
     hears of the exit (kubelet reads the file when it sees the exit); it
     waits for the end of the counted output, bounded. */
  if (p->exec_id == NULL && p->ctr->watch)
    {
      p->draining = true;
      sh_watch_exited (p->ctr->watch, wstatus, &ru, &p->io, proc_drain_fifos, p);
      return;
    }
  /* A terminal's last output, before the client hears of the exit. */
  sh_stdio_flush (&p->io);
  proc_drain_fifos (p);
}

static void
pidfd_event (struct sl_watch *w, uint32_t events)
{
  (void) events;
  proc_check_exit (w->data);
}

static int
proc_watch (struct proc *p, int pidfd)
{
  p->pid_w = (struct sl_watch){ .fd = pidfd, .cb = pidfd_event, .data = p };
  return sl_watch_add (p->ctr->t->loop, &p->pid_w, EPOLLIN);
}

void
sh_task_reap (struct sh_task *t)
{
  for (struct ctr *c = t->ctrs; c; c = c->next)
    {
      proc_check_exit (&c->init);
      for (struct proc *p = c->execs; p; p = p->next)
        proc_check_exit (p);
    }
  /* Anything else (orphans of exec'd processes reparented to us). */
  for (;;)
    {
      siginfo_t si;
      memset (&si, 0, sizeof si);
      if (waitid (P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
        return;
      bool ours = false;
      for (struct ctr *c = t->ctrs; c && !ours; c = c->next)
        {
          ours = c->init.pid == si.si_pid && !c->init.exited;
          for (struct proc *p = c->execs; p && !ours; p = p->next)
            ours = p->pid == si.si_pid && !p->exited;
        }
      if (ours)
        return; /* its pidfd event comes */
      waitpid (si.si_pid, NULL, WNOHANG);
    }
}

static void
proc_free (struct proc *p, struct sl_loop *loop)
{
  if (!p->exited && p->pid > 0)
    {
      if (p->pid_w.fd >= 0)
        syscall (SYS_pidfd_send_signal, p->pid_w.fd, SIGKILL, NULL, 0);
      if (p->pid_w.fd >= 0)
        {
          siginfo_t si;
          waitid (P_PIDFD, (id_t) p->pid_w.fd, &si, WEXITED);
        }
    }
  proc_forget_pidfd (p);
  if (p->fifo_w.fd >= 0)
    {
      sl_watch_del (loop, &p->fifo_w);
      close (p->fifo_w.fd);
      p->fifo_w.fd = -1;
    }
  sh_stdio_close (&p->io, loop);
  for (size_t i = 0; i < p->n_waiters; i++)
    tt_reply_error (p->waiters[i], TT_NOT_FOUND, "process %s: deleted", p->exec_id ? p->exec_id : "init");
  free (p->waiters);
  free (p->exec_id);
  free (p->in);
  free (p->out);
  free (p->errp);
  if (p->spec)
    oci_process_free (p->spec);
}

static void
proc_init (struct proc *p, struct ctr *c, const char *exec_id, const char *in, const char *out, const char *errp,
           bool terminal)
{
  memset (p, 0, sizeof *p);
  p->ctr = c;
  p->exec_id = exec_id ? al_xstrdup (exec_id) : NULL;
  p->pid_w.fd = -1;
  p->fifo_w.fd = -1;
  p->in = al_xstrdup (in ? in : "");
  p->out = al_xstrdup (out ? out : "");
  p->errp = al_xstrdup (errp ? errp : "");
  p->terminal = terminal;
  p->io.child[0] = p->io.child[1] = p->io.child[2] = -1;
  p->io.stdin_keep = p->io.out_keep[0] = p->io.out_keep[1] = p->io.tty_in = p->io.tty_out = -1;
}

/* ---------------------------------------------------------------- oom -- */

static void
oom_event (struct sl_watch *w, uint32_t events)
{
  (void) events;
  struct ctr *c = w->data;
  uint64_t oom = 0, kills = 0;
  if (al_stats_read_oom (w->fd, &oom, &kills) < 0)
    {
      sl_watch_del (c->t->loop, w);
      al_closep (&w->fd);
      return;
    }
  if (kills > c->oom_kills)
    {
      c->oom_kills = kills;
      publish_id (c->t, "/tasks/oom", &containerd__events__task_oom__descriptor, c->id);
    }
}

static void
oom_watch (struct ctr *c)
{
  c->oom_w = (struct sl_watch){ .fd = -1, .cb = oom_event, .data = c };
  struct al_opened o;
  if (al_container_open (c->t->root, c->id, false, &o, NULL) < 0)
    return;
  if (o.st->cgroup_mount && o.st->cgroup_path)
    {
      _cleanup_free_ char *path = al_xasprintf ("%s/%s/memory.events", o.st->cgroup_mount, o.st->cgroup_path);
      c->oom_w.fd = open (path, O_RDONLY | O_CLOEXEC);
    }
  al_container_close (&o);
  if (c->oom_w.fd < 0)
    return;
  uint64_t oom = 0;
  al_stats_read_oom (c->oom_w.fd, &oom, &c->oom_kills);
  if (sl_watch_add (c->t->loop, &c->oom_w, EPOLLPRI) < 0)
    al_closep (&c->oom_w.fd);
}

/* ------------------------------------------------------------- mounts -- */

struct mflag
{
  const char *name;
  bool clear;
  unsigned long flag;
};

static const struct mflag mflags[] = {
  { "ro", false, MS_RDONLY },        { "rw", true, MS_RDONLY },       { "bind", false, MS_BIND },
  { "rbind", false, MS_BIND | MS_REC }, { "nosuid", false, MS_NOSUID }, { "suid", true, MS_NOSUID },
  { "nodev", false, MS_NODEV },      { "dev", true, MS_NODEV },       { "noexec", false, MS_NOEXEC },
  { "exec", true, MS_NOEXEC },       { "sync", false, MS_SYNCHRONOUS }, { "noatime", false, MS_NOATIME },
  { "relatime", false, MS_RELATIME }, { "nodiratime", false, MS_NODIRATIME }, { "remount", false, MS_REMOUNT },
};

/* pod->userns_fd: the pod's user namespace, whose mapping an overlay's
   layers get (podns.h), or -1; containerd 2 asks for one with uidmap=/gidmap=. */
static int
mount_one (const Containerd__Types__Mount *m, const char *rootfs, const struct sh_podns *pod, al_error_t *err)
{
  unsigned long flags = 0;
  size_t cap = 1;
  for (size_t i = 0; i < m->n_options; i++)
    cap += strlen (m->options[i]) + 1;
  _cleanup_free_ char *data = al_xmalloc0 (cap);
  for (size_t i = 0; i < m->n_options; i++)
    {
      const struct mflag *f = NULL;
      for (size_t k = 0; k < sizeof mflags / sizeof *mflags; k++)
        if (strcmp (m->options[i], mflags[k].name) == 0)
          f = &mflags[k];
      if (f)
        {
          if (f->clear)
            flags &= ~f->flag;
          else
            flags |= f->flag;
          continue;
        }
      if (*data)
        strcat (data, ",");
      strcat (data, m->options[i]);
    }
  _cleanup_free_ char *target = empty (m->target) ? al_xstrdup (rootfs) : al_xasprintf ("%s/%s", rootfs, m->target);
  const char *type = empty (m->type) ? NULL : m->type;
  if (type && strcmp (type, "bind") == 0)
    {
      type = NULL;
      flags |= MS_BIND;
    }
  if (type && strcmp (type, "overlay") == 0)
    {
      _cleanup_close_ int asked = -1;
      uid_t uid;
      gid_t gid;
      int r = sh_podns_mount_idmap (data, &asked, &uid, &gid, err);
      if (r < 0)
        return r;
      if (asked >= 0)
        return al_idmap_overlay_mount (data, flags, target, asked, uid, gid, err);
      if (pod->userns_fd >= 0)
        return al_idmap_overlay_mount (data, flags, target, pod->userns_fd, pod->root_uid, pod->root_gid, err);
    }
  else
    for (size_t i = 0; i < m->n_options; i++)
      if (al_has_prefix (m->options[i], "uidmap=") || al_has_prefix (m->options[i], "gidmap="))
        return al_err (err, EOPNOTSUPP, "mount %s `%s`: option %s: idmapped rootfs mounts are overlays only",
                       m->type ? m->type : "", m->source ? m->source : "", m->options[i]);
  /* A bind mount ignores MS_RDONLY: it is remounted read-only after. */
  unsigned long first = (flags & MS_BIND) ? flags & ~(unsigned long) MS_RDONLY : flags;
  if (mount (m->source, target, type, first, *data ? data : NULL) < 0)
    return al_err (err, errno, "mount %s `%s` on `%s`", m->type, m->source, target);
  if ((flags & MS_BIND) && (flags & MS_RDONLY)
      && mount (NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0)
    return al_err (err, errno, "remount `%s` read-only", target);
  return 0;
}

/* ------------------------------------------------------------- create -- */

static void
ctr_free (struct ctr *c)
{
  struct sl_loop *loop = c->t->loop;
  while (c->execs)
    {
      struct proc *p = c->execs;
      c->execs = p->next;
      proc_free (p, loop);
      free (p);
    }
  proc_free (&c->init, loop);
  sh_watch_free (c->watch);
  al_closep (&c->podns.userns_fd);
  if (c->oom_w.fd >= 0)
    {
      sl_watch_del (loop, &c->oom_w);
      close (c->oom_w.fd);
    }
  if (c->mounted)
    {
      _cleanup_free_ char *rootfs = al_xasprintf ("%s/rootfs", c->bundle);
      if (umount2 (rootfs, MNT_DETACH) < 0)
        sh_log ("umount %s: %m", rootfs);
    }
  if (c->podns.slot_taken)
    sh_podns_release (c->bundle, c->id); /* after its processes: the runtime's delete */
  free (c->id);
  free (c->bundle);
  free (c);
}

static void
ctr_unlink (struct sh_task *t, struct ctr *c)
{
  for (struct ctr **pp = &t->ctrs; *pp; pp = &(*pp)->next)
    if (*pp == c)
      {
        *pp = c->next;
        return;
      }
}

/* The init pid of the sandbox container `id` this shim serves, 0: none. */
static pid_t
sandbox_pid (void *ctx, const char *id)
{
  struct sh_task *t = ctx;
  struct ctr *c = find_ctr (t, id);
  return c && c->init.pid > 0 ? c->init.pid : 0;
}

static void
do_create (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__CreateTaskRequest *req
      = containerd__task__v2__create_task_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "Create: malformed request");
      return;
    }
  _cleanup_error_ al_error_t err = NULL;
  _cleanup_free_ char *rootfs = al_xasprintf ("%s/rootfs", req->bundle);
  _cleanup_free_ char *config_path = NULL; /* before any goto */
  int r;
  if (find_ctr (t, req->id))
    {
      tt_reply_error (call, TT_ALREADY_EXISTS, "container %s: already exists", req->id);
      goto out;
    }
  if (!empty (req->checkpoint))
    {
      tt_reply_error (call, TT_UNIMPLEMENTED, "container %s: restore from a checkpoint is not supported", req->id);
      goto out;
    }
  struct ctr *c = calloc (1, sizeof *c);
  if (c == NULL)
    abort ();
  c->t = t;
  c->id = al_xstrdup (req->id);
  c->bundle = al_xstrdup (req->bundle);
  c->oom_w.fd = -1;
  c->podns.userns_fd = -1;
  proc_init (&c->init, c, NULL, req->stdin, req->stdout, req->stderr, req->terminal);

  /* The runtime options (the handler's `options`, e.g. a shim config
     selecting a profile for the whole runtime class). */
  struct sh_options opts = { 0 };
  if (req->options)
    {
      r = sh_options_parse (req->options->type_url, req->options->value.data, req->options->value.len, &opts,
                            &err);
      if (r == 0)
        r = sh_options_rewrite_config (&opts, req->bundle, &config_path, &err);
      if (r < 0)
        {
          sh_options_clear (&opts);
          al_err_prefix (&err, "container %s", req->id);
          sh_log ("create: %s", err->msg);
          tt_reply_error (call, TT_INVALID_ARGUMENT, "create: %s", err->msg);
          ctr_free (c);
          goto out;
        }
    }
  /* A pod of a pooled profile: its user namespace, before the rootfs. */
  r = sh_podns_prepare (req->bundle, req->id, &config_path, sandbox_pid, t, &c->podns, &err);
  if (r < 0)
    goto fail;
  if (config_path == NULL)
    config_path = al_xasprintf ("%s/config.json", req->bundle);
  for (size_t i = 0; i < req->n_rootfs; i++)
    {
      r = mount_one (req->rootfs[i], rootfs, &c->podns, &err);
      if (r < 0)
        goto fail;
      c->mounted = true;
    }

  struct al_create_opts o;
  al_create_opts_init (&o);
  o.root = t->root;
  o.id = req->id;
  o.bundle = req->bundle;
  o.config_path = config_path;
  o.foreground = true;
  o.no_pivot = opts.no_pivot;
  o.no_new_keyring = opts.no_new_keyring;
  o.systemd_cgroup = opts.systemd_cgroup;
  sh_options_clear (&opts);
  r = sh_watch_new (config_path, req->id, &o, &c->watch, &err);
  if (r < 0)
    goto fail;
  /* A watched container's output is counted for its verdict. */
  r = sh_stdio_open (&c->init.io, req->stdin, req->stdout, req->stderr, req->terminal, c->watch ? t->loop : NULL,
                     &err);
  if (r < 0)
    goto fail;
  for (int i = 0; i < 3; i++)
    o.stdio[i] = c->init.io.child[i];
  struct sh_spawned sp;
  r = sh_worker_create (&o, &sp, &err);
  if (r < 0)
    goto fail;
  c->init.pid = sp.pid;
  sh_stdio_release_child (&c->init.io);
  proc_watch (&c->init, sp.pidfd);
  if (c->watch)
    sh_watch_created (c->watch, t->loop, t->root, sp.seccomp_listener);
  else
    al_closep (&sp.seccomp_listener);
  if (sp.pty_master >= 0)
    sh_stdio_attach_pty (&c->init.io, t->loop, sp.pty_master, NULL);
  oom_watch (c);
  c->next = t->ctrs;
  t->ctrs = c;

  Containerd__Task__V2__CreateTaskResponse resp = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
  resp.pid = (uint32_t) sp.pid;
  tt_reply_msg (call, &resp.base);

  Containerd__Events__TaskCreate ev = CONTAINERD__EVENTS__TASK_CREATE__INIT;
  Containerd__Events__TaskIO io = CONTAINERD__EVENTS__TASK_IO__INIT;
  io.stdin = req->stdin;
  io.stdout = req->stdout;
  io.stderr = req->stderr;
  io.terminal = req->terminal;
  ev.container_id = req->id;
  ev.bundle = req->bundle;
  ev.n_rootfs = req->n_rootfs;
  ev.rootfs = req->rootfs;
  ev.io = &io;
  ev.pid = (uint32_t) sp.pid;
  sh_events_publish (t->ev, "/tasks/create", &ev.base);
  goto out;

fail:
  if (config_path)
    sh_watch_explain (config_path, &err);
  if (err)
    sh_log ("create %s: %s", req->id, err->msg);
  reply_al_error (call, r, err, "create");
  ctr_free (c);
out:
  containerd__task__v2__create_task_request__free_unpacked (req, NULL);
}

/* -------------------------------------------------------------- start -- */

static void
exec_start (struct sh_task *t, struct proc *p, struct tt_call *call)
{
  _cleanup_error_ al_error_t err = NULL;
  int r = sh_stdio_open (&p->io, p->in, p->out, p->errp, p->terminal, NULL, &err);
  if (r < 0)
    {
      reply_al_error (call, r, err, "exec");
      return;
    }
  struct al_exec_opts o;
  memset (&o, 0, sizeof o);
  o.root = t->root;
  o.id = p->ctr->id;
  o.process = p->spec;
  for (int i = 0; i < 3; i++)
    o.stdio[i] = p->io.terminal ? -1 : p->io.child[i];
  if (p->io.terminal)
    {
      /* -1 means "ours": give the process /dev/null before its pty takes over */
      for (int i = 0; i < 3; i++)
        o.stdio[i] = -1;
    }
  struct sh_spawned sp;
  r = sh_worker_exec (&o, &sp, &err);
  sh_stdio_release_child (&p->io);
  if (r < 0)
    {
      sh_stdio_close (&p->io, t->loop);
      reply_al_error (call, r, err, "exec");
      return;
    }
  p->pid = sp.pid;
  p->started = true;
  sh_stdio_started (&p->io);
  proc_watch (p, sp.pidfd);
  if (sp.pty_master >= 0)
    sh_stdio_attach_pty (&p->io, t->loop, sp.pty_master, NULL);
  Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
  resp.pid = (uint32_t) sp.pid;
  tt_reply_msg (call, &resp.base);
  Containerd__Events__TaskExecStarted ev = CONTAINERD__EVENTS__TASK_EXEC_STARTED__INIT;
  ev.container_id = p->ctr->id;
  ev.exec_id = p->exec_id;
  ev.pid = (uint32_t) sp.pid;
  sh_events_publish (t->ev, "/tasks/exec-started", &ev.base);
}

static void
do_start (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__StartRequest *req
      = containerd__task__v2__start_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "Start: malformed request");
      return;
    }
  _cleanup_error_ al_error_t err = NULL;
  struct proc *p = find_proc (t, req->id, req->exec_id, call);
  if (p == NULL)
    goto out;
  if (p->started || p->exited)
    {
      tt_reply_error (call, TT_FAILED_PRECONDITION, "process %s: already started", proc_name (p));
      goto out;
    }
  if (p->exec_id)
    {
      exec_start (t, p, call);
      goto out;
    }
  int r = p->ctr->watch ? sh_watch_container_start (p->ctr->watch, t->root, req->id, &err)
                        : al_container_start (t->root, req->id, NULL, &err);
  if (r < 0)
    {
      reply_al_error (call, r, err, "start");
      goto out;
    }
  p->started = true;
  if (p->ctr->watch)
    sh_watch_started (p->ctr->watch);
  sh_stdio_started (&p->io);
  Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
  resp.pid = (uint32_t) p->pid;
  tt_reply_msg (call, &resp.base);
  Containerd__Events__TaskStart ev = CONTAINERD__EVENTS__TASK_START__INIT;
  ev.container_id = req->id;
  ev.pid = (uint32_t) p->pid;
  sh_events_publish (t->ev, "/tasks/start", &ev.base);
out:
  containerd__task__v2__start_request__free_unpacked (req, NULL);
}

/* -------------------------------------------------------------- state -- */

static void
do_state (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__StateRequest *req
      = containerd__task__v2__state_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "State: malformed request");
      return;
    }
  struct proc *p = find_proc (t, req->id, req->exec_id, call);
  if (p)
    {
      proc_check_exit (p);
      Containerd__Task__V2__StateResponse r = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
      Google__Protobuf__Timestamp ts;
      r.id = (char *) proc_name (p);
      r.exec_id = p->exec_id;
      r.bundle = p->ctr->bundle;
      r.pid = (uint32_t) (p->pid > 0 ? p->pid : 0);
      if (p->exited)
        r.status = CONTAINERD__V1__TYPES__STATUS__STOPPED;
      else if (!p->started)
        r.status = CONTAINERD__V1__TYPES__STATUS__CREATED;
      else if (p->ctr->paused)
        r.status = CONTAINERD__V1__TYPES__STATUS__PAUSED;
      else
        r.status = CONTAINERD__V1__TYPES__STATUS__RUNNING;
      r.stdin = p->in;
      r.stdout = p->out;
      r.stderr = p->errp;
      r.terminal = p->terminal;
      r.exit_status = p->exit_status;
      if (p->exited)
        r.exited_at = ts_set (&ts, &p->exited_at);
      tt_reply_msg (call, &r.base);
    }
  containerd__task__v2__state_request__free_unpacked (req, NULL);
}

/* --------------------------------------------------------------- wait -- */

static void
do_wait (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__WaitRequest *req
      = containerd__task__v2__wait_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "Wait: malformed request");
      return;
    }
  struct proc *p = find_proc (t, req->id, req->exec_id, call);
  if (p)
    {
      proc_check_exit (p);
      if (p->exited)
        wait_reply (call, p);
      else
        {
          struct tt_call **w = realloc (p->waiters, (p->n_waiters + 1) * sizeof *w);
          if (w == NULL)
            abort ();
          p->waiters = w;
          p->waiters[p->n_waiters++] = call;
        }
    }
  containerd__task__v2__wait_request__free_unpacked (req, NULL);
}

/* --------------------------------------------------------------- kill -- */

static void
do_kill (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__KillRequest *req
      = containerd__task__v2__kill_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "Kill: malformed request");
      return;
    }
  struct proc *p = find_proc (t, req->id, req->exec_id, call);
  if (p == NULL)
    goto out;
  int sig = (int) req->signal;
  if (p->exec_id == NULL && req->all)
    {
      _cleanup_error_ al_error_t err = NULL;
      int r = al_container_kill (t->root, req->id, sig, true, &err);
      if (r < 0)
        reply_al_error (call, r, err, "kill");
      else
        reply_empty (call);
      goto out;
    }
  proc_check_exit (p);
  if (p->exited || p->draining)
    {
      tt_reply_error (call, TT_NOT_FOUND, "process %s: process already finished", proc_name (p));
      goto out;
    }
  if (p->pid_w.fd < 0)
    {
      /* Never started (an exec whose Start failed): a precondition, not
         "not found". containerd's WithProcessKill (the CRI's ExecSync
         cleanup) waits for an exit after a NotFound, which a process that
         never ran never sends; after FailedPrecondition it deletes it. */
      tt_reply_error (call, TT_FAILED_PRECONDITION, "process %s: not created", proc_name (p));
      goto out;
    }
  if (syscall (SYS_pidfd_send_signal, p->pid_w.fd, sig, NULL, 0) < 0)
    {
      if (errno == ESRCH)
        tt_reply_error (call, TT_NOT_FOUND, "process %s: process already finished", proc_name (p));
      else
        tt_reply_error (call, TT_UNKNOWN, "kill %s: %s", proc_name (p), strerror (errno));
      goto out;
    }
  reply_empty (call);
out:
  containerd__task__v2__kill_request__free_unpacked (req, NULL);
}

/* ------------------------------------------------------------- delete -- */

static void
delete_reply (struct tt_call *call, struct proc *p)
{
  Containerd__Task__V2__DeleteResponse r = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
  Google__Protobuf__Timestamp ts;
  r.pid = (uint32_t) (p->pid > 0 ? p->pid : 0);
  r.exit_status = p->exit_status;
  r.exited_at = ts_set (&ts, &p->exited_at);
  tt_reply_msg (call, &r.base);
}

static void
do_delete (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__DeleteRequest *req
      = containerd__task__v2__delete_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "Delete: malformed request");
      return;
    }
  _cleanup_error_ al_error_t err = NULL;
  struct proc *p = find_proc (t, req->id, req->exec_id, call);
  if (p == NULL)
    goto out;
  struct ctr *c = p->ctr;
  proc_check_exit (p);
  if (p->draining)
    sh_watch_finish_now (c->watch); /* the verdict before the state goes */
  if (p->fifo_w.fd >= 0)
    proc_fifos_done (p); /* deleted anyway: no more waiting for the reader */
  if (p->started && !p->exited)
    {
      tt_reply_error (call, TT_FAILED_PRECONDITION, "process %s: still running: cannot delete", proc_name (p));
      goto out;
    }
  if (p->exec_id)
    {
      delete_reply (call, p);
      for (struct proc **pp = &c->execs; *pp; pp = &(*pp)->next)
        if (*pp == p)
          {
            *pp = p->next;
            break;
          }
      proc_free (p, t->loop);
      free (p);
      goto out;
    }
  if (!p->exited && p->pid_w.fd >= 0)
    {
      /* Created, never started: kill the waiting init. */
      syscall (SYS_pidfd_send_signal, p->pid_w.fd, SIGKILL, NULL, 0);
      siginfo_t si;
      memset (&si, 0, sizeof si);
      waitid (P_PIDFD, (id_t) p->pid_w.fd, &si, WEXITED);
      proc_forget_pidfd (p);
      p->exited = true;
      p->exit_status = 128 + SIGKILL;
      clock_gettime (CLOCK_REALTIME, &p->exited_at);
      for (size_t i = 0; i < p->n_waiters; i++)
        wait_reply (p->waiters[i], p);
      p->n_waiters = 0;
    }
  if (al_container_delete (t->root, c->id, true, NULL, &err) < 0)
    sh_log ("delete %s: %s", c->id, err->msg);
  delete_reply (call, p);
  Containerd__Events__TaskDelete ev = CONTAINERD__EVENTS__TASK_DELETE__INIT;
  Google__Protobuf__Timestamp ts;
  ev.container_id = c->id;
  ev.pid = (uint32_t) (p->pid > 0 ? p->pid : 0);
  ev.exit_status = p->exit_status;
  ev.exited_at = ts_set (&ts, &p->exited_at);
  sh_events_publish (t->ev, "/tasks/delete", &ev.base);
  ctr_unlink (t, c);
  ctr_free (c);
out:
  containerd__task__v2__delete_request__free_unpacked (req, NULL);
}

/* --------------------------------------------------------------- exec -- */

static void
do_exec (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__ExecProcessRequest *req
      = containerd__task__v2__exec_process_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "Exec: malformed request");
      return;
    }
  _cleanup_error_ al_error_t err = NULL;
  struct ctr *c = find_ctr (t, req->id);
  if (c == NULL)
    {
      tt_reply_error (call, TT_NOT_FOUND, "container %s: not found", req->id);
      goto out;
    }
  if (empty (req->exec_id))
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "exec: an exec id is required");
      goto out;
    }
  for (struct proc *q = c->execs; q; q = q->next)
    if (strcmp (q->exec_id, req->exec_id) == 0)
      {
        tt_reply_error (call, TT_ALREADY_EXISTS, "exec %s: already exists", req->exec_id);
        goto out;
      }
  if (c->init.exited || c->init.draining)
    {
      tt_reply_error (call, TT_FAILED_PRECONDITION, "container %s: not running", req->id);
      goto out;
    }
  if (req->spec == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "exec %s: no process spec", req->exec_id);
      goto out;
    }
  struct oci_process *spec = NULL;
  int r = oci_process_parse ("exec spec", (const char *) req->spec->value.data, req->spec->value.len, &spec, &err);
  if (r < 0)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "exec %s: %s", req->exec_id, err->msg);
      goto out;
    }
  struct proc *p = calloc (1, sizeof *p);
  if (p == NULL)
    abort ();
  proc_init (p, c, req->exec_id, req->stdin, req->stdout, req->stderr, req->terminal);
  spec->terminal = req->terminal;
  p->spec = spec;
  p->next = c->execs;
  c->execs = p;
  reply_empty (call);
  Containerd__Events__TaskExecAdded ev = CONTAINERD__EVENTS__TASK_EXEC_ADDED__INIT;
  ev.container_id = req->id;
  ev.exec_id = req->exec_id;
  sh_events_publish (t->ev, "/tasks/exec-added", &ev.base);
out:
  containerd__task__v2__exec_process_request__free_unpacked (req, NULL);
}

/* ------------------------------------------------- resize, close io -- */

static void
do_resize (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__ResizePtyRequest *req
      = containerd__task__v2__resize_pty_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "ResizePty: malformed request");
      return;
    }
  struct proc *p = find_proc (t, req->id, req->exec_id, call);
  if (p)
    {
      int m = sh_stdio_pty (&p->io);
      struct winsize ws = { .ws_row = (unsigned short) req->height, .ws_col = (unsigned short) req->width };
      if (m < 0)
        tt_reply_error (call, TT_FAILED_PRECONDITION, "process %s: no terminal", proc_name (p));
      else if (ioctl (m, TIOCSWINSZ, &ws) < 0)
        tt_reply_error (call, TT_UNKNOWN, "process %s: TIOCSWINSZ: %s", proc_name (p), strerror (errno));
      else
        reply_empty (call);
    }
  containerd__task__v2__resize_pty_request__free_unpacked (req, NULL);
}

static void
do_close_io (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__CloseIORequest *req
      = containerd__task__v2__close_iorequest__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "CloseIO: malformed request");
      return;
    }
  struct proc *p = find_proc (t, req->id, req->exec_id, call);
  if (p)
    {
      if (req->stdin)
        sh_stdio_close_stdin (&p->io, t->loop);
      reply_empty (call);
    }
  containerd__task__v2__close_iorequest__free_unpacked (req, NULL);
}

/* ------------------------------------------ pids, pause, update, stats -- */

static void
do_pids (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__PidsRequest *req
      = containerd__task__v2__pids_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "Pids: malformed request");
      return;
    }
  _cleanup_error_ al_error_t err = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  if (find_ctr (t, req->id) == NULL)
    tt_reply_error (call, TT_NOT_FOUND, "container %s: not found", req->id);
  else
    {
      int r = al_container_pids (t->root, req->id, &pids, &n, &err);
      if (r < 0)
        reply_al_error (call, r, err, "pids");
      else
        {
          Containerd__V1__Types__ProcessInfo *infos = al_xmalloc0 ((n + 1) * sizeof *infos);
          Containerd__V1__Types__ProcessInfo **ptrs = al_xmalloc0 ((n + 1) * sizeof *ptrs);
          for (size_t i = 0; i < n; i++)
            {
              containerd__v1__types__process_info__init (&infos[i]);
              infos[i].pid = (uint32_t) pids[i];
              ptrs[i] = &infos[i];
            }
          Containerd__Task__V2__PidsResponse resp = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
          resp.n_processes = n;
          resp.processes = ptrs;
          tt_reply_msg (call, &resp.base);
          free (infos);
          free (ptrs);
        }
    }
  free (pids);
  containerd__task__v2__pids_request__free_unpacked (req, NULL);
}

static void
do_pause_resume (struct sh_task *t, struct tt_call *call, bool pause)
{
  /* PauseRequest and ResumeRequest are both {string id = 1}. */
  Containerd__Task__V2__PauseRequest *req
      = containerd__task__v2__pause_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "Pause/Resume: malformed request");
      return;
    }
  struct ctr *c = find_ctr (t, req->id);
  if (c == NULL)
    tt_reply_error (call, TT_NOT_FOUND, "container %s: not found", req->id);
  else
    {
      _cleanup_error_ al_error_t err = NULL;
      int r = pause ? al_container_pause (t->root, req->id, &err) : al_container_resume (t->root, req->id, &err);
      if (r < 0)
        reply_al_error (call, r, err, pause ? "pause" : "resume");
      else
        {
          c->paused = pause;
          reply_empty (call);
          if (pause)
            publish_id (t, "/tasks/paused", &containerd__events__task_paused__descriptor, c->id);
          else
            publish_id (t, "/tasks/resumed", &containerd__events__task_resumed__descriptor, c->id);
        }
    }
  containerd__task__v2__pause_request__free_unpacked (req, NULL);
}

static void
do_update (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__UpdateTaskRequest *req
      = containerd__task__v2__update_task_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "Update: malformed request");
      return;
    }
  _cleanup_error_ al_error_t err = NULL;
  if (find_ctr (t, req->id) == NULL)
    tt_reply_error (call, TT_NOT_FOUND, "container %s: not found", req->id);
  else if (req->resources == NULL)
    reply_empty (call);
  else
    {
      struct oci_resources *res = NULL;
      int r = oci_resources_parse ("resources", (const char *) req->resources->value.data,
                                   req->resources->value.len, &res, &err);
      if (r < 0)
        tt_reply_error (call, TT_INVALID_ARGUMENT, "update %s: %s", req->id, err->msg);
      else
        {
          r = al_container_update (t->root, req->id, res, &err);
          if (r < 0)
            reply_al_error (call, r, err, "update");
          else
            reply_empty (call);
          oci_resources_free (res);
        }
    }
  containerd__task__v2__update_task_request__free_unpacked (req, NULL);
}

static uint64_t
kv (const struct al_stats *s, const char *key)
{
  for (size_t i = 0; i < s->memory.n_stat; i++)
    if (strcmp (s->memory.stat[i].key, key) == 0)
      return s->memory.stat[i].value;
  return 0;
}

static void
do_stats (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__StatsRequest *req
      = containerd__task__v2__stats_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "Stats: malformed request");
      return;
    }
  _cleanup_error_ al_error_t err = NULL;
  struct al_stats s;
  memset (&s, 0, sizeof s);
  if (find_ctr (t, req->id) == NULL)
    {
      tt_reply_error (call, TT_NOT_FOUND, "container %s: not found", req->id);
      goto out;
    }
  int r = al_container_stats (t->root, req->id, &s, &err);
  if (r < 0)
    {
      reply_al_error (call, r, err, "stats");
      goto out;
    }
  Io__Containerd__Cgroups__V2__Metrics m = IO__CONTAINERD__CGROUPS__V2__METRICS__INIT;
  Io__Containerd__Cgroups__V2__PidsStat pids = IO__CONTAINERD__CGROUPS__V2__PIDS_STAT__INIT;
  Io__Containerd__Cgroups__V2__CPUStat cpu = IO__CONTAINERD__CGROUPS__V2__CPUSTAT__INIT;
  Io__Containerd__Cgroups__V2__MemoryStat mem = IO__CONTAINERD__CGROUPS__V2__MEMORY_STAT__INIT;
  Io__Containerd__Cgroups__V2__MemoryEvents mev = IO__CONTAINERD__CGROUPS__V2__MEMORY_EVENTS__INIT;
  Io__Containerd__Cgroups__V2__IOStat io = IO__CONTAINERD__CGROUPS__V2__IOSTAT__INIT;
  if (s.has_pids)
    {
      pids.current = s.pids.current;
      pids.limit = s.pids.limit == AL_STATS_UNLIMITED ? 0 : s.pids.limit;
      m.pids = &pids;
    }
  if (s.has_cpu)
    {
      cpu.usage_usec = s.cpu.total_ns / 1000;
      cpu.user_usec = s.cpu.user_ns / 1000;
      cpu.system_usec = s.cpu.kernel_ns / 1000;
      cpu.nr_periods = s.cpu.periods;
      cpu.nr_throttled = s.cpu.throttled_periods;
      cpu.throttled_usec = s.cpu.throttled_ns / 1000;
      m.cpu = &cpu;
    }
  if (s.has_memory)
    {
      static const char *const keys[] = {
        "anon", "file", "kernel_stack", "slab", "sock", "shmem", "file_mapped", "file_dirty", "file_writeback",
        "anon_thp", "inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable",
        "slab_reclaimable", "slab_unreclaimable", "pgfault", "pgmajfault", "workingset_refault",
        "workingset_activate", "workingset_nodereclaim", "pgrefill", "pgscan", "pgsteal", "pgactivate",
        "pgdeactivate", "pglazyfree", "pglazyfreed", "thp_fault_alloc", "thp_collapse_alloc",
      };
      uint64_t *fields[] = {
        &mem.anon, &mem.file, &mem.kernel_stack, &mem.slab, &mem.sock, &mem.shmem, &mem.file_mapped,
        &mem.file_dirty, &mem.file_writeback, &mem.anon_thp, &mem.inactive_anon, &mem.active_anon,
        &mem.inactive_file, &mem.active_file, &mem.unevictable, &mem.slab_reclaimable, &mem.slab_unreclaimable,
        &mem.pgfault, &mem.pgmajfault, &mem.workingset_refault, &mem.workingset_activate,
        &mem.workingset_nodereclaim, &mem.pgrefill, &mem.pgscan, &mem.pgsteal, &mem.pgactivate,
        &mem.pgdeactivate, &mem.pglazyfree, &mem.pglazyfreed, &mem.thp_fault_alloc, &mem.thp_collapse_alloc,
      };
      for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        *fields[i] = kv (&s, keys[i]);
      mem.usage = s.memory.usage;
      mem.usage_limit = s.memory.limit == AL_STATS_UNLIMITED ? UINT64_MAX : s.memory.limit;
      if (s.memory.has_swap)
        {
          mem.swap_usage = s.memory.swap_usage;
          mem.swap_limit = s.memory.swap_limit;
        }
      m.memory = &mem;
      if (s.memory.has_events)
        {
          mev.low = s.memory.ev_low;
          mev.high = s.memory.ev_high;
          mev.max = s.memory.ev_max;
          mev.oom = s.memory.ev_oom;
          mev.oom_kill = s.memory.ev_oom_kill;
          m.memory_events = &mev;
        }
    }
  else
    {
      /* No memory controller (this host's cgroup2 tree has only hugetlb):
         a sampled figure over every process of the container (memsample.c:
         RssAnon + RssShmem + VmSwap + VmPTE), as usage and anon, no limit.
         Without it the CRI plugin reports no memory at all, and the kubelet
         sees a container that uses none. */
      pid_t *pids = NULL;
      size_t npids = 0;
      _cleanup_error_ al_error_t perr = NULL;
      if (al_container_pids (t->root, req->id, &pids, &npids, &perr) == 0 && npids > 0)
        {
          mem.usage = al_memsample_pids (pids, npids);
          mem.anon = mem.usage;
          mem.usage_limit = UINT64_MAX;
          m.memory = &mem;
        }
      free (pids);
    }
  Io__Containerd__Cgroups__V2__IOEntry *ioe = al_xmalloc0 ((s.n_io + 1) * sizeof *ioe);
  Io__Containerd__Cgroups__V2__IOEntry **iop = al_xmalloc0 ((s.n_io + 1) * sizeof *iop);
  if (s.has_io)
    {
      for (size_t i = 0; i < s.n_io; i++)
        {
          io__containerd__cgroups__v2__ioentry__init (&ioe[i]);
          ioe[i].major = s.io[i].major;
          ioe[i].minor = s.io[i].minor;
          ioe[i].rbytes = s.io[i].rbytes;
          ioe[i].wbytes = s.io[i].wbytes;
          ioe[i].rios = s.io[i].rios;
          ioe[i].wios = s.io[i].wios;
          iop[i] = &ioe[i];
        }
      io.n_usage = s.n_io;
      io.usage = iop;
      m.io = &io;
    }
  Io__Containerd__Cgroups__V2__HugeTlbStat *hs = al_xmalloc0 ((s.n_hugetlb + 1) * sizeof *hs);
  Io__Containerd__Cgroups__V2__HugeTlbStat **hp = al_xmalloc0 ((s.n_hugetlb + 1) * sizeof *hp);
  for (size_t i = 0; i < s.n_hugetlb; i++)
    {
      io__containerd__cgroups__v2__huge_tlb_stat__init (&hs[i]);
      hs[i].current = s.hugetlb[i].usage;
      hs[i].max = s.hugetlb[i].max == AL_STATS_UNLIMITED ? 0 : s.hugetlb[i].max;
      hs[i].pagesize = s.hugetlb[i].page_size;
      hp[i] = &hs[i];
    }
  m.n_hugetlb = s.n_hugetlb;
  m.hugetlb = hp;

  size_t n = protobuf_c_message_get_packed_size (&m.base);
  uint8_t *buf = al_xmalloc0 (n + 1);
  protobuf_c_message_pack (&m.base, buf);
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  any.type_url = (char *) "io.containerd.cgroups.v2.Metrics";
  any.value.data = buf;
  any.value.len = n;
  Containerd__Task__V2__StatsResponse resp = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
  resp.stats = &any;
  tt_reply_msg (call, &resp.base);
  free (buf);
  free (ioe);
  free (iop);
  free (hs);
  free (hp);
out:
  al_stats_clear (&s);
  containerd__task__v2__stats_request__free_unpacked (req, NULL);
}

/* -------------------------------------------------- connect, shutdown -- */

static void
do_connect (struct sh_task *t, struct tt_call *call)
{
  Containerd__Task__V2__ConnectRequest *req
      = containerd__task__v2__connect_request__unpack (NULL, call->payload_len, call->payload);
  if (req == NULL)
    {
      tt_reply_error (call, TT_INVALID_ARGUMENT, "Connect: malformed request");
      return;
    }
  Containerd__Task__V2__ConnectResponse r = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
  struct ctr *c = find_ctr (t, req->id);
  r.shim_pid = (uint32_t) getpid ();
  r.task_pid = c && c->init.pid > 0 ? (uint32_t) c->init.pid : 0;
  r.version = (char *) SHIM_VERSION;
  tt_reply_msg (call, &r.base);
  containerd__task__v2__connect_request__free_unpacked (req, NULL);
}

static void
do_shutdown (struct sh_task *t, struct tt_call *call)
{
  if (t->ctrs == NULL)
    t->shutdown = true;
  reply_empty (call);
}

/* ------------------------------------------------------------ service -- */

struct method
{
  const char *name;
  void (*fn) (struct sh_task *t, struct tt_call *call);
};

static void
do_pause (struct sh_task *t, struct tt_call *call)
{
  do_pause_resume (t, call, true);
}

static void
do_resume (struct sh_task *t, struct tt_call *call)
{
  do_pause_resume (t, call, false);
}

static const struct method methods[] = {
  { "State", do_state },      { "Create", do_create },       { "Start", do_start },   { "Delete", do_delete },
  { "Pids", do_pids },        { "Pause", do_pause },         { "Resume", do_resume }, { "Kill", do_kill },
  { "Exec", do_exec },        { "ResizePty", do_resize },    { "CloseIO", do_close_io }, { "Update", do_update },
  { "Wait", do_wait },        { "Stats", do_stats },         { "Connect", do_connect }, { "Shutdown", do_shutdown },
};

void
sh_task_handle (void *data, struct tt_call *call)
{
  struct sh_task *t = data;
  if (strcmp (call->service, SH_TASK_SERVICE) == 0 || strcmp (call->service, SH_TASK_SERVICE_V3) == 0)
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
      if (strcmp (call->method, methods[i].name) == 0)
        {
          methods[i].fn (t, call);
          return;
        }
  tt_reply_error (call, TT_UNIMPLEMENTED, "%s/%s: not implemented", call->service, call->method);
}

struct sh_task *
sh_task_new (struct sl_loop *loop, struct sh_events *ev, const char *root, const char *ns)
{
  struct sh_task *t = al_xmalloc0 (sizeof *t);
  t->loop = loop;
  t->ev = ev;
  t->root = al_xstrdup (root);
  t->ns = al_xstrdup (ns);
  return t;
}

void
sh_task_free (struct sh_task *t)
{
  if (t == NULL)
    return;
  while (t->ctrs)
    {
      struct ctr *c = t->ctrs;
      t->ctrs = c->next;
      _cleanup_error_ al_error_t err = NULL;
      al_container_delete (t->root, c->id, true, NULL, &err);
      ctr_free (c);
    }
  free (t->root);
  free (t->ns);
  free (t);
}

bool
sh_task_done (const struct sh_task *t)
{
  return t->shutdown && t->ctrs == NULL;
}

size_t
sh_task_count (const struct sh_task *t)
{
  size_t n = 0;
  for (struct ctr *c = t->ctrs; c; c = c->next)
    n++;
  return n;
}
