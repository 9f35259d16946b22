/* shimlog.h: the shim's diagnostics, one line each on stderr (the bundle's
 * `log` FIFO, which containerd copies into its own log, or /dev/null). */
#ifndef SHIM_SHIMLOG_H
#define SHIM_SHIMLOG_H

void sh_log (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
