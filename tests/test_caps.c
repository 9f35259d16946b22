/* test_caps.c: caps.c unit tests. Capabilities are applied in forked
 * children only, so the test process keeps its own. Run as root. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "caps.h"
#include "error.h"

#define CHECK(cond)                                                                                                  \
  do                                                                                                                 \
    {                                                                                                                \
      if (!(cond))                                                                                                   \
        {                                                                                                            \
          fprintf (stderr, "%s:%d: child check failed: %s (errno %d)\n", __FILE__, __LINE__, #cond, errno);         \
          _exit (1);                                                                                                 \
        }                                                                                                            \
    }                                                                                                                \
  while (0)

#define SET(...)                                                                                                     \
  ((struct oci_cap_set){ .present = true, .caps = (int[]){ __VA_ARGS__ },                                            \
                         .n = sizeof ((int[]){ __VA_ARGS__ }) / sizeof (int) })
#define EMPTY ((struct oci_cap_set){ .present = true, .caps = NULL, .n = 0 })
#define BIT(c) (UINT64_C (1) << (c))

/* The hex value of "<field>:\t..." in /proc/self/status. */
static uint64_t
status_caps (const char *field)
{
  FILE *f = fopen ("/proc/self/status", "re");
  char line[256];
  uint64_t v = UINT64_MAX;
  size_t len = strlen (field);
  while (f && fgets (line, sizeof (line), f))
    if (strncmp (line, field, len) == 0 && line[len] == ':')
      {
        v = strtoull (line + len + 1, NULL, 16);
        break;
      }
  if (f)
    fclose (f);
  return v;
}

static void
assert_child_ok (pid_t pid)
{
  int st = 0;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
}

static void
child_apply (const struct oci_capabilities *caps)
{
  al_error_t err = NULL;
  if (al_caps_apply (caps, &err) < 0)
    {
      fprintf (stderr, "child: %s\n", err ? err->msg : "?");
      _exit (2);
    }
}

static void
test_apply_sets (void **state)
{
  (void) state;
  struct oci_capabilities caps = { .bounding = SET (CAP_KILL, CAP_CHOWN),
                                   .effective = SET (CAP_KILL),
                                   .permitted = SET (CAP_KILL),
                                   .inheritable = EMPTY,
                                   .ambient = EMPTY };
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      child_apply (&caps);
      CHECK (status_caps ("CapBnd") == (BIT (CAP_KILL) | BIT (CAP_CHOWN)));
      CHECK (status_caps ("CapEff") == BIT (CAP_KILL));
      CHECK (status_caps ("CapPrm") == BIT (CAP_KILL));
      CHECK (status_caps ("CapInh") == 0);
      CHECK (status_caps ("CapAmb") == 0);
      CHECK (prctl (PR_GET_KEEPCAPS, 0, 0, 0, 0) == 0);
      _exit (0);
    }
  assert_child_ok (pid);
}

static void
test_ambient (void **state)
{
  (void) state;
  struct oci_capabilities caps = { .bounding = SET (CAP_KILL, CAP_CHOWN, CAP_NET_BIND_SERVICE),
                                   .effective = SET (CAP_KILL, CAP_NET_BIND_SERVICE),
                                   .permitted = SET (CAP_KILL, CAP_NET_BIND_SERVICE),
                                   .inheritable = SET (CAP_KILL, CAP_NET_BIND_SERVICE),
                                   .ambient = SET (CAP_NET_BIND_SERVICE) };
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      child_apply (&caps);
      CHECK (status_caps ("CapBnd") == (BIT (CAP_KILL) | BIT (CAP_CHOWN) | BIT (CAP_NET_BIND_SERVICE)));
      CHECK (status_caps ("CapInh") == (BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE)));
      CHECK (status_caps ("CapAmb") == BIT (CAP_NET_BIND_SERVICE));
      _exit (0);
    }
  assert_child_ok (pid);

  /* Ambient capabilities that are not permitted and inheritable are left out
     (runc's default config lists them without an inheritable set). */
  caps.inheritable = SET (CAP_KILL);
  caps.ambient = SET (CAP_NET_BIND_SERVICE, CAP_CHOWN);
  pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      child_apply (&caps);
      CHECK (status_caps ("CapAmb") == 0);
      CHECK (status_caps ("CapEff") == (BIT (CAP_KILL) | BIT (CAP_NET_BIND_SERVICE)));
      _exit (0);
    }
  assert_child_ok (pid);
}

/* Absent sets are empty: everything is dropped. */
static void
test_absent_sets (void **state)
{
  (void) state;
  struct oci_capabilities caps = { 0 };
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      child_apply (&caps);
      CHECK (status_caps ("CapBnd") == 0);
      CHECK (status_caps ("CapEff") == 0);
      CHECK (status_caps ("CapPrm") == 0);
      CHECK (status_caps ("CapInh") == 0);
      CHECK (status_caps ("CapAmb") == 0);
      _exit (0);
    }
  assert_child_ok (pid);
}

/* keep + setuid to a non-root user + apply, as the container init does. */
static void
test_after_setuid (void **state)
{
  (void) state;
  struct oci_capabilities caps = { .bounding = SET (CAP_KILL, CAP_SETUID),
                                   .effective = SET (CAP_KILL),
                                   .permitted = SET (CAP_KILL),
                                   .inheritable = EMPTY,
                                   .ambient = EMPTY };
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      al_error_t err = NULL;
      CHECK (al_caps_keep (&err) == 0);
      CHECK (prctl (PR_GET_KEEPCAPS, 0, 0, 0, 0) == 1);
      CHECK (setresgid (1000, 1000, 1000) == 0);
      CHECK (setresuid (1000, 1000, 1000) == 0);
      CHECK (status_caps ("CapEff") == 0); /* setuid cleared it */
      child_apply (&caps);
      CHECK (getuid () == 1000);
      CHECK (status_caps ("CapBnd") == (BIT (CAP_KILL) | BIT (CAP_SETUID)));
      CHECK (status_caps ("CapEff") == BIT (CAP_KILL));
      CHECK (status_caps ("CapPrm") == BIT (CAP_KILL));
      _exit (0);
    }
  assert_child_ok (pid);
}

/* Run al_caps_apply in a child; it must fail with exactly msg. */
static void
assert_apply_error (const struct oci_capabilities *caps, const char *msg)
{
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      al_error_t err = NULL;
      CHECK (al_caps_apply (caps, &err) < 0);
      CHECK (err != NULL);
      if (strcmp (err->msg, msg) != 0)
        {
          fprintf (stderr, "got: %s\nwant: %s\n", err->msg, msg);
          _exit (1);
        }
      al_error_free (&err);
      _exit (0);
    }
  assert_child_ok (pid);
}

static void
test_errors (void **state)
{
  (void) state;
  struct oci_capabilities caps = { .bounding = SET (CAP_KILL, CAP_CHOWN),
                                   .effective = SET (CAP_KILL),
                                   .permitted = SET (CAP_KILL),
                                   .inheritable = SET (CAP_CHOWN),
                                   .ambient = SET (CAP_CHOWN) };
  caps.ambient = EMPTY;
  caps.effective = SET (CAP_KILL, CAP_SYS_ADMIN);
  assert_apply_error (&caps, "process.capabilities.effective: CAP_SYS_ADMIN is not in the permitted set");

  /* Without CAP_SETPCAP the bounding set cannot shrink. */
  caps.effective = SET (CAP_KILL);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      cap_t c = cap_get_proc ();
      cap_value_t v = CAP_SETPCAP;
      CHECK (c && cap_set_flag (c, CAP_PERMITTED, 1, &v, CAP_CLEAR) == 0
             && cap_set_flag (c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) == 0 && cap_set_proc (c) == 0);
      cap_free (c);
      al_error_t err = NULL;
      CHECK (al_caps_apply (&caps, &err) == -EPERM);
      CHECK (strcmp (err->msg, "capabilities: cannot drop CAP_DAC_OVERRIDE from the bounding set: Operation not "
                               "permitted")
             == 0);
      al_error_free (&err);
      _exit (0);
    }
  assert_child_ok (pid);
}

static void
test_last_cap (void **state)
{
  (void) state;
  FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
  assert_non_null (f);
  int v = -1;
  assert_int_equal (fscanf (f, "%d", &v), 1);
  fclose (f);
  assert_int_equal (al_caps_last_cap (), v);
  assert_true (v >= CAP_AUDIT_READ);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_apply_sets),   cmocka_unit_test (test_ambient), cmocka_unit_test (test_absent_sets),
    cmocka_unit_test (test_after_setuid), cmocka_unit_test (test_errors),  cmocka_unit_test (test_last_cap),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
