/* events.c: see events.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "shimlog.h"
#include "ttrpc.h"

#include "containerd/services/events/ttrpc/v1/events.pb-c.h"

#define EVENTS_SERVICE "containerd.services.events.ttrpc.v1.Events"

struct ev_item
{
  struct ev_item *next;
  char *topic;
  char *type_url;
  uint8_t *data;
  size_t len;
  struct timespec ts;
};

struct sh_events
{
  struct sl_loop *loop;
  char *address;
  char *ns;
  struct tt_client *client;
  struct ev_item *head, *tail;
  size_t n;
  struct sl_watch timer;
  bool timer_armed;
};

static void
item_free (struct ev_item *it)
{
  free (it->topic);
  free (it->type_url);
  free (it->data);
  free (it);
}

static void
timer_event (struct sl_watch *w, uint32_t events)
{
  (void) events;
  struct sh_events *e = w->data;
  uint64_t ticks;
  if (read (w->fd, &ticks, sizeof ticks) < 0)
    { /* nothing */ }
  e->timer_armed = false;
  sh_events_flush (e);
}

struct sh_events *
sh_events_new (struct sl_loop *loop, const char *address, const char *ns)
{
  struct sh_events *e = calloc (1, sizeof *e);
  if (e == NULL)
    abort ();
  e->loop = loop;
  e->address = address && *address ? strdup (address) : NULL;
  e->ns = strdup (ns ? ns : "default");
  e->timer.fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  e->timer.cb = timer_event;
  e->timer.data = e;
  if (e->timer.fd >= 0)
    sl_watch_add (loop, &e->timer, EPOLLIN);
  return e;
}

void
sh_events_free (struct sh_events *e)
{
  if (e == NULL)
    return;
  while (e->head)
    {
      struct ev_item *it = e->head;
      e->head = it->next;
      item_free (it);
    }
  if (e->timer.fd >= 0)
    {
      sl_watch_del (e->loop, &e->timer);
      close (e->timer.fd);
    }
  tt_client_free (e->client);
  free (e->address);
  free (e->ns);
  free (e);
}

void
sh_events_publish (struct sh_events *e, const char *topic, const ProtobufCMessage *msg)
{
  if (e->address == NULL)
    return;
  struct ev_item *it = calloc (1, sizeof *it);
  if (it == NULL)
    abort ();
  it->topic = strdup (topic);
  it->type_url = strdup (msg->descriptor->name);
  it->len = protobuf_c_message_get_packed_size (msg);
  it->data = malloc (it->len + 1);
  if (it->topic == NULL || it->type_url == NULL || it->data == NULL)
    abort ();
  protobuf_c_message_pack (msg, it->data);
  clock_gettime (CLOCK_REALTIME, &it->ts);
  if (e->tail)
    e->tail->next = it;
  else
    e->head = it;
  e->tail = it;
  if (++e->n > SH_EVENTS_MAX)
    {
      struct ev_item *old = e->head;
      e->head = old->next;
      item_free (old);
      e->n--;
    }
}

/* 0 sent (or refused for good), <0 the connection failed. */
static int
send_one (struct sh_events *e, struct ev_item *it, int timeout_ms)
{
  if (e->client == NULL)
    {
      int r = tt_client_connect (e->address, &e->client);
      if (r < 0)
        return r;
    }
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  ts.seconds = it->ts.tv_sec;
  ts.nanos = (int32_t) it->ts.tv_nsec;
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  any.type_url = it->type_url;
  any.value.data = it->data;
  any.value.len = it->len;
  Containerd__Services__Events__Ttrpc__V1__Envelope env = CONTAINERD__SERVICES__EVENTS__TTRPC__V1__ENVELOPE__INIT;
  env.timestamp = &ts;
  env.namespace_ = e->ns;
  env.topic = it->topic;
  env.event = &any;
  Containerd__Services__Events__Ttrpc__V1__ForwardRequest req
      = CONTAINERD__SERVICES__EVENTS__TTRPC__V1__FORWARD_REQUEST__INIT;
  req.envelope = &env;
  size_t n = protobuf_c_message_get_packed_size (&req.base);
  uint8_t *buf = malloc (n + 1);
  if (buf == NULL)
    abort ();
  protobuf_c_message_pack (&req.base, buf);
  int code;
  char *msg;
  uint8_t *resp;
  size_t resp_len;
  int r = tt_client_call (e->client, EVENTS_SERVICE, "Forward", buf, n, timeout_ms, &code, &msg, &resp, &resp_len);
  free (buf);
  if (r < 0)
    {
      tt_client_free (e->client);
      e->client = NULL;
      return r;
    }
  if (code != TT_OK)
    sh_log ("event %s: containerd answered %d: %s", it->topic, code, msg ? msg : "");
  free (msg);
  free (resp);
  return 0;
}

static void
arm_retry (struct sh_events *e)
{
  if (e->timer_armed || e->timer.fd < 0)
    return;
  struct itimerspec its = { .it_value = { .tv_sec = 1 } };
  timerfd_settime (e->timer.fd, 0, &its, NULL);
  e->timer_armed = true;
}

void
sh_events_flush (struct sh_events *e)
{
  if (e == NULL || e->timer_armed)
    return;
  while (e->head)
    {
      if (send_one (e, e->head, 2000) < 0)
        {
          arm_retry (e);
          return;
        }
      struct ev_item *it = e->head;
      e->head = it->next;
      if (e->head == NULL)
        e->tail = NULL;
      e->n--;
      item_free (it);
    }
}

void
sh_events_drain (struct sh_events *e, int timeout_ms)
{
  struct timespec start, now;
  clock_gettime (CLOCK_MONOTONIC, &start);
  while (e && e->head)
    {
      clock_gettime (CLOCK_MONOTONIC, &now);
      long spent = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
      if (spent >= timeout_ms)
        return;
      if (send_one (e, e->head, (int) (timeout_ms - spent)) < 0)
        {
          usleep (100 * 1000);
          continue;
        }
      struct ev_item *it = e->head;
      e->head = it->next;
      if (e->head == NULL)
        e->tail = NULL;
      e->n--;
      item_free (it);
    }
}
