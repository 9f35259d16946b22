/* terminal.h: ptys, the console socket, and fd passing with SCM_RIGHTS. */
#ifndef AIRLOCK_TERMINAL_H
#define AIRLOCK_TERMINAL_H

#include "error.h"

/* Connect to a unix socket path (the --console-socket). */
int al_unix_connect (const char *path, al_error_t *err);
/* Send one fd with a payload string (runc sends the pty name). */
int al_send_fd (int sock, int fd, const char *payload, al_error_t *err);
/* Receive one fd; *fd_out -1 when none came. */
int al_recv_fd (int sock, int *fd_out, char *payload, size_t payload_len, al_error_t *err);

/* Open a new pty pair from `ptmx` (e.g. "/dev/ptmx" inside the container):
 * *master (O_CLOEXEC) and *slave opened O_RDWR|O_NOCTTY. */
int al_pty_open (const char *ptmx, int *master, int *slave, al_error_t *err);
/* Make `slave` the controlling terminal and stdio of the calling process
 * (setsid unless we lead a session already, TIOCSCTTY, dup2 to 0,1,2). */
int al_pty_make_controlling (int slave, al_error_t *err);
int al_pty_set_size (int fd, unsigned rows, unsigned cols, al_error_t *err);

#endif
