/* cpulist.c: the kernel's list format ("0-3,7") into a bit mask. An empty
 * string is an empty list; every item is a number or an ascending range. */
#include "cpulist.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define WORD_BITS (8 * sizeof (unsigned long))

static const char *
skip_blanks (const char *p)
{
  while (*p == ' ' || *p == '\t')
    p++;
  return p;
}

/* A decimal number below AL_CPULIST_MAX. */
static bool
number (const char **pp, size_t *out, const char **why)
{
  const char *p = *pp;
  if (!isdigit ((unsigned char) *p))
    {
      *why = "expected a number";
      return false;
    }
  size_t v = 0;
  for (; isdigit ((unsigned char) *p); p++)
    {
      v = v * 10 + (size_t) (*p - '0');
      if (v >= AL_CPULIST_MAX)
        {
          *why = "number too large (the limit is 8191)";
          return false;
        }
    }
  *out = v;
  *pp = p;
  return true;
}

int
al_cpulist_parse (const char *s, unsigned long *mask, size_t *top, const char **why)
{
  memset (mask, 0, AL_CPULIST_WORDS * sizeof (unsigned long));
  *top = 0;
  const char *p = skip_blanks (s);
  if (*p == '\0')
    return 0;
  for (;;)
    {
      size_t lo, hi;
      p = skip_blanks (p);
      if (!number (&p, &lo, why))
        return -1;
      hi = lo;
      if (*p == '-')
        {
          p++;
          if (!number (&p, &hi, why))
            return -1;
          if (hi < lo)
            {
              *why = "range goes down";
              return -1;
            }
        }
      for (size_t i = lo; i <= hi; i++)
        mask[i / WORD_BITS] |= 1UL << (i % WORD_BITS);
      if (hi + 1 > *top)
        *top = hi + 1;
      p = skip_blanks (p);
      if (*p == '\0')
        return 0;
      if (*p != ',')
        {
          *why = "expected `,` or `-` between numbers";
          return -1;
        }
      p++;
    }
}
