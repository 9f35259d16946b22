/* common.c: option parsing and error reporting shared by the commands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"

int
al_cli_fail (struct al_cli *cli, al_error_t *err)
{
  al_log (&cli->log, "error", "%s", *err ? (*err)->msg : "unknown error");
  al_error_free (err);
  return 1;
}

void
al_cli_help (const struct al_command *cmd)
{
  printf ("Usage: airlock %s %s\n\n%s\n", cmd->name, cmd->args, cmd->summary);
  if (cmd->options)
    printf ("\nOptions:\n%s", cmd->options);
  printf ("  -h, --help                print this help\n");
}

int
al_cli_usage (struct al_cli *cli, const struct al_command *cmd, const char *fmt, ...)
{
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  al_log (&cli->log, "error", "%s: %s (see `airlock %s --help`)", cmd->name, msg ? msg : "usage error",
          cmd->name);
  free (msg);
  return 1;
}

int
al_cli_getopt (struct al_cli *cli, const struct al_command *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
  opterr = 0;
  int c = getopt_long_only (argc, argv, shortopts, longopts, NULL);
  if (c == 'h')
    {
      al_cli_help (cmd);
      exit (0);
    }
  if (c == '?' || c == ':')
    {
      const char *bad = argv[optind - 1];
      if (optopt && strchr (shortopts, optopt))
        al_cli_usage (cli, cmd, "option `%s` needs a value", bad);
      else
        al_cli_usage (cli, cmd, "unknown option `%s`", bad);
      return '?';
    }
  return c;
}

int
al_cli_positional (struct al_cli *cli, const struct al_command *cmd, int argc, char **argv, int n)
{
  (void) argv;
  int have = argc - optind;
  if (have != n)
    {
      al_cli_usage (cli, cmd, "expected %d argument%s, got %d", n, n == 1 ? "" : "s", have);
      return -1;
    }
  return 0;
}
