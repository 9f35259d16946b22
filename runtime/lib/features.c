/* features.c: the runtime-spec features document, computed from this build
 * (the tables of rootfs, caps, seccomp) and probed on this host (kernel
 * namespaces, cgroup2 mount and controllers, seccomp flags, LSMs). */
#include "features.h"

#include "seccomp.h"
#define AL_INCLUDE_LIBSECCOMP 1
#include <seccomp.h> /* libseccomp's: see seccomp.h */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "caps.h"
#include "cgroup.h"
#include "cgroup_systemd.h"
#include "lsm.h"
#include "rootfs.h"
#include "spec.h"
#include "json.h"
#include "intelrdt.h"
#include "mempolicy.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#ifndef AIRLOCK_VERSION
#define AIRLOCK_VERSION "unknown"
#endif
#ifndef AIRLOCK_COMMIT
#define AIRLOCK_COMMIT "unknown"
#endif

/* ---- yajl helpers ------------------------------------------------------ */

static void
gstr (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
kstr (yajl_gen g, const char *key, const char *value)
{
  gstr (g, key);
  gstr (g, value);
}

static void
kbool (yajl_gen g, const char *key, bool v)
{
  gstr (g, key);
  yajl_gen_bool (g, v);
}

/* "key": { "enabled": v } */
static void
kenabled (yajl_gen g, const char *key, bool v)
{
  gstr (g, key);
  yajl_gen_map_open (g);
  kbool (g, "enabled", v);
  yajl_gen_map_close (g);
}

/* "key": [ the strings of the NULL terminated v for which keep() is true ] */
static void
kstrv_if (yajl_gen g, const char *key, const char *const *v, bool (*keep) (const char *))
{
  gstr (g, key);
  yajl_gen_array_open (g);
  for (; *v; v++)
    if (keep == NULL || keep (*v))
      gstr (g, *v);
  yajl_gen_array_close (g);
}

/* ---- probes ------------------------------------------------------------ */

/* Mount options airlock recognises and does not refuse by design: the
 * parser's own verdict, so a new rejected option never slips in. */
static bool
mount_option_usable (const char *name)
{
  char *opts[] = { (char *) name, NULL };
  struct al_mount_flags f;
  if (al_mount_flags_parse (opts, &f, NULL) < 0)
    return false;
  bool usable = f.data == NULL && !f.idmap && !f.tmpcopyup;
  al_mount_flags_free (&f);
  return usable;
}

static const struct
{
  const char *oci;  /* linux.namespaces[].type */
  const char *proc; /* /proc/self/ns/<proc> */
} namespaces[] = {
  { "pid", "pid" }, { "network", "net" }, { "mount", "mnt" },     { "ipc", "ipc" },
  { "uts", "uts" }, { "user", "user" },   { "cgroup", "cgroup" }, { "time", "time" },
};

static bool
ns_available (const char *proc)
{
  _cleanup_free_ char *path = al_xasprintf ("/proc/self/ns/%s", proc);
  return access (path, F_OK) == 0;
}

const char *
al_features_cgroup_hierarchy (void)
{
  struct statfs st;
  if (statfs ("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
    return "unified";
  _cleanup_free_ char *mount = NULL;
  if (al_cgroup_find_mount (&mount, NULL) == 0)
    return "hybrid";
  return "legacy";
}

/* `controller` is listed in the cgroup.controllers of the cgroup2 root. */
static bool
cgroup2_has_controller (const char *mount, const char *controller)
{
  _cleanup_free_ char *path = al_xasprintf ("%s/cgroup.controllers", mount);
  _cleanup_free_ char *buf = NULL;
  if (al_read_file_at (AT_FDCWD, path, 64 * 1024, &buf, NULL, NULL) < 0)
    return false;
  char *save = NULL;
  for (char *w = strtok_r (buf, " \n", &save); w; w = strtok_r (NULL, " \n", &save))
    if (strcmp (w, controller) == 0)
      return true;
  return false;
}

/* The kernel offers seccomp filters at all (a "Seccomp:" line in
 * /proc/self/status) and libseccomp can build one. */
static bool
seccomp_enabled (void)
{
  _cleanup_free_ char *status = NULL;
  if (al_read_file_at (AT_FDCWD, "/proc/self/status", 1u << 20, &status, NULL, NULL) < 0)
    return false;
  if (strstr (status, "\nSeccomp:") == NULL)
    return false;
  if (seccomp_api_get () < 1)
    return false;
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  if (ctx == NULL)
    return false;
  seccomp_release (ctx);
  return true;
}

static const struct
{
  const char *name;
  unsigned long kernel;      /* SECCOMP_FILTER_FLAG_* */
  unsigned long probe_extra; /* flags the kernel wants alongside */
  int attr;                  /* libseccomp attribute airlock sets, 0: none (airlock handles it) */
} seccomp_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC, 0, 0 },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG, 0, SCMP_FLTATR_CTL_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW, 0, SCMP_FLTATR_CTL_SSB },
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, SECCOMP_FILTER_FLAG_NEW_LISTENER,
    SCMP_FLTATR_CTL_WAITKILL },
#endif
};

bool
al_features_seccomp_flag_supported (const char *name)
{
  for (size_t i = 0; i < sizeof (seccomp_flags) / sizeof (seccomp_flags[0]); i++)
    {
      if (strcmp (seccomp_flags[i].name, name) != 0)
        continue;
      /* The kernel checks the flags before it reads the program: with a
       * NULL program a known flag gives EFAULT, an unknown one EINVAL.
       * Nothing is ever installed. */
      long r = syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, seccomp_flags[i].kernel | seccomp_flags[i].probe_extra,
                        NULL);
      if (r == 0 || errno != EFAULT)
        return false;
      if (seccomp_flags[i].attr == 0)
        return true;
      /* libseccomp refuses attributes its API level lacks. */
      scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
      if (ctx == NULL)
        return false;
      bool ok = seccomp_attr_set (ctx, (enum scmp_filter_attr) seccomp_flags[i].attr, 1) == 0;
      seccomp_release (ctx);
      return ok;
    }
  return false;
}

static bool
seccomp_flag_supported_cb (const char *name)
{
  return al_features_seccomp_flag_supported (name);
}

/* SCMP_ARCH_* names to try; the list printed is what this libseccomp resolves. */
static const char *const arch_candidates[] = {
  "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",    "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",   "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",  "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64",     "SCMP_ARCH_SH",          "SCMP_ARCH_SHEB",   NULL,
};

static bool
arch_known (const char *name)
{
  char lower[32];
  const char *n = name + strlen ("SCMP_ARCH_");
  size_t len = strlen (n);
  if (len >= sizeof (lower))
    return false;
  for (size_t i = 0; i <= len; i++)
    lower[i] = (char) tolower ((unsigned char) n[i]);
  return seccomp_arch_resolve_name (lower) != 0;
}

/* ---- the document ------------------------------------------------------ */

static void
gen_linux (yajl_gen g)
{
  gstr (g, "linux");
  yajl_gen_map_open (g);

  gstr (g, "namespaces");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < sizeof (namespaces) / sizeof (namespaces[0]); i++)
    if (ns_available (namespaces[i].proc))
      gstr (g, namespaces[i].oci);
  yajl_gen_array_close (g);

  /* Capabilities airlock names and the kernel knows, less those outside
   * the runtime's own bounding set: no container started by this process
   * (even in a new user namespace) could hold them. */
  gstr (g, "capabilities");
  yajl_gen_array_open (g);
  int last = al_caps_last_cap ();
  for (int c = 0; c <= last; c++)
    {
      const char *name = al_cap_name (c);
      if (name && prctl (PR_CAPBSET_READ, (unsigned long) c, 0, 0, 0) == 1)
        gstr (g, name);
    }
  yajl_gen_array_close (g);

  _cleanup_free_ char *mount = NULL;
  bool v2 = al_cgroup_find_mount (&mount, NULL) == 0;
  gstr (g, "cgroup");
  yajl_gen_map_open (g);
  kbool (g, "v1", false); /* airlock never drives v1 hierarchies */
  kbool (g, "v2", v2);
  kbool (g, "systemd", al_systemd_is_running ()); /* the driver (cgroup_systemd.c) needs systemd as PID 1 */
  kbool (g, "systemdUser", false);
  kbool (g, "rdma", v2 && cgroup2_has_controller (mount, "rdma"));
  yajl_gen_map_close (g);

  gstr (g, "seccomp");
  yajl_gen_map_open (g);
  kbool (g, "enabled", seccomp_enabled ());
  kstrv_if (g, "actions", al_seccomp_actions, NULL);
  kstrv_if (g, "operators", al_seccomp_operators, NULL);
  kstrv_if (g, "archs", arch_candidates, arch_known);
  kstrv_if (g, "knownFlags", al_seccomp_flags, NULL);
  kstrv_if (g, "supportedFlags", al_seccomp_flags, seccomp_flag_supported_cb);
  yajl_gen_map_close (g);

  kenabled (g, "apparmor", al_apparmor_enabled ());
  kenabled (g, "selinux", al_selinux_enabled ());
  /* linux.intelRdt: implemented (intelrdt.c) but needs a mounted resctrl;
     without one every such config is refused, so it is reported off. */
  {
    _cleanup_free_ char *rdt_root = NULL;
    bool rdt = al_intelrdt_root (&rdt_root, NULL) == 0;
    gstr (g, "intelRdt");
    yajl_gen_map_open (g);
    kbool (g, "enabled", rdt);
    kbool (g, "schemata", rdt);
    kbool (g, "monitoring", rdt);
    yajl_gen_map_close (g);
  }
  kenabled (g, "netDevices", true); /* netdev.c */
  gstr (g, "memoryPolicy");
  yajl_gen_map_open (g);
  kstrv_if (g, "modes", al_mempolicy_modes, NULL);
  kstrv_if (g, "flags", al_mempolicy_flags, NULL);
  yajl_gen_map_close (g);

  gstr (g, "mountExtensions");
  yajl_gen_map_open (g);
  kenabled (g, "idmap", true); /* bind and tmpfs mounts, in a container with a user namespace (idmap.c) */
  yajl_gen_map_close (g);

  yajl_gen_map_close (g);
}

static void
gen_annotations (yajl_gen g)
{
  const struct scmp_version *v = seccomp_version ();
  _cleanup_free_ char *libseccomp
      = v ? al_xasprintf ("%u.%u.%u", v->major, v->minor, v->micro) : al_xstrdup ("unknown");
  gstr (g, "annotations");
  yajl_gen_map_open (g);
  kstr (g, "io.github.airlock.version", AIRLOCK_VERSION);
  kstr (g, "io.github.airlock.commit", AIRLOCK_COMMIT);
  kstr (g, "io.github.airlock.libseccomp.version", libseccomp);
  kstr (g, "io.github.airlock.cgroup.hierarchy", al_features_cgroup_hierarchy ());
  yajl_gen_map_close (g);
}

int
al_features_json (char **out, al_error_t *err)
{
  /* The hook phases container.c runs (struct oci_hooks). */
  static const char *const hooks[] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL,
  };

  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return al_err (err, ENOMEM, "features: cannot allocate the JSON generator");
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "  ");

  yajl_gen_map_open (g);
  kstr (g, "ociVersionMin", "1.0.0");
  kstr (g, "ociVersionMax", AL_OCI_VERSION);
  kstrv_if (g, "hooks", hooks, NULL);
  kstrv_if (g, "mountOptions", al_mount_options, mount_option_usable);
  gen_linux (g);
  gen_annotations (g);
  yajl_gen_map_close (g);

  *out = al_json_gen_finish (g);
  return 0;
}
