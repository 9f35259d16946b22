/* sync.h: the messages a runtime process and the container process it forks
 * exchange over a SOCK_SEQPACKET socketpair while the container is set up. */
#ifndef AIRLOCK_SYNC_H
#define AIRLOCK_SYNC_H

#include "error.h"

enum al_sync_type
{
  AL_SYNC_MAPS = 1, /* parent -> child: id maps written (and cgroup joined) */
  AL_SYNC_HOOKS,    /* child -> parent: run prestart + createRuntime now */
  AL_SYNC_CONTINUE, /* parent -> child: hooks done */
  AL_SYNC_READY,    /* child -> parent: set up, about to wait or exec */
  AL_SYNC_COMMIT,   /* parent -> child: state recorded, go on */
  AL_SYNC_ERROR,    /* child -> parent: errnum + message, then the child exits */
  AL_SYNC_PTY,      /* child -> parent: the pty master follows (SCM_RIGHTS) */
  AL_SYNC_SECCOMP,  /* child -> parent: the seccomp notify listener, in the
                       same message (al_sync_send_fd; one sendmsg) */
};

struct al_sync_msg
{
  int type;
  int errnum;
  char msg[3072];
  int fd; /* al_sync_recv: an fd passed with the message (SCM_RIGHTS), the
             caller's to close; else -1. Never sent as data. */
};

/* Returns 0 or -errno. */
int al_sync_send (int fd, int type, int errnum, const char *msg);
/* A message of `type` carrying fd (SCM_RIGHTS), in a single sendmsg: the
 * only syscall the init makes between loading a seccomp filter and handing
 * its notify listener over (so the only one a NOTIFY rule must not catch). */
int al_sync_send_fd (int sock, int type, int fd);
/* Send an error object (the child's last word). */
int al_sync_send_error (int fd, al_error_t err);
/* Returns the message type, 0 on EOF, -errno on error. m->fd: see above. */
int al_sync_recv (int fd, struct al_sync_msg *m);

#endif
