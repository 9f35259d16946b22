/* ttrpc.h: the ttrpc protocol (containerd's RPC over unix sockets), server
 * and client, on top of the loop of loop.h.
 *
 * A frame is a 10-byte header (data length and stream id, both big-endian
 * uint32, then a type byte: 1 request, 2 response, and a flags byte) and
 * at most TT_MAX_DATA bytes of data: a serialized ttrpc.Request or
 * ttrpc.Response (specs/proto/ttrpc.proto).
 *
 * Server: every request becomes a struct tt_call handed to the handler,
 * which answers it at once or keeps it and answers later (Wait): calls on
 * one connection are answered in any order. A connection that closes in the
 * meantime leaves its pending calls valid: their answers are dropped. A
 * frame longer than TT_MAX_DATA is read and thrown away and its stream is
 * answered ResourceExhausted; a request that does not decode is answered
 * InvalidArgument; frames of other types are skipped. Peers of another uid
 * are refused (SO_PEERCRED). Memory per idle connection: ~100 bytes. */
#ifndef SHIM_TTRPC_H
#define SHIM_TTRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "loop.h"

#define TT_HEADER_LEN 10
#define TT_MAX_DATA (4u << 20)

enum
{
  TT_TYPE_REQUEST = 1,
  TT_TYPE_RESPONSE = 2,
};

/* gRPC status codes. */
enum
{
  TT_OK = 0,
  TT_UNKNOWN = 2,
  TT_INVALID_ARGUMENT = 3,
  TT_DEADLINE_EXCEEDED = 4,
  TT_NOT_FOUND = 5,
  TT_ALREADY_EXISTS = 6,
  TT_RESOURCE_EXHAUSTED = 8,
  TT_FAILED_PRECONDITION = 9,
  TT_UNIMPLEMENTED = 12,
  TT_INTERNAL = 13,
  TT_UNAVAILABLE = 14,
};

struct tt_header
{
  uint32_t length;
  uint32_t stream_id;
  uint8_t type;
  uint8_t flags;
};

void tt_header_encode (const struct tt_header *h, uint8_t out[TT_HEADER_LEN]);
void tt_header_decode (const uint8_t in[TT_HEADER_LEN], struct tt_header *h);

/* Serialize a Response{status{code,message} unless code is 0, payload}.
 * Returns a malloc'ed frame (header included) and its size in *len. */
uint8_t *tt_response_frame (uint32_t stream_id, int code, const char *message, const uint8_t *payload,
                            size_t payload_len, size_t *len);

/* ---------------------------------------------------------------- frames -- */

/* The server's read path without the socket: reassembles frames from a byte
 * stream. tt_framer_want says how many bytes may come next and where they go
 * (*buf NULL: they belong to a frame being thrown away, read them anywhere);
 * tt_framer_got says that n (1..wanted) of them arrived and what completed. */
struct tt_framer
{
  uint8_t hdr[TT_HEADER_LEN];
  size_t hdr_got;
  bool in_data;
  struct tt_header h;
  uint8_t *data;
  size_t data_got;
  size_t skip; /* bytes of an unwanted frame still to throw away */
};

enum tt_frame_kind
{
  TT_FRAME_NONE,      /* nothing completed */
  TT_FRAME_REQUEST,   /* a whole request frame: data (malloc'ed, NULL when empty) is the caller's */
  TT_FRAME_TOO_LARGE, /* a header announced more than TT_MAX_DATA: its data is skipped */
};

struct tt_frame
{
  enum tt_frame_kind kind;
  struct tt_header h;
  uint8_t *data;
};

void tt_framer_clear (struct tt_framer *f);
size_t tt_framer_want (struct tt_framer *f, uint8_t **buf);
void tt_framer_got (struct tt_framer *f, size_t n, struct tt_frame *out);

/* Decode a Response (the client's side): 0, or -EBADMSG when it does not
 * decode. *msg (status message or NULL) and *resp (payload or NULL) are the
 * caller's. */
int tt_response_decode (const uint8_t *data, size_t len, int *code, char **msg, uint8_t **resp, size_t *resp_len);

/* ---------------------------------------------------------------- server -- */

struct tt_conn;
struct tt_server;

struct tt_call
{
  struct tt_conn *conn;
  uint32_t stream_id;
  char *service;
  char *method;
  char *ns; /* metadata containerd-namespace-ttrpc, or NULL */
  uint8_t *payload;
  size_t payload_len;
};

typedef void (*tt_handler_fn) (void *data, struct tt_call *call);

/* Decode a request frame's data (a ttrpc.Request) into a call, NULL when it
 * does not decode. The call has no connection until the server hands it to
 * its handler: answers to such a call are encoded and dropped. */
struct tt_call *tt_call_decode (uint32_t stream_id, const uint8_t *data, size_t len);

/* Serve the listening socket listen_fd (made non-blocking; owned by the
 * server afterwards). Returns NULL with errno set on failure. */
struct tt_server *tt_server_new (struct sl_loop *loop, int listen_fd, tt_handler_fn fn, void *data);
/* Close the listener and every connection (pending calls stay valid). */
void tt_server_free (struct tt_server *s);
size_t tt_server_connections (const struct tt_server *s);

/* Answer a call and free it. */
void tt_reply (struct tt_call *c, const uint8_t *payload, size_t len);
void tt_reply_msg (struct tt_call *c, const ProtobufCMessage *m);
void tt_reply_error (struct tt_call *c, int code, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
/* Free a call without answering (its connection is gone or we shut down). */
void tt_call_free (struct tt_call *c);
/* Is the call's connection still open? */
bool tt_call_connected (const struct tt_call *c);

/* ---------------------------------------------------------------- client -- */

struct tt_client;

/* Connect to a unix socket path ("unix://" prefix accepted). 0 or -errno. */
int tt_client_connect (const char *address, struct tt_client **out);
void tt_client_free (struct tt_client *c);
/* One call, waiting up to timeout_ms for its answer. Returns 0 when the
 * exchange happened (then *code is the status, *msg its message or NULL,
 * *resp the payload: caller frees both), -errno when the connection failed
 * (the client is then unusable). */
int tt_client_call (struct tt_client *c, const char *service, const char *method, const uint8_t *req,
                    size_t req_len, int timeout_ms, int *code, char **msg, uint8_t **resp, size_t *resp_len);

#endif
