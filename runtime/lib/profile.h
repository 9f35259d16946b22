/* profile.h: sandbox profiles (specs/profiles/NAME.json, format in
 * specs/profiles/README.md): the floor a container selected by the
 * annotation airlock.profile=NAME must meet. A profile only tightens: it is
 * intersected with the config, and a config that conflicts with it (joined
 * namespaces, writable host binds, extra devices, host ids in the user
 * namespace mappings...) is refused with an error instead of run looser. */
#ifndef AIRLOCK_PROFILE_H
#define AIRLOCK_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "spec.h"

#define AL_PROFILE_ANNOTATION "airlock.profile"
/* Where a bare profile name is looked up, after $AIRLOCK_PROFILES_DIR. */
#ifndef AL_PROFILES_DIR
#define AL_PROFILES_DIR "/usr/local/share/airlock/profiles"
#endif
#define AL_PROFILE_MAX_SIZE (1024u * 1024)
/* The action of a seccomp rule that makes an exception to seccomp.allow:
 * the calls it matches are denied as a syscall left out of the allow-list
 * is (notified to the monitor and reported, or deniedErrno without one). */
#define AL_PROFILE_DENY "deny"
#define AL_PROFILE_POOL_MAX_SLOTS 65536 /* user.pool.slots */

struct al_profile;

/* /dev holds device nodes and symlinks only. */
#define AL_PROFILE_DEV_TMPFS_SIZE (64u * 1024)
#define AL_PROFILE_DEV_TMPFS_INODES 1024u
/* Other tmpfs: one inode per this many bytes of the memory limit. */
#define AL_PROFILE_TMPFS_BYTES_PER_INODE (16u * 1024)
#define AL_PROFILE_SHMMNI 32u
#define AL_PROFILE_MSGMNI 32u
#define AL_PROFILE_MSGMNB 16384u
#define AL_PROFILE_SEM "32 1024 32 32" /* SEMMSL SEMMNS SEMOPM SEMMNI */

/* What the host (and the caller) can do, for al_profile_apply. */
struct al_profile_host
{
  /* The cgroup v2 controller is available to the container's cgroup: the
   * limit goes to linux.resources, else to the profile's rlimit fallback. */
  bool cgroup_pids, cgroup_memory, cgroup_cpu;
  /* A monitor keeps the seccomp listener and answers every notification
   * (with al_profile_denied_errno). false: denied syscalls get
   * SCMP_ACT_ERRNO(deniedErrno) directly and are not recorded. */
  bool monitor;
};

enum al_enforcement
{
  AL_ENFORCE_NONE,   /* the profile sets no such limit, or cannot enforce it here */
  AL_ENFORCE_CGROUP, /* linux.resources (cgroup v2 controller) */
  AL_ENFORCE_RLIMIT, /* the profile's rlimit fallback, per process */
};

/* What al_profile_apply did, for the verdict. */
struct al_profile_report
{
  enum al_enforcement pids, memory, cpu;
  int64_t pids_limit;   /* the value enforced (cgroup or rlimit), 0 when none */
  int64_t memory_limit; /* bytes */
  /* The profile limits memory and the host has no memory controller: the
   * limit is not enforced by memory.max (create refuses this without the
   * opt-in, container.h). */
  bool memory_no_controller;
  /* The bounds that hold without a memory controller too (memory_limit > 0):
   * every tmpfs of the config sized (size= and nr_inodes=: /dev to
   * AL_PROFILE_DEV_TMPFS_SIZE, the others to memory_limit), and the new IPC
   * namespace's SysV limits (linux.sysctl kernel.shmmax, shmall, shmmni,
   * shm_rmid_forced, msgmni, msgmnb, sem). */
  size_t tmpfs_sized;      /* tmpfs mounts bounded */
  uint64_t tmpfs_max_bytes; /* the largest size= of them */
  bool ipc_bounded;
  uint64_t ipc_shmmax, ipc_shmall; /* bytes, pages */
  int64_t cpu_quota;    /* cgroup: quota/period in microseconds */
  uint64_t cpu_period;
  uint64_t cpu_rlimit;  /* rlimit fallback: RLIMIT_CPU seconds */
  size_t caps_dropped;  /* capabilities the config asked for and did not get */
  bool seccomp_replaced; /* the config had its own linux.seccomp: replaced */
  bool seccomp_notify;  /* denied syscalls go to the listener (host->monitor) */
  uint32_t denied_errno;
  uint64_t timeout_ms;
};

/* Load a profile: a path (anything with a '/', or ending in ".json"), or a
 * bare name ([A-Za-z0-9_.-], no leading '.') looked up as NAME.json in, in
 * order: $AIRLOCK_PROFILES_DIR (when set and non-empty), AL_PROFILES_DIR, and
 * ../specs/profiles next to the running binary (the source tree). Errors name
 * the file and the JSON path ("untrusted.json: limits.pids.max: ..."). */
int al_profile_load (const char *name_or_path, struct al_profile **out, al_error_t *err);
/* Parse profile text; `file` names it in errors. */
int al_profile_parse (const char *file, const char *text, size_t len, struct al_profile **out, al_error_t *err);
void al_profile_free (struct al_profile *p);
void al_profile_freep (struct al_profile **p);
#define _cleanup_profile_ __attribute__ ((cleanup (al_profile_freep)))

/* Check the config against the profile, then tighten it in place. On error
 * (a conflict: "profile \"untrusted\": linux.namespaces[1]: joins the host's
 * network namespace (/proc/1/ns/net): the profile needs a new one") the spec is
 * left unchanged. `host` NULL means: no controllers, no monitor. `report` may
 * be NULL. Applying twice gives the same config (exec re-applies it). */
int al_profile_apply (const struct al_profile *p, struct oci_spec *spec, const struct al_profile_host *host,
                      struct al_profile_report *report, al_error_t *err);

/* For `exec` into a profiled container: the process-level part of the
 * profile (capabilities, noNewPrivileges, rlimits and the rlimit fallbacks
 * for controllers `host` lacks) applied to the exec'd process. The seccomp
 * filter and the rest come from re-applying the profile to the stored config
 * (al_profile_apply is idempotent). Cannot fail; returns 0. */
int al_profile_apply_process (const struct al_profile *p, struct oci_process *proc, const struct al_profile_host *host);

/* Fill `host` from a cgroup.controllers line ("cpu memory pids ...", NULL:
 * none); monitor is left false. */
void al_profile_host_from_controllers (const char *controllers, struct al_profile_host *host);
/* The same from the cgroup2 mount's root cgroup.controllers (no cgroup2: no
 * controllers). An approximation of what a container's cgroup can get. */
int al_profile_host_probe (struct al_profile_host *host, al_error_t *err);

const char *al_profile_name (const struct al_profile *p);
const char *al_profile_description (const struct al_profile *p);
const char *al_profile_path (const struct al_profile *p); /* the file it came from */
/* Default timeout in milliseconds (0: none). */
uint64_t al_profile_timeout_ms (const struct al_profile *p);
/* The timeout a container gets when it asks for `requested_ms` (0: did not
 * ask) through airlock.timeout: it may lower the profile's, never raise it. */
uint64_t al_profile_clamp_timeout (const struct al_profile *p, uint64_t requested_ms);
/* The errno a monitor answers denied syscalls with (EPERM unless set). */
int al_profile_denied_errno (const struct al_profile *p);
/* user.pool: false when the profile has none. With a pool, al_profile_apply
 * adds no id mappings: create gives the container a slot of its own
 * (idpool.h), or keeps the config's own mappings (checked to stay out of
 * the pool). */
bool al_profile_id_pool (const struct al_profile *p, uint32_t *start, uint32_t *size, uint32_t *slots);
/* The profile lets a container join a user namespace (a pod's: namespaces.
   mayJoin has "user", which needs user.pool). */
bool al_profile_pod_userns (const struct al_profile *p);

const char *al_enforcement_name (enum al_enforcement e); /* "cgroup", "rlimit", "none" */

#endif
