/* terminal.c: ptys, connecting to the console socket, and passing fds over a
 * unix socket with SCM_RIGHTS. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "terminal.h"
#include "util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO ('T', 0x41)
#endif

int
al_unix_connect (const char *path, al_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  _cleanup_close_ int path_fd = -1;
  const char *target = path;
  char proc_path[64];

  if (strlen (path) >= sizeof addr.sun_path)
    {
      /* Too long for sun_path: connect through an O_PATH fd of the socket. */
      path_fd = open (path, O_PATH | O_CLOEXEC);
      if (path_fd < 0)
        return al_err (err, errno, "console socket `%s`: open", path);
      snprintf (proc_path, sizeof proc_path, "/proc/self/fd/%d", path_fd);
      target = proc_path;
    }
  memcpy (addr.sun_path, target, strlen (target) + 1);

  _cleanup_close_ int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return al_err (err, errno, "console socket `%s`: socket", path);
  int ret;
  do
    ret = connect (fd, (struct sockaddr *) &addr, sizeof addr);
  while (ret < 0 && errno == EINTR);
  if (ret < 0)
    return al_err (err, errno, "console socket `%s`: connect", path);
  return al_steal_fd (fd);
}

int
al_send_fd (int sock, int fd, const char *payload, al_error_t *err)
{
  /* At least one byte of data must go with the fd. */
  const char *data = payload && *payload ? payload : "";
  size_t data_len = payload && *payload ? strlen (payload) : 1;
  long n = al_send_with_fd (sock, data, data_len, fd);
  if (n < 0)
    return al_err (err, (int) -n, "sending fd %d over the socket", fd);
  if ((size_t) n != data_len)
    return al_err (err, EIO, "sending fd %d over the socket: short write", fd);
  return 0;
}

int
al_recv_fd (int sock, int *fd_out, char *payload, size_t payload_len, al_error_t *err)
{
  char dummy;
  struct iovec iov;
  if (payload && payload_len > 1)
    iov = (struct iovec){ .iov_base = payload, .iov_len = payload_len - 1 };
  else
    iov = (struct iovec){ .iov_base = &dummy, .iov_len = 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * 4)];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };

  *fd_out = -1;
  if (payload && payload_len > 0)
    payload[0] = '\0';
  ssize_t n;
  do
    n = recvmsg (sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return al_err (err, errno, "receiving an fd from the socket");
  if (payload && payload_len > 1)
    payload[n] = '\0';

  int got = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
    {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
        continue;
      size_t nfds = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
      for (size_t i = 0; i < nfds; i++)
        {
          int f;
          memcpy (&f, CMSG_DATA (c) + i * sizeof (int), sizeof f);
          if (got < 0)
            got = f;
          else
            close (f); /* only one was expected */
        }
    }
  if (msg.msg_flags & MSG_CTRUNC)
    {
      if (got >= 0)
        close (got);
      return al_err (err, EMSGSIZE, "receiving an fd from the socket: control data truncated");
    }
  *fd_out = got;
  return 0;
}

int
al_pty_open (const char *ptmx, int *master, int *slave, al_error_t *err)
{
  *master = *slave = -1;
  _cleanup_close_ int m = open (ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return al_err (err, errno, "opening `%s`", ptmx);
  if (unlockpt (m) < 0)
    return al_err (err, errno, "`%s`: unlockpt", ptmx);

  /* TIOCGPTPEER finds the peer through the master itself, which is right even
   * when the devpts mount we would look up by name is not the master's. */
  int s = ioctl (m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    {
      if (errno != EINVAL && errno != ENOTTY)
        return al_err (err, errno, "`%s`: TIOCGPTPEER", ptmx);
      char name[128];
      int r = ptsname_r (m, name, sizeof name);
      if (r != 0)
        return al_err (err, r, "`%s`: ptsname", ptmx);
      s = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
      if (s < 0)
        return al_err (err, errno, "opening `%s`", name);
    }
  /* No ONLCR (a pty's default): what the program writes reaches the reader
     unchanged, "\n" and not "\r\n" (as runc and conmon expect). */
  struct termios t;
  if (tcgetattr (s, &t) == 0 && (t.c_oflag & ONLCR))
    {
      t.c_oflag &= ~(tcflag_t) ONLCR;
      if (tcsetattr (s, TCSANOW, &t) < 0)
        {
          int e = errno;
          close (s);
          return al_err (err, e, "`%s`: clear ONLCR on the pty", ptmx);
        }
    }
  *slave = s;
  *master = al_steal_fd (m);
  return 0;
}

int
al_pty_make_controlling (int slave, al_error_t *err)
{
  /* Container processes made their own session already (al_proc_new_session). */
  if (getsid (0) != getpid () && setsid () < 0)
    return al_err (err, errno, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return al_err (err, errno, "making the pty the controlling terminal: TIOCSCTTY");
  for (int target = 0; target <= 2; target++)
    {
      if (slave == target)
        {
          /* dup2 onto itself keeps FD_CLOEXEC: clear it. */
          if (fcntl (slave, F_SETFD, 0) < 0)
            return al_err (err, errno, "pty fd %d: F_SETFD", slave);
          continue;
        }
      if (dup2 (slave, target) < 0)
        return al_err (err, errno, "pty: dup2 onto fd %d", target);
    }
  return 0;
}

int
al_pty_set_size (int fd, unsigned rows, unsigned cols, al_error_t *err)
{
  struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
  if (ioctl (fd, TIOCSWINSZ, &ws) < 0)
    return al_err (err, errno, "setting the terminal size to %ux%u: TIOCSWINSZ", rows, cols);
  return 0;
}
