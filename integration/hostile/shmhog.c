/* shmhog.c: try to hold memory outside any process through SysV shm.
 *   shmhog big MIB        one segment of MIB MiB (beyond kernel.shmmax?)
 *   shmhog many N MIB     N segments of MIB MiB, each attached, touched and
 *                         kept attached: stops at the first that fails
 *                         (kernel.shmall); prints how many it got
 *   shmhog orphan MIB     one segment touched, detached: is it still there
 *                         (kernel.shm_rmid_forced removes it)?
 *   shmhog hold MIB       plain anonymous memory, touched, held until killed
 * Each line says what happened; the exit status is 0 (the test reads it). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

static int
segment (long mib, void **addr)
{
  int id = shmget (IPC_PRIVATE, (size_t) mib << 20, IPC_CREAT | 0600);
  if (id < 0)
    return -errno;
  void *p = shmat (id, NULL, 0);
  if (p == (void *) -1)
    return -errno;
  memset (p, 1, (size_t) mib << 20);
  *addr = p;
  return id;
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc == 3 && strcmp (argv[1], "big") == 0)
    {
      void *p;
      int r = segment (atol (argv[2]), &p);
      if (r < 0)
        printf ("shmhog: big: failed: %s\n", strerror (-r));
      else
        printf ("shmhog: big: got %s MiB\n", argv[2]);
    }
  else if (argc == 4 && strcmp (argv[1], "many") == 0)
    {
      long n = atol (argv[2]), mib = atol (argv[3]), got = 0;
      for (; got < n; got++)
        {
          void *p;
          int r = segment (mib, &p);
          if (r < 0)
            {
              printf ("shmhog: many: segment %ld failed: %s\n", got + 1, strerror (-r));
              break;
            }
        }
      printf ("shmhog: many: held %ld MiB in %ld segments\n", got * mib, got);
    }
  else if (argc == 3 && strcmp (argv[1], "orphan") == 0)
    {
      void *p;
      int id = segment (atol (argv[2]), &p);
      if (id < 0)
        {
          printf ("shmhog: orphan: failed: %s\n", strerror (-id));
          return 0;
        }
      shmdt (p);
      struct shmid_ds ds;
      if (shmctl (id, IPC_STAT, &ds) < 0)
        printf ("shmhog: orphan: removed on detach (%s)\n", strerror (errno));
      else
        printf ("shmhog: orphan: still held (%zu bytes)\n", (size_t) ds.shm_segsz);
    }
  else if (argc == 3 && strcmp (argv[1], "hold") == 0)
    {
      size_t n = (size_t) atol (argv[2]) << 20;
      char *p = mmap (NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED)
        {
          printf ("shmhog: hold: failed: %s\n", strerror (errno));
          return 0;
        }
      for (size_t i = 0; i < n; i += 4096)
        ((volatile char *) p)[i] = 1;
      printf ("shmhog: hold: holding %s MiB\n", argv[2]);
      for (;;)
        pause ();
    }
  else
    {
      fprintf (stderr, "usage: shmhog big MIB | many N MIB | orphan MIB\n");
      return 2;
    }
  return 0;
}
