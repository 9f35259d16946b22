/* hooks.c: run OCI hooks. Each hook is forked and exec'd with the state JSON on
 * a pipe as stdin; we wait on a pidfd with the hook's timeout and SIGKILL it at
 * the deadline. An execve failure comes back through a CLOEXEC pipe. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct hook_run
{
  const char *phase;
  size_t index;
  const struct oci_hook *hook;
  pid_t pid;
  int pidfd;         /* -1 when pidfd_open is unavailable */
  bool reaped;
  int status;
  int64_t deadline;  /* CLOCK_MONOTONIC ms; -1 without timeout */
};

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until the deadline, for poll(): -1 without one. */
static int
poll_timeout (const struct hook_run *r)
{
  if (r->deadline < 0)
    return -1;
  int64_t left = r->deadline - now_ms ();
  if (left <= 0)
    return 0;
  return left > INT_MAX ? INT_MAX : (int) left;
}

static int
hook_err (al_error_t *err, const struct hook_run *r, int errnum, const char *what)
{
  return al_err (err, errnum, "%s hook #%zu `%s`: %s", r->phase, r->index, r->hook->path, what);
}

/* In the child, after fork: never returns. Only async-signal-safe calls. */
static void __attribute__ ((noreturn))
child_exec (const struct oci_hook *hook, char *const *argv, char *const *envp, int stdin_fd, int err_fd)
{
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  /* Ignored dispositions survive execve: give the hook default ones. */
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);

  if (stdin_fd == STDIN_FILENO)
    fcntl (stdin_fd, F_SETFD, 0);
  else if (dup2 (stdin_fd, STDIN_FILENO) < 0)
    goto fail;
  /* Nothing of ours but stdio reaches the hook. */
  syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);

  execve (hook->path, argv, envp);
fail:;
  int e = errno;
  ssize_t w = write (err_fd, &e, sizeof e);
  (void) w;
  _exit (127);
}

/* Reap the hook if it has exited; true once it has. */
static bool
try_reap (struct hook_run *r)
{
  if (r->reaped)
    return true;
  pid_t p;
  do
    p = waitpid (r->pid, &r->status, WNOHANG);
  while (p < 0 && errno == EINTR);
  if (p == r->pid)
    r->reaped = true;
  return r->reaped;
}

/* Wait for `fd` to become ready for `events` (fd -1: for nothing), for the
 * hook to exit, or for the deadline. Without a pidfd (old kernels, valgrind)
 * exits are noticed by polling waitpid every 10 ms. Returns 1 when fd is
 * ready, 0 when the hook exited, -ETIMEDOUT at the deadline, or -errno. */
static int
wait_step (struct hook_run *r, int fd, short events)
{
  for (;;)
    {
      if (try_reap (r))
        return 0;
      int timeout = poll_timeout (r);
      if (timeout == 0)
        return -ETIMEDOUT;
      struct pollfd p[2];
      nfds_t n = 0;
      if (fd >= 0)
        p[n++] = (struct pollfd){ .fd = fd, .events = events };
      if (r->pidfd >= 0)
        p[n++] = (struct pollfd){ .fd = r->pidfd, .events = POLLIN };
      else if (timeout < 0 || timeout > 10)
        timeout = 10;
      int ready = poll (p, n, timeout);
      if (ready < 0 && errno != EINTR)
        return -errno;
      if (ready > 0 && fd >= 0 && p[0].revents)
        return 1;
    }
}

static void
kill_hook (struct hook_run *r)
{
  if (r->pidfd >= 0)
    syscall (SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
  else if (!r->reaped)
    kill (r->pid, SIGKILL); /* not reaped yet, so the pid is still ours */
}

/* Feed the state to the hook's stdin without ever blocking past the deadline,
 * and without SIGPIPE: a hook that exits without reading is fine. */
static int
feed_stdin (struct hook_run *r, int fd, const char *buf, size_t len)
{
  if (fcntl (fd, F_SETFL, O_NONBLOCK) < 0)
    return -errno;

  sigset_t pipe_set, old_mask, pending;
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigpending (&pending);
  bool was_pending = sigismember (&pending, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_set, &old_mask);

  int ret = 0;
  size_t done = 0;
  while (done < len)
    {
      ssize_t w = write (fd, buf + done, len - done);
      if (w >= 0)
        {
          done += (size_t) w;
          continue;
        }
      if (errno == EINTR)
        continue;
      if (errno == EPIPE)
        break; /* the hook closed its stdin or exited: its exit status tells */
      if (errno != EAGAIN)
        {
          ret = -errno;
          break;
        }
      int s = wait_step (r, fd, POLLOUT);
      if (s <= 0)
        {
          ret = s; /* 0: the hook exited without reading it all */
          break;
        }
    }

  /* Swallow the SIGPIPE our own write raised, then restore the mask. */
  if (!was_pending)
    {
      sigpending (&pending);
      if (sigismember (&pending, SIGPIPE))
        {
          struct timespec zero = { 0, 0 };
          while (sigtimedwait (&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
        }
    }
  pthread_sigmask (SIG_SETMASK, &old_mask, NULL);
  return ret;
}

static int
reap (pid_t pid, int *status)
{
  for (;;)
    {
      if (waitpid (pid, status, 0) >= 0)
        return 0;
      if (errno != EINTR)
        return -errno;
    }
}

static int
run_one (const char *phase, size_t index, const struct oci_hook *hook, const char *state_json, al_error_t *err)
{
  struct hook_run r = { .phase = phase, .index = index, .hook = hook, .pid = -1, .pidfd = -1, .deadline = -1 };
  char *default_argv[] = { hook->path, NULL };
  char *empty_env[] = { NULL };
  char *const *argv = hook->args && hook->args[0] ? hook->args : default_argv;
  char *const *envp = hook->env ? hook->env : empty_env;

  int in_pipe[2], err_pipe[2];
  if (pipe2 (in_pipe, O_CLOEXEC) < 0)
    return hook_err (err, &r, errno, "pipe");
  _cleanup_close_ int in_r = in_pipe[0];
  _cleanup_close_ int in_w = in_pipe[1];
  if (pipe2 (err_pipe, O_CLOEXEC) < 0)
    return hook_err (err, &r, errno, "pipe");
  _cleanup_close_ int err_r = err_pipe[0];
  _cleanup_close_ int err_w = err_pipe[1];

  pid_t pid = fork ();
  if (pid < 0)
    return hook_err (err, &r, errno, "fork");
  if (pid == 0)
    child_exec (hook, argv, envp, in_r, err_w);

  r.pid = pid;
  if (hook->has_timeout && hook->timeout > 0)
    r.deadline = now_ms () + (int64_t) hook->timeout * 1000;
  al_closep (&in_r);
  al_closep (&err_w);

  int status = 0;
  _cleanup_close_ int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0 && errno != ENOSYS)
    {
      int e = errno;
      kill (pid, SIGKILL);
      reap (pid, &status);
      return hook_err (err, &r, e, "pidfd_open");
    }
  r.pidfd = pidfd;

  /* Did execve work? The pipe closes on exec, or carries the errno. */
  int exec_errno = 0;
  ssize_t n;
  do
    n = read (err_r, &exec_errno, sizeof exec_errno);
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t) sizeof exec_errno)
    {
      reap (pid, &status);
      return al_err (err, exec_errno, "%s hook #%zu `%s`: execve", phase, index, hook->path);
    }

  int ret = feed_stdin (&r, in_w, state_json ? state_json : "", state_json ? strlen (state_json) : 0);
  al_closep (&in_w);
  if (ret == 0)
    ret = wait_step (&r, -1, 0);
  bool timed_out = ret == -ETIMEDOUT;
  if (ret < 0)
    kill_hook (&r);

  int wret = 0;
  if (r.reaped)
    status = r.status;
  else
    wret = reap (pid, &status);
  if (timed_out)
    return al_err (err, 0, "%s hook #%zu `%s` timed out after %d s", phase, index, hook->path, hook->timeout);
  if (wret < 0)
    return hook_err (err, &r, -wret, "waitpid");
  if (ret < 0)
    return hook_err (err, &r, -ret, "writing the state to stdin");
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    return al_err (err, 0, "%s hook #%zu `%s` exited with status %d", phase, index, hook->path,
                   WEXITSTATUS (status));
  if (WIFSIGNALED (status))
    {
      const char *name = al_signal_name (WTERMSIG (status));
      if (name)
        return al_err (err, 0, "%s hook #%zu `%s` was killed by signal %s", phase, index, hook->path, name);
      return al_err (err, 0, "%s hook #%zu `%s` was killed by signal %d", phase, index, hook->path,
                     WTERMSIG (status));
    }
  return 0;
}

int
al_hooks_run (const struct oci_hook_list *list, const char *phase, const char *state_json, al_error_t *err)
{
  if (!list)
    return 0;
  for (size_t i = 0; i < list->n; i++)
    {
      int ret = run_one (phase, i, &list->hooks[i], state_json, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}
