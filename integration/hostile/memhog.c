/* memhog.c: allocate and touch memory 16 MiB at a time, up to MAX MiB
 * (argv[1], default 4096). Prints how far it got; exits 3 when an allocation
 * fails (an rlimit), is killed when the cgroup's OOM killer strikes, exits 0
 * when it got everything (no limit). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int
main (int argc, char **argv)
{
  long max = argc > 1 ? atol (argv[1]) : 4096;
  setvbuf (stdout, NULL, _IOLBF, 0);
  for (long mib = 0; mib < max; mib += 16)
    {
      void *p = mmap (NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED)
        {
          printf ("memhog: allocation failed after %ld MiB\n", mib);
          return 3;
        }
      memset (p, 1, 16 << 20);
    }
  printf ("memhog: got %ld MiB\n", max);
  return 0;
}
