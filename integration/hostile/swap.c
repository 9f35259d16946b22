/* swap.c: the attacker of a check-then-use race on a path: exchanges two
 * names (renameat2 RENAME_EXCHANGE, atomic) in a tight loop until killed,
 * so that A is a plain directory one moment and a symlink to a denied path
 * the next. Writes a line to the FIFO READY once the loop runs.
 * Usage: swap A B READY */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  if (argc != 4)
    {
      fprintf (stderr, "usage: swap A B READY\n");
      return 2;
    }
  if (renameat2 (AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0)
    {
      perror ("swap: renameat2");
      return 1;
    }
  int fd = open (argv[3], O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, "ready\n", 6) != 6)
    {
      perror ("swap: ready");
      return 1;
    }
  close (fd);
  for (;;)
    if (renameat2 (AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0)
      {
        perror ("swap: renameat2");
        return 1;
      }
}
