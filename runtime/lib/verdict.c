/* verdict.c: collect, serialise, parse and print a container's verdict. */
#include "verdict.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cgroup.h"
#include "container.h"
#include "idpool.h"
#include "profile.h"
#include "stats.h"
#include "json.h"
#include "util.h"

static void
note_monitor_error (struct al_monitor *m, const char *msg)
{
  if (m->error == NULL)
    m->error = al_xstrdup (msg);
}

static char *
xstrdup_or_null (const char *s)
{
  return s ? al_xstrdup (s) : NULL;
}

static void
limit_from_report (struct al_verdict_limit *l, enum al_enforcement e, int64_t value)
{
  l->enforcement = al_xstrdup (al_enforcement_name (e));
  l->value = e == AL_ENFORCE_NONE ? 0 : value;
}

/* A small cgroup file holding one number ("max" and absence: false). */
static bool
read_cg_number (int dirfd, const char *file, uint64_t *v)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (dirfd < 0 || al_read_file_at (dirfd, file, 64, &text, &len, NULL) < 0)
    return false;
  char *end;
  errno = 0;
  unsigned long long x = strtoull (text, &end, 10);
  if (errno || end == text)
    return false;
  *v = x;
  return true;
}

void
al_verdict_collect (struct al_verdict *v, const char *id, const struct al_monitor *m, struct al_cgroup *cg,
                    const char *profile, const struct al_profile_report *report)
{
  memset (v, 0, sizeof *v);
  v->id = xstrdup_or_null (id);
  v->profile = xstrdup_or_null (profile);
  v->exited = WIFEXITED (m->status);
  v->exit_code = v->exited ? WEXITSTATUS (m->status) : 0;
  v->signal = WIFSIGNALED (m->status) ? WTERMSIG (m->status) : 0;
  v->timed_out = m->timed_out;
  v->timeout_ms = m->timeout_ms;
  v->oom_killed = -1;
  v->wall_time_ms = m->wall_ms;
  v->interrupted = m->interrupted;
  v->monitor_error = xstrdup_or_null (m->error);

  if (report)
    {
      limit_from_report (&v->memory, report->memory, report->memory_limit);
      if (report->memory == AL_ENFORCE_CGROUP)
        v->memory_enforced_by = al_xstrdup ("memory.max");
      else if (report->memory_no_controller && report->memory_limit > 0 && m->memory_kill_bytes)
        v->memory_enforced_by = al_xstrdup ("monitor-sampled");
      else if (report->memory == AL_ENFORCE_RLIMIT)
        v->memory_enforced_by = al_xstrdup ("rlimit");
      v->memory_kernel_bounded = report->memory == AL_ENFORCE_CGROUP;
      v->tmpfs_sized = report->tmpfs_sized;
      v->tmpfs_max_bytes = report->tmpfs_max_bytes;
      v->ipc_bounded = report->ipc_bounded;
      v->ipc_shmmax = report->ipc_shmmax;
      v->ipc_shmall = report->ipc_shmall;
      limit_from_report (&v->pids, report->pids, report->pids_limit);
      limit_from_report (&v->cpu, report->cpu,
                         report->cpu == AL_ENFORCE_CGROUP ? report->cpu_quota : (int64_t) report->cpu_rlimit);
    }
  else
    {
      v->memory.enforcement = al_xstrdup ("none");
      v->pids.enforcement = al_xstrdup ("none");
      v->cpu.enforcement = al_xstrdup ("none");
    }

  struct al_stats st;
  bool have_stats = false;
  _cleanup_close_ int cgfd = -1;
  if (cg)
    {
      have_stats = al_stats_read (cg, &st, NULL) == 0;
      _cleanup_free_ char *dir = strcmp (cg->path, "/") == 0 ? al_xstrdup (cg->mount)
                                                             : al_xasprintf ("%s%s", cg->mount, cg->path);
      cgfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }

  if (have_stats && st.has_memory && st.memory.has_events)
    v->oom_killed = st.memory.ev_oom_kill > 0;
  if (v->oom_killed == 1)
    v->oom_killed_by = al_xstrdup ("memory.max");
  else if (m->memory_killed)
    {
      v->oom_killed = 1;
      v->oom_killed_by = al_xstrdup ("monitor");
    }

  if (have_stats && st.has_memory && st.memory.has_peak)
    {
      v->has_memory_peak = true;
      v->memory_peak_bytes = st.memory.peak;
      v->memory_peak_source = al_xstrdup ("memory.peak");
    }
  else if (m->memory_sampled)
    {
      /* Never the init's rusage: it covers one process, not the container. */
      v->has_memory_peak = true;
      v->memory_peak_bytes = m->memory_sampled_peak;
      v->memory_peak_source = al_xstrdup ("sampled");
    }

  if (have_stats && st.has_cpu)
    {
      v->has_cpu_time = true;
      v->cpu_time_us = st.cpu.total_ns / 1000;
      v->cpu_time_source = al_xstrdup ("cpu.stat");
    }
  else if (m->reaped)
    {
      const struct rusage *ru = &m->rusage;
      v->has_cpu_time = true;
      v->cpu_time_us = (uint64_t) ru->ru_utime.tv_sec * 1000000 + (uint64_t) ru->ru_utime.tv_usec
                       + (uint64_t) ru->ru_stime.tv_sec * 1000000 + (uint64_t) ru->ru_stime.tv_usec;
      v->cpu_time_source = al_xstrdup ("rusage");
    }

  uint64_t peak;
  if (read_cg_number (cgfd, "pids.peak", &peak))
    {
      v->has_pids_peak = true;
      v->pids_peak = peak;
      v->pids_peak_source = al_xstrdup ("pids.peak");
    }
  else if (m->pids_sampled_peak > 0)
    {
      v->has_pids_peak = true;
      v->pids_peak = m->pids_sampled_peak;
      v->pids_peak_source = al_xstrdup ("sampled");
    }

  if (m->n_denied)
    {
      v->denied = al_xmalloc0 (m->n_denied * sizeof *v->denied);
      for (size_t i = 0; i < m->n_denied; i++)
        {
          v->denied[i] = m->denied[i];
          v->denied[i].name = al_xstrdup (m->denied[i].name);
        }
      v->n_denied = m->n_denied;
    }
  v->denied_total = m->denied_total;
  v->denied_dropped_names = m->denied_dropped_names;
  v->denied_dropped_calls = m->denied_dropped_calls;

  v->has_output = m->capture_output;
  v->stdout_bytes = m->out.bytes;
  v->stderr_bytes = m->err.bytes;
  v->stdout_dropped = m->out.dropped;
  v->stderr_dropped = m->err.dropped;

  v->ok = v->exited && v->exit_code == 0 && !v->timed_out && v->oom_killed != 1;
  if (have_stats)
    al_stats_clear (&st);
}

void
al_verdict_clear (struct al_verdict *v)
{
  free (v->id);
  free (v->profile);
  free (v->memory.enforcement);
  free (v->oom_killed_by);
  free (v->memory_enforced_by);
  free (v->pids.enforcement);
  free (v->cpu.enforcement);
  free (v->memory_peak_source);
  free (v->cpu_time_source);
  free (v->pids_peak_source);
  for (size_t i = 0; i < v->n_denied; i++)
    free (v->denied[i].name);
  free (v->denied);
  free (v->monitor_error);
  memset (v, 0, sizeof *v);
}

/* ---- JSON out ------------------------------------------------------------ */

static void
g_str (yajl_gen g, const char *s)
{
  if (s == NULL)
    yajl_gen_null (g);
  else
    yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
g_key (yajl_gen g, const char *k)
{
  g_str (g, k);
}

static void
g_uint (yajl_gen g, uint64_t v)
{
  /* yajl integers are long long: counters never get near 2^63. */
  yajl_gen_integer (g, (long long) (v > INT64_MAX ? INT64_MAX : v));
}

static void
g_opt_uint (yajl_gen g, bool has, uint64_t v)
{
  if (has)
    g_uint (g, v);
  else
    yajl_gen_null (g);
}

static void
g_limit (yajl_gen g, const char *k, const struct al_verdict_limit *l)
{
  g_key (g, k);
  yajl_gen_map_open (g);
  g_key (g, "enforcement");
  g_str (g, l->enforcement ? l->enforcement : "none");
  g_key (g, "value");
  yajl_gen_integer (g, l->value);
  yajl_gen_map_close (g);
}

static void
g_memory_limit (yajl_gen g, const struct al_verdict *v)
{
  const struct al_verdict_limit *l = &v->memory;
  g_key (g, "memory");
  yajl_gen_map_open (g);
  g_key (g, "enforcement");
  g_str (g, l->enforcement ? l->enforcement : "none");
  g_key (g, "value");
  yajl_gen_integer (g, l->value);
  g_key (g, "limit");
  g_opt_uint (g, l->value > 0, (uint64_t) l->value);
  g_key (g, "enforced_by");
  g_str (g, v->memory_enforced_by);
  g_key (g, "kernel");
  g_str (g, v->memory_kernel_bounded ? "bounded" : "unbounded");
  g_key (g, "tmpfs");
  yajl_gen_map_open (g);
  g_key (g, "sized");
  yajl_gen_integer (g, (long long) v->tmpfs_sized);
  g_key (g, "max_bytes");
  g_opt_uint (g, v->tmpfs_sized > 0, v->tmpfs_max_bytes);
  yajl_gen_map_close (g);
  g_key (g, "ipc");
  if (v->ipc_bounded)
    {
      yajl_gen_map_open (g);
      g_key (g, "shmmax");
      yajl_gen_integer (g, (long long) v->ipc_shmmax);
      g_key (g, "shmall_pages");
      yajl_gen_integer (g, (long long) v->ipc_shmall);
      g_key (g, "shm_rmid_forced");
      yajl_gen_bool (g, true);
      yajl_gen_map_close (g);
    }
  else
    yajl_gen_null (g);
  yajl_gen_map_close (g);
}

static uint64_t
sat_add (uint64_t a, uint64_t b)
{
  return a + b < a ? UINT64_MAX : a + b;
}

uint64_t
al_verdict_denied_total (const struct al_verdict *v)
{
  uint64_t listed = v->denied_dropped_calls;
  for (size_t i = 0; i < v->n_denied; i++)
    listed = sat_add (listed, v->denied[i].count);
  return v->denied_total > listed ? v->denied_total : listed;
}

char *
al_verdict_json (const struct al_verdict *v, bool pretty)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  if (pretty)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "  ");
    }
  yajl_gen_map_open (g);
  g_key (g, "id");
  g_str (g, v->id);
  g_key (g, "profile");
  g_str (g, v->profile);
  g_key (g, "ok");
  yajl_gen_bool (g, v->ok);
  g_key (g, "exit_code");
  g_opt_uint (g, v->exited, (uint64_t) v->exit_code);
  g_key (g, "signal");
  g_str (g, v->exited ? NULL : (al_signal_name (v->signal) ?: "unknown"));
  g_key (g, "timed_out");
  yajl_gen_bool (g, v->timed_out);
  g_key (g, "timeout_ms");
  g_opt_uint (g, v->timeout_ms > 0, v->timeout_ms);
  g_key (g, "oom_killed");
  if (v->oom_killed < 0)
    yajl_gen_null (g);
  else
    yajl_gen_bool (g, v->oom_killed);
  g_key (g, "oom_killed_by");
  g_str (g, v->oom_killed_by);
  g_key (g, "memory_limit_enforcement");
  g_str (g, v->memory.enforcement ? v->memory.enforcement : "none");
  g_key (g, "limits");
  yajl_gen_map_open (g);
  g_memory_limit (g, v);
  g_limit (g, "pids", &v->pids);
  g_limit (g, "cpu", &v->cpu);
  yajl_gen_map_close (g);
  g_key (g, "memory_peak_bytes");
  g_opt_uint (g, v->has_memory_peak, v->memory_peak_bytes);
  g_key (g, "memory_peak_source");
  g_str (g, v->memory_peak_source);
  g_key (g, "cpu_time_us");
  g_opt_uint (g, v->has_cpu_time, v->cpu_time_us);
  g_key (g, "cpu_time_source");
  g_str (g, v->cpu_time_source);
  g_key (g, "pids_peak");
  g_opt_uint (g, v->has_pids_peak, v->pids_peak);
  g_key (g, "pids_peak_source");
  g_str (g, v->pids_peak_source);
  g_key (g, "wall_time_ms");
  g_uint (g, v->wall_time_ms);
  g_key (g, "denied_syscalls");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < v->n_denied; i++)
    {
      const struct al_denied_syscall *d = &v->denied[i];
      yajl_gen_map_open (g);
      g_key (g, "name");
      g_str (g, d->name);
      g_key (g, "count");
      g_uint (g, d->count);
      g_key (g, "first_ms");
      g_uint (g, d->first_ms);
      g_key (g, "first_pid");
      yajl_gen_integer (g, d->first_pid);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  g_key (g, "denied_syscalls_total");
  g_uint (g, al_verdict_denied_total (v));
  g_key (g, "denied_syscalls_dropped");
  yajl_gen_map_open (g);
  g_key (g, "names");
  g_uint (g, v->denied_dropped_names);
  g_key (g, "calls");
  g_uint (g, v->denied_dropped_calls);
  yajl_gen_map_close (g);
  g_key (g, "stdout_bytes");
  g_opt_uint (g, v->has_output, v->stdout_bytes);
  g_key (g, "stderr_bytes");
  g_opt_uint (g, v->has_output, v->stderr_bytes);
  g_key (g, "stdout_dropped_bytes");
  g_opt_uint (g, v->has_output, v->stdout_dropped);
  g_key (g, "stderr_dropped_bytes");
  g_opt_uint (g, v->has_output, v->stderr_dropped);
  g_key (g, "host_ids");
  if (v->has_host_ids)
    {
      yajl_gen_map_open (g);
      g_key (g, "first");
      g_uint (g, v->host_ids_first);
      g_key (g, "size");
      g_uint (g, v->host_ids_size);
      yajl_gen_map_close (g);
    }
  else
    yajl_gen_null (g);
  g_key (g, "interrupted");
  yajl_gen_bool (g, v->interrupted);
  g_key (g, "monitor_error");
  g_str (g, v->monitor_error);
  yajl_gen_map_close (g);

  return al_json_gen_finish (g);
}

/* ---- JSON in ------------------------------------------------------------- */

static yajl_val
get (yajl_val o, const char *k)
{
  const char *path[] = { k, NULL };
  return yajl_tree_get (o, path, yajl_t_any);
}

static char *
get_str (yajl_val o, const char *k)
{
  yajl_val x = get (o, k);
  return YAJL_IS_STRING (x) ? al_xstrdup (YAJL_GET_STRING (x)) : NULL;
}

static bool
get_uint (yajl_val o, const char *k, uint64_t *out)
{
  yajl_val x = get (o, k);
  if (!YAJL_IS_INTEGER (x) || YAJL_GET_INTEGER (x) < 0)
    return false;
  *out = (uint64_t) YAJL_GET_INTEGER (x);
  return true;
}

static bool
get_bool (yajl_val o, const char *k)
{
  return YAJL_IS_TRUE (get (o, k));
}

static void
get_limit (yajl_val limits, const char *k, struct al_verdict_limit *l)
{
  yajl_val o = get (limits, k);
  if (!YAJL_IS_OBJECT (o))
    return;
  l->enforcement = get_str (o, "enforcement");
  yajl_val x = get (o, "value");
  if (YAJL_IS_INTEGER (x))
    l->value = YAJL_GET_INTEGER (x);
}

int
al_verdict_parse (const char *name, const char *text, size_t len, struct al_verdict *v, al_error_t *err)
{
  memset (v, 0, sizeof *v);
  char ebuf[256] = "";
  yajl_val root = al_json_tree_parse (text, len, ebuf, sizeof ebuf);
  if (root == NULL || !YAJL_IS_OBJECT (root))
    {
      yajl_tree_free (root);
      return al_err (err, EINVAL, "%s: not a verdict: %s", name, ebuf[0] ? ebuf : "not a JSON object");
    }
  v->id = get_str (root, "id");
  v->profile = get_str (root, "profile");
  v->ok = get_bool (root, "ok");
  uint64_t x;
  if (get_uint (root, "exit_code", &x))
    {
      v->exited = true;
      v->exit_code = (int) x;
    }
  _cleanup_free_ char *sig = get_str (root, "signal");
  if (sig)
    v->signal = al_parse_signal (sig) > 0 ? al_parse_signal (sig) : 0;
  v->timed_out = get_bool (root, "timed_out");
  get_uint (root, "timeout_ms", &v->timeout_ms);
  yajl_val oom = get (root, "oom_killed");
  v->oom_killed = YAJL_IS_TRUE (oom) ? 1 : YAJL_IS_FALSE (oom) ? 0 : -1;
  yajl_val limits = get (root, "limits");
  get_limit (limits, "memory", &v->memory);
  {
    yajl_val mo = get (limits, "memory");
    if (YAJL_IS_OBJECT (mo))
      {
        v->memory_enforced_by = get_str (mo, "enforced_by");
        _cleanup_free_ char *k = get_str (mo, "kernel");
        v->memory_kernel_bounded = k && strcmp (k, "bounded") == 0;
        yajl_val t = get (mo, "tmpfs");
        uint64_t x2 = 0;
        if (get_uint (t, "sized", &x2))
          v->tmpfs_sized = (size_t) x2;
        get_uint (t, "max_bytes", &v->tmpfs_max_bytes);
        yajl_val ipc = get (mo, "ipc");
        if (YAJL_IS_OBJECT (ipc))
          {
            v->ipc_bounded = true;
            get_uint (ipc, "shmmax", &v->ipc_shmmax);
            get_uint (ipc, "shmall_pages", &v->ipc_shmall);
          }
      }
  }
  v->oom_killed_by = get_str (root, "oom_killed_by");
  get_limit (limits, "pids", &v->pids);
  get_limit (limits, "cpu", &v->cpu);
  if (v->memory.enforcement == NULL)
    v->memory.enforcement = get_str (root, "memory_limit_enforcement");
  v->has_memory_peak = get_uint (root, "memory_peak_bytes", &v->memory_peak_bytes);
  v->memory_peak_source = get_str (root, "memory_peak_source");
  v->has_cpu_time = get_uint (root, "cpu_time_us", &v->cpu_time_us);
  v->cpu_time_source = get_str (root, "cpu_time_source");
  v->has_pids_peak = get_uint (root, "pids_peak", &v->pids_peak);
  v->pids_peak_source = get_str (root, "pids_peak_source");
  get_uint (root, "wall_time_ms", &v->wall_time_ms);
  yajl_val arr = get (root, "denied_syscalls");
  if (YAJL_IS_ARRAY (arr) && YAJL_GET_ARRAY (arr)->len)
    {
      size_t n = YAJL_GET_ARRAY (arr)->len;
      v->denied = al_xmalloc0 (n * sizeof *v->denied);
      for (size_t i = 0; i < n; i++)
        {
          yajl_val d = YAJL_GET_ARRAY (arr)->values[i];
          char *dname = get_str (d, "name");
          if (dname == NULL)
            continue;
          struct al_denied_syscall *o = &v->denied[v->n_denied++];
          o->name = dname;
          get_uint (d, "count", &o->count);
          get_uint (d, "first_ms", &o->first_ms);
          uint64_t pid = 0;
          get_uint (d, "first_pid", &pid);
          o->first_pid = (pid_t) pid;
        }
    }
  get_uint (root, "denied_syscalls_total", &v->denied_total);
  yajl_val dropped = get (root, "denied_syscalls_dropped");
  if (YAJL_IS_OBJECT (dropped))
    {
      get_uint (dropped, "names", &v->denied_dropped_names);
      get_uint (dropped, "calls", &v->denied_dropped_calls);
    }
  v->has_output = get_uint (root, "stdout_bytes", &v->stdout_bytes);
  get_uint (root, "stderr_bytes", &v->stderr_bytes);
  get_uint (root, "stdout_dropped_bytes", &v->stdout_dropped);
  get_uint (root, "stderr_dropped_bytes", &v->stderr_dropped);
  yajl_val ids = get (root, "host_ids");
  uint64_t first = 0, size = 0;
  if (YAJL_IS_OBJECT (ids) && get_uint (ids, "first", &first) && get_uint (ids, "size", &size) && size
      && first + size - 1 <= UINT32_MAX)
    {
      v->has_host_ids = true;
      v->host_ids_first = (uint32_t) first;
      v->host_ids_size = (uint32_t) size;
    }
  v->interrupted = get_bool (root, "interrupted");
  v->monitor_error = get_str (root, "monitor_error");
  yajl_tree_free (root);
  return 0;
}

/* ---- files ----------------------------------------------------------------- */

int
al_verdict_write (int dirfd, const struct al_verdict *v, al_error_t *err)
{
  _cleanup_free_ char *json = al_verdict_json (v, true);
  int r = al_write_file_atomic_at (dirfd, AL_VERDICT_FILE, json, strlen (json), 0644, err);
  if (r < 0)
    return al_err_prefix (err, "container \"%s\": write the verdict", v->id ? v->id : "?");
  return 0;
}

int
al_verdict_read_text (int dirfd, const char *id, char **text, size_t *len, al_error_t *err)
{
  if (faccessat (dirfd, AL_VERDICT_FILE, F_OK, 0) < 0)
    return al_err (err, errno,
                   "container \"%s\": no verdict (only containers watched by a monitor have one: `sandbox`, or "
                   "`run` with an airlock.profile annotation)",
                   id);
  int r = al_read_file_at (dirfd, AL_VERDICT_FILE, 4u * 1024 * 1024, text, len, err);
  if (r < 0)
    return al_err_prefix (err, "container \"%s\"", id);
  return 0;
}

int
al_verdict_finish_at (int dirfd, struct al_cgroup *cg, const char *id, const struct al_monitor *m,
                      const char *profile, const struct al_profile_report *report, struct al_verdict *v,
                      al_error_t *err)
{
  al_verdict_collect (v, id, m, cg, profile, report);
  struct al_idslot ids;
  if (al_idpool_recorded (dirfd, &ids))
    {
      v->has_host_ids = true;
      v->host_ids_first = ids.first;
      v->host_ids_size = ids.size;
    }
  return al_verdict_write (dirfd, v, err);
}

int
al_verdict_finish (const char *root, const char *id, const struct al_monitor *m, const char *profile,
                   const struct al_profile_report *report, struct al_verdict *v, al_error_t *err)
{
  struct al_opened c;
  int r = al_container_open (root, id, false, &c, err);
  if (r < 0)
    {
      al_verdict_collect (v, id, m, NULL, profile, report);
      return r;
    }
  struct al_cgroup *cg = al_state_cgroup (c.st);
  r = al_verdict_finish_at (c.dirfd, cg, id, m, profile, report, v, err);
  al_cgroup_free (cg);
  al_container_close (&c);
  return r;
}

/* ---- the termination message ----------------------------------------------- */

const char *
al_termination_log_of (const struct oci_spec *spec)
{
  const char *dest = oci_spec_annotation (spec, AL_CRIO_TERMINATION_PATH_ANNOTATION);
  if (dest == NULL || dest[0] != '/')
    dest = AL_TERMINATION_LOG;
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const struct oci_mount *mt = &spec->mounts[i];
      if (mt->destination && strcmp (mt->destination, dest) == 0 && mt->source && mt->source[0] == '/')
        return mt->source;
    }
  return NULL;
}

/* The verdict with the first k of `order` listed and the rest counted as
 * dropped (drop_calls[k]: their calls). */
static char *
message_with (const struct al_verdict *v, struct al_verdict *t, size_t k, const uint64_t *drop_calls)
{
  t->n_denied = k;
  t->denied_dropped_names = v->denied_dropped_names + (v->n_denied - k);
  t->denied_dropped_calls = v->denied_dropped_calls + drop_calls[k];
  if (t->denied_dropped_calls < v->denied_dropped_calls)
    t->denied_dropped_calls = UINT64_MAX;
  return al_verdict_json (t, false);
}

char *
al_verdict_termination_message (const struct al_verdict *v, size_t max)
{
  char *json = al_verdict_json (v, false);
  if (strlen (json) <= max || v->n_denied == 0)
    return json;
  free (json);
  /* Known names of the native ABI first, then those of other ABIs
     ("i386:mount"), then unknown numbers, each in the order they came: a
     flood of unknown numbers cannot push mount or bpf out. The longest such
     prefix that fits, found by bisection (the text grows with each entry by
     more than the dropped counts' digits can shrink). */
  size_t n = v->n_denied;
  _cleanup_free_ struct al_denied_syscall *order = al_xmalloc0 (n * sizeof *order);
  size_t k = 0;
  for (int tier = 0; tier < 3; tier++)
    for (size_t i = 0; i < n; i++)
      {
        const char *name = v->denied[i].name;
        int t = al_denied_name_is_unknown (name) ? 2 : strchr (name, ':') ? 1 : 0;
        if (t == tier)
          order[k++] = v->denied[i];
      }
  /* drop_calls[k]: the calls of order[k..n) */
  _cleanup_free_ uint64_t *drop_calls = al_xmalloc0 ((n + 1) * sizeof *drop_calls);
  for (size_t i = n; i-- > 0;)
    drop_calls[i] = drop_calls[i + 1] + order[i].count < drop_calls[i + 1] ? UINT64_MAX
                                                                           : drop_calls[i + 1] + order[i].count;
  struct al_verdict t = *v;
  t.denied = order;
  t.denied_total = al_verdict_denied_total (v);
  size_t lo = 0, hi = n - 1; /* n entries do not fit; find the most that do */
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo + 1) / 2;
      json = message_with (v, &t, mid, drop_calls);
      bool fits = strlen (json) <= max;
      free (json);
      if (fits)
        lo = mid;
      else
        hi = mid - 1;
    }
  return message_with (v, &t, lo, drop_calls);
}

int
al_verdict_write_termination_log (const char *path, const struct al_verdict *v, al_error_t *err)
{
  _cleanup_free_ char *msg = al_verdict_termination_message (v, AL_TERMINATION_MAX);
  /* The file the kubelet or CRI-O made (a regular file, bind-mounted into
     the container): never a symlink, never a FIFO we would block on. */
  _cleanup_close_ int fd = open (path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "termination message file `%s`: open", path);
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    return al_err (err, EINVAL, "termination message file `%s`: not a regular file", path);
  if (ftruncate (fd, 0) < 0 || al_write_all (fd, msg, strlen (msg)) < 0)
    return al_err (err, errno, "termination message file `%s`: write", path);
  return 0;
}

/* ---- for people ------------------------------------------------------------ */

static void
print_bytes (FILE *f, uint64_t b)
{
  if (b < 1024)
    fprintf (f, "%" PRIu64 " B", b);
  else if (b < 1024 * 1024)
    fprintf (f, "%.1f KiB", (double) b / 1024);
  else if (b < 1024ull * 1024 * 1024)
    fprintf (f, "%.1f MiB", (double) b / (1024 * 1024));
  else
    fprintf (f, "%.2f GiB", (double) b / (1024.0 * 1024 * 1024));
}

/* A string of the verdict as shown to people: escaped (it may come from a
   config, a profile or a kernel message; a container id or path is what a
   program could try to shape). */
static char *
shown (const char *s, const char *fallback)
{
  if (s == NULL)
    s = fallback;
  return al_escape (s, strlen (s), 256);
}

static void
print_limit (FILE *f, const char *what, const struct al_verdict_limit *l, bool bytes, const char *unit)
{
  if (l->enforcement == NULL || strcmp (l->enforcement, "none") == 0 || l->value == 0)
    return;
  fprintf (f, "%s ", what);
  if (bytes)
    print_bytes (f, (uint64_t) l->value);
  else
    fprintf (f, "%" PRId64 "%s", l->value, unit);
  _cleanup_free_ char *e = shown (l->enforcement, "?");
  fprintf (f, " (%s); ", e);
}

void
al_verdict_print (FILE *f, const struct al_verdict *v)
{
  _cleanup_free_ char *id = shown (v->id, "?");
  _cleanup_free_ char *profile = shown (v->profile, "none");
  _cleanup_free_ char *mem_enf = shown (v->memory.enforcement, "none");
  /* Fenced: the id of a sandbox is random, unknown to the program, whose
     output (escaped on a terminal) comes before. */
  fprintf (f, AL_VERDICT_FENCE_BEGIN "%s ====\n", id);
  fprintf (f, "verdict: %s  (container %s, profile %s)\n", v->ok ? "OK" : "FAILED", id, profile);
  if (v->exited)
    fprintf (f, "  exit:            status %d\n", v->exit_code);
  else
    fprintf (f, "  exit:            killed by %s\n", al_signal_name (v->signal) ?: "a signal");
  if (v->timeout_ms)
    fprintf (f, "  timed out:       %s (limit %.3f s)\n", v->timed_out ? "YES" : "no", (double) v->timeout_ms / 1000);
  else
    fprintf (f, "  timed out:       no (no limit)\n");
  fprintf (f, "  oom killed:      %s", v->oom_killed < 0 ? "unknown" : v->oom_killed ? "YES" : "no");
  if (v->oom_killed < 0)
    fprintf (f, " (no memory.events; memory limit enforced by: %s)", mem_enf);
  if (v->oom_killed_by)
    {
      _cleanup_free_ char *by = shown (v->oom_killed_by, "?");
      fprintf (f, " (by %s)", by);
    }
  if (v->memory_enforced_by && strcmp (v->memory_enforced_by, "memory.max") != 0)
    {
      _cleanup_free_ char *by = shown (v->memory_enforced_by, "?");
      fprintf (f, "\n  memory bounds:   %s; tmpfs sized (%zu); SysV shm %s; kernel memory %s", by, v->tmpfs_sized,
               v->ipc_bounded ? "bounded" : "unbounded", v->memory_kernel_bounded ? "bounded" : "unbounded");
    }
  fprintf (f, "\n  wall time:       %.3f s\n", (double) v->wall_time_ms / 1000);
  if (v->has_cpu_time)
    {
      _cleanup_free_ char *src = shown (v->cpu_time_source, "?");
      fprintf (f, "  cpu time:        %.3f s (%s)\n", (double) v->cpu_time_us / 1e6, src);
    }
  if (v->has_memory_peak)
    {
      _cleanup_free_ char *src = shown (v->memory_peak_source, "?");
      fprintf (f, "  memory peak:     ");
      print_bytes (f, v->memory_peak_bytes);
      fprintf (f, " (%s)\n", src);
    }
  if (v->has_pids_peak)
    {
      _cleanup_free_ char *src = shown (v->pids_peak_source, "?");
      fprintf (f, "  pids peak:       %" PRIu64 " (%s)\n", v->pids_peak, src);
    }
  else
    fprintf (f, "  pids peak:       unknown\n");
  if (v->has_output)
    {
      fprintf (f, "  stdout:          %" PRIu64 " bytes", v->stdout_bytes);
      if (v->stdout_dropped)
        fprintf (f, " (%" PRIu64 " not shown)", v->stdout_dropped);
      fprintf (f, "\n  stderr:          %" PRIu64 " bytes", v->stderr_bytes);
      if (v->stderr_dropped)
        fprintf (f, " (%" PRIu64 " not shown)", v->stderr_dropped);
      fprintf (f, "\n");
    }
  fprintf (f, "  limits:          ");
  print_limit (f, "memory", &v->memory, true, "");
  print_limit (f, "pids", &v->pids, false, "");
  print_limit (f, "cpu", &v->cpu, false,
               v->cpu.enforcement && strcmp (v->cpu.enforcement, "rlimit") == 0 ? " s" : " us/period");
  fprintf (f, "\n");
  uint64_t total = al_verdict_denied_total (v);
  if (total == 0)
    fprintf (f, "  denied syscalls: none\n");
  else
    {
      fprintf (f, "  denied syscalls: %" PRIu64 " call%s\n", total, total == 1 ? "" : "s");
      for (size_t i = 0; i < v->n_denied; i++)
        {
          _cleanup_free_ char *name = shown (v->denied[i].name, "?");
          fprintf (f, "    %-20s x%-6" PRIu64 " first at %" PRIu64 " ms by pid %d\n", name, v->denied[i].count,
                   v->denied[i].first_ms, (int) v->denied[i].first_pid);
        }
      if (v->denied_dropped_calls || v->denied_dropped_names)
        fprintf (f, "    not listed:          %" PRIu64 " call%s of at least %" PRIu64 " more name%s (unknown "
                    "syscall numbers past the first %d)\n",
                 v->denied_dropped_calls, v->denied_dropped_calls == 1 ? "" : "s", v->denied_dropped_names,
                 v->denied_dropped_names == 1 ? "" : "s", AL_MONITOR_MAX_UNKNOWN);
    }
  if (v->has_host_ids)
    fprintf (f, "  host ids:        %u-%u (uids and gids of its own)\n", v->host_ids_first,
             v->host_ids_first + (v->host_ids_size - 1));
  if (v->interrupted)
    fprintf (f, "  interrupted:     yes (a signal was forwarded)\n");
  if (v->monitor_error)
    {
      _cleanup_free_ char *e = shown (v->monitor_error, "");
      fprintf (f, "  monitor error:   %s\n", e);
    }
  fprintf (f, AL_VERDICT_FENCE_END "%s ====\n", id);
}

/* ---- the whole watch ---------------------------------------------------------- */

static int
watch_configure (struct al_watch *w, const char *path, struct oci_spec *spec, struct al_profile **keep,
                 al_error_t *err)
{
  memset (w, 0, sizeof *w);
  al_monitor_init (&w->m);
  const char *name = oci_spec_annotation (spec, AL_PROFILE_ANNOTATION);
  if (name == NULL)
    return 0;
  _cleanup_profile_ struct al_profile *p = NULL;
  int r = al_profile_load (name, &p, err);
  if (r < 0)
    return al_err_prefix (err, "%s: annotations.\"%s\"", path, AL_PROFILE_ANNOTATION);
  uint64_t requested = 0;
  const char *t = oci_spec_annotation (spec, AL_ANNOTATION_TIMEOUT);
  if (t && al_parse_duration_ms (t, &requested) < 0)
    return al_err (err, EINVAL, "%s: annotations.\"%s\": not a duration: \"%s\" (e.g. 10s, 500ms, 2m)", path,
                   AL_ANNOTATION_TIMEOUT, t);
  struct al_profile_host host;
  memset (&host, 0, sizeof host);
  r = al_profile_host_probe (&host, err);
  if (r < 0)
    return r;
  host.monitor = true;
  r = al_profile_apply (p, spec, &host, &w->report, err);
  if (r < 0)
    return al_err_prefix (err, "%s", path);
  if (w->report.memory_no_controller && w->report.memory_limit > 0)
    {
      /* No memory.max: the monitor enforces the limit on its samples,
         tmpfs contents included. */
      w->m.memory_kill_bytes = (uint64_t) w->report.memory_limit;
      for (size_t i = 0; i < spec->n_mounts; i++)
        if (spec->mounts[i].type && strcmp (spec->mounts[i].type, "tmpfs") == 0 && spec->mounts[i].destination)
          {
            size_t n = 0;
            while (w->m.tmpfs_paths && w->m.tmpfs_paths[n])
              n++;
            w->m.tmpfs_paths = realloc (w->m.tmpfs_paths, (n + 2) * sizeof (char *));
            if (w->m.tmpfs_paths == NULL)
              abort ();
            w->m.tmpfs_paths[n] = al_xstrdup (spec->mounts[i].destination);
            w->m.tmpfs_paths[n + 1] = NULL;
          }
    }
  w->m.timeout_ms = al_profile_clamp_timeout (p, requested);
  w->m.deny_errno = al_profile_denied_errno (p);
  w->m.capture_output = !(spec->process && spec->process->terminal);
  w->profile = al_xstrdup (al_profile_name (p));
  if (keep)
    {
      *keep = p;
      p = NULL;
    }
  w->active = true;
  return 0;
}

int
al_watch_configure (struct al_watch *w, const char *path, struct oci_spec *spec, al_error_t *err)
{
  return watch_configure (w, path, spec, NULL, err);
}

static int watch_prepare (struct al_watch *w, struct al_create_opts *o, bool detached, al_error_t *err);

int
al_watch_prepare (struct al_watch *w, struct al_create_opts *o, al_error_t *err)
{
  return watch_prepare (w, o, false, err);
}

int
al_watch_prepare_detached (struct al_watch *w, struct al_create_opts *o, al_error_t *err)
{
  return watch_prepare (w, o, true, err);
}

static int
watch_prepare (struct al_watch *w, struct al_create_opts *o, bool detached, al_error_t *err)
{
  memset (w, 0, sizeof *w);
  al_monitor_init (&w->m);
  _cleanup_free_ char *path = o->config_path ? al_xstrdup (o->config_path)
                                             : al_xasprintf ("%s/config.json", o->bundle ? o->bundle : ".");
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r = al_config_read (o, path, &text, &len, err);
  if (r < 0)
    return r;
  _cleanup_spec_ struct oci_spec *spec = NULL;
  r = oci_spec_parse (path, text, len, &spec, err);
  if (r < 0)
    return r;
  r = watch_configure (w, path, spec, &w->prof, err);
  if (r < 0)
    return r;
  /* Lent to the create: the same bytes, the same parse, the profile
     applied once. */
  w->config_text = text;
  w->spec = spec;
  o->config_text = text;
  o->config_len = len;
  o->spec = spec;
  o->profile = w->prof;
  o->profile_report = w->prof ? &w->report : NULL;
  text = NULL;
  spec = NULL;
  if (!w->active)
    return 0;
  if (detached)
    {
      /* The caller's stdio is the container's (conmon's pipes): nothing
         is copied, no signal is forwarded. */
      w->m.capture_output = false;
      w->m.forward_signals = false;
    }
  r = al_monitor_prepare (&w->m, o, err);
  if (r < 0)
    {
      al_watch_clear (w);
      return r;
    }
  return 0;
}

static void
watch_end_loan (struct al_watch *w)
{
  oci_spec_free (w->spec);
  w->spec = NULL;
  free (w->config_text);
  w->config_text = NULL;
  al_profile_free (w->prof);
  w->prof = NULL;
}

void
al_watch_created (struct al_watch *w)
{
  al_monitor_created (&w->m);
  watch_end_loan (w);
}

void
al_watch_start_clock (struct al_watch *w)
{
  al_monitor_start_clock (&w->m);
}

static bool
answer_notification (void *data, int listener)
{
  return al_monitor_handle_notification (data, listener);
}

int
al_watch_container_start (struct al_watch *w, const struct al_created *c, const char *root, const char *id,
                          const struct al_log *log, al_error_t *err)
{
  if (!w->active || c->seccomp_listener < 0)
    return al_container_start (root, id, log, err);
  struct al_start_notify n = { .listener = c->seccomp_listener, .handle = answer_notification, .data = &w->m };
  return al_container_start_notified (root, id, log, &n, err);
}

int
al_watch_run (struct al_watch *w, const struct al_created *c, const char *root, const char *id, al_error_t *err)
{
  if (w->report.seccomp_notify && c->seccomp_listener < 0)
    note_monitor_error (&w->m, "no seccomp listener came back from create: denied syscalls are not recorded");
  int r = al_monitor_watch (&w->m, c, root, id, err);
  if (r < 0)
    return r;
  _cleanup_error_ al_error_t verr = NULL;
  if (al_verdict_finish (root, id, &w->m, w->profile, &w->report, &w->v, &verr) < 0 && w->v.monitor_error == NULL)
    w->v.monitor_error = al_xstrdup (verr->msg);
  return al_monitor_exit_code (&w->m);
}

void
al_watch_clear (struct al_watch *w)
{
  al_monitor_clear (&w->m);
  al_verdict_clear (&w->v);
  free (w->profile);
  w->profile = NULL;
  watch_end_loan (w);
  w->active = false;
}
