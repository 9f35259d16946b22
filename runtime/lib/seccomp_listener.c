/* seccomp_listener.c: send the notify listener to listenerPath. */
#include "seccomp_listener.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "json.h"
#include "terminal.h"
#include "util.h"

static char *
json_string (const char *s)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  al_json_str (g, s ? s : "");
  return al_json_gen_finish (g);
}

char *
al_seccomp_listener_message (const struct oci_seccomp *s, const struct al_state *st)
{
  _cleanup_free_ char *meta = json_string (s->listener_metadata);
  _cleanup_free_ char *state = al_state_oci_json (st, AL_STATUS_CREATING, false);
  return al_xasprintf ("{\"ociVersion\":\"%s\",\"fds\":[\"seccompFd\"],\"pid\":%d,\"metadata\":%s,\"state\":%s}",
                       AL_OCI_VERSION, st->pid, meta, state);
}

int
al_seccomp_check_listener (const struct oci_seccomp *s, al_error_t *err)
{
  if (s == NULL || (s->listener_path && *s->listener_path))
    return 0;
  const char *why = s->listener_path ? "empty" : "absent";
  if (s->default_action && strcmp (s->default_action, "SCMP_ACT_NOTIFY") == 0)
    return al_err (err, EINVAL,
                   "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath (%s): nothing "
                   "would answer the notifications",
                   why);
  for (size_t i = 0; i < s->n_syscalls; i++)
    if (s->syscalls[i].action && strcmp (s->syscalls[i].action, "SCMP_ACT_NOTIFY") == 0)
      return al_err (err, EINVAL,
                     "linux.seccomp.syscalls[%zu].action: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath (%s): "
                     "nothing would answer the notifications",
                     i, why);
  return 0;
}

int
al_seccomp_listener_forward (int listener, const struct oci_seccomp *s, const struct al_state *st, al_error_t *err)
{
  _cleanup_close_ int fd = listener;
  if (fd < 0)
    return al_err (err, EPROTO, "linux.seccomp: the init sent no notify listener");
  if (s == NULL || s->listener_path == NULL || *s->listener_path == '\0')
    return 0;
  _cleanup_close_ int sock = al_unix_connect (s->listener_path, err);
  if (sock < 0)
    return al_err_prefix (err, "linux.seccomp.listenerPath");
  _cleanup_free_ char *msg = al_seccomp_listener_message (s, st);
  int r = al_send_fd (sock, fd, msg, err);
  if (r < 0)
    return al_err_prefix (err, "linux.seccomp.listenerPath `%s`", s->listener_path);
  return 0;
}
