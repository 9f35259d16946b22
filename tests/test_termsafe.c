/* test_termsafe.c: a program's output made harmless for a terminal: what
 * passes, what is shown escaped, UTF-8 split across reads, and units that do
 * not fit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "termsafe.h"

/* The escaped form of s (n bytes), final. */
static const char *
esc (const char *s, size_t n)
{
  static char out[1024];
  size_t used;
  size_t o = al_termsafe ((const unsigned char *) s, n, true, out, sizeof out - 1, &used);
  assert_int_equal (used, n);
  out[o] = '\0';
  return out;
}

#define ESC(lit) esc (lit, sizeof lit - 1)

static void
test_passes (void **state)
{
  (void) state;
  assert_string_equal (ESC ("hello, world\n\tindented\n"), "hello, world\n\tindented\n");
  /* well-formed UTF-8 text: 2, 3 and 4 bytes */
  assert_string_equal (ESC ("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void
test_controls (void **state)
{
  (void) state;
  assert_string_equal (ESC ("\x1b[2J\x1b]0;title\x07"), "^[[2J^[]0;title^G");
  assert_string_equal (ESC ("a\rb\bc\x7f"), "a^Mb^Hc^?");
  assert_string_equal (ESC ("\0"), "^@");
  assert_string_equal (ESC ("\x0b\x0c\x1f"), "^K^L^_");
  /* an 8-bit CSI, and C1 controls written as UTF-8 */
  assert_string_equal (ESC ("\x9b" "1A"), "\\x9b1A");
  assert_string_equal (ESC ("\xc2\x9b" "1A\xc2\x80"), "\\xc2\\x9b1A\\xc2\\x80");
  assert_string_equal (ESC ("\xc2\xa0"), "\xc2\xa0"); /* U+00A0 is text */
  /* bidi overrides and isolates, line separators */
  assert_string_equal (ESC ("\xe2\x80\xae"), "\\xe2\\x80\\xae");
  assert_string_equal (ESC ("\xe2\x81\xa6"), "\\xe2\\x81\\xa6");
  assert_string_equal (ESC ("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");
  assert_string_equal (ESC ("\xd8\x9c"), "\\xd8\\x9c");
}

static void
test_malformed (void **state)
{
  (void) state;
  /* overlong /, surrogate, past U+10FFFF, stray continuation, bad lead */
  assert_string_equal (ESC ("\xc0\xaf"), "\\xc0\\xaf");
  assert_string_equal (ESC ("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");
  assert_string_equal (ESC ("\xed\xa0\x80"), "\\xed\\xa0\\x80");
  assert_string_equal (ESC ("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
  assert_string_equal (ESC ("\x80x\xffy"), "\\x80x\\xffy");
  /* a lead byte followed by ASCII: the lead alone is escaped */
  assert_string_equal (ESC ("\xc3z"), "\\xc3z");
}

static void
test_incomplete (void **state)
{
  (void) state;
  char out[64];
  size_t used;
  /* more input may complete it: not consumed */
  size_t o = al_termsafe ((const unsigned char *) "a\xe2\x82", 3, false, out, sizeof out, &used);
  assert_int_equal (o, 1);
  assert_int_equal (used, 1);
  /* completed by the next read */
  o = al_termsafe ((const unsigned char *) "\xe2\x82\xac", 3, false, out, sizeof out, &used);
  assert_int_equal (used, 3);
  assert_memory_equal (out, "\xe2\x82\xac", 3);
  /* at the end of the stream: shown as bytes */
  o = al_termsafe ((const unsigned char *) "a\xe2\x82", 3, true, out, sizeof out, &used);
  assert_int_equal (used, 3);
  assert_int_equal (o, 9);
  assert_memory_equal (out, "a\\xe2\\x82", 9);
}

static void
test_room (void **state)
{
  (void) state;
  char out[8];
  size_t used;
  /* whole units only */
  size_t o = al_termsafe ((const unsigned char *) "ab\x1b", 3, true, out, 3, &used);
  assert_int_equal (o, 2);
  assert_int_equal (used, 2);
  o = al_termsafe ((const unsigned char *) "\x9b", 1, true, out, 3, &used);
  assert_int_equal (o, 0);
  assert_int_equal (used, 0);
  char unit[AL_TERMSAFE_UNIT_MAX];
  size_t ulen;
  assert_int_equal (al_termsafe_unit ((const unsigned char *) "\xf4\x90\x80\x80", 4, true, unit, &ulen), 1);
  assert_int_equal (ulen, 4);
  assert_int_equal (al_termsafe_unit ((const unsigned char *) "\xf0\x9f\x98\x80", 4, true, unit, &ulen), 4);
  assert_int_equal (ulen, 4);
  assert_int_equal (al_termsafe_unit ((const unsigned char *) "\xf0\x9f", 2, false, unit, &ulen), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_passes),
    cmocka_unit_test (test_controls),
    cmocka_unit_test (test_malformed),
    cmocka_unit_test (test_incomplete),
    cmocka_unit_test (test_room),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
