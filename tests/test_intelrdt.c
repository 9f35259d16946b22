/* test_intelrdt.c: intelrdt.c on a fake resctrl tree (a tmp dir with the
 * files resctrl would offer): CLOS creation, schemata order, tasks, the MON
 * group, what delete removes; and the refusal where none is mounted. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "intelrdt.h"
#include "util.h"

static char *
slurp (const char *path)
{
  char *out = NULL;
  size_t len;
  if (al_read_file_at (AT_FDCWD, path, 65536, &out, &len, NULL) < 0)
    return NULL;
  return out;
}

/* The fake tree holds the files resctrl would offer, empty. */
static void
touch (const char *dir, const char *name)
{
  _cleanup_free_ char *p = al_xasprintf ("%s/%s", dir, name);
  int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true (fd >= 0);
  close (fd);
}

static void
test_apply_created_clos (void **state)
{
  (void) state;
  char root[] = "/tmp/al-rdt.XXXXXX";
  assert_non_null (mkdtemp (root));
  /* resctrl creates a CLOS's files itself; the fake one needs them first. */
  _cleanup_free_ char *clos = al_xasprintf ("%s/ctr1", root);
  assert_int_equal (mkdir (clos, 0755), 0);
  touch (clos, "schemata");
  touch (clos, "tasks");
  _cleanup_free_ char *mon = al_xasprintf ("%s/mon_groups", clos);
  assert_int_equal (mkdir (mon, 0755), 0);
  _cleanup_free_ char *mong = al_xasprintf ("%s/ctr1", mon);
  assert_int_equal (mkdir (mong, 0755), 0);
  touch (mong, "tasks");

  char *schemata[] = { "L3:0=7f0;1=1f", "MB:0=20;1=70", NULL };
  struct oci_intel_rdt rdt = { .present = true, .l3_cache_schema = "L3:0=ff", .schemata = schemata,
                               .enable_monitoring = true };
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_intelrdt_apply (root, &rdt, "ctr1", 4242, &err), 0);
  /* Each line is written on its own, schemata last: the file holds the
   * last one (a regular file is truncated by every write). */
  _cleanup_free_ char *sch = al_xasprintf ("%s/schemata", clos);
  _cleanup_free_ char *got = slurp (sch);
  assert_int_equal (strncmp (got, "MB:0=20;1=70\n", 13), 0); /* written in place, last */
  _cleanup_free_ char *tasks = al_xasprintf ("%s/tasks", clos);
  _cleanup_free_ char *t = slurp (tasks);
  assert_string_equal (t, "4242\n");
  _cleanup_free_ char *mtasks = al_xasprintf ("%s/tasks", mong);
  _cleanup_free_ char *mt = slurp (mtasks);
  assert_string_equal (mt, "4242\n");

  /* Delete: the MON group goes, and the CLOS named after the container
   * (no closID) too, once empty (resctrl's rmdir takes a non-empty one;
   * the fake tree's files are removed first). */
  unlink (mtasks);
  al_intelrdt_remove (root, &rdt, "ctr1");
  assert_int_equal (access (mong, F_OK), -1);
  unlink (sch);
  unlink (tasks);
  rmdir (mon);
  al_intelrdt_remove (root, &rdt, "ctr1");
  assert_int_equal (access (clos, F_OK), -1);
  assert_int_equal (rmdir (root), 0);
}

static void
test_closid_rules (void **state)
{
  (void) state;
  char root[] = "/tmp/al-rdt.XXXXXX";
  assert_non_null (mkdtemp (root));
  /* closID without schemata: must already exist. */
  struct oci_intel_rdt rdt = { .present = true, .clos_id = "gold" };
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_intelrdt_apply (root, &rdt, "c", 1, &err), -ENOENT);
  assert_non_null (strstr (err->msg, "linux.intelRdt.closID: no pre-configured CLOS \"gold\""));
  /* It exists: the pid goes into its tasks; delete leaves it. */
  _cleanup_free_ char *gold = al_xasprintf ("%s/gold", root);
  assert_int_equal (mkdir (gold, 0755), 0);
  touch (gold, "tasks");
  assert_int_equal (al_intelrdt_apply (root, &rdt, "c", 77, NULL), 0);
  _cleanup_free_ char *tasks = al_xasprintf ("%s/tasks", gold);
  _cleanup_free_ char *t = slurp (tasks);
  assert_string_equal (t, "77\n");
  al_intelrdt_remove (root, &rdt, "c");
  assert_int_equal (access (gold, F_OK), 0);
  /* "/": the root CLOS. */
  touch (root, "tasks");
  struct oci_intel_rdt def = { .present = true, .clos_id = "/" };
  assert_int_equal (al_intelrdt_apply (root, &def, "c", 78, NULL), 0);
  _cleanup_free_ char *rt = al_xasprintf ("%s/tasks", root);
  _cleanup_free_ char *t2 = slurp (rt);
  assert_string_equal (t2, "78\n");
  /* A write the tree refuses (no schemata file) is named. */
  char *sch[] = { "L3:0=1", NULL };
  struct oci_intel_rdt w = { .present = true, .clos_id = "gold", .schemata = sch };
  _cleanup_error_ al_error_t err2 = NULL;
  assert_int_equal (al_intelrdt_apply (root, &w, "c", 1, &err2), -ENOENT);
  assert_non_null (strstr (err2->msg, "linux.intelRdt.schemata[0]: linux.intelRdt: open "));
  unlink (tasks);
  rmdir (gold);
  unlink (rt);
  assert_int_equal (rmdir (root), 0);
}

static void
test_root_absent (void **state)
{
  (void) state;
  _cleanup_free_ char *root = NULL;
  _cleanup_error_ al_error_t err = NULL;
  int r = al_intelrdt_root (&root, &err);
  if (r == 0)
    {
      /* A host with resctrl: its mount point was found. */
      assert_non_null (root);
      return;
    }
  assert_int_equal (r, -ENOENT);
  assert_non_null (strstr (err->msg, "linux.intelRdt: no resctrl filesystem is mounted"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_apply_created_clos),
    cmocka_unit_test (test_closid_rules),
    cmocka_unit_test (test_root_absent),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
