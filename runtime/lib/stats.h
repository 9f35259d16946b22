/* stats.h: a container's resource usage, read from its cgroup v2 files.
 *
 * Every section is optional: a file that does not exist (controller not
 * enabled for the cgroup) leaves its section unset, which is not an error.
 * Values are raw kernel figures converted to runc's units (nanoseconds for
 * CPU time, bytes for memory). Used by `events` and, later, the shim's Stats. */
#ifndef AIRLOCK_STATS_H
#define AIRLOCK_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct al_cgroup;

#define AL_STATS_UNLIMITED UINT64_MAX /* a "max" limit */

struct al_stats_kv
{
  char *key;
  uint64_t value;
};

/* One line of io.stat. */
struct al_stats_io
{
  uint64_t major, minor;
  uint64_t rbytes, wbytes, rios, wios, dbytes, dios;
};

/* hugetlb.<size>.{current,max,events} */
struct al_stats_hugetlb
{
  char *page_size; /* "2MB" */
  uint64_t usage;
  uint64_t max;     /* AL_STATS_UNLIMITED for "max" */
  uint64_t failcnt; /* `max` count of hugetlb.<size>.events */
};

struct al_stats
{
  bool has_cpu; /* cpu.stat (exists without the cpu controller) */
  struct
  {
    uint64_t total_ns, user_ns, kernel_ns;
    bool has_throttling; /* nr_periods... only with the cpu controller */
    uint64_t periods, throttled_periods, throttled_ns;
  } cpu;

  bool has_memory; /* memory.current */
  struct
  {
    uint64_t usage;   /* memory.current */
    uint64_t limit;   /* memory.max, AL_STATS_UNLIMITED for "max" */
    bool has_peak;
    uint64_t peak;    /* memory.peak */
    bool has_swap;
    uint64_t swap_usage; /* memory.swap.current */
    uint64_t swap_limit; /* memory.swap.max, AL_STATS_UNLIMITED for "max" */
    bool has_events;     /* memory.events */
    uint64_t ev_low, ev_high, ev_max, ev_oom, ev_oom_kill;
    struct al_stats_kv *stat; /* memory.stat, in file order */
    size_t n_stat;
  } memory;

  bool has_pids; /* pids.current */
  struct
  {
    uint64_t current;
    uint64_t limit; /* pids.max, AL_STATS_UNLIMITED for "max" */
  } pids;

  bool has_io; /* io.stat */
  struct al_stats_io *io;
  size_t n_io;

  struct al_stats_hugetlb *hugetlb;
  size_t n_hugetlb;
};

/* Read the statistics of the cgroup (opened from cg->mount + cg->path). */
int al_stats_read (struct al_cgroup *cg, struct al_stats *out, al_error_t *err);
/* The same from a directory fd (a cgroup, or a fixture directory in tests);
 * `display` names it in errors. */
int al_stats_read_at (int dirfd, const char *display, struct al_stats *out, al_error_t *err);
void al_stats_clear (struct al_stats *s);

/* Value of `key` in a flat-keyed file text ("oom 0\noom_kill 1\n"). Returns
 * false when absent or not a number. */
bool al_stats_keyed (const char *text, const char *key, uint64_t *value);

/* OOM counters from memory.events (the file is open at fd; re-read from the
 * start). Returns 0, or a negative errno. */
int al_stats_read_oom (int fd, uint64_t *oom, uint64_t *oom_kill);

/* runc's event JSON for `events`: {"type":"stats","id":ID,"data":{...}} with
 * runc's types.Stats field names; absent sections are left out. One line,
 * no newline. Caller frees. */
char *al_stats_event_json (const struct al_stats *s, const char *id);
/* Other runc events: {"type":TYPE,"id":ID} (e.g. "oom"). */
char *al_stats_simple_event_json (const char *type, const char *id);

#endif
