/* cgroup_systemd.h: the systemd cgroup driver. The container's cgroup is a
 * transient unit (a scope, or a slice when the name ends in ".slice") created
 * over sd-bus with StartTransientUnit; systemd owns the unit, the runtime still
 * uses the cgroupfs code (cgroup.h) on the unit's delegated cgroup for what
 * systemd cannot express (unified, hugetlb, freeze, kill, stats).
 *
 * linux.cgroupsPath is "slice:prefix:name": the unit is "<prefix>-<name>.scope"
 * in <slice>; an empty slice is "system.slice", an empty prefix gives
 * "<name>.scope", a name ending in ".slice" is that slice unit itself. An empty
 * cgroupsPath means "system.slice:airlock:<id>".
 *
 * Every call opens one bus connection (systemd's private socket when root,
 * else the system bus) and waits for its job with the JobRemoved signal (no
 * polling), bounded by AL_SYSTEMD_TIMEOUT_USEC. */
#ifndef AIRLOCK_CGROUP_SYSTEMD_H
#define AIRLOCK_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "spec.h"

#define AL_SYSTEMD_TIMEOUT_USEC (30ull * 1000 * 1000)
#define AL_SYSTEMD_DEFAULT_SLICE "system.slice"
#define AL_SYSTEMD_DEFAULT_PREFIX "airlock"
#define AL_SYSTEMD_PROPERTY_ANNOTATION "org.systemd.property."
/* The delegated sub-cgroup of the unit the container's processes live in. */
#define AL_SYSTEMD_SUBCGROUP "container"

/* True when systemd is PID 1 (/run/systemd/system exists). */
bool al_systemd_is_running (void);

/* Create the unit for the container whose init is `pid` (already cloned,
 * waiting): StartTransientUnit with Description, Slice, Delegate=yes,
 * PIDs=[pid], DefaultDependencies=no, the accounting switches, the resources
 * systemd knows (see al_systemd_resource_props) and the
 * org.systemd.property.NAME annotations of `spec` (may be NULL). A unit left
 * over in the failed state is reset and created again. Waits for the job.
 * *cg_out: the unit's cgroup (mount + ControlGroup, dirfd closed), *unit_out
 * the unit name ("airlock-ID.scope"); both owned by the caller. For a slice
 * unit the pid is moved in with al_cgroup_enter. `res` may be NULL. */
int al_systemd_cgroup_create (const char *id, const char *cgroups_path, pid_t pid, const struct oci_resources *res,
                              const struct oci_spec *spec, struct al_cgroup **cg_out, char **unit_out,
                              al_error_t *err);

/* SetUnitProperties(unit, runtime=true, resources). No-op when `res` carries
 * nothing systemd knows. */
int al_systemd_cgroup_update (const char *unit, const struct oci_resources *res, al_error_t *err);

/* StopUnit(unit, "replace") and wait for the job, then ResetFailedUnit so the
 * unit is gone; a unit that does not exist is not an error. When cg is not
 * NULL, its directory is removed too if systemd left it (al_cgroup_destroy,
 * force: missing is fine). */
int al_systemd_cgroup_destroy (const char *unit, struct al_cgroup *cg, al_error_t *err);

/* ---- pure helpers (unit tested) --------------------------------------- */

/* Split linux.cgroupsPath (NULL or "" = defaults) into the parent slice and
 * the unit name; errors name linux.cgroupsPath. *is_slice: the unit is a
 * slice. Any out pointer may be NULL. */
int al_systemd_parse_path (const char *cgroups_path, const char *id, char **slice, char **unit, bool *is_slice,
                           al_error_t *err);
/* The unit name only (for update/delete from the stored config). */
int al_systemd_unit_name (const char *cgroups_path, const char *id, char **unit, al_error_t *err);
/* Whether s is a valid unit name with the given suffix (".scope", ".slice"). */
bool al_systemd_unit_name_valid (const char *s, const char *suffix);

/* A D-Bus property for StartTransientUnit/SetUnitProperties. */
enum al_sd_type
{
  AL_SD_STRING, /* s */
  AL_SD_BOOL,   /* b */
  AL_SD_U64,    /* t */
  AL_SD_I64,    /* x */
  AL_SD_U32,    /* u */
  AL_SD_I32,    /* i */
  AL_SD_BYTES,  /* ay */
  AL_SD_U32S,   /* au */
};

struct al_sd_prop
{
  char *name;
  enum al_sd_type type;
  char *s;
  bool b;
  uint64_t u; /* t, u */
  int64_t i;  /* x, i */
  uint8_t *bytes;
  size_t n_bytes;
  uint32_t *u32s;
  size_t n_u32s;
};

struct al_sd_props
{
  struct al_sd_prop *v;
  size_t n;
};

void al_sd_props_clear (struct al_sd_props *p);
/* Last property called name (later ones override earlier ones), or NULL. */
const struct al_sd_prop *al_sd_props_find (const struct al_sd_props *p, const char *name);

/* The conversions. */
uint64_t al_systemd_cpu_weight (uint64_t shares);   /* 2..262144 -> 1..10000 (clamped) */
uint64_t al_systemd_io_weight (uint64_t blkio);     /* 10..1000 -> 1..10000 (clamped) */
/* CPUQuotaPerSecUSec for quota/period (period 0 = 100000); rounded up to a
 * whole percent (10000 us) as systemd keeps percents. quota < 0: UINT64_MAX. */
uint64_t al_systemd_quota_per_sec (int64_t quota, uint64_t period);
/* "0-3,5" to systemd's CPU/node bitmask (byte i bit j = index 8i+j). `what`
 * names the field in errors. An empty list gives *n = 0. */
int al_systemd_cpuset_mask (const char *list, const char *what, uint8_t **mask, size_t *n, al_error_t *err);

/* Append the properties for `res`: MemoryMax, MemoryLow, MemorySwapMax,
 * TasksMax, CPUWeight, CPUQuotaPerSecUSec, CPUQuotaPeriodUSec, AllowedCPUs,
 * AllowedMemoryNodes, IOWeight. Errors name linux.resources.*. */
int al_systemd_resource_props (const struct oci_resources *res, struct al_sd_props *p, al_error_t *err);
/* Append one property from an org.systemd.property.NAME annotation: value
 * "true"/"false", 'string' or "string", an integer (uint64, int64 when
 * negative), or "uint64 N"/"@t N", "int64 N"/"@x N", "uint32 N"/"@u N",
 * "int32 N"/"@i N". A NAME ending in a lowercase letter + "Sec" takes seconds
 * (integer or decimal) and becomes NAMEUSec (e.g. TimeoutStopSec=5 ->
 * TimeoutStopUSec=5000000). Errors name annotations["KEY"]. */
int al_systemd_annotation_prop (const char *key, const char *value, struct al_sd_props *p, al_error_t *err);
/* Every org.systemd.property.* annotation of spec (NULL: none). */
int al_systemd_annotation_props (const struct oci_spec *spec, struct al_sd_props *p, al_error_t *err);

#endif
