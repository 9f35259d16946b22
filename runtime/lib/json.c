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

void
al_json_gen_tree (yajl_gen g, yajl_val v)
{
  if (v == NULL || YAJL_IS_NULL (v))
    yajl_gen_null (g);
  else if (YAJL_IS_STRING (v))
    al_json_str (g, YAJL_GET_STRING (v));
  else if (YAJL_IS_NUMBER (v))
    yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
  else if (YAJL_IS_TRUE (v))
    yajl_gen_bool (g, 1);
  else if (YAJL_IS_FALSE (v))
    yajl_gen_bool (g, 0);
  else if (YAJL_IS_ARRAY (v))
    {
      yajl_gen_array_open (g);
      for (size_t i = 0; i < v->u.array.len; i++)
        al_json_gen_tree (g, v->u.array.values[i]);
      yajl_gen_array_close (g);
    }
  else if (YAJL_IS_OBJECT (v))
    {
      yajl_gen_map_open (g);
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          al_json_str (g, v->u.object.keys[i]);
          al_json_gen_tree (g, v->u.object.values[i]);
        }
      yajl_gen_map_close (g);
    }
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
