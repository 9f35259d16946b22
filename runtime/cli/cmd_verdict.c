/* cmd_verdict.c: `airlock verdict [--json] ID`: the verdict a monitor wrote
 * into the container's state dir when it ended (sandbox --keep, or `run
 * --keep` of a container selected by a profile). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "util.h"
#include "verdict.h"

static int
run_verdict (struct al_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
    { "json", no_argument, NULL, 'j' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool json = false;
  int c;
  while ((c = al_cli_getopt (cli, &cmd_verdict, argc, argv, "h", opts)) != -1)
    {
      if (c == '?')
        return 1;
      if (c == 'j')
        json = true;
    }
  if (al_cli_positional (cli, &cmd_verdict, argc, argv, 1) < 0)
    return 1;
  const char *id = argv[optind];
  _cleanup_error_ al_error_t err = NULL;
  struct al_opened o;
  if (al_container_open (cli->root, id, false, &o, &err) < 0)
    return al_cli_fail (cli, &err);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r = al_verdict_read_text (o.dirfd, id, &text, &len, &err);
  al_container_close (&o);
  if (r < 0)
    return al_cli_fail (cli, &err);
  if (json)
    {
      fwrite (text, 1, len, stdout);
      if (len == 0 || text[len - 1] != '\n')
        putchar ('\n');
      return 0;
    }
  struct al_verdict v;
  if (al_verdict_parse (AL_VERDICT_FILE, text, len, &v, &err) < 0)
    return al_cli_fail (cli, &err);
  al_verdict_print (stdout, &v);
  al_verdict_clear (&v);
  return 0;
}

const struct al_command cmd_verdict = {
  .name = "verdict",
  .args = "[--json] ID",
  .summary = "print the verdict of a watched container (what it did, how it ended)",
  .options = "      --json                the verdict.json as written\n",
  .run = run_verdict,
};
