/* sync.c: parent/child setup messages. */
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int
al_sync_send (int fd, int type, int errnum, const char *msg)
{
  struct al_sync_msg m = { .type = type, .errnum = errnum };
  size_t len = offsetof (struct al_sync_msg, msg);
  if (msg)
    {
      snprintf (m.msg, sizeof m.msg, "%s", msg);
      len += strlen (m.msg) + 1;
    }
  ssize_t w;
  do
    w = send (fd, &m, len, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  return w < 0 ? -errno : 0;
}

int
al_sync_send_fd (int sock, int type, int fd)
{
  struct al_sync_msg m = { .type = type };
  long w = al_send_with_fd (sock, &m, offsetof (struct al_sync_msg, msg), fd);
  return w < 0 ? (int) w : 0;
}

int
al_sync_send_error (int fd, al_error_t err)
{
  return al_sync_send (fd, AL_SYNC_ERROR, err ? err->errnum : 0, err && err->msg ? err->msg : "unknown error");
}

int
al_sync_recv (int fd, struct al_sync_msg *m)
{
  ssize_t r;
  memset (m, 0, offsetof (struct al_sync_msg, msg) + 1);
  m->fd = -1;
  struct iovec iov = { .iov_base = m, .iov_len = offsetof (struct al_sync_msg, msg) + sizeof m->msg };
  union
  {
    char buf[CMSG_SPACE (sizeof (int) * 4)];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
  do
    r = recvmsg (fd, &mh, MSG_CMSG_CLOEXEC);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -errno;
  /* The first fd passed is the caller's; any other is closed. */
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        size_t n = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        for (size_t i = 0; i < n; i++)
          {
            int got;
            memcpy (&got, CMSG_DATA (c) + i * sizeof (int), sizeof got);
            if (m->fd < 0)
              m->fd = got;
            else
              close (got);
          }
      }
  if (r == 0 || (size_t) r < offsetof (struct al_sync_msg, msg))
    {
      if (m->fd >= 0)
        close (m->fd);
      m->fd = -1;
      return r == 0 ? 0 : -EBADMSG;
    }
  m->msg[sizeof m->msg - 1] = '\0';
  if ((size_t) r == offsetof (struct al_sync_msg, msg))
    m->msg[0] = '\0';
  return m->type;
}
