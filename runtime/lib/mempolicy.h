/* mempolicy.h: linux.memoryPolicy, the NUMA policy set with set_mempolicy(2)
 * for the container's init and every exec'd process. */
#ifndef AIRLOCK_MEMPOLICY_H
#define AIRLOCK_MEMPOLICY_H

#include "error.h"
#include "spec.h"

/* Names recognised in config.json (for the parser and `features`). */
extern const char *const al_mempolicy_modes[];
extern const char *const al_mempolicy_flags[];
int al_mempolicy_mode (const char *name);     /* MPOL_* value, -1 unknown */
int al_mempolicy_flag (const char *name);     /* MPOL_F_* bit, -1 unknown */
/* Check mode, flags and nodes together; *why a static reason on -1. */
int al_mempolicy_check (const struct oci_memory_policy *mp, const char **why);
/* set_mempolicy(2) for the calling thread (inherited by fork and exec). */
int al_mempolicy_apply (const struct oci_memory_policy *mp, al_error_t *err);

#endif
