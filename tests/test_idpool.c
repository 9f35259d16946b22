/* test_idpool.c: idpool.c unit tests, on a pool dir and state roots of
 * their own under /tmp: allocation (lowest free slot, recorded in the pool
 * dir and the state dir), exhaustion (its exact message), release (only
 * one's own slot), stale slots reclaimed (state dir gone, record changed)
 * but not while a process still runs with their ids, concurrent
 * allocation from forked processes and different roots (all distinct),
 * overlapping pools, /etc/subuid overlaps, a pool dir another user could
 * write, the lock timeout; and user.pool in profiles. Run as root. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "idpool.h"
#include "profile.h"
#include "spec.h"
#include "util.h"

#define START 1000000u
#define SIZE 65536u

struct fx
{
  char tmp[64];
  char dir[128], root[128], subuid[128], subgid[128];
  struct al_idpool pool;
};

static int
rm_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) flag;
  (void) ftw;
  remove (path);
  return 0;
}

static void
rm_rf (const char *path)
{
  nftw (path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int
setup (void **state)
{
  struct fx *f = al_xmalloc0 (sizeof *f);
  snprintf (f->tmp, sizeof f->tmp, "/tmp/test-idpool.XXXXXX");
  if (mkdtemp (f->tmp) == NULL)
    return -1;
  snprintf (f->dir, sizeof f->dir, "%s/ids", f->tmp);
  snprintf (f->root, sizeof f->root, "%s/root", f->tmp);
  snprintf (f->subuid, sizeof f->subuid, "%s/subuid", f->tmp);
  snprintf (f->subgid, sizeof f->subgid, "%s/subgid", f->tmp);
  mkdir (f->root, 0700);
  f->pool = (struct al_idpool){ .name = al_xstrdup ("t"), .start = START, .size = SIZE, .slots = 3, .dir = f->dir,
                                .subuid = f->subuid, .subgid = f->subgid, .lock_timeout_ms = 200 };
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fx *f = *state;
  rm_rf (f->tmp);
  free (f->pool.name);
  free (f);
  return 0;
}

/* Create (if needed) and open the state dir root/id. */
static int
state_dir (const char *root, const char *id)
{
  _cleanup_free_ char *p = al_xasprintf ("%s/%s", root, id);
  mkdir (root, 0700);
  mkdir (p, 0700);
  int fd = open (p, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    fail_msg ("open %s: %m", p);
  return fd;
}

/* Acquire for root/id; returns the slot's first id, fails the test on error. */
static uint32_t
take (const struct al_idpool *pool, const char *root, const char *id)
{
  _cleanup_close_ int fd = state_dir (root, id);
  _cleanup_error_ al_error_t err = NULL;
  struct al_idslot s;
  if (al_idpool_acquire (pool, root, id, fd, &s, &err) < 0)
    fail_msg ("acquire %s/%s: %s", root, id, err->msg);
  assert_int_equal (s.size, pool->size);
  return s.first;
}

/* Acquire that must fail; returns the message (caller frees). */
static char *
refused (const struct al_idpool *pool, const char *root, const char *id, int want)
{
  _cleanup_close_ int fd = state_dir (root, id);
  _cleanup_error_ al_error_t err = NULL;
  struct al_idslot s;
  int r = al_idpool_acquire (pool, root, id, fd, &s, &err);
  if (r >= 0)
    fail_msg ("acquire %s/%s: got %u, expected an error", root, id, s.first);
  assert_int_equal (r, want);
  /* Nothing recorded for a refused container. */
  assert_int_equal (faccessat (fd, AL_IDPOOL_STATE_FILE, F_OK, 0), -1);
  return al_xstrdup (err->msg);
}

static void
release (const char *root, const char *id)
{
  _cleanup_close_ int fd = state_dir (root, id);
  _cleanup_error_ al_error_t err = NULL;
  if (al_idpool_release (fd, id, &err) < 0)
    fail_msg ("release %s/%s: %s", root, id, err->msg);
}

static size_t
in_use (const struct al_idpool *pool)
{
  size_t n = 0;
  _cleanup_error_ al_error_t err = NULL;
  if (al_idpool_count (pool, &n, &err) < 0)
    fail_msg ("count: %s", err->msg);
  return n;
}

static bool
slot_file (const struct fx *f, uint32_t first, char **text)
{
  _cleanup_free_ char *p = al_xasprintf ("%s/%u-%u", f->dir, first, first + SIZE - 1);
  if (text)
    {
      size_t len;
      return al_read_file_at (AT_FDCWD, p, 65536, text, &len, NULL) == 0;
    }
  return access (p, F_OK) == 0;
}

static void
remove_state_dir (const char *root, const char *id)
{
  _cleanup_free_ char *p = al_xasprintf ("%s/%s", root, id);
  rm_rf (p);
}

static void
test_acquire_release (void **state)
{
  struct fx *f = *state;
  assert_int_equal (in_use (&f->pool), 0); /* no pool dir yet */
  assert_int_equal (take (&f->pool, f->root, "a"), START);
  assert_int_equal (take (&f->pool, f->root, "b"), START + SIZE);
  assert_int_equal (in_use (&f->pool), 2);

  /* The pool dir: root's alone. */
  struct stat st;
  assert_int_equal (stat (f->dir, &st), 0);
  assert_int_equal (st.st_mode & 07777, 0700);
  assert_int_equal (st.st_uid, 0);

  /* The slot file names its owner; the state dir records the range. */
  _cleanup_free_ char *text = NULL;
  assert_true (slot_file (f, START, &text));
  _cleanup_free_ char *want = al_xasprintf ("\"root\":\"%s\",\"id\":\"a\"", f->root);
  assert_non_null (strstr (text, want));
  _cleanup_close_ int afd = state_dir (f->root, "a");
  struct al_idslot s;
  assert_true (al_idpool_recorded (afd, &s));
  assert_int_equal (s.first, START);
  assert_int_equal (s.size, SIZE);

  /* Released: the slot file and the record go, the lowest slot is reused. */
  release (f->root, "a");
  assert_false (slot_file (f, START, NULL));
  assert_false (al_idpool_recorded (afd, &s));
  assert_int_equal (in_use (&f->pool), 1);
  release (f->root, "a"); /* twice: nothing to do */
  assert_int_equal (take (&f->pool, f->root, "c"), START);
  assert_true (slot_file (f, START + SIZE, NULL)); /* b's untouched */

  /* A state dir without a record: nothing to release. */
  release (f->root, "never");
}

static void
test_exhausted (void **state)
{
  struct fx *f = *state;
  f->pool.slots = 2;
  take (&f->pool, f->root, "a");
  take (&f->pool, f->root, "b");
  _cleanup_free_ char *msg = refused (&f->pool, f->root, "c", -EAGAIN);
  _cleanup_free_ char *want = al_xasprintf (
      "profile \"t\": user.pool: all 2 slots are in use (host ids 1000000-1131071, 65536 per container, recorded in "
      "%s): delete containers that are done, or give the pool more slots",
      f->dir);
  assert_string_equal (msg, want);
  /* One released: the next create gets it. */
  release (f->root, "b");
  assert_int_equal (take (&f->pool, f->root, "c"), START + SIZE);
}

static void
test_reclaim_stale (void **state)
{
  struct fx *f = *state;
  f->pool.slots = 1;

  /* The container's state dir is gone (a crash, a deleted root): its slot
     is reclaimed by the next create that finds the pool full. */
  take (&f->pool, f->root, "a");
  remove_state_dir (f->root, "a");
  assert_int_equal (take (&f->pool, f->root, "b"), START);
  _cleanup_free_ char *text = NULL;
  assert_true (slot_file (f, START, &text));
  assert_non_null (strstr (text, "\"id\":\"b\""));

  /* Same root and id, but another container: its record has another
     token (a new container of the same id after a crash). */
  _cleanup_close_ int bfd = state_dir (f->root, "b");
  _cleanup_free_ char *rec = NULL;
  size_t len;
  assert_int_equal (al_read_file_at (bfd, AL_IDPOOL_STATE_FILE, 65536, &rec, &len, NULL), 0);
  char *tok = strstr (rec, "\"token\":\"");
  assert_non_null (tok);
  tok[9] = tok[9] == 'a' ? 'b' : 'a';
  assert_int_equal (al_write_file_at (bfd, AL_IDPOOL_STATE_FILE, rec, len, 0600, NULL), 0);
  assert_int_equal (take (&f->pool, f->root, "c"), START);

  /* A whole root gone. */
  char other[160];
  snprintf (other, sizeof other, "%s/other-root", f->tmp);
  remove_state_dir (f->root, "c");
  take (&f->pool, other, "d");
  rm_rf (other);
  assert_int_equal (take (&f->pool, f->root, "e"), START);

  /* A live container (its record matches) is never reclaimed. */
  _cleanup_free_ char *msg = refused (&f->pool, f->root, "f", -EAGAIN);
  assert_non_null (strstr (msg, "all 1 slots are in use"));
}

static void
test_reclaim_not_while_running (void **state)
{
  struct fx *f = *state;
  f->pool.slots = 1;
  take (&f->pool, f->root, "a");
  /* Its state dir removed by hand while a process still runs with an id
     of its range: the range is not free. */
  int go[2];
  assert_int_equal (pipe (go), 0);
  pid_t child = fork ();
  assert_true (child >= 0);
  if (child == 0)
    {
      close (go[0]);
      if (setresgid (START + 7, START + 7, START + 7) < 0 || setresuid (START + 7, START + 7, START + 7) < 0)
        _exit (1);
      close (go[1]); /* ready */
      pause ();
      _exit (0);
    }
  close (go[1]);
  char b;
  assert_int_equal (read (go[0], &b, 1), 0);
  close (go[0]);
  remove_state_dir (f->root, "a");
  _cleanup_free_ char *msg = refused (&f->pool, f->root, "b", -EAGAIN);
  assert_non_null (strstr (msg, "all 1 slots are in use"));
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
  assert_int_equal (take (&f->pool, f->root, "b"), START);
}

static void
test_release_only_ours (void **state)
{
  struct fx *f = *state;
  f->pool.slots = 1;
  take (&f->pool, f->root, "a");
  /* a loses its record (reclaimable), b gets the slot, then a's record
     comes back (a stale copy): a's release must leave b's slot alone. */
  _cleanup_close_ int afd = state_dir (f->root, "a");
  _cleanup_free_ char *rec = NULL;
  size_t len;
  assert_int_equal (al_read_file_at (afd, AL_IDPOOL_STATE_FILE, 65536, &rec, &len, NULL), 0);
  assert_int_equal (unlinkat (afd, AL_IDPOOL_STATE_FILE, 0), 0);
  assert_int_equal (take (&f->pool, f->root, "b"), START);
  assert_int_equal (al_write_file_at (afd, AL_IDPOOL_STATE_FILE, rec, len, 0600, NULL), 0);
  release (f->root, "a");
  _cleanup_free_ char *text = NULL;
  assert_true (slot_file (f, START, &text));
  assert_non_null (strstr (text, "\"id\":\"b\""));
  struct al_idslot s;
  assert_false (al_idpool_recorded (afd, &s));
}

#define N_CHILDREN 16

static void
test_concurrent (void **state)
{
  struct fx *f = *state;
  f->pool.slots = 64;
  f->pool.lock_timeout_ms = 20000;
  int go[2], res[2];
  assert_int_equal (pipe (go), 0);
  assert_int_equal (pipe (res), 0);
  pid_t kids[N_CHILDREN];
  for (int i = 0; i < N_CHILDREN; i++)
    {
      kids[i] = fork ();
      assert_true (kids[i] >= 0);
      if (kids[i] == 0)
        {
          close (go[1]);
          close (res[0]);
          /* Four roots, same ids in each: the pool is shared by all. */
          char root[200], id[16];
          snprintf (root, sizeof root, "%s/root%d", f->tmp, i % 4);
          snprintf (id, sizeof id, "c%d", i / 4);
          mkdir (root, 0700);
          char p[256];
          snprintf (p, sizeof p, "%s/%s", root, id);
          mkdir (p, 0700);
          int fd = open (p, O_DIRECTORY | O_RDONLY);
          char b;
          if (read (go[0], &b, 1) != 0) /* all start at once */
            _exit (2);
          struct al_idslot s = { 0 };
          al_error_t err = NULL;
          uint32_t out = al_idpool_acquire (&f->pool, root, id, fd, &s, &err) < 0 ? 0 : s.first;
          if (write (res[1], &out, sizeof out) != sizeof out)
            _exit (3);
          _exit (out ? 0 : 1);
        }
    }
  close (go[0]);
  close (res[1]);
  close (go[1]);
  uint32_t got[N_CHILDREN];
  for (int i = 0; i < N_CHILDREN; i++)
    assert_int_equal (read (res[0], &got[i], sizeof got[i]), sizeof got[i]);
  close (res[0]);
  for (int i = 0; i < N_CHILDREN; i++)
    {
      int status;
      assert_int_equal (waitpid (kids[i], &status, 0), kids[i]);
      assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
  /* All distinct, all slots of the pool, the lowest ones. */
  for (int i = 0; i < N_CHILDREN; i++)
    {
      assert_true (got[i] >= START && (got[i] - START) % SIZE == 0 && (got[i] - START) / SIZE < N_CHILDREN);
      for (int j = 0; j < i; j++)
        assert_int_not_equal (got[i], got[j]);
    }
  assert_int_equal (in_use (&f->pool), N_CHILDREN);
}

static void
test_overlapping_pools (void **state)
{
  struct fx *f = *state;
  /* Another profile's pool, half a slot off: its slot 0 overlaps ours. */
  struct al_idpool other = f->pool;
  other.name = (char *) "u";
  other.start = START + SIZE / 2;
  other.slots = 2;
  f->pool.slots = 2;
  assert_int_equal (take (&f->pool, f->root, "a"), START);
  assert_int_equal (take (&other, f->root, "b"), START + SIZE / 2 + SIZE);
  /* Our slot 1 now overlaps b's range. */
  _cleanup_free_ char *msg = refused (&f->pool, f->root, "c", -EAGAIN);
  assert_non_null (strstr (msg, "profile \"t\": user.pool: all 2 slots are in use"));
  assert_int_equal (in_use (&f->pool), 2);
}

static void
test_subids (void **state)
{
  struct fx *f = *state;
  assert_int_equal (al_write_file_at (AT_FDCWD, f->subuid, "alice:100000:65536\n", 19, 0644, NULL), 0);
  assert_int_equal (take (&f->pool, f->root, "a"), START);
  const char *bob = "alice:100000:65536\n# comment\nbob:1131071:10\n";
  assert_int_equal (al_write_file_at (AT_FDCWD, f->subgid, bob, strlen (bob), 0644, NULL), 0);
  _cleanup_free_ char *msg = refused (&f->pool, f->root, "b", -EEXIST);
  _cleanup_free_ char *want
      = al_xasprintf ("profile \"t\": user.pool: host ids 1000000-1196607 overlap %s line 3 (\"bob\": "
                      "1131071-1131080), ids delegated to a user's own containers: move user.pool.hostStart",
                      f->subgid);
  assert_string_equal (msg, want);
}

static void
test_pool_dir_owner (void **state)
{
  struct fx *f = *state;
  /* Another user could forge or remove slot files: refused. */
  assert_int_equal (mkdir (f->dir, 0700), 0);
  assert_int_equal (chown (f->dir, 65534, 65534), 0);
  _cleanup_free_ char *msg = refused (&f->pool, f->root, "a", -EPERM);
  _cleanup_free_ char *want = al_xasprintf ("id pool dir `%s`: owned by uid 65534 with mode 0700: it must be uid 0's "
                                            "and writable by it alone: Operation not permitted",
                                            f->dir);
  assert_string_equal (msg, want);
  assert_int_equal (chown (f->dir, 0, 0), 0);
  assert_int_equal (chmod (f->dir, 0777), 0);
  free (msg);
  msg = refused (&f->pool, f->root, "a", -EPERM);
  assert_non_null (strstr (msg, "with mode 0777"));
  /* A symlink is not followed. */
  rmdir (f->dir);
  assert_int_equal (symlink (f->root, f->dir), 0);
  free (msg);
  msg = refused (&f->pool, f->root, "a", -ENOTDIR);
}

static void
test_lock_timeout (void **state)
{
  struct fx *f = *state;
  take (&f->pool, f->root, "a"); /* makes the dir */
  _cleanup_free_ char *lock = al_xasprintf ("%s/.lock", f->dir);
  _cleanup_close_ int fd = open (lock, O_RDWR | O_CLOEXEC);
  assert_true (fd >= 0);
  assert_int_equal (flock (fd, LOCK_EX), 0);
  _cleanup_free_ char *msg = refused (&f->pool, f->root, "b", -EBUSY);
  _cleanup_free_ char *want = al_xasprintf (
      "id pool `%s`: still locked after 200 ms by another airlock (a create or delete that hangs?): Device or resource "
      "busy",
      f->dir);
  assert_string_equal (msg, want);
}

static void
test_apply (void **state)
{
  struct fx *f = *state;
  const char *base = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"sh\"],"
                     "\"cwd\":\"/\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}%s]%s}}";
  struct
  {
    const char *ns, *extra;
    bool slot;
  } cases[] = {
    { ",{\"type\":\"user\"}", "", true },
    { ",{\"type\":\"user\"}",
      ",\"uidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":10}],\"gidMappings\":[{\"containerID\":0,"
      "\"hostID\":200000,\"size\":10}]",
      false },
    { "", "", false },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      _cleanup_free_ char *j = al_xasprintf (base, cases[i].ns, cases[i].extra);
      _cleanup_spec_ struct oci_spec *s = NULL;
      _cleanup_error_ al_error_t err = NULL;
      assert_int_equal (oci_spec_parse ("config.json", j, strlen (j), &s, &err), 0);
      char id[8];
      snprintf (id, sizeof id, "x%zu", i);
      _cleanup_close_ int fd = state_dir (f->root, id);
      assert_int_equal (al_idpool_apply (&f->pool, s, f->root, id, fd, &err), 0);
      struct al_idslot got;
      assert_int_equal (al_idpool_recorded (fd, &got), cases[i].slot);
      if (cases[i].slot)
        {
          assert_int_equal (s->linux_->n_uid_mappings, 1);
          assert_int_equal (s->linux_->n_gid_mappings, 1);
          assert_int_equal (s->linux_->uid_mappings[0].container_id, 0);
          assert_int_equal (s->linux_->uid_mappings[0].host_id, got.first);
          assert_int_equal (s->linux_->uid_mappings[0].size, SIZE);
          assert_int_equal (s->linux_->gid_mappings[0].host_id, got.first);
        }
      else if (s->linux_->n_uid_mappings)
        assert_int_equal (s->linux_->uid_mappings[0].host_id, 200000);
    }
  assert_int_equal (in_use (&f->pool), 1);
}

/* ---- user.pool in profiles -------------------------------------------- */

static void
profile_error (const char *user, const char *ns, const char *want)
{
  _cleanup_free_ char *j
      = al_xasprintf ("{\"name\":\"p\",\"namespaces\":{\"new\":[\"mount\"%s]},\"user\":%s,\"capabilities\":[],"
                      "\"mountTypes\":[\"proc\"]}",
                      ns, user);
  struct al_profile *p = NULL;
  _cleanup_error_ al_error_t err = NULL;
  int r = al_profile_parse ("p.json", j, strlen (j), &p, &err);
  if (want == NULL)
    {
      if (r < 0)
        fail_msg ("%s: %s", user, err->msg);
      al_profile_free (p);
      return;
    }
  if (r == 0)
    fail_msg ("%s: accepted, expected %s", user, want);
  assert_string_equal (err->msg, want);
}

static void
test_profile_pool (void **state)
{
  (void) state;
  const char *u = ",\"user\"";
  profile_error ("{\"pool\":{\"hostStart\":1879048192,\"size\":65536,\"slots\":4094},\"minHostID\":100000}", u, NULL);
  profile_error ("{\"pool\":{\"hostStart\":1879048192,\"size\":65536,\"slots\":4094},\"uidMappings\":[{\"containerID\":"
                 "0,\"hostID\":100000,\"size\":1}]}",
                 u, "p.json: user.uidMappings: not with user.pool: each container gets the mappings of its own slot");
  profile_error ("{\"pool\":{\"hostStart\":1879048192,\"size\":65536,\"slots\":1}}", "",
                 "p.json: user.pool: needs \"user\" in namespaces.new");
  profile_error ("{\"pool\":{\"hostStart\":50000,\"size\":65536,\"slots\":1},\"minHostID\":100000}", u,
                 "p.json: user.pool.hostStart: 50000 is below user.minHostID (100000)");
  profile_error ("{\"pool\":{\"hostStart\":4294901760,\"size\":65536,\"slots\":1}}", u,
                 "p.json: user.pool: hostStart + size * slots - 1 = 4294967295 is past the last usable id 4294967294");
  profile_error ("{\"pool\":{\"hostStart\":1879048192,\"size\":65536,\"slots\":0}}", u,
                 "p.json: user.pool.slots: 0 is out of range (1-65536)");
  profile_error ("{\"pool\":{\"hostStart\":1879048192,\"size\":65536,\"slots\":1,\"start\":1}}", u,
                 "p.json: user.pool.start: unknown key");
  profile_error ("{\"pool\":{\"hostStart\":1879048192,\"slots\":1}}", u, "p.json: user.pool.size: required");
  profile_error ("{\"minHostID\":100000}", u, "p.json: user.uidMappings: required");
}

static void
test_profile_config_into_pool (void **state)
{
  (void) state;
  setenv ("AIRLOCK_PROFILES_DIR", "specs/profiles", 1);
  _cleanup_profile_ struct al_profile *p = NULL;
  _cleanup_error_ al_error_t err = NULL;
  if (al_profile_load ("untrusted", &p, &err) < 0)
    fail_msg ("load: %s", err->msg);
  const char *tmpl = "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"sh\"],"
                     "\"cwd\":\"/\"},\"linux\":{\"namespaces\":[{\"type\":\"mount\"}],"
                     "\"uidMappings\":[{\"containerID\":0,\"hostID\":%u,\"size\":65536}],"
                     "\"gidMappings\":[{\"containerID\":0,\"hostID\":%u,\"size\":65536}]}}";
  /* Below the pool and above minHostID: the config's own choice, kept. */
  _cleanup_free_ char *ok = al_xasprintf (tmpl, 200000u, 200000u);
  _cleanup_spec_ struct oci_spec *s = NULL;
  assert_int_equal (oci_spec_parse ("config.json", ok, strlen (ok), &s, &err), 0);
  if (al_profile_apply (p, s, NULL, NULL, &err) < 0)
    fail_msg ("apply: %s", err->msg);
  assert_int_equal (s->linux_->uid_mappings[0].host_id, 200000);
  /* Into the pool (its last ids): refused, it would share a slot's ids. */
  _cleanup_free_ char *bad = al_xasprintf (tmpl, 200000u, 0x7FFDFFFFu - 10);
  _cleanup_spec_ struct oci_spec *b = NULL;
  assert_int_equal (oci_spec_parse ("config.json", bad, strlen (bad), &b, &err), 0);
  assert_int_equal (al_profile_apply (p, b, NULL, NULL, &err), -EINVAL);
  assert_string_equal (err->msg, "profile \"untrusted\": linux.gidMappings[0]: maps host ids 2147352565-2147418100, "
                                 "inside the profile's id pool (user.pool: 1879048192-2147352575), whose ranges are "
                                 "given to one container each: leave the mappings out to get one");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_acquire_release, setup, teardown),
    cmocka_unit_test_setup_teardown (test_exhausted, setup, teardown),
    cmocka_unit_test_setup_teardown (test_reclaim_stale, setup, teardown),
    cmocka_unit_test_setup_teardown (test_reclaim_not_while_running, setup, teardown),
    cmocka_unit_test_setup_teardown (test_release_only_ours, setup, teardown),
    cmocka_unit_test_setup_teardown (test_concurrent, setup, teardown),
    cmocka_unit_test_setup_teardown (test_overlapping_pools, setup, teardown),
    cmocka_unit_test_setup_teardown (test_subids, setup, teardown),
    cmocka_unit_test_setup_teardown (test_pool_dir_owner, setup, teardown),
    cmocka_unit_test_setup_teardown (test_lock_timeout, setup, teardown),
    cmocka_unit_test_setup_teardown (test_apply, setup, teardown),
    cmocka_unit_test (test_profile_pool),
    cmocka_unit_test (test_profile_config_into_pool),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
