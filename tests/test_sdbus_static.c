/* test_sdbus_static: the systemd cgroup driver's dlopen() of libsystemd
 * from a program linked like the shim (static-pie, see the Makefile), where
 * libsystemd comes with a second libc.so.6 of its own. On this host there is
 * no systemd: the calls go to "no bus" and to a private dbus-daemon started
 * here (which has no org.freedesktop.systemd1), so they get real D-Bus
 * replies and errors back through the loaded library.
 *
 * Plain TAP on stdout (cmocka has no static library in Debian). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup_systemd.h"
#include "sdbus_dl.h"
#include "spec.h"
#include "util.h"

static int n_test, n_failed;

static void
check (bool ok, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  printf ("%sok %d - ", ok ? "" : "not ", ++n_test);
  vprintf (fmt, ap);
  printf ("\n");
  va_end (ap);
  if (!ok)
    n_failed++;
  fflush (stdout);
}

static bool
has (const al_error_t err, const char *s)
{
  return err && err->msg && strstr (err->msg, s);
}

/* A memory limit: one property, so the update really calls systemd. */
static struct oci_resources
memory_limit (void)
{
  struct oci_resources res;
  memset (&res, 0, sizeof res);
  res.memory.present = true;
  res.memory.has_limit = true;
  res.memory.limit = 64 << 20;
  return res;
}

/* Start a dbus-daemon of our own on DIR/bus (no service activation); its
 * pid, or -1. */
static pid_t
start_bus (const char *dir, char **address)
{
  _cleanup_free_ char *conf = al_xasprintf ("%s/bus.conf", dir);
  FILE *f = fopen (conf, "we");
  if (f == NULL)
    return -1;
  fprintf (f, "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
              " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
              "<busconfig><type>custom</type><listen>unix:path=%s/bus</listen><auth>EXTERNAL</auth>\n"
              "<policy context=\"default\"><allow send_destination=\"*\"/><allow receive_sender=\"*\"/><allow own=\"*\"/></policy>\n"
              "</busconfig>\n",
           dir);
  fclose (f);
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return -1;
  _cleanup_free_ char *config = al_xasprintf ("--config-file=%s", conf);
  _cleanup_free_ char *print = al_xasprintf ("--print-address=%d", p[1]);
  pid_t pid = fork ();
  if (pid == 0)
    {
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      fcntl (p[1], F_SETFD, 0);
      int devnull = open ("/dev/null", O_RDWR);
      dup2 (devnull, 0);
      dup2 (devnull, 2);
      execlp ("dbus-daemon", "dbus-daemon", config, "--nofork", "--nopidfile", print, (char *) NULL);
      _exit (127);
    }
  close (p[1]);
  char buf[512];
  size_t n = 0;
  ssize_t k;
  /* The address line comes once the bus listens (or EOF if it failed). */
  while (n < sizeof buf - 1 && (k = read (p[0], buf + n, sizeof buf - 1 - n)) > 0)
    {
      n += (size_t) k;
      if (memchr (buf, '\n', n))
        break;
    }
  close (p[0]);
  buf[n] = 0;
  if (pid < 0 || strchr (buf, '\n') == NULL)
    {
      if (pid > 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, NULL, 0);
        }
      return -1;
    }
  *strchr (buf, '\n') = 0;
  *address = al_xstrdup (buf);
  return pid;
}

/* The bus is the environment's DBUS_SYSTEM_BUS_ADDRESS: set before the
 * dlopen(), since the libc.so.6 that comes with libsystemd copies the
 * environment then. */
static void
run (const char *dir, pid_t bus)
{
  _cleanup_error_ al_error_t err = NULL;
  int r = al_sdbus_load (&err);
  check (r == 0 && al_sdbus.p_sd_bus_open_system && al_sdbus.p_free, "dlopen libsystemd.so.0 and resolve it%s%s",
         err ? ": " : "", err ? err->msg : "");
  if (r < 0)
    return;

  sd_bus *b = NULL;
  _cleanup_free_ char *none = al_xasprintf ("unix:path=%s/none", dir);
  r = sd_bus_new (&b);
  if (r >= 0)
    r = sd_bus_set_address (b, none);
  if (r >= 0)
    r = sd_bus_start (b);
  check (r == -ENOENT, "connecting to no bus fails with ENOENT (got %d)", r);
  sd_bus_unref (b);
  b = NULL;

  /* Memory from libsystemd goes back to its own free(). */
  char *path = NULL;
  r = sd_bus_path_encode ("/org/freedesktop/systemd1/unit", "airlock-x.scope", &path);
  check (r >= 0 && path && strcmp (path, "/org/freedesktop/systemd1/unit/airlock_2dx_2escope") == 0,
         "sd_bus_path_encode (%s)", path ? path : "none");
  if (path)
    al_sdbus.p_free (path);

  struct oci_resources res = memory_limit ();
  if (bus < 0)
    printf ("ok %d # skip dbus-daemon (Debian: dbus-daemon) did not start\n", ++n_test);
  else
    {
      r = sd_bus_open_system (&b);
      check (r >= 0, "sd_bus_open_system on a private dbus-daemon (%d)", r);
      if (r >= 0)
        {
          sd_bus_message *m = NULL, *reply = NULL;
          sd_bus_error e = SD_BUS_ERROR_NULL;
          const char *id = NULL;
          r = sd_bus_message_new_method_call (b, &m, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                              "org.freedesktop.DBus", "GetId");
          if (r >= 0)
            r = sd_bus_call (b, m, 5 * 1000000, &e, &reply);
          if (r >= 0)
            r = sd_bus_message_read (reply, "s", &id);
          check (r >= 0 && id && strlen (id) == 32, "a method call and its reply (GetId: %s)", id ? id : "none");
          sd_bus_message_unref (reply);
          sd_bus_message_unref (m);
          sd_bus_error_free (&e);
          sd_bus_flush_close_unref (b);
        }

      r = al_systemd_cgroup_update ("airlock-sdbus-test.scope", &res, &err);
      check (r < 0 && has (err, "SetUnitProperties of unit airlock-sdbus-test.scope")
                 && has (err, "org.freedesktop.DBus.Error.ServiceUnknown"),
             "the systemd driver gets the bus's error back (%s)", err ? err->msg : "no error");
      al_error_free (&err);
      kill (bus, SIGTERM);
      waitpid (bus, NULL, 0);
    }

  /* The bus is gone now (or never was). */
  _cleanup_free_ char *sock = al_xasprintf ("%s/bus", dir);
  unlink (sock);
  r = al_systemd_cgroup_update ("airlock-sdbus-test.scope", &res, &err);
  check (r < 0 && has (err, "systemd is not reachable on the system bus"),
         "the systemd driver reports the missing bus (%s)", err ? err->msg : "no error");
}

int
main (void)
{
  char dir[] = "/tmp/airlock-sdbus.XXXXXX";
  if (mkdtemp (dir) == NULL)
    {
      printf ("1..1\nnot ok 1 - mkdtemp: %s\n", strerror (errno));
      return 1;
    }
  _cleanup_free_ char *address = NULL;
  pid_t bus = start_bus (dir, &address);
  _cleanup_free_ char *fallback = al_xasprintf ("unix:path=%s/bus", dir);
  setenv ("DBUS_SYSTEM_BUS_ADDRESS", bus > 0 ? address : fallback, 1);
  run (dir, bus);
  _cleanup_free_ char *conf = al_xasprintf ("%s/bus.conf", dir);
  unlink (conf);
  rmdir (dir);
  printf ("1..%d\n", n_test);
  return n_failed ? 1 : 0;
}
