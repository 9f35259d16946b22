/* error.c: the error object. */
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
al_verr (al_error_t *err, int errnum, const char *fmt, va_list ap)
{
  int ret = errnum > 0 ? -errnum : -EINVAL;
  if (err == NULL || *err != NULL)
    return ret;

  char *base = NULL;
  if (vasprintf (&base, fmt, ap) < 0)
    base = NULL;

  struct al_error *e = calloc (1, sizeof (*e));
  if (e == NULL)
    {
      free (base);
      return ret;
    }
  e->errnum = errnum;
  if (errnum > 0 && base != NULL)
    {
      if (asprintf (&e->msg, "%s: %s", base, strerror (errnum)) < 0)
        e->msg = NULL;
      free (base);
    }
  else
    e->msg = base;
  if (e->msg == NULL)
    e->msg = strdup ("out of memory while formatting an error");
  *err = e;
  return ret;
}

int
al_err (al_error_t *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int ret = al_verr (err, errnum, fmt, ap);
  va_end (ap);
  return ret;
}

int
al_err_code (al_error_t err)
{
  if (err == NULL || err->errnum <= 0)
    return -EINVAL;
  return -err->errnum;
}

int
al_err_prefix (al_error_t *err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -EINVAL;
  char *prefix = NULL, *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&prefix, fmt, ap);
  va_end (ap);
  if (r >= 0 && asprintf (&msg, "%s: %s", prefix, (*err)->msg ? (*err)->msg : "") >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = msg;
    }
  if (r >= 0)
    free (prefix);
  return al_err_code (*err);
}

void
al_error_free (al_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

void
al_error_release (al_error_t *err)
{
  al_error_free (err);
}
