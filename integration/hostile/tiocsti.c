/* tiocsti.c: push each byte of argv[1] (default "id\n") into the input queue
 * of the terminal on fd 0 with ioctl(TIOCSTI), the way a contained program
 * would type a command into the shell of whoever started it (CVE-2017-5226,
 * bubblewrap). Prints "tiocsti: N of M injected" (and why the first refusal
 * happened) and exits 0 only when no byte went in. Built static by the bats
 * files that copy the hostile helpers into containers. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

int
main (int argc, char **argv)
{
  const char *s = argc > 1 ? argv[1] : "id\n";
  size_t n = strlen (s), ok = 0;
  int first = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (ioctl (0, TIOCSTI, s + i) == 0)
        ok++;
      else if (first == 0)
        first = errno;
    }
  if (first)
    printf ("tiocsti: %zu of %zu injected: %s\n", ok, n, strerror (first));
  else
    printf ("tiocsti: %zu of %zu injected\n", ok, n);
  return ok ? 1 : 0;
}
