/* hooks.c: run OCI hooks. Each hook is forked and exec'd in its own process
 * group with the state JSON on a pipe as stdin; we wait on a pidfd with the
 * hook's timeout and SIGKILL its group at the deadline. Its stdout and stderr
 * go to one pipe that we drain while waiting, keeping only the last
 * AL_HOOK_OUTPUT_TAIL bytes for the error message: a hook that prints
 * megabytes neither blocks nor grows our memory. A hook without a timeout is
 * waited for as long as it runs (as runc does). An execve failure comes back
 * through a CLOEXEC pipe. */
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
  int64_t deadline;  /* CLOCK_MONOTONIC ms; -1 without timeout */
  int out_fd;        /* read end of the hook's stdout+stderr, -1 at EOF */
  size_t out_total;  /* bytes the hook wrote */
  size_t out_len;    /* bytes in out_tail */
  char out_tail[AL_HOOK_OUTPUT_TAIL];
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

/* Keep the last AL_HOOK_OUTPUT_TAIL bytes of the hook's output. */
static void
tail_append (struct hook_run *r, const char *buf, size_t n)
{
  r->out_total += n;
  if (n >= sizeof (r->out_tail))
    {
      memcpy (r->out_tail, buf + n - sizeof (r->out_tail), sizeof (r->out_tail));
      r->out_len = sizeof (r->out_tail);
      return;
    }
  size_t keep = r->out_len + n > sizeof (r->out_tail) ? sizeof (r->out_tail) - n : r->out_len;
  memmove (r->out_tail, r->out_tail + r->out_len - keep, keep);
  memcpy (r->out_tail + keep, buf, n);
  r->out_len = keep + n;
}

/* Read what the hook wrote, without blocking; a bounded number of reads per
 * call so that a hook writing without pause cannot keep us past its deadline. */
static void
drain_output (struct hook_run *r)
{
  char buf[65536];
  for (int i = 0; i < 16 && r->out_fd >= 0; i++)
    {
      ssize_t n = read (r->out_fd, buf, sizeof buf);
      if (n > 0)
        {
          tail_append (r, buf, (size_t) n);
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0 || errno != EAGAIN)
        al_closep (&r->out_fd); /* EOF: nobody holds the write end any more */
      return;
    }
}

/* In the child, after fork: never returns. Only async-signal-safe calls. */
static void __attribute__ ((noreturn))
child_exec (const struct oci_hook *hook, char *const *argv, char *const *envp, int stdin_fd, int out_fd, int err_fd)
{
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  /* Ignored dispositions survive execve: give the hook default ones. */
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  /* Its own group, so that the deadline kills what it started too. */
  setpgid (0, 0);

  /* The pipes may have landed on 0-2 (when our stdio was closed): move them
   * above before dup2 puts them in place. */
  stdin_fd = fcntl (stdin_fd, F_DUPFD_CLOEXEC, 3);
  out_fd = fcntl (out_fd, F_DUPFD_CLOEXEC, 3);
  if (stdin_fd < 0 || out_fd < 0 || dup2 (stdin_fd, STDIN_FILENO) < 0 || dup2 (out_fd, STDOUT_FILENO) < 0
      || dup2 (out_fd, STDERR_FILENO) < 0)
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

/* True once the hook has exited. It is left a zombie (WNOWAIT), so that its
 * pid, which is also its process group id, stays ours until reap(). */
static bool
try_reap (struct hook_run *r)
{
  if (r->reaped)
    return true;
  siginfo_t si;
  memset (&si, 0, sizeof si);
  int p;
  do
    p = waitid (P_PID, (id_t) r->pid, &si, WEXITED | WNOHANG | WNOWAIT);
  while (p < 0 && errno == EINTR);
  if (p == 0 && si.si_pid == r->pid)
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
      struct pollfd p[3];
      nfds_t n = 0;
      int out_i = -1;
      if (fd >= 0)
        p[n++] = (struct pollfd){ .fd = fd, .events = events };
      if (r->out_fd >= 0)
        {
          out_i = (int) n;
          p[n++] = (struct pollfd){ .fd = r->out_fd, .events = POLLIN };
        }
      if (r->pidfd >= 0)
        p[n++] = (struct pollfd){ .fd = r->pidfd, .events = POLLIN };
      else if (timeout < 0 || timeout > 10)
        timeout = 10;
      int ready = poll (p, n, timeout);
      if (ready < 0 && errno != EINTR)
        return -errno;
      if (ready > 0 && out_i >= 0 && p[out_i].revents)
        drain_output (r);
      if (ready > 0 && fd >= 0 && p[0].revents)
        return 1;
    }
}

/* SIGKILL the hook and its process group. Only before reap(): until then the
 * hook's pid (a zombie at worst) keeps the group id from being reused. */
static void
kill_hook (struct hook_run *r)
{
  kill (-r->pid, SIGKILL);
  if (r->pidfd >= 0)
    syscall (SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
  else
    kill (r->pid, SIGKILL);
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

/* The error for a hook that failed (why: "exited with status 3"...), with
 * the tail of its output when it wrote any. */
static int
fail_err (al_error_t *err, const struct hook_run *r, const char *why)
{
  if (r->out_total == 0)
    return al_err (err, 0, "%s hook #%zu `%s` %s", r->phase, r->index, r->hook->path, why);
  _cleanup_free_ char *out = al_escape (r->out_tail, r->out_len, r->out_len);
  if (r->out_total > r->out_len)
    return al_err (err, 0, "%s hook #%zu `%s` %s; output (last %zu of %zu bytes): \"%s\"", r->phase, r->index,
                   r->hook->path, why, r->out_len, r->out_total, out);
  return al_err (err, 0, "%s hook #%zu `%s` %s; output: \"%s\"", r->phase, r->index, r->hook->path, why, out);
}

static int
run_one (const char *phase, size_t index, const struct oci_hook *hook, const char *state_json, al_error_t *err)
{
  struct hook_run r
      = { .phase = phase, .index = index, .hook = hook, .pid = -1, .pidfd = -1, .deadline = -1, .out_fd = -1 };
  _cleanup_close_ int out_r = -1;
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
  int out_pipe[2];
  if (pipe2 (out_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
    return hook_err (err, &r, errno, "pipe");
  out_r = out_pipe[0];
  _cleanup_close_ int out_w = out_pipe[1];
  /* The hook's end blocks as usual: only our read end is non-blocking. */
  if (fcntl (out_w, F_SETFL, 0) < 0)
    return hook_err (err, &r, errno, "fcntl");

  pid_t pid = fork ();
  if (pid < 0)
    return hook_err (err, &r, errno, "fork");
  if (pid == 0)
    child_exec (hook, argv, envp, in_r, out_w, err_w);

  r.pid = pid;
  r.out_fd = al_steal_fd (out_r);
  /* Also here, so that the group exists before any kill_hook(); fails
   * harmlessly once the child has exec'd. */
  setpgid (pid, pid);
  if (hook->has_timeout && hook->timeout > 0)
    r.deadline = now_ms () + (int64_t) hook->timeout * 1000;
  al_closep (&in_r);
  al_closep (&err_w);
  al_closep (&out_w);

  int status = 0;
  _cleanup_close_ int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pidfd < 0 && errno != ENOSYS)
    {
      int e = errno;
      kill_hook (&r);
      reap (pid, &status);
      al_closep (&r.out_fd);
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
      al_closep (&r.out_fd);
      return al_err (err, exec_errno, "%s hook #%zu `%s`: execve", phase, index, hook->path);
    }

  int ret = feed_stdin (&r, in_w, state_json ? state_json : "", state_json ? strlen (state_json) : 0);
  al_closep (&in_w);
  if (ret == 0)
    ret = wait_step (&r, -1, 0);
  bool timed_out = ret == -ETIMEDOUT;
  if (ret < 0)
    kill_hook (&r);
  else
    {
      /* Exited (a zombie, not reaped yet): did it fail? Then what it left
       * running in its group goes too. */
      siginfo_t si;
      memset (&si, 0, sizeof si);
      if (waitid (P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid
          && !(si.si_code == CLD_EXITED && si.si_status == 0))
        kill (-pid, SIGKILL);
    }

  int wret = reap (pid, &status);
  /* What it wrote before exiting; a child it left behind may hold the pipe
   * open, so this reads what is there and does not wait for EOF. */
  drain_output (&r);
  al_closep (&r.out_fd);
  if (timed_out)
    {
      _cleanup_free_ char *why = al_xasprintf ("timed out after %d s", hook->timeout);
      return fail_err (err, &r, why);
    }
  if (wret < 0)
    return hook_err (err, &r, -wret, "waitpid");
  if (ret < 0)
    return hook_err (err, &r, -ret, "writing the state to stdin");
  if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    {
      _cleanup_free_ char *why = al_xasprintf ("exited with status %d", WEXITSTATUS (status));
      return fail_err (err, &r, why);
    }
  if (WIFSIGNALED (status))
    {
      const char *name = al_signal_name (WTERMSIG (status));
      _cleanup_free_ char *why = name ? al_xasprintf ("was killed by signal %s", name)
                                      : al_xasprintf ("was killed by signal %d", WTERMSIG (status));
      return fail_err (err, &r, why);
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

int
al_hooks_run_all (const struct oci_hook_list *list, const char *phase, const char *state_json,
                  al_hook_failed_fn failed, void *data, size_t *n_later, al_error_t *err)
{
  if (n_later)
    *n_later = 0;
  if (!list)
    return 0;
  int first = 0;
  for (size_t i = 0; i < list->n; i++)
    {
      _cleanup_error_ al_error_t e = NULL;
      int ret = run_one (phase, i, &list->hooks[i], state_json, &e);
      if (ret == 0)
        continue;
      if (failed)
        failed (data, first < 0, e ? e->msg : "failed");
      if (first < 0)
        {
          if (n_later)
            (*n_later)++;
          continue;
        }
      first = ret;
      if (err && !*err)
        {
          *err = e;
          e = NULL;
        }
    }
  return first;
}
