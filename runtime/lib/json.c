/* json.c: helpers around yajl_gen. */
#include "json.h"

#include <stdbool.h>
#include <stdio.h>
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

yajl_val
al_json_tree_parse (const char *text, size_t len, char *ebuf, size_t ebuf_len)
{
  size_t depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < len; i++)
    {
      char ch = text[i];
      if (ch == '\0')
        {
          snprintf (ebuf, ebuf_len, "a NUL byte at offset %zu", i);
          return NULL;
        }
      if (in_string)
        {
          if (escaped)
            escaped = false;
          else if (ch == '\\')
            escaped = true;
          else if (ch == '"')
            in_string = false;
        }
      else if (ch == '"')
        in_string = true;
      else if (ch == '[' || ch == '{')
        {
          if (++depth > AL_JSON_TREE_MAX_DEPTH)
            {
              snprintf (ebuf, ebuf_len, "nesting deeper than %d levels", AL_JSON_TREE_MAX_DEPTH);
              return NULL;
            }
        }
      else if ((ch == ']' || ch == '}') && depth > 0)
        depth--;
    }
  _cleanup_free_ char *copy = al_xmalloc0 (len + 1);
  memcpy (copy, text, len);
  if (ebuf_len)
    ebuf[0] = '\0';
  return yajl_tree_parse (copy, ebuf, ebuf_len);
}
