/* fuzz_shim.h: the shim's Task dispatcher (shim/task.c) with no containers
 * and no loop, for the ttrpc and task harnesses. Every method then answers
 * from its request alone (NotFound, Connect, Shutdown...): its answer is
 * encoded and dropped (the call has no connection). Create is the exception:
 * it would mount and fork, so only its request is decoded, with what the
 * dispatcher would parse out of the requests that need a container (the
 * process spec of Exec, the resources of Update). */
#ifndef AIRLOCK_FUZZ_SHIM_H
#define AIRLOCK_FUZZ_SHIM_H

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "spec.h"
#include "task.h"
#include "ttrpc.h"

#include "containerd/task/v2/shim.pb-c.h"

static struct sh_task *fuzz_task;

static void
fuzz_parse_any (const Google__Protobuf__Any *any, bool resources)
{
  if (any == NULL)
    return;
  _cleanup_error_ al_error_t err = NULL;
  if (resources)
    {
      struct oci_resources *res = NULL;
      if (oci_resources_parse ("resources", (const char *) any->value.data, any->value.len, &res, &err) == 0)
        oci_resources_free (res);
    }
  else
    {
      struct oci_process *p = NULL;
      if (oci_process_parse ("exec spec", (const char *) any->value.data, any->value.len, &p, &err) == 0)
        oci_process_free (p);
    }
}

/* Takes the call. */
static void
fuzz_task_handle (struct tt_call *call)
{
  if (fuzz_task == NULL)
    fuzz_task = sh_task_new (NULL, NULL, "/nonexistent/airlock-fuzz", "fuzz");
  if (strcmp (call->method, "Create") == 0)
    {
      Containerd__Task__V2__CreateTaskRequest *req
          = containerd__task__v2__create_task_request__unpack (NULL, call->payload_len, call->payload);
      if (req)
        containerd__task__v2__create_task_request__free_unpacked (req, NULL);
      tt_call_free (call);
      return;
    }
  if (strcmp (call->method, "Exec") == 0)
    {
      Containerd__Task__V2__ExecProcessRequest *req
          = containerd__task__v2__exec_process_request__unpack (NULL, call->payload_len, call->payload);
      if (req)
        {
          fuzz_parse_any (req->spec, false);
          containerd__task__v2__exec_process_request__free_unpacked (req, NULL);
        }
    }
  else if (strcmp (call->method, "Update") == 0)
    {
      Containerd__Task__V2__UpdateTaskRequest *req
          = containerd__task__v2__update_task_request__unpack (NULL, call->payload_len, call->payload);
      if (req)
        {
          fuzz_parse_any (req->resources, true);
          containerd__task__v2__update_task_request__free_unpacked (req, NULL);
        }
    }
  sh_task_handle (fuzz_task, call);
}

#endif
