/* config.c: config.json (runtime-spec 1.3, Linux fields) parsed into struct
 * oci_spec. yajl's callback parser reads the text once into a small tree (so
 * that nesting depth and NUL bytes in strings can be refused), then the tree
 * is walked once, type checking and validating every field we know. Unknown
 * keys are ignored. Every error reads "<name>: <json path>: <reason>". */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "cpulist.h"
#include "mempolicy.h"
#include "netdev.h"
#include "util.h"

#define AL_JSON_MAX_DEPTH 64 /* no valid config comes anywhere near this */
/* Values in one document. The size limit alone would let 4 MiB of `"",`
 * become 1.3 million values and ~200 MB of tree; real configs (a seccomp
 * profile, thousands of env entries) stay far below. */
#define AL_JSON_MAX_VALUES 262144

#ifndef SCHED_BATCH
#define SCHED_BATCH 3
#endif
#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif
#ifndef SCHED_FLAG_RESET_ON_FORK
#define SCHED_FLAG_RESET_ON_FORK 0x01
#endif
#ifndef SCHED_FLAG_RECLAIM
#define SCHED_FLAG_RECLAIM 0x02
#endif
#ifndef SCHED_FLAG_DL_OVERRUN
#define SCHED_FLAG_DL_OVERRUN 0x04
#endif
#ifndef SCHED_FLAG_KEEP_POLICY
#define SCHED_FLAG_KEEP_POLICY 0x08
#endif
#ifndef SCHED_FLAG_KEEP_PARAMS
#define SCHED_FLAG_KEEP_PARAMS 0x10
#endif
#ifndef SCHED_FLAG_UTIL_CLAMP_MIN
#define SCHED_FLAG_UTIL_CLAMP_MIN 0x20
#endif
#ifndef SCHED_FLAG_UTIL_CLAMP_MAX
#define SCHED_FLAG_UTIL_CLAMP_MAX 0x40
#endif
#ifndef IOPRIO_CLASS_RT
#define IOPRIO_CLASS_RT 1
#define IOPRIO_CLASS_BE 2
#define IOPRIO_CLASS_IDLE 3
#endif

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

/* ---------------------------------------------------------------------- */
/* JSON paths ("process.args[1]", annotations["a.b"]) for messages.     */

struct pc
{
  const char *name;
  al_error_t *err;
  size_t len;
  char path[1024];
};

static size_t
p_append (struct pc *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static size_t
p_append (struct pc *c, const char *fmt, ...)
{
  size_t old = c->len;
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (c->path + c->len, sizeof (c->path) - c->len, fmt, ap);
  va_end (ap);
  if (n > 0)
    c->len = c->len + (size_t) n >= sizeof (c->path) ? sizeof (c->path) - 1 : c->len + (size_t) n;
  return old;
}

static bool
is_ident (const char *k)
{
  if (!isalpha ((unsigned char) k[0]) && k[0] != '_')
    return false;
  for (; *k; k++)
    if (!isalnum ((unsigned char) *k) && *k != '_')
      return false;
  return true;
}

/* Enter member `key`: ".key", or ["key"] when it is not a plain word. */
static size_t
p_key (struct pc *c, const char *key)
{
  if (is_ident (key))
    return p_append (c, "%s%s", c->len ? "." : "", key);
  return p_append (c, "[\"%s\"]", key);
}

static size_t
p_idx (struct pc *c, size_t i)
{
  return p_append (c, "[%zu]", i);
}

static void
p_pop (struct pc *c, size_t old)
{
  c->len = old;
  c->path[old] = '\0';
}

/* ---------------------------------------------------------------------- */
/* The JSON tree.                                                         */

enum jtype
{
  J_NULL,
  J_BOOL,
  J_NUMBER,
  J_STRING,
  J_OBJECT,
  J_ARRAY,
};

struct jval
{
  enum jtype type;
  bool b;
  char *s;     /* string value, or a number as written */
  char **keys; /* object members' keys */
  struct jval **items;
  size_t n, cap;
};

static void
jval_free (struct jval *v)
{
  if (v == NULL)
    return;
  for (size_t i = 0; i < v->n; i++)
    {
      jval_free (v->items[i]);
      if (v->keys)
        free (v->keys[i]);
    }
  free (v->items);
  free (v->keys);
  free (v->s);
  free (v);
}

struct jbuild
{
  struct jval *root;
  struct jval *stack[AL_JSON_MAX_DEPTH];
  size_t depth;
  size_t count;    /* values so far */
  char *key;       /* key of the next object member */
  const char *why; /* reason a callback stopped the parse */
  struct pc where; /* and the JSON path it stopped at, when it names one */
};

/* The path of the value being parsed, from the open containers: in an array
 * the next index, in an object the pending key (none yet: the object's). */
static void
jb_path (struct jbuild *b)
{
  struct pc *c = &b->where;
  for (size_t i = 0; i < b->depth; i++)
    {
      const struct jval *v = b->stack[i];
      bool last = i + 1 == b->depth;
      if (v->type == J_ARRAY)
        p_idx (c, last ? v->n : v->n - 1);
      else if (!last)
        p_key (c, v->keys[v->n - 1]);
      else if (b->key)
        p_key (c, b->key);
    }
}

static struct jval *
jval_new (enum jtype type)
{
  struct jval *v = al_xmalloc0 (sizeof (*v));
  v->type = type;
  return v;
}

/* Attach v to the open container (or make it the root). Takes v. */
static void
jb_attach (struct jbuild *b, struct jval *v)
{
  if (b->depth == 0)
    {
      jval_free (b->root);
      b->root = v;
      return;
    }
  struct jval *top = b->stack[b->depth - 1];
  if (top->n == top->cap)
    {
      size_t cap = top->cap ? top->cap * 2 : 8;
      struct jval **items = realloc (top->items, cap * sizeof (*items));
      if (items == NULL)
        abort ();
      top->items = items;
      if (top->type == J_OBJECT)
        {
          char **keys = realloc (top->keys, cap * sizeof (*keys));
          if (keys == NULL)
            abort ();
          top->keys = keys;
        }
      top->cap = cap;
    }
  if (top->type == J_OBJECT)
    {
      top->keys[top->n] = b->key ? b->key : al_xstrdup ("");
      b->key = NULL;
    }
  top->items[top->n++] = v;
}

static bool
jb_count (struct jbuild *b)
{
  if (++b->count <= AL_JSON_MAX_VALUES)
    return true;
  b->why = "more than 262144 values in the document";
  jb_path (b);
  return false;
}

static int
jb_scalar (struct jbuild *b, struct jval *v)
{
  if (!jb_count (b))
    {
      jval_free (v);
      return 0;
    }
  jb_attach (b, v);
  return 1;
}

static int
jb_open (struct jbuild *b, enum jtype type)
{
  if (b->depth == AL_JSON_MAX_DEPTH)
    {
      b->why = "nesting deeper than 64 levels";
      return 0;
    }
  if (!jb_count (b))
    return 0;
  struct jval *v = jval_new (type);
  jb_attach (b, v);
  b->stack[b->depth++] = v;
  return 1;
}

static int
jb_close (void *ctx)
{
  struct jbuild *b = ctx;
  if (b->depth > 0)
    b->depth--;
  return 1;
}

static int
jb_null (void *ctx)
{
  return jb_scalar (ctx, jval_new (J_NULL));
}

static int
jb_bool (void *ctx, int val)
{
  struct jval *v = jval_new (J_BOOL);
  v->b = val != 0;
  return jb_scalar (ctx, v);
}

static char *
dup_len (const unsigned char *s, size_t len)
{
  char *r = al_xmalloc0 (len + 1);
  memcpy (r, s, len);
  return r;
}

/* UTF-8 as RFC 3629 has it. yajl checks the shape of the sequences only:
 * overlong forms (\xc0\xaf for '/'), UTF-16 surrogates and code points past
 * U+10FFFF get through it, and other parsers would read them differently. */
static bool
utf8_valid (const unsigned char *s, size_t len)
{
  size_t i = 0;
  while (i < len)
    {
      unsigned char c = s[i];
      size_t n;
      unsigned char lo = 0x80, hi = 0xbf;
      if (c < 0x80)
        n = 0;
      else if (c >= 0xc2 && c <= 0xdf)
        n = 1;
      else if (c >= 0xe0 && c <= 0xef)
        {
          n = 2;
          if (c == 0xe0)
            lo = 0xa0; /* overlong */
          else if (c == 0xed)
            hi = 0x9f; /* surrogates */
        }
      else if (c >= 0xf0 && c <= 0xf4)
        {
          n = 3;
          if (c == 0xf0)
            lo = 0x90; /* overlong */
          else if (c == 0xf4)
            hi = 0x8f; /* past U+10FFFF */
        }
      else
        return false;
      if (n > len - i - 1)
        return false;
      for (size_t k = 1; k <= n; k++)
        {
          unsigned char b = s[i + k];
          if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xbf))
            return false;
        }
      i += n + 1;
    }
  return true;
}

static int
jb_number (void *ctx, const char *s, size_t len)
{
  struct jval *v = jval_new (J_NUMBER);
  v->s = dup_len ((const unsigned char *) s, len);
  return jb_scalar (ctx, v);
}

static int
jb_string (void *ctx, const unsigned char *s, size_t len)
{
  struct jbuild *b = ctx;
  if (memchr (s, '\0', len) != NULL)
    {
      /* C would cut it at the NUL: refuse rather than truncate. */
      b->why = "string contains a NUL character (\\u0000)";
      jb_path (b);
      return 0;
    }
  if (!utf8_valid (s, len))
    {
      b->why = "string is not valid UTF-8";
      jb_path (b);
      return 0;
    }
  struct jval *v = jval_new (J_STRING);
  v->s = dup_len (s, len);
  return jb_scalar (b, v);
}

static int
jb_key (void *ctx, const unsigned char *s, size_t len)
{
  struct jbuild *b = ctx;
  if (memchr (s, '\0', len) != NULL)
    {
      b->why = "object key contains a NUL character (\\u0000)";
      free (b->key);
      b->key = NULL;
      jb_path (b);
      return 0;
    }
  if (!utf8_valid (s, len))
    {
      b->why = "object key is not valid UTF-8";
      free (b->key);
      b->key = NULL;
      jb_path (b);
      return 0;
    }
  free (b->key);
  b->key = dup_len (s, len);
  return 1;
}

static int
jb_start_map (void *ctx)
{
  return jb_open (ctx, J_OBJECT);
}

static int
jb_start_array (void *ctx)
{
  return jb_open (ctx, J_ARRAY);
}

static const yajl_callbacks jb_callbacks = {
  .yajl_null = jb_null,
  .yajl_boolean = jb_bool,
  .yajl_number = jb_number,
  .yajl_string = jb_string,
  .yajl_start_map = jb_start_map,
  .yajl_map_key = jb_key,
  .yajl_end_map = jb_close,
  .yajl_start_array = jb_start_array,
  .yajl_end_array = jb_close,
};

static void
yajl_handle_freep (yajl_handle *h)
{
  if (*h)
    yajl_free (*h);
}

static int
cmp_key (const void *a, const void *b, void *keys)
{
  char **k = keys;
  return strcmp (k[*(const size_t *) a], k[*(const size_t *) b]);
}

/* Refuse an object with a key given twice anywhere in the tree: parsers
 * disagree on which one wins, so a config must not depend on it. Sorting
 * keeps an object with many keys (annotations) from costing n^2. */
static int
check_dup_keys (struct pc *c, const struct jval *v)
{
  if (v->type != J_OBJECT && v->type != J_ARRAY)
    return 0;
  if (v->type == J_OBJECT && v->n > 1)
    {
      _cleanup_free_ size_t *idx = al_xmalloc0 (v->n * sizeof (*idx));
      for (size_t i = 0; i < v->n; i++)
        idx[i] = i;
      qsort_r (idx, v->n, sizeof (*idx), cmp_key, v->keys);
      for (size_t i = 1; i < v->n; i++)
        if (strcmp (v->keys[idx[i - 1]], v->keys[idx[i]]) == 0)
          {
            p_key (c, v->keys[idx[i]]);
            return al_err (c->err, 0, "%s: %s: duplicate key", c->name, c->path);
          }
    }
  for (size_t i = 0; i < v->n; i++)
    {
      size_t old = v->type == J_OBJECT ? p_key (c, v->keys[i]) : p_idx (c, i);
      int r = check_dup_keys (c, v->items[i]);
      if (r < 0)
        return r;
      p_pop (c, old);
    }
  return 0;
}

/* Parse text into a tree. Errors: "<name>: invalid JSON: <why>", or
 * "<name>: <json path>: <why>" when the problem has a place. */
static int
json_parse (const char *name, const char *text, size_t len, struct jval **out, al_error_t *err)
{
  struct jbuild b = { 0 };
  __attribute__ ((cleanup (yajl_handle_freep))) yajl_handle h = yajl_alloc (&jb_callbacks, NULL, &b);
  if (h == NULL)
    return al_err (err, ENOMEM, "%s: cannot allocate the JSON parser", name);

  yajl_status st = yajl_parse (h, (const unsigned char *) text, len);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  free (b.key);
  if (st == yajl_status_ok && b.root != NULL)
    {
      struct pc c = { .name = name, .err = err };
      int r = check_dup_keys (&c, b.root);
      if (r < 0)
        {
          jval_free (b.root);
          return r;
        }
      *out = b.root;
      return 0;
    }
  jval_free (b.root);
  if (st == yajl_status_client_canceled && b.why && b.where.len > 0)
    return al_err (err, 0, "%s: %s: %s", name, b.where.path, b.why);
  if (st == yajl_status_client_canceled && b.why)
    return al_err (err, 0, "%s: invalid JSON: %s", name, b.why);

  unsigned char *msg = yajl_get_error (h, 0, (const unsigned char *) text, len);
  _cleanup_free_ char *m = al_xstrdup (msg ? (const char *) msg : "parse error");
  if (msg)
    yajl_free_error (h, msg);
  size_t l = strlen (m);
  while (l > 0 && (isspace ((unsigned char) m[l - 1]) || m[l - 1] == '.'))
    m[--l] = '\0';
  return al_err (err, 0, "%s: invalid JSON: %s", name, m);
}

/* Member `key` of an object; the last one wins. NULL when absent or null. */
static const struct jval *
jget (const struct jval *obj, const char *key)
{
  if (obj == NULL || obj->type != J_OBJECT)
    return NULL;
  for (size_t i = obj->n; i-- > 0;)
    if (strcmp (obj->keys[i], key) == 0)
      return obj->items[i]->type == J_NULL ? NULL : obj->items[i];
  return NULL;
}

static const char *
jtype_name (const struct jval *v)
{
  switch (v->type)
    {
    case J_NULL:
      return "null";
    case J_BOOL:
      return "boolean";
    case J_NUMBER:
      return "number";
    case J_STRING:
      return "string";
    case J_OBJECT:
      return "object";
    case J_ARRAY:
      return "array";
    }
  return "?";
}

static const char *
jtype_want (enum jtype t)
{
  switch (t)
    {
    case J_NULL:
      return "null";
    case J_BOOL:
      return "a boolean";
    case J_NUMBER:
      return "an integer";
    case J_STRING:
      return "a string";
    case J_OBJECT:
      return "an object";
    case J_ARRAY:
      return "an array";
    }
  return "?";
}
/* ---------------------------------------------------------------------- */
/* The walk: typed field readers.                                         */

static int
p_err (struct pc *c, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static int
p_err (struct pc *c, const char *fmt, ...)
{
  char *reason = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&reason, fmt, ap) < 0)
    reason = NULL;
  va_end (ap);
  int r;
  if (c->len == 0)
    r = al_err (c->err, 0, "%s: %s", c->name, reason ? reason : "invalid value");
  else
    r = al_err (c->err, 0, "%s: %s: %s", c->name, c->path, reason ? reason : "invalid value");
  free (reason);
  return r;
}

/* The current value must have type t. */
static int
v_type (struct pc *c, const struct jval *v, enum jtype t)
{
  if (v->type != t)
    return p_err (c, "expected %s, got %s", jtype_want (t), jtype_name (v));
  return 0;
}

/* Member key of obj with type t. *out is NULL when absent (an error when
 * required). On error the path is left pointing at the member. */
static int
f_get (struct pc *c, const struct jval *obj, const char *key, enum jtype t, bool required, const struct jval **out)
{
  *out = NULL;
  const struct jval *v = jget (obj, key);
  if (v == NULL)
    {
      if (!required)
        return 0;
      p_key (c, key);
      return p_err (c, "missing required field");
    }
  if (v->type != t)
    {
      p_key (c, key);
      return v_type (c, v, t);
    }
  *out = v;
  return 0;
}

static int
f_str (struct pc *c, const struct jval *obj, const char *key, bool required, char **out)
{
  const struct jval *v;
  int r = f_get (c, obj, key, J_STRING, required, &v);
  if (r < 0 || v == NULL)
    return r;
  free (*out);
  *out = al_xstrdup (v->s);
  return 0;
}

static int
f_bool (struct pc *c, const struct jval *obj, const char *key, bool *out, bool *has)
{
  const struct jval *v;
  int r = f_get (c, obj, key, J_BOOL, false, &v);
  if (r < 0 || v == NULL)
    return r;
  *out = v->b;
  if (has)
    *has = true;
  return 0;
}

/* An integer in [min, max]. *s gets it as signed (valid when max <= INT64_MAX),
 * *u as unsigned (valid when min >= 0). */
static int
v_int (struct pc *c, const struct jval *v, int64_t min, uint64_t max, int64_t *s, uint64_t *u)
{
  int r = v_type (c, v, J_NUMBER);
  if (r < 0)
    return r;
  const char *p = v->s;
  bool neg = *p == '-';
  const char *d = neg ? p + 1 : p;
  if (*d == '\0' || strspn (d, "0123456789") != strlen (d))
    return p_err (c, "expected an integer, got %s", p);
  errno = 0;
  if (neg)
    {
      long long x = strtoll (p, NULL, 10);
      if (errno == ERANGE || x < min)
        goto range;
      *s = x;
      *u = (uint64_t) x;
      return 0;
    }
  unsigned long long x = strtoull (p, NULL, 10);
  if (errno == ERANGE || x > max || (min > 0 && x < (uint64_t) min))
    goto range;
  *s = (int64_t) x;
  *u = x;
  return 0;
range:
  return p_err (c, "%s is out of range (%" PRId64 " to %" PRIu64 ")", p, min, max);
}

static int
f_int (struct pc *c, const struct jval *obj, const char *key, bool required, int64_t min, uint64_t max, int64_t *s,
       uint64_t *u, bool *has)
{
  const struct jval *v;
  int64_t ts;
  uint64_t tu;
  int r = f_get (c, obj, key, J_NUMBER, required, &v);
  if (r < 0 || v == NULL)
    return r;
  size_t old = p_key (c, key);
  r = v_int (c, v, min, max, &ts, &tu);
  if (r < 0)
    return r;
  p_pop (c, old);
  if (s)
    *s = ts;
  if (u)
    *u = tu;
  if (has)
    *has = true;
  return 0;
}

static int
f_u64 (struct pc *c, const struct jval *obj, const char *key, bool required, uint64_t *out, bool *has)
{
  return f_int (c, obj, key, required, 0, UINT64_MAX, NULL, out, has);
}

static int
f_i64 (struct pc *c, const struct jval *obj, const char *key, bool required, int64_t *out, bool *has)
{
  return f_int (c, obj, key, required, INT64_MIN, INT64_MAX, out, NULL, has);
}

static int
f_u32 (struct pc *c, const struct jval *obj, const char *key, bool required, uint32_t *out, bool *has)
{
  uint64_t u;
  bool h = false;
  int r = f_int (c, obj, key, required, 0, UINT32_MAX, NULL, &u, &h);
  if (r < 0 || !h)
    return r;
  *out = (uint32_t) u;
  if (has)
    *has = true;
  return 0;
}

static int
f_u16 (struct pc *c, const struct jval *obj, const char *key, uint16_t *out, bool *has)
{
  uint64_t u;
  bool h = false;
  int r = f_int (c, obj, key, false, 0, UINT16_MAX, NULL, &u, &h);
  if (r < 0 || !h)
    return r;
  *out = (uint16_t) u;
  if (has)
    *has = true;
  return 0;
}

static int
f_i32 (struct pc *c, const struct jval *obj, const char *key, bool required, int64_t min, int64_t max, int32_t *out,
       bool *has)
{
  int64_t s;
  bool h = false;
  int r = f_int (c, obj, key, required, min, (uint64_t) max, &s, NULL, &h);
  if (r < 0 || !h)
    return r;
  *out = (int32_t) s;
  if (has)
    *has = true;
  return 0;
}

/* An array of strings, as a NULL terminated vector. */
static int
v_strv (struct pc *c, const struct jval *v, bool nonempty, char ***out, size_t *n)
{
  if (v->type != J_ARRAY)
    return p_err (c, "expected an array of strings, got %s", jtype_name (v));
  if (nonempty && v->n == 0)
    return p_err (c, "must not be empty");
  for (size_t i = 0; i < v->n; i++)
    if (v->items[i]->type != J_STRING)
      {
        p_idx (c, i);
        return p_err (c, "expected a string, got %s", jtype_name (v->items[i]));
      }
  al_strv_free (*out);
  char **r = al_xmalloc0 ((v->n + 1) * sizeof (char *));
  for (size_t i = 0; i < v->n; i++)
    r[i] = al_xstrdup (v->items[i]->s);
  *out = r;
  if (n)
    *n = v->n;
  return 0;
}

/* Environment entries are NAME=VALUE with a non-empty NAME (as runc has it). */
static int
check_env (struct pc *c, char *const *env)
{
  for (size_t i = 0; env && env[i]; i++)
    {
      const char *eq = strchr (env[i], '=');
      if (eq != NULL && eq != env[i])
        continue;
      size_t old = p_key (c, "env");
      p_idx (c, i);
      _cleanup_free_ char *shown = al_escape (env[i], strlen (env[i]), 64);
      int r = p_err (c, "\"%s\" is not NAME=VALUE", shown);
      p_pop (c, old);
      return r;
    }
  return 0;
}

static int
f_strv (struct pc *c, const struct jval *obj, const char *key, bool required, char ***out, size_t *n)
{
  const struct jval *v = jget (obj, key);
  if (v == NULL)
    {
      if (!required)
        return 0;
      p_key (c, key);
      return p_err (c, "missing required field");
    }
  size_t old = p_key (c, key);
  int r = v_strv (c, v, required, out, n);
  if (r < 0)
    return r;
  p_pop (c, old);
  return 0;
}

/* An object whose values are all strings. */
static int
f_kv (struct pc *c, const struct jval *obj, const char *key, struct oci_kv **out, size_t *n)
{
  const struct jval *v;
  int r = f_get (c, obj, key, J_OBJECT, false, &v);
  if (r < 0 || v == NULL)
    return r;
  size_t old = p_key (c, key);
  *out = al_xmalloc0 (v->n * sizeof (**out));
  *n = 0;
  for (size_t i = 0; i < v->n; i++)
    {
      size_t o = p_key (c, v->keys[i]);
      if (v->items[i]->type != J_STRING)
        return p_err (c, "expected a string, got %s", jtype_name (v->items[i]));
      p_pop (c, o);
      (*out)[i].key = al_xstrdup (v->keys[i]);
      (*out)[i].value = al_xstrdup (v->items[i]->s);
      (*n)++;
    }
  p_pop (c, old);
  return 0;
}

static int
check_abs (struct pc *c, const char *path)
{
  if (path[0] != '/')
    return p_err (c, "must be an absolute path, got \"%s\"", path);
  return 0;
}

/* A string member that must be an absolute path. */
static int
f_abs (struct pc *c, const struct jval *obj, const char *key, bool required, char **out)
{
  int r = f_str (c, obj, key, required, out);
  if (r < 0 || *out == NULL)
    return r;
  size_t old = p_key (c, key);
  r = check_abs (c, *out);
  if (r < 0)
    return r;
  p_pop (c, old);
  return 0;
}

/* Iterate array member `key` of obj: calls fn for each element with the path
 * pointing at it. `alloc` receives the element count first. */
typedef int (*elem_fn) (struct pc *c, const struct jval *v, size_t i, void *arr);

static int
f_array (struct pc *c, const struct jval *obj, const char *key, size_t elem_size, void **arr, size_t *n, elem_fn fn)
{
  const struct jval *v;
  int r = f_get (c, obj, key, J_ARRAY, false, &v);
  if (r < 0 || v == NULL)
    return r;
  size_t old = p_key (c, key);
  *arr = al_xmalloc0 (v->n * elem_size);
  *n = v->n;
  for (size_t i = 0; i < v->n; i++)
    {
      size_t o = p_idx (c, i);
      r = fn (c, v->items[i], i, *arr);
      if (r < 0)
        return r;
      p_pop (c, o);
    }
  p_pop (c, old);
  return 0;
}

/* Look a name up in a NULL terminated table: index, or -1. */
static int
name_index (const char *const *table, const char *name)
{
  for (int i = 0; table[i]; i++)
    if (strcmp (table[i], name) == 0)
      return i;
  return -1;
}

/* ---------------------------------------------------------------------- */
/* Sections.                                                              */

static int
parse_idmap (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_id_mapping *m = &((struct oci_id_mapping *) arr)[i];
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_u32 (c, v, "containerID", true, &m->container_id, NULL)) < 0
      || (r = f_u32 (c, v, "hostID", true, &m->host_id, NULL)) < 0
      || (r = f_u32 (c, v, "size", true, &m->size, NULL)) < 0)
    return r;
  return 0;
}

static int
parse_mount (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_mount *m = &((struct oci_mount *) arr)[i];
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_abs (c, v, "destination", true, &m->destination)) < 0
      || (r = f_str (c, v, "type", false, &m->type)) < 0 || (r = f_str (c, v, "source", false, &m->source)) < 0
      || (r = f_strv (c, v, "options", false, &m->options, NULL)) < 0
      || (r = f_array (c, v, "uidMappings", sizeof (struct oci_id_mapping), (void **) &m->uid_mappings,
                       &m->n_uid_mappings, parse_idmap))
             < 0
      || (r = f_array (c, v, "gidMappings", sizeof (struct oci_id_mapping), (void **) &m->gid_mappings,
                       &m->n_gid_mappings, parse_idmap))
             < 0)
    return r;
  return 0;
}

static const char *const cap_set_names[] = { "bounding", "effective", "inheritable", "permitted", "ambient", NULL };

static int
parse_capabilities (struct pc *c, const struct jval *v, struct oci_capabilities *caps)
{
  struct oci_cap_set *sets[] = { &caps->bounding, &caps->effective, &caps->inheritable, &caps->permitted,
                                 &caps->ambient };
  for (size_t s = 0; cap_set_names[s]; s++)
    {
      const struct jval *a = jget (v, cap_set_names[s]);
      if (a == NULL)
        continue;
      size_t old = p_key (c, cap_set_names[s]);
      _cleanup_strv_ char **names = NULL;
      size_t n = 0;
      int r = v_strv (c, a, false, &names, &n);
      if (r < 0)
        return r;
      sets[s]->present = true;
      sets[s]->caps = al_xmalloc0 (n * sizeof (int));
      for (size_t i = 0; i < n; i++)
        {
          int cap = al_cap_from_name (names[i]);
          if (cap < 0)
            {
              p_idx (c, i);
              return p_err (c, "unknown capability \"%s\"", names[i]);
            }
          sets[s]->caps[sets[s]->n++] = cap;
        }
      p_pop (c, old);
    }
  return 0;
}

static int
parse_rlimit (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_rlimit *rl = &((struct oci_rlimit *) arr)[i];
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_str (c, v, "type", true, &rl->type)) < 0)
    return r;
  rl->resource = al_rlimit_from_name (rl->type);
  if (rl->resource < 0)
    {
      p_key (c, "type");
      return p_err (c, "unknown rlimit \"%s\"", rl->type);
    }
  if ((r = f_u64 (c, v, "hard", true, &rl->hard, NULL)) < 0 || (r = f_u64 (c, v, "soft", true, &rl->soft, NULL)) < 0)
    return r;
  if (rl->soft > rl->hard)
    return p_err (c, "soft limit %" PRIu64 " is above the hard limit %" PRIu64, rl->soft, rl->hard);
  return 0;
}

static int
check_rlimit_dups (struct pc *c, const struct oci_process *p)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    for (size_t j = 0; j < i; j++)
      if (p->rlimits[i].resource == p->rlimits[j].resource)
        {
          size_t old = c->len;
          p_append (c, "%srlimits[%zu]", old ? "." : "", j);
          _cleanup_free_ char *other = al_xstrdup (c->path);
          p_pop (c, old);
          p_append (c, "%srlimits[%zu].type", old ? "." : "", i);
          return p_err (c, "duplicate rlimit \"%s\" (also at %s)", p->rlimits[i].type, other);
        }
  return 0;
}

static int
parse_user (struct pc *c, const struct jval *v, struct oci_user *u)
{
  int r;
  const struct jval *a;
  if ((r = f_u32 (c, v, "uid", false, &u->uid, NULL)) < 0 || (r = f_u32 (c, v, "gid", false, &u->gid, NULL)) < 0
      || (r = f_u32 (c, v, "umask", false, &u->umask, &u->has_umask)) < 0
      || (r = f_str (c, v, "username", false, &u->username)) < 0
      || (r = f_get (c, v, "additionalGids", J_ARRAY, false, &a)) < 0)
    return r;
  if (u->has_umask && u->umask > 0777)
    {
      p_key (c, "umask");
      return p_err (c, "%u is not a valid umask (0 to 0777)", u->umask);
    }
  if (a == NULL)
    return 0;
  size_t old = p_key (c, "additionalGids");
  u->additional_gids = al_xmalloc0 (a->n * sizeof (uint32_t));
  for (size_t i = 0; i < a->n; i++)
    {
      int64_t s;
      uint64_t x;
      size_t o = p_idx (c, i);
      if ((r = v_int (c, a->items[i], 0, UINT32_MAX, &s, &x)) < 0)
        return r;
      p_pop (c, o);
      u->additional_gids[u->n_additional_gids++] = (uint32_t) x;
    }
  p_pop (c, old);
  return 0;
}

static int
parse_io_priority (struct pc *c, const struct jval *v, struct oci_io_priority *io)
{
  static const char *const classes[] = { "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE", NULL };
  static const int values[] = { IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE };
  _cleanup_free_ char *klass = NULL;
  int32_t prio = 0;
  int r;
  if ((r = f_str (c, v, "class", true, &klass)) < 0 || (r = f_i32 (c, v, "priority", false, 0, 7, &prio, NULL)) < 0)
    return r;
  int k = name_index (classes, klass);
  if (k < 0)
    {
      p_key (c, "class");
      return p_err (c, "unknown I/O priority class \"%s\"", klass);
    }
  io->present = true;
  io->klass = values[k];
  io->priority = prio;
  return 0;
}

static int
parse_scheduler (struct pc *c, const struct jval *v, struct oci_scheduler *s)
{
  static const char *const policies[] = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR",       "SCHED_BATCH",
                                          "SCHED_ISO",   "SCHED_IDLE", "SCHED_DEADLINE", NULL };
  static const int policy_values[] = { SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH,
                                       SCHED_ISO,   SCHED_IDLE, SCHED_DEADLINE };
  static const char *const flags[] = { "SCHED_FLAG_RESET_ON_FORK",  "SCHED_FLAG_RECLAIM",
                                       "SCHED_FLAG_DL_OVERRUN",     "SCHED_FLAG_KEEP_POLICY",
                                       "SCHED_FLAG_KEEP_PARAMS",    "SCHED_FLAG_UTIL_CLAMP_MIN",
                                       "SCHED_FLAG_UTIL_CLAMP_MAX", NULL };
  static const int flag_values[] = { SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_RECLAIM,        SCHED_FLAG_DL_OVERRUN,
                                     SCHED_FLAG_KEEP_POLICY,   SCHED_FLAG_KEEP_PARAMS,    SCHED_FLAG_UTIL_CLAMP_MIN,
                                     SCHED_FLAG_UTIL_CLAMP_MAX };
  _cleanup_free_ char *policy = NULL;
  _cleanup_strv_ char **fl = NULL;
  int r;
  if ((r = f_str (c, v, "policy", true, &policy)) < 0)
    return r;
  int k = name_index (policies, policy);
  if (k < 0)
    {
      p_key (c, "policy");
      return p_err (c, "unknown scheduler policy \"%s\"", policy);
    }
  s->policy = policy_values[k];
  if ((r = f_i32 (c, v, "nice", false, -20, 19, &s->nice, &s->has_nice)) < 0
      || (r = f_i32 (c, v, "priority", false, INT32_MIN, INT32_MAX, &s->priority, &s->has_priority)) < 0
      || (r = f_u64 (c, v, "runtime", false, &s->runtime, NULL)) < 0
      || (r = f_u64 (c, v, "deadline", false, &s->deadline, NULL)) < 0
      || (r = f_u64 (c, v, "period", false, &s->period, NULL)) < 0
      || (r = f_strv (c, v, "flags", false, &fl, NULL)) < 0)
    return r;
  for (size_t i = 0; fl && fl[i]; i++)
    {
      int f = name_index (flags, fl[i]);
      if (f < 0)
        {
          p_key (c, "flags");
          p_idx (c, i);
          return p_err (c, "unknown scheduler flag \"%s\"", fl[i]);
        }
      s->flags |= flag_values[f];
    }
  s->present = true;
  return 0;
}

static int
parse_process_obj (struct pc *c, const struct jval *v, struct oci_process *p)
{
  const struct jval *o;
  int r;
  int64_t oom;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_bool (c, v, "terminal", &p->terminal, NULL)) < 0)
    return r;

  if ((r = f_get (c, v, "consoleSize", J_OBJECT, false, &o)) < 0)
    return r;
  if (o)
    {
      size_t old = p_key (c, "consoleSize");
      if ((r = f_u32 (c, o, "height", true, &p->console_height, NULL)) < 0
          || (r = f_u32 (c, o, "width", true, &p->console_width, NULL)) < 0)
        return r;
      p->has_console_size = true;
      p_pop (c, old);
    }

  if ((r = f_get (c, v, "user", J_OBJECT, false, &o)) < 0)
    return r;
  if (o)
    {
      size_t old = p_key (c, "user");
      if ((r = parse_user (c, o, &p->user)) < 0)
        return r;
      p_pop (c, old);
    }

  if ((r = f_strv (c, v, "args", true, &p->args, NULL)) < 0 || (r = f_strv (c, v, "env", false, &p->env, NULL)) < 0
      || (r = check_env (c, p->env)) < 0 || (r = f_abs (c, v, "cwd", true, &p->cwd)) < 0)
    return r;

  if ((r = f_get (c, v, "capabilities", J_OBJECT, false, &o)) < 0)
    return r;
  if (o)
    {
      size_t old = p_key (c, "capabilities");
      if ((r = parse_capabilities (c, o, &p->capabilities)) < 0)
        return r;
      p->has_capabilities = true;
      p_pop (c, old);
    }

  if ((r = f_array (c, v, "rlimits", sizeof (struct oci_rlimit), (void **) &p->rlimits, &p->n_rlimits,
                    parse_rlimit))
          < 0
      || (r = check_rlimit_dups (c, p)) < 0)
    return r;

  if ((r = f_bool (c, v, "noNewPrivileges", &p->no_new_privileges, NULL)) < 0
      || (r = f_str (c, v, "apparmorProfile", false, &p->apparmor_profile)) < 0
      || (r = f_int (c, v, "oomScoreAdj", false, -1000, 1000, &oom, NULL, &p->has_oom_score_adj)) < 0
      || (r = f_str (c, v, "selinuxLabel", false, &p->selinux_label)) < 0)
    return r;
  if (p->has_oom_score_adj)
    p->oom_score_adj = (int) oom;

  if ((r = f_get (c, v, "ioPriority", J_OBJECT, false, &o)) < 0)
    return r;
  if (o)
    {
      size_t old = p_key (c, "ioPriority");
      if ((r = parse_io_priority (c, o, &p->io_priority)) < 0)
        return r;
      p_pop (c, old);
    }

  if ((r = f_get (c, v, "scheduler", J_OBJECT, false, &o)) < 0)
    return r;
  if (o)
    {
      size_t old = p_key (c, "scheduler");
      if ((r = parse_scheduler (c, o, &p->scheduler)) < 0)
        return r;
      p_pop (c, old);
    }

  if ((r = f_get (c, v, "execCPUAffinity", J_OBJECT, false, &o)) < 0)
    return r;
  if (o)
    {
      size_t old = p_key (c, "execCPUAffinity");
      if ((r = f_str (c, o, "initial", false, &p->exec_cpu_affinity_initial)) < 0
          || (r = f_str (c, o, "final", false, &p->exec_cpu_affinity_final)) < 0)
        return r;
      p_pop (c, old);
    }
  return 0;
}

static int
parse_hook (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_hook *h = &((struct oci_hook *) arr)[i];
  int64_t t;
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_abs (c, v, "path", true, &h->path)) < 0
      || (r = f_strv (c, v, "args", false, &h->args, NULL)) < 0
      || (r = f_strv (c, v, "env", false, &h->env, NULL)) < 0 || (r = check_env (c, h->env)) < 0
      || (r = f_int (c, v, "timeout", false, 1, INT_MAX, &t, NULL, &h->has_timeout)) < 0)
    return r;
  if (h->has_timeout)
    h->timeout = (int) t;
  return 0;
}

static int
parse_hooks (struct pc *c, const struct jval *v, struct oci_hooks *h)
{
  static const char *const names[] = { "prestart",       "createRuntime", "createContainer",
                                       "startContainer", "poststart",     "poststop" };
  struct oci_hook_list *lists[] = { &h->prestart,        &h->create_runtime, &h->create_container,
                                    &h->start_container, &h->poststart,      &h->poststop };
  for (size_t i = 0; i < ARRAY_SIZE (names); i++)
    {
      int r = f_array (c, v, names[i], sizeof (struct oci_hook), (void **) &lists[i]->hooks, &lists[i]->n,
                       parse_hook);
      if (r < 0)
        return r;
    }
  return 0;
}

static const char *const ns_names[OCI_NS_COUNT + 1] = {
  [OCI_NS_PID] = "pid",   [OCI_NS_NETWORK] = "network", [OCI_NS_MOUNT] = "mount", [OCI_NS_IPC] = "ipc",
  [OCI_NS_UTS] = "uts",   [OCI_NS_USER] = "user",       [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
  [OCI_NS_COUNT] = NULL,
};

static int
parse_namespace (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_namespace *ns = &((struct oci_namespace *) arr)[i];
  _cleanup_free_ char *type = NULL;
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_str (c, v, "type", true, &type)) < 0)
    return r;
  int t = name_index (ns_names, type);
  if (t < 0)
    {
      p_key (c, "type");
      return p_err (c, "unknown namespace type \"%s\"", type);
    }
  ns->type = (enum oci_ns_type) t;
  for (size_t j = 0; j < i; j++)
    if (((struct oci_namespace *) arr)[j].type == ns->type)
      {
        p_key (c, "type");
        return p_err (c, "duplicate namespace \"%s\" (also at linux.namespaces[%zu])", type, j);
      }
  if ((r = f_str (c, v, "path", false, &ns->path)) < 0 || ns->path == NULL)
    return r;
  if (*ns->path == '\0')
    {
      /* "path": "" is a new namespace, as runc reads it. */
      free (ns->path);
      ns->path = NULL;
      return 0;
    }
  return f_abs (c, v, "path", false, &ns->path);
}

static int
parse_time_offsets (struct pc *c, const struct jval *v, struct oci_linux *l)
{
  for (size_t i = 0; i < v->n; i++)
    {
      struct oci_time_offset *t;
      const struct jval *o = v->items[i];
      size_t old = p_key (c, v->keys[i]);
      if (strcmp (v->keys[i], "monotonic") == 0)
        t = &l->time_monotonic;
      else if (strcmp (v->keys[i], "boottime") == 0)
        t = &l->time_boottime;
      else
        return p_err (c, "unknown clock (expected monotonic or boottime)");
      if (o->type == J_NULL)
        {
          p_pop (c, old);
          continue;
        }
      int r;
      if ((r = v_type (c, o, J_OBJECT)) < 0 || (r = f_i64 (c, o, "secs", false, &t->secs, NULL)) < 0
          || (r = f_u32 (c, o, "nanosecs", false, &t->nanosecs, NULL)) < 0)
        return r;
      if (t->nanosecs >= 1000000000u)
        {
          p_key (c, "nanosecs");
          return p_err (c, "%u is out of range (0 to 999999999)", t->nanosecs);
        }
      t->present = true;
      p_pop (c, old);
    }
  return 0;
}

static int
parse_device (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_device *d = &((struct oci_device *) arr)[i];
  _cleanup_free_ char *type = NULL;
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_str (c, v, "type", true, &type)) < 0)
    return r;
  if (strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
    {
      p_key (c, "type");
      return p_err (c, "invalid device type \"%s\" (expected c, b, u or p)", type);
    }
  d->type = type[0];
  bool need_numbers = d->type != 'p';
  if ((r = f_abs (c, v, "path", true, &d->path)) < 0 || (r = f_i64 (c, v, "major", need_numbers, &d->major, NULL)) < 0
      || (r = f_i64 (c, v, "minor", need_numbers, &d->minor, NULL)) < 0
      || (r = f_u32 (c, v, "fileMode", false, &d->file_mode, &d->has_file_mode)) < 0
      || (r = f_u32 (c, v, "uid", false, &d->uid, &d->has_uid)) < 0
      || (r = f_u32 (c, v, "gid", false, &d->gid, &d->has_gid)) < 0)
    return r;
  return 0;
}

static int
parse_device_cgroup (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_device_cgroup *d = &((struct oci_device_cgroup *) arr)[i];
  _cleanup_free_ char *type = NULL;
  int r;
  d->type = 'a';
  d->major = -1;
  d->minor = -1;
  if ((r = v_type (c, v, J_OBJECT)) < 0)
    return r;
  if (jget (v, "allow") == NULL)
    {
      p_key (c, "allow");
      return p_err (c, "missing required field");
    }
  if ((r = f_bool (c, v, "allow", &d->allow, NULL)) < 0 || (r = f_str (c, v, "type", false, &type)) < 0
      || (r = f_i64 (c, v, "major", false, &d->major, NULL)) < 0
      || (r = f_i64 (c, v, "minor", false, &d->minor, NULL)) < 0
      || (r = f_str (c, v, "access", false, &d->access)) < 0)
    return r;
  if (type)
    {
      if (strlen (type) != 1 || strchr ("acb", type[0]) == NULL)
        {
          p_key (c, "type");
          return p_err (c, "invalid device type \"%s\" (expected a, c or b)", type);
        }
      d->type = type[0];
    }
  if (d->access)
    {
      /* runc ignores letters other than r, w and m ("rwa" is "rw"); one of
         them at least, or the rule would do nothing. */
      if (d->access[0] != '\0' && strpbrk (d->access, "rwm") == NULL)
        {
          p_key (c, "access");
          return p_err (c, "invalid access \"%s\" (expected a combination of r, w and m)", d->access);
        }
      size_t k = 0;
      for (size_t j = 0; d->access[j]; j++)
        if (strchr ("rwm", d->access[j]) && strchr (d->access + j + 1, d->access[j]) == NULL)
          d->access[k++] = d->access[j];
      d->access[k] = '\0';
      if (d->access[0] == '\0')
        {
          free (d->access);
          d->access = NULL;
        }
    }
  return 0;
}

static int
parse_weight_device (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_weight_device *d = &((struct oci_weight_device *) arr)[i];
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_i64 (c, v, "major", true, &d->major, NULL)) < 0
      || (r = f_i64 (c, v, "minor", true, &d->minor, NULL)) < 0
      || (r = f_u16 (c, v, "weight", &d->weight, &d->has_weight)) < 0
      || (r = f_u16 (c, v, "leafWeight", &d->leaf_weight, &d->has_leaf_weight)) < 0)
    return r;
  return 0;
}

static int
parse_throttle_device (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_throttle_device *d = &((struct oci_throttle_device *) arr)[i];
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_i64 (c, v, "major", true, &d->major, NULL)) < 0
      || (r = f_i64 (c, v, "minor", true, &d->minor, NULL)) < 0
      || (r = f_u64 (c, v, "rate", true, &d->rate, NULL)) < 0)
    return r;
  return 0;
}

static int
parse_hugepage (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_hugepage_limit *h = &((struct oci_hugepage_limit *) arr)[i];
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0)
    return r;
  /* runc reads "pagesize" too (Go's JSON matches keys case-insensitively). */
  const char *key = jget (v, "pageSize") == NULL && jget (v, "pagesize") != NULL ? "pagesize" : "pageSize";
  if ((r = f_str (c, v, key, true, &h->page_size)) < 0
      || (r = f_u64 (c, v, "limit", true, &h->limit, NULL)) < 0)
    return r;
  return 0;
}

static int
parse_net_priority (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_net_priority *p = &((struct oci_net_priority *) arr)[i];
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_str (c, v, "name", true, &p->name)) < 0
      || (r = f_u32 (c, v, "priority", true, &p->priority, NULL)) < 0)
    return r;
  return 0;
}

static int
parse_memory (struct pc *c, const struct jval *m, struct oci_resources *res)
{
  int r;
  if ((r = f_i64 (c, m, "limit", false, &res->memory.limit, &res->memory.has_limit)) < 0
      || (r = f_i64 (c, m, "reservation", false, &res->memory.reservation, &res->memory.has_reservation)) < 0
      || (r = f_i64 (c, m, "swap", false, &res->memory.swap, &res->memory.has_swap)) < 0
      || (r = f_i64 (c, m, "kernel", false, &res->memory.kernel, &res->memory.has_kernel)) < 0
      || (r = f_i64 (c, m, "kernelTCP", false, &res->memory.kernel_tcp, &res->memory.has_kernel_tcp)) < 0
      || (r = f_int (c, m, "swappiness", false, 0, 100, NULL, &res->memory.swappiness, &res->memory.has_swappiness))
             < 0
      || (r = f_bool (c, m, "disableOOMKiller", &res->memory.disable_oom_killer,
                      &res->memory.has_disable_oom_killer))
             < 0
      || (r = f_bool (c, m, "useHierarchy", &res->memory.use_hierarchy, &res->memory.has_use_hierarchy)) < 0
      || (r = f_bool (c, m, "checkBeforeUpdate", &res->memory.check_before_update,
                      &res->memory.has_check_before_update))
             < 0)
    return r;
  res->memory.present = true;
  return 0;
}

static int
parse_cpu (struct pc *c, const struct jval *m, struct oci_resources *res)
{
  int r;
  if ((r = f_u64 (c, m, "shares", false, &res->cpu.shares, &res->cpu.has_shares)) < 0
      || (r = f_i64 (c, m, "quota", false, &res->cpu.quota, &res->cpu.has_quota)) < 0
      || (r = f_u64 (c, m, "burst", false, &res->cpu.burst, &res->cpu.has_burst)) < 0
      || (r = f_u64 (c, m, "period", false, &res->cpu.period, &res->cpu.has_period)) < 0
      || (r = f_i64 (c, m, "realtimeRuntime", false, &res->cpu.realtime_runtime, &res->cpu.has_realtime_runtime)) < 0
      || (r = f_u64 (c, m, "realtimePeriod", false, &res->cpu.realtime_period, &res->cpu.has_realtime_period)) < 0
      || (r = f_i64 (c, m, "idle", false, &res->cpu.idle, &res->cpu.has_idle)) < 0
      || (r = f_str (c, m, "cpus", false, &res->cpu.cpus)) < 0
      || (r = f_str (c, m, "mems", false, &res->cpu.mems)) < 0)
    return r;
  res->cpu.present = true;
  return 0;
}

static int
parse_block_io (struct pc *c, const struct jval *m, struct oci_resources *res)
{
  int r;
  __typeof__ (res->block_io) *b = &res->block_io;
  if ((r = f_u16 (c, m, "weight", &b->weight, &b->has_weight)) < 0
      || (r = f_u16 (c, m, "leafWeight", &b->leaf_weight, &b->has_leaf_weight)) < 0
      || (r = f_array (c, m, "weightDevice", sizeof (struct oci_weight_device), (void **) &b->weight_device,
                       &b->n_weight_device, parse_weight_device))
             < 0
      || (r = f_array (c, m, "throttleReadBpsDevice", sizeof (struct oci_throttle_device),
                       (void **) &b->throttle_read_bps, &b->n_throttle_read_bps, parse_throttle_device))
             < 0
      || (r = f_array (c, m, "throttleWriteBpsDevice", sizeof (struct oci_throttle_device),
                       (void **) &b->throttle_write_bps, &b->n_throttle_write_bps, parse_throttle_device))
             < 0
      || (r = f_array (c, m, "throttleReadIOPSDevice", sizeof (struct oci_throttle_device),
                       (void **) &b->throttle_read_iops, &b->n_throttle_read_iops, parse_throttle_device))
             < 0
      || (r = f_array (c, m, "throttleWriteIOPSDevice", sizeof (struct oci_throttle_device),
                       (void **) &b->throttle_write_iops, &b->n_throttle_write_iops, parse_throttle_device))
             < 0)
    return r;
  b->present = true;
  return 0;
}

static int
parse_rdma (struct pc *c, const struct jval *m, struct oci_resources *res)
{
  res->rdma = al_xmalloc0 (m->n * sizeof (*res->rdma));
  for (size_t i = 0; i < m->n; i++)
    {
      struct oci_rdma *d = &res->rdma[res->n_rdma++];
      const struct jval *o = m->items[i];
      size_t old = p_key (c, m->keys[i]);
      d->device = al_xstrdup (m->keys[i]);
      int r;
      if ((r = v_type (c, o, J_OBJECT)) < 0
          || (r = f_u32 (c, o, "hcaHandles", false, &d->hca_handles, &d->has_hca_handles)) < 0
          || (r = f_u32 (c, o, "hcaObjects", false, &d->hca_objects, &d->has_hca_objects)) < 0)
        return r;
      p_pop (c, old);
    }
  return 0;
}

static int
parse_network (struct pc *c, const struct jval *m, struct oci_resources *res)
{
  int r;
  if ((r = f_u32 (c, m, "classID", false, &res->network.class_id, &res->network.has_class_id)) < 0
      || (r = f_array (c, m, "priorities", sizeof (struct oci_net_priority), (void **) &res->network.priorities,
                       &res->network.n_priorities, parse_net_priority))
             < 0)
    return r;
  res->network.present = true;
  return 0;
}

/* Member `key` of obj as an object, entered (path pushed) when present. */
#define WITH_OBJECT(c, obj, key, var, body)                                                                           \
  do                                                                                                                  \
    {                                                                                                                 \
      const struct jval *var;                                                                                         \
      int _r = f_get ((c), (obj), (key), J_OBJECT, false, &var);                                                      \
      if (_r < 0)                                                                                                     \
        return _r;                                                                                                    \
      if (var)                                                                                                        \
        {                                                                                                             \
          size_t _old = p_key ((c), (key));                                                                           \
          _r = (body);                                                                                                \
          if (_r < 0)                                                                                                 \
            return _r;                                                                                                \
          p_pop ((c), _old);                                                                                          \
        }                                                                                                             \
    }                                                                                                                 \
  while (0)

static int
parse_resources (struct pc *c, const struct jval *v, struct oci_resources *res)
{
  int r;
  if ((r = f_array (c, v, "devices", sizeof (struct oci_device_cgroup), (void **) &res->devices, &res->n_devices,
                    parse_device_cgroup))
      < 0)
    return r;
  WITH_OBJECT (c, v, "memory", m, parse_memory (c, m, res));
  WITH_OBJECT (c, v, "cpu", m, parse_cpu (c, m, res));
  /* 1.3: limit is optional (absent: no limit asked), -1 is "max" and 0 a
     real limit; parse_spec reads a 0 of an older config as before (-1). */
  WITH_OBJECT (c, v, "pids", m, f_i64 (c, m, "limit", false, &res->pids.limit, &res->pids.present));
  WITH_OBJECT (c, v, "blockIO", m, parse_block_io (c, m, res));
  if ((r = f_array (c, v, "hugepageLimits", sizeof (struct oci_hugepage_limit), (void **) &res->hugepage_limits,
                    &res->n_hugepage_limits, parse_hugepage))
      < 0)
    return r;
  WITH_OBJECT (c, v, "network", m, parse_network (c, m, res));
  WITH_OBJECT (c, v, "rdma", m, parse_rdma (c, m, res));
  return f_kv (c, v, "unified", &res->unified, &res->n_unified);
}

static const char *const seccomp_actions[] = {
  "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",        "SCMP_ACT_LOG",         "SCMP_ACT_NOTIFY", NULL,
};

static const char *const seccomp_ops[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

static const char *const seccomp_archs[] = {
  "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",  "SCMP_ARCH_X32",     "SCMP_ARCH_ARM",        "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS",        "SCMP_ARCH_MIPS64",  "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",   "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",     "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",    "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",       "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",   "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",        "SCMP_ARCH_SH",      "SCMP_ARCH_SHEB",    NULL,
};

static const char *const seccomp_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC",
  "SECCOMP_FILTER_FLAG_LOG",
  "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
  NULL,
};

static int
check_action (struct pc *c, const char *key, const char *action)
{
  if (name_index (seccomp_actions, action) >= 0)
    return 0;
  p_key (c, key);
  return p_err (c, "unknown seccomp action \"%s\"", action);
}

static int
parse_seccomp_arg (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_seccomp_arg *a = &((struct oci_seccomp_arg *) arr)[i];
  int r;
  int64_t idx;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_int (c, v, "index", true, 0, 5, &idx, NULL, NULL)) < 0
      || (r = f_u64 (c, v, "value", true, &a->value, NULL)) < 0
      || (r = f_u64 (c, v, "valueTwo", false, &a->value_two, &a->has_value_two)) < 0
      || (r = f_str (c, v, "op", true, &a->op)) < 0)
    return r;
  a->index = (uint32_t) idx;
  if (name_index (seccomp_ops, a->op) < 0)
    {
      p_key (c, "op");
      return p_err (c, "unknown seccomp operator \"%s\"", a->op);
    }
  return 0;
}

static int
parse_syscall (struct pc *c, const struct jval *v, size_t i, void *arr)
{
  struct oci_seccomp_syscall *s = &((struct oci_seccomp_syscall *) arr)[i];
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_strv (c, v, "names", true, &s->names, NULL)) < 0
      || (r = f_str (c, v, "action", true, &s->action)) < 0 || (r = check_action (c, "action", s->action)) < 0
      || (r = f_u32 (c, v, "errnoRet", false, &s->errno_ret, &s->has_errno_ret)) < 0
      || (r = f_array (c, v, "args", sizeof (struct oci_seccomp_arg), (void **) &s->args, &s->n_args,
                       parse_seccomp_arg))
             < 0)
    return r;
  return 0;
}

static int
check_names (struct pc *c, const char *key, char **v, const char *const *table, const char *what)
{
  for (size_t i = 0; v && v[i]; i++)
    if (name_index (table, v[i]) < 0)
      {
        p_key (c, key);
        p_idx (c, i);
        return p_err (c, "unknown %s \"%s\"", what, v[i]);
      }
  return 0;
}

static int
parse_seccomp (struct pc *c, const struct jval *v, struct oci_seccomp *s)
{
  int r;
  if ((r = f_str (c, v, "defaultAction", true, &s->default_action)) < 0
      || (r = check_action (c, "defaultAction", s->default_action)) < 0
      || (r = f_u32 (c, v, "defaultErrnoRet", false, &s->default_errno_ret, &s->has_default_errno_ret)) < 0
      || (r = f_strv (c, v, "architectures", false, &s->architectures, NULL)) < 0
      || (r = check_names (c, "architectures", s->architectures, seccomp_archs, "seccomp architecture")) < 0
      || (r = f_strv (c, v, "flags", false, &s->flags, NULL)) < 0
      || (r = check_names (c, "flags", s->flags, seccomp_flags, "seccomp flag")) < 0
      || (r = f_str (c, v, "listenerPath", false, &s->listener_path)) < 0
      || (r = f_str (c, v, "listenerMetadata", false, &s->listener_metadata)) < 0
      || (r = f_array (c, v, "syscalls", sizeof (struct oci_seccomp_syscall), (void **) &s->syscalls, &s->n_syscalls,
                       parse_syscall))
             < 0)
    return r;
  return 0;
}

static int
check_paths (struct pc *c, const char *key, char **v)
{
  for (size_t i = 0; v && v[i]; i++)
    if (v[i][0] != '/')
      {
        p_key (c, key);
        p_idx (c, i);
        return check_abs (c, v[i]);
      }
  return 0;
}

/* linux.netDevices: {"host name": {"name": "inside"}}. */
static int
parse_net_devices (struct pc *c, const struct jval *v, struct oci_linux *l)
{
  l->net_devices = al_xmalloc0 ((v->n ? v->n : 1) * sizeof (*l->net_devices));
  for (size_t i = 0; i < v->n; i++)
    {
      size_t old = p_key (c, v->keys[i]);
      const char *why = NULL;
      struct oci_net_device *d = &l->net_devices[l->n_net_devices++];
      d->host_name = al_xstrdup (v->keys[i]);
      if (al_netdev_name_check (d->host_name, false, &why) < 0)
        return p_err (c, "invalid interface name \"%s\": %s", d->host_name, why);
      int r = v_type (c, v->items[i], J_OBJECT);
      if (r < 0 || (r = f_str (c, v->items[i], "name", false, &d->name)) < 0)
        return r;
      if (d->name && al_netdev_name_check (d->name, true, &why) < 0)
        {
          p_key (c, "name");
          return p_err (c, "invalid interface name \"%s\": %s", d->name, why);
        }
      p_pop (c, old);
    }
  for (size_t i = 0; i < l->n_net_devices; i++)
    for (size_t j = 0; j < i; j++)
      {
        const char *a = l->net_devices[i].name ?: l->net_devices[i].host_name;
        const char *b = l->net_devices[j].name ?: l->net_devices[j].host_name;
        if (strcmp (a, b) == 0 && strstr (a, "%d") == NULL)
          {
            p_key (c, l->net_devices[i].host_name);
            return p_err (c, "two devices would be named \"%s\" in the container", a);
          }
      }
  return 0;
}

static int
parse_memory_policy (struct pc *c, const struct jval *v, struct oci_memory_policy *mp)
{
  _cleanup_free_ char *mode = NULL;
  _cleanup_strv_ char **flags = NULL;
  int r;
  if ((r = f_str (c, v, "mode", true, &mode)) < 0 || (r = f_str (c, v, "nodes", false, &mp->nodes)) < 0
      || (r = f_strv (c, v, "flags", false, &flags, NULL)) < 0)
    return r;
  mp->mode = al_mempolicy_mode (mode);
  if (mp->mode < 0)
    {
      p_key (c, "mode");
      return p_err (c, "unknown memory policy mode \"%s\" (expected MPOL_DEFAULT, MPOL_BIND, MPOL_INTERLEAVE, "
                       "MPOL_WEIGHTED_INTERLEAVE, MPOL_PREFERRED, MPOL_PREFERRED_MANY or MPOL_LOCAL)",
                    mode);
    }
  for (size_t i = 0; flags && flags[i]; i++)
    {
      int f = al_mempolicy_flag (flags[i]);
      if (f < 0)
        {
          p_key (c, "flags");
          p_idx (c, i);
          return p_err (c, "unknown memory policy flag \"%s\" (expected MPOL_F_NUMA_BALANCING, "
                           "MPOL_F_RELATIVE_NODES or MPOL_F_STATIC_NODES)",
                        flags[i]);
        }
      mp->flags |= (unsigned) f;
    }
  const char *why = NULL;
  if (al_mempolicy_check (mp, &why) < 0)
    {
      if (mp->nodes)
        p_key (c, "nodes");
      return p_err (c, "%s (mode %s%s%s)", why, mode, mp->nodes ? ", nodes " : "", mp->nodes ? mp->nodes : "");
    }
  mp->present = true;
  return 0;
}

static int
parse_intel_rdt (struct pc *c, const struct jval *v, struct oci_intel_rdt *rdt)
{
  int r;
  if ((r = f_str (c, v, "closID", false, &rdt->clos_id)) < 0
      || (r = f_str (c, v, "l3CacheSchema", false, &rdt->l3_cache_schema)) < 0
      || (r = f_str (c, v, "memBwSchema", false, &rdt->mem_bw_schema)) < 0
      || (r = f_strv (c, v, "schemata", false, &rdt->schemata, NULL)) < 0
      || (r = f_bool (c, v, "enableMonitoring", &rdt->enable_monitoring, NULL)) < 0)
    return r;
  if (rdt->clos_id && (rdt->clos_id[0] == '\0' || (strchr (rdt->clos_id, '/') && strcmp (rdt->clos_id, "/") != 0)
                       || strcmp (rdt->clos_id, ".") == 0 || strcmp (rdt->clos_id, "..") == 0))
    {
      p_key (c, "closID");
      return p_err (c, "invalid CLOS \"%s\" (a directory name, or \"/\" for the default one)", rdt->clos_id);
    }
  if (rdt->l3_cache_schema && strchr (rdt->l3_cache_schema, '\n'))
    {
      p_key (c, "l3CacheSchema");
      return p_err (c, "must not contain newlines");
    }
  if (rdt->mem_bw_schema && (strchr (rdt->mem_bw_schema, '\n') || strncmp (rdt->mem_bw_schema, "MB:", 3) != 0))
    {
      p_key (c, "memBwSchema");
      return p_err (c, "must start with \"MB:\" and hold no newline");
    }
  for (size_t i = 0; rdt->schemata && rdt->schemata[i]; i++)
    if (strchr (rdt->schemata[i], '\n'))
      {
        p_key (c, "schemata");
        p_idx (c, i);
        return p_err (c, "must not contain newlines");
      }
  rdt->present = true;
  return 0;
}

static int
parse_linux (struct pc *c, const struct jval *v, struct oci_linux *l)
{
  static const char *const propagations[] = { "private", "rprivate", "slave",      "rslave",
                                              "shared",  "rshared",  "unbindable", "runbindable", NULL };
  const struct jval *o;
  int r;
  if ((r = f_array (c, v, "namespaces", sizeof (struct oci_namespace), (void **) &l->namespaces, &l->n_namespaces,
                    parse_namespace))
          < 0
      || (r = f_array (c, v, "uidMappings", sizeof (struct oci_id_mapping), (void **) &l->uid_mappings,
                       &l->n_uid_mappings, parse_idmap))
             < 0
      || (r = f_array (c, v, "gidMappings", sizeof (struct oci_id_mapping), (void **) &l->gid_mappings,
                       &l->n_gid_mappings, parse_idmap))
             < 0)
    return r;
  WITH_OBJECT (c, v, "timeOffsets", m, parse_time_offsets (c, m, l));
  if ((r = f_array (c, v, "devices", sizeof (struct oci_device), (void **) &l->devices, &l->n_devices, parse_device))
          < 0
      || (r = f_str (c, v, "cgroupsPath", false, &l->cgroups_path)) < 0)
    return r;

  if ((r = f_get (c, v, "resources", J_OBJECT, false, &o)) < 0)
    return r;
  if (o)
    {
      size_t old = p_key (c, "resources");
      l->resources = al_xmalloc0 (sizeof (*l->resources));
      if ((r = parse_resources (c, o, l->resources)) < 0)
        return r;
      p_pop (c, old);
    }

  if ((r = f_str (c, v, "rootfsPropagation", false, &l->rootfs_propagation)) < 0)
    return r;
  if (l->rootfs_propagation && name_index (propagations, l->rootfs_propagation) < 0)
    {
      p_key (c, "rootfsPropagation");
      return p_err (c, "invalid propagation \"%s\" (expected private, rprivate, slave, rslave, shared, rshared, "
                       "unbindable or runbindable)",
                    l->rootfs_propagation);
    }

  if ((r = f_get (c, v, "seccomp", J_OBJECT, false, &o)) < 0)
    return r;
  if (o)
    {
      size_t old = p_key (c, "seccomp");
      l->seccomp = al_xmalloc0 (sizeof (*l->seccomp));
      if ((r = parse_seccomp (c, o, l->seccomp)) < 0)
        return r;
      p_pop (c, old);
    }

  if ((r = f_kv (c, v, "sysctl", &l->sysctl, &l->n_sysctl)) < 0
      || (r = f_strv (c, v, "maskedPaths", false, &l->masked_paths, NULL)) < 0
      || (r = check_paths (c, "maskedPaths", l->masked_paths)) < 0
      || (r = f_strv (c, v, "readonlyPaths", false, &l->readonly_paths, NULL)) < 0
      || (r = check_paths (c, "readonlyPaths", l->readonly_paths)) < 0
      || (r = f_str (c, v, "mountLabel", false, &l->mount_label)) < 0)
    return r;

  if ((r = f_get (c, v, "personality", J_OBJECT, false, &o)) < 0)
    return r;
  if (o)
    {
      size_t old = p_key (c, "personality");
      if ((r = f_str (c, o, "domain", true, &l->personality_domain)) < 0
          || (r = f_strv (c, o, "flags", false, &l->personality_flags, NULL)) < 0)
        return r;
      if (strcmp (l->personality_domain, "LINUX") != 0 && strcmp (l->personality_domain, "LINUX32") != 0)
        {
          p_key (c, "domain");
          return p_err (c, "invalid personality domain \"%s\" (expected LINUX or LINUX32)", l->personality_domain);
        }
      l->has_personality = true;
      p_pop (c, old);
    }

  WITH_OBJECT (c, v, "intelRdt", m, parse_intel_rdt (c, m, &l->intel_rdt));
  l->has_intel_rdt = l->intel_rdt.present;
  WITH_OBJECT (c, v, "netDevices", m, parse_net_devices (c, m, l));
  WITH_OBJECT (c, v, "memoryPolicy", m, parse_memory_policy (c, m, &l->memory_policy));
  return 0;
}

/* "1.0.0" to "1.3.x", with an optional "-rc5"/"-dev"/"+build" suffix. */
static bool
version_supported (const char *v)
{
  if (strncmp (v, "1.", 2) != 0 || v[2] < '0' || v[2] > '3' || v[3] != '.')
    return false;
  const char *p = v + 4;
  size_t digits = strspn (p, "0123456789");
  if (digits == 0 || (digits > 1 && p[0] == '0'))
    return false;
  p += digits;
  if (*p == '\0')
    return true;
  if ((*p != '-' && *p != '+') || p[1] == '\0')
    return false;
  for (p++; *p; p++)
    if (!isalnum ((unsigned char) *p) && *p != '.' && *p != '-' && *p != '+')
      return false;
  return true;
}

static int
parse_spec (struct pc *c, const struct jval *v, struct oci_spec *s)
{
  const struct jval *o;
  int r;
  if ((r = v_type (c, v, J_OBJECT)) < 0 || (r = f_str (c, v, "ociVersion", true, &s->oci_version)) < 0)
    return r;
  if (!version_supported (s->oci_version))
    {
      p_key (c, "ociVersion");
      return p_err (c, "unsupported version \"%s\" (airlock supports 1.0.0 to 1.3.x)", s->oci_version);
    }

  if ((r = f_get (c, v, "root", J_OBJECT, true, &o)) < 0)
    return r;
  size_t old = p_key (c, "root");
  if ((r = f_str (c, o, "path", true, &s->root_path)) < 0 || (r = f_bool (c, o, "readonly", &s->root_readonly, NULL)) < 0)
    return r;
  if (s->root_path[0] == '\0')
    {
      p_key (c, "path");
      return p_err (c, "must not be empty");
    }
  p_pop (c, old);

  if ((r = f_array (c, v, "mounts", sizeof (struct oci_mount), (void **) &s->mounts, &s->n_mounts, parse_mount)) < 0)
    return r;

  if ((r = f_get (c, v, "process", J_OBJECT, false, &o)) < 0)
    return r;
  if (o)
    {
      old = p_key (c, "process");
      s->process = al_xmalloc0 (sizeof (*s->process));
      if ((r = parse_process_obj (c, o, s->process)) < 0)
        return r;
      p_pop (c, old);
    }

  if ((r = f_str (c, v, "hostname", false, &s->hostname)) < 0
      || (r = f_str (c, v, "domainname", false, &s->domainname)) < 0)
    return r;

  WITH_OBJECT (c, v, "hooks", m, parse_hooks (c, m, &s->hooks));

  if ((r = f_kv (c, v, "annotations", &s->annotations, &s->n_annotations)) < 0)
    return r;

  if ((r = f_get (c, v, "linux", J_OBJECT, false, &o)) < 0)
    return r;
  if (o)
    {
      old = p_key (c, "linux");
      s->linux_ = al_xmalloc0 (sizeof (*s->linux_));
      if ((r = parse_linux (c, o, s->linux_)) < 0)
        return r;
      p_pop (c, old);
      /* Before 1.3 a pids limit of 0 meant no limit (runc's reading). */
      struct oci_resources *res = s->linux_->resources;
      if (res && res->pids.present && res->pids.limit == 0 && s->oci_version[2] < '3')
        res->pids.limit = -1;
    }
  return 0;
}

static int
json_load (const char *name, const char *text, size_t len, struct jval **out, al_error_t *err)
{
  if (len > AL_CONFIG_MAX_SIZE)
    return al_err (err, 0, "%s: %zu bytes is more than the %u allowed", name, len, AL_CONFIG_MAX_SIZE);
  return json_parse (name, text, len, out, err);
}

int
oci_spec_parse (const char *name, const char *text, size_t len, struct oci_spec **out, al_error_t *err)
{
  struct jval *root = NULL;
  *out = NULL;
  int r = json_load (name, text, len, &root, err);
  if (r < 0)
    return r;
  struct pc c = { .name = name, .err = err };
  struct oci_spec *s = al_xmalloc0 (sizeof (*s));
  r = parse_spec (&c, root, s);
  jval_free (root);
  if (r < 0)
    {
      oci_spec_free (s);
      return r;
    }
  *out = s;
  return 0;
}

int
oci_spec_load (const char *path, struct oci_spec **out, al_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  *out = NULL;
  int r = al_read_file_at (AT_FDCWD, path, AL_CONFIG_MAX_SIZE, &text, &len, err);
  if (r < 0)
    return r;
  return oci_spec_parse (path, text, len, out, err);
}

int
oci_process_parse (const char *name, const char *text, size_t len, struct oci_process **out, al_error_t *err)
{
  struct jval *root = NULL;
  *out = NULL;
  int r = json_load (name, text, len, &root, err);
  if (r < 0)
    return r;
  struct pc c = { .name = name, .err = err };
  struct oci_process *p = al_xmalloc0 (sizeof (*p));
  r = parse_process_obj (&c, root, p);
  jval_free (root);
  if (r < 0)
    {
      oci_process_free (p);
      return r;
    }
  *out = p;
  return 0;
}

/* ---------------------------------------------------------------------- */
/* Freeing and lookups.                                                   */

static void
kv_free (struct oci_kv *kv, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (kv[i].key);
      free (kv[i].value);
    }
  free (kv);
}

static void
process_clear (struct oci_process *p)
{
  free (p->user.additional_gids);
  free (p->user.username);
  al_strv_free (p->args);
  al_strv_free (p->env);
  free (p->cwd);
  free (p->capabilities.bounding.caps);
  free (p->capabilities.effective.caps);
  free (p->capabilities.inheritable.caps);
  free (p->capabilities.permitted.caps);
  free (p->capabilities.ambient.caps);
  for (size_t i = 0; i < p->n_rlimits; i++)
    free (p->rlimits[i].type);
  free (p->rlimits);
  free (p->apparmor_profile);
  free (p->selinux_label);
  free (p->exec_cpu_affinity_initial);
  free (p->exec_cpu_affinity_final);
}

void
oci_process_free (struct oci_process *p)
{
  if (p == NULL)
    return;
  process_clear (p);
  free (p);
}

static void
hook_list_free (struct oci_hook_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    {
      free (l->hooks[i].path);
      al_strv_free (l->hooks[i].args);
      al_strv_free (l->hooks[i].env);
    }
  free (l->hooks);
}

static void
resources_free (struct oci_resources *r)
{
  if (r == NULL)
    return;
  for (size_t i = 0; i < r->n_devices; i++)
    free (r->devices[i].access);
  free (r->devices);
  free (r->cpu.cpus);
  free (r->cpu.mems);
  free (r->block_io.weight_device);
  free (r->block_io.throttle_read_bps);
  free (r->block_io.throttle_write_bps);
  free (r->block_io.throttle_read_iops);
  free (r->block_io.throttle_write_iops);
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    free (r->hugepage_limits[i].page_size);
  free (r->hugepage_limits);
  for (size_t i = 0; i < r->network.n_priorities; i++)
    free (r->network.priorities[i].name);
  free (r->network.priorities);
  for (size_t i = 0; i < r->n_rdma; i++)
    free (r->rdma[i].device);
  free (r->rdma);
  kv_free (r->unified, r->n_unified);
  free (r);
}

static void
seccomp_free (struct oci_seccomp *s)
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
      struct oci_seccomp_syscall *sc = &s->syscalls[i];
      al_strv_free (sc->names);
      free (sc->action);
      for (size_t j = 0; j < sc->n_args; j++)
        free (sc->args[j].op);
      free (sc->args);
    }
  free (s->syscalls);
  free (s);
}

static void
linux_free (struct oci_linux *l)
{
  if (l == NULL)
    return;
  for (size_t i = 0; i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (size_t i = 0; i < l->n_devices; i++)
    free (l->devices[i].path);
  free (l->devices);
  free (l->cgroups_path);
  resources_free (l->resources);
  free (l->rootfs_propagation);
  seccomp_free (l->seccomp);
  kv_free (l->sysctl, l->n_sysctl);
  al_strv_free (l->masked_paths);
  al_strv_free (l->readonly_paths);
  free (l->mount_label);
  for (size_t i = 0; i < l->n_net_devices; i++)
    {
      free (l->net_devices[i].host_name);
      free (l->net_devices[i].name);
    }
  free (l->net_devices);
  free (l->memory_policy.nodes);
  free (l->intel_rdt.clos_id);
  free (l->intel_rdt.l3_cache_schema);
  free (l->intel_rdt.mem_bw_schema);
  al_strv_free (l->intel_rdt.schemata);
  free (l->personality_domain);
  al_strv_free (l->personality_flags);
  free (l);
}

void
oci_spec_free (struct oci_spec *s)
{
  if (s == NULL)
    return;
  free (s->oci_version);
  free (s->root_path);
  for (size_t i = 0; i < s->n_mounts; i++)
    {
      struct oci_mount *m = &s->mounts[i];
      free (m->destination);
      free (m->type);
      free (m->source);
      al_strv_free (m->options);
      free (m->uid_mappings);
      free (m->gid_mappings);
    }
  free (s->mounts);
  oci_process_free (s->process);
  free (s->hostname);
  free (s->domainname);
  hook_list_free (&s->hooks.prestart);
  hook_list_free (&s->hooks.create_runtime);
  hook_list_free (&s->hooks.create_container);
  hook_list_free (&s->hooks.start_container);
  hook_list_free (&s->hooks.poststart);
  hook_list_free (&s->hooks.poststop);
  kv_free (s->annotations, s->n_annotations);
  linux_free (s->linux_);
  if (s->bind_policy)
    {
      free (s->bind_policy->profile);
      al_strv_free (s->bind_policy->denied_paths);
      free (s->bind_policy);
    }
  free (s);
}

void
oci_spec_freep (struct oci_spec **spec)
{
  if (spec && *spec)
    {
      oci_spec_free (*spec);
      *spec = NULL;
    }
}

const struct oci_namespace *
oci_spec_namespace (const struct oci_spec *spec, enum oci_ns_type type)
{
  if (spec == NULL || spec->linux_ == NULL)
    return NULL;
  for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
    if (spec->linux_->namespaces[i].type == type)
      return &spec->linux_->namespaces[i];
  return NULL;
}

const char *
oci_ns_type_name (enum oci_ns_type type)
{
  if ((int) type < 0 || type >= OCI_NS_COUNT)
    return "unknown";
  return ns_names[type];
}

const char *
oci_spec_annotation (const struct oci_spec *spec, const char *key)
{
  if (spec == NULL)
    return NULL;
  for (size_t i = spec->n_annotations; i-- > 0;)
    if (strcmp (spec->annotations[i].key, key) == 0)
      return spec->annotations[i].value;
  return NULL;
}

/* A lone LinuxResources object (for `update --resources`). */
int
oci_resources_parse (const char *name, const char *text, size_t len, struct oci_resources **out, al_error_t *err)
{
  struct jval *root = NULL;
  *out = NULL;
  int r = json_load (name, text, len, &root, err);
  if (r < 0)
    return r;
  struct pc c = { .name = name, .err = err };
  struct oci_resources *res = al_xmalloc0 (sizeof (*res));
  r = v_type (&c, root, J_OBJECT);
  if (r == 0)
    r = parse_resources (&c, root, res);
  jval_free (root);
  if (r < 0)
    {
      resources_free (res);
      return r;
    }
  *out = res;
  return 0;
}

void
oci_resources_free (struct oci_resources *res)
{
  resources_free (res);
}
