/* main.c: containerd-shim-airlock-v2, the command line containerd runs:
 *
 *   containerd-shim-airlock-v2 -namespace NS -address GRPC -publish-binary BIN
 *       -id ID [-debug] [-bundle DIR] start|delete
 *
 * (Go flag syntax: one or two dashes, "-flag value" or "-flag=value".)
 *
 * start   prints the address of the pod's shim socket, starting the shim
 *         when no live one answers there: the socket is
 *         /run/containerd/s/<sha256(GRPC + "/" + NS + "/" + group)>, group
 *         being the io.kubernetes.cri.sandbox-id annotation of the bundle's
 *         config.json, else ID. The shim is forked (no re-exec): it serves
 *         ttrpc in its own session as a child subreaper, stdout on /dev/null,
 *         stderr on the bundle's `log` FIFO, until Shutdown with no
 *         container left.
 *         containerd 1.6 also writes the runtime options (a protobuf Any)
 *         to start's stdin: not read, as the daemonised shim gets them
 *         again in each container's CreateTaskRequest.options (options.h).
 * delete  cleans up container ID after its shim died (libairlock delete
 *         --force in the shim's state root, unmount of <bundle>/rootfs) and
 *         prints a DeleteResponse (137, now). Idempotent, touches only ID.
 *
 * The state root of libairlock for the shim's containers is
 * /run/airlock-shim/<NS>. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "events.h"
#include "loop.h"
#include "sha256.h"
#include "shimlog.h"
#include "spec.h"
#include "task.h"
#include "ttrpc.h"
#include "util.h"

#include "containerd/task/v2/shim.pb-c.h"

#define SOCKET_DIR "/run/containerd/s"
#define STATE_ROOT "/run/airlock-shim"

struct args
{
  const char *ns;
  const char *address;
  const char *publish_binary;
  const char *id;
  const char *bundle;
  bool debug;
  const char *command;
};

static int
usage (void)
{
  fprintf (stderr, "usage: containerd-shim-airlock-v2 -namespace NS -address ADDR -id ID [-bundle DIR] "
                   "[-publish-binary BIN] [-debug] start|delete\n");
  return 2;
}

static int
parse_args (int argc, char **argv, struct args *a)
{
  static const struct
  {
    const char *name;
    size_t off;
  } flags[] = {
    { "namespace", offsetof (struct args, ns) },
    { "address", offsetof (struct args, address) },
    { "publish-binary", offsetof (struct args, publish_binary) },
    { "id", offsetof (struct args, id) },
    { "bundle", offsetof (struct args, bundle) },
  };
  int i = 1;
  for (; i < argc; i++)
    {
      const char *s = argv[i];
      if (s[0] != '-' || s[1] == 0)
        break;
      if (strcmp (s, "--") == 0)
        {
          i++;
          break;
        }
      s += s[1] == '-' ? 2 : 1;
      const char *eq = strchr (s, '=');
      size_t len = eq ? (size_t) (eq - s) : strlen (s);
      if ((len == 5 && strncmp (s, "debug", 5) == 0) || (len == 1 && s[0] == 'v'))
        {
          if (s[0] == 'v')
            a->command = "version";
          else
            a->debug = !eq || strcmp (eq + 1, "false") != 0;
          continue;
        }
      bool known = false;
      for (size_t k = 0; k < sizeof flags / sizeof *flags; k++)
        if (strlen (flags[k].name) == len && strncmp (s, flags[k].name, len) == 0)
          {
            const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (v == NULL)
              return -1;
            *(const char **) ((char *) a + flags[k].off) = v;
            known = true;
          }
      if (!known)
        {
          /* Unknown flags of newer containerds (with a value unless boolean). */
          if (!eq && i + 1 < argc && argv[i + 1][0] != '-' && strcmp (argv[i + 1], "start") != 0
              && strcmp (argv[i + 1], "delete") != 0)
            i++;
        }
    }
  if (a->command == NULL && i < argc)
    a->command = argv[i];
  /* containerd 1.7+ also passes its addresses and namespace in the
     environment; the flags win. */
  if (a->address == NULL)
    a->address = getenv ("GRPC_ADDRESS");
  if (a->ns == NULL)
    a->ns = getenv ("NAMESPACE");
  return a->command ? 0 : -1;
}

/* ------------------------------------------------------------- start -- */

static char *
group_of (const char *bundle, const char *id)
{
  _cleanup_free_ char *path = al_xasprintf ("%s/config.json", bundle);
  struct oci_spec *spec = NULL;
  _cleanup_error_ al_error_t err = NULL;
  if (oci_spec_load (path, &spec, &err) < 0)
    return al_xstrdup (id);
  const char *g = oci_spec_annotation (spec, "io.kubernetes.cri.sandbox-id");
  char *r = al_xstrdup (g && *g ? g : id);
  oci_spec_free (spec);
  return r;
}

static int
unix_addr (const char *path, struct sockaddr_un *sa)
{
  memset (sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (strlen (path) >= sizeof sa->sun_path)
    return -ENAMETOOLONG;
  strcpy (sa->sun_path, path);
  return 0;
}

static bool
socket_live (const char *path)
{
  struct sockaddr_un sa;
  if (unix_addr (path, &sa) < 0)
    return false;
  _cleanup_close_ int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  return fd >= 0 && connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0;
}

static int
write_address (const char *bundle, const char *address)
{
  _cleanup_free_ char *path = al_xasprintf ("%s/address", bundle);
  _cleanup_error_ al_error_t err = NULL;
  return al_write_file_atomic_at (AT_FDCWD, path, address, strlen (address), 0644, &err);
}

static int serve (const struct args *a, int listen_fd, const char *sock_path);

/* What `start` prints. containerd 1.6 dials the text as it is: the bare
 * address. 1.7 and later announce MAX_SHIM_VERSION and also take the JSON
 * bootstrap reply, which names the task API version: 3 (containerd.task.v3,
 * the same messages) when containerd can speak it, else 2. */
static void
print_bootstrap (const char *address)
{
  const char *max = getenv ("MAX_SHIM_VERSION");
  int version = max ? atoi (max) : 0;
  if (version < 2)
    {
      fputs (address, stdout);
      return;
    }
  printf ("{\"version\":%d,\"address\":\"%s\",\"protocol\":\"ttrpc\"}", version >= 3 ? 3 : 2, address);
}

static int
cmd_start (const struct args *a, const char *bundle)
{
  _cleanup_free_ char *group = group_of (bundle, a->id);
  _cleanup_free_ char *key = al_xasprintf ("%s/%s/%s", a->address ? a->address : "", a->ns, group);
  char hex[65];
  sh_sha256_hex (key, strlen (key), hex);
  _cleanup_free_ char *path = al_xasprintf ("%s/%s", SOCKET_DIR, hex);
  _cleanup_free_ char *address = al_xasprintf ("unix://%s", path);

  if (socket_live (path))
    {
      write_address (bundle, address);
      print_bootstrap (address);
      return 0;
    }
  _cleanup_error_ al_error_t err = NULL;
  if (al_mkdir_p (AT_FDCWD, SOCKET_DIR, 0711, &err) < 0)
    {
      fprintf (stderr, "%s\n", err->msg);
      return 1;
    }
  unlink (path);
  struct sockaddr_un sa;
  if (unix_addr (path, &sa) < 0)
    {
      fprintf (stderr, "socket path `%s`: too long\n", path);
      return 1;
    }
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  mode_t old = umask (0177);
  int b = fd < 0 ? -1 : bind (fd, (struct sockaddr *) &sa, sizeof sa);
  umask (old);
  if (b < 0 || chmod (path, 0600) < 0 || listen (fd, 64) < 0)
    {
      fprintf (stderr, "listen on `%s`: %s\n", path, strerror (errno));
      return 1;
    }
  int oom = 0;
  {
    _cleanup_free_ char *p = al_xasprintf ("/proc/%d/oom_score_adj", (int) getppid ());
    _cleanup_free_ char *txt = NULL;
    size_t n;
    _cleanup_error_ al_error_t e2 = NULL;
    if (al_read_file_at (AT_FDCWD, p, 64, &txt, &n, &e2) == 0)
      oom = atoi (txt);
  }
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    {
      fprintf (stderr, "fork: %s\n", strerror (errno));
      unlink (path);
      return 1;
    }
  if (pid > 0)
    {
      close (fd);
      write_address (bundle, address);
      print_bootstrap (address);
      return 0;
    }
  /* The shim. */
  setsid ();
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  _cleanup_free_ char *logp = al_xasprintf ("%s/log", bundle);
  int logfd = open (logp, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  dup2 (null, 0);
  dup2 (null, 1);
  dup2 (logfd >= 0 ? logfd : null, 2);
  if (logfd >= 0)
    close (logfd);
  close (null);
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  {
    char buf[16];
    int n = snprintf (buf, sizeof buf, "%d", oom < 1000 ? oom + 1 : oom);
    _cleanup_error_ al_error_t e3 = NULL;
    al_write_file_at (AT_FDCWD, "/proc/self/oom_score_adj", buf, (size_t) n, 0, &e3);
  }
  if (chdir ("/") < 0)
    { /* stays in the bundle */ }
  _exit (serve (a, fd, path));
}

/* ------------------------------------------------------------- serve -- */

struct shim
{
  struct sl_loop loop;
  struct sh_events *ev;
  struct sh_task *task;
  struct sl_watch sig;
};

static void
signal_event (struct sl_watch *w, uint32_t events)
{
  (void) events;
  struct shim *s = w->data;
  struct signalfd_siginfo si;
  while (read (w->fd, &si, sizeof si) == (ssize_t) sizeof si)
    {
      if (si.ssi_signo == SIGCHLD)
        sh_task_reap (s->task);
      else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
        s->loop.quit = true;
    }
}

static void
idle (void *data)
{
  struct shim *s = data;
  sh_events_flush (s->ev);
  if (sh_task_done (s->task))
    s->loop.quit = true;
}

static int
serve (const struct args *a, int listen_fd, const char *sock_path)
{
  struct shim s;
  memset (&s, 0, sizeof s);
  signal (SIGPIPE, SIG_IGN);
  sigset_t mask;
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  if (sl_loop_init (&s.loop) < 0)
    return 1;
  s.sig.fd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  s.sig.cb = signal_event;
  s.sig.data = &s;
  sl_watch_add (&s.loop, &s.sig, EPOLLIN);

  const char *ttrpc = getenv ("TTRPC_ADDRESS");
  _cleanup_free_ char *ttrpc_def = a->address ? al_xasprintf ("%s.ttrpc", a->address) : NULL;
  s.ev = sh_events_new (&s.loop, ttrpc && *ttrpc ? ttrpc : ttrpc_def, a->ns);
  _cleanup_free_ char *root = al_xasprintf ("%s/%s", STATE_ROOT, a->ns);
  s.task = sh_task_new (&s.loop, s.ev, root, a->ns);
  struct tt_server *srv = tt_server_new (&s.loop, listen_fd, sh_task_handle, s.task);
  if (srv == NULL)
    {
      sh_log ("serve: %m");
      return 1;
    }
  s.loop.idle = idle;
  s.loop.idle_data = &s;
  if (a->debug)
    sh_log ("serving %s for namespace %s", sock_path, a->ns);
  sl_loop_run (&s.loop);

  unlink (sock_path);
  tt_server_free (srv);
  sh_task_free (s.task);
  sh_events_drain (s.ev, 2000);
  sh_events_free (s.ev);
  close (s.sig.fd);
  sl_loop_close (&s.loop);
  return 0;
}

/* ------------------------------------------------------------ delete -- */

static int
cmd_delete (const struct args *a, const char *bundle)
{
  _cleanup_free_ char *root = al_xasprintf ("%s/%s", STATE_ROOT, a->ns);
  _cleanup_error_ al_error_t err = NULL;
  if (al_container_delete (root, a->id, true, NULL, &err) < 0)
    fprintf (stderr, "delete %s: %s\n", a->id, err->msg);
  _cleanup_free_ char *rootfs = al_xasprintf ("%s/rootfs", bundle);
  umount2 (rootfs, MNT_DETACH);

  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  ts.seconds = now.tv_sec;
  ts.nanos = (int32_t) now.tv_nsec;
  Containerd__Task__V2__DeleteResponse r = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
  r.exit_status = 128 + SIGKILL;
  r.exited_at = &ts;
  size_t n = protobuf_c_message_get_packed_size (&r.base);
  _cleanup_free_ uint8_t *buf = al_xmalloc0 (n + 1);
  protobuf_c_message_pack (&r.base, buf);
  return al_write_all (STDOUT_FILENO, buf, n) < 0 ? 1 : 0;
}

int
main (int argc, char **argv)
{
  struct args a = { .ns = "default" };
  if (parse_args (argc, argv, &a) < 0)
    return usage ();
  if (strcmp (a.command, "version") == 0)
    {
      printf ("containerd-shim-airlock-v2:\n  Version: %s\n", AIRLOCK_VERSION);
      return 0;
    }
  if (a.id == NULL)
    return usage ();
  _cleanup_free_ char *cwd = getcwd (NULL, 0);
  const char *bundle = a.bundle ? a.bundle : cwd ? cwd : ".";
  if (strcmp (a.command, "start") == 0)
    return cmd_start (&a, bundle);
  if (strcmp (a.command, "delete") == 0)
    return cmd_delete (&a, bundle);
  fprintf (stderr, "unknown command `%s`\n", a.command);
  return usage ();
}
