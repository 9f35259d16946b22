/* fuzz_ttrpc.c: the shim's ttrpc server read path (shim/ttrpc.c) on a byte
 * stream: frames reassembled by the framer in pieces of every size, request
 * frames decoded into calls (protobuf-c) and handed to the Task dispatcher
 * (fuzz_shim.h); oversized frames answered as the server does. The same
 * bytes also go through the client's response decoding. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_shim.h"
#include "ttrpc.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct tt_framer fr;
  memset (&fr, 0, sizeof fr);
  size_t off = 0;
  /* The piece size cycles so that headers and data arrive split too. */
  size_t step = 1;
  while (off < size)
    {
      uint8_t *buf;
      size_t want = tt_framer_want (&fr, &buf);
      if (want == 0)
        abort ();
      size_t n = want < size - off ? want : size - off;
      if (n > step)
        n = step;
      step = step * 7 % 4099 + 1;
      if (buf)
        memcpy (buf, data + off, n);
      off += n;
      struct tt_frame f;
      tt_framer_got (&fr, n, &f);
      if (f.kind == TT_FRAME_TOO_LARGE)
        {
          size_t len;
          free (tt_response_frame (f.h.stream_id, TT_RESOURCE_EXHAUSTED, "too large", NULL, 0, &len));
        }
      else if (f.kind == TT_FRAME_REQUEST)
        {
          struct tt_call *call = tt_call_decode (f.h.stream_id, f.data, f.h.length);
          free (f.data);
          if (call)
            fuzz_task_handle (call);
        }
    }
  tt_framer_clear (&fr);

  int code;
  char *msg;
  uint8_t *resp;
  size_t resp_len;
  if (tt_response_decode (data, size, &code, &msg, &resp, &resp_len) == 0)
    {
      free (msg);
      free (resp);
    }
  return 0;
}
