/* container.h: the container lifecycle: create, start, state, kill, delete,
 * and the foreground `run`. The CLI and (later) the shim are thin layers on top. */
#ifndef AIRLOCK_CONTAINER_H
#define AIRLOCK_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "log.h"
#include "state.h"

/* Opt-in, "warn": run without the limits whose cgroup controller the host's
   cgroup2 tree lacks (a v1/v2 hybrid host), with a warning naming each.
   For a profiled container (airlock.profile) only the environment can opt
   in: its annotation comes from the tenant and may only say "refuse". A
   profiled container whose memory limit has no memory controller is refused
   without the opt-in (memfd, SysV shm, tmpfs and kernel memory would only be
   bounded by the runtime's own bounds and the monitor's sampling). */
#define AL_MISSING_CONTROLLERS_ENV "AIRLOCK_MISSING_CONTROLLERS"
#define AL_MISSING_CONTROLLERS_ANNOTATION "airlock.missing-controllers"

struct oci_spec;
struct al_profile;
struct al_profile_report;
struct al_create_opts
{
  const char *root;            /* --root */
  const char *id;
  const char *bundle;          /* NULL: current directory */
  const char *config_path;     /* NULL: <bundle>/config.json */
  const char *console_socket;  /* --console-socket */
  const char *pid_file;        /* --pid-file */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool systemd_cgroup;
  bool foreground;             /* `run`: the init stays our child; a terminal
                                  without console socket comes back to us */
  bool keep_seccomp_listener;  /* a monitor (run, sandbox, the shim) answers
                                  SCMP_ACT_NOTIFY itself: the listener comes
                                  back in al_created instead of going to
                                  linux.seccomp.listenerPath */
  bool open_bundle_to_userns;  /* the shim: the bundle dir (0700, root's)
                                  gets the group of the container's root and
                                  g+x, once its ids are known (its id pool
                                  slot is taken in create) */
  int stdio[3];                /* the init's stdin/stdout/stderr; -1: ours.
                                  Zero-initialised opts must set these to -1
                                  (al_create_opts_init does). */
  bool die_with_parent;        /* a monitor watches the container (`sandbox`,
                                  `run` of a profiled config; not the shim, whose
                                  creating worker exits): the init dies with
                                  this process (PR_SET_PDEATHSIG SIGKILL after
                                  its last credential change) and never execs
                                  once this process is gone */
  int monitor_lock;            /* the monitor's registration (reaper.h): the
                                  init closes its copy at once; -1: none */
  const struct al_log *log;
  /* The config, already read and parsed by the caller with the rules create
     uses (al_watch_prepare): create then neither reads nor parses it again,
     so the monitor's view and the container are one config. Borrowed, NULL:
     create reads it. `profile`, when set, has been applied to `spec`
     already (create only takes its id pool). */
  const char *config_text;
  size_t config_len;
  struct oci_spec *spec;
  const struct al_profile *profile;
  const struct al_profile_report *profile_report; /* of `profile`'s apply */
};

/* Defaults: every fd -1, everything else zero. */
void al_create_opts_init (struct al_create_opts *o);

struct al_created
{
  pid_t pid;
  int pidfd;       /* foreground only, else -1 */
  int pty_master;  /* foreground with process.terminal and no console socket, else -1 */
  int seccomp_listener; /* keep_seccomp_listener and a notify rule, else -1 */
};

/* When the config's `airlock.profile` annotation names a profile: load it and
 * tighten `spec` with it (or refuse it). `monitor`: denied syscalls notify a
 * monitor instead of failing with the profile's errno. report may be NULL. */
struct oci_spec;
struct al_profile_report;
int al_container_apply_profile (struct oci_spec *spec, const char *name, bool monitor,
                                struct al_profile_report *report, al_error_t *err);

/* The opt-in to run without the limits whose controller the host's cgroup2
 * tree lacks: AIRLOCK_MISSING_CONTROLLERS=warn in the environment, or (no
 * profile) the annotation airlock.missing-controllers: warn; the annotation
 * "refuse" wins. create records the answer in the state (later commands
 * honour it without the environment). */
bool al_missing_controllers_opt_in (const struct oci_spec *spec);

/* --systemd-cgroup, or a "slice:prefix:name" cgroupsPath on a systemd host. */
bool al_container_uses_systemd (bool systemd_flag, const char *cgroups_path);

/* Read the config of `o` at `path` (o->config_path, else the bundle's
 * config.json, which must be a regular file). */
int al_config_read (const struct al_create_opts *o, const char *path, char **text, size_t *len, al_error_t *err);
int al_container_create (const struct al_create_opts *o, struct al_created *out, al_error_t *err);
/* Releases the init, then runs every poststart hook. When one fails, the
 * container's processes are killed (it is left stopped) and the error names
 * the first failing hook and how many later ones failed too. */
int al_container_start (const char *root, const char *id, const struct al_log *log, al_error_t *err);
/* The same for a watched container whose seccomp listener its monitor holds
 * (keep_seccomp_listener): until the init has exec'd the program, the
 * startContainer hooks it runs under the container's filter may be notified,
 * and handle(data, listener) answers each notification (false: stop
 * watching the listener). */
struct al_start_notify
{
  int listener;
  bool (*handle) (void *data, int listener);
  void *data;
};
int al_container_start_notified (const char *root, const char *id, const struct al_log *log,
                                 const struct al_start_notify *notify, al_error_t *err);
/* Prints the state JSON into *json. */
int al_container_state (const char *root, const char *id, char **json, al_error_t *err);
int al_container_kill (const char *root, const char *id, int sig, bool all, al_error_t *err);
int al_container_delete (const char *root, const char *id, bool force, const struct al_log *log, al_error_t *err);

/* An existing container, its state dir locked (shared or exclusive). */
struct al_opened
{
  int dirfd;
  struct al_state *st;
};
int al_container_open (const char *root, const char *id, bool exclusive, struct al_opened *c, al_error_t *err);
void al_container_close (struct al_opened *c);
/* The copy of config.json taken at create time. */
struct oci_spec;
int al_container_load_config (int dirfd, const char *id, struct oci_spec **spec, al_error_t *err);
/* The container's cgroup from its state (NULL when it has none); al_cgroup_free it. */
struct al_cgroup;
struct al_cgroup *al_state_cgroup (const struct al_state *st);

/* For `list`: every container under root (ids sorted), with its status. */
struct al_list_entry
{
  struct al_state *st;
  enum al_status status;
};
int al_container_list (const char *root, struct al_list_entry **out, size_t *n, al_error_t *err);
void al_container_list_free (struct al_list_entry *l, size_t n);

#endif
