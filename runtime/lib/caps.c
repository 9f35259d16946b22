/* caps.c: process.capabilities applied with libcap. */
#include "caps.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "util.h"

/* Sets as bit masks: capability numbers stay below 64 for the foreseeable
 * future (40 in Linux 6.x). */
#define AL_CAP_BITS 64

static void
cap_freep (cap_t *c)
{
  if (*c)
    cap_free (*c);
}
#define _cleanup_cap_ __attribute__ ((cleanup (cap_freep)))

/* "CAP_KILL" for error messages (libcap's name, upper-cased). */
static const char *
cap_label (int cap, char *buf, size_t size)
{
  char *n = cap_to_name ((cap_value_t) cap);
  if (n == NULL || isdigit ((unsigned char) n[0]))
    snprintf (buf, size, "capability %d", cap);
  else
    {
      size_t i = 0;
      for (; n[i] && i + 1 < size; i++)
        buf[i] = (char) toupper ((unsigned char) n[i]);
      buf[i] = '\0';
    }
  if (n)
    cap_free (n);
  return buf;
}

int
al_caps_last_cap (void)
{
  char buf[16];
  int fd = open ("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return CAP_LAST_CAP;
  ssize_t n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n <= 0)
    return CAP_LAST_CAP;
  buf[n] = '\0';
  char *end;
  long v = strtol (buf, &end, 10);
  if (end == buf || v < 0 || v >= AL_CAP_BITS)
    return CAP_LAST_CAP;
  return (int) v;
}

int
al_caps_keep (al_error_t *err)
{
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return al_err (err, errno, "capabilities: cannot set PR_SET_KEEPCAPS");
  return 0;
}

/* Mask of a set. Capabilities the running kernel does not know (above
 * last_cap) cannot be granted by any means; they are left out, as runc does. */
static uint64_t
set_mask (const struct oci_cap_set *set, int last)
{
  uint64_t m = 0;
  if (!set->present)
    return 0;
  for (size_t i = 0; i < set->n; i++)
    if (set->caps[i] >= 0 && set->caps[i] <= last)
      m |= UINT64_C (1) << set->caps[i];
  return m;
}

/* After setuid with PR_SET_KEEPCAPS the effective set is empty: make the
 * permitted capabilities effective so CAP_SETPCAP is usable for the bounding
 * set. */
static int
raise_effective (al_error_t *err)
{
  _cleanup_cap_ cap_t cur = cap_get_proc ();
  if (cur == NULL)
    return al_err (err, errno, "capabilities: cannot read the process capabilities");
  if (cap_fill (cur, CAP_EFFECTIVE, CAP_PERMITTED) < 0 || cap_set_proc (cur) < 0)
    return al_err (err, errno, "capabilities: cannot raise the permitted capabilities");
  return 0;
}

/* The first capability of `want` missing from the current permitted set, -1 if none. */
static int
missing_permitted (uint64_t want, int last)
{
  _cleanup_cap_ cap_t cur = cap_get_proc ();
  if (cur == NULL)
    return -1;
  for (int c = 0; c <= last; c++)
    {
      cap_flag_value_t v = CAP_CLEAR;
      if ((want & (UINT64_C (1) << c)) && cap_get_flag (cur, c, CAP_PERMITTED, &v) == 0 && v != CAP_SET)
        return c;
    }
  return -1;
}

int
al_caps_apply (const struct oci_capabilities *caps, al_error_t *err)
{
  char name[64];
  int last = al_caps_last_cap ();
  uint64_t bnd = set_mask (&caps->bounding, last);
  uint64_t eff = set_mask (&caps->effective, last);
  uint64_t prm = set_mask (&caps->permitted, last);
  uint64_t inh = set_mask (&caps->inheritable, last);
  uint64_t amb = set_mask (&caps->ambient, last);

  /* The kernel only raises an ambient capability that is both permitted and
     inheritable. runc's and crun's default configs list ambient capabilities
     without an inheritable set, and both runtimes run them: the ambient
     capabilities that cannot be raised are left out, as they do. */
  amb &= prm & inh;
  for (int c = 0; c <= last; c++)
    if ((eff & (UINT64_C (1) << c)) && !(prm & (UINT64_C (1) << c)))
      return al_err (err, 0, "process.capabilities.effective: %s is not in the permitted set",
                     cap_label (c, name, sizeof (name)));

  int r = raise_effective (err);
  if (r < 0)
    return r;

  for (int c = 0; c <= last; c++)
    {
      if (bnd & (UINT64_C (1) << c))
        continue;
      int in = prctl (PR_CAPBSET_READ, c, 0, 0, 0);
      if (in == 0 || (in < 0 && errno == EINVAL))
        continue; /* already dropped, or unknown to this kernel */
      if (prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
        return al_err (err, errno, "capabilities: cannot drop %s from the bounding set",
                       cap_label (c, name, sizeof (name)));
    }

  _cleanup_cap_ cap_t want = cap_init ();
  if (want == NULL)
    return al_err (err, errno, "capabilities: cannot allocate a capability state");
  for (int c = 0; c <= last; c++)
    {
      cap_value_t v = c;
      uint64_t bit = UINT64_C (1) << c;
      if (((eff & bit) && cap_set_flag (want, CAP_EFFECTIVE, 1, &v, CAP_SET) < 0)
          || ((prm & bit) && cap_set_flag (want, CAP_PERMITTED, 1, &v, CAP_SET) < 0)
          || ((inh & bit) && cap_set_flag (want, CAP_INHERITABLE, 1, &v, CAP_SET) < 0))
        return al_err (err, errno, "capabilities: cannot set %s", cap_label (c, name, sizeof (name)));
    }
  if (cap_set_proc (want) < 0)
    {
      int e = errno;
      int miss = e == EPERM ? missing_permitted (prm | inh, last) : -1;
      if (miss >= 0)
        return al_err (err, e, "capabilities: cannot set the process capabilities: %s is not in the runtime's permitted set",
                       cap_label (miss, name, sizeof (name)));
      return al_err (err, e, "capabilities: cannot set the effective, permitted and inheritable sets");
    }

  if (cap_reset_ambient () < 0 && amb != 0)
    return al_err (err, errno, "capabilities: cannot clear the ambient set");
  for (int c = 0; c <= last; c++)
    if ((amb & (UINT64_C (1) << c)) && cap_set_ambient (c, CAP_SET) < 0)
      return al_err (err, errno, "capabilities: cannot raise ambient %s", cap_label (c, name, sizeof (name)));

  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return al_err (err, errno, "capabilities: cannot clear PR_SET_KEEPCAPS");
  return 0;
}
