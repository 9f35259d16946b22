/* rootfs.c: the container's mount namespace: mounts, pivot_root, masked and
 * read-only paths.
 *
 * Every path inside the rootfs is opened with openat2(RESOLVE_IN_ROOT)
 * (resolve.c; a userspace walk with the same rules without openat2)
 * relative to an O_PATH fd of the rootfs. A symlink in the rootfs pointing
 * outside it (absolute or through "..") is therefore resolved as if the
 * rootfs were "/": it is kept inside, never followed out, and we do not treat
 * it as an error (the same thing the container would see after pivot_root).
 * Mounts are attached to those fds: bind mounts with open_tree +
 * mount_setattr + move_mount, other filesystems with mount(2) on
 * /proc/self/fd/N, so no path string is looked up again after resolution. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bindcheck.h"
#include "copyup.h"
#include "devices.h"
#include "resolve.h"
#include "util.h"

/* Create the missing components of *cur below rootfd. Returns 0 once
 * everything exists, or after rewriting *cur when a dangling symlink was met
 * (the caller resolves again). */
static int
create_missing (int rootfd, char **cur, mode_t create, const char *what, al_error_t *err)
{
  _cleanup_free_ char *buf = al_xstrdup (*cur);
  _cleanup_close_ int parent = al_resolve_in_root (rootfd, "/");
  if (parent < 0)
    return al_err (err, errno, "%s: open the rootfs", what);

  char *p = buf;
  for (;;)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        return 0;
      char *end = strchrnul (p, '/');
      char saved = *end;
      *end = '\0';
      const char *q = end + (saved ? 1 : 0);
      while (saved && *q == '/')
        q++;
      bool last = saved == '\0' || *q == '\0';

      int fd = al_resolve_in_root (rootfd, buf);
      if (fd < 0 && errno != ENOENT)
        return al_err (err, errno, "%s: open %s inside the rootfs", what, buf);
      if (fd < 0)
        {
          if (strcmp (p, ".") == 0 || strcmp (p, "..") == 0)
            return al_err (err, ENOENT, "%s: %s", what, buf);
          int r;
          if (last && create == S_IFREG)
            {
              r = openat (parent, p, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
              if (r >= 0)
                close (r);
            }
          else
            r = mkdirat (parent, p, 0755);
          if (r < 0 && errno != EEXIST)
            return al_err (err, errno, "%s: create %s inside the rootfs", what, buf);
          if (r < 0)
            {
              struct stat st;
              if (fstatat (parent, p, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
                {
                  /* A dangling symlink: continue with its target, which
                   * RESOLVE_IN_ROOT keeps inside the rootfs. */
                  char target[PATH_MAX];
                  ssize_t n = readlinkat (parent, p, target, sizeof (target) - 1);
                  if (n < 0)
                    return al_err (err, errno, "%s: readlink %s", what, buf);
                  target[n] = '\0';
                  *end = saved;
                  char *np;
                  if (target[0] == '/')
                    np = al_xasprintf ("%s%s", target, end);
                  else
                    np = al_xasprintf ("%.*s%s%s", (int) (p - buf), buf, target, end);
                  free (*cur);
                  *cur = np;
                  return 0;
                }
              /* Created by someone else meanwhile: just open it. */
            }
          fd = al_resolve_in_root (rootfd, buf);
          if (fd < 0)
            return al_err (err, errno, "%s: open %s inside the rootfs", what, buf);
        }
      close (parent);
      parent = fd;
      *end = saved;
      p = end;
    }
}

int
al_rootfs_open_in (int rootfd, const char *path, mode_t create, const char *what, int *out, al_error_t *err)
{
  _cleanup_free_ char *cur = al_xstrdup (path);
  for (int round = 0; round < 40; round++)
    {
      int fd = al_resolve_in_root (rootfd, cur);
      if (fd >= 0)
        {
          *out = fd;
          return 0;
        }
      if (errno != ENOENT || create == 0)
        return al_err (err, errno, "%s: open inside the rootfs", what);
      int r = create_missing (rootfd, &cur, create, what, err);
      if (r < 0)
        return r;
    }
  return al_err (err, ELOOP, "%s: open inside the rootfs", what);
}

/* MS_* per-mount flags to mount_setattr attributes. */
static void
ms_to_attr (unsigned long set, unsigned long clr, struct mount_attr *a)
{
  static const struct
  {
    unsigned long ms;
    uint64_t attr;
  } map[] = {
    { MS_RDONLY, MOUNT_ATTR_RDONLY },         { MS_NOSUID, MOUNT_ATTR_NOSUID },
    { MS_NODEV, MOUNT_ATTR_NODEV },           { MS_NOEXEC, MOUNT_ATTR_NOEXEC },
    { MS_NODIRATIME, MOUNT_ATTR_NODIRATIME }, { MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW },
  };
  memset (a, 0, sizeof (*a));
  for (size_t i = 0; i < sizeof (map) / sizeof (map[0]); i++)
    {
      if (set & map[i].ms)
        a->attr_set |= map[i].attr;
      if (clr & map[i].ms)
        a->attr_clr |= map[i].attr;
    }
  /* atime is one of three values: only touched when an option asks. */
  uint64_t atime = UINT64_MAX;
  if (set & MS_NOATIME)
    atime = MOUNT_ATTR_NOATIME;
  else if (set & MS_STRICTATIME)
    atime = MOUNT_ATTR_STRICTATIME;
  else if (set & MS_RELATIME)
    atime = MOUNT_ATTR_RELATIME;
  else if (clr & (MS_NOATIME | MS_STRICTATIME))
    atime = MOUNT_ATTR_RELATIME;
  else if (clr & MS_RELATIME)
    atime = MOUNT_ATTR_STRICTATIME;
  if (atime != UINT64_MAX)
    {
      a->attr_clr |= MOUNT_ATTR__ATIME;
      a->attr_set |= atime;
    }
}

static int
set_attrs (int fd, unsigned long set, unsigned long clr, bool recursive, const char *what, al_error_t *err)
{
  struct mount_attr a;
  ms_to_attr (set, clr, &a);
  if (a.attr_set == 0 && a.attr_clr == 0)
    return 0;
  if (mount_setattr (fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof (a)) < 0)
    return al_err (err, errno, "%s: set mount flags", what);
  return 0;
}

/* Clone the host tree at `srcfd` (an O_PATH fd; -1: look `source` up), apply
 * the flags of f (may be NULL) and attach it on the target fd. */
static int
bind_tree_fd (int srcfd, const char *source, int target, bool recursive, const struct al_mount_flags *f,
              const char *what, al_error_t *err)
{
  unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
  _cleanup_close_ int tree = srcfd >= 0 ? open_tree (srcfd, "", flags | AT_EMPTY_PATH)
                                        : open_tree (AT_FDCWD, source, flags);
  if (tree < 0)
    return al_err (err, errno, "%s: bind %s", what, source);
  if (f)
    {
      int r = set_attrs (tree, f->flags, f->clear, false, what, err);
      if (r < 0)
        return r;
      r = set_attrs (tree, f->rec_flags, f->rec_clear, true, what, err);
      if (r < 0)
        return r;
    }
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return al_err (err, errno, "%s: attach the bind mount of %s", what, source);
  return 0;
}

static int
bind_tree (const char *source, int target, bool recursive, const struct al_mount_flags *f, const char *what,
           al_error_t *err)
{
  return bind_tree_fd (-1, source, target, recursive, f, what, err);
}

int
al_rootfs_bind_fd (const char *source, int target, bool recursive, const char *what, al_error_t *err)
{
  return bind_tree (source, target, recursive, NULL, what, err);
}

static bool
str_eq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

/* Host tree bound instead when a filesystem cannot be mounted in a user
 * namespace that does not own the matching namespace. */
static const char *
userns_fallback (const char *fstype)
{
  if (str_eq (fstype, "sysfs"))
    return "/sys";
  if (str_eq (fstype, "cgroup2"))
    return "/sys/fs/cgroup";
  if (str_eq (fstype, "mqueue"))
    return "/dev/mqueue";
  return NULL;
}

/* "/dev", however spelled ("//dev/", "/dev/."). */
static bool
is_dev (const char *dest)
{
  const char *p = dest;
  while (*p == '/')
    p++;
  if (strncmp (p, "dev", 3) != 0)
    return false;
  for (p += 3; *p; p++)
    if (*p != '/' && !(*p == '.' && (p[1] == '/' || p[1] == '\0') && p[-1] == '/'))
      return false;
  return true;
}

/* A read-only mount that is filled first, then made read-only by
   al_rootfs_setup: a tmpfs (mode, tmpcopyup, mounts below it) and /dev
   (its device nodes and symlinks), as runc does. */
static bool
ro_later (const struct oci_mount *m, const struct al_mount_flags *f)
{
  if (!(f->flags & MS_RDONLY) || f->bind || str_eq (m->type, "bind") || str_eq (m->type, "rbind"))
    return false;
  return str_eq (m->type, "tmpfs") || (m->destination && is_dev (m->destination));
}

/* The directory a tmpfs will cover, O_RDONLY (to copy from it after the
   mount hides its name); *out -1 when there is none (or no directory). */
static int
open_covered_dir (int rootfd, const char *dest, const char *what, int *out, al_error_t *err)
{
  *out = -1;
  _cleanup_close_ int fd = al_resolve_in_root (rootfd, dest);
  if (fd < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return 0;
      return al_err (err, errno, "%s: open inside the rootfs", what);
    }
  struct stat st;
  if (fstat (fd, &st) < 0)
    return al_err (err, errno, "%s: stat", what);
  if (!S_ISDIR (st.st_mode))
    return 0;
  *out = openat (fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*out < 0)
    return al_err (err, errno, "%s: open", what);
  return 0;
}

/* Without a mode= option, a tmpfs takes the mode of the directory it
   covers (`dir`, -1: none): "mode=NNNN" goes first in *data. */
static int
tmpfs_mode_from (int dir, char **data, const char *what, al_error_t *err)
{
  if (dir < 0)
    return 0;
  for (const char *p = *data; p && *p;)
    {
      if (strncmp (p, "mode=", 5) == 0)
        return 0;
      p = strchr (p, ',');
      p = p ? p + 1 : NULL;
    }
  struct stat st;
  if (fstat (dir, &st) < 0)
    return al_err (err, errno, "%s: stat", what);
  char *n = *data ? al_xasprintf ("mode=%04o,%s", (unsigned) (st.st_mode & 07777), *data)
                  : al_xasprintf ("mode=%04o", (unsigned) (st.st_mode & 07777));
  free (*data);
  *data = n;
  return 0;
}

/* proc and sysfs go on plain directories only, as runc has them: a symlink
 * anywhere on the destination (the rootfs's own /proc -> somewhere, or a
 * parent of it) would put the kernel's files where the image chose and leave
 * the path the config names (and its maskedPaths) without them. Checks each
 * existing component of the destination, "." and ".." resolved lexically
 * inside the rootfs; the missing ones are created as directories. */
static int
refuse_symlinked_dest (int rootfd, size_t i, const char *dest, const char *fstype, const char *label,
                       al_error_t *err)
{
  _cleanup_free_ char *buf = al_xstrdup (dest);
  char *comps[PATH_MAX / 2];
  size_t n = 0;
  char *save = NULL;
  for (char *c = strtok_r (buf, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        {
          if (n)
            n--;
          continue;
        }
      if (n < sizeof comps / sizeof comps[0])
        comps[n++] = c;
    }
  _cleanup_close_ int dir = fcntl (rootfd, F_DUPFD_CLOEXEC, 3);
  if (dir < 0)
    return al_err (err, errno, "%s: open the rootfs", label);
  _cleanup_free_ char *seen = al_xstrdup ("");
  for (size_t k = 0; k < n; k++)
    {
      char *next = al_xasprintf ("%s/%s", seen, comps[k]);
      free (seen);
      seen = next;
      struct stat st;
      if (fstatat (dir, comps[k], &st, AT_SYMLINK_NOFOLLOW) < 0)
        {
          if (errno == ENOENT)
            return 0;
          return al_err (err, errno, "%s: mounts[%zu].destination: stat \"%s\" in the rootfs", label, i, seen);
        }
      if (S_ISLNK (st.st_mode))
        {
          char target[PATH_MAX];
          ssize_t len = readlinkat (dir, comps[k], target, sizeof target - 1);
          target[len > 0 ? len : 0] = '\0';
          return al_err (err, ELOOP,
                         "%s: mounts[%zu].destination \"%s\": \"%s\" in the rootfs is a symlink (to \"%s\"): "
                         "refusing to mount %s through it (%s must be mounted on a plain directory)",
                         label, i, dest, seen, target, fstype, fstype);
        }
      if (!S_ISDIR (st.st_mode))
        return 0; /* al_rootfs_open_in reports it */
      int fd = openat (dir, comps[k], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return al_err (err, errno, "%s: mounts[%zu].destination: open \"%s\" in the rootfs", label, i, seen);
      close (dir);
      dir = fd;
    }
  return 0;
}

static int
mount_one (const struct oci_spec *spec, size_t i, int rootfd, const struct al_rootfs_opts *o,
           struct al_bind_guard **guard, al_error_t *err)
{
  const struct oci_mount *m = &spec->mounts[i];
  if (m->destination == NULL || *m->destination == '\0')
    return al_err (err, 0, "mounts[%zu].destination: missing", i);

  struct al_mount_flags f;
  int r = al_mount_flags_parse (m->options, &f, err);
  if (r < 0)
    return al_err_prefix (err, "mounts[%zu].options", i);
  _cleanup_free_ char *data = f.data;

  const char *type = m->type;
  bool is_bind = f.bind || str_eq (type, "bind") || str_eq (type, "rbind");
  bool rec = f.recursive_bind || str_eq (type, "rbind");
  _cleanup_free_ char *where
      = al_xasprintf ("%s%s%s", o->rootfs, m->destination[0] == '/' ? "" : "/", m->destination);
  _cleanup_free_ char *label
      = al_xasprintf ("mounts[%zu] (%s -> %s)", i, m->source ? m->source : type ? type : "none", where);
  _cleanup_free_ char *dwhat = al_xasprintf ("mounts[%zu].destination \"%s\"", i, m->destination);

  if (f.tmpcopyup && !str_eq (type, "tmpfs"))
    return al_err (err, EINVAL, "%s: option tmpcopyup: only for a tmpfs (type \"%s\")", label, type ? type : "");
  if (f.idmap || m->n_uid_mappings || m->n_gid_mappings)
    {
      /* The runtime cloned and idmapped the source (idmap.c): attach it. */
      int tree = o->idmap_fds ? o->idmap_fds[i] : -1;
      if (tree < 0)
        return al_err (err, EOPNOTSUPP, "mounts[%zu].uidMappings: %s: idmapped mount not prepared", i, label);
      struct stat st;
      if (fstat (tree, &st) < 0)
        return al_err (err, errno, "%s: the idmapped tree", label);
      _cleanup_close_ int target = -1;
      r = al_rootfs_open_in (rootfd, m->destination, S_ISDIR (st.st_mode) ? S_IFDIR : S_IFREG, dwhat, &target, err);
      if (r < 0)
        return r;
      if ((r = set_attrs (tree, f.flags, f.clear, false, label, err)) < 0
          || (r = set_attrs (tree, f.rec_flags, f.rec_clear, true, label, err)) < 0)
        return r;
      if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return al_err (err, errno, "%s: attach the idmapped mount", label);
      struct mount_attr a = { .propagation = f.propagation & ~MS_REC };
      if (f.propagation
          && mount_setattr (tree, "", AT_EMPTY_PATH | ((f.propagation & MS_REC) ? AT_RECURSIVE : 0), &a, sizeof (a))
                 < 0)
        return al_err (err, errno, "%s: set propagation", label);
      return 0;
    }
  if (!is_bind && (type == NULL || *type == '\0' || str_eq (type, "none")))
    return al_err (err, 0, "%s: no type and no bind option", label);

  _cleanup_close_ int target = -1;
  int pre = is_bind && o->bind_fds ? o->bind_fds[i] : -1;
  if (pre >= 0)
    {
      /* Cloned by the runtime's helper in this mount namespace before the
         init entered it (al_rootfs_prepare_binds). */
      struct stat st;
      if (fstat (pre, &st) < 0)
        return al_err (err, errno, "%s: the source's tree", label);
      r = al_rootfs_open_in (rootfd, m->destination, S_ISDIR (st.st_mode) ? S_IFDIR : S_IFREG, dwhat, &target,
                             err);
      if (r < 0)
        return r;
      if ((r = set_attrs (pre, f.flags, f.clear, false, label, err)) < 0
          || (r = set_attrs (pre, f.rec_flags, f.rec_clear, true, label, err)) < 0)
        return r;
      if (move_mount (pre, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return al_err (err, errno, "%s: attach the bind mount of %s", label, m->source);
    }
  else if (is_bind)
    {
      if (m->source == NULL || *m->source == '\0')
        return al_err (err, 0, "mounts[%zu].source: a bind mount needs a source", i);
      _cleanup_free_ char *src = m->source[0] == '/' ? al_xstrdup (m->source)
                                                     : al_xasprintf ("%s/%s", o->bundle, m->source);
      /* Opened once, checked (under a profile) and mounted by that fd: no
         symlink swapped in between can change what gets mounted. */
      _cleanup_close_ int srcfd = -1;
      if (*guard == NULL && spec->bind_policy)
        *guard = al_bind_guard_new (spec->bind_policy); /* at the first bind: the denied paths */
      r = al_bind_source_open (*guard, i, src, m->source, m->destination, rec, false, &srcfd, err);
      if (r < 0)
        return r;
      struct stat st;
      if (fstat (srcfd, &st) < 0)
        return al_err (err, errno, "mounts[%zu].source \"%s\"", i, src);
      r = al_rootfs_open_in (rootfd, m->destination, S_ISDIR (st.st_mode) ? S_IFDIR : S_IFREG, dwhat, &target,
                             err);
      if (r < 0)
        return r;
      r = bind_tree_fd (srcfd, src, target, rec, &f, label, err);
      if (r < 0)
        return r;
    }
  else
    {
      /* cgroup v1 hierarchies are never mounted: "cgroup" means cgroup2. */
      const char *fstype = str_eq (type, "cgroup") ? "cgroup2" : type;
      if ((str_eq (fstype, "proc") || str_eq (fstype, "sysfs"))
          && (r = refuse_symlinked_dest (rootfd, i, m->destination, fstype, label, err)) < 0)
        return r;
      bool tmpfs = str_eq (fstype, "tmpfs");
      /* A tmpfs over an existing directory: that directory's mode unless
         mode= says otherwise, and its contents with tmpcopyup (as runc). */
      _cleanup_close_ int covered = -1;
      if (tmpfs)
        {
          r = open_covered_dir (rootfd, m->destination, dwhat, &covered, err);
          if (r < 0)
            return r;
          r = tmpfs_mode_from (covered, &data, dwhat, err);
          if (r < 0)
            return r;
        }
      r = al_rootfs_open_in (rootfd, m->destination, S_IFDIR, dwhat, &target, err);
      if (r < 0)
        return r;
      char proc_path[64];
      snprintf (proc_path, sizeof (proc_path), "/proc/self/fd/%d", target);
      unsigned long flags = f.flags & ~(MS_BIND | MS_REC | MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE);
      /* Filled (/dev's nodes, a copy) before it is made read-only:
         al_rootfs_setup remounts it "ro" at the end (ro_later). */
      if (ro_later (m, &f))
        flags &= ~MS_RDONLY;
      if (mount (m->source ? m->source : fstype, proc_path, fstype, flags, data) < 0)
        {
          int e = errno;
          const char *host = userns_fallback (fstype);
          if (!(e == EPERM && o->in_userns && host))
            return al_err (err, e, "%s: mount %s", label, fstype);
          r = bind_tree (host, target, true, &f, label, err);
          if (r < 0)
            return r;
        }
      if (f.tmpcopyup && covered >= 0)
        {
          _cleanup_close_ int mnt = -1;
          r = al_rootfs_open_in (rootfd, m->destination, 0, dwhat, &mnt, err);
          if (r < 0)
            return r;
          _cleanup_close_ int to = openat (mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (to < 0)
            return al_err (err, errno, "%s: tmpcopyup: open the new tmpfs", label);
          r = al_copy_tree (covered, to, label, err);
          if (r < 0)
            return r;
        }
    }

  if (f.propagation)
    {
      /* Reopen: the fd above is the mount point, not the new mount. */
      _cleanup_close_ int mnt = -1;
      r = al_rootfs_open_in (rootfd, m->destination, 0, dwhat, &mnt, err);
      if (r < 0)
        return r;
      struct mount_attr a = { .propagation = f.propagation & ~MS_REC };
      if (mount_setattr (mnt, "", AT_EMPTY_PATH | ((f.propagation & MS_REC) ? AT_RECURSIVE : 0), &a, sizeof (a))
          < 0)
        return al_err (err, errno, "%s: set propagation", label);
    }
  return 0;
}

/* The "ro" of the mounts ro_later left writable, once every mount and
   /dev are in place. */
static int
remount_ro_later (const struct oci_spec *spec, int rootfd, al_error_t *err)
{
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const struct oci_mount *m = &spec->mounts[i];
      struct al_mount_flags f;
      int r = al_mount_flags_parse (m->options, &f, err);
      if (r < 0)
        return r;
      al_mount_flags_free (&f);
      if (!ro_later (m, &f))
        continue;
      _cleanup_free_ char *what = al_xasprintf ("mounts[%zu].destination \"%s\": make it read-only", i, m->destination);
      _cleanup_close_ int mnt = -1;
      r = al_rootfs_open_in (rootfd, m->destination, 0, what, &mnt, err);
      if (r < 0)
        return r;
      r = set_attrs (mnt, MS_RDONLY, 0, false, what, err);
      if (r < 0)
        return r;
    }
  return 0;
}

/* linux.rootfsPropagation to MS_* (0 when absent). */
static int
parse_root_propagation (const struct oci_spec *spec, unsigned long *out, al_error_t *err)
{
  const char *p = spec->linux_ ? spec->linux_->rootfs_propagation : NULL;
  *out = 0;
  if (p == NULL || *p == '\0')
    return 0;
  struct al_mount_flags f;
  char *opts[] = { (char *) p, NULL };
  int r = al_mount_flags_parse (opts, &f, err);
  if (r < 0)
    return r;
  bool bad = f.data != NULL || f.propagation == 0;
  al_mount_flags_free (&f);
  if (bad)
    return al_err (err, 0, "linux.rootfsPropagation: unknown propagation `%s`", p);
  *out = f.propagation;
  return 0;
}

static bool
is_plain_bind (const struct oci_mount *m, bool *rec)
{
  struct al_mount_flags f;
  if (al_mount_flags_parse (m->options, &f, NULL) < 0)
    return false;
  al_mount_flags_free (&f);
  *rec = f.recursive_bind || str_eq (m->type, "rbind");
  return (f.bind || str_eq (m->type, "bind") || str_eq (m->type, "rbind")) && !f.idmap && !f.tmpcopyup
         && m->n_uid_mappings == 0 && m->n_gid_mappings == 0 && m->source && *m->source
         && m->destination && *m->destination;
}

void
al_rootfs_binds_close (int *fds, size_t n)
{
  if (fds == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    al_closep (&fds[i]);
  free (fds);
}

bool
al_rootfs_has_binds (const struct oci_spec *spec)
{
  bool rec;
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (is_plain_bind (&spec->mounts[i], &rec))
      return true;
  return false;
}

int
al_rootfs_prepare_binds (const struct oci_spec *spec, const char *bundle, int **fds_out, al_error_t *err)
{
  *fds_out = NULL;
  unsigned long prop;
  int r = parse_root_propagation (spec, &prop, err);
  if (r < 0)
    return r;
  /* What the init's "/" becomes (al_rootfs_setup), hence its binds. */
  unsigned int root_prop = (prop & MS_SHARED) ? MS_SHARED : (prop & MS_SLAVE) ? MS_SLAVE : MS_PRIVATE;

  int *fds = al_xmalloc0 ((spec->n_mounts ? spec->n_mounts : 1) * sizeof (int));
  for (size_t j = 0; j < spec->n_mounts; j++)
    fds[j] = -1;
  size_t n = 0;
  for (size_t i = 0; i < spec->n_mounts && n < AL_BIND_PREPARE_MAX; i++)
    {
      const struct oci_mount *m = &spec->mounts[i];
      bool rec = false;
      if (!is_plain_bind (m, &rec))
        continue;
      _cleanup_free_ char *src = m->source[0] == '/' ? al_xstrdup (m->source)
                                                     : al_xasprintf ("%s/%s", bundle, m->source);
      _cleanup_close_ int srcfd = -1;
      if (al_bind_source_open (NULL, i, src, m->source, m->destination, rec, true, &srcfd, NULL) < 0 || srcfd < 0)
        continue;
      /* A plain bind of a tree with locked mounts below fails here (EINVAL)
         as it would in the init, which then reports it. */
      _cleanup_close_ int tree
          = open_tree (srcfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0));
      if (tree < 0)
        continue;
      struct mount_attr a = { .propagation = root_prop };
      if (root_prop != MS_SHARED && mount_setattr (tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof (a)) < 0)
        continue;
      fds[i] = al_steal_fd (tree);
      n++;
    }
  *fds_out = fds;
  return 0;
}

/* The root of the mount holding `path` (walking up with ".."). */
static int
open_mount_root (const char *path, int *out, al_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "rootfs %s", path);
  for (int depth = 0; depth < 4096; depth++)
    {
      struct statx stx;
      if (statx (fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) < 0)
        return al_err (err, errno, "rootfs %s: statx", path);
      if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
        return al_err (err, EOPNOTSUPP, "rootfs %s: find its mount", path);
      if (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)
        {
          *out = al_steal_fd (fd);
          return 0;
        }
      int up = openat (fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (up < 0)
        return al_err (err, errno, "rootfs %s: find its mount", path);
      close (fd);
      fd = up;
    }
  return al_err (err, ELOOP, "rootfs %s: find its mount", path);
}

int
al_rootfs_setup (const struct oci_spec *spec, const struct al_rootfs_opts *o, al_error_t *err)
{
  unsigned long prop;
  int r = parse_root_propagation (spec, &prop, err);
  if (r < 0)
    return r;

  /* Nothing we do may reach the host: "/" becomes private (or slave/shared
   * when asked) recursively. */
  unsigned long root_prop = MS_PRIVATE;
  if (prop & (MS_SLAVE | MS_SHARED))
    root_prop = prop & (MS_SLAVE | MS_SHARED);
  if (mount (NULL, "/", NULL, MS_REC | root_prop, NULL) < 0)
    return al_err (err, errno, "make / %s", root_prop == MS_PRIVATE ? "rprivate"
                                            : root_prop == MS_SLAVE ? "rslave" : "rshared");

  if (root_prop == MS_SHARED)
    {
      /* pivot_root and MS_MOVE refuse a shared parent: make the mount that
       * holds the rootfs private (only that one). */
      _cleanup_close_ int parent = -1;
      r = open_mount_root (o->rootfs, &parent, err);
      if (r < 0)
        return r;
      struct mount_attr a = { .propagation = MS_PRIVATE };
      if (mount_setattr (parent, "", AT_EMPTY_PATH, &a, sizeof (a)) < 0)
        return al_err (err, errno, "rootfs %s: make its parent mount private", o->rootfs);
    }

  if (mount (o->rootfs, o->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return al_err (err, errno, "rootfs %s: bind mount on itself", o->rootfs);

  _cleanup_close_ int rootfd = open (o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return al_err (err, errno, "rootfs %s", o->rootfs);

  /* The profile's denied paths are resolved here, at the first bind: the
     mount tree no longer changes under us (private), and this is the
     namespace the binds come from. */
  _cleanup_bind_guard_ struct al_bind_guard *guard = NULL;
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      r = mount_one (spec, i, rootfd, o, &guard, err);
      if (r < 0)
        return r;
    }

  r = al_devices_setup (spec, rootfd, o, err);
  if (r < 0)
    return r;
  return remount_ro_later (spec, rootfd, err);
}

static int
make_private_here (void)
{
  if (mount (NULL, "/", NULL, MS_PRIVATE, NULL) < 0)
    return -1;
  return mount (NULL, ".", NULL, MS_PRIVATE, NULL);
}

/* --no-pivot keeps the old root's mounts in the container's mount namespace,
 * under the moved rootfs: unreachable by path, but the kernel's check for a
 * fresh procfs or sysfs mount in a nested user namespace (mount_too_revealing)
 * looks at every mount of the namespace, and the host's /proc and /sys are
 * fully visible (nothing mounted over any of their files, unlike the
 * container's masked /proc). With them there, a container process could
 * unshare a user, mount and pid namespace and mount an unmasked procfs,
 * which pivot_root (it detaches the old root) prevents. So each full (root
 * "/") proc and sysfs mount outside the rootfs is detached (rslave first: no
 * unmount reaches the host). Mounts locked into the namespace (a new user
 * namespace's copy of the host's) cannot be: one of their non-empty
 * directories is mounted over instead, which makes them not fully visible
 * either. */
static int
hide_host_proc_sys (const char *rootfs, al_error_t *err)
{
  _cleanup_free_ char *buf = NULL;
  int r = al_read_file_at (AT_FDCWD, "/proc/self/mountinfo", 64u << 20, &buf, NULL, err);
  if (r < 0)
    return al_err_prefix (err, "--no-pivot: the mounts to hide from the container");
  size_t n = 0, cap = 0;
  _cleanup_free_ char **mps = NULL;
  _cleanup_free_ bool *is_proc = NULL;
  size_t rlen = strlen (rootfs);
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
      bool proc = strcmp (fstype, "proc") == 0;
      if (!proc && strcmp (fstype, "sysfs") != 0)
        continue;
      char *fsave = NULL, *root = NULL, *mp = NULL;
      char *f = strtok_r (line, " ", &fsave);
      for (int i = 0; f && i < 4; i++)
        {
          f = strtok_r (NULL, " ", &fsave);
          if (i == 2)
            root = f;
          if (i == 3)
            mp = f;
        }
      if (root == NULL || mp == NULL)
        continue;
      al_mountinfo_unescape (root);
      al_mountinfo_unescape (mp);
      if (strcmp (root, "/") != 0)
        continue; /* a part of one: not fully visible */
      if (strncmp (mp, rootfs, rlen) == 0 && (mp[rlen] == '\0' || mp[rlen] == '/'))
        continue; /* the container's own (masked) */
      if (n == cap)
        {
          cap = cap ? cap * 2 : 8;
          char **m2 = realloc (mps, cap * sizeof *mps);
          bool *p2 = m2 ? realloc (is_proc, cap * sizeof *is_proc) : NULL;
          if (m2 == NULL || p2 == NULL)
            abort (); /* as al_xmalloc0 */
          mps = m2;
          is_proc = p2;
        }
      mps[n] = mp; /* points into buf */
      is_proc[n++] = proc;
    }
  /* The deepest first. */
  for (size_t k = n; k-- > 0;)
    {
      const char *mp = mps[k];
      if (mount (NULL, mp, NULL, MS_REC | MS_SLAVE, NULL) < 0)
        {
          if (errno == ENOENT || errno == ENOTDIR)
            continue; /* below one detached already */
          return al_err (err, errno, "--no-pivot: make the host's %s at %s a slave", is_proc[k] ? "proc" : "sysfs",
                         mp);
        }
      if (umount2 (mp, MNT_DETACH) == 0)
        continue;
      if (errno != EINVAL && errno != EPERM)
        return al_err (err, errno, "--no-pivot: detach the host's %s at %s", is_proc[k] ? "proc" : "sysfs", mp);
      _cleanup_free_ char *cover = al_xasprintf ("%s/%s", mp, is_proc[k] ? "sys" : "kernel");
      if (mount ("tmpfs", cover, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") < 0)
        return al_err (err, errno,
                       "--no-pivot: the host's %s at %s can be neither detached (locked) nor masked (mount over "
                       "%s): refusing to leave it fully visible to the container",
                       is_proc[k] ? "proc" : "sysfs", mp, cover);
    }
  return 0;
}

int
al_rootfs_pivot (const struct al_rootfs_opts *o, al_error_t *err)
{
  if (chdir (o->rootfs) < 0)
    return al_err (err, errno, "rootfs %s: chdir", o->rootfs);

  if (o->no_pivot)
    {
      int r = hide_host_proc_sys (o->rootfs, err);
      if (r < 0)
        return r;
      if (mount (o->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return al_err (err, errno, "rootfs %s: move to /", o->rootfs);
      if (chroot (".") < 0)
        return al_err (err, errno, "rootfs %s: chroot", o->rootfs);
      if (chdir ("/") < 0)
        return al_err (err, errno, "chdir /");
      return 0;
    }

  _cleanup_close_ int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return al_err (err, errno, "open /");

  /* pivot_root(".", "."): the old root ends up stacked on top of the new
   * one, at "/", where it is detached right away. */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    {
      if (errno != EINVAL || make_private_here () < 0 || syscall (SYS_pivot_root, ".", ".") < 0)
        return al_err (err, errno, "rootfs %s: pivot_root", o->rootfs);
    }
  if (fchdir (oldroot) < 0)
    return al_err (err, errno, "fchdir to the old root");
  /* Detaching must not propagate back to the host or to peers. */
  if (mount (NULL, ".", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return al_err (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return al_err (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return al_err (err, errno, "chdir /");
  return 0;
}

int
al_rootfs_chroot (const struct al_rootfs_opts *o, al_error_t *err)
{
  _cleanup_close_ int fd = open (o->rootfs, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "rootfs %s: open", o->rootfs);
  if (fchdir (fd) < 0)
    return al_err (err, errno, "rootfs %s: fchdir", o->rootfs);
  if (chroot (".") < 0)
    return al_err (err, errno, "rootfs %s: chroot", o->rootfs);
  if (chdir ("/") < 0)
    return al_err (err, errno, "rootfs %s: chdir / after chroot", o->rootfs);
  return 0;
}

/* Open a path of the new root; *fd = -1 when it does not exist. */
static int
open_existing (int rootfd, const char *path, const char *what, int *fd, al_error_t *err)
{
  *fd = al_resolve_in_root (rootfd, path);
  if (*fd >= 0 || errno == ENOENT || errno == ENOTDIR)
    return 0;
  return al_err (err, errno, "%s \"%s\"", what, path);
}

static int
mask_path (int rootfd, size_t i, const char *path, al_error_t *err)
{
  _cleanup_free_ char *what = al_xasprintf ("linux.maskedPaths[%zu] \"%s\"", i, path);
  _cleanup_close_ int fd = -1;
  int r = open_existing (rootfd, path, what, &fd, err);
  if (r < 0 || fd < 0)
    return r;
  struct stat st;
  if (fstat (fd, &st) < 0)
    return al_err (err, errno, "%s: stat", what);

  if (!S_ISDIR (st.st_mode))
    return bind_tree ("/dev/null", fd, false, NULL, what, err);

  _cleanup_close_ int fs = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0)
    return al_err (err, errno, "%s: fsopen tmpfs", what);
  if (fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return al_err (err, errno, "%s: create tmpfs", what);
  _cleanup_close_ int mnt = fsmount (fs, FSMOUNT_CLOEXEC,
                                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  if (mnt < 0)
    return al_err (err, errno, "%s: fsmount tmpfs", what);
  if (move_mount (mnt, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return al_err (err, errno, "%s: mount tmpfs", what);
  return 0;
}

static int
readonly_path (int rootfd, size_t i, const char *path, al_error_t *err)
{
  _cleanup_free_ char *what = al_xasprintf ("linux.readonlyPaths[%zu] \"%s\"", i, path);
  _cleanup_close_ int fd = -1;
  int r = open_existing (rootfd, path, what, &fd, err);
  if (r < 0 || fd < 0)
    return r;
  /* A recursive clone of the path, made read-only (mount_setattr only adds
   * flags, so flags locked by a more privileged namespace are kept). */
  _cleanup_close_ int tree
      = open_tree (fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
  if (tree < 0)
    return al_err (err, errno, "%s: bind", what);
  r = set_attrs (tree, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, true, what, err);
  if (r < 0)
    return r;
  if (move_mount (tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return al_err (err, errno, "%s: attach the read-only bind mount", what);
  return 0;
}

int
al_rootfs_finish (const struct oci_spec *spec, const struct al_rootfs_opts *o, al_error_t *err)
{
  (void) o;
  unsigned long prop;
  int r = parse_root_propagation (spec, &prop, err);
  if (r < 0)
    return r;

  _cleanup_close_ int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return al_err (err, errno, "open /");

  const struct oci_linux *l = spec->linux_;
  for (size_t i = 0; l && l->masked_paths && l->masked_paths[i]; i++)
    {
      r = mask_path (rootfd, i, l->masked_paths[i], err);
      if (r < 0)
        return r;
    }
  for (size_t i = 0; l && l->readonly_paths && l->readonly_paths[i]; i++)
    {
      r = readonly_path (rootfd, i, l->readonly_paths[i], err);
      if (r < 0)
        return r;
    }

  if (spec->root_readonly)
    {
      r = set_attrs (rootfd, MS_RDONLY, 0, false, "root.readonly: remount / read-only", err);
      if (r < 0)
        return r;
    }

  if (prop && mount (NULL, "/", NULL, prop, NULL) < 0)
    return al_err (err, errno, "linux.rootfsPropagation: set the propagation of /");
  return 0;
}

void
al_rootfs_premake_bind_points (const struct oci_spec *spec, const char *rootfs, const char *bundle)
{
  _cleanup_close_ int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return;
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const struct oci_mount *m = &spec->mounts[i];
      struct al_mount_flags f;
      if (m->destination == NULL || m->source == NULL || *m->source == '\0'
          || al_mount_flags_parse (m->options, &f, NULL) < 0)
        continue;
      al_mount_flags_free (&f);
      if (!f.bind && !f.recursive_bind && !str_eq (m->type, "bind") && !str_eq (m->type, "rbind"))
        continue;
      _cleanup_free_ char *src = m->source[0] == '/' ? al_xstrdup (m->source) : al_xasprintf ("%s/%s", bundle, m->source);
      struct stat st;
      if (stat (src, &st) < 0)
        continue;
      /* Only the last component, in a directory the image has. */
      _cleanup_free_ char *parent = al_xstrdup (m->destination);
      char *slash = strrchr (parent, '/');
      if (slash == NULL || slash[1] == '\0')
        continue;
      *(slash == parent ? slash + 1 : slash) = '\0';
      _cleanup_close_ int pfd = -1, fd = -1;
      _cleanup_error_ al_error_t e1 = NULL, e2 = NULL;
      struct stat pst;
      if (al_rootfs_open_in (rootfd, parent, 0, "", &pfd, &e1) < 0 || fstat (pfd, &pst) < 0 || !S_ISDIR (pst.st_mode))
        continue;
      al_rootfs_open_in (rootfd, m->destination, S_ISDIR (st.st_mode) ? S_IFDIR : S_IFREG, "", &fd, &e2);
    }
}
