/* memsample.c: sampled memory of a set of processes (/proc/PID/status). */
#include "memsample.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static uint64_t
field_kb (const char *status, const char *name)
{
  size_t nl = strlen (name);
  for (const char *p = status; p && *p; p = strchr (p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp (p, name, nl) == 0 && p[nl] == ':')
      return strtoull (p + nl + 1, NULL, 10);
  return 0;
}

uint64_t
al_memsample_status_bytes (const char *status)
{
  static const char *const f[] = { "RssAnon", "RssShmem", "VmSwap", "VmPTE" };
  uint64_t kb = 0;
  for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
    kb += field_kb (status, f[i]);
  return kb * 1024;
}

uint64_t
al_memsample_pids (const pid_t *pids, size_t n)
{
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/status", (int) pids[i]);
      _cleanup_free_ char *text = NULL;
      size_t len = 0;
      if (al_read_file_at (-100, path, 1 << 16, &text, &len, NULL) == 0)
        sum += al_memsample_status_bytes (text);
    }
  return sum;
}
