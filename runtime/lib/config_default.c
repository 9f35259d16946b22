/* config_default.c: the default config.json printed by `airlock spec`. */
#include "spec.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "json.h"
#include "util.h"

static void
str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
kstr (yajl_gen g, const char *key, const char *value)
{
  str (g, key);
  str (g, value);
}

static void
kint (yajl_gen g, const char *key, long long v)
{
  str (g, key);
  yajl_gen_integer (g, v);
}

static void
kbool (yajl_gen g, const char *key, bool v)
{
  str (g, key);
  yajl_gen_bool (g, v);
}

/* "key": [ NULL terminated strings ] */
static void
kstrv (yajl_gen g, const char *key, const char *const *v)
{
  str (g, key);
  yajl_gen_array_open (g);
  for (; *v; v++)
    str (g, *v);
  yajl_gen_array_close (g);
}

static void
gen_process (yajl_gen g)
{
  static const char *const args[] = { "sh", NULL };
  static const char *const env[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                     "TERM=xterm", NULL };
  static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

  str (g, "process");
  yajl_gen_map_open (g);
  kbool (g, "terminal", true);
  str (g, "user");
  yajl_gen_map_open (g);
  kint (g, "uid", 0);
  kint (g, "gid", 0);
  yajl_gen_map_close (g);
  kstrv (g, "args", args);
  kstrv (g, "env", env);
  kstr (g, "cwd", "/");
  str (g, "capabilities");
  yajl_gen_map_open (g);
  kstrv (g, "bounding", caps);
  kstrv (g, "effective", caps);
  kstrv (g, "permitted", caps);
  yajl_gen_map_close (g);
  str (g, "rlimits");
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  kstr (g, "type", "RLIMIT_NOFILE");
  kint (g, "hard", 1024);
  kint (g, "soft", 1024);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
  kbool (g, "noNewPrivileges", true);
  yajl_gen_map_close (g);
}

static void
gen_mount (yajl_gen g, const char *dest, const char *type, const char *source, const char *const *options)
{
  yajl_gen_map_open (g);
  kstr (g, "destination", dest);
  kstr (g, "type", type);
  kstr (g, "source", source);
  if (options)
    kstrv (g, "options", options);
  yajl_gen_map_close (g);
}

static void
gen_mounts (yajl_gen g, bool rootless)
{
  static const char *const dev[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
  static const char *const pts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", NULL };
  static const char *const pts_rootless[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", NULL };
  static const char *const shm[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
  static const char *const mqueue[] = { "nosuid", "noexec", "nodev", NULL };
  static const char *const sys[] = { "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const sys_rootless[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
  static const char *const cgroup[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };

  str (g, "mounts");
  yajl_gen_array_open (g);
  gen_mount (g, "/proc", "proc", "proc", NULL);
  gen_mount (g, "/dev", "tmpfs", "tmpfs", dev);
  gen_mount (g, "/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts);
  gen_mount (g, "/dev/shm", "tmpfs", "shm", shm);
  gen_mount (g, "/dev/mqueue", "mqueue", "mqueue", mqueue);
  if (rootless)
    /* Without a cgroup namespace of our own cgroup2 cannot be mounted: the
     * rbind of /sys brings the host's /sys/fs/cgroup, read-only. */
    gen_mount (g, "/sys", "none", "/sys", sys_rootless);
  else
    {
      gen_mount (g, "/sys", "sysfs", "sysfs", sys);
      gen_mount (g, "/sys/fs/cgroup", "cgroup2", "cgroup", cgroup);
    }
  yajl_gen_array_close (g);
}

static void
gen_idmap (yajl_gen g, const char *key, unsigned id)
{
  str (g, key);
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  kint (g, "containerID", 0);
  kint (g, "hostID", id);
  kint (g, "size", 1);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
}

static void
gen_linux (yajl_gen g, bool rootless, bool cgroupns)
{
  static const char *const masked[] = { "/proc/acpi",        "/proc/asound",      "/proc/kcore",
                                        "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                                        "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                                        "/proc/scsi",        NULL };
  static const char *const readonly[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
                                          NULL };
  static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
  static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "cgroup", "user", NULL };

  str (g, "linux");
  yajl_gen_map_open (g);
  if (rootless)
    {
      gen_idmap (g, "uidMappings", (unsigned) getuid ());
      gen_idmap (g, "gidMappings", (unsigned) getgid ());
    }
  else
    {
      str (g, "resources");
      yajl_gen_map_open (g);
      str (g, "devices");
      yajl_gen_array_open (g);
      yajl_gen_map_open (g);
      kbool (g, "allow", false);
      kstr (g, "access", "rwm");
      yajl_gen_map_close (g);
      yajl_gen_array_close (g);
      yajl_gen_map_close (g);
    }
  str (g, "namespaces");
  yajl_gen_array_open (g);
  for (const char *const *n = rootless ? ns_rootless : ns; *n; n++)
    {
      if (!cgroupns && strcmp (*n, "cgroup") == 0)
        continue;
      yajl_gen_map_open (g);
      kstr (g, "type", *n);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  kstrv (g, "maskedPaths", masked);
  kstrv (g, "readonlyPaths", readonly);
  yajl_gen_map_close (g);
}

char *
oci_spec_default_json (bool rootless)
{
  return oci_spec_default_json_ns (rootless, !rootless);
}

char *
oci_spec_default_json_ns (bool rootless, bool cgroupns)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "\t");

  yajl_gen_map_open (g);
  kstr (g, "ociVersion", AL_OCI_VERSION);
  gen_process (g);
  str (g, "root");
  yajl_gen_map_open (g);
  kstr (g, "path", "rootfs");
  kbool (g, "readonly", true);
  yajl_gen_map_close (g);
  kstr (g, "hostname", "airlock");
  gen_mounts (g, rootless);
  gen_linux (g, rootless, cgroupns);
  yajl_gen_map_close (g);

  return al_json_gen_finish (g);
}
