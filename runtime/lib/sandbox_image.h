/* sandbox_image.h: the default rootfs of `airlock sandbox`: a busybox image
 * built at first use in a cache directory that only root can write, checked
 * before every use. */
#ifndef AIRLOCK_SANDBOX_IMAGE_H
#define AIRLOCK_SANDBOX_IMAGE_H

#include <sys/stat.h>

#include "error.h"

#define AL_SANDBOX_CACHE_ENV "AIRLOCK_CACHE"
/* Root's, not world-writable: nobody else can pre-create it. */
#define AL_SANDBOX_CACHE_DEFAULT "/var/cache/airlock"

/* $AIRLOCK_CACHE when set and not empty, else AL_SANDBOX_CACHE_DEFAULT. */
const char *al_sandbox_cache_dir (void);

/* The image's directory name for a busybox binary with stat `st`:
 * "sandbox-rootfs-" and 16 hex digits of a hash of the recipe's version and
 * the binary's device, inode, size, mtime and ctime (nanoseconds). A new
 * busybox (replaced: new inode; or rewritten: new mtime and ctime, which
 * nobody can set back) gives a new name; hashing the contents instead
 * would cost a read of the binary at every run. Heap string. */
char *al_sandbox_image_name (const struct stat *st);

/* The path of the image made from `busybox` (absolute) in `cache` (NULL:
 * al_sandbox_cache_dir ()), built when missing. The cache and every
 * directory above it must be root's and writable by nobody else (see
 * safedir.h; the cache is created 0755 when missing); the image must be
 * root's, all of it, with nothing writable by anyone else, busybox's hard
 * links in bin/ and nothing but directories and regular files. Building
 * happens in a private temporary directory (random name, 0700) of the cache,
 * relative to directory fds and never following a link, synced, then
 * renamed into place without replacing anything: when a concurrent build
 * won, ours is removed. */
int al_sandbox_image (const char *cache, const char *busybox, char **out, al_error_t *err);

/* Check the image `name` in the directory fd `cachefd` (`path` names it in
 * messages) as al_sandbox_image does before using it. `busybox_size`: the
 * size its bin/busybox must have (-1: any). */
int al_sandbox_image_check (int cachefd, const char *name, const char *path, off_t busybox_size, al_error_t *err);

#endif
