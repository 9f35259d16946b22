/* namespaces.c: namespace plan, joins, id maps and time offsets. */
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/nsfs.h>

#include "log.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int ns_clone_flag[OCI_NS_COUNT] = {
  [OCI_NS_PID] = CLONE_NEWPID,   [OCI_NS_NETWORK] = CLONE_NEWNET, [OCI_NS_MOUNT] = CLONE_NEWNS,
  [OCI_NS_IPC] = CLONE_NEWIPC,   [OCI_NS_UTS] = CLONE_NEWUTS,     [OCI_NS_USER] = CLONE_NEWUSER,
  [OCI_NS_CGROUP] = CLONE_NEWCGROUP, [OCI_NS_TIME] = CLONE_NEWTIME,
};

/* Read the uid_map and gid_map of the user namespace `fd` as seen from
 * inside it (host ids when its parent is the host's): a child joins it and
 * sends both back. */
static int
read_userns_maps (int fd, char *uid, char *gid, size_t len, al_error_t *err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return al_err (err, errno, "linux.namespaces: pipe");
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (p[0]);
      char buf[2 * 4096];
      memset (buf, 0, sizeof buf);
      if (setns (fd, CLONE_NEWUSER) < 0)
        _exit (1);
      const char *files[] = { "/proc/self/uid_map", "/proc/self/gid_map" };
      for (int i = 0; i < 2; i++)
        {
          int m = open (files[i], O_RDONLY | O_CLOEXEC);
          if (m < 0 || read (m, buf + i * 4096, 4095) < 0)
            _exit (1);
          close (m);
        }
      _exit (write (p[1], buf, sizeof buf) == (ssize_t) sizeof buf ? 0 : 1);
    }
  int e = errno;
  close (p[1]);
  char buf[2 * 4096];
  ssize_t n = -1;
  if (pid > 0)
    {
      size_t got = 0;
      while (got < sizeof buf)
        {
          n = read (p[0], buf + got, sizeof buf - got);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;
          got += (size_t) n;
        }
      n = (ssize_t) got;
      while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
        ;
    }
  close (p[0]);
  if (pid < 0)
    return al_err (err, e, "linux.namespaces: fork to read the joined user namespace's maps");
  if (n != (ssize_t) sizeof buf)
    return al_err (err, EPROTO, "linux.namespaces: read the joined user namespace's uid_map and gid_map");
  buf[4095] = buf[sizeof buf - 1] = '\0';
  memcpy (uid, buf, len < 4096 ? len : 4096);
  memcpy (gid, buf + 4096, len < 4096 ? len : 4096);
  uid[len - 1] = gid[len - 1] = '\0';
  return 0;
}

/* Whether the map text (lines "inside outside count") equals the mappings. */
static bool
map_equal (const char *text, const struct oci_id_mapping *m, size_t n)
{
  size_t i = 0;
  const char *q = text;
  for (;;)
    {
      unsigned long a, b, c;
      int used = 0;
      if (sscanf (q, " %lu %lu %lu%n", &a, &b, &c, &used) != 3)
        break;
      q += used;
      if (i >= n || a != m[i].container_id || b != m[i].host_id || c != m[i].size)
        return false;
      i++;
    }
  return i == n;
}

static int
check_joined_maps (int fd, const struct oci_spec *spec, al_error_t *err)
{
  const struct oci_linux *l = spec->linux_;
  if (l->n_uid_mappings == 0 && l->n_gid_mappings == 0)
    return 0;
  char uid[4096], gid[4096];
  int r = read_userns_maps (fd, uid, gid, sizeof uid, err);
  if (r < 0)
    return r;
  const char *field = !map_equal (uid, l->uid_mappings, l->n_uid_mappings)   ? "uidMappings"
                      : !map_equal (gid, l->gid_mappings, l->n_gid_mappings) ? "gidMappings"
                                                                              : NULL;
  if (field)
    return al_err (err, EINVAL,
                   "linux.%s: differ from the maps of the user namespace joined by path (linux.namespaces): "
                   "give none or the same",
                   field);
  return 0;
}

int
al_ns_plan_init (struct al_ns_plan *plan, const struct oci_spec *spec, al_error_t *err)
{
  memset (plan, 0, sizeof (*plan));
  for (int i = 0; i < OCI_NS_COUNT; i++)
    plan->join_fd[i] = -1;
  plan->saved_pid_fd = plan->saved_time_fd = -1;
  if (spec->linux_ == NULL)
    return 0;
  for (size_t i = 0; i < spec->linux_->n_namespaces; i++)
    {
      const struct oci_namespace *ns = &spec->linux_->namespaces[i];
      if (ns->path == NULL)
        {
          if (ns->type == OCI_NS_USER)
            plan->new_user = true;
          if (ns->type == OCI_NS_TIME)
            plan->new_time = true;
          else
            plan->clone_flags |= ns_clone_flag[ns->type];
          continue;
        }
      int fd = open (ns->path, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        {
          int e = errno;
          al_ns_plan_close (plan);
          return al_err (err, e, "linux.namespaces[%zu].path: open `%s`", i, ns->path);
        }
      int kind = ioctl (fd, NS_GET_NSTYPE);
      if (kind < 0 || kind != ns_clone_flag[ns->type])
        {
          close (fd);
          al_ns_plan_close (plan);
          return al_err (err, 0, "linux.namespaces[%zu].path: `%s` is not a %s namespace", i, ns->path,
                         oci_ns_type_name (ns->type));
        }
      plan->join_fd[ns->type] = fd;
    }
  if (plan->join_fd[OCI_NS_USER] >= 0)
    {
      plan->joined_user = true;
      /* The joined namespace's maps are the container's: the config may
         repeat them (containerd does), not give others. */
      int r = check_joined_maps (plan->join_fd[OCI_NS_USER], spec, err);
      if (r < 0)
        {
          al_ns_plan_close (plan);
          return r;
        }
      /* New namespaces besides: the init is cloned from inside the joined
         user namespace, so they belong to it. */
      plan->join_user_first = plan->clone_flags != 0;
    }
  if (plan->new_user || plan->joined_user)
    {
      /* Joining a namespace needs CAP_SYS_ADMIN in its owner (the host's user
         namespace for a CNI netns made with `ip netns add`), which nothing
         inside the container's user namespace has: these are joined by the
         clone helper before it enters or creates that user namespace. */
      static const enum oci_ns_type early[] = { OCI_NS_NETWORK, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_CGROUP };
      for (size_t i = 0; i < sizeof early / sizeof early[0]; i++)
        if (plan->join_fd[early[i]] >= 0)
          plan->helper_joined |= 1u << early[i];
      if (plan->helper_joined && plan->joined_user)
        plan->join_user_first = true;
    }
  return 0;
}

void
al_ns_plan_close (struct al_ns_plan *plan)
{
  for (int i = 0; i < OCI_NS_COUNT; i++)
    al_closep (&plan->join_fd[i]);
  al_closep (&plan->saved_pid_fd);
  al_closep (&plan->saved_time_fd);
}

static int
write_time_offsets (const struct oci_spec *spec, al_error_t *err)
{
  char buf[128];
  int n = 0;
  const struct oci_time_offset *m = &spec->linux_->time_monotonic, *b = &spec->linux_->time_boottime;
  if (m->present)
    n += snprintf (buf + n, sizeof buf - n, "monotonic %lld %u\n", (long long) m->secs, m->nanosecs);
  if (b->present)
    n += snprintf (buf + n, sizeof buf - n, "boottime %lld %u\n", (long long) b->secs, b->nanosecs);
  if (n == 0)
    return 0;
  _cleanup_close_ int fd = open ("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "linux.timeOffsets: open /proc/self/timens_offsets");
  /* One write per clock: the kernel takes one line at a time reliably. */
  for (char *line = buf; *line;)
    {
      char *nl = strchr (line, '\n');
      size_t len = (size_t) (nl - line) + 1;
      if (write (fd, line, len) < 0)
        return al_err (err, errno, "linux.timeOffsets: write \"%.*s\"", (int) len - 1, line);
      line += len;
    }
  return 0;
}

int
al_ns_parent_before_clone (struct al_ns_plan *plan, const struct oci_spec *spec, al_error_t *err)
{
  if (plan->join_fd[OCI_NS_PID] >= 0 || plan->join_fd[OCI_NS_TIME] >= 0 || plan->new_time)
    {
      plan->saved_pid_fd = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      plan->saved_time_fd = open ("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
      if (plan->saved_pid_fd < 0 || plan->saved_time_fd < 0)
        return al_err (err, errno, "open the runtime's own pid and time namespaces");
    }
  if (plan->join_fd[OCI_NS_PID] >= 0 && setns (plan->join_fd[OCI_NS_PID], CLONE_NEWPID) < 0)
    return al_err (err, errno, "join the pid namespace given in linux.namespaces");
  if (plan->join_fd[OCI_NS_TIME] >= 0 && setns (plan->join_fd[OCI_NS_TIME], CLONE_NEWTIME) < 0)
    return al_err (err, errno, "join the time namespace given in linux.namespaces");
  if (plan->new_time)
    {
      if (unshare (CLONE_NEWTIME) < 0)
        return al_err (err, errno, "create a time namespace");
      int r = write_time_offsets (spec, err);
      if (r < 0)
        return r;
    }
  return 0;
}

int
al_ns_parent_after_clone (struct al_ns_plan *plan, al_error_t *err)
{
  if (plan->saved_pid_fd >= 0 && setns (plan->saved_pid_fd, CLONE_NEWPID) < 0)
    return al_err (err, errno, "return to the runtime's pid namespace");
  if (plan->saved_time_fd >= 0 && setns (plan->saved_time_fd, CLONE_NEWTIME) < 0)
    return al_err (err, errno, "return to the runtime's time namespace");
  return 0;
}

int
al_write_id_map (pid_t pid, const char *file, const char *what, const struct oci_id_mapping *m, size_t n,
                 al_error_t *err)
{
  char buf[4096];
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    {
      int w = snprintf (buf + len, sizeof buf - len, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
      if (w < 0 || (size_t) w >= sizeof buf - len)
        return al_err (err, E2BIG, "%s: too many mappings", what);
      len += (size_t) w;
    }
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", pid, file);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "%s: open %s", what, path);
  if (write (fd, buf, len) != (ssize_t) len)
    return al_err (err, errno, "%s: write %s", what, path);
  return 0;
}

int
al_ns_write_id_maps (pid_t pid, const struct oci_spec *spec, al_error_t *err)
{
  int r = spec->linux_->n_uid_mappings == 0 ? 0
          : al_write_id_map (pid, "uid_map", "linux.uidMappings", spec->linux_->uid_mappings,
                             spec->linux_->n_uid_mappings, err);
  if (r < 0)
    return r;
  if (spec->linux_->n_gid_mappings == 0)
    return 0;
  return al_write_id_map (pid, "gid_map", "linux.gidMappings", spec->linux_->gid_mappings,
                          spec->linux_->n_gid_mappings, err);
}

void
al_ns_open_bundle_to_userns (const char *bundle, const struct oci_spec *spec, const struct al_log *log)
{
  const struct oci_linux *l = spec->linux_;
  if (l == NULL || oci_spec_namespace (spec, OCI_NS_USER) == NULL)
    return;
  for (size_t i = 0; i < l->n_gid_mappings; i++)
    if (l->gid_mappings[i].container_id == 0)
      {
        gid_t gid = (gid_t) l->gid_mappings[i].host_id;
        struct stat st;
        /* Already open to it (others, or its group: a bundle made for an
           earlier container has another slot's group). */
        if (stat (bundle, &st) < 0 || (st.st_mode & 0001) || ((st.st_mode & 0010) && st.st_gid == gid))
          return;
        if (chown (bundle, (uid_t) -1, gid) < 0
            || chmod (bundle, (st.st_mode & 07777) | 0010) < 0)
          al_log (log, "warning", "bundle %s: let the container's user namespace in: %s", bundle, strerror (errno));
        return;
      }
}

int
al_ns_helper_join (const struct al_ns_plan *plan, int *failed)
{
  static const enum oci_ns_type order[] = { OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK, OCI_NS_CGROUP, OCI_NS_USER };
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    {
      enum oci_ns_type t = order[i];
      bool want = t == OCI_NS_USER ? plan->join_user_first : (plan->helper_joined & (1u << t)) != 0;
      if (want && setns (plan->join_fd[t], ns_clone_flag[t]) < 0)
        {
          *failed = (int) t;
          return -1;
        }
    }
  return 0;
}

int
al_ns_join (struct al_ns_plan *plan, al_error_t *err)
{
  /* The user namespace first, so the rest are joined with its credentials. */
  static const enum oci_ns_type order[] = { OCI_NS_USER, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_NETWORK,
                                            OCI_NS_CGROUP, OCI_NS_MOUNT };
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    {
      enum oci_ns_type t = order[i];
      if (plan->join_fd[t] < 0)
        continue;
      if (t == OCI_NS_USER && plan->join_user_first)
        {
          /* Joined before the clone (the init is already in it). */
          al_closep (&plan->join_fd[t]);
          continue;
        }
      if (plan->helper_joined & (1u << t))
        {
          /* Joined by the clone helper, before the user namespace. */
          al_closep (&plan->join_fd[t]);
          continue;
        }
      if (setns (plan->join_fd[t], ns_clone_flag[t]) < 0)
        return al_err (err, errno, "join the %s namespace given in linux.namespaces", oci_ns_type_name (t));
      al_closep (&plan->join_fd[t]);
    }
  return 0;
}

int
al_ns_loopback_up (al_error_t *err)
{
  _cleanup_close_ int s = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0)
    return al_err (err, errno, "loopback: socket");
  struct ifreq ifr;
  memset (&ifr, 0, sizeof ifr);
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (s, SIOCGIFFLAGS, &ifr) < 0)
    return al_err (err, errno, "loopback: get flags of lo");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl (s, SIOCSIFFLAGS, &ifr) < 0)
    return al_err (err, errno, "loopback: bring lo up");
  return 0;
}
