/* cli.h: what every command of the airlock CLI shares. */
#ifndef AIRLOCK_CLI_H
#define AIRLOCK_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "log.h"

struct al_cli
{
  const char *root;
  const char *log_path;
  const char *log_format;
  bool debug;
  bool systemd_cgroup;
  struct al_log log;
};

struct al_command
{
  const char *name;
  const char *args;    /* "[OPTIONS] ID" */
  const char *summary; /* one line */
  const char *options; /* help text for the options, may be NULL */
  int (*run) (struct al_cli *cli, int argc, char **argv);
};

/* Report an error through the log (and stderr) and return the exit code 1. */
int al_cli_fail (struct al_cli *cli, al_error_t *err);
/* Usage error: prints the message and a hint, returns 2... runc exits 1. */
int al_cli_usage (struct al_cli *cli, const struct al_command *cmd, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
void al_cli_help (const struct al_command *cmd);
/* getopt_long_only over a command's options; handles --help/-h itself.
 * Returns the option, -1 at the end, or '?' after printing the usage error. */
int al_cli_getopt (struct al_cli *cli, const struct al_command *cmd, int argc, char **argv, const char *shortopts,
                   const struct option *longopts);
/* Expect exactly `n` positional arguments from optind on. */
int al_cli_positional (struct al_cli *cli, const struct al_command *cmd, int argc, char **argv, int n);

/* Block SIGINT, SIGTERM, SIGHUP and SIGQUIT until the foreground wait (or
 * the monitor) forwards them: the container has a session of its own, so a
 * Ctrl-C that reaches us while it is set up must wait for it, not kill us
 * and leave it running. Container processes and hooks reset their mask. */
void al_cli_hold_signals (void);

/* Wait for pid (a child of ours; pidfd polls its exit), forwarding signals
 * and copying a pty master (or -1). Returns its status, 128+N on signal N. */
int al_cli_wait_foreground (pid_t pid, int pidfd, int pty_master);

extern const struct al_command cmd_spec, cmd_create, cmd_start, cmd_run, cmd_state, cmd_kill, cmd_delete, cmd_list;
extern const struct al_command cmd_features;
extern const struct al_command cmd_exec;
extern const struct al_command cmd_pause, cmd_resume, cmd_ps, cmd_update, cmd_events;
extern const struct al_command cmd_sandbox, cmd_verdict;

#endif
