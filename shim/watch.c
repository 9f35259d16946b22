/* watch.c: see watch.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "shimlog.h"
#include "spec.h"
#include "stdio.h"
#include "util.h"
#include "verdict.h"
#include "watch.h"

#define CRI_CONTAINER_TYPE "io.kubernetes.cri.container-type"

struct sh_watch
{
  struct al_watch w;
  struct sl_loop *loop;
  char *root, *id;
  char *termination_log; /* host path, NULL when the config has none */
  bool sandbox;          /* a pod's sandbox container: no deadline */
  struct sl_watch listener;
  struct sl_watch deadline;
  /* Between the init's exit and the verdict: the output drains. */
  bool pending;
  struct sh_stdio *io;   /* counted output, NULL when not */
  struct sl_watch drain; /* timerfd: SH_WATCH_DRAIN_MS after the exit */
  void (*done) (void *data);
  void *done_data;
};

static void
unwatch (struct sh_watch *w, struct sl_watch *x)
{
  if (x->fd < 0)
    return;
  if (w->loop)
    sl_watch_del (w->loop, x);
  close (x->fd);
  x->fd = -1;
}

int
sh_watch_new (const char *config_path, const char *id, struct al_create_opts *o, struct sh_watch **out,
              al_error_t *err)
{
  *out = NULL;
  _cleanup_spec_ struct oci_spec *spec = NULL;
  int r = oci_spec_load (config_path, &spec, err);
  if (r < 0)
    return r;
  if (oci_spec_annotation (spec, AL_PROFILE_ANNOTATION) == NULL)
    return 0;
  struct sh_watch *w = al_xmalloc0 (sizeof *w);
  w->listener.fd = w->deadline.fd = w->drain.fd = -1;
  const char *tl = al_termination_log_of (spec);
  w->termination_log = tl ? al_xstrdup (tl) : NULL;
  const char *type = oci_spec_annotation (spec, CRI_CONTAINER_TYPE);
  w->sandbox = type && strcmp (type, "sandbox") == 0;
  r = al_watch_configure (&w->w, config_path, spec, err);
  if (r < 0 || !w->w.active)
    {
      sh_watch_free (w);
      return r;
    }
  if (w->sandbox)
    w->w.m.timeout_ms = 0;
  w->id = al_xstrdup (id);
  o->keep_seccomp_listener = true;
  /* The profile gave the container a user namespace that containerd did
     not know of when it made the bundle; its ids are known in create. */
  o->open_bundle_to_userns = true;
  *out = w;
  return 0;
}

static void
listener_event (struct sl_watch *x, uint32_t events)
{
  struct sh_watch *w = x->data;
  if ((events & EPOLLIN) == 0 || !al_monitor_handle_notification (&w->w.m, x->fd))
    unwatch (w, x); /* EPOLLHUP: no process uses the filter any more */
}

static void
deadline_event (struct sl_watch *x, uint32_t events)
{
  (void) events;
  struct sh_watch *w = x->data;
  uint64_t n;
  if (read (x->fd, &n, sizeof n) != (ssize_t) sizeof n)
    return;
  unwatch (w, x);
  if (w->w.m.reaped)
    return;
  w->w.m.timed_out = true;
  _cleanup_error_ al_error_t err = NULL;
  if (al_container_kill (w->root, w->id, SIGKILL, true, &err) < 0)
    sh_log ("container %s: deadline: kill: %s", w->id, err->msg);
}

void
sh_watch_created (struct sh_watch *w, struct sl_loop *loop, const char *root, int listener)
{
  w->loop = loop;
  w->root = al_xstrdup (root);
  if (listener < 0)
    {
      if (w->w.report.seccomp_notify && w->w.m.error == NULL)
        w->w.m.error = al_xstrdup ("no seccomp listener came back from create: denied syscalls are not recorded");
      return;
    }
  w->listener = (struct sl_watch){ .fd = listener, .cb = listener_event, .data = w };
  if (sl_watch_add (loop, &w->listener, EPOLLIN) < 0)
    {
      sh_log ("container %s: watch the seccomp listener: %m", w->id);
      close (listener);
      w->listener.fd = -1;
    }
}

static bool
answer_notification (void *data, int listener)
{
  struct sh_watch *w = data;
  return al_monitor_handle_notification (&w->w.m, listener);
}

int
sh_watch_container_start (struct sh_watch *w, const char *root, const char *id, al_error_t *err)
{
  if (w->listener.fd < 0)
    return al_container_start (root, id, NULL, err);
  al_watch_start_clock (&w->w);
  struct al_start_notify n = { .listener = w->listener.fd, .handle = answer_notification, .data = w };
  return al_container_start_notified (root, id, NULL, &n, err);
}

void
sh_watch_started (struct sh_watch *w)
{
  al_watch_start_clock (&w->w);
  if (w->w.m.timeout_ms == 0 || w->deadline.fd >= 0)
    return;
  int fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  struct itimerspec its = { .it_value = { .tv_sec = (time_t) (w->w.m.timeout_ms / 1000),
                                          .tv_nsec = (long) (w->w.m.timeout_ms % 1000) * 1000000 } };
  if (fd < 0 || timerfd_settime (fd, 0, &its, NULL) < 0)
    {
      sh_log ("container %s: deadline timer: %m", w->id);
      if (fd >= 0)
        close (fd);
      return;
    }
  w->deadline = (struct sl_watch){ .fd = fd, .cb = deadline_event, .data = w };
  if (sl_watch_add (w->loop, &w->deadline, EPOLLIN) < 0)
    {
      close (fd);
      w->deadline.fd = -1;
    }
}

char *
sh_watch_termination_message (const struct al_verdict *v, size_t max)
{
  return al_verdict_termination_message (v, max);
}

static void
write_termination_log (struct sh_watch *w)
{
  _cleanup_error_ al_error_t err = NULL;
  if (al_verdict_write_termination_log (w->termination_log, &w->w.v, &err) < 0)
    sh_log ("container %s: write the verdict: %s", w->id, err->msg);
}

/* The verdict, with the output counted so far (complete: both streams
 * reached EOF), then done. */
static void
finish (struct sh_watch *w, bool complete)
{
  if (!w->pending)
    return;
  w->pending = false;
  unwatch (w, &w->drain);
  if (w->io)
    {
      w->io->on_output_end = NULL;
      w->w.m.capture_output = true;
      w->w.m.out.bytes = w->io->bytes[0];
      w->w.m.err.bytes = w->io->bytes[1];
      if (!complete && w->w.m.error == NULL)
        w->w.m.error = al_xasprintf ("output still open %d ms after the exit (a process holds it, or the "
                                     "client does not read it): stdout/stderr bytes are those read until then",
                                     SH_WATCH_DRAIN_MS);
    }
  _cleanup_error_ al_error_t err = NULL;
  if (al_verdict_finish (w->root, w->id, &w->w.m, w->w.profile, &w->w.report, &w->w.v, &err) < 0)
    {
      sh_log ("container %s: verdict: %s", w->id, err->msg);
      if (w->w.v.monitor_error == NULL)
        w->w.v.monitor_error = al_xstrdup (err->msg);
    }
  if (w->termination_log)
    write_termination_log (w);
  void (*done) (void *) = w->done;
  w->done = NULL;
  if (done)
    done (w->done_data);
}

static void
output_end (void *data)
{
  finish (data, true);
}

static void
drain_event (struct sl_watch *x, uint32_t events)
{
  (void) events;
  struct sh_watch *w = x->data;
  sh_log ("container %s: output still open %d ms after the exit: verdict without waiting for it", w->id,
          SH_WATCH_DRAIN_MS);
  finish (w, false);
}

/* Wait for the output's EOF, at most SH_WATCH_DRAIN_MS; false when the
 * timer cannot be had (then the verdict is written at once). */
static bool
drain (struct sh_watch *w)
{
  int fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  struct itimerspec its = { .it_value = { .tv_sec = SH_WATCH_DRAIN_MS / 1000,
                                          .tv_nsec = (long) (SH_WATCH_DRAIN_MS % 1000) * 1000000 } };
  if (fd < 0 || timerfd_settime (fd, 0, &its, NULL) < 0)
    {
      sh_log ("container %s: output drain timer: %m", w->id);
      if (fd >= 0)
        close (fd);
      return false;
    }
  w->drain = (struct sl_watch){ .fd = fd, .cb = drain_event, .data = w };
  if (w->loop == NULL || sl_watch_add (w->loop, &w->drain, EPOLLIN) < 0)
    {
      close (fd);
      w->drain.fd = -1;
      return false;
    }
  w->io->on_output_end = output_end;
  w->io->on_output_data = w;
  return true;
}

void
sh_watch_exited (struct sh_watch *w, int status, const struct rusage *ru, struct sh_stdio *io,
                 void (*done) (void *data), void *data)
{
  if (w->w.m.reaped)
    {
      if (done)
        done (data);
      return;
    }
  /* Denials still queued: answered and counted before the verdict. */
  for (int i = 0; w->listener.fd >= 0 && i < 1024; i++)
    {
      struct pollfd p = { .fd = w->listener.fd, .events = POLLIN };
      if (poll (&p, 1, 0) <= 0 || (p.revents & POLLIN) == 0)
        break;
      if (!al_monitor_handle_notification (&w->w.m, w->listener.fd))
        break;
    }
  unwatch (w, &w->listener);
  unwatch (w, &w->deadline);
  al_monitor_exited (&w->w.m, status, ru);
  w->pending = true;
  w->io = io && io->counted ? io : NULL;
  w->done = done;
  w->done_data = data;
  if (w->io && sh_stdio_output_open (w->io) && drain (w))
    return;
  finish (w, !(w->io && sh_stdio_output_open (w->io)));
}

void
sh_watch_finish_now (struct sh_watch *w)
{
  if (w)
    finish (w, false);
}

void
sh_watch_free (struct sh_watch *w)
{
  if (w == NULL)
    return;
  unwatch (w, &w->listener);
  unwatch (w, &w->deadline);
  unwatch (w, &w->drain);
  if (w->pending && w->io)
    w->io->on_output_end = NULL;
  al_watch_clear (&w->w);
  free (w->root);
  free (w->id);
  free (w->termination_log);
  free (w);
}

void
sh_watch_explain (const char *config_path, al_error_t *err)
{
  if (err == NULL || *err == NULL || (*err)->msg == NULL)
    return;
  _cleanup_spec_ struct oci_spec *spec = NULL;
  _cleanup_error_ al_error_t e2 = NULL;
  if (oci_spec_load (config_path, &spec, &e2) < 0)
    return;
  const char *profile = oci_spec_annotation (spec, AL_PROFILE_ANNOTATION);
  if (profile == NULL || strcmp (profile, "untrusted") != 0 || oci_spec_annotation (spec, CRI_CONTAINER_TYPE) == NULL)
    return;
  char *msg = al_xasprintf ("%s (profile \"untrusted\" is for standalone containers: a pod's containers and sandbox "
                            "need \"untrusted-pod\")",
                            (*err)->msg);
  free ((*err)->msg);
  (*err)->msg = msg;
}
