/* cmd_cgroup.c: the commands that act on a running container through its
 * cgroup: pause, resume, ps, update, events. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cli.h"
#include "container.h"
#include "container_ops.h"
#include "spec.h"
#include "stats.h"
#include "util.h"

extern char **environ;

static const struct option no_opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };

/* ---- pause / resume ----------------------------------------------------- */

static int
run_pause_resume (struct al_cli *cli, const struct al_command *cmd, bool pause, int argc, char **argv)
{
  int c;
  while ((c = al_cli_getopt (cli, cmd, argc, argv, "h", no_opts)) != -1)
    if (c == '?')
      return 1;
  if (al_cli_positional (cli, cmd, argc, argv, 1) < 0)
    return 1;
  _cleanup_error_ al_error_t err = NULL;
  int r = pause ? al_container_pause (cli->root, argv[optind], &err) : al_container_resume (cli->root, argv[optind], &err);
  if (r < 0)
    return al_cli_fail (cli, &err);
  return 0;
}

static int
run_pause (struct al_cli *cli, int argc, char **argv)
{
  return run_pause_resume (cli, &cmd_pause, true, argc, argv);
}

static int
run_resume (struct al_cli *cli, int argc, char **argv)
{
  return run_pause_resume (cli, &cmd_resume, false, argc, argv);
}

const struct al_command cmd_pause = {
  .name = "pause",
  .args = "ID",
  .summary = "freeze every process of a running container (cgroup freezer)",
  .run = run_pause,
};

const struct al_command cmd_resume = {
  .name = "resume",
  .args = "ID",
  .summary = "thaw a paused container",
  .run = run_resume,
};

/* ---- ps ----------------------------------------------------------------- */

static bool
pid_listed (const pid_t *pids, size_t n, long pid)
{
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

/* Run `ps ARGS...` and return its whole stdout. */
static int
run_ps (char **args, int nargs, char **out, al_error_t *err)
{
  int pfd[2];
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return al_err (err, errno, "ps: pipe");
  _cleanup_close_ int rd = pfd[0];
  _cleanup_close_ int wr = pfd[1];
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, wr, STDOUT_FILENO);
  _cleanup_free_ char **argv = al_xmalloc0 ((size_t) (nargs + 2) * sizeof (char *));
  argv[0] = (char *) "ps";
  for (int i = 0; i < nargs; i++)
    argv[i + 1] = args[i];
  pid_t pid;
  int r = posix_spawnp (&pid, "ps", &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  if (r != 0)
    return al_err (err, r, "run ps");
  al_closep (&wr);

  _cleanup_free_ char *buf = NULL;
  size_t len = 0, cap = 0;
  int rerr = 0;
  for (;;)
    {
      if (len + 4096 + 1 > cap)
        {
          cap = cap ? cap * 2 : 16384;
          char *nb = realloc (buf, cap);
          if (nb == NULL)
            abort ();
          buf = nb;
        }
      ssize_t n = read (rd, buf + len, cap - len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          rerr = errno;
          break;
        }
      if (n == 0)
        break;
      len += (size_t) n;
    }
  int status = 0;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return al_err (err, errno, "wait for ps");
  if (rerr)
    return al_err (err, rerr, "read the output of ps");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return al_err (err, 0, "ps failed (status %d)", WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
  if (buf == NULL)
    buf = al_xstrdup ("");
  buf[len] = '\0';
  *out = al_steal_ptr (buf);
  return 0;
}

/* Keep the header and the lines whose PID column is one of pids. */
static int
print_ps_table (const char *text, const pid_t *pids, size_t n, al_error_t *err)
{
  const char *eol = strchr (text, '\n');
  size_t hl = eol ? (size_t) (eol - text) : strlen (text);
  _cleanup_free_ char *header = strndup (text, hl);
  if (header == NULL)
    abort ();
  int col = -1, i = 0;
  char *save = NULL;
  for (char *f = strtok_r (header, " \t", &save); f; f = strtok_r (NULL, " \t", &save), i++)
    if (strcmp (f, "PID") == 0)
      {
        col = i;
        break;
      }
  if (col < 0)
    return al_err (err, EINVAL, "ps: no PID column in its output header (add `-o pid` to the ps arguments)");
  printf ("%.*s\n", (int) hl, text);
  for (const char *line = eol ? eol + 1 : NULL; line && *line;)
    {
      const char *end = strchr (line, '\n');
      size_t ll = end ? (size_t) (end - line) : strlen (line);
      _cleanup_free_ char *copy = strndup (line, ll);
      if (copy == NULL)
        abort ();
      char *fs = NULL, *f = strtok_r (copy, " \t", &fs);
      for (int k = 0; f && k < col; k++)
        f = strtok_r (NULL, " \t", &fs);
      char *endp = NULL;
      long pid = f ? strtol (f, &endp, 10) : -1;
      if (f && endp && *endp == '\0' && pid_listed (pids, n, pid))
        printf ("%.*s\n", (int) ll, line);
      line = end ? end + 1 : NULL;
    }
  return 0;
}

static int
run_ps_cmd (struct al_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  const char *format = "table";
  int c;
  /* '+': options stop at the id; what follows goes to ps. */
  while ((c = al_cli_getopt (cli, &cmd_ps, argc, argv, "+f:h", opts)) != -1)
    {
      if (c == '?')
        return 1;
      if (c == 'f')
        format = optarg;
    }
  if (strcmp (format, "table") && strcmp (format, "json"))
    return al_cli_usage (cli, &cmd_ps, "unknown format \"%s\" (table or json)", format);
  if (optind >= argc)
    return al_cli_usage (cli, &cmd_ps, "expected a container id");
  const char *id = argv[optind];
  char **ps_args = argv + optind + 1;
  int n_ps = argc - optind - 1;
  if (n_ps > 0 && strcmp (ps_args[0], "--") == 0)
    {
      ps_args++;
      n_ps--;
    }
  if (strcmp (format, "json") == 0 && n_ps > 0)
    return al_cli_usage (cli, &cmd_ps, "ps arguments cannot be used with --format json");

  _cleanup_error_ al_error_t err = NULL;
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  if (al_container_pids (cli->root, id, &pids, &n, &err) < 0)
    return al_cli_fail (cli, &err);
  if (strcmp (format, "json") == 0)
    {
      if (n == 0)
        {
          printf ("null\n"); /* as runc (and `list --format json`) */
          return 0;
        }
      putchar ('[');
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) pids[i]);
      printf ("]\n");
      return 0;
    }
  static char *default_args[] = { (char *) "-ef" };
  _cleanup_free_ char *out = NULL;
  if (run_ps (n_ps ? ps_args : default_args, n_ps ? n_ps : 1, &out, &err) < 0)
    return al_cli_fail (cli, &err);
  if (print_ps_table (out, pids, n, &err) < 0)
    return al_cli_fail (cli, &err);
  return 0;
}

const struct al_command cmd_ps = {
  .name = "ps",
  .args = "[OPTIONS] ID [-- PS ARGS...]",
  .summary = "list the processes of a container (host pids)",
  .options = "  -f, --format FORMAT       table (default: the output of `ps -ef` or of ps with\n"
             "                            the given arguments) or json (an array of pids)\n",
  .run = run_ps_cmd,
};

/* ---- update ------------------------------------------------------------- */

/* A size like docker's: "123", "1.5g", "10m", "64KiB", "2 GB" (binary
 * multiples); "-1" is unlimited. */
static int
parse_size (const char *s, int64_t *out)
{
  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  const char *p = s;
  if (*p < '0' || *p > '9')
    return -EINVAL;
  char *end = NULL;
  errno = 0;
  double v = strtod (p, &end);
  if (errno || end == p)
    return -EINVAL;
  p = end;
  if (*p == ' ')
    p++;
  static const char units[] = "kmgtp";
  double mult = 1;
  if (*p)
    {
      const char *u = strchr (units, *p | 0x20);
      if (u)
        {
          for (const char *k = units; k <= u; k++)
            mult *= 1024;
          p++;
        }
      if (*p == 'i' || *p == 'I')
        p++;
      if (*p == 'b' || *p == 'B')
        p++;
    }
  if (*p != '\0')
    return -EINVAL;
  double bytes = v * mult;
  if (!isfinite (bytes) || bytes >= 9.2e18)
    return -ERANGE;
  *out = (int64_t) bytes;
  return 0;
}

static int
parse_u64_arg (const char *s, uint64_t *out)
{
  if (*s < '0' || *s > '9')
    return -EINVAL;
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno || *end)
    return -EINVAL;
  *out = v;
  return 0;
}

static int
parse_i64_arg (const char *s, int64_t *out)
{
  char *end = NULL;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (errno || end == s || *end)
    return -EINVAL;
  *out = v;
  return 0;
}

static int
read_resources (const char *path, struct oci_resources **res, al_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r;
  if (strcmp (path, "-") == 0)
    r = al_read_file_at (AT_FDCWD, "/dev/stdin", 4u << 20, &text, &len, err);
  else
    r = al_read_file_at (AT_FDCWD, path, 4u << 20, &text, &len, err);
  if (r < 0)
    return r;
  return oci_resources_parse (strcmp (path, "-") == 0 ? "stdin" : path, text, len, res, err);
}

enum
{
  U_RESOURCES = 'r',
  U_MEMORY = 256,
  U_MEMORY_RES,
  U_MEMORY_SWAP,
  U_CPU_SHARES,
  U_CPU_QUOTA,
  U_CPU_PERIOD,
  U_CPU_RT_PERIOD,
  U_CPU_RT_RUNTIME,
  U_CPUSET_CPUS,
  U_CPUSET_MEMS,
  U_PIDS_LIMIT,
  U_BLKIO_WEIGHT,
  U_KMEM,
  U_KMEM_TCP,
  U_L3,
  U_MEMBW,
};

static void
free_resources (struct oci_resources **r)
{
  oci_resources_free (*r);
}

static int
run_update (struct al_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
    { "resources", required_argument, NULL, U_RESOURCES },
    { "memory", required_argument, NULL, U_MEMORY },
    { "memory-reservation", required_argument, NULL, U_MEMORY_RES },
    { "memory-swap", required_argument, NULL, U_MEMORY_SWAP },
    { "cpu-shares", required_argument, NULL, U_CPU_SHARES },
    { "cpu-quota", required_argument, NULL, U_CPU_QUOTA },
    { "cpu-period", required_argument, NULL, U_CPU_PERIOD },
    { "cpu-rt-period", required_argument, NULL, U_CPU_RT_PERIOD },
    { "cpu-rt-runtime", required_argument, NULL, U_CPU_RT_RUNTIME },
    { "cpuset-cpus", required_argument, NULL, U_CPUSET_CPUS },
    { "cpuset-mems", required_argument, NULL, U_CPUSET_MEMS },
    { "pids-limit", required_argument, NULL, U_PIDS_LIMIT },
    { "blkio-weight", required_argument, NULL, U_BLKIO_WEIGHT },
    { "kernel-memory", required_argument, NULL, U_KMEM },
    { "kernel-memory-tcp", required_argument, NULL, U_KMEM_TCP },
    { "l3-cache-schema", required_argument, NULL, U_L3 },
    { "mem-bw-schema", required_argument, NULL, U_MEMBW },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  /* Flags are applied after --resources, whatever their order. */
  const char *flag_val[U_MEMBW + 1] = { 0 };
  const char *resources_path = NULL;
  int c;
  while ((c = al_cli_getopt (cli, &cmd_update, argc, argv, "r:h", opts)) != -1)
    {
      if (c == '?')
        return 1;
      if (c == U_RESOURCES)
        resources_path = optarg;
      else if (c >= U_MEMORY && c <= U_MEMBW)
        flag_val[c] = optarg;
    }
  if (al_cli_positional (cli, &cmd_update, argc, argv, 1) < 0)
    return 1;
  const char *id = argv[optind];

  if (flag_val[U_KMEM] || flag_val[U_KMEM_TCP])
    return al_cli_usage (cli, &cmd_update, "%s: kernel memory limits are not supported on cgroup v2",
                         flag_val[U_KMEM] ? "--kernel-memory" : "--kernel-memory-tcp");
  if (flag_val[U_L3] || flag_val[U_MEMBW])
    return al_cli_usage (cli, &cmd_update, "%s: Intel RDT is not supported by airlock",
                         flag_val[U_L3] ? "--l3-cache-schema" : "--mem-bw-schema");

  _cleanup_error_ al_error_t err = NULL;
  __attribute__ ((cleanup (free_resources))) struct oci_resources *res = NULL;
  if (resources_path)
    {
      if (read_resources (resources_path, &res, &err) < 0)
        return al_cli_fail (cli, &err);
    }
  else
    res = al_xmalloc0 (sizeof *res);

  static const struct
  {
    int opt;
    const char *name;
  } sizes[] = {
    { U_MEMORY, "--memory" }, { U_MEMORY_RES, "--memory-reservation" }, { U_MEMORY_SWAP, "--memory-swap" }
  };
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    {
      const char *v = flag_val[sizes[i].opt];
      int64_t n;
      if (v == NULL)
        continue;
      if (parse_size (v, &n) < 0)
        return al_cli_usage (cli, &cmd_update, "%s: invalid size \"%s\"", sizes[i].name, v);
      res->memory.present = true;
      if (sizes[i].opt == U_MEMORY)
        res->memory.has_limit = true, res->memory.limit = n;
      else if (sizes[i].opt == U_MEMORY_RES)
        res->memory.has_reservation = true, res->memory.reservation = n;
      else
        res->memory.has_swap = true, res->memory.swap = n;
    }

  const struct
  {
    int opt;
    const char *name;
    bool *has;
    uint64_t *u;
    int64_t *i;
  } nums[] = {
    { U_CPU_SHARES, "--cpu-shares", &res->cpu.has_shares, &res->cpu.shares, NULL },
    { U_CPU_QUOTA, "--cpu-quota", &res->cpu.has_quota, NULL, &res->cpu.quota },
    { U_CPU_PERIOD, "--cpu-period", &res->cpu.has_period, &res->cpu.period, NULL },
    { U_CPU_RT_PERIOD, "--cpu-rt-period", &res->cpu.has_realtime_period, &res->cpu.realtime_period, NULL },
    { U_CPU_RT_RUNTIME, "--cpu-rt-runtime", &res->cpu.has_realtime_runtime, NULL, &res->cpu.realtime_runtime },
  };
  for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
    {
      const char *v = flag_val[nums[i].opt];
      if (v == NULL)
        continue;
      int r = nums[i].u ? parse_u64_arg (v, nums[i].u) : parse_i64_arg (v, nums[i].i);
      if (r < 0)
        return al_cli_usage (cli, &cmd_update, "%s: invalid number \"%s\"", nums[i].name, v);
      *nums[i].has = true;
      res->cpu.present = true;
    }
  if (flag_val[U_CPUSET_CPUS])
    {
      free (res->cpu.cpus);
      res->cpu.cpus = al_xstrdup (flag_val[U_CPUSET_CPUS]);
      res->cpu.present = true;
    }
  if (flag_val[U_CPUSET_MEMS])
    {
      free (res->cpu.mems);
      res->cpu.mems = al_xstrdup (flag_val[U_CPUSET_MEMS]);
      res->cpu.present = true;
    }
  if (flag_val[U_PIDS_LIMIT])
    {
      if (parse_i64_arg (flag_val[U_PIDS_LIMIT], &res->pids.limit) < 0)
        return al_cli_usage (cli, &cmd_update, "--pids-limit: invalid number \"%s\"", flag_val[U_PIDS_LIMIT]);
      res->pids.present = true;
    }
  if (flag_val[U_BLKIO_WEIGHT])
    {
      uint64_t w;
      if (parse_u64_arg (flag_val[U_BLKIO_WEIGHT], &w) < 0 || w > 1000 || (w != 0 && w < 10))
        return al_cli_usage (cli, &cmd_update, "--blkio-weight: \"%s\" is not 10 to 1000 (or 0)",
                             flag_val[U_BLKIO_WEIGHT]);
      res->block_io.present = true;
      res->block_io.has_weight = true;
      res->block_io.weight = (uint16_t) w;
    }

  if (al_container_update_log (cli->root, id, res, &cli->log, &err) < 0)
    return al_cli_fail (cli, &err);
  return 0;
}

const struct al_command cmd_update = {
  .name = "update",
  .args = "[OPTIONS] ID",
  .summary = "change the resource limits of a container",
  .options = "  -r, --resources FILE      a linux.resources JSON object (`-` for stdin); the\n"
             "                            options below override it\n"
             "  --memory N                memory limit (sizes: 512k, 64m, 1g, 1GiB...; -1 unlimited)\n"
             "  --memory-reservation N    memory soft limit (memory.low)\n"
             "  --memory-swap N           memory plus swap limit\n"
             "  --cpu-shares N            CPU weight, cgroup v1 scale (2-262144)\n"
             "  --cpu-quota N             CPU time per period in µs (-1 unlimited)\n"
             "  --cpu-period N            CPU CFS period in µs\n"
             "  --cpu-rt-period N         realtime period (cgroup v1 only: refused)\n"
             "  --cpu-rt-runtime N        realtime runtime (cgroup v1 only: refused)\n"
             "  --cpuset-cpus LIST        CPUs allowed (0-3,5)\n"
             "  --cpuset-mems LIST        memory nodes allowed\n"
             "  --pids-limit N            maximum number of tasks (-1 unlimited)\n"
             "  --blkio-weight N          block IO weight (10-1000)\n"
             "  --kernel-memory N         kernel memory limit (cgroup v1 only: refused)\n"
             "  --kernel-memory-tcp N     kernel TCP memory limit (cgroup v1 only: refused)\n"
             "  --l3-cache-schema S       Intel RDT (not supported)\n"
             "  --mem-bw-schema S         Intel RDT (not supported)\n",
  .run = run_update,
};

/* ---- events ------------------------------------------------------------- */

/* A Go-style duration: "5s", "100ms", "1m30s", "1.5s", "250us". */
static int
parse_duration (const char *s, uint64_t *ns)
{
  static const struct
  {
    const char *u;
    double mult;
  } units[] = {
    { "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
  };
  double total = 0;
  const char *p = s;
  if (*p == '\0')
    return -EINVAL;
  while (*p)
    {
      if ((*p < '0' || *p > '9') && *p != '.')
        return -EINVAL;
      char *end = NULL;
      double v = strtod (p, &end);
      if (end == p)
        return -EINVAL;
      p = end;
      size_t best = 0;
      double mult = 0;
      for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        {
          size_t l = strlen (units[i].u);
          if (strncmp (p, units[i].u, l) == 0 && l > best)
            {
              best = l;
              mult = units[i].mult;
            }
        }
      if (best == 0)
        return -EINVAL;
      p += best;
      total += v * mult;
    }
  if (total < 1 || total > 1e18)
    return -ERANGE;
  *ns = (uint64_t) total;
  return 0;
}

static int
print_line (char *json)
{
  if (json == NULL)
    return 0;
  int r = printf ("%s\n", json);
  free (json);
  if (r < 0 || fflush (stdout) != 0)
    return -EPIPE;
  return 0;
}

static int
run_events (struct al_cli *cli, int argc, char **argv)
{
  static const struct option opts[] = {
    { "stats", no_argument, NULL, 's' },
    { "interval", required_argument, NULL, 'i' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  bool once = false;
  uint64_t interval_ns = 5000000000ull;
  int c;
  while ((c = al_cli_getopt (cli, &cmd_events, argc, argv, "si:h", opts)) != -1)
    {
      if (c == '?')
        return 1;
      if (c == 's')
        once = true;
      if (c == 'i' && parse_duration (optarg, &interval_ns) < 0)
        return al_cli_usage (cli, &cmd_events, "--interval: invalid duration \"%s\" (e.g. 5s, 500ms, 1m)", optarg);
    }
  if (al_cli_positional (cli, &cmd_events, argc, argv, 1) < 0)
    return 1;
  const char *id = argv[optind];
  _cleanup_error_ al_error_t err = NULL;

  /* Take what is needed from the state, then let go of the lock: events
   * may run for the container's whole life and must not block delete. */
  struct al_opened oc;
  if (al_container_open (cli->root, id, false, &oc, &err) < 0)
    return al_cli_fail (cli, &err);
  enum al_status status = al_state_status (oc.dirfd, oc.st);
  struct al_cgroup *cg = al_state_cgroup (oc.st);
  _cleanup_close_ int pidfd = -1;
  if (status != AL_STATUS_STOPPED)
    {
      pidfd = (int) syscall (SYS_pidfd_open, oc.st->pid, 0);
      if (pidfd < 0 || !al_state_init_alive (oc.st))
        status = AL_STATUS_STOPPED;
    }
  al_container_close (&oc);
  if (status == AL_STATUS_STOPPED)
    {
      al_cgroup_free (cg);
      al_err (&err, ESRCH, "container \"%s\" is not running", id);
      return al_cli_fail (cli, &err);
    }
  if (cg == NULL)
    {
      al_err (&err, EOPNOTSUPP, "container \"%s\" has no cgroup", id);
      return al_cli_fail (cli, &err);
    }

  int ret = 0;
  struct al_stats st;
  if (once)
    {
      if (al_stats_read (cg, &st, &err) < 0)
        ret = al_cli_fail (cli, &err);
      else
        {
          print_line (al_stats_event_json (&st, id));
          al_stats_clear (&st);
        }
      al_cgroup_free (cg);
      return ret;
    }

  _cleanup_close_ int tfd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC);
  if (tfd < 0)
    {
      al_cgroup_free (cg);
      al_err (&err, errno, "timerfd_create");
      return al_cli_fail (cli, &err);
    }
  struct itimerspec its = {
    .it_interval = { .tv_sec = (time_t) (interval_ns / 1000000000u), .tv_nsec = (long) (interval_ns % 1000000000u) },
  };
  its.it_value = its.it_interval;
  timerfd_settime (tfd, 0, &its, NULL);

  /* memory.events changes are notified as POLLPRI (kernfs). */
  _cleanup_free_ char *memev = strcmp (cg->path, "/") == 0 ? al_xasprintf ("%s/memory.events", cg->mount)
                                                           : al_xasprintf ("%s%s/memory.events", cg->mount, cg->path);
  _cleanup_close_ int mfd = open (memev, O_RDONLY | O_CLOEXEC);
  uint64_t oom = 0, oom_kill = 0;
  if (mfd >= 0 && al_stats_read_oom (mfd, &oom, &oom_kill) < 0)
    al_closep (&mfd);

  for (;;)
    {
      struct pollfd p[3] = {
        { .fd = pidfd, .events = POLLIN },
        { .fd = tfd, .events = POLLIN },
        { .fd = mfd, .events = POLLPRI },
      };
      if (poll (p, mfd >= 0 ? 3 : 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          al_err (&err, errno, "events: poll");
          ret = al_cli_fail (cli, &err);
          break;
        }
      if (mfd >= 0 && (p[2].revents & (POLLPRI | POLLERR)))
        {
          uint64_t o2, k2;
          if (al_stats_read_oom (mfd, &o2, &k2) < 0)
            al_closep (&mfd);
          else
            {
              if (o2 > oom || k2 > oom_kill)
                if (print_line (al_stats_simple_event_json ("oom", id)) < 0)
                  break;
              oom = o2;
              oom_kill = k2;
            }
        }
      if (p[1].revents & POLLIN)
        {
          uint64_t ticks;
          if (read (tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN && errno != EINTR)
            {
              al_err (&err, errno, "events: read timerfd");
              ret = al_cli_fail (cli, &err);
              break;
            }
          if (al_stats_read (cg, &st, &err) < 0)
            {
              /* The cgroup may go away with the container: the pidfd
               * tells; otherwise report and keep going. */
              al_log (&cli->log, "warning", "%s", err->msg);
              al_error_free (&err);
            }
          else
            {
              int r = print_line (al_stats_event_json (&st, id));
              al_stats_clear (&st);
              if (r < 0)
                break;
            }
        }
      if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        break; /* the init exited: the container stopped */
    }
  al_cgroup_free (cg);
  return ret;
}

const struct al_command cmd_events = {
  .name = "events",
  .args = "[OPTIONS] ID",
  .summary = "print resource usage statistics (and OOM events) of a container as JSON lines",
  .options = "  --stats                   print the statistics once and exit\n"
             "  --interval DURATION       time between statistics (default 5s)\n",
  .run = run_events,
};
