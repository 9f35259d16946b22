/* intelrdt.h: linux.intelRdt through a resctrl filesystem: the CLOS
 * directory (closID, or the container id, created), its schemata lines,
 * the init's pid in tasks, and with enableMonitoring a mon_groups/<id>. */
#ifndef AIRLOCK_INTELRDT_H
#define AIRLOCK_INTELRDT_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* The resctrl mount point from /proc/self/mountinfo; -ENOENT when none. */
int al_intelrdt_root (char **out, al_error_t *err);
/* Apply under `root` (a real or a test tree) for container id and pid. */
int al_intelrdt_apply (const char *root, const struct oci_intel_rdt *rdt, const char *id, pid_t pid, al_error_t *err);
/* What delete removes: the MON group, and the CLOS dir create made. */
void al_intelrdt_remove (const char *root, const struct oci_intel_rdt *rdt, const char *id);

#endif
