/* watcher.c: see watcher.h. */
#include "watcher.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "procsetup.h"
#include "state.h"
#include "util.h"
#include "verdict.h"

/* What the monitor tells `create`: the create's result (0 or a negative
   errno) and, on failure, the error's text. */
struct report
{
  int32_t code;
  uint32_t len;
};
#define REPORT_MAX 65536

static void
send_report (int fd, int code, const al_error_t err)
{
  const char *msg = err && err->msg ? err->msg : "";
  struct report h = { .code = code, .len = (uint32_t) strnlen (msg, REPORT_MAX) };
  if (al_write_all (fd, &h, sizeof h) == (ssize_t) sizeof h && h.len)
    al_write_all (fd, msg, h.len);
}

/* The state dir of the container just made, without its lock (the monitor
   never holds it: delete takes it while the monitor finishes). */
static int
open_state_dir (const char *root, const char *id, al_error_t *err)
{
  _cleanup_close_ int rootfd = al_root_open (root, false, err);
  if (rootfd < 0)
    return rootfd;
  int fd = openat (rootfd, id, O_DIRECTORY | O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "container \"%s\": open its state dir", id);
  return fd;
}

static int
record (int dirfd, const char *id, al_error_t *err)
{
  char buf[64];
  int n = snprintf (buf, sizeof buf, "%d %" PRIu64 "\n", (int) getpid (), al_pid_start_time (getpid ()));
  int r = al_write_file_atomic_at (dirfd, AL_WATCHER_FILE, buf, (size_t) n, 0600, err);
  if (r < 0)
    return al_err_prefix (err, "container \"%s\": record its monitor", id);
  return 0;
}

/* Until `start` has released the init (its O_CLOEXEC end of exec.fifo
   closes at the exec: POLLHUP on our read end, opened while the init's was
   open) or the init has exited; notifications are answered meanwhile. */
static void
wait_for_start (struct al_watch *w, int fifo, int pidfd, int listener)
{
  if (fifo < 0)
    return;
  struct pollfd p[3] = { { .fd = fifo, .events = 0 },
                         { .fd = pidfd, .events = POLLIN },
                         { .fd = listener, .events = POLLIN } };
  for (;;)
    {
      int n = poll (p, 3, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 || (p[0].revents & (POLLHUP | POLLERR)) || p[1].revents)
        return;
      if (p[2].revents & POLLIN)
        {
          if (!al_monitor_handle_notification (&w->m, listener))
            p[2].fd = -1;
        }
      else if (p[2].revents)
        p[2].fd = -1;
    }
}

static void __attribute__ ((noreturn))
monitor_main (struct al_create_opts *o, struct al_watch *w, const char *termination_log, int rep)
{
  /* Out of the caller's (conmon's) session and process group: its job
     control, its terminal and a kill of its group never reach us. */
  setsid ();
  /* Not dumpable: no ptrace and no /proc/PID/mem for a process of the same
     uid without CAP_SYS_PTRACE (untrusted-pod's containers run as uid 0). */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* Nothing the caller blocked or ignored stays so: above all SIGCHLD,
     which ignored would have the kernel reap the init (conmon's to reap). */
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      signal (s, SIG_DFL);

  al_error_t err = NULL;
  o->die_with_parent = true; /* the init dies with this process */
  o->foreground = false;
  struct al_created c;
  int r = al_container_create (o, &c, &err);
  al_watch_created (w); /* the config is not kept */
  if (r < 0)
    {
      send_report (rep, r, err);
      _exit (1);
    }
  const char *root = o->root, *id = o->id; /* argv's */
  int pidfd = (int) syscall (SYS_pidfd_open, c.pid, 0); /* our child: no pid reuse */
  int dirfd = -1, fifo = -1;
  struct al_cgroup *cg = NULL;
  if (pidfd < 0)
    r = al_err (&err, errno, "container \"%s\": pidfd_open of the init (pid %d)", id, (int) c.pid);
  if (r == 0)
    r = dirfd = open_state_dir (root, id, &err);
  if (r >= 0)
    {
      struct al_state *st = NULL;
      if (al_state_read (dirfd, id, &st, NULL) == 0)
        cg = al_state_cgroup (st);
      al_state_free (st);
      fifo = openat (dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      r = record (dirfd, id, &err);
    }
  if (r < 0)
    {
      al_container_delete (root, id, true, o->log, NULL);
      send_report (rep, r, err);
      _exit (1);
    }
  send_report (rep, 0, NULL);

  /* Only what the watch needs stays open: no stdio of the caller, no log,
     no fd of the container but its pidfd, listener and exec.fifo. */
  int keep[] = { pidfd, c.seccomp_listener, dirfd, fifo };
  al_proc_close_fds (0, keep, sizeof keep / sizeof keep[0], NULL);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; null >= 0 && fd < 3; fd++)
    if (null != fd)
      dup2 (null, fd);
  if (null > 2)
    close (null);
  if (chdir ("/") < 0)
    {
      /* not fatal: the monitor opens nothing by a relative path */
    }
  malloc_trim (0);

  wait_for_start (w, fifo, pidfd, c.seccomp_listener);
  al_closep (&fifo);
  c.pidfd = pidfd;
  w->m.leave_zombie = true;
  if (w->report.seccomp_notify && c.seccomp_listener < 0 && w->m.error == NULL)
    w->m.error = al_xstrdup ("no seccomp listener came back from create: denied syscalls are not recorded");
  al_monitor_start_clock (&w->m);
  al_error_t merr = NULL;
  if (al_monitor_run (&w->m, &c, cg, &merr) < 0 && w->m.error == NULL)
    w->m.error = al_xstrdup (merr->msg);
  al_error_free (&merr);
  al_closep (&c.seccomp_listener);
  al_error_t verr = NULL;
  if (al_verdict_finish_at (dirfd, cg, id, &w->m, w->profile, &w->report, &w->v, &verr) < 0
      && w->v.monitor_error == NULL)
    w->v.monitor_error = al_xstrdup (verr->msg);
  al_error_free (&verr);
  if (termination_log)
    al_verdict_write_termination_log (termination_log, &w->v, NULL);
  /* Exiting hands the init's zombie to conmon. */
  _exit (0);
}

int
al_watcher_create (struct al_create_opts *o, struct al_watch *w, const char *termination_log, int *killed_by,
                   al_error_t *err)
{
  if (killed_by)
    *killed_by = 0;
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return al_err (err, errno, "container \"%s\": a pipe to its monitor", o->id);
  fflush (stdout);
  fflush (stderr);
  pid_t pid = fork ();
  if (pid < 0)
    {
      int e = errno;
      close (p[0]);
      close (p[1]);
      return al_err (err, e, "container \"%s\": fork its monitor", o->id);
    }
  if (pid == 0)
    {
      close (p[0]);
      monitor_main (o, w, termination_log, p[1]);
    }
  close (p[1]);
  _cleanup_close_ int rfd = p[0];
  struct report h;
  if (al_read_all (rfd, &h, sizeof h) != (ssize_t) sizeof h)
    {
      int st = 0;
      while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
        ;
      if (WIFSIGNALED (st) && killed_by)
        *killed_by = WTERMSIG (st);
      return al_err (err, EIO, "container \"%s\": its monitor (pid %d) died before it had created the container%s%s",
                     o->id, (int) pid, WIFSIGNALED (st) ? ": " : "", WIFSIGNALED (st) ? al_signal_name (WTERMSIG (st)) : "");
    }
  if (h.code == 0)
    return 0;
  size_t len = h.len < REPORT_MAX ? h.len : REPORT_MAX;
  char *msg = al_xmalloc0 (len + 1);
  ssize_t n = al_read_all (rfd, msg, len);
  msg[n > 0 ? n : 0] = '\0';
  waitpid (pid, NULL, 0);
  if (err && *err == NULL)
    {
      *err = al_xmalloc0 (sizeof **err);
      (*err)->errnum = h.code < 0 ? -h.code : EINVAL;
      (*err)->msg = msg;
    }
  else
    free (msg);
  return h.code < 0 ? h.code : -EINVAL;
}

void
al_watcher_stop (int dirfd, const char *id, const struct al_log *log)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (al_read_file_at (dirfd, AL_WATCHER_FILE, 64, &text, &len, NULL) < 0)
    return;
  int pid = 0;
  uint64_t start = 0;
  if (sscanf (text, "%d %" SCNu64, &pid, &start) != 2 || pid <= 0 || pid == getpid ())
    return;
  _cleanup_close_ int pidfd = (int) syscall (SYS_pidfd_open, (pid_t) pid, 0);
  /* Checked after the open: the pidfd then names the recorded process. */
  if (pidfd < 0 || al_pid_start_time (pid) != start)
    return;
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  int n;
  while ((n = poll (&p, 1, AL_WATCHER_STOP_MS)) < 0 && errno == EINTR)
    ;
  if (n > 0)
    return;
  al_log (log, "warning", "container \"%s\": its monitor (pid %d) has not exited %d ms after the init: killed", id,
          pid, AL_WATCHER_STOP_MS);
  syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  while ((n = poll (&p, 1, 1000)) < 0 && errno == EINTR)
    ;
}
