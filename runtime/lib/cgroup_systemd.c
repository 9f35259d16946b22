/* cgroup_systemd.c: the systemd cgroup driver (transient units over sd-bus). */
#include "cgroup_systemd.h"
#include "cgroup.h"
#include "sdbus_dl.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "util.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_PRIVATE_SOCKET "/run/systemd/private"
#define UNIT_NAME_MAX 255
#define CPUSET_MAX_INDEX 16383 /* bounds the bitmask a cpuset list may ask for */
#define USEC_INFINITY UINT64_MAX

bool
al_systemd_is_running (void)
{
  return access ("/run/systemd/system", F_OK) == 0;
}

/* ---- cgroupsPath ------------------------------------------------------ */

static bool
unit_char_ok (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ':' || c == '-'
         || c == '_' || c == '.' || c == '\\';
}

bool
al_systemd_unit_name_valid (const char *s, const char *suffix)
{
  size_t n = strlen (s), ls = strlen (suffix);
  if (n > UNIT_NAME_MAX || n <= ls || strcmp (s + n - ls, suffix) != 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!unit_char_ok (s[i]))
      return false;
  return true;
}

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), ls = strlen (suffix);
  return n >= ls && strcmp (s + n - ls, suffix) == 0;
}

int
al_systemd_parse_path (const char *cgroups_path, const char *id, char **slice_out, char **unit_out, bool *is_slice_out,
                       al_error_t *err)
{
  _cleanup_free_ char *slice = NULL, *prefix = NULL, *name = NULL;
  const char *cp = cgroups_path ? cgroups_path : "";
  if (*cp == '\0')
    {
      if (id == NULL || *id == '\0')
        return al_err (err, EINVAL, "linux.cgroupsPath is empty and there is no container id to name the unit");
      slice = al_xstrdup (AL_SYSTEMD_DEFAULT_SLICE);
      prefix = al_xstrdup (AL_SYSTEMD_DEFAULT_PREFIX);
      name = al_xstrdup (id);
    }
  else
    {
      const char *c1 = strchr (cp, ':');
      const char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c1 == NULL || c2 == NULL || strchr (c2 + 1, ':') != NULL)
        return al_err (err, EINVAL, "linux.cgroupsPath \"%s\": expected \"slice:prefix:name\" with --systemd-cgroup",
                       cp);
      slice = c1 == cp ? al_xstrdup (AL_SYSTEMD_DEFAULT_SLICE) : strndup (cp, (size_t) (c1 - cp));
      prefix = strndup (c1 + 1, (size_t) (c2 - c1 - 1));
      name = al_xstrdup (c2 + 1);
      if (slice == NULL || prefix == NULL)
        abort ();
      if (*name == '\0')
        return al_err (err, EINVAL, "linux.cgroupsPath \"%s\": the name (after the second ':') is empty", cp);
    }

  if (!al_systemd_unit_name_valid (slice, ".slice"))
    return al_err (err, EINVAL, "linux.cgroupsPath \"%s\": \"%s\" is not a valid slice unit name (NAME.slice)", cp,
                   slice);

  bool is_slice = has_suffix (name, ".slice");
  _cleanup_free_ char *unit = NULL;
  if (is_slice)
    unit = al_steal_ptr (name);
  else if (*prefix)
    unit = al_xasprintf ("%s-%s.scope", prefix, name);
  else
    unit = al_xasprintf ("%s.scope", name);
  if (!al_systemd_unit_name_valid (unit, is_slice ? ".slice" : ".scope"))
    return al_err (err, EINVAL,
                   "linux.cgroupsPath \"%s\": \"%s\" is not a valid systemd unit name (at most %d of "
                   "[A-Za-z0-9:_.\\-])",
                   cp, unit, UNIT_NAME_MAX);

  if (slice_out)
    *slice_out = al_steal_ptr (slice);
  if (unit_out)
    *unit_out = al_steal_ptr (unit);
  if (is_slice_out)
    *is_slice_out = is_slice;
  return 0;
}

int
al_systemd_unit_name (const char *cgroups_path, const char *id, char **unit, al_error_t *err)
{
  return al_systemd_parse_path (cgroups_path, id, NULL, unit, NULL, err);
}

/* ---- property lists --------------------------------------------------- */

void
al_sd_props_clear (struct al_sd_props *p)
{
  for (size_t i = 0; i < p->n; i++)
    {
      free (p->v[i].name);
      free (p->v[i].s);
      free (p->v[i].bytes);
      free (p->v[i].u32s);
    }
  free (p->v);
  p->v = NULL;
  p->n = 0;
}

static void
props_clearp (struct al_sd_props *p)
{
  al_sd_props_clear (p);
}
#define _cleanup_props_ __attribute__ ((cleanup (props_clearp)))

const struct al_sd_prop *
al_sd_props_find (const struct al_sd_props *p, const char *name)
{
  for (size_t i = p->n; i > 0; i--)
    if (strcmp (p->v[i - 1].name, name) == 0)
      return &p->v[i - 1];
  return NULL;
}

static struct al_sd_prop *
props_add (struct al_sd_props *p, const char *name, enum al_sd_type type)
{
  struct al_sd_prop *v = realloc (p->v, (p->n + 1) * sizeof (*v));
  if (v == NULL)
    abort ();
  p->v = v;
  struct al_sd_prop *e = &v[p->n++];
  memset (e, 0, sizeof (*e));
  e->name = al_xstrdup (name);
  e->type = type;
  return e;
}

static void
add_u64 (struct al_sd_props *p, const char *name, uint64_t u)
{
  props_add (p, name, AL_SD_U64)->u = u;
}

static void
add_bool (struct al_sd_props *p, const char *name, bool b)
{
  props_add (p, name, AL_SD_BOOL)->b = b;
}

static void
add_string (struct al_sd_props *p, const char *name, const char *s)
{
  props_add (p, name, AL_SD_STRING)->s = al_xstrdup (s);
}

/* ---- conversions ------------------------------------------------------ */

uint64_t
al_systemd_cpu_weight (uint64_t shares)
{
  if (shares == 0)
    return al_cgroup_cpu_weight (2);
  return al_cgroup_cpu_weight (shares);
}

uint64_t
al_systemd_io_weight (uint64_t w)
{
  if (w < 10)
    w = 10;
  if (w > 1000)
    w = 1000;
  return 1 + ((w - 10) * 9999) / 990;
}

uint64_t
al_systemd_quota_per_sec (int64_t quota, uint64_t period)
{
  if (quota < 0)
    return USEC_INFINITY;
  if (period == 0)
    period = 100000;
  unsigned __int128 v = (unsigned __int128) (uint64_t) quota * 1000000u;
  v = (v + period - 1) / period;
  /* systemd stores a percentage: round up to a whole 10 ms per second. */
  v = (v + 9999) / 10000 * 10000;
  if (v >= USEC_INFINITY)
    return USEC_INFINITY - 1;
  return (uint64_t) v;
}

static int
parse_index (const char **pp, const char *list, const char *what, unsigned long *out, al_error_t *err)
{
  const char *p = *pp;
  if (*p < '0' || *p > '9')
    return al_err (err, EINVAL, "%s \"%s\": expected a number at \"%s\"", what, list, p);
  errno = 0;
  char *end = NULL;
  unsigned long v = strtoul (p, &end, 10);
  if (errno != 0 || v > CPUSET_MAX_INDEX)
    return al_err (err, ERANGE, "%s \"%s\": index at \"%s\" is larger than %d", what, list, p, CPUSET_MAX_INDEX);
  *out = v;
  *pp = end;
  return 0;
}

int
al_systemd_cpuset_mask (const char *list, const char *what, uint8_t **mask, size_t *n, al_error_t *err)
{
  *mask = NULL;
  *n = 0;
  const char *p = list;
  while (*p == ' ' || *p == '\t' || *p == '\n')
    p++;
  if (*p == '\0')
    return 0;

  size_t cap = 0;
  _cleanup_free_ uint8_t *m = NULL;
  for (;;)
    {
      unsigned long a, b;
      int r = parse_index (&p, list, what, &a, err);
      if (r < 0)
        return r;
      b = a;
      if (*p == '-')
        {
          p++;
          if ((r = parse_index (&p, list, what, &b, err)) < 0)
            return r;
          if (b < a)
            return al_err (err, EINVAL, "%s \"%s\": range %lu-%lu is reversed", what, list, a, b);
        }
      size_t need = b / 8 + 1;
      if (need > cap)
        {
          uint8_t *nm = realloc (m, need);
          if (nm == NULL)
            abort ();
          memset (nm + cap, 0, need - cap);
          m = nm;
          cap = need;
        }
      for (unsigned long i = a; i <= b; i++)
        m[i / 8] |= (uint8_t) (1u << (i % 8));
      while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
      if (*p == '\0')
        break;
      if (*p != ',')
        return al_err (err, EINVAL, "%s \"%s\": unexpected \"%c\" (expected a list like \"0-3,5\")", what, list, *p);
      p++;
      while (*p == ' ' || *p == '\t')
        p++;
    }
  *mask = al_steal_ptr (m);
  *n = cap;
  return 0;
}

static int
add_cpuset (struct al_sd_props *p, const char *name, const char *list, const char *what, al_error_t *err)
{
  uint8_t *mask = NULL;
  size_t n = 0;
  int r = al_systemd_cpuset_mask (list, what, &mask, &n, err);
  if (r < 0)
    return r;
  if (n == 0)
    return 0;
  struct al_sd_prop *e = props_add (p, name, AL_SD_BYTES);
  e->bytes = mask;
  e->n_bytes = n;
  return 0;
}

static uint64_t
limit_value (int64_t v)
{
  return v < 0 ? USEC_INFINITY : (uint64_t) v;
}

int
al_systemd_resource_props (const struct oci_resources *res, struct al_sd_props *p, al_error_t *err)
{
  int r;
  if (res == NULL)
    return 0;

  if (res->memory.present)
    {
      bool has_limit = res->memory.has_limit && res->memory.limit != 0;
      if (has_limit)
        add_u64 (p, "MemoryMax", limit_value (res->memory.limit));
      if (res->memory.has_reservation && res->memory.reservation != 0)
        add_u64 (p, "MemoryLow", limit_value (res->memory.reservation));
      if (res->memory.has_swap && res->memory.swap != 0)
        {
          /* OCI swap counts memory+swap; MemorySwapMax is swap alone. */
          int64_t swap = res->memory.swap;
          if (swap < 0)
            add_u64 (p, "MemorySwapMax", USEC_INFINITY);
          else if (!has_limit || res->memory.limit < 0)
            return al_err (err, EINVAL, "linux.resources.memory.swap: %" PRId64 " needs a memory limit", swap);
          else if (swap < res->memory.limit)
            return al_err (err, EINVAL,
                           "linux.resources.memory.swap: %" PRId64 " is less than linux.resources.memory.limit %" PRId64
                           " (swap counts memory+swap)",
                           swap, res->memory.limit);
          else
            add_u64 (p, "MemorySwapMax", (uint64_t) (swap - res->memory.limit));
        }
    }

  if (res->pids.present)
    add_u64 (p, "TasksMax", res->pids.limit < 0 ? USEC_INFINITY : (uint64_t) res->pids.limit);

  if (res->cpu.present)
    {
      if (res->cpu.has_shares && res->cpu.shares != 0)
        add_u64 (p, "CPUWeight", al_systemd_cpu_weight (res->cpu.shares));
      bool quota = res->cpu.has_quota && res->cpu.quota != 0;
      bool period = res->cpu.has_period && res->cpu.period != 0;
      if (period)
        add_u64 (p, "CPUQuotaPeriodUSec", res->cpu.period);
      if (quota)
        add_u64 (p, "CPUQuotaPerSecUSec", al_systemd_quota_per_sec (res->cpu.quota, period ? res->cpu.period : 0));
      if (res->cpu.cpus
          && (r = add_cpuset (p, "AllowedCPUs", res->cpu.cpus, "linux.resources.cpu.cpus", err)) < 0)
        return r;
      if (res->cpu.mems
          && (r = add_cpuset (p, "AllowedMemoryNodes", res->cpu.mems, "linux.resources.cpu.mems", err)) < 0)
        return r;
    }

  if (res->block_io.present && res->block_io.has_weight && res->block_io.weight != 0)
    add_u64 (p, "IOWeight", al_systemd_io_weight (res->block_io.weight));
  return 0;
}

/* ---- annotations ------------------------------------------------------ */

static int
parse_u64 (const char *s, uint64_t max, uint64_t *out)
{
  if (*s < '0' || *s > '9')
    return -EINVAL;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno != 0 || *end != '\0' || v > max)
    return -EINVAL;
  *out = v;
  return 0;
}

static int
parse_i64 (const char *s, int64_t min, int64_t max, int64_t *out)
{
  const char *d = *s == '-' ? s + 1 : s;
  if (*d < '0' || *d > '9')
    return -EINVAL;
  errno = 0;
  char *end = NULL;
  long long v = strtoll (s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return -EINVAL;
  *out = v;
  return 0;
}

/* Seconds (integer or decimal, no exponent) to microseconds. */
static int
parse_seconds (const char *s, uint64_t *usec)
{
  uint64_t whole = 0, frac = 0, scale = 1000000;
  const char *p = s;
  if (*p < '0' || *p > '9')
    return -EINVAL;
  for (; *p >= '0' && *p <= '9'; p++)
    {
      if (whole > (UINT64_MAX / 1000000 - 9) / 10)
        return -ERANGE;
      whole = whole * 10 + (uint64_t) (*p - '0');
    }
  if (*p == '.')
    {
      p++;
      if (*p < '0' || *p > '9')
        return -EINVAL;
      for (; *p >= '0' && *p <= '9'; p++)
        if (scale > 1)
          {
            scale /= 10;
            frac += (uint64_t) (*p - '0') * scale;
          }
    }
  if (*p != '\0')
    return -EINVAL;
  *usec = whole * 1000000 + frac;
  return 0;
}

/* 'x' or "x" with backslash escapes; NULL when not a quoted string. */
static char *
unquote (const char *v)
{
  size_t n = strlen (v);
  if (n < 2 || (v[0] != '\'' && v[0] != '"') || v[n - 1] != v[0])
    return NULL;
  char *out = al_xmalloc0 (n);
  size_t o = 0;
  for (size_t i = 1; i < n - 1; i++)
    {
      if (v[i] == '\\' && i + 1 < n - 1)
        i++;
      else if (v[i] == v[0])
        {
          free (out);
          return NULL;
        }
      out[o++] = v[i];
    }
  return out;
}

static bool
property_name_ok (const char *s)
{
  if (*s < 'A' || *s > 'Z')
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
      return false;
  return true;
}

int
al_systemd_annotation_prop (const char *key, const char *value, struct al_sd_props *p, al_error_t *err)
{
  static const size_t plen = sizeof (AL_SYSTEMD_PROPERTY_ANNOTATION) - 1;
  if (strncmp (key, AL_SYSTEMD_PROPERTY_ANNOTATION, plen) != 0)
    return al_err (err, EINVAL, "annotations[\"%s\"]: not an %sNAME annotation", key, AL_SYSTEMD_PROPERTY_ANNOTATION);
  const char *name = key + plen;
  if (!property_name_ok (name))
    return al_err (err, EINVAL, "annotations[\"%s\"]: \"%s\" is not a systemd property name ([A-Z][A-Za-z0-9]*)",
                   key, name);

  /* NAMESec (lowercase letter before Sec) takes seconds: NAMEUSec. */
  size_t nl = strlen (name);
  if (nl > 4 && strcmp (name + nl - 3, "Sec") == 0 && name[nl - 4] >= 'a' && name[nl - 4] <= 'z')
    {
      uint64_t usec;
      const char *v = value;
      if (strncmp (v, "uint64 ", 7) == 0)
        v += 7;
      else if (strncmp (v, "@t ", 3) == 0)
        v += 3;
      if (parse_seconds (v, &usec) < 0)
        return al_err (err, EINVAL, "annotations[\"%s\"]: \"%s\" is not a number of seconds", key, value);
      _cleanup_free_ char *uname = al_xasprintf ("%.*sUSec", (int) (nl - 3), name);
      add_u64 (p, uname, usec);
      return 0;
    }

  if (strcmp (value, "true") == 0 || strcmp (value, "false") == 0)
    {
      add_bool (p, name, value[0] == 't');
      return 0;
    }
  char *s = unquote (value);
  if (s)
    {
      props_add (p, name, AL_SD_STRING)->s = s;
      return 0;
    }

  static const struct
  {
    const char *word;
    enum al_sd_type type;
  } typed[] = {
    { "uint64 ", AL_SD_U64 }, { "@t ", AL_SD_U64 }, { "int64 ", AL_SD_I64 }, { "@x ", AL_SD_I64 },
    { "uint32 ", AL_SD_U32 }, { "@u ", AL_SD_U32 }, { "int32 ", AL_SD_I32 }, { "@i ", AL_SD_I32 },
  };
  const char *num = value;
  int type = -1;
  for (size_t i = 0; i < sizeof (typed) / sizeof (typed[0]); i++)
    if (strncmp (value, typed[i].word, strlen (typed[i].word)) == 0)
      {
        num = value + strlen (typed[i].word);
        type = (int) typed[i].type;
        break;
      }
  if (type < 0)
    type = *num == '-' ? AL_SD_I64 : AL_SD_U64;

  uint64_t u = 0;
  int64_t i = 0;
  int r;
  switch ((enum al_sd_type) type)
    {
    case AL_SD_U64:
      r = parse_u64 (num, UINT64_MAX, &u);
      break;
    case AL_SD_U32:
      r = parse_u64 (num, UINT32_MAX, &u);
      break;
    case AL_SD_I64:
      r = parse_i64 (num, INT64_MIN, INT64_MAX, &i);
      break;
    default:
      r = parse_i64 (num, INT32_MIN, INT32_MAX, &i);
      break;
    }
  if (r < 0)
    return al_err (err, EINVAL,
                   "annotations[\"%s\"]: cannot parse \"%s\" (expected true, false, 'string', an integer, "
                   "or \"uint64 N\", \"int64 N\", \"uint32 N\", \"int32 N\")",
                   key, value);
  struct al_sd_prop *e = props_add (p, name, (enum al_sd_type) type);
  e->u = u;
  e->i = i;
  return 0;
}

int
al_systemd_annotation_props (const struct oci_spec *spec, struct al_sd_props *p, al_error_t *err)
{
  if (spec == NULL)
    return 0;
  for (size_t i = 0; i < spec->n_annotations; i++)
    {
      const struct oci_kv *kv = &spec->annotations[i];
      if (kv->key == NULL || !al_has_prefix (kv->key, AL_SYSTEMD_PROPERTY_ANNOTATION))
        continue;
      int r = al_systemd_annotation_prop (kv->key, kv->value ? kv->value : "", p, err);
      if (r < 0)
        return r;
    }
  return 0;
}

/* ---- the bus ---------------------------------------------------------- */

static void
busp_close (sd_bus **b)
{
  if (*b)
    sd_bus_flush_close_unref (*b);
}
#define _cleanup_bus_ __attribute__ ((cleanup (busp_close)))

static void
msgp_unref (sd_bus_message **m)
{
  sd_bus_message_unref (*m);
}
#define _cleanup_msg_ __attribute__ ((cleanup (msgp_unref)))

static void
slotp_unref (sd_bus_slot **s)
{
  sd_bus_slot_unref (*s);
}
#define _cleanup_slot_ __attribute__ ((cleanup (slotp_unref)))

static void
bus_error_freep (sd_bus_error *e)
{
  sd_bus_error_free (e);
}
#define _cleanup_bus_error_ __attribute__ ((cleanup (bus_error_freep)))

/* Memory libsystemd allocated (see al_sdbus_table.p_free). */
static void
sd_freep (void *p)
{
  void **v = p;
  if (*v)
    al_sdbus.p_free (*v);
}
#define _cleanup_sd_free_ __attribute__ ((cleanup (sd_freep)))

static uint64_t
now_usec (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Root talks to systemd directly on its private socket (no dbus-daemon hop,
 * works without dbus); otherwise, or when that fails, the system bus. */
static int
bus_open (sd_bus **out, bool *direct, al_error_t *err)
{
  sd_bus *b = NULL;
  int r = al_sdbus_load (err);
  if (r < 0)
    return r;
#ifndef AL_SYSTEMD_NO_PRIVATE_BUS /* (tests build the system-bus path with it) */
  if (geteuid () == 0 && access (SD_PRIVATE_SOCKET, F_OK) == 0)
#else
  if (false)
#endif
    {
      r = sd_bus_new (&b);
      if (r >= 0)
        r = sd_bus_set_address (b, "unix:path=" SD_PRIVATE_SOCKET);
      if (r >= 0)
        r = sd_bus_start (b);
      if (r >= 0)
        {
          *out = b;
          *direct = true;
          return 0;
        }
      sd_bus_unref (b);
      b = NULL;
    }
  r = sd_bus_open_system (&b);
  if (r < 0)
    return al_err (err, -r, "systemd is not reachable on the system bus (is systemd PID 1?)");
  *out = b;
  *direct = false;
  return 0;
}

static int
bus_fail (al_error_t *err, int r, const sd_bus_error *e, const char *method, const char *unit)
{
  int errnum = sd_bus_error_is_set (e) ? sd_bus_error_get_errno (e) : -r;
  if (errnum <= 0)
    errnum = EIO;
  if (err && *err == NULL && sd_bus_error_is_set (e))
    {
      al_err (err, 0, "systemd %s of unit %s: %s: %s", method, unit, e->name, e->message ? e->message : "");
      (*err)->errnum = errnum;
      return -errnum;
    }
  return al_err (err, errnum, "systemd %s of unit %s", method, unit);
}

struct job_wait
{
  char *job;    /* the job object path we wait for */
  char *result; /* its result, once JobRemoved came */
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
  (void) ret_error;
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path, *unit, *result;
  if (sd_bus_message_read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->job && w->result == NULL && strcmp (path, w->job) == 0)
    w->result = al_xstrdup (result);
  return 0;
}

/* Match JobRemoved before the call, so the signal cannot be missed. */
static int
watch_jobs (sd_bus *bus, bool direct, struct job_wait *w, sd_bus_slot **slot, const char *unit, al_error_t *err)
{
  int r = sd_bus_match_signal_async (bus, slot, direct ? NULL : SD_DEST, SD_PATH, SD_MANAGER, "JobRemoved",
                                     on_job_removed, NULL, w);
  if (r < 0)
    return al_err (err, -r, "systemd: subscribe to JobRemoved for unit %s", unit);
  return 0;
}

static int
wait_job (sd_bus *bus, struct job_wait *w, uint64_t deadline, const char *method, const char *unit,
          al_error_t *err)
{
  while (w->result == NULL)
    {
      int r = sd_bus_process (bus, NULL);
      if (r < 0)
        return al_err (err, -r, "systemd %s of unit %s: waiting for job %s", method, unit, w->job);
      if (r > 0)
        continue;
      uint64_t now = now_usec ();
      if (now >= deadline)
        return al_err (err, ETIMEDOUT, "systemd %s of unit %s: job %s did not finish within %llu s", method, unit,
                       w->job, (unsigned long long) (AL_SYSTEMD_TIMEOUT_USEC / 1000000));
      r = sd_bus_wait (bus, deadline - now);
      if (r < 0)
        return al_err (err, -r, "systemd %s of unit %s: waiting for job %s", method, unit, w->job);
    }
  return 0;
}

static int
append_prop (sd_bus_message *m, const struct al_sd_prop *p)
{
  int r = sd_bus_message_open_container (m, 'r', "sv");
  if (r < 0)
    return r;
  if ((r = sd_bus_message_append (m, "s", p->name)) < 0)
    return r;
  switch (p->type)
    {
    case AL_SD_STRING:
      r = sd_bus_message_append (m, "v", "s", p->s);
      break;
    case AL_SD_BOOL:
      r = sd_bus_message_append (m, "v", "b", (int) p->b);
      break;
    case AL_SD_U64:
      r = sd_bus_message_append (m, "v", "t", p->u);
      break;
    case AL_SD_I64:
      r = sd_bus_message_append (m, "v", "x", p->i);
      break;
    case AL_SD_U32:
      r = sd_bus_message_append (m, "v", "u", (uint32_t) p->u);
      break;
    case AL_SD_I32:
      r = sd_bus_message_append (m, "v", "i", (int32_t) p->i);
      break;
    case AL_SD_BYTES:
      if ((r = sd_bus_message_open_container (m, 'v', "ay")) >= 0
          && (r = sd_bus_message_append_array (m, 'y', p->bytes, p->n_bytes)) >= 0)
        r = sd_bus_message_close_container (m);
      break;
    case AL_SD_U32S:
      if ((r = sd_bus_message_open_container (m, 'v', "au")) >= 0
          && (r = sd_bus_message_append_array (m, 'u', p->u32s, p->n_u32s * sizeof (uint32_t))) >= 0)
        r = sd_bus_message_close_container (m);
      break;
    }
  if (r < 0)
    return r;
  return sd_bus_message_close_container (m);
}

static int
append_props (sd_bus_message *m, const struct al_sd_props *p)
{
  int r = sd_bus_message_open_container (m, 'a', "(sv)");
  if (r < 0)
    return r;
  for (size_t i = 0; i < p->n; i++)
    if ((r = append_prop (m, &p->v[i])) < 0)
      return r;
  return sd_bus_message_close_container (m);
}

/* Call a Manager method that queues a job and wait for the job. The message
 * must already carry its arguments. *no_unit: the bus said NoSuchUnit (only
 * set when no_unit is not NULL; then that is not an error). *exists: UnitExists
 * (likewise). */
static int
call_job (sd_bus *bus, bool direct, sd_bus_message *m, const char *method, const char *unit, uint64_t deadline,
          bool *no_unit, bool *exists, al_error_t *err)
{
  struct job_wait w = { NULL, NULL };
  _cleanup_slot_ sd_bus_slot *slot = NULL;
  int r = watch_jobs (bus, direct, &w, &slot, unit, err);
  if (r < 0)
    return r;

  _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
  _cleanup_msg_ sd_bus_message *reply = NULL;
  uint64_t now = now_usec ();
  r = sd_bus_call (bus, m, now < deadline ? deadline - now : 1, &e, &reply);
  if (r < 0)
    {
      if (no_unit && sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        {
          *no_unit = true;
          return 0;
        }
      if (exists && sd_bus_error_has_name (&e, "org.freedesktop.systemd1.UnitExists"))
        {
          *exists = true;
          return 0;
        }
      return bus_fail (err, r, &e, method, unit);
    }
  const char *job = NULL;
  if ((r = sd_bus_message_read (reply, "o", &job)) < 0)
    return al_err (err, -r, "systemd %s of unit %s: bad reply", method, unit);
  w.job = al_xstrdup (job);
  r = wait_job (bus, &w, deadline, method, unit, err);
  if (r == 0 && strcmp (w.result, "done") != 0)
    r = al_err (err, EIO, "systemd %s of unit %s: job %s finished with result \"%s\"", method, unit, w.job,
                w.result);
  free (w.job);
  free (w.result);
  return r;
}

static int
reset_failed (sd_bus *bus, const char *unit, uint64_t deadline)
{
  _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
  _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
  int r = sd_bus_message_new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "ResetFailedUnit");
  if (r >= 0)
    r = sd_bus_message_append (m, "s", unit);
  if (r < 0)
    return r;
  uint64_t now = now_usec ();
  return sd_bus_call (bus, m, now < deadline ? deadline - now : 1, &e, &reply);
}

static int
start_unit (sd_bus *bus, bool direct, const char *unit, const struct al_sd_props *props, uint64_t deadline,
            bool *exists, al_error_t *err)
{
  _cleanup_msg_ sd_bus_message *m = NULL;
  int r = sd_bus_message_new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StartTransientUnit");
  if (r >= 0)
    r = sd_bus_message_append (m, "ss", unit, "replace");
  if (r >= 0)
    r = append_props (m, props);
  if (r >= 0)
    r = sd_bus_message_append (m, "a(sa(sv))", 0);
  if (r < 0)
    return al_err (err, -r, "systemd StartTransientUnit of unit %s: build the message", unit);
  return call_job (bus, direct, m, "StartTransientUnit", unit, deadline, NULL, exists, err);
}

static int
unit_cgroup (sd_bus *bus, const char *unit, bool is_slice, uint64_t deadline, char **out, al_error_t *err)
{
  _cleanup_sd_free_ char *path = NULL;
  int r = sd_bus_path_encode ("/org/freedesktop/systemd1/unit", unit, &path);
  if (r < 0)
    return al_err (err, -r, "systemd: object path of unit %s", unit);
  _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
  _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
  r = sd_bus_message_new_method_call (bus, &m, SD_DEST, path, "org.freedesktop.DBus.Properties", "Get");
  if (r >= 0)
    r = sd_bus_message_append (m, "ss", is_slice ? "org.freedesktop.systemd1.Slice" : "org.freedesktop.systemd1.Scope",
                               "ControlGroup");
  if (r < 0)
    return al_err (err, -r, "systemd: build the ControlGroup query of unit %s", unit);
  uint64_t now = now_usec ();
  r = sd_bus_call (bus, m, now < deadline ? deadline - now : 1, &e, &reply);
  if (r < 0)
    return bus_fail (err, r, &e, "Get ControlGroup", unit);
  const char *cg = NULL;
  if ((r = sd_bus_message_read (reply, "v", "s", &cg)) < 0)
    return al_err (err, -r, "systemd Get ControlGroup of unit %s: bad reply", unit);
  if (cg == NULL || cg[0] != '/' || cg[1] == '\0')
    return al_err (err, ENOENT,
                   "systemd unit %s has no cgroup (ControlGroup \"%s\"): did the container's init exit already?",
                   unit, cg ? cg : "");
  *out = al_xstrdup (cg);
  return 0;
}

/* Best effort after a failed create: stop the unit (if it got that far)
 * and forget a failed one, so no unit of ours outlives the error. */
static void
abandon_unit (sd_bus *bus, bool direct, const char *unit)
{
  uint64_t deadline = now_usec () + AL_SYSTEMD_TIMEOUT_USEC;
  _cleanup_msg_ sd_bus_message *m = NULL;
  if (sd_bus_message_new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit") < 0
      || sd_bus_message_append (m, "ss", unit, "replace") < 0)
    return;
  bool no_unit = false;
  al_error_t ignored = NULL;
  call_job (bus, direct, m, "StopUnit", unit, deadline, &no_unit, NULL, &ignored);
  al_error_free (&ignored);
  reset_failed (bus, unit, deadline);
}

static void
cgroup_freep (struct al_cgroup **cg)
{
  if (*cg)
    al_cgroup_free (*cg);
}

int
al_systemd_cgroup_create (const char *id, const char *cgroups_path, pid_t pid, const struct oci_resources *res,
                          const struct oci_spec *spec, struct al_cgroup **cg_out, char **unit_out,
                          al_error_t *err)
{
  uint64_t deadline = now_usec () + AL_SYSTEMD_TIMEOUT_USEC;
  _cleanup_free_ char *slice = NULL, *unit = NULL;
  bool is_slice = false;
  int r = al_systemd_parse_path (cgroups_path, id, &slice, &unit, &is_slice, err);
  if (r < 0)
    return r;

  _cleanup_props_ struct al_sd_props props = { NULL, 0 };
  _cleanup_free_ char *desc = al_xasprintf ("airlock container %s", id ? id : unit);
  add_string (&props, "Description", desc);
  /* A slice unit's parent comes from its name ("a-b.slice" is in
     "a.slice"), and a slice holds no processes of its own in systemd's
     view: the init is moved in below through cgroupfs. */
  if (!is_slice)
    {
      add_string (&props, "Slice", slice);
      add_bool (&props, "Delegate", true);
      struct al_sd_prop *pids = props_add (&props, "PIDs", AL_SD_U32S);
      pids->u32s = al_xmalloc0 (sizeof (uint32_t));
      pids->u32s[0] = (uint32_t) pid;
      pids->n_u32s = 1;
    }
  add_bool (&props, "DefaultDependencies", false);
  add_bool (&props, "MemoryAccounting", true);
  add_bool (&props, "CPUAccounting", true);
  add_bool (&props, "IOAccounting", true);
  add_bool (&props, "TasksAccounting", true);
  if ((r = al_systemd_resource_props (res, &props, err)) < 0)
    return r;
  if ((r = al_systemd_annotation_props (spec, &props, err)) < 0)
    return r;

  _cleanup_bus_ sd_bus *bus = NULL;
  bool direct = false;
  if ((r = bus_open (&bus, &direct, err)) < 0)
    return r;

  bool exists = false;
  r = start_unit (bus, direct, unit, &props, deadline, &exists, err);
  if (r == 0 && exists)
    {
      /* A unit left failed by an earlier container of the same name (e.g.
       * OOM-killed) stays loaded until reset; a live one stays "exists". */
      reset_failed (bus, unit, deadline);
      exists = false;
      r = start_unit (bus, direct, unit, &props, deadline, &exists, err);
      if (r == 0 && exists)
        return al_err (err, EEXIST, "systemd StartTransientUnit of unit %s: the unit exists already (another "
                       "container with linux.cgroupsPath naming the same unit?)", unit);
    }
  _cleanup_free_ char *cgpath = NULL;
  __attribute__ ((cleanup (cgroup_freep))) struct al_cgroup *cg = NULL;
  if (r == 0)
    r = unit_cgroup (bus, unit, is_slice, deadline, &cgpath, err);
  if (r == 0 && (r = al_cgroup_resolve (cgpath, id, &cg, err)) < 0)
    al_err_prefix (err, "systemd unit %s", unit);
  if (r == 0 && is_slice && (r = al_cgroup_enter (cg, pid, err)) < 0)
    al_err_prefix (err, "systemd unit %s", unit);
  if (r < 0)
    {
      abandon_unit (bus, direct, unit);
      return r;
    }

  *cg_out = al_steal_ptr (cg);
  *unit_out = al_steal_ptr (unit);
  return 0;
}

int
al_systemd_cgroup_update (const char *unit, const struct oci_resources *res, al_error_t *err)
{
  uint64_t deadline = now_usec () + AL_SYSTEMD_TIMEOUT_USEC;
  _cleanup_props_ struct al_sd_props props = { NULL, 0 };
  int r = al_systemd_resource_props (res, &props, err);
  if (r < 0)
    return r;
  if (props.n == 0)
    return 0;

  _cleanup_bus_ sd_bus *bus = NULL;
  bool direct = false;
  if ((r = bus_open (&bus, &direct, err)) < 0)
    return r;
  _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
  r = sd_bus_message_new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "SetUnitProperties");
  if (r >= 0)
    r = sd_bus_message_append (m, "sb", unit, 1);
  if (r >= 0)
    r = append_props (m, &props);
  if (r < 0)
    return al_err (err, -r, "systemd SetUnitProperties of unit %s: build the message", unit);
  _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
  r = sd_bus_call (bus, m, deadline - now_usec (), &e, &reply);
  if (r < 0)
    return bus_fail (err, r, &e, "SetUnitProperties", unit);
  return 0;
}

int
al_systemd_cgroup_destroy (const char *unit, struct al_cgroup *cg, al_error_t *err)
{
  uint64_t deadline = now_usec () + AL_SYSTEMD_TIMEOUT_USEC;
  _cleanup_bus_ sd_bus *bus = NULL;
  bool direct = false;
  int r = bus_open (&bus, &direct, err);
  if (r < 0)
    return r;

  /* What is left in the cgroup dies at once: stopping sends SIGTERM, which
     a container's init may ignore until TimeoutStopSec. */
  if (cg)
    al_cgroup_kill (cg, NULL);

  _cleanup_msg_ sd_bus_message *m = NULL;
  r = sd_bus_message_new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MANAGER, "StopUnit");
  if (r >= 0)
    r = sd_bus_message_append (m, "ss", unit, "replace");
  if (r < 0)
    return al_err (err, -r, "systemd StopUnit of unit %s: build the message", unit);
  bool no_unit = false;
  if ((r = call_job (bus, direct, m, "StopUnit", unit, deadline, &no_unit, NULL, err)) < 0)
    return r;
  if (!no_unit)
    reset_failed (bus, unit, deadline); /* a failed unit stays loaded otherwise */
  if (cg)
    return al_cgroup_destroy (cg, true, err);
  return 0;
}
