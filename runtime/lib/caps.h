/* caps.h: process.capabilities applied with libcap. */
#ifndef AIRLOCK_CAPS_H
#define AIRLOCK_CAPS_H

#include "error.h"
#include "spec.h"

/* Before changing uid: keep permitted caps across setuid (PR_SET_KEEPCAPS). */
int al_caps_keep (al_error_t *err);

/* After changing uid/gid: drop every capability not in the bounding set from
 * the bounding set, set inheritable/permitted/effective exactly as given, then
 * raise the ambient ones. When caps->...present is false for a set, that set
 * becomes empty. Errors name the capability and the set. */
int al_caps_apply (const struct oci_capabilities *caps, al_error_t *err);

/* Highest capability number the running kernel knows (/proc/sys/kernel/cap_last_cap). */
int al_caps_last_cap (void);

#endif
