/* sync.c: parent/child setup messages. */
#include "sync.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

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
al_sync_send_error (int fd, al_error_t err)
{
  return al_sync_send (fd, AL_SYNC_ERROR, err ? err->errnum : 0, err && err->msg ? err->msg : "unknown error");
}

int
al_sync_recv (int fd, struct al_sync_msg *m)
{
  ssize_t r;
  memset (m, 0, offsetof (struct al_sync_msg, msg) + 1);
  do
    r = recv (fd, m, sizeof *m, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -errno;
  if (r == 0)
    return 0;
  if ((size_t) r < offsetof (struct al_sync_msg, msg))
    return -EBADMSG;
  m->msg[sizeof m->msg - 1] = '\0';
  if ((size_t) r == offsetof (struct al_sync_msg, msg))
    m->msg[0] = '\0';
  return m->type;
}
