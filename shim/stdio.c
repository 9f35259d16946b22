/* stdio.c: see stdio.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "stdio.h"
#include "util.h"

#define PUMP_BUF 4096

/* Copies in -> out; both non-blocking. While out is full, in is not watched.
 * An output pump (the process's stdout/stderr pipe or the pty's output)
 * counts what it reads into *count, and when its destination fails (or
 * there is none: out -1) keeps reading and discards, so the process never
 * blocks on a destination that went away. */
struct sh_pump
{
  struct sl_loop *loop;
  struct sh_stdio *io; /* output pump: told when it ends; NULL otherwise */
  uint64_t *count;     /* output pump: bytes read */
  struct sl_watch in_w, out_w;
  bool close_out; /* out is ours to close at the end */
  size_t len, off;
  char buf[PUMP_BUF];
};

static void
pump_free (struct sh_pump *p)
{
  if (p == NULL)
    return;
  sl_watch_del (p->loop, &p->in_w);
  close (p->in_w.fd);
  if (p->out_w.fd >= 0)
    {
      sl_watch_del (p->loop, &p->out_w);
      if (p->close_out)
        close (p->out_w.fd);
    }
  free (p);
}

static void
pump_watch (struct sh_pump *p, uint32_t in_events, uint32_t out_events)
{
  sl_watch_mod (p->loop, &p->in_w, in_events);
  if (p->out_w.fd >= 0)
    sl_watch_mod (p->loop, &p->out_w, out_events);
}

/* An output pump's destination failed: discard from now on. */
static void
pump_discard (struct sh_pump *p)
{
  if (p->out_w.fd >= 0)
    {
      sl_watch_del (p->loop, &p->out_w);
      if (p->close_out)
        close (p->out_w.fd);
    }
  p->out_w.fd = -1;
  p->off = p->len;
}

/* Move data; returns false at EOF or on an error. */
static bool
pump_run (struct sh_pump *p)
{
  for (;;)
    {
      if (p->off == p->len)
        {
          ssize_t n = read (p->in_w.fd, p->buf, sizeof p->buf);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0 && errno == EAGAIN)
            {
              pump_watch (p, EPOLLIN, 0);
              return true;
            }
          if (n <= 0)
            return false;
          if (p->count)
            *p->count += (uint64_t) n;
          p->len = (size_t) n;
          p->off = 0;
          if (p->out_w.fd < 0)
            {
              p->off = p->len;
              continue;
            }
        }
      ssize_t w = write (p->out_w.fd, p->buf + p->off, p->len - p->off);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && errno == EAGAIN)
        {
          pump_watch (p, 0, EPOLLOUT);
          return true;
        }
      if (w < 0 && p->io)
        {
          pump_discard (p);
          continue;
        }
      if (w < 0)
        return false;
      p->off += (size_t) w;
    }
}

/* Before the pump goes: pass on what is readable now, without waiting
 * (bounded: a little more than a full pipe or pty buffer). */
static void
pump_flush (struct sh_pump *p)
{
  if (p == NULL)
    return;
  for (int i = 0; i < 32; i++)
    {
      if (p->off < p->len)
        {
          ssize_t w = write (p->out_w.fd, p->buf + p->off, p->len - p->off);
          if (w <= 0)
            return; /* full, or gone: what it has is all it gets */
          p->off += (size_t) w;
          if (p->off < p->len)
            return;
        }
      ssize_t n = read (p->in_w.fd, p->buf, sizeof p->buf);
      if (n <= 0)
        return;
      if (p->count)
        *p->count += (uint64_t) n;
      p->len = (size_t) n;
      p->off = p->out_w.fd < 0 ? p->len : 0;
    }
}

static void output_ended (struct sh_stdio *s);

static void
pump_event (struct sl_watch *w, uint32_t events)
{
  (void) events;
  struct sh_pump **owner = w->data;
  if (!pump_run (*owner))
    {
      struct sh_stdio *io = (*owner)->io;
      pump_free (*owner);
      *owner = NULL;
      if (io)
        output_ended (io);
    }
}

/* out may be -1 (output pumps only): discard. */
static struct sh_pump *
pump_new (struct sl_loop *l, struct sh_pump **owner, int in, int out, bool close_out)
{
  struct sh_pump *p = calloc (1, sizeof *p);
  if (p == NULL)
    abort ();
  p->loop = l;
  p->in_w = (struct sl_watch){ .fd = in, .cb = pump_event, .data = owner };
  p->out_w = (struct sl_watch){ .fd = out, .cb = pump_event, .data = owner };
  p->close_out = close_out;
  fcntl (in, F_SETFL, fcntl (in, F_GETFL) | O_NONBLOCK);
  sl_watch_add (l, &p->in_w, EPOLLIN);
  if (out >= 0)
    {
      fcntl (out, F_SETFL, fcntl (out, F_GETFL) | O_NONBLOCK);
      if (sl_watch_add (l, &p->out_w, 0) < 0)
        {
          /* out cannot be polled (e.g. /dev/null): write blindly */
          p->out_w.fd = dup (out);
          if (close_out)
            close (out);
          p->close_out = true;
          sl_watch_add (l, &p->out_w, 0);
        }
    }
  *owner = p;
  return p;
}

/* Make p an output pump of s counting into *count. */
static void
pump_count (struct sh_pump *p, struct sh_stdio *s, uint64_t *count)
{
  p->io = s;
  p->count = count;
}

static void
output_ended (struct sh_stdio *s)
{
  if (!sh_stdio_output_open (s) && s->on_output_end)
    s->on_output_end (s->on_output_data);
}

static int
open_fifo (const char *path, int flags, al_error_t *err)
{
  int fd = open (path, flags | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "open `%s`", path);
  return fd;
}

static bool
given (const char *p)
{
  return p && *p;
}

/* count: the process's stdout/stderr become pipes whose read ends output
 * pumps copy to fifo[i] (-1: discard). */
static int
open_counting (struct sh_stdio *s, struct sl_loop *count_loop, int fifo[2], al_error_t *err)
{
  for (int i = 0; i < 2; i++)
    {
      int p[2];
      if (pipe2 (p, O_CLOEXEC) < 0)
        return al_err (err, errno, "pipe for the process's %s", i == 0 ? "stdout" : "stderr");
      s->child[1 + i] = p[1];
      pump_count (pump_new (count_loop, &s->out[i], p[0], fifo[i], true), s, &s->bytes[i]);
      fifo[i] = -1;
    }
  return 0;
}

int
sh_stdio_open (struct sh_stdio *s, const char *in, const char *out, const char *errp, bool terminal,
               struct sl_loop *count_loop, al_error_t *err)
{
  memset (s, 0, sizeof *s);
  s->terminal = terminal;
  s->counted = count_loop != NULL;
  s->loop = count_loop;
  s->child[0] = s->child[1] = s->child[2] = -1;
  s->stdin_keep = s->out_keep[0] = s->out_keep[1] = s->tty_in = s->tty_out = -1;
  int fifo[2] = { -1, -1 }; /* counting without terminal: our writers */
  int r;
  if (given (in))
    {
      int rd = open_fifo (in, O_RDONLY | O_NONBLOCK, err);
      if (rd < 0)
        { r = rd; goto fail; }
      s->stdin_keep = open_fifo (in, O_WRONLY | O_NONBLOCK, err);
      if (s->stdin_keep < 0)
        {
          close (rd);
          { r = s->stdin_keep; goto fail; }
        }
      if (terminal)
        s->tty_in = rd;
      else
        {
          fcntl (rd, F_SETFL, fcntl (rd, F_GETFL) & ~O_NONBLOCK);
          s->child[0] = rd;
        }
    }
  const char *outs[2] = { out, errp };
  for (int i = 0; i < 2; i++)
    {
      if (!given (outs[i]) || (terminal && i == 1))
        continue;
      s->out_keep[i] = open_fifo (outs[i], O_RDONLY | O_NONBLOCK, err);
      if (s->out_keep[i] < 0)
        { r = s->out_keep[i]; goto fail; }
      int wr = open_fifo (outs[i], O_WRONLY, err);
      if (wr < 0)
        { r = wr; goto fail; }
      if (terminal)
        s->tty_out = wr;
      else if (s->counted)
        fifo[i] = wr;
      else
        s->child[1 + i] = wr;
    }
  if (!terminal && s->counted)
    {
      r = open_counting (s, count_loop, fifo, err);
      if (r < 0)
        goto fail;
    }
  if (!terminal)
    for (int i = 0; i < 3; i++)
      if (s->child[i] < 0)
        {
          s->child[i] = open ("/dev/null", (i == 0 ? O_RDONLY : O_WRONLY) | O_CLOEXEC);
          if (s->child[i] < 0)
            { r = al_err (err, errno, "open /dev/null"); goto fail; }
        }
  return 0;

fail:
  al_closep (&fifo[0]);
  al_closep (&fifo[1]);
  sh_stdio_close (s, count_loop);
  return r;
}

void
sh_stdio_release_child (struct sh_stdio *s)
{
  for (int i = 0; i < 3; i++)
    al_closep (&s->child[i]);
}

int
sh_stdio_attach_pty (struct sh_stdio *s, struct sl_loop *l, int master, al_error_t *err)
{
  int master2 = fcntl (master, F_DUPFD_CLOEXEC, 3);
  if (master2 < 0)
    {
      int e = errno;
      close (master);
      return al_err (err, e, "dup the pty master");
    }
  /* from_pty: master -> stdout FIFO (or nowhere) */
  int out = s->tty_out >= 0 ? s->tty_out : open ("/dev/null", O_WRONLY | O_CLOEXEC);
  s->tty_out = -1;
  pump_new (l, &s->from_pty, master, out, true);
  if (s->counted)
    pump_count (s->from_pty, s, &s->bytes[0]);
  if (s->tty_in >= 0)
    {
      pump_new (l, &s->to_pty, s->tty_in, master2, true);
      s->tty_in = -1;
    }
  else
    close (master2);
  return 0;
}

int
sh_stdio_pty (const struct sh_stdio *s)
{
  if (s->from_pty)
    return s->from_pty->in_w.fd;
  return -1;
}

void
sh_stdio_started (struct sh_stdio *s)
{
  al_closep (&s->stdin_keep);
}

void
sh_stdio_close_stdin (struct sh_stdio *s, struct sl_loop *l)
{
  al_closep (&s->stdin_keep);
  if (l && s->to_pty)
    {
      pump_free (s->to_pty);
      s->to_pty = NULL;
    }
}

void
sh_stdio_flush (struct sh_stdio *s)
{
  pump_flush (s->from_pty);
  pump_flush (s->out[0]);
  pump_flush (s->out[1]);
}

void
sh_stdio_close (struct sh_stdio *s, struct sl_loop *l)
{
  if (l)
    sh_stdio_flush (s);
  sh_stdio_release_child (s);
  al_closep (&s->stdin_keep);
  al_closep (&s->out_keep[0]);
  al_closep (&s->out_keep[1]);
  al_closep (&s->tty_in);
  al_closep (&s->tty_out);
  if (l)
    {
      pump_free (s->to_pty);
      pump_free (s->from_pty);
      pump_free (s->out[0]);
      pump_free (s->out[1]);
      s->to_pty = s->from_pty = s->out[0] = s->out[1] = NULL;
    }
}

bool
sh_stdio_output_open (const struct sh_stdio *s)
{
  if (!s->counted)
    return false;
  return s->terminal ? s->from_pty != NULL : (s->out[0] != NULL || s->out[1] != NULL);
}

size_t
sh_stdio_unread (const struct sh_stdio *s)
{
  size_t total = 0;
  for (int i = 0; i < 2; i++)
    {
      int n = 0;
      if (s->out_keep[i] >= 0 && ioctl (s->out_keep[i], FIONREAD, &n) == 0 && n > 0)
        total += (size_t) n;
    }
  return total;
}
