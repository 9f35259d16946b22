/* tenant.c: one tenant of a shared host pressing on the kernel's per-user
 * limits, for integration/hostile/idpool.bats. Modes that hold their
 * ground report on FIFO (a host-side fifo in the rootfs) and then pause
 * until the container is killed.
 *   tenant hold FIFO         report "ready", pause
 *   tenant nproc-hold FIFO   fork until refused (RLIMIT_NPROC), report
 *                            "held N: <why>", pause (children pause too)
 *   tenant fork N            fork N children (each exits at once), report
 *                            "fork: N ok" or "fork: failed after K: <why>"
 *   tenant pipe-flood FIFO   grow pipes to 1 MiB until a new pipe comes
 *                            out smaller than 64 KiB (the per-user soft
 *                            limit, fs.pipe-user-pages-soft), report
 *                            "flooded N pipes: new pipe S bytes", pause
 *   tenant pipe-size         print "pipe size S" of a new pipe */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
report (const char *fifo, const char *msg)
{
  printf ("%s\n", msg);
  fflush (stdout);
  int fd = open (fifo, O_WRONLY);
  if (fd >= 0)
    {
      dprintf (fd, "%s\n", msg);
      close (fd);
    }
}

__attribute__ ((noreturn)) static int
hold (void)
{
  for (;;)
    pause ();
}

int
main (int argc, char **argv)
{
  char msg[256];
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp (mode, "hold") == 0 && argc == 3)
    {
      report (argv[2], "ready");
      return hold ();
    }
  if (strcmp (mode, "nproc-hold") == 0 && argc == 3)
    {
      int n = 0;
      for (; n < 100000; n++)
        {
          pid_t p = fork ();
          if (p == 0)
            {
              pause ();
              _exit (0);
            }
          if (p < 0)
            break;
        }
      snprintf (msg, sizeof msg, "held %d: %s", n, n < 100000 ? strerror (errno) : "no limit");
      report (argv[2], msg);
      return hold ();
    }
  if (strcmp (mode, "fork") == 0 && argc == 3)
    {
      int want = atoi (argv[2]);
      for (int i = 0; i < want; i++)
        {
          pid_t p = fork ();
          if (p < 0)
            {
              printf ("fork: failed after %d: %s\n", i, strerror (errno));
              return 1;
            }
          if (p == 0)
            _exit (0);
          waitpid (p, NULL, 0);
        }
      printf ("fork: %d ok\n", want);
      return 0;
    }
  if (strcmp (mode, "pipe-flood") == 0 && argc == 3)
    {
      int n = 0, size = 0;
      for (; n < 900; n++)
        {
          int p[2];
          if (pipe (p) < 0)
            {
              snprintf (msg, sizeof msg, "flooded %d pipes: pipe: %s", n, strerror (errno));
              report (argv[2], msg);
              return hold ();
            }
          size = fcntl (p[0], F_GETPIPE_SZ);
          if (size < 65536)
            break;
          fcntl (p[0], F_SETPIPE_SZ, 1 << 20); /* refused once over the limit */
        }
      snprintf (msg, sizeof msg, "flooded %d pipes: new pipe %d bytes", n, size);
      report (argv[2], msg);
      return hold ();
    }
  if (strcmp (mode, "pipe-size") == 0 && argc == 2)
    {
      int p[2];
      if (pipe (p) < 0)
        {
          printf ("pipe: %s\n", strerror (errno));
          return 1;
        }
      printf ("pipe size %d\n", fcntl (p[0], F_GETPIPE_SZ));
      return 0;
    }
  fprintf (stderr, "usage: tenant hold|nproc-hold|pipe-flood FIFO | fork N | pipe-size\n");
  return 2;
}
