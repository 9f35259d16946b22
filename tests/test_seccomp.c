/* test_seccomp.c: seccomp.c unit tests. Filters are loaded in forked
 * children only, so the test process itself stays unconfined. Run as root. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "seccomp.h"
#define AL_INCLUDE_LIBSECCOMP 1
#include <seccomp.h> /* libseccomp's, for the notify API: see seccomp.h */

/* In a child: report a failed check and exit non-zero. */
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

/* Skip a test the running kernel (or valgrind, which cannot run seccomp)
 * does not support: see seccomp_api_get(3). */
static void
needs_api (unsigned level)
{
  if (seccomp_api_get () < level)
    skip ();
}

static char *names_getppid[] = { "getppid", NULL };

static struct oci_seccomp_syscall
one_rule (char **names, const char *action, bool has_ret, uint32_t ret)
{
  return (struct oci_seccomp_syscall){ .names = names, .action = (char *) action, .has_errno_ret = has_ret,
                                       .errno_ret = ret };
}

static struct oci_seccomp
filter (const char *def, struct oci_seccomp_syscall *sc, size_t n)
{
  return (struct oci_seccomp){ .default_action = (char *) def, .syscalls = sc, .n_syscalls = n };
}

/* Prepare and install cfg in the current (child) process; exit 2 on error. */
static int
child_install (const struct oci_seccomp *cfg)
{
  signal (SIGSYS, SIG_DFL); /* not cmocka's handler: it would resume the runner in the child */
  al_error_t err = NULL;
  struct al_seccomp *s = NULL;
  int fd = -1;
  if (al_seccomp_prepare (cfg, &s, &err) < 0 || al_seccomp_install (s, &fd, &err) < 0)
    {
      fprintf (stderr, "child: %s\n", err ? err->msg : "?");
      _exit (2);
    }
  al_seccomp_free (s);
  return fd;
}

/* Wait for pid; return its wait status. */
static int
wait_child (pid_t pid)
{
  int st = 0;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  return st;
}

static void
assert_child_ok (pid_t pid)
{
  int st = wait_child (pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
}

/* Prepare must fail with exactly `msg`. */
static void
assert_prepare_error (const struct oci_seccomp *cfg, const char *msg)
{
  al_error_t err = NULL;
  struct al_seccomp *s = NULL;
  assert_true (al_seccomp_prepare (cfg, &s, &err) < 0);
  assert_null (s);
  assert_non_null (err);
  assert_string_equal (err->msg, msg);
  al_error_free (&err);
}

static void
test_errno (void **state)
{
  (void) state;
  struct oci_seccomp_syscall sc[] = { one_rule (names_getppid, "SCMP_ACT_ERRNO", true, 42) };
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 1);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      CHECK (child_install (&cfg) == -1);
      errno = 0;
      CHECK (syscall (SYS_getppid) == -1 && errno == 42);
      CHECK (getpid () > 0);
      _exit (0);
    }
  assert_child_ok (pid);
}

static void
test_errno_default_eperm (void **state)
{
  (void) state;
  struct oci_seccomp_syscall sc[] = { one_rule (names_getppid, "SCMP_ACT_ERRNO", false, 0) };
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 1);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      child_install (&cfg);
      errno = 0;
      CHECK (syscall (SYS_getppid) == -1 && errno == EPERM);
      _exit (0);
    }
  assert_child_ok (pid);
}

static void
test_args_eq (void **state)
{
  (void) state;
  char *names[] = { "personality", NULL };
  struct oci_seccomp_arg args[] = { { .index = 0, .value = 0xffffffff, .op = "SCMP_CMP_EQ" } };
  struct oci_seccomp_syscall sc[] = { one_rule (names, "SCMP_ACT_ERRNO", true, 43) };
  sc[0].args = args;
  sc[0].n_args = 1;
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 1);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      child_install (&cfg);
      errno = 0;
      CHECK (syscall (SYS_personality, 0xffffffffUL) == -1 && errno == 43);
      CHECK (syscall (SYS_personality, 0UL) >= 0); /* PER_LINUX: allowed */
      _exit (0);
    }
  assert_child_ok (pid);
}

static void
test_args_masked_eq (void **state)
{
  (void) state;
  char *names[] = { "umask", NULL };
  /* value is the mask, valueTwo the datum: block when the 0100 bit is set. */
  struct oci_seccomp_arg args[] = {
    { .index = 0, .value = 0100, .has_value_two = true, .value_two = 0100, .op = "SCMP_CMP_MASKED_EQ" }
  };
  struct oci_seccomp_syscall sc[] = { one_rule (names, "SCMP_ACT_ERRNO", true, 44) };
  sc[0].args = args;
  sc[0].n_args = 1;
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 1);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      child_install (&cfg);
      errno = 0;
      CHECK (syscall (SYS_umask, 0177UL) == -1 && errno == 44);
      CHECK (syscall (SYS_umask, 0022UL) >= 0);
      CHECK (syscall (SYS_umask, 0077UL) >= 0);
      _exit (0);
    }
  assert_child_ok (pid);
}

/* The same index twice: comparators are OR-ed. */
static void
test_args_same_index_or (void **state)
{
  (void) state;
  char *names[] = { "umask", NULL };
  struct oci_seccomp_arg args[] = { { .index = 0, .value = 011, .op = "SCMP_CMP_EQ" },
                                    { .index = 0, .value = 022, .op = "SCMP_CMP_EQ" } };
  struct oci_seccomp_syscall sc[] = { one_rule (names, "SCMP_ACT_ERRNO", true, 45) };
  sc[0].args = args;
  sc[0].n_args = 2;
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 1);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      child_install (&cfg);
      errno = 0;
      CHECK (syscall (SYS_umask, 011UL) == -1 && errno == 45);
      errno = 0;
      CHECK (syscall (SYS_umask, 022UL) == -1 && errno == 45);
      CHECK (syscall (SYS_umask, 033UL) >= 0);
      _exit (0);
    }
  assert_child_ok (pid);
}

/* Distinct indexes: comparators are AND-ed; also NE/LT/LE/GE/GT operators. */
static void
test_args_distinct_and (void **state)
{
  (void) state;
  char *names[] = { "getpriority", NULL };
  struct oci_seccomp_arg args[] = { { .index = 0, .value = PRIO_PROCESS, .op = "SCMP_CMP_EQ" },
                                    { .index = 1, .value = 12345, .op = "SCMP_CMP_EQ" } };
  struct oci_seccomp_syscall sc[] = { one_rule (names, "SCMP_ACT_ERRNO", true, 46) };
  sc[0].args = args;
  sc[0].n_args = 2;

  char *names2[] = { "umask", NULL };
  struct oci_seccomp_arg args2[] = { { .index = 0, .value = 0700, .op = "SCMP_CMP_GT" } };
  struct oci_seccomp_syscall all[] = { sc[0], one_rule (names2, "SCMP_ACT_ERRNO", true, 47) };
  all[1].args = args2;
  all[1].n_args = 1;
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", all, 2);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      child_install (&cfg);
      errno = 0;
      CHECK (syscall (SYS_getpriority, PRIO_PROCESS, 12345) == -1 && errno == 46);
      errno = 0;
      CHECK (syscall (SYS_getpriority, PRIO_PROCESS, 0) >= 0);
      errno = 0;
      syscall (SYS_getpriority, PRIO_PGRP, 12345);
      CHECK (errno != 46);
      errno = 0;
      CHECK (syscall (SYS_umask, 0701UL) == -1 && errno == 47);
      CHECK (syscall (SYS_umask, 0700UL) >= 0);
      _exit (0);
    }
  assert_child_ok (pid);
}

static void
check_killed_by (const char *action, bool core_ok)
{
  (void) core_ok;
  struct oci_seccomp_syscall sc[] = { one_rule (names_getppid, action, false, 0) };
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 1);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      struct rlimit no_core = { 0, 0 };
      setrlimit (RLIMIT_CORE, &no_core);
      child_install (&cfg);
      syscall (SYS_getppid);
      _exit (0);
    }
  int st = wait_child (pid);
  assert_true (WIFSIGNALED (st));
  assert_int_equal (WTERMSIG (st), SIGSYS);
}

static void
test_kill_actions (void **state)
{
  (void) state;
  needs_api (3); /* SCMP_ACT_KILL_PROCESS */
  check_killed_by ("SCMP_ACT_KILL_PROCESS", true);
  check_killed_by ("SCMP_ACT_KILL_THREAD", true);
  check_killed_by ("SCMP_ACT_KILL", true);
  check_killed_by ("SCMP_ACT_TRAP", true);
}

/* LOG and TRACE (no tracer: ENOSYS) actions load and behave. */
static void
test_log_trace (void **state)
{
  (void) state;
  needs_api (3); /* SCMP_ACT_LOG */
  char *names_umask[] = { "umask", NULL };
  struct oci_seccomp_syscall sc[] = { one_rule (names_getppid, "SCMP_ACT_TRACE", true, 7),
                                      one_rule (names_umask, "SCMP_ACT_LOG", false, 0) };
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 2);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      child_install (&cfg);
      errno = 0;
      CHECK (syscall (SYS_getppid) == -1 && errno == ENOSYS);
      CHECK (syscall (SYS_umask, 022UL) >= 0);
      _exit (0);
    }
  assert_child_ok (pid);
}

static int
send_fd (int sock, int fd)
{
  char data = 'x';
  struct iovec iov = { &data, 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  memset (&u, 0, sizeof (u));
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf) };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  return sendmsg (sock, &msg, 0) == 1 ? 0 : -1;
}

static int
recv_fd (int sock)
{
  char data;
  struct iovec iov = { &data, 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf) };
  if (recvmsg (sock, &msg, 0) != 1)
    return -1;
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    return -1;
  int fd;
  memcpy (&fd, CMSG_DATA (c), sizeof (int));
  return fd;
}

/* NOTIFY: the child passes the listener to the parent, which answers the
 * child's getppid with 4242. */
static void
test_notify (void **state)
{
  (void) state;
  needs_api (5); /* SCMP_ACT_NOTIFY */
  struct oci_seccomp_syscall sc[] = { one_rule (names_getppid, "SCMP_ACT_NOTIFY", false, 0) };
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 1);
  int sp[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (sp[0]);
      int fd = child_install (&cfg);
      CHECK (fd >= 0);
      CHECK (send_fd (sp[1], fd) == 0);
      close (fd);
      CHECK (syscall (SYS_getppid) == 4242);
      _exit (0);
    }
  close (sp[1]);
  int fd = recv_fd (sp[0]);
  close (sp[0]);
  assert_true (fd >= 0);

  struct seccomp_notif *req = NULL;
  struct seccomp_notif_resp *resp = NULL;
  assert_int_equal (seccomp_notify_alloc (&req, &resp), 0);
  assert_int_equal (seccomp_notify_receive (fd, req), 0);
  assert_int_equal (req->pid, pid);
  assert_int_equal (req->data.nr, seccomp_syscall_resolve_name ("getppid"));
  resp->id = req->id;
  resp->val = 4242;
  resp->error = 0;
  resp->flags = 0;
  assert_int_equal (seccomp_notify_respond (fd, resp), 0);
  seccomp_notify_free (req, resp);
  close (fd);
  assert_child_ok (pid);
}

/* The hand-over of the listener (one sendmsg right after the load) can never
 * be notified: a NOTIFY rule for sendmsg, or a NOTIFY default without an
 * unconditional allow of it, is refused. */
static void
test_notify_handover_refused (void **state)
{
  (void) state;
  char *names_send[] = { "mkdir", "sendmsg", NULL };
  struct oci_seccomp_syscall sc[] = { one_rule (names_send, "SCMP_ACT_NOTIFY", false, 0) };
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 1);
  assert_prepare_error (&cfg, "linux.seccomp.syscalls[0]: SCMP_ACT_NOTIFY cannot be used for \"sendmsg\": the "
                              "runtime hands the notify listener over with it right after loading the filter, so "
                              "nobody could answer it");
  char *names_other[] = { "getppid", NULL };
  sc[0].names = names_other;
  sc[0].action = "SCMP_ACT_ALLOW";
  cfg.default_action = "SCMP_ACT_NOTIFY";
  const char *msg = "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY needs a rule allowing \"sendmsg\" without "
                    "conditions: the runtime hands the notify listener over with it right after loading the filter";
  assert_prepare_error (&cfg, msg);
  struct oci_seccomp_arg arg = { .index = 0, .value = 3, .op = "SCMP_CMP_EQ" };
  sc[0].names = names_send;
  sc[0].args = &arg;
  sc[0].n_args = 1;
  assert_prepare_error (&cfg, msg);
  sc[0].n_args = 0;
  sc[0].args = NULL;
  al_error_t err = NULL;
  struct al_seccomp *s = NULL;
  assert_int_equal (al_seccomp_prepare (&cfg, &s, &err), 0);
  al_seccomp_free (s);
}

/* A default-deny filter: syscalls numbered above every one it names get
 * ENOSYS (newer than the profile), older unnamed ones the default errno; a
 * NOTIFY rule still yields a listener. With an allowing default, no stub. */
static void
test_enosys_above_newest_named (void **state)
{
  (void) state;
  needs_api (5);
  /* What the C library and a sanitizer runtime need in the child (as the
     default-deny test below), and a NOTIFY rule on a call none of them make
     (nobody answers it here). */
  char *allowed[] = { "getppid", "getpid", "gettid", "write", "writev", "exit_group", "exit", "brk", "mmap", "munmap",
                      "mprotect", "madvise", "sigaltstack", "rt_sigaction", "rt_sigprocmask", "close", "futex",
                      "sched_yield", "tgkill", "umask", NULL };
  char *notified[] = { "pause", NULL };
  struct oci_seccomp_syscall sc[] = { one_rule (allowed, "SCMP_ACT_ALLOW", false, 0),
                                      one_rule (notified, "SCMP_ACT_NOTIFY", false, 0) };
  struct oci_seccomp cfg = filter ("SCMP_ACT_ERRNO", sc, 2);
  cfg.has_default_errno_ret = true;
  cfg.default_errno_ret = 48;
  int newest = 0;
  for (char **n = allowed; *n; n++)
    if (seccomp_syscall_resolve_name (*n) > newest)
      newest = seccomp_syscall_resolve_name (*n);
  for (int deny = 1; deny >= 0; deny--)
    {
      if (!deny)
        {
          cfg.default_action = "SCMP_ACT_LOG";
          cfg.n_syscalls = 1;
        }
      pid_t pid = fork ();
      assert_true (pid >= 0);
      if (pid == 0)
        {
          CHECK (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
          int fd = child_install (&cfg);
          CHECK (deny ? fd >= 0 : fd == -1);
          errno = 0;
          long r = syscall (newest + 1, -1L, -1L, -1L);
          CHECK (deny ? r == -1 && errno == ENOSYS : errno != ENOSYS);
          errno = 0;
          CHECK (syscall (SYS_faccessat2, -1, NULL, 0, 0) == -1 && (deny ? errno == ENOSYS : errno != ENOSYS));
          errno = 0;
          CHECK (syscall (SYS_setpgid, -1, -1) == -1 && errno == (deny ? 48 : EINVAL));
          CHECK (syscall (SYS_getppid) > 0);
          _exit (0);
        }
      assert_child_ok (pid);
    }
}

static void
test_unknown_syscall_ignored (void **state)
{
  (void) state;
  char *names[] = { "no_such_syscall", "getppid", "another_fake_one", NULL };
  struct oci_seccomp_syscall sc[] = { one_rule (names, "SCMP_ACT_ERRNO", true, 48) };
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 1);
  al_error_t err = NULL;
  struct al_seccomp *s = NULL;
  assert_int_equal (al_seccomp_prepare (&cfg, &s, &err), 0);
  size_t n = 99;
  const char *const *ign = al_seccomp_ignored (s, &n);
  assert_int_equal (n, 2);
  assert_string_equal (ign[0], "no_such_syscall");
  assert_string_equal (ign[1], "another_fake_one");
  assert_null (ign[2]);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      int fd = 0;
      CHECK (al_seccomp_install (s, &fd, &err) == 0 && fd == -1);
      errno = 0;
      CHECK (syscall (SYS_getppid) == -1 && errno == 48);
      _exit (0);
    }
  assert_child_ok (pid);
  al_seccomp_free (s);

  /* Nothing ignored: an empty list. */
  char *names2[] = { "getppid", NULL };
  sc[0].names = names2;
  assert_int_equal (al_seccomp_prepare (&cfg, &s, &err), 0);
  ign = al_seccomp_ignored (s, &n);
  assert_int_equal (n, 0);
  assert_null (ign[0]);
  al_seccomp_free (s);
}

/* A rule with the default action is skipped, archs and flags accepted. */
static void
test_default_action_rule_and_attrs (void **state)
{
  (void) state;
  needs_api (4); /* SECCOMP_FILTER_FLAG_LOG and SPEC_ALLOW */
  char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", NULL };
  char *flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL };
  /* What the child needs (also under sanitizers), plus names x86_64 lacks. */
  char *names_allow[] = { "getppid", "getpid", "gettid", "write", "writev", "exit_group", "exit", "brk", "mmap", "munmap",
                          "mprotect", "madvise", "sigaltstack", "rt_sigaction", "rt_sigprocmask", "close", "futex",
                          "sched_yield", "tgkill", "socketcall", "_llseek", "umask", NULL };
  char *names_errno[] = { "personality", NULL };
  struct oci_seccomp_syscall sc[] = { one_rule (names_allow, "SCMP_ACT_ALLOW", false, 0),
                                      one_rule (names_errno, "SCMP_ACT_ERRNO", true, 38) };
  struct oci_seccomp cfg = filter ("SCMP_ACT_ERRNO", sc, 2);
  cfg.has_default_errno_ret = true;
  cfg.default_errno_ret = 38; /* ENOSYS: the personality rule equals the default */
  cfg.architectures = archs;
  cfg.flags = flags;
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      child_install (&cfg);
      CHECK (syscall (SYS_getppid) > 0);
      errno = 0;
      CHECK (syscall (SYS_getuid) == -1 && errno == 38);
      errno = 0;
      CHECK (syscall (SYS_personality, 0xffffffffUL) == -1 && errno == 38);
      _exit (0);
    }
  assert_child_ok (pid);
}

/* Loading works with no_new_privs and without CAP_SYS_ADMIN; without both it
 * fails with a clear message. */
static void
test_nnp_or_sys_admin (void **state)
{
  (void) state;
  struct oci_seccomp_syscall sc[] = { one_rule (names_getppid, "SCMP_ACT_ERRNO", true, 49) };
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 1);
  for (int nnp = 0; nnp <= 1; nnp++)
    {
      pid_t pid = fork ();
      assert_true (pid >= 0);
      if (pid == 0)
        {
          cap_t c = cap_get_proc ();
          cap_value_t v = CAP_SYS_ADMIN;
          CHECK (c && cap_set_flag (c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) == 0 && cap_set_proc (c) == 0);
          cap_free (c);
          if (nnp)
            CHECK (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
          al_error_t err = NULL;
          struct al_seccomp *s = NULL;
          CHECK (al_seccomp_prepare (&cfg, &s, &err) == 0);
          int r = al_seccomp_install (s, NULL, &err);
          if (nnp)
            {
              CHECK (r == 0);
              errno = 0;
              CHECK (syscall (SYS_getppid) == -1 && errno == 49);
            }
          else
            {
              CHECK (r == -EACCES);
              CHECK (strcmp (err->msg, "linux.seccomp: cannot load the filter (it needs no_new_privs or "
                                       "CAP_SYS_ADMIN): Permission denied")
                     == 0);
              CHECK (syscall (SYS_getppid) > 0);
              al_error_free (&err);
            }
          al_seccomp_free (s);
          _exit (0);
        }
      assert_child_ok (pid);
    }
}

static void
test_errors (void **state)
{
  (void) state;
  char *names_bad[] = { "getppid", NULL };
  struct oci_seccomp_syscall sc[] = { one_rule (names_getppid, "SCMP_ACT_ERRNO", false, 0),
                                      one_rule (names_bad, "SCMP_ACT_FOO", false, 0) };
  struct oci_seccomp cfg = filter ("SCMP_ACT_ALLOW", sc, 2);
  assert_prepare_error (&cfg, "linux.seccomp.syscalls[1].action: unknown action \"SCMP_ACT_FOO\"");

  sc[1].action = "SCMP_ACT_ERRNO";
  sc[1].has_errno_ret = true;
  sc[1].errno_ret = 70000;
  assert_prepare_error (&cfg, "linux.seccomp.syscalls[1].action: errnoRet 70000 is out of range (0-65535)");
  sc[1].has_errno_ret = false;

  cfg.default_action = "ALLOW";
  assert_prepare_error (&cfg, "linux.seccomp.defaultAction: unknown action \"ALLOW\"");
  cfg.default_action = "SCMP_ACT_ALLOW";

  char *archs[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_BAR", NULL };
  cfg.architectures = archs;
  assert_prepare_error (&cfg, "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_BAR\"");
  archs[1] = "x86";
  assert_prepare_error (&cfg, "linux.seccomp.architectures[1]: unknown architecture \"x86\"");
  cfg.architectures = NULL;

  char *flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_BOGUS", NULL };
  cfg.flags = flags;
  assert_prepare_error (&cfg, "linux.seccomp.flags[1]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\"");
#if SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR < 6
  flags[1] = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV";
  assert_prepare_error (&cfg, "linux.seccomp.flags[1]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by "
                              "this libseccomp (2.5.4)");
#endif
  cfg.flags = NULL;

  struct oci_seccomp_arg args[] = { { .index = 0, .value = 1, .op = "SCMP_CMP_EQ" },
                                    { .index = 1, .value = 1, .op = "SCMP_CMP_FOO" } };
  sc[1].args = args;
  sc[1].n_args = 2;
  assert_prepare_error (&cfg, "linux.seccomp.syscalls[1].args[1].op: unknown operator \"SCMP_CMP_FOO\"");
  args[1].op = "SCMP_CMP_NE";
  args[1].index = 6;
  assert_prepare_error (&cfg, "linux.seccomp.syscalls[1].args[1].index: 6 is out of range (0-5)");
}

static bool
has_name (const char *const *v, const char *name)
{
  for (; *v; v++)
    if (strcmp (*v, name) == 0)
      return true;
  return false;
}

static void
test_names (void **state)
{
  (void) state;
  const char *acts[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                         "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY" };
  for (size_t i = 0; i < sizeof (acts) / sizeof (acts[0]); i++)
    assert_true (has_name (al_seccomp_actions, acts[i]));
  const char *ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
                        "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ" };
  for (size_t i = 0; i < sizeof (ops) / sizeof (ops[0]); i++)
    assert_true (has_name (al_seccomp_operators, ops[i]));
  assert_true (has_name (al_seccomp_flags, "SECCOMP_FILTER_FLAG_LOG"));
  assert_true (has_name (al_seccomp_flags, "SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
  assert_true (has_name (al_seccomp_flags, "SECCOMP_FILTER_FLAG_TSYNC"));
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_errno),
    cmocka_unit_test (test_errno_default_eperm),
    cmocka_unit_test (test_args_eq),
    cmocka_unit_test (test_args_masked_eq),
    cmocka_unit_test (test_args_same_index_or),
    cmocka_unit_test (test_args_distinct_and),
    cmocka_unit_test (test_kill_actions),
    cmocka_unit_test (test_log_trace),
    cmocka_unit_test (test_notify),
    cmocka_unit_test (test_notify_handover_refused),
    cmocka_unit_test (test_enosys_above_newest_named),
    cmocka_unit_test (test_unknown_syscall_ignored),
    cmocka_unit_test (test_default_action_rule_and_attrs),
    cmocka_unit_test (test_nnp_or_sys_admin),
    cmocka_unit_test (test_errors),
    cmocka_unit_test (test_names),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
