/* attempt.c: try things an untrusted program must not be able to do, each
 * named on the command line; print one line per attempt:
 *   "NAME: blocked: REASON"  or  "NAME: ESCAPED"
 * and exit 0 only when every attempt was blocked. Built static by
 * integration/sandbox.bats and run inside the sandbox. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <unistd.h>

static int escaped;

static void
report (const char *name, long r)
{
  if (r < 0)
    printf ("%s: blocked: %s\n", name, strerror (errno));
  else
    {
      printf ("%s: ESCAPED\n", name);
      escaped = 1;
    }
}

static void
attempt (const char *what)
{
  if (strcmp (what, "mount") == 0)
    report (what, mount ("none", "/mnt", "tmpfs", 0, NULL));
  else if (strcmp (what, "ptrace") == 0)
    report (what, syscall (SYS_ptrace, PTRACE_ATTACH, (long) getppid (), 0, 0));
  else if (strcmp (what, "bpf") == 0)
    {
      char attr[128] = { 0 };
      report (what, syscall (SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof attr));
    }
  else if (strcmp (what, "keyctl") == 0)
    report (what, syscall (SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 1));
  else if (strcmp (what, "unshare") == 0)
    report (what, unshare (CLONE_NEWUSER | CLONE_NEWNS));
  else if (strcmp (what, "init_module") == 0)
    report (what, syscall (SYS_init_module, "", 0UL, ""));
  else if (strcmp (what, "socket_inet") == 0)
    {
      int fd = socket (AF_INET, SOCK_STREAM, 0);
      report (what, fd);
      if (fd >= 0)
        {
          /* A socket alone is not an escape if nothing is reachable. */
          struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons (53) };
          a.sin_addr.s_addr = htonl (0x08080808);
          if (connect (fd, (struct sockaddr *) &a, sizeof a) < 0)
            printf ("socket_inet: connect blocked: %s\n", strerror (errno));
          close (fd);
        }
    }
  else if (strcmp (what, "proc_self_exe") == 0)
    /* CVE-2019-5736: overwrite the binary behind /proc/self/exe (here our
       own: the runtime is never our exe, but neither may we write ours). */
    report (what, open ("/proc/self/exe", O_WRONLY | O_CLOEXEC));
  else if (strcmp (what, "leaked_fds") == 0)
    {
      /* Any fd beyond stdio is a leak from the runtime. */
      int leaks = 0;
      for (int fd = 3; fd < 1024; fd++)
        if (fcntl (fd, F_GETFD) >= 0)
          {
            char link[64], target[256] = "";
            snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
            ssize_t n = readlink (link, target, sizeof target - 1);
            target[n > 0 ? n : 0] = '\0';
            printf ("leaked_fds: fd %d -> %s\n", fd, target);
            leaks++;
          }
      errno = 0;
      if (leaks)
        report (what, 0);
      else
        printf ("%s: blocked: no fd beyond 0-2\n", what);
    }
  else
    {
      printf ("%s: unknown attempt\n", what);
      escaped = 1;
    }
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; i++)
    attempt (argv[i]);
  return escaped;
}
