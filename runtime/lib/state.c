/* state.c: state directories, their lock, state.json, and container status. */
#include "state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cgroup.h"
#include "spec.h"
#include "json.h"
#include "util.h"

#define STATE_FILE "state.json"
/* The state holds the annotations, bounded by the config's size: room for
 * all of them, escaped, so that a container we created stays readable. */
#define STATE_MAX_SIZE (2 * AL_CONFIG_MAX_SIZE + (64u << 10))

int
al_id_validate (const char *id, al_error_t *err)
{
  if (id == NULL || *id == '\0')
    return al_err (err, 0, "container id must not be empty");
  size_t len = strlen (id);
  /* The id is shown escaped and cut: it may hold anything, even terminal
   * control sequences. */
  _cleanup_free_ char *shown = al_escape (id, len, 64);
  if (len > AL_ID_MAX)
    return al_err (err, 0, "invalid container id \"%s\": %zu bytes long, more than the %d allowed", shown, len,
                   AL_ID_MAX);
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return al_err (err, 0, "invalid container id \"%s\": not a name", shown);
  for (const char *p = id; *p; p++)
    if (!(isalnum ((unsigned char) *p) || *p == '_' || *p == '+' || *p == '-' || *p == '.'))
      return al_err (err, 0, "invalid container id \"%s\": only letters, digits, `_`, `+`, `-` and `.` are allowed",
                     shown);
  /* Tools handed the id as an argument would take it for an option. */
  if (id[0] == '-')
    return al_err (err, 0, "invalid container id \"%s\": must not start with `-`", shown);
  return 0;
}

int
al_root_open (const char *root, bool create, al_error_t *err)
{
  int fd = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd >= 0 || errno != ENOENT || !create)
    {
      if (fd < 0)
        return al_err (err, errno, "open state root `%s`", root);
      return fd;
    }
  int r = al_mkdir_p (AT_FDCWD, root, 0700, err);
  if (r < 0)
    return al_err_prefix (err, "create state root `%s`", root);
  fd = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "open state root `%s`", root);
  return fd;
}

int
al_state_dir_create (int rootfd, const char *id, al_error_t *err)
{
  if (mkdirat (rootfd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return al_err (err, EEXIST, "container \"%s\" already exists", id);
      return al_err (err, errno, "container \"%s\": create state dir", id);
    }
  int fd = openat (rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      int e = errno;
      unlinkat (rootfd, id, AT_REMOVEDIR);
      return al_err (err, e, "container \"%s\": open state dir", id);
    }
  if (flock (fd, LOCK_EX) < 0)
    {
      int e = errno;
      close (fd);
      unlinkat (rootfd, id, AT_REMOVEDIR);
      return al_err (err, e, "container \"%s\": lock state dir", id);
    }
  return fd;
}

int
al_state_dir_open (int rootfd, const char *id, bool exclusive, al_error_t *err)
{
  int fd = openat (rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return al_err (err, ENOENT, "container \"%s\" does not exist", id);
      return al_err (err, errno, "container \"%s\": open state dir", id);
    }
  if (flock (fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    {
      int e = errno;
      close (fd);
      return al_err (err, e, "container \"%s\": lock state dir", id);
    }
  /* A concurrent delete may have removed the directory while we waited. */
  struct stat st;
  if (fstat (fd, &st) < 0 || st.st_nlink == 0)
    {
      close (fd);
      return al_err (err, ENOENT, "container \"%s\" does not exist", id);
    }
  return fd;
}

int
al_state_dir_open_bounded (int rootfd, const char *id, int timeout_ms, al_error_t *err)
{
  int fd = openat (rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return al_err (err, ENOENT, "container \"%s\" does not exist", id);
      return al_err (err, errno, "container \"%s\": open state dir", id);
    }
  for (int waited = 0; flock (fd, LOCK_EX | LOCK_NB) < 0; waited += 10)
    {
      int e = errno;
      if (e == EINTR)
        continue;
      if (e != EWOULDBLOCK || waited >= timeout_ms)
        {
          close (fd);
          if (e == EWOULDBLOCK)
            return al_err (err, EBUSY,
                           "container \"%s\": its state dir is still locked after %d ms by another airlock (a create "
                           "or delete that hangs?)",
                           id, timeout_ms);
          return al_err (err, e, "container \"%s\": lock state dir", id);
        }
      usleep (10000);
    }
  struct stat st;
  if (fstat (fd, &st) < 0 || st.st_nlink == 0)
    {
      close (fd);
      return al_err (err, ENOENT, "container \"%s\" does not exist", id);
    }
  return fd;
}

static int
remove_tree_at (int parent, const char *name)
{
  if (unlinkat (parent, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return -errno;
  /* An empty dir needs no fd (what is left when out of fds). */
  if (unlinkat (parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
    return 0;
  int fd = openat (parent, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -errno;
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return -errno;
    }
  struct dirent *de;
  int ret = 0;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      int r = remove_tree_at (dirfd (d), de->d_name);
      if (r < 0)
        ret = r;
    }
  closedir (d);
  if (unlinkat (parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return -errno;
  return ret;
}

int
al_state_dir_remove (int rootfd, const char *id, al_error_t *err)
{
  int r = remove_tree_at (rootfd, id);
  if (r < 0)
    return al_err (err, -r, "container \"%s\": remove state dir", id);
  return 0;
}

/* ---- JSON ---- */

#define G_STR(g, s) yajl_gen_string (g, (const unsigned char *) (s), strlen (s))

static void
gen_kv_str (yajl_gen g, const char *k, const char *v)
{
  G_STR (g, k);
  if (v)
    G_STR (g, v);
  else
    yajl_gen_null (g);
}

static char *
gen_finish (yajl_gen g)
{
  return al_json_gen_finish (g);
}

static void
gen_annotations (yajl_gen g, char **ann)
{
  G_STR (g, "annotations");
  yajl_gen_map_open (g);
  for (size_t i = 0; ann && ann[i] && ann[i + 1]; i += 2)
    gen_kv_str (g, ann[i], ann[i + 1]);
  yajl_gen_map_close (g);
}

int
al_state_write (int dirfd, const struct al_state *st, al_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    return al_err (err, ENOMEM, "container \"%s\": write state", st->id);
  yajl_gen_map_open (g);
  gen_kv_str (g, "id", st->id);
  G_STR (g, "pid");
  yajl_gen_integer (g, st->pid);
  G_STR (g, "pid_start");
  yajl_gen_integer (g, (long long) st->pid_start);
  gen_kv_str (g, "bundle", st->bundle);
  gen_kv_str (g, "rootfs", st->rootfs);
  gen_kv_str (g, "created", st->created);
  gen_kv_str (g, "owner", st->owner ? st->owner : "");
  gen_kv_str (g, "cgroup_mount", st->cgroup_mount);
  gen_kv_str (g, "cgroup_path", st->cgroup_path);
  G_STR (g, "systemd");
  yajl_gen_bool (g, st->systemd);
  gen_kv_str (g, "missing_controllers", st->missing_controllers_warn ? "warn" : "refuse");
  gen_annotations (g, st->annotations);
  yajl_gen_map_close (g);
  _cleanup_free_ char *json = gen_finish (g);
  size_t len = strlen (json);
  if (len > STATE_MAX_SIZE)
    return al_err (err, EFBIG, "container \"%s\": state is %zu bytes, more than the %u allowed", st->id, len,
                   STATE_MAX_SIZE);
  int r = al_write_file_atomic_at (dirfd, STATE_FILE, json, len, 0600, err);
  if (r < 0)
    return al_err_prefix (err, "container \"%s\"", st->id);
  return 0;
}

static char *
tree_str (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);
  return v ? al_xstrdup (YAJL_GET_STRING (v)) : NULL;
}

static long long
tree_int (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

int
al_state_read (int dirfd, const char *id, struct al_state **out, al_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r = al_read_file_at (dirfd, STATE_FILE, STATE_MAX_SIZE, &text, &len, err);
  if (r < 0)
    return al_err_prefix (err, "container \"%s\"", id);
  char ebuf[256];
  yajl_val root = al_json_tree_parse (text, len, ebuf, sizeof ebuf);
  if (root == NULL || !YAJL_IS_OBJECT (root))
    {
      yajl_tree_free (root);
      return al_err (err, 0, "container \"%s\": corrupt %s", id, STATE_FILE);
    }
  struct al_state *st = al_xmalloc0 (sizeof (*st));
  st->id = tree_str (root, "id");
  st->pid = (pid_t) tree_int (root, "pid");
  st->pid_start = (uint64_t) tree_int (root, "pid_start");
  st->bundle = tree_str (root, "bundle");
  st->rootfs = tree_str (root, "rootfs");
  st->created = tree_str (root, "created");
  st->owner = tree_str (root, "owner");
  st->cgroup_mount = tree_str (root, "cgroup_mount");
  st->cgroup_path = tree_str (root, "cgroup_path");
  const char *sp[] = { "systemd", NULL };
  st->systemd = YAJL_IS_TRUE (yajl_tree_get (root, sp, yajl_t_true));
  _cleanup_free_ char *mc = tree_str (root, "missing_controllers");
  st->missing_controllers_warn = mc && strcmp (mc, "warn") == 0;
  const char *ap[] = { "annotations", NULL };
  yajl_val ann = yajl_tree_get (root, ap, yajl_t_object);
  if (ann && YAJL_GET_OBJECT (ann)->len)
    {
      size_t n = YAJL_GET_OBJECT (ann)->len;
      st->annotations = al_xmalloc0 ((2 * n + 1) * sizeof (char *));
      for (size_t i = 0; i < n; i++)
        {
          yajl_val v = YAJL_GET_OBJECT (ann)->values[i];
          st->annotations[2 * i] = al_xstrdup (YAJL_GET_OBJECT (ann)->keys[i]);
          st->annotations[2 * i + 1] = al_xstrdup (YAJL_IS_STRING (v) ? YAJL_GET_STRING (v) : "");
        }
    }
  yajl_tree_free (root);
  if (st->id == NULL)
    st->id = al_xstrdup (id);
  *out = st;
  return 0;
}

void
al_state_free (struct al_state *st)
{
  if (st == NULL)
    return;
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  free (st->cgroup_mount);
  free (st->cgroup_path);
  al_strv_free (st->annotations);
  free (st);
}

uint64_t
al_pid_start_time (pid_t pid)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  /* comm may contain spaces and parens: fields restart after the last ')'. */
  char *p = strrchr (buf, ')');
  if (p == NULL)
    return 0;
  p += 2; /* field 3: state */
  if (*p == 'Z' || *p == 'X')
    return 0;
  for (int field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  return p ? strtoull (p, NULL, 10) : 0;
}

bool
al_state_init_alive (const struct al_state *st)
{
  if (st->pid <= 0)
    return false;
  uint64_t start = al_pid_start_time (st->pid);
  return start != 0 && start == st->pid_start;
}

enum al_status
al_state_status (int dirfd, const struct al_state *st)
{
  if (!al_state_init_alive (st))
    return AL_STATUS_STOPPED;
  if (faccessat (dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return AL_STATUS_CREATED;
  if (st->cgroup_mount && st->cgroup_path)
    {
      struct al_cgroup cg = { .mount = st->cgroup_mount, .path = st->cgroup_path, .dirfd = -1 };
      bool frozen = false;
      if (al_cgroup_is_frozen (&cg, &frozen, NULL) == 0 && frozen)
        return AL_STATUS_PAUSED;
      if (cg.dirfd >= 0)
        close (cg.dirfd);
    }
  return AL_STATUS_RUNNING;
}

const char *
al_status_name (enum al_status s)
{
  switch (s)
    {
    case AL_STATUS_CREATING:
      return "creating";
    case AL_STATUS_CREATED:
      return "created";
    case AL_STATUS_RUNNING:
      return "running";
    case AL_STATUS_PAUSED:
      return "paused";
    case AL_STATUS_STOPPED:
    default:
      return "stopped";
    }
}

char *
al_state_oci_json (const struct al_state *st, enum al_status status, bool pretty)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    abort ();
  if (pretty)
    {
      yajl_gen_config (g, yajl_gen_beautify, 1);
      yajl_gen_config (g, yajl_gen_indent_string, "  ");
    }
  yajl_gen_map_open (g);
  gen_kv_str (g, "ociVersion", AL_OCI_VERSION);
  gen_kv_str (g, "id", st->id);
  gen_kv_str (g, "status", al_status_name (status));
  G_STR (g, "pid");
  yajl_gen_integer (g, status == AL_STATUS_STOPPED ? 0 : st->pid);
  gen_kv_str (g, "bundle", st->bundle);
  gen_kv_str (g, "rootfs", st->rootfs);
  gen_kv_str (g, "created", st->created);
  gen_kv_str (g, "owner", st->owner ? st->owner : "");
  if (st->annotations && st->annotations[0])
    gen_annotations (g, st->annotations);
  if (st->host_ids_size)
    {
      /* The host uid/gid range of its id pool slot: container ids
         0..size-1 are host ids first..first+size-1. */
      G_STR (g, "hostIDs");
      yajl_gen_map_open (g);
      G_STR (g, "first");
      yajl_gen_integer (g, st->host_ids_first);
      G_STR (g, "size");
      yajl_gen_integer (g, st->host_ids_size);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  char *out = gen_finish (g);
  return out;
}
