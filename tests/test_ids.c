/* test_ids.c: container id validation (state.c) and the escaping of
 * untrusted bytes in messages (util.c al_escape). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "state.h"
#include "util.h"

static void
expect_bad (const char *id, const char *msg)
{
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_id_validate (id, &err), -EINVAL);
  assert_non_null (err);
  assert_string_equal (err->msg, msg);
}

static void
test_valid_ids (void **state)
{
  (void) state;
  const char *ok[] = { "a", "abc-123", "x.y_z+w", "a..b", "...", "A-", "0" };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    assert_int_equal (al_id_validate (ok[i], NULL), 0);
  char max[AL_ID_MAX + 1];
  memset (max, 'm', AL_ID_MAX);
  max[AL_ID_MAX] = '\0';
  assert_int_equal (al_id_validate (max, NULL), 0);
}

static void
test_invalid_ids (void **state)
{
  (void) state;
  const char *allowed = "only letters, digits, `_`, `+`, `-` and `.` are allowed";
  _cleanup_free_ char *m1 = al_xasprintf ("invalid container id \"../x\": %s", allowed);
  expect_bad ("../x", m1);
  _cleanup_free_ char *m2 = al_xasprintf ("invalid container id \"a/b\": %s", allowed);
  expect_bad ("a/b", m2);
  expect_bad (".", "invalid container id \".\": not a name");
  expect_bad ("..", "invalid container id \"..\": not a name");
  expect_bad ("", "container id must not be empty");
  expect_bad (NULL, "container id must not be empty");
  expect_bad ("-x", "invalid container id \"-x\": must not start with `-`");
  _cleanup_free_ char *m3 = al_xasprintf ("invalid container id \"a\\x1b[2Jb\\n\": %s", allowed);
  expect_bad ("a\x1b[2Jb\n", m3);
  char longer[AL_ID_MAX + 2];
  memset (longer, 'l', AL_ID_MAX + 1);
  longer[AL_ID_MAX + 1] = '\0';
  _cleanup_free_ char *m4 = al_xasprintf ("invalid container id \"%.64s...\": %d bytes long, more than the %d allowed",
                                          longer, AL_ID_MAX + 1, AL_ID_MAX);
  expect_bad (longer, m4);
}

static void
test_escape (void **state)
{
  (void) state;
  _cleanup_free_ char *a = al_escape ("plain text", 10, 100);
  assert_string_equal (a, "plain text");
  _cleanup_free_ char *b = al_escape ("q\"b\\\n\t\r\x01\xff", 9, 100);
  assert_string_equal (b, "q\\\"b\\\\\\n\\t\\r\\x01\\xff");
  _cleanup_free_ char *c = al_escape ("abcdef", 6, 3);
  assert_string_equal (c, "abc...");
  _cleanup_free_ char *d = al_escape ("a\0b", 3, 3);
  assert_string_equal (d, "a\\x00b");
  _cleanup_free_ char *e = al_escape ("", 0, 10);
  assert_string_equal (e, "");
  /* The worst case: every byte becomes four. */
  char all[256];
  memset (all, 0x80, sizeof all);
  _cleanup_free_ char *f = al_escape (all, sizeof all, sizeof all);
  assert_int_equal (strlen (f), 4 * sizeof all);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_valid_ids),
    cmocka_unit_test (test_invalid_ids),
    cmocka_unit_test (test_escape),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
