/* mempolicy.c: linux.memoryPolicy through the raw set_mempolicy(2) syscall
 * (no libnuma). The nodes list becomes the nodemask; maxnode is one past the
 * highest node given, as the kernel counts it. */
#include "mempolicy.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cpulist.h"

/* <linux/mempolicy.h> values (uapi, stable). */
enum
{
  AL_MPOL_DEFAULT,
  AL_MPOL_PREFERRED,
  AL_MPOL_BIND,
  AL_MPOL_INTERLEAVE,
  AL_MPOL_LOCAL,
  AL_MPOL_PREFERRED_MANY,
  AL_MPOL_WEIGHTED_INTERLEAVE,
};
#define AL_MPOL_F_STATIC_NODES (1 << 15)
#define AL_MPOL_F_RELATIVE_NODES (1 << 14)
#define AL_MPOL_F_NUMA_BALANCING (1 << 13)

/* Indexed by MPOL_* value. */
const char *const al_mempolicy_modes[] = {
  "MPOL_DEFAULT", "MPOL_PREFERRED",      "MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_LOCAL", "MPOL_PREFERRED_MANY",
  "MPOL_WEIGHTED_INTERLEAVE", NULL,
};
const char *const al_mempolicy_flags[] = { "MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES", "MPOL_F_STATIC_NODES",
                                           NULL };
static const int flag_bits[] = { AL_MPOL_F_NUMA_BALANCING, AL_MPOL_F_RELATIVE_NODES, AL_MPOL_F_STATIC_NODES };

int
al_mempolicy_mode (const char *name)
{
  for (int i = 0; al_mempolicy_modes[i]; i++)
    if (strcmp (al_mempolicy_modes[i], name) == 0)
      return i;
  return -1;
}

int
al_mempolicy_flag (const char *name)
{
  for (int i = 0; al_mempolicy_flags[i]; i++)
    if (strcmp (al_mempolicy_flags[i], name) == 0)
      return flag_bits[i];
  return -1;
}

int
al_mempolicy_check (const struct oci_memory_policy *mp, const char **why)
{
  unsigned long mask[AL_CPULIST_WORDS];
  size_t top = 0;
  if (mp->nodes && al_cpulist_parse (mp->nodes, mask, &top, why) < 0)
    return -1;
  bool none = top == 0;
  switch (mp->mode)
    {
    case AL_MPOL_DEFAULT:
    case AL_MPOL_LOCAL:
      if (!none)
        {
          *why = "nodes must be empty for this mode";
          return -1;
        }
      if (mp->flags)
        {
          *why = "flags are not allowed with this mode";
          return -1;
        }
      break;
    case AL_MPOL_BIND:
    case AL_MPOL_INTERLEAVE:
    case AL_MPOL_WEIGHTED_INTERLEAVE:
    case AL_MPOL_PREFERRED_MANY:
      if (none)
        {
          *why = "this mode needs at least one node in nodes";
          return -1;
        }
      break;
    default:
      break;
    }
  if ((mp->flags & AL_MPOL_F_STATIC_NODES) && (mp->flags & AL_MPOL_F_RELATIVE_NODES))
    {
      *why = "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other";
      return -1;
    }
  return 0;
}

int
al_mempolicy_apply (const struct oci_memory_policy *mp, al_error_t *err)
{
  if (!mp->present)
    return 0;
  unsigned long mask[AL_CPULIST_WORDS];
  size_t top = 0;
  const char *why = NULL;
  if (al_mempolicy_check (mp, &why) < 0)
    return al_err (err, EINVAL, "linux.memoryPolicy: %s", why);
  if (mp->nodes)
    al_cpulist_parse (mp->nodes, mask, &top, &why);
  else
    memset (mask, 0, sizeof mask);
  /* maxnode: the kernel reads maxnode - 1 bits (it drops the last one). */
  long r = syscall (SYS_set_mempolicy, mp->mode | (int) mp->flags, top ? mask : NULL,
                    top ? (unsigned long) top + 1 : 0UL);
  if (r < 0)
    return al_err (err, errno, "linux.memoryPolicy: set_mempolicy(%s%s%s)", al_mempolicy_modes[mp->mode],
                   mp->nodes ? ", nodes " : "", mp->nodes ? mp->nodes : "");
  return 0;
}
