/* shimlog.c: see shimlog.h. */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "shimlog.h"

void
sh_log (const char *fmt, ...)
{
  char line[1024];
  int n = snprintf (line, sizeof line, "airlock-shim[%d]: ", (int) getpid ());
  va_list ap;
  va_start (ap, fmt);
  int m = vsnprintf (line + n, sizeof line - (size_t) n - 1, fmt, ap);
  va_end (ap);
  size_t len = (size_t) n + (m < 0 ? 0 : (size_t) m);
  if (len > sizeof line - 2)
    len = sizeof line - 2;
  line[len++] = '\n';
  if (write (STDERR_FILENO, line, len) < 0)
    { /* nowhere to report */ }
}
