/* fuzz_notify.c: seccomp user notifications as the monitor handles them
 * (runtime/lib/monitor.c): the syscall number and arch come from the
 * container, so any; each is recorded by name (bounded) or counted as
 * dropped, and the total is exact. The record then
 * goes into a verdict (runtime/lib/verdict.c), written as JSON and parsed
 * back: names and counts must survive. The raw input also goes through the
 * verdict parser.
 *
 * Input: records of 12 bytes: arch (u32), nr (s32), pid (u32). */
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fuzz.h"
#include "monitor.h"
#include "verdict.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct al_monitor m;
  al_monitor_init (&m);
  m.capture_output = false;
  uint64_t n = 0;
  for (size_t off = 0; off + 12 <= size; off += 12, n++)
    {
      struct seccomp_notif req;
      memset (&req, 0, sizeof req);
      memcpy (&req.data.arch, data + off, 4);
      memcpy (&req.data.nr, data + off + 4, 4);
      memcpy (&req.pid, data + off + 8, 4);
      req.id = n;
      al_monitor_note_notification (&m, &req, n);
    }
  if (m.notifications != n)
    abort ();
  uint64_t total = 0;
  for (size_t i = 0; i < m.n_denied; i++)
    total += m.denied[i].count;
  if (total > n || m.n_denied > n)
    abort ();
  /* every denial counted: listed or dropped, never lost */
  if (m.denied_total != n || total + m.denied_dropped_calls != n || m.denied_dropped_names > m.denied_dropped_calls
      || m.n_denied > AL_MONITOR_MAX_DENIED + AL_MONITOR_MAX_UNKNOWN)
    abort ();

  struct al_verdict v;
  memset (&v, 0, sizeof v);
  al_verdict_collect (&v, "fuzz", &m, NULL, "untrusted", NULL);
  char *json = al_verdict_json (&v, size & 1);
  struct al_verdict back;
  memset (&back, 0, sizeof back);
  _cleanup_error_ al_error_t err = NULL;
  if (al_verdict_parse ("verdict.json", json, strlen (json), &back, &err) < 0)
    abort ();
  if (back.n_denied != v.n_denied || al_verdict_denied_total (&back) != n
      || back.denied_dropped_calls != m.denied_dropped_calls)
    abort ();
  for (size_t i = 0; i < v.n_denied; i++)
    if (strcmp (back.denied[i].name, v.denied[i].name) != 0 || back.denied[i].count != v.denied[i].count)
      abort ();
  free (json);
  al_verdict_clear (&back);
  al_verdict_clear (&v);
  al_monitor_clear (&m);

  struct al_verdict raw;
  memset (&raw, 0, sizeof raw);
  _cleanup_error_ al_error_t err2 = NULL;
  if (al_verdict_parse ("verdict.json", (const char *) data, size, &raw, &err2) == 0)
    al_verdict_clear (&raw);
  return 0;
}
