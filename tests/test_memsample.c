/* test_memsample.c: memsample.c on /proc/PID/status texts and live pids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "memsample.h"

static void
test_status_fields (void **state)
{
  (void) state;
  const char *t = "Name:\tx\nVmRSS:\t 9999 kB\nRssAnon:\t 100 kB\nRssFile:\t 5000 kB\n"
                  "RssShmem:\t 20 kB\nVmPTE:\t 3 kB\nVmSwap:\t 7 kB\n";
  /* RssFile and VmRSS are not counted: file pages are reclaimable, VmRSS double counts */
  assert_int_equal (al_memsample_status_bytes (t), (100 + 20 + 3 + 7) * 1024);
  assert_int_equal (al_memsample_status_bytes ("Name:\tkthread\n"), 0);
  assert_int_equal (al_memsample_status_bytes (""), 0);
  /* a field name that is only a prefix of another does not match */
  assert_int_equal (al_memsample_status_bytes ("RssAnonX:\t 5 kB\n"), 0);
}

static void
test_live_sum (void **state)
{
  (void) state;
  pid_t self = getpid ();
  uint64_t before = al_memsample_pids (&self, 1);
  size_t sz = 32u << 20;
  char *p = mmap (NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true (p != MAP_FAILED);
  memset (p, 1, sz);
  uint64_t after = al_memsample_pids (&self, 1);
  assert_true (after >= before + sz - (1u << 20));
  /* two pids: the sum of both; a gone pid counts 0 */
  pid_t two[2] = { self, 0x3ffffff0 };
  assert_int_equal (al_memsample_pids (two, 2) >= after - (1u << 20), 1);
  munmap (p, sz);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_status_fields),
    cmocka_unit_test (test_live_sum),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
