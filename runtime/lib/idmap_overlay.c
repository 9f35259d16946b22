/* idmap_overlay.c: an overlay whose layers are idmapped (idmap_overlay.h).
 * Each layer is cloned (open_tree) as a detached mount, idmapped, and named
 * to overlayfs as /proc/self/fd/N: the overlay keeps its own references to
 * its layers, so the clones go with their fds once it is mounted. */
#include "idmap_overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define MAX_LAYERS 500

/* Split s at unescaped `sep` into malloc'd pieces with their escapes
   removed; the count in *n. */
static char **
split_escaped (const char *s, char sep, size_t *n)
{
  size_t cap = 1;
  for (const char *q = s; *q; q++)
    cap += *q == sep;
  char **v = al_xmalloc0 ((cap + 1) * sizeof (char *));
  size_t k = 0;
  char *cur = al_xmalloc0 (strlen (s) + 1);
  size_t len = 0;
  for (const char *q = s;; q++)
    {
      if (*q == '\\' && q[1])
        {
          cur[len++] = *++q;
          continue;
        }
      if (*q == sep || *q == '\0')
        {
          cur[len] = '\0';
          v[k++] = cur;
          if (*q == '\0')
            break;
          cur = al_xmalloc0 (strlen (s) + 1);
          len = 0;
          continue;
        }
      cur[len++] = *q;
    }
  *n = k;
  return v;
}

/* Split mount data at unescaped commas, keeping the escapes (the kernel
   reads them). */
static char **
split_options (const char *s, size_t *n)
{
  size_t cap = 1;
  for (const char *q = s; *q; q++)
    cap += *q == ',';
  char **v = al_xmalloc0 ((cap + 1) * sizeof (char *));
  size_t k = 0;
  const char *start = s;
  for (const char *q = s;; q++)
    {
      if (*q == '\\' && q[1])
        {
          q++;
          continue;
        }
      if (*q == ',' || *q == '\0')
        {
          if (q > start)
            v[k++] = strndup (start, (size_t) (q - start));
          if (*q == '\0')
            break;
          start = q + 1;
        }
    }
  *n = k;
  return v;
}

/* s without its backslash escapes (malloc'd). */
static char *
unescape (const char *s)
{
  char *o = al_xmalloc0 (strlen (s) + 1);
  size_t k = 0;
  for (const char *q = s; *q; q++)
    o[k++] = (*q == '\\' && q[1]) ? *++q : *q;
  return o;
}

static void
strv_free_n (char **v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    free (v[i]);
  free (v);
}

/* A detached, idmapped clone of the directory `path`. */
static int
idmapped_clone (const char *what, const char *path, int userns_fd, al_error_t *err)
{
  _cleanup_close_ int tree = open_tree (AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return al_err (err, errno, "overlay %s `%s`: clone it to idmap it", what, path);
  struct mount_attr a = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns_fd };
  if (mount_setattr (tree, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
    return al_err (err, errno, "overlay %s `%s`: idmap it (the kernel needs idmapped mounts on its filesystem)", what,
                   path);
  return al_steal_fd (tree);
}

static void
close_all (int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    al_closep (&fds[i]);
}

/* Append s to the growing buffer *b (length *len). */
static void
append (char **b, size_t *len, const char *s)
{
  size_t l = strlen (s);
  *b = realloc (*b, *len + l + 1);
  if (*b == NULL)
    abort ();
  memcpy (*b + *len, s, l + 1);
  *len += l;
}

int
al_idmap_overlay_mount (const char *data, unsigned long flags, const char *target, int userns_fd, uid_t root_uid,
                        gid_t root_gid, al_error_t *err)
{
  size_t nopt = 0;
  char **opts = split_options (data ? data : "", &nopt);
  const char *lower = NULL, *upper = NULL, *work = NULL;
  for (size_t i = 0; i < nopt; i++)
    {
      if (al_has_prefix (opts[i], "lowerdir="))
        lower = opts[i] + strlen ("lowerdir=");
      else if (al_has_prefix (opts[i], "upperdir="))
        upper = opts[i] + strlen ("upperdir=");
      else if (al_has_prefix (opts[i], "workdir="))
        work = opts[i] + strlen ("workdir=");
    }
  int r = 0;
  size_t nlow = 0;
  char **lows = NULL;
  int fds[MAX_LAYERS + 1];
  size_t nfds = 0;
  char *out = NULL;
  size_t len = 0;
  if (lower == NULL || *lower == '\0')
    {
      r = al_err (err, EINVAL, "overlay on `%s`: no lowerdir= option", target);
      goto out;
    }
  if ((upper == NULL) != (work == NULL))
    {
      r = al_err (err, EINVAL, "overlay on `%s`: upperdir= and workdir= go together", target);
      goto out;
    }
  lows = split_escaped (lower, ':', &nlow);
  if (nlow > MAX_LAYERS)
    {
      r = al_err (err, E2BIG, "overlay on `%s`: %zu lower dirs, more than %d to idmap", target, nlow, MAX_LAYERS);
      goto out;
    }
  append (&out, &len, "lowerdir=");
  for (size_t i = 0; i < nlow; i++)
    {
      if (*lows[i] == '\0')
        {
          r = al_err (err, EINVAL, "overlay on `%s`: lowerdir=: an empty layer (data-only layers are not supported)",
                      target);
          goto out;
        }
      int fd = idmapped_clone ("lowerdir", lows[i], userns_fd, err);
      if (fd < 0)
        {
          r = fd;
          goto out;
        }
      fds[nfds++] = fd;
      char p[40];
      snprintf (p, sizeof p, "%s/proc/self/fd/%d", i ? ":" : "", fd);
      append (&out, &len, p);
    }
  if (upper)
    {
      /* The upper and work dirs stay as they are: overlayfs writes there
         with the mounter's ids (host root), which no idmap of the pod's
         range holds (EOVERFLOW: it would mount read-only). What container
         root writes lands there as its host uid; the top directory becomes
         its own, as with containerd 2's remapped snapshots. */
      _cleanup_free_ char *pu = unescape (upper);
      struct stat st;
      if (stat (pu, &st) == 0 && st.st_uid == 0 && st.st_gid == 0 && (root_uid != 0 || root_gid != 0)
          && chown (pu, root_uid, root_gid) < 0)
        {
          r = al_err (err, errno, "overlay upperdir `%s`: give it to the user namespace's root (%u:%u)", pu,
                      (unsigned) root_uid, (unsigned) root_gid);
          goto out;
        }
      append (&out, &len, ",upperdir=");
      append (&out, &len, upper);
      append (&out, &len, ",workdir=");
      append (&out, &len, work);
    }
  for (size_t i = 0; i < nopt; i++)
    if (!al_has_prefix (opts[i], "lowerdir=") && !al_has_prefix (opts[i], "upperdir=")
        && !al_has_prefix (opts[i], "workdir="))
      {
        append (&out, &len, ",");
        append (&out, &len, opts[i]);
      }
  if (len >= (size_t) sysconf (_SC_PAGESIZE))
    {
      r = al_err (err, E2BIG, "overlay on `%s`: its options (%zu bytes) exceed a page", target, len);
      goto out;
    }
  if (mount ("overlay", target, "overlay", flags, out) < 0)
    r = al_err (err, errno, "mount the overlay with idmapped layers on `%s`", target);
out:
  close_all (fds, nfds);
  free (out);
  strv_free_n (lows, nlow);
  strv_free_n (opts, nopt);
  return r;
}

int
al_idmap_parse_triples (const char *opt, const char *value, struct oci_id_mapping **out, size_t *n, al_error_t *err)
{
  *out = NULL;
  *n = 0;
  size_t cap = 1;
  for (const char *q = value; *q; q++)
    cap += *q == ',' || *q == ' ';
  struct oci_id_mapping *m = al_xmalloc0 (cap * sizeof *m);
  size_t k = 0;
  const char *q = value;
  while (*q)
    {
      if (*q == ',' || *q == ' ')
        {
          q++;
          continue;
        }
      unsigned long long v[3];
      for (int i = 0; i < 3; i++)
        {
          char *end;
          errno = 0;
          if (*q < '0' || *q > '9')
            goto bad;
          v[i] = strtoull (q, &end, 10);
          if (errno || v[i] > UINT32_MAX || (i < 2 && *end != ':') || (i == 2 && *end && *end != ',' && *end != ' '))
            goto bad;
          q = end + (i < 2);
        }
      if (v[2] == 0 || v[0] + v[2] - 1 > UINT32_MAX || v[1] + v[2] - 1 > UINT32_MAX)
        goto bad;
      m[k++] = (struct oci_id_mapping){ .container_id = (uint32_t) v[0], .host_id = (uint32_t) v[1],
                                        .size = (uint32_t) v[2] };
    }
  if (k == 0)
    goto bad;
  *out = m;
  *n = k;
  return 0;
bad:
  free (m);
  return al_err (err, 0, "mount option %s=%s: expected CONTAINER:HOST:SIZE triples (sizes above 0, ids below 2^32)",
                 opt, value);
}
