/* main.c: the airlock CLI: global options, then one command. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "process.h"
#include "spec.h"
#include "util.h"

#define DEFAULT_ROOT "/run/airlock"

static const struct al_command *const commands[] = {
  &cmd_create, &cmd_delete, &cmd_events, &cmd_exec, &cmd_features, &cmd_kill, &cmd_list, &cmd_pause, &cmd_ps, &cmd_resume, &cmd_run, &cmd_sandbox, &cmd_spec, &cmd_start, &cmd_state, &cmd_update, &cmd_verdict, NULL,
};

static void
print_version (void)
{
  printf ("airlock version %s\ncommit: %s\nspec: %s\n", AIRLOCK_VERSION, AIRLOCK_COMMIT, AL_OCI_VERSION);
  if (al_process_skips_rlimit_as ())
    printf ("sanitizers: address,undefined (RLIMIT_AS is not applied to containers)\n");
}

static void
print_help (void)
{
  printf ("airlock: an OCI container runtime that runs untrusted code and says what it did\n\n"
          "Usage: airlock [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS...]\n\nCommands:\n");
  for (size_t i = 0; commands[i]; i++)
    printf ("  %-10s %s\n", commands[i]->name, commands[i]->summary);
  printf ("\nGlobal options:\n"
          "  --root DIR            state directory (default " DEFAULT_ROOT ")\n"
          "  --log FILE            write the log to FILE (default: stderr)\n"
          "  --log-format FORMAT   text or json (default text)\n"
          "  --debug               log debug messages\n"
          "  --systemd-cgroup      manage cgroups through systemd\n"
          "  --cgroup-manager M    cgroupfs, systemd or disabled (crun's spelling)\n"
          "  -v, --version         print the version\n"
          "  -h, --help            print this help\n\n"
          "Run `airlock COMMAND --help` for a command's options.\n");
}

/* A caller that started us with fd 0, 1 or 2 closed would get our first
   opens there (the state dir, the cgroup dir), and the container would get
   them as its stdio: /dev/null fills the holes first. */
static void
stdio_fill (void)
{
  for (int fd = 0; fd <= 2; fd++)
    if (fcntl (fd, F_GETFD) < 0 && errno == EBADF)
      {
        int n = open ("/dev/null", O_RDWR);
        if (n >= 0 && n != fd)
          close (n); /* cannot happen: the lowest free fd is `fd` */
      }
}

int
main (int argc, char **argv)
{
  stdio_fill ();
  struct al_cli cli = { .root = DEFAULT_ROOT, .log_format = "text", .log = { .fd = -1 } };
  enum
  {
    OPT_ROOT = 256,
    OPT_LOG,
    OPT_LOG_FORMAT,
    OPT_DEBUG,
    OPT_SYSTEMD,
    OPT_CGMGR,
    OPT_ROOTLESS,
  };
  static const struct option opts[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "log", required_argument, NULL, OPT_LOG },
    { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
    { "cgroup-manager", required_argument, NULL, OPT_CGMGR },
    { "rootless", required_argument, NULL, OPT_ROOTLESS },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  opterr = 0;
  while ((c = getopt_long_only (argc, argv, "+vh", opts, NULL)) != -1)
    {
      switch (c)
        {
        case OPT_ROOT:
          cli.root = optarg;
          break;
        case OPT_LOG:
          cli.log_path = optarg;
          break;
        case OPT_LOG_FORMAT:
          cli.log_format = optarg;
          break;
        case OPT_DEBUG:
          cli.debug = true;
          break;
        case OPT_SYSTEMD:
          cli.systemd_cgroup = true;
          break;
        case OPT_CGMGR:
          if (strcmp (optarg, "systemd") == 0)
            cli.systemd_cgroup = true;
          else if (strcmp (optarg, "cgroupfs") && strcmp (optarg, "disabled"))
            {
              fprintf (stderr, "airlock: --cgroup-manager: unknown manager \"%s\" (cgroupfs, systemd or disabled)\n",
                       optarg);
              return 1;
            }
          break;
        case OPT_ROOTLESS:
          break; /* runc's flag: accepted; airlock decides from the config */
        case 'v':
          print_version ();
          return 0;
        case 'h':
          print_help ();
          return 0;
        default:
          fprintf (stderr, "airlock: unknown global option `%s`\nRun `airlock --help` for usage.\n",
                   argv[optind - 1]);
          return 1;
        }
    }
  if (optind >= argc)
    {
      print_help ();
      return 1;
    }
  const char *name = argv[optind];
  const struct al_command *cmd = NULL;
  for (size_t i = 0; commands[i]; i++)
    if (strcmp (commands[i]->name, name) == 0)
      cmd = commands[i];
  if (cmd == NULL)
    {
      fprintf (stderr, "airlock: unknown command \"%s\"\nRun `airlock --help` for the list of commands.\n", name);
      return 1;
    }
  _cleanup_error_ al_error_t err = NULL;
  if (al_log_open (&cli.log, cli.log_path, cli.log_format, cli.debug, &err) < 0)
    {
      fprintf (stderr, "airlock: %s\n", err->msg);
      return 1;
    }
  int sub_argc = argc - optind;
  char **sub_argv = argv + optind;
  optind = 0; /* full re-initialisation of getopt for the command */
  int ret = cmd->run (&cli, sub_argc, sub_argv);
  al_log_close (&cli.log);
  return ret;
}
