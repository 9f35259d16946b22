/* deny_syscall NR ERRNO PROG [ARGS...]: run PROG under a seccomp filter that
 * fails syscall NR (this architecture's number) with ERRNO and allows the
 * rest, as a caller confined by an older profile would run a runtime (e.g.
 * one that does not know close_range, 436, and denies it with EPERM). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#else
#error "add this architecture's AUDIT_ARCH"
#endif

int
main (int argc, char **argv)
{
  if (argc < 4)
    {
      fprintf (stderr, "usage: deny_syscall NR ERRNO PROG [ARGS...]\n");
      return 2;
    }
  unsigned nr = (unsigned) strtoul (argv[1], NULL, 10);
  unsigned e = (unsigned) strtoul (argv[2], NULL, 10);
  struct sock_filter f[] = {
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr)),
    BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (e & SECCOMP_RET_DATA)),
    BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = { .len = sizeof f / sizeof f[0], .filter = f };
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
    {
      perror ("deny_syscall: load the filter");
      return 1;
    }
  execvp (argv[3], argv + 3);
  perror ("deny_syscall: exec");
  return 127;
}
