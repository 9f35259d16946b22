/* forkbomb.c: fork until the kernel refuses (children sleep), print how many
 * were made and why it stopped, hold them a moment (so that a sampling
 * monitor sees the peak), then exit 0: the container's end kills the
 * children. Gives up after 100000 forks (no limit at all: exit 1). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main (void)
{
  for (int n = 0; n < 100000; n++)
    {
      pid_t p = fork ();
      if (p == 0)
        {
          pause ();
          _exit (0);
        }
      if (p < 0)
        {
          printf ("forkbomb: stopped after %d forks: %s\n", n, strerror (errno));
          usleep (300 * 1000);
          return 0;
        }
    }
  printf ("forkbomb: 100000 forks and no limit\n");
  return 1;
}
