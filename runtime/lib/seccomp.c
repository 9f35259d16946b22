/* seccomp.c: linux.seccomp compiled with libseccomp and loaded. */
#include "seccomp.h"
#define AL_INCLUDE_LIBSECCOMP 1
#include <seccomp.h> /* libseccomp's: see seccomp.h */

#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#define AL_SECCOMP_MAX_ARGS 6 /* syscall arguments a comparator can name */
/* The one syscall between loading a filter and handing its notify listener
   over (al_sync_send_fd): it must never be notified. */
#define AL_SECCOMP_HANDOVER_SYSCALL "sendmsg"

#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
#define AL_HAVE_WAITKILL 1
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#define AL_X32_SYSCALL_BIT 0x40000000u

struct al_seccomp
{
  scmp_filter_ctx ctx;
  bool notify;    /* some rule (or the default) is SCMP_ACT_NOTIFY */
  char **ignored; /* NULL terminated: syscall names libseccomp does not know */
  size_t n_ignored, cap_ignored;
  int enosys_above;    /* > 0: native syscalls numbered above it get ENOSYS */
  unsigned load_flags; /* SECCOMP_FILTER_FLAG_* of linux.seccomp.flags */
};

const char *const al_seccomp_actions[] = {
  "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", NULL,
};

const char *const al_seccomp_operators[] = {
  "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};

const char *const al_seccomp_flags[] = {
  "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
#ifdef AL_HAVE_WAITKILL
  "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
#endif
  NULL,
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* Translate an action name (with its errnoRet) to a libseccomp action.
 * Returns 0, or -EINVAL for an unknown name or an errno that does not fit. */
static int
parse_action (const char *name, bool has_ret, uint32_t ret, uint32_t *out)
{
  if (name == NULL || !al_has_prefix (name, "SCMP_ACT_"))
    return -EINVAL;
  const char *n = name + strlen ("SCMP_ACT_");
  uint32_t data = has_ret ? ret : EPERM;

  if (strcmp (n, "ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (n, "ERRNO") == 0 || strcmp (n, "TRACE") == 0)
    {
      if (data > 0xffff)
        return -ERANGE;
      *out = n[0] == 'E' ? SCMP_ACT_ERRNO (data) : SCMP_ACT_TRACE (data);
    }
  else if (strcmp (n, "KILL") == 0 || strcmp (n, "KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (n, "KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (n, "TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (n, "LOG") == 0)
    *out = SCMP_ACT_LOG;
  else if (strcmp (n, "NOTIFY") == 0)
    *out = SCMP_ACT_NOTIFY;
  else
    return -EINVAL;
  return 0;
}

static int
action_error (al_error_t *err, int r, const char *path, const char *name, uint32_t ret)
{
  if (r == -ERANGE)
    return al_err (err, 0, "%s: errnoRet %u is out of range (0-65535)", path, ret);
  return al_err (err, 0, "%s: unknown action \"%s\"", path, name ? name : "");
}

static int
parse_operator (const char *name, enum scmp_compare *out)
{
  if (name == NULL)
    return -EINVAL;
  for (size_t i = 0; i < sizeof (operators) / sizeof (operators[0]); i++)
    if (strcmp (name, operators[i].name) == 0)
      {
        *out = operators[i].op;
        return 0;
      }
  return -EINVAL;
}

/* "SCMP_ARCH_X86_64" -> libseccomp token, 0 when unknown. */
static uint32_t
parse_arch (const char *name)
{
  char lower[32];
  if (name == NULL || !al_has_prefix (name, "SCMP_ARCH_"))
    return 0;
  const char *n = name + strlen ("SCMP_ARCH_");
  size_t len = strlen (n);
  if (len == 0 || len >= sizeof (lower))
    return 0;
  for (size_t i = 0; i <= len; i++)
    lower[i] = (char) tolower ((unsigned char) n[i]);
  return seccomp_arch_resolve_name (lower);
}

static void
add_ignored (struct al_seccomp *s, const char *name)
{
  if (s->n_ignored + 1 >= s->cap_ignored)
    {
      size_t cap = s->cap_ignored ? s->cap_ignored * 2 : 8;
      char **v = realloc (s->ignored, cap * sizeof (char *));
      if (v == NULL)
        abort (); /* as al_xmalloc0: OOM is not recoverable here */
      s->ignored = v;
      s->cap_ignored = cap;
    }
  s->ignored[s->n_ignored++] = al_xstrdup (name);
  s->ignored[s->n_ignored] = NULL;
}

static int
set_flags (struct al_seccomp *s, char **flags, al_error_t *err)
{
  for (size_t i = 0; flags && flags[i]; i++)
    {
      const char *f = flags[i];
      enum scmp_filter_attr attr;
      if (strcmp (f, "SECCOMP_FILTER_FLAG_TSYNC") == 0)
        continue; /* the runtime is single threaded when it loads the filter */
      else if (strcmp (f, "SECCOMP_FILTER_FLAG_LOG") == 0)
        attr = SCMP_FLTATR_CTL_LOG;
      else if (strcmp (f, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
        attr = SCMP_FLTATR_CTL_SSB;
      else if (strcmp (f, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") == 0)
        {
#ifdef AL_HAVE_WAITKILL
          attr = SCMP_FLTATR_CTL_WAITKILL;
#else
          return al_err (err, 0, "linux.seccomp.flags[%zu]: %s is not supported by this libseccomp (%d.%d.%d)", i, f,
                         SCMP_VER_MAJOR, SCMP_VER_MINOR, SCMP_VER_MICRO);
#endif
        }
      else
        return al_err (err, 0, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, f);

      int r = seccomp_attr_set (s->ctx, attr, 1);
      if (r < 0)
        return al_err (err, -r, "linux.seccomp.flags[%zu]: cannot set %s", i, f);
      s->load_flags |= attr == SCMP_FLTATR_CTL_LOG   ? SECCOMP_FILTER_FLAG_LOG
                       : attr == SCMP_FLTATR_CTL_SSB ? SECCOMP_FILTER_FLAG_SPEC_ALLOW
                                                     : SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }
  return 0;
}

/* Add the rules of one syscalls[] entry. The runtime-spec/runc semantics of
 * args: comparators on distinct argument indexes are AND-ed in one rule; as
 * soon as one index is named twice, every comparator becomes its own rule
 * (OR-ed), since a single rule cannot test one argument twice. */
static int
add_syscall (struct al_seccomp *s, size_t i, const struct oci_seccomp_syscall *sc, uint32_t def_action,
             al_error_t *err)
{
  char path[64];
  uint32_t action;
  snprintf (path, sizeof (path), "linux.seccomp.syscalls[%zu].action", i);
  int r = parse_action (sc->action, sc->has_errno_ret, sc->errno_ret, &action);
  if (r < 0)
    return action_error (err, r, path, sc->action, sc->errno_ret);

  struct scmp_arg_cmp cmps[AL_SECCOMP_MAX_ARGS];
  unsigned seen = 0;
  bool separate = false;
  for (size_t j = 0; j < sc->n_args; j++)
    {
      const struct oci_seccomp_arg *a = &sc->args[j];
      enum scmp_compare op;
      if (parse_operator (a->op, &op) < 0)
        return al_err (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: unknown operator \"%s\"", i, j,
                       a->op ? a->op : "");
      if (a->index >= AL_SECCOMP_MAX_ARGS)
        return al_err (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].index: %u is out of range (0-%d)", i, j,
                       a->index, AL_SECCOMP_MAX_ARGS - 1);
      if (seen & (1u << a->index))
        separate = true;
      seen |= 1u << a->index;
    }

  /* libseccomp refuses rules whose action is the default one: they are no-ops. */
  if (action == def_action)
    return 0;

  if (!separate)
    for (size_t j = 0; j < sc->n_args; j++)
      {
        const struct oci_seccomp_arg *a = &sc->args[j];
        enum scmp_compare op = SCMP_CMP_EQ;
        parse_operator (a->op, &op);
        cmps[j] = (struct scmp_arg_cmp){ .arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two };
      }

  if (action == SCMP_ACT_NOTIFY)
    {
      s->notify = true;
      for (size_t k = 0; sc->names && sc->names[k]; k++)
        if (strcmp (sc->names[k], AL_SECCOMP_HANDOVER_SYSCALL) == 0)
          return al_err (err, 0,
                         "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY cannot be used for \"%s\": the runtime "
                         "hands the notify listener over with it right after loading the filter, so nobody "
                         "could answer it",
                         i, AL_SECCOMP_HANDOVER_SYSCALL);
    }

  for (size_t k = 0; sc->names && sc->names[k]; k++)
    {
      const char *name = sc->names[k];
      int nr = seccomp_syscall_resolve_name (name);
      if (nr == __NR_SCMP_ERROR)
        {
          add_ignored (s, name);
          continue;
        }
      if (!separate)
        r = seccomp_rule_add_array (s->ctx, action, nr, (unsigned) sc->n_args, sc->n_args ? cmps : NULL);
      else
        for (size_t j = 0; j < sc->n_args && r >= 0; j++)
          {
            const struct oci_seccomp_arg *a = &sc->args[j];
            struct scmp_arg_cmp c = { .arg = a->index, .datum_a = a->value, .datum_b = a->value_two };
            parse_operator (a->op, &c.op);
            r = seccomp_rule_add_array (s->ctx, action, nr, 1, &c);
          }
      if (r < 0)
        return al_err (err, -r, "linux.seccomp.syscalls[%zu]: cannot add the rule for syscall \"%s\"", i, name);
    }
  return 0;
}

/* The largest native number of a syscall the config names (any action), 0
   when none is known to libseccomp. */
static int
newest_named (const struct oci_seccomp *cfg)
{
  int top = 0;
  for (size_t i = 0; i < cfg->n_syscalls; i++)
    for (size_t k = 0; cfg->syscalls[i].names && cfg->syscalls[i].names[k]; k++)
      {
        int nr = seccomp_syscall_resolve_name (cfg->syscalls[i].names[k]);
        if (nr != __NR_SCMP_ERROR && nr > top)
          top = nr;
      }
  return top;
}

/* Some entry allows the hand-over syscall unconditionally. */
static bool
allows_handover (const struct oci_seccomp *cfg)
{
  for (size_t i = 0; i < cfg->n_syscalls; i++)
    {
      const struct oci_seccomp_syscall *sc = &cfg->syscalls[i];
      uint32_t action;
      if (sc->n_args || parse_action (sc->action, sc->has_errno_ret, sc->errno_ret, &action) < 0
          || action != SCMP_ACT_ALLOW)
        continue;
      for (size_t k = 0; sc->names && sc->names[k]; k++)
        if (strcmp (sc->names[k], AL_SECCOMP_HANDOVER_SYSCALL) == 0)
          return true;
    }
  return false;
}

int
al_seccomp_prepare (const struct oci_seccomp *cfg, struct al_seccomp **out, al_error_t *err)
{
  uint32_t def_action;
  int r = parse_action (cfg->default_action, cfg->has_default_errno_ret, cfg->default_errno_ret, &def_action);
  if (r < 0)
    return action_error (err, r, "linux.seccomp.defaultAction", cfg->default_action, cfg->default_errno_ret);

  struct al_seccomp *s = al_xmalloc0 (sizeof (*s));
  s->notify = def_action == SCMP_ACT_NOTIFY;
  s->ctx = seccomp_init (def_action);
  if (s->ctx == NULL)
    {
      free (s);
      return al_err (err, 0, "linux.seccomp.defaultAction: libseccomp refuses \"%s\" as the default action",
                     cfg->default_action);
    }

  /* The caller sets no_new_privs itself when process.noNewPrivileges asks
   * for it; without it the kernel requires CAP_SYS_ADMIN. Report real errnos. */
  if ((r = seccomp_attr_set (s->ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0
      || (r = seccomp_attr_set (s->ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0)
    {
      al_seccomp_free (s);
      return al_err (err, -r, "linux.seccomp: cannot configure the libseccomp filter");
    }

  for (size_t i = 0; cfg->architectures && cfg->architectures[i]; i++)
    {
      uint32_t arch = parse_arch (cfg->architectures[i]);
      if (arch == 0)
        {
          al_seccomp_free (s);
          return al_err (err, 0, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i,
                         cfg->architectures[i]);
        }
      r = seccomp_arch_add (s->ctx, arch);
      if (r < 0 && r != -EEXIST)
        {
          al_seccomp_free (s);
          return al_err (err, -r, "linux.seccomp.architectures[%zu]: cannot add architecture \"%s\"", i,
                         cfg->architectures[i]);
        }
    }

  /* A profile's filter denies other ABIs' calls as it denies the rest
     (reported), rather than killing the thread unseen. */
  if (cfg->foreign_abi_denied && (r = seccomp_attr_set (s->ctx, SCMP_FLTATR_ACT_BADARCH, def_action)) < 0)
    {
      al_seccomp_free (s);
      return al_err (err, -r, "linux.seccomp: cannot set the action for other architectures");
    }

  r = set_flags (s, cfg->flags, err);
  for (size_t i = 0; r >= 0 && i < cfg->n_syscalls; i++)
    r = add_syscall (s, i, &cfg->syscalls[i], def_action, err);
  /* Syscalls newer than the config (numbered above every one it names) get
     ENOSYS rather than the default action, as runc does: a profile written
     before clone3, close_range, openat2 or faccessat2 existed then makes
     the C library fall back to the older calls the profile allows, where
     EPERM would be taken as a real refusal. Only on the native
     architecture, and not when the default lets calls through (ALLOW, LOG,
     TRACE) or is NOTIFY (the monitor or agent sees every call). */
  bool lets_through = def_action == SCMP_ACT_ALLOW || def_action == SCMP_ACT_LOG
                      || (def_action & 0xffff0000u) == SCMP_ACT_TRACE (0);
  if (!lets_through && def_action != SCMP_ACT_NOTIFY)
    s->enosys_above = newest_named (cfg);
  if (r >= 0 && def_action == SCMP_ACT_NOTIFY && !allows_handover (cfg))
    r = al_err (err, 0,
                "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY needs a rule allowing \"%s\" without conditions: "
                "the runtime hands the notify listener over with it right after loading the filter",
                AL_SECCOMP_HANDOVER_SYSCALL);
  if (r < 0)
    {
      al_seccomp_free (s);
      return r;
    }
  *out = s;
  return 0;
}

/* libseccomp's program behind a stub that returns ENOSYS for the native
   architecture's syscalls numbered above s->enosys_above (x32's excepted),
   loaded with seccomp(2) itself. Returns the listener fd (notify), 0, or
   -errno. */
static int
load_with_enosys_stub (struct al_seccomp *s, al_error_t *err)
{
  _cleanup_close_ int mfd = memfd_create ("airlock-seccomp", MFD_CLOEXEC);
  if (mfd < 0)
    return al_err (err, errno, "linux.seccomp: memfd for the filter's program");
  int r = seccomp_export_bpf (s->ctx, mfd);
  if (r < 0)
    return al_err (err, -r, "linux.seccomp: cannot generate the filter's program");
  off_t size = lseek (mfd, 0, SEEK_END);
  if (size < 0 || size % sizeof (struct sock_filter) || lseek (mfd, 0, SEEK_SET) < 0)
    return al_err (err, size < 0 ? errno : EINVAL, "linux.seccomp: the filter's program");
  size_t n = (size_t) size / sizeof (struct sock_filter);
  bool x86_64 = seccomp_arch_native () == SCMP_ARCH_X86_64;
  size_t stub = x86_64 ? 6 : 5;
  if (n + stub > BPF_MAXINSNS)
    return al_err (err, E2BIG, "linux.seccomp: the filter has %zu instructions, more than the %d allowed", n + stub,
                   BPF_MAXINSNS);
  _cleanup_free_ struct sock_filter *prog = al_xmalloc0 ((n + stub) * sizeof *prog);
  size_t k = 0;
  /* jumps count from the next instruction; "out" is libseccomp's first */
  prog[k++] = (struct sock_filter) BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch));
  prog[k] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native (), 0,
                                           (unsigned char) (stub - k - 1));
  k++;
  prog[k++] = (struct sock_filter) BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr));
  if (x86_64)
    {
      prog[k] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JGE | BPF_K, AL_X32_SYSCALL_BIT,
                                               (unsigned char) (stub - k - 1), 0);
      k++;
    }
  prog[k] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, (uint32_t) s->enosys_above, 0, 1);
  k++;
  prog[k++] = (struct sock_filter) BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
  size_t want = n * sizeof *prog, got = 0;
  while (got < want)
    {
      ssize_t m = read (mfd, (char *) (prog + stub) + got, want - got);
      if (m <= 0)
        return al_err (err, m < 0 ? errno : EIO, "linux.seccomp: read the filter's program back");
      got += (size_t) m;
    }
  struct sock_fprog fprog = { .len = (unsigned short) (n + stub), .filter = prog };
  unsigned flags = s->load_flags | (s->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0);
  long fd = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
  if (fd < 0)
    {
      if (errno == EACCES)
        return al_err (err, errno, "linux.seccomp: cannot load the filter (it needs no_new_privs or CAP_SYS_ADMIN)");
      return al_err (err, errno, "linux.seccomp: cannot load the filter");
    }
  return s->notify ? (int) fd : 0;
}

int
al_seccomp_install (struct al_seccomp *s, int *listener_fd, al_error_t *err)
{
  if (listener_fd)
    *listener_fd = -1;
  if (s->enosys_above > 0)
    {
      int fd = load_with_enosys_stub (s, err);
      if (fd < 0)
        return fd;
      if (s->notify && listener_fd)
        *listener_fd = fd;
      else if (s->notify)
        close (fd);
      return 0;
    }
  int r = seccomp_load (s->ctx);
  if (r < 0)
    {
      if (r == -EACCES)
        return al_err (err, -r, "linux.seccomp: cannot load the filter (it needs no_new_privs or CAP_SYS_ADMIN)");
      return al_err (err, -r, "linux.seccomp: cannot load the filter");
    }
  if (!s->notify)
    return 0;
  int fd = seccomp_notify_fd (s->ctx);
  if (fd < 0)
    return al_err (err, fd == -1 ? EBADF : -fd, "linux.seccomp: no listener fd after loading a SCMP_ACT_NOTIFY filter");
  if (listener_fd)
    *listener_fd = fd;
  return 0;
}

const char *const *
al_seccomp_ignored (const struct al_seccomp *s, size_t *n)
{
  static const char *const none[] = { NULL };
  if (n)
    *n = s->n_ignored;
  return s->ignored ? (const char *const *) s->ignored : none;
}

void
al_seccomp_free (struct al_seccomp *s)
{
  if (s == NULL)
    return;
  if (s->ctx)
    seccomp_release (s->ctx);
  for (size_t i = 0; i < s->n_ignored; i++)
    free (s->ignored[i]);
  free (s->ignored);
  free (s);
}
