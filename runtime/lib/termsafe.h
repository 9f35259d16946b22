/* termsafe.h: a watched program's output made harmless for a terminal.
 *
 * What a terminal would act on is shown instead of acted on, so that the
 * program cannot move the cursor, erase or rewrite lines (the verdict printed
 * after it), change modes, colours or the window title, or make the terminal
 * answer back:
 *   - C0 controls and DEL, except \n and \t: caret notation, as cat -v
 *     (ESC -> ^[, CR -> ^M, NUL -> ^@, DEL -> ^?);
 *   - bytes that are not well-formed UTF-8 (a lone 0x9b is CSI to an 8-bit
 *     terminal; overlong forms, surrogates, past U+10FFFF), the C1 controls
 *     U+0080..U+009F and the bidirectional overrides/isolates (U+061C,
 *     U+200E, U+200F, U+202A..U+202E, U+2066..U+2069): \xNN per byte.
 * Everything else (printable ASCII, \n, \t, well-formed UTF-8 text) passes
 * unchanged. A unit grows at most 4 times (one byte -> "\xNN").
 */
#ifndef AIRLOCK_TERMSAFE_H
#define AIRLOCK_TERMSAFE_H

#include <stdbool.h>
#include <stddef.h>

#define AL_TERMSAFE_MAX_GROWTH 4

/* Escape in[0..n) into out[0..cap): whole units only, stopping before the
 * first one that does not fit, and (unless `final`) before an incomplete
 * UTF-8 sequence at the very end of the input (more bytes may complete it).
 * *consumed: input bytes used. Returns the bytes written to out. */
size_t al_termsafe (const unsigned char *in, size_t n, bool final, char *out, size_t cap, size_t *consumed);

/* The longest escaped form of one unit (a 4-byte sequence shown as \xNN x 4). */
#define AL_TERMSAFE_UNIT_MAX 16

/* One unit at in[0..n) (n >= 1): its escaped form into out (room for
 * AL_TERMSAFE_UNIT_MAX bytes, *out_len set); returns its input length, 0 when
 * it is an incomplete UTF-8 sequence and not `final`. */
size_t al_termsafe_unit (const unsigned char *in, size_t n, bool final, char *out, size_t *out_len);

#endif
