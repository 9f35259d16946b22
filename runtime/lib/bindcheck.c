/* bindcheck.c: a bind source checked on the fd that is mounted (see
 * bindcheck.h).
 *
 * A node is known by its identity (st_dev, st_ino) and whether it is the
 * root of a mount. The "chain" of a node is the node and every directory
 * above it as ".." walks (crossing mount points upwards, as the kernel
 * does) up to the process root. For a file, its parent is opened by the
 * directory part of its real path and checked to hold that very file (the
 * same identity under its name): a rename in between is seen, not trusted.
 *
 * Source S, denied path D:
 *  - S within D: an identity of S's chain is D's identity, or S's real
 *    path is D's (as written or resolved) or below it;
 *  - D within S: an identity of D's chain (past D itself) is S's. A
 *    recursive bind brings D whatever lies between; a plain one only when
 *    no node between D and S is a mount root (D is on S's own mount). A D
 *    that does not exist (or cannot be looked at) is within S when its path
 *    is;
 *  - a recursive bind brings every mount below S (from mountinfo): each is
 *    checked as a source of its own (another mount of D, or of a directory
 *    holding D, is refused);
 *  - a D that is the root of a proc or sysfs mount also refuses any other
 *    mount of that kind (another container's /proc shows the same kernel).
 * A directory the caller may not search ("..") gets its parent by name too. */
#include "bindcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "resolve.h"
#include "rootfs.h"
#include "util.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
#ifndef SYSFS_MAGIC
#define SYSFS_MAGIC 0x62656572
#endif

#define MAX_DEPTH 4096 /* directories above a node: PATH_MAX / 2, with room */
#define STALE_RETRIES 3 /* reopen a source renamed while it was checked */

struct node
{
  dev_t dev;
  ino_t ino;
  uint64_t mnt_id; /* 0: unknown */
  bool mount_root;
};

struct chain
{
  struct node *n;
  size_t len, cap;
};

enum denied_state
{
  DENIED_MISSING, /* does not exist: its path only */
  DENIED_UNKNOWN, /* cannot be looked at (EACCES...): its path only */
  DENIED_EXISTS,  /* chain known */
};

struct denied
{
  char *path; /* as written, normalised */
  char *real; /* resolved, NULL when unknown */
  enum denied_state state;
  struct chain chain;
  long fs_magic; /* the root of a proc or sysfs mount: every such mount is refused; 0: not */
};

struct al_bind_guard
{
  char *profile;
  struct denied *d;
  size_t n;
  int rootfd; /* "/", for the magic-link-free lookup */
};

static bool
same (const struct node *a, const struct node *b)
{
  return a->dev == b->dev && a->ino == b->ino;
}

static int
node_of (int fd, struct node *n, mode_t *mode)
{
  struct statx stx;
  if (statx (fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO | STATX_MNT_ID, &stx) < 0)
    return -1;
  n->dev = makedev (stx.stx_dev_major, stx.stx_dev_minor);
  n->ino = stx.stx_ino;
  n->mnt_id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id : 0;
  n->mount_root = (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
  if (mode)
    *mode = stx.stx_mode;
  return 0;
}

/* The path the kernel has for fd, NULL when it has none we can use (no
 * /proc, a deleted file, a node outside our root). */
static char *
fd_path (int fd)
{
  char link[64], buf[PATH_MAX];
  snprintf (link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink (link, buf, sizeof buf - 1);
  if (n <= 0 || (size_t) n >= sizeof buf - 1)
    return NULL;
  buf[n] = '\0';
  if (buf[0] != '/')
    return NULL;
  static const char deleted[] = " (deleted)";
  if ((size_t) n >= sizeof deleted - 1 && strcmp (buf + n - (sizeof deleted - 1), deleted) == 0)
    return NULL;
  return al_xstrdup (buf);
}

static void
chain_push (struct chain *c, const struct node *n)
{
  if (c->len == c->cap)
    {
      c->cap = c->cap ? c->cap * 2 : 8;
      c->n = realloc (c->n, c->cap * sizeof (*c->n));
      if (c->n == NULL)
        abort ();
    }
  c->n[c->len++] = *n;
}

/* The parent of the node `self` whose real path is `real`, by name: opened
   as the directory part of `real`, then checked to hold `self` under the
   last part. Pushed on c; *cur is its fd. -ESTALE when it no longer does. */
static int
parent_by_name (const char *real, const struct node *self, int *cur, struct chain *c)
{
  if (real == NULL)
    return -ENOENT;
  const char *slash = strrchr (real, '/');
  _cleanup_free_ char *dir = slash == real ? al_xstrdup ("/") : strndup (real, (size_t) (slash - real));
  if (dir == NULL)
    abort ();
  int fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR ? -ESTALE : -errno;
  struct stat st;
  struct node p;
  if (fstatat (fd, slash + 1, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != self->dev || st.st_ino != self->ino)
    {
      close (fd);
      return -ESTALE;
    }
  if (node_of (fd, &p, NULL) < 0)
    {
      int e = errno;
      close (fd);
      return -e;
    }
  chain_push (c, &p);
  if (*cur >= 0)
    close (*cur);
  *cur = fd;
  return 0;
}

/* The chain of fd (an O_PATH fd; `real` its real path). Returns 0, -ESTALE
 * when a name no longer names what it did, or another -errno. */
static int
chain_of (int fd, const char *real, struct chain *c)
{
  struct node n;
  mode_t mode;
  c->len = 0;
  if (node_of (fd, &n, &mode) < 0)
    return -errno;
  chain_push (c, &n);

  _cleanup_close_ int cur = -1;
  int r;
  if (S_ISDIR (mode))
    {
      cur = fcntl (fd, F_DUPFD_CLOEXEC, 3);
      if (cur < 0)
        return -errno;
    }
  else if ((r = parent_by_name (real, &n, &cur, c)) < 0)
    return r; /* a file has no "..": its parent by name */
  for (size_t depth = 0; depth < MAX_DEPTH; depth++)
    {
      int up = openat (cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (up < 0 && errno == EACCES && c->len == 1 && real && strcmp (real, "/") != 0)
        {
          /* A directory we may not search (a user namespace's root and
             a 0700 host directory): its parent by name, as for a file. */
          if ((r = parent_by_name (real, &n, &cur, c)) < 0)
            return r;
          continue;
        }
      if (up < 0)
        return -errno;
      struct node u;
      if (node_of (up, &u, NULL) < 0)
        {
          int e = errno;
          close (up);
          return -e;
        }
      close (cur);
      cur = up;
      const struct node *last = &c->n[c->len - 1];
      /* ".." of the process root is the root itself (same mount); a mount
         stacked on its own parent's directory has the same identity but
         another mount. */
      if (same (&u, last) && (u.mnt_id == last->mnt_id || u.mnt_id == 0))
        return 0;
      chain_push (c, &u);
    }
  return -ELOOP;
}

/* "/a//b/./" -> "/a/b"; keeps "/". */
static char *
norm (const char *s)
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
within (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return false;
  if (strcmp (b, "/") == 0)
    return true;
  size_t n = strlen (b);
  return strncmp (a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

/* Kernel filesystems whose every instance shows the same kernel state: a
   denied /proc denies a proc mounted anywhere (another container's). */
static const char *
pseudo_fs_name (long magic)
{
  switch (magic)
    {
    case PROC_SUPER_MAGIC:
      return "proc";
    case SYSFS_MAGIC:
      return "sysfs";
    }
  return NULL;
}

struct al_bind_guard *
al_bind_guard_new (const struct al_bind_policy *pol)
{
  if (pol == NULL)
    return NULL;
  struct al_bind_guard *g = al_xmalloc0 (sizeof (*g));
  g->profile = al_xstrdup (pol->profile ? pol->profile : "?");
  g->rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  g->n = al_strv_len (pol->denied_paths);
  g->d = al_xmalloc0 ((g->n + 1) * sizeof (*g->d));
  for (size_t i = 0; i < g->n; i++)
    {
      struct denied *d = &g->d[i];
      d->path = norm (pol->denied_paths[i]);
      _cleanup_close_ int fd = open (d->path, O_PATH | O_CLOEXEC);
      if (fd < 0)
        {
          d->state = errno == ENOENT || errno == ENOTDIR ? DENIED_MISSING : DENIED_UNKNOWN;
          continue;
        }
      d->real = fd_path (fd);
      d->state = chain_of (fd, d->real, &d->chain) == 0 ? DENIED_EXISTS : DENIED_UNKNOWN;
      struct statfs sf;
      if (d->state == DENIED_EXISTS && d->chain.n[0].mount_root && fstatfs (fd, &sf) == 0
          && pseudo_fs_name ((long) sf.f_type))
        d->fs_magic = (long) sf.f_type;
    }
  return g;
}

void
al_bind_guard_free (struct al_bind_guard *g)
{
  if (g == NULL)
    return;
  for (size_t i = 0; i < g->n; i++)
    {
      free (g->d[i].path);
      free (g->d[i].real);
      free (g->d[i].chain.n);
    }
  free (g->d);
  free (g->profile);
  if (g->rootfd >= 0)
    close (g->rootfd);
  free (g);
}

void
al_bind_guard_freep (struct al_bind_guard **g)
{
  if (g && *g)
    {
      al_bind_guard_free (*g);
      *g = NULL;
    }
}

struct source
{
  const struct al_bind_guard *g;
  const char *label; /* "mounts[3] (/tmp/x -> /data)" */
  const char *written;
  const char *real; /* NULL: unknown */
};

static int refuse (const struct source *s, al_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static int
refuse (const struct source *s, al_error_t *err, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  return al_err (err, 0, "profile \"%s\": %s: %s resolves to %s%s", s->g->profile, s->label, s->written,
                 s->real ? s->real : "a path it cannot tell", msg ? msg : "");
}

static const char keeps[] = "which the profile keeps from containers";

/* S within D. */
static int
check_within (const struct source *s, const struct chain *sc, const struct denied *d, al_error_t *err)
{
  bool by_path = within (s->real, d->path) || within (s->real, d->real);
  if (by_path)
    {
      if ((s->real && strcmp (s->real, d->path) == 0) || (s->real && d->real && strcmp (s->real, d->real) == 0))
        return refuse (s, err, ", %s", keeps);
      return refuse (s, err, ", inside %s, %s", d->path, keeps);
    }
  if (d->state != DENIED_EXISTS)
    return 0;
  for (size_t k = 0; k < sc->len; k++)
    if (same (&sc->n[k], &d->chain.n[0]))
      {
        if (k == 0)
          return refuse (s, err, ", which is %s under another name (a hard link or another mount of it), %s", d->path,
                         keeps);
        return refuse (s, err, ", inside %s reached under another name (another mount of it), %s", d->path, keeps);
      }
  return 0;
}

/* D within S. */
static int
check_contains (const struct source *s, const struct chain *sc, const struct denied *d, bool recursive,
                al_error_t *err)
{
  if (d->state != DENIED_EXISTS)
    {
      /* Nothing to look at: its path decides (it may appear there). */
      if (within (d->path, s->real) || within (d->real, s->real))
        return refuse (s, err, ", which would show %s, %s", d->path, keeps);
      return 0;
    }
  if (recursive && (within (d->path, s->real) || within (d->real, s->real)))
    return refuse (s, err, ": a recursive bind would bring %s, %s", d->path, keeps);
  const struct node *src = &sc->n[0];
  bool crossed = false;
  for (size_t k = 1; k < d->chain.len; k++)
    {
      crossed = crossed || d->chain.n[k - 1].mount_root;
      if (!same (&d->chain.n[k], src))
        continue;
      if (recursive)
        return refuse (s, err, ": a recursive bind would bring %s, %s", d->path, keeps);
      if (!crossed)
        return refuse (s, err, ", whose bind would show %s, %s", d->path, keeps);
    }
  return 0;
}

/* A kernel filesystem the profile denies (proc, sysfs): fd is on it. */
static const struct denied *
denied_fs (const struct al_bind_guard *g, int fd)
{
  struct statfs sf;
  if (fstatfs (fd, &sf) < 0)
    return NULL;
  for (size_t i = 0; i < g->n; i++)
    if (g->d[i].fs_magic && g->d[i].fs_magic == (long) sf.f_type)
      return &g->d[i];
  return NULL;
}

/* The mount points strictly below `dir` in our mount namespace, NULL
   terminated (NULL when mountinfo cannot be read). */
static char **
mounts_below (const char *dir)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  _cleanup_error_ al_error_t e = NULL;
  if (al_read_file_at (AT_FDCWD, "/proc/self/mountinfo", 64u << 20, &text, &len, &e) < 0)
    return NULL;
  size_t n = 0, cap = 8;
  char **v = al_xmalloc0 (cap * sizeof (char *));
  for (char *line = text; line && *line;)
    {
      char *nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      /* id parent major:minor root mountpoint ... */
      char *f = line;
      for (int i = 0; i < 4 && f; i++)
        {
          f = strchr (f, ' ');
          if (f)
            f++;
        }
      if (f)
        {
          char *end = strchrnul (f, ' ');
          char *mp = al_xmalloc0 ((size_t) (end - f) + 1);
          size_t k = 0;
          for (char *q = f; q < end; q++)
            {
              /* \040 and friends: octal escapes of space, tab, newline, backslash */
              if (*q == '\\' && end - q >= 4 && q[1] >= '0' && q[1] <= '3' && q[2] >= '0' && q[2] <= '7' && q[3] >= '0'
                  && q[3] <= '7')
                {
                  mp[k++] = (char) (((q[1] - '0') << 6) | ((q[2] - '0') << 3) | (q[3] - '0'));
                  q += 3;
                }
              else
                mp[k++] = *q;
            }
          if (strcmp (mp, dir) != 0 && within (mp, dir))
            {
              if (n + 2 > cap)
                {
                  cap *= 2;
                  v = realloc (v, cap * sizeof (char *));
                  if (v == NULL)
                    abort ();
                }
              v[n++] = mp;
              v[n] = NULL;
            }
          else
            free (mp);
        }
      line = nl ? nl + 1 : NULL;
    }
  return v;
}

/* A mount below a recursive bind's source, which comes along: refused when
   it is (or is inside) a denied path, holds one, or is a denied kernel
   filesystem. */
static int
check_submount (const struct source *s, const char *mp, al_error_t *err)
{
  const struct al_bind_guard *g = s->g;
  _cleanup_close_ int fd = g->rootfd >= 0 ? al_resolve_in_root (g->rootfd, mp) : open (mp, O_PATH | O_CLOEXEC);
  if (fd < 0)
    return 0; /* gone, or out of our reach (and of the container's) */
  _cleanup_free_ char *real = fd_path (fd);
  const char *shown = real ? real : mp;
  const struct denied *fsd = denied_fs (g, fd);
  if (fsd)
    return refuse (s, err, ": a recursive bind would bring the mount at %s, a %s filesystem like %s, %s", shown,
                   pseudo_fs_name (fsd->fs_magic), fsd->path, keeps);
  struct chain mc = { 0 };
  bool known = chain_of (fd, real, &mc) == 0;
  int r = 0;
  for (size_t i = 0; i < g->n && r == 0; i++)
    {
      const struct denied *d = &g->d[i];
      bool hit = within (real, d->path) || within (real, d->real);
      bool holds = within (d->path, real) || within (d->real, real);
      for (size_t k = 0; known && d->state == DENIED_EXISTS && !hit && k < mc.len; k++)
        hit = same (&mc.n[k], &d->chain.n[0]);
      for (size_t k = 1; known && d->state == DENIED_EXISTS && !hit && !holds && k < d->chain.len; k++)
        holds = same (&d->chain.n[k], &mc.n[0]);
      if (hit)
        r = refuse (s, err, ": a recursive bind would bring the mount at %s, which is %s or inside it, %s", shown,
                    d->path, keeps);
      else if (holds)
        r = refuse (s, err, ": a recursive bind would bring the mount at %s, which holds %s, %s", shown, d->path,
                    keeps);
    }
  free (mc.n);
  return r;
}

static int
check_source (const struct al_bind_guard *g, int fd, const char *label, const char *written, bool recursive,
              al_error_t *err)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return al_err (err, errno, "%s: stat the source %s", label, written);
  _cleanup_free_ char *real = fd_path (fd);
  struct source s = { .g = g, .label = label, .written = written, .real = real };
  if (S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode))
    return refuse (&s, err, ", a device node (%c %u:%u): the profile allows no device as a bind source (a device "
                            "goes in linux.devices)",
                   S_ISCHR (st.st_mode) ? 'c' : 'b', major (st.st_rdev), minor (st.st_rdev));
  struct chain sc = { 0 };
  int r = chain_of (fd, real, &sc);
  if (r < 0)
    {
      free (sc.n);
      if (r == -ESTALE)
        return r; /* renamed meanwhile: the caller opens it again */
      return al_err (err, -r, "profile \"%s\": %s: %s: cannot tell where it is", g->profile, label, written);
    }
  for (size_t i = 0; i < g->n && r == 0; i++)
    {
      r = check_within (&s, &sc, &g->d[i], err);
      if (r == 0 && S_ISDIR (st.st_mode))
        r = check_contains (&s, &sc, &g->d[i], recursive, err);
    }
  free (sc.n);
  const struct denied *fsd = r < 0 ? NULL : denied_fs (g, fd);
  if (fsd)
    return refuse (&s, err, ", on a %s filesystem like %s, %s", pseudo_fs_name (fsd->fs_magic), fsd->path, keeps);
  if (r < 0 || !recursive || !S_ISDIR (st.st_mode))
    return r;
  /* What a recursive bind brings along: every mount below. */
  if (real == NULL)
    return al_err (err, 0, "profile \"%s\": %s: %s: cannot tell which mounts a recursive bind would bring",
                   g->profile, label, written);
  _cleanup_strv_ char **subs = mounts_below (real);
  if (subs == NULL)
    return al_err (err, 0, "profile \"%s\": %s: %s: cannot read /proc/self/mountinfo to tell which mounts a recursive "
                           "bind would bring",
                   g->profile, label, written);
  for (size_t i = 0; subs[i] && r == 0; i++)
    r = check_submount (&s, subs[i], err);
  return r;
}

int
al_bind_source_open (const struct al_bind_guard *g, size_t index, const char *path, const char *written,
                     const char *destination, bool recursive, bool missing_ok, int *out, al_error_t *err)
{
  *out = -1;
  _cleanup_free_ char *label = al_xasprintf ("mounts[%zu] (%s -> %s)", index, written, destination);
  for (int round = 0;; round++)
    {
      _cleanup_close_ int fd = -1;
      if (g && g->rootfd >= 0)
        {
          /* From "/" without magic links: the same lookup mount(2) does,
             but a /proc/PID/root or /proc/PID/fd/N on the way is refused. */
          fd = al_resolve_in_root (g->rootfd, path);
          if (fd < 0 && errno == ELOOP)
            {
              _cleanup_close_ int plain = open (path, O_PATH | O_CLOEXEC);
              if (plain >= 0)
                return al_err (err, 0,
                               "profile \"%s\": %s: %s resolves through a /proc magic link (such as /proc/PID/root "
                               "or /proc/PID/fd/N): the profile allows only plain paths as bind sources",
                               g->profile, label, written);
              errno = ELOOP;
            }
        }
      else
        fd = open (path, O_PATH | O_CLOEXEC);
      if (fd < 0)
        {
          if (missing_ok)
            return 0;
          return al_err (err, errno, "mounts[%zu].source \"%s\"", index, path);
        }
      if (g == NULL)
        {
          *out = al_steal_fd (fd);
          return 0;
        }
      int r = check_source (g, fd, label, written, recursive, err);
      if (r == -ESTALE && round < STALE_RETRIES)
        continue;
      if (r == -ESTALE)
        return al_err (err, 0, "profile \"%s\": %s: %s kept changing while it was checked (renamed or replaced)",
                       g->profile, label, written);
      if (r < 0)
        return r;
      *out = al_steal_fd (fd);
      return 0;
    }
}

int
al_bind_check_spec (const struct oci_spec *spec, const char *bundle, al_error_t *err)
{
  if (spec->bind_policy == NULL)
    return 0;
  _cleanup_bind_guard_ struct al_bind_guard *g = NULL;
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const struct oci_mount *m = &spec->mounts[i];
      struct al_mount_flags f;
      if (m->source == NULL || *m->source == '\0' || al_mount_flags_parse (m->options, &f, NULL) < 0)
        continue;
      al_mount_flags_free (&f);
      bool rbind = f.recursive_bind || (m->type && strcmp (m->type, "rbind") == 0);
      if (!f.bind && !rbind && !(m->type && strcmp (m->type, "bind") == 0))
        continue;
      if (g == NULL)
        g = al_bind_guard_new (spec->bind_policy);
      _cleanup_free_ char *src = m->source[0] == '/' ? al_xstrdup (m->source) : al_xasprintf ("%s/%s", bundle, m->source);
      _cleanup_close_ int fd = -1;
      int r = al_bind_source_open (g, i, src, m->source, m->destination ? m->destination : "", rbind, true, &fd, err);
      if (r < 0)
        return r;
    }
  return 0;
}
