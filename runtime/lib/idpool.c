/* idpool.c: see idpool.h.
 *
 * The pool dir holds one file per slot taken, "FIRST-LAST" (its host range,
 * decimal), with {"root", "id", "token", "pool", "pid"}: the state root and
 * container id that own it and a random token. The owner's state dir holds
 * AL_IDPOOL_STATE_FILE with {"dir", "first", "size", "token", "pool"}.
 *
 * Everything that reads or changes the pool dir does so holding an flock of
 * its .lock file: allocation (scan, choose, write the state dir's record,
 * then the slot's file), release (compare the token, unlink) and reclaim.
 * So under the lock a slot file is in use exactly when its owner's state dir
 * records its token: the record is written before the slot file and removed
 * only after it (or with the whole state dir, once the slot is released or
 * its create died). The ranges of the files are compared, not their names
 * with the pool's slots: pools of different profiles may overlap, and a
 * range overlapping any file in use is never handed out. */
#include "idpool.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "json.h"
#include "profile.h"
#include "spec.h"
#include "state.h"
#include "util.h"

#define LOCK_FILE ".lock"
#define RECORD_MAX 16384
#define SUBID_MAX (4u * 1024 * 1024)

struct entry
{
  uint32_t first, last;
  char name[24]; /* "4294967294-4294967294" */
};

struct record
{
  char *root, *id, *dir, *token, *pool;
  uint32_t first, size;
};

static void *
xrealloc (void *p, size_t n)
{
  void *q = realloc (p, n ? n : 1);
  if (q == NULL)
    abort (); /* as al_xmalloc0 */
  return q;
}

static const char *
dir_of (const struct al_idpool *p)
{
  return p->dir ? p->dir : AL_IDPOOL_DIR;
}

static uint32_t
last_of (const struct al_idpool *p)
{
  return (uint32_t) ((uint64_t) p->start + (uint64_t) p->size * p->slots - 1);
}

bool
al_idpool_from_profile (const struct al_profile *p, struct al_idpool *pool)
{
  memset (pool, 0, sizeof *pool);
  if (!al_profile_id_pool (p, &pool->start, &pool->size, &pool->slots))
    return false;
  pool->name = al_xstrdup (al_profile_name (p));
  return true;
}

void
al_idpool_clear (struct al_idpool *pool)
{
  free (pool->name);
  memset (pool, 0, sizeof *pool);
}

static void
record_clear (struct record *r)
{
  free (r->root);
  free (r->id);
  free (r->dir);
  free (r->token);
  free (r->pool);
  memset (r, 0, sizeof *r);
}

/* ---- files -------------------------------------------------------------- */

static char *
json_str (yajl_val o, const char *k)
{
  const char *path[] = { k, NULL };
  yajl_val v = yajl_tree_get (o, path, yajl_t_string);
  return v ? al_xstrdup (YAJL_GET_STRING (v)) : NULL;
}

static bool
json_u32 (yajl_val o, const char *k, uint32_t *out)
{
  const char *path[] = { k, NULL };
  yajl_val v = yajl_tree_get (o, path, yajl_t_number);
  if (v == NULL || !YAJL_IS_INTEGER (v) || YAJL_GET_INTEGER (v) < 0 || YAJL_GET_INTEGER (v) > UINT32_MAX)
    return false;
  *out = (uint32_t) YAJL_GET_INTEGER (v);
  return true;
}

/* Read a record; -ENOENT when the file does not exist, -EINVAL when it is
 * not one. */
static int
record_read (int dirfd, const char *name, struct record *r)
{
  memset (r, 0, sizeof *r);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  _cleanup_error_ al_error_t e = NULL;
  int ret = al_read_file_at (dirfd, name, RECORD_MAX, &text, &len, &e);
  if (ret < 0)
    return ret;
  char ebuf[128];
  yajl_val root = al_json_tree_parse (text, len, ebuf, sizeof ebuf);
  if (root == NULL)
    return -EINVAL;
  r->root = json_str (root, "root");
  r->id = json_str (root, "id");
  r->dir = json_str (root, "dir");
  r->token = json_str (root, "token");
  r->pool = json_str (root, "pool");
  json_u32 (root, "first", &r->first);
  json_u32 (root, "size", &r->size);
  yajl_tree_free (root);
  if (r->token == NULL || r->token[0] == '\0')
    {
      record_clear (r);
      return -EINVAL;
    }
  return 0;
}

static char *
record_json (const char *const *kv, const char *int_keys[2], const uint32_t ints[2])
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  yajl_gen_map_open (g);
  for (size_t i = 0; kv[i]; i += 2)
    {
      al_json_str (g, kv[i]);
      al_json_str (g, kv[i + 1]);
    }
  for (size_t i = 0; int_keys && i < 2 && int_keys[i]; i++)
    {
      al_json_str (g, int_keys[i]);
      yajl_gen_integer (g, ints[i]);
    }
  yajl_gen_map_close (g);
  return al_json_gen_finish (g);
}

/* 128 random bits in hex: tells this container's slot from any earlier
 * one of the same root and id. */
static void
new_token (char out[33])
{
  unsigned char b[16];
  if (getrandom (b, sizeof b, GRND_NONBLOCK) != (ssize_t) sizeof b)
    {
      /* No entropy yet (early boot): unique is enough, secret is not needed. */
      static unsigned counter;
      struct timespec ts;
      clock_gettime (CLOCK_REALTIME, &ts);
      uint64_t x[2] = { (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec,
                        ((uint64_t) getpid () << 32) | ++counter };
      memcpy (b, x, sizeof b);
    }
  for (size_t i = 0; i < sizeof b; i++)
    snprintf (out + 2 * i, 3, "%02x", b[i]);
}

/* "FIRST-LAST", canonical (no leading zeros, no sign), FIRST <= LAST. */
static bool
parse_name (const char *s, uint32_t *first, uint32_t *last)
{
  unsigned long long v[2];
  const char *p = s;
  for (int i = 0; i < 2; i++)
    {
      if (!isdigit ((unsigned char) *p))
        return false;
      char *end;
      errno = 0;
      v[i] = strtoull (p, &end, 10);
      if (errno || v[i] > UINT32_MAX || *end != (i == 0 ? '-' : '\0'))
        return false;
      p = end + 1;
    }
  char canon[32];
  snprintf (canon, sizeof canon, "%llu-%llu", v[0], v[1]);
  if (strcmp (canon, s) != 0 || v[0] > v[1])
    return false;
  *first = (uint32_t) v[0];
  *last = (uint32_t) v[1];
  return true;
}

/* ---- the pool dir and its lock ---------------------------------------- */

static int
open_pool_dir (const char *dir, bool create, al_error_t *err)
{
  if (dir[0] != '/')
    return al_err (err, EINVAL, "id pool dir `%s`: not an absolute path", dir);
  if (create && mkdir (dir, 0700) < 0 && errno != EEXIST)
    return al_err (err, errno, "id pool dir `%s`: create it", dir);
  int fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return al_err (err, errno, "id pool dir `%s`", dir);
  struct stat st;
  if (fstat (fd, &st) < 0)
    {
      int e = errno;
      close (fd);
      return al_err (err, e, "id pool dir `%s`: stat", dir);
    }
  /* Whoever may write here may forge or remove slots, and so give one
     tenant's ids to another. */
  if (st.st_uid != geteuid () || (st.st_mode & 022))
    {
      close (fd);
      return al_err (err, EPERM, "id pool dir `%s`: owned by uid %u with mode %04o: it must be uid %u's and writable by it alone",
                     dir, (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777), (unsigned) geteuid ());
    }
  return fd;
}

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pool's lock, held until the fd is closed. */
static int
lock_pool (int dirfd, const char *dir, int timeout_ms, al_error_t *err)
{
  int fd = openat (dirfd, LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return al_err (err, errno, "id pool `%s`: open %s", dir, LOCK_FILE);
  int64_t t0 = now_ms ();
  while (flock (fd, LOCK_EX | LOCK_NB) < 0)
    {
      int e = errno;
      if (e == EINTR)
        continue;
      if (e != EWOULDBLOCK || now_ms () - t0 >= timeout_ms)
        {
          close (fd);
          if (e == EWOULDBLOCK)
            return al_err (err, EBUSY, "id pool `%s`: still locked after %d ms by another airlock (a create or delete that hangs?)",
                           dir, timeout_ms);
          return al_err (err, e, "id pool `%s`: lock", dir);
        }
      /* Holders keep it for a directory scan and two small writes. */
      usleep (1000);
    }
  return fd;
}

/* Every slot file (named FIRST-LAST) in the pool dir. `locked`: the
 * caller holds the lock, so FIRST-LAST.tmp is what an allocator killed
 * before its rename left: removed. */
static int
scan (int dirfd, const char *dir, bool locked, struct entry **out, size_t *n, al_error_t *err)
{
  *out = NULL;
  *n = 0;
  int fd = openat (dirfd, ".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  DIR *d = fd < 0 ? NULL : fdopendir (fd);
  if (d == NULL)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      return al_err (err, e, "id pool `%s`: list", dir);
    }
  size_t cap = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      uint32_t first, last;
      size_t len = strlen (de->d_name);
      if (locked && len > 4 && len < 32 && strcmp (de->d_name + len - 4, ".tmp") == 0)
        {
          char base[32];
          snprintf (base, sizeof base, "%.*s", (int) (len - 4), de->d_name);
          if (parse_name (base, &first, &last))
            unlinkat (dirfd, de->d_name, 0);
          continue;
        }
      if (!parse_name (de->d_name, &first, &last))
        continue;
      if (*n == cap)
        {
          cap = cap ? 2 * cap : 16;
          *out = xrealloc (*out, cap * sizeof **out);
        }
      struct entry *e = &(*out)[(*n)++];
      e->first = first;
      e->last = last;
      snprintf (e->name, sizeof e->name, "%u-%u", first, last); /* canonical: the same text */
    }
  closedir (d);
  return 0;
}

static bool
overlaps (uint32_t a0, uint32_t a1, uint32_t b0, uint32_t b1)
{
  return a0 <= b1 && b0 <= a1;
}

/* Mark the slots of the pool that a file overlaps; returns how many are. */
static size_t
mark_taken (const struct al_idpool *p, const struct entry *e, size_t n, uint8_t *taken)
{
  size_t count = 0;
  uint32_t plast = last_of (p);
  memset (taken, 0, (p->slots + 7) / 8);
  for (size_t k = 0; k < n; k++)
    {
      if (!overlaps (e[k].first, e[k].last, p->start, plast))
        continue;
      uint32_t lo = ((e[k].first > p->start ? e[k].first : p->start) - p->start) / p->size;
      uint32_t hi = ((e[k].last < plast ? e[k].last : plast) - p->start) / p->size;
      for (uint32_t i = lo; i <= hi; i++)
        if (!(taken[i / 8] & (1u << (i % 8))))
          {
            taken[i / 8] |= (uint8_t) (1u << (i % 8));
            count++;
          }
    }
  return count;
}

static bool
first_free (const struct al_idpool *p, const uint8_t *taken, uint32_t *slot)
{
  for (uint32_t i = 0; i < p->slots; i++)
    if (!(taken[i / 8] & (1u << (i % 8))))
      {
        *slot = i;
        return true;
      }
  return false;
}

/* ---- reclaim ------------------------------------------------------------ */

/* Does the state dir named by slot file `name` still record its token?
 * Called under the pool lock. When it cannot tell (an I/O error, a root it
 * may not read), it says yes: a slot kept too long is a leak, a slot given
 * away too early is two tenants on the same ids. */
static bool
owner_holds (int dirfd, const char *name)
{
  struct record s;
  int r = record_read (dirfd, name, &s);
  if (r < 0) /* written atomically under the lock: never half-made */
    return r != -EINVAL && r != -ENOENT;
  bool holds = false;
  if (s.root == NULL || s.root[0] != '/' || s.id == NULL || al_id_validate (s.id, NULL) < 0)
    goto out;
  int rootfd = open (s.root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (rootfd < 0)
    {
      holds = errno != ENOENT && errno != ENOTDIR;
      goto out;
    }
  int sfd = openat (rootfd, s.id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  int e = errno;
  close (rootfd);
  if (sfd < 0)
    {
      holds = e != ENOENT && e != ENOTDIR;
      goto out;
    }
  struct record o;
  r = record_read (sfd, AL_IDPOOL_STATE_FILE, &o);
  close (sfd);
  if (r == 0)
    holds = strcmp (o.token, s.token) == 0;
  else
    holds = r != -ENOENT && r != -EINVAL;
  record_clear (&o);
out:
  record_clear (&s);
  return holds;
}

static int
cmp_u32 (const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
  return x < y ? -1 : x > y;
}

/* Every uid (real, effective, saved, filesystem) of every live (not
 * zombie) process we can see, sorted. */
static uint32_t *
live_uids (size_t *n)
{
  *n = 0;
  DIR *d = opendir ("/proc");
  if (d == NULL)
    return NULL;
  uint32_t *v = NULL;
  size_t cap = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (!isdigit ((unsigned char) de->d_name[0]))
        continue;
      char path[300], buf[4096];
      snprintf (path, sizeof path, "%s/status", de->d_name);
      int fd = openat (dirfd (d), path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      ssize_t len = read (fd, buf, sizeof buf - 1);
      close (fd);
      if (len <= 0)
        continue;
      buf[len] = '\0';
      /* A zombie holds no resources of its ids any more. */
      const char *state = strstr (buf, "\nState:");
      if (state && strchr (" \t", state[7]) && strchr ("ZX", state[8 + strspn (state + 8, " \t")]))
        continue;
      const char *u = strstr (buf, "\nUid:");
      unsigned a[4];
      if (u == NULL || sscanf (u + 5, "%u %u %u %u", &a[0], &a[1], &a[2], &a[3]) != 4)
        continue;
      if (*n + 4 > cap)
        {
          cap = cap ? 2 * cap : 1024;
          v = xrealloc (v, cap * sizeof *v);
        }
      for (int i = 0; i < 4; i++)
        v[(*n)++] = a[i];
    }
  closedir (d);
  if (*n)
    qsort (v, *n, sizeof *v, cmp_u32);
  return v;
}

static bool
any_in (const uint32_t *v, size_t n, uint32_t first, uint32_t last)
{
  /* the first uid >= first */
  size_t lo = 0, hi = n;
  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (v[mid] < first)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo < n && v[lo] <= last;
}

/* Remove the files overlapping the pool whose container is gone and whose
 * range no process uses. Returns how many. */
static size_t
reclaim (int dirfd, const struct al_idpool *p, struct entry *e, size_t *n)
{
  uint32_t plast = last_of (p);
  bool *stale = al_xmalloc0 ((*n + 1) * sizeof *stale);
  size_t n_stale = 0;
  for (size_t k = 0; k < *n; k++)
    if (overlaps (e[k].first, e[k].last, p->start, plast) && !owner_holds (dirfd, e[k].name))
      {
        stale[k] = true;
        n_stale++;
      }
  size_t done = 0;
  if (n_stale)
    {
      /* A container whose state dir was removed by hand may still run:
         its ids are not free then. */
      size_t nu = 0;
      _cleanup_free_ uint32_t *uids = live_uids (&nu);
      size_t k2 = 0;
      for (size_t k = 0; k < *n; k++)
        {
          if (stale[k] && !any_in (uids, nu, e[k].first, e[k].last)
              && (unlinkat (dirfd, e[k].name, 0) == 0 || errno == ENOENT))
            {
              done++;
              continue;
            }
          e[k2++] = e[k];
        }
      *n = k2;
    }
  free (stale);
  return done;
}

/* ---- /etc/subuid, /etc/subgid ----------------------------------------- */

/* The pool must not hand out ids that belong to a user's own containers
 * (rootless podman, newuidmap). Lines are NAME:START:COUNT. */
static int
check_subids (const struct al_idpool *p, const char *path, al_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  _cleanup_error_ al_error_t e = NULL;
  int r = al_read_file_at (AT_FDCWD, path, SUBID_MAX, &text, &len, &e);
  if (r == -ENOENT)
    return 0;
  if (r < 0)
    return al_err (err, -r, "profile \"%s\": user.pool: read %s", p->name ? p->name : "?", path);
  uint32_t plast = last_of (p);
  size_t lineno = 0;
  for (char *line = text, *next; line && *line; line = next)
    {
      lineno++;
      next = strchr (line, '\n');
      if (next)
        *next++ = '\0';
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (line[0] == '#' || c2 == NULL)
        continue;
      char *end;
      errno = 0;
      unsigned long long start = strtoull (c1 + 1, &end, 10);
      if (errno || end != c2)
        continue;
      unsigned long long count = strtoull (c2 + 1, &end, 10);
      if (errno || (*end != '\0' && *end != '\r') || count == 0 || start > UINT32_MAX)
        continue;
      unsigned long long last = start + count - 1;
      if (start <= plast && last >= p->start)
        {
          al_err (err, 0,
                  "profile \"%s\": user.pool: host ids %u-%u overlap %s line %zu (\"%.*s\": %llu-%llu), ids "
                  "delegated to a user's own containers: move user.pool.hostStart",
                  p->name ? p->name : "?", p->start, plast, path, lineno, (int) (c1 - line), line, start, last);
          if (err && *err)
            (*err)->errnum = EEXIST;
          return -EEXIST;
        }
    }
  return 0;
}

/* ---- the API ------------------------------------------------------------ */

static int
check_pool (const struct al_idpool *p, al_error_t *err)
{
  if (p->size == 0 || p->slots == 0 || p->slots > AL_PROFILE_POOL_MAX_SLOTS
      || (uint64_t) p->start + (uint64_t) p->size * p->slots - 1 > UINT32_MAX - 1)
    return al_err (err, EINVAL, "profile \"%s\": user.pool: %u slots of %u ids from %u: not a valid pool",
                   p->name ? p->name : "?", p->slots, p->size, p->start);
  return 0;
}

int
al_idpool_acquire (const struct al_idpool *pool, const char *root, const char *id, int state_dirfd,
                   struct al_idslot *out, al_error_t *err)
{
  const char *name = pool->name ? pool->name : "?";
  const char *dir = dir_of (pool);
  int r = check_pool (pool, err);
  if (r < 0 || (r = check_subids (pool, pool->subuid ? pool->subuid : "/etc/subuid", err)) < 0
      || (r = check_subids (pool, pool->subgid ? pool->subgid : "/etc/subgid", err)) < 0)
    return r;
  _cleanup_free_ char *root_abs = realpath (root, NULL);
  if (root_abs == NULL)
    return al_err (err, errno, "state root `%s`", root);

  _cleanup_close_ int dirfd = open_pool_dir (dir, true, err);
  if (dirfd < 0)
    return dirfd;
  _cleanup_close_ int lockfd
      = lock_pool (dirfd, dir, pool->lock_timeout_ms > 0 ? pool->lock_timeout_ms : AL_IDPOOL_LOCK_TIMEOUT_MS, err);
  if (lockfd < 0)
    return lockfd;
  _cleanup_free_ struct entry *e = NULL;
  size_t n = 0;
  r = scan (dirfd, dir, true, &e, &n, err);
  if (r < 0)
    return r;
  _cleanup_free_ uint8_t *taken = al_xmalloc0 ((pool->slots + 7) / 8);
  mark_taken (pool, e, n, taken);
  uint32_t slot;
  if (!first_free (pool, taken, &slot))
    {
      if (reclaim (dirfd, pool, e, &n) > 0)
        mark_taken (pool, e, n, taken);
      if (!first_free (pool, taken, &slot))
        {
          al_err (err, 0,
                  "profile \"%s\": user.pool: all %u slots are in use (host ids %u-%u, %u per container, recorded in "
                  "%s): delete containers that are done, or give the pool more slots",
                  name, pool->slots, pool->start, last_of (pool), pool->size, dir);
          if (err && *err)
            (*err)->errnum = EAGAIN;
          return -EAGAIN;
        }
    }

  uint32_t first = pool->start + slot * pool->size;
  char file[24];
  snprintf (file, sizeof file, "%u-%u", first, first + (pool->size - 1));
  char token[33];
  new_token (token);
  /* The state dir's record first: a create killed between the two writes
     leaves a record naming a slot it never took (release ignores it), never
     a slot file that nothing names. */
  const char *ikeys[2] = { "first", "size" };
  const uint32_t ivals[2] = { first, pool->size };
  _cleanup_free_ char *mine = record_json ((const char *const[]){ "dir", dir, "token", token, "pool", name, NULL },
                                           ikeys, ivals);
  r = al_write_file_atomic_at (state_dirfd, AL_IDPOOL_STATE_FILE, mine, strlen (mine), 0600, err);
  if (r < 0)
    return al_err_prefix (err, "container \"%s\": record its id range", id);
  char pid[16];
  snprintf (pid, sizeof pid, "%d", (int) getpid ());
  _cleanup_free_ char *rec = record_json (
      (const char *const[]){ "root", root_abs, "id", id, "token", token, "pool", name, "pid", pid, NULL }, NULL, NULL);
  /* Complete before it appears, and never over another's file (the lock
     makes that impossible: this would catch a runtime that skips it). */
  char tmp[32];
  snprintf (tmp, sizeof tmp, "%s.tmp", file);
  r = al_write_file_at (dirfd, tmp, rec, strlen (rec), 0600, err);
  if (r == 0 && renameat2 (dirfd, tmp, dirfd, file, RENAME_NOREPLACE) < 0)
    r = al_err (err, errno, "rename `%s` to `%s`", tmp, file);
  if (r < 0)
    {
      unlinkat (dirfd, tmp, 0);
      unlinkat (state_dirfd, AL_IDPOOL_STATE_FILE, 0);
      return al_err_prefix (err, "id pool `%s`", dir);
    }
  out->first = first;
  out->size = pool->size;
  return 0;
}

int
al_idpool_release (int state_dirfd, const char *id, al_error_t *err)
{
  struct record mine;
  int r = record_read (state_dirfd, AL_IDPOOL_STATE_FILE, &mine);
  if (r == -ENOENT)
    return 0;
  if (r < 0 || mine.dir == NULL || mine.size == 0 || (uint64_t) mine.first + mine.size - 1 > UINT32_MAX)
    {
      record_clear (&mine);
      return al_err (err, r < 0 ? -r : EINVAL, "container \"%s\": its state dir's %s", id, AL_IDPOOL_STATE_FILE);
    }
  _cleanup_error_ al_error_t derr = NULL;
  _cleanup_close_ int dirfd = open_pool_dir (mine.dir, false, &derr);
  if (dirfd < 0 && dirfd != -ENOENT)
    {
      r = al_err (err, -dirfd, "container \"%s\": release its ids: %s", id, derr->msg);
      record_clear (&mine);
      return r;
    }
  if (dirfd >= 0)
    {
      _cleanup_close_ int lockfd = lock_pool (dirfd, mine.dir, AL_IDPOOL_LOCK_TIMEOUT_MS, err);
      if (lockfd < 0)
        {
          record_clear (&mine);
          return al_err_prefix (err, "container \"%s\": release its ids", id);
        }
      char file[24];
      snprintf (file, sizeof file, "%u-%u", mine.first, mine.first + (mine.size - 1));
      struct record slot;
      r = record_read (dirfd, file, &slot);
      /* Not ours any more (reclaimed once this state dir had lost its
         record, then given to another container): leave it. */
      if (r == 0 && strcmp (slot.token, mine.token) == 0 && unlinkat (dirfd, file, 0) < 0 && errno != ENOENT)
        {
          r = al_err (err, errno, "container \"%s\": release its ids: remove `%s/%s`", id, mine.dir, file);
          record_clear (&slot);
          record_clear (&mine);
          return r;
        }
      record_clear (&slot);
      /* What a create killed before the slot file's rename left. */
      char tmp[32];
      snprintf (tmp, sizeof tmp, "%s.tmp", file);
      unlinkat (dirfd, tmp, 0);
    }
  record_clear (&mine);
  if (unlinkat (state_dirfd, AL_IDPOOL_STATE_FILE, 0) < 0 && errno != ENOENT)
    return al_err (err, errno, "container \"%s\": remove %s", id, AL_IDPOOL_STATE_FILE);
  return 0;
}

bool
al_idpool_recorded (int state_dirfd, struct al_idslot *out)
{
  struct record mine;
  if (record_read (state_dirfd, AL_IDPOOL_STATE_FILE, &mine) < 0)
    return false;
  bool ok = mine.size > 0;
  out->first = mine.first;
  out->size = mine.size;
  record_clear (&mine);
  return ok;
}

int
al_idpool_count (const struct al_idpool *pool, size_t *in_use, al_error_t *err)
{
  *in_use = 0;
  int r = check_pool (pool, err);
  if (r < 0)
    return r;
  const char *dir = dir_of (pool);
  _cleanup_error_ al_error_t derr = NULL;
  _cleanup_close_ int dirfd = open_pool_dir (dir, false, &derr);
  if (dirfd == -ENOENT)
    return 0;
  if (dirfd < 0)
    return al_err (err, -dirfd, "%s", derr->msg);
  _cleanup_free_ struct entry *e = NULL;
  size_t n = 0;
  r = scan (dirfd, dir, false, &e, &n, err);
  if (r < 0)
    return r;
  _cleanup_free_ uint8_t *taken = al_xmalloc0 ((pool->slots + 7) / 8);
  *in_use = mark_taken (pool, e, n, taken);
  return 0;
}

int
al_idpool_apply (const struct al_idpool *pool, struct oci_spec *spec, const char *root, const char *id,
                 int state_dirfd, al_error_t *err)
{
  if (pool == NULL || pool->slots == 0 || spec->linux_ == NULL)
    return 0;
  const struct oci_namespace *ns = oci_spec_namespace (spec, OCI_NS_USER);
  struct oci_linux *l = spec->linux_;
  if (ns == NULL || ns->path || l->n_uid_mappings || l->n_gid_mappings)
    return 0; /* the config's own mappings, checked by the profile */
  struct al_idslot s;
  int r = al_idpool_acquire (pool, root, id, state_dirfd, &s, err);
  if (r < 0)
    return al_err_prefix (err, "container \"%s\"", id);
  free (l->uid_mappings);
  free (l->gid_mappings);
  l->uid_mappings = al_xmalloc0 (sizeof *l->uid_mappings);
  l->gid_mappings = al_xmalloc0 (sizeof *l->gid_mappings);
  *l->uid_mappings = (struct oci_id_mapping){ .container_id = 0, .host_id = s.first, .size = s.size };
  *l->gid_mappings = *l->uid_mappings;
  l->n_uid_mappings = l->n_gid_mappings = 1;
  return 0;
}

bool
al_idpool_slot_held (const struct al_idpool *pool, uint32_t first)
{
  if (pool->size == 0 || first < pool->start || (first - pool->start) % pool->size
      || (first - pool->start) / pool->size >= pool->slots)
    return false;
  _cleanup_close_ int dirfd = open_pool_dir (dir_of (pool), false, NULL);
  if (dirfd < 0)
    return false;
  char file[24];
  snprintf (file, sizeof file, "%u-%u", first, first + (pool->size - 1));
  _cleanup_close_ int lockfd = lock_pool (dirfd, dir_of (pool),
                                          pool->lock_timeout_ms > 0 ? pool->lock_timeout_ms : AL_IDPOOL_LOCK_TIMEOUT_MS,
                                          NULL);
  if (lockfd < 0)
    return false;
  struct stat st;
  if (fstatat (dirfd, file, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (st.st_mode))
    return false;
  return owner_holds (dirfd, file);
}
