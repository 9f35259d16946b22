/* cpulist.h: "0-3,7" lists (CPUs for process.execCPUAffinity, memory nodes for
 * linux.memoryPolicy.nodes) parsed into a bit mask of unsigned longs. */
#ifndef AIRLOCK_CPULIST_H
#define AIRLOCK_CPULIST_H

#include <stddef.h>

#define AL_CPULIST_MAX 8192 /* highest number accepted + 1 (the kernel's NR_CPUS ceiling) */
#define AL_CPULIST_WORDS (AL_CPULIST_MAX / (8 * sizeof (unsigned long)))

/* Parse `s` ("N", "N-M", comma separated; blanks around items allowed) into
 * mask[AL_CPULIST_WORDS] (cleared first). *top gets the highest number + 1
 * (0 for an empty list). Returns 0, or -1 with *why a static reason. */
int al_cpulist_parse (const char *s, unsigned long *mask, size_t *top, const char **why);

#endif
