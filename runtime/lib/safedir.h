/* safedir.h: directories that only root can change, checked the way
 * OpenSSH's StrictModes checks a user's files, and trees removed without
 * following a link. For what root writes and later trusts (the sandbox
 * image cache): a directory another user could write, or swap by renaming
 * a parent they control, would let them plant what root runs. */
#ifndef AIRLOCK_SAFEDIR_H
#define AIRLOCK_SAFEDIR_H

#include <stdbool.h>
#include <sys/stat.h>

#include "error.h"

/* The owner airlock trusts: root, or the user running it. */
bool al_safe_owner (uid_t uid);

/* Open the directory `path` (absolute) as an O_RDONLY|O_DIRECTORY fd in
 * *out, walking it one component at a time from "/" with O_NOFOLLOW, and
 * check every directory on the way: owned by root (or the caller), and not
 * writable by group or others, except that a directory above the last may
 * be if it has the sticky bit (/tmp: others cannot rename or remove what is
 * not theirs). The last one must not be writable by anyone else at all. A
 * symlink on the way is followed only when root (or the caller) owns it (its
 * directory passed, so nobody else can replace it). With `create`, missing
 * directories are made (mode 0755 whatever the umask). *canon (may be NULL):
 * the path with every symlink resolved, to use from then on.
 *
 * Errors name `what` and the offending directory with its owner and mode,
 * then `hint` (what to do): "sandbox cache /tmp/c: /tmp/c is owned by uid
 * 65534, mode 0755: ...; <hint>". */
int al_safe_dir_open (const char *path, bool create, const char *what, const char *hint, int *out, char **canon,
                      al_error_t *err);

/* Why a node with stat `st` is not safe ("is owned by uid 65534", "is
 * writable by group or others (mode 0777)"), NULL when it is: owned by root
 * (or the caller) and not writable by group or others. Heap string. */
char *al_safe_node_problem (const struct stat *st);

/* Remove `name` (in dirfd) and everything below it. Never follows a
 * symlink: entries are opened with O_NOFOLLOW and removed with unlinkat
 * relative to their directory's fd. `what` names it in errors. */
int al_remove_tree_at (int dirfd, const char *name, const char *what, al_error_t *err);

#endif
