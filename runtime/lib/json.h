/* json.h: helpers around yajl_gen shared by airlock's JSON writers. */
#ifndef AIRLOCK_JSON_H
#define AIRLOCK_JSON_H

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* The generated text as a NUL-terminated heap string; frees g. */
char *al_json_gen_finish (yajl_gen g);
/* A JSON string value ("" is fine; NULL gives null). */
void al_json_str (yajl_gen g, const char *s);
/* A parsed tree written back as it was (numbers keep their text). */
void al_json_gen_tree (yajl_gen g, yajl_val v);

#endif
