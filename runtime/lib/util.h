/* util.h: cleanup attributes and small file helpers shared by libairlock. */
#ifndef AIRLOCK_UTIL_H
#define AIRLOCK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"

void al_freep (void *p);
void al_closep (int *fd);
void al_fclosep (FILE **f);
void al_strvfreep (char ***v);

#define _cleanup_free_ __attribute__ ((cleanup (al_freep)))
#define _cleanup_close_ __attribute__ ((cleanup (al_closep)))
#define _cleanup_fclose_ __attribute__ ((cleanup (al_fclosep)))
#define _cleanup_strv_ __attribute__ ((cleanup (al_strvfreep)))

/* Hand ownership out of a cleanup variable. */
#define al_steal_ptr(p) ({ __typeof__ (p) _t = (p); (p) = NULL; _t; })
#define al_steal_fd(fd) ({ int _t = (fd); (fd) = -1; _t; })

/* One sendmsg of len bytes of buf with fd attached (SCM_RIGHTS), retried on
 * EINTR: the bytes sent, or -errno. */
long al_send_with_fd (int sock, const void *buf, size_t len, int fd);

/* Undo the octal escapes (\040 etc.) of a /proc/self/mountinfo field, in place. */
void al_mountinfo_unescape (char *s);

void *al_xmalloc0 (size_t n); /* aborts on OOM: allocation failure is not recoverable here */
char *al_xstrdup (const char *s);
char *al_xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void al_strv_free (char **v);
size_t al_strv_len (char *const *v);

/* Read a whole file (at most max_size bytes; larger is an error naming the path).
 * *out is NUL terminated, *len excludes the NUL. dirfd may be AT_FDCWD. */
int al_read_file_at (int dirfd, const char *path, size_t max_size, char **out, size_t *len, al_error_t *err);
/* The same for a file that must be a regular one (a FIFO, a device or a
 * directory is an error, and opening never blocks). */
int al_read_regular_file_at (int dirfd, const char *path, size_t max_size, char **out, size_t *len, al_error_t *err);
/* Write buf to path (O_WRONLY|O_TRUNC, no create unless mode != 0). */
int al_write_file_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, al_error_t *err);
/* Write atomically: temp file in the same dir, fsync-free rename. */
int al_write_file_atomic_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, al_error_t *err);

/* write()/read() that retry on EINTR and short counts. Return -errno or bytes. */
ssize_t al_write_all (int fd, const void *buf, size_t len);
ssize_t al_read_all (int fd, void *buf, size_t len);

/* Create every directory of path (like mkdir -p), relative to dirfd. */
int al_mkdir_p (int dirfd, const char *path, mode_t mode, al_error_t *err);

/* Parse a signal given by name ("KILL", "SIGKILL", case-insensitive) or number.
 * Returns the signal number, or -EINVAL. */
int al_parse_signal (const char *s);
/* Canonical name ("SIGKILL") of a signal, NULL when unknown. */
const char *al_signal_name (int sig);

bool al_has_prefix (const char *s, const char *prefix);

/* Printable form of untrusted bytes for a message: printable ASCII as is,
 * `\\` and `"` escaped, other bytes as \n, \t, \r or \xNN. At most max input
 * bytes are shown; "..." marks the cut. Heap string. */
char *al_escape (const char *s, size_t len, size_t max);

/* RFC 3339 timestamp with nanoseconds, UTC: "2026-11-23T18:55:08.123456789Z". */
char *al_rfc3339_now (void);

#endif
