/* foreground.c: wait for a container process in the foreground (`run`,
 * `exec`): forward signals to it, copy a terminal both ways, exit with its
 * status. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"


static void
copy_once (int from, int to, bool *open)
{
  char buf[16384];
  ssize_t n = read (from, buf, sizeof buf);
  if (n <= 0)
    {
      if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
      *open = false;
      return;
    }
  if (al_write_all (to, buf, (size_t) n) < 0)
    *open = false;
}

void
al_cli_hold_signals (void)
{
  sigset_t s;
  sigemptyset (&s);
  sigaddset (&s, SIGINT);
  sigaddset (&s, SIGTERM);
  sigaddset (&s, SIGHUP);
  sigaddset (&s, SIGQUIT);
  sigprocmask (SIG_BLOCK, &s, NULL);
}

/* Wait for the init, forwarding signals and, with a terminal, copying between
 * our stdio and the pty. Returns the container's exit status (128+N on signal N). */
int
al_cli_wait_foreground (pid_t pid, int pidfd, int pty_master)
{
  sigset_t fwd;
  sigfillset (&fwd);
  sigdelset (&fwd, SIGCHLD);
  sigdelset (&fwd, SIGKILL);
  sigdelset (&fwd, SIGSTOP);
  sigdelset (&fwd, SIGSEGV);
  sigdelset (&fwd, SIGBUS);
  sigdelset (&fwd, SIGFPE);
  sigdelset (&fwd, SIGILL);
  sigprocmask (SIG_BLOCK, &fwd, NULL);
  _cleanup_close_ int sfd = signalfd (-1, &fwd, SFD_CLOEXEC);

  struct termios saved;
  bool raw = false;
  if (pty_master >= 0 && isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &saved) == 0)
    {
      struct termios t = saved;
      cfmakeraw (&t);
      raw = tcsetattr (STDIN_FILENO, TCSANOW, &t) == 0;
      struct winsize ws;
      if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl (pty_master, TIOCSWINSZ, &ws);
    }

  bool in_open = pty_master >= 0, out_open = pty_master >= 0;
  int status = 0;
  for (;;)
    {
      struct pollfd p[4] = {
        { .fd = pidfd, .events = POLLIN },
        { .fd = sfd, .events = POLLIN },
        { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
        { .fd = out_open ? pty_master : -1, .events = POLLIN },
      };
      if (poll (p, 4, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (p[3].revents)
        copy_once (pty_master, STDOUT_FILENO, &out_open);
      if (p[2].revents)
        copy_once (STDIN_FILENO, pty_master, &in_open);
      if (p[1].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (read (sfd, &si, sizeof si) == sizeof si)
            {
              if (si.ssi_signo == SIGWINCH && pty_master >= 0)
                {
                  struct winsize ws;
                  if (ioctl (STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
                    ioctl (pty_master, TIOCSWINSZ, &ws);
                }
              else
                syscall (SYS_pidfd_send_signal, pidfd, (int) si.ssi_signo, NULL, 0);
            }
        }
      if (p[0].revents)
        {
          /* Drain what the program printed last. */
          while (out_open)
            {
              struct pollfd q = { .fd = pty_master, .events = POLLIN };
              if (poll (&q, 1, 0) <= 0)
                break;
              copy_once (pty_master, STDOUT_FILENO, &out_open);
            }
          while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
            ;
          break;
        }
    }
  if (raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &saved);
  sigprocmask (SIG_UNBLOCK, &fwd, NULL);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return WEXITSTATUS (status);
}

