/* fuzz_console.c: the receive side of fd passing (runtime/lib/terminal.c,
 * al_recv_fd: the console socket's pty master, the seccomp listener from
 * the init): a message of any bytes carrying 0..7 fds (more than the
 * receiver's control buffer holds), with or without the receiver asking for
 * credentials too, over a stream or a seqpacket socket, into payload
 * buffers of several sizes. The receiver must keep at most one fd, leak
 * none, and NUL-terminate what it got.
 *
 * Input: byte 0 = nfds (bits 0-2) | buffer size index (bits 3-5) |
 * SOCK_SEQPACKET (bit 6) | SO_PASSCRED (bit 7); the rest is the payload. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "fuzz.h"
#include "terminal.h"

static int
next_free_fd (void)
{
  int fd = dup (2);
  if (fd < 0)
    abort ();
  close (fd);
  return fd;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const size_t sizes[] = { 0, 1, 2, 3, 16, 64, 256, 4096 };
  if (size < 2)
    return 0;
  int nfds = data[0] & 7;
  size_t plen = sizes[(data[0] >> 3) & 7];
  int type = data[0] & 0x40 ? SOCK_SEQPACKET : SOCK_STREAM;
  bool passcred = data[0] & 0x80;
  data++;
  size--;

  int before = next_free_fd ();
  int sv[2];
  if (socketpair (AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
    abort ();
  if (passcred)
    {
      int one = 1;
      setsockopt (sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    }
  int fds[7];
  for (int i = 0; i < nfds; i++)
    if ((fds[i] = open ("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
      abort ();
  union
  {
    char buf[CMSG_SPACE (sizeof fds)];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct iovec iov = { .iov_base = (void *) data, .iov_len = size };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (nfds)
    {
      msg.msg_control = ctl.buf;
      msg.msg_controllen = CMSG_SPACE (nfds * sizeof (int));
      struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (nfds * sizeof (int));
      memcpy (CMSG_DATA (c), fds, nfds * sizeof (int));
    }
  if (sendmsg (sv[0], &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
    abort (); /* socketpair buffers hold far more than -max_len */
  for (int i = 0; i < nfds; i++)
    close (fds[i]);
  close (sv[0]);

  char *payload = plen ? malloc (plen) : NULL;
  if (plen && payload == NULL)
    abort ();
  _cleanup_error_ al_error_t err = NULL;
  int got = -2;
  int r = al_recv_fd (sv[1], &got, payload, plen, &err);
  if (r < 0)
    {
      if (err == NULL || err->msg == NULL || got != -1)
        abort ();
    }
  else
    {
      if ((nfds == 0) != (got < 0))
        abort ();
      if (plen && memchr (payload, '\0', plen) == NULL)
        abort ();
    }
  if (got >= 0)
    close (got);
  free (payload);
  close (sv[1]);
  /* Every fd that came and was not handed out was closed. */
  if (next_free_fd () != before)
    abort ();
  return 0;
}
