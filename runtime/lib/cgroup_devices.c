/* cgroup_devices.c: linux.resources.devices compiled to a cgroup v2 device
 * program. The rules are first reduced, the way the cgroup v1 devices
 * controller (and runc's emulation of it) would, to a default verdict plus a
 * list of exceptions that all carry the opposite verdict; the program then
 * checks the exceptions one after the other and falls back to the default.
 * See cgroup_devices.h for the semantics. */
#include "cgroup_devices.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#define ACC_ALL (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)
#define LICENSE "Apache-2.0" /* no GPL-only helper is called */
#define LOG_SIZE (256 * 1024)

static const struct oci_device_cgroup default_rules[] = {
  { .allow = true, .type = 'c', .major = -1, .minor = -1, .access = (char *) "m" },
  { .allow = true, .type = 'b', .major = -1, .minor = -1, .access = (char *) "m" },
  { .allow = true, .type = 'c', .major = 1, .minor = 3, .access = (char *) "rwm" },   /* null */
  { .allow = true, .type = 'c', .major = 1, .minor = 8, .access = (char *) "rwm" },   /* random */
  { .allow = true, .type = 'c', .major = 1, .minor = 7, .access = (char *) "rwm" },   /* full */
  { .allow = true, .type = 'c', .major = 5, .minor = 0, .access = (char *) "rwm" },   /* tty */
  { .allow = true, .type = 'c', .major = 1, .minor = 5, .access = (char *) "rwm" },   /* zero */
  { .allow = true, .type = 'c', .major = 1, .minor = 9, .access = (char *) "rwm" },   /* urandom */
  { .allow = true, .type = 'c', .major = 136, .minor = -1, .access = (char *) "rwm" }, /* pts */
  { .allow = true, .type = 'c', .major = 5, .minor = 2, .access = (char *) "rwm" },   /* ptmx */
  { .allow = true, .type = 'c', .major = 10, .minor = 200, .access = (char *) "rwm" }, /* net/tun */
};

const struct oci_device_cgroup *
al_cgroup_devices_defaults (size_t *n)
{
  if (n)
    *n = sizeof default_rules / sizeof default_rules[0];
  return default_rules;
}

/* ---- rules -------------------------------------------------------------- */

/* The rule list being compiled: the config's rules, then maybe defaults. */
struct rule_list
{
  const struct oci_device_cgroup *user;
  size_t n_user;
  bool with_defaults;
};

static size_t
rl_count (const struct rule_list *l)
{
  size_t nd = 0;
  if (l->with_defaults)
    al_cgroup_devices_defaults (&nd);
  return l->n_user + nd;
}

static const struct oci_device_cgroup *
rl_get (const struct rule_list *l, size_t i)
{
  if (i < l->n_user)
    return &l->user[i];
  return &default_rules[i - l->n_user];
}

static void
fmt_num (char *buf, size_t size, int64_t v)
{
  if (v < 0)
    snprintf (buf, size, "*");
  else
    snprintf (buf, size, "%" PRId64, v);
}

static void
fmt_access (char *buf, unsigned acc)
{
  char *p = buf;
  if (acc & BPF_DEVCG_ACC_READ)
    *p++ = 'r';
  if (acc & BPF_DEVCG_ACC_WRITE)
    *p++ = 'w';
  if (acc & BPF_DEVCG_ACC_MKNOD)
    *p++ = 'm';
  *p = '\0';
}

/* "linux.resources.devices[2]" or "default device rule `allow c 1:3 rwm`". */
static char *
rule_name (const struct rule_list *l, size_t i)
{
  if (i < l->n_user)
    return al_xasprintf ("linux.resources.devices[%zu]", i);
  const struct oci_device_cgroup *r = rl_get (l, i);
  char ma[24], mi[24];
  fmt_num (ma, sizeof ma, r->major);
  fmt_num (mi, sizeof mi, r->minor);
  return al_xasprintf ("default device rule `%s %c %s:%s %s` (appended to linux.resources.devices)",
                       r->allow ? "allow" : "deny", r->type, ma, mi, r->access);
}

static int
parse_access (const char *s, unsigned *out)
{
  if (s == NULL)
    {
      *out = ACC_ALL;
      return 0;
    }
  if (*s == '\0')
    return -1;
  unsigned acc = 0;
  for (; *s; s++)
    switch (*s)
      {
      case 'r':
        acc |= BPF_DEVCG_ACC_READ;
        break;
      case 'w':
        acc |= BPF_DEVCG_ACC_WRITE;
        break;
      case 'm':
        acc |= BPF_DEVCG_ACC_MKNOD;
        break;
      default:
        return -1;
      }
  *out = acc;
  return 0;
}

/* ---- reduction to default + exceptions ---------------------------------- */

struct exception
{
  char type; /* 'c' or 'b' */
  int64_t major, minor; /* -1 = any */
  unsigned access;      /* BPF_DEVCG_ACC_* bits, never 0 */
};

struct reduced
{
  bool default_allow;
  struct exception *ex;
  size_t n, cap;
};

static struct exception *
find_exception (struct reduced *s, char type, int64_t major, int64_t minor)
{
  for (size_t i = 0; i < s->n; i++)
    if (s->ex[i].type == type && s->ex[i].major == major && s->ex[i].minor == minor)
      return &s->ex[i];
  return NULL;
}

static int
reduce (const struct rule_list *l, struct reduced *s, al_error_t *err)
{
  s->default_allow = false; /* before any 'a' rule: deny everything */
  s->n = 0;
  size_t total = rl_count (l);
  for (size_t i = 0; i < total; i++)
    {
      const struct oci_device_cgroup *r = rl_get (l, i);
      char type = r->type ? r->type : 'a';
      unsigned acc;
      if (type != 'a' && type != 'c' && type != 'b')
        {
          _cleanup_free_ char *name = rule_name (l, i);
          return al_err (err, EINVAL, "%s.type: invalid device type `%c` (want a, c or b)", name, type);
        }
      if (parse_access (r->access, &acc) < 0)
        {
          _cleanup_free_ char *name = rule_name (l, i);
          return al_err (err, EINVAL, "%s.access: invalid access \"%s\" (want a non-empty subset of \"rwm\")", name,
                         r->access);
        }
      if (type == 'a')
        {
          /* Whatever its numbers and access: a reset, as in cgroup v1. */
          s->default_allow = r->allow;
          s->n = 0;
          continue;
        }
      if (r->major < -1 || r->major > UINT32_MAX || r->minor < -1 || r->minor > UINT32_MAX)
        {
          _cleanup_free_ char *name = rule_name (l, i);
          return al_err (err, EINVAL, "%s: major/minor %" PRId64 ":%" PRId64 " out of range", name, r->major,
                         r->minor);
        }
      struct exception *e = find_exception (s, type, r->major, r->minor);
      if (r->allow != s->default_allow)
        {
          if (e)
            e->access |= acc;
          else
            {
              if (s->n == s->cap)
                {
                  s->cap = s->cap ? s->cap * 2 : 16;
                  struct exception *nx = realloc (s->ex, s->cap * sizeof *nx);
                  if (nx == NULL)
                    abort ();
                  s->ex = nx;
                }
              s->ex[s->n++] = (struct exception){ type, r->major, r->minor, acc };
            }
          continue;
        }
      /* Same verdict as the default: take bits out of the exact exception.
       * A wildcard exception granting those bits cannot be split. */
      const int64_t wild[3][2] = { { -1, r->minor }, { r->major, -1 }, { -1, -1 } };
      for (int k = 0; k < 3; k++)
        {
          if (wild[k][0] == r->major && wild[k][1] == r->minor)
            continue;
          struct exception *w = find_exception (s, type, wild[k][0], wild[k][1]);
          if (w && (w->access & acc))
            {
              _cleanup_free_ char *name = rule_name (l, i);
              char ma[24], mi[24], wa[24], wi[24], a1[4], a2[4];
              fmt_num (ma, sizeof ma, r->major);
              fmt_num (mi, sizeof mi, r->minor);
              fmt_num (wa, sizeof wa, w->major);
              fmt_num (wi, sizeof wi, w->minor);
              fmt_access (a1, acc & w->access);
              fmt_access (a2, w->access);
              return al_err (err, EINVAL,
                             "%s: `%s %c %s:%s` cannot take `%s` out of the earlier wildcard rule `%s %c %s:%s %s` "
                             "(cgroup v1 semantics, as in runc)",
                             name, r->allow ? "allow" : "deny", type, ma, mi, a1, s->default_allow ? "deny" : "allow",
                             type, wa, wi, a2);
            }
        }
      if (e)
        {
          e->access &= ~acc;
          if (e->access == 0)
            {
              size_t idx = (size_t) (e - s->ex);
              memmove (&s->ex[idx], &s->ex[idx + 1], (s->n - idx - 1) * sizeof *s->ex);
              s->n--;
            }
        }
    }
  return 0;
}

/* ---- code generation ---------------------------------------------------- */

struct prog
{
  struct bpf_insn *insns;
  size_t n, cap;
};

static void
emit (struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  if (p->n == p->cap)
    {
      p->cap = p->cap ? p->cap * 2 : 64;
      struct bpf_insn *ni = realloc (p->insns, p->cap * sizeof *ni);
      if (ni == NULL)
        abort ();
      p->insns = ni;
    }
  p->insns[p->n++] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

/* Forward jump from the instruction about to be emitted to index `target`. */
static int16_t
jump_to (const struct prog *p, size_t target)
{
  return (int16_t) (target - (p->n + 1));
}

static int
generate (const struct reduced *s, struct prog *p, al_error_t *err)
{
  p->n = 0;
  /* r2 = device type (low 16 bits of access_type), r3 = requested access
   * (high 16 bits), r4 = major, r5 = minor; r1 (the context) is reused as a
   * scratch register afterwards. */
  emit (p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, access_type), 0);
  emit (p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
  emit (p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, access_type), 0);
  emit (p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
  emit (p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, major), 0);
  emit (p, BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, minor), 0);

  int32_t verdict = s->default_allow ? 0 : 1; /* what a matching exception returns */
  for (size_t i = 0; i < s->n; i++)
    {
      const struct exception *e = &s->ex[i];
      bool check_acc = e->access != ACC_ALL;
      size_t len = 1 + (check_acc ? 3 : 0) + (e->major >= 0) + (e->minor >= 0) + 2;
      size_t next = p->n + len;
      if (next > INT16_MAX)
        return al_err (err, E2BIG, "linux.resources.devices: too many rules for one BPF program");
      int32_t type = e->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
      emit (p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_2, 0, jump_to (p, next), type);
      if (check_acc)
        {
          /* Every requested bit must be in the rule: (r3 & acc) == r3. */
          emit (p, BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
          emit (p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t) e->access);
          emit (p, BPF_JMP32 | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, jump_to (p, next), 0);
        }
      if (e->major >= 0)
        emit (p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_4, 0, jump_to (p, next), (int32_t) (uint32_t) e->major);
      if (e->minor >= 0)
        emit (p, BPF_JMP32 | BPF_JNE | BPF_K, BPF_REG_5, 0, jump_to (p, next), (int32_t) (uint32_t) e->minor);
      emit (p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, verdict);
      emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    }
  emit (p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, s->default_allow ? 1 : 0);
  emit (p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  return 0;
}

/* ---- bpf(2) ------------------------------------------------------------- */

static int
sys_bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

static int
prog_load (const struct prog *p, char *log, size_t log_size)
{
  union bpf_attr a;
  memset (&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  a.insn_cnt = (uint32_t) p->n;
  a.insns = (uint64_t) (uintptr_t) p->insns;
  a.license = (uint64_t) (uintptr_t) LICENSE;
  if (log)
    {
      log[0] = '\0';
      a.log_level = 1;
      a.log_buf = (uint64_t) (uintptr_t) log;
      a.log_size = (uint32_t) log_size;
    }
  _Static_assert (sizeof AL_DEVICES_PROG_NAME <= BPF_OBJ_NAME_LEN, "program name too long");
  memcpy (a.prog_name, AL_DEVICES_PROG_NAME, sizeof AL_DEVICES_PROG_NAME);
  return sys_bpf (BPF_PROG_LOAD, &a);
}

/* The last lines of a verifier log (where the verdict is), on one line. */
static char *
log_tail (char *log)
{
  size_t len = strlen (log);
  while (len && (log[len - 1] == '\n' || log[len - 1] == ' '))
    log[--len] = '\0';
  /* The statistics line ("processed N insns ...") says nothing useful. */
  char *stats = strrchr (log, '\n');
  if (stats && al_has_prefix (stats + 1, "processed "))
    {
      *stats = '\0';
      len = (size_t) (stats - log);
    }
  const char *start = log;
  int lines = 0;
  for (size_t i = len; i > 0; i--)
    if (log[i - 1] == '\n' && ++lines == 3)
      {
        start = log + i;
        break;
      }
  char *out = al_xstrdup (start);
  for (char *c = out; *c; c++)
    if (*c == '\n')
      *c = ' ';
  return out;
}

/* Program ids attached directly to the cgroup (not inherited ones). */
static int
query_ids (int cgfd, uint32_t **ids, size_t *n, al_error_t *err)
{
  uint32_t cap = 64;
  for (int attempt = 0; attempt < 8; attempt++)
    {
      uint32_t *buf = calloc (cap, sizeof *buf);
      if (buf == NULL)
        abort ();
      union bpf_attr a;
      memset (&a, 0, sizeof a);
      a.query.target_fd = (uint32_t) cgfd;
      a.query.attach_type = BPF_CGROUP_DEVICE;
      a.query.prog_ids = (uint64_t) (uintptr_t) buf;
      a.query.prog_cnt = cap;
      if (sys_bpf (BPF_PROG_QUERY, &a) < 0)
        {
          int e = errno;
          free (buf);
          if (e == ENOSPC && a.query.prog_cnt > cap)
            {
              cap = a.query.prog_cnt;
              continue;
            }
          return al_err (err, e, "linux.resources.devices: bpf(BPF_PROG_QUERY, BPF_CGROUP_DEVICE)");
        }
      *ids = buf;
      *n = a.query.prog_cnt;
      return 0;
    }
  return al_err (err, EAGAIN, "linux.resources.devices: bpf(BPF_PROG_QUERY): the list of programs keeps changing");
}

/* fd of program `id` when it is one of airlock's, -1 when not (or gone). */
static int
open_if_ours (uint32_t id)
{
  union bpf_attr a;
  memset (&a, 0, sizeof a);
  a.prog_id = id;
  int fd = sys_bpf (BPF_PROG_GET_FD_BY_ID, &a);
  if (fd < 0)
    return -1;
  struct bpf_prog_info info;
  memset (&info, 0, sizeof info);
  memset (&a, 0, sizeof a);
  a.info.bpf_fd = (uint32_t) fd;
  a.info.info_len = sizeof info;
  a.info.info = (uint64_t) (uintptr_t) &info;
  if (sys_bpf (BPF_OBJ_GET_INFO_BY_FD, &a) < 0
      || strncmp (info.name, AL_DEVICES_PROG_NAME, sizeof info.name) != 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

int
al_cgroup_devices_count (int cgroup_dirfd, size_t *total, size_t *ours, al_error_t *err)
{
  _cleanup_free_ uint32_t *ids = NULL;
  size_t n = 0, mine = 0;
  int r = query_ids (cgroup_dirfd, &ids, &n, err);
  if (r < 0)
    return r;
  for (size_t i = 0; i < n; i++)
    {
      int fd = open_if_ours (ids[i]);
      if (fd >= 0)
        {
          mine++;
          close (fd);
        }
    }
  if (total)
    *total = n;
  if (ours)
    *ours = mine;
  return 0;
}

static int
attach_list (int cgfd, const struct rule_list *l, al_error_t *err)
{
  struct reduced s = { 0 };
  struct prog p = { 0 };
  int r = reduce (l, &s, err);
  if (r == 0)
    r = generate (&s, &p, err);
  free (s.ex);
  if (r < 0)
    {
      free (p.insns);
      return r;
    }

  _cleanup_close_ int fd = prog_load (&p, NULL, 0);
  if (fd < 0)
    {
      int e = errno;
      _cleanup_free_ char *log = al_xmalloc0 (LOG_SIZE);
      int fd2 = prog_load (&p, log, LOG_SIZE);
      if (fd2 >= 0)
        fd = fd2; /* a transient failure: go on */
      else
        {
          e = errno;
          free (p.insns);
          _cleanup_free_ char *tail = log_tail (log);
          if (*tail)
            return al_err (err, e, "linux.resources.devices: load the BPF_PROG_TYPE_CGROUP_DEVICE program: verifier: %s",
                           tail);
          return al_err (err, e, "linux.resources.devices: load the BPF_PROG_TYPE_CGROUP_DEVICE program (bpf(BPF_PROG_LOAD))");
        }
    }
  free (p.insns);

  /* The programs to replace, listed before the new one is in place. */
  _cleanup_free_ uint32_t *old = NULL;
  size_t n_old = 0;
  if ((r = query_ids (cgfd, &old, &n_old, err)) < 0)
    return r;

  union bpf_attr a;
  memset (&a, 0, sizeof a);
  a.target_fd = (uint32_t) cgfd;
  a.attach_bpf_fd = (uint32_t) fd;
  a.attach_type = BPF_CGROUP_DEVICE;
  a.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &a) < 0)
    return al_err (err, errno, "linux.resources.devices: attach the device program to the cgroup "
                               "(bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI))");

  for (size_t i = 0; i < n_old; i++)
    {
      _cleanup_close_ int ofd = open_if_ours (old[i]);
      if (ofd < 0)
        continue;
      memset (&a, 0, sizeof a);
      a.target_fd = (uint32_t) cgfd;
      a.attach_bpf_fd = (uint32_t) ofd;
      a.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &a) < 0 && errno != ENOENT)
        return al_err (err, errno, "linux.resources.devices: detach the previous device program (id %" PRIu32 ")",
                       old[i]);
    }
  return 0;
}

int
al_cgroup_devices_attach (int cgroup_dirfd, const struct oci_device_cgroup *rules, size_t n, al_error_t *err)
{
  struct rule_list l = { .user = rules, .n_user = n, .with_defaults = false };
  return attach_list (cgroup_dirfd, &l, err);
}

int
al_cgroup_devices_attach_with_defaults (int cgroup_dirfd, const struct oci_device_cgroup *rules, size_t n,
                                        al_error_t *err)
{
  struct rule_list l = { .user = rules, .n_user = n, .with_defaults = true };
  return attach_list (cgroup_dirfd, &l, err);
}
