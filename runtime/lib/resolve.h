/* resolve.h: open a path inside a directory tree as if that directory were
 * "/" (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), with a userspace
 * walk where the kernel or an emulator has no openat2. */
#ifndef AIRLOCK_RESOLVE_H
#define AIRLOCK_RESOLVE_H

/* An O_PATH|O_CLOEXEC fd of `path` resolved below `rootfd` (symlinks are
 * followed, the final one too, and kept inside; ".." stops at the root;
 * magic links are refused with ELOOP). "" means the root itself. Returns the
 * fd, or -1 with errno set as openat2 sets it (ENOENT for a missing
 * component, ENOTDIR, ELOOP, ...). Uses openat2, and the userspace walk once
 * openat2 answered ENOSYS. */
int al_resolve_in_root (int rootfd, const char *path);

/* The userspace walk alone (exported for tests). Symlinks met in a procfs
 * directory are all refused with ELOOP: the magic ones cannot be told from
 * the others there. */
int al_resolve_in_root_walk (int rootfd, const char *path);

#endif
