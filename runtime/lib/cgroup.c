/* cgroup.c: the container's cgroup v2, cgroupfs driver.
 *
 * Everything goes through the cgroup2 mount found in /proc/self/mountinfo: on a
 * pure v2 host /sys/fs/cgroup, on a hybrid host the unified tree. The v1
 * hierarchies are never opened for writing. */
#include "cgroup.h"
#include "cgroup_devices.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define CG_WAIT_TIMEOUT_MS 10000 /* bound for kill and freeze to take effect */
#define CG_FILE_MAX (1u << 20)    /* cgroup.procs of a big cgroup fits easily */
#define CG_RMDIR_RETRIES 50
#define CG_RMDIR_RETRY_US 10000

/* ---- small helpers ---------------------------------------------------- */

static char *
cg_display (const struct al_cgroup *cg)
{
  if (strcmp (cg->path, "/") == 0)
    return al_xstrdup (cg->mount);
  return al_xasprintf ("%s%s", cg->mount, cg->path);
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
al_cgroup_find_mount (char **mount, al_error_t *err)
{
  _cleanup_free_ char *buf = NULL;
  int r = al_read_file_at (AT_FDCWD, "/proc/self/mountinfo", 16u << 20, &buf, NULL, err);
  if (r < 0)
    return r;

  _cleanup_free_ char *first = NULL;
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
      char *sep = strstr (line, " - ");
      if (sep == NULL)
        continue;
      *sep = '\0';
      char *fstype = sep + 3;
      char *end = strchr (fstype, ' ');
      if (end)
        *end = '\0';
      if (strcmp (fstype, "cgroup2") != 0)
        continue;

      char *fsave = NULL;
      char *f = strtok_r (line, " ", &fsave);
      for (int i = 0; f && i < 4; i++)
        f = strtok_r (NULL, " ", &fsave);
      if (f == NULL)
        continue;
      al_mountinfo_unescape (f);
      if (strcmp (f, "/sys/fs/cgroup") == 0)
        {
          *mount = al_xstrdup (f);
          return 0;
        }
      if (first == NULL)
        first = al_xstrdup (f);
    }
  if (first == NULL)
    return al_err (err, ENOENT, "no cgroup2 mount in /proc/self/mountinfo (cgroup v2 is required)");
  *mount = al_steal_ptr (first);
  return 0;
}

/* The caller's cgroup v2 path: the "0::/path" line of /proc/self/cgroup. */
static int
own_cgroup (char **out, al_error_t *err)
{
  _cleanup_free_ char *buf = NULL;
  int r = al_read_file_at (AT_FDCWD, "/proc/self/cgroup", CG_FILE_MAX, &buf, NULL, err);
  if (r < 0)
    return r;
  char *save = NULL;
  for (char *line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    if (al_has_prefix (line, "0::"))
      {
        const char *p = line + 3;
        if (*p != '/')
          return al_err (err, EINVAL, "/proc/self/cgroup: unexpected cgroup v2 path `%s`", p);
        *out = al_xstrdup (p);
        return 0;
      }
  return al_err (err, ENOENT, "/proc/self/cgroup: no cgroup v2 (0::) entry");
}

/* Normalize an absolute cgroup path: collapse "//", drop "." and trailing '/'.
 * ".." components are refused. Returns NULL for "..". */
static char *
normalize_path (const char *in, bool *dotdot)
{
  _cleanup_free_ char *copy = al_xstrdup (in);
  char *out = al_xmalloc0 (strlen (in) + 2);
  size_t n = 0;
  *dotdot = false;
  char *save = NULL;
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        {
          *dotdot = true;
          free (out);
          return NULL;
        }
      out[n++] = '/';
      size_t l = strlen (c);
      memcpy (out + n, c, l);
      n += l;
    }
  if (n == 0)
    out[n++] = '/';
  out[n] = '\0';
  return out;
}

int
al_cgroup_resolve (const char *cgroups_path, const char *id, struct al_cgroup **out, al_error_t *err)
{
  _cleanup_free_ char *raw = NULL;
  if (cgroups_path && *cgroups_path)
    {
      if (cgroups_path[0] != '/' && strchr (cgroups_path, ':'))
        return al_err (err, EINVAL, "linux.cgroupsPath \"%s\" is a systemd slice path: use --systemd-cgroup", cgroups_path);
      if (cgroups_path[0] == '/')
        raw = al_xstrdup (cgroups_path);
      else
        {
          _cleanup_free_ char *own = NULL;
          int r = own_cgroup (&own, err);
          if (r < 0)
            return r;
          raw = al_xasprintf ("%s/%s", own, cgroups_path);
        }
    }
  else
    {
      if (id == NULL || *id == '\0' || strchr (id, '/') || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
        return al_err (err, EINVAL, "container id `%s` cannot name a cgroup", id ? id : "");
      _cleanup_free_ char *own = NULL;
      int r = own_cgroup (&own, err);
      if (r < 0)
        return r;
      raw = al_xasprintf ("%s/airlock/%s", own, id);
    }

  bool dotdot = false;
  _cleanup_free_ char *path = normalize_path (raw, &dotdot);
  if (path == NULL)
    return al_err (err, EINVAL, "linux.cgroupsPath \"%s\": `..` components are not allowed", cgroups_path ? cgroups_path : "");
  if (strcmp (path, "/") == 0)
    return al_err (err, EINVAL, "linux.cgroupsPath \"%s\": the root cgroup cannot hold a container", cgroups_path ? cgroups_path : "");

  _cleanup_free_ char *mount = NULL;
  int r = al_cgroup_find_mount (&mount, err);
  if (r < 0)
    return r;

  struct al_cgroup *cg = al_xmalloc0 (sizeof *cg);
  cg->mount = al_steal_ptr (mount);
  cg->path = al_steal_ptr (path);
  cg->dirfd = -1;
  *out = cg;
  return 0;
}

/* ---- file access inside a cgroup -------------------------------------- */

/* Write value to file in the cgroup directory dfd (display names the cgroup). */
static int
write_at (int dfd, const char *display, const char *file, const char *value, al_error_t *err)
{
  _cleanup_close_ int fd = openat (dfd, file, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "cgroup %s: write \"%s\" to %s", display, value, file);
  ssize_t w = al_write_all (fd, value, strlen (value));
  if (w < 0)
    return al_err (err, (int) -w, "cgroup %s: write \"%s\" to %s", display, value, file);
  return 0;
}

static int
read_at (int dfd, const char *display, const char *file, char **out, al_error_t *err)
{
  int r = al_read_file_at (dfd, file, CG_FILE_MAX, out, NULL, err);
  if (r < 0)
    return al_err_prefix (err, "cgroup %s", display);
  return 0;
}

static int
cg_write (struct al_cgroup *cg, const char *file, const char *value, al_error_t *err)
{
  _cleanup_free_ char *d = cg_display (cg);
  return write_at (cg->dirfd, d, file, value, err);
}

static int
cg_open (struct al_cgroup *cg, al_error_t *err)
{
  if (cg->dirfd >= 0)
    return 0;
  _cleanup_free_ char *d = cg_display (cg);
  int fd = open (d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "open cgroup %s", d);
  cg->dirfd = fd;
  return 0;
}

/* Whether the space-separated word list contains word. */
static bool
has_word (const char *list, const char *word)
{
  size_t l = strlen (word);
  for (const char *p = list; (p = strstr (p, word)) != NULL; p += l)
    if ((p == list || p[-1] == ' ' || p[-1] == '\n') && (p[l] == '\0' || p[l] == ' ' || p[l] == '\n'))
      return true;
  return false;
}

/* Value of key in a flat-keyed file ("populated 1\nfrozen 0\n"); -1 when absent. */
static long
keyed_value (const char *content, const char *key)
{
  size_t l = strlen (key);
  for (const char *p = content; p && *p; p = strchr (p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp (p, key, l) == 0 && p[l] == ' ')
      return strtol (p + l + 1, NULL, 10);
  return -1;
}

/* ---- resources → controllers ----------------------------------------- */

enum
{
  CTRL_CPU,
  CTRL_CPUSET,
  CTRL_IO,
  CTRL_MEMORY,
  CTRL_PIDS,
  CTRL_HUGETLB,
  CTRL_RDMA,
  CTRL_MISC,
  CTRL_COUNT
};

static const char *const ctrl_names[CTRL_COUNT] = { "cpu", "cpuset", "io", "memory", "pids", "hugetlb", "rdma", "misc" };

struct needs
{
  /* JSON path of the first resource needing each controller, NULL when not needed */
  char *why[CTRL_COUNT];
  /* controllers named only by linux.resources.unified keys not in ctrl_names */
  char **other;
  char **other_why;
  size_t n_other;
};

static void
needs_free (struct needs *n)
{
  for (size_t i = 0; i < CTRL_COUNT; i++)
    free (n->why[i]);
  for (size_t i = 0; i < n->n_other; i++)
    {
      free (n->other[i]);
      free (n->other_why[i]);
    }
  free (n->other);
  free (n->other_why);
}

static void
need (struct needs *n, int ctrl, const char *why)
{
  if (n->why[ctrl] == NULL)
    n->why[ctrl] = al_xstrdup (why);
}

static void
need_name (struct needs *n, const char *name, const char *why)
{
  for (int i = 0; i < CTRL_COUNT; i++)
    if (strcmp (ctrl_names[i], name) == 0)
      return need (n, i, why);
  for (size_t i = 0; i < n->n_other; i++)
    if (strcmp (n->other[i], name) == 0)
      return;
  n->other = realloc (n->other, (n->n_other + 1) * sizeof (char *));
  n->other_why = realloc (n->other_why, (n->n_other + 1) * sizeof (char *));
  if (n->other == NULL || n->other_why == NULL)
    abort ();
  n->other[n->n_other] = al_xstrdup (name);
  n->other_why[n->n_other] = al_xstrdup (why);
  n->n_other++;
}

static int
check_unified_key (const char *key, al_error_t *err)
{
  if (key == NULL || *key == '\0' || strchr (key, '/') || strcmp (key, ".") == 0 || strcmp (key, "..") == 0)
    return al_err (err, EINVAL, "linux.resources.unified: invalid key \"%s\"", key ? key : "");
  if (strchr (key, '.') == NULL || key[0] == '.')
    return al_err (err, EINVAL, "linux.resources.unified: key \"%s\" is not a cgroup file name (controller.file)", key);
  return 0;
}

/* ---- values that ask for nothing ---------------------------------------- */

/* A value equal to what the kernel gives a cgroup anyway is no limit: it needs
 * no controller, and it is written only where its file already exists (so an
 * update back to the default still resets an earlier limit). */
uint64_t
al_cgroup_cpu_weight (uint64_t shares)
{
  /* cgroup v1 shares span [2, 2^18], default 1024 = 2^10; cgroup v2 weights
   * span [1, 10^4], default 100 = 10^2. The weight is 10 raised to a
   * quadratic in l = log2(shares) through the three pairs (2, 1),
   * (1024, 100) and (262144, 10000):
   *   log10(weight) = (l^2 + 125 l - 126) / 612,
   * rounded up. Unlike the old linear map (1024 -> 39), the defaults
   * match; current runc and crun convert on the same curve. 0: unset. */
  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  double l = log2 ((double) shares);
  double w = ceil (pow (10.0, (l * l + 125.0 * l - 126.0) / 612.0));
  if (w < 1)
    return 1;
  if (w > 10000)
    return 10000;
  return (uint64_t) w;
}

bool
al_cgroup_cpu_shares_is_default (uint64_t shares)
{
  return shares == AL_CGROUP_DEFAULT_CPU_SHARES;
}

bool
al_cgroup_cpu_max_is_default (bool has_quota, int64_t quota, bool has_period, uint64_t period)
{
  /* 0 is "not set" for both, as in apply_cpu. */
  bool q = has_quota && quota != 0;
  bool p = has_period && period != 0;
  if (q)
    return quota < 0; /* "max": the period does not limit anything */
  return !p || period == AL_CGROUP_DEFAULT_CPU_PERIOD;
}

/* memory.limit, reservation, swap and pids.limit: negative is "max". */
bool
al_cgroup_limit_is_default (int64_t v)
{
  return v < 0;
}

static bool
cg_has_file (const struct al_cgroup *cg, const char *file)
{
  return faccessat (cg->dirfd, file, F_OK, 0) == 0;
}

/* What controllers the resources need. Also refuses what cgroup v2 cannot do. */
static int
collect_needs (const struct oci_resources *res, struct needs *n, al_error_t *err)
{
  if (res == NULL)
    return 0;

  /* linux.resources.devices: cgroup v2 has no devices controller; the rules
   * are enforced by a BPF_CGROUP_DEVICE program attached to the cgroup
   * (cgroup_devices.c, from al_cgroup_apply), which needs no controller. */

  if (res->memory.present)
    {
      /* 0 means "not set" here as in al_cgroup_apply (clients zero-fill). */
      /* -1 ("max") is the kernel's default: no request. */
      if (res->memory.has_limit && res->memory.limit != 0 && !al_cgroup_limit_is_default (res->memory.limit))
        need (n, CTRL_MEMORY, "linux.resources.memory.limit");
      if (res->memory.has_reservation && res->memory.reservation != 0
          && !al_cgroup_limit_is_default (res->memory.reservation))
        need (n, CTRL_MEMORY, "linux.resources.memory.reservation");
      if (res->memory.has_swap && res->memory.swap != 0 && !al_cgroup_limit_is_default (res->memory.swap))
        need (n, CTRL_MEMORY, "linux.resources.memory.swap");
      /* kernel and kernelTCP limits and disableOOMKiller only exist in
       * cgroup v1: a config asking for them is refused, not run looser.
       * swappiness and useHierarchy have no effect to lose: ignored. */
      if (res->memory.has_kernel && res->memory.kernel > 0)
        return al_err (err, EOPNOTSUPP, "linux.resources.memory.kernel: kernel memory limits do not exist on cgroup v2");
      if (res->memory.has_kernel_tcp && res->memory.kernel_tcp > 0)
        return al_err (err, EOPNOTSUPP,
                       "linux.resources.memory.kernelTCP: kernel TCP memory limits do not exist on cgroup v2");
      if (res->memory.has_disable_oom_killer && res->memory.disable_oom_killer)
        return al_err (err, EOPNOTSUPP,
                       "linux.resources.memory.disableOOMKiller: the OOM killer cannot be disabled on cgroup v2 "
                       "(memory.oom.group and memory.high through linux.resources.unified are the v2 controls)");
    }

  if (res->cpu.present)
    {
      /* shares 1024 (cpu.weight 100) and an unlimited quota are the
         kernel's defaults: no request. */
      if (res->cpu.has_shares && res->cpu.shares != 0 && !al_cgroup_cpu_shares_is_default (res->cpu.shares))
        need (n, CTRL_CPU, "linux.resources.cpu.shares");
      if (!al_cgroup_cpu_max_is_default (res->cpu.has_quota, res->cpu.quota, res->cpu.has_period, res->cpu.period))
        need (n, CTRL_CPU, res->cpu.has_quota && res->cpu.quota != 0 ? "linux.resources.cpu.quota"
                                                                      : "linux.resources.cpu.period");
      if (res->cpu.has_burst)
        need (n, CTRL_CPU, "linux.resources.cpu.burst");
      if (res->cpu.has_idle)
        need (n, CTRL_CPU, "linux.resources.cpu.idle");
      if (res->cpu.cpus && *res->cpu.cpus)
        need (n, CTRL_CPUSET, "linux.resources.cpu.cpus");
      if (res->cpu.mems && *res->cpu.mems)
        need (n, CTRL_CPUSET, "linux.resources.cpu.mems");
      if ((res->cpu.has_realtime_runtime && res->cpu.realtime_runtime != 0)
          || (res->cpu.has_realtime_period && res->cpu.realtime_period != 0))
        return al_err (err, EOPNOTSUPP, "linux.resources.cpu.realtimeRuntime/realtimePeriod: not supported on cgroup v2");
    }

  /* -1 is "max", the default (a pre-1.3 0 was read as -1). */
  if (res->pids.present && !al_cgroup_limit_is_default (res->pids.limit))
    need (n, CTRL_PIDS, "linux.resources.pids.limit");

  if (res->block_io.present)
    {
      if (res->block_io.has_weight && res->block_io.weight != 0)
        need (n, CTRL_IO, "linux.resources.blockIO.weight");
      if (res->block_io.n_weight_device)
        need (n, CTRL_IO, "linux.resources.blockIO.weightDevice");
      if (res->block_io.n_throttle_read_bps)
        need (n, CTRL_IO, "linux.resources.blockIO.throttleReadBpsDevice");
      if (res->block_io.n_throttle_write_bps)
        need (n, CTRL_IO, "linux.resources.blockIO.throttleWriteBpsDevice");
      if (res->block_io.n_throttle_read_iops)
        need (n, CTRL_IO, "linux.resources.blockIO.throttleReadIOPSDevice");
      if (res->block_io.n_throttle_write_iops)
        need (n, CTRL_IO, "linux.resources.blockIO.throttleWriteIOPSDevice");
      /* leafWeight has no cgroup v2 equivalent: ignored. */
    }

  for (size_t i = 0; i < res->n_hugepage_limits; i++)
    {
      const char *ps = res->hugepage_limits[i].page_size;
      if (ps == NULL || *ps == '\0' || strchr (ps, '/') || strchr (ps, '.'))
        return al_err (err, EINVAL, "linux.resources.hugepageLimits[%zu].pageSize: invalid page size \"%s\"", i, ps ? ps : "");
      _cleanup_free_ char *why = al_xasprintf ("linux.resources.hugepageLimits[%zu]", i);
      need (n, CTRL_HUGETLB, why);
    }

  for (size_t i = 0; i < res->n_rdma; i++)
    {
      const char *dev = res->rdma[i].device;
      if (dev == NULL || *dev == '\0' || strpbrk (dev, " \n"))
        return al_err (err, EINVAL, "linux.resources.rdma[%zu]: invalid device name \"%s\"", i, dev ? dev : "");
      _cleanup_free_ char *why = al_xasprintf ("linux.resources.rdma[\"%s\"]", dev);
      need (n, CTRL_RDMA, why);
    }

  if (res->network.present && (res->network.has_class_id || res->network.n_priorities))
    return al_err (err, EOPNOTSUPP, "linux.resources.network: net_cls and net_prio do not exist on cgroup v2");

  for (size_t i = 0; i < res->n_unified; i++)
    {
      const char *key = res->unified[i].key;
      int r = check_unified_key (key, err);
      if (r < 0)
        return r;
      if (al_has_prefix (key, "cgroup."))
        continue; /* core files: no controller */
      _cleanup_free_ char *ctrl = strndup (key, (size_t) (strchr (key, '.') - key));
      if (ctrl == NULL)
        abort ();
      _cleanup_free_ char *why = al_xasprintf ("linux.resources.unified[\"%s\"]", key);
      need_name (n, ctrl, why);
    }
  return 0;
}

/* Enable `name` in cgroup.subtree_control of dfd unless it already is. */
static int
enable_controller (int dfd, const char *display, const char *name, al_error_t *err)
{
  _cleanup_free_ char *cur = NULL;
  int r = read_at (dfd, display, "cgroup.subtree_control", &cur, err);
  if (r < 0)
    return r;
  if (has_word (cur, name))
    return 0;
  _cleanup_free_ char *val = al_xasprintf ("+%s", name);
  return write_at (dfd, display, "cgroup.subtree_control", val, err);
}

static int
enable_needed (int dfd, const char *display, const struct needs *n, al_error_t *err)
{
  for (int i = 0; i < CTRL_COUNT; i++)
    if (n->why[i])
      {
        int r = enable_controller (dfd, display, ctrl_names[i], err);
        if (r < 0)
          return r;
      }
  for (size_t i = 0; i < n->n_other; i++)
    {
      int r = enable_controller (dfd, display, n->other[i], err);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
check_available (const char *controllers, const char *display, const struct needs *n, al_error_t *err)
{
  for (int i = 0; i < CTRL_COUNT; i++)
    if (n->why[i] && !has_word (controllers, ctrl_names[i]))
      return al_err (err, EOPNOTSUPP, "%s: the %s controller is not available on %s", n->why[i], ctrl_names[i], display);
  for (size_t i = 0; i < n->n_other; i++)
    if (!has_word (controllers, n->other[i]))
      return al_err (err, EOPNOTSUPP, "%s: the %s controller is not available on %s", n->other_why[i], n->other[i],
                     display);
  return 0;
}

int
al_cgroup_create (struct al_cgroup *cg, const struct oci_resources *resources, al_error_t *err)
{
  __attribute__ ((cleanup (needs_free))) struct needs n = { 0 };
  int r = collect_needs (resources, &n, err);
  if (r < 0)
    return r;

  _cleanup_free_ char *display = cg_display (cg);
  _cleanup_close_ int fd = open (cg->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "open cgroup2 mount %s", cg->mount);

  /* Walk down from the mount: the controllers must be available at the
   * deepest level that exists; every level above the cgroup gets them in
   * its subtree_control. */
  _cleanup_free_ char *rel = al_xstrdup (cg->path + 1);
  _cleanup_free_ char *cur = al_xstrdup (cg->mount);
  char *save = NULL;
  char *comp = strtok_r (rel, "/", &save);
  bool created_any = false;
  while (comp)
    {
      char *next = strtok_r (NULL, "/", &save);
      bool leaf = next == NULL;

      if (!created_any)
        {
          _cleanup_free_ char *ctrls = NULL;
          r = read_at (fd, cur, "cgroup.controllers", &ctrls, err);
          if (r < 0)
            return r;
          r = check_available (ctrls, cur, &n, err);
          if (r < 0)
            return r;
        }
      r = enable_needed (fd, cur, &n, err);
      if (r < 0)
        return r;

      char *child = al_xasprintf ("%s/%s", cur, comp);
      free (cur);
      cur = child;
      if (mkdirat (fd, comp, 0755) < 0)
        {
          if (errno != EEXIST)
            return al_err (err, errno, "create cgroup %s", cur);
        }
      else
        created_any = true;

      int cfd = openat (fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (cfd < 0)
        return al_err (err, errno, "open cgroup %s", cur);
      close (fd);
      fd = cfd;

      if (leaf && !created_any)
        {
          /* The cgroup existed: fine when empty, an error when in use. */
          _cleanup_free_ char *events = NULL;
          r = read_at (fd, cur, "cgroup.events", &events, err);
          if (r < 0)
            return r;
          if (keyed_value (events, "populated") > 0)
            return al_err (err, EBUSY, "cgroup %s already exists and has processes", display);
        }
      comp = next;
    }

  if (cg->dirfd >= 0)
    close (cg->dirfd);
  cg->dirfd = al_steal_fd (fd);
  return 0;
}

int
al_cgroup_drop_unavailable (const struct al_cgroup *cg, struct oci_resources *res, char **dropped, al_error_t *err)
{
  *dropped = NULL;
  if (res == NULL)
    return 0;
  _cleanup_free_ char *ctrls = NULL;
  _cleanup_close_ int fd = open (cg->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "open cgroup2 mount %s", cg->mount);
  int r = read_at (fd, cg->mount, "cgroup.controllers", &ctrls, err);
  if (r < 0)
    return r;
  __attribute__ ((cleanup (needs_free))) struct needs n = { 0 };
  r = collect_needs (res, &n, err);
  if (r < 0)
    return r;
  size_t len = 0;
  char buf[512] = "";
  for (int i = 0; i < CTRL_COUNT; i++)
    {
      if (n.why[i] == NULL || has_word (ctrls, ctrl_names[i]))
        continue;
      len += (size_t) snprintf (buf + len, len < sizeof buf ? sizeof buf - len : 0, "%s%s (%s)", len ? ", " : "",
                                n.why[i], ctrl_names[i]);
      switch (i)
        {
        case CTRL_MEMORY:
          res->memory.present = false;
          break;
        case CTRL_CPU:
          res->cpu.has_shares = res->cpu.has_quota = res->cpu.has_period = false;
          res->cpu.has_burst = res->cpu.has_idle = false;
          break;
        case CTRL_CPUSET:
          free (res->cpu.cpus);
          free (res->cpu.mems);
          res->cpu.cpus = res->cpu.mems = NULL;
          break;
        case CTRL_IO:
          res->block_io.present = false;
          break;
        case CTRL_PIDS:
          res->pids.present = false;
          break;
        case CTRL_HUGETLB:
          for (size_t j = 0; j < res->n_hugepage_limits; j++)
            free (res->hugepage_limits[j].page_size);
          free (res->hugepage_limits);
          res->hugepage_limits = NULL;
          res->n_hugepage_limits = 0;
          break;
        case CTRL_RDMA:
          for (size_t j = 0; j < res->n_rdma; j++)
            free (res->rdma[j].device);
          free (res->rdma);
          res->rdma = NULL;
          res->n_rdma = 0;
          break;
        default:
          break;
        }
    }
  /* linux.resources.unified names files explicitly: a missing controller
     stays an error there. */
  if (len)
    *dropped = al_xstrdup (buf);
  return 0;
}

int
al_cgroup_ensure_controllers (struct al_cgroup *cg, const struct oci_resources *res, al_error_t *err)
{
  __attribute__ ((cleanup (needs_free))) struct needs n = { 0 };
  int r = collect_needs (res, &n, err);
  if (r < 0)
    return r;
  _cleanup_close_ int fd = open (cg->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "open cgroup2 mount %s", cg->mount);
  _cleanup_free_ char *rel = al_xstrdup (cg->path + 1);
  _cleanup_free_ char *cur = al_xstrdup (cg->mount);
  char *save = NULL;
  for (char *comp = strtok_r (rel, "/", &save); comp; comp = strtok_r (NULL, "/", &save))
    {
      _cleanup_free_ char *ctrls = NULL;
      r = read_at (fd, cur, "cgroup.controllers", &ctrls, err);
      if (r == 0)
        r = check_available (ctrls, cur, &n, err);
      if (r == 0)
        r = enable_needed (fd, cur, &n, err);
      if (r < 0)
        return r;
      char *child = al_xasprintf ("%s/%s", cur, comp);
      free (cur);
      cur = child;
      int cfd = openat (fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (cfd < 0)
        return al_err (err, errno, "open cgroup %s", cur);
      close (fd);
      fd = cfd;
    }
  return 0;
}

/* ---- applying limits -------------------------------------------------- */

static int
write_u64 (struct al_cgroup *cg, const char *file, uint64_t v, al_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%" PRIu64, v);
  return cg_write (cg, file, buf, err);
}

/* -1 (or any negative) is "max". */
static int
write_limit (struct al_cgroup *cg, const char *file, int64_t v, al_error_t *err)
{
  if (v < 0)
    return cg_write (cg, file, "max", err);
  return write_u64 (cg, file, (uint64_t) v, err);
}

static int
apply_memory (struct al_cgroup *cg, const struct oci_resources *res, al_error_t *err)
{
  int r;
  if (!res->memory.present)
    return 0;
  /* 0 is "not set" for limit and reservation, as with other runtimes. */
  /* A default (-1) is written only where the file is (see above). */
  if (res->memory.has_reservation && res->memory.reservation != 0
      && (!al_cgroup_limit_is_default (res->memory.reservation) || cg_has_file (cg, "memory.low")))
    if ((r = write_limit (cg, "memory.low", res->memory.reservation, err)) < 0)
      return r;
  bool has_limit = res->memory.has_limit && res->memory.limit != 0;
  if (has_limit && (!al_cgroup_limit_is_default (res->memory.limit) || cg_has_file (cg, "memory.max")))
    if ((r = write_limit (cg, "memory.max", res->memory.limit, err)) < 0)
      return r;
  if (res->memory.has_swap && res->memory.swap != 0)
    {
      /* OCI swap is memory+swap; memory.swap.max is swap alone. */
      int64_t swap = res->memory.swap;
      if (swap < 0)
        return cg_has_file (cg, "memory.swap.max") ? cg_write (cg, "memory.swap.max", "max", err) : 0;
      if (!has_limit || res->memory.limit < 0)
        return al_err (err, EINVAL, "linux.resources.memory.swap: %" PRId64 " needs a memory limit", swap);
      if (swap < res->memory.limit)
        return al_err (err, EINVAL,
                       "linux.resources.memory.swap: %" PRId64 " is less than linux.resources.memory.limit %" PRId64
                       " (swap counts memory+swap)",
                       swap, res->memory.limit);
      if ((r = write_u64 (cg, "memory.swap.max", (uint64_t) (swap - res->memory.limit), err)) < 0)
        return r;
    }
  return 0;
}

static int
apply_cpu (struct al_cgroup *cg, const struct oci_resources *res, al_error_t *err)
{
  int r;
  if (!res->cpu.present)
    return 0;
  if (res->cpu.has_shares && res->cpu.shares != 0
      && (!al_cgroup_cpu_shares_is_default (res->cpu.shares) || cg_has_file (cg, "cpu.weight")))
    {
      if ((r = write_u64 (cg, "cpu.weight", al_cgroup_cpu_weight (res->cpu.shares), err)) < 0)
        return r;
    }
  bool quota = res->cpu.has_quota && res->cpu.quota != 0;
  bool period = res->cpu.has_period && res->cpu.period != 0;
  if ((quota || period)
      && (!al_cgroup_cpu_max_is_default (res->cpu.has_quota, res->cpu.quota, res->cpu.has_period, res->cpu.period)
          || cg_has_file (cg, "cpu.max")))
    {
      char q[32] = "max";
      uint64_t p = period ? res->cpu.period : 100000;
      if (quota && res->cpu.quota > 0)
        snprintf (q, sizeof q, "%" PRId64, res->cpu.quota);
      else if (!quota)
        {
          /* Only the period changes: keep the current quota. */
          _cleanup_free_ char *cur = NULL;
          _cleanup_free_ char *d = cg_display (cg);
          if ((r = read_at (cg->dirfd, d, "cpu.max", &cur, err)) < 0)
            return r;
          snprintf (q, sizeof q, "%.*s", (int) strcspn (cur, " \n"), cur);
        }
      _cleanup_free_ char *v = al_xasprintf ("%s %" PRIu64, q, p);
      if ((r = cg_write (cg, "cpu.max", v, err)) < 0)
        return r;
    }
  if (res->cpu.has_burst)
    if ((r = write_u64 (cg, "cpu.max.burst", res->cpu.burst, err)) < 0)
      return r;
  if (res->cpu.has_idle)
    {
      char buf[32];
      snprintf (buf, sizeof buf, "%" PRId64, res->cpu.idle);
      if ((r = cg_write (cg, "cpu.idle", buf, err)) < 0)
        return r;
    }
  if (res->cpu.cpus && *res->cpu.cpus)
    if ((r = cg_write (cg, "cpuset.cpus", res->cpu.cpus, err)) < 0)
      return r;
  if (res->cpu.mems && *res->cpu.mems)
    if ((r = cg_write (cg, "cpuset.mems", res->cpu.mems, err)) < 0)
      return r;
  return 0;
}

/* blkio weight (10..1000) to io.weight (1..10000). */
static uint64_t
blkio_to_io_weight (uint64_t w)
{
  if (w < 10)
    w = 10;
  if (w > 1000)
    w = 1000;
  return 1 + ((w - 10) * 9999) / 990;
}

static int
apply_io (struct al_cgroup *cg, const struct oci_resources *res, al_error_t *err)
{
  int r;
  if (!res->block_io.present)
    return 0;
  /* With the BFQ scheduler io.bfq.weight takes blkio weights as they are. */
  bool bfq = faccessat (cg->dirfd, "io.bfq.weight", F_OK, 0) == 0;
  const char *wfile = bfq ? "io.bfq.weight" : "io.weight";
  if (res->block_io.has_weight && res->block_io.weight != 0)
    {
      uint64_t w = bfq ? res->block_io.weight : blkio_to_io_weight (res->block_io.weight);
      char buf[48];
      snprintf (buf, sizeof buf, bfq ? "%" PRIu64 : "default %" PRIu64, w);
      if ((r = cg_write (cg, wfile, buf, err)) < 0)
        return r;
    }
  for (size_t i = 0; i < res->block_io.n_weight_device; i++)
    {
      const struct oci_weight_device *d = &res->block_io.weight_device[i];
      if (!d->has_weight)
        continue;
      uint64_t w = bfq ? d->weight : blkio_to_io_weight (d->weight);
      _cleanup_free_ char *v = al_xasprintf ("%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor, w);
      if ((r = cg_write (cg, wfile, v, err)) < 0)
        return r;
    }
  const struct
  {
    const struct oci_throttle_device *devs;
    size_t n;
    const char *key;
  } thr[] = {
    { res->block_io.throttle_read_bps, res->block_io.n_throttle_read_bps, "rbps" },
    { res->block_io.throttle_write_bps, res->block_io.n_throttle_write_bps, "wbps" },
    { res->block_io.throttle_read_iops, res->block_io.n_throttle_read_iops, "riops" },
    { res->block_io.throttle_write_iops, res->block_io.n_throttle_write_iops, "wiops" },
  };
  for (size_t t = 0; t < sizeof thr / sizeof thr[0]; t++)
    for (size_t i = 0; i < thr[t].n; i++)
      {
        const struct oci_throttle_device *d = &thr[t].devs[i];
        _cleanup_free_ char *v = NULL;
        if (d->rate == 0)
          v = al_xasprintf ("%" PRId64 ":%" PRId64 " %s=max", d->major, d->minor, thr[t].key);
        else
          v = al_xasprintf ("%" PRId64 ":%" PRId64 " %s=%" PRIu64, d->major, d->minor, thr[t].key, d->rate);
        if ((r = cg_write (cg, "io.max", v, err)) < 0)
          return r;
      }
  return 0;
}

int
al_cgroup_apply (struct al_cgroup *cg, const struct oci_resources *res, al_error_t *err)
{
  if (res == NULL)
    return 0;
  int r = cg_open (cg, err);
  if (r < 0)
    return r;
  /* The config's device rules with runc's default allow list appended. */
  if (res->n_devices > 0)
    if ((r = al_cgroup_devices_attach_with_defaults (cg->dirfd, res->devices, res->n_devices, err)) < 0)
      return r;
  if ((r = apply_memory (cg, res, err)) < 0)
    return r;
  if ((r = apply_cpu (cg, res, err)) < 0)
    return r;
  if (res->pids.present && (!al_cgroup_limit_is_default (res->pids.limit) || cg_has_file (cg, "pids.max")))
    if ((r = write_limit (cg, "pids.max", res->pids.limit < 0 ? -1 : res->pids.limit, err)) < 0)
      return r;
  if ((r = apply_io (cg, res, err)) < 0)
    return r;
  for (size_t i = 0; i < res->n_hugepage_limits; i++)
    {
      const struct oci_hugepage_limit *h = &res->hugepage_limits[i];
      if (h->page_size == NULL || *h->page_size == '\0' || strchr (h->page_size, '/'))
        return al_err (err, EINVAL, "linux.resources.hugepageLimits[%zu].pageSize: invalid page size", i);
      _cleanup_free_ char *file = al_xasprintf ("hugetlb.%s.max", h->page_size);
      if ((r = write_u64 (cg, file, h->limit, err)) < 0)
        return r;
    }
  for (size_t i = 0; i < res->n_rdma; i++)
    {
      const struct oci_rdma *d = &res->rdma[i];
      char hh[32] = "max", ho[32] = "max";
      if (d->has_hca_handles)
        snprintf (hh, sizeof hh, "%" PRIu32, d->hca_handles);
      if (d->has_hca_objects)
        snprintf (ho, sizeof ho, "%" PRIu32, d->hca_objects);
      _cleanup_free_ char *v = al_xasprintf ("%s hca_handle=%s hca_object=%s", d->device, hh, ho);
      if ((r = cg_write (cg, "rdma.max", v, err)) < 0)
        return r;
    }
  for (size_t i = 0; i < res->n_unified; i++)
    {
      if ((r = check_unified_key (res->unified[i].key, err)) < 0)
        return r;
      if ((r = cg_write (cg, res->unified[i].key, res->unified[i].value ? res->unified[i].value : "", err)) < 0)
        return r;
    }
  return 0;
}

/* ---- membership, events, kill, freeze ----------------------------------- */

int
al_cgroup_enter (struct al_cgroup *cg, pid_t pid, al_error_t *err)
{
  int r = cg_open (cg, err);
  if (r < 0)
    return r;
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int) pid);
  return cg_write (cg, "cgroup.procs", buf, err);
}

/* Wait until `key` in cgroup.events equals want, polling the file for
 * POLLPRI (kernfs notifies on change), at most CG_WAIT_TIMEOUT_MS. */
static int
wait_event (struct al_cgroup *cg, const char *key, long want, al_error_t *err)
{
  _cleanup_free_ char *d = cg_display (cg);
  _cleanup_close_ int fd = openat (cg->dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "cgroup %s: open cgroup.events", d);
  int64_t deadline = now_ms () + CG_WAIT_TIMEOUT_MS;
  for (;;)
    {
      char buf[512];
      if (lseek (fd, 0, SEEK_SET) < 0)
        return al_err (err, errno, "cgroup %s: seek cgroup.events", d);
      ssize_t n = al_read_all (fd, buf, sizeof buf - 1);
      if (n < 0)
        return al_err (err, (int) -n, "cgroup %s: read cgroup.events", d);
      buf[n] = '\0';
      long v = keyed_value (buf, key);
      if (v < 0)
        return al_err (err, ENOTSUP, "cgroup %s: no `%s` in cgroup.events", d, key);
      if (v == want)
        return 0;
      int64_t left = deadline - now_ms ();
      if (left <= 0)
        return al_err (err, ETIMEDOUT, "cgroup %s: `%s` still %ld after %d ms (waiting for %ld)", d, key, v,
                       CG_WAIT_TIMEOUT_MS, want);
      /* Poll in slices: a missed notification costs at most 100 ms. */
      struct pollfd p = { .fd = fd, .events = POLLPRI };
      if (poll (&p, 1, left < 100 ? (int) left : 100) < 0 && errno != EINTR)
        return al_err (err, errno, "cgroup %s: poll cgroup.events", d);
    }
}

static int
read_procs_at (int dfd, const char *display, pid_t **pids, size_t *n, size_t *cap, al_error_t *err)
{
  _cleanup_free_ char *buf = NULL;
  int r = read_at (dfd, display, "cgroup.procs", &buf, err);
  if (r < 0)
    return r;
  char *save = NULL;
  for (char *t = strtok_r (buf, "\n", &save); t; t = strtok_r (NULL, "\n", &save))
    {
      if (*n == *cap)
        {
          *cap = *cap ? *cap * 2 : 16;
          pid_t *np = realloc (*pids, *cap * sizeof (pid_t));
          if (np == NULL)
            abort ();
          *pids = np;
        }
      (*pids)[(*n)++] = (pid_t) strtol (t, NULL, 10);
    }
  return 0;
}

static int
pids_rec (int dfd, const char *display, pid_t **pids, size_t *n, size_t *cap, int depth, al_error_t *err)
{
  if (depth > 64)
    return al_err (err, ELOOP, "cgroup %s: nested too deep", display);
  int r = read_procs_at (dfd, display, pids, n, cap, err);
  if (r < 0)
    return r;
  int dup_fd = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0)
    return al_err (err, errno, "cgroup %s: open", display);
  DIR *dir = fdopendir (dup_fd);
  if (dir == NULL)
    {
      close (dup_fd);
      return al_err (err, errno, "cgroup %s: opendir", display);
    }
  struct dirent *de;
  r = 0;
  while ((de = readdir (dir)) != NULL)
    {
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      _cleanup_free_ char *sub = al_xasprintf ("%s/%s", display, de->d_name);
      _cleanup_close_ int cfd = openat (dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (cfd < 0)
        {
          if (errno == ENOENT)
            continue;
          r = al_err (err, errno, "cgroup %s: open", sub);
          break;
        }
      r = pids_rec (cfd, sub, pids, n, cap, depth + 1, err);
      if (r < 0)
        break;
    }
  closedir (dir);
  return r;
}

int
al_cgroup_pids (struct al_cgroup *cg, pid_t **pids, size_t *n, al_error_t *err)
{
  int r = cg_open (cg, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *d = cg_display (cg);
  pid_t *list = NULL;
  size_t count = 0, cap = 0;
  r = pids_rec (cg->dirfd, d, &list, &count, &cap, 0, err);
  if (r < 0)
    {
      free (list);
      return r;
    }
  *pids = list;
  *n = count;
  return 0;
}

int
al_cgroup_signal (struct al_cgroup *cg, int sig, al_error_t *err)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  int r = al_cgroup_pids (cg, &pids, &n, err);
  if (r < 0)
    return r;
  for (size_t i = 0; i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      {
        _cleanup_free_ char *d = cg_display (cg);
        return al_err (err, errno, "cgroup %s: send signal %d to pid %d", d, sig, (int) pids[i]);
      }
  return 0;
}

/* "pid 12 (state D, in fuse_...), ..." for the first few processes left. */
static char *
survivors (struct al_cgroup *cg)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (al_cgroup_pids (cg, &pids, &n, NULL) < 0 || n == 0)
    return al_xstrdup ("(unknown)");
  char buf[1024] = "";
  size_t len = 0;
  for (size_t i = 0; i < n && i < 8; i++)
    {
      char path[64], stat[512] = "", wchan[128] = "";
      char state = '?';
      snprintf (path, sizeof path, "/proc/%d/stat", (int) pids[i]);
      _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && al_read_all (fd, stat, sizeof stat - 1) > 0)
        {
          char *p = strrchr (stat, ')');
          if (p && p[1] == ' ')
            state = p[2];
        }
      snprintf (path, sizeof path, "/proc/%d/wchan", (int) pids[i]);
      _cleanup_close_ int wfd = open (path, O_RDONLY | O_CLOEXEC);
      if (wfd < 0 || al_read_all (wfd, wchan, sizeof wchan - 1) <= 0 || strcmp (wchan, "0") == 0)
        snprintf (wchan, sizeof wchan, "?");
      int w = snprintf (buf + len, sizeof buf - len, "%spid %d (state %c%s, in %s)", i ? ", " : "", (int) pids[i],
                        state, state == 'D' ? ": uninterruptible sleep" : "", wchan);
      if (w < 0 || (size_t) w >= sizeof buf - len)
        break;
      len += (size_t) w;
    }
  if (n > 8)
    return al_xasprintf ("%s and %zu more", buf, n - 8);
  return al_xstrdup (buf);
}

int
al_cgroup_kill (struct al_cgroup *cg, al_error_t *err)
{
  int r = cg_open (cg, err);
  if (r < 0)
    return r;
  if (faccessat (cg->dirfd, "cgroup.kill", F_OK, 0) == 0)
    {
      r = cg_write (cg, "cgroup.kill", "1", err);
      if (r < 0)
        return r;
    }
  else
    {
      /* Kernels before 5.14: SIGKILL what is listed until nothing is left
       * (new children of a dying process may appear between two reads). */
      int64_t deadline = now_ms () + CG_WAIT_TIMEOUT_MS;
      for (;;)
        {
          _cleanup_free_ pid_t *pids = NULL;
          size_t n = 0;
          r = al_cgroup_pids (cg, &pids, &n, err);
          if (r < 0)
            return r;
          if (n == 0)
            break;
          for (size_t i = 0; i < n; i++)
            kill (pids[i], SIGKILL);
          if (now_ms () > deadline)
            {
              _cleanup_free_ char *d = cg_display (cg);
              return al_err (err, ETIMEDOUT, "cgroup %s: processes still there after %d ms of SIGKILL", d,
                             CG_WAIT_TIMEOUT_MS);
            }
          usleep (1000);
        }
    }
  r = wait_event (cg, "populated", 0, err);
  if (r == -ETIMEDOUT)
    {
      /* Name the survivors: a process in uninterruptible sleep (a hung
       * FUSE or NFS request, a stuck device) cannot die until the kernel
       * lets it go, and the caller reports what it could not clean. */
      _cleanup_free_ char *d = cg_display (cg);
      _cleanup_free_ char *who = survivors (cg);
      al_error_free (err);
      return al_err (err, EBUSY, "cgroup %s: processes still alive %d ms after SIGKILL: %s", d, CG_WAIT_TIMEOUT_MS,
                     who);
    }
  return r;
}

int
al_cgroup_freeze (struct al_cgroup *cg, bool frozen, al_error_t *err)
{
  int r = cg_open (cg, err);
  if (r < 0)
    return r;
  r = cg_write (cg, "cgroup.freeze", frozen ? "1" : "0", err);
  if (r < 0)
    return r;
  return wait_event (cg, "frozen", frozen ? 1 : 0, err);
}

int
al_cgroup_is_frozen (struct al_cgroup *cg, bool *frozen, al_error_t *err)
{
  int r = cg_open (cg, err);
  if (r < 0)
    return r;
  _cleanup_free_ char *d = cg_display (cg);
  _cleanup_free_ char *events = NULL;
  r = read_at (cg->dirfd, d, "cgroup.events", &events, err);
  if (r < 0)
    return r;
  long v = keyed_value (events, "frozen");
  if (v < 0)
    return al_err (err, ENOTSUP, "cgroup %s: the kernel has no cgroup v2 freezer (no `frozen` in cgroup.events)", d);
  *frozen = v == 1;
  return 0;
}

/* ---- removal ------------------------------------------------------------ */

/* rmdir name (a cgroup under dfd) after its children, depth first. */
static int
rmdir_rec (int dfd, const char *name, const char *display, int depth, al_error_t *err)
{
  if (depth > 64)
    return al_err (err, ELOOP, "cgroup %s: nested too deep", display);
  int cfd = openat (dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cfd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return al_err (err, errno, "cgroup %s: open", display);
    }
  DIR *dir = fdopendir (cfd);
  if (dir == NULL)
    {
      close (cfd);
      return al_err (err, errno, "cgroup %s: opendir", display);
    }
  int r = 0;
  struct dirent *de;
  while ((de = readdir (dir)) != NULL)
    {
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      _cleanup_free_ char *sub = al_xasprintf ("%s/%s", display, de->d_name);
      r = rmdir_rec (dirfd (dir), de->d_name, sub, depth + 1, err);
      if (r < 0)
        break;
    }
  closedir (dir);
  if (r < 0)
    return r;
  if (unlinkat (dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return -errno; /* the caller decides whether to retry */
  return 0;
}

int
al_cgroup_destroy (struct al_cgroup *cg, bool force, al_error_t *err)
{
  _cleanup_free_ char *d = cg_display (cg);
  if (strcmp (cg->path, "/") == 0)
    return al_err (err, EINVAL, "cgroup %s: refusing to remove the root cgroup", d);
  /* The parent directory and the last component. */
  _cleanup_free_ char *parent = al_xstrdup (d);
  char *slash = strrchr (parent, '/');
  const char *name = d + (slash - parent) + 1;
  *slash = '\0';
  _cleanup_close_ int pfd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pfd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return al_err (err, errno, "cgroup %s: open parent", d);
    }
  if (faccessat (pfd, name, F_OK, 0) < 0 && errno == ENOENT)
    {
      if (cg->dirfd >= 0)
        close (cg->dirfd);
      cg->dirfd = -1;
      return 0;
    }

  bool killed = false;
  int r = 0;
  for (int attempt = 0; attempt < CG_RMDIR_RETRIES; attempt++)
    {
      r = rmdir_rec (pfd, name, d, 0, err);
      if (r != -EBUSY)
        break;
      if (force && !killed)
        {
          r = al_cgroup_kill (cg, err);
          if (r < 0)
            return r;
          killed = true;
          continue;
        }
      if (!force)
        {
          /* Only exiting processes (already reaped, not yet gone) are
           * worth waiting for: a populated cgroup is an error. */
          _cleanup_error_ al_error_t ignored = NULL;
          _cleanup_free_ char *events = NULL;
          if (cg_open (cg, &ignored) == 0 && read_at (cg->dirfd, d, "cgroup.events", &events, &ignored) == 0
              && keyed_value (events, "populated") > 0)
            return al_err (err, EBUSY, "cgroup %s still has processes", d);
        }
      usleep (CG_RMDIR_RETRY_US);
    }
  if (r < 0)
    {
      if (err && *err)
        return r;
      return al_err (err, -r, "remove cgroup %s", d);
    }
  if (cg->dirfd >= 0)
    close (cg->dirfd);
  cg->dirfd = -1;
  return 0;
}

void
al_cgroup_free (struct al_cgroup *cg)
{
  if (cg == NULL)
    return;
  if (cg->dirfd >= 0)
    close (cg->dirfd);
  free (cg->mount);
  free (cg->path);
  free (cg);
}
