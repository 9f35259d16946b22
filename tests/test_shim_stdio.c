/* test_shim_stdio.c: shim/stdio.c's counted output (a watched container's
 * stdout/stderr through pipes and pumps) against FIFOs as containerd makes
 * them, and the unwatched hand-off of the FIFOs themselves. */
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

#include "error.h"
#include "loop.h"
#include "stdio.h"
#include "util.h"

struct fifos
{
  char dir[32];
  char out[64], err[64];
  int rd[2]; /* the client's readers */
};

static void
fifos_make (struct fifos *f)
{
  strcpy (f->dir, "/tmp/al-shimstdio.XXXXXX");
  assert_non_null (mkdtemp (f->dir));
  snprintf (f->out, sizeof f->out, "%s/out", f->dir);
  snprintf (f->err, sizeof f->err, "%s/err", f->dir);
  assert_int_equal (mkfifo (f->out, 0600), 0);
  assert_int_equal (mkfifo (f->err, 0600), 0);
  f->rd[0] = open (f->out, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  f->rd[1] = open (f->err, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  assert_true (f->rd[0] >= 0 && f->rd[1] >= 0);
}

static void
fifos_free (struct fifos *f)
{
  close (f->rd[0]);
  close (f->rd[1]);
  unlink (f->out);
  unlink (f->err);
  rmdir (f->dir);
}

/* Drain a client reader (non-blocking): bytes read. */
static size_t
client_read (int fd)
{
  char buf[4096];
  size_t total = 0;
  ssize_t n;
  while ((n = read (fd, buf, sizeof buf)) > 0)
    total += (size_t) n;
  return total;
}

static void
write_n (int fd, size_t n)
{
  char buf[1000];
  memset (buf, 'x', sizeof buf);
  while (n > 0)
    {
      size_t k = n < sizeof buf ? n : sizeof buf;
      ssize_t w = write (fd, buf, k);
      assert_true (w > 0);
      n -= (size_t) w;
    }
}

static void
ended (void *data)
{
  (*(int *) data)++;
}

static void
test_counted (void **state)
{
  (void) state;
  struct fifos f;
  fifos_make (&f);
  struct sl_loop loop;
  assert_int_equal (sl_loop_init (&loop), 0);
  struct sh_stdio s;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (sh_stdio_open (&s, NULL, f.out, f.err, false, &loop, &err), 0);
  int ends = 0;
  s.on_output_end = ended;
  s.on_output_data = &ends;
  /* The process gets pipes, not the FIFOs. */
  struct stat st;
  assert_int_equal (fstat (s.child[1], &st), 0);
  assert_true (S_ISFIFO (st.st_mode));
  struct stat fst;
  assert_int_equal (stat (f.out, &fst), 0);
  assert_false (st.st_ino == fst.st_ino && st.st_dev == fst.st_dev);
  assert_true (sh_stdio_output_open (&s));

  /* More than a pipe holds: the pumps and the client keep it moving. */
  size_t want[2] = { 200000, 12345 }, got[2] = { 0, 0 };
  int w[2] = { dup (s.child[1]), dup (s.child[2]) };
  sh_stdio_release_child (&s);
  fcntl (w[0], F_SETFL, O_NONBLOCK);
  size_t sent0 = 0;
  write_n (w[1], want[1]);
  close (w[1]);
  for (int i = 0; i < 100000 && (sent0 < want[0] || sh_stdio_output_open (&s)); i++)
    {
      if (sent0 < want[0])
        {
          char buf[4096];
          memset (buf, 'y', sizeof buf);
          size_t k = want[0] - sent0 < sizeof buf ? want[0] - sent0 : sizeof buf;
          ssize_t n = write (w[0], buf, k);
          if (n > 0)
            sent0 += (size_t) n;
          if (sent0 == want[0])
            close (w[0]);
        }
      sl_loop_run_once (&loop, 10);
      got[0] += client_read (f.rd[0]);
      got[1] += client_read (f.rd[1]);
    }
  assert_false (sh_stdio_output_open (&s));
  assert_int_equal (ends, 1);
  assert_int_equal (s.bytes[0], want[0]);
  assert_int_equal (s.bytes[1], want[1]);
  got[0] += client_read (f.rd[0]);
  got[1] += client_read (f.rd[1]);
  assert_int_equal (got[0], want[0]);
  assert_int_equal (got[1], want[1]);
  sh_stdio_close (&s, &loop);
  sl_loop_close (&loop);
  fifos_free (&f);
}

/* No FIFO from the client: counted, discarded. */
static void
test_counted_no_fifo (void **state)
{
  (void) state;
  struct sl_loop loop;
  assert_int_equal (sl_loop_init (&loop), 0);
  struct sh_stdio s;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (sh_stdio_open (&s, NULL, "", NULL, false, &loop, &err), 0);
  int w[2] = { dup (s.child[1]), dup (s.child[2]) };
  sh_stdio_release_child (&s);
  write_n (w[0], 5000);
  write_n (w[1], 7);
  close (w[0]);
  close (w[1]);
  for (int i = 0; i < 1000 && sh_stdio_output_open (&s); i++)
    sl_loop_run_once (&loop, 10);
  assert_false (sh_stdio_output_open (&s));
  assert_int_equal (s.bytes[0], 5000);
  assert_int_equal (s.bytes[1], 7);
  sh_stdio_close (&s, &loop);
  sl_loop_close (&loop);
}

/* Closed before the loop saw the output (Delete right after the exit):
 * what sits in the pipes is still passed on and counted. */
static void
test_close_flushes (void **state)
{
  (void) state;
  struct fifos f;
  fifos_make (&f);
  struct sl_loop loop;
  assert_int_equal (sl_loop_init (&loop), 0);
  struct sh_stdio s;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (sh_stdio_open (&s, NULL, f.out, f.err, false, &loop, &err), 0);
  write_n (s.child[1], 30000);
  write_n (s.child[2], 11);
  sh_stdio_release_child (&s);
  uint64_t *bytes = s.bytes;
  sh_stdio_close (&s, &loop);
  assert_int_equal (bytes[0], 30000);
  assert_int_equal (bytes[1], 11);
  assert_int_equal (client_read (f.rd[0]), 30000);
  assert_int_equal (client_read (f.rd[1]), 11);
  sl_loop_close (&loop);
  fifos_free (&f);
}

/* Unwatched: the FIFOs themselves, nothing counted, no pumps. */
static void
test_uncounted (void **state)
{
  (void) state;
  struct fifos f;
  fifos_make (&f);
  struct sh_stdio s;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (sh_stdio_open (&s, NULL, f.out, f.err, false, NULL, &err), 0);
  struct stat st, fst;
  assert_int_equal (fstat (s.child[1], &st), 0);
  assert_int_equal (stat (f.out, &fst), 0);
  assert_true (st.st_ino == fst.st_ino && st.st_dev == fst.st_dev);
  assert_null (s.out[0]);
  assert_null (s.out[1]);
  assert_false (sh_stdio_output_open (&s));
  write_n (s.child[1], 100);
  assert_int_equal (client_read (f.rd[0]), 100);
  sh_stdio_close (&s, NULL);
  fifos_free (&f);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_counted),
    cmocka_unit_test (test_counted_no_fifo),
    cmocka_unit_test (test_close_flushes),
    cmocka_unit_test (test_uncounted),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
