/* exec.c: a new process in a running container.
 *
 * The runtime (already non-dumpable, so nothing in the container can open its
 * /proc entries) enters the container's pid and time namespaces for its
 * children only, then clone3()s straight into the container's cgroup. The child
 * moves its cwd into the container's root at once, makes its own session,
 * closes every fd it does not need, joins every other namespace
 * with one setns() on the init's pidfd, chroots to the init's root, and then
 * takes the same steps as the init: terminal, rlimits, cwd, LSM label, user,
 * capabilities, no_new_privs, seccomp. process.cwd is resolved inside the
 * root; a sync socket reports errors up to the exec itself. */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#include "cgroup.h"
#include "cpulist.h"
#include "mempolicy.h"
#include "container.h"
#include "lsm.h"
#include "process.h"
#include "profile.h"
#include "procsetup.h"
#include "seccomp.h"
#include "seccomp_listener.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int ns_flag[OCI_NS_COUNT] = {
  [OCI_NS_PID] = CLONE_NEWPID,   [OCI_NS_NETWORK] = CLONE_NEWNET,   [OCI_NS_MOUNT] = CLONE_NEWNS,
  [OCI_NS_IPC] = CLONE_NEWIPC,   [OCI_NS_UTS] = CLONE_NEWUTS,       [OCI_NS_USER] = CLONE_NEWUSER,
  [OCI_NS_CGROUP] = CLONE_NEWCGROUP, [OCI_NS_TIME] = CLONE_NEWTIME,
};

/* Add or replace NAME=value entries of `add` in a NULL-terminated env. */
static char **
env_merge (char **env, char **add)
{
  size_t n = al_strv_len (env), m = al_strv_len (add);
  char **out = al_xmalloc0 ((n + m + 1) * sizeof (char *));
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    out[k++] = env[i];
  for (size_t j = 0; j < m; j++)
    {
      const char *eq = strchr (add[j], '=');
      size_t klen = eq ? (size_t) (eq - add[j]) : strlen (add[j]);
      size_t i;
      for (i = 0; i < k; i++)
        if (strncmp (out[i], add[j], klen) == 0 && out[i][klen] == '=')
          break;
      out[i == k ? k++ : i] = add[j];
    }
  return out;
}

static void
caps_add (struct oci_cap_set *set, const int *caps, size_t n, int **keep)
{
  int *v = al_xmalloc0 ((set->n + n) * sizeof (int));
  if (set->n > 0) /* set->caps is NULL for an empty set */
    memcpy (v, set->caps, set->n * sizeof (int));
  size_t k = set->n;
  for (size_t i = 0; i < n; i++)
    {
      bool have = false;
      for (size_t j = 0; j < k; j++)
        have |= v[j] == caps[i];
      if (!have)
        v[k++] = caps[i];
    }
  set->caps = v;
  set->n = k;
  set->present = true;
  *keep = v;
}

struct exec_child
{
  const struct oci_process *p;
  struct al_seccomp *seccomp;
  int pidfd;
  int rootfd;
  int sync;
  int console;
  int join_flags;
  bool foreground_pty;
  bool legacy;
  int preserve_fds;
  const int *stdio;
  const char *id;
  const struct oci_memory_policy *mempolicy; /* linux.memoryPolicy, NULL when none */
};

__attribute__ ((noreturn)) static void
child_fail (struct exec_child *c, al_error_t *err)
{
  al_sync_send_error (c->sync, *err);
  _exit (127);
}

int
al_exec_set_affinity (const char *list, const char *what, al_error_t *err)
{
  unsigned long mask[AL_CPULIST_WORDS];
  size_t top = 0;
  const char *why = NULL;
  if (al_cpulist_parse (list, mask, &top, &why) < 0)
    return al_err (err, EINVAL, "%s: \"%s\": %s", what, list, why);
  if (sched_setaffinity (0, sizeof mask, (cpu_set_t *) mask) < 0)
    return al_err (err, errno, "%s: sched_setaffinity(%s)", what, list);
  return 0;
}

__attribute__ ((noreturn)) static void
exec_child (struct exec_child *c)
{
  _cleanup_error_ al_error_t err = NULL;
  const struct oci_process *p = c->p;

  /* Never keep a host directory as cwd, even for a moment. */
  if (fchdir (c->rootfd) < 0)
    {
      al_err (&err, errno, "enter the container's root");
      child_fail (c, &err);
    }
  /* Out of the caller's session, and none of the runtime's fds (the state
     dir, the cgroup dir, our own namespaces, whatever our caller leaked in):
     only what we still need, the stdio sources until they are in place and
     the fds the caller preserves. */
  if (al_proc_new_session (&err) < 0)
    child_fail (c, &err);
  int keep[] = { c->sync, c->console, c->rootfd, c->pidfd, c->stdio ? c->stdio[0] : -1,
                 c->stdio ? c->stdio[1] : -1, c->stdio ? c->stdio[2] : -1 };
  int keep_below = 3 + (c->preserve_fds > 0 ? c->preserve_fds : 0);
  if (al_proc_close_fds (keep_below, keep, sizeof keep / sizeof keep[0], &err) < 0)
    child_fail (c, &err);
  if (al_proc_stdio (c->stdio, &err) < 0)
    child_fail (c, &err);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (c->legacy)
    {
      struct al_sync_msg m;
      if (al_sync_recv (c->sync, &m) != AL_SYNC_MAPS)
        _exit (127);
    }
  /* In the container's cgroup now: process.execCPUAffinity.final. */
  if (p->exec_cpu_affinity_final && *p->exec_cpu_affinity_final
      && al_exec_set_affinity (p->exec_cpu_affinity_final, "process.execCPUAffinity.final", &err) < 0)
    child_fail (c, &err);
  if (c->join_flags && setns (c->pidfd, c->join_flags) < 0)
    {
      al_err (&err, errno, "join the namespaces of the container's init");
      child_fail (c, &err);
    }
  if (fchdir (c->rootfd) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    {
      al_err (&err, errno, "enter the container's root");
      child_fail (c, &err);
    }
  al_closep (&c->rootfd);
  al_closep (&c->pidfd);
  if (al_proc_terminal (p, c->console, c->foreground_pty ? c->sync : -1, &err) < 0)
    child_fail (c, &err);
  al_closep (&c->console);
  if (al_process_set_rlimits (p, &err) < 0 || al_process_set_sched (p, NULL, &err) < 0)
    child_fail (c, &err);
  if (c->mempolicy && al_mempolicy_apply (c->mempolicy, &err) < 0)
    child_fail (c, &err);
  /* Only the sync socket is left: process.cwd is resolved inside the root
     and checked to be there. */
  if (al_proc_close_fds (keep_below, keep, 1, &err) < 0 || al_proc_enter_cwd (p->cwd, false, &err) < 0)
    child_fail (c, &err);
  /* HOME as for the init (al_process_env_with_home), before the user switch. */
  char **env = al_process_env_with_home (p);
  _cleanup_free_ char *path = NULL;
  if (al_proc_cloexec_from (keep_below, &err) < 0 || al_proc_finalize_creds (p, c->seccomp, c->sync, &err) < 0
      || al_process_find_exec (p, &path, &err) < 0)
    child_fail (c, &err);
  al_sync_send (c->sync, AL_SYNC_READY, 0, NULL);
  al_proc_exec (p, env, path, c->preserve_fds, &err);
  child_fail (c, &err);
}

static pid_t
clone_into (int cgroup_fd, int *pidfd)
{
  struct clone_args args;
  memset (&args, 0, sizeof args);
  args.flags = CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  args.pidfd = (uint64_t) (uintptr_t) pidfd;
  args.exit_signal = SIGCHLD;
  args.cgroup = cgroup_fd >= 0 ? (uint64_t) cgroup_fd : 0;
  return (pid_t) syscall (SYS_clone3, &args, sizeof args);
}

static int
open_cgroup (const struct al_state *st, const char *sub, char **path, al_error_t *err)
{
  if (st->cgroup_mount == NULL || st->cgroup_path == NULL)
    return -1;
  if (sub && (strstr (sub, "..") || sub[0] == '/'))
    return al_err (err, 0, "--cgroup \"%s\": must be a relative path without `..`", sub);
  *path = sub ? al_xasprintf ("%s%s/%s", st->cgroup_mount, st->cgroup_path, sub)
              : al_xasprintf ("%s%s", st->cgroup_mount, st->cgroup_path);
  int fd = open (*path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "container \"%s\": cgroup %s", st->id, *path);
  return fd;
}

int
al_container_exec (const struct al_exec_opts *o, struct al_exec_result *out, al_error_t *err)
{
  out->pid = -1;
  out->pidfd = -1;
  out->pty_master = -1;
  struct al_opened c = { .dirfd = -1 };
  int r = al_container_open (o->root, o->id, false, &c, err);
  if (r < 0)
    return r;
  struct oci_spec *spec = NULL;
  struct al_seccomp *seccomp = NULL;
  _cleanup_close_ int pidfd = -1, rootfd = -1, cgfd = -1, console = -1, saved_pid = -1, saved_time = -1;
  _cleanup_close_ int sv0 = -1, sv1 = -1, childfd = -1;
  _cleanup_free_ char *cgpath = NULL, *what = NULL;
  _cleanup_free_ char **env = NULL;
  _cleanup_free_ int *b = NULL, *e = NULL, *pm = NULL, *inh = NULL, *amb = NULL;
  pid_t pid = -1;
  int clone_errno = 0;
  struct oci_rlimit *own_rlimits = NULL;
  size_t own_rlimits_n = 0, own_rlimits_total = 0;
  bool dumpable_changed = false;

  enum al_status s = al_state_status (c.dirfd, c.st);
  if (s == AL_STATUS_STOPPED)
    {
      r = al_err (err, ESRCH, "container \"%s\" is stopped: cannot exec into it", o->id);
      goto out;
    }
  if (s == AL_STATUS_PAUSED && !o->ignore_paused)
    {
      r = al_err (err, EBUSY, "container \"%s\" is paused: resume it first, or pass --ignore-paused", o->id);
      goto out;
    }
  r = al_container_load_config (c.dirfd, o->id, &spec, err);
  if (r < 0)
    goto out;
  /* A profiled container: the stored config is the one given to create; the
     profile tightens it again (its seccomp filter, namespaces...). No monitor
     answers an exec'd process: denied calls fail with the profile's errno. */
  r = al_container_apply_profile (spec, "config.json", false, NULL, err);
  if (r < 0)
    goto out;

  /* The process: --process as given, else the container's own with the flags. */
  struct oci_process local;
  const struct oci_process *p;
  if (o->process)
    {
      local = *o->process;
      p = &local;
    }
  else
    {
      if (spec->process == NULL || o->args == NULL || o->args[0] == NULL)
        {
          r = al_err (err, 0, "exec: no command given");
          goto out;
        }
      local = *spec->process;
      local.args = o->args;
      if (o->set_tty)
        local.terminal = o->tty;
      else
        local.terminal = false;
      local.has_console_size = false;
      if (o->cwd)
        local.cwd = (char *) o->cwd;
      if (o->env)
        local.env = env = env_merge (spec->process->env, o->env);
      if (o->set_user)
        {
          local.user.uid = o->uid;
          local.user.gid = o->gid;
          local.user.additional_gids = NULL;
          local.user.n_additional_gids = 0;
        }
      if (o->n_additional_gids)
        {
          local.user.additional_gids = o->additional_gids;
          local.user.n_additional_gids = o->n_additional_gids;
        }
      if (o->n_caps)
        {
          caps_add (&local.capabilities.bounding, o->caps, o->n_caps, &b);
          caps_add (&local.capabilities.effective, o->caps, o->n_caps, &e);
          caps_add (&local.capabilities.permitted, o->caps, o->n_caps, &pm);
          caps_add (&local.capabilities.inheritable, o->caps, o->n_caps, &inh);
          caps_add (&local.capabilities.ambient, o->caps, o->n_caps, &amb);
        }
      if (o->no_new_privs)
        local.no_new_privileges = true;
      if (o->apparmor)
        local.apparmor_profile = (char *) o->apparmor;
      if (o->process_label)
        local.selinux_label = (char *) o->process_label;
      p = &local;
    }
  const char *pname = oci_spec_annotation (spec, AL_PROFILE_ANNOTATION);
  if (pname)
    {
      _cleanup_profile_ struct al_profile *prof = NULL;
      r = al_profile_load (pname, &prof, err);
      if (r < 0)
        goto out;
      struct al_profile_host host;
      al_profile_host_probe (&host, NULL);
      /* The profile may add rlimits: give `local` an array of its own (the
         one it shares belongs to the config or the caller). */
      own_rlimits_n = local.n_rlimits;
      own_rlimits = al_xmalloc0 ((local.n_rlimits + 1) * sizeof (struct oci_rlimit));
      if (local.n_rlimits)
        memcpy (own_rlimits, local.rlimits, local.n_rlimits * sizeof (struct oci_rlimit));
      local.rlimits = own_rlimits;
      al_profile_apply_process (prof, &local, &host);
      own_rlimits = local.rlimits;
      own_rlimits_total = local.n_rlimits;
    }
  what = al_xasprintf ("container \"%s\": exec", o->id);
  r = al_lsm_check_process (p, what, err);
  if (r < 0)
    goto out;
  if (p->terminal && o->console_socket == NULL && o->detach)
    {
      r = al_err (err, 0, "exec: a terminal with --detach needs --console-socket");
      goto out;
    }
  if (spec->linux_ && spec->linux_->seccomp)
    {
      r = al_seccomp_prepare (spec->linux_->seccomp, &seccomp, err);
      if (r < 0)
        goto out;
    }

  pidfd = (int) syscall (SYS_pidfd_open, c.st->pid, 0);
  if (pidfd < 0 || !al_state_init_alive (c.st))
    {
      r = al_err (err, ESRCH, "container \"%s\" is not running", o->id);
      goto out;
    }
  char rootpath[64];
  snprintf (rootpath, sizeof rootpath, "/proc/%d/root", c.st->pid);
  rootfd = open (rootpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    {
      r = al_err (err, errno, "container \"%s\": open the init's root", o->id);
      goto out;
    }
  cgfd = open_cgroup (c.st, o->cgroup, &cgpath, err);
  if (cgfd < 0 && err && *err)
    {
      r = al_err_code (*err);
      goto out;
    }
  if (o->console_socket && p->terminal)
    {
      console = al_unix_connect (o->console_socket, err);
      if (console < 0)
        {
          r = al_err_prefix (err, "--console-socket");
          goto out;
        }
    }

  int join = 0, children_only = 0;
  for (size_t i = 0; spec->linux_ && i < spec->linux_->n_namespaces; i++)
    {
      enum oci_ns_type t = spec->linux_->namespaces[i].type;
      if (t == OCI_NS_PID || t == OCI_NS_TIME)
        children_only |= ns_flag[t];
      else
        join |= ns_flag[t];
    }

  int sv[2];
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      r = al_err (err, errno, "socketpair");
      goto out;
    }
  sv0 = sv[0];
  sv1 = sv[1];

  /* From here until the clone: nothing in the container may ptrace us or open
     our /proc files, and the child is born non-dumpable. */
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    {
      r = al_err (err, errno, "prctl(PR_SET_DUMPABLE)");
      goto out;
    }
  dumpable_changed = true;
  if (children_only)
    {
      saved_pid = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      saved_time = open ("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
      if (saved_pid < 0 || saved_time < 0 || setns (pidfd, children_only) < 0)
        {
          r = al_err (err, errno, "container \"%s\": enter the pid and time namespaces", o->id);
          goto restore;
        }
    }
  struct exec_child ec = {
    .p = p,
    .seccomp = seccomp,
    .pidfd = pidfd,
    .rootfd = rootfd,
    .sync = sv1,
    .console = console,
    .join_flags = join,
    .foreground_pty = p->terminal && console < 0,
    .preserve_fds = o->preserve_fds,
    .stdio = o->stdio,
    .id = o->id,
    .mempolicy = spec->linux_ && spec->linux_->memory_policy.present ? &spec->linux_->memory_policy : NULL,
  };
  /* process.execCPUAffinity.initial: the child is born on these CPUs, before
     it is in the container's cgroup; ours come back right after the clone. */
  cpu_set_t saved_affinity;
  bool affinity_changed = false;
  if (p->exec_cpu_affinity_initial && *p->exec_cpu_affinity_initial)
    {
      if (sched_getaffinity (0, sizeof saved_affinity, &saved_affinity) < 0)
        {
          r = al_err (err, errno, "container \"%s\": process.execCPUAffinity.initial: sched_getaffinity", o->id);
          goto restore;
        }
      r = al_exec_set_affinity (p->exec_cpu_affinity_initial, "process.execCPUAffinity.initial", err);
      if (r < 0)
        {
          al_err_prefix (err, "container \"%s\"", o->id);
          goto restore;
        }
      affinity_changed = true;
    }
  pid = clone_into (cgfd, &childfd);
  if (pid < 0 && errno == ENOSYS)
    {
      ec.legacy = true;
      pid = (pid_t) syscall (SYS_clone, (unsigned long) SIGCHLD, NULL, NULL, NULL, NULL);
      if (pid > 0)
        childfd = (int) syscall (SYS_pidfd_open, pid, 0);
    }
  if (pid == 0)
    {
      al_closep (&sv0);
      exec_child (&ec);
    }
  clone_errno = errno;
  if (affinity_changed)
    sched_setaffinity (0, sizeof saved_affinity, &saved_affinity);
restore:
  if (saved_pid >= 0)
    setns (saved_pid, CLONE_NEWPID);
  if (saved_time >= 0)
    setns (saved_time, CLONE_NEWTIME);
  if (dumpable_changed)
    prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
  if (r < 0)
    goto out;
  if (pid < 0)
    {
      r = al_err (err, clone_errno, "container \"%s\": clone3 of the exec process", o->id);
      goto out;
    }
  al_closep (&sv1);
  if (ec.legacy)
    {
      if (cgpath)
        {
          _cleanup_free_ char *procs = al_xasprintf ("%s/cgroup.procs", cgpath);
          char buf[32];
          int n = snprintf (buf, sizeof buf, "%d", pid);
          if (al_write_file_at (AT_FDCWD, procs, buf, (size_t) n, 0, err) < 0)
            {
              r = al_err_prefix (err, "container \"%s\": join the cgroup", o->id);
              goto fail;
            }
        }
      al_sync_send (sv0, AL_SYNC_MAPS, 0, NULL);
    }
  /* The child is in the container's cgroup now, where a paused container
     (--ignore-paused) freezes it until `resume`, which locks the state dir
     exclusively: our shared lock goes before we wait for the child, or
     resume, the child and we would wait for each other for ever. A flock
     belongs to the open file, so this also unlocks the copy of the dir fd
     the child got with its fd table (frozen, it cannot close it). Nothing
     below needs the lock: a delete kills the child with the cgroup. A
     container that was not paused cannot be paused meanwhile (pause locks
     exclusively): there the lock is kept until we return, as it was. */
  if (s == AL_STATUS_PAUSED && flock (c.dirfd, LOCK_UN) < 0)
    {
      r = al_err (err, errno, "container \"%s\": unlock the state dir", o->id);
      goto fail;
    }

  bool ready = false;
  for (;;)
    {
      struct al_sync_msg m;
      int t = al_sync_recv (sv0, &m);
      if (t == AL_SYNC_PTY)
        {
          char payload[16];
          r = al_recv_fd (sv0, &out->pty_master, payload, sizeof payload, err);
          if (r < 0)
            goto fail;
          continue;
        }
      if (t == AL_SYNC_READY)
        {
          ready = true;
          continue;
        }
      if (t == AL_SYNC_SECCOMP)
        {
          struct al_state est = *c.st;
          est.pid = pid;
          r = al_seccomp_listener_forward (m.fd, spec->linux_->seccomp, &est, err);
          if (r < 0)
            goto fail;
          continue;
        }
      if (t == AL_SYNC_ERROR)
        {
          r = al_err (err, 0, "container \"%s\": exec: %s", o->id, m.msg);
          (*err)->errnum = m.errnum;
          goto fail;
        }
      if (!ready)
        {
          r = al_err (err, EPIPE, "container \"%s\": the exec process died while it was set up", o->id);
          goto fail;
        }
      break; /* EOF after READY: the exec closed our socket */
    }
  if (o->pid_file)
    {
      char buf[32];
      int n = snprintf (buf, sizeof buf, "%d", pid);
      r = al_write_file_atomic_at (AT_FDCWD, o->pid_file, buf, (size_t) n, 0644, err);
      if (r < 0)
        {
          al_err_prefix (err, "--pid-file");
          goto out;
        }
    }
  out->pid = pid;
  if (!o->detach)
    out->pidfd = al_steal_fd (childfd);
  r = 0;
  goto out;

fail:
  if (childfd >= 0)
    syscall (SYS_pidfd_send_signal, childfd, SIGKILL, NULL, 0);
  if (pid > 0)
    while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
      ;
  al_closep (&out->pty_master);
out:
  for (size_t i = own_rlimits_n; i < own_rlimits_total; i++)
    free (own_rlimits[i].type);
  free (own_rlimits);
  al_seccomp_free (seccomp);
  oci_spec_free (spec);
  al_container_close (&c);
  return r;
}
