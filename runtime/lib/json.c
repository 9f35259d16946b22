/* json.c: helpers around yajl_gen. */
#include "json.h"

#include <string.h>

#include "util.h"

char *
al_json_gen_finish (yajl_gen g)
{
  const unsigned char *buf = NULL;
  size_t len = 0;
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    len = 0;
  char *out = al_xmalloc0 (len + 1);
  if (len)
    memcpy (out, buf, len);
  yajl_gen_free (g);
  return out;
}

void
al_json_str (yajl_gen g, const char *s)
{
  if (s == NULL)
    yajl_gen_null (g);
  else
    yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}
