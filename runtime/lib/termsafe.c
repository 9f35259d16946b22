/* termsafe.c: see termsafe.h. */
#include "termsafe.h"

#include <stdint.h>
#include <string.h>

static size_t
hex_bytes (const unsigned char *in, size_t n, char *out)
{
  static const char digits[] = "0123456789abcdef";
  char *o = out;
  for (size_t i = 0; i < n; i++)
    {
      *o++ = '\\';
      *o++ = 'x';
      *o++ = digits[in[i] >> 4];
      *o++ = digits[in[i] & 0xf];
    }
  return (size_t) (o - out);
}

/* Well-formed code points a terminal would still act on. */
static bool
dangerous (uint32_t cp)
{
  return (cp >= 0x80 && cp <= 0x9f)                  /* C1 controls */
         || cp == 0x061c || cp == 0x200e || cp == 0x200f /* bidi marks */
         || cp == 0x2028 || cp == 0x2029                 /* line/paragraph separators */
         || (cp >= 0x202a && cp <= 0x202e)               /* bidi embeddings/overrides */
         || (cp >= 0x2066 && cp <= 0x2069);              /* bidi isolates */
}

size_t
al_termsafe_unit (const unsigned char *in, size_t n, bool final, char *out, size_t *out_len)
{
  unsigned char b = in[0];
  if (b < 0x80)
    {
      if ((b >= 0x20 && b < 0x7f) || b == '\n' || b == '\t')
        {
          out[0] = (char) b;
          *out_len = 1;
        }
      else
        {
          out[0] = '^';
          out[1] = (char) (b ^ 0x40); /* ^@ .. ^_, DEL -> ^? */
          *out_len = 2;
        }
      return 1;
    }
  size_t need;
  uint32_t cp;
  unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
  if (b >= 0xc2 && b <= 0xdf)
    need = 2, cp = b & 0x1f;
  else if (b >= 0xe0 && b <= 0xef)
    {
      need = 3, cp = b & 0x0f;
      if (b == 0xe0)
        lo = 0xa0; /* overlong */
      else if (b == 0xed)
        hi = 0x9f; /* surrogates */
    }
  else if (b >= 0xf0 && b <= 0xf4)
    {
      need = 4, cp = b & 0x07;
      if (b == 0xf0)
        lo = 0x90; /* overlong */
      else if (b == 0xf4)
        hi = 0x8f; /* past U+10FFFF */
    }
  else
    {
      *out_len = hex_bytes (in, 1, out);
      return 1;
    }
  for (size_t i = 1; i < need; i++)
    {
      if (i >= n)
        {
          if (!final)
            return 0;
          break;
        }
      unsigned char c = in[i];
      if (c < (i == 1 ? lo : 0x80) || c > (i == 1 ? hi : 0xbf))
        break;
      cp = (cp << 6) | (c & 0x3f);
      if (i == need - 1)
        {
          if (dangerous (cp))
            *out_len = hex_bytes (in, need, out);
          else
            {
              memcpy (out, in, need);
              *out_len = need;
            }
          return need;
        }
    }
  /* Not well formed: the lead byte alone; what follows is looked at again. */
  *out_len = hex_bytes (in, 1, out);
  return 1;
}

size_t
al_termsafe (const unsigned char *in, size_t n, bool final, char *out, size_t cap, size_t *consumed)
{
  size_t i = 0, o = 0;
  while (i < n)
    {
      char unit[AL_TERMSAFE_UNIT_MAX];
      size_t ulen;
      size_t used = al_termsafe_unit (in + i, n - i, final, unit, &ulen);
      if (used == 0 || ulen > cap - o)
        break;
      memcpy (out + o, unit, ulen);
      o += ulen;
      i += used;
    }
  *consumed = i;
  return o;
}
