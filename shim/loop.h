/* loop.h: the shim's single-threaded epoll loop. A watch is an fd and a
 * callback; one event is dispatched at a time, so a callback may delete any
 * watch (its own included) without stale events reaching freed memory. */
#ifndef SHIM_LOOP_H
#define SHIM_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct sl_watch;
typedef void (*sl_callback) (struct sl_watch *w, uint32_t events);

struct sl_watch
{
  int fd;
  sl_callback cb;
  void *data;
};

struct sl_loop
{
  int epfd;
  bool quit;
  void (*idle) (void *data); /* after every dispatched event (may be NULL) */
  void *idle_data;
};

int sl_loop_init (struct sl_loop *l);
void sl_loop_close (struct sl_loop *l);
/* Register / change / forget w->fd. Return 0 or -errno. */
int sl_watch_add (struct sl_loop *l, struct sl_watch *w, uint32_t events);
int sl_watch_mod (struct sl_loop *l, struct sl_watch *w, uint32_t events);
void sl_watch_del (struct sl_loop *l, struct sl_watch *w);
/* Dispatch at most one event, waiting up to timeout_ms (-1: forever).
 * Returns 1 when an event ran, 0 on timeout, -errno on error. */
int sl_loop_run_once (struct sl_loop *l, int timeout_ms);
/* Dispatch until l->quit is set. */
int sl_loop_run (struct sl_loop *l);

#endif
