/* log.c: text or JSON log lines. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "util.h"

int
al_log_open (struct al_log *log, const char *path, const char *format, bool debug, al_error_t *err)
{
  log->fd = -1;
  log->debug = debug;
  log->json = false;
  if (format && strcmp (format, "json") == 0)
    log->json = true;
  else if (format && strcmp (format, "text") != 0)
    return al_err (err, 0, "--log-format: unknown format \"%s\" (text or json)", format);
  if (path && *path)
    {
      log->fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      if (log->fd < 0)
        return al_err (err, errno, "--log: open `%s`", path);
    }
  return 0;
}

void
al_log_close (struct al_log *log)
{
  al_closep (&log->fd);
}

void
al_log (const struct al_log *log, const char *level, const char *fmt, ...)
{
  if (strcmp (level, "debug") == 0 && (log == NULL || !log->debug))
    return;
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg == NULL)
    return;
  int fd = log && log->fd >= 0 ? log->fd : STDERR_FILENO;
  _cleanup_free_ char *now = al_rfc3339_now ();
  if (log && log->json)
    {
      yajl_gen g = yajl_gen_alloc (NULL);
      yajl_gen_map_open (g);
      yajl_gen_string (g, (const unsigned char *) "level", 5);
      yajl_gen_string (g, (const unsigned char *) level, strlen (level));
      yajl_gen_string (g, (const unsigned char *) "msg", 3);
      yajl_gen_string (g, (const unsigned char *) msg, strlen (msg));
      yajl_gen_string (g, (const unsigned char *) "time", 4);
      yajl_gen_string (g, (const unsigned char *) now, strlen (now));
      yajl_gen_map_close (g);
      const unsigned char *buf;
      size_t len;
      yajl_gen_get_buf (g, &buf, &len);
      _cleanup_free_ char *line = al_xasprintf ("%.*s\n", (int) len, buf);
      al_write_all (fd, line, strlen (line));
      yajl_gen_free (g);
    }
  else if (fd == STDERR_FILENO)
    {
      _cleanup_free_ char *line = al_xasprintf ("airlock: %s%s%s\n", strcmp (level, "error") ? level : "",
                                                strcmp (level, "error") ? ": " : "", msg);
      al_write_all (fd, line, strlen (line));
    }
  else
    {
      _cleanup_free_ char *line = al_xasprintf ("%s %s: %s\n", now, level, msg);
      al_write_all (fd, line, strlen (line));
    }
  /* A file log is for machines; errors also reach the person at the terminal. */
  if (fd != STDERR_FILENO && strcmp (level, "error") == 0)
    {
      _cleanup_free_ char *line = al_xasprintf ("airlock: %s\n", msg);
      al_write_all (STDERR_FILENO, line, strlen (line));
    }
  free (msg);
}
