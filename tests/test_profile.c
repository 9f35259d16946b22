/* test_profile.c: profile.c unit tests: loading specs/profiles/untrusted.json
 * and the fixtures in tests/profiles/, tightening the default config, the
 * refusals (each with its exact message), never loosening, and the profile's
 * seccomp filter end to end (denied syscalls notify, allowed ones never do).
 * Run from the top of the tree as root (tests/run.sh does). */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "profile.h"
#include "seccomp.h"
#include "spec.h"
#include "util.h"
#define AL_INCLUDE_LIBSECCOMP 1
#include <seccomp.h> /* libseccomp's, for the notify API: see seccomp.h */

#define MIB (1024LL * 1024)

static struct al_profile *
load (const char *name)
{
  setenv ("AIRLOCK_PROFILES_DIR", "specs/profiles", 1);
  struct al_profile *p = NULL;
  _cleanup_error_ al_error_t err = NULL;
  int r = al_profile_load (name, &p, &err);
  if (r < 0)
    fail_msg ("load %s: %s", name, err->msg);
  return p;
}

static struct oci_spec *
spec_from (const char *json)
{
  struct oci_spec *s = NULL;
  _cleanup_error_ al_error_t err = NULL;
  if (oci_spec_parse ("config.json", json, strlen (json), &s, &err) < 0)
    fail_msg ("parse: %s", err->msg);
  return s;
}

static struct oci_spec *
default_spec (void)
{
  _cleanup_free_ char *j = oci_spec_default_json (false);
  return spec_from (j);
}

/* A small config (3 mounts, 3 namespaces, CAP_KILL and CAP_SYS_ADMIN) with
 * text inserted after the mounts, in linux and in process (each may be ""). */
static struct oci_spec *
variant (const char *mounts_extra, const char *linux_extra, const char *process_extra)
{
  _cleanup_free_ char *j = al_xasprintf (
      "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"
      "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_SYS_ADMIN\"],"
      "\"effective\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\",\"CAP_SYS_ADMIN\"]}%s},"
      "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
      "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},"
      "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\"]}%s],"
      "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"mount\"}]%s}}",
      process_extra, mounts_extra, linux_extra);
  return spec_from (j);
}

static bool
strv_has (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

static size_t
strv_count (char *const *v, const char *s)
{
  size_t n = 0;
  for (size_t i = 0; v && v[i]; i++)
    n += strcmp (v[i], s) == 0;
  return n;
}

static const struct oci_mount *
mount_at (const struct oci_spec *s, const char *dest)
{
  for (size_t i = 0; i < s->n_mounts; i++)
    if (strcmp (s->mounts[i].destination, dest) == 0)
      return &s->mounts[i];
  return NULL;
}

static const struct oci_rlimit *
rlimit_of (const struct oci_spec *s, int res)
{
  for (size_t i = 0; i < s->process->n_rlimits; i++)
    if (s->process->rlimits[i].resource == res)
      return &s->process->rlimits[i];
  return NULL;
}

/* Is `name` allowed by some rule of the filter (with or without args)? */
static const struct oci_seccomp_syscall *
rule_for (const struct oci_seccomp *sc, const char *name)
{
  for (size_t i = 0; i < sc->n_syscalls; i++)
    if (strv_has (sc->syscalls[i].names, name))
      return &sc->syscalls[i];
  return NULL;
}

/* ------------------------------------------------------------ loading -- */

static void
test_load_untrusted (void **state)
{
  (void) state;
  _cleanup_profile_ struct al_profile *p = load ("untrusted");
  assert_string_equal (al_profile_name (p), "untrusted");
  assert_string_equal (al_profile_path (p), "specs/profiles/untrusted.json");
  assert_true (strlen (al_profile_description (p)) > 10);
  assert_int_equal (al_profile_timeout_ms (p), 30000);
  assert_int_equal (al_profile_clamp_timeout (p, 0), 30000);
  assert_int_equal (al_profile_clamp_timeout (p, 5000), 5000);
  assert_int_equal (al_profile_clamp_timeout (p, 60000), 30000); /* lower, never raise */
  assert_int_equal (al_profile_denied_errno (p), EPERM);
}

static void
test_load_by_path_and_lookup (void **state)
{
  (void) state;
  _cleanup_error_ al_error_t err = NULL;
  _cleanup_profile_ struct al_profile *p = NULL;
  assert_int_equal (al_profile_load ("tests/profiles/pod.json", &p, &err), 0);
  assert_string_equal (al_profile_name (p), "pod");
  assert_int_equal (al_profile_timeout_ms (p), 0);
  assert_int_equal (al_profile_clamp_timeout (p, 7000), 7000);
  al_profile_freep (&p);

  setenv ("AIRLOCK_PROFILES_DIR", "tests/profiles", 1);
  assert_int_equal (al_profile_load ("pod", &p, &err), 0);
  assert_string_equal (al_profile_path (p), "tests/profiles/pod.json");
  al_profile_freep (&p);

  /* Not found: the message names every directory tried. */
  assert_int_equal (al_profile_load ("nosuch", &p, &err), -ENOENT);
  assert_non_null (strstr (err->msg, "profile \"nosuch\": no nosuch.json in tests/profiles, " AL_PROFILES_DIR));
  al_error_free (&err);

  assert_int_equal (al_profile_load ("my profile", &p, &err), -EINVAL);
  assert_string_equal (err->msg, "profile \"my profile\": invalid profile name (letters, digits, '_', '.', '-')");
  al_error_free (&err);
  assert_int_equal (al_profile_load (".hidden", &p, &err), -EINVAL);
  al_error_free (&err);
}

static void
expect_load_error (const char *path, const char *msg, bool prefix)
{
  _cleanup_error_ al_error_t err = NULL;
  struct al_profile *p = NULL;
  assert_true (al_profile_load (path, &p, &err) < 0);
  assert_null (p);
  if (prefix)
    assert_non_null (strstr (err->msg, msg));
  else
    assert_string_equal (err->msg, msg);
}

/* A profile text with seccomp.allow ALLOW and seccomp.rules [RULES]. */
#define SC(ALLOW, RULES)                                                                                             \
  "{\"name\":\"x\",\"namespaces\":{},\"capabilities\":[],\"mountTypes\":[\"proc\",\"tmpfs\",\"sysfs\","   \
  "\"devpts\",\"mqueue\",\"cgroup2\"],\"seccomp\":{\"allow\":" ALLOW           \
  ",\"rules\":[" RULES "]}}"
#define MEQ(INDEX, MASK, VALUE)                                                                                      \
  "{\"index\":" #INDEX ",\"value\":" #MASK ",\"valueTwo\":" #VALUE ",\"op\":\"SCMP_CMP_MASKED_EQ\"}"

static void
test_load_errors (void **state)
{
  (void) state;
  expect_load_error ("tests/profiles/typo.json", "tests/profiles/typo.json: limits.pids.fallbak: unknown key", false);
  expect_load_error ("tests/profiles/badmap.json",
                     "tests/profiles/badmap.json: user.uidMappings[0].hostID: 0 is below user.minHostID (100000)", false);
  expect_load_error ("tests/profiles/badjson.json", "tests/profiles/badjson.json: invalid JSON: ", true);
  expect_load_error ("tests/profiles/missing.json", "tests/profiles/missing.json", true);

  /* Inline texts for the remaining checks. */
  static const struct
  {
    const char *json, *msg;
  } cases[] = {
    { "[]", "p.json: expected a JSON object, got an array" },
    { "{\"name\":\"x\",\"namespaces\":{\"new\":[\"net\"]},\"capabilities\":[],\"mountTypes\":[]}",
      "p.json: namespaces.new: [0]: unknown namespace type \"net\"" },
    { "{\"name\":\"x\",\"namespaces\":{\"new\":[\"user\"]},\"capabilities\":[],\"mountTypes\":[]}",
      "p.json: user: required when namespaces.new has \"user\"" },
    { "{\"name\":\"x\",\"namespaces\":{},\"capabilities\":[\"CAP_FOO\"],\"mountTypes\":[]}",
      "p.json: capabilities: [0]: unknown capability \"CAP_FOO\"" },
    { "{\"name\":\"x\",\"namespaces\":{},\"capabilities\":[],\"mountTypes\":[],\"limits\":{\"pids\":{\"max\":\"10\"}}}",
      "p.json: limits.pids.max: expected an integer, got a string" },
    { "{\"name\":\"x\",\"namespaces\":{},\"capabilities\":[],\"mountTypes\":[],"
      "\"seccomp\":{\"allow\":[\"read\"],\"rules\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}",
      "p.json: seccomp.rules[0]: names[0]: \"read\" is also in seccomp.allow: a syscall is either always allowed or "
      "has rules" },
    { "{\"name\":\"x\",\"namespaces\":{},\"capabilities\":[],\"mountTypes\":[],"
      "\"seccomp\":{\"allow\":[],\"rules\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}}",
      "p.json: seccomp.rules[0]: action: \"SCMP_ACT_NOTIFY\": a profile rule allows (SCMP_ACT_ALLOW), fails "
      "(SCMP_ACT_ERRNO), kills (SCMP_ACT_KILL_PROCESS) or makes an exception to seccomp.allow (\"deny\"); every "
      "other syscall is denied" },
    /* deny rules: exceptions to seccomp.allow, one MASKED_EQ each */
    { SC ("[\"read\"]", "{\"names\":[\"ioctl\"],\"action\":\"deny\",\"args\":[" MEQ (1, 4294967295, 21522) "]}"),
      "p.json: seccomp.rules[0]: names[0]: \"ioctl\" is not in seccomp.allow: a \"deny\" rule makes an exception to "
      "an allowed syscall (one not allowed is denied already)" },
    { SC ("[\"ioctl\"]", "{\"names\":[\"ioctl\"],\"action\":\"deny\"}"),
      "p.json: seccomp.rules[0]: args: a \"deny\" rule has exactly one comparison, got 0 (write one rule per "
      "exception)" },
    { SC ("[\"ioctl\"]", "{\"names\":[\"ioctl\"],\"action\":\"deny\",\"args\":[" MEQ (1, 4294967295, 21522) ","
                         MEQ (2, 1, 1) "]}"),
      "p.json: seccomp.rules[0]: args: a \"deny\" rule has exactly one comparison, got 2 (write one rule per "
      "exception)" },
    { SC ("[\"ioctl\"]", "{\"names\":[\"ioctl\"],\"action\":\"deny\",\"args\":[{\"index\":1,\"value\":21522,"
                         "\"op\":\"SCMP_CMP_EQ\"}]}"),
      "p.json: seccomp.rules[0]: args[0].op: \"SCMP_CMP_EQ\": a \"deny\" rule compares with SCMP_CMP_MASKED_EQ "
      "(value: the mask, 4294967295 for a 32-bit argument such as ioctl's cmd, whose upper half the kernel ignores; "
      "valueTwo: the masked value): a comparison of all 64 bits lets a caller slip past with the upper half set" },
    { SC ("[\"ioctl\"]", "{\"names\":[\"ioctl\"],\"action\":\"deny\",\"errnoRet\":5,\"args\":["
                         MEQ (1, 4294967295, 21522) "]}"),
      "p.json: seccomp.rules[0]: errnoRet: a \"deny\" rule is answered as every denied syscall is "
      "(seccomp.deniedErrno)" },
    { SC ("[\"ioctl\"]", "{\"names\":[\"ioctl\"],\"action\":\"deny\",\"args\":[" MEQ (1, 0, 0) "]}"),
      "p.json: seccomp.rules[0]: args[0].value: the mask is 0: the rule would deny every call (leave the syscall out "
      "of seccomp.allow instead)" },
    { SC ("[\"ioctl\"]", "{\"names\":[\"ioctl\"],\"action\":\"deny\",\"args\":[{\"index\":1,\"value\":255,"
                         "\"op\":\"SCMP_CMP_MASKED_EQ\"}]}"),
      "p.json: seccomp.rules[0]: args[0].valueTwo: required (the value of the masked bits that is denied)" },
    { SC ("[\"ioctl\"]", "{\"names\":[\"ioctl\"],\"action\":\"deny\",\"args\":[" MEQ (1, 255, 256) "]}"),
      "p.json: seccomp.rules[0]: args[0].valueTwo: 0x100 has bits outside the mask 0xff: the rule could never match" },
    { SC ("[\"ioctl\"]", "{\"names\":[\"ioctl\"],\"action\":\"deny\",\"args\":[" MEQ (1, 4294967295, 21522) "]},"
                         "{\"names\":[\"ioctl\"],\"action\":\"deny\",\"args\":[" MEQ (2, 4294967295, 1) "]}"),
      "p.json: seccomp.rules: [0] and [1]: the \"deny\" rules of \"ioctl\" compare arguments 1 and 2: the exceptions "
      "of a syscall compare one argument" },
    /* an unconditional rule would silently absorb the other rules of its syscall in libseccomp */
    { SC ("[]", "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"kill\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[" MEQ (1, 4294967295, 9) "]}"),
      "p.json: seccomp.rules: [0] and [1] both name \"kill\", and [0] has no args: libseccomp would let it override "
      "the other one" },
    { "{\"name\":\"x\",\"namespaces\":{},\"capabilities\":[],\"mountTypes\":[],"
      "\"seccomp\":{\"allow\":[],\"rules\":[{\"names\":[\"ioctl\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
      "{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_NE\"},{\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_NE\"}]}]}}",
      "p.json: seccomp.rules[0].args[1]: index: argument 1 is already compared by args[0] (one comparison per "
      "argument and rule: write two rules)" },
    { "{\"name\":\"x\",\"namespaces\":{},\"capabilities\":[],\"mountTypes\":[],"
      "\"scratch\":[{\"destination\":\"/tmp\",\"size\":\"64m,exec\"}]}",
      "p.json: scratch[0]: size: \"64m,exec\" is not a tmpfs size (digits with k, m or g)" },
    { "{\"name\":\"a/b\",\"namespaces\":{},\"capabilities\":[],\"mountTypes\":[]}",
      "p.json: name: \"a/b\": only letters, digits, '_', '.' and '-'" },
    { "{\"name\":\"x\",\"namespaces\":{},\"capabilities\":[],\"mountTypes\":[],\"limits\":{\"cpu\":"
      "{\"quota\":50000,\"period\":100000,\"fallback\":\"RLIMIT_CPU\"}}}",
      "p.json: limits.cpu: fallbackValue: required with a fallback (RLIMIT_CPU counts seconds)" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      _cleanup_error_ al_error_t err = NULL;
      struct al_profile *p = NULL;
      assert_true (al_profile_parse ("p.json", cases[i].json, strlen (cases[i].json), &p, &err) < 0);
      assert_null (p);
      assert_string_equal (err->msg, cases[i].msg);
    }
}

/* The text is exactly len bytes: no read past it, no NUL inside (found by
 * tests/fuzz/fuzz_profile.c; inputs in tests/fuzz/regress/profile/). */
static void
test_parse_len (void **state)
{
  (void) state;
  static const char text[] = "{\"name\":\"x\",\"namespaces\":{},\"capabilities\":[],\"mountTypes\":[]}";
  _cleanup_error_ al_error_t err = NULL;
  struct al_profile *p = NULL;
  /* a prefix is not the whole text */
  assert_true (al_profile_parse ("p.json", text, 12, &p, &err) < 0);
  assert_null (p);
  assert_non_null (strstr (err->msg, "p.json: invalid JSON"));
  al_error_free (&err);
  char *nul = malloc (sizeof text + 8);
  memcpy (nul, text, sizeof text); /* with its NUL, then more */
  memcpy (nul + sizeof text, "{\"x\":1}", 7);
  assert_true (al_profile_parse ("p.json", nul, sizeof text + 7, &p, &err) < 0);
  assert_string_equal (err->msg, "p.json: invalid JSON: a NUL byte at offset 62");
  al_error_free (&err);
  assert_int_equal (al_profile_parse ("p.json", nul, sizeof text - 1, &p, &err), 0);
  al_profile_free (p);
  free (nul);
}

/* A document nested 400000 deep (under the size limit) is refused, not
 * parsed: yajl_tree_free recursed once per level and overflowed the stack. */
static void
test_parse_deep (void **state)
{
  (void) state;
  size_t n = 400000;
  char *text = malloc (2 * n);
  memset (text, '[', n);
  memset (text + n, ']', n);
  _cleanup_error_ al_error_t err = NULL;
  struct al_profile *p = NULL;
  assert_true (al_profile_parse ("p.json", text, 2 * n, &p, &err) < 0);
  assert_string_equal (err->msg, "p.json: invalid JSON: nesting deeper than 64 levels");
  free (text);
}

/* ----------------------------------------------------------- applying -- */

static void
test_apply_default (void **state)
{
  (void) state;
  _cleanup_profile_ struct al_profile *p = load ("untrusted");
  _cleanup_spec_ struct oci_spec *s = default_spec ();
  _cleanup_error_ al_error_t err = NULL;
  struct al_profile_report rep;
  assert_false (s->linux_->seccomp);
  size_t n_mounts = s->n_mounts;

  assert_int_equal (al_profile_apply (p, s, NULL, &rep, &err), 0);

  /* Every namespace new, a user namespace mapped to the unprivileged range. */
  static const enum oci_ns_type want[] = { OCI_NS_PID, OCI_NS_NETWORK, OCI_NS_IPC, OCI_NS_UTS,
                                           OCI_NS_MOUNT, OCI_NS_CGROUP, OCI_NS_USER };
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    {
      const struct oci_namespace *ns = oci_spec_namespace (s, want[i]);
      assert_non_null (ns);
      assert_null (ns->path);
    }
  assert_int_equal (s->linux_->n_namespaces, 7);
  /* No fixed mappings: create gives each container a slot of the id pool
     (tests/test_idpool.c). */
  assert_int_equal (s->linux_->n_uid_mappings, 0);
  assert_int_equal (s->linux_->n_gid_mappings, 0);
  uint32_t start, size, slots;
  assert_true (al_profile_id_pool (p, &start, &size, &slots));
  assert_int_equal (start, 0x70000000);
  assert_int_equal (size, 65536);
  assert_int_equal (slots, 4094);

  /* Read-only rootfs, a size-limited tmpfs scratch dir, nosuid everywhere. */
  assert_true (s->root_readonly);
  assert_int_equal (s->n_mounts, n_mounts + 1);
  const struct oci_mount *tmp = mount_at (s, "/tmp");
  assert_non_null (tmp);
  assert_string_equal (tmp->type, "tmpfs");
  /* nr_inodes from the memory limit (256 MiB / 16 KiB); its size= is below
     the limit and stays. */
  assert_int_equal (al_strv_len (tmp->options), 6);
  assert_string_equal (tmp->options[5], "nr_inodes=16384");
  assert_string_equal (tmp->options[0], "nosuid");
  assert_string_equal (tmp->options[1], "nodev");
  assert_string_equal (tmp->options[2], "noexec");
  assert_string_equal (tmp->options[3], "mode=1777");
  assert_string_equal (tmp->options[4], "size=64m");
  for (size_t i = 0; i < s->n_mounts; i++)
    assert_true (strv_has (s->mounts[i].options, "nosuid"));
  assert_true (strv_has (mount_at (s, "/sys")->options, "ro"));
  assert_true (strv_has (mount_at (s, "/sys/fs/cgroup")->options, "ro"));

  /* No capabilities at all, no_new_privs. */
  const struct oci_capabilities *c = &s->process->capabilities;
  assert_int_equal (c->bounding.n + c->effective.n + c->permitted.n + c->inheritable.n + c->ambient.n, 0);
  assert_true (c->bounding.present && c->effective.present && c->permitted.present && c->inheritable.present
               && c->ambient.present);
  assert_int_equal (rep.caps_dropped, 3);
  assert_true (s->process->no_new_privileges);

  /* The allow-list: without a monitor denied syscalls fail with deniedErrno. */
  const struct oci_seccomp *sc = s->linux_->seccomp;
  assert_non_null (sc);
  assert_string_equal (sc->default_action, "SCMP_ACT_ERRNO");
  assert_true (sc->has_default_errno_ret);
  assert_int_equal (sc->default_errno_ret, EPERM);
  assert_false (rep.seccomp_notify);
  assert_false (rep.seccomp_replaced);
  assert_int_equal (rep.denied_errno, EPERM);
  assert_string_equal (sc->syscalls[0].action, "SCMP_ACT_ALLOW");
  assert_int_equal (sc->syscalls[0].n_args, 0);
  static const char *const allowed[] = { "read", "write", "openat", "execve", "exit_group", "mmap", "futex",
                                         "rt_sigaction", "wait4", "newfstatat", "getrandom", NULL };
  for (const char *const *n = allowed; *n; n++)
    assert_true (strv_has (sc->syscalls[0].names, *n));
  static const char *const denied[] = { "mount", "umount2", "ptrace", "bpf", "keyctl", "add_key", "request_key",
                                        "unshare", "setns", "init_module", "finit_module", "delete_module",
                                        "kexec_load", "kexec_file_load", "reboot", "swapon", "swapoff",
                                        "open_by_handle_at", "perf_event_open", "userfaultfd", "pivot_root",
                                        "chroot", "process_vm_readv", "process_vm_writev", "io_uring_setup",
                                        "fsopen", "move_mount", "open_tree", "acct", "settimeofday", "syslog",
                                        "iopl", "ioperm", "modify_ldt", "quotactl", "name_to_handle_at",
                                        "memfd_create", NULL };
  for (const char *const *n = denied; *n; n++)
    if (rule_for (sc, *n))
      fail_msg ("%s is allowed by the untrusted profile", *n);
  /* Installing a filter is refused (seccomp: two ops allowed; prctl: all
     but PR_SET_SECCOMP), and so is terminal injection (ioctl: all but
     TIOCSTI and TIOCLINUX), on the low 32 bits of the argument only. */
  static const struct
  {
    const char *name;
    uint64_t value;
    bool allowed;
  } args[] = {
    { "seccomp", SECCOMP_SET_MODE_STRICT, false },
    { "seccomp", SECCOMP_SET_MODE_FILTER, false },
    { "seccomp", SECCOMP_SET_MODE_FILTER | (1ull << 32), false },
    { "seccomp", SECCOMP_GET_ACTION_AVAIL, true },
    { "seccomp", SECCOMP_GET_NOTIF_SIZES | (7ull << 32), true },
    { "seccomp", 4, false },
    { "prctl", PR_SET_SECCOMP, false },
    { "prctl", PR_SET_SECCOMP | (1ull << 32), false },
    { "prctl", PR_SET_SECCOMP | (0xffffffffull << 32), false },
    { "prctl", PR_SET_NAME, true },
    { "prctl", PR_SET_NO_NEW_PRIVS, true },
    { "prctl", PR_SET_SECCOMP + 1, true },
    { "prctl", 0x53564d41 /* PR_SET_VMA */, true },
    { "ioctl", TIOCSTI, false },
    { "ioctl", TIOCSTI | (1ull << 32), false },
    { "ioctl", TIOCLINUX, false },
    { "ioctl", TIOCLINUX | (0x80000000ull << 32), false },
    { "ioctl", TCGETS, true },
    { "ioctl", TIOCGWINSZ, true },
    { "ioctl", FIONREAD, true },
    { "ioctl", TIOCSTI + 1, true },
    { "ioctl", TIOCSTI ^ 0x80000000u, true },
    { "ioctl", 0, true },
    { "ioctl", 0xffffffff, true },
  };
  for (size_t i = 0; i < sizeof args / sizeof args[0]; i++)
    {
      size_t matches = 0, index = args[i].name[0] == 'i' ? 1 : 0;
      for (size_t k = 0; k < sc->n_syscalls; k++)
        {
          const struct oci_seccomp_syscall *e = &sc->syscalls[k];
          if (!strv_has (e->names, args[i].name))
            continue;
          assert_string_equal (e->action, "SCMP_ACT_ALLOW");
          assert_true (e->n_args > 0);
          for (size_t j = 0; j < e->n_args; j++)
            {
              assert_string_equal (e->args[j].op, "SCMP_CMP_MASKED_EQ");
              assert_int_equal (e->args[j].index, index);
              assert_int_equal (e->args[j].value >> 32, 0); /* the kernel's 32 bits only */
              matches += (args[i].value & e->args[j].value) == e->args[j].value_two;
            }
        }
      if (matches != (args[i].allowed ? 1 : 0))
        fail_msg ("%s(%#" PRIx64 "): %zu allowing comparisons, expected %d", args[i].name, args[i].value, matches,
                  args[i].allowed);
    }
  assert_true (sc->foreign_abi_denied);
  /* Sockets: only AF_UNIX. clone: no namespace flags. clone3: ENOSYS. */
  const struct oci_seccomp_syscall *sock = rule_for (sc, "socket");
  assert_non_null (sock);
  assert_int_equal (sock->n_args, 1);
  assert_int_equal (sock->args[0].index, 0);
  assert_int_equal (sock->args[0].value, 0xffffffff);
  assert_int_equal (sock->args[0].value_two, AF_UNIX);
  assert_string_equal (sock->args[0].op, "SCMP_CMP_MASKED_EQ");
  const struct oci_seccomp_syscall *cl = rule_for (sc, "clone");
  assert_string_equal (cl->args[0].op, "SCMP_CMP_MASKED_EQ");
  assert_int_equal (cl->args[0].value, CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                                           | CLONE_NEWPID | CLONE_NEWNET);
  assert_int_equal (cl->args[0].value_two, 0);
  const struct oci_seccomp_syscall *cl3 = rule_for (sc, "clone3");
  assert_string_equal (cl3->action, "SCMP_ACT_ERRNO");
  assert_int_equal (cl3->errno_ret, ENOSYS);

  /* No controller here (host NULL): every limit through its rlimit fallback. */
  assert_int_equal (rep.pids, AL_ENFORCE_RLIMIT);
  assert_int_equal (rep.pids_limit, 128);
  assert_int_equal (rep.memory, AL_ENFORCE_RLIMIT);
  assert_int_equal (rep.memory_limit, 256 * MIB);
  assert_int_equal (rep.cpu, AL_ENFORCE_RLIMIT);
  assert_int_equal (rep.cpu_rlimit, 30);
  assert_string_equal (al_enforcement_name (rep.pids), "rlimit");
  assert_int_equal (rlimit_of (s, RLIMIT_NPROC)->hard, 128);
  assert_int_equal (rlimit_of (s, RLIMIT_AS)->soft, 256 * MIB);
  assert_int_equal (rlimit_of (s, RLIMIT_CPU)->hard, 30);
  assert_int_equal (rlimit_of (s, RLIMIT_NOFILE)->hard, 1024);
  assert_int_equal (rlimit_of (s, RLIMIT_CORE)->hard, 0);
  assert_true (s->linux_->resources == NULL || !s->linux_->resources->pids.present);
  assert_int_equal (rep.timeout_ms, 30000);

  /* Masked and read-only paths added, none twice. */
  assert_true (strv_has (s->linux_->masked_paths, "/proc/kallsyms"));
  assert_true (strv_has (s->linux_->masked_paths, "/sys/kernel"));
  assert_int_equal (strv_count (s->linux_->masked_paths, "/proc/kcore"), 1);
  assert_int_equal (strv_count (s->linux_->readonly_paths, "/proc/sys"), 1);

  /* The result compiles into a filter. */
  struct al_seccomp *f = NULL;
  assert_int_equal (al_seccomp_prepare (sc, &f, &err), 0);
  al_seccomp_free (f);

  /* Applying again changes nothing (exec re-applies the profile). */
  size_t nm = s->n_mounts, nns = s->linux_->n_namespaces, nrl = s->process->n_rlimits;
  size_t nmask = al_strv_len (s->linux_->masked_paths);
  assert_int_equal (al_profile_apply (p, s, NULL, &rep, &err), 0);
  assert_int_equal (s->n_mounts, nm);
  assert_int_equal (s->linux_->n_namespaces, nns);
  assert_int_equal (s->process->n_rlimits, nrl);
  assert_int_equal (al_strv_len (s->linux_->masked_paths), nmask);
  assert_int_equal (al_strv_len (mount_at (s, "/tmp")->options), 6);
  assert_true (rep.seccomp_replaced);

  /* No memory controller: SysV shm bounded in the new IPC namespace from
     the memory limit (RLIMIT_AS 256 MiB), the same after applying twice. */
  size_t nsys = s->linux_->n_sysctl;
  assert_int_equal (al_profile_apply (p, s, NULL, &rep, &err), 0);
  assert_int_equal (s->linux_->n_sysctl, nsys);
  assert_true (rep.memory_no_controller);
  assert_true (rep.ipc_bounded);
  assert_int_equal (rep.ipc_shmmax, 268435456);
  const char *shmmax = NULL, *rmid = NULL;
  for (size_t i = 0; i < s->linux_->n_sysctl; i++)
    {
      if (strcmp (s->linux_->sysctl[i].key, "kernel.shmmax") == 0)
        shmmax = s->linux_->sysctl[i].value;
      if (strcmp (s->linux_->sysctl[i].key, "kernel.shm_rmid_forced") == 0)
        rmid = s->linux_->sysctl[i].value;
    }
  assert_non_null (shmmax);
  assert_string_equal (shmmax, "268435456");
  assert_non_null (rmid);
  assert_string_equal (rmid, "1");
  assert_true (rep.tmpfs_sized >= 1);
}

static void
test_apply_cgroup_and_monitor (void **state)
{
  (void) state;
  _cleanup_profile_ struct al_profile *p = load ("untrusted");
  _cleanup_spec_ struct oci_spec *s = default_spec ();
  _cleanup_error_ al_error_t err = NULL;
  struct al_profile_host host = { 0 };
  al_profile_host_from_controllers ("cpuset cpu io memory hugetlb pids rdma misc\n", &host);
  assert_true (host.cgroup_pids && host.cgroup_memory && host.cgroup_cpu);
  host.monitor = true;
  struct al_profile_report rep;
  assert_int_equal (al_profile_apply (p, s, &host, &rep, &err), 0);

  const struct oci_resources *res = s->linux_->resources;
  assert_true (res->pids.present);
  assert_int_equal (res->pids.limit, 128);
  assert_true (res->memory.has_limit);
  assert_int_equal (res->memory.limit, 256 * MIB);
  assert_int_equal (res->cpu.quota, 100000);
  assert_int_equal (res->cpu.period, 100000);
  assert_int_equal (rep.pids, AL_ENFORCE_CGROUP);
  assert_int_equal (rep.memory, AL_ENFORCE_CGROUP);
  assert_int_equal (rep.cpu, AL_ENFORCE_CGROUP);
  assert_string_equal (al_enforcement_name (rep.cpu), "cgroup");
  assert_null (rlimit_of (s, RLIMIT_NPROC));
  assert_null (rlimit_of (s, RLIMIT_AS));
  assert_null (rlimit_of (s, RLIMIT_CPU));
  assert_int_equal (rlimit_of (s, RLIMIT_NOFILE)->hard, 1024);

  assert_string_equal (s->linux_->seccomp->default_action, "SCMP_ACT_NOTIFY");
  assert_true (rep.seccomp_notify);
  if (seccomp_api_get () >= 5) /* not under valgrind, which hides seccomp(2): see seccomp_api_get(3) */
    {
      struct al_seccomp *f = NULL;
      assert_int_equal (al_seccomp_prepare (s->linux_->seccomp, &f, &err), 0);
      al_seccomp_free (f);
    }

  /* "pids" alone is not "cpu": words, not substrings. */
  al_profile_host_from_controllers ("cpuset hugetlb", &host);
  assert_false (host.cgroup_cpu || host.cgroup_pids || host.cgroup_memory);
  al_profile_host_from_controllers (NULL, &host);
  assert_false (host.cgroup_cpu);
}

static void
test_never_loosen (void **state)
{
  (void) state;
  _cleanup_profile_ struct al_profile *p = load ("untrusted");
  _cleanup_error_ al_error_t err = NULL;
  struct al_profile_report rep;
  struct al_profile_host host = { .cgroup_pids = true, .cgroup_memory = true, .cgroup_cpu = true };

  /* Stricter limits of the config stay. */
  _cleanup_spec_ struct oci_spec *s = variant (
      ",{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"size=1g\",\"exec\"]}"
      ",{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/usr/share\",\"options\":[\"rbind\",\"ro\"]}",
      ",\"resources\":{\"pids\":{\"limit\":10},\"memory\":{\"limit\":67108864},"
      "\"cpu\":{\"quota\":25000,\"period\":50000}}",
      ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":256,\"soft\":64}]");
  assert_int_equal (al_profile_apply (p, s, &host, &rep, &err), 0);
  const struct oci_resources *res = s->linux_->resources;
  assert_int_equal (res->pids.limit, 10);
  assert_int_equal (rep.pids_limit, 10);
  assert_int_equal (res->memory.limit, 64 * MIB);
  assert_int_equal (res->cpu.quota, 25000); /* half a CPU < one CPU */
  assert_int_equal (res->cpu.period, 50000);
  assert_int_equal (rlimit_of (s, RLIMIT_NOFILE)->hard, 256);
  assert_int_equal (rlimit_of (s, RLIMIT_NOFILE)->soft, 64);
  /* CAP_KILL asked for, none kept: the profile allows none. */
  assert_int_equal (s->process->capabilities.bounding.n, 0);
  assert_int_equal (rep.caps_dropped, 2);
  /* The config's own /tmp tmpfs gets the profile's size bound. */
  const struct oci_mount *tmp = mount_at (s, "/tmp");
  assert_true (strv_has (tmp->options, "size=64m"));
  assert_false (strv_has (tmp->options, "size=1g"));
  assert_false (strv_has (tmp->options, "exec"));
  assert_true (strv_has (tmp->options, "noexec"));
  assert_int_equal (s->n_mounts, 5); /* replaced, not added */
  /* A read-only recursive bind: read-only, nosuid, nodev all the way down. */
  const struct oci_mount *data = mount_at (s, "/data");
  assert_true (strv_has (data->options, "rro"));
  assert_true (strv_has (data->options, "rnosuid"));
  assert_true (strv_has (data->options, "rnodev"));

  /* Looser limits of the config are lowered; unlimited (-1) too. */
  _cleanup_spec_ struct oci_spec *l = variant ("",
                                               ",\"resources\":{\"pids\":{\"limit\":-1},\"memory\":{\"limit\":"
                                               "8589934592},\"cpu\":{\"quota\":400000,\"period\":100000}}",
                                               ",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":65536,\"soft\":"
                                               "65536}]");
  assert_int_equal (al_profile_apply (p, l, &host, &rep, &err), 0);
  assert_int_equal (l->linux_->resources->pids.limit, 128);
  assert_int_equal (l->linux_->resources->memory.limit, 256 * MIB);
  assert_int_equal (l->linux_->resources->cpu.quota, 100000);
  assert_int_equal (rlimit_of (l, RLIMIT_NOFILE)->hard, 1024);

  /* Fallback rlimits keep a stricter config value too. */
  _cleanup_spec_ struct oci_spec *r = variant ("", "", ",\"rlimits\":[{\"type\":\"RLIMIT_NPROC\",\"hard\":5,\"soft\":5}]");
  assert_int_equal (al_profile_apply (p, r, NULL, &rep, &err), 0);
  assert_int_equal (rlimit_of (r, RLIMIT_NPROC)->hard, 5);
  assert_int_equal (rep.pids, AL_ENFORCE_RLIMIT);
  assert_int_equal (rep.pids_limit, 5);

  /* A config with its own user namespace mappings in the allowed range keeps them. */
  _cleanup_spec_ struct oci_spec *u = variant (
      "", ",\"uidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":1000}],"
          "\"gidMappings\":[{\"containerID\":0,\"hostID\":200000,\"size\":1000}]",
      "");
  assert_int_equal (al_profile_apply (p, u, NULL, &rep, &err), 0);
  assert_int_equal (u->linux_->uid_mappings[0].host_id, 200000);
  assert_int_equal (u->linux_->uid_mappings[0].size, 1000);
}

/* The config is refused with `msg`, and left exactly as it was. */
static void
expect_refused (const struct al_profile *p, const char *mounts, const char *linux_extra, const char *msg)
{
  _cleanup_spec_ struct oci_spec *s = variant (mounts, linux_extra, "");
  _cleanup_error_ al_error_t err = NULL;
  size_t nm = s->n_mounts, nns = s->linux_->n_namespaces, ncap = s->process->capabilities.bounding.n;
  assert_true (al_profile_apply (p, s, NULL, NULL, &err) < 0);
  assert_string_equal (err->msg, msg);
  assert_int_equal (s->n_mounts, nm);
  assert_int_equal (s->linux_->n_namespaces, nns);
  assert_int_equal (s->process->capabilities.bounding.n, ncap);
  assert_null (s->linux_->seccomp);
  assert_false (s->root_readonly);
  assert_int_equal (s->process->n_rlimits, 0);
}

static void
test_refusals (void **state)
{
  (void) state;
  _cleanup_profile_ struct al_profile *p = load ("untrusted");
  _cleanup_spec_ struct oci_spec *s = default_spec ();
  _cleanup_error_ al_error_t err = NULL;

  /* The default config with the host's network namespace joined. */
  free (s->linux_->namespaces[1].path);
  assert_int_equal (s->linux_->namespaces[1].type, OCI_NS_NETWORK);
  s->linux_->namespaces[1].path = al_xstrdup ("/proc/1/ns/net");
  assert_true (al_profile_apply (p, s, NULL, NULL, &err) < 0);
  assert_string_equal (err->msg, "profile \"untrusted\": linux.namespaces[1]: joins the host's network namespace "
                                 "(/proc/1/ns/net): the profile needs a new one");
  assert_int_equal (s->linux_->n_namespaces, 6);
  assert_null (s->linux_->seccomp);

  expect_refused (p, ",{\"destination\":\"/etc\",\"type\":\"bind\",\"source\":\"/etc\",\"options\":[\"rbind\"]}", "",
                  "profile \"untrusted\": mounts[3] (/etc -> /etc): a writable bind mount of a host path: the profile "
                  "allows host paths read-only only (add \"ro\")");
  expect_refused (p, ",{\"destination\":\"/etc\",\"source\":\"/etc\",\"options\":[\"bind\",\"ro\",\"rw\"]}", "",
                  "profile \"untrusted\": mounts[3] (/etc -> /etc): a writable bind mount of a host path: the profile "
                  "allows host paths read-only only (add \"ro\")");
  expect_refused (p, ",{\"destination\":\"/host\",\"type\":\"none\",\"source\":\"/\",\"options\":[\"rbind\",\"rw\"]}",
                  "",
                  "profile \"untrusted\": mounts[3] (/ -> /host): a writable bind mount of a host path: the profile "
                  "allows host paths read-only only (add \"ro\")");
  expect_refused (p, ",{\"destination\":\"/host\",\"type\":\"bind\",\"source\":\"/\",\"options\":[\"rbind\",\"ro\"]}",
                  "",
                  "profile \"untrusted\": mounts[3] (/ -> /host): a recursive bind of / would bring /proc, which the "
                  "profile keeps from containers");
  expect_refused (p,
                  ",{\"destination\":\"/s\",\"type\":\"bind\",\"source\":\"/run/airlock/\",\"options\":[\"ro\"]}", "",
                  "profile \"untrusted\": mounts[3] (/run/airlock/ -> /s): binds /run, which the profile keeps from "
                  "containers");
  expect_refused (p, ",{\"destination\":\"/d\",\"type\":\"ext4\",\"source\":\"/dev/sda1\"}", "",
                  "profile \"untrusted\": mounts[3] (/dev/sda1 -> /d): mount type \"ext4\" is not allowed by the profile "
                  "(allowed: proc, sysfs, tmpfs, devpts, mqueue, cgroup, cgroup2, and read-only binds)");
  expect_refused (p, "", ",\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229}]",
                  "profile \"untrusted\": linux.devices[0] (/dev/fuse c 10:229): not one of the profile's devices");
  expect_refused (p, "", ",\"devices\":[{\"path\":\"/dev/mynull\",\"type\":\"c\",\"major\":1,\"minor\":3}]",
                  "profile \"untrusted\": linux.devices[0] (/dev/mynull c 1:3): not one of the profile's devices");
  expect_refused (p, "",
                  ",\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"access\":"
                  "\"rwm\"}]}",
                  "profile \"untrusted\": linux.resources.devices[1]: allows \"rwm\" access to a *:*: not one of the "
                  "profile's devices");
  expect_refused (p, "",
                  ",\"uidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":65536}],"
                  "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}]",
                  "profile \"untrusted\": linux.uidMappings[0]: maps host ids 0-65535: the profile allows only host ids "
                  "from 100000");
  expect_refused (p, "",
                  ",\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
                  "\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536},"
                  "{\"containerID\":65536,\"hostID\":5,\"size\":1}]",
                  "profile \"untrusted\": linux.gidMappings[1]: maps host ids 5-5: the profile allows only host ids "
                  "from 100000");
  expect_refused (p, "", ",\"resources\":{\"unified\":{\"memory.max\":\"max\"}}",
                  "profile \"untrusted\": linux.resources.unified[\"memory.max\"]: the profile sets this limit itself "
                  "(use linux.resources.pids, memory or cpu)");

  /* mknod-only wildcard rules (runc's and podman's defaults) are fine. */
  _cleanup_spec_ struct oci_spec *ok = variant (
      "", ",\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"access\":"
          "\"m\"},{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}",
      "");
  assert_int_equal (al_profile_apply (p, ok, NULL, NULL, &err), 0);
}

/* A child holding a new network namespace, for "joins an existing one". */
static pid_t
netns_child (char *path, size_t len)
{
  int pfd[2];
  assert_int_equal (pipe (pfd), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (pfd[0]);
      char c = unshare (CLONE_NEWNET) == 0 ? 'y' : 'n';
      if (write (pfd[1], &c, 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  close (pfd[1]);
  char c = 0;
  assert_int_equal (read (pfd[0], &c, 1), 1);
  close (pfd[0]);
  if (c != 'y')
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return -1;
    }
  snprintf (path, len, "/proc/%d/ns/net", (int) pid);
  return pid;
}

static void
test_join_existing (void **state)
{
  (void) state;
  char path[64];
  pid_t child = netns_child (path, sizeof path);
  if (child < 0)
    skip ();
  _cleanup_profile_ struct al_profile *p = load ("untrusted");
  _cleanup_error_ al_error_t err = NULL;
  _cleanup_profile_ struct al_profile *pod = NULL;
  assert_int_equal (al_profile_load ("tests/profiles/pod.json", &pod, &err), 0);

  _cleanup_free_ char *ns = al_xasprintf (",{\"type\":\"ipc\",\"path\":\"%s\"}", path);
  _cleanup_spec_ struct oci_spec *s = spec_from (
      "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
      "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"network\",\"path\":\"/x\"}]}}");
  free (s->linux_->namespaces[2].path);
  s->linux_->namespaces[2].path = al_xstrdup (path);

  assert_true (al_profile_apply (p, s, NULL, NULL, &err) < 0);
  _cleanup_free_ char *want = al_xasprintf (
      "profile \"untrusted\": linux.namespaces[2]: joins an existing network namespace (%s): the profile needs a new one",
      path);
  assert_string_equal (err->msg, want);
  al_error_free (&err);

  /* A profile that lets pods share their network namespace accepts it, and
     keeps the capabilities it lists, nothing more. */
  struct al_profile_report rep;
  assert_int_equal (al_profile_apply (pod, s, NULL, &rep, &err), 0);
  assert_string_equal (oci_spec_namespace (s, OCI_NS_NETWORK)->path, path);
  assert_null (s->linux_->seccomp);
  assert_int_equal (rep.pids, AL_ENFORCE_NONE); /* no controller, no fallback */

  /* ...but never the host's. */
  free (s->linux_->namespaces[2].path);
  s->linux_->namespaces[2].path = al_xstrdup ("/proc/self/ns/net");
  assert_true (al_profile_apply (pod, s, NULL, NULL, &err) < 0);
  assert_string_equal (err->msg, "profile \"pod\": linux.namespaces[2]: joins the host's network namespace "
                                 "(/proc/self/ns/net): the profile needs a new one");

  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
}

/* A child holding new network, IPC and UTS namespaces: a pod's sandbox. */
static pid_t
pod_child (void)
{
  int pfd[2];
  assert_int_equal (pipe (pfd), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (pfd[0]);
      char c = unshare (CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0 ? 'y' : 'n';
      if (write (pfd[1], &c, 1) != 1)
        _exit (1);
      pause ();
      _exit (0);
    }
  close (pfd[1]);
  char c = 0;
  assert_int_equal (read (pfd[0], &c, 1), 1);
  close (pfd[0]);
  if (c != 'y')
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      return -1;
    }
  return pid;
}

/* untrusted-pod: what containerd's CRI gives a pod container (the sandbox's
   network, IPC and UTS namespaces by path, writable binds of the pod's
   files) is accepted and tightened: a user namespace of its own (the shim's
   podns.c gives the pod's instead), idmapped binds read-only, the others
   kept writable for the pool's unprivileged ids (writableBinds "userns");
   the host's namespaces still are not. */
static void
test_untrusted_pod (void **state)
{
  (void) state;
  pid_t child = pod_child ();
  if (child < 0)
    skip ();
  _cleanup_profile_ struct al_profile *p = load ("untrusted-pod");
  _cleanup_error_ al_error_t err = NULL;
  _cleanup_free_ char *j = al_xasprintf (
      "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
      "\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
      "{\"destination\":\"/etc/hosts\",\"type\":\"bind\",\"source\":\"/var/lib/containerd/x/hosts\","
      "\"options\":[\"rbind\",\"rprivate\",\"rw\"]},"
      "{\"destination\":\"/dev/termination-log\",\"type\":\"bind\",\"source\":\"/var/lib/kubelet/pods/u/c/t\","
      "\"options\":[\"ro\",\"rw\",\"bind\",\"idmap\"]}],"
      "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},"
      "{\"type\":\"network\",\"path\":\"/proc/%d/ns/net\"},{\"type\":\"ipc\",\"path\":\"/proc/%d/ns/ipc\"},"
      "{\"type\":\"uts\",\"path\":\"/proc/%d/ns/uts\"}],"
      "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
      "{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rwm\"}]}}}",
      (int) child, (int) child, (int) child);
  _cleanup_spec_ struct oci_spec *s = spec_from (j);
  int r = al_profile_apply (p, s, NULL, NULL, &err);
  if (r < 0)
    fail_msg ("apply: %s", err->msg);
  /* Joined, not replaced; a new user namespace (the pool's). */
  assert_non_null (oci_spec_namespace (s, OCI_NS_NETWORK)->path);
  assert_non_null (oci_spec_namespace (s, OCI_NS_IPC)->path);
  assert_non_null (oci_spec_namespace (s, OCI_NS_UTS)->path);
  assert_non_null (oci_spec_namespace (s, OCI_NS_USER));
  assert_null (oci_spec_namespace (s, OCI_NS_USER)->path);
  assert_non_null (oci_spec_namespace (s, OCI_NS_CGROUP));
  /* The idmapped bind is read-only now, whatever the order of options; the
     other stays writable (for the pool's ids), nosuid and nodev. */
  for (size_t i = 1; i < 3; i++)
    {
      bool ro = false, rw = false, nosuid = false;
      for (size_t k = 0; s->mounts[i].options[k]; k++)
        {
          rw = rw || strcmp (s->mounts[i].options[k], "rw") == 0;
          ro = ro || strcmp (s->mounts[i].options[k], "ro") == 0;
          nosuid = nosuid || strcmp (s->mounts[i].options[k], "nosuid") == 0;
        }
      assert_true (nosuid);
      assert_true (i == 2 ? ro && !rw : rw && !ro);
    }
  assert_true (s->root_readonly);
  assert_non_null (s->linux_->seccomp);

  /* The host's namespaces stay refused. */
  _cleanup_spec_ struct oci_spec *h = spec_from (
      "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"},"
      "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"ipc\",\"path\":\"/proc/1/ns/ipc\"}]}}");
  assert_true (al_profile_apply (p, h, NULL, NULL, &err) < 0);
  assert_string_equal (err->msg, "profile \"untrusted-pod\": linux.namespaces[2]: joins the host's ipc namespace "
                                 "(/proc/1/ns/ipc): the profile needs a new one");
  al_error_free (&err);

  /* Host secrets stay out even read-only; and the runtime's sockets. */
  _cleanup_spec_ struct oci_spec *d = variant (
      ",{\"destination\":\"/s\",\"type\":\"bind\",\"source\":\"/run/containerd/containerd.sock\",\"options\":[\"rw\"]}",
      "", "");
  assert_true (al_profile_apply (p, d, NULL, NULL, &err) < 0);
  assert_string_equal (err->msg, "profile \"untrusted-pod\": mounts[3] (/run/containerd/containerd.sock -> /s): binds "
                                 "/run/containerd/containerd.sock, which the profile keeps from containers");
  kill (child, SIGKILL);
  waitpid (child, NULL, 0);
}

/* writableBinds takes "refuse" or "readonly"; device minors -1 = all. */
static void
test_writable_binds_and_wildcard_devices (void **state)
{
  (void) state;
  static const char base[] = "{\"name\":\"t\",\"namespaces\":{\"new\":[\"mount\"]},\"capabilities\":[],"
                             "\"mountTypes\":[\"proc\"]";
  _cleanup_error_ al_error_t err = NULL;
  struct al_profile *p = NULL;
  _cleanup_free_ char *bad = al_xasprintf ("%s,\"writableBinds\":\"sometimes\"}", base);
  assert_true (al_profile_parse ("t.json", bad, strlen (bad), &p, &err) < 0);
  assert_string_equal (err->msg, "t.json: writableBinds: \"sometimes\": expected \"refuse\", \"readonly\" or \"userns\"");
  al_error_free (&err);
  _cleanup_free_ char *badmin = al_xasprintf (
      "%s,\"devices\":[{\"path\":\"/dev/pts/*\",\"type\":\"c\",\"major\":136,\"minor\":-2}]}", base);
  assert_true (al_profile_parse ("t.json", badmin, strlen (badmin), &p, &err) < 0);
  al_error_free (&err);

  /* untrusted: the pty slaves (c 136:*) may be opened, /dev/net/tun not; a
     writable bind is refused (writableBinds defaults to "refuse"). */
  _cleanup_profile_ struct al_profile *u = load ("untrusted");
  _cleanup_spec_ struct oci_spec *ok = variant (
      "", ",\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rwm\"}]}", "");
  if (al_profile_apply (u, ok, NULL, NULL, &err) < 0)
    fail_msg ("apply: %s", err->msg);
  _cleanup_spec_ struct oci_spec *tun = variant (
      "", ",\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":200,\"access\":\"rwm\"}]}",
      "");
  assert_true (al_profile_apply (u, tun, NULL, NULL, &err) < 0);
  assert_string_equal (err->msg, "profile \"untrusted\": linux.resources.devices[0]: allows \"rwm\" access to c 10:200: "
                                 "not one of the profile's devices");
  al_error_free (&err);
  _cleanup_spec_ struct oci_spec *pts = variant (
      "", ",\"devices\":[{\"path\":\"/dev/pts/0\",\"type\":\"c\",\"major\":136,\"minor\":0}]", "");
  assert_true (al_profile_apply (u, pts, NULL, NULL, &err) < 0);
  assert_string_equal (err->msg, "profile \"untrusted\": linux.devices[0] (/dev/pts/0 c 136:0): not one of the profile's "
                                 "devices");
}

static void
test_apply_process (void **state)
{
  (void) state;
  _cleanup_profile_ struct al_profile *p = load ("untrusted");
  _cleanup_spec_ struct oci_spec *s = default_spec ();
  struct oci_process *proc = s->process;
  proc->no_new_privileges = false;
  assert_int_equal (al_profile_apply_process (p, proc, NULL), 0);
  assert_true (proc->no_new_privileges);
  assert_int_equal (proc->capabilities.permitted.n, 0);
  assert_int_equal (rlimit_of (s, RLIMIT_NPROC)->hard, 128);
  assert_int_equal (rlimit_of (s, RLIMIT_NOFILE)->hard, 1024);
}

/* ------------------------------------------------ the filter, for real -- */

static int
send_fd (int sock, int fd)
{
  char c = 'f';
  struct iovec iov = { .iov_base = &c, .iov_len = 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *cm = CMSG_FIRSTHDR (&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof (int));
  return sendmsg (sock, &msg, 0) == 1 ? 0 : -1;
}

static int
recv_fd (int sock)
{
  char c;
  struct iovec iov = { .iov_base = &c, .iov_len = 1 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  if (recvmsg (sock, &msg, 0) != 1)
    return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR (&msg);
  if (cm == NULL || cm->cmsg_type != SCM_RIGHTS)
    return -1;
  int fd;
  memcpy (&fd, CMSG_DATA (cm), sizeof (int));
  return fd;
}

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

/* Deny rules with assorted masks on one argument: the compiled allows
 * cover exactly the values no deny rule matches, each once (disjoint). */
static void
test_deny_complement (void **state)
{
  (void) state;
  static const char text[] = SC ("[\"read\", \"kill\"]",
                                 "{\"names\":[\"kill\"],\"action\":\"deny\",\"args\":[" MEQ (1, 255, 9) "]},"
                                 "{\"names\":[\"kill\"],\"action\":\"deny\",\"args\":[" MEQ (1, 61680, 4112) "]},"
                                 "{\"names\":[\"kill\"],\"action\":\"deny\",\"args\":["
                                 MEQ (1, 4611686018427387904, 4611686018427387904) "]},"
                                 "{\"names\":[\"kill\"],\"action\":\"deny\",\"args\":[" MEQ (1, 4294967295, 21522) "]},"
                                 "{\"names\":[\"kill\"],\"action\":\"deny\",\"args\":[" MEQ (1, 4294967295, 21522) "]}");
  static const struct
  {
    uint64_t mask, value;
  } deny[] = { { 0xff, 9 }, { 0xf0f0, 0x1010 }, { 1ull << 62, 1ull << 62 }, { 0xffffffff, 0x5412 } };
  _cleanup_error_ al_error_t err = NULL;
  _cleanup_profile_ struct al_profile *p = NULL;
  if (al_profile_parse ("p.json", text, strlen (text), &p, &err) < 0)
    fail_msg ("%s", err->msg);
  _cleanup_spec_ struct oci_spec *s = default_spec ();
  if (al_profile_apply (p, s, NULL, NULL, &err) < 0)
    fail_msg ("%s", err->msg);
  const struct oci_seccomp *sc = s->linux_->seccomp;
  assert_non_null (sc);
  const struct oci_seccomp_syscall *kill_rule = NULL;
  for (size_t i = 0; i < sc->n_syscalls; i++)
    if (strv_has (sc->syscalls[i].names, "kill"))
      {
        assert_null (kill_rule); /* one entry, not in the unconditional allow */
        kill_rule = &sc->syscalls[i];
      }
  assert_non_null (kill_rule);
  assert_int_equal (al_strv_len (kill_rule->names), 1);
  assert_true (kill_rule->n_args > 1 && kill_rule->n_args <= 256);
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 200000; i++)
    {
      /* xorshift, with the low bits steered at the deny values often */
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      uint64_t v = x;
      if (i % 4 == 1)
        v = (v & ~0xffull) | 9;
      else if (i % 4 == 2)
        v = (v & ~0xffffffffull) | 0x5412;
      else if (i % 4 == 3)
        v = (v & ~0xf0f0ull) | 0x1010;
      bool denied = false;
      for (size_t k = 0; k < sizeof deny / sizeof deny[0]; k++)
        denied = denied || (v & deny[k].mask) == deny[k].value;
      size_t matches = 0;
      for (size_t j = 0; j < kill_rule->n_args; j++)
        matches += (v & kill_rule->args[j].value) == kill_rule->args[j].value_two;
      if (matches != (denied ? 0 : 1))
        fail_msg ("kill(_, %#" PRIx64 "): %zu allowing comparisons, denied %d", v, matches, denied);
    }
  struct al_seccomp *f = NULL;
  assert_int_equal (al_seccomp_prepare (sc, &f, &err), 0);
  al_seccomp_free (f);

  /* Bounded: 20 scattered 32-bit exceptions need more than 256
     comparisons; 33 rules are too many anyway. */
  for (int n = 20; n <= 33; n += 13)
    {
      _cleanup_free_ char *rules = al_xstrdup ("");
      for (int i = 0; i < n; i++)
        {
          char *more = al_xasprintf ("%s%s{\"names\":[\"kill\"],\"action\":\"deny\",\"args\":[{\"index\":1,"
                                     "\"value\":4294967295,\"valueTwo\":%u,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}",
                                     rules, i ? "," : "", (unsigned) (i * 0x9e3779b1u));
          free (rules);
          rules = more;
        }
      _cleanup_free_ char *big = al_xasprintf ("{\"name\":\"x\",\"namespaces\":{},\"capabilities\":[],"
                                               "\"mountTypes\":[],\"seccomp\":{\"allow\":[\"kill\"],\"rules\":[%s]}}",
                                               rules);
      _cleanup_error_ al_error_t e2 = NULL;
      struct al_profile *q = NULL;
      assert_true (al_profile_parse ("p.json", big, strlen (big), &q, &e2) < 0);
      assert_string_equal (e2->msg, n == 20 ? "p.json: seccomp.rules: [0]: the exceptions of \"kill\" need more than "
                                              "256 comparisons in the filter: simplify them"
                                            : "p.json: seccomp.rules: \"kill\" has 33 \"deny\" rules: at most 32");
    }
}

/* The untrusted filter loaded in a child; we answer its notifications as a
 * monitor would. Allowed syscalls (a fork, a thread-like clone, files, unix
 * sockets) never notify; socket(AF_INET), unshare, mount, ptrace, bpf and
 * keyctl do, and fail with the profile's errno. */
static void
test_filter_notifies_denied_only (void **state)
{
  (void) state;
  if (seccomp_api_get () < 5)
    skip (); /* an old kernel, or valgrind, which cannot load filters: see seccomp_api_get(3) */
  _cleanup_profile_ struct al_profile *p = load ("untrusted");
  _cleanup_spec_ struct oci_spec *s = default_spec ();
  _cleanup_error_ al_error_t err = NULL;
  struct al_profile_host host = { .monitor = true };
  assert_int_equal (al_profile_apply (p, s, &host, NULL, &err), 0);
  struct al_seccomp *f = NULL;
  assert_int_equal (al_seccomp_prepare (s->linux_->seccomp, &f, &err), 0);

  int sv[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (sv[0]);
      al_error_t e = NULL;
      int listener = -1;
      CHECK (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
      CHECK (al_seccomp_install (f, &listener, &e) == 0 && listener >= 0);
      CHECK (send_fd (sv[1], listener) == 0);
      close (listener);
      /* allowed */
      CHECK (getpid () > 0);
      int u = socket (AF_UNIX, SOCK_STREAM, 0);
      CHECK (u >= 0);
      close (u);
      pid_t c = fork ();
      CHECK (c >= 0);
      if (c == 0)
        _exit (7);
      int st;
      CHECK (waitpid (c, &st, 0) == c && WIFEXITED (st) && WEXITSTATUS (st) == 7);
      CHECK (syscall (SYS_clone3, NULL, 0) < 0 && errno == ENOSYS); /* errno rule: no notification */
      /* denied: notified, answered with EPERM */
      CHECK (socket (AF_INET, SOCK_STREAM, 0) < 0 && errno == EPERM);
      CHECK (unshare (CLONE_NEWUSER) < 0 && errno == EPERM);
      CHECK (syscall (SYS_mount, "none", "/", "tmpfs", 0, NULL) < 0 && errno == EPERM);
      CHECK (syscall (SYS_ptrace, 0, 0, 0, 0) < 0 && errno == EPERM);
      CHECK (syscall (SYS_bpf, 0, NULL, 0) < 0 && errno == EPERM);
      CHECK (syscall (SYS_keyctl, 0, 0, 0, 0, 0) < 0 && errno == EPERM);
      /* clone with a namespace flag: denied too */
      CHECK (syscall (SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0) < 0 && errno == EPERM);
      /* A filter of its own would outrank the monitor's notification: refused
         and reported, also with the upper half of the option set. Other
         prctl options and seccomp queries work. */
      struct sock_filter allow_all = BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
      struct sock_fprog prog = { .len = 1, .filter = &allow_all };
      CHECK (prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 && errno == EPERM);
      CHECK (syscall (SYS_prctl, PR_SET_SECCOMP | (1ul << 32), SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 && errno == EPERM);
      CHECK (prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
      CHECK (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 && errno == EPERM);
      uint32_t act = SECCOMP_RET_USER_NOTIF;
      CHECK (syscall (SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &act) == 0);
      /* No terminal injection; other ioctls reach the kernel (ENOTTY here). */
      char ch = 'x';
      CHECK (ioctl (sv[1], TIOCSTI, &ch) < 0 && errno == EPERM);
      CHECK (syscall (SYS_ioctl, sv[1], TIOCSTI | (1ul << 32), &ch) < 0 && errno == EPERM);
      CHECK (ioctl (sv[1], TIOCLINUX, &ch) < 0 && errno == EPERM);
      struct termios tio;
      CHECK (ioctl (sv[1], TCGETS, &tio) < 0 && errno == ENOTTY);
      CHECK (syscall (SYS_memfd_create, "x", 0) < 0 && errno == EPERM);
#ifdef __x86_64__
      /* Other ABIs: denied and reported, not killed unseen. */
      long r;
      __asm__ volatile ("int $0x80" : "=a"(r) : "a"(20 /* i386 getpid */) : "r8", "r9", "r10", "r11", "memory");
      CHECK (r == -EPERM);
      CHECK (syscall (0x40000000 | SYS_getpid) < 0 && errno == EPERM); /* x32 */
#endif
      _exit (0);
    }
  close (sv[1]);
  int listener = recv_fd (sv[0]);
  close (sv[0]);
  assert_true (listener >= 0);

  char seen[512] = "";
  struct seccomp_notif *req = NULL;
  struct seccomp_notif_resp *resp = NULL;
  assert_int_equal (seccomp_notify_alloc (&req, &resp), 0);
  for (;;)
    {
      struct pollfd pfd = { .fd = listener, .events = POLLIN };
      int n = poll (&pfd, 1, 10000);
      assert_true (n > 0);
      if (!(pfd.revents & POLLIN))
        break; /* POLLHUP: the child's filter is gone */
      memset (req, 0, sizeof *req);
      if (seccomp_notify_receive (listener, req) < 0)
        continue; /* the task died meanwhile */
      bool x32 = req->data.arch == SCMP_ARCH_X86_64 && (req->data.nr & 0x40000000);
      char *name = seccomp_syscall_resolve_num_arch (x32 ? SCMP_ARCH_X32 : req->data.arch, req->data.nr);
      snprintf (seen + strlen (seen), sizeof seen - strlen (seen), "%s%s%s", seen[0] ? " " : "",
                x32 ? "x32:" : req->data.arch == SCMP_ARCH_X86 ? "i386:" : "", name ? name : "?");
      free (name);
      memset (resp, 0, sizeof *resp);
      resp->id = req->id;
      resp->error = -al_profile_denied_errno (p);
      seccomp_notify_respond (listener, resp);
    }
  seccomp_notify_free (req, resp);
  close (listener);
  int st;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  al_seccomp_free (f);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
#ifdef __x86_64__
  assert_string_equal (seen, "socket unshare mount ptrace bpf keyctl clone prctl prctl seccomp ioctl ioctl ioctl "
                             "memfd_create i386:getpid x32:getpid");
#else
  assert_string_equal (seen, "socket unshare mount ptrace bpf keyctl clone prctl prctl seccomp ioctl ioctl ioctl "
                             "memfd_create");
#endif
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_load_untrusted),
    cmocka_unit_test (test_load_by_path_and_lookup),
    cmocka_unit_test (test_load_errors),
    cmocka_unit_test (test_parse_len),
    cmocka_unit_test (test_parse_deep),
    cmocka_unit_test (test_apply_default),
    cmocka_unit_test (test_apply_cgroup_and_monitor),
    cmocka_unit_test (test_never_loosen),
    cmocka_unit_test (test_refusals),
    cmocka_unit_test (test_join_existing),
    cmocka_unit_test (test_untrusted_pod),
    cmocka_unit_test (test_writable_binds_and_wildcard_devices),
    cmocka_unit_test (test_apply_process),
    cmocka_unit_test (test_deny_complement),
    cmocka_unit_test (test_filter_notifies_denied_only),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
