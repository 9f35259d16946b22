/* sdbus_dl.c: load libsystemd's sd-bus on first use. */
#define AL_SDBUS_DL_IMPL
#include "sdbus_dl.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

struct al_sdbus_table al_sdbus;

int
al_sdbus_load (al_error_t *err)
{
  static void *handle;
  if (handle)
    return 0;
  void *h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return al_err (err, ENOENT, "the systemd cgroup driver needs libsystemd.so.0 (Debian: libsystemd0): %s",
                   dlerror ());
#define AL_SDBUS_RESOLVE(name)                                                                                       \
  al_sdbus.p_##name = (__typeof__ (name) *) dlsym (h, #name);                                                        \
  if (al_sdbus.p_##name == NULL)                                                                                     \
    {                                                                                                                \
      dlclose (h);                                                                                                   \
      return al_err (err, ENOSYS, "libsystemd.so.0 has no %s", #name);                                              \
    }
  AL_SDBUS_FUNCS (AL_SDBUS_RESOLVE)
#ifdef AL_STATIC_BINARY
  /* Statically linked: libsystemd allocates with the libc.so.6 that
   * dlopen() brought along. */
  AL_SDBUS_RESOLVE (free)
#else
  al_sdbus.p_free = free;
#endif
#undef AL_SDBUS_RESOLVE
  handle = h;
  return 0;
}
