/* cmd_create.c: `create` and `run` (create + start + wait + delete). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "container.h"
#include "reaper.h"
#include "util.h"
#include "verdict.h"
#include "watcher.h"

enum
{
  OPT_BUNDLE = 'b',
  OPT_CONSOLE = 256,
  OPT_PIDFILE,
  OPT_NOPIVOT,
  OPT_NOKEYRING,
  OPT_PRESERVE,
  OPT_DETACH,
  OPT_KEEP,
  OPT_CONFIG,
};

static const struct option create_opts[] = {
  { "bundle", required_argument, NULL, OPT_BUNDLE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE },
  { "pid-file", required_argument, NULL, OPT_PIDFILE },
  { "no-pivot", no_argument, NULL, OPT_NOPIVOT },
  { "no-new-keyring", no_argument, NULL, OPT_NOKEYRING },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
  { "config", required_argument, NULL, OPT_CONFIG },
  { "detach", no_argument, NULL, OPT_DETACH },
  { "keep", no_argument, NULL, OPT_KEEP },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

#define CREATE_OPTIONS_HELP                                                                                          \
  "  -b, --bundle DIR          the bundle (default: current directory)\n"                                           \
  "      --console-socket PATH unix socket that receives the pty master (process.terminal)\n"                       \
  "      --pid-file FILE       write the init's pid to FILE\n"                                                      \
  "      --no-pivot            move the rootfs and chroot instead of pivot_root\n"                                  \
  "      --no-new-keyring      keep the caller's session keyring\n"                                                 \
  "      --preserve-fds N      pass N extra fds (3 .. 3+N-1) to the container\n"                                    \
  "      --config FILE         read the config from FILE instead of BUNDLE/config.json\n"

static int
parse_create (struct al_cli *cli, const struct al_command *cmd, int argc, char **argv, struct al_create_opts *o,
              bool *detach, bool *keep)
{
  int c;
  while ((c = al_cli_getopt (cli, cmd, argc, argv, "b:dh", create_opts)) != -1)
    {
      switch (c)
        {
        case '?':
          return -1;
        case OPT_BUNDLE:
          o->bundle = optarg;
          break;
        case OPT_CONSOLE:
          o->console_socket = optarg;
          break;
        case OPT_PIDFILE:
          o->pid_file = optarg;
          break;
        case OPT_NOPIVOT:
          o->no_pivot = true;
          break;
        case OPT_NOKEYRING:
          o->no_new_keyring = true;
          break;
        case OPT_CONFIG:
          o->config_path = optarg;
          break;
        case OPT_PRESERVE:
          {
            char *end;
            long v = strtol (optarg, &end, 10);
            if (*end || v < 0 || v > 65536)
              {
                al_cli_usage (cli, cmd, "--preserve-fds: not a count: \"%s\"", optarg);
                return -1;
              }
            o->preserve_fds = (int) v;
            break;
          }
        case 'd':
        case OPT_DETACH:
          if (detach == NULL)
            goto bad;
          *detach = true;
          break;
        case OPT_KEEP:
          if (keep == NULL)
            goto bad;
          *keep = true;
          break;
        default:
        bad:
          al_cli_usage (cli, cmd, "unknown option `%s`", argv[optind - 1]);
          return -1;
        }
    }
  if (al_cli_positional (cli, cmd, argc, argv, 1) < 0)
    return -1;
  o->id = argv[optind];
  o->root = cli->root;
  o->systemd_cgroup = cli->systemd_cgroup;
  o->log = &cli->log;
  return 0;
}

static int
run_create (struct al_cli *cli, int argc, char **argv)
{
  struct al_create_opts o;
  al_create_opts_init (&o);
  if (parse_create (cli, &cmd_create, argc, argv, &o, NULL, NULL) < 0)
    return 1;
  _cleanup_error_ al_error_t err = NULL;
  /* A profiled container (airlock.profile) is watched by a monitor this
     create leaves behind (watcher.h): conmon's create returns while the
     container lives on, and nobody else would enforce its deadline or
     write its verdict. */
  struct al_watch w = { 0 };
  if (al_watch_prepare_detached (&w, &o, &err) < 0)
    return al_cli_fail (cli, &err);
  if (w.active)
    {
      const char *tl = w.spec ? al_termination_log_of (w.spec) : NULL;
      _cleanup_free_ char *termination_log = tl ? al_xstrdup (tl) : NULL;
      int killed_by = 0;
      int r = al_watcher_create (&o, &w, termination_log, &killed_by, &err);
      al_watch_clear (&w);
      if (r == 0)
        return 0;
      int ret = al_cli_fail (cli, &err);
      if (killed_by > 0)
        {
          /* The create (its monitor) was killed: so is `create`, for its caller. */
          signal (killed_by, SIG_DFL);
          raise (killed_by);
        }
      return ret;
    }
  struct al_created created;
  int r = al_container_create (&o, &created, &err);
  al_watch_clear (&w);
  if (r < 0)
    return al_cli_fail (cli, &err);
  return 0;
}

const struct al_command cmd_create = {
  .name = "create",
  .args = "[OPTIONS] ID",
  .summary = "create a container: set it up and stop just before its program",
  .options = CREATE_OPTIONS_HELP,
  .run = run_create,
};

static int
run_run (struct al_cli *cli, int argc, char **argv)
{
  struct al_create_opts o;
  al_create_opts_init (&o);
  bool detach = false, keep = false;
  if (parse_create (cli, &cmd_run, argc, argv, &o, &detach, &keep) < 0)
    return 1;
  o.foreground = !detach;
  _cleanup_error_ al_error_t err = NULL;
  /* A container selected by a profile (airlock.profile) is watched: denied
     syscalls answered and recorded, its timeout, its verdict. */
  struct al_watch w = { 0 };
  if (!detach && al_watch_prepare (&w, &o, &err) < 0)
    return al_cli_fail (cli, &err);
  if (!detach)
    al_cli_hold_signals ();
  /* Its monitor (this process) registers, and the container dies with it:
     what a monitor that died left behind goes first (reaper.h). */
  int lock = -1;
  if (w.active)
    {
      al_reap (cli->root, NULL, &cli->log);
      if (al_reaper_register (cli->root, o.id, &lock, &err) < 0)
        {
          al_watch_clear (&w);
          return al_cli_fail (cli, &err);
        }
      o.die_with_parent = true;
      o.monitor_lock = lock;
    }
  struct al_created c;
  int cr = al_container_create (&o, &c, &err);
  al_watch_created (&w);
  if (cr < 0)
    {
      al_reaper_unregister (cli->root, o.id, &lock);
      al_watch_clear (&w);
      return al_cli_fail (cli, &err);
    }
  al_watch_start_clock (&w);
  if (al_watch_container_start (&w, &c, cli->root, o.id, &cli->log, &err) < 0)
    {
      int ret = al_cli_fail (cli, &err);
      al_container_delete (cli->root, o.id, true, &cli->log, NULL);
      if (c.pid > 0 && !detach)
        waitpid (c.pid, NULL, 0);
      al_closep (&c.seccomp_listener);
      al_reaper_unregister (cli->root, o.id, &lock);
      al_watch_clear (&w);
      return ret;
    }
  if (detach)
    return 0;
  int status;
  if (w.active)
    {
      status = al_watch_run (&w, &c, cli->root, o.id, &err);
      if (status < 0)
        status = al_cli_fail (cli, &err);
      else if (w.v.monitor_error)
        al_log (&cli->log, "warning", "container \"%s\": verdict: %s", o.id, w.v.monitor_error);
    }
  else
    status = al_cli_wait_foreground (c.pid, c.pidfd, c.pty_master);
  al_closep (&c.pidfd);
  al_closep (&c.pty_master);
  al_closep (&c.seccomp_listener);
  al_watch_clear (&w);
  if (!keep && al_container_delete (cli->root, o.id, true, &cli->log, &err) < 0)
    al_cli_fail (cli, &err);
  al_reaper_unregister (cli->root, o.id, &lock);
  return status;
}

const struct al_command cmd_run = {
  .name = "run",
  .args = "[OPTIONS] ID",
  .summary = "create and start a container, wait for it and delete it",
  .options = CREATE_OPTIONS_HELP "  -d, --detach              return once the program has started\n"
                                 "      --keep                keep the stopped container (do not delete it)\n",
  .run = run_run,
};
