/* idmap.c: idmapped bind and tmpfs mounts. The kernel lets only a holder of
 * CAP_SYS_ADMIN over the filesystem's superblock (the host's, for host
 * directories) set MOUNT_ATTR_IDMAP, and only on a mount not yet attached:
 * so the runtime clones each source tree before the clone of the init, sets
 * the idmap on it with a user namespace made for the mapping (a short-lived
 * child that unshares one and waits while the runtime writes its maps), and
 * the init attaches the tree it inherited (rootfs.c). An idmapped tmpfs is
 * made the same way: a new detached tmpfs (fsopen/fsmount, by host root, so
 * its superblock is the host's), idmapped, attached by the init. */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bindcheck.h"
#include "namespaces.h"
#include "rootfs.h"
#include "util.h"

bool
al_idmap_wanted (const struct oci_mount *m)
{
  if (m->n_uid_mappings || m->n_gid_mappings)
    return true;
  for (char **o = m->options; o && *o; o++)
    if (strcmp (*o, "idmap") == 0 || strcmp (*o, "ridmap") == 0)
      return true;
  return false;
}

static bool
has_option (const struct oci_mount *m, const char *name)
{
  for (char **o = m->options; o && *o; o++)
    if (strcmp (*o, name) == 0)
      return true;
  return false;
}

static bool
str_bind_type (const struct oci_mount *m)
{
  if (m->type && (strcmp (m->type, "bind") == 0 || strcmp (m->type, "rbind") == 0))
    return true;
  return has_option (m, "bind") || has_option (m, "rbind");
}

/* A user namespace with these maps: an fd to it in *out. */
static int
make_userns (const struct oci_id_mapping *um, size_t nu, const struct oci_id_mapping *gm, size_t ng,
             const char *uwhat, const char *gwhat, int *out, al_error_t *err)
{
  int ready[2], hold[2];
  if (pipe2 (ready, O_CLOEXEC) < 0)
    return al_err (err, errno, "%s: pipe", uwhat);
  if (pipe2 (hold, O_CLOEXEC) < 0)
    {
      int e = errno;
      close (ready[0]);
      close (ready[1]);
      return al_err (err, e, "%s: pipe", uwhat);
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      /* Only unshare, report, and wait for the runtime to be done. */
      close (ready[0]);
      close (hold[1]);
      char c = unshare (CLONE_NEWUSER) == 0 ? 0 : (char) errno;
      if (write (ready[1], &c, 1) != 1)
        _exit (1);
      while (read (hold[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  int e = errno;
  close (ready[1]);
  close (hold[0]);
  int r = 0;
  if (pid < 0)
    r = al_err (err, e, "%s: fork the mapping's user namespace holder", uwhat);
  else
    {
      char c = 1;
      ssize_t n;
      do
        n = read (ready[0], &c, 1);
      while (n < 0 && errno == EINTR);
      if (n != 1 || c != 0)
        r = al_err (err, n == 1 ? c : EPROTO, "%s: create the mapping's user namespace", uwhat);
      if (r == 0)
        r = al_write_id_map (pid, "uid_map", uwhat, um, nu, err);
      if (r == 0)
        r = al_write_id_map (pid, "gid_map", gwhat, gm, ng, err);
      if (r == 0)
        {
          char path[64];
          snprintf (path, sizeof path, "/proc/%d/ns/user", pid);
          *out = open (path, O_RDONLY | O_CLOEXEC);
          if (*out < 0)
            r = al_err (err, errno, "%s: open %s", uwhat, path);
        }
    }
  close (ready[0]);
  close (hold[1]);
  if (pid > 0)
    while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
      ;
  return r;
}

/* A new tmpfs, not attached: fsopen() plus its options (size=, mode=, uid=,
   nr_inodes= ... and the superblock flags sync, dirsync, lazytime, mand) as
   mountopts.c splits them; the per-mount flags (ro, nosuid, ...) are set by
   the init when it attaches it, as for bind trees. */
static int
new_tmpfs (const struct oci_mount *m, size_t i, int *out, al_error_t *err)
{
  struct al_mount_flags f;
  int r = al_mount_flags_parse (m->options, &f, err);
  if (r < 0)
    return al_err_prefix (err, "mounts[%zu].options", i);
  _cleanup_free_ char *data = f.data;
  _cleanup_close_ int fs = fsopen ("tmpfs", FSOPEN_CLOEXEC);
  if (fs < 0)
    return al_err (err, errno, "mounts[%zu]: fsopen(\"tmpfs\") for the idmapped tmpfs", i);
  if (m->source && *m->source && fsconfig (fs, FSCONFIG_SET_STRING, "source", m->source, 0) < 0)
    return al_err (err, errno, "mounts[%zu].source \"%s\": the idmapped tmpfs's source", i, m->source);
  static const struct
  {
    unsigned long flag;
    const char *name;
  } sb_flags[] = { { MS_SYNCHRONOUS, "sync" }, { MS_DIRSYNC, "dirsync" }, { MS_LAZYTIME, "lazytime" },
                   { MS_MANDLOCK, "mand" } };
  for (size_t k = 0; k < sizeof sb_flags / sizeof sb_flags[0]; k++)
    if ((f.flags & sb_flags[k].flag) && fsconfig (fs, FSCONFIG_SET_FLAG, sb_flags[k].name, NULL, 0) < 0)
      return al_err (err, errno, "mounts[%zu].options: tmpfs option \"%s\"", i, sb_flags[k].name);
  char *save = NULL;
  for (char *opt = data ? strtok_r (data, ",", &save) : NULL; opt; opt = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (opt, '=');
      if (eq)
        *eq = '\0';
      int rc = eq ? fsconfig (fs, FSCONFIG_SET_STRING, opt, eq + 1, 0) : fsconfig (fs, FSCONFIG_SET_FLAG, opt, NULL, 0);
      if (rc < 0)
        {
          int e = errno;
          if (eq)
            *eq = '=';
          return al_err (err, e, "mounts[%zu].options: tmpfs option \"%s\"", i, opt);
        }
    }
  if (fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return al_err (err, errno, "mounts[%zu]: create the idmapped tmpfs", i);
  *out = fsmount (fs, FSMOUNT_CLOEXEC, 0);
  if (*out < 0)
    return al_err (err, errno, "mounts[%zu]: fsmount of the idmapped tmpfs", i);
  return 0;
}

static int
prepare_one (const struct oci_spec *spec, size_t i, const char *bundle, int joined_userns_fd,
             struct al_bind_guard **guard, int *out,
             al_error_t *err)
{
  const struct oci_mount *m = &spec->mounts[i];
  _cleanup_free_ char *uwhat = al_xasprintf ("mounts[%zu].uidMappings", i);
  _cleanup_free_ char *gwhat = al_xasprintf ("mounts[%zu].gidMappings", i);
  bool is_bind = str_bind_type (m);
  bool is_tmpfs = !is_bind && m->type && strcmp (m->type, "tmpfs") == 0;
  if (!is_bind && !is_tmpfs)
    return al_err (err, EOPNOTSUPP,
                   "mounts[%zu]: idmapped mounts of type \"%s\": only bind and tmpfs mounts are supported", i,
                   m->type ? m->type : "");
  /* Under a sandbox profile: a bind by the container's own mapping only (a
     mapping of its own could give container root the host ids of anyone);
     no idmapped tmpfs (the profile sizes its tmpfs mounts itself). */
  if (spec->bind_policy && (m->n_uid_mappings || m->n_gid_mappings || is_tmpfs))
    return al_err (err, EPERM, "%s: idmapped mounts %sare not allowed under a sandbox profile", uwhat,
                   is_tmpfs ? "of tmpfs " : "with mappings of their own ");
  if (is_bind && (m->source == NULL || *m->source == '\0'))
    return al_err (err, 0, "mounts[%zu].source: a bind mount needs a source", i);
  if ((m->n_uid_mappings == 0) != (m->n_gid_mappings == 0))
    return al_err (err, EINVAL, "%s: give both mounts[%zu].uidMappings and gidMappings, or neither", uwhat, i);

  _cleanup_close_ int userns = -1;
  int r;
  if (m->n_uid_mappings)
    r = make_userns (m->uid_mappings, m->n_uid_mappings, m->gid_mappings, m->n_gid_mappings, uwhat, gwhat, &userns,
                     err);
  else if (joined_userns_fd >= 0)
    {
      /* The container's own mapping: its joined user namespace. */
      userns = fcntl (joined_userns_fd, F_DUPFD_CLOEXEC, 0);
      r = userns < 0 ? al_err (err, errno, "%s: dup the user namespace", uwhat) : 0;
    }
  else
    r = make_userns (spec->linux_->uid_mappings, spec->linux_->n_uid_mappings, spec->linux_->gid_mappings,
                     spec->linux_->n_gid_mappings, uwhat, gwhat, &userns, err);
  if (r < 0)
    return r;

  if (is_tmpfs)
    {
      _cleanup_close_ int fsm = -1;
      r = new_tmpfs (m, i, &fsm, err);
      if (r < 0)
        return r;
      struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
      if (mount_setattr (fsm, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
        return al_err (err, errno, "%s: idmap the tmpfs", uwhat);
      *out = al_steal_fd (fsm);
      return 0;
    }
  bool rec = has_option (m, "rbind") || has_option (m, "ridmap") || (m->type && strcmp (m->type, "rbind") == 0);
  _cleanup_free_ char *src = m->source[0] == '/' ? al_xstrdup (m->source) : al_xasprintf ("%s/%s", bundle, m->source);
  /* The profile's denied paths, checked on what the source resolves to,
     and that very fd cloned (bindcheck.h). */
  _cleanup_close_ int srcfd = -1;
  if (spec->bind_policy)
    {
      if (*guard == NULL) /* resolved once for all of them */
        *guard = al_bind_guard_new (spec->bind_policy);
      r = al_bind_source_open (*guard, i, src, m->source, m->destination ? m->destination : "", rec, false, &srcfd, err);
      if (r < 0)
        return r;
    }
  _cleanup_close_ int tree
      = srcfd >= 0 ? open_tree (srcfd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0))
                   : open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));
  if (tree < 0)
    return al_err (err, errno, "mounts[%zu].source \"%s\": clone for the idmapped mount", i, src);
  struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
  if (mount_setattr (tree, "", AT_EMPTY_PATH | (has_option (m, "ridmap") ? AT_RECURSIVE : 0), &a, sizeof a) < 0)
    return al_err (err, errno, "%s: idmap the bind mount of \"%s\"", uwhat, src);
  *out = al_steal_fd (tree);
  return 0;
}

int
al_idmap_prepare (const struct oci_spec *spec, const char *bundle, bool has_userns, int joined_userns_fd,
                  int **fds_out, al_error_t *err)
{
  *fds_out = NULL;
  size_t count = 0;
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (al_idmap_wanted (&spec->mounts[i]))
      {
        if (!has_userns)
          return al_err (err, EINVAL,
                         "mounts[%zu].uidMappings: an idmapped mount needs a user namespace in the container "
                         "(linux.namespaces)",
                         i);
        if (++count > AL_IDMAP_MAX)
          return al_err (err, E2BIG, "mounts[%zu]: more than %d idmapped mounts", i, AL_IDMAP_MAX);
      }
  if (count == 0)
    return 0;
  int *fds = al_xmalloc0 (spec->n_mounts * sizeof (int));
  for (size_t i = 0; i < spec->n_mounts; i++)
    fds[i] = -1;
  _cleanup_bind_guard_ struct al_bind_guard *guard = NULL;
  for (size_t i = 0; i < spec->n_mounts; i++)
    {
      if (!al_idmap_wanted (&spec->mounts[i]))
        continue;
      int r = prepare_one (spec, i, bundle, joined_userns_fd, &guard, &fds[i], err);
      if (r < 0)
        {
          al_idmap_close (fds, spec->n_mounts);
          return r;
        }
    }
  *fds_out = fds;
  return 0;
}

void
al_idmap_close (int *fds, size_t n)
{
  if (fds == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    al_closep (&fds[i]);
  free (fds);
}

int
al_idmap_userns (const struct oci_id_mapping *um, size_t nu, const struct oci_id_mapping *gm, size_t ng,
                 const char *what, int *out, al_error_t *err)
{
  *out = -1;
  return make_userns (um, nu, gm, ng, what, what, out, err);
}
