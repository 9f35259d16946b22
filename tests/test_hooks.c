/* test_hooks.c: hooks.c unit tests, with /bin/sh hooks in a temp dir. */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "hooks.h"
#include "util.h"

struct fixture
{
  char dir[64];
};

static int
setup (void **state)
{
  struct fixture *f = calloc (1, sizeof *f);
  strcpy (f->dir, "/tmp/al-hooks-XXXXXX");
  assert_non_null (mkdtemp (f->dir));
  *state = f;
  return 0;
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  /* The temp dir holds a few flat files only. */
  char *cmd[] = { "rm", "-rf", f->dir, NULL };
  pid_t pid = fork ();
  if (pid == 0)
    {
      execv ("/bin/rm", cmd);
      _exit (127);
    }
  waitpid (pid, NULL, 0);
  free (f);
  return 0;
}

/* Write an executable script; returns its path (heap). */
static char *
write_script (struct fixture *f, const char *name, const char *body)
{
  char *path = al_xasprintf ("%s/%s", f->dir, name);
  char *text = al_xasprintf ("#!/bin/sh\n%s\n", body);
  al_error_t err = NULL;
  assert_int_equal (al_write_file_at (AT_FDCWD, path, text, strlen (text), 0755, &err), 0);
  free (text);
  assert_int_equal (chmod (path, 0755), 0);
  return path;
}

static char *
slurp (const char *path, size_t *len)
{
  char *out = NULL;
  al_error_t err = NULL;
  int r = al_read_file_at (AT_FDCWD, path, 4u << 20, &out, len, &err);
  if (r < 0)
    fail_msg ("%s", err->msg);
  return out;
}

static void
assert_no_children (void)
{
  errno = 0;
  assert_int_equal (waitpid (-1, NULL, WNOHANG), -1);
  assert_int_equal (errno, ECHILD);
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
test_state_on_stdin (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *out = al_xasprintf ("%s/out", f->dir);
  _cleanup_free_ char *script = write_script (f, "h", "/bin/cat > \"$1\"");
  char *args[] = { script, out, NULL };
  struct oci_hook h = { .path = script, .args = args };
  struct oci_hook_list list = { .hooks = &h, .n = 1 };
  const char *json = "{\"ociVersion\":\"1.2.0\",\"id\":\"abc\",\"status\":\"creating\"}";
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_hooks_run (&list, "prestart", json, &err), 0);
  assert_null (err);
  size_t len;
  _cleanup_free_ char *got = slurp (out, &len);
  assert_string_equal (got, json);
  assert_no_children ();
}

static void
test_args_env_exact (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *cmdline = al_xasprintf ("%s/cmdline", f->dir);
  _cleanup_free_ char *environ_out = al_xasprintf ("%s/environ", f->dir);
  _cleanup_free_ char *prog
      = al_xasprintf ("/bin/cat /proc/$$/cmdline > %s; /bin/cat /proc/$$/environ > %s", cmdline, environ_out);
  char *args[] = { "custom-argv0", "-c", prog, "x y", NULL };
  char *env[] = { "FOO=bar", "SPACED=a b", NULL };
  struct oci_hook h = { .path = "/bin/sh", .args = args, .env = env };
  struct oci_hook_list list = { .hooks = &h, .n = 1 };
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_hooks_run (&list, "createRuntime", "{}", &err), 0);

  size_t len;
  _cleanup_free_ char *got = slurp (cmdline, &len);
  _cleanup_free_ char *want = al_xasprintf ("custom-argv0%c-c%c%s%cx y%c", 0, 0, prog, 0, 0);
  size_t want_len = strlen ("custom-argv0") + 1 + 3 + strlen (prog) + 1 + 4;
  assert_int_equal (len, want_len);
  assert_memory_equal (got, want, want_len);

  _cleanup_free_ char *genv = slurp (environ_out, &len);
  const char want_env[] = "FOO=bar\0SPACED=a b\0";
  assert_int_equal (len, sizeof want_env - 1);
  assert_memory_equal (genv, want_env, len);
}

static void
test_no_args_no_env (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *out = al_xasprintf ("%s/out", f->dir);
  _cleanup_free_ char *body = al_xasprintf ("/bin/cat /proc/$$/environ > %s; echo \"$#\" >> %s", out, out);
  _cleanup_free_ char *script = write_script (f, "h", body);
  struct oci_hook h = { .path = script };
  struct oci_hook_list list = { .hooks = &h, .n = 1 };
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_hooks_run (&list, "poststop", "{}", &err), 0);
  size_t len;
  _cleanup_free_ char *got = slurp (out, &len);
  assert_string_equal (got, "0\n"); /* empty environment, no arguments */
}

static void
test_exit_status (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *ok = write_script (f, "ok", "exit 0");
  _cleanup_free_ char *bad = write_script (f, "bad", "exit 3");
  _cleanup_free_ char *marker = al_xasprintf ("%s/marker", f->dir);
  _cleanup_free_ char *after_body = al_xasprintf ("/bin/touch %s", marker);
  _cleanup_free_ char *after = write_script (f, "after", after_body);
  struct oci_hook h[3] = { { .path = ok }, { .path = bad }, { .path = after } };
  struct oci_hook_list list = { .hooks = h, .n = 3 };
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_hooks_run (&list, "createRuntime", "{}", &err), -EINVAL);
  assert_non_null (err);
  _cleanup_free_ char *want = al_xasprintf ("createRuntime hook #1 `%s` exited with status 3", bad);
  assert_string_equal (err->msg, want);
  assert_int_equal (access (marker, F_OK), -1); /* the phase stopped at the failure */
  assert_no_children ();
}

struct failures
{
  size_t n, later;
  char msgs[4][256];
};

static void
record_failure (void *data, bool later, const char *msg)
{
  struct failures *fl = data;
  if (fl->n < 4)
    snprintf (fl->msgs[fl->n], sizeof fl->msgs[0], "%s", msg);
  fl->n++;
  fl->later += later;
}

static void
test_run_all_goes_on (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *bad = write_script (f, "bad", "exit 3");
  _cleanup_free_ char *worse = write_script (f, "worse", "kill -9 $$");
  _cleanup_free_ char *marker = al_xasprintf ("%s/marker", f->dir);
  _cleanup_free_ char *after_body = al_xasprintf ("/bin/touch %s", marker);
  _cleanup_free_ char *after = write_script (f, "after", after_body);
  struct oci_hook h[4] = { { .path = bad }, { .path = after }, { .path = worse }, { .path = "/nonexistent/hook" } };
  struct oci_hook_list list = { .hooks = h, .n = 4 };
  struct failures fl = { 0 };
  size_t later = 99;
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_hooks_run_all (&list, "poststop", "{}", record_failure, &fl, &later, &err), -EINVAL);
  assert_non_null (err);
  _cleanup_free_ char *want = al_xasprintf ("poststop hook #0 `%s` exited with status 3", bad);
  assert_string_equal (err->msg, want);
  assert_int_equal (later, 2);
  assert_int_equal (fl.n, 3);
  assert_int_equal (fl.later, 2);
  assert_string_equal (fl.msgs[0], want);
  assert_non_null (strstr (fl.msgs[1], "poststop hook #2"));
  assert_non_null (strstr (fl.msgs[1], "killed by signal"));
  assert_non_null (strstr (fl.msgs[2], "poststop hook #3 `/nonexistent/hook`: execve"));
  assert_int_equal (access (marker, F_OK), 0); /* the hook after the failure ran */
  assert_no_children ();

  /* All succeed: 0, no error, no report. */
  struct oci_hook ok[1] = { { .path = after } };
  struct oci_hook_list oklist = { .hooks = ok, .n = 1 };
  struct failures none = { 0 };
  later = 99;
  _cleanup_error_ al_error_t err2 = NULL;
  assert_int_equal (al_hooks_run_all (&oklist, "poststart", "{}", record_failure, &none, &later, &err2), 0);
  assert_null (err2);
  assert_int_equal (later, 0);
  assert_int_equal (none.n, 0);
  assert_int_equal (al_hooks_run_all (NULL, "poststart", "{}", NULL, NULL, NULL, NULL), 0);
}

static void
test_killed_by_signal (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *script = write_script (f, "k", "kill -9 $$");
  struct oci_hook h = { .path = script };
  struct oci_hook_list list = { .hooks = &h, .n = 1 };
  _cleanup_error_ al_error_t err = NULL;
  assert_true (al_hooks_run (&list, "startContainer", "{}", &err) < 0);
  _cleanup_free_ char *want = al_xasprintf ("startContainer hook #0 `%s` was killed by signal SIGKILL", script);
  assert_string_equal (err->msg, want);
  assert_no_children ();
}

static void
test_timeout (void **state)
{
  (void) state;
  char *args[] = { "sleep", "100", NULL };
  struct oci_hook h = { .path = "/bin/sleep", .args = args, .has_timeout = true, .timeout = 1 };
  struct oci_hook_list list = { .hooks = &h, .n = 1 };
  _cleanup_error_ al_error_t err = NULL;
  double t0 = now_s ();
  assert_true (al_hooks_run (&list, "prestart", "{}", &err) < 0);
  double dt = now_s () - t0;
  assert_string_equal (err->msg, "prestart hook #0 `/bin/sleep` timed out after 1 s");
  assert_true (dt >= 0.9 && dt < 2.0);
  assert_no_children ();
}

static void
test_timeout_while_writing_stdin (void **state)
{
  /* A hook that neither reads stdin nor exits: the big write must not hang. */
  (void) state;
  size_t n = 1u << 20;
  _cleanup_free_ char *json = malloc (n + 1);
  memset (json, 'x', n);
  json[n] = '\0';
  char *args[] = { "sleep", "100", NULL };
  struct oci_hook h = { .path = "/bin/sleep", .args = args, .has_timeout = true, .timeout = 1 };
  struct oci_hook_list list = { .hooks = &h, .n = 1 };
  _cleanup_error_ al_error_t err = NULL;
  double t0 = now_s ();
  assert_true (al_hooks_run (&list, "prestart", json, &err) < 0);
  assert_true (now_s () - t0 < 2.0);
  assert_string_equal (err->msg, "prestart hook #0 `/bin/sleep` timed out after 1 s");
  assert_no_children ();
}

static void
test_big_state_not_read (void **state)
{
  struct fixture *f = *state;
  size_t n = 1u << 20;
  _cleanup_free_ char *json = malloc (n + 1);
  memset (json, ' ', n);
  json[0] = '{';
  json[n - 1] = '}';
  json[n] = '\0';
  _cleanup_free_ char *quick = write_script (f, "quick", "exit 0");
  _cleanup_free_ char *slow = write_script (f, "slow", "/bin/sleep 0.2");
  struct oci_hook h[2] = { { .path = quick }, { .path = slow } };
  struct oci_hook_list list = { .hooks = h, .n = 2 };
  _cleanup_error_ al_error_t err = NULL;
  double t0 = now_s ();
  assert_int_equal (al_hooks_run (&list, "poststart", json, &err), 0);
  assert_null (err);
  assert_true (now_s () - t0 < 2.0);
  assert_no_children ();
}

static void
test_missing_binary (void **state)
{
  (void) state;
  struct oci_hook h = { .path = "/nope" };
  struct oci_hook_list list = { .hooks = &h, .n = 1 };
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_hooks_run (&list, "poststart", "{}", &err), -ENOENT);
  assert_string_equal (err->msg, "poststart hook #0 `/nope`: execve: No such file or directory");
  assert_no_children ();
}

static void
test_output_in_error (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *script = write_script (f, "o", "echo to-stdout; echo 'to \"stderr\"' >&2; printf '\\033[31m'; exit 4");
  struct oci_hook h = { .path = script };
  struct oci_hook_list list = { .hooks = &h, .n = 1 };
  _cleanup_error_ al_error_t err = NULL;
  assert_true (al_hooks_run (&list, "prestart", "{}", &err) < 0);
  _cleanup_free_ char *want = al_xasprintf (
      "prestart hook #0 `%s` exited with status 4; output: \"to-stdout\\nto \\\"stderr\\\"\\n\\x1b[31m\"", script);
  assert_string_equal (err->msg, want);
  assert_no_children ();
}

static void
test_output_megabytes (void **state)
{
  /* 8 MiB on stdout and stderr: neither blocks nor is kept, only the tail. */
  struct fixture *f = *state;
  _cleanup_free_ char *script
      = write_script (f, "m", "/bin/head -c 4194304 /dev/zero; /bin/head -c 4194304 /dev/zero >&2; echo the-end; exit 1");
  struct oci_hook h = { .path = script, .has_timeout = true, .timeout = 30 };
  struct oci_hook_list list = { .hooks = &h, .n = 1 };
  _cleanup_error_ al_error_t err = NULL;
  double t0 = now_s ();
  assert_true (al_hooks_run (&list, "createRuntime", "{}", &err) < 0);
  assert_true (now_s () - t0 < 10.0);
  _cleanup_free_ char *head = al_xasprintf ("createRuntime hook #0 `%s` exited with status 1; output (last %d of %d bytes): \"",
                                            script, AL_HOOK_OUTPUT_TAIL, 8388608 + 8);
  assert_memory_equal (err->msg, head, strlen (head));
  const char *end = "\\x00\\x00the-end\\n\"";
  assert_string_equal (err->msg + strlen (err->msg) - strlen (end), end);
  /* 1016 NULs at 4 bytes each, "the-end\n" escaped */
  assert_int_equal (strlen (err->msg), strlen (head) + 4 * (AL_HOOK_OUTPUT_TAIL - 8) + 9 + 1);
  assert_no_children ();
}

static void
test_output_discarded_on_success (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *script = write_script (f, "s", "/bin/head -c 1048576 /dev/zero; echo fine >&2");
  struct oci_hook h = { .path = script };
  struct oci_hook_list list = { .hooks = &h, .n = 1 };
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_hooks_run (&list, "poststart", "{}", &err), 0);
  assert_null (err);
  assert_no_children ();
}

static void
test_timeout_kills_group (void **state)
{
  /* The hook's children die with it at the deadline, and its output so far
   * is quoted. The background sleep holds the output pipe open. */
  struct fixture *f = *state;
  _cleanup_free_ char *pidfile = al_xasprintf ("%s/child", f->dir);
  _cleanup_free_ char *body = al_xasprintf ("/bin/sleep 100 & echo $! > %s; echo waiting; wait", pidfile);
  _cleanup_free_ char *script = write_script (f, "g", body);
  struct oci_hook h = { .path = script, .has_timeout = true, .timeout = 1 };
  struct oci_hook_list list = { .hooks = &h, .n = 1 };
  _cleanup_error_ al_error_t err = NULL;
  double t0 = now_s ();
  assert_true (al_hooks_run (&list, "prestart", "{}", &err) < 0);
  assert_true (now_s () - t0 < 3.0);
  _cleanup_free_ char *want = al_xasprintf ("prestart hook #0 `%s` timed out after 1 s; output: \"waiting\\n\"", script);
  assert_string_equal (err->msg, want);
  size_t len;
  _cleanup_free_ char *pid_text = slurp (pidfile, &len);
  pid_t child = (pid_t) atoi (pid_text);
  assert_true (child > 0);
  /* Reparented to init (or a subreaper), which reaps it: bounded wait. */
  int i;
  for (i = 0; i < 200 && kill (child, 0) == 0; i++)
    usleep (10000);
  assert_int_equal (kill (child, 0), -1);
  assert_no_children ();
}

static void
test_empty_list (void **state)
{
  (void) state;
  struct oci_hook_list list = { 0 };
  _cleanup_error_ al_error_t err = NULL;
  assert_int_equal (al_hooks_run (&list, "prestart", "{}", &err), 0);
  assert_int_equal (al_hooks_run (NULL, "prestart", "{}", &err), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_state_on_stdin, setup, teardown),
    cmocka_unit_test_setup_teardown (test_args_env_exact, setup, teardown),
    cmocka_unit_test_setup_teardown (test_no_args_no_env, setup, teardown),
    cmocka_unit_test_setup_teardown (test_exit_status, setup, teardown),
    cmocka_unit_test_setup_teardown (test_run_all_goes_on, setup, teardown),
    cmocka_unit_test_setup_teardown (test_killed_by_signal, setup, teardown),
    cmocka_unit_test_setup_teardown (test_timeout, setup, teardown),
    cmocka_unit_test_setup_teardown (test_timeout_while_writing_stdin, setup, teardown),
    cmocka_unit_test_setup_teardown (test_big_state_not_read, setup, teardown),
    cmocka_unit_test_setup_teardown (test_missing_binary, setup, teardown),
    cmocka_unit_test_setup_teardown (test_output_in_error, setup, teardown),
    cmocka_unit_test_setup_teardown (test_output_megabytes, setup, teardown),
    cmocka_unit_test_setup_teardown (test_output_discarded_on_success, setup, teardown),
    cmocka_unit_test_setup_teardown (test_timeout_kills_group, setup, teardown),
    cmocka_unit_test_setup_teardown (test_empty_list, setup, teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
