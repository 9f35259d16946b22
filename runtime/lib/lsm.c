/* lsm.c: AppArmor and SELinux, applied on exec through /proc/self/attr. */
#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

bool
al_apparmor_enabled (void)
{
  char buf[4] = "";
  _cleanup_close_ int fd = open ("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  return fd >= 0 && read (fd, buf, 1) == 1 && buf[0] == 'Y';
}

bool
al_selinux_enabled (void)
{
  return access ("/sys/fs/selinux/enforce", F_OK) == 0;
}

int
al_lsm_check_process (const struct oci_process *p, const char *name, al_error_t *err)
{
  if (p && p->apparmor_profile && *p->apparmor_profile && !al_apparmor_enabled ())
    return al_err (err, EOPNOTSUPP, "%s: process.apparmorProfile \"%s\": AppArmor is not enabled on this host", name,
                   p->apparmor_profile);
  if (p && p->selinux_label && *p->selinux_label && !al_selinux_enabled ())
    return al_err (err, EOPNOTSUPP, "%s: process.selinuxLabel \"%s\": SELinux is not enabled on this host", name,
                   p->selinux_label);
  return 0;
}

int
al_lsm_check (const struct oci_spec *spec, const char *name, al_error_t *err)
{
  int r = al_lsm_check_process (spec->process, name, err);
  if (r < 0)
    return r;
  if (spec->linux_ && spec->linux_->mount_label && *spec->linux_->mount_label && !al_selinux_enabled ())
    return al_err (err, EOPNOTSUPP, "%s: linux.mountLabel \"%s\": SELinux is not enabled on this host", name,
                   spec->linux_->mount_label);
  return 0;
}

static int
write_attr (const char *path, const char *value, const char *what, al_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "%s: open %s", what, path);
  if (write (fd, value, strlen (value)) < 0)
    return al_err (err, errno, "%s: write \"%s\" to %s", what, value, path);
  return 0;
}

int
al_lsm_apply_exec (const struct oci_process *p, al_error_t *err)
{
  if (p->apparmor_profile && *p->apparmor_profile)
    {
      _cleanup_free_ char *cmd = al_xasprintf ("exec %s", p->apparmor_profile);
      const char *path = access ("/proc/self/attr/apparmor/exec", F_OK) == 0 ? "/proc/self/attr/apparmor/exec"
                                                                           : "/proc/self/attr/exec";
      int r = write_attr (path, cmd, "process.apparmorProfile", err);
      if (r < 0)
        return r;
    }
  if (p->selinux_label && *p->selinux_label)
    return write_attr ("/proc/self/attr/exec", p->selinux_label, "process.selinuxLabel", err);
  return 0;
}
