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
#include "log.h"
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
  /* As runc: a stopped container lists what is left in its cgroup, or
     nothing once the cgroup is gone (not an error). */
  r = al_cgroup_pids (o.cg, pids, n, o.status == AL_STATUS_STOPPED ? NULL : err);
  if (r < 0 && o.status == AL_STATUS_STOPPED)
    {
      *pids = NULL;
      *n = 0;
      return 0;
    }
  if (r < 0)
    return r;
  if (*n > 1)
    qsort (*pids, *n, sizeof **pids, cmp_pid);
  return 0;
}

/* ---- update ------------------------------------------------------------- */

/* v1-only knobs given explicitly to `update` are refused rather than ignored. */
static int
refuse_v1_only (const struct oci_resources *res, al_error_t *err)
{
  if (res->memory.present
      && ((res->memory.has_kernel && res->memory.kernel > 0)
          || (res->memory.has_kernel_tcp && res->memory.kernel_tcp > 0)))
    return al_err (err, EOPNOTSUPP,
                   "linux.resources.memory.kernel/kernelTCP: kernel memory limits are not supported on cgroup v2");
  return 0;
}

/* The pointers of a shallow copy that al_cgroup_drop_unavailable may free,
   made the copy's own (and freed with it). */
static void
own_droppable (struct oci_resources *c)
{
  c->cpu.cpus = al_xstrdup (c->cpu.cpus);
  c->cpu.mems = al_xstrdup (c->cpu.mems);
  if (c->n_hugepage_limits)
    {
      struct oci_hugepage_limit *h = al_xmalloc0 (c->n_hugepage_limits * sizeof (*h));
      for (size_t i = 0; i < c->n_hugepage_limits; i++)
        {
          h[i] = c->hugepage_limits[i];
          h[i].page_size = al_xstrdup (h[i].page_size);
        }
      c->hugepage_limits = h;
    }
  else
    c->hugepage_limits = NULL;
  if (c->n_rdma)
    {
      struct oci_rdma *d = al_xmalloc0 (c->n_rdma * sizeof (*d));
      for (size_t i = 0; i < c->n_rdma; i++)
        {
          d[i] = c->rdma[i];
          d[i].device = al_xstrdup (d[i].device);
        }
      c->rdma = d;
    }
  else
    c->rdma = NULL;
}

static void
free_droppable (struct oci_resources *c)
{
  free (c->cpu.cpus);
  free (c->cpu.mems);
  for (size_t i = 0; i < c->n_hugepage_limits; i++)
    free (c->hugepage_limits[i].page_size);
  free (c->hugepage_limits);
  for (size_t i = 0; i < c->n_rdma; i++)
    free (c->rdma[i].device);
  free (c->rdma);
}

/* Was the container created with the opt-in, or does this command's
   environment opt in (under the rules of its stored config)? */
static bool
update_opts_in (const struct opened_cg *o, const char *id)
{
  if (o->c.st->missing_controllers_warn)
    return true;
  struct oci_spec *spec = NULL;
  if (al_container_load_config (o->c.dirfd, id, &spec, NULL) < 0)
    return false;
  bool in = al_missing_controllers_opt_in (spec);
  oci_spec_free (spec);
  return in;
}

int
al_container_update (const char *root, const char *id, const struct oci_resources *in, al_error_t *err)
{
  return al_container_update_log (root, id, in, NULL, err);
}

int
al_container_update_log (const char *root, const char *id, const struct oci_resources *in, const struct al_log *log,
                         al_error_t *err)
{
  /* As with runc, a pids limit of 0 leaves the limit as it is (the whole
   * LinuxResources object often comes from a client that zero-fills it). */
  struct oci_resources copy = *in;
  const struct oci_resources *res = &copy;
  if (copy.pids.present && copy.pids.limit == 0)
    copy.pids.present = false;
  int r = refuse_v1_only (res, err);
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
    {
      if (update_opts_in (&o, id))
        {
          _cleanup_free_ char *dropped = NULL;
          own_droppable (&copy);
          r = al_cgroup_drop_unavailable (o.cg, &copy, &dropped, err);
          if (r == 0 && dropped)
            al_log (log, "warning",
                    "update container \"%s\": not enforced (controller missing on %s, " AL_MISSING_CONTROLLERS_ENV
                    "=warn): %s",
                    id, o.cg->mount, dropped);
          if (r == 0)
            r = al_cgroup_ensure_controllers (o.cg, res, err);
          if (r == 0)
            r = al_cgroup_apply (o.cg, res, err);
          free_droppable (&copy);
          return r < 0 ? al_err_prefix (err, "update container \"%s\"", id) : 0;
        }
      if ((r = al_cgroup_ensure_controllers (o.cg, res, err)) < 0)
        return al_err_prefix (err, "update container \"%s\"", id);
    }
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
