/* sdbus_dl.h: libsystemd's sd-bus, loaded with dlopen() the first time the
 * systemd cgroup driver needs it. Every other command (and the shim) starts
 * without libsystemd and the five libraries it pulls in: a millisecond of
 * dynamic loading per `airlock` call and a few hundred KiB per shim.
 *
 * Include it after <systemd/sd-bus.h>, in the one file that talks to systemd:
 * the sd_bus_* names below then call through the loaded table.
 *
 * The shim is linked statically: there dlopen() brings libsystemd with a
 * libc.so.6 of its own, which has its own heap (see p_free) and a copy of the
 * environment as it was at the first al_sdbus_load (DBUS_SYSTEM_BUS_ADDRESS
 * set later is not seen). tests/test_sdbus_static checks that setup. */
#ifndef AIRLOCK_SDBUS_DL_H
#define AIRLOCK_SDBUS_DL_H

#include <systemd/sd-bus.h>

#include "error.h"

#define AL_SDBUS_FUNCS(X)                                                                                            \
  X (sd_bus_open_system)                                                                                             \
  X (sd_bus_new)                                                                                                     \
  X (sd_bus_set_address)                                                                                             \
  X (sd_bus_start)                                                                                                   \
  X (sd_bus_unref)                                                                                                   \
  X (sd_bus_flush_close_unref)                                                                                       \
  X (sd_bus_call)                                                                                                    \
  X (sd_bus_wait)                                                                                                    \
  X (sd_bus_process)                                                                                                 \
  X (sd_bus_match_signal_async)                                                                                      \
  X (sd_bus_slot_unref)                                                                                              \
  X (sd_bus_path_encode)                                                                                             \
  X (sd_bus_message_new_method_call)                                                                                 \
  X (sd_bus_message_append)                                                                                          \
  X (sd_bus_message_append_array)                                                                                    \
  X (sd_bus_message_open_container)                                                                                  \
  X (sd_bus_message_close_container)                                                                                 \
  X (sd_bus_message_read)                                                                                            \
  X (sd_bus_message_unref)                                                                                           \
  X (sd_bus_error_free)                                                                                              \
  X (sd_bus_error_is_set)                                                                                            \
  X (sd_bus_error_has_name)                                                                                          \
  X (sd_bus_error_get_errno)

struct al_sdbus_table
{
#define AL_SDBUS_FIELD(name) __typeof__ (name) *p_##name;
  AL_SDBUS_FUNCS (AL_SDBUS_FIELD)
#undef AL_SDBUS_FIELD
  /* The free() libsystemd allocates with: what it hands over
   * (sd_bus_path_encode) is released with this. In a statically linked
   * program (the shim: AL_STATIC_BINARY) dlopen() brings a second libc.so.6
   * with its own heap; otherwise it is the program's free(). */
  void (*p_free) (void *);
};

/* Filled once by al_sdbus_load (a process-wide table of a loaded library). */
extern struct al_sdbus_table al_sdbus;

/* dlopen libsystemd.so.0 and resolve every function; an error names what is
 * missing. Cheap after the first success. */
int al_sdbus_load (al_error_t *err);

#ifndef AL_SDBUS_DL_IMPL
#define sd_bus_open_system (*al_sdbus.p_sd_bus_open_system)
#define sd_bus_new (*al_sdbus.p_sd_bus_new)
#define sd_bus_set_address (*al_sdbus.p_sd_bus_set_address)
#define sd_bus_start (*al_sdbus.p_sd_bus_start)
#define sd_bus_unref (*al_sdbus.p_sd_bus_unref)
#define sd_bus_flush_close_unref (*al_sdbus.p_sd_bus_flush_close_unref)
#define sd_bus_call (*al_sdbus.p_sd_bus_call)
#define sd_bus_wait (*al_sdbus.p_sd_bus_wait)
#define sd_bus_process (*al_sdbus.p_sd_bus_process)
#define sd_bus_match_signal_async (*al_sdbus.p_sd_bus_match_signal_async)
#define sd_bus_slot_unref (*al_sdbus.p_sd_bus_slot_unref)
#define sd_bus_path_encode (*al_sdbus.p_sd_bus_path_encode)
#define sd_bus_message_new_method_call (*al_sdbus.p_sd_bus_message_new_method_call)
#define sd_bus_message_append (*al_sdbus.p_sd_bus_message_append)
#define sd_bus_message_append_array (*al_sdbus.p_sd_bus_message_append_array)
#define sd_bus_message_open_container (*al_sdbus.p_sd_bus_message_open_container)
#define sd_bus_message_close_container (*al_sdbus.p_sd_bus_message_close_container)
#define sd_bus_message_read (*al_sdbus.p_sd_bus_message_read)
#define sd_bus_message_unref (*al_sdbus.p_sd_bus_message_unref)
#define sd_bus_error_free (*al_sdbus.p_sd_bus_error_free)
#define sd_bus_error_is_set (*al_sdbus.p_sd_bus_error_is_set)
#define sd_bus_error_has_name (*al_sdbus.p_sd_bus_error_has_name)
#define sd_bus_error_get_errno (*al_sdbus.p_sd_bus_error_get_errno)
#endif

#endif
