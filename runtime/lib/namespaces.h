/* namespaces.h: which namespaces a container gets (new or joined by path),
 * user-namespace id maps and time-namespace offsets. */
#ifndef AIRLOCK_NAMESPACES_H
#define AIRLOCK_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct al_ns_plan
{
  unsigned long clone_flags; /* new namespaces created by clone3() of the init */
  int join_fd[OCI_NS_COUNT]; /* namespaces joined by path: an fd each, else -1 */
  bool new_user;
  bool new_time;
  bool joined_user;     /* linux.namespaces gives the user namespace by path */
  bool join_user_first; /* user ns joined by path plus new ones: the clone happens
                           in a helper that joined it first (join_fd[USER] is then
                           already joined by the init); also set when
                           helper_joined is */
  unsigned helper_joined; /* 1 << type: net/ipc/uts/cgroup namespaces joined by
                             path with a new or joined user namespace: the
                             clone helper joins them first, as the runtime's
                             (host) root, before the user namespace; the init
                             skips them */
  int saved_pid_fd;  /* the parent's own pid/time namespaces while it clones */
  int saved_time_fd;
};

/* Read linux.namespaces: open every `path` (errors name linux.namespaces[i].path
 * and check the file really is a namespace of that type). */
int al_ns_plan_init (struct al_ns_plan *plan, const struct oci_spec *spec, al_error_t *err);
void al_ns_plan_close (struct al_ns_plan *plan);

/* In the parent, just before clone3(): enter a joined pid/time namespace for the
 * children, or create the new time namespace and write its offsets. */
int al_ns_parent_before_clone (struct al_ns_plan *plan, const struct oci_spec *spec, al_error_t *err);
/* In the parent, just after clone3(): return to its own pid/time namespaces. */
int al_ns_parent_after_clone (struct al_ns_plan *plan, al_error_t *err);

/* In the parent: write uid_map/gid_map of the init (new user namespace). */
int al_ns_write_id_maps (pid_t pid, const struct oci_spec *spec, al_error_t *err);
/* Write the maps m[0..n) into /proc/PID/<file> (uid_map or gid_map); errors
 * name `what` (e.g. "linux.uidMappings", "mounts[2].uidMappings"). */
struct oci_id_mapping;
int al_write_id_map (pid_t pid, const char *file, const char *what, const struct oci_id_mapping *m, size_t n,
                     al_error_t *err);

/* The shim: containerd makes bundles 0700 and root's, which the init, root
 * of its user namespace only, cannot traverse to its rootfs. As containerd
 * does for configs with a user namespace, give the bundle the group of the
 * container's root (the host gid of its gid 0) and g+x. Nothing when the
 * bundle is already traversable by others or by that group, or without a
 * user namespace. Failures are logged: create then fails at the rootfs. */
struct al_log;
void al_ns_open_bundle_to_userns (const char *bundle, const struct oci_spec *spec, const struct al_log *log);

/* In the clone helper (host root, before the init is cloned): join the
 * namespaces of plan->helper_joined, then the user namespace when
 * join_user_first. -1 with errno, *failed the namespace type, on a failure. */
int al_ns_helper_join (const struct al_ns_plan *plan, int *failed);

/* In the init: join the namespaces given by path (all but pid and time, which
 * the parent handled). */
int al_ns_join (struct al_ns_plan *plan, al_error_t *err);

/* In the init: bring up the loopback interface of a new network namespace. */
int al_ns_loopback_up (al_error_t *err);

#endif
