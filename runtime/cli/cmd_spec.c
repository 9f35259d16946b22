/* cmd_spec.c: `spec` writes a default config.json. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cli.h"
#include "spec.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* runc's `spec` adds a cgroup namespace only on a cgroup2-only host. */
static bool
host_cgroup2_unified (void)
{
  struct statfs sf;
  return statfs ("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
}

static int
run_spec (struct al_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'r' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *bundle = ".";
  bool rootless = false;
  int c;
  while ((c = al_cli_getopt (cli, &cmd_spec, argc, argv, "b:h", opts)) != -1)
    {
      if (c == '?')
        return 1;
      if (c == 'b')
        bundle = optarg;
      if (c == 'r')
        rootless = true;
    }
  if (al_cli_positional (cli, &cmd_spec, argc, argv, 0) < 0)
    return 1;
  _cleanup_error_ al_error_t err = NULL;
  _cleanup_free_ char *path = al_xasprintf ("%s/config.json", bundle);
  _cleanup_free_ char *json = oci_spec_default_json_ns (rootless, host_cgroup2_unified ());
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      if (errno == EEXIST)
        al_err (&err, 0, "spec: `%s` already exists: remove it first", path);
      else
        al_err (&err, errno, "spec: create `%s`", path);
      return al_cli_fail (cli, &err);
    }
  ssize_t w = al_write_all (fd, json, strlen (json));
  if (w < 0)
    {
      al_err (&err, (int) -w, "spec: write `%s`", path);
      return al_cli_fail (cli, &err);
    }
  return 0;
}

const struct al_command cmd_spec = {
  .name = "spec",
  .args = "[OPTIONS]",
  .summary = "write a default config.json into the bundle",
  .options = "  -b, --bundle DIR          where to write config.json (default: current directory)\n"
             "      --rootless            a config for a user namespace mapped to the caller\n",
  .run = run_spec,
};
