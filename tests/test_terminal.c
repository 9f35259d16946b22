/* test_terminal.c: terminal.c unit tests: fd passing, ptys, controlling tty. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "terminal.h"
#include "util.h"

static void
test_send_recv_fd (void **state)
{
  (void) state;
  int sp[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  _cleanup_close_ int a = sp[0];
  _cleanup_close_ int b = sp[1];
  int p[2];
  assert_int_equal (pipe2 (p, O_CLOEXEC), 0);
  _cleanup_close_ int pr = p[0];
  _cleanup_close_ int pw = p[1];

  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_send_fd (a, pw, "/dev/pts/7", &err), 0);
  int got = -1;
  char payload[64];
  assert_int_equal (al_recv_fd (b, &got, payload, sizeof payload, &err), 0);
  _cleanup_close_ int got_owned = got;
  assert_true (got >= 0);
  assert_string_equal (payload, "/dev/pts/7");
  assert_int_equal (fcntl (got, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

  /* The received fd is the pipe's write end. */
  assert_int_equal (write (got, "ok", 2), 2);
  char buf[4] = { 0 };
  assert_int_equal (read (pr, buf, sizeof buf), 2);
  assert_string_equal (buf, "ok");
}

static void
test_recv_without_fd (void **state)
{
  (void) state;
  int sp[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  _cleanup_close_ int a = sp[0];
  _cleanup_close_ int b = sp[1];
  assert_int_equal (write (a, "x", 1), 1);
  _cleanup_error_ al_error_t err = NULL;
  int got = 42;
  char payload[8];
  assert_int_equal (al_recv_fd (b, &got, payload, sizeof payload, &err), 0);
  assert_int_equal (got, -1);
  assert_string_equal (payload, "x");
}

static void
test_unix_connect (void **state)
{
  (void) state;
  char dir[] = "/tmp/al-term-XXXXXX";
  assert_non_null (mkdtemp (dir));
  _cleanup_free_ char *path = al_xasprintf ("%s/sock", dir);
  _cleanup_close_ int l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  strcpy (addr.sun_path, path);
  assert_int_equal (bind (l, (struct sockaddr *) &addr, sizeof addr), 0);
  assert_int_equal (listen (l, 1), 0);

  _cleanup_error_ al_error_t err = NULL;
  _cleanup_close_ int c = al_unix_connect (path, &err);
  assert_true (c >= 0);
  _cleanup_close_ int s = accept4 (l, NULL, NULL, SOCK_CLOEXEC);
  assert_true (s >= 0);
  assert_int_equal (al_send_fd (c, c, NULL, &err), 0);
  int got = -1;
  char payload[8];
  assert_int_equal (al_recv_fd (s, &got, payload, sizeof payload, &err), 0);
  assert_true (got >= 0);
  close (got);

  unlink (path);
  rmdir (dir);
  assert_true (al_unix_connect (path, &err) < 0);
  assert_non_null (err);
  assert_non_null (strstr (err->msg, path));
}

static void
test_pty_size (void **state)
{
  (void) state;
  int m = -1, s = -1;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_pty_open ("/dev/ptmx", &m, &s, &err), 0);
  _cleanup_close_ int master = m;
  _cleanup_close_ int slave = s;
  assert_true (isatty (slave));
  assert_int_equal (al_pty_set_size (master, 40, 132, &err), 0);
  struct winsize ws = { 0 };
  assert_int_equal (ioctl (slave, TIOCGWINSZ, &ws), 0);
  assert_int_equal (ws.ws_row, 40);
  assert_int_equal (ws.ws_col, 132);
}

static void
test_pty_open_missing (void **state)
{
  (void) state;
  int m = -1, s = -1;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_pty_open ("/nonexistent/ptmx", &m, &s, &err), -ENOENT);
  assert_int_equal (m, -1);
  assert_int_equal (s, -1);
  assert_non_null (strstr (err->msg, "/nonexistent/ptmx"));
}

static void
test_controlling_terminal (void **state)
{
  (void) state;
  int m = -1, s = -1;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_pty_open ("/dev/ptmx", &m, &s, &err), 0);
  _cleanup_close_ int master = m;

  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      al_error_t cerr = NULL;
      close (master);
      if (al_pty_make_controlling (s, &cerr) < 0)
        _exit (10);
      if (s > 2)
        close (s);
      /* Our controlling terminal is the pty, and stdout goes to it. */
      int tty = open ("/dev/tty", O_RDWR | O_CLOEXEC);
      if (tty < 0)
        _exit (11);
      close (tty);
      if (tcgetpgrp (STDIN_FILENO) != getpid ())
        _exit (12);
      if (write (STDOUT_FILENO, "hello", 5) != 5)
        _exit (13);
      _exit (0);
    }
  close (s);
  int status;
  assert_int_equal (waitpid (pid, &status, 0), pid);
  assert_true (WIFEXITED (status));
  assert_int_equal (WEXITSTATUS (status), 0);

  /* Read what the child wrote; the slave is closed so the master ends in EIO. */
  char buf[64];
  size_t n = 0;
  for (;;)
    {
      struct pollfd p = { .fd = master, .events = POLLIN };
      if (poll (&p, 1, 2000) <= 0)
        break;
      ssize_t r = read (master, buf + n, sizeof buf - 1 - n);
      if (r <= 0)
        break;
      n += (size_t) r;
    }
  buf[n] = '\0';
  assert_string_equal (buf, "hello");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_send_recv_fd),     cmocka_unit_test (test_recv_without_fd),
    cmocka_unit_test (test_unix_connect),     cmocka_unit_test (test_pty_size),
    cmocka_unit_test (test_pty_open_missing), cmocka_unit_test (test_controlling_terminal),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
