/* intelrdt.c: linux.intelRdt (runtime-spec 1.3) against a resctrl tree.
 * Without closID the CLOS is the container id, created and later removed;
 * with closID it is used as it is (created only when schemata are given,
 * never removed). Schemata: l3CacheSchema, memBwSchema, then each line of
 * schemata, every one written on its own (resctrl takes one line a write). */
#include "intelrdt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

int
al_intelrdt_root (char **out, al_error_t *err)
{
  _cleanup_fclose_ FILE *f = fopen ("/proc/self/mountinfo", "re");
  if (f == NULL)
    return al_err (err, errno, "linux.intelRdt: open /proc/self/mountinfo");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  while (getline (&line, &cap, f) > 0)
    {
      char *sep = strstr (line, " - ");
      char mnt[4096], fstype[64];
      if (sep == NULL || sscanf (sep, " - %63s", fstype) != 1 || strcmp (fstype, "resctrl") != 0)
        continue;
      if (sscanf (line, "%*s %*s %*s %*s %4095s", mnt) != 1)
        continue;
      *out = al_xstrdup (mnt);
      return 0;
    }
  return al_err (err, ENOENT, "linux.intelRdt: no resctrl filesystem is mounted on this host (Intel RDT is "
                              "absent or /sys/fs/resctrl is not mounted)");
}

static char *
clos_dir (const char *root, const struct oci_intel_rdt *rdt, const char *id)
{
  if (rdt->clos_id && strcmp (rdt->clos_id, "/") == 0)
    return al_xstrdup (root);
  return al_xasprintf ("%s/%s", root, rdt->clos_id ? rdt->clos_id : id);
}

static int
write_line (const char *dir, const char *file, const char *line, al_error_t *err)
{
  _cleanup_free_ char *path = al_xasprintf ("%s/%s", dir, file);
  _cleanup_free_ char *text = al_xasprintf ("%s\n", line);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return al_err (err, errno, "linux.intelRdt: open %s", path);
  ssize_t n = write (fd, text, strlen (text));
  if (n < 0 || (size_t) n != strlen (text))
    return al_err (err, n < 0 ? errno : EIO, "linux.intelRdt: write \"%s\" to %s", line, path);
  return 0;
}

int
al_intelrdt_apply (const char *root, const struct oci_intel_rdt *rdt, const char *id, pid_t pid, al_error_t *err)
{
  if (!rdt->present)
    return 0;
  bool has_schema = rdt->l3_cache_schema || rdt->mem_bw_schema || (rdt->schemata && rdt->schemata[0]);
  _cleanup_free_ char *dir = clos_dir (root, rdt, id);
  struct stat sb;
  if (stat (dir, &sb) < 0)
    {
      if (errno != ENOENT)
        return al_err (err, errno, "linux.intelRdt: %s", dir);
      if (rdt->clos_id && !has_schema)
        return al_err (err, ENOENT, "linux.intelRdt.closID: no pre-configured CLOS \"%s\" in %s", rdt->clos_id, root);
      if (mkdir (dir, 0755) < 0)
        return al_err (err, errno, "linux.intelRdt: create the CLOS %s", dir);
    }
  if (rdt->l3_cache_schema && write_line (dir, "schemata", rdt->l3_cache_schema, err) < 0)
    return al_err_prefix (err, "linux.intelRdt.l3CacheSchema");
  if (rdt->mem_bw_schema && write_line (dir, "schemata", rdt->mem_bw_schema, err) < 0)
    return al_err_prefix (err, "linux.intelRdt.memBwSchema");
  for (size_t i = 0; rdt->schemata && rdt->schemata[i]; i++)
    if (write_line (dir, "schemata", rdt->schemata[i], err) < 0)
      return al_err_prefix (err, "linux.intelRdt.schemata[%zu]", i);
  char buf[32];
  snprintf (buf, sizeof buf, "%d", (int) pid);
  if (write_line (dir, "tasks", buf, err) < 0)
    return al_err_prefix (err, "linux.intelRdt");
  if (rdt->enable_monitoring)
    {
      _cleanup_free_ char *mon = al_xasprintf ("%s/mon_groups/%s", dir, id);
      if (mkdir (mon, 0755) < 0 && errno != EEXIST)
        return al_err (err, errno, "linux.intelRdt.enableMonitoring: create the MON group %s", mon);
      if (write_line (mon, "tasks", buf, err) < 0)
        return al_err_prefix (err, "linux.intelRdt.enableMonitoring");
    }
  return 0;
}

void
al_intelrdt_remove (const char *root, const struct oci_intel_rdt *rdt, const char *id)
{
  if (!rdt->present)
    return;
  _cleanup_free_ char *dir = clos_dir (root, rdt, id);
  if (rdt->enable_monitoring)
    {
      _cleanup_free_ char *mon = al_xasprintf ("%s/mon_groups/%s", dir, id);
      rmdir (mon);
    }
  if (rdt->clos_id == NULL)
    rmdir (dir);
}
