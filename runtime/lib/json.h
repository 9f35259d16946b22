/* json.h: helpers around yajl_gen shared by airlock's JSON writers. */
#ifndef AIRLOCK_JSON_H
#define AIRLOCK_JSON_H

#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* Deepest nesting al_json_tree_parse accepts (config.c has the same limit). */
#define AL_JSON_TREE_MAX_DEPTH 64

/* The generated text as a NUL-terminated heap string; frees g. */
char *al_json_gen_finish (yajl_gen g);
/* A JSON string value ("" is fine; NULL gives null). */
void al_json_str (yajl_gen g, const char *s);
/* A parsed tree written back as it was (numbers keep their text). */
void al_json_gen_tree (yajl_gen g, yajl_val v);

/* yajl_tree_parse of exactly len bytes of untrusted text. NULL, with the
 * reason in ebuf, when it is not JSON, holds a NUL byte, or nests deeper than
 * AL_JSON_TREE_MAX_DEPTH (yajl_tree_free recurses once per level: a deep
 * enough document would overflow the stack). Free with yajl_tree_free. */
yajl_val al_json_tree_parse (const char *text, size_t len, char *ebuf, size_t ebuf_len);

#endif
