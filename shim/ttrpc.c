/* ttrpc.c: see ttrpc.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ttrpc.h"
#include "ttrpc.pb-c.h"

#define NS_KEY "containerd-namespace-ttrpc"

void
tt_header_encode (const struct tt_header *h, uint8_t out[TT_HEADER_LEN])
{
  out[0] = (uint8_t) (h->length >> 24);
  out[1] = (uint8_t) (h->length >> 16);
  out[2] = (uint8_t) (h->length >> 8);
  out[3] = (uint8_t) h->length;
  out[4] = (uint8_t) (h->stream_id >> 24);
  out[5] = (uint8_t) (h->stream_id >> 16);
  out[6] = (uint8_t) (h->stream_id >> 8);
  out[7] = (uint8_t) h->stream_id;
  out[8] = h->type;
  out[9] = h->flags;
}

void
tt_header_decode (const uint8_t in[TT_HEADER_LEN], struct tt_header *h)
{
  h->length = (uint32_t) in[0] << 24 | (uint32_t) in[1] << 16 | (uint32_t) in[2] << 8 | in[3];
  h->stream_id = (uint32_t) in[4] << 24 | (uint32_t) in[5] << 16 | (uint32_t) in[6] << 8 | in[7];
  h->type = in[8];
  h->flags = in[9];
}

static uint8_t *
frame_of_message (uint32_t stream_id, uint8_t type, const ProtobufCMessage *m, size_t *len)
{
  size_t n = protobuf_c_message_get_packed_size (m);
  uint8_t *buf = malloc (TT_HEADER_LEN + n);
  if (buf == NULL)
    abort ();
  struct tt_header h = { .length = (uint32_t) n, .stream_id = stream_id, .type = type };
  tt_header_encode (&h, buf);
  protobuf_c_message_pack (m, buf + TT_HEADER_LEN);
  *len = TT_HEADER_LEN + n;
  return buf;
}

uint8_t *
tt_response_frame (uint32_t stream_id, int code, const char *message, const uint8_t *payload, size_t payload_len,
                   size_t *len)
{
  Ttrpc__Response resp = TTRPC__RESPONSE__INIT;
  Ttrpc__Status st = TTRPC__STATUS__INIT;
  if (code != TT_OK)
    {
      st.code = code;
      st.message = (char *) (message ? message : "");
      resp.status = &st;
    }
  resp.payload.data = (uint8_t *) payload;
  resp.payload.len = payload ? payload_len : 0;
  return frame_of_message (stream_id, TT_TYPE_RESPONSE, &resp.base, len);
}

/* ---------------------------------------------------------------- frames -- */

void
tt_framer_clear (struct tt_framer *f)
{
  free (f->data);
  memset (f, 0, sizeof *f);
}

size_t
tt_framer_want (struct tt_framer *f, uint8_t **buf)
{
  if (f->skip)
    {
      *buf = NULL;
      return f->skip;
    }
  if (!f->in_data)
    {
      *buf = f->hdr + f->hdr_got;
      return TT_HEADER_LEN - f->hdr_got;
    }
  *buf = f->data + f->data_got;
  return f->h.length - f->data_got;
}

void
tt_framer_got (struct tt_framer *f, size_t n, struct tt_frame *out)
{
  memset (out, 0, sizeof *out);
  if (f->skip)
    {
      f->skip -= n < f->skip ? n : f->skip;
      return;
    }
  if (f->in_data)
    {
      if ((f->data_got += n) < f->h.length)
        return;
      out->kind = TT_FRAME_REQUEST;
      out->h = f->h;
      out->data = f->data;
      f->data = NULL;
      f->in_data = false;
      return;
    }
  if ((f->hdr_got += n) < TT_HEADER_LEN)
    return;
  f->hdr_got = 0;
  tt_header_decode (f->hdr, &f->h);
  out->h = f->h;
  if (f->h.length > TT_MAX_DATA)
    {
      f->skip = f->h.length;
      out->kind = TT_FRAME_TOO_LARGE;
    }
  else if (f->h.type != TT_TYPE_REQUEST)
    f->skip = f->h.length;
  else if (f->h.length == 0)
    out->kind = TT_FRAME_REQUEST;
  else
    {
      f->data = malloc (f->h.length);
      if (f->data == NULL)
        abort ();
      f->data_got = 0;
      f->in_data = true;
    }
}

int
tt_response_decode (const uint8_t *data, size_t len, int *code, char **msg, uint8_t **resp, size_t *resp_len)
{
  *code = TT_UNKNOWN;
  *msg = NULL;
  *resp = NULL;
  *resp_len = 0;
  Ttrpc__Response *rp = ttrpc__response__unpack (NULL, len, data);
  if (rp == NULL)
    return -EBADMSG;
  *code = rp->status ? rp->status->code : TT_OK;
  if (rp->status && rp->status->message)
    *msg = strdup (rp->status->message);
  if (rp->payload.len)
    {
      *resp = malloc (rp->payload.len);
      if (*resp == NULL)
        abort ();
      memcpy (*resp, rp->payload.data, rp->payload.len);
      *resp_len = rp->payload.len;
    }
  ttrpc__response__free_unpacked (rp, NULL);
  return 0;
}

/* ---------------------------------------------------------------- server -- */

struct tt_out
{
  struct tt_out *next;
  size_t len, off;
  uint8_t *data;
};

struct tt_conn
{
  struct sl_watch w;
  struct tt_server *srv;
  struct tt_conn *prev, *next;
  unsigned refs; /* the server's while open, one per pending call */
  bool open;
  struct tt_framer fr;
  struct tt_out *out_head, *out_tail;
  bool want_out;
};

struct tt_server
{
  struct sl_watch w;
  struct sl_loop *loop;
  tt_handler_fn fn;
  void *data;
  struct tt_conn *conns;
  size_t n_conns;
};

static void
conn_unref (struct tt_conn *c)
{
  if (c == NULL || --c->refs > 0)
    return;
  tt_framer_clear (&c->fr);
  while (c->out_head)
    {
      struct tt_out *o = c->out_head;
      c->out_head = o->next;
      free (o->data);
      free (o);
    }
  free (c);
}

static void
conn_close (struct tt_conn *c)
{
  if (!c->open)
    return;
  c->open = false;
  sl_watch_del (c->srv->loop, &c->w);
  close (c->w.fd);
  c->w.fd = -1;
  if (c->prev)
    c->prev->next = c->next;
  else
    c->srv->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
  c->srv->n_conns--;
  conn_unref (c);
}

static void
conn_update_events (struct tt_conn *c)
{
  bool want = c->out_head != NULL;
  if (want == c->want_out)
    return;
  c->want_out = want;
  sl_watch_mod (c->srv->loop, &c->w, EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0));
}

/* Write what we can; false when the connection broke (and is closed). */
static bool
conn_flush (struct tt_conn *c)
{
  while (c->out_head)
    {
      struct tt_out *o = c->out_head;
      ssize_t n = send (c->w.fd, o->data + o->off, o->len - o->off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          if (errno == EAGAIN)
            break;
          conn_close (c);
          return false;
        }
      o->off += (size_t) n;
      if (o->off < o->len)
        continue;
      c->out_head = o->next;
      if (c->out_head == NULL)
        c->out_tail = NULL;
      free (o->data);
      free (o);
    }
  conn_update_events (c);
  return true;
}

static void
conn_send (struct tt_conn *c, uint8_t *frame, size_t len)
{
  if (c == NULL || !c->open)
    {
      free (frame);
      return;
    }
  struct tt_out *o = calloc (1, sizeof *o);
  if (o == NULL)
    abort ();
  o->data = frame;
  o->len = len;
  if (c->out_tail)
    c->out_tail->next = o;
  else
    c->out_head = o;
  c->out_tail = o;
  conn_flush (c);
}

static void
send_status (struct tt_conn *c, uint32_t stream, int code, const char *msg)
{
  size_t len;
  uint8_t *f = tt_response_frame (stream, code, msg, NULL, 0, &len);
  conn_send (c, f, len);
}

struct tt_call *
tt_call_decode (uint32_t stream_id, const uint8_t *data, size_t len)
{
  Ttrpc__Request *req = ttrpc__request__unpack (NULL, len, data);
  if (req == NULL)
    return NULL;
  struct tt_call *call = calloc (1, sizeof *call);
  if (call == NULL)
    abort ();
  call->stream_id = stream_id;
  call->service = strdup (req->service);
  call->method = strdup (req->method);
  for (size_t i = 0; i < req->n_metadata; i++)
    if (req->metadata[i]->key && strcmp (req->metadata[i]->key, NS_KEY) == 0 && call->ns == NULL)
      call->ns = strdup (req->metadata[i]->value);
  call->payload_len = req->payload.len;
  call->payload = malloc (req->payload.len + 1);
  if (call->service == NULL || call->method == NULL || call->payload == NULL)
    abort ();
  if (req->payload.len)
    memcpy (call->payload, req->payload.data, req->payload.len);
  ttrpc__request__free_unpacked (req, NULL);
  return call;
}

static void
dispatch (struct tt_conn *c, uint32_t stream, uint8_t *data, size_t len)
{
  struct tt_call *call = tt_call_decode (stream, data, len);
  free (data);
  if (call == NULL)
    {
      send_status (c, stream, TT_INVALID_ARGUMENT, "ttrpc: malformed request");
      return;
    }
  call->conn = c;
  c->refs++;
  c->srv->fn (c->srv->data, call);
}

/* Read what is there; returns false when the connection is closed. */
static bool
conn_read (struct tt_conn *c)
{
  for (;;)
    {
      uint8_t junk[512];
      uint8_t *buf;
      size_t want = tt_framer_want (&c->fr, &buf);
      if (buf == NULL)
        {
          buf = junk;
          if (want > sizeof junk)
            want = sizeof junk;
        }
      ssize_t n = recv (c->w.fd, buf, want, MSG_DONTWAIT);
      if (n > 0)
        {
          struct tt_frame f;
          tt_framer_got (&c->fr, (size_t) n, &f);
          if (f.kind == TT_FRAME_TOO_LARGE && f.h.type == TT_TYPE_REQUEST)
            {
              char msg[96];
              snprintf (msg, sizeof msg, "ttrpc: message of %u bytes exceeds the limit of %u", f.h.length,
                        TT_MAX_DATA);
              send_status (c, f.h.stream_id, TT_RESOURCE_EXHAUSTED, msg);
            }
          else if (f.kind == TT_FRAME_REQUEST)
            dispatch (c, f.h.stream_id, f.data, f.h.length);
          if (!c->open)
            return false;
          continue;
        }
      if (n == 0)
        {
          conn_close (c);
          return false;
        }
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN)
        return true;
      conn_close (c);
      return false;
    }
}

static void
conn_event (struct sl_watch *w, uint32_t events)
{
  struct tt_conn *c = w->data;
  c->refs++; /* keep it while we work on it */
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
    conn_read (c);
  if (c->open && (events & EPOLLOUT))
    conn_flush (c);
  conn_unref (c);
}

static void
accept_event (struct sl_watch *w, uint32_t events)
{
  (void) events;
  struct tt_server *s = w->data;
  for (;;)
    {
      int fd = accept4 (s->w.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0)
        return;
      struct ucred cred;
      socklen_t cl = sizeof cred;
      if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || cred.uid != getuid ())
        {
          close (fd);
          continue;
        }
      struct tt_conn *c = calloc (1, sizeof *c);
      if (c == NULL)
        abort ();
      c->w.fd = fd;
      c->w.cb = conn_event;
      c->w.data = c;
      c->srv = s;
      c->refs = 1;
      c->open = true;
      if (sl_watch_add (s->loop, &c->w, EPOLLIN | EPOLLRDHUP) < 0)
        {
          close (fd);
          free (c);
          continue;
        }
      c->next = s->conns;
      if (s->conns)
        s->conns->prev = c;
      s->conns = c;
      s->n_conns++;
    }
}

struct tt_server *
tt_server_new (struct sl_loop *loop, int listen_fd, tt_handler_fn fn, void *data)
{
  struct tt_server *s = calloc (1, sizeof *s);
  if (s == NULL)
    return NULL;
  int fl = fcntl (listen_fd, F_GETFL);
  fcntl (listen_fd, F_SETFL, fl | O_NONBLOCK);
  fcntl (listen_fd, F_SETFD, FD_CLOEXEC);
  s->w.fd = listen_fd;
  s->w.cb = accept_event;
  s->w.data = s;
  s->loop = loop;
  s->fn = fn;
  s->data = data;
  int r = sl_watch_add (loop, &s->w, EPOLLIN);
  if (r < 0)
    {
      free (s);
      errno = -r;
      return NULL;
    }
  return s;
}

void
tt_server_free (struct tt_server *s)
{
  if (s == NULL)
    return;
  while (s->conns)
    conn_close (s->conns);
  sl_watch_del (s->loop, &s->w);
  close (s->w.fd);
  free (s);
}

size_t
tt_server_connections (const struct tt_server *s)
{
  return s->n_conns;
}

void
tt_call_free (struct tt_call *c)
{
  if (c == NULL)
    return;
  conn_unref (c->conn);
  free (c->service);
  free (c->method);
  free (c->ns);
  free (c->payload);
  free (c);
}

bool
tt_call_connected (const struct tt_call *c)
{
  return c->conn != NULL && c->conn->open;
}

void
tt_reply (struct tt_call *c, const uint8_t *payload, size_t len)
{
  size_t flen;
  uint8_t *f = tt_response_frame (c->stream_id, TT_OK, NULL, payload, len, &flen);
  conn_send (c->conn, f, flen);
  tt_call_free (c);
}

void
tt_reply_msg (struct tt_call *c, const ProtobufCMessage *m)
{
  size_t n = protobuf_c_message_get_packed_size (m);
  uint8_t *buf = malloc (n + 1);
  if (buf == NULL)
    abort ();
  protobuf_c_message_pack (m, buf);
  tt_reply (c, buf, n);
  free (buf);
}

void
tt_reply_error (struct tt_call *c, int code, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  send_status (c->conn, c->stream_id, code, msg ? msg : "error");
  free (msg);
  tt_call_free (c);
}

/* ---------------------------------------------------------------- client -- */

struct tt_client
{
  int fd;
  uint32_t next_stream;
};

int
tt_client_connect (const char *address, struct tt_client **out)
{
  if (strncmp (address, "unix://", 7) == 0)
    address += 7;
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  size_t n = strlen (address);
  if (n == 0 || n >= sizeof sa.sun_path)
    return -ENAMETOOLONG;
  memcpy (sa.sun_path, address, n);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      int e = errno;
      close (fd);
      return -e;
    }
  struct tt_client *c = calloc (1, sizeof *c);
  if (c == NULL)
    abort ();
  c->fd = fd;
  c->next_stream = 1;
  *out = c;
  return 0;
}

void
tt_client_free (struct tt_client *c)
{
  if (c == NULL)
    return;
  close (c->fd);
  free (c);
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly len bytes before the deadline. */
static int
read_full (int fd, uint8_t *buf, size_t len, int64_t deadline)
{
  size_t got = 0;
  while (got < len)
    {
      int64_t left = deadline - now_ms ();
      if (left <= 0)
        return -ETIMEDOUT;
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int r = poll (&p, 1, (int) left);
      if (r < 0 && errno != EINTR)
        return -errno;
      if (r <= 0)
        continue;
      ssize_t n = recv (fd, buf + got, len - got, MSG_DONTWAIT);
      if (n == 0)
        return -ECONNRESET;
      if (n < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          return -errno;
        }
      got += (size_t) n;
    }
  return 0;
}

int
tt_client_call (struct tt_client *c, const char *service, const char *method, const uint8_t *req, size_t req_len,
                int timeout_ms, int *code, char **msg, uint8_t **resp, size_t *resp_len)
{
  *code = TT_UNKNOWN;
  *msg = NULL;
  *resp = NULL;
  *resp_len = 0;
  Ttrpc__Request r = TTRPC__REQUEST__INIT;
  r.service = (char *) service;
  r.method = (char *) method;
  r.payload.data = (uint8_t *) req;
  r.payload.len = req_len;
  r.timeout_nano = (int64_t) timeout_ms * 1000000;
  uint32_t stream = c->next_stream;
  c->next_stream += 2;
  size_t flen;
  uint8_t *frame = frame_of_message (stream, TT_TYPE_REQUEST, &r.base, &flen);
  int64_t deadline = now_ms () + timeout_ms;
  size_t off = 0;
  while (off < flen)
    {
      struct pollfd p = { .fd = c->fd, .events = POLLOUT };
      int64_t left = deadline - now_ms ();
      if (left <= 0 || poll (&p, 1, (int) left) == 0)
        {
          free (frame);
          return -ETIMEDOUT;
        }
      ssize_t n = send (c->fd, frame + off, flen - off, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno != EINTR && errno != EAGAIN)
        {
          int e = errno;
          free (frame);
          return -e;
        }
      if (n > 0)
        off += (size_t) n;
    }
  free (frame);
  for (;;)
    {
      uint8_t hb[TT_HEADER_LEN];
      struct tt_header h;
      int e = read_full (c->fd, hb, sizeof hb, deadline);
      if (e < 0)
        return e;
      tt_header_decode (hb, &h);
      if (h.length > TT_MAX_DATA)
        return -EMSGSIZE;
      uint8_t *data = malloc (h.length + 1);
      if (data == NULL)
        abort ();
      e = read_full (c->fd, data, h.length, deadline);
      if (e < 0)
        {
          free (data);
          return e;
        }
      if (h.type != TT_TYPE_RESPONSE || h.stream_id != stream)
        {
          free (data);
          continue;
        }
      e = tt_response_decode (data, h.length, code, msg, resp, resp_len);
      free (data);
      return e;
    }
}
