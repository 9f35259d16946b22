/* lsm.h: AppArmor profiles and SELinux labels for the container process. */
#ifndef AIRLOCK_LSM_H
#define AIRLOCK_LSM_H

#include <stdbool.h>

#include "error.h"
#include "spec.h"

bool al_apparmor_enabled (void);
bool al_selinux_enabled (void);

/* Refuse, before anything is created, a config asking for an LSM the host
 * does not have (process.apparmorProfile, process.selinuxLabel,
 * linux.mountLabel). `name` prefixes the messages (the config file). */
int al_lsm_check (const struct oci_spec *spec, const char *name, al_error_t *err);

int al_lsm_check_process (const struct oci_process *p, const char *name, al_error_t *err);

/* In the init, just before execve: ask for the profile/label on exec. */
int al_lsm_apply_exec (const struct oci_process *p, al_error_t *err);

#endif
