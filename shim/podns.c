/* podns.c: a user namespace for every pod of a pooled profile (podns.h). */
#include "podns.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "idmap.h"
#include "idmap_overlay.h"
#include "idpool.h"
#include "json.h"
#include "options.h"
#include "profile.h"
#include "shimlog.h"
#include "spec.h"
#include "util.h"

#define CRI_TYPE "io.kubernetes.cri.container-type"
#define CRI_SANDBOX_ID "io.kubernetes.cri.sandbox-id"

/* The CRI's own files in a pod container, by destination. */
static const char *const cri_files[]
    = { "/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/dev/shm", "/dev/termination-log", NULL };

static yajl_val
obj_get (yajl_val o, const char *k)
{
  if (!YAJL_IS_OBJECT (o))
    return NULL;
  for (size_t i = 0; i < o->u.object.len; i++)
    if (strcmp (o->u.object.keys[i], k) == 0)
      return o->u.object.values[i];
  return NULL;
}

static const char *
obj_str (yajl_val o, const char *k)
{
  yajl_val v = obj_get (o, k);
  return YAJL_IS_STRING (v) ? YAJL_GET_STRING (v) : NULL;
}

static bool
is_bind (yajl_val m)
{
  const char *t = obj_str (m, "type");
  if (t && (strcmp (t, "bind") == 0 || strcmp (t, "rbind") == 0))
    return true;
  yajl_val o = obj_get (m, "options");
  for (size_t i = 0; YAJL_IS_ARRAY (o) && i < o->u.array.len; i++)
    {
      const char *s = YAJL_IS_STRING (o->u.array.values[i]) ? YAJL_GET_STRING (o->u.array.values[i]) : NULL;
      if (s && (strcmp (s, "bind") == 0 || strcmp (s, "rbind") == 0))
        return true;
    }
  return false;
}

/* A bind of one of the CRI's files (a tmpfs /dev/shm is the container's). */
static bool
is_cri_file (yajl_val m)
{
  if (!is_bind (m))
    return false;
  const char *d = obj_str (m, "destination");
  for (size_t i = 0; d && cri_files[i]; i++)
    if (strcmp (d, cri_files[i]) == 0)
      return true;
  return false;
}

struct plan
{
  const char *userns_path; /* joined: /proc/PID/ns/user; NULL: new */
  uint32_t first, size;    /* the pod's range (0 -> first, size ids) */
};

static void
gen_maps (yajl_gen g, const struct plan *p)
{
  yajl_gen_array_open (g);
  yajl_gen_map_open (g);
  al_json_str (g, "containerID");
  yajl_gen_integer (g, 0);
  al_json_str (g, "hostID");
  yajl_gen_integer (g, p->first);
  al_json_str (g, "size");
  yajl_gen_integer (g, p->size);
  yajl_gen_map_close (g);
  yajl_gen_array_close (g);
}

/* {"type": "user"} (new), or with the pod's "path" (joined). */
static void
gen_user_ns (yajl_gen g, const struct plan *p)
{
  yajl_gen_map_open (g);
  al_json_str (g, "type");
  al_json_str (g, "user");
  if (p->userns_path)
    {
      al_json_str (g, "path");
      al_json_str (g, p->userns_path);
    }
  yajl_gen_map_close (g);
}

static void
gen_linux (yajl_gen g, yajl_val l, const struct plan *p)
{
  yajl_gen_map_open (g);
  bool had_ns = false;
  for (size_t i = 0; YAJL_IS_OBJECT (l) && i < l->u.object.len; i++)
    {
      const char *k = l->u.object.keys[i];
      yajl_val v = l->u.object.values[i];
      if (strcmp (k, "uidMappings") == 0 || strcmp (k, "gidMappings") == 0)
        continue;
      al_json_str (g, k);
      if (strcmp (k, "namespaces") != 0 || !YAJL_IS_ARRAY (v))
        {
          al_json_gen_tree (g, v);
          continue;
        }
      had_ns = true;
      yajl_gen_array_open (g);
      gen_user_ns (g, p);
      for (size_t j = 0; j < v->u.array.len; j++)
        al_json_gen_tree (g, v->u.array.values[j]);
      yajl_gen_array_close (g);
    }
  if (!had_ns)
    {
      al_json_str (g, "namespaces");
      yajl_gen_array_open (g);
      gen_user_ns (g, p);
      yajl_gen_array_close (g);
    }
  /* Repeated for a joined one too (the runtime checks they are its maps):
     the bundle is opened to the group of its root from them. */
  al_json_str (g, "uidMappings");
  gen_maps (g, p);
  al_json_str (g, "gidMappings");
  gen_maps (g, p);
  yajl_gen_map_close (g);
}

static void
gen_mount (yajl_gen g, yajl_val m)
{
  if (!YAJL_IS_OBJECT (m) || !is_cri_file (m))
    {
      al_json_gen_tree (g, m);
      return;
    }
  yajl_gen_map_open (g);
  bool had_opts = false;
  for (size_t i = 0; i < m->u.object.len; i++)
    {
      const char *k = m->u.object.keys[i];
      yajl_val v = m->u.object.values[i];
      al_json_str (g, k);
      if (strcmp (k, "options") != 0 || !YAJL_IS_ARRAY (v))
        {
          al_json_gen_tree (g, v);
          continue;
        }
      had_opts = true;
      yajl_gen_array_open (g);
      bool has = false;
      for (size_t j = 0; j < v->u.array.len; j++)
        {
          yajl_val o = v->u.array.values[j];
          const char *os = YAJL_IS_STRING (o) ? YAJL_GET_STRING (o) : NULL;
          has = has || (os && strcmp (os, "idmap") == 0);
          al_json_gen_tree (g, o);
        }
      if (!has)
        al_json_str (g, "idmap");
      yajl_gen_array_close (g);
    }
  if (!had_opts)
    {
      al_json_str (g, "options");
      yajl_gen_array_open (g);
      al_json_str (g, "idmap");
      yajl_gen_array_close (g);
    }
  yajl_gen_map_close (g);
}

static char *
gen_config (yajl_val root, const struct plan *p)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  for (size_t i = 0; i < root->u.object.len; i++)
    {
      const char *k = root->u.object.keys[i];
      yajl_val v = root->u.object.values[i];
      al_json_str (g, k);
      if (strcmp (k, "linux") == 0)
        gen_linux (g, v, p);
      else if (strcmp (k, "mounts") == 0 && YAJL_IS_ARRAY (v))
        {
          yajl_gen_array_open (g);
          for (size_t j = 0; j < v->u.array.len; j++)
            gen_mount (g, v->u.array.values[j]);
          yajl_gen_array_close (g);
        }
      else
        al_json_gen_tree (g, v);
    }
  yajl_gen_map_close (g);
  return al_json_gen_finish (g);
}

/* "0 FIRST SIZE\n" and nothing else: the pod's map as the host reads it. */
static int
read_pod_map (pid_t pid, const char *file, uint32_t *first, uint32_t *size, al_error_t *err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r = al_read_file_at (AT_FDCWD, path, 4096, &text, &len, err);
  if (r < 0)
    return r;
  unsigned long long c, h, n;
  int used = 0;
  if (sscanf (text, " %llu %llu %llu %n", &c, &h, &n, &used) != 3 || c != 0 || text[used] != '\0' || n == 0
      || h > UINT32_MAX || n > UINT32_MAX)
    return al_err (err, EINVAL, "%s: not the one range of a pod's user namespace: \"%s\"", path, text);
  *first = (uint32_t) h;
  *size = (uint32_t) n;
  return 0;
}

/* The sandbox has a user namespace of its own (not the host's). */
static bool
own_userns (pid_t pid)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/user", (int) pid);
  struct stat a, b;
  return stat (path, &a) == 0 && stat ("/proc/self/ns/user", &b) == 0 && (a.st_ino != b.st_ino || a.st_dev != b.st_dev);
}

static int
take_slot (const struct al_idpool *pool, const char *bundle, struct plan *p, al_error_t *err)
{
  _cleanup_free_ char *abs = realpath (bundle, NULL);
  if (abs == NULL)
    return al_err (err, errno, "bundle `%s`", bundle);
  _cleanup_free_ char *d1 = al_xstrdup (abs), *d2 = al_xstrdup (abs);
  const char *root = dirname (d1), *name = basename (d2);
  _cleanup_close_ int dirfd = open (abs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (dirfd < 0)
    return al_err (err, errno, "bundle `%s`", abs);
  struct al_idslot s;
  int r = al_idpool_acquire (pool, root, name, dirfd, &s, err);
  if (r < 0)
    return r;
  p->first = s.first;
  p->size = s.size;
  return 0;
}

int
sh_podns_prepare (const char *bundle, const char *id, char **config_path, sh_podns_sandbox_pid_fn sandbox_pid,
                  void *ctx, struct sh_podns *out, al_error_t *err)
{
  out->userns_fd = -1;
  out->slot_taken = false;
  _cleanup_free_ char *in = *config_path ? al_xstrdup (*config_path) : al_xasprintf ("%s/config.json", bundle);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r = al_read_file_at (AT_FDCWD, in, AL_CONFIG_MAX_SIZE, &text, &len, err);
  if (r < 0)
    return r;
  char ebuf[256] = "";
  yajl_val root = al_json_tree_parse (text, len, ebuf, sizeof ebuf);
  if (root == NULL || !YAJL_IS_OBJECT (root))
    {
      yajl_tree_free (root);
      return 0; /* the runtime names what is wrong with it */
    }
  yajl_val ann = obj_get (root, "annotations");
  const char *pname = obj_str (ann, AL_PROFILE_ANNOTATION);
  const char *type = obj_str (ann, CRI_TYPE);
  yajl_val ns = obj_get (obj_get (root, "linux"), "namespaces");
  bool has_user = false;
  for (size_t i = 0; YAJL_IS_ARRAY (ns) && i < ns->u.array.len; i++)
    {
      const char *t = obj_str (ns->u.array.values[i], "type");
      has_user = has_user || (t && strcmp (t, "user") == 0);
    }
  struct plan p = { 0 };
  /* Every cleanup variable before the first goto. */
  _cleanup_free_ char *userns_path = NULL, *cfg = NULL, *out_path = NULL;
  _cleanup_idpool_ struct al_idpool pool = { 0 };
  _cleanup_profile_ struct al_profile *prof = NULL;
  if (pname == NULL || type == NULL || has_user)
    goto none; /* not a pod container, or the config's own user namespace (containerd 2) */
  r = al_profile_load (pname, &prof, err);
  if (r < 0)
    {
      yajl_tree_free (root);
      return al_err_prefix (err, "container %s: annotations[\"%s\"]", id, AL_PROFILE_ANNOTATION);
    }
  if (!al_profile_pod_userns (prof) || !al_idpool_from_profile (prof, &pool))
    goto none; /* a profile whose pods have no user namespace of their own (or "untrusted": refused) */
  bool sandbox = strcmp (type, "sandbox") == 0;
  if (sandbox)
    {
      r = take_slot (&pool, bundle, &p, err);
      if (r < 0)
        {
          yajl_tree_free (root);
          return al_err_prefix (err, "pod sandbox %s: a host id range for its user namespace", id);
        }
      out->slot_taken = true;
      out->root_uid = p.first;
      out->root_gid = p.first;
      struct oci_id_mapping m = { .container_id = 0, .host_id = p.first, .size = p.size };
      r = al_idmap_userns (&m, 1, &m, 1, "the pod's user namespace", &out->userns_fd, err);
    }
  else
    {
      const char *sid = obj_str (ann, CRI_SANDBOX_ID);
      pid_t pid = sid ? sandbox_pid (ctx, sid) : 0;
      if (pid <= 0)
        {
          r = al_err (err, ESRCH,
                      "container %s: its pod's sandbox (annotations[\"%s\"] \"%s\") is not running in this shim: "
                      "it has the pod's user namespace",
                      id, CRI_SANDBOX_ID, sid ? sid : "");
          goto fail;
        }
      if (!own_userns (pid))
        goto none; /* a sandbox from before: the runtime gives this one a range of its own */
      r = read_pod_map (pid, "uid_map", &p.first, &p.size, err);
      uint32_t gf = 0, gs = 0;
      if (r == 0)
        r = read_pod_map (pid, "gid_map", &gf, &gs, err);
      if (r == 0 && (gf != p.first || gs != p.size))
        r = al_err (err, EINVAL, "pod sandbox %s: its uid and gid maps differ", sid);
      if (r < 0)
        {
          al_err_prefix (err, "container %s", id);
          goto fail;
        }
      out->root_uid = p.first;
      out->root_gid = p.first;
      userns_path = al_xasprintf ("/proc/%d/ns/user", (int) pid);
      p.userns_path = userns_path;
      out->userns_fd = open (userns_path, O_RDONLY | O_CLOEXEC);
      if (out->userns_fd < 0)
        r = al_err (err, errno, "container %s: open its pod's user namespace %s", id, userns_path);
    }
  if (r < 0)
    goto fail;
  cfg = gen_config (root, &p);
  yajl_tree_free (root);
  root = NULL;
  out_path = al_xasprintf ("%s/" SH_CONFIG_REWRITTEN, bundle);
  r = al_write_file_atomic_at (AT_FDCWD, out_path, cfg, strlen (cfg), 0600, err);
  if (r < 0)
    goto fail;
  sh_log ("%s %s: the pod's user namespace maps 0-%u to host ids %u-%u%s", sandbox ? "sandbox" : "container", id,
          p.size - 1, p.first, p.first + (p.size - 1), sandbox ? " (new)" : " (joined)");
  free (*config_path);
  *config_path = out_path;
  out_path = NULL;
  return 0;

fail:
  yajl_tree_free (root);
  al_closep (&out->userns_fd);
  if (out->slot_taken)
    sh_podns_release (bundle, id);
  out->slot_taken = false;
  return r;
none:
  yajl_tree_free (root);
  return 0;
}

void
sh_podns_release (const char *bundle, const char *id)
{
  _cleanup_close_ int dirfd = open (bundle, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  _cleanup_error_ al_error_t err = NULL;
  if (dirfd >= 0 && al_idpool_release (dirfd, id, &err) < 0)
    sh_log ("pod sandbox %s: release its host id range: %s", id, err->msg);
}

/* Remove option `name=` from comma-separated data; its value in *val. */
static char *
take_option (char *data, const char *name)
{
  size_t nl = strlen (name);
  char *val = NULL;
  char *w = data;
  char *q = data;
  bool first = true;
  while (*q)
    {
      char *e = strchr (q, ',');
      size_t l = e ? (size_t) (e - q) : strlen (q);
      if (l > nl && strncmp (q, name, nl) == 0 && q[nl] == '=')
        {
          free (val);
          val = strndup (q + nl + 1, l - nl - 1);
        }
      else
        {
          if (!first)
            *w++ = ',';
          memmove (w, q, l);
          w += l;
          first = false;
        }
      q += l + (e ? 1 : 0);
    }
  *w = '\0';
  return val;
}

static uint32_t
host_of_root (const struct oci_id_mapping *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (m[i].container_id == 0)
      return m[i].host_id;
  return 0;
}

int
sh_podns_mount_idmap (char *data, int *userns_fd, uid_t *root_uid, gid_t *root_gid, al_error_t *err)
{
  *userns_fd = -1;
  *root_uid = 0;
  *root_gid = 0;
  _cleanup_free_ char *u = take_option (data, "uidmap");
  _cleanup_free_ char *g = take_option (data, "gidmap");
  if (u == NULL && g == NULL)
    return 0;
  if (u == NULL || g == NULL)
    return al_err (err, 0, "overlay rootfs: mount option %s without %s", u ? "uidmap=" : "gidmap=",
                   u ? "gidmap=" : "uidmap=");
  _cleanup_free_ struct oci_id_mapping *um = NULL, *gm = NULL;
  size_t nu = 0, ng = 0;
  int r = al_idmap_parse_triples ("uidmap", u, &um, &nu, err);
  if (r == 0)
    r = al_idmap_parse_triples ("gidmap", g, &gm, &ng, err);
  if (r == 0)
    r = al_idmap_userns (um, nu, gm, ng, "overlay rootfs: uidmap=/gidmap=", userns_fd, err);
  *root_uid = host_of_root (um, nu);
  *root_gid = host_of_root (gm, ng);
  return r;
}
