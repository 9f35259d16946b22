/* error.h: errors as negative errno plus a message carried in an error object. */
#ifndef AIRLOCK_ERROR_H
#define AIRLOCK_ERROR_H

#include <stdarg.h>

/* An error: the errno that caused it (0 when none) and a human message naming
 * the object and the cause, e.g. "config.json: linux.namespaces[2].type: unknown
 * namespace type `foo`". */
struct al_error {
  int errnum;
  char *msg;
};
typedef struct al_error *al_error_t;

/* Set *err (when err is non-NULL and *err is NULL) to a new error. When errnum
 * is non-zero ": strerror(errnum)" is appended. Returns -errnum, or -EINVAL when
 * errnum is 0, so callers can `return al_err(err, errno, "...")`. */
int al_err (al_error_t *err, int errnum, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
int al_verr (al_error_t *err, int errnum, const char *fmt, va_list ap);

/* Prefix the message of an existing error with "<prefix>: ". Returns the error's
 * negative errno (or -EINVAL). */
int al_err_prefix (al_error_t *err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Negative errno carried by err (-EINVAL when it has none). */
int al_err_code (al_error_t err);

void al_error_free (al_error_t *err);
void al_error_release (al_error_t *err); /* cleanup handler */

#define _cleanup_error_ __attribute__ ((cleanup (al_error_release)))

#endif
