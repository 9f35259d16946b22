/* rootfs.h: the container's mount namespace: rootfs, mounts, /dev, pivot_root,
 * masked and read-only paths. Called in the container's init after it has
 * entered its mount (and user) namespace. Every path inside the rootfs is
 * resolved with openat2(RESOLVE_IN_ROOT) relative to the rootfs fd (or the
 * same rules in userspace without openat2: resolve.h), so a symlink in the
 * rootfs never leads a mount, mkdir or mknod outside it. */
#ifndef AIRLOCK_ROOTFS_H
#define AIRLOCK_ROOTFS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct al_rootfs_opts
{
  const char *rootfs;  /* absolute host path of the rootfs */
  const char *bundle;  /* absolute bundle dir: relative mount sources resolve here */
  bool in_userns;      /* a new user namespace: bind devices instead of mknod */
  bool no_pivot;       /* --no-pivot: MS_MOVE + chroot instead of pivot_root */
  const int *idmap_fds; /* per mounts[i]: a detached idmapped tree (idmap.c), else -1; NULL: none */
  const int *bind_fds;  /* per mounts[i]: the bind source's tree (al_rootfs_prepare_binds), else -1
                           (looked up here); NULL: none */
};

/* In a helper of the runtime that joined the init's new mount namespace
 * (with the runtime's credentials: the init's user namespace may not reach
 * the sources, below a 0700 directory of the host's root), before the init
 * mounts anything: clone the tree of every plain bind mount's source
 * (non-idmapped; relative sources in `bundle`) as a detached mount. Cloned
 * in that namespace, the mounts below keep the kernel's locks. Each clone
 * gets the propagation the init's tree would give it (private, or slave /
 * shared under rootfsPropagation). Best effort: *fds_out has, per
 * mounts[i], the tree or -1 (not a plain bind, or it failed: the init binds
 * it itself and reports the error). Free with al_rootfs_binds_close. */
#define AL_BIND_PREPARE_MAX 256 /* trees sent to the init; it looks up any more */
int al_rootfs_prepare_binds (const struct oci_spec *spec, const char *bundle, int **fds_out, al_error_t *err);
/* Some mounts[] entry is a plain bind (al_rootfs_prepare_binds has work). */
bool al_rootfs_has_binds (const struct oci_spec *spec);
void al_rootfs_binds_close (int *fds, size_t n);

/* Everything before pivot_root: make the mount tree private (or
 * rootfsPropagation), bind the rootfs on itself, mount every `mounts` entry
 * (creating targets inside the rootfs), populate /dev (default devices,
 * linux.devices, /dev/pts/ptmx, /dev/shm, the standard symlinks). */
int al_rootfs_setup (const struct oci_spec *spec, const struct al_rootfs_opts *o, al_error_t *err);

/* pivot_root into the rootfs and detach the old root (or MS_MOVE + chroot). */
int al_rootfs_pivot (const struct al_rootfs_opts *o, al_error_t *err);

/* Without a mount namespace of the container's own: chroot into the rootfs
 * (opened without following a final symlink) and chdir there; nothing is
 * mounted. */
int al_rootfs_chroot (const struct al_rootfs_opts *o, al_error_t *err);

/* After pivot: maskedPaths, readonlyPaths, root.readonly, rootfsPropagation
 * of the new root. */
int al_rootfs_finish (const struct oci_spec *spec, const struct al_rootfs_opts *o, al_error_t *err);

/* Parse mount options into flags, propagation flags and data string (used by
 * the parser's validation too). Unknown options are kept in data. */
struct al_mount_flags
{
  unsigned long flags;      /* MS_* for mount() */
  unsigned long clear;      /* flags explicitly cleared ("rw", "suid", ...) */
  unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE|MS_REC */
  bool recursive_bind;       /* rbind */
  bool bind;
  bool idmap;               /* idmap / ridmap (the tree comes from al_rootfs_opts.idmap_fds) */
  bool tmpcopyup;           /* tmpcopyup: a tmpfs gets a copy of what it covers (copyup.h) */
  unsigned long rec_flags;  /* "rro", "rnosuid", ...: MS_* applied to the whole bind tree */
  unsigned long rec_clear;  /* "rrw", "rsuid", ...: MS_* cleared on the whole bind tree */
  char *data;               /* comma separated fs-specific options, heap */
};
int al_mount_flags_parse (char *const *options, struct al_mount_flags *out, al_error_t *err);
void al_mount_flags_free (struct al_mount_flags *f);

/* Mount option names known to this build, for `features`. */
extern const char *const al_mount_options[];

/* Shared with devices.c. Open `path` (absolute or relative, always taken
 * relative to rootfd and resolved with RESOLVE_IN_ROOT, so no symlink or
 * ".." leaves it) as an O_PATH fd in *out. When it is missing and `create`
 * is S_IFDIR or S_IFREG, the missing components are created one by one
 * (mkdirat/openat relative to the already resolved parent) and the last one as
 * a directory or an empty file. A dangling symlink met on the way is
 * followed inside the root (its target is created inside the rootfs).
 * `what` names the object in error messages. */
int al_rootfs_open_in (int rootfd, const char *path, mode_t create, const char *what, int *out, al_error_t *err);

/* In the runtime, before the clone of a profiled container with a user
 * namespace: create the missing mount points of its bind mounts (the last
 * component only, in a directory the image has; a file for a file source),
 * with al_rootfs_open_in's RESOLVE_IN_ROOT. The rootfs is host root's (not
 * idmapped under CRI-O), where the container's root may not add them; its
 * /etc/hostname, say, is the CRI's bind. Failures are left to the init's
 * mount, which reports them. */
void al_rootfs_premake_bind_points (const struct oci_spec *spec, const char *rootfs, const char *bundle);

/* Bind (open_tree clone, recursive when `recursive`) the host path `source`
 * onto the O_PATH fd `target` with move_mount. */
int al_rootfs_bind_fd (const char *source, int target, bool recursive, const char *what, al_error_t *err);

#endif
