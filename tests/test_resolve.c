/* test_resolve.c: al_resolve_in_root and its userspace walk. Every case runs
 * through the walk and through the kernel's openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) on the same crafted tree; both must give the
 * expected result (the same inode, or the same errno). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "resolve.h"
#include "util.h"

static char tmp[] = "/tmp/al-resolve.XXXXXX";
static int tmpfd = -1;  /* the temp dir */
static int rootfd = -1; /* tmp/root, the "/" of the resolutions */
static bool have_openat2;

static void
mk (const char *dir)
{
  assert_int_equal (mkdirat (tmpfd, dir, 0755), 0);
}

static void
touch (const char *file)
{
  int fd = openat (tmpfd, file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  assert_true (fd >= 0);
  close (fd);
}

static void
ln (const char *target, const char *link)
{
  assert_int_equal (symlinkat (target, tmpfd, link), 0);
}

static int
setup (void **state)
{
  (void) state;
  if (mkdtemp (tmp) == NULL)
    return -1;
  tmpfd = open (tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (tmpfd < 0)
    return -1;
  /* Outside the root: what an escape would reach. */
  mk ("outside");
  touch ("outside/secret");
  mk ("etc");
  touch ("etc/passwd");
  /* The root. */
  mk ("root");
  mk ("root/etc");
  touch ("root/etc/passwd");
  mk ("root/dir");
  mk ("root/dir/sub");
  touch ("root/file");
  ln ("/../../etc", "root/abs_out");
  ln ("../../../../", "root/rel_out");
  ln ("../../outside/secret", "root/rel_secret");
  ln ("../../../etc", "root/dir/uplink");
  ln ("chain2", "root/chain1");
  ln ("/chain3", "root/chain2");
  ln ("dir/sub", "root/chain3");
  ln ("loop2", "root/loop1");
  ln ("loop1", "root/loop2");
  ln ("self", "root/self");
  ln ("dir", "root/dirlink");
  ln ("dir/sub/../..", "root/uptwice");
  ln ("nowhere", "root/dangling");
  ln ("file", "root/filelink");
  ln ("/dir/", "root/abs_dir_slash");
  /* n0 -> n1 -> ... -> n40 -> file: n1 takes 40 symlinks, n0 41. */
  for (int i = 0; i <= 40; i++)
    {
      char link[32], target[32];
      snprintf (link, sizeof (link), "root/n%d", i);
      if (i < 40)
        snprintf (target, sizeof (target), "n%d", i + 1);
      else
        snprintf (target, sizeof (target), "file");
      ln (target, link);
    }
  rootfd = openat (tmpfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return -1;

  struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
  int fd = (int) syscall (SYS_openat2, rootfd, "/", &how, sizeof (how));
  have_openat2 = fd >= 0;
  if (fd >= 0)
    close (fd);
  else
    printf ("# no openat2 here (%s): the walk is checked against the expected results only\n", strerror (errno));
  return 0;
}

static int
rm_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st, (void) flag, (void) ftw;
  return remove (path);
}

static int
teardown (void **state)
{
  (void) state;
  if (rootfd >= 0)
    close (rootfd);
  if (tmpfd >= 0)
    close (tmpfd);
  return nftw (tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
kernel_openat2 (int dirfd, const char *path)
{
  struct open_how how = {
    .flags = O_PATH | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  int fd;
  do
    fd = (int) syscall (SYS_openat2, dirfd, path, &how, sizeof (how));
  while (fd < 0 && errno == EAGAIN);
  return fd;
}

/* Resolve `path` below `dirfd` with `fn`; 0 and *st filled, or -errno. */
static int
resolve_with (int (*fn) (int, const char *), int dirfd, const char *path, struct stat *st)
{
  errno = 0;
  int fd = fn (dirfd, path);
  if (fd < 0)
    {
      assert_int_not_equal (errno, 0);
      return -errno;
    }
  int r = fstat (fd, st);
  close (fd);
  assert_int_equal (r, 0);
  return 0;
}

/* `path` must resolve to tmp/`want` (or fail with `want_errno` when `want`
 * is NULL), through the walk, through al_resolve_in_root, and through the
 * kernel's openat2. */
static void
check_at (int dirfd, const char *path, int want_dirfd, const char *want, int want_errno)
{
  struct stat expect = { 0 };
  if (want)
    assert_int_equal (fstatat (want_dirfd, want, &expect, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH), 0);

  struct
  {
    const char *name;
    int (*fn) (int, const char *);
  } ways[] = {
    { "walk", al_resolve_in_root_walk },
    { "al_resolve_in_root", al_resolve_in_root },
    { "openat2", kernel_openat2 },
  };
  for (size_t i = 0; i < sizeof (ways) / sizeof (ways[0]); i++)
    {
      if (ways[i].fn == kernel_openat2 && !have_openat2)
        continue;
      struct stat st;
      int r = resolve_with (ways[i].fn, dirfd, path, &st);
      if (want)
        {
          if (r < 0 || st.st_dev != expect.st_dev || st.st_ino != expect.st_ino)
            fail_msg ("%s(\"%s\"): %s, want %s", ways[i].name, path, r < 0 ? strerror (-r) : "another inode", want);
        }
      else if (r != -want_errno)
        fail_msg ("%s(\"%s\"): %s, want %s", ways[i].name, path, r < 0 ? strerror (-r) : "resolved", strerror (want_errno));
    }
}

static void
check (const char *path, const char *want)
{
  check_at (rootfd, path, tmpfd, want, 0);
}

static void
check_errno (const char *path, int e)
{
  check_at (rootfd, path, tmpfd, NULL, e);
}

static void
test_plain_paths (void **state)
{
  (void) state;
  check ("/", "root");
  check (".", "root");
  check ("etc/passwd", "root/etc/passwd");
  check ("/etc/passwd", "root/etc/passwd");
  check ("//etc//passwd", "root/etc/passwd");
  check ("dir/./sub/.", "root/dir/sub");
  check ("dir/sub/../../file", "root/file");
}

static void
test_dotdot_stays_at_the_root (void **state)
{
  (void) state;
  check ("..", "root");
  check ("../..", "root");
  check ("/../../..", "root");
  check ("../etc/passwd", "root/etc/passwd");
  check_errno ("../../outside/secret", ENOENT);
}

static void
test_symlinks_out_of_the_root (void **state)
{
  (void) state;
  check ("abs_out", "root/etc");
  check ("abs_out/passwd", "root/etc/passwd");
  check ("rel_out", "root");
  check ("rel_out/etc/passwd", "root/etc/passwd");
  check_errno ("rel_secret", ENOENT);
  check ("dir/uplink/passwd", "root/etc/passwd");
  check ("dir/sub/../uplink", "root/etc");
}

static void
test_symlink_chains (void **state)
{
  (void) state;
  check ("chain1", "root/dir/sub");
  check ("chain1/..", "root/dir");
  check ("chain1/../..", "root");
  check ("chain1/../../../..", "root");
  check ("dirlink/sub", "root/dir/sub");
  check ("dirlink/../file", "root/file");
  check ("uptwice/etc", "root/etc");
  check ("abs_dir_slash/sub", "root/dir/sub");
  check ("n1", "root/file");
  check_errno ("n0", ELOOP);
}

static void
test_loops_and_missing (void **state)
{
  (void) state;
  check_errno ("loop1", ELOOP);
  check_errno ("loop2/x", ELOOP);
  check_errno ("self", ELOOP);
  check_errno ("missing", ENOENT);
  check_errno ("missing/x", ENOENT);
  check_errno ("dir/missing/sub", ENOENT);
  check_errno ("dangling", ENOENT);
  check_errno ("dangling/x", ENOENT);
  check_errno ("file/x", ENOTDIR);
  check_errno ("file/", ENOTDIR);
  check_errno ("file/..", ENOTDIR);
  check_errno ("file/.", ENOTDIR);
  check_errno ("filelink/", ENOTDIR);
  check_errno ("filelink/x", ENOTDIR);
  check ("filelink", "root/file");
}

/* The empty path: the kernel says ENOENT, al_resolve_in_root means the root. */
static void
test_empty_path (void **state)
{
  (void) state;
  struct stat st, root;
  assert_int_equal (fstat (rootfd, &root), 0);
  assert_int_equal (resolve_with (al_resolve_in_root_walk, rootfd, "", &st), -ENOENT);
  if (have_openat2)
    assert_int_equal (resolve_with (kernel_openat2, rootfd, "", &st), -ENOENT);
  assert_int_equal (resolve_with (al_resolve_in_root, rootfd, "", &st), 0);
  assert_true (st.st_dev == root.st_dev && st.st_ino == root.st_ino);
}

/* /proc/self/fd/N and /proc/self/exe are magic links: refused with ELOOP. */
static void
test_magic_links (void **state)
{
  (void) state;
  _cleanup_close_ int proc = open ("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (proc >= 0);
  _cleanup_close_ int self = open ("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (self >= 0);
  check_at (self, "fd/0", -1, NULL, ELOOP);
  check_at (self, "exe", -1, NULL, ELOOP);
  check_at (self, "cwd/x", -1, NULL, ELOOP);
  check_at (proc, "self/fd/0", -1, NULL, ELOOP);
  check_at (proc, "thread-self/root", -1, NULL, ELOOP);
  /* Plain procfs files still resolve. */
  check_at (self, "status", self, "status", 0);
}

/* A root that is not a directory. */
static void
test_root_not_a_directory (void **state)
{
  (void) state;
  _cleanup_close_ int file = openat (rootfd, "file", O_PATH | O_CLOEXEC);
  assert_true (file >= 0);
  check_at (file, "x", -1, NULL, ENOTDIR);
}

/* fd (closed here) is tmp/want. */
static bool
same_inode (int fd, const char *want)
{
  struct stat a, b;
  bool ok = fd >= 0 && fstat (fd, &a) == 0 && fstatat (tmpfd, want, &b, AT_SYMLINK_NOFOLLOW) == 0
            && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  if (fd >= 0)
    close (fd);
  return ok;
}

#define CHILD_CHECK(c)                                                                                            \
  do                                                                                                              \
    {                                                                                                             \
      if (!(c))                                                                                                   \
        {                                                                                                         \
          dprintf (2, "%s:%d: CHILD_CHECK(%s) failed (errno: %s)\n", __FILE__, __LINE__, #c, strerror (errno)); \
          _exit (1);                                                                                              \
        }                                                                                                         \
    }                                                                                                             \
  while (0)

/* In a child where openat2 answers ENOSYS (a seccomp filter, as valgrind
 * 3.19 or Linux < 5.6 would), al_resolve_in_root falls back to the walk: the
 * same results. */
static void
child_without_openat2 (void)
{
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  CHILD_CHECK (ctx != NULL);
  CHILD_CHECK (seccomp_rule_add (ctx, SCMP_ACT_ERRNO (ENOSYS), SCMP_SYS (openat2), 0) == 0);
  CHILD_CHECK (seccomp_load (ctx) == 0);
  seccomp_release (ctx);
  CHILD_CHECK (kernel_openat2 (rootfd, "/") < 0 && errno == ENOSYS);

  CHILD_CHECK (same_inode (al_resolve_in_root (rootfd, ""), "root"));
  CHILD_CHECK (same_inode (al_resolve_in_root (rootfd, "abs_out/passwd"), "root/etc/passwd"));
  CHILD_CHECK (same_inode (al_resolve_in_root (rootfd, "rel_out"), "root"));
  CHILD_CHECK (same_inode (al_resolve_in_root (rootfd, "chain1/.."), "root/dir"));
  errno = 0;
  CHILD_CHECK (al_resolve_in_root (rootfd, "loop1") < 0 && errno == ELOOP);
  errno = 0;
  CHILD_CHECK (al_resolve_in_root (rootfd, "missing/x") < 0 && errno == ENOENT);
  errno = 0;
  CHILD_CHECK (al_resolve_in_root (rootfd, "file/x") < 0 && errno == ENOTDIR);
  _exit (0);
}

static void
test_fallback_when_openat2_is_enosys (void **state)
{
  (void) state;
  fflush (NULL);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    child_without_openat2 ();
  int status;
  assert_int_equal (waitpid (pid, &status, 0), pid);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    fail_msg ("child without openat2: %s %d (its stderr names the check)",
              WIFEXITED (status) ? "exit" : "signal", WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_plain_paths),
    cmocka_unit_test (test_dotdot_stays_at_the_root),
    cmocka_unit_test (test_symlinks_out_of_the_root),
    cmocka_unit_test (test_symlink_chains),
    cmocka_unit_test (test_loops_and_missing),
    cmocka_unit_test (test_empty_path),
    cmocka_unit_test (test_magic_links),
    cmocka_unit_test (test_root_not_a_directory),
    cmocka_unit_test (test_fallback_when_openat2_is_enosys),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
