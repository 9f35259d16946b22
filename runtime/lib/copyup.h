/* copyup.h: the `tmpcopyup` mount option: what a tmpfs covers is copied
 * into it. */
#ifndef AIRLOCK_COPYUP_H
#define AIRLOCK_COPYUP_H

#include "error.h"

/* Deepest directory level al_copy_tree copies (deeper: ELOOP). */
#define AL_COPYUP_MAX_DEPTH 128

/* Copy everything under the directory `src` into the directory `dst` (both
 * O_RDONLY|O_DIRECTORY fds): directories, regular files, symlinks (as
 * links, never followed), fifos, sockets and device nodes, with their mode,
 * owner, timestamps and extended attributes (xattrs the target filesystem
 * refuses are left out; an owner the user namespace does not map too).
 * `src` is untrusted (a container's rootfs): every entry is opened relative
 * to its parent with O_NOFOLLOW and checked after the open, so no symlink or
 * swapped entry leads outside it; only files and directories are ever
 * opened (never a fifo or a device). Hard links become
 * separate copies. `what` names the mount in errors, followed by the path of
 * the entry below `src`. */
int al_copy_tree (int src, int dst, const char *what, al_error_t *err);

#endif
