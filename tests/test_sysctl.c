/* test_sysctl.c: al_process_check_sysctl, which linux.sysctl keys a
 * container may write given its namespaces (new, joined by path, or the
 * host's). Run as root (opens the namespace files under /proc/self/ns). */
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "namespaces.h"
#include "process.h"

static struct al_ns_plan
plan_none (void)
{
  struct al_ns_plan p;
  memset (&p, 0, sizeof p);
  for (int i = 0; i < OCI_NS_COUNT; i++)
    p.join_fd[i] = -1;
  p.saved_pid_fd = p.saved_time_fd = -1;
  return p;
}

/* 0 when `key` may be written under plan, else the error message (static). */
static const char *
check (const char *key, const struct al_ns_plan *plan)
{
  static char msg[512];
  struct oci_kv kv = { .key = (char *) key, .value = (char *) "1" };
  struct oci_linux l;
  memset (&l, 0, sizeof l);
  l.sysctl = &kv;
  l.n_sysctl = 1;
  al_error_t err = NULL;
  int r = al_process_check_sysctl (&l, plan, &err);
  if (r == 0)
    {
      assert_null (err);
      return NULL;
    }
  assert_non_null (err);
  snprintf (msg, sizeof msg, "%s", err->msg);
  al_error_free (&err);
  return msg;
}

static void
test_no_namespace (void **state)
{
  (void) state;
  struct al_ns_plan p = plan_none ();
  p.clone_flags = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWPID;
  p.new_user = true;
  const char *keys[] = { "kernel.pid_max", "vm.overcommit_memory", "fs.file-max", "kernel/pid_max",
                         "kernel.ns_last_pid" };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    {
      const char *m = check (keys[i], &p);
      assert_non_null (m);
      char want[128];
      snprintf (want, sizeof want, "linux.sysctl[\"%s\"]: not in a kernel namespace", keys[i]);
      assert_non_null (strstr (m, want));
    }
}

static void
test_new_namespaces (void **state)
{
  (void) state;
  struct al_ns_plan p = plan_none ();
  p.clone_flags = CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
  p.new_user = true;
  const char *keys[] = { "net.ipv4.ip_local_port_range", "net/ipv4/ip_forward", "kernel.shm_rmid_forced",
                         "kernel.msgmax", "kernel.sem", "fs.mqueue.msg_max", "kernel.hostname",
                         "kernel.domainname", "user.max_user_namespaces" };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    assert_null (check (keys[i], &p));
}

static void
test_shared_with_host (void **state)
{
  (void) state;
  struct al_ns_plan p = plan_none ();
  const char *m = check ("net.ipv4.ip_forward", &p);
  assert_non_null (m);
  assert_non_null (strstr (m, "linux.sysctl[\"net.ipv4.ip_forward\"]: the container shares the host's network namespace"));
  m = check ("kernel.shmmax", &p);
  assert_non_null (strstr (m, "host's ipc namespace"));
  m = check ("kernel.hostname", &p);
  assert_non_null (strstr (m, "host's uts namespace"));
  m = check ("user.max_user_namespaces", &p);
  assert_non_null (strstr (m, "host's user namespace"));
  /* A new namespace of another type does not help. */
  p.clone_flags = CLONE_NEWIPC;
  assert_non_null (check ("net.core.somaxconn", &p));
  assert_null (check ("kernel.shmall", &p));
  /* kernel.hostname is not kernel.hostnameX (no prefix match). */
  p.clone_flags = CLONE_NEWUTS;
  assert_non_null (strstr (check ("kernel.hostnamex", &p), "not in a kernel namespace"));
}

static void
test_joined (void **state)
{
  (void) state;
  struct al_ns_plan p = plan_none ();
  /* The runtime's own (the host's) network namespace, joined by path. */
  p.join_fd[OCI_NS_NETWORK] = open ("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  assert_true (p.join_fd[OCI_NS_NETWORK] >= 0);
  const char *m = check ("net.ipv4.ip_forward", &p);
  assert_non_null (m);
  assert_non_null (strstr (m, "the network namespace joined by linux.namespaces path is the host's own"));
  close (p.join_fd[OCI_NS_NETWORK]);

  /* Another one: a child's new network namespace. The child says when it
     has it (ready), then waits for the parent to be done (EOF on done). */
  int ready[2], pfd[2];
  assert_int_equal (pipe (ready), 0);
  assert_int_equal (pipe (pfd), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      char c = 'x';
      close (pfd[1]);
      close (ready[0]);
      if (unshare (CLONE_NEWNET) < 0 || write (ready[1], &c, 1) != 1)
        _exit (1);
      if (read (pfd[0], &c, 1) < 0)
        _exit (1);
      _exit (0);
    }
  close (pfd[0]);
  close (ready[1]);
  char c;
  assert_int_equal (read (ready[0], &c, 1), 1);
  close (ready[0]);
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
  p.join_fd[OCI_NS_NETWORK] = open (path, O_RDONLY | O_CLOEXEC);
  assert_true (p.join_fd[OCI_NS_NETWORK] >= 0);
  assert_null (check ("net.ipv4.ip_forward", &p));
  close (p.join_fd[OCI_NS_NETWORK]);
  close (pfd[1]);
  int st;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_int_equal (st, 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_no_namespace),
    cmocka_unit_test (test_new_namespaces),
    cmocka_unit_test (test_shared_with_host),
    cmocka_unit_test (test_joined),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
