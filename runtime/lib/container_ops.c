/* container_ops.c: pause, resume, pids, update and stats of an existing
 * container, all through its cgroup v2. */
#include "container_ops.h"

#include "cgroup_systemd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "container.h"
#include "state.h"
#include "util.h"

/* An opened container with its cgroup and live status. */
struct opened_cg
{
  struct al_opened c;
  struct al_cgroup *cg;
  enum al_status status;
};

static void
opened_cg_close (struct opened_cg *o)
{
  al_cgroup_free (o->cg);
  o->cg = NULL;
  if (o->c.st || o->c.dirfd >= 0)
    al_container_close (&o->c);
}

static int
open_cg (const char *root, const char *id, bool exclusive, struct opened_cg *o, al_error_t *err)
{
  o->cg = NULL;
  int r = al_container_open (root, id, exclusive, &o->c, err);
  if (r < 0)
    return r;
  o->status = al_state_status (o->c.dirfd, o->c.st);
  o->cg = al_state_cgroup (o->c.st);
  if (o->cg == NULL)
    {
      opened_cg_close (o);
      return al_err (err, EOPNOTSUPP, "container \"%s\" has no cgroup", id);
    }
  return 0;
}

static char *
cg_display (const struct al_cgroup *cg)
{
  if (strcmp (cg->path, "/") == 0)
    return al_xstrdup (cg->mount);
  return al_xasprintf ("%s%s", cg->mount, cg->path);
}

/* ---- pause / resume ----------------------------------------------------- */

int
al_container_pause (const char *root, const char *id, al_error_t *err)
{
  __attribute__ ((cleanup (opened_cg_close))) struct opened_cg o = { .c = { .dirfd = -1 } };
  int r = open_cg (root, id, true, &o, err);
  if (r < 0)
    return r;
  if (o.status == AL_STATUS_PAUSED)
    return al_err (err, EALREADY, "container \"%s\" is already paused", id);
  if (o.status != AL_STATUS_RUNNING)
    return al_err (err, ESRCH, "container \"%s\" is not running (it is %s)", id, al_status_name (o.status));
  r = al_cgroup_freeze (o.cg, true, err);
  if (r < 0)
    return al_err_prefix (err, "pause container \"%s\"", id);
  return 0;
}

int
al_container_resume (const char *root, const char *id, al_error_t *err)
{
  __attribute__ ((cleanup (opened_cg_close))) struct opened_cg o = { .c = { .dirfd = -1 } };
  int r = open_cg (root, id, true, &o, err);
  if (r < 0)
    return r;
  if (o.status != AL_STATUS_PAUSED)
    return al_err (err, EINVAL, "container \"%s\" is not paused (it is %s)", id, al_status_name (o.status));
  r = al_cgroup_freeze (o.cg, false, err);
  if (r < 0)
    return al_err_prefix (err, "resume container \"%s\"", id);
  return 0;
}

/* ---- pids --------------------------------------------------------------- */

static int
cmp_pid (const void *a, const void *b)
{
  pid_t x = *(const pid_t *) a, y = *(const pid_t *) b;
  return (x > y) - (x < y);
}

int
al_container_pids (const char *root, const char *id, pid_t **pids, size_t *n, al_error_t *err)
{
  *pids = NULL;
  *n = 0;
  __attribute__ ((cleanup (opened_cg_close))) struct opened_cg o = { .c = { .dirfd = -1 } };
  int r = open_cg (root, id, false, &o, err);
  if (r < 0)
    return r;
  if (o.status == AL_STATUS_STOPPED)
    return al_err (err, ESRCH, "container \"%s\" is not running", id);
  r = al_cgroup_pids (o.cg, pids, n, err);
  if (r < 0)
    return r;
  if (*n > 1)
    qsort (*pids, *n, sizeof **pids, cmp_pid);
  return 0;
}

/* ---- update ------------------------------------------------------------- */

struct need
{
  const char *ctrl;
  const char *why;
};

#define MAX_NEEDS 32

static void
add_need (struct need *needs, size_t *n, const char *ctrl, const char *why)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp (needs[i].ctrl, ctrl) == 0)
      return;
  if (*n < MAX_NEEDS)
    needs[(*n)++] = (struct need){ ctrl, why };
}

/* Which controllers `res` needs; refuses what cgroup v2 does not have. */
static int
update_needs (const struct oci_resources *res, struct need *needs, size_t *n, al_error_t *err)
{
  if (res->memory.present)
    {
      if ((res->memory.has_kernel && res->memory.kernel != 0)
          || (res->memory.has_kernel_tcp && res->memory.kernel_tcp != 0))
        return al_err (err, EOPNOTSUPP,
                       "linux.resources.memory.kernel/kernelTCP: kernel memory limits are not supported on cgroup v2");
      if (res->memory.has_limit && res->memory.limit != 0)
        add_need (needs, n, "memory", "linux.resources.memory.limit");
      if (res->memory.has_reservation && res->memory.reservation != 0)
        add_need (needs, n, "memory", "linux.resources.memory.reservation");
      if (res->memory.has_swap && res->memory.swap != 0)
        add_need (needs, n, "memory", "linux.resources.memory.swap");
    }
  if (res->cpu.present)
    {
      if ((res->cpu.has_realtime_runtime && res->cpu.realtime_runtime != 0)
          || (res->cpu.has_realtime_period && res->cpu.realtime_period != 0))
        return al_err (err, EOPNOTSUPP,
                       "linux.resources.cpu.realtimeRuntime/realtimePeriod: realtime CPU limits are not supported on "
                       "cgroup v2");
      if (res->cpu.has_shares && res->cpu.shares != 0)
        add_need (needs, n, "cpu", "linux.resources.cpu.shares");
      if ((res->cpu.has_quota && res->cpu.quota != 0) || (res->cpu.has_period && res->cpu.period != 0))
        add_need (needs, n, "cpu", "linux.resources.cpu.quota/period");
      if (res->cpu.has_burst || res->cpu.has_idle)
        add_need (needs, n, "cpu", "linux.resources.cpu.burst/idle");
      if ((res->cpu.cpus && *res->cpu.cpus) || (res->cpu.mems && *res->cpu.mems))
        add_need (needs, n, "cpuset", "linux.resources.cpu.cpus/mems");
    }
  if (res->pids.present)
    add_need (needs, n, "pids", "linux.resources.pids.limit");
  if (res->block_io.present
      && ((res->block_io.has_weight && res->block_io.weight != 0) || res->block_io.n_weight_device
          || res->block_io.n_throttle_read_bps || res->block_io.n_throttle_write_bps
          || res->block_io.n_throttle_read_iops || res->block_io.n_throttle_write_iops))
    add_need (needs, n, "io", "linux.resources.blockIO");
  if (res->n_hugepage_limits)
    add_need (needs, n, "hugetlb", "linux.resources.hugepageLimits");
  if (res->n_rdma)
    add_need (needs, n, "rdma", "linux.resources.rdma");
  if (res->network.present && (res->network.has_class_id || res->network.n_priorities))
    return al_err (err, EOPNOTSUPP, "linux.resources.network: net_cls and net_prio do not exist on cgroup v2");
  if (res->n_unified)
    return al_err (err, EOPNOTSUPP, "linux.resources.unified: not supported by update (set it at create time)");
  return 0;
}

/* Whether the space/newline separated list contains word. */
static bool
has_word (const char *list, const char *word)
{
  size_t l = strlen (word);
  for (const char *p = list; (p = strstr (p, word)) != NULL; p += l)
    if ((p == list || p[-1] == ' ' || p[-1] == '\n') && (p[l] == '\0' || p[l] == ' ' || p[l] == '\n'))
      return true;
  return false;
}

/* Make `ctrl` available to the cgroup: if its cgroup.controllers lacks it,
 * enable it in cgroup.subtree_control of every ancestor from the mount
 * down, after checking the mount root offers it. */
static int
ensure_controller (const struct al_cgroup *cg, const struct need *nd, al_error_t *err)
{
  _cleanup_free_ char *display = cg_display (cg);
  _cleanup_free_ char *have = NULL;
  _cleanup_free_ char *cfile = al_xasprintf ("%s/cgroup.controllers", display);
  int r = al_read_file_at (AT_FDCWD, cfile, 4096, &have, NULL, err);
  if (r < 0)
    return r;
  if (has_word (have, nd->ctrl))
    return 0;

  _cleanup_free_ char *rel = al_xstrdup (cg->path + 1);
  _cleanup_free_ char *cur = al_xstrdup (cg->mount);
  char *save = NULL;
  for (char *comp = strtok_r (rel, "/", &save); comp; comp = strtok_r (NULL, "/", &save))
    {
      _cleanup_free_ char *ctrls = NULL;
      _cleanup_free_ char *f = al_xasprintf ("%s/cgroup.controllers", cur);
      if ((r = al_read_file_at (AT_FDCWD, f, 4096, &ctrls, NULL, err)) < 0)
        return r;
      if (!has_word (ctrls, nd->ctrl))
        return al_err (err, EOPNOTSUPP, "%s: the %s controller is not available on %s (needed by cgroup %s)", nd->why,
                       nd->ctrl, cur, display);
      _cleanup_free_ char *sc = NULL;
      _cleanup_free_ char *scf = al_xasprintf ("%s/cgroup.subtree_control", cur);
      if ((r = al_read_file_at (AT_FDCWD, scf, 4096, &sc, NULL, err)) < 0)
        return r;
      if (!has_word (sc, nd->ctrl))
        {
          _cleanup_free_ char *v = al_xasprintf ("+%s", nd->ctrl);
          if ((r = al_write_file_at (AT_FDCWD, scf, v, strlen (v), 0, err)) < 0)
            return al_err_prefix (err, "%s: enable the %s controller", nd->why, nd->ctrl);
        }
      char *next = al_xasprintf ("%s/%s", cur, comp);
      free (cur);
      cur = next;
    }
  return 0;
}

int
al_container_update (const char *root, const char *id, const struct oci_resources *in, al_error_t *err)
{
  /* As with runc, a pids limit of 0 leaves the limit as it is (the whole
   * LinuxResources object often comes from a client that zero-fills it). */
  struct oci_resources copy = *in;
  const struct oci_resources *res = &copy;
  if (copy.pids.present && copy.pids.limit == 0)
    copy.pids.present = false;
  struct need needs[MAX_NEEDS];
  size_t n = 0;
  int r = update_needs (res, needs, &n, err);
  if (r < 0)
    return al_err_prefix (err, "update container \"%s\"", id);

  __attribute__ ((cleanup (opened_cg_close))) struct opened_cg o = { .c = { .dirfd = -1 } };
  if ((r = open_cg (root, id, true, &o, err)) < 0)
    return r;
  if (o.status == AL_STATUS_STOPPED)
    return al_err (err, ESRCH, "container \"%s\" is not running: cannot update a stopped container", id);
  if (o.c.st->systemd)
    {
      /* systemd owns the unit's limits: tell it first, so a daemon-reload
         never brings the old ones back. */
      struct oci_spec *spec = NULL;
      _cleanup_free_ char *unit = NULL;
      r = al_container_load_config (o.c.dirfd, id, &spec, err);
      if (r == 0)
        r = al_systemd_unit_name (spec->linux_ ? spec->linux_->cgroups_path : NULL, id, &unit, err);
      oci_spec_free (spec);
      if (r == 0)
        r = al_systemd_cgroup_update (unit, res, err);
      if (r < 0)
        return al_err_prefix (err, "update container \"%s\"", id);
    }
  else
    for (size_t i = 0; i < n; i++)
      if ((r = ensure_controller (o.cg, &needs[i], err)) < 0)
        return al_err_prefix (err, "update container \"%s\"", id);
  if ((r = al_cgroup_apply (o.cg, res, err)) < 0)
    return al_err_prefix (err, "update container \"%s\"", id);
  return 0;
}

/* ---- stats -------------------------------------------------------------- */

int
al_container_stats (const char *root, const char *id, struct al_stats *out, al_error_t *err)
{
  memset (out, 0, sizeof *out);
  __attribute__ ((cleanup (opened_cg_close))) struct opened_cg o = { .c = { .dirfd = -1 } };
  int r = open_cg (root, id, false, &o, err);
  if (r < 0)
    return r;
  if (o.status == AL_STATUS_STOPPED)
    return al_err (err, ESRCH, "container \"%s\" is not running", id);
  return al_stats_read (o.cg, out, err);
}
