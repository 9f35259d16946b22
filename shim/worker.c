/* worker.c: see worker.h. */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "worker.h"

struct report
{
  int r;
  int errnum;
  pid_t pid;
  bool pty, listener; /* which fds follow, in this order */
  char msg[2048];
};

enum job
{
  JOB_CREATE,
  JOB_EXEC
};

static void
child (int sock, enum job job, const void *opts, pid_t shim)
{
  /* A worker must not outlive a shim killed mid-Create or mid-Exec: it would
     hold the container's state lock (and finish a create nobody waits for)
     while containerd runs the shim's `delete`. Its half-made init dies with
     it (it reads EOF on its sync socket). */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != shim)
    _exit (1);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  struct report rep = { 0 };
  al_error_t err = NULL;
  int fds[2] = { -1, -1 };
  int pty = -1, listener = -1;
  if (job == JOB_CREATE)
    {
      struct al_created c;
      rep.r = al_container_create (opts, &c, &err);
      rep.pid = c.pid;
      pty = c.pty_master;
      listener = c.seccomp_listener;
    }
  else
    {
      struct al_exec_result x;
      rep.r = al_container_exec (opts, &x, &err);
      rep.pid = x.pid;
      pty = x.pty_master;
    }
  if (rep.r < 0)
    {
      rep.errnum = err ? err->errnum : -rep.r;
      snprintf (rep.msg, sizeof rep.msg, "%s", err && err->msg ? err->msg : strerror (-rep.r));
      pty = listener = -1;
    }
  int n = 0;
  if (pty >= 0)
    fds[n++] = pty;
  if (listener >= 0)
    fds[n++] = listener;
  rep.pty = pty >= 0;
  rep.listener = listener >= 0;
  struct iovec iov = { .iov_base = &rep, .iov_len = sizeof rep };
  union
  {
    char buf[CMSG_SPACE (sizeof fds)];
    struct cmsghdr align;
  } u;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (n > 0)
    {
      memset (&u, 0, sizeof u);
      mh.msg_control = u.buf;
      mh.msg_controllen = CMSG_SPACE (n * sizeof (int));
      struct cmsghdr *cm = CMSG_FIRSTHDR (&mh);
      cm->cmsg_level = SOL_SOCKET;
      cm->cmsg_type = SCM_RIGHTS;
      cm->cmsg_len = CMSG_LEN (n * sizeof (int));
      memcpy (CMSG_DATA (cm), fds, n * sizeof (int));
    }
  while (sendmsg (sock, &mh, MSG_NOSIGNAL) < 0 && errno == EINTR)
    ;
  _exit (0);
}

static int
run (enum job job, const void *opts, const char *what, struct sh_spawned *out, al_error_t *err)
{
  out->pid = -1;
  out->pidfd = -1;
  out->pty_master = -1;
  out->seccomp_listener = -1;
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return al_err (err, errno, "%s: socketpair", what);
  _cleanup_close_ int sock = sv[0];
  pid_t shim = getpid ();
  pid_t w = fork ();
  if (w < 0)
    {
      int e = errno;
      close (sv[1]);
      return al_err (err, e, "%s: fork the worker", what);
    }
  if (w == 0)
    {
      close (sv[0]);
      child (sv[1], job, opts, shim);
    }
  close (sv[1]);

  struct report rep;
  union
  {
    char buf[CMSG_SPACE (2 * sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = &rep, .iov_len = sizeof rep };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t n;
  while ((n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
    ;
  int status;
  while (waitpid (w, &status, 0) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t) sizeof rep)
    return al_err (err, 0, "%s: the worker died (status 0x%x)", what, status);
  int got[2] = { -1, -1 };
  size_t ngot = 0;
  for (struct cmsghdr *cm = CMSG_FIRSTHDR (&mh); cm; cm = CMSG_NXTHDR (&mh, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      {
        ngot = (cm->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        if (ngot > 2)
          ngot = 2;
        memcpy (got, CMSG_DATA (cm), ngot * sizeof (int));
      }
  size_t k = 0;
  if (rep.pty && k < ngot)
    out->pty_master = got[k++];
  if (rep.listener && k < ngot)
    out->seccomp_listener = got[k++];
  rep.msg[sizeof rep.msg - 1] = 0;
  if (rep.r < 0)
    {
      int r = al_err (err, 0, "%s", rep.msg);
      if (*err)
        (*err)->errnum = rep.errnum;
      return r;
    }
  /* The worker is gone: the process is our child now. */
  out->pid = rep.pid;
  out->pidfd = (int) syscall (SYS_pidfd_open, rep.pid, 0);
  if (out->pidfd < 0)
    {
      int e = errno;
      kill (rep.pid, SIGKILL);
      al_closep (&out->pty_master);
      al_closep (&out->seccomp_listener);
      return al_err (err, e, "%s: pidfd_open %d", what, rep.pid);
    }
  return 0;
}

int
sh_worker_create (const struct al_create_opts *o, struct sh_spawned *out, al_error_t *err)
{
  return run (JOB_CREATE, o, "create", out, err);
}

int
sh_worker_exec (const struct al_exec_opts *o, struct sh_spawned *out, al_error_t *err)
{
  return run (JOB_EXEC, o, "exec", out, err);
}
