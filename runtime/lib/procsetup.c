/* procsetup.c: session, fds, terminal, cwd, credentials and exec of a
 * container process. */
#include "procsetup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "lsm.h"
#include "process.h"
#include "resolve.h"
#include "rootfs.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

int
al_proc_new_session (al_error_t *err)
{
  if (setsid () < 0)
    return al_err (err, errno, "setsid: leave the caller's session");
  return 0;
}

/* Close lo .. hi (cloexec: mark them close-on-exec instead) one fd at a
   time, for when close_range cannot: the open ones listed by /proc/self/fd,
   else every slot up to the hard limit (fds may sit above a soft limit
   lowered after they were opened), at most 2^20 (the kernel's default
   nr_open). */
static int
span_one_by_one (unsigned lo, unsigned hi, bool cloexec, al_error_t *err)
{
  DIR *d = opendir ("/proc/self/fd");
  if (d)
    {
      /* Listed first, acted on after: closing while reading the directory
         would skip entries. */
      int dfd = dirfd (d), r = 0;
      size_t n = 0, cap = 0;
      _cleanup_free_ int *fds = NULL;
      struct dirent *de;
      while ((de = readdir (d)))
        {
          char *end;
          unsigned long v = strtoul (de->d_name, &end, 10);
          if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end || v < lo || v > hi || v > INT_MAX
              || (int) v == dfd)
            continue;
          if (n == cap)
            {
              cap = cap ? cap * 2 : 64;
              int *g = realloc (fds, cap * sizeof *fds);
              if (g == NULL)
                abort (); /* as al_xmalloc0 */
              fds = g;
            }
          fds[n++] = (int) v;
        }
      closedir (d);
      for (size_t i = 0; i < n && r == 0; i++)
        {
          if (!cloexec)
            close (fds[i]);
          else if (fcntl (fds[i], F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
            r = al_err (err, errno, "mark fd %d close-on-exec", fds[i]);
        }
      return r;
    }
  struct rlimit rl;
  unsigned end = hi;
  if (hi == ~0U)
    {
      end = 1U << 20;
      if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max < end)
        end = (unsigned) rl.rlim_max;
    }
  for (unsigned fd = lo; fd <= end && fd < INT_MAX; fd++)
    {
      if (!cloexec)
        close ((int) fd);
      else if (fcntl ((int) fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
        return al_err (err, errno, "mark fd %u close-on-exec", fd);
    }
  return 0;
}

/* Close lo .. hi (hi ~0U: to the end). */
static int
close_span (unsigned lo, unsigned hi, al_error_t *err)
{
  if (lo > hi)
    return 0;
  if (syscall (SYS_close_range, lo, hi, 0) == 0)
    return 0;
  /* No close_range: kernel < 5.9 or an emulator (ENOSYS), or a seccomp
     filter our caller runs under (EPERM, or any errno it chose). */
  return span_one_by_one (lo, hi, false, err);
}

int
al_proc_cloexec_from (int first, al_error_t *err)
{
  unsigned lo = first > 0 ? (unsigned) first : 0;
  if (syscall (SYS_close_range, lo, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  /* Kernel < 5.11 (EINVAL: no CLOSE_RANGE_CLOEXEC), < 5.9 (ENOSYS), or a
     filter of our caller's. */
  int r = span_one_by_one (lo, ~0U, true, err);
  if (r < 0)
    return al_err_prefix (err, "fds from %u: none may reach the container", lo);
  return 0;
}

int
al_proc_close_fds (int keep_below, const int *keep, size_t n, al_error_t *err)
{
  unsigned lo = keep_below > 0 ? (unsigned) keep_below : 0;
  for (;;)
    {
      /* The lowest fd to keep at or above lo closes the gap below it. */
      int next = -1;
      for (size_t i = 0; i < n; i++)
        if (keep[i] >= 0 && (unsigned) keep[i] >= lo && (next < 0 || keep[i] < next))
          next = keep[i];
      if (next < 0)
        return close_span (lo, ~0U, err);
      int r = close_span (lo, (unsigned) next - 1, err);
      if (r < 0)
        return r;
      lo = (unsigned) next + 1;
    }
}

int
al_proc_check_cwd (const char *cwd, al_error_t *err)
{
  /* The raw syscall: glibc's getcwd turns "(unreachable)/..." into ENOENT. */
  char buf[PATH_MAX];
  long n = syscall (SYS_getcwd, buf, sizeof buf);
  if (n < 0)
    return al_err (err, errno, "process.cwd \"%s\": not reachable from the container's root: refusing to run", cwd);
  if (n == 0 || buf[0] != '/')
    return al_err (err, 0, "process.cwd \"%s\": resolves outside the container's root: refusing to run", cwd);
  return 0;
}

int
al_proc_enter_cwd (const char *cwd, bool create, al_error_t *err)
{
  _cleanup_close_ int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return al_err (err, errno, "process.cwd \"%s\": open the container's root", cwd);
  _cleanup_close_ int fd = al_resolve_in_root (root, cwd);
  if (fd < 0 && errno == ENOENT && create)
    {
      _cleanup_free_ char *what = al_xasprintf ("process.cwd \"%s\"", cwd);
      int r = al_rootfs_open_in (root, cwd, S_IFDIR, what, &fd, err);
      if (r < 0)
        return r;
    }
  if (fd < 0)
    {
      if (errno == ELOOP)
        return al_err (err, errno,
                       "process.cwd \"%s\": goes through a magic link (/proc/PID/fd/N, /proc/PID/cwd, ...) "
                       "or a symlink loop: refusing to run",
                       cwd);
      return al_err (err, errno, "process.cwd \"%s\"", cwd);
    }
  if (fchdir (fd) < 0)
    return al_err (err, errno, "process.cwd \"%s\": chdir", cwd);
  return al_proc_check_cwd (cwd, err);
}

int
al_proc_terminal (const struct oci_process *p, int console, int sync, al_error_t *err)
{
  if (!p->terminal)
    return 0;
  _cleanup_close_ int master = -1, slave = -1;
  int r = al_pty_open ("/dev/ptmx", &master, &slave, err);
  if (r < 0)
    return al_err_prefix (err, "process.terminal");
  /* The process's own terminal: its uid owns the pty (the group and mode
     come from the devpts mount, e.g. gid=5,mode=0620), so that it can
     reopen it (/dev/pts/N, /proc/self/fd/0) after the user switch, as with
     runc. An unmapped uid (EINVAL), an owner we may not change (EPERM) or a
     read-only devpts (EROFS) leave it as it is. */
  if (fchown (slave, (uid_t) p->user.uid, (gid_t) -1) < 0 && errno != EINVAL && errno != EPERM && errno != EROFS)
    return al_err (err, errno, "process.terminal: chown the pty to uid %u", (unsigned) p->user.uid);
  if (p->has_console_size)
    {
      r = al_pty_set_size (master, p->console_height, p->console_width, err);
      if (r < 0)
        return r;
    }
  if (console >= 0)
    {
      r = al_send_fd (console, master, "/dev/pts/0", err);
      if (r < 0)
        return al_err_prefix (err, "--console-socket: send the pty master");
    }
  else if (sync >= 0)
    {
      al_sync_send (sync, AL_SYNC_PTY, 0, NULL);
      r = al_send_fd (sync, master, "pty", err);
      if (r < 0)
        return r;
    }
  else
    return al_err (err, 0, "process.terminal is true but no --console-socket was given");
  return al_pty_make_controlling (slave, err);
}

int
al_proc_die_with_parent (int *parent_pidfd, al_error_t *err)
{
  if (*parent_pidfd < 0)
    return 0;
  if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
    return al_err (err, errno, "prctl(PR_SET_PDEATHSIG) for the monitor's death");
  /* A parent that died before the prctl sends nothing: look. */
  struct pollfd pfd = { .fd = *parent_pidfd, .events = POLLIN };
  int n;
  while ((n = poll (&pfd, 1, 0)) < 0 && errno == EINTR)
    ;
  al_closep (parent_pidfd);
  if (n != 0)
    return al_err (err, ESRCH, "the monitor that created the container is gone");
  return 0;
}

/* Load the filter and hand its notify listener (if any) to the parent at
   once: every syscall the init makes from here on may be a notified one
   (setresuid, capset, prctl... below without no_new_privs; read, close,
   execve... later), answered by whoever gets the listener (the agent at
   linux.seccomp.listenerPath, a monitor), so it must have it before the
   init's next syscall. The hand-over is one sendmsg, which
   al_seccomp_prepare therefore refuses to notify. The container never keeps
   the listener. */
static int
install_and_hand_over (struct al_seccomp *seccomp, int sync, al_error_t *err)
{
  int listener = -1;
  int r = al_seccomp_install (seccomp, &listener, err);
  if (r < 0 || listener < 0)
    return r;
  if (sync >= 0 && (r = al_sync_send_fd (sync, AL_SYNC_SECCOMP, listener)) < 0)
    al_err (err, -r, "linux.seccomp: hand the notify listener to the runtime");
  close (listener);
  return r < 0 ? r : 0;
}

int
al_proc_finalize_creds (const struct oci_process *p, struct al_seccomp *seccomp, int sync, al_error_t *err)
{
  int none = -1;
  return al_proc_finalize_creds_watched (p, seccomp, sync, &none, err);
}

int
al_proc_finalize_creds_watched (const struct oci_process *p, struct al_seccomp *seccomp, int sync,
                                int *parent_pidfd, al_error_t *err)
{
  int r;
  /* Without no_new_privs a filter can only be loaded while we still hold
     CAP_SYS_ADMIN: before the user switch and the capability drop. */
  if (seccomp && !p->no_new_privileges)
    {
      /* The parent-death signal goes before the filter (which may notify
         prctl or poll); the user switch below may clear it (reaper.h). */
      r = al_proc_die_with_parent (parent_pidfd, err);
      if (r < 0)
        return r;
      r = install_and_hand_over (seccomp, sync, err);
      if (r < 0)
        return r;
    }
  r = al_lsm_apply_exec (p, err);
  if (r < 0)
    return r;
  r = al_caps_keep (err);
  if (r < 0)
    return r;
  r = al_process_set_user (p, err);
  if (r < 0)
    return r;
  r = al_caps_apply (&p->capabilities, err);
  if (r < 0)
    return r;
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return al_err (err, errno, "process.noNewPrivileges: prctl");
  /* After the last credential change (a change of euid/egid/fsuid/fsgid or a
     gain of capabilities clears it; with no_new_privs the exec cannot), and
     before the filter. */
  r = al_proc_die_with_parent (parent_pidfd, err);
  if (r < 0)
    return r;
  if (seccomp && p->no_new_privileges)
    return install_and_hand_over (seccomp, sync, err);
  return 0;
}

int
al_proc_exec (const struct oci_process *p, char *const *env, const char *path, int preserve_fds, al_error_t *err)
{
  int first = 3 + (preserve_fds > 0 ? preserve_fds : 0);
  for (int fd = 3; fd < first; fd++)
    {
      int fl = fcntl (fd, F_GETFD);
      if (fl >= 0)
        fcntl (fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
  /* Every fd from `first` on is close-on-exec already (al_proc_cloexec_from,
     before the filter: a close_range here could be denied, or kill us). */
  static char *const no_env[] = { NULL };
  if (env == NULL)
    env = p->env ? p->env : no_env;
  execve (path, p->args, env);
  return al_err (err, errno, "exec `%s`", path);
}

static int
stdio_no_dir (al_error_t *err)
{
  /* A directory as stdio would be a way out: fchdir(0), then "..". */
  for (int fd = 0; fd <= 2; fd++)
    {
      struct stat st;
      if (fstat (fd, &st) == 0 && S_ISDIR (st.st_mode))
        return al_err (err, 0, "stdio: fd %d is a directory: refusing to hand it to the container", fd);
    }
  return 0;
}

int
al_proc_stdio (const int stdio[3], al_error_t *err)
{
  if (stdio == NULL)
    return stdio_no_dir (err);
  /* Move the sources above 2 first, so that dup2 of one cannot clobber
     another still to be placed. */
  int src[3];
  for (int i = 0; i < 3; i++)
    {
      src[i] = -1;
      if (stdio[i] < 0)
        continue;
      src[i] = fcntl (stdio[i], F_DUPFD_CLOEXEC, 3);
      if (src[i] < 0)
        return al_err (err, errno, "stdio: dup fd %d", stdio[i]);
    }
  for (int i = 0; i < 3; i++)
    {
      if (src[i] < 0)
        continue;
      if (dup2 (src[i], i) < 0)
        return al_err (err, errno, "stdio: dup2 onto fd %d", i);
      close (src[i]);
    }
  return stdio_no_dir (err);
}
