/* events.h: task events forwarded to containerd, in order, retried.
 *
 * Events are queued as they happen and sent by sh_events_flush (called
 * after every loop event) with containerd.services.events.ttrpc.v1.Events/
 * Forward over TTRPC_ADDRESS, one at a time, on one kept connection. When
 * containerd cannot be reached the queue stays and a timer retries every
 * second (at most SH_EVENTS_MAX queued: the oldest are dropped beyond). */
#ifndef SHIM_EVENTS_H
#define SHIM_EVENTS_H

#include <protobuf-c/protobuf-c.h>

#include "loop.h"

#define SH_EVENTS_MAX 4096

struct sh_events;

/* address: containerd's ttrpc socket path (NULL: events are dropped). */
struct sh_events *sh_events_new (struct sl_loop *loop, const char *address, const char *ns);
void sh_events_free (struct sh_events *e);
/* Queue an event: topic "/tasks/exit", msg a containerd.events message; the
 * Any's type_url is the message's full name ("containerd.events.TaskExit"). */
void sh_events_publish (struct sh_events *e, const char *topic, const ProtobufCMessage *msg);
void sh_events_flush (struct sh_events *e);
/* Send what is queued, waiting at most timeout_ms in all (before exit). */
void sh_events_drain (struct sh_events *e, int timeout_ms);

#endif
