/* cmd_sandbox.c: `airlock sandbox [OPTIONS] -- PROGRAM [ARGS...]`: run a
 * program in a throw-away container under a profile, watched by the monitor,
 * and print its verdict. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cgroup.h"
#include "json.h"
#include "cli.h"
#include "container.h"
#include "monitor.h"
#include "profile.h"
#include "sandbox_image.h"
#include "reaper.h"
#include "spec.h"
#include "util.h"
#include "verdict.h"

#define SANDBOX_BUSYBOX "/bin/busybox"
#define SANDBOX_DEFAULT_PROFILE "untrusted"

/* Exit statuses of `sandbox` besides the program's own. */
#define SANDBOX_EXIT_SETUP 125   /* airlock could not run it */
#define SANDBOX_EXIT_TIMEOUT 124 /* as timeout(1) */
#define SANDBOX_EXIT_OOM 137

enum
{
  OPT_ROOTFS = 256,
  OPT_PROFILE,
  OPT_TIMEOUT,
  OPT_MEMORY,
  OPT_BIND,
  OPT_JSON,
  OPT_KEEP,
  OPT_ID,
  OPT_VERDICT,
  OPT_VERDICT_FD,
  OPT_OUTPUT_LIMIT,
  OPT_MISSING_CONTROLLERS,
};

static const struct option sandbox_opts[] = {
  { "rootfs", required_argument, NULL, OPT_ROOTFS },
  { "profile", required_argument, NULL, OPT_PROFILE },
  { "timeout", required_argument, NULL, OPT_TIMEOUT },
  { "memory", required_argument, NULL, OPT_MEMORY },
  { "bind", required_argument, NULL, OPT_BIND },
  { "json", no_argument, NULL, OPT_JSON },
  { "keep", no_argument, NULL, OPT_KEEP },
  { "id", required_argument, NULL, OPT_ID },
  { "verdict", required_argument, NULL, OPT_VERDICT },
  { "verdict-fd", required_argument, NULL, OPT_VERDICT_FD },
  { "output-limit", required_argument, NULL, OPT_OUTPUT_LIMIT },
  { "missing-controllers", required_argument, NULL, OPT_MISSING_CONTROLLERS },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

struct bind
{
  char *src; /* absolute, resolved */
  char *dst;
  bool rw;
};

struct sandbox
{
  const char *rootfs; /* NULL: the cached busybox rootfs */
  const char *profile;
  uint64_t timeout_ms;
  const char *timeout_text;
  int64_t memory;
  struct bind *binds;
  size_t n_binds;
  bool json;
  bool keep;
  const char *id;
  const char *verdict_path;
  int verdict_fd; /* -1: none */
  uint64_t output_limit;
  char **argv;
};

/* "256M", "1G", "512k", "1048576" -> bytes. */
static int
parse_size (const char *s, int64_t *out)
{
  char *end;
  errno = 0;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno || end == s || *s == '-')
    return -EINVAL;
  unsigned long long mult = 1;
  if (*end)
    {
      switch (*end)
        {
        case 'k': case 'K': mult = 1ull << 10; break;
        case 'm': case 'M': mult = 1ull << 20; break;
        case 'g': case 'G': mult = 1ull << 30; break;
        default: return -EINVAL;
        }
      end++;
      if (*end == 'i')
        end++;
      if (*end == 'B' || *end == 'b')
        end++;
      if (*end)
        return -EINVAL;
    }
  if (v == 0 || v > (unsigned long long) INT64_MAX / mult)
    return -EINVAL;
  *out = (int64_t) (v * mult);
  return 0;
}

/* ---- the default rootfs ---------------------------------------------------- */

/* The busybox image in the cache (sandbox_image.c), built at first use. */
static int
default_rootfs (char **out, al_error_t *err)
{
  return al_sandbox_image (NULL, SANDBOX_BUSYBOX, out, err);
}

/* ---- the config -------------------------------------------------------------- */

static void
g_process (yajl_gen g, yajl_val proc, const struct sandbox *sb, bool memory_rlimit)
{
  yajl_gen_map_open (g);
  yajl_val rlimits = NULL;
  for (size_t i = 0; proc && i < proc->u.object.len; i++)
    {
      const char *k = proc->u.object.keys[i];
      if (strcmp (k, "args") == 0 || strcmp (k, "terminal") == 0)
        continue;
      if (strcmp (k, "rlimits") == 0)
        {
          rlimits = proc->u.object.values[i];
          continue;
        }
      al_json_str (g, k);
      al_json_gen_tree (g, proc->u.object.values[i]);
    }
  al_json_str (g, "rlimits");
  yajl_gen_array_open (g);
  for (size_t i = 0; rlimits && YAJL_IS_ARRAY (rlimits) && i < rlimits->u.array.len; i++)
    al_json_gen_tree (g, rlimits->u.array.values[i]);
  if (memory_rlimit)
    {
      /* No memory controller: the address space limit is what we have
         (the profile's own fallback is the ceiling). */
      yajl_gen_map_open (g);
      al_json_str (g, "type");
      al_json_str (g, "RLIMIT_AS");
      al_json_str (g, "hard");
      yajl_gen_integer (g, sb->memory);
      al_json_str (g, "soft");
      yajl_gen_integer (g, sb->memory);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  al_json_str (g, "terminal");
  yajl_gen_bool (g, 0);
  al_json_str (g, "args");
  yajl_gen_array_open (g);
  for (char **a = sb->argv; *a; a++)
    al_json_str (g, *a);
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
}

static void
g_linux (yajl_gen g, yajl_val lin, const struct sandbox *sb, bool memory_cgroup)
{
  yajl_gen_map_open (g);
  yajl_val res = NULL;
  for (size_t i = 0; lin && i < lin->u.object.len; i++)
    {
      const char *k = lin->u.object.keys[i];
      if (strcmp (k, "resources") == 0)
        {
          res = lin->u.object.values[i];
          continue;
        }
      al_json_str (g, k);
      al_json_gen_tree (g, lin->u.object.values[i]);
    }
  al_json_str (g, "resources");
  yajl_gen_map_open (g);
  for (size_t i = 0; res && YAJL_IS_OBJECT (res) && i < res->u.object.len; i++)
    {
      const char *k = res->u.object.keys[i];
      if (strcmp (k, "memory") == 0 && sb->memory > 0 && memory_cgroup)
        continue;
      al_json_str (g, k);
      al_json_gen_tree (g, res->u.object.values[i]);
    }
  if (sb->memory > 0 && memory_cgroup)
    {
      al_json_str (g, "memory");
      yajl_gen_map_open (g);
      al_json_str (g, "limit");
      yajl_gen_integer (g, sb->memory);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
}

/* config.json for the sandbox: `airlock spec`'s default with the program,
 * the rootfs (read-only), the binds, the memory limit (linux.resources with
 * a memory controller, else RLIMIT_AS) and the annotations that select the
 * profile and the timeout. */
static char *
sandbox_config (const struct sandbox *sb, const char *rootfs, bool memory_cgroup, al_error_t *err)
{
  _cleanup_free_ char *def = oci_spec_default_json (false);
  char ebuf[256] = "";
  yajl_val root = yajl_tree_parse (def, ebuf, sizeof ebuf);
  if (root == NULL || !YAJL_IS_OBJECT (root))
    {
      yajl_tree_free (root);
      al_err (err, EINVAL, "sandbox: the default config does not parse: %s", ebuf);
      return NULL;
    }
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  yajl_val proc = NULL, lin = NULL, mounts = NULL;
  for (size_t i = 0; i < root->u.object.len; i++)
    {
      const char *k = root->u.object.keys[i];
      yajl_val v = root->u.object.values[i];
      if (strcmp (k, "process") == 0)
        proc = v;
      else if (strcmp (k, "linux") == 0)
        lin = v;
      else if (strcmp (k, "mounts") == 0)
        mounts = v;
      else if (strcmp (k, "root") && strcmp (k, "annotations") && strcmp (k, "hostname"))
        {
          al_json_str (g, k);
          al_json_gen_tree (g, v);
        }
    }
  al_json_str (g, "hostname");
  al_json_str (g, "sandbox");
  al_json_str (g, "root");
  yajl_gen_map_open (g);
  al_json_str (g, "path");
  al_json_str (g, rootfs);
  al_json_str (g, "readonly");
  yajl_gen_bool (g, 1);
  yajl_gen_map_close (g);
  al_json_str (g, "process");
  g_process (g, proc, sb, sb->memory > 0 && !memory_cgroup);
  al_json_str (g, "mounts");
  yajl_gen_array_open (g);
  for (size_t i = 0; mounts && YAJL_IS_ARRAY (mounts) && i < mounts->u.array.len; i++)
    al_json_gen_tree (g, mounts->u.array.values[i]);
  for (size_t i = 0; i < sb->n_binds; i++)
    {
      yajl_gen_map_open (g);
      al_json_str (g, "destination");
      al_json_str (g, sb->binds[i].dst);
      al_json_str (g, "type");
      al_json_str (g, "bind");
      al_json_str (g, "source");
      al_json_str (g, sb->binds[i].src);
      al_json_str (g, "options");
      yajl_gen_array_open (g);
      al_json_str (g, "rbind");
      al_json_str (g, "nosuid");
      al_json_str (g, "nodev");
      al_json_str (g, sb->binds[i].rw ? "rw" : "ro");
      yajl_gen_array_close (g);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  al_json_str (g, "linux");
  g_linux (g, lin, sb, memory_cgroup);
  al_json_str (g, "annotations");
  yajl_gen_map_open (g);
  al_json_str (g, AL_PROFILE_ANNOTATION);
  al_json_str (g, sb->profile);
  if (sb->timeout_text)
    {
      al_json_str (g, AL_ANNOTATION_TIMEOUT);
      al_json_str (g, sb->timeout_text);
    }
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  yajl_tree_free (root);
  return al_json_gen_finish (g);
}

/* ---- the command -------------------------------------------------------------- */

static int
parse_bind (struct sandbox *sb, const char *arg, al_error_t *err)
{
  _cleanup_free_ char *copy = al_xstrdup (arg);
  char *src = copy, *dst = strchr (copy, ':');
  if (dst == NULL)
    return al_err (err, EINVAL, "--bind %s: expected SRC:DST[:ro|:rw]", arg);
  *dst++ = '\0';
  bool rw = false;
  char *mode = strchr (dst, ':');
  if (mode)
    {
      *mode++ = '\0';
      if (strcmp (mode, "rw") == 0)
        rw = true;
      else if (strcmp (mode, "ro"))
        return al_err (err, EINVAL, "--bind %s: mode `%s`: expected ro or rw", arg, mode);
    }
  if (dst[0] != '/')
    return al_err (err, EINVAL, "--bind %s: the destination must be absolute", arg);
  char *real = realpath (src, NULL);
  if (real == NULL)
    return al_err (err, errno, "--bind %s: source `%s`", arg, src);
  sb->binds = realloc (sb->binds, (sb->n_binds + 1) * sizeof *sb->binds);
  if (sb->binds == NULL)
    abort ();
  sb->binds[sb->n_binds++] = (struct bind){ .src = real, .dst = al_xstrdup (dst), .rw = rw };
  return 0;
}

static char *
random_name (const char *prefix)
{
  unsigned char r[6] = { 0 };
  if (getrandom (r, sizeof r, GRND_NONBLOCK) != (ssize_t) sizeof r)
    {
      unsigned long x = (unsigned long) getpid () * 2654435761u;
      memcpy (r, &x, sizeof r < sizeof x ? sizeof r : sizeof x);
    }
  return al_xasprintf ("%s%02x%02x%02x%02x%02x%02x", prefix, r[0], r[1], r[2], r[3], r[4], r[5]);
}

static char *
random_id (void)
{
  return random_name ("sandbox-");
}

/* The temporary bundle, /tmp/airlock-sandbox-RANDOM: named in the monitor's
 * registration before it exists, so that whenever this process dies the
 * reaper removes it. */
static int
make_bundle_dir (int lock, char **out, al_error_t *err)
{
  for (int attempt = 0; attempt < 16; attempt++)
    {
      _cleanup_free_ char *dir = random_name ("/tmp/airlock-sandbox-");
      if (al_reaper_note_dir (lock, dir, err) < 0)
        return -1;
      if (mkdir (dir, 0700) == 0)
        {
          *out = al_steal_ptr (dir);
          return 0;
        }
      if (errno != EEXIST)
        return al_err (err, errno, "sandbox: temporary bundle %s", dir);
    }
  return al_err (err, EEXIST, "sandbox: no free name for a temporary bundle in /tmp");
}

/* Remove the temporary bundle dir (config.json only). */
static void
remove_bundle (const char *dir)
{
  if (dir == NULL)
    return;
  _cleanup_free_ char *cfg = al_xasprintf ("%s/config.json", dir);
  unlink (cfg);
  rmdir (dir);
}

static int
sandbox_exit_status (const struct al_verdict *v)
{
  if (v->timed_out)
    return SANDBOX_EXIT_TIMEOUT;
  if (v->oom_killed == 1)
    return SANDBOX_EXIT_OOM;
  if (!v->exited)
    return 128 + v->signal;
  return v->exit_code;
}

static int
run_sandbox (struct al_cli *cli, int argc, char **argv)
{
  struct sandbox sb = { .profile = SANDBOX_DEFAULT_PROFILE, .verdict_fd = -1 };
  _cleanup_error_ al_error_t err = NULL;
  int lock = -1; /* the monitor's registration (reaper.h) */
  struct al_created cr = { .pid = -1, .pidfd = -1, .pty_master = -1, .seccomp_listener = -1 };
  bool created = false;
  int c, ret = SANDBOX_EXIT_SETUP;
  while ((c = al_cli_getopt (cli, &cmd_sandbox, argc, argv, "+h", sandbox_opts)) != -1)
    {
      switch (c)
        {
        case '?':
          return SANDBOX_EXIT_SETUP;
        case OPT_ROOTFS:
          sb.rootfs = optarg;
          break;
        case OPT_PROFILE:
          sb.profile = optarg;
          break;
        case OPT_TIMEOUT:
          if (al_parse_duration_ms (optarg, &sb.timeout_ms) < 0)
            return al_cli_usage (cli, &cmd_sandbox, "--timeout: not a duration: \"%s\" (e.g. 10s, 500ms, 2m)",
                                 optarg), SANDBOX_EXIT_SETUP;
          sb.timeout_text = optarg;
          break;
        case OPT_MEMORY:
          if (parse_size (optarg, &sb.memory) < 0)
            return al_cli_usage (cli, &cmd_sandbox, "--memory: not a size: \"%s\" (e.g. 256M, 1G)", optarg), SANDBOX_EXIT_SETUP;
          break;
        case OPT_OUTPUT_LIMIT:
          {
            int64_t l;
            if (parse_size (optarg, &l) < 0)
              return al_cli_usage (cli, &cmd_sandbox, "--output-limit: not a size: \"%s\"", optarg), SANDBOX_EXIT_SETUP;
            sb.output_limit = (uint64_t) l;
            break;
          }
        case OPT_BIND:
          if (parse_bind (&sb, optarg, &err) < 0)
            {
              for (size_t i = 0; i < sb.n_binds; i++)
                {
                  free (sb.binds[i].src);
                  free (sb.binds[i].dst);
                }
              free (sb.binds);
              al_cli_fail (cli, &err);
              return SANDBOX_EXIT_SETUP;
            }
          break;
        case OPT_MISSING_CONTROLLERS:
          /* The library reads the opt-in from the environment (as the
             shim's comes from containerd's). */
          if (strcmp (optarg, "warn") != 0 && strcmp (optarg, "refuse") != 0)
            return al_cli_usage (cli, &cmd_sandbox, "--missing-controllers: \"%s\" is neither warn nor refuse", optarg),
                   SANDBOX_EXIT_SETUP;
          setenv (AL_MISSING_CONTROLLERS_ENV, optarg, 1);
          break;
        case OPT_JSON:
          sb.json = true;
          break;
        case OPT_KEEP:
          sb.keep = true;
          break;
        case OPT_ID:
          sb.id = optarg;
          break;
        case OPT_VERDICT:
          sb.verdict_path = optarg;
          break;
        case OPT_VERDICT_FD:
          {
            char *end;
            errno = 0;
            long fd = strtol (optarg, &end, 10);
            int fl = -1;
            if (errno == 0 && end != optarg && *end == '\0' && fd >= 3 && fd <= INT_MAX)
              fl = fcntl ((int) fd, F_GETFL);
            if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY)
              return al_cli_usage (cli, &cmd_sandbox,
                                   "--verdict-fd: \"%s\" is not an fd above 2 open for writing (0, 1 and 2 carry "
                                   "the program's streams; --json puts the verdict alone on stdout)",
                                   optarg),
                     SANDBOX_EXIT_SETUP;
            sb.verdict_fd = (int) fd;
            break;
          }
        default:
          return al_cli_usage (cli, &cmd_sandbox, "unknown option `%s`", argv[optind - 1]), SANDBOX_EXIT_SETUP;
        }
    }
  if (optind >= argc)
    return al_cli_usage (cli, &cmd_sandbox, "no program to run (airlock sandbox [OPTIONS] -- PROGRAM [ARGS...])"), SANDBOX_EXIT_SETUP;
  sb.argv = argv + optind;

  _cleanup_free_ char *id = sb.id ? al_xstrdup (sb.id) : random_id ();
  _cleanup_free_ char *rootfs = NULL;
  _cleanup_free_ char *bundle = NULL;
  _cleanup_free_ char *config = NULL;
  struct al_watch w;
  memset (&w, 0, sizeof w);
  al_monitor_init (&w.m);

  /* The profile is loaded here only to fail early with a clear message;
     al_watch_prepare loads it again from the config's annotation. */
  {
    _cleanup_profile_ struct al_profile *profile = NULL;
    if (al_profile_load (sb.profile, &profile, &err) < 0)
      goto fail;
  }
  if (sb.rootfs)
    {
      rootfs = realpath (sb.rootfs, NULL);
      if (rootfs == NULL)
        {
          al_err (&err, errno, "--rootfs %s", sb.rootfs);
          goto fail;
        }
    }
  else if (default_rootfs (&rootfs, &err) < 0)
    goto fail;

  struct al_profile_host host;
  memset (&host, 0, sizeof host);
  if (al_profile_host_probe (&host, &err) < 0)
    goto fail;
  config = sandbox_config (&sb, rootfs, host.cgroup_memory, &err);
  if (config == NULL)
    goto fail;

  /* What monitors that died left behind goes first; then this one
     registers, before it creates anything. */
  al_reap (cli->root, NULL, &cli->log);
  if (al_reaper_register (cli->root, id, &lock, &err) < 0)
    goto fail;
  if (make_bundle_dir (lock, &bundle, &err) < 0)
    goto fail;
  {
    _cleanup_free_ char *cfg = al_xasprintf ("%s/config.json", bundle);
    if (al_write_file_at (AT_FDCWD, cfg, config, strlen (config), 0600, &err) < 0)
      goto fail;
  }

  struct al_create_opts o;
  al_create_opts_init (&o);
  o.root = cli->root;
  o.id = id;
  o.bundle = bundle;
  o.foreground = true;
  o.die_with_parent = true;
  o.monitor_lock = lock;
  o.systemd_cgroup = cli->systemd_cgroup;
  o.log = &cli->log;
  /* Checks the config against the profile (a conflict is reported before
     anything exists), learns how each limit is enforced here, sets the
     deadline and the pipes. */
  al_monitor_clear (&w.m);
  if (al_watch_prepare (&w, &o, &err) < 0)
    goto fail;
  if (!w.active)
    {
      al_err (&err, 0, "sandbox: the config selects no profile");
      goto fail;
    }
  w.m.output_limit = sb.output_limit;
  if (sb.json)
    w.m.out_to = STDERR_FILENO; /* stdout carries the verdict alone */
  al_cli_hold_signals ();
  int r = al_container_create (&o, &cr, &err);
  al_watch_created (&w);
  if (r < 0)
    goto fail;
  created = true;
  if (w.report.seccomp_notify && cr.seccomp_listener < 0)
    {
      al_err (&err, 0,
              "sandbox: container \"%s\" has no seccomp listener although profile \"%s\" sends denied syscalls "
              "to one: refusing to run it unwatched",
              id, w.profile);
      goto fail;
    }
  al_watch_start_clock (&w);
  if (al_watch_container_start (&w, &cr, cli->root, id, &cli->log, &err) < 0)
    goto fail;
  if (al_watch_run (&w, &cr, cli->root, id, &err) < 0)
    goto fail;
  goto watched;

fail:
  if (created)
    {
      if (cr.pid > 0 && !w.m.reaped)
        {
          al_container_kill (cli->root, id, SIGKILL, true, NULL);
          waitpid (cr.pid, NULL, 0);
        }
      al_container_delete (cli->root, id, true, &cli->log, NULL);
      al_closep (&cr.pidfd);
      al_closep (&cr.seccomp_listener);
    }
  remove_bundle (bundle);
  al_reaper_unregister (cli->root, id, &lock);
  al_watch_clear (&w);
  for (size_t i = 0; i < sb.n_binds; i++)
    {
      free (sb.binds[i].src);
      free (sb.binds[i].dst);
    }
  free (sb.binds);
  al_cli_fail (cli, &err);
  return SANDBOX_EXIT_SETUP;

watched:
  al_closep (&cr.pidfd);
  al_closep (&cr.seccomp_listener);
  if (!sb.keep)
    {
      _cleanup_error_ al_error_t derr = NULL;
      if (al_container_delete (cli->root, id, true, &cli->log, &derr) < 0)
        al_log (&cli->log, "warning", "%s", derr->msg);
    }
  remove_bundle (bundle);
  al_reaper_unregister (cli->root, id, &lock);
  struct al_verdict *vp = &w.v;
  _cleanup_free_ char *json = al_verdict_json (vp, true);
  if (sb.verdict_path)
    {
      _cleanup_error_ al_error_t werr = NULL;
      if (al_write_file_atomic_at (AT_FDCWD, sb.verdict_path, json, strlen (json), 0644, &werr) < 0)
        al_log (&cli->log, "warning", "--verdict: %s", werr->msg);
    }
  if (sb.verdict_fd >= 0 && al_write_all (sb.verdict_fd, json, strlen (json)) < 0)
    al_log (&cli->log, "warning", "--verdict-fd %d: %s", sb.verdict_fd, strerror (errno));
  fflush (stdout);
  if (sb.json)
    fputs (json, stdout);
  else
    {
      /* The fence starts a line of its own. */
      if (w.m.out.partial_line || w.m.err.partial_line)
        fputc ('\n', stderr);
      al_verdict_print (stderr, vp);
      if (sb.keep)
        fprintf (stderr, "  kept:            `airlock%s%s verdict %s`, remove with `delete %s`\n",
                 strcmp (cli->root, "/run/airlock") ? " --root " : "", strcmp (cli->root, "/run/airlock") ? cli->root : "",
                 id, id);
    }
  fflush (stdout);
  ret = vp->ok ? 0 : sandbox_exit_status (vp);
  if (ret == 0 && !vp->ok)
    ret = 1;
  al_watch_clear (&w);
  for (size_t i = 0; i < sb.n_binds; i++)
    {
      free (sb.binds[i].src);
      free (sb.binds[i].dst);
    }
  free (sb.binds);
  return ret;
}

const struct al_command cmd_sandbox = {
  .name = "sandbox",
  .args = "[OPTIONS] -- PROGRAM [ARGS...]",
  .summary = "run a program in a throw-away container under a profile and print its verdict",
  .options =
      "      --rootfs DIR          the container's root (read-only). Default: a busybox rootfs\n"
      "                            built at first use in $AIRLOCK_CACHE (/var/cache/airlock; it\n"
      "                            and its parents must be root's, writable by nobody else)\n"
      "                            from /bin/busybox (Debian: busybox-static)\n"
      "      --profile NAME|FILE   the profile (default untrusted), looked up in\n"
      "                            $AIRLOCK_PROFILES_DIR, then the installed profiles\n"
      "      --timeout DURATION    kill everything at the deadline (10s, 500ms, 2m); may\n"
      "                            lower the profile's timeout, never raise it\n"
      "      --memory SIZE         memory limit (256M, 1G); the profile's is the ceiling\n"
      "      --bind SRC:DST[:ro|:rw]  bind a host path (read-only unless :rw; the\n"
      "                            untrusted profile refuses writable binds). DST must\n"
      "                            exist in the rootfs (the default one has /work, /mnt)\n"
"      --missing-controllers warn|refuse  without a memory controller in the host's\n"
      "                            cgroup2 tree: run anyway (warn: bounded by rlimits, sized\n"
      "                            tmpfs, IPC sysctls and the monitor's sampling) or refuse\n"
      "                            (the default; also " AL_MISSING_CONTROLLERS_ENV "=warn)\n"
      "      --output-limit SIZE   pass at most SIZE bytes of each of stdout/stderr through\n"
      "                            (the rest is counted, not shown)\n"
      "      --json                print the verdict as JSON on stdout, alone: the\n"
      "                            program's stdout then goes to stderr with its stderr\n"
      "      --verdict FILE        also write the JSON verdict to FILE\n"
      "      --verdict-fd N        also write the JSON verdict to fd N (3 or more), which\n"
      "                            carries nothing else\n"
      "      --id ID               the container's id (default sandbox-RANDOM)\n"
      "      --keep                keep the stopped container: `airlock verdict ID` shows\n"
      "                            the verdict again, `airlock delete ID` removes it\n"
      "\n"
      "The program never gets the caller's terminal: its stdin is the caller's when that\n"
      "is a file or a pipe opened read-only (or /dev/null), else (a terminal, a socket, a\n"
      "device) a pipe airlock copies the caller's input into, ending when it ends.\n"
      "Its stdout and stderr are copied through and counted, and airlock never waits for\n"
      "their reader: the program waits for a reader that takes its output; one that takes\n"
      "nothing for 1 s loses what comes meanwhile (counted as not shown). On a terminal,\n"
      "control characters and escape sequences are shown, not obeyed (ESC as ^[, CR as ^M).\n"
      "If airlock dies, even by SIGKILL, the program dies with it; the next sandbox, run or\n"
      "list removes what is left (state, cgroup, temporary bundle).\n"
      "The verdict says how the program ended, what it used and which syscalls the profile\n"
      "denied. For people it goes to stderr, after the program's output, between the lines\n"
      "  ==== airlock verdict: container ID ====\n"
      "  ==== end of airlock verdict: container ID ====\n"
      "(ID is random unless --id: the program cannot guess it); as JSON with --json,\n"
      "--verdict FILE or --verdict-fd N.\n"
      "Exit status: 0 when the program exited 0 within its limits (denied syscalls alone do\n"
      "not fail a run: they are reported); 124 on timeout; 137 when OOM killed; the\n"
      "program's status when it failed (128+N when killed by signal N); 125 when airlock\n"
      "could not run it. The program's own status passes through, and a program can exit\n"
      "124, 125 or 137 itself: scripts read the JSON verdict (.ok, .timed_out, .oom_killed,\n"
      ".exit_code, .signal), not the status; no JSON verdict means airlock could not run it.\n",
  .run = run_sandbox,
};
