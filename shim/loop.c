/* loop.c: see loop.h. */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"

int
sl_loop_init (struct sl_loop *l)
{
  l->quit = false;
  l->idle = NULL;
  l->idle_data = NULL;
  l->epfd = epoll_create1 (EPOLL_CLOEXEC);
  return l->epfd < 0 ? -errno : 0;
}

void
sl_loop_close (struct sl_loop *l)
{
  if (l->epfd >= 0)
    close (l->epfd);
  l->epfd = -1;
}

static int
ctl (struct sl_loop *l, int op, struct sl_watch *w, uint32_t events)
{
  struct epoll_event ev = { .events = events, .data.ptr = w };
  return epoll_ctl (l->epfd, op, w->fd, &ev) < 0 ? -errno : 0;
}

int
sl_watch_add (struct sl_loop *l, struct sl_watch *w, uint32_t events)
{
  return ctl (l, EPOLL_CTL_ADD, w, events);
}

int
sl_watch_mod (struct sl_loop *l, struct sl_watch *w, uint32_t events)
{
  return ctl (l, EPOLL_CTL_MOD, w, events);
}

void
sl_watch_del (struct sl_loop *l, struct sl_watch *w)
{
  if (w->fd >= 0)
    epoll_ctl (l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

int
sl_loop_run_once (struct sl_loop *l, int timeout_ms)
{
  struct epoll_event ev;
  int n = epoll_wait (l->epfd, &ev, 1, timeout_ms);
  if (n < 0)
    return errno == EINTR ? 0 : -errno;
  if (n == 0)
    return 0;
  struct sl_watch *w = ev.data.ptr;
  w->cb (w, ev.events);
  if (l->idle)
    l->idle (l->idle_data);
  return 1;
}

int
sl_loop_run (struct sl_loop *l)
{
  while (!l->quit)
    {
      int r = sl_loop_run_once (l, -1);
      if (r < 0)
        return r;
    }
  return 0;
}
