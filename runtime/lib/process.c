/* process.c: the container process's attributes. */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "namespaces.h"
#include "resolve.h"
#include "util.h"

/* An AddressSanitizer build (make SAN=1) reserves terabytes of address space
   for its shadow memory at startup: with RLIMIT_AS set (the sandbox profiles'
   memory fallback on hosts without a memory controller) every later mmap of
   the init fails and ASan aborts before the exec. SAN builds therefore leave
   RLIMIT_AS unset (silently: the container's stderr is the program's, and
   `airlock --version` says so); other builds set it as asked. */
#if defined(__SANITIZE_ADDRESS__)
#  define AL_SKIP_RLIMIT_AS 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define AL_SKIP_RLIMIT_AS 1
#  endif
#endif

bool
al_process_skips_rlimit_as (void)
{
#ifdef AL_SKIP_RLIMIT_AS
  return true;
#else
  return false;
#endif
}

int
al_process_set_rlimits (const struct oci_process *p, al_error_t *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
#ifdef AL_SKIP_RLIMIT_AS
      if (p->rlimits[i].resource == RLIMIT_AS)
        continue;
#endif
      struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
      if (setrlimit (p->rlimits[i].resource, &rl) < 0)
        return al_err (err, errno, "process.rlimits[%zu]: set %s to soft %llu hard %llu", i, p->rlimits[i].type,
                       (unsigned long long) rl.rlim_cur, (unsigned long long) rl.rlim_max);
    }
  return 0;
}

int
al_process_set_user (const struct oci_process *p, al_error_t *err)
{
  const struct oci_user *u = &p->user;
  if (setgroups (u->n_additional_gids, (const gid_t *) u->additional_gids) < 0 && errno != EPERM)
    return al_err (err, errno, "process.user.additionalGids: setgroups");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return al_err (err, errno, "process.user.gid: setresgid(%u)", u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return al_err (err, errno, "process.user.uid: setresuid(%u)", u->uid);
  if (u->has_umask)
    umask ((mode_t) u->umask);
  return 0;
}

struct sched_attr_k
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

int
al_process_set_sched (const struct oci_process *p, const struct oci_linux *l, al_error_t *err)
{
  if (l && l->has_personality && l->personality_domain)
    {
      unsigned long persona = strcmp (l->personality_domain, "LINUX32") == 0 ? PER_LINUX32 : PER_LINUX;
      if (personality (persona) < 0)
        return al_err (err, errno, "linux.personality.domain: personality(%s)", l->personality_domain);
    }
  if (p == NULL)
    return 0;
  if (p->scheduler.present)
    {
      struct sched_attr_k attr = {
        .size = sizeof attr,
        .sched_policy = (uint32_t) p->scheduler.policy,
        .sched_flags = (uint64_t) p->scheduler.flags,
        .sched_nice = p->scheduler.nice,
        .sched_priority = (uint32_t) p->scheduler.priority,
        .sched_runtime = p->scheduler.runtime,
        .sched_deadline = p->scheduler.deadline,
        .sched_period = p->scheduler.period,
      };
      if (syscall (SYS_sched_setattr, 0, &attr, 0) < 0)
        return al_err (err, errno, "process.scheduler: sched_setattr");
    }
  if (p->io_priority.present)
    {
      int prio = (p->io_priority.klass << 13) | p->io_priority.priority;
      if (syscall (SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, prio) < 0)
        return al_err (err, errno, "process.ioPriority: ioprio_set");
    }
  return 0;
}

int
al_process_set_oom_score_adj (pid_t pid, int adj, al_error_t *err)
{
  char path[64], val[32];
  snprintf (path, sizeof path, "/proc/%d/oom_score_adj", pid);
  int n = snprintf (val, sizeof val, "%d", adj);
  int r = al_write_file_at (AT_FDCWD, path, val, (size_t) n, 0, err);
  if (r < 0)
    return al_err_prefix (err, "process.oomScoreAdj: set %d", adj);
  return 0;
}

/* The namespace type a sysctl key (dots or slashes) belongs to, else -1. */
static int
sysctl_ns (const char *key)
{
  static const struct
  {
    const char *prefix; /* a prefix, or the whole key when `exact` */
    bool exact;
    int ns;
  } tab[] = {
    { "net.", false, OCI_NS_NETWORK },         { "kernel.msg", false, OCI_NS_IPC },
    { "kernel.sem", false, OCI_NS_IPC },       { "kernel.shm", false, OCI_NS_IPC },
    { "fs.mqueue.", false, OCI_NS_IPC },       { "kernel.hostname", true, OCI_NS_UTS },
    { "kernel.domainname", true, OCI_NS_UTS }, { "user.", false, OCI_NS_USER },
  };
  _cleanup_free_ char *k = al_xstrdup (key);
  for (char *c = k; *c; c++)
    if (*c == '/')
      *c = '.';
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (tab[i].exact ? strcmp (k, tab[i].prefix) == 0 : al_has_prefix (k, tab[i].prefix))
      return tab[i].ns;
  return -1;
}

/* 1 when fd is the same namespace as /proc/self/ns/NAME, 0 when not, or a
   negative errno. */
static int
same_ns_as_self (int fd, const char *name)
{
  _cleanup_free_ char *path = al_xasprintf ("/proc/self/ns/%s", name);
  struct stat a, b;
  if (fstat (fd, &a) < 0 || stat (path, &b) < 0)
    return -errno;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static const char *
proc_ns_name (int ns)
{
  switch (ns)
    {
    case OCI_NS_NETWORK:
      return "net";
    case OCI_NS_IPC:
      return "ipc";
    case OCI_NS_UTS:
      return "uts";
    default:
      return "user";
    }
}

int
al_process_check_sysctl (const struct oci_linux *l, const struct al_ns_plan *plan, al_error_t *err)
{
  static const unsigned long clone_flag[OCI_NS_COUNT] = {
    [OCI_NS_NETWORK] = CLONE_NEWNET,
    [OCI_NS_IPC] = CLONE_NEWIPC,
    [OCI_NS_UTS] = CLONE_NEWUTS,
  };
  for (size_t i = 0; l && i < l->n_sysctl; i++)
    {
      const char *key = l->sysctl[i].key;
      int ns = sysctl_ns (key);
      if (ns < 0)
        return al_err (err, EPERM,
                       "linux.sysctl[\"%s\"]: not in a kernel namespace, so writing it would change the host",
                       key);
      const char *name = oci_ns_type_name ((enum oci_ns_type) ns);
      bool is_new = ns == OCI_NS_USER ? plan->new_user : (plan->clone_flags & clone_flag[ns]) != 0;
      if (is_new)
        continue;
      int fd = plan->join_fd[ns];
      if (fd < 0)
        return al_err (err, EPERM,
                       "linux.sysctl[\"%s\"]: the container shares the host's %s namespace "
                       "(linux.namespaces has no %s entry), so writing it would change the host",
                       key, name, name);
      int r = same_ns_as_self (fd, proc_ns_name (ns));
      if (r < 0)
        return al_err (err, -r, "linux.sysctl[\"%s\"]: compare the %s namespace with the runtime's", key, name);
      if (r > 0)
        return al_err (err, EPERM,
                       "linux.sysctl[\"%s\"]: the %s namespace joined by linux.namespaces path is the host's own, "
                       "so writing it would change the host",
                       key, name);
    }
  return 0;
}

int
al_process_set_sysctl (const struct oci_linux *l, al_error_t *err)
{
  for (size_t i = 0; l && i < l->n_sysctl; i++)
    {
      const char *key = l->sysctl[i].key;
      if (strstr (key, "..") || key[0] == '/' || key[0] == '.')
        return al_err (err, 0, "linux.sysctl: invalid key \"%s\"", key);
      _cleanup_free_ char *path = al_xasprintf ("/proc/sys/%s", key);
      for (char *c = path + strlen ("/proc/sys/"); *c; c++)
        if (*c == '.')
          *c = '/';
      const char *v = l->sysctl[i].value;
      _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0)
        return al_err (err, errno, "linux.sysctl: \"%s\": open %s", key, path);
      if (write (fd, v, strlen (v)) < 0)
        return al_err (err, errno, "linux.sysctl: \"%s\": write \"%s\" to %s", key, v, path);
    }
  return 0;
}

/* The home directory of uid in /etc/passwd below the current root, or NULL. */
static char *
passwd_home (uid_t uid)
{
  _cleanup_close_ int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return NULL;
  _cleanup_close_ int etc = al_resolve_in_root (root, "/etc");
  if (etc < 0)
    return NULL;
  int fd = openat (etc, "passwd", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct stat st;
  FILE *f = fstat (fd, &st) == 0 && S_ISREG (st.st_mode) ? fdopen (fd, "re") : NULL;
  if (f == NULL)
    {
      close (fd);
      return NULL;
    }
  char *home = NULL;
  char buf[4096];
  struct passwd pw, *res;
  while (fgetpwent_r (f, &pw, buf, sizeof buf, &res) == 0 && res)
    if (pw.pw_uid == uid)
      {
        if (pw.pw_dir && *pw.pw_dir)
          home = al_xstrdup (pw.pw_dir);
        break;
      }
  fclose (f);
  return home;
}

char **
al_process_env_with_home (const struct oci_process *p)
{
  size_t n = 0;
  for (char **e = p->env; e && *e; e++, n++)
    if (al_has_prefix (*e, "HOME="))
      return NULL;
  _cleanup_free_ char *home = passwd_home ((uid_t) p->user.uid);
  char **env = calloc (n + 2, sizeof *env);
  if (env == NULL)
    abort ();
  for (size_t i = 0; i < n; i++)
    env[i] = p->env[i];
  env[n] = al_xasprintf ("HOME=%s", home ? home : "/");
  return env;
}

static const char *
env_path (const struct oci_process *p)
{
  for (char **e = p->env; e && *e; e++)
    if (al_has_prefix (*e, "PATH="))
      return *e + 5;
  return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

static int
check_exec (const char *path)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return -errno;
  if (S_ISDIR (st.st_mode))
    return -EISDIR;
  if (!S_ISREG (st.st_mode))
    return -EACCES;
  /* With the effective ids and capabilities, as execve checks: access()
     would use the real uid, and for root the permitted set (a user with
     CAP_DAC_OVERRIDE refused; root without it effective let through). */
  if (faccessat (AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
    {
      /* EPERM/ENOSYS: faccessat2 refused by the process's seccomp filter
         (loaded by now); execve decides and its errno is reported. */
      if (errno == EPERM || errno == ENOSYS)
        return 0;
      return -errno;
    }
  return 0;
}

int
al_process_find_exec (const struct oci_process *p, char **out, al_error_t *err)
{
  const char *prog = p->args[0];
  if (strchr (prog, '/'))
    {
      int r = check_exec (prog);
      if (r < 0)
        return al_err (err, -r, "process.args[0]: cannot execute `%s`", prog);
      *out = al_xstrdup (prog);
      return 0;
    }
  _cleanup_free_ char *dirs = al_xstrdup (env_path (p));
  int last = ENOENT;
  char *save = NULL;
  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      _cleanup_free_ char *cand = al_xasprintf ("%s/%s", *d ? d : ".", prog);
      int r = check_exec (cand);
      if (r == 0)
        {
          *out = al_steal_ptr (cand);
          return 0;
        }
      if (r != -ENOENT && r != -ENOTDIR)
        last = -r;
    }
  return al_err (err, last, "process.args[0]: `%s` not found in PATH \"%s\"", prog, env_path (p));
}
