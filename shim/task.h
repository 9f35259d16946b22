/* task.h: the containerd.task.v2.Task service: the containers of one pod
 * (one shim serves a whole pod), their init and exec'd processes, stdio,
 * exits and events.
 *
 * Containers live in libairlock's state root <root> (main.c uses
 * /run/airlock-shim/<namespace>); rootfs mounts from Create go on
 * <bundle>/rootfs and are undone on Delete. */
#ifndef SHIM_TASK_H
#define SHIM_TASK_H

#include <stdbool.h>

#include "events.h"
#include "loop.h"
#include "ttrpc.h"

#define SH_TASK_SERVICE "containerd.task.v2.Task"
/* containerd 2.x's task API: the same messages under the v3 package. */
#define SH_TASK_SERVICE_V3 "containerd.task.v3.Task"

struct sh_task;

struct sh_task *sh_task_new (struct sl_loop *loop, struct sh_events *ev, const char *root, const char *ns);
/* Kill and forget what is left, answer pending Waits with Unavailable. */
void sh_task_free (struct sh_task *t);
/* The ttrpc handler (tt_handler_fn). */
void sh_task_handle (void *t, struct tt_call *call);
/* SIGCHLD: collect exits of our processes and reap any other child. */
void sh_task_reap (struct sh_task *t);
/* Shutdown was asked for and no container is left. */
bool sh_task_done (const struct sh_task *t);
size_t sh_task_count (const struct sh_task *t);

#endif
