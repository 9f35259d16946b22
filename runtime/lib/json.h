/* json.h: helpers around yajl_gen shared by airlock's JSON writers. */
#ifndef AIRLOCK_JSON_H
#define AIRLOCK_JSON_H

#include <yajl/yajl_gen.h>

/* The generated text as a NUL-terminated heap string; frees g. */
char *al_json_gen_finish (yajl_gen g);
/* A JSON string value ("" is fine; NULL gives null). */
void al_json_str (yajl_gen g, const char *s);

#endif
