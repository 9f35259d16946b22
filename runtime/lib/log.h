/* log.h: the runtime's own log (--log, --log-format text|json, --debug). */
#ifndef AIRLOCK_LOG_H
#define AIRLOCK_LOG_H

#include <stdbool.h>

#include "error.h"

struct al_log
{
  int fd;      /* -1: stderr */
  bool json;
  bool debug;
};

int al_log_open (struct al_log *log, const char *path, const char *format, bool debug, al_error_t *err);
void al_log_close (struct al_log *log);
/* level: "error", "warning", "info", "debug". Errors also go to stderr when the
 * log is a file, so a person at a terminal sees them. */
void al_log (const struct al_log *log, const char *level, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

#endif
