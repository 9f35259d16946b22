/* spec.h: the OCI runtime-spec 1.3 configuration (Linux fields) as typed structs.
 * Filled by config.c in one pass over config.json. Arrays come as pointer +
 * count; strings are heap owned; optional scalars carry a has_ flag. */
#ifndef AIRLOCK_SPEC_H
#define AIRLOCK_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define AL_OCI_VERSION "1.3.0"
#define AL_CONFIG_MAX_SIZE (4u * 1024 * 1024) /* config.json larger than this is refused */

struct oci_kv
{
  char *key;
  char *value;
};

struct oci_id_mapping
{
  uint32_t container_id;
  uint32_t host_id;
  uint32_t size;
};

struct oci_mount
{
  char *destination; /* absolute, required */
  char *type;        /* may be NULL (bind) */
  char *source;      /* may be NULL */
  char **options;    /* NULL terminated, may be NULL */
  struct oci_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct oci_id_mapping *gid_mappings;
  size_t n_gid_mappings;
};

/* Capability sets: arrays of CAP_* numbers (already validated names). */
struct oci_cap_set
{
  bool present;
  int *caps;
  size_t n;
};

struct oci_capabilities
{
  struct oci_cap_set bounding, effective, inheritable, permitted, ambient;
};

struct oci_rlimit
{
  int resource; /* RLIMIT_* */
  char *type;   /* as written, "RLIMIT_NOFILE" */
  uint64_t hard;
  uint64_t soft;
};

struct oci_user
{
  uint32_t uid;
  uint32_t gid;
  bool has_umask;
  uint32_t umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  char *username; /* windows only; parsed and ignored */
};

struct oci_io_priority
{
  bool present;
  int klass; /* IOPRIO_CLASS_RT/BE/IDLE */
  int priority;
};

struct oci_scheduler
{
  bool present;
  int policy; /* SCHED_* */
  bool has_nice;
  int32_t nice;
  bool has_priority;
  int32_t priority;
  int flags; /* SCHED_FLAG_* or'ed */
  uint64_t runtime, deadline, period;
};

struct oci_process
{
  bool terminal;
  bool has_console_size;
  uint32_t console_height, console_width;
  struct oci_user user;
  char **args; /* NULL terminated, at least one element */
  char **env;  /* NULL terminated, may be NULL */
  char *cwd;   /* absolute, required */
  struct oci_capabilities capabilities;
  bool has_capabilities;
  struct oci_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  char *apparmor_profile;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *selinux_label;
  struct oci_io_priority io_priority;
  struct oci_scheduler scheduler;
  char *exec_cpu_affinity_initial;
  char *exec_cpu_affinity_final;
};

struct oci_hook
{
  char *path; /* absolute */
  char **args;
  char **env;
  bool has_timeout;
  int timeout; /* seconds, > 0 */
};

struct oci_hook_list
{
  struct oci_hook *hooks;
  size_t n;
};

struct oci_hooks
{
  struct oci_hook_list prestart, create_runtime, create_container, start_container, poststart, poststop;
};

enum oci_ns_type
{
  OCI_NS_PID,
  OCI_NS_NETWORK,
  OCI_NS_MOUNT,
  OCI_NS_IPC,
  OCI_NS_UTS,
  OCI_NS_USER,
  OCI_NS_CGROUP,
  OCI_NS_TIME,
  OCI_NS_COUNT
};

struct oci_namespace
{
  enum oci_ns_type type;
  char *path; /* NULL: create a new one */
};

struct oci_device
{
  char type; /* 'c', 'b', 'u', 'p' */
  char *path;
  int64_t major, minor;
  bool has_file_mode;
  uint32_t file_mode;
  bool has_uid;
  uint32_t uid;
  bool has_gid;
  uint32_t gid;
};

struct oci_device_cgroup
{
  bool allow;
  char type;    /* 'a', 'c', 'b'; 'a' when absent */
  int64_t major; /* -1 = any */
  int64_t minor; /* -1 = any */
  char *access; /* subset of "rwm"; NULL = "rwm" */
};

struct oci_weight_device
{
  int64_t major, minor;
  bool has_weight;
  uint16_t weight;
  bool has_leaf_weight;
  uint16_t leaf_weight;
};

struct oci_throttle_device
{
  int64_t major, minor;
  uint64_t rate;
};

struct oci_hugepage_limit
{
  char *page_size; /* "2MB" */
  uint64_t limit;
};

struct oci_net_priority
{
  char *name;
  uint32_t priority;
};

struct oci_rdma
{
  char *device;
  bool has_hca_handles;
  uint32_t hca_handles;
  bool has_hca_objects;
  uint32_t hca_objects;
};

struct oci_resources
{
  struct oci_device_cgroup *devices;
  size_t n_devices;

  struct
  {
    bool present;
    bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp, has_swappiness;
    int64_t limit, reservation, swap, kernel, kernel_tcp;
    uint64_t swappiness;
    bool has_disable_oom_killer, disable_oom_killer;
    bool has_use_hierarchy, use_hierarchy;
    bool has_check_before_update, check_before_update;
  } memory;

  struct
  {
    bool present;
    bool has_shares, has_quota, has_burst, has_period, has_realtime_runtime, has_realtime_period, has_idle;
    uint64_t shares;
    int64_t quota;
    uint64_t burst;
    uint64_t period;
    int64_t realtime_runtime;
    uint64_t realtime_period;
    int64_t idle;
    char *cpus;
    char *mems;
  } cpu;

  struct
  {
    bool present;  /* a limit was given */
    int64_t limit; /* -1 (any negative): unlimited ("max"); 0 is a real limit (1.3; before 1.3 a 0 reads as -1) */
  } pids;

  struct
  {
    bool present;
    bool has_weight, has_leaf_weight;
    uint16_t weight, leaf_weight;
    struct oci_weight_device *weight_device;
    size_t n_weight_device;
    struct oci_throttle_device *throttle_read_bps, *throttle_write_bps, *throttle_read_iops, *throttle_write_iops;
    size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops, n_throttle_write_iops;
  } block_io;

  struct oci_hugepage_limit *hugepage_limits;
  size_t n_hugepage_limits;

  struct
  {
    bool present;
    bool has_class_id;
    uint32_t class_id;
    struct oci_net_priority *priorities;
    size_t n_priorities;
  } network;

  struct oci_rdma *rdma;
  size_t n_rdma;

  struct oci_kv *unified;
  size_t n_unified;
};

struct oci_seccomp_arg
{
  uint32_t index;
  uint64_t value;
  bool has_value_two;
  uint64_t value_two;
  char *op; /* "SCMP_CMP_EQ" ... validated */
};

struct oci_seccomp_syscall
{
  char **names; /* NULL terminated, at least one */
  char *action; /* "SCMP_ACT_ERRNO" ... validated */
  bool has_errno_ret;
  uint32_t errno_ret;
  struct oci_seccomp_arg *args;
  size_t n_args;
};

struct oci_seccomp
{
  char *default_action;
  bool has_default_errno_ret;
  uint32_t default_errno_ret;
  char **architectures; /* "SCMP_ARCH_X86_64" ... */
  char **flags;         /* "SECCOMP_FILTER_FLAG_LOG" ... */
  char *listener_path;
  char *listener_metadata;
  struct oci_seccomp_syscall *syscalls;
  size_t n_syscalls;
  /* Not from JSON (profiles set it): a syscall of an ABI the filter does
   * not cover (not in architectures) gets defaultAction instead of
   * libseccomp's kill of the thread. */
  bool foreign_abi_denied;
};

struct oci_time_offset
{
  bool present;
  int64_t secs;
  uint32_t nanosecs;
};

/* linux.netDevices: one host interface moved into the container's netns. */
struct oci_net_device
{
  char *host_name; /* the entry's key */
  char *name;      /* the name inside (the key when absent); may hold one %d */
};

struct oci_memory_policy
{
  bool present;
  int mode;      /* MPOL_* */
  unsigned flags; /* MPOL_F_* or'ed */
  char *nodes;   /* "0-3,7", may be NULL */
};

struct oci_intel_rdt
{
  bool present;
  char *clos_id;
  char *l3_cache_schema;
  char *mem_bw_schema;
  char **schemata; /* NULL terminated, may be NULL */
  bool enable_monitoring;
};

struct oci_linux
{
  struct oci_namespace *namespaces;
  size_t n_namespaces;
  struct oci_id_mapping *uid_mappings;
  size_t n_uid_mappings;
  struct oci_id_mapping *gid_mappings;
  size_t n_gid_mappings;
  struct oci_time_offset time_monotonic, time_boottime;
  struct oci_device *devices;
  size_t n_devices;
  char *cgroups_path;
  struct oci_resources *resources; /* NULL when absent */
  char *rootfs_propagation;        /* "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable" */
  struct oci_seccomp *seccomp;     /* NULL when absent */
  struct oci_kv *sysctl;
  size_t n_sysctl;
  char **masked_paths;
  char **readonly_paths;
  char *mount_label;
  bool has_personality;
  char *personality_domain; /* "LINUX" or "LINUX32" */
  char **personality_flags;
  bool has_intel_rdt;
  struct oci_intel_rdt intel_rdt;
  struct oci_net_device *net_devices;
  size_t n_net_devices;
  struct oci_memory_policy memory_policy;
};

/* Not read from config.json: what a profile asks of every bind source, set
 * by al_profile_apply for the mount code, which checks each source on the fd
 * it mounts (bindcheck.h). */
struct al_bind_policy
{
  char *profile;       /* the profile's name, for messages */
  char **denied_paths; /* its deniedHostPaths (NULL terminated, may be empty) */
};

struct oci_spec
{
  char *oci_version;
  char *root_path; /* as written (may be relative to the bundle) */
  bool root_readonly;
  struct oci_mount *mounts;
  size_t n_mounts;
  struct oci_process *process; /* NULL when absent */
  char *hostname;
  char *domainname;
  struct oci_hooks hooks;
  struct oci_kv *annotations;
  size_t n_annotations;
  struct oci_linux *linux_; /* NULL when absent */
  struct al_bind_policy *bind_policy; /* NULL: no profile */
};

/* Parse config.json text. `name` is used in error messages ("config.json"
 * or a full path). Every error names the JSON path and the reason. */
int oci_spec_parse (const char *name, const char *text, size_t len, struct oci_spec **out, al_error_t *err);
/* Read and parse a file (bounded by AL_CONFIG_MAX_SIZE). */
int oci_spec_load (const char *path, struct oci_spec **out, al_error_t *err);
/* Parse a single process object (for exec --process). */
int oci_process_parse (const char *name, const char *text, size_t len, struct oci_process **out, al_error_t *err);
/* Parse a lone linux.resources object (update --resources). */
int oci_resources_parse (const char *name, const char *text, size_t len, struct oci_resources **out, al_error_t *err);
void oci_resources_free (struct oci_resources *res);
void oci_spec_free (struct oci_spec *spec);
void oci_process_free (struct oci_process *p);
void oci_spec_freep (struct oci_spec **spec);
#define _cleanup_spec_ __attribute__ ((cleanup (oci_spec_freep)))

/* Look up namespace `type` in the config: NULL when not requested. */
const struct oci_namespace *oci_spec_namespace (const struct oci_spec *spec, enum oci_ns_type type);
const char *oci_ns_type_name (enum oci_ns_type type); /* "pid", "network", ... */
const char *oci_spec_annotation (const struct oci_spec *spec, const char *key);

/* The default config printed by `airlock spec` (runc's defaults; rootless
 * variant adds a user namespace with the caller's id maps). Caller frees. */
char *oci_spec_default_json (bool rootless);
/* The same with a cgroup namespace or not (`spec`: as runc, only when the
 * host's /sys/fs/cgroup is cgroup2; the one above: unless rootless). */
char *oci_spec_default_json_ns (bool rootless, bool cgroupns);

/* Capability and rlimit name tables (shared by the parser and exec flags). */
int al_cap_from_name (const char *name); /* "CAP_SYS_ADMIN" -> 21, -1 unknown */
const char *al_cap_name (int cap);
int al_rlimit_from_name (const char *name); /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE, -1 unknown */

#endif
