/* fuzz.h: the libFuzzer entry points every harness (fuzz_NAME.c) defines.
 * Built with clang -fsanitize=fuzzer into build-fuzz/fuzz/NAME (`make fuzz`),
 * and with the ordinary compiler and replay.c's main into
 * build/fuzz-replay/NAME, which feeds every file of tests/fuzz/corpus/NAME
 * and tests/fuzz/regress/NAME through the harness once (`make unit`). */
#ifndef AIRLOCK_FUZZ_H
#define AIRLOCK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The input as a NUL-terminated copy (yajl and the parsers take lengths, but
 * the harnesses print nothing and some APIs want C strings). */
#include <stdlib.h>
#include <string.h>
static inline char *
fuzz_strndup (const uint8_t *data, size_t size)
{
  char *s = malloc (size + 1);
  if (s == NULL)
    abort ();
  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}

#endif
