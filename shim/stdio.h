/* stdio.h: a process's stdio as containerd hands it over: FIFO paths
 * (empty: /dev/null) that the client created and opened its ends of.
 *
 * Without a terminal the FIFOs themselves become the process's stdin,
 * stdout and stderr: no copying at all. With a terminal the pty master is
 * copied both ways by two small pumps in the loop (4 KiB buffer each).
 * Either way the shim keeps a reader open on stdout/stderr (a client that
 * goes away never gives the process EPIPE), and a writer on stdin from
 * Create to Start (the process never sees EOF before the client opened its
 * end; after Start the client closing its end is EOF, as with runc).
 *
 * Counted output (a container watched by a sandbox profile, whose verdict
 * has the bytes written to stdout and stderr): without a terminal the
 * process's stdout and stderr are pipes instead of the FIFOs, and two output
 * pumps in the loop copy them to the FIFOs (or discard them when the client
 * gave none), counting every byte read; with a terminal the pty's output is
 * counted as stdout. An output pump whose destination fails keeps reading
 * and discarding. Unwatched processes get the FIFOs themselves, as above. */
#ifndef SHIM_STDIO_H
#define SHIM_STDIO_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "loop.h"

struct sh_pump;

struct sh_stdio
{
  bool terminal;
  int child[3];       /* given to the process (without terminal), -1 when unused */
  int stdin_keep;     /* our writer on the stdin FIFO */
  int out_keep[2];    /* our readers on the stdout/stderr FIFOs */
  int tty_in, tty_out; /* terminal: the stdin FIFO (read) and stdout FIFO (write) */
  struct sh_pump *to_pty, *from_pty;
  /* Counted output. */
  bool counted;
  struct sl_loop *loop;
  struct sh_pump *out[2];  /* stdout/stderr pipe -> FIFO */
  uint64_t bytes[2];       /* read from stdout (or the pty) and stderr */
  void (*on_output_end) (void *data); /* once no output pump is left */
  void *on_output_data;
};

/* Open the FIFOs (paths may be NULL or empty). count_loop: count the
 * output (pumps in that loop); NULL: hand the FIFOs over. */
int sh_stdio_open (struct sh_stdio *s, const char *in, const char *out, const char *errp, bool terminal,
                   struct sl_loop *count_loop, al_error_t *err);
/* The process has its copies: close ours of child[]. */
void sh_stdio_release_child (struct sh_stdio *s);
/* The process runs: drop our stdin writer (it only bridged the time until
 * the client's writer was open), so the client closing its end is EOF. */
void sh_stdio_started (struct sh_stdio *s);
/* Terminal: copy between master (owned afterwards) and the FIFOs. */
int sh_stdio_attach_pty (struct sh_stdio *s, struct sl_loop *l, int master, al_error_t *err);
/* The pty master (-1 when none), for TIOCSWINSZ. */
int sh_stdio_pty (const struct sh_stdio *s);
/* Pass on the output that is readable now (pty, counted pipes), without
 * waiting: a process's last output may still sit there when it exits or is
 * deleted, and a client stops reading once it knows of the exit. */
void sh_stdio_flush (struct sh_stdio *s);
/* CloseIO: give up our stdin writer and stop the pty input pump. */
void sh_stdio_close_stdin (struct sh_stdio *s, struct sl_loop *l);
void sh_stdio_close (struct sh_stdio *s, struct sl_loop *l);
/* Counted output: an output pump still runs (no EOF yet from the pipe or
 * the pty). False when not counted. */
bool sh_stdio_output_open (const struct sh_stdio *s);
/* Bytes written to the stdout/stderr FIFOs that their client (containerd)
 * has not read yet (FIONREAD on our readers; 0 when there are none). */
size_t sh_stdio_unread (const struct sh_stdio *s);

#endif
