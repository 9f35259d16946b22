/* test_cpulist.c: cpulist.c ("0-3,7" lists for execCPUAffinity and
 * memoryPolicy.nodes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpulist.h"

#define BIT(m, i) (((m)[(i) / (8 * sizeof (unsigned long))] >> ((i) % (8 * sizeof (unsigned long)))) & 1UL)

static void
test_good (void **state)
{
  (void) state;
  unsigned long m[AL_CPULIST_WORDS];
  size_t top;
  const char *why = NULL;
  assert_int_equal (al_cpulist_parse ("0-3,7", m, &top, &why), 0);
  assert_int_equal (top, 8);
  for (size_t i = 0; i < 10; i++)
    assert_int_equal (BIT (m, i), i <= 3 || i == 7);
  assert_int_equal (al_cpulist_parse ("", m, &top, &why), 0);
  assert_int_equal (top, 0);
  assert_int_equal (m[0], 0);
  assert_int_equal (al_cpulist_parse (" 5 , 70-71 ", m, &top, &why), 0);
  assert_int_equal (top, 72);
  assert_true (BIT (m, 5) && BIT (m, 70) && BIT (m, 71) && !BIT (m, 69));
  assert_int_equal (al_cpulist_parse ("8191", m, &top, &why), 0);
  assert_int_equal (top, 8192);
  assert_true (BIT (m, 8191));
}

static void
test_bad (void **state)
{
  (void) state;
  unsigned long m[AL_CPULIST_WORDS];
  size_t top;
  struct
  {
    const char *in, *why;
  } bad[] = {
    { "3-1", "range goes down" },
    { "a", "expected a number" },
    { "1,", "expected a number" },
    { ",1", "expected a number" },
    { "1-", "expected a number" },
    { "1;2", "expected `,` or `-` between numbers" },
    { "8192", "number too large (the limit is 8191)" },
    { "99999999999999999999999", "number too large (the limit is 8191)" },
    { "-1", "expected a number" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      const char *why = NULL;
      assert_int_equal (al_cpulist_parse (bad[i].in, m, &top, &why), -1);
      assert_string_equal (why, bad[i].why);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = { cmocka_unit_test (test_good), cmocka_unit_test (test_bad) };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
