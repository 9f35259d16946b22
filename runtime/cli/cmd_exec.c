/* cmd_exec.c: `exec` runs a new process in a running container. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "exec.h"
#include "spec.h"
#include "util.h"

enum
{
  OPT_CONSOLE = 256,
  OPT_CWD,
  OPT_PIDFILE,
  OPT_PRESERVE,
  OPT_IGNORE_PAUSED,
  OPT_CGROUP,
  OPT_APPARMOR,
  OPT_LABEL,
  OPT_NNP,
};

static const struct option exec_opts[] = {
  { "console-socket", required_argument, NULL, OPT_CONSOLE },
  { "cwd", required_argument, NULL, OPT_CWD },
  { "env", required_argument, NULL, 'e' },
  { "tty", no_argument, NULL, 't' },
  { "user", required_argument, NULL, 'u' },
  { "additional-gids", required_argument, NULL, 'g' },
  { "process", required_argument, NULL, 'p' },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, OPT_PIDFILE },
  { "process-label", required_argument, NULL, OPT_LABEL },
  { "apparmor", required_argument, NULL, OPT_APPARMOR },
  { "no-new-privs", no_argument, NULL, OPT_NNP },
  { "cap", required_argument, NULL, 'c' },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE },
  { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
  { "cgroup", required_argument, NULL, OPT_CGROUP },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static int
parse_u32 (const char *s, uint32_t *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul (s, &end, 10);
  if (errno || end == s || *end || v > UINT32_MAX || s[0] == '-')
    return -1;
  *out = (uint32_t) v;
  return 0;
}

/* As runc: when exec itself fails (no such container, not running, the
   program not found, a bad cwd...) it exits 255, so that a caller can tell
   that from the exit status of a program that ran. */
#define AL_EXEC_FAILED 255

static int
exec_fail (struct al_cli *cli, al_error_t *err)
{
  al_cli_fail (cli, err);
  return AL_EXEC_FAILED;
}

static int
run_exec (struct al_cli *cli, int argc, char **argv)
{
  struct al_exec_opts o = { .root = cli->root, .stdio = { -1, -1, -1 } };
  const char *process_file = NULL;
  _cleanup_free_ char **env = NULL;
  size_t n_env = 0;
  _cleanup_free_ uint32_t *gids = NULL;
  _cleanup_free_ int *caps = NULL;
  int c;
  while ((c = al_cli_getopt (cli, &cmd_exec, argc, argv, "+e:tu:g:p:dc:h", exec_opts)) != -1)
    {
      switch (c)
        {
        case '?':
          return 1;
        case OPT_CONSOLE:
          o.console_socket = optarg;
          break;
        case OPT_CWD:
          if (optarg[0] != '/')
            return al_cli_usage (cli, &cmd_exec, "--cwd must be an absolute path, got \"%s\"", optarg);
          o.cwd = optarg;
          break;
        case 'e':
          if (strchr (optarg, '=') == NULL)
            return al_cli_usage (cli, &cmd_exec, "--env wants NAME=VALUE, got \"%s\"", optarg);
          env = realloc (env, (n_env + 2) * sizeof (char *));
          if (env == NULL)
            abort ();
          env[n_env++] = optarg;
          env[n_env] = NULL;
          break;
        case 't':
          o.tty = true;
          o.set_tty = true;
          break;
        case 'u':
          {
            _cleanup_free_ char *u = al_xstrdup (optarg);
            char *colon = strchr (u, ':');
            if (colon)
              *colon++ = '\0';
            o.gid = 0;
            if (parse_u32 (u, &o.uid) < 0 || (colon && parse_u32 (colon, &o.gid) < 0))
              return al_cli_usage (cli, &cmd_exec, "--user wants UID[:GID] (numbers), got \"%s\"", optarg);
            o.set_user = true;
            break;
          }
        case 'g':
          {
            _cleanup_free_ char *list = al_xstrdup (optarg);
            char *save = NULL;
            for (char *t = strtok_r (list, ",", &save); t; t = strtok_r (NULL, ",", &save))
              {
                gids = realloc (gids, (o.n_additional_gids + 1) * sizeof (uint32_t));
                if (gids == NULL)
                  abort ();
                if (parse_u32 (t, &gids[o.n_additional_gids]) < 0)
                  return al_cli_usage (cli, &cmd_exec, "--additional-gids: not a gid: \"%s\"", t);
                o.n_additional_gids++;
              }
            o.additional_gids = gids;
            break;
          }
        case 'p':
          process_file = optarg;
          break;
        case 'd':
          o.detach = true;
          break;
        case OPT_PIDFILE:
          o.pid_file = optarg;
          break;
        case OPT_LABEL:
          o.process_label = optarg;
          break;
        case OPT_APPARMOR:
          o.apparmor = optarg;
          break;
        case OPT_NNP:
          o.no_new_privs = true;
          break;
        case 'c':
          {
            int cap = al_cap_from_name (optarg);
            if (cap < 0)
              {
                _cleanup_free_ char *full = al_xasprintf ("CAP_%s", optarg);
                cap = al_cap_from_name (full);
              }
            if (cap < 0)
              return al_cli_usage (cli, &cmd_exec, "--cap: unknown capability \"%s\"", optarg);
            caps = realloc (caps, (o.n_caps + 1) * sizeof (int));
            if (caps == NULL)
              abort ();
            caps[o.n_caps++] = cap;
            o.caps = caps;
            break;
          }
        case OPT_PRESERVE:
          {
            uint32_t v;
            if (parse_u32 (optarg, &v) < 0 || v > 65536)
              return al_cli_usage (cli, &cmd_exec, "--preserve-fds: not a count: \"%s\"", optarg);
            o.preserve_fds = (int) v;
            break;
          }
        case OPT_IGNORE_PAUSED:
          o.ignore_paused = true;
          break;
        case OPT_CGROUP:
          o.cgroup = optarg;
          break;
        }
    }
  if (optind >= argc)
    return al_cli_usage (cli, &cmd_exec, "missing the container id");
  o.id = argv[optind++];
  o.env = env;

  _cleanup_error_ al_error_t err = NULL;
  struct oci_process *proc = NULL;
  if (process_file)
    {
      if (optind < argc)
        return al_cli_usage (cli, &cmd_exec, "give either --process or a command, not both");
      _cleanup_free_ char *text = NULL;
      size_t len = 0;
      if (al_read_file_at (AT_FDCWD, process_file, AL_CONFIG_MAX_SIZE, &text, &len, &err) < 0
          || oci_process_parse (process_file, text, len, &proc, &err) < 0)
        return exec_fail (cli, &err);
      o.process = proc;
    }
  else
    {
      if (optind >= argc)
        return al_cli_usage (cli, &cmd_exec, "missing the command to run");
      o.args = argv + optind;
    }

  struct al_exec_result res;
  if (!o.detach)
    al_cli_hold_signals ();
  int r = al_container_exec (&o, &res, &err);
  if (r < 0)
    {
      oci_process_free (proc);
      return exec_fail (cli, &err);
    }
  oci_process_free (proc);
  if (o.detach)
    return 0;
  int status = al_cli_wait_foreground (res.pid, res.pidfd, res.pty_master);
  al_closep (&res.pidfd);
  al_closep (&res.pty_master);
  return status;
}

const struct al_command cmd_exec = {
  .name = "exec",
  .args = "[OPTIONS] ID (--process FILE | COMMAND [ARGS...])",
  .summary = "run a new process in a running container, as confined as its init",
  .options = "  -p, --process FILE        the process as runtime-spec JSON\n"
             "      --console-socket PATH unix socket that receives the pty master\n"
             "      --cwd DIR             working directory (absolute)\n"
             "  -e, --env NAME=VALUE      add or replace an environment variable (repeatable)\n"
             "  -t, --tty                 allocate a pseudo terminal\n"
             "  -u, --user UID[:GID]      run as this user\n"
             "  -g, --additional-gids G   additional groups, comma separated or repeated\n"
             "  -c, --cap CAP             add a capability to every set (repeatable)\n"
             "      --no-new-privs        set no_new_privs\n"
             "      --apparmor PROFILE    AppArmor profile\n"
             "      --process-label LABEL SELinux label\n"
             "  -d, --detach              return once the process has started\n"
             "      --pid-file FILE       write the process's pid to FILE\n"
             "      --preserve-fds N      pass N extra fds (3 .. 3+N-1)\n"
             "      --ignore-paused       exec even into a paused container\n"
             "      --cgroup SUB          join this sub-cgroup of the container's cgroup\n",
  .run = run_exec,
};
