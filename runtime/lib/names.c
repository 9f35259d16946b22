/* names.c: capability and rlimit name tables shared by the parser and the CLI. */
#include "spec.h"

#include <string.h>
#include <sys/resource.h>

/* Indexed by capability number (linux/capability.h). */
static const char *const cap_names[] = {
  "CAP_CHOWN",              /* 0 */
  "CAP_DAC_OVERRIDE",       /* 1 */
  "CAP_DAC_READ_SEARCH",    /* 2 */
  "CAP_FOWNER",             /* 3 */
  "CAP_FSETID",             /* 4 */
  "CAP_KILL",               /* 5 */
  "CAP_SETGID",             /* 6 */
  "CAP_SETUID",             /* 7 */
  "CAP_SETPCAP",            /* 8 */
  "CAP_LINUX_IMMUTABLE",    /* 9 */
  "CAP_NET_BIND_SERVICE",   /* 10 */
  "CAP_NET_BROADCAST",      /* 11 */
  "CAP_NET_ADMIN",          /* 12 */
  "CAP_NET_RAW",            /* 13 */
  "CAP_IPC_LOCK",           /* 14 */
  "CAP_IPC_OWNER",          /* 15 */
  "CAP_SYS_MODULE",         /* 16 */
  "CAP_SYS_RAWIO",          /* 17 */
  "CAP_SYS_CHROOT",         /* 18 */
  "CAP_SYS_PTRACE",         /* 19 */
  "CAP_SYS_PACCT",          /* 20 */
  "CAP_SYS_ADMIN",          /* 21 */
  "CAP_SYS_BOOT",           /* 22 */
  "CAP_SYS_NICE",           /* 23 */
  "CAP_SYS_RESOURCE",       /* 24 */
  "CAP_SYS_TIME",           /* 25 */
  "CAP_SYS_TTY_CONFIG",     /* 26 */
  "CAP_MKNOD",              /* 27 */
  "CAP_LEASE",              /* 28 */
  "CAP_AUDIT_WRITE",        /* 29 */
  "CAP_AUDIT_CONTROL",      /* 30 */
  "CAP_SETFCAP",            /* 31 */
  "CAP_MAC_OVERRIDE",       /* 32 */
  "CAP_MAC_ADMIN",          /* 33 */
  "CAP_SYSLOG",             /* 34 */
  "CAP_WAKE_ALARM",         /* 35 */
  "CAP_BLOCK_SUSPEND",      /* 36 */
  "CAP_AUDIT_READ",         /* 37 */
  "CAP_PERFMON",            /* 38 */
  "CAP_BPF",                /* 39 */
  "CAP_CHECKPOINT_RESTORE", /* 40 */
};

#define N_CAPS ((int) (sizeof (cap_names) / sizeof (cap_names[0])))

int
al_cap_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  for (int i = 0; i < N_CAPS; i++)
    if (strcmp (name, cap_names[i]) == 0)
      return i;
  return -1;
}

const char *
al_cap_name (int cap)
{
  if (cap < 0 || cap >= N_CAPS)
    return NULL;
  return cap_names[cap];
}

static const struct
{
  const char *name;
  int resource;
} rlimits[] = {
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_STACK", RLIMIT_STACK },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
};

int
al_rlimit_from_name (const char *name)
{
  if (name == NULL)
    return -1;
  for (size_t i = 0; i < sizeof (rlimits) / sizeof (rlimits[0]); i++)
    if (strcmp (name, rlimits[i].name) == 0)
      return (int) rlimits[i].resource;
  return -1;
}
