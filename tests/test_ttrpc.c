/* test_ttrpc.c: the shim's ttrpc framing and server (shim/ttrpc.c). The
 * server runs in this thread: the tests step its loop between their own
 * socket reads and writes. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "loop.h"
#include "ttrpc.h"
#include "ttrpc.pb-c.h"

struct fixture
{
  struct sl_loop loop;
  struct tt_server *srv;
  char dir[64];
  char path[128];
  struct tt_call *held; /* a deferred "Wait" */
};

static void
handler (void *data, struct tt_call *call)
{
  struct fixture *f = data;
  if (strcmp (call->service, "test.Svc") != 0)
    {
      tt_reply_error (call, TT_UNIMPLEMENTED, "%s: not implemented", call->service);
      return;
    }
  if (strcmp (call->method, "Wait") == 0)
    {
      f->held = call;
      return;
    }
  if (strcmp (call->method, "Echo") == 0)
    {
      tt_reply (call, call->payload, call->payload_len);
      return;
    }
  tt_reply_error (call, TT_UNIMPLEMENTED, "%s: not implemented", call->method);
}

static int
setup (void **state)
{
  struct fixture *f = calloc (1, sizeof *f);
  strcpy (f->dir, "/tmp/test_ttrpc.XXXXXX");
  assert_non_null (mkdtemp (f->dir));
  snprintf (f->path, sizeof f->path, "%s/s", f->dir);
  assert_int_equal (sl_loop_init (&f->loop), 0);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  strcpy (sa.sun_path, f->path);
  assert_int_equal (bind (fd, (struct sockaddr *) &sa, sizeof sa), 0);
  assert_int_equal (listen (fd, 8), 0);
  f->srv = tt_server_new (&f->loop, fd, handler, f);
  assert_non_null (f->srv);
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  if (f->held)
    tt_call_free (f->held);
  tt_server_free (f->srv);
  sl_loop_close (&f->loop);
  unlink (f->path);
  rmdir (f->dir);
  free (f);
  return 0;
}

static void
spin (struct fixture *f)
{
  while (sl_loop_run_once (&f->loop, 20) > 0)
    ;
}

static int
dial (struct fixture *f)
{
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  strcpy (sa.sun_path, f->path);
  assert_int_equal (connect (fd, (struct sockaddr *) &sa, sizeof sa), 0);
  spin (f);
  return fd;
}

/* Write everything, stepping the server while the socket is full. */
static void
put (struct fixture *f, int fd, const void *buf, size_t len)
{
  const uint8_t *p = buf;
  while (len)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0)
        {
          assert_true (errno == EAGAIN);
          sl_loop_run_once (&f->loop, 20);
          continue;
        }
      p += n;
      len -= (size_t) n;
    }
  spin (f);
}

static void
send_request (struct fixture *f, int fd, uint32_t stream, const char *service, const char *method, const char *payload)
{
  Ttrpc__Request r = TTRPC__REQUEST__INIT;
  r.service = (char *) service;
  r.method = (char *) method;
  r.payload.data = (uint8_t *) payload;
  r.payload.len = payload ? strlen (payload) : 0;
  size_t n = ttrpc__request__get_packed_size (&r);
  uint8_t *buf = malloc (TT_HEADER_LEN + n);
  struct tt_header h = { .length = (uint32_t) n, .stream_id = stream, .type = TT_TYPE_REQUEST };
  tt_header_encode (&h, buf);
  ttrpc__request__pack (&r, buf + TT_HEADER_LEN);
  put (f, fd, buf, TT_HEADER_LEN + n);
  free (buf);
}

static void
get (struct fixture *f, int fd, void *buf, size_t len)
{
  uint8_t *p = buf;
  for (int tries = 0; len && tries < 500; tries++)
    {
      ssize_t n = recv (fd, p, len, 0);
      if (n > 0)
        {
          p += n;
          len -= (size_t) n;
          continue;
        }
      assert_true (n < 0 && errno == EAGAIN);
      sl_loop_run_once (&f->loop, 10);
    }
  assert_int_equal (len, 0);
}

/* Read one response: its stream, status code, payload (malloc'ed). */
static void
read_response (struct fixture *f, int fd, uint32_t *stream, int *code, char **payload)
{
  uint8_t hb[TT_HEADER_LEN];
  struct tt_header h;
  get (f, fd, hb, sizeof hb);
  tt_header_decode (hb, &h);
  assert_int_equal (h.type, TT_TYPE_RESPONSE);
  uint8_t *data = malloc (h.length + 1);
  get (f, fd, data, h.length);
  Ttrpc__Response *r = ttrpc__response__unpack (NULL, h.length, data);
  assert_non_null (r);
  *stream = h.stream_id;
  *code = r->status ? r->status->code : 0;
  if (payload)
    {
      *payload = calloc (1, r->payload.len + 1);
      memcpy (*payload, r->payload.data, r->payload.len);
    }
  ttrpc__response__free_unpacked (r, NULL);
  free (data);
}

static void
test_header_roundtrip (void **state)
{
  (void) state;
  struct tt_header h = { .length = 0x01020304, .stream_id = 0xA0B0C0D1, .type = 2, .flags = 7 }, d;
  uint8_t b[TT_HEADER_LEN];
  tt_header_encode (&h, b);
  const uint8_t want[TT_HEADER_LEN] = { 1, 2, 3, 4, 0xA0, 0xB0, 0xC0, 0xD1, 2, 7 };
  assert_memory_equal (b, want, sizeof want);
  tt_header_decode (b, &d);
  assert_int_equal (d.length, h.length);
  assert_int_equal (d.stream_id, h.stream_id);
  assert_int_equal (d.type, 2);
  assert_int_equal (d.flags, 7);
}

static void
test_response_frame (void **state)
{
  (void) state;
  size_t len;
  uint8_t *f = tt_response_frame (5, TT_NOT_FOUND, "gone", NULL, 0, &len);
  struct tt_header h;
  tt_header_decode (f, &h);
  assert_int_equal (h.stream_id, 5);
  assert_int_equal (h.length, len - TT_HEADER_LEN);
  Ttrpc__Response *r = ttrpc__response__unpack (NULL, h.length, f + TT_HEADER_LEN);
  assert_non_null (r);
  assert_int_equal (r->status->code, TT_NOT_FOUND);
  assert_string_equal (r->status->message, "gone");
  ttrpc__response__free_unpacked (r, NULL);
  free (f);
}

static void
test_echo (void **state)
{
  struct fixture *f = *state;
  int fd = dial (f);
  send_request (f, fd, 1, "test.Svc", "Echo", "hello");
  uint32_t stream;
  int code;
  char *payload;
  read_response (f, fd, &stream, &code, &payload);
  assert_int_equal (stream, 1);
  assert_int_equal (code, 0);
  assert_string_equal (payload, "hello");
  free (payload);
  close (fd);
}

static void
test_unknown_method (void **state)
{
  struct fixture *f = *state;
  int fd = dial (f);
  send_request (f, fd, 1, "test.Svc", "Nope", NULL);
  send_request (f, fd, 3, "other.Svc", "Echo", NULL);
  uint32_t stream;
  int code;
  read_response (f, fd, &stream, &code, NULL);
  assert_int_equal (stream, 1);
  assert_int_equal (code, TT_UNIMPLEMENTED);
  read_response (f, fd, &stream, &code, NULL);
  assert_int_equal (stream, 3);
  assert_int_equal (code, TT_UNIMPLEMENTED);
  close (fd);
}

static void
test_malformed (void **state)
{
  struct fixture *f = *state;
  int fd = dial (f);
  /* A request frame whose data is not a Request message. */
  uint8_t frame[TT_HEADER_LEN + 4];
  struct tt_header h = { .length = 4, .stream_id = 7, .type = TT_TYPE_REQUEST };
  tt_header_encode (&h, frame);
  memcpy (frame + TT_HEADER_LEN, "\xff\xff\xff\xff", 4);
  put (f, fd, frame, sizeof frame);
  uint32_t stream;
  int code;
  read_response (f, fd, &stream, &code, NULL);
  assert_int_equal (stream, 7);
  assert_int_equal (code, TT_INVALID_ARGUMENT);
  /* A frame of an unknown type is skipped; the connection still works. */
  struct tt_header junk = { .length = 3, .stream_id = 9, .type = 0x7f };
  tt_header_encode (&junk, frame);
  memcpy (frame + TT_HEADER_LEN, "abc", 3);
  put (f, fd, frame, TT_HEADER_LEN + 3);
  send_request (f, fd, 11, "test.Svc", "Echo", "still");
  char *payload;
  read_response (f, fd, &stream, &code, &payload);
  assert_int_equal (stream, 11);
  assert_string_equal (payload, "still");
  free (payload);
  close (fd);
  /* A connection cut inside a header leaves the server serving. */
  fd = dial (f);
  put (f, fd, frame, 5);
  close (fd);
  spin (f);
  fd = dial (f);
  send_request (f, fd, 1, "test.Svc", "Echo", "ok");
  read_response (f, fd, &stream, &code, &payload);
  assert_string_equal (payload, "ok");
  free (payload);
  close (fd);
}

static void
test_oversized (void **state)
{
  struct fixture *f = *state;
  int fd = dial (f);
  size_t big = TT_MAX_DATA + 1;
  uint8_t *frame = calloc (1, TT_HEADER_LEN + big);
  struct tt_header h = { .length = (uint32_t) big, .stream_id = 1, .type = TT_TYPE_REQUEST };
  tt_header_encode (&h, frame);
  put (f, fd, frame, TT_HEADER_LEN + big);
  free (frame);
  uint32_t stream;
  int code;
  read_response (f, fd, &stream, &code, NULL);
  assert_int_equal (stream, 1);
  assert_int_equal (code, TT_RESOURCE_EXHAUSTED);
  send_request (f, fd, 3, "test.Svc", "Echo", "after");
  char *payload;
  read_response (f, fd, &stream, &code, &payload);
  assert_int_equal (stream, 3);
  assert_string_equal (payload, "after");
  free (payload);
  close (fd);
}

static void
test_out_of_order (void **state)
{
  struct fixture *f = *state;
  int fd = dial (f);
  send_request (f, fd, 1, "test.Svc", "Wait", NULL);
  assert_non_null (f->held);
  send_request (f, fd, 3, "test.Svc", "Echo", "first");
  uint32_t stream;
  int code;
  char *payload;
  read_response (f, fd, &stream, &code, &payload);
  assert_int_equal (stream, 3);
  assert_string_equal (payload, "first");
  free (payload);
  struct tt_call *w = f->held;
  f->held = NULL;
  tt_reply (w, (const uint8_t *) "done", 4);
  read_response (f, fd, &stream, &code, &payload);
  assert_int_equal (stream, 1);
  assert_string_equal (payload, "done");
  free (payload);
  close (fd);
}

static void
test_reply_after_disconnect (void **state)
{
  struct fixture *f = *state;
  int fd = dial (f);
  send_request (f, fd, 1, "test.Svc", "Wait", NULL);
  assert_non_null (f->held);
  close (fd);
  spin (f);
  assert_false (tt_call_connected (f->held));
  assert_int_equal (tt_server_connections (f->srv), 0);
  struct tt_call *w = f->held;
  f->held = NULL;
  tt_reply (w, NULL, 0); /* dropped, no crash */
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_header_roundtrip),
    cmocka_unit_test (test_response_frame),
    cmocka_unit_test_setup_teardown (test_echo, setup, teardown),
    cmocka_unit_test_setup_teardown (test_unknown_method, setup, teardown),
    cmocka_unit_test_setup_teardown (test_malformed, setup, teardown),
    cmocka_unit_test_setup_teardown (test_oversized, setup, teardown),
    cmocka_unit_test_setup_teardown (test_out_of_order, setup, teardown),
    cmocka_unit_test_setup_teardown (test_reply_after_disconnect, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
