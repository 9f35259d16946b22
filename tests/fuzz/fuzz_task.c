/* fuzz_task.c: the Task service's request decoding (shim/task.c): the first
 * byte picks the method (the v2 or v3 service), the rest is the request
 * payload, handed to the dispatcher as a decoded ttrpc call would be
 * (fuzz_shim.h). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_shim.h"
#include "util.h"

static const char *const methods[] = {
  "State", "Create", "Start", "Delete", "Pids", "Pause", "Resume", "Kill", "Exec", "ResizePty",
  "CloseIO", "Update", "Wait", "Stats", "Connect", "Shutdown", "Checkpoint", "Nope",
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  size_t nm = sizeof methods / sizeof *methods;
  struct tt_call *call = al_xmalloc0 (sizeof *call);
  call->stream_id = 1;
  call->service = al_xstrdup (data[0] & 0x80 ? SH_TASK_SERVICE_V3 : SH_TASK_SERVICE);
  call->method = al_xstrdup (methods[(data[0] & 0x7f) % nm]);
  call->payload_len = size - 1;
  call->payload = al_xmalloc0 (size);
  memcpy (call->payload, data + 1, size - 1);
  fuzz_task_handle (call);
  return 0;
}
