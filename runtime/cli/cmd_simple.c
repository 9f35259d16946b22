/* cmd_simple.c: the commands that act on one existing container: start,
 * state, kill, delete; and list. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "container.h"
#include "reaper.h"
#include "spec.h"
#include "util.h"

static const struct option no_opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };

static int
run_start (struct al_cli *cli, int argc, char **argv)
{
  int c;
  while ((c = al_cli_getopt (cli, &cmd_start, argc, argv, "h", no_opts)) != -1)
    if (c == '?')
      return 1;
  if (al_cli_positional (cli, &cmd_start, argc, argv, 1) < 0)
    return 1;
  _cleanup_error_ al_error_t err = NULL;
  if (al_container_start (cli->root, argv[optind], &cli->log, &err) < 0)
    return al_cli_fail (cli, &err);
  return 0;
}

const struct al_command cmd_start = {
  .name = "start",
  .args = "ID",
  .summary = "start a created container: run its user program",
  .run = run_start,
};

static int
run_state (struct al_cli *cli, int argc, char **argv)
{
  int c;
  while ((c = al_cli_getopt (cli, &cmd_state, argc, argv, "h", no_opts)) != -1)
    if (c == '?')
      return 1;
  if (al_cli_positional (cli, &cmd_state, argc, argv, 1) < 0)
    return 1;
  _cleanup_error_ al_error_t err = NULL;
  _cleanup_free_ char *json = NULL;
  if (al_container_state (cli->root, argv[optind], &json, &err) < 0)
    return al_cli_fail (cli, &err);
  printf ("%s\n", json);
  return 0;
}

const struct al_command cmd_state = {
  .name = "state",
  .args = "ID",
  .summary = "print the state of a container as runtime-spec JSON",
  .run = run_state,
};

static int
run_kill (struct al_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool all = false;
  int c;
  while ((c = al_cli_getopt (cli, &cmd_kill, argc, argv, "ah", opts)) != -1)
    {
      if (c == '?')
        return 1;
      if (c == 'a')
        all = true;
    }
  int n = argc - optind;
  if (n < 1 || n > 2)
    return al_cli_usage (cli, &cmd_kill, "expected ID [SIGNAL], got %d arguments", n);
  int sig = SIGTERM;
  if (n == 2)
    {
      /* Signal 0 only checks that the init is alive (kill(2)). */
      sig = strcmp (argv[optind + 1], "0") == 0 ? 0 : al_parse_signal (argv[optind + 1]);
      if (sig < 0)
        return al_cli_usage (cli, &cmd_kill, "unknown signal \"%s\"", argv[optind + 1]);
    }
  _cleanup_error_ al_error_t err = NULL;
  if (al_container_kill (cli->root, argv[optind], sig, all, &err) < 0)
    return al_cli_fail (cli, &err);
  return 0;
}

const struct al_command cmd_kill = {
  .name = "kill",
  .args = "[OPTIONS] ID [SIGNAL]",
  .summary = "send a signal (name or number, default SIGTERM) to a container's init",
  .options = "  -a, --all                 send it to every process of the container's cgroup\n"
             "                            (a stopped container with none left: success, as runc)\n",
  .run = run_kill,
};

static int
run_delete (struct al_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool force = false;
  int c;
  while ((c = al_cli_getopt (cli, &cmd_delete, argc, argv, "fh", opts)) != -1)
    {
      if (c == '?')
        return 1;
      if (c == 'f')
        force = true;
    }
  if (al_cli_positional (cli, &cmd_delete, argc, argv, 1) < 0)
    return 1;
  _cleanup_error_ al_error_t err = NULL;
  /* A container whose monitor died goes with all its monitor left. */
  if (al_reap (cli->root, argv[optind], &cli->log) > 0)
    return 0;
  if (al_container_delete (cli->root, argv[optind], force, &cli->log, &err) < 0)
    return al_cli_fail (cli, &err);
  return 0;
}

const struct al_command cmd_delete = {
  .name = "delete",
  .args = "[OPTIONS] ID",
  .summary = "delete a container: its processes, cgroup and state",
  .options = "  -f, --force               kill a running container first\n",
  .run = run_delete,
};

static void
print_json_string (const char *s)
{
  putchar ('"');
  for (const unsigned char *p = (const unsigned char *) s; p && *p; p++)
    {
      if (*p == '"' || *p == '\\')
        printf ("\\%c", *p);
      else if (*p < 0x20)
        printf ("\\u%04x", *p);
      else
        putchar (*p);
    }
  putchar ('"');
}

static int
run_list (struct al_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = "table";
  bool quiet = false;
  int c;
  while ((c = al_cli_getopt (cli, &cmd_list, argc, argv, "f:qh", opts)) != -1)
    {
      if (c == '?')
        return 1;
      if (c == 'f')
        format = optarg;
      if (c == 'q')
        quiet = true;
    }
  if (strcmp (format, "table") && strcmp (format, "json"))
    return al_cli_usage (cli, &cmd_list, "unknown format \"%s\" (table or json)", format);
  if (al_cli_positional (cli, &cmd_list, argc, argv, 0) < 0)
    return 1;
  _cleanup_error_ al_error_t err = NULL;
  struct al_list_entry *l = NULL;
  size_t n = 0;
  /* Containers whose monitor died are removed, not listed (reaper.h). */
  al_reap (cli->root, NULL, &cli->log);
  if (al_container_list (cli->root, &l, &n, &err) < 0)
    return al_cli_fail (cli, &err);
  if (quiet)
    for (size_t i = 0; i < n; i++)
      printf ("%s\n", l[i].st->id);
  else if (strcmp (format, "json") == 0)
    {
      if (n == 0)
        printf ("null\n");
      else
        {
          putchar ('[');
          for (size_t i = 0; i < n; i++)
            {
              const struct al_state *st = l[i].st;
              printf ("%s{\"ociVersion\":\"%s\",\"id\":", i ? "," : "", AL_OCI_VERSION);
              print_json_string (st->id);
              printf (",\"pid\":%d,\"status\":\"%s\",\"bundle\":", l[i].status == AL_STATUS_STOPPED ? 0 : st->pid,
                      al_status_name (l[i].status));
              print_json_string (st->bundle);
              printf (",\"rootfs\":");
              print_json_string (st->rootfs);
              printf (",\"created\":");
              print_json_string (st->created);
              printf (",\"owner\":");
              print_json_string (st->owner);
              putchar ('}');
            }
          printf ("]\n");
        }
    }
  else
    {
      size_t w = 2;
      for (size_t i = 0; i < n; i++)
        if (strlen (l[i].st->id) > w)
          w = strlen (l[i].st->id);
      printf ("%-*s   %-8s %-10s %-40s %-30s %s\n", (int) w, "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (size_t i = 0; i < n; i++)
        {
          const struct al_state *st = l[i].st;
          printf ("%-*s   %-8d %-10s %-40s %-30s %s\n", (int) w, st->id,
                  l[i].status == AL_STATUS_STOPPED ? 0 : st->pid, al_status_name (l[i].status),
                  st->bundle ? st->bundle : "", st->created ? st->created : "",
                  st->owner && *st->owner ? st->owner : "root");
        }
    }
  al_container_list_free (l, n);
  return 0;
}

const struct al_command cmd_list = {
  .name = "list",
  .args = "[OPTIONS]",
  .summary = "list the containers under --root",
  .options = "  -f, --format table|json   output format (default table)\n"
             "  -q, --quiet               print only the ids\n",
  .run = run_list,
};
