/* probe_syscall NR...: make each syscall (by number, with invalid arguments:
 * -1 everywhere, so that an allowed one does nothing) and print "NR ERRNO"
 * (the errno's name, or "ok"), one line each. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      long nr = strtol (argv[i], NULL, 10);
      errno = 0;
      long r = syscall (nr, -1L, -1L, -1L, -1L, -1L, -1L);
      const char *name = r >= 0 ? "ok" : strerrorname_np (errno);
      printf ("%ld %s\n", nr, name ? name : "?");
    }
  return 0;
}
