/* devices.c: the container's /dev: default devices, linux.devices, the
 * standard symlinks, /dev/ptmx and /dev/shm. Device nodes are made with
 * mknodat relative to their parent directory, which is resolved inside the
 * rootfs (al_rootfs_open_in); in a user namespace, where mknod is refused,
 * the host's node is bind mounted on an empty file instead. */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util.h"

static const struct oci_device default_devices[] = {
  { .type = 'c', .path = "/dev/null", .major = 1, .minor = 3 },
  { .type = 'c', .path = "/dev/zero", .major = 1, .minor = 5 },
  { .type = 'c', .path = "/dev/full", .major = 1, .minor = 7 },
  { .type = 'c', .path = "/dev/random", .major = 1, .minor = 8 },
  { .type = 'c', .path = "/dev/urandom", .major = 1, .minor = 9 },
  { .type = 'c', .path = "/dev/tty", .major = 5, .minor = 0 },
};

static const struct
{
  const char *name, *target;
} dev_symlinks[] = {
  { "fd", "/proc/self/fd" },
  { "stdin", "/proc/self/fd/0" },
  { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" },
  { "core", "/proc/kcore" },
};

/* Compare two absolute paths ignoring repeated and trailing slashes. */
static bool
same_path (const char *a, const char *b)
{
  if (a == NULL || b == NULL)
    return false;
  for (;;)
    {
      while (*a == '/' && (a[1] == '/' || a[1] == '\0'))
        a++;
      while (*b == '/' && (b[1] == '/' || b[1] == '\0'))
        b++;
      if (*a != *b)
        return false;
      if (*a == '\0')
        return true;
      a++;
      b++;
    }
}

static int
create_device (int rootfd, const struct oci_device *d, const struct al_rootfs_opts *o, const char *what,
               al_error_t *err)
{
  if (d->path == NULL || d->path[0] == '\0')
    return al_err (err, 0, "%s: missing path", what);
  const char *slash = strrchr (d->path, '/');
  const char *base = slash ? slash + 1 : d->path;
  if (*base == '\0' || strcmp (base, ".") == 0 || strcmp (base, "..") == 0)
    return al_err (err, 0, "%s: not a file name", what);
  _cleanup_free_ char *dir = slash ? strndup (d->path, (size_t) (slash - d->path)) : al_xstrdup ("/");
  if (dir == NULL)
    abort ();

  _cleanup_close_ int parent = -1;
  int r = al_rootfs_open_in (rootfd, *dir ? dir : "/", S_IFDIR, what, &parent, err);
  if (r < 0)
    return r;

  /* Whatever is there (a stale node, a planted symlink) is replaced; the
   * symlink itself is removed, never followed. */
  struct stat st;
  if (fstatat (parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (S_ISDIR (st.st_mode))
        return al_err (err, EISDIR, "%s", what);
      if (unlinkat (parent, base, 0) < 0)
        return al_err (err, errno, "%s: remove the existing file", what);
    }

  mode_t type;
  switch (d->type)
    {
    case 'c':
    case 'u':
      type = S_IFCHR;
      break;
    case 'b':
      type = S_IFBLK;
      break;
    case 'p':
      type = S_IFIFO;
      break;
    default:
      return al_err (err, 0, "%s: unknown device type `%c`", what, d->type);
    }

  if (o->in_userns && type != S_IFIFO)
    {
      int fd = openat (parent, base, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0600);
      if (fd < 0)
        return al_err (err, errno, "%s: create the bind mount target", what);
      close (fd);
      _cleanup_close_ int node = openat (parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (node < 0)
        return al_err (err, errno, "%s: open", what);
      return al_rootfs_bind_fd (d->path, node, false, what, err);
    }

  mode_t perm = d->has_file_mode ? (d->file_mode & 07777) : 0666;
  dev_t dev = type == S_IFIFO ? 0 : makedev ((unsigned) d->major, (unsigned) d->minor);
  if (mknodat (parent, base, type | perm, dev) < 0)
    return al_err (err, errno, "%s: mknod", what);
  /* mknod is subject to the umask: set the mode exactly. */
  if (fchmodat (parent, base, perm, AT_SYMLINK_NOFOLLOW) < 0)
    return al_err (err, errno, "%s: chmod", what);
  if (d->has_uid || d->has_gid)
    {
      uid_t uid = d->has_uid ? (uid_t) d->uid : (uid_t) -1;
      gid_t gid = d->has_gid ? (gid_t) d->gid : (gid_t) -1;
      if (fchownat (parent, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return al_err (err, errno, "%s: chown", what);
    }
  return 0;
}

int
al_devices_setup (const struct oci_spec *spec, int rootfd, const struct al_rootfs_opts *o, al_error_t *err)
{
  bool has_devpts = false;
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      const struct oci_mount *m = &spec->mounts[i];
      if (same_path (m->destination, "/dev"))
        {
          bool bind = m->type && (strcmp (m->type, "bind") == 0 || strcmp (m->type, "rbind") == 0);
          for (size_t j = 0; m->options && m->options[j]; j++)
            if (strcmp (m->options[j], "bind") == 0 || strcmp (m->options[j], "rbind") == 0)
              bind = true;
          if (bind)
            return 0; /* the host's /dev (or some other tree): leave it alone */
        }
      if (same_path (m->destination, "/dev/pts") && m->type && strcmp (m->type, "devpts") == 0)
        has_devpts = true;
    }

  _cleanup_close_ int devfd = -1;
  int r = al_rootfs_open_in (rootfd, "/dev", S_IFDIR, "/dev", &devfd, err);
  if (r < 0)
    return r;

  const struct oci_device *devs = spec->linux_ ? spec->linux_->devices : NULL;
  size_t n_devs = spec->linux_ ? spec->linux_->n_devices : 0;

  for (size_t i = 0; i < sizeof (default_devices) / sizeof (default_devices[0]); i++)
    {
      bool overridden = false;
      for (size_t j = 0; j < n_devs; j++)
        if (same_path (devs[j].path, default_devices[i].path))
          overridden = true;
      if (overridden)
        continue;
      _cleanup_free_ char *what = al_xasprintf ("default device %s", default_devices[i].path);
      r = create_device (rootfd, &default_devices[i], o, what, err);
      if (r < 0)
        return r;
    }
  for (size_t i = 0; i < n_devs; i++)
    {
      _cleanup_free_ char *what = al_xasprintf ("linux.devices[%zu] (%s)", i, devs[i].path ? devs[i].path : "");
      r = create_device (rootfd, &devs[i], o, what, err);
      if (r < 0)
        return r;
    }

  /* /dev/core only where the kernel has /proc/kcore (as runc): else it
     would dangle. */
  bool kcore = access ("/proc/kcore", F_OK) == 0;
  for (size_t i = 0; i < sizeof (dev_symlinks) / sizeof (dev_symlinks[0]); i++)
    if ((kcore || strcmp (dev_symlinks[i].name, "core") != 0)
        && symlinkat (dev_symlinks[i].target, devfd, dev_symlinks[i].name) < 0 && errno != EEXIST)
      return al_err (err, errno, "/dev/%s: symlink to %s", dev_symlinks[i].name, dev_symlinks[i].target);

  if (has_devpts)
    {
      struct stat st;
      if (fstatat (devfd, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0)
        {
          if (S_ISDIR (st.st_mode))
            return al_err (err, EISDIR, "/dev/ptmx");
          if (unlinkat (devfd, "ptmx", 0) < 0)
            return al_err (err, errno, "/dev/ptmx: remove the existing file");
        }
      if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0)
        return al_err (err, errno, "/dev/ptmx: symlink to pts/ptmx");
    }

  if (mkdirat (devfd, "shm", 01777) == 0)
    {
      if (fchmodat (devfd, "shm", 01777, AT_SYMLINK_NOFOLLOW) < 0)
        return al_err (err, errno, "/dev/shm: chmod");
    }
  else if (errno != EEXIST)
    return al_err (err, errno, "/dev/shm: mkdir");
  return 0;
}
