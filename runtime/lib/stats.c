/* stats.c: read a cgroup v2's statistics files into struct al_stats, and
 * render them as runc's `events` JSON. */
#include "stats.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "cgroup.h"
#include "json.h"
#include "util.h"

#define STATS_FILE_MAX (1u << 20)

/* ---- parsing helpers -------------------------------------------------- */

/* Parse a decimal u64 (whole token up to whitespace/end); "max" gives
 * AL_STATS_UNLIMITED when allow_max. */
static bool
parse_u64 (const char *s, size_t len, bool allow_max, uint64_t *out)
{
  if (allow_max && len == 3 && memcmp (s, "max", 3) == 0)
    {
      *out = AL_STATS_UNLIMITED;
      return true;
    }
  if (len == 0 || len > 20)
    return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] < '0' || s[i] > '9')
        return false;
      uint64_t d = (uint64_t) (s[i] - '0');
      if (v > (UINT64_MAX - d) / 10)
        return false;
      v = v * 10 + d;
    }
  *out = v;
  return true;
}

bool
al_stats_keyed (const char *text, const char *key, uint64_t *value)
{
  size_t kl = strlen (key);
  for (const char *p = text; p && *p;)
    {
      const char *eol = strchr (p, '\n');
      size_t ll = eol ? (size_t) (eol - p) : strlen (p);
      if (ll > kl && strncmp (p, key, kl) == 0 && p[kl] == ' ')
        {
          const char *v = p + kl + 1;
          size_t vl = ll - kl - 1;
          while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r'))
            vl--;
          return parse_u64 (v, vl, false, value);
        }
      p = eol ? eol + 1 : NULL;
    }
  return false;
}

/* Read a file of the cgroup; *text NULL (and 0 returned) when it does not exist. */
static int
read_opt (int dfd, const char *display, const char *file, char **text, al_error_t *err)
{
  *text = NULL;
  _cleanup_close_ int fd = openat (dfd, file, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return al_err (err, errno, "cgroup %s: open %s", display, file);
    }
  _cleanup_free_ char *buf = NULL;
  size_t cap = 0, len = 0;
  for (;;)
    {
      if (len + 1 >= cap)
        {
          if (cap >= STATS_FILE_MAX)
            return al_err (err, EFBIG, "cgroup %s: %s is larger than %u bytes", display, file, STATS_FILE_MAX);
          cap = cap ? cap * 2 : 4096;
          char *nb = realloc (buf, cap);
          if (nb == NULL)
            abort ();
          buf = nb;
        }
      ssize_t n = read (fd, buf + len, cap - len - 1);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          /* A controller file can vanish with its cgroup: treat as absent. */
          if (errno == ENODEV || errno == ENOENT)
            return 0;
          return al_err (err, errno, "cgroup %s: read %s", display, file);
        }
      if (n == 0)
        break;
      len += (size_t) n;
    }
  buf[len] = '\0';
  *text = al_steal_ptr (buf);
  return 0;
}

/* A single-value file ("123\n" or "max\n"). *present false when missing. */
static int
read_single (int dfd, const char *display, const char *file, bool *present, uint64_t *value, al_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  *present = false;
  int r = read_opt (dfd, display, file, &text, err);
  if (r < 0 || text == NULL)
    return r;
  size_t l = strcspn (text, " \n");
  if (!parse_u64 (text, l, true, value))
    return al_err (err, EINVAL, "cgroup %s: %s: unexpected content \"%.*s\"", display, file, (int) l, text);
  *present = true;
  return 0;
}

/* ---- sections --------------------------------------------------------- */

static int
read_cpu (int dfd, const char *display, struct al_stats *s, al_error_t *err)
{
  _cleanup_free_ char *t = NULL;
  int r = read_opt (dfd, display, "cpu.stat", &t, err);
  if (r < 0 || t == NULL)
    return r;
  uint64_t v;
  s->has_cpu = true;
  if (al_stats_keyed (t, "usage_usec", &v))
    s->cpu.total_ns = v * 1000;
  if (al_stats_keyed (t, "user_usec", &v))
    s->cpu.user_ns = v * 1000;
  if (al_stats_keyed (t, "system_usec", &v))
    s->cpu.kernel_ns = v * 1000;
  if (al_stats_keyed (t, "nr_periods", &v))
    {
      s->cpu.has_throttling = true;
      s->cpu.periods = v;
    }
  if (al_stats_keyed (t, "nr_throttled", &v))
    s->cpu.throttled_periods = v;
  if (al_stats_keyed (t, "throttled_usec", &v))
    s->cpu.throttled_ns = v * 1000;
  return 0;
}

/* memory.stat: "key value" lines, in order. */
static int
parse_memory_stat (const char *display, char *t, struct al_stats *s, al_error_t *err)
{
  size_t cap = 0;
  char *save = NULL;
  for (char *line = strtok_r (t, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      uint64_t v;
      if (sp == NULL || sp == line || !parse_u64 (sp + 1, strlen (sp + 1), false, &v))
        return al_err (err, EINVAL, "cgroup %s: memory.stat: unexpected line \"%s\"", display, line);
      if (s->memory.n_stat == cap)
        {
          cap = cap ? cap * 2 : 64;
          struct al_stats_kv *n = realloc (s->memory.stat, cap * sizeof *n);
          if (n == NULL)
            abort ();
          s->memory.stat = n;
        }
      s->memory.stat[s->memory.n_stat].key = strndup (line, (size_t) (sp - line));
      if (s->memory.stat[s->memory.n_stat].key == NULL)
        abort ();
      s->memory.stat[s->memory.n_stat++].value = v;
    }
  return 0;
}

static int
read_memory (int dfd, const char *display, struct al_stats *s, al_error_t *err)
{
  bool present;
  int r = read_single (dfd, display, "memory.current", &present, &s->memory.usage, err);
  if (r < 0 || !present)
    return r;
  s->has_memory = true;
  s->memory.limit = AL_STATS_UNLIMITED;
  if ((r = read_single (dfd, display, "memory.max", &present, &s->memory.limit, err)) < 0)
    return r;
  if ((r = read_single (dfd, display, "memory.peak", &s->memory.has_peak, &s->memory.peak, err)) < 0)
    return r;
  if ((r = read_single (dfd, display, "memory.swap.current", &s->memory.has_swap, &s->memory.swap_usage, err)) < 0)
    return r;
  s->memory.swap_limit = AL_STATS_UNLIMITED;
  if (s->memory.has_swap && (r = read_single (dfd, display, "memory.swap.max", &present, &s->memory.swap_limit, err)) < 0)
    return r;

  _cleanup_free_ char *ev = NULL;
  if ((r = read_opt (dfd, display, "memory.events", &ev, err)) < 0)
    return r;
  if (ev)
    {
      s->memory.has_events = true;
      al_stats_keyed (ev, "low", &s->memory.ev_low);
      al_stats_keyed (ev, "high", &s->memory.ev_high);
      al_stats_keyed (ev, "max", &s->memory.ev_max);
      al_stats_keyed (ev, "oom", &s->memory.ev_oom);
      al_stats_keyed (ev, "oom_kill", &s->memory.ev_oom_kill);
    }

  _cleanup_free_ char *st = NULL;
  if ((r = read_opt (dfd, display, "memory.stat", &st, err)) < 0)
    return r;
  if (st)
    return parse_memory_stat (display, st, s, err);
  return 0;
}

static int
read_pids (int dfd, const char *display, struct al_stats *s, al_error_t *err)
{
  bool present;
  int r = read_single (dfd, display, "pids.current", &present, &s->pids.current, err);
  if (r < 0 || !present)
    return r;
  s->has_pids = true;
  s->pids.limit = AL_STATS_UNLIMITED;
  return read_single (dfd, display, "pids.max", &present, &s->pids.limit, err);
}

/* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" */
static int
read_io (int dfd, const char *display, struct al_stats *s, al_error_t *err)
{
  _cleanup_free_ char *t = NULL;
  int r = read_opt (dfd, display, "io.stat", &t, err);
  if (r < 0 || t == NULL)
    return r;
  s->has_io = true;
  size_t cap = 0;
  char *save = NULL;
  for (char *line = strtok_r (t, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct al_stats_io e = { 0 };
      char *fsave = NULL;
      char *dev = strtok_r (line, " ", &fsave);
      if (dev == NULL)
        continue;
      char *colon = strchr (dev, ':');
      if (colon == NULL || !parse_u64 (dev, (size_t) (colon - dev), false, &e.major)
          || !parse_u64 (colon + 1, strlen (colon + 1), false, &e.minor))
        return al_err (err, EINVAL, "cgroup %s: io.stat: bad device \"%s\"", display, dev);
      for (char *f = strtok_r (NULL, " ", &fsave); f; f = strtok_r (NULL, " ", &fsave))
        {
          char *eq = strchr (f, '=');
          uint64_t v;
          if (eq == NULL || !parse_u64 (eq + 1, strlen (eq + 1), false, &v))
            continue; /* unknown or non-numeric keys (e.g. cost.*) are skipped */
          *eq = '\0';
          if (strcmp (f, "rbytes") == 0)
            e.rbytes = v;
          else if (strcmp (f, "wbytes") == 0)
            e.wbytes = v;
          else if (strcmp (f, "rios") == 0)
            e.rios = v;
          else if (strcmp (f, "wios") == 0)
            e.wios = v;
          else if (strcmp (f, "dbytes") == 0)
            e.dbytes = v;
          else if (strcmp (f, "dios") == 0)
            e.dios = v;
        }
      if (s->n_io == cap)
        {
          cap = cap ? cap * 2 : 8;
          struct al_stats_io *n = realloc (s->io, cap * sizeof *n);
          if (n == NULL)
            abort ();
          s->io = n;
        }
      s->io[s->n_io++] = e;
    }
  return 0;
}

static int
cmp_hugetlb (const void *a, const void *b)
{
  const struct al_stats_hugetlb *x = a, *y = b;
  return strcmp (x->page_size, y->page_size);
}

/* hugetlb.<size>.current for every size the cgroup has (not .rsvd). */
static int
read_hugetlb (int dfd, const char *display, struct al_stats *s, al_error_t *err)
{
  int dup_fd = openat (dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup_fd < 0)
    return al_err (err, errno, "cgroup %s: open", display);
  DIR *dir = fdopendir (dup_fd);
  if (dir == NULL)
    {
      close (dup_fd);
      return al_err (err, errno, "cgroup %s: opendir", display);
    }
  size_t cap = 0;
  int r = 0;
  struct dirent *de;
  while ((de = readdir (dir)) != NULL)
    {
      const char *name = de->d_name;
      size_t l = strlen (name);
      static const char pre[] = "hugetlb.", suf[] = ".current";
      if (l <= strlen (pre) + strlen (suf) || !al_has_prefix (name, pre) || strcmp (name + l - strlen (suf), suf) != 0)
        continue;
      _cleanup_free_ char *size = strndup (name + strlen (pre), l - strlen (pre) - strlen (suf));
      if (size == NULL)
        abort ();
      if (strchr (size, '.'))
        continue; /* hugetlb.2MB.rsvd.current */
      struct al_stats_hugetlb h = { .max = AL_STATS_UNLIMITED };
      bool present;
      if ((r = read_single (dfd, display, name, &present, &h.usage, err)) < 0)
        break;
      if (!present)
        continue;
      _cleanup_free_ char *maxf = al_xasprintf ("hugetlb.%s.max", size);
      if ((r = read_single (dfd, display, maxf, &present, &h.max, err)) < 0)
        break;
      _cleanup_free_ char *evf = al_xasprintf ("hugetlb.%s.events", size);
      _cleanup_free_ char *ev = NULL;
      if ((r = read_opt (dfd, display, evf, &ev, err)) < 0)
        break;
      if (ev)
        al_stats_keyed (ev, "max", &h.failcnt);
      if (s->n_hugetlb == cap)
        {
          cap = cap ? cap * 2 : 4;
          struct al_stats_hugetlb *n = realloc (s->hugetlb, cap * sizeof *n);
          if (n == NULL)
            abort ();
          s->hugetlb = n;
        }
      h.page_size = al_steal_ptr (size);
      s->hugetlb[s->n_hugetlb++] = h;
    }
  closedir (dir);
  if (r == 0 && s->n_hugetlb > 1)
    qsort (s->hugetlb, s->n_hugetlb, sizeof *s->hugetlb, cmp_hugetlb);
  return r;
}

int
al_stats_read_at (int dirfd, const char *display, struct al_stats *out, al_error_t *err)
{
  memset (out, 0, sizeof *out);
  int r;
  if ((r = read_cpu (dirfd, display, out, err)) < 0 || (r = read_memory (dirfd, display, out, err)) < 0
      || (r = read_pids (dirfd, display, out, err)) < 0 || (r = read_io (dirfd, display, out, err)) < 0
      || (r = read_hugetlb (dirfd, display, out, err)) < 0)
    {
      al_stats_clear (out);
      return r;
    }
  return 0;
}

int
al_stats_read (struct al_cgroup *cg, struct al_stats *out, al_error_t *err)
{
  _cleanup_free_ char *display = strcmp (cg->path, "/") == 0 ? al_xstrdup (cg->mount)
                                                             : al_xasprintf ("%s%s", cg->mount, cg->path);
  _cleanup_close_ int fd = open (display, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "open cgroup %s", display);
  return al_stats_read_at (fd, display, out, err);
}

void
al_stats_clear (struct al_stats *s)
{
  for (size_t i = 0; i < s->memory.n_stat; i++)
    free (s->memory.stat[i].key);
  free (s->memory.stat);
  free (s->io);
  for (size_t i = 0; i < s->n_hugetlb; i++)
    free (s->hugetlb[i].page_size);
  free (s->hugetlb);
  memset (s, 0, sizeof *s);
}

int
al_stats_read_oom (int fd, uint64_t *oom, uint64_t *oom_kill)
{
  char buf[1024];
  ssize_t n = pread (fd, buf, sizeof buf - 1, 0);
  if (n < 0)
    return -errno;
  buf[n] = '\0';
  *oom = 0;
  *oom_kill = 0;
  al_stats_keyed (buf, "oom", oom);
  al_stats_keyed (buf, "oom_kill", oom_kill);
  return 0;
}

/* ---- JSON ------------------------------------------------------------- */

static void
g_key (yajl_gen g, const char *k)
{
  yajl_gen_string (g, (const unsigned char *) k, strlen (k));
}

static void
g_u64 (yajl_gen g, const char *k, uint64_t v)
{
  char buf[24];
  int l = snprintf (buf, sizeof buf, "%" PRIu64, v);
  g_key (g, k);
  yajl_gen_number (g, buf, (size_t) l);
}

/* runc's omitempty: zero values are left out. */
static void
g_u64_nz (yajl_gen g, const char *k, uint64_t v)
{
  if (v != 0)
    g_u64 (g, k, v);
}

static void
g_str (yajl_gen g, const char *k, const char *v)
{
  g_key (g, k);
  yajl_gen_string (g, (const unsigned char *) v, strlen (v));
}

static char *
g_finish (yajl_gen g)
{
  return al_json_gen_finish (g);
}

/* types.MemoryEntry */
static void
g_mem_entry (yajl_gen g, const char *k, uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
  g_key (g, k);
  yajl_gen_map_open (g);
  g_u64 (g, "limit", limit);
  g_u64_nz (g, "usage", usage);
  g_u64_nz (g, "max", max);
  g_u64 (g, "failcnt", failcnt);
  yajl_gen_map_close (g);
}

static void
g_blkio_list (yajl_gen g, const char *k, const struct al_stats *s, bool bytes)
{
  if (s->n_io == 0)
    return; /* omitempty */
  g_key (g, k);
  yajl_gen_array_open (g);
  for (size_t i = 0; i < s->n_io; i++)
    {
      const struct al_stats_io *e = &s->io[i];
      const struct
      {
        const char *op;
        uint64_t v;
      } ops[] = {
        { "Read", bytes ? e->rbytes : e->rios },
        { "Write", bytes ? e->wbytes : e->wios },
        { "Discard", bytes ? e->dbytes : e->dios },
      };
      for (size_t j = 0; j < sizeof ops / sizeof ops[0]; j++)
        {
          yajl_gen_map_open (g);
          g_u64_nz (g, "major", e->major);
          g_u64_nz (g, "minor", e->minor);
          g_str (g, "op", ops[j].op);
          g_u64_nz (g, "value", ops[j].v);
          yajl_gen_map_close (g);
        }
    }
  yajl_gen_array_close (g);
}

static void
g_data (yajl_gen g, const struct al_stats *s)
{
  yajl_gen_map_open (g);
  if (s->has_cpu)
    {
      g_key (g, "cpu");
      yajl_gen_map_open (g);
      g_key (g, "usage");
      yajl_gen_map_open (g);
      g_u64_nz (g, "total", s->cpu.total_ns);
      g_u64 (g, "kernel", s->cpu.kernel_ns);
      g_u64 (g, "user", s->cpu.user_ns);
      yajl_gen_map_close (g);
      g_key (g, "throttling");
      yajl_gen_map_open (g);
      g_u64_nz (g, "periods", s->cpu.periods);
      g_u64_nz (g, "throttledPeriods", s->cpu.throttled_periods);
      g_u64_nz (g, "throttledTime", s->cpu.throttled_ns);
      yajl_gen_map_close (g);
      yajl_gen_map_close (g);
    }
  if (s->has_memory)
    {
      g_key (g, "memory");
      yajl_gen_map_open (g);
      uint64_t cache = 0;
      for (size_t i = 0; i < s->memory.n_stat; i++)
        if (strcmp (s->memory.stat[i].key, "file") == 0)
          cache = s->memory.stat[i].value;
      g_u64_nz (g, "cache", cache);
      g_mem_entry (g, "usage", s->memory.limit, s->memory.usage, s->memory.has_peak ? s->memory.peak : 0,
                   s->memory.ev_max);
      if (s->memory.has_swap)
        {
          /* runc reports swap as memory+swap, like cgroup v1's memsw. */
          uint64_t limit = AL_STATS_UNLIMITED;
          if (s->memory.limit != AL_STATS_UNLIMITED && s->memory.swap_limit != AL_STATS_UNLIMITED
              && s->memory.limit <= UINT64_MAX - s->memory.swap_limit)
            limit = s->memory.limit + s->memory.swap_limit;
          g_mem_entry (g, "swap", limit, s->memory.usage + s->memory.swap_usage, 0, 0);
        }
      if (s->memory.n_stat)
        {
          g_key (g, "raw");
          yajl_gen_map_open (g);
          for (size_t i = 0; i < s->memory.n_stat; i++)
            g_u64 (g, s->memory.stat[i].key, s->memory.stat[i].value);
          yajl_gen_map_close (g);
        }
      yajl_gen_map_close (g);
    }
  if (s->has_pids)
    {
      g_key (g, "pids");
      yajl_gen_map_open (g);
      g_u64_nz (g, "current", s->pids.current);
      /* runc: a "max" limit is 0 (left out). */
      g_u64_nz (g, "limit", s->pids.limit == AL_STATS_UNLIMITED ? 0 : s->pids.limit);
      yajl_gen_map_close (g);
    }
  if (s->has_io)
    {
      g_key (g, "blkio");
      yajl_gen_map_open (g);
      g_blkio_list (g, "ioServiceBytesRecursive", s, true);
      g_blkio_list (g, "ioServicedRecursive", s, false);
      yajl_gen_map_close (g);
    }
  if (s->n_hugetlb)
    {
      g_key (g, "hugetlb");
      yajl_gen_map_open (g);
      for (size_t i = 0; i < s->n_hugetlb; i++)
        {
          g_key (g, s->hugetlb[i].page_size);
          yajl_gen_map_open (g);
          g_u64_nz (g, "usage", s->hugetlb[i].usage);
          g_u64_nz (g, "max", s->hugetlb[i].max);
          g_u64 (g, "failcnt", s->hugetlb[i].failcnt);
          yajl_gen_map_close (g);
        }
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
}

char *
al_stats_event_json (const struct al_stats *s, const char *id)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  yajl_gen_map_open (g);
  g_str (g, "type", "stats");
  g_str (g, "id", id);
  g_key (g, "data");
  g_data (g, s);
  yajl_gen_map_close (g);
  return g_finish (g);
}

char *
al_stats_simple_event_json (const char *type, const char *id)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  yajl_gen_map_open (g);
  g_str (g, "type", type);
  g_str (g, "id", id);
  yajl_gen_map_close (g);
  return g_finish (g);
}
