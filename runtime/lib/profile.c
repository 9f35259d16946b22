/* profile.c: sandbox profiles: load NAME.json, check a config against it and
 * tighten the config in place. The format is documented in
 * specs/profiles/README.md. Loading validates everything (unknown keys are
 * errors: a typo in a security profile must not be ignored); applying runs a
 * check pass that may refuse, then a tightening pass that cannot fail, so a
 * refused config is left exactly as it was. */
#include "profile.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "cgroup.h"
#include "idpool.h"
#include "rootfs.h"
#include "seccomp.h"
#include "json.h"
#include "util.h"

struct scratch
{
  char *destination;
  char *size;  /* "64m": tmpfs size= */
  char *mode;  /* "1777": tmpfs mode= */
  char **options;
};

struct limit
{
  bool present;
  int64_t max;            /* pids: count; memory: bytes */
  int fallback;           /* RLIMIT_*, -1: none */
  char *fallback_name;    /* "RLIMIT_NPROC" */
  uint64_t fallback_value; /* defaults to max */
};

struct cpu_limit
{
  bool present;
  int64_t quota;
  uint64_t period;
  int fallback;
  char *fallback_name;
  uint64_t fallback_value; /* RLIMIT_CPU seconds */
};

struct allowed_dev
{
  char *path;
  char type;
  int64_t major, minor;
};

struct al_profile
{
  char *file;
  char *name;
  char *description;
  uint64_t timeout_ms;

  bool ns_new[OCI_NS_COUNT];
  bool ns_may_join[OCI_NS_COUNT];

  struct oci_id_mapping *uid_maps, *gid_maps;
  size_t n_uid_maps, n_gid_maps;
  uint32_t min_host_id;
  /* user.pool: every container gets a range of its own (idpool.c) */
  bool has_pool;
  uint32_t pool_start, pool_size, pool_slots;

  bool readonly_root;
  bool writable_binds_readonly; /* writableBinds "readonly": made ro, not refused */
  bool writable_binds_userns;   /* writableBinds "userns": kept rw (the container's root is
                                   an unprivileged host uid of the pool), idmapped ones ro */
  bool no_new_privileges;
  struct scratch *scratch;
  size_t n_scratch;
  int *caps; /* capabilities a container may keep (usually none) */
  size_t n_caps;

  bool has_seccomp;
  char **arches;
  uint32_t denied_errno;
  char **allow;
  struct oci_seccomp_syscall *rules;
  size_t n_rules;

  struct limit pids, memory;
  struct cpu_limit cpu;
  struct oci_rlimit *rlimits;
  size_t n_rlimits;

  char **masked, **readonly;
  char **mount_types;
  char **denied_host_paths;
  struct allowed_dev *devices;
  size_t n_devices;
};

/* ------------------------------------------------------------ parsing -- */

struct pctx
{
  const char *file;
  al_error_t *err;
};

static int perr (struct pctx *c, const char *path, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static int
perr (struct pctx *c, const char *path, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  return al_err (c->err, 0, "%s: %s%s%s", c->file, path ? path : "", path && *path ? ": " : "",
                 msg ? msg : "invalid");
}

static char *
jpath (const char *parent, const char *key)
{
  return *parent ? al_xasprintf ("%s.%s", parent, key) : al_xstrdup (key);
}

static const char *
jkind (yajl_val v)
{
  if (v == NULL)
    return "nothing";
  if (YAJL_IS_STRING (v))
    return "a string";
  if (YAJL_IS_NUMBER (v))
    return "a number";
  if (YAJL_IS_OBJECT (v))
    return "an object";
  if (YAJL_IS_ARRAY (v))
    return "an array";
  if (YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v))
    return "a boolean";
  return "null";
}

static yajl_val
jget (yajl_val obj, const char *key)
{
  if (obj == NULL || !YAJL_IS_OBJECT (obj))
    return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      return obj->u.object.values[i];
  return NULL;
}

/* Every key of obj must be in `known` (NULL terminated). */
static int
check_keys (struct pctx *c, yajl_val obj, const char *path, const char *const *known)
{
  for (size_t i = 0; i < obj->u.object.len; i++)
    {
      const char *k = obj->u.object.keys[i];
      bool ok = false;
      for (const char *const *n = known; *n && !ok; n++)
        ok = strcmp (*n, k) == 0;
      if (!ok)
        {
          _cleanup_free_ char *p = jpath (path, k);
          return perr (c, p, "unknown key");
        }
    }
  return 0;
}

/* Get obj.key of type `want` ("string", "object", "array", "integer",
 * "boolean"); *out NULL when absent and not required. */
static int
f_val (struct pctx *c, yajl_val obj, const char *path, const char *key, const char *want, bool required, yajl_val *out)
{
  yajl_val v = jget (obj, key);
  *out = NULL;
  _cleanup_free_ char *p = jpath (path, key);
  if (v == NULL || YAJL_IS_NULL (v))
    return required ? perr (c, p, "required") : 0;
  bool ok = (strcmp (want, "string") == 0 && YAJL_IS_STRING (v)) || (strcmp (want, "object") == 0 && YAJL_IS_OBJECT (v))
            || (strcmp (want, "array") == 0 && YAJL_IS_ARRAY (v))
            || (strcmp (want, "integer") == 0 && YAJL_IS_INTEGER (v))
            || (strcmp (want, "boolean") == 0 && (YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v)));
  if (!ok)
    return perr (c, p, "expected %s %s, got %s", strcmp (want, "object") == 0 || strcmp (want, "array") == 0 || strcmp (want, "integer") == 0 ? "an" : "a", want, jkind (v));
  *out = v;
  return 0;
}

static int
f_str (struct pctx *c, yajl_val obj, const char *path, const char *key, bool required, char **out)
{
  yajl_val v;
  int r = f_val (c, obj, path, key, "string", required, &v);
  if (r < 0 || v == NULL)
    return r;
  *out = al_xstrdup (YAJL_GET_STRING (v));
  return 0;
}

static int
f_int (struct pctx *c, yajl_val obj, const char *path, const char *key, bool required, long long min, long long max,
       long long *out, bool *has)
{
  yajl_val v;
  int r = f_val (c, obj, path, key, "integer", required, &v);
  if (has)
    *has = v != NULL;
  if (r < 0 || v == NULL)
    return r;
  long long x = YAJL_GET_INTEGER (v);
  if (x < min || x > max)
    {
      _cleanup_free_ char *p = jpath (path, key);
      return perr (c, p, "%lld is out of range (%lld-%lld)", x, min, max);
    }
  *out = x;
  return 0;
}

static int
f_bool (struct pctx *c, yajl_val obj, const char *path, const char *key, bool *out)
{
  yajl_val v;
  int r = f_val (c, obj, path, key, "boolean", false, &v);
  if (r < 0 || v == NULL)
    return r;
  *out = YAJL_IS_TRUE (v);
  return 0;
}

/* An array of strings, NULL terminated (empty array: an empty vector). */
static int
f_strv (struct pctx *c, yajl_val obj, const char *path, const char *key, bool required, bool absolute, char ***out)
{
  yajl_val v;
  int r = f_val (c, obj, path, key, "array", required, &v);
  if (r < 0 || v == NULL)
    return r;
  size_t n = v->u.array.len;
  char **s = al_xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    {
      yajl_val e = v->u.array.values[i];
      if (!YAJL_IS_STRING (e) || (absolute && YAJL_GET_STRING (e)[0] != '/') || YAJL_GET_STRING (e)[0] == '\0')
        {
          _cleanup_free_ char *p = jpath (path, key);
          al_strv_free (s);
          return perr (c, p, "[%zu]: expected %s, got %s", i, absolute ? "an absolute path" : "a non-empty string",
                       jkind (e));
        }
      s[i] = al_xstrdup (YAJL_GET_STRING (e));
    }
  *out = s;
  return 0;
}

static int
parse_idmaps (struct pctx *c, yajl_val obj, const char *path, const char *key, struct oci_id_mapping **out,
              size_t *n)
{
  static const char *const keys[] = { "containerID", "hostID", "size", NULL };
  yajl_val v;
  int r = f_val (c, obj, path, key, "array", true, &v);
  if (r < 0)
    return r;
  _cleanup_free_ char *p = jpath (path, key);
  if (v->u.array.len == 0)
    return perr (c, p, "at least one mapping is required");
  struct oci_id_mapping *m = al_xmalloc0 (v->u.array.len * sizeof (*m));
  for (size_t i = 0; i < v->u.array.len; i++)
    {
      yajl_val e = v->u.array.values[i];
      _cleanup_free_ char *ep = al_xasprintf ("%s[%zu]", p, i);
      long long cid = 0, hid = 0, size = 0;
      if (!YAJL_IS_OBJECT (e))
        r = perr (c, ep, "expected an object, got %s", jkind (e));
      else if ((r = check_keys (c, e, ep, keys)) == 0
               && (r = f_int (c, e, ep, "containerID", true, 0, UINT32_MAX, &cid, NULL)) == 0
               && (r = f_int (c, e, ep, "hostID", true, 0, UINT32_MAX, &hid, NULL)) == 0
               && (r = f_int (c, e, ep, "size", true, 1, UINT32_MAX, &size, NULL)) == 0
               && (hid + size - 1 > UINT32_MAX || cid + size - 1 > UINT32_MAX))
        r = perr (c, ep, "the range overflows 32-bit ids");
      if (r < 0)
        {
          free (m);
          return r;
        }
      m[i] = (struct oci_id_mapping){ .container_id = (uint32_t) cid, .host_id = (uint32_t) hid,
                                      .size = (uint32_t) size };
    }
  *out = m;
  *n = v->u.array.len;
  return 0;
}

static int
ns_from_name (const char *name)
{
  for (int t = 0; t < OCI_NS_COUNT; t++)
    if (strcmp (oci_ns_type_name ((enum oci_ns_type) t), name) == 0)
      return t;
  return -1;
}

static int
parse_ns_list (struct pctx *c, yajl_val obj, const char *path, const char *key, bool *set)
{
  _cleanup_strv_ char **v = NULL;
  int r = f_strv (c, obj, path, key, false, false, &v);
  if (r < 0)
    return r;
  for (size_t i = 0; v && v[i]; i++)
    {
      int t = ns_from_name (v[i]);
      if (t < 0)
        {
          _cleanup_free_ char *p = jpath (path, key);
          return perr (c, p, "[%zu]: unknown namespace type \"%s\"", i, v[i]);
        }
      set[t] = true;
    }
  return 0;
}

static int
parse_namespaces (struct pctx *c, yajl_val root, struct al_profile *p)
{
  static const char *const keys[] = { "new", "mayJoin", NULL };
  yajl_val v;
  int r = f_val (c, root, "", "namespaces", "object", true, &v);
  if (r < 0 || (r = check_keys (c, v, "namespaces", keys)) < 0
      || (r = parse_ns_list (c, v, "namespaces", "new", p->ns_new)) < 0
      || (r = parse_ns_list (c, v, "namespaces", "mayJoin", p->ns_may_join)) < 0)
    return r;
  return 0;
}

/* user.pool: {hostStart, size, slots}: slot i maps container ids
 * 0..size-1 to host ids hostStart + i*size and up. */
static int
parse_pool (struct pctx *c, yajl_val user, struct al_profile *p)
{
  static const char *const keys[] = { "hostStart", "size", "slots", NULL };
  yajl_val v;
  int r = f_val (c, user, "user", "pool", "object", false, &v);
  if (r < 0 || v == NULL)
    return r;
  long long start = 0, size = 0, slots = 0;
  if ((r = check_keys (c, v, "user.pool", keys)) < 0
      || (r = f_int (c, v, "user.pool", "hostStart", true, 1, UINT32_MAX - 1, &start, NULL)) < 0
      || (r = f_int (c, v, "user.pool", "size", true, 1, UINT32_MAX - 1, &size, NULL)) < 0
      || (r = f_int (c, v, "user.pool", "slots", true, 1, AL_PROFILE_POOL_MAX_SLOTS, &slots, NULL)) < 0)
    return r;
  /* 4294967295 is (uid_t) -1, "no id": the last usable id is one below. */
  unsigned long long last = (unsigned long long) start + (unsigned long long) size * (unsigned long long) slots - 1;
  if (last > UINT32_MAX - 1)
    return perr (c, "user.pool", "hostStart + size * slots - 1 = %llu is past the last usable id %u", last,
                 UINT32_MAX - 1);
  p->has_pool = true;
  p->pool_start = (uint32_t) start;
  p->pool_size = (uint32_t) size;
  p->pool_slots = (uint32_t) slots;
  return 0;
}

static int
parse_user (struct pctx *c, yajl_val root, struct al_profile *p)
{
  static const char *const keys[] = { "uidMappings", "gidMappings", "pool", "minHostID", NULL };
  yajl_val v;
  long long min = 1;
  bool has_min = false;
  int r = f_val (c, root, "", "user", "object", false, &v);
  if (r < 0 || v == NULL)
    {
      if (r == 0 && p->ns_new[OCI_NS_USER])
        return perr (c, "user", "required when namespaces.new has \"user\"");
      return r;
    }
  if ((r = check_keys (c, v, "user", keys)) < 0 || (r = parse_pool (c, v, p)) < 0)
    return r;
  if (p->has_pool)
    {
      /* The pool replaces fixed mappings: a fixed range would be shared by
         every container again. */
      for (const char *const *k = (const char *const[]){ "uidMappings", "gidMappings", NULL }; *k; k++)
        if (jget (v, *k))
          {
            _cleanup_free_ char *path = jpath ("user", *k);
            return perr (c, path, "not with user.pool: each container gets the mappings of its own slot");
          }
      if (!p->ns_new[OCI_NS_USER])
        return perr (c, "user.pool", "needs \"user\" in namespaces.new");
    }
  else if ((r = parse_idmaps (c, v, "user", "uidMappings", &p->uid_maps, &p->n_uid_maps)) < 0
           || (r = parse_idmaps (c, v, "user", "gidMappings", &p->gid_maps, &p->n_gid_maps)) < 0)
    return r;
  if ((r = f_int (c, v, "user", "minHostID", false, 1, UINT32_MAX, &min, &has_min)) < 0)
    return r;
  p->min_host_id = (uint32_t) min;
  if (p->has_pool && p->pool_start < p->min_host_id)
    return perr (c, "user.pool.hostStart", "%u is below user.minHostID (%u)", p->pool_start, p->min_host_id);
  for (size_t i = 0; i < p->n_uid_maps + p->n_gid_maps; i++)
    {
      bool uid = i < p->n_uid_maps;
      const struct oci_id_mapping *m = uid ? &p->uid_maps[i] : &p->gid_maps[i - p->n_uid_maps];
      if (m->host_id < p->min_host_id)
        {
          _cleanup_free_ char *path
              = al_xasprintf ("user.%s[%zu].hostID", uid ? "uidMappings" : "gidMappings", uid ? i : i - p->n_uid_maps);
          return perr (c, path, "%u is below user.minHostID (%u)", m->host_id, p->min_host_id);
        }
    }
  return 0;
}

static int
parse_scratch (struct pctx *c, yajl_val root, struct al_profile *p)
{
  static const char *const keys[] = { "destination", "size", "mode", "options", NULL };
  yajl_val v;
  int r = f_val (c, root, "", "scratch", "array", false, &v);
  if (r < 0 || v == NULL)
    return r;
  p->scratch = al_xmalloc0 ((v->u.array.len + 1) * sizeof (*p->scratch));
  for (size_t i = 0; i < v->u.array.len; i++)
    {
      yajl_val e = v->u.array.values[i];
      struct scratch *s = &p->scratch[p->n_scratch++];
      _cleanup_free_ char *ep = al_xasprintf ("scratch[%zu]", i);
      if (!YAJL_IS_OBJECT (e))
        return perr (c, ep, "expected an object, got %s", jkind (e));
      if ((r = check_keys (c, e, ep, keys)) < 0 || (r = f_str (c, e, ep, "destination", true, &s->destination)) < 0
          || (r = f_str (c, e, ep, "size", true, &s->size)) < 0 || (r = f_str (c, e, ep, "mode", false, &s->mode)) < 0
          || (r = f_strv (c, e, ep, "options", false, false, &s->options)) < 0)
        return r;
      if (s->destination[0] != '/' || strcmp (s->destination, "/") == 0)
        return perr (c, ep, "destination: \"%s\" is not an absolute path below /", s->destination);
      for (const char *q = s->size; *q; q++)
        if (!strchr ("0123456789kKmMgG%", *q))
          return perr (c, ep, "size: \"%s\" is not a tmpfs size (digits with k, m or g)", s->size);
      for (size_t j = 0; s->options && s->options[j]; j++)
        if (strchr (s->options[j], ',') || al_has_prefix (s->options[j], "size=") || al_has_prefix (s->options[j], "mode="))
          return perr (c, ep, "options[%zu]: \"%s\": one option per string; size and mode have their own keys", j,
                       s->options[j]);
    }
  return 0;
}

static int
parse_caps (struct pctx *c, yajl_val root, struct al_profile *p)
{
  _cleanup_strv_ char **v = NULL;
  int r = f_strv (c, root, "", "capabilities", true, false, &v);
  if (r < 0)
    return r;
  size_t n = al_strv_len (v);
  p->caps = al_xmalloc0 ((n + 1) * sizeof (int));
  for (size_t i = 0; i < n; i++)
    {
      int cap = al_cap_from_name (v[i]);
      if (cap < 0)
        return perr (c, "capabilities", "[%zu]: unknown capability \"%s\"", i, v[i]);
      p->caps[p->n_caps++] = cap;
    }
  return 0;
}

static bool
strv_has (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

/* ---- "deny" rules: exceptions to seccomp.allow ----------------------------
 *
 * "Allow X unless argument N matches" cannot be handed to libseccomp 2.5 as
 * such (measured with 2.5.4): an unconditional rule for a syscall silently
 * absorbs every conditional rule of another action for it (the exception
 * would vanish from the filter), a rule whose action is the default one is
 * refused (-EACCES; with a monitor the default is SCMP_ACT_NOTIFY), and one
 * rule cannot compare an argument twice (-EINVAL). So the exceptions of a
 * syscall are compiled into their complement: the values of the argument no
 * deny rule matches, as disjoint MASKED_EQ patterns on that argument, OR-ed
 * in one conditional allow (the OCI format ORs comparisons of one argument).
 * A call that matches a deny rule matches none of them and falls to the
 * default action: notified and reported with a monitor, deniedErrno
 * without. The patterns only test the bits the deny rules' masks test: with
 * a 32-bit mask the upper half of the register, which the kernel ignores for
 * a 32-bit argument, is ignored by the filter too. */

#define AL_PROFILE_MAX_DENY_RULES 32   /* per syscall */
#define AL_PROFILE_MAX_EXCEPTION_CMPS 256 /* comparisons the complement of one syscall's deny rules may take */

struct pattern
{
  uint64_t mask, value; /* x matches when (x & mask) == value */
};

/* The values below the node (mask, value) (the bits in mask decided) that
 * match none of deny[], appended to out as disjoint patterns: a walk down
 * the bits the deny patterns test, emitting each branch no deny pattern
 * reaches. It splits on the bit most of the reachable patterns test (the
 * highest of those): with exceptions on one mask (ioctl's TIOCSTI and
 * TIOCLINUX) that is 32 + 2 patterns. -E2BIG past max patterns. */
static int
allowed_patterns (const struct pattern *deny, size_t n, uint64_t mask, uint64_t value, struct pattern *out,
                  size_t *n_out, size_t max)
{
  unsigned tests[64] = { 0 };
  bool reachable = false;
  for (size_t i = 0; i < n; i++)
    {
      if ((deny[i].value ^ value) & deny[i].mask & mask)
        continue; /* a decided bit differs: deny[i] matches nothing below */
      uint64_t rest = deny[i].mask & ~mask;
      if (rest == 0)
        return 0; /* everything below matches deny[i] */
      reachable = true;
      for (unsigned b = 0; b < 64; b++)
        tests[b] += (rest >> b) & 1;
    }
  if (!reachable)
    {
      if (*n_out >= max)
        return -E2BIG;
      out[(*n_out)++] = (struct pattern){ mask, value };
      return 0;
    }
  unsigned best = 63;
  for (unsigned b = 63; b-- > 0;)
    if (tests[b] > tests[best])
      best = b;
  uint64_t bit = UINT64_C (1) << best;
  int r = allowed_patterns (deny, n, mask | bit, value, out, n_out, max);
  if (r == 0)
    r = allowed_patterns (deny, n, mask | bit, value | bit, out, n_out, max);
  return r;
}

/* The patterns of the deny rules naming `name` in rules[0..n) (at most
 * AL_PROFILE_MAX_DENY_RULES), their argument in *index. Returns the count
 * (0: no deny rule names it). */
static size_t
deny_patterns (const struct oci_seccomp_syscall *rules, size_t n, const char *name, struct pattern *out,
               uint32_t *index)
{
  size_t k = 0;
  for (size_t i = 0; i < n && k < AL_PROFILE_MAX_DENY_RULES; i++)
    if (strcmp (rules[i].action, AL_PROFILE_DENY) == 0 && strv_has (rules[i].names, name))
      {
        *index = rules[i].args[0].index;
        out[k++] = (struct pattern){ rules[i].args[0].value, rules[i].args[0].value_two };
      }
  return k;
}

/* One deny rule: a single MASKED_EQ comparison (mask in value, masked value
 * in valueTwo). */
static int
check_deny_rule (struct pctx *c, const char *ep, const struct oci_seccomp_syscall *sc)
{
  if (sc->n_args != 1)
    return perr (c, ep, "args: a \"" AL_PROFILE_DENY "\" rule has exactly one comparison, got %zu (write one rule per "
                        "exception)",
                 sc->n_args);
  const struct oci_seccomp_arg *a = &sc->args[0];
  if (strcmp (a->op, "SCMP_CMP_MASKED_EQ") != 0)
    return perr (c, ep,
                 "args[0].op: \"%s\": a \"" AL_PROFILE_DENY "\" rule compares with SCMP_CMP_MASKED_EQ (value: the mask, "
                 "4294967295 for a 32-bit argument such as ioctl's cmd, whose upper half the kernel ignores; valueTwo: "
                 "the masked value): a comparison of all 64 bits lets a caller slip past with the upper half set",
                 a->op);
  if (a->value == 0)
    return perr (c, ep, "args[0].value: the mask is 0: the rule would deny every call (leave the syscall out of "
                        "seccomp.allow instead)");
  if (!a->has_value_two)
    return perr (c, ep, "args[0].valueTwo: required (the value of the masked bits that is denied)");
  if (a->value_two & ~a->value)
    return perr (c, ep, "args[0].valueTwo: %#" PRIx64 " has bits outside the mask %#" PRIx64 ": the rule could never match",
                 a->value_two, a->value);
  return 0;
}

/* Every syscall's deny rules together: one argument, bounded. */
static int
check_deny_groups (struct pctx *c, const struct al_profile *p)
{
  for (size_t i = 0; i < p->n_rules; i++)
    {
      const struct oci_seccomp_syscall *sc = &p->rules[i];
      if (strcmp (sc->action, AL_PROFILE_DENY) != 0)
        continue;
      for (size_t j = 0; sc->names[j]; j++)
        {
          const char *name = sc->names[j];
          size_t count = 0;
          bool first = true; /* rules[i] is the first deny rule of `name` */
          for (size_t k = 0; k < p->n_rules; k++)
            {
              const struct oci_seccomp_syscall *o = &p->rules[k];
              if (strcmp (o->action, AL_PROFILE_DENY) != 0 || !strv_has (o->names, name))
                continue;
              first = first && k >= i;
              if (o->args[0].index != sc->args[0].index)
                return perr (c, "seccomp.rules",
                             "[%zu] and [%zu]: the \"" AL_PROFILE_DENY "\" rules of \"%s\" compare arguments %u and %u: "
                             "the exceptions of a syscall compare one argument",
                             i, k, name, sc->args[0].index, o->args[0].index);
              count++;
            }
          if (!first)
            continue;
          if (count > AL_PROFILE_MAX_DENY_RULES)
            return perr (c, "seccomp.rules", "\"%s\" has %zu \"" AL_PROFILE_DENY "\" rules: at most %d", name, count,
                         AL_PROFILE_MAX_DENY_RULES);
          struct pattern deny[AL_PROFILE_MAX_DENY_RULES], out[AL_PROFILE_MAX_EXCEPTION_CMPS];
          uint32_t index = 0;
          size_t n = deny_patterns (p->rules, p->n_rules, name, deny, &index), n_out = 0;
          if (allowed_patterns (deny, n, 0, 0, out, &n_out, AL_PROFILE_MAX_EXCEPTION_CMPS) < 0)
            return perr (c, "seccomp.rules",
                         "[%zu]: the exceptions of \"%s\" need more than %d comparisons in the filter: simplify them", i,
                         name, AL_PROFILE_MAX_EXCEPTION_CMPS);
        }
    }
  return 0;
}

/* libseccomp lets an unconditional rule for a syscall absorb every other
 * rule for it, silently: a name with a rule without args has no other rule. */
static int
check_unconditional (struct pctx *c, const struct al_profile *p)
{
  for (size_t i = 0; i < p->n_rules; i++)
    {
      if (p->rules[i].n_args != 0)
        continue;
      for (size_t j = 0; p->rules[i].names[j]; j++)
        for (size_t k = 0; k < p->n_rules; k++)
          if (k != i && strv_has (p->rules[k].names, p->rules[i].names[j]))
            return perr (c, "seccomp.rules", "[%zu] and [%zu] both name \"%s\", and [%zu] has no args: libseccomp "
                                             "would let it override the other one",
                         i < k ? i : k, i < k ? k : i, p->rules[i].names[j], i);
    }
  return 0;
}

static int
parse_rule (struct pctx *c, yajl_val e, const char *ep, struct oci_seccomp_syscall *sc, char **allow)
{
  static const char *const keys[] = { "names", "action", "errnoRet", "args", "comment", NULL };
  static const char *const arg_keys[] = { "index", "value", "valueTwo", "op", NULL };
  long long x = 0;
  int r;
  if (!YAJL_IS_OBJECT (e))
    return perr (c, ep, "expected an object, got %s", jkind (e));
  if ((r = check_keys (c, e, ep, keys)) < 0 || (r = f_strv (c, e, ep, "names", true, false, &sc->names)) < 0
      || (r = f_str (c, e, ep, "action", true, &sc->action)) < 0
      || (r = f_int (c, e, ep, "errnoRet", false, 0, 4095, &x, &sc->has_errno_ret)) < 0)
    return r;
  sc->errno_ret = (uint32_t) x;
  if (sc->names[0] == NULL)
    return perr (c, ep, "names: at least one syscall name is required");
  if (strcmp (sc->action, "SCMP_ACT_ALLOW") != 0 && strcmp (sc->action, "SCMP_ACT_ERRNO") != 0
      && strcmp (sc->action, "SCMP_ACT_KILL_PROCESS") != 0 && strcmp (sc->action, AL_PROFILE_DENY) != 0)
    return perr (c, ep, "action: \"%s\": a profile rule allows (SCMP_ACT_ALLOW), fails (SCMP_ACT_ERRNO), kills "
                        "(SCMP_ACT_KILL_PROCESS) or makes an exception to seccomp.allow (\"" AL_PROFILE_DENY "\"); "
                        "every other syscall is denied",
                 sc->action);
  bool deny = strcmp (sc->action, AL_PROFILE_DENY) == 0;
  for (size_t j = 0; sc->names[j]; j++)
    if (!deny && strv_has (allow, sc->names[j]))
      return perr (c, ep, "names[%zu]: \"%s\" is also in seccomp.allow: a syscall is either always allowed or has rules",
                   j, sc->names[j]);
    else if (deny && !strv_has (allow, sc->names[j]))
      return perr (c, ep,
                   "names[%zu]: \"%s\" is not in seccomp.allow: a \"" AL_PROFILE_DENY "\" rule makes an exception to "
                   "an allowed syscall (one not allowed is denied already)",
                   j, sc->names[j]);
  if (deny && sc->has_errno_ret)
    return perr (c, ep, "errnoRet: a \"" AL_PROFILE_DENY "\" rule is answered as every denied syscall is "
                        "(seccomp.deniedErrno)");

  yajl_val args;
  if ((r = f_val (c, e, ep, "args", "array", false, &args)) < 0)
    return r;
  if (args == NULL)
    return deny ? check_deny_rule (c, ep, sc) : 0;
  sc->args = al_xmalloc0 ((args->u.array.len + 1) * sizeof (*sc->args));
  for (size_t j = 0; j < args->u.array.len; j++)
    {
      yajl_val a = args->u.array.values[j];
      struct oci_seccomp_arg *arg = &sc->args[sc->n_args++];
      _cleanup_free_ char *ap = al_xasprintf ("%s.args[%zu]", ep, j);
      long long idx = 0, val = 0, two = 0;
      if (!YAJL_IS_OBJECT (a))
        return perr (c, ap, "expected an object, got %s", jkind (a));
      if ((r = check_keys (c, a, ap, arg_keys)) < 0 || (r = f_int (c, a, ap, "index", true, 0, 5, &idx, NULL)) < 0
          || (r = f_int (c, a, ap, "value", true, 0, LLONG_MAX, &val, NULL)) < 0
          || (r = f_int (c, a, ap, "valueTwo", false, 0, LLONG_MAX, &two, &arg->has_value_two)) < 0
          || (r = f_str (c, a, ap, "op", true, &arg->op)) < 0)
        return r;
      if (!strv_has ((char **) al_seccomp_operators, arg->op))
        return perr (c, ap, "op: unknown operator \"%s\"", arg->op);
      for (size_t k = 0; k < j; k++)
        if (sc->args[k].index == (uint32_t) idx)
          return perr (c, ap, "index: argument %lld is already compared by args[%zu] (one comparison per argument and "
                              "rule: write two rules)",
                       idx, k);
      arg->index = (uint32_t) idx;
      arg->value = (uint64_t) val;
      arg->value_two = (uint64_t) two;
    }
  if (deny)
    return check_deny_rule (c, ep, sc);
  return 0;
}

static int
parse_seccomp (struct pctx *c, yajl_val root, struct al_profile *p)
{
  static const char *const keys[] = { "architectures", "deniedErrno", "allow", "rules", NULL };
  yajl_val v;
  long long e = EPERM;
  int r = f_val (c, root, "", "seccomp", "object", false, &v);
  if (r < 0 || v == NULL)
    return r;
  p->has_seccomp = true;
  if ((r = check_keys (c, v, "seccomp", keys)) < 0
      || (r = f_strv (c, v, "seccomp", "architectures", false, false, &p->arches)) < 0
      || (r = f_int (c, v, "seccomp", "deniedErrno", false, 1, 4095, &e, NULL)) < 0
      || (r = f_strv (c, v, "seccomp", "allow", true, false, &p->allow)) < 0)
    return r;
  p->denied_errno = (uint32_t) e;
  for (size_t i = 0; p->arches && p->arches[i]; i++)
    if (!al_has_prefix (p->arches[i], "SCMP_ARCH_"))
      return perr (c, "seccomp.architectures", "[%zu]: unknown architecture \"%s\"", i, p->arches[i]);

  yajl_val rules;
  if ((r = f_val (c, v, "seccomp", "rules", "array", false, &rules)) < 0 || rules == NULL)
    return r;
  p->rules = al_xmalloc0 ((rules->u.array.len + 1) * sizeof (*p->rules));
  for (size_t i = 0; i < rules->u.array.len; i++)
    {
      _cleanup_free_ char *ep = al_xasprintf ("seccomp.rules[%zu]", i);
      r = parse_rule (c, rules->u.array.values[i], ep, &p->rules[p->n_rules++], p->allow);
      if (r < 0)
        return r;
    }
  if ((r = check_unconditional (c, p)) < 0 || (r = check_deny_groups (c, p)) < 0)
    return r;
  return 0;
}

static int
parse_limit (struct pctx *c, yajl_val lim, const char *name, long long min, struct limit *l)
{
  static const char *const keys[] = { "max", "fallback", "fallbackValue", NULL };
  yajl_val v;
  long long max = 0, fv = 0;
  bool has_fv = false;
  _cleanup_free_ char *path = al_xasprintf ("limits.%s", name);
  int r = f_val (c, lim, "limits", name, "object", false, &v);
  if (r < 0 || v == NULL)
    return r;
  if ((r = check_keys (c, v, path, keys)) < 0 || (r = f_int (c, v, path, "max", true, min, LLONG_MAX, &max, NULL)) < 0
      || (r = f_str (c, v, path, "fallback", false, &l->fallback_name)) < 0
      || (r = f_int (c, v, path, "fallbackValue", false, 0, LLONG_MAX, &fv, &has_fv)) < 0)
    return r;
  l->present = true;
  l->max = max;
  l->fallback = -1;
  l->fallback_value = has_fv ? (uint64_t) fv : (uint64_t) max;
  if (l->fallback_name && (l->fallback = al_rlimit_from_name (l->fallback_name)) < 0)
    return perr (c, path, "fallback: unknown rlimit \"%s\"", l->fallback_name);
  return 0;
}

static int
parse_cpu (struct pctx *c, yajl_val lim, struct cpu_limit *l)
{
  static const char *const keys[] = { "quota", "period", "fallback", "fallbackValue", NULL };
  yajl_val v;
  long long quota = 0, period = 0, fv = 0;
  bool has_fv = false;
  int r = f_val (c, lim, "limits", "cpu", "object", false, &v);
  if (r < 0 || v == NULL)
    return r;
  if ((r = check_keys (c, v, "limits.cpu", keys)) < 0
      || (r = f_int (c, v, "limits.cpu", "quota", true, 1000, LLONG_MAX, &quota, NULL)) < 0
      || (r = f_int (c, v, "limits.cpu", "period", true, 1000, 1000000, &period, NULL)) < 0
      || (r = f_str (c, v, "limits.cpu", "fallback", false, &l->fallback_name)) < 0
      || (r = f_int (c, v, "limits.cpu", "fallbackValue", false, 1, LLONG_MAX, &fv, &has_fv)) < 0)
    return r;
  l->present = true;
  l->quota = quota;
  l->period = (uint64_t) period;
  l->fallback = -1;
  l->fallback_value = (uint64_t) fv;
  if (l->fallback_name)
    {
      if ((l->fallback = al_rlimit_from_name (l->fallback_name)) < 0)
        return perr (c, "limits.cpu", "fallback: unknown rlimit \"%s\"", l->fallback_name);
      if (!has_fv)
        return perr (c, "limits.cpu", "fallbackValue: required with a fallback (RLIMIT_CPU counts seconds)");
    }
  return 0;
}

static int
parse_limits (struct pctx *c, yajl_val root, struct al_profile *p)
{
  static const char *const keys[] = { "pids", "memory", "cpu", "rlimits", NULL };
  static const char *const rl_keys[] = { "type", "soft", "hard", NULL };
  yajl_val v, rl;
  int r = f_val (c, root, "", "limits", "object", false, &v);
  if (r < 0 || v == NULL)
    return r;
  if ((r = check_keys (c, v, "limits", keys)) < 0 || (r = parse_limit (c, v, "pids", 1, &p->pids)) < 0
      || (r = parse_limit (c, v, "memory", 1 << 20, &p->memory)) < 0 || (r = parse_cpu (c, v, &p->cpu)) < 0
      || (r = f_val (c, v, "limits", "rlimits", "array", false, &rl)) < 0 || rl == NULL)
    return r;
  p->rlimits = al_xmalloc0 ((rl->u.array.len + 1) * sizeof (*p->rlimits));
  for (size_t i = 0; i < rl->u.array.len; i++)
    {
      yajl_val e = rl->u.array.values[i];
      struct oci_rlimit *l = &p->rlimits[p->n_rlimits++];
      _cleanup_free_ char *ep = al_xasprintf ("limits.rlimits[%zu]", i);
      long long soft = 0, hard = 0;
      if (!YAJL_IS_OBJECT (e))
        return perr (c, ep, "expected an object, got %s", jkind (e));
      if ((r = check_keys (c, e, ep, rl_keys)) < 0 || (r = f_str (c, e, ep, "type", true, &l->type)) < 0
          || (r = f_int (c, e, ep, "soft", true, 0, LLONG_MAX, &soft, NULL)) < 0
          || (r = f_int (c, e, ep, "hard", true, 0, LLONG_MAX, &hard, NULL)) < 0)
        return r;
      if ((l->resource = al_rlimit_from_name (l->type)) < 0)
        return perr (c, ep, "type: unknown rlimit \"%s\"", l->type);
      if (soft > hard)
        return perr (c, ep, "soft %lld is above hard %lld", soft, hard);
      for (size_t j = 0; j < i; j++)
        if (p->rlimits[j].resource == l->resource)
          return perr (c, ep, "type: %s is also at limits.rlimits[%zu]", l->type, j);
      l->soft = (uint64_t) soft;
      l->hard = (uint64_t) hard;
    }
  return 0;
}

static int
parse_devices (struct pctx *c, yajl_val root, struct al_profile *p)
{
  static const char *const keys[] = { "path", "type", "major", "minor", NULL };
  yajl_val v;
  int r = f_val (c, root, "", "devices", "array", false, &v);
  if (r < 0 || v == NULL)
    return r;
  p->devices = al_xmalloc0 ((v->u.array.len + 1) * sizeof (*p->devices));
  for (size_t i = 0; i < v->u.array.len; i++)
    {
      yajl_val e = v->u.array.values[i];
      struct allowed_dev *d = &p->devices[p->n_devices++];
      _cleanup_free_ char *ep = al_xasprintf ("devices[%zu]", i);
      _cleanup_free_ char *type = NULL;
      long long major = 0, minor = 0;
      if (!YAJL_IS_OBJECT (e))
        return perr (c, ep, "expected an object, got %s", jkind (e));
      if ((r = check_keys (c, e, ep, keys)) < 0 || (r = f_str (c, e, ep, "path", true, &d->path)) < 0
          || (r = f_str (c, e, ep, "type", true, &type)) < 0
          || (r = f_int (c, e, ep, "major", true, 0, UINT32_MAX, &major, NULL)) < 0
          || (r = f_int (c, e, ep, "minor", true, -1, UINT32_MAX, &minor, NULL)) < 0)
        return r;
      if (strcmp (type, "c") != 0 && strcmp (type, "b") != 0)
        return perr (c, ep, "type: \"%s\": expected \"c\" or \"b\"", type);
      d->type = type[0];
      d->major = major;
      d->minor = minor;
    }
  return 0;
}

static int
parse_root (struct pctx *c, yajl_val root, struct al_profile *p)
{
  static const char *const keys[] = { "name", "description", "timeoutSeconds", "namespaces", "user",
                                      "readonlyRootfs", "noNewPrivileges", "scratch", "capabilities", "seccomp",
                                      "limits", "maskedPaths", "readonlyPaths", "mountTypes", "deniedHostPaths",
                                      "devices", "writableBinds", "comment", NULL };
  long long timeout = 0;
  _cleanup_free_ char *wb = NULL;
  int r;
  if (!YAJL_IS_OBJECT (root))
    return perr (c, NULL, "expected a JSON object, got %s", jkind (root));
  if ((r = check_keys (c, root, "", keys)) < 0 || (r = f_str (c, root, "", "name", true, &p->name)) < 0
      || (r = f_str (c, root, "", "description", false, &p->description)) < 0
      || (r = f_int (c, root, "", "timeoutSeconds", false, 0, 365LL * 24 * 3600, &timeout, NULL)) < 0
      || (r = parse_namespaces (c, root, p)) < 0 || (r = parse_user (c, root, p)) < 0
      || (r = f_bool (c, root, "", "readonlyRootfs", &p->readonly_root)) < 0
      || (r = f_bool (c, root, "", "noNewPrivileges", &p->no_new_privileges)) < 0
      || (r = parse_scratch (c, root, p)) < 0 || (r = parse_caps (c, root, p)) < 0
      || (r = parse_seccomp (c, root, p)) < 0 || (r = parse_limits (c, root, p)) < 0
      || (r = f_strv (c, root, "", "maskedPaths", false, true, &p->masked)) < 0
      || (r = f_strv (c, root, "", "readonlyPaths", false, true, &p->readonly)) < 0
      || (r = f_strv (c, root, "", "mountTypes", true, false, &p->mount_types)) < 0
      || (r = f_strv (c, root, "", "deniedHostPaths", false, true, &p->denied_host_paths)) < 0
      || (r = parse_devices (c, root, p)) < 0 || (r = f_str (c, root, "", "writableBinds", false, &wb)) < 0)
    return r;
  if (wb && strcmp (wb, "readonly") == 0)
    p->writable_binds_readonly = true;
  else if (wb && strcmp (wb, "userns") == 0)
    p->writable_binds_readonly = p->writable_binds_userns = true;
  else if (wb && strcmp (wb, "refuse") != 0)
    return perr (c, "writableBinds", "\"%s\": expected \"refuse\", \"readonly\" or \"userns\"", wb);
  if (p->writable_binds_userns && !p->has_pool)
    return perr (c, "writableBinds", "\"userns\" needs user.pool: writable binds are kept for pool ids only");
  p->timeout_ms = (uint64_t) timeout * 1000;
  for (const char *q = p->name; *q; q++)
    if (!strchr ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *q))
      return perr (c, "name", "\"%s\": only letters, digits, '_', '.' and '-'", p->name);
  if (p->name[0] == '\0' || p->name[0] == '.')
    return perr (c, "name", "\"%s\": empty or starting with '.'", p->name);
  if (p->ns_new[OCI_NS_USER] && p->n_uid_maps == 0 && !p->has_pool)
    return perr (c, "user", "required when namespaces.new has \"user\"");
  /* A pool's slot may be shared by a pod's containers: the sandbox's user
     namespace, joined by the others (a joined one must map a held slot). */
  if (p->ns_new[OCI_NS_USER] && p->ns_may_join[OCI_NS_USER] && !p->has_pool)
    return perr (c, "namespaces.mayJoin", "\"user\": the user namespace with the profile's mappings is always new "
                                          "(joining one needs user.pool)");
  return 0;
}

int
al_profile_parse (const char *file, const char *text, size_t len, struct al_profile **out, al_error_t *err)
{
  char ebuf[256] = "";
  struct pctx c = { .file = file, .err = err };
  *out = NULL;
  if (len > AL_PROFILE_MAX_SIZE)
    return al_err (err, 0, "%s: %zu bytes is more than the %u allowed", file, len, AL_PROFILE_MAX_SIZE);
  yajl_val root = al_json_tree_parse (text, len, ebuf, sizeof ebuf);
  if (root == NULL)
    {
      for (char *q = ebuf; *q; q++)
        if (*q == '\n')
          *q = ' ';
      return al_err (err, 0, "%s: invalid JSON: %s", file, ebuf[0] ? ebuf : "parse error");
    }
  struct al_profile *p = al_xmalloc0 (sizeof (*p));
  p->file = al_xstrdup (file);
  p->denied_errno = EPERM;
  int r = parse_root (&c, root, p);
  yajl_tree_free (root);
  if (r < 0)
    {
      al_profile_free (p);
      return r;
    }
  *out = p;
  return 0;
}

static bool
valid_name (const char *n)
{
  if (n[0] == '\0' || n[0] == '.')
    return false;
  for (; *n; n++)
    if (!strchr ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *n))
      return false;
  return true;
}

int
al_profile_load (const char *name_or_path, struct al_profile **out, al_error_t *err)
{
  *out = NULL;
  size_t nl = strlen (name_or_path);
  bool is_path = strchr (name_or_path, '/') || (nl > 5 && strcmp (name_or_path + nl - 5, ".json") == 0);
  _cleanup_free_ char *file = NULL;
  if (is_path)
    file = al_xstrdup (name_or_path);
  else
    {
      if (!valid_name (name_or_path))
        return al_err (err, 0, "profile \"%s\": invalid profile name (letters, digits, '_', '.', '-')", name_or_path);
      char *dirs[3] = { NULL, NULL, NULL };
      const char *env = getenv ("AIRLOCK_PROFILES_DIR");
      if (env && *env)
        dirs[0] = al_xstrdup (env);
      dirs[1] = al_xstrdup (AL_PROFILES_DIR);
      char exe[PATH_MAX];
      ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
      if (n > 0)
        {
          exe[n] = '\0';
          dirs[2] = al_xasprintf ("%s/../specs/profiles", dirname (exe));
        }
      _cleanup_free_ char *tried = NULL;
      for (int i = 0; i < 3 && file == NULL; i++)
        {
          if (dirs[i] == NULL)
            continue;
          char *cand = al_xasprintf ("%s/%s.json", dirs[i], name_or_path);
          if (access (cand, F_OK) == 0)
            file = cand;
          else
            {
              char *t = tried ? al_xasprintf ("%s, %s", tried, dirs[i]) : al_xstrdup (dirs[i]);
              free (tried);
              tried = t;
              free (cand);
            }
        }
      for (int i = 0; i < 3; i++)
        free (dirs[i]);
      if (file == NULL)
        return al_err (err, ENOENT, "profile \"%s\": no %s.json in %s (set AIRLOCK_PROFILES_DIR)", name_or_path,
                       name_or_path, tried ? tried : "any profiles directory");
    }

  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r = al_read_file_at (AT_FDCWD, file, AL_PROFILE_MAX_SIZE, &text, &len, err);
  if (r < 0)
    return r;
  if (strlen (text) != len)
    return al_err (err, 0, "%s: invalid JSON: a NUL byte in the file", file);
  struct al_profile *p = NULL;
  r = al_profile_parse (file, text, len, &p, err);
  if (r < 0)
    return r;
  if (!is_path && strcmp (p->name, name_or_path) != 0)
    {
      al_profile_free (p);
      return al_err (err, 0, "%s: name: \"%s\" does not match the file name (profile \"%s\")", file, p->name,
                     name_or_path);
    }
  *out = p;
  return 0;
}

void
al_profile_free (struct al_profile *p)
{
  if (p == NULL)
    return;
  free (p->file);
  free (p->name);
  free (p->description);
  free (p->uid_maps);
  free (p->gid_maps);
  for (size_t i = 0; i < p->n_scratch; i++)
    {
      free (p->scratch[i].destination);
      free (p->scratch[i].size);
      free (p->scratch[i].mode);
      al_strv_free (p->scratch[i].options);
    }
  free (p->scratch);
  free (p->caps);
  al_strv_free (p->arches);
  al_strv_free (p->allow);
  for (size_t i = 0; i < p->n_rules; i++)
    {
      al_strv_free (p->rules[i].names);
      free (p->rules[i].action);
      for (size_t j = 0; j < p->rules[i].n_args; j++)
        free (p->rules[i].args[j].op);
      free (p->rules[i].args);
    }
  free (p->rules);
  free (p->pids.fallback_name);
  free (p->memory.fallback_name);
  free (p->cpu.fallback_name);
  for (size_t i = 0; i < p->n_rlimits; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  al_strv_free (p->masked);
  al_strv_free (p->readonly);
  al_strv_free (p->mount_types);
  al_strv_free (p->denied_host_paths);
  for (size_t i = 0; i < p->n_devices; i++)
    free (p->devices[i].path);
  free (p->devices);
  free (p);
}

void
al_profile_freep (struct al_profile **p)
{
  if (p && *p)
    {
      al_profile_free (*p);
      *p = NULL;
    }
}

/* ----------------------------------------------------------- checking -- */

static int perr_apply (const struct al_profile *p, al_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
perr_apply (const struct al_profile *p, al_error_t *err, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  return al_err (err, 0, "profile \"%s\": %s", p->name, msg ? msg : "conflict");
}

/* Same namespace as /proc/1/ns/TYPE or our own: the host's. */
static bool
is_host_ns (const char *path, enum oci_ns_type t)
{
  static const char *const proc_names[OCI_NS_COUNT]
      = { [OCI_NS_PID] = "pid",   [OCI_NS_NETWORK] = "net", [OCI_NS_MOUNT] = "mnt",   [OCI_NS_IPC] = "ipc",
          [OCI_NS_UTS] = "uts",   [OCI_NS_USER] = "user",   [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time" };
  struct stat a, b;
  if (al_has_prefix (path, "/proc/1/ns/"))
    return true; /* pid 1 is the host's init, even where we cannot stat it */
  if (stat (path, &a) < 0)
    return false;
  const char *who[] = { "1", "self" };
  for (size_t i = 0; i < 2; i++)
    {
      char host[64];
      snprintf (host, sizeof host, "/proc/%s/ns/%s", who[i], proc_names[t]);
      if (stat (host, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        return true;
    }
  return false;
}

static int
check_namespaces (const struct al_profile *p, const struct oci_spec *spec, al_error_t *err)
{
  const struct oci_linux *l = spec->linux_;
  for (size_t i = 0; l && i < l->n_namespaces; i++)
    {
      const struct oci_namespace *ns = &l->namespaces[i];
      if (ns->path == NULL || !p->ns_new[ns->type])
        continue;
      const char *tn = oci_ns_type_name (ns->type);
      if (is_host_ns (ns->path, ns->type))
        return perr_apply (p, err, "linux.namespaces[%zu]: joins the host's %s namespace (%s): the profile needs a new one",
                           i, tn, ns->path);
      if (!p->ns_may_join[ns->type])
        return perr_apply (p, err,
                           "linux.namespaces[%zu]: joins an existing %s namespace (%s): the profile needs a new one", i,
                           tn, ns->path);
      /* Its maps, repeated in the config, are checked as the config's own
         (a held slot of the pool, or ids the profile allows); create checks
         they are the joined namespace's (namespaces.c). */
      if (ns->type == OCI_NS_USER && (l->n_uid_mappings == 0 || l->n_gid_mappings == 0))
        return perr_apply (p, err,
                           "linux.namespaces[%zu]: joins the user namespace %s: the profile needs its maps in "
                           "linux.uidMappings and linux.gidMappings too (checked against the joined namespace's)",
                           i, ns->path);
    }
  return 0;
}

/* m is exactly one slot of the profile's pool (container 0 up), and the
   slot is taken by an owner that still holds it (idpool.h). */
static bool
pool_slot_held (const struct al_profile *p, const struct oci_id_mapping *m)
{
  if (m->container_id != 0 || m->size != p->pool_size || m->host_id < p->pool_start
      || (m->host_id - p->pool_start) % p->pool_size != 0 || (m->host_id - p->pool_start) / p->pool_size >= p->pool_slots)
    return false;
  struct al_idpool pool;
  if (!al_idpool_from_profile (p, &pool))
    return false;
  bool held = al_idpool_slot_held (&pool, m->host_id);
  al_idpool_clear (&pool);
  return held;
}

static int
check_idmaps (const struct al_profile *p, const char *key, const struct oci_id_mapping *m, size_t n, al_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      uint64_t last = (uint64_t) m[i].host_id + (m[i].size ? m[i].size : 1) - 1;
      if (m[i].host_id < p->min_host_id || last > UINT32_MAX)
        return perr_apply (p, err, "linux.%s[%zu]: maps host ids %u-%" PRIu64 ": the profile allows only host ids from %u",
                           key, i, m[i].host_id, last, p->min_host_id);
      /* The pool's ranges are its slots' alone: a config mapping into one
         would share ids with the container that has that slot. */
      uint64_t pool_last = (uint64_t) p->pool_start + (uint64_t) p->pool_size * p->pool_slots - 1;
      if (p->has_pool && m[i].host_id <= pool_last && last >= p->pool_start && pool_slot_held (p, &m[i]))
        continue; /* a slot taken for a pod (the shim's podns.c): its containers share it */
      if (p->has_pool && m[i].host_id <= pool_last && last >= p->pool_start)
        return perr_apply (p, err,
                           "linux.%s[%zu]: maps host ids %u-%" PRIu64 ", inside the profile's id pool (user.pool: %u-%"
                           PRIu64 "), whose ranges are given to one container each: leave the mappings out to get one",
                           key, i, m[i].host_id, last, p->pool_start, pool_last);
    }
  return 0;
}

/* "/a/b/" -> "/a/b"; keeps "/". The caller frees. */
static char *
norm_path (const char *s)
{
  char *o = al_xmalloc0 (strlen (s) + 2);
  size_t k = 0;
  for (const char *q = s; *q; q++)
    {
      if (*q == '/' && k > 0 && o[k - 1] == '/')
        continue;
      if (*q == '.' && k > 0 && o[k - 1] == '/' && (q[1] == '/' || q[1] == '\0'))
        {
          q += q[1] == '/';
          continue;
        }
      o[k++] = *q;
    }
  while (k > 1 && o[k - 1] == '/')
    k--;
  o[k] = '\0';
  return o;
}

/* a is b or below it */
static bool
path_within (const char *a, const char *b)
{
  size_t n = strlen (b);
  if (strcmp (b, "/") == 0)
    return true;
  return strncmp (a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

static bool
is_bind (const struct oci_mount *m, const struct al_mount_flags *f)
{
  return f->bind || (m->type && (strcmp (m->type, "bind") == 0 || strcmp (m->type, "rbind") == 0));
}

static bool
is_rbind (const struct oci_mount *m, const struct al_mount_flags *f)
{
  return f->recursive_bind || (m->type && strcmp (m->type, "rbind") == 0);
}

static const struct scratch *
scratch_at (const struct al_profile *p, const char *dest)
{
  _cleanup_free_ char *d = norm_path (dest);
  for (size_t i = 0; i < p->n_scratch; i++)
    if (strcmp (p->scratch[i].destination, d) == 0)
      return &p->scratch[i];
  return NULL;
}

static int
check_mounts (const struct al_profile *p, const struct oci_spec *spec, al_error_t *err)
{
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const struct oci_mount *m = &spec->mounts[i];
      struct al_mount_flags f;
      al_mount_flags_parse (m->options, &f, NULL);
      al_mount_flags_free (&f);
      const char *src = m->source ? m->source : "none";
      if (is_bind (m, &f))
        {
          bool rdonly = ((f.flags | f.rec_flags) & MS_RDONLY) != 0;
          /* writableBinds "readonly": tightened to ro below instead. */
          if (!rdonly && !p->writable_binds_readonly)
            return perr_apply (p, err,
                               "mounts[%zu] (%s -> %s): a writable bind mount of a host path: the profile allows host "
                               "paths read-only only (add \"ro\")",
                               i, src, m->destination);
          _cleanup_free_ char *s = norm_path (src);
          for (size_t j = 0; p->denied_host_paths && p->denied_host_paths[j]; j++)
            {
              const char *d = p->denied_host_paths[j];
              if (path_within (s, d))
                return perr_apply (p, err, "mounts[%zu] (%s -> %s): binds %s, which the profile keeps from containers", i,
                                   src, m->destination, d);
              if (is_rbind (m, &f) && path_within (d, s))
                return perr_apply (p, err,
                                   "mounts[%zu] (%s -> %s): a recursive bind of %s would bring %s, which the profile "
                                   "keeps from containers",
                                   i, src, m->destination, s, d);
            }
          /* The container's own mapping only (made read-only below): one
             of the mount's own could make container root anyone on the host. */
          if (m->n_uid_mappings || m->n_gid_mappings)
            return perr_apply (p, err,
                               "mounts[%zu] (%s -> %s): idmapped bind mounts with mappings of their own are not allowed by "
                               "the profile (the \"idmap\" option alone maps by the container's user namespace)",
                               i, src, m->destination);
          continue;
        }
      const char *type = m->type ? m->type : "";
      if (!strv_has (p->mount_types, type))
        {
          _cleanup_free_ char *allowed = al_xstrdup ("");
          for (size_t j = 0; p->mount_types[j]; j++)
            {
              char *t = al_xasprintf ("%s%s%s", allowed, j ? ", " : "", p->mount_types[j]);
              free (allowed);
              allowed = t;
            }
          return perr_apply (p, err, "mounts[%zu] (%s -> %s): mount type \"%s\" is not allowed by the profile (allowed: %s, "
                                     "and read-only binds)",
                             i, src, m->destination, type, allowed);
        }
    }
  return 0;
}

static const struct allowed_dev *
find_dev (const struct al_profile *p, char type, int64_t major, int64_t minor)
{
  /* minor -1 in the profile: every minor of that major (e.g. the pty
     slaves, c 136:*), for cgroup rules only (a linux.devices node must
     match a listed path). */
  for (size_t i = 0; i < p->n_devices; i++)
    if (p->devices[i].type == type && p->devices[i].major == major
        && (p->devices[i].minor == minor || p->devices[i].minor == -1))
      return &p->devices[i];
  return NULL;
}

static int
check_devices (const struct al_profile *p, const struct oci_linux *l, al_error_t *err)
{
  for (size_t i = 0; i < l->n_devices; i++)
    {
      const struct oci_device *d = &l->devices[i];
      const struct allowed_dev *a = find_dev (p, d->type, d->major, d->minor);
      if (a == NULL || strcmp (a->path, d->path) != 0)
        return perr_apply (p, err, "linux.devices[%zu] (%s %c %" PRId64 ":%" PRId64 "): not one of the profile's devices", i,
                           d->path, d->type, d->major, d->minor);
    }
  const struct oci_resources *res = l->resources;
  for (size_t i = 0; res && i < res->n_devices; i++)
    {
      const struct oci_device_cgroup *d = &res->devices[i];
      const char *access = d->access ? d->access : "rwm";
      if (!d->allow || (strchr (access, 'r') == NULL && strchr (access, 'w') == NULL))
        continue; /* denying, or mknod only (needs CAP_MKNOD, which no container has) */
      if (d->type == 'a' || d->major < 0 || find_dev (p, d->type, d->major, d->minor) == NULL)
        {
          char maj[24] = "*", min[24] = "*";
          if (d->major >= 0)
            snprintf (maj, sizeof maj, "%" PRId64, d->major);
          if (d->minor >= 0)
            snprintf (min, sizeof min, "%" PRId64, d->minor);
          return perr_apply (p, err, "linux.resources.devices[%zu]: allows \"%s\" access to %c %s:%s: not one of the "
                                     "profile's devices",
                             i, access, d->type, maj, min);
        }
    }
  return 0;
}

static int
check_unified (const struct al_profile *p, const struct oci_resources *res, al_error_t *err)
{
  for (size_t i = 0; res && i < res->n_unified; i++)
    {
      const char *k = res->unified[i].key;
      if ((p->pids.present && al_has_prefix (k, "pids.")) || (p->memory.present && al_has_prefix (k, "memory."))
          || (p->cpu.present && al_has_prefix (k, "cpu.")))
        return perr_apply (p, err, "linux.resources.unified[\"%s\"]: the profile sets this limit itself (use "
                                   "linux.resources.pids, memory or cpu)",
                           k);
    }
  return 0;
}

static int
check (const struct al_profile *p, const struct oci_spec *spec, al_error_t *err)
{
  int r;
  if ((r = check_namespaces (p, spec, err)) < 0 || (r = check_mounts (p, spec, err)) < 0)
    return r;
  const struct oci_linux *l = spec->linux_;
  if (l == NULL)
    return 0;
  bool ids = p->n_uid_maps || p->has_pool;
  if (ids && ((r = check_idmaps (p, "uidMappings", l->uid_mappings, l->n_uid_mappings, err)) < 0
              || (r = check_idmaps (p, "gidMappings", l->gid_mappings, l->n_gid_mappings, err)) < 0))
    return r;
  if (ids && (l->n_uid_mappings == 0) != (l->n_gid_mappings == 0))
    return perr_apply (p, err, "linux.%s: the config maps only %s ids: give both or neither",
                       l->n_uid_mappings ? "gidMappings" : "uidMappings", l->n_uid_mappings ? "user" : "group");
  if ((r = check_devices (p, l, err)) < 0 || (r = check_unified (p, l->resources, err)) < 0)
    return r;
  return 0;
}

/* --------------------------------------------------------- tightening -- */

#define GROW(arr, n) ((arr) = al_xrealloc ((arr), ((n) + 1) * sizeof (*(arr))))

static void *
al_xrealloc (void *p, size_t n)
{
  void *q = realloc (p, n ? n : 1);
  if (q == NULL)
    abort (); /* as al_xmalloc0 */
  return q;
}

static void
strv_append (char ***v, const char *s)
{
  size_t n = al_strv_len (*v);
  *v = al_xrealloc (*v, (n + 2) * sizeof (char *));
  (*v)[n] = al_xstrdup (s);
  (*v)[n + 1] = NULL;
}

static char **
strv_dup (char *const *v)
{
  size_t n = al_strv_len (v);
  char **o = al_xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    o[i] = al_xstrdup (v[i]);
  return o;
}

static void
tighten_namespaces (const struct al_profile *p, struct oci_linux *l)
{
  for (int t = 0; t < OCI_NS_COUNT; t++)
    {
      if (!p->ns_new[t])
        continue;
      bool found = false;
      for (size_t i = 0; i < l->n_namespaces && !found; i++)
        found = l->namespaces[i].type == (enum oci_ns_type) t;
      if (found)
        continue;
      GROW (l->namespaces, l->n_namespaces);
      l->namespaces[l->n_namespaces++] = (struct oci_namespace){ .type = (enum oci_ns_type) t, .path = NULL };
    }
  if (p->n_uid_maps && l->n_uid_mappings == 0 && l->n_gid_mappings == 0)
    {
      l->uid_mappings = al_xmalloc0 (p->n_uid_maps * sizeof (*l->uid_mappings));
      memcpy (l->uid_mappings, p->uid_maps, p->n_uid_maps * sizeof (*l->uid_mappings));
      l->n_uid_mappings = p->n_uid_maps;
      l->gid_mappings = al_xmalloc0 (p->n_gid_maps * sizeof (*l->gid_mappings));
      memcpy (l->gid_mappings, p->gid_maps, p->n_gid_maps * sizeof (*l->gid_mappings));
      l->n_gid_mappings = p->n_gid_maps;
    }
}

static char **
scratch_options (const struct scratch *s)
{
  char **o = strv_dup (s->options);
  if (s->mode)
    {
      _cleanup_free_ char *m = al_xasprintf ("mode=%s", s->mode);
      strv_append (&o, m);
    }
  _cleanup_free_ char *z = al_xasprintf ("size=%s", s->size);
  strv_append (&o, z);
  return o;
}

static void
mount_clear (struct oci_mount *m)
{
  free (m->destination);
  free (m->type);
  free (m->source);
  al_strv_free (m->options);
  free (m->uid_mappings);
  free (m->gid_mappings);
  memset (m, 0, sizeof (*m));
}

static void
set_scratch (struct oci_mount *m, const struct scratch *s)
{
  mount_clear (m);
  m->destination = al_xstrdup (s->destination);
  m->type = al_xstrdup ("tmpfs");
  m->source = al_xstrdup ("tmpfs");
  m->options = scratch_options (s);
}

static void
ensure_option (struct oci_mount *m, const char *opt)
{
  if (!strv_has (m->options, opt))
    strv_append (&m->options, opt);
}

/* Drop every "rw"/"rrw": the "ro" added after must win whatever the order. */
static void
remove_writable_options (struct oci_mount *m)
{
  size_t k = 0;
  for (size_t i = 0; m->options && m->options[i]; i++)
    {
      if (strcmp (m->options[i], "rw") == 0 || strcmp (m->options[i], "rrw") == 0)
        free (m->options[i]);
      else
        m->options[k++] = m->options[i];
    }
  if (m->options)
    m->options[k] = NULL;
}

/* For the mount code, which checks every bind source on the fd it mounts
   (bindcheck.h): the checks above see the source as written only. */
static void
set_bind_policy (const struct al_profile *p, struct oci_spec *spec)
{
  struct al_bind_policy *b = spec->bind_policy;
  if (b == NULL)
    b = spec->bind_policy = al_xmalloc0 (sizeof (*b));
  free (b->profile);
  al_strv_free (b->denied_paths);
  b->profile = al_xstrdup (p->name);
  b->denied_paths = strv_dup (p->denied_host_paths);
}

static void
tighten_mounts (const struct al_profile *p, struct oci_spec *spec)
{
  bool *have = al_xmalloc0 ((p->n_scratch + 1) * sizeof (bool));
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      struct oci_mount *m = &spec->mounts[i];
      struct al_mount_flags f;
      al_mount_flags_parse (m->options, &f, NULL);
      al_mount_flags_free (&f);
      const struct scratch *s = scratch_at (p, m->destination);
      if (s)
        have[s - p->scratch] = true;
      if (is_bind (m, &f))
        {
          /* Read-only (checked, or made so: writableBinds "readonly") on every
             submount too, never setuid or devices. writableBinds "userns"
             keeps a bind writable for the pool's unprivileged host ids, but
             not an idmapped one: through it container root writes as the
             files' host owner. */
          bool keep_rw = p->writable_binds_userns && !f.idmap && !(((f.flags | f.rec_flags) & MS_RDONLY) != 0);
          if (!keep_rw)
            remove_writable_options (m);
          if (is_rbind (m, &f))
            {
              if (!keep_rw)
                ensure_option (m, "rro");
              ensure_option (m, "rnosuid");
              ensure_option (m, "rnodev");
            }
          if (!keep_rw)
            ensure_option (m, "ro");
          ensure_option (m, "nosuid");
          ensure_option (m, "nodev");
        }
      else if (s && m->type && strcmp (m->type, "tmpfs") == 0)
        set_scratch (m, s); /* the profile's size bound wins */
      else
        {
          ensure_option (m, "nosuid");
          if (m->type && (strcmp (m->type, "sysfs") == 0 || al_has_prefix (m->type, "cgroup")))
            ensure_option (m, "ro");
        }
    }
  for (size_t i = 0; i < p->n_scratch; i++)
    {
      if (have[i])
        continue;
      GROW (spec->mounts, spec->n_mounts);
      struct oci_mount *m = &spec->mounts[spec->n_mounts++];
      memset (m, 0, sizeof (*m));
      set_scratch (m, &p->scratch[i]);
    }
  free (have);
}

static size_t
intersect_caps (const struct al_profile *p, struct oci_cap_set *s)
{
  size_t k = 0, dropped = 0;
  for (size_t i = 0; i < s->n; i++)
    {
      bool ok = false;
      for (size_t j = 0; j < p->n_caps && !ok; j++)
        ok = p->caps[j] == s->caps[i];
      if (ok)
        s->caps[k++] = s->caps[i];
      else
        dropped++;
    }
  s->n = k;
  s->present = true;
  return dropped;
}

static void
set_rlimit (struct oci_process *proc, int resource, const char *name, uint64_t soft, uint64_t hard)
{
  for (size_t i = 0; i < proc->n_rlimits; i++)
    {
      struct oci_rlimit *rl = &proc->rlimits[i];
      if (rl->resource != resource)
        continue;
      if (hard < rl->hard)
        rl->hard = hard;
      if (soft < rl->soft)
        rl->soft = soft;
      if (rl->soft > rl->hard)
        rl->soft = rl->hard;
      return;
    }
  GROW (proc->rlimits, proc->n_rlimits);
  proc->rlimits[proc->n_rlimits++]
      = (struct oci_rlimit){ .resource = resource, .type = al_xstrdup (name), .soft = soft, .hard = hard };
}

static uint64_t
rlimit_value (const struct oci_process *proc, int resource, uint64_t fallback)
{
  for (size_t i = 0; proc && i < proc->n_rlimits; i++)
    if (proc->rlimits[i].resource == resource)
      return proc->rlimits[i].hard;
  return fallback;
}

static size_t
tighten_process (const struct al_profile *p, struct oci_process *proc)
{
  size_t dropped = 0;
  struct oci_capabilities *c = &proc->capabilities;
  dropped += intersect_caps (p, &c->bounding);
  intersect_caps (p, &c->effective);
  intersect_caps (p, &c->inheritable);
  intersect_caps (p, &c->permitted);
  intersect_caps (p, &c->ambient);
  proc->has_capabilities = true;
  if (p->no_new_privileges)
    proc->no_new_privileges = true;
  for (size_t i = 0; i < p->n_rlimits; i++)
    set_rlimit (proc, p->rlimits[i].resource, p->rlimits[i].type, p->rlimits[i].soft, p->rlimits[i].hard);
  return dropped;
}

static void
free_seccomp (struct oci_seccomp *s)
{
  if (s == NULL)
    return;
  free (s->default_action);
  al_strv_free (s->architectures);
  al_strv_free (s->flags);
  free (s->listener_path);
  free (s->listener_metadata);
  for (size_t i = 0; i < s->n_syscalls; i++)
    {
      al_strv_free (s->syscalls[i].names);
      free (s->syscalls[i].action);
      for (size_t j = 0; j < s->syscalls[i].n_args; j++)
        free (s->syscalls[i].args[j].op);
      free (s->syscalls[i].args);
    }
  free (s->syscalls);
  free (s);
}

static struct oci_seccomp *
build_seccomp (const struct al_profile *p, bool notify)
{
  struct oci_seccomp *s = al_xmalloc0 (sizeof (*s));
  s->default_action = al_xstrdup (notify ? "SCMP_ACT_NOTIFY" : "SCMP_ACT_ERRNO");
  s->has_default_errno_ret = !notify;
  s->default_errno_ret = notify ? 0 : p->denied_errno;
  s->architectures = p->arches ? strv_dup (p->arches) : NULL;
  /* Foreign ABIs (i386 or x32 numbers on x86_64...) are denied like any
     other syscall, so that they are reported, not killed unseen. */
  s->foreign_abi_denied = true;
  size_t n_allow = 0;
  while (p->allow && p->allow[n_allow])
    n_allow++;
  s->syscalls = al_xmalloc0 ((p->n_rules + n_allow + 1) * sizeof (*s->syscalls));
  /* The allow-list, but the syscalls with exceptions... */
  struct oci_seccomp_syscall *all = &s->syscalls[s->n_syscalls++];
  all->names = al_xmalloc0 ((n_allow + 1) * sizeof (char *));
  all->action = al_xstrdup ("SCMP_ACT_ALLOW");
  size_t n_all = 0;
  struct pattern deny[AL_PROFILE_MAX_DENY_RULES], ok[AL_PROFILE_MAX_EXCEPTION_CMPS];
  uint32_t index = 0;
  for (size_t i = 0; i < n_allow; i++)
    if (deny_patterns (p->rules, p->n_rules, p->allow[i], deny, &index) == 0)
      all->names[n_all++] = al_xstrdup (p->allow[i]);
  if (n_all == 0)
    {
      al_strv_free (all->names);
      free (all->action);
      memset (all, 0, sizeof (*all));
      s->n_syscalls--;
    }
  /* ... which are allowed for the values of one argument no deny rule matches. */
  for (size_t i = 0; i < n_allow; i++)
    {
      size_t n_deny = deny_patterns (p->rules, p->n_rules, p->allow[i], deny, &index), n_ok = 0;
      if (n_deny == 0)
        continue;
      /* Bounded when parsed (check_deny_groups). Nothing left to allow: no
         entry (one without args would allow everything). */
      allowed_patterns (deny, n_deny, 0, 0, ok, &n_ok, AL_PROFILE_MAX_EXCEPTION_CMPS);
      if (n_ok == 0)
        continue;
      struct oci_seccomp_syscall *sc = &s->syscalls[s->n_syscalls++];
      sc->names = al_xmalloc0 (2 * sizeof (char *));
      sc->names[0] = al_xstrdup (p->allow[i]);
      sc->action = al_xstrdup ("SCMP_ACT_ALLOW");
      sc->args = al_xmalloc0 ((n_ok + 1) * sizeof (*sc->args));
      for (size_t j = 0; j < n_ok; j++)
        sc->args[sc->n_args++] = (struct oci_seccomp_arg){ .index = index, .value = ok[j].mask, .has_value_two = true,
                                                           .value_two = ok[j].value,
                                                           .op = al_xstrdup ("SCMP_CMP_MASKED_EQ") };
    }
  for (size_t i = 0; i < p->n_rules; i++)
    {
      const struct oci_seccomp_syscall *from = &p->rules[i];
      if (strcmp (from->action, AL_PROFILE_DENY) == 0)
        continue; /* compiled into the allows above */
      struct oci_seccomp_syscall *sc = &s->syscalls[s->n_syscalls++];
      *sc = *from;
      sc->names = strv_dup (from->names);
      sc->action = al_xstrdup (from->action);
      sc->args = al_xmalloc0 ((from->n_args + 1) * sizeof (*sc->args));
      for (size_t j = 0; j < from->n_args; j++)
        {
          sc->args[j] = from->args[j];
          sc->args[j].op = al_xstrdup (from->args[j].op);
        }
    }
  return s;
}

static int64_t
min_limit (bool has, int64_t cur, int64_t want)
{
  /* <= 0 means unlimited in linux.resources */
  if (!has || cur <= 0 || cur > want)
    return want;
  return cur;
}

static void
tighten_limits (const struct al_profile *p, struct oci_spec *spec, const struct al_profile_host *host,
                struct al_profile_report *rep)
{
  struct oci_linux *l = spec->linux_;
  struct oci_process *proc = spec->process;
  if ((p->pids.present && host->cgroup_pids) || (p->memory.present && host->cgroup_memory)
      || (p->cpu.present && host->cgroup_cpu))
    if (l->resources == NULL)
      l->resources = al_xmalloc0 (sizeof (*l->resources));
  struct oci_resources *res = l->resources;

  if (p->pids.present)
    {
      if (host->cgroup_pids)
        {
          /* For pids only a negative limit is unlimited (0 is one, 1.3). */
          res->pids.limit = res->pids.present && res->pids.limit >= 0 && res->pids.limit <= p->pids.max
                                ? res->pids.limit
                                : p->pids.max;
          res->pids.present = true;
          rep->pids = AL_ENFORCE_CGROUP;
          rep->pids_limit = res->pids.limit;
        }
      else if (p->pids.fallback >= 0 && proc)
        {
          set_rlimit (proc, p->pids.fallback, p->pids.fallback_name, p->pids.fallback_value, p->pids.fallback_value);
          rep->pids = AL_ENFORCE_RLIMIT;
          rep->pids_limit = (int64_t) rlimit_value (proc, p->pids.fallback, p->pids.fallback_value);
        }
    }
  if (p->memory.present)
    {
      rep->memory_no_controller = !host->cgroup_memory;
      if (host->cgroup_memory)
        {
          res->memory.limit = min_limit (res->memory.has_limit, res->memory.limit, p->memory.max);
          res->memory.has_limit = res->memory.present = true;
          rep->memory = AL_ENFORCE_CGROUP;
          rep->memory_limit = res->memory.limit;
        }
      else if (p->memory.fallback >= 0 && proc)
        {
          set_rlimit (proc, p->memory.fallback, p->memory.fallback_name, p->memory.fallback_value,
                      p->memory.fallback_value);
          rep->memory = AL_ENFORCE_RLIMIT;
          rep->memory_limit = (int64_t) rlimit_value (proc, p->memory.fallback, p->memory.fallback_value);
        }
    }
  if (p->cpu.present)
    {
      if (host->cgroup_cpu)
        {
          /* Keep the config's share of a CPU when it is smaller. */
          bool cfg = res->cpu.has_quota && res->cpu.quota > 0;
          uint64_t cfg_period = res->cpu.has_period && res->cpu.period ? res->cpu.period : 100000;
          if (!cfg || (__int128) res->cpu.quota * p->cpu.period > (__int128) p->cpu.quota * cfg_period)
            {
              res->cpu.quota = p->cpu.quota;
              res->cpu.period = p->cpu.period;
            }
          else
            res->cpu.period = cfg_period;
          res->cpu.has_quota = res->cpu.has_period = res->cpu.present = true;
          rep->cpu = AL_ENFORCE_CGROUP;
          rep->cpu_quota = res->cpu.quota;
          rep->cpu_period = res->cpu.period;
        }
      else if (p->cpu.fallback >= 0 && proc)
        {
          set_rlimit (proc, p->cpu.fallback, p->cpu.fallback_name, p->cpu.fallback_value, p->cpu.fallback_value);
          rep->cpu = AL_ENFORCE_RLIMIT;
          rep->cpu_rlimit = rlimit_value (proc, p->cpu.fallback, p->cpu.fallback_value);
        }
    }
}

/* A tmpfs size= or nr_inodes= value: digits with k, m, g, t, p or e;
   false for "50%" (of the host's RAM), 0 (unlimited) or anything else. */
static bool
tmpfs_value (const char *v, uint64_t *out)
{
  char *end;
  errno = 0;
  unsigned long long n = strtoull (v, &end, 10);
  if (errno || end == v || *v == '-')
    return false;
  unsigned shift = 0;
  switch (*end)
    {
    case '\0': break;
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    case 'p': case 'P': shift = 50; break;
    case 'e': case 'E': shift = 60; break;
    default: return false;
    }
  if (*end && end[1])
    return false;
  if (n == 0 || (shift && n > (UINT64_MAX >> shift)))
    return false;
  *out = (uint64_t) n << shift;
  return true;
}

/* key=VALUE in the mount's options at most `max`: an absent, unlimited or
   larger value is replaced (every occurrence: the kernel takes the last). */
static uint64_t
bound_option (struct oci_mount *m, const char *key, uint64_t max)
{
  size_t klen = strlen (key);
  uint64_t keep = max;
  bool found = false, ok = true;
  for (size_t i = 0; m->options && m->options[i]; i++)
    if (strncmp (m->options[i], key, klen) == 0 && m->options[i][klen] == '=')
      {
        uint64_t v;
        found = true;
        if (tmpfs_value (m->options[i] + klen + 1, &v) && v <= max)
          keep = v; /* the last one is what the kernel uses */
        else
          ok = false;
      }
  if (found && ok)
    return keep; /* already within the bound */
  size_t k = 0;
  for (size_t i = 0; m->options && m->options[i]; i++)
    {
      if (strncmp (m->options[i], key, klen) == 0 && m->options[i][klen] == '=')
        free (m->options[i]);
      else
        m->options[k++] = m->options[i];
    }
  if (m->options)
    m->options[k] = NULL;
  _cleanup_free_ char *o = al_xasprintf ("%s=%" PRIu64, key, max);
  strv_append (&m->options, o);
  return max;
}

/* Every tmpfs sized: memory a tmpfs holds is no process's, so without a
   memory controller only its size= bounds it. */
static void
bound_tmpfs (struct oci_spec *spec, uint64_t limit, struct al_profile_report *rep)
{
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      struct oci_mount *m = &spec->mounts[i];
      if (m->type == NULL || strcmp (m->type, "tmpfs") != 0)
        continue;
      bool dev = m->destination && strcmp (m->destination, "/dev") == 0;
      uint64_t size = dev ? AL_PROFILE_DEV_TMPFS_SIZE : limit;
      uint64_t inodes = dev ? AL_PROFILE_DEV_TMPFS_INODES : limit / AL_PROFILE_TMPFS_BYTES_PER_INODE;
      if (inodes < AL_PROFILE_DEV_TMPFS_INODES)
        inodes = AL_PROFILE_DEV_TMPFS_INODES;
      size = bound_option (m, "size", size);
      bound_option (m, "nr_inodes", inodes);
      rep->tmpfs_sized++;
      if (size > rep->tmpfs_max_bytes)
        rep->tmpfs_max_bytes = size;
    }
}

/* linux.sysctl key at most `max` (a number); set to `max` when absent or
   not a smaller number. */
static void
bound_sysctl (struct oci_linux *l, const char *key, uint64_t max, bool exact)
{
  _cleanup_free_ char *want = al_xasprintf ("%" PRIu64, max);
  for (size_t i = 0; i < l->n_sysctl; i++)
    if (strcmp (l->sysctl[i].key, key) == 0)
      {
        char *end;
        errno = 0;
        unsigned long long v = strtoull (l->sysctl[i].value, &end, 10);
        if (!exact && errno == 0 && end != l->sysctl[i].value && *end == '\0' && l->sysctl[i].value[0] != '-'
            && v <= max)
          return;
        free (l->sysctl[i].value);
        l->sysctl[i].value = al_xstrdup (want);
        return;
      }
  GROW (l->sysctl, l->n_sysctl);
  l->sysctl[l->n_sysctl].key = al_xstrdup (key);
  l->sysctl[l->n_sysctl].value = al_xstrdup (want);
  l->n_sysctl++;
}

static void
set_sysctl (struct oci_linux *l, const char *key, const char *value)
{
  for (size_t i = 0; i < l->n_sysctl; i++)
    if (strcmp (l->sysctl[i].key, key) == 0)
      {
        free (l->sysctl[i].value);
        l->sysctl[i].value = al_xstrdup (value);
        return;
      }
  GROW (l->sysctl, l->n_sysctl);
  l->sysctl[l->n_sysctl].key = al_xstrdup (key);
  l->sysctl[l->n_sysctl].value = al_xstrdup (value);
  l->n_sysctl++;
}

/* SysV shm is no process's memory either (a segment outlives its
   attachments): its size and total come from the memory limit, in the
   container's own IPC namespace (the profile makes a new one), and a segment
   goes with its last attachment (shm_rmid_forced). */
static void
bound_ipc (const struct al_profile *p, struct oci_linux *l, uint64_t limit, struct al_profile_report *rep)
{
  if (!p->ns_new[OCI_NS_IPC])
    return;
  long page = sysconf (_SC_PAGESIZE);
  uint64_t pages = limit / (uint64_t) (page > 0 ? page : 4096);
  bound_sysctl (l, "kernel.shmmax", limit, false);
  bound_sysctl (l, "kernel.shmall", pages, false);
  bound_sysctl (l, "kernel.shmmni", AL_PROFILE_SHMMNI, false);
  bound_sysctl (l, "kernel.shm_rmid_forced", 1, true);
  bound_sysctl (l, "kernel.msgmni", AL_PROFILE_MSGMNI, false);
  bound_sysctl (l, "kernel.msgmnb", AL_PROFILE_MSGMNB, false);
  set_sysctl (l, "kernel.sem", AL_PROFILE_SEM);
  rep->ipc_bounded = true;
  rep->ipc_shmmax = limit;
  rep->ipc_shmall = pages;
}

static void
add_paths (char ***v, char *const *add)
{
  for (size_t i = 0; add && add[i]; i++)
    if (!strv_has (*v, add[i]))
      strv_append (v, add[i]);
}

int
al_profile_apply (const struct al_profile *p, struct oci_spec *spec, const struct al_profile_host *host,
                  struct al_profile_report *report, al_error_t *err)
{
  static const struct al_profile_host none = { 0 };
  struct al_profile_report rep = { 0 };
  if (host == NULL)
    host = &none;
  int r = check (p, spec, err);
  if (r < 0)
    return r;

  /* From here on nothing can fail. */
  if (spec->linux_ == NULL)
    spec->linux_ = al_xmalloc0 (sizeof (*spec->linux_));
  struct oci_linux *l = spec->linux_;
  tighten_namespaces (p, l);
  if (p->readonly_root)
    spec->root_readonly = true;
  tighten_mounts (p, spec);
  set_bind_policy (p, spec);
  if (spec->process)
    rep.caps_dropped = tighten_process (p, spec->process);
  if (p->has_seccomp)
    {
      rep.seccomp_replaced = l->seccomp != NULL;
      free_seccomp (l->seccomp);
      l->seccomp = build_seccomp (p, host->monitor);
      rep.seccomp_notify = host->monitor;
    }
  tighten_limits (p, spec, host, &rep);
  if (rep.memory_limit > 0)
    {
      bound_tmpfs (spec, (uint64_t) rep.memory_limit, &rep);
      bound_ipc (p, l, (uint64_t) rep.memory_limit, &rep);
    }
  add_paths (&l->masked_paths, p->masked);
  add_paths (&l->readonly_paths, p->readonly);

  rep.denied_errno = p->denied_errno;
  rep.timeout_ms = p->timeout_ms;
  if (report)
    *report = rep;
  return 0;
}

/* --------------------------------------------------------------- host -- */

static bool
has_word (const char *s, const char *w)
{
  size_t n = strlen (w);
  for (const char *q = s; q && (q = strstr (q, w)); q += n)
    if ((q == s || q[-1] == ' ' || q[-1] == '\t') && (q[n] == '\0' || q[n] == ' ' || q[n] == '\n' || q[n] == '\t'))
      return true;
  return false;
}

void
al_profile_host_from_controllers (const char *controllers, struct al_profile_host *host)
{
  host->cgroup_pids = controllers && has_word (controllers, "pids");
  host->cgroup_memory = controllers && has_word (controllers, "memory");
  host->cgroup_cpu = controllers && has_word (controllers, "cpu");
}

int
al_profile_host_probe (struct al_profile_host *host, al_error_t *err)
{
  (void) err;
  memset (host, 0, sizeof (*host));
  _cleanup_free_ char *mount = NULL;
  al_error_t e = NULL;
  if (al_cgroup_find_mount (&mount, &e) < 0)
    {
      al_error_free (&e);
      return 0; /* no cgroup2: no controllers */
    }
  _cleanup_free_ char *path = al_xasprintf ("%s/cgroup.controllers", mount);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  if (al_read_file_at (AT_FDCWD, path, 4096, &text, &len, &e) < 0)
    {
      al_error_free (&e);
      return 0;
    }
  al_profile_host_from_controllers (text, host);
  return 0;
}

/* ---------------------------------------------------------- accessors -- */

const char *
al_profile_name (const struct al_profile *p)
{
  return p->name;
}

const char *
al_profile_description (const struct al_profile *p)
{
  return p->description ? p->description : "";
}

const char *
al_profile_path (const struct al_profile *p)
{
  return p->file;
}

uint64_t
al_profile_timeout_ms (const struct al_profile *p)
{
  return p->timeout_ms;
}

uint64_t
al_profile_clamp_timeout (const struct al_profile *p, uint64_t requested_ms)
{
  if (requested_ms == 0)
    return p->timeout_ms;
  if (p->timeout_ms == 0)
    return requested_ms;
  return requested_ms < p->timeout_ms ? requested_ms : p->timeout_ms;
}

int
al_profile_denied_errno (const struct al_profile *p)
{
  return (int) p->denied_errno;
}

bool
al_profile_id_pool (const struct al_profile *p, uint32_t *start, uint32_t *size, uint32_t *slots)
{
  if (!p->has_pool)
    return false;
  *start = p->pool_start;
  *size = p->pool_size;
  *slots = p->pool_slots;
  return true;
}

const char *
al_enforcement_name (enum al_enforcement e)
{
  switch (e)
    {
    case AL_ENFORCE_CGROUP:
      return "cgroup";
    case AL_ENFORCE_RLIMIT:
      return "rlimit";
    case AL_ENFORCE_NONE:
      break;
    }
  return "none";
}

int
al_profile_apply_process (const struct al_profile *p, struct oci_process *proc, const struct al_profile_host *host)
{
  static const struct al_profile_host none = { 0 };
  if (host == NULL)
    host = &none;
  tighten_process (p, proc);
  if (p->pids.present && !host->cgroup_pids && p->pids.fallback >= 0)
    set_rlimit (proc, p->pids.fallback, p->pids.fallback_name, p->pids.fallback_value, p->pids.fallback_value);
  if (p->memory.present && !host->cgroup_memory && p->memory.fallback >= 0)
    set_rlimit (proc, p->memory.fallback, p->memory.fallback_name, p->memory.fallback_value, p->memory.fallback_value);
  if (p->cpu.present && !host->cgroup_cpu && p->cpu.fallback >= 0)
    set_rlimit (proc, p->cpu.fallback, p->cpu.fallback_name, p->cpu.fallback_value, p->cpu.fallback_value);
  return 0;
}

bool
al_profile_pod_userns (const struct al_profile *p)
{
  return p->has_pool && p->ns_may_join[OCI_NS_USER];
}
