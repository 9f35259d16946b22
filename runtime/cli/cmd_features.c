/* cmd_features.c: `features` prints the runtime-spec features document. */
#include <stdio.h>

#include "cli.h"
#include "features.h"
#include "util.h"

static int
run_features (struct al_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  int c;
  while ((c = al_cli_getopt (cli, &cmd_features, argc, argv, "h", opts)) != -1)
    if (c == '?')
      return 1;
  if (al_cli_positional (cli, &cmd_features, argc, argv, 0) < 0)
    return 1;
  _cleanup_error_ al_error_t err = NULL;
  _cleanup_free_ char *json = NULL;
  if (al_features_json (&json, &err) < 0)
    return al_cli_fail (cli, &err);
  fputs (json, stdout);
  if (fflush (stdout) != 0)
    return 1;
  return 0;
}

const struct al_command cmd_features = {
  .name = "features",
  .args = "[OPTIONS]",
  .summary = "print what this runtime and host support (runtime-spec features JSON)",
  .options = "",
  .run = run_features,
};
