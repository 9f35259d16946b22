/* nested_proc: as a process in a container would try it, make a user
 * namespace (root in it mapped to our ids), then a mount and a pid namespace
 * owned by it, and mount a fresh procfs there. The kernel allows that only
 * when a procfs in the mount namespace is fully visible (nothing mounted over
 * any of it); the container's own /proc is masked, so the mount must fail
 * with EPERM. Prints "proc: mounted" (exit 1) or "proc: refused: <error>"
 * (exit 0); setup failures exit 2. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static int
write_file (const char *path, const char *s)
{
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = write (fd, s, strlen (s));
  close (fd);
  return n == (ssize_t) strlen (s) ? 0 : -1;
}

int
main (void)
{
  setvbuf (stdout, NULL, _IONBF, 0); /* _exit below flushes nothing */
  char map[64];
  unsigned uid = (unsigned) geteuid (), gid = (unsigned) getegid ();
  if (unshare (CLONE_NEWUSER) < 0)
    {
      printf ("setup: unshare(CLONE_NEWUSER): %s\n", strerror (errno));
      return 2;
    }
  snprintf (map, sizeof map, "0 %u 1\n", uid);
  if (write_file ("/proc/self/uid_map", map) < 0)
    {
      printf ("setup: uid_map: %s\n", strerror (errno));
      return 2;
    }
  snprintf (map, sizeof map, "0 %u 1\n", gid);
  if (write_file ("/proc/self/setgroups", "deny") < 0 || write_file ("/proc/self/gid_map", map) < 0)
    {
      printf ("setup: gid_map: %s\n", strerror (errno));
      return 2;
    }
  if (unshare (CLONE_NEWNS | CLONE_NEWPID) < 0)
    {
      printf ("setup: unshare(CLONE_NEWNS|CLONE_NEWPID): %s\n", strerror (errno));
      return 2;
    }
  pid_t pid = fork ();
  if (pid < 0)
    {
      printf ("setup: fork: %s\n", strerror (errno));
      return 2;
    }
  if (pid == 0)
    {
      /* pid 1 of the new pid namespace: its procfs */
      if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        {
          printf ("setup: make / private: %s\n", strerror (errno));
          _exit (2);
        }
      if (mount ("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
        {
          printf ("proc: mounted\n");
          _exit (1);
        }
      printf ("proc: refused: %s\n", strerror (errno));
      _exit (0);
    }
  int st;
  if (waitpid (pid, &st, 0) < 0 || !WIFEXITED (st))
    return 2;
  return WEXITSTATUS (st);
}
