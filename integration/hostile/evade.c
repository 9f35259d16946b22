/* evade.c: try to get denied syscalls past the monitor, so that the verdict
 * would say nothing was denied. One mode per run, printing one line per
 * attempt ("WHAT: ok" when the call ran, "WHAT: failed: REASON"); the
 * verdict, not this output, is what integration/hostile/verdict.bats checks.
 *   evade filter seccomp|prctl|seccomp_hi|prctl_hi
 *       install a filter of its own that answers mount with EXDEV (it would
 *       outrank the monitor's notification), then call mount
 *   evade flood N      N distinct unknown syscall numbers, then mount, bpf
 *   evade repeat N     N unknown numbers, then mount N times
 *   evade tty ptmx|stdin
 *       TIOCSTI (also with the upper half of cmd set) and TIOCLINUX, on a
 *       new pty made the controlling terminal, or on stdin
 *   evade memfd        memfd_create
 *   evade abi [thread] mount through the i386 (int 0x80) and x32 ABIs, in
 *       the main thread or in another one (a killed thread leaves the
 *       process running)
 * Built static by the bats files that use it and run inside the sandbox. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

static void
report (const char *what, long r)
{
  if (r < 0)
    printf ("%s: failed: %s\n", what, strerror (errno));
  else
    printf ("%s: ok\n", what);
  fflush (stdout);
}

static int
own_filter (const char *how)
{
  struct sock_filter code[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, SYS_mount, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EXDEV),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
  long r;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    perror ("no_new_privs");
  if (strcmp (how, "seccomp") == 0)
    r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  else if (strcmp (how, "seccomp_hi") == 0)
    r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER | (1ul << 32), 0, &prog);
  else if (strcmp (how, "prctl") == 0)
    r = prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
  else if (strcmp (how, "prctl_hi") == 0)
    r = syscall (SYS_prctl, PR_SET_SECCOMP | (1ul << 32), SECCOMP_MODE_FILTER, &prog, 0, 0);
  else
    return 2;
  report ("install", r);
  report ("mount", syscall (SYS_mount, "none", "/mnt", "tmpfs", 0, NULL));
  return 0;
}

static void
unknown_numbers (long n)
{
  long enosys = 0, eperm = 0;
  for (long i = 0; i < n; i++)
    if (syscall (100000 + i) < 0)
      {
        enosys += errno == ENOSYS;
        eperm += errno == EPERM;
      }
  printf ("unknown: %ld calls, %ld EPERM, %ld ENOSYS\n", n, eperm, enosys);
}

static int
tty (const char *where)
{
  int fd = 0;
  if (strcmp (where, "ptmx") == 0)
    {
      int m = posix_openpt (O_RDWR | O_NOCTTY);
      if (m < 0 || grantpt (m) < 0 || unlockpt (m) < 0)
        {
          perror ("ptmx");
          return 1;
        }
      setsid ();
      fd = open (ptsname (m), O_RDWR);
      if (fd < 0)
        {
          perror ("pts");
          return 1;
        }
      report ("TIOCSCTTY", ioctl (fd, TIOCSCTTY, 0));
    }
  else if (!isatty (0))
    {
      printf ("stdin is not a terminal\n");
      return 1;
    }
  char c = 'x';
  report ("TIOCSTI", ioctl (fd, TIOCSTI, &c));
  report ("TIOCSTI_hi", syscall (SYS_ioctl, fd, TIOCSTI | (1ul << 32), &c));
  char sub = 11; /* TIOCL_GETKMSGREDIRECT */
  report ("TIOCLINUX", ioctl (fd, TIOCLINUX, &sub));
  struct winsize ws;
  report ("TIOCGWINSZ", ioctl (fd, TIOCGWINSZ, &ws));
  return 0;
}

#ifdef __x86_64__
static void *
abi_calls (void *arg)
{
  (void) arg;
  long r;
  /* i386 mount (21): int 0x80 with its registers */
  __asm__ volatile ("int $0x80"
                    : "=a"(r)
                    : "a"(21), "b"(0), "c"(0), "d"(0), "S"(0), "D"(0)
                    : "r8", "r9", "r10", "r11", "memory");
  printf ("i386 mount: %s\n", r < 0 ? strerror ((int) -r) : "ok");
  errno = 0;
  r = syscall (0x40000000 | SYS_mount, "none", "/mnt", "tmpfs", 0, NULL);
  printf ("x32 mount: %s\n", r < 0 ? strerror (errno) : "ok");
  fflush (stdout);
  return NULL;
}
#endif

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc < 2)
    return 2;
  const char *mode = argv[1];
  if (strcmp (mode, "filter") == 0 && argc == 3)
    return own_filter (argv[2]);
  if (strcmp (mode, "flood") == 0 && argc == 3)
    {
      unknown_numbers (atol (argv[2]));
      report ("mount", syscall (SYS_mount, "none", "/mnt", "tmpfs", 0, NULL));
      report ("bpf", syscall (SYS_bpf, 0, NULL, 0));
      return 0;
    }
  if (strcmp (mode, "repeat") == 0 && argc == 3)
    {
      long n = atol (argv[2]), eperm = 0;
      unknown_numbers (n);
      for (long i = 0; i < n; i++)
        eperm += syscall (SYS_mount, "none", "/mnt", "tmpfs", 0, NULL) < 0 && errno == EPERM;
      printf ("mount: %ld calls, %ld EPERM\n", n, eperm);
      return 0;
    }
  if (strcmp (mode, "tty") == 0 && argc == 3)
    return tty (argv[2]);
  if (strcmp (mode, "memfd") == 0)
    {
      report ("memfd_create", syscall (SYS_memfd_create, "evade", 0));
      return 0;
    }
#ifdef __x86_64__
  if (strcmp (mode, "abi") == 0)
    {
      if (argc == 3 && strcmp (argv[2], "thread") == 0)
        {
          pthread_t t;
          if (pthread_create (&t, NULL, abi_calls, NULL) != 0 || pthread_join (t, NULL) != 0)
            return 1;
        }
      else
        abi_calls (NULL);
      printf ("abi: survived\n");
      return 0;
    }
#endif
  return 2;
}
