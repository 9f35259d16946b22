/* memsample.h: an honest sampled memory figure for a set of processes where
 * the cgroup has no memory controller: per process RssAnon + RssShmem +
 * VmSwap + VmPTE from /proc/PID/status, summed. A lower bound between two
 * samples (what is allocated and freed in between is missed), but it covers
 * every process, never the init alone. */
#ifndef AIRLOCK_MEMSAMPLE_H
#define AIRLOCK_MEMSAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Bytes charged to one process in a /proc/PID/status text: RssAnon +
 * RssShmem + VmSwap + VmPTE (fields absent count 0). */
uint64_t al_memsample_status_bytes (const char *status);
/* The sum over pids (a process gone meanwhile counts 0). */
uint64_t al_memsample_pids (const pid_t *pids, size_t n);

#endif
