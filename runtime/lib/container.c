/* container.c: create, start, state, kill, delete and list.
 *
 * create clones the container's init with clone3() straight from this process
 * (no re-exec): every new namespace at once, into its cgroup, with a pidfd.
 * Parent and init talk over a SOCK_SEQPACKET socketpair:
 *
 *   parent                              init
 *                                       setsid, close every fd but its own
 *   write uid/gid maps   -- MAPS -->    become root of its user namespace
 *                                       join namespaces, mounts (before pivot)
 *   prestart,            <-- HOOKS --   (only when such hooks exist)
 *   createRuntime hooks  -- CONTINUE -->
 *                                       createContainer hooks, pivot_root
 *                                       (chroot without a mount namespace),
 *                                       masked/readonly paths, terminal,
 *                                       rlimits, cwd, user, caps, seccomp
 *   (its notify listener <-- SECCOMP -- right after the filter is loaded)
 *   write state.json     <-- READY --
 *                        -- COMMIT -->  block reading exec.fifo
 *
 * `start` writes a byte into exec.fifo (opened O_RDWR by the init so that no
 * /proc is needed inside the container) and removes it: the init then runs the
 * startContainer hooks (if any, under the filter) and execs the program. */
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/sched.h>

#include "bindcheck.h"
#include "caps.h"
#include "cgroup.h"
#include "cgroup_systemd.h"
#include "hooks.h"
#include "idpool.h"
#include "lsm.h"
#include "namespaces.h"
#include "process.h"
#include "profile.h"
#include "procsetup.h"
#include "reaper.h"
#include "rootfs.h"
#include "seccomp.h"
#include "seccomp_listener.h"
#include "spec.h"
#include "sync.h"
#include "idmap.h"
#include "intelrdt.h"
#include "mempolicy.h"
#include "netdev.h"
#include "terminal.h"
#include "util.h"
#include "watcher.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define DELETE_LOCK_TIMEOUT_MS 10000 /* delete --force behind a hung create */

/* ------------------------------------------------------------------ init -- */

struct init_ctx
{
  const struct al_create_opts *o;
  const struct oci_spec *spec;
  struct al_ns_plan *plan;
  struct al_seccomp *seccomp;
  const char *rootfs;
  const char *bundle;
  int sync;
  int fifo;
  int console;
  int parent_pidfd;   /* die_with_parent: a pidfd of the runtime, kept until the
                         last credential change, else -1 */
  bool need_parent_hooks;
  bool legacy_clone;  /* clone(): the parent moves us into the cgroup first */
  bool late_cgroupns; /* ... and then we create our cgroup namespace */
  bool new_mount;
  bool new_uts;
  int *idmap_fds; /* per mounts[i]: the idmapped tree to attach, else -1; NULL: none */
  int *bind_fds;  /* per mounts[i]: the bind source's tree cloned by the runtime, else -1; NULL: none */
  int bind_sock;  /* the trees arrive here (until EOF) before the mounts, else -1 */
};

__attribute__ ((noreturn)) static void
init_fail (struct init_ctx *c, al_error_t *err)
{
  al_sync_send_error (c->sync, *err);
  _exit (1);
}

static int
init_wait_for (struct init_ctx *c, int want, al_error_t *err)
{
  struct al_sync_msg m;
  int t = al_sync_recv (c->sync, &m);
  if (t == want)
    return 0;
  if (t <= 0)
    _exit (1); /* the runtime went away: nothing to report to */
  return al_err (err, EPROTO, "init: unexpected message %d from the runtime (wanted %d)", t, want);
}

/* The bind sources' trees the runtime's helper cloned in our mount
   namespace (send_bind_trees), each with its mounts[] index, until EOF. */
static int
recv_bind_trees (struct init_ctx *c, al_error_t *err)
{
  for (;;)
    {
      char payload[32];
      int fd = -1;
      int r = al_recv_fd (c->bind_sock, &fd, payload, sizeof payload, err);
      if (r < 0)
        return al_err_prefix (err, "init: the bind mounts' trees");
      if (fd < 0 && payload[0] == '\0')
        break; /* EOF: the helper is done */
      char *end = NULL;
      unsigned long i = strtoul (payload, &end, 10);
      if (fd < 0 || end == payload || *end != '\0' || i >= c->spec->n_mounts || c->bind_fds[i] >= 0)
        {
          if (fd >= 0)
            close (fd);
          return al_err (err, EPROTO, "init: unexpected bind tree message `%s`", payload);
        }
      c->bind_fds[i] = fd;
    }
  al_closep (&c->bind_sock);
  return 0;
}

__attribute__ ((noreturn)) static void
container_init (struct init_ctx *c)
{
  _cleanup_error_ al_error_t err = NULL;
  const struct oci_spec *spec = c->spec;
  const struct oci_process *p = spec->process;

  /* Nothing of the caller's session, and none of the fds the runtime (or its
     caller) had open: the state dir and its lock (`start` would wait for a
     lock the init holds until exec), the cgroup dir, pidfds, a systemd bus,
     other containers' fds in the shim... Each is a host directory or object
     that process.cwd ("/proc/self/fd/N"), a hook or the program could reach.
     Kept: our sync fds, the stdio sources until they are in place, the
     namespaces we are about to join and the fds the caller preserves. */
  if (al_proc_new_session (&err) < 0)
    init_fail (c, &err);
  int keep[5 + AL_IDMAP_MAX + 3 + OCI_NS_COUNT];
  size_t nkeep = 0;
  keep[nkeep++] = c->sync;
  keep[nkeep++] = c->fifo;
  keep[nkeep++] = c->parent_pidfd;
  keep[nkeep++] = c->console;
  for (size_t i = 0; c->idmap_fds && i < spec->n_mounts; i++)
    if (c->idmap_fds[i] >= 0)
      keep[nkeep++] = c->idmap_fds[i];
  keep[nkeep++] = c->bind_sock;
  size_t nkeep_late = nkeep; /* kept after the joins too */
  for (int i = 0; i < 3; i++)
    keep[nkeep++] = c->o->stdio[i];
  for (int t = 0; t < OCI_NS_COUNT; t++)
    keep[nkeep++] = c->plan->join_fd[t];
  int keep_below = 3 + (c->o->preserve_fds > 0 ? c->o->preserve_fds : 0);
  if (al_proc_close_fds (keep_below, keep, nkeep, &err) < 0)
    init_fail (c, &err);

  if (al_proc_stdio (c->o->stdio, &err) < 0)
    init_fail (c, &err);

  /* Signals as a fresh process sees them. */
  sigset_t all;
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);

  if (c->plan->new_user || c->legacy_clone)
    {
      if (init_wait_for (c, AL_SYNC_MAPS, &err) < 0)
        init_fail (c, &err);
    }
  if (c->late_cgroupns && unshare (CLONE_NEWCGROUP) < 0)
    {
      al_err (&err, errno, "create a cgroup namespace");
      init_fail (c, &err);
    }
  if (c->plan->new_user || c->plan->join_user_first)
    {
      /* Become root of the new (or joined) user namespace when 0 is mapped. */
      if (setresgid (0, 0, 0) < 0 && errno != EINVAL)
        {
          al_err (&err, errno, "linux.gidMappings: setresgid(0) in the new user namespace");
          init_fail (c, &err);
        }
      if (setresuid (0, 0, 0) < 0 && errno != EINVAL)
        {
          al_err (&err, errno, "linux.uidMappings: setresuid(0) in the new user namespace");
          init_fail (c, &err);
        }
    }
  if (al_ns_join (c->plan, &err) < 0)
    init_fail (c, &err);
  /* The host's namespace fds too (pid and time ones, joined by the parent),
     before the config's mounts and hooks. */
  if (al_proc_close_fds (keep_below, keep, nkeep_late, &err) < 0)
    init_fail (c, &err);
  if ((c->plan->clone_flags & CLONE_NEWNET) && al_ns_loopback_up (&err) < 0)
    init_fail (c, &err);

  if (spec->hostname && *spec->hostname)
    {
      if (!c->new_uts)
        {
          al_err (&err, 0, "hostname: cannot set \"%s\" without a new uts namespace", spec->hostname);
          init_fail (c, &err);
        }
      if (sethostname (spec->hostname, strlen (spec->hostname)) < 0)
        {
          al_err (&err, errno, "hostname: sethostname(\"%s\")", spec->hostname);
          init_fail (c, &err);
        }
    }
  if (spec->domainname && *spec->domainname)
    {
      if (!c->new_uts)
        {
          al_err (&err, 0, "domainname: cannot set \"%s\" without a new uts namespace", spec->domainname);
          init_fail (c, &err);
        }
      if (setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
        {
          al_err (&err, errno, "domainname: setdomainname(\"%s\")", spec->domainname);
          init_fail (c, &err);
        }
    }
  if (!c->o->no_new_keyring)
    {
      _cleanup_free_ char *name = al_xasprintf ("_ses.%s", c->o->id);
      if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0 && errno != ENOSYS && errno != EACCES
          && errno != EPERM && errno != EDQUOT)
        {
          al_err (&err, errno, "join a new session keyring");
          init_fail (c, &err);
        }
    }

  struct al_rootfs_opts ro = {
    .rootfs = c->rootfs,
    .bundle = c->bundle,
    .in_userns = c->plan->new_user || c->plan->joined_user,
    .no_pivot = c->o->no_pivot,
    .idmap_fds = c->idmap_fds,
    .bind_fds = c->bind_fds,
  };
  if (c->bind_sock >= 0 && recv_bind_trees (c, &err) < 0)
    init_fail (c, &err);
  if (c->new_mount && al_rootfs_setup (spec, &ro, &err) < 0)
    init_fail (c, &err);

  if (c->need_parent_hooks)
    {
      al_sync_send (c->sync, AL_SYNC_HOOKS, 0, NULL);
      if (init_wait_for (c, AL_SYNC_CONTINUE, &err) < 0)
        init_fail (c, &err);
    }
  if (spec->hooks.create_container.n)
    {
      struct al_state st = { .id = (char *) c->o->id, .pid = getpid (), .bundle = (char *) c->bundle,
                             .rootfs = (char *) c->rootfs };
      _cleanup_free_ char *json = al_state_oci_json (&st, AL_STATUS_CREATING, false);
      /* As runc: createContainer hooks run in the rootfs (the container's
         mount namespace, before pivot_root), so relative paths are the
         container's. */
      if (chdir (c->rootfs) < 0)
        {
          al_err (&err, errno, "createContainer hooks: chdir to the rootfs %s", c->rootfs);
          init_fail (c, &err);
        }
      if (al_hooks_run (&spec->hooks.create_container, "createContainer", json, &err) < 0)
        init_fail (c, &err);
    }

  /* The runtime's mount namespace (none in linux.namespaces): chroot only,
     nothing is mounted (create refused what would be). */
  if (c->new_mount ? al_rootfs_pivot (&ro, &err) < 0 : al_rootfs_chroot (&ro, &err) < 0)
    init_fail (c, &err);
  /* sysctl before readonlyPaths makes /proc/sys read-only. */
  if (al_process_set_sysctl (spec->linux_, &err) < 0)
    init_fail (c, &err);
  if (c->new_mount && al_rootfs_finish (spec, &ro, &err) < 0)
    init_fail (c, &err);
  if (al_proc_terminal (p, c->console, c->o->foreground ? c->sync : -1, &err) < 0)
    init_fail (c, &err);
  al_closep (&c->console);
  if (al_process_set_rlimits (p, &err) < 0)
    init_fail (c, &err);
  if (al_process_set_sched (p, spec->linux_, &err) < 0)
    init_fail (c, &err);
  if (spec->linux_ && al_mempolicy_apply (&spec->linux_->memory_policy, &err) < 0)
    init_fail (c, &err);
  /* Only our sync fds (and the monitor's pidfd) are open (the console is closed): process.cwd is
     resolved (and created) inside the root, then checked to be there. */
  if (al_proc_close_fds (keep_below, keep, 3, &err) < 0 || al_proc_enter_cwd (p->cwd, true, &err) < 0)
    init_fail (c, &err);

  /* HOME from the container's /etc/passwd when process.env has none (runc
     does the same), read while we are still root. */
  char **env = al_process_env_with_home (p);
  _cleanup_free_ char *path = NULL;
  /* User, capabilities and seccomp now, at create: the startContainer hooks
     run after `start` as the init's children, under the container's filter
     and with its credentials (as runc runs them). */
  if (al_proc_cloexec_from (keep_below, &err) < 0
      || al_proc_finalize_creds_watched (p, c->seccomp, c->sync, &c->parent_pidfd, &err) < 0
      || al_process_find_exec (p, &path, &err) < 0)
    init_fail (c, &err);

  al_sync_send (c->sync, AL_SYNC_READY, 0, NULL);
  struct al_sync_msg m;
  if (al_sync_recv (c->sync, &m) != AL_SYNC_COMMIT)
    _exit (1);
  al_closep (&c->sync);

  /* Wait for `start`. */
  char b;
  ssize_t n;
  do
    n = read (c->fifo, &b, 1);
  while (n < 0 && errno == EINTR);
  if (n != 1)
    _exit (1);
  /* The fifo stays open (O_CLOEXEC) until the exec: `start` waits for the
     init's copy to close, so it returns only once the program runs (or the
     init is gone). Never in the preserved range, where the exec would keep
     it open. */
  int first_free = 3 + (c->o->preserve_fds > 0 ? c->o->preserve_fds : 0);
  if (c->fifo < first_free)
    {
      int moved = fcntl (c->fifo, F_DUPFD_CLOEXEC, first_free);
      al_closep (&c->fifo);
      c->fifo = moved;
    }

  if (spec->hooks.start_container.n > 0)
    {
      struct al_state st = { .id = (char *) c->o->id, .pid = getpid (), .bundle = (char *) c->bundle,
                             .rootfs = (char *) c->rootfs };
      _cleanup_free_ char *json = al_state_oci_json (&st, AL_STATUS_RUNNING, false);
      if (al_hooks_run (&spec->hooks.start_container, "startContainer", json, &err) < 0)
        {
          dprintf (STDERR_FILENO, "airlock: container \"%s\": %s\n", c->o->id, err->msg);
          _exit (1);
        }
    }
  al_proc_exec (p, env, path, c->o->preserve_fds, &err);
  dprintf (STDERR_FILENO, "airlock: container \"%s\": %s\n", c->o->id, err->msg);
  _exit (err->errnum == ENOENT ? 127 : 126);
}

/* ---------------------------------------------------------------- create -- */

void
al_create_opts_init (struct al_create_opts *o)
{
  memset (o, 0, sizeof (*o));
  o->stdio[0] = o->stdio[1] = o->stdio[2] = -1;
  o->monitor_lock = -1;
}

/* al_container_apply_profile, also handing out the profile's id pool (create
   takes a slot of it; exec, which re-applies the profile, must not). */
static int
apply_profile (struct oci_spec *spec, const char *name, bool monitor, struct al_profile_report *report,
               struct al_idpool *pool, al_error_t *err)
{
  const char *pname = oci_spec_annotation (spec, AL_PROFILE_ANNOTATION);
  if (pname == NULL)
    return 0;
  _cleanup_profile_ struct al_profile *prof = NULL;
  int r = al_profile_load (pname, &prof, err);
  if (r < 0)
    return al_err_prefix (err, "%s: annotations[\"%s\"]", name, AL_PROFILE_ANNOTATION);
  struct al_profile_host host;
  al_profile_host_probe (&host, NULL);
  host.monitor = monitor;
  r = al_profile_apply (prof, spec, &host, report, err);
  if (r < 0)
    return al_err_prefix (err, "%s", name);
  if (pool)
    al_idpool_from_profile (prof, pool);
  return 0;
}

int
al_container_apply_profile (struct oci_spec *spec, const char *name, bool monitor, struct al_profile_report *report,
                            al_error_t *err)
{
  return apply_profile (spec, name, monitor, report, NULL, err);
}

/* The container's slot of its profile's id pool back to the pool (before its
   state dir goes); a failure only delays it: the slot is reclaimable once the
   state dir is gone. */
static void
release_ids (int dirfd, const char *id, const struct al_log *log)
{
  _cleanup_error_ al_error_t err = NULL;
  if (al_idpool_release (dirfd, id, &err) < 0)
    al_log (log, "warning", "%s", err->msg);
}

/* The explicit opt-in to run without the limits whose cgroup controller the
   host's cgroup2 tree lacks: the environment (for the shim, containerd's) or,
   for a container without a profile, its annotation. A profiled container's
   annotation is the tenant's: it may say "refuse" (which wins), never opt in. */
bool
al_missing_controllers_opt_in (const struct oci_spec *spec)
{
  const char *env = getenv (AL_MISSING_CONTROLLERS_ENV);
  const char *ann = oci_spec_annotation (spec, AL_MISSING_CONTROLLERS_ANNOTATION);
  bool profiled = oci_spec_annotation (spec, AL_PROFILE_ANNOTATION) != NULL;
  if (ann && strcmp (ann, "refuse") == 0)
    return false;
  if (profiled)
    return env && strcmp (env, "warn") == 0;
  return (env && strcmp (env, "warn") == 0) || (ann && strcmp (ann, "warn") == 0);
}

/* A profiled container whose memory limit no memory controller enforces:
   refused unless the caller opted in (the environment; never the
   annotation). */
static int
check_memory_controller (const struct oci_spec *spec, const char *config_path, const char *id,
                         const struct al_profile_report *rep, const struct al_log *log, al_error_t *err)
{
  if (!rep->memory_no_controller)
    return 0;
  const char *pname = oci_spec_annotation (spec, AL_PROFILE_ANNOTATION);
  const char *ann = oci_spec_annotation (spec, AL_MISSING_CONTROLLERS_ANNOTATION);
  if (al_missing_controllers_opt_in (spec))
    {
      /* Opted in: the verdict's limits.memory says which bounds held. */
      al_log (log, "debug",
              "container \"%s\": profile \"%s\": limits.memory: no memory controller in the host's cgroup2 tree; "
              "running with " AL_MISSING_CONTROLLERS_ENV "=warn: bounded by rlimits, sized tmpfs, IPC sysctls and "
              "the monitor's sampling, kernel memory unbounded",
              id, pname);
      return 0;
    }
  return al_err (err, 0,
                 "%s: container \"%s\": profile \"%s\": limits.memory: the host's cgroup2 tree has no memory "
                 "controller, so memory.max cannot bound the container (kernel memory, memfd, SysV shm and "
                 "tmpfs would escape it): refused; opt in with " AL_MISSING_CONTROLLERS_ENV
                 "=warn in the environment or `airlock sandbox --missing-controllers warn`%s",
                 config_path, id, pname,
                 ann && strcmp (ann, "refuse") != 0
                     ? " (the annotation " AL_MISSING_CONTROLLERS_ANNOTATION " of a profiled container may only say "
                       "\"refuse\")"
                     : "");
}

bool
al_container_uses_systemd (bool systemd_flag, const char *cgroups_path)
{
  if (systemd_flag)
    return true;
  /* A "slice:prefix:name" path on a systemd host means the systemd driver,
     as with runc and crun. */
  return cgroups_path && cgroups_path[0] != '/' && strchr (cgroups_path, ':') && al_systemd_is_running ();
}

static pid_t clone3_init (uint64_t flags, int cgroup_fd, int *pidfd);

/* The init is cloned by a short-lived helper when namespaces must be joined
   before its user namespace is entered or created (plan->join_user_first, a
   user namespace joined by path plus new namespaces that must belong to it,
   and plan->helper_joined, net/ipc/uts/cgroup namespaces joined by path that
   only the runtime's root may join): the runtime cannot leave them again, so
   the helper joins them and clones the init (with `flags`, CLONE_NEWUSER for
   a new user namespace) as the runtime's child (CLONE_PARENT), hands back its
   pid and exits. The init waits for the parent (legacy clone): the parent
   moves it into its cgroup (and writes its maps). Returns the pid (0 in the
   init), -1 with errno and *failed_ns the namespace type the helper could
   not join (-1: the clone failed). */
static pid_t
clone_in_helper (const struct al_ns_plan *plan, uint64_t flags, int cgroup_fd, int *pidfd, int *failed_ns,
                 bool *in_cgroup)
{
  *failed_ns = -1;
  *in_cgroup = false;
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return -1;
  pid_t helper = fork ();
  if (helper < 0)
    {
      int e = errno;
      close (p[0]);
      close (p[1]);
      errno = e;
      return -1;
    }
  if (helper == 0)
    {
      close (p[0]);
      int res[4] = { 0, 0, -1, 0 };
      if (al_ns_helper_join (plan, &res[2]) < 0)
        res[1] = errno;
      else
        {
          struct clone_args args;
          memset (&args, 0, sizeof args);
          args.flags = flags | CLONE_PARENT;
          args.exit_signal = 0; /* CLONE_PARENT: the helper's own (SIGCHLD) */
          pid_t pid = -1;
          if (cgroup_fd >= 0)
            {
              /* Born in its cgroup: moving it there after costs the parent
                 an RCU grace period (cgroup.procs), ~20 ms a container. */
              args.flags |= CLONE_INTO_CGROUP;
              args.cgroup = (uint64_t) cgroup_fd;
              pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
              res[3] = pid >= 0;
              if (pid < 0)
                {
                  args.flags &= ~(uint64_t) CLONE_INTO_CGROUP;
                  args.cgroup = 0;
                }
            }
          if (pid < 0)
            pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
          if (pid < 0 && errno == ENOSYS)
            pid = (pid_t) syscall (SYS_clone, (unsigned long) (flags | CLONE_PARENT), NULL, NULL, NULL, NULL);
          if (pid == 0)
            {
              close (p[1]);
              return 0;
            }
          res[0] = pid;
          res[1] = pid < 0 ? errno : 0;
        }
      if (write (p[1], res, sizeof res) != (ssize_t) sizeof res)
        _exit (2);
      _exit (0);
    }
  close (p[1]);
  int res[4] = { -1, EPROTO, -1, 0 };
  ssize_t n;
  do
    n = read (p[0], res, sizeof res);
  while (n < 0 && errno == EINTR);
  close (p[0]);
  int st;
  while (waitpid (helper, &st, 0) < 0 && errno == EINTR)
    ;
  if (n != (ssize_t) sizeof res || res[1] != 0)
    {
      if (n == (ssize_t) sizeof res && res[2] >= 0 && res[2] < OCI_NS_COUNT)
        *failed_ns = res[2];
      errno = n == (ssize_t) sizeof res ? res[1] : EPROTO;
      return -1;
    }
  *pidfd = (int) syscall (SYS_pidfd_open, (pid_t) res[0], 0);
  *in_cgroup = res[3] != 0;
  return (pid_t) res[0];
}

static pid_t
clone3_init (uint64_t flags, int cgroup_fd, int *pidfd)
{
  struct clone_args args;
  memset (&args, 0, sizeof args);
  args.flags = flags | CLONE_PIDFD;
  args.pidfd = (uint64_t) (uintptr_t) pidfd;
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (uint64_t) cgroup_fd;
    }
  return (pid_t) syscall (SYS_clone3, &args, sizeof args);
}

static char *
abs_path (const char *base, const char *p)
{
  if (p[0] == '/')
    return al_xstrdup (p);
  return al_xasprintf ("%s/%s", base, p);
}

static bool
has_ns (const struct oci_spec *spec, enum oci_ns_type t)
{
  return oci_spec_namespace (spec, t) != NULL;
}

/* A config without a mount namespace (runtime-spec: the container shares the
   runtime's): everything that would mount in it is refused, naming the JSON
   path. A profile's containers always have one of their own. */
static int
check_shared_mount_ns (const struct oci_spec *spec, const char *config_path, bool profiled, al_error_t *err)
{
  static const char need[] = "needs a mount namespace of the container's own (linux.namespaces has no \"mount\")";
  const struct oci_linux *l = spec->linux_;
  if (profiled || oci_spec_annotation (spec, AL_PROFILE_ANNOTATION))
    return al_err (err, 0, "%s: linux.namespaces: the container's profile needs a mount namespace of its own",
                   config_path);
  if (spec->n_mounts)
    return al_err (err, 0, "%s: mounts[0]: %s", config_path, need);
  if (l && l->masked_paths && l->masked_paths[0])
    return al_err (err, 0, "%s: linux.maskedPaths[0]: %s", config_path, need);
  if (l && l->readonly_paths && l->readonly_paths[0])
    return al_err (err, 0, "%s: linux.readonlyPaths[0]: %s", config_path, need);
  if (l && l->rootfs_propagation)
    return al_err (err, 0, "%s: linux.rootfsPropagation: %s", config_path, need);
  if (l && l->n_devices)
    return al_err (err, 0, "%s: linux.devices[0]: %s", config_path, need);
  if (spec->root_readonly)
    return al_err (err, 0, "%s: root.readonly: %s", config_path, need);
  return 0;
}

static int
kill_and_reap (pid_t pid, int pidfd)
{
  if (pidfd >= 0)
    syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  else if (pid > 0)
    kill (pid, SIGKILL);
  if (pid > 0)
    while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
      ;
  return 0;
}

static int
write_pid_file (const char *path, pid_t pid, al_error_t *err)
{
  char buf[32];
  int n = snprintf (buf, sizeof buf, "%d", pid);
  int r = al_write_file_atomic_at (AT_FDCWD, path, buf, (size_t) n, 0644, err);
  if (r < 0)
    return al_err_prefix (err, "--pid-file");
  return 0;
}

int
al_config_read (const struct al_create_opts *o, const char *path, char **text, size_t *len, al_error_t *err)
{
  /* The bundle's config.json must be a regular file (a FIFO would block us,
   * a device never end); --config may be a pipe: the caller chose it. */
  if (o->config_path)
    return al_read_file_at (AT_FDCWD, path, AL_CONFIG_MAX_SIZE, text, len, err);
  return al_read_regular_file_at (AT_FDCWD, path, AL_CONFIG_MAX_SIZE, text, len, err);
}

/* --debug: the namespaces the init gets, new or joined by path. */
static void
debug_namespaces (const struct al_log *log, const char *id, const struct oci_spec *spec)
{
  size_t n = spec->linux_ ? spec->linux_->n_namespaces : 0;
  _cleanup_free_ char *line = al_xstrdup ("");
  for (size_t i = 0; i < n; i++)
    {
      const struct oci_namespace *ns = &spec->linux_->namespaces[i];
      char *next = al_xasprintf ("%s%s%s%s%s", line, i ? ", " : "", oci_ns_type_name (ns->type),
                                 ns->path ? " joined from " : " (new)", ns->path ? ns->path : "");
      free (line);
      line = next;
    }
  al_log (log, "debug", "container \"%s\": namespaces: %s", id, n ? line : "none (the runtime's)");
}

/* A short-lived child joins the init's mount namespace (still a copy of
   ours, not yet touched: the init waits for the trees), clones the bind
   sources there with our credentials and sends each tree to the init. In
   that namespace the kernel keeps the mounts below a source locked, as for
   a bind the init would make itself. Best effort: what is not sent, the
   init binds itself. */
static void
send_bind_trees (int sock, pid_t pid, const struct oci_spec *spec, const char *bundle)
{
  pid_t h = fork ();
  if (h == 0)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/mnt", (int) pid);
      int ns = open (path, O_RDONLY | O_CLOEXEC);
      if (ns < 0 || setns (ns, CLONE_NEWNS) < 0)
        _exit (1);
      int *fds = NULL;
      if (al_rootfs_prepare_binds (spec, bundle, &fds, NULL) < 0 || fds == NULL)
        _exit (1);
      for (size_t i = 0; i < spec->n_mounts; i++)
        if (fds[i] >= 0)
          {
            char payload[32];
            snprintf (payload, sizeof payload, "%zu", i);
            if (al_send_fd (sock, fds[i], payload, NULL) < 0)
              _exit (1);
          }
      _exit (0);
    }
  if (h > 0)
    while (waitpid (h, NULL, 0) < 0 && errno == EINTR)
      ;
}

int
al_container_create (const struct al_create_opts *o, struct al_created *out, al_error_t *err)
{
  int r;
  out->pid = -1;
  out->pidfd = -1;
  out->pty_master = -1;
  out->seccomp_listener = -1;

  r = al_id_validate (o->id, err);
  if (r < 0)
    return r;

  _cleanup_free_ char *bundle = realpath (o->bundle ? o->bundle : ".", NULL);
  if (bundle == NULL)
    return al_err (err, errno, "bundle `%s`", o->bundle ? o->bundle : ".");
  _cleanup_free_ char *config_path = o->config_path ? al_xstrdup (o->config_path)
                                                    : al_xasprintf ("%s/config.json", bundle);
  _cleanup_free_ char *own_text = NULL;
  _cleanup_spec_ struct oci_spec *own_spec = NULL;
  const char *text = o->config_text;
  size_t text_len = o->config_len;
  struct oci_spec *spec = o->spec;
  _cleanup_idpool_ struct al_idpool pool = { 0 };
  struct al_profile_report prep = { 0 };
  const struct al_profile_report *rep = &prep;
  if (spec == NULL)
    {
      r = al_config_read (o, config_path, &own_text, &text_len, err);
      if (r < 0)
        return r;
      text = own_text;
      r = oci_spec_parse (config_path, text, text_len, &own_spec, err);
      if (r < 0)
        return r;
      spec = own_spec;
    }
  al_log (o->log, "debug", "container \"%s\": config %s, bundle %s", o->id, config_path, bundle);
  if (o->profile)
    {
      /* Applied by the monitor already (al_watch_prepare), its report too. */
      al_idpool_from_profile (o->profile, &pool);
      if (o->profile_report)
        rep = o->profile_report;
    }
  else
    {
      r = apply_profile (spec, config_path, o->keep_seccomp_listener, &prep, &pool, err);
      if (r < 0)
        return r;
    }
  r = check_memory_controller (spec, config_path, o->id, rep, o->log, err);
  if (r < 0)
    return r;
  /* Without a mount namespace of its own the container shares ours: the init
     only chroots into the rootfs, and nothing may be mounted here. */
  if (!has_ns (spec, OCI_NS_MOUNT))
    {
      r = check_shared_mount_ns (spec, config_path, o->profile != NULL, err);
      if (r < 0)
        return r;
    }
  /* A first error before anything exists; the init checks again on the fd
     it mounts, which decides. */
  r = al_bind_check_spec (spec, bundle, err);
  if (r < 0)
    return al_err_prefix (err, "%s", config_path);
  if (spec->process == NULL)
    return al_err (err, 0, "%s: process: required to create a container", config_path);
  r = al_lsm_check (spec, config_path, err);
  if (r < 0)
    return r;

  _cleanup_free_ char *rootfs_cfg = abs_path (bundle, spec->root_path);
  _cleanup_free_ char *rootfs = realpath (rootfs_cfg, NULL);
  if (rootfs == NULL)
    return al_err (err, errno, "%s: root.path: `%s`", config_path, rootfs_cfg);
  struct stat stt;
  if (stat (rootfs, &stt) < 0 || !S_ISDIR (stt.st_mode))
    return al_err (err, ENOTDIR, "%s: root.path: `%s`", config_path, rootfs);
  /* A rootfs that is (or links to) the host's / would make the host the
   * container's root: refused, whatever the namespaces. */
  if (strcmp (rootfs, "/") == 0)
    return al_err (err, 0, "%s: root.path: `%s` resolves to the host's root directory `/`", config_path, rootfs_cfg);
  if (spec->process->terminal && o->console_socket == NULL && !o->foreground)
    return al_err (err, 0, "%s: process.terminal is true: --console-socket is required", config_path);

  struct al_seccomp *seccomp = NULL;
  if (spec->linux_ && spec->linux_->seccomp)
    {
      r = o->keep_seccomp_listener ? 0 : al_seccomp_check_listener (spec->linux_->seccomp, err);
      if (r < 0)
        return al_err_prefix (err, "%s", config_path);
      r = al_seccomp_prepare (spec->linux_->seccomp, &seccomp, err);
      if (r < 0)
        return al_err_prefix (err, "%s", config_path);
    }

  _cleanup_close_ int rootfd = -1, dirfd = -1, fifo = -1, console = -1;
  _cleanup_close_ int sv0 = -1, sv1 = -1, pidfd = -1, parent_pidfd = -1;
  _cleanup_close_ int bind_sv0 = -1, bind_sv1 = -1;
  struct al_cgroup *cg = NULL;
  char *unit = NULL;
  struct al_ns_plan plan;
  bool plan_open = false, state_created = false, cg_owned = false;
  pid_t pid = -1;
  int *idmap_fds = NULL, *bind_fds = NULL;
  struct al_state st = { 0 };
  _cleanup_free_ char *rdt_root = NULL;

  rootfd = al_root_open (o->root, true, err);
  if (rootfd < 0)
    {
      r = rootfd;
      goto fail;
    }
  dirfd = al_state_dir_create (rootfd, o->id, err);
  if (dirfd < 0)
    {
      r = dirfd;
      goto fail;
    }
  state_created = true;
  r = al_reaper_claim (o->monitor_lock, dirfd, err);
  if (r < 0)
    {
      al_err_prefix (err, "container \"%s\"", o->id);
      goto fail;
    }
  r = al_write_file_at (dirfd, "config.json", text, text_len, 0600, err);
  if (r < 0)
    {
      al_err_prefix (err, "container \"%s\": state dir %s/%s", o->id, o->root, o->id);
      goto fail;
    }
  if (mkfifoat (dirfd, "exec.fifo", 0600) < 0)
    {
      r = al_err (err, errno, "container \"%s\": mkfifo exec.fifo", o->id);
      goto fail;
    }
  fifo = openat (dirfd, "exec.fifo", O_RDWR | O_CLOEXEC);
  if (fifo < 0)
    {
      r = al_err (err, errno, "container \"%s\": open exec.fifo", o->id);
      goto fail;
    }
  /* A host id range of its own, from its profile's pool. */
  r = al_idpool_apply (&pool, spec, o->root, o->id, dirfd, err);
  if (r < 0)
    goto fail;
  if (o->open_bundle_to_userns)
    al_ns_open_bundle_to_userns (bundle, spec, o->log);

  const char *cgroups_path = spec->linux_ ? spec->linux_->cgroups_path : NULL;
  const struct oci_resources *res = spec->linux_ ? spec->linux_->resources : NULL;
  bool use_systemd = al_container_uses_systemd (o->systemd_cgroup, cgroups_path);
  if (use_systemd)
    {
      /* The unit needs the init's pid: it is created right after the clone. */
      r = al_systemd_parse_path (cgroups_path, o->id, NULL, NULL, NULL, err);
      if (r < 0)
        {
          al_err_prefix (err, "%s", config_path);
          goto fail;
        }
    }
  else
    {
      r = al_cgroup_resolve (cgroups_path, o->id, &cg, err);
      if (r < 0)
        {
          al_err_prefix (err, "container \"%s\"", o->id);
          goto fail;
        }
      if (res && al_missing_controllers_opt_in (spec))
        {
          _cleanup_free_ char *dropped = NULL;
          r = al_cgroup_drop_unavailable (cg, (struct oci_resources *) res, &dropped, err);
          if (r < 0)
            {
              al_err_prefix (err, "container \"%s\"", o->id);
              goto fail;
            }
          if (dropped)
            al_log (o->log, "warning",
                    "container \"%s\": not enforced (controller missing on %s, " AL_MISSING_CONTROLLERS_ENV
                    "=warn): %s",
                    o->id, cg->mount, dropped);
        }
      r = al_cgroup_create (cg, res, err);
      if (r < 0)
        {
          al_err_prefix (err, "container \"%s\"", o->id);
          goto fail;
        }
      cg_owned = true;
      _cleanup_free_ char *mark = al_xasprintf ("%s\n%s\n", cg->mount, cg->path);
      r = al_write_file_at (dirfd, AL_STATE_CGROUP_FILE, mark, strlen (mark), 0600, err);
      if (r < 0)
        {
          al_err_prefix (err, "container \"%s\"", o->id);
          goto fail;
        }
      if (res)
        {
          r = al_cgroup_apply (cg, res, err);
          if (r < 0)
            goto fail;
        }
    }

  if (o->console_socket && spec->process->terminal)
    {
      console = al_unix_connect (o->console_socket, err);
      if (console < 0)
        {
          r = al_err_prefix (err, "--console-socket");
          goto fail;
        }
    }

  r = al_ns_plan_init (&plan, spec, err);
  if (r < 0)
    {
      r = al_err_prefix (err, "%s", config_path);
      goto fail;
    }
  plan_open = true;
  if (o->log && o->log->debug)
    debug_namespaces (o->log, o->id, spec);
  r = al_process_check_sysctl (spec->linux_, &plan, err);
  if (r < 0)
    {
      r = al_err_prefix (err, "%s", config_path);
      goto fail;
    }
  if (spec->bind_policy && (plan.new_user || plan.joined_user))
    al_rootfs_premake_bind_points (spec, rootfs, bundle);
  r = al_idmap_prepare (spec, bundle, plan.new_user || plan.joined_user, plan.join_fd[OCI_NS_USER], &idmap_fds, err);
  if (r < 0)
    {
      r = al_err_prefix (err, "container \"%s\"", o->id);
      goto fail;
    }
  /* Bind sources are cloned by a helper of ours in the init's new mount
     namespace, before the init mounts anything: in its user namespace the
     container's root may not reach them (a source below a 0700 directory of
     the host's root). Not under a profile (the init checks each source on
     the fd it mounts). */
  if (has_ns (spec, OCI_NS_MOUNT) && (plan.clone_flags & CLONE_NEWNS) && (plan.new_user || plan.joined_user)
      && !spec->bind_policy && al_rootfs_has_binds (spec))
    {
      int bsv[2];
      if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, bsv) < 0)
        {
          r = al_err (err, errno, "container \"%s\": socketpair", o->id);
          goto fail;
        }
      bind_sv0 = bsv[0];
      bind_sv1 = bsv[1];
      bind_fds = al_xmalloc0 (spec->n_mounts * sizeof (int));
      for (size_t i = 0; i < spec->n_mounts; i++)
        bind_fds[i] = -1;
    }

  int sv[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      r = al_err (err, errno, "container \"%s\": socketpair", o->id);
      goto fail;
    }
  sv0 = sv[0];
  sv1 = sv[1];

  const struct oci_hooks *h = &spec->hooks;
  struct init_ctx ctx = {
    .o = o,
    .spec = spec,
    .plan = &plan,
    .seccomp = seccomp,
    .rootfs = rootfs,
    .bundle = bundle,
    .sync = sv1,
    .fifo = fifo,
    .console = console,
    .parent_pidfd = -1,
    .need_parent_hooks = h->prestart.n || h->create_runtime.n,
    .new_mount = has_ns (spec, OCI_NS_MOUNT),
    .new_uts = (plan.clone_flags & CLONE_NEWUTS) || plan.join_fd[OCI_NS_UTS] >= 0,
    .idmap_fds = idmap_fds,
    .bind_fds = bind_fds,
    .bind_sock = bind_sv1,
  };

  if (o->die_with_parent)
    {
      /* The init polls it after its PR_SET_PDEATHSIG: were we gone by then,
         it would never get the signal. */
      parent_pidfd = (int) syscall (SYS_pidfd_open, getpid (), 0);
      if (parent_pidfd < 0)
        {
          r = al_err (err, errno, "container \"%s\": pidfd_open of the monitor", o->id);
          goto fail;
        }
      ctx.parent_pidfd = parent_pidfd;
    }
  r = al_netdev_precheck (spec, err);
  if (r == 0 && spec->linux_ && spec->linux_->intel_rdt.present)
    r = al_intelrdt_root (&rdt_root, err);
  if (r < 0)
    {
      al_err_prefix (err, "container \"%s\"", o->id);
      goto fail;
    }
  r = al_ns_parent_before_clone (&plan, spec, err);
  if (r < 0)
    {
      al_ns_parent_after_clone (&plan, NULL);
      goto fail;
    }
  uint64_t flags = plan.clone_flags | (plan.new_user ? CLONE_NEWUSER : 0);
  int failed_ns = -1;
  bool born_in_cgroup = false;
  if (plan.join_user_first || plan.helper_joined)
    {
      ctx.legacy_clone = true;
      ctx.late_cgroupns = (flags & CLONE_NEWCGROUP) != 0;
      pid = clone_in_helper (&plan, flags & ~(uint64_t) CLONE_NEWCGROUP, use_systemd ? -1 : cg->dirfd, &pidfd,
                             &failed_ns, &born_in_cgroup);
    }
  else if (use_systemd)
    {
      /* systemd moves the init into its scope: until then it waits, and it
         creates its cgroup namespace only once it is there. */
      ctx.legacy_clone = true;
      ctx.late_cgroupns = (flags & CLONE_NEWCGROUP) != 0;
      pid = clone3_init (flags & ~(uint64_t) CLONE_NEWCGROUP, -1, &pidfd);
    }
  else
    pid = clone3_init (flags, cg->dirfd, &pidfd);
  if (pid < 0 && errno == ENOSYS)
    {
      /* No clone3 (an old kernel, a seccomp profile, valgrind): clone(), then
         the parent places the init in its cgroup before it may go on. */
      ctx.legacy_clone = true;
      ctx.late_cgroupns = (flags & CLONE_NEWCGROUP) != 0;
      pid = (pid_t) syscall (SYS_clone, (unsigned long) ((flags & ~(uint64_t) CLONE_NEWCGROUP) | SIGCHLD), NULL,
                             NULL, NULL, NULL);
      if (pid > 0)
        pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
    }
  if (pid == 0)
    {
      al_closep (&sv0);
      container_init (&ctx);
    }
  int clone_errno = errno;
  al_ns_parent_after_clone (&plan, NULL);
  al_closep (&parent_pidfd);
  if (pid < 0)
    {
      if (failed_ns >= 0)
        r = al_err (err, clone_errno, "container \"%s\": join the %s namespace given in linux.namespaces", o->id,
                    oci_ns_type_name ((enum oci_ns_type) failed_ns));
      else
        r = al_err (err, clone_errno, "container \"%s\": clone3 of the init", o->id);
      goto fail;
    }
  al_closep (&sv1);
  al_closep (&console);
  al_closep (&fifo);
  al_idmap_close (idmap_fds, spec->n_mounts); /* the init has its own */
  idmap_fds = NULL;
  al_rootfs_binds_close (bind_fds, spec->n_mounts); /* -1s: the init has its own */
  bind_fds = NULL;
  al_closep (&bind_sv1);

  st.id = (char *) o->id;
  st.pid = pid;
  st.bundle = bundle;
  st.rootfs = rootfs;
  st.created = al_rfc3339_now ();
  st.owner = "";
  if (use_systemd)
    {
      r = al_systemd_cgroup_create (o->id, cgroups_path, pid, res, spec, &cg, &unit, err);
      if (r < 0)
        {
          al_err_prefix (err, "container \"%s\"", o->id);
          goto fail;
        }
      /* systemd owns the scope's own files: the container lives in a
         delegated sub-cgroup, where airlock writes what systemd cannot
         express (devices, hugetlb, unified, ...). */
      struct al_cgroup *sub = al_xmalloc0 (sizeof (*sub));
      sub->mount = al_xstrdup (cg->mount);
      sub->path = al_xasprintf ("%s/" AL_SYSTEMD_SUBCGROUP, cg->path);
      sub->dirfd = -1;
      _cleanup_free_ char *subdir = al_xasprintf ("%s%s", sub->mount, sub->path);
      if (mkdir (subdir, 0755) < 0 && errno != EEXIST)
        r = al_err (err, errno, "container \"%s\": create cgroup %s", o->id, subdir);
      else
        r = al_cgroup_enter (sub, pid, err);
      if (r == 0 && res)
        r = al_cgroup_ensure_controllers (sub, res, err);
      if (r == 0 && res)
        r = al_cgroup_apply (sub, res, err);
      al_cgroup_free (cg);
      cg = sub;
      if (r < 0)
        goto fail;
    }
  st.cgroup_mount = cg->mount;
  st.cgroup_path = cg->path;
  st.systemd = use_systemd;
  st.missing_controllers_warn = al_missing_controllers_opt_in (spec);
  al_log (o->log, "debug", "container \"%s\": init pid %d, cgroup %s%s%s%s", o->id, (int) pid, cg->mount, cg->path,
          unit ? ", systemd unit " : "", unit ? unit : "");
  if (spec->n_annotations)
    {
      st.annotations = al_xmalloc0 ((2 * spec->n_annotations + 1) * sizeof (char *));
      for (size_t i = 0; i < spec->n_annotations; i++)
        {
          st.annotations[2 * i] = spec->annotations[i].key;
          st.annotations[2 * i + 1] = spec->annotations[i].value;
        }
    }

  if (ctx.legacy_clone && !use_systemd && !born_in_cgroup)
    {
      r = al_cgroup_enter (cg, pid, err);
      if (r < 0)
        goto fail;
    }
  if (plan.new_user)
    {
      r = al_ns_write_id_maps (pid, spec, err);
      if (r < 0)
        goto fail;
    }
  if (spec->linux_ && spec->linux_->n_net_devices)
    {
      /* Into the init's network namespace: the new one, or the one it joins. */
      const struct oci_namespace *ns = oci_spec_namespace (spec, OCI_NS_NETWORK);
      _cleanup_free_ char *nspath = ns && ns->path ? al_xstrdup (ns->path) : al_xasprintf ("/proc/%d/ns/net", pid);
      _cleanup_close_ int nsfd = open (nspath, O_RDONLY | O_CLOEXEC);
      if (nsfd < 0)
        r = al_err (err, errno, "linux.netDevices: open the network namespace %s", nspath);
      else
        r = al_netdev_move_all (spec->linux_, nsfd, err);
      if (r < 0)
        {
          al_err_prefix (err, "container \"%s\"", o->id);
          goto fail;
        }
    }
  if (rdt_root)
    {
      r = al_intelrdt_apply (rdt_root, &spec->linux_->intel_rdt, o->id, pid, err);
      if (r < 0)
        {
          al_err_prefix (err, "container \"%s\"", o->id);
          goto fail;
        }
    }
  if (bind_sv0 >= 0)
    {
      /* Once the maps are written; the init waits for the EOF. A tree
         not sent is looked up by the init itself (and its error is the
         init's). */
      send_bind_trees (bind_sv0, pid, spec, bundle);
      al_closep (&bind_sv0);
    }
  if (plan.new_user || ctx.legacy_clone)
    al_sync_send (sv0, AL_SYNC_MAPS, 0, NULL);
  if (spec->process->has_oom_score_adj)
    {
      r = al_process_set_oom_score_adj (pid, spec->process->oom_score_adj, err);
      if (r < 0)
        goto fail;
    }

  for (;;)
    {
      struct al_sync_msg m;
      int t = al_sync_recv (sv0, &m);
      if (t == AL_SYNC_READY)
        break;
      if (t == AL_SYNC_ERROR)
        {
          r = al_err (err, 0, "container \"%s\": %s", o->id, m.msg);
          (*err)->errnum = m.errnum;
          goto fail;
        }
      if (t == AL_SYNC_HOOKS)
        {
          _cleanup_free_ char *json = al_state_oci_json (&st, AL_STATUS_CREATING, false);
          r = al_hooks_run (&h->prestart, "prestart", json, err);
          if (r == 0)
            r = al_hooks_run (&h->create_runtime, "createRuntime", json, err);
          if (r < 0)
            {
              al_err_prefix (err, "container \"%s\"", o->id);
              goto fail;
            }
          al_sync_send (sv0, AL_SYNC_CONTINUE, 0, NULL);
          continue;
        }
      if (t == AL_SYNC_PTY)
        {
          char payload[64];
          r = al_recv_fd (sv0, &out->pty_master, payload, sizeof payload, err);
          if (r < 0)
            goto fail;
          continue;
        }
      if (t == AL_SYNC_SECCOMP && o->keep_seccomp_listener)
        {
          al_closep (&out->seccomp_listener);
          out->seccomp_listener = m.fd;
          if (m.fd < 0)
            {
              r = al_err (err, EPROTO, "container \"%s\": linux.seccomp: the init sent no notify listener", o->id);
              goto fail;
            }
          continue;
        }
      if (t == AL_SYNC_SECCOMP)
        {
          r = al_seccomp_listener_forward (m.fd, spec->linux_->seccomp, &st, err);
          if (r < 0)
            goto fail;
          continue;
        }
      /* EOF or garbage: the init died. */
      int status = 0;
      waitpid (pid, &status, 0);
      pid = -1;
      if (WIFSIGNALED (status))
        r = al_err (err, 0, "container \"%s\": init was killed by signal %s during setup", o->id,
                    al_signal_name (WTERMSIG (status)) ?: "?");
      else
        r = al_err (err, 0, "container \"%s\": init exited with status %d during setup", o->id,
                    WEXITSTATUS (status));
      goto fail;
    }

  st.pid_start = al_pid_start_time (pid);
  r = al_state_write (dirfd, &st, err);
  if (r < 0)
    goto fail;
  if (o->pid_file)
    {
      r = write_pid_file (o->pid_file, pid, err);
      if (r < 0)
        goto fail;
    }
  if (al_sync_send (sv0, AL_SYNC_COMMIT, 0, NULL) < 0)
    {
      r = al_err (err, EPIPE, "container \"%s\": init died before it was committed", o->id);
      goto fail;
    }

  out->pid = pid;
  if (o->foreground)
    out->pidfd = al_steal_fd (pidfd);
  free (st.created);
  free (st.annotations);
  al_ns_plan_close (&plan);
  al_seccomp_free (seccomp);
  al_cgroup_free (cg);
  free (unit);
  return 0;

fail:
  if (pid > 0)
    kill_and_reap (pid, pidfd);
  if (rdt_root)
    al_intelrdt_remove (rdt_root, &spec->linux_->intel_rdt, o->id);
  /* Out of fds (EMFILE) the cleanup needs some back. */
  al_closep (&fifo);
  al_closep (&console);
  al_closep (&sv0);
  al_closep (&sv1);
  al_closep (&pidfd);
  if (out->pty_master >= 0)
    al_closep (&out->pty_master);
  al_closep (&out->seccomp_listener);
  if (unit)
    al_systemd_cgroup_destroy (unit, cg, NULL);
  else if (cg)
    {
      /* A cgroup that create did not make (it existed, in use by another
         container) is removed only if empty, never killed. */
      _cleanup_error_ al_error_t cerr = NULL;
      if (al_cgroup_destroy (cg, cg_owned, &cerr) < 0 && cg_owned)
        al_log (o->log, "warning", "container \"%s\": cleanup after the failed create: %s", o->id, cerr->msg);
    }
  al_cgroup_free (cg);
  free (unit);
  if (plan_open)
    al_ns_plan_close (&plan);
  al_idmap_close (idmap_fds, spec->n_mounts);
  al_rootfs_binds_close (bind_fds, spec->n_mounts);
  al_seccomp_free (seccomp);
  if (state_created)
    {
      release_ids (dirfd, o->id, o->log);
      _cleanup_error_ al_error_t serr = NULL;
      if (al_state_dir_remove (rootfd, o->id, &serr) < 0)
        al_log (o->log, "warning", "container \"%s\": cleanup after the failed create: %s (delete --force removes it)",
                o->id, serr->msg);
    }
  free (st.created);
  free (st.annotations);
  return r;
}

/* ------------------------------------------------------------ the others -- */

void
al_container_close (struct al_opened *c)
{
  al_closep (&c->dirfd);
  al_state_free (c->st);
  c->st = NULL;
}

/* Opens and locks the state dir of id and reads its state. A negative
 * timeout_ms takes the lock as `exclusive` says, waiting as long as it takes;
 * otherwise the exclusive lock is waited for at most timeout_ms. */
static int
open_state (const char *root, const char *id, bool exclusive, int timeout_ms, struct al_opened *c,
            al_error_t *err)
{
  c->dirfd = -1;
  c->st = NULL;
  int r = al_id_validate (id, err);
  if (r < 0)
    return r;
  _cleanup_close_ int rootfd = al_root_open (root, false, NULL);
  if (rootfd < 0)
    return al_err (err, ENOENT, "container \"%s\" does not exist", id);
  c->dirfd = timeout_ms < 0 ? al_state_dir_open (rootfd, id, exclusive, err)
                            : al_state_dir_open_bounded (rootfd, id, timeout_ms, err);
  if (c->dirfd < 0)
    return c->dirfd;
  r = al_state_read (c->dirfd, id, &c->st, err);
  if (r < 0)
    {
      al_container_close (c);
      return r;
    }
  return 0;
}

int
al_container_open (const char *root, const char *id, bool exclusive, struct al_opened *c, al_error_t *err)
{
  return open_state (root, id, exclusive, -1, c, err);
}

int
al_container_load_config (int dirfd, const char *id, struct oci_spec **spec, al_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r = al_read_file_at (dirfd, "config.json", AL_CONFIG_MAX_SIZE, &text, &len, err);
  if (r < 0)
    return al_err_prefix (err, "container \"%s\"", id);
  return oci_spec_parse ("config.json", text, len, spec, err);
}

/* al_hooks_run_all's report of a failing poststart or poststop hook: a
   warning naming the container and the hook (only_later: not the first
   failure, which the caller reports). */
struct hook_warn
{
  const struct al_log *log;
  const char *id;
  bool only_later;
};

static void
hook_warn (void *data, bool later, const char *msg)
{
  const struct hook_warn *hw = data;
  if (later || !hw->only_later)
    al_log (hw->log, "warning", "container \"%s\": %s", hw->id, msg);
}

static int signal_init (const struct al_state *st, int sig, al_error_t *err);
static void wait_init_gone (const struct al_state *st);

/* After a failed poststart: SIGKILL the init and all in the cgroup, and wait
   (bounded) for the init to die, so that the container is stopped. */
static void
kill_after_failed_start (struct al_opened *c)
{
  struct al_cgroup *cg = al_state_cgroup (c->st);
  signal_init (c->st, SIGKILL, NULL);
  if (cg)
    al_cgroup_kill (cg, NULL);
  wait_init_gone (c->st);
  al_cgroup_free (cg);
}

/* After the start byte: wait until the init has exec'd the program (its
   O_CLOEXEC end of exec.fifo closes: POLLHUP on `watch`) or exited (pidfd),
   so that what follows `start` (a kill, an exec) meets the program and not
   the runtime's code, to which pid 1 of a pid namespace ignores signals.
   Bounded: AL_START_EXEC_TIMEOUT_MS plus the startContainer hooks' timeouts,
   which run in between. */
#define AL_START_EXEC_TIMEOUT_MS 10000
static long
monotonic_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
wait_init_exec (const char *id, int watch, int pidfd, const struct oci_hook_list *hooks,
                const struct al_start_notify *notify, const struct al_log *log)
{
  long budget = AL_START_EXEC_TIMEOUT_MS;
  for (size_t i = 0; hooks && i < hooks->n; i++)
    if (hooks->hooks[i].has_timeout)
      budget += 1000L * hooks->hooks[i].timeout;
  /* pidfd -1 is ignored by poll, and so is the listener once gone */
  struct pollfd pfd[3] = { { .fd = watch, .events = 0 },
                           { .fd = pidfd, .events = POLLIN },
                           { .fd = notify && notify->listener >= 0 ? notify->listener : -1, .events = POLLIN } };
  long deadline = monotonic_ms () + budget;
  for (;;)
    {
      long left = deadline - monotonic_ms ();
      if (left <= 0)
        {
          al_log (log, "warning", "container \"%s\": the init has not run the program %ld ms after start", id,
                  budget);
          return;
        }
      int n = poll (pfd, 3, (int) left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 || (pfd[0].revents & (POLLHUP | POLLERR)) || (pfd[1].revents & POLLIN))
        return;
      if (pfd[2].revents & (POLLHUP | POLLERR | POLLNVAL))
        pfd[2].fd = -1;
      else if ((pfd[2].revents & POLLIN) && !notify->handle (notify->data, notify->listener))
        pfd[2].fd = -1;
    }
}

int
al_container_start (const char *root, const char *id, const struct al_log *log, al_error_t *err)
{
  return al_container_start_notified (root, id, log, NULL, err);
}

int
al_container_start_notified (const char *root, const char *id, const struct al_log *log,
                             const struct al_start_notify *notify, al_error_t *err)
{
  struct al_opened c;
  int r = al_container_open (root, id, true, &c, err);
  if (r < 0)
    return r;
  enum al_status s = al_state_status (c.dirfd, c.st);
  if (s != AL_STATUS_CREATED)
    {
      r = al_err (err, 0, "container \"%s\" is %s, not created: it cannot be started", id, al_status_name (s));
      al_container_close (&c);
      return r;
    }
  _cleanup_close_ int fd = openat (c.dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    {
      r = al_err (err, errno == ENXIO ? ESRCH : errno, "container \"%s\": open exec.fifo", id);
      al_container_close (&c);
      return r;
    }
  /* A read end of our own, to see the init's end close (POLLHUP once no
     writer is left): opened while the init's O_RDWR end is open, so the
     kernel reports the hangup. Never read: the byte is the init's. */
  _cleanup_close_ int watch = openat (c.dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  _cleanup_close_ int pidfd = (int) syscall (SYS_pidfd_open, c.st->pid, 0);
  unlinkat (c.dirfd, "exec.fifo", 0);
  if (write (fd, "0", 1) != 1)
    {
      r = al_err (err, errno, "container \"%s\": release the init", id);
      al_container_close (&c);
      return r;
    }
  al_closep (&fd);
  struct oci_spec *spec = NULL;
  r = 0;
  bool have_spec = al_container_load_config (c.dirfd, id, &spec, NULL) == 0;
  if (watch >= 0)
    wait_init_exec (id, watch, pidfd, have_spec ? &spec->hooks.start_container : NULL, notify, log);
  if (have_spec && spec->hooks.poststart.n)
    {
      _cleanup_free_ char *json = al_state_oci_json (c.st, AL_STATUS_RUNNING, false);
      struct hook_warn hw = { .log = log, .id = id, .only_later = true };
      size_t later = 0;
      r = al_hooks_run_all (&spec->hooks.poststart, "poststart", json, hook_warn, &hw, &later, err);
      if (r < 0)
        {
          /* runtime-spec 1.3: a failing poststart hook fails start, after
             the others ran; the container's processes are killed, and it is
             left stopped (delete removes it). */
          if (later && err && *err)
            {
              char *msg = al_xasprintf ("%s (and %zu later poststart hook%s failed too)", (*err)->msg, later,
                                        later == 1 ? "" : "s");
              free ((*err)->msg);
              (*err)->msg = msg;
            }
          al_err_prefix (err, "container \"%s\" (its processes were killed)", id);
          kill_after_failed_start (&c);
        }
    }
  oci_spec_free (spec);
  al_container_close (&c);
  return r;
}

int
al_container_state (const char *root, const char *id, char **json, al_error_t *err)
{
  struct al_opened c;
  int r = al_container_open (root, id, false, &c, err);
  if (r < 0)
    return r;
  struct al_idslot ids;
  if (al_idpool_recorded (c.dirfd, &ids))
    {
      c.st->host_ids_first = ids.first;
      c.st->host_ids_size = ids.size;
    }
  *json = al_state_oci_json (c.st, al_state_status (c.dirfd, c.st), true);
  al_container_close (&c);
  return 0;
}

struct al_cgroup *
al_state_cgroup (const struct al_state *st)
{
  if (st->cgroup_mount == NULL || st->cgroup_path == NULL)
    return NULL;
  struct al_cgroup *cg = al_xmalloc0 (sizeof (*cg));
  cg->mount = al_xstrdup (st->cgroup_mount);
  cg->path = al_xstrdup (st->cgroup_path);
  cg->dirfd = -1;
  return cg;
}

static int
signal_init (const struct al_state *st, int sig, al_error_t *err)
{
  _cleanup_close_ int pidfd = (int) syscall (SYS_pidfd_open, st->pid, 0);
  if (pidfd < 0 || !al_state_init_alive (st))
    return al_err (err, ESRCH, "container \"%s\" is not running", st->id);
  if (syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
    return al_err (err, errno, "container \"%s\": send %s to pid %d", st->id, al_signal_name (sig) ?: "signal",
                   st->pid);
  return 0;
}

int
al_container_kill (const char *root, const char *id, int sig, bool all, al_error_t *err)
{
  struct al_opened c;
  int r = al_container_open (root, id, false, &c, err);
  if (r < 0)
    return r;
  enum al_status s = al_state_status (c.dirfd, c.st);
  struct al_cgroup *cg = al_state_cgroup (c.st);
  if (all && s == AL_STATUS_STOPPED && !cg)
    r = 0; /* as runc: nothing left to signal is not an error with --all */
  else if (all && cg)
    {
      pid_t *pids = NULL;
      size_t np = 0;
      /* A stopped container may still have processes in its cgroup (children
         of an init that shared the host's pid namespace): they get the
         signal. With none left, --all succeeds, as runc's does (CRI-O runs
         `kill --all ID 9` after such a container's init exited). */
      if (s == AL_STATUS_STOPPED && (al_cgroup_pids (cg, &pids, &np, NULL) < 0 || np == 0))
        r = 0;
      else if (sig == SIGKILL)
        r = al_cgroup_kill (cg, err);
      else
        r = al_cgroup_signal (cg, sig, err);
      free (pids);
    }
  else if (s == AL_STATUS_STOPPED)
    r = al_err (err, ESRCH, "container \"%s\" is not running", id);
  else
    r = signal_init (c.st, sig, err);
  al_cgroup_free (cg);
  al_container_close (&c);
  return r;
}

static void
wait_init_gone (const struct al_state *st)
{
  _cleanup_close_ int pidfd = (int) syscall (SYS_pidfd_open, st->pid, 0);
  if (pidfd < 0 || !al_state_init_alive (st))
    return;
  struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
  /* A pidfd polls readable when the process exits (even before it is reaped). */
  while (poll (&pfd, 1, 10000) < 0 && errno == EINTR)
    ;
}

/* The cgroup of a container whose create died before state.json: the one
   create recorded as its own (then its processes are killed), else the one
   its config names (then removed only when empty: it may be another
   container's of the same id under another --root). */
static struct al_cgroup *
unfinished_cgroup (int dirfd, const char *id, bool *owned)
{
  _cleanup_free_ char *text = NULL;
  *owned = false;
  if (al_read_file_at (dirfd, AL_STATE_CGROUP_FILE, 8192, &text, NULL, NULL) == 0)
    {
      char *nl = strchr (text, '\n');
      char *path = nl ? nl + 1 : NULL;
      char *end = path ? strchr (path, '\n') : NULL;
      if (nl && end && text[0] == '/' && path[0] == '/')
        {
          *nl = *end = '\0';
          struct al_cgroup *cg = al_xmalloc0 (sizeof (*cg));
          cg->mount = al_xstrdup (text);
          cg->path = al_xstrdup (path);
          cg->dirfd = -1;
          *owned = true;
          return cg;
        }
    }
  /* No record: create died before the cgroup existed, or between its mkdir
     and the record (when it is still empty). */
  struct oci_spec *spec = NULL;
  struct al_cgroup *cg = NULL;
  if (al_container_load_config (dirfd, id, &spec, NULL) == 0)
    {
      const char *path = spec->linux_ ? spec->linux_->cgroups_path : NULL;
      if (!al_container_uses_systemd (false, path))
        al_cgroup_resolve (path, id, &cg, NULL);
    }
  oci_spec_free (spec);
  return cg;
}

/* delete --force of a state dir without a readable state.json: a create
   killed half-way (or a corrupt state.json). Returns 1 when state.json
   turned up meanwhile (a create that was still running): delete it as
   usual then. */
static int
delete_unfinished (const char *root, const char *id, const struct al_log *log, al_error_t *err)
{
  _cleanup_close_ int rootfd = al_root_open (root, false, NULL);
  if (rootfd < 0)
    return 0;
  _cleanup_error_ al_error_t oerr = NULL;
  /* The lock waits (bounded) for a create still in progress. */
  _cleanup_close_ int dirfd = al_state_dir_open_bounded (rootfd, id, DELETE_LOCK_TIMEOUT_MS, &oerr);
  if (dirfd < 0)
    {
      if (dirfd == -ENOENT)
        return 0;
      if (err)
        {
          *err = oerr;
          oerr = NULL;
        }
      return dirfd;
    }
  struct al_state *st = NULL;
  if (al_state_read (dirfd, id, &st, NULL) == 0)
    {
      al_state_free (st);
      return 1;
    }
  bool owned = false;
  struct al_cgroup *cg = unfinished_cgroup (dirfd, id, &owned);
  _cleanup_free_ char *removed = NULL;
  int r = 0;
  if (cg)
    {
      _cleanup_free_ char *d = al_xasprintf ("%s%s", cg->mount, cg->path);
      if (access (d, F_OK) == 0)
        {
          _cleanup_error_ al_error_t cerr = NULL;
          r = al_cgroup_destroy (cg, owned, &cerr);
          if (r == 0)
            removed = al_xasprintf ("cgroup %s, ", d);
          else if (!owned && r == -EBUSY)
            {
              al_log (log, "warning", "container \"%s\": left cgroup %s alone: it has processes this container did not start",
                      id, d);
              r = 0;
            }
          else
            r = al_err (err, -r, "container \"%s\": its create was interrupted: %s", id, cerr ? cerr->msg : d);
        }
    }
  al_cgroup_free (cg);
  if (r < 0)
    return r;
  release_ids (dirfd, id, log);
  r = al_state_dir_remove (rootfd, id, err);
  if (r < 0)
    return r;
  al_log (log, "warning", "container \"%s\": its create was interrupted (no state.json): removed %sstate dir %s/%s", id,
          removed ? removed : "", root, id);
  return 0;
}

/* al_container_open for delete: --force waits for the lock at most
   DELETE_LOCK_TIMEOUT_MS. */
static int
open_for_delete (const char *root, const char *id, bool force, struct al_opened *c, al_error_t *err)
{
  return open_state (root, id, true, force ? DELETE_LOCK_TIMEOUT_MS : -1, c, err);
}

struct netdev_warn
{
  const struct al_log *log;
  const char *id;
};

static void
netdev_warn (void *data, const char *msg)
{
  const struct netdev_warn *w = data;
  al_log (w->log, "warning", "container \"%s\": %s", w->id, msg);
}

static void
move_netdevs_back (struct al_opened *c, const struct oci_spec *spec, enum al_status s, const struct al_log *log)
{
  const struct oci_namespace *ns = oci_spec_namespace (spec, OCI_NS_NETWORK);
  if (ns == NULL)
    return;
  _cleanup_close_ int fd = -1;
  if (ns->path && ns->path[0])
    fd = open (ns->path, O_RDONLY | O_CLOEXEC);
  else if (s != AL_STATUS_STOPPED)
    {
      /* The init's namespace, checked against pid reuse after opening. */
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/net", (int) c->st->pid);
      fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && !al_state_init_alive (c->st))
        al_closep (&fd);
    }
  if (fd < 0)
    return; /* gone with its init: the kernel returned what it could */
  struct netdev_warn w = { .log = log, .id = c->st->id };
  al_netdev_move_back (spec->linux_, fd, netdev_warn, &w);
}

int
al_container_delete (const char *root, const char *id, bool force, const struct al_log *log, al_error_t *err)
{
  struct al_opened c;
  int r = open_for_delete (root, id, force, &c, err);
  if (r == -EBUSY)
    return r;
  if (r < 0 && force && al_id_validate (id, NULL) == 0)
    {
      /* The state dir exists but its state.json cannot be read. */
      _cleanup_close_ int rootfd = al_root_open (root, false, NULL);
      if (rootfd < 0 || faccessat (rootfd, id, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
        {
          al_error_free (err);
          return 0;
        }
      al_error_free (err);
      r = delete_unfinished (root, id, log, err);
      if (r <= 0)
        return r;
      r = open_for_delete (root, id, force, &c, err);
    }
  if (r < 0)
    return r;
  enum al_status s = al_state_status (c.dirfd, c.st);
  struct al_cgroup *cg = al_state_cgroup (c.st);
  if (s == AL_STATUS_RUNNING || s == AL_STATUS_PAUSED)
    {
      if (!force)
        {
          r = al_err (err, EBUSY, "container \"%s\" is %s: stop it first or use --force", id, al_status_name (s));
          goto out;
        }
    }
  struct oci_spec *spec = NULL;
  bool have_spec = al_container_load_config (c.dirfd, id, &spec, NULL) == 0;
  /* linux.netDevices go back to the host while their namespace lives: the
     one joined by path, or the init's (before it is killed). */
  if (have_spec && spec->linux_ && spec->linux_->n_net_devices)
    move_netdevs_back (&c, spec, s, log);
  if (s != AL_STATUS_STOPPED)
    {
      /* The init first (by pidfd, it may live outside the cgroup), then
         everything in the cgroup: al_cgroup_destroy kills what is left and
         waits (bounded) for it to die. */
      signal_init (c.st, SIGKILL, NULL);
      if (cg == NULL)
        wait_init_gone (c.st);
    }
  /* `create`'s monitor (watcher.h) writes the verdict of the dead init
     while the cgroup is still there, then exits; none outlives delete. */
  al_watcher_stop (c.dirfd, id, log);
  if (cg && c.st->systemd)
    {
      _cleanup_free_ char *unit = NULL;
      r = al_systemd_unit_name (have_spec && spec->linux_ ? spec->linux_->cgroups_path : NULL, id, &unit, err);
      if (r == 0)
        r = al_systemd_cgroup_destroy (unit, cg, err);
    }
  else if (cg)
    r = al_cgroup_destroy (cg, true, err);
  if (r == 0 && have_spec && spec->linux_ && spec->linux_->intel_rdt.present)
    {
      _cleanup_free_ char *rdt_root = NULL;
      if (al_intelrdt_root (&rdt_root, NULL) == 0)
        al_intelrdt_remove (rdt_root, &spec->linux_->intel_rdt, id);
    }
  if (r < 0)
    {
      /* The state stays: once the stuck processes die, delete again. */
      al_err_prefix (err, "container \"%s\" (kept, delete it again)", id);
      oci_spec_free (spec);
      goto out;
    }
  if (have_spec && spec->hooks.poststop.n)
    {
      _cleanup_free_ char *json = al_state_oci_json (c.st, AL_STATUS_STOPPED, false);
      /* Every hook runs; each failure is a warning, and delete goes on. */
      struct hook_warn hw = { .log = log, .id = id };
      al_hooks_run_all (&spec->hooks.poststop, "poststop", json, hook_warn, &hw, NULL, NULL);
    }
  oci_spec_free (spec);
  release_ids (c.dirfd, id, log);
  {
    /* A block of its own: the gotos above must not jump into its scope (its
     * cleanup would close an uninitialized fd at `out`). */
    _cleanup_close_ int rootfd = al_root_open (root, false, err);
    r = rootfd < 0 ? rootfd : al_state_dir_remove (rootfd, id, err);
  }
out:
  al_cgroup_free (cg);
  al_container_close (&c);
  return r;
}

static int
cmp_entry (const void *a, const void *b)
{
  const struct al_list_entry *x = a, *y = b;
  return strcmp (x->st->id, y->st->id);
}

int
al_container_list (const char *root, struct al_list_entry **out, size_t *n, al_error_t *err)
{
  *out = NULL;
  *n = 0;
  int rootfd = al_root_open (root, false, NULL);
  if (rootfd < 0)
    return 0; /* no root yet: no containers */
  DIR *d = fdopendir (rootfd);
  if (d == NULL)
    {
      close (rootfd);
      return al_err (err, errno, "list `%s`", root);
    }
  size_t cap = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.' || al_id_validate (de->d_name, NULL) < 0)
        continue;
      _cleanup_close_ int dfd = openat (dirfd (d), de->d_name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
      if (dfd < 0)
        continue;
      struct al_state *st = NULL;
      if (al_state_read (dfd, de->d_name, &st, NULL) < 0)
        continue; /* being created or removed right now */
      if (*n == cap)
        {
          cap = cap ? cap * 2 : 16;
          *out = realloc (*out, cap * sizeof (**out));
          if (*out == NULL)
            abort ();
        }
      (*out)[*n].st = st;
      (*out)[*n].status = al_state_status (dfd, st);
      (*n)++;
    }
  closedir (d);
  if (*n)
    qsort (*out, *n, sizeof (**out), cmp_entry);
  return 0;
}

void
al_container_list_free (struct al_list_entry *l, size_t n)
{
  for (size_t i = 0; i < n; i++)
    al_state_free (l[i].st);
  free (l);
}
