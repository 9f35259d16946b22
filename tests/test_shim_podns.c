/* test_shim_podns.c: containerd 2's uidmap=/gidmap= overlay options
 * (shim/podns.c, runtime/lib/idmap_overlay.c): the triples parsed, bad ones
 * named, the options taken out of the mount data, and an overlay mounted
 * with idmapped lower dirs (as root, in a mount namespace of the test's own). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "idmap_overlay.h"
#include "podns.h"
#include "util.h"

static void
test_triples (void **state)
{
  (void) state;
  _cleanup_error_ al_error_t err = NULL;
  struct oci_id_mapping *m = NULL;
  size_t n = 0;
  assert_int_equal (al_idmap_parse_triples ("uidmap", "0:100000:65536", &m, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_int_equal (m[0].container_id, 0);
  assert_int_equal (m[0].host_id, 100000);
  assert_int_equal (m[0].size, 65536);
  free (m);
  assert_int_equal (al_idmap_parse_triples ("gidmap", "0:1000:1,1:200000:65535 65536:5:1", &m, &n, &err), 0);
  assert_int_equal (n, 3);
  assert_int_equal (m[1].container_id, 1);
  assert_int_equal (m[1].host_id, 200000);
  assert_int_equal (m[2].host_id, 5);
  free (m);
  static const char *const bad[] = { "", "0:1", "0:1:0", "a:1:1", "0:1:1:", "0:4294967295:2", "0:1:1x", NULL };
  for (size_t i = 0; bad[i]; i++)
    {
      assert_true (al_idmap_parse_triples ("uidmap", bad[i], &m, &n, &err) < 0);
      assert_non_null (strstr (err->msg, "expected CONTAINER:HOST:SIZE triples"));
      assert_non_null (strstr (err->msg, "uidmap="));
      al_error_free (&err);
    }
}

static void
test_mount_options (void **state)
{
  (void) state;
  _cleanup_error_ al_error_t err = NULL;
  char data[] = "lowerdir=/l,uidmap=0:100000:65536,upperdir=/u,gidmap=0:100000:65536,workdir=/w,index=off";
  int fd = -1;
  uid_t u;
  gid_t g;
  if (geteuid () != 0)
    skip ();
  assert_int_equal (sh_podns_mount_idmap (data, &fd, &u, &g, &err), 0);
  assert_true (fd >= 0);
  assert_int_equal (u, 100000);
  assert_int_equal (g, 100000);
  assert_string_equal (data, "lowerdir=/l,upperdir=/u,workdir=/w,index=off");
  close (fd);

  char none[] = "lowerdir=/l";
  assert_int_equal (sh_podns_mount_idmap (none, &fd, &u, &g, &err), 0);
  assert_int_equal (fd, -1);
  assert_string_equal (none, "lowerdir=/l");

  char half[] = "lowerdir=/l,uidmap=0:1:1";
  assert_true (sh_podns_mount_idmap (half, &fd, &u, &g, &err) < 0);
  assert_string_equal (err->msg, "overlay rootfs: mount option uidmap= without gidmap=");
}

/* An overlay of a root-owned lower dir, its layers idmapped 0 -> 100000:
   the file shows as 100000's; what is written lands in the upper dir. */
static void
test_overlay_mount (void **state)
{
  (void) state;
  if (geteuid () != 0 || unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    skip ();
  char dir[] = "/tmp/al-ovl.XXXXXX";
  assert_non_null (mkdtemp (dir));
  char p[4][128];
  const char *names[] = { "lower", "upper", "work", "merged" };
  for (int i = 0; i < 4; i++)
    {
      snprintf (p[i], sizeof p[i], "%s/%s", dir, names[i]);
      assert_int_equal (mkdir (p[i], 0755), 0);
    }
  char f[160];
  snprintf (f, sizeof f, "%s/file", p[0]);
  int w = open (f, O_WRONLY | O_CREAT, 0644);
  assert_true (w >= 0);
  close (w);
  _cleanup_error_ al_error_t err = NULL;
  char data[512];
  snprintf (data, sizeof data, "lowerdir=%s,upperdir=%s,workdir=%s,uidmap=0:100000:65536,gidmap=0:100000:65536",
            p[0], p[1], p[2]);
  int fd = -1;
  uid_t u;
  gid_t g;
  assert_int_equal (sh_podns_mount_idmap (data, &fd, &u, &g, &err), 0);
  assert_int_equal (al_idmap_overlay_mount (data, 0, p[3], fd, u, g, &err), 0);
  close (fd);
  struct stat st;
  snprintf (f, sizeof f, "%s/file", p[3]);
  assert_int_equal (stat (f, &st), 0);
  assert_int_equal (st.st_uid, 100000);
  /* The upper dir is the namespace root's now; the lower untouched. */
  assert_int_equal (stat (p[1], &st), 0);
  assert_int_equal (st.st_uid, 100000);
  snprintf (f, sizeof f, "%s/file", p[0]);
  assert_int_equal (stat (f, &st), 0);
  assert_int_equal (st.st_uid, 0);
  umount2 (p[3], MNT_DETACH);

  /* Errors name what is wrong. */
  assert_true (al_idmap_overlay_mount ("upperdir=/x,workdir=/y", 0, p[3], -1, 0, 0, &err) < 0);
  assert_non_null (strstr (err->msg, "no lowerdir= option"));
  al_error_free (&err);
  snprintf (data, sizeof data, "lowerdir=%s/missing", dir);
  assert_true (al_idmap_overlay_mount (data, 0, p[3], -1, 0, 0, &err) < 0);
  assert_non_null (strstr (err->msg, "overlay lowerdir"));
  assert_non_null (strstr (err->msg, "missing"));
  char cmd[200];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal (system (cmd), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_triples),
    cmocka_unit_test (test_mount_options),
    cmocka_unit_test (test_overlay_mount),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
