/* options.c: see options.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "json.h"
#include "monitor.h"
#include "options.h"
#include "profile.h"
#include "spec.h"
#include "util.h"

#include "containerd/runc/v1/options.pb-c.h"
#include "runtimeoptions/v1/api.pb-c.h"

#define CONFIG_BASENAME SH_CONFIG_REWRITTEN

void
sh_options_clear (struct sh_options *o)
{
  free (o->source);
  free (o->profile);
  free (o->timeout);
  memset (o, 0, sizeof *o);
}

static const char *
bare_type (const char *url)
{
  const char *slash = strrchr (url, '/');
  return slash ? slash + 1 : url;
}

static bool
valid_profile_name (const char *s)
{
  if (*s == '\0' || *s == '.')
    return false;
  for (const char *q = s; *q; q++)
    if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_'
          || *q == '.' || *q == '-'))
      return false;
  return true;
}

int
sh_options_parse_config (const char *name, const char *text, size_t len, struct sh_options *o, al_error_t *err)
{
  char ebuf[256] = "";
  _cleanup_free_ char *z = al_xmalloc0 (len + 1);
  memcpy (z, text, len);
  yajl_val root = yajl_tree_parse (z, ebuf, sizeof ebuf);
  if (root == NULL)
    {
      char *nl = strchr (ebuf, '\n');
      if (nl)
        *nl = '\0';
      return al_err (err, 0, "%s: not JSON: %s", name, *ebuf ? ebuf : "parse error");
    }
  int r = 0;
  if (!YAJL_IS_OBJECT (root))
    {
      r = al_err (err, 0, "%s: not a JSON object", name);
      goto out;
    }
  for (size_t i = 0; i < root->u.object.len; i++)
    {
      const char *k = root->u.object.keys[i];
      yajl_val v = root->u.object.values[i];
      if (strcmp (k, "comment") == 0)
        continue;
      if (strcmp (k, "profile") == 0)
        {
          if (!YAJL_IS_STRING (v) || !valid_profile_name (YAJL_GET_STRING (v)))
            {
              r = al_err (err, 0, "%s: profile: not a profile name (letters, digits, '_', '.', '-')", name);
              goto out;
            }
          free (o->profile);
          o->profile = al_xstrdup (YAJL_GET_STRING (v));
          continue;
        }
      if (strcmp (k, "timeout") == 0)
        {
          uint64_t ms;
          if (!YAJL_IS_STRING (v) || al_parse_duration_ms (YAJL_GET_STRING (v), &ms) < 0)
            {
              r = al_err (err, 0, "%s: timeout: not a duration (e.g. \"10s\", \"500ms\", \"2m\")", name);
              goto out;
            }
          free (o->timeout);
          o->timeout = al_xstrdup (YAJL_GET_STRING (v));
          continue;
        }
      r = al_err (err, 0, "%s: %s: unknown key (known: profile, timeout, comment)", name, k);
      goto out;
    }
  free (o->source);
  o->source = al_xstrdup (name);
out:
  yajl_tree_free (root);
  return r;
}

static int
parse_cri_options (const uint8_t *data, size_t len, struct sh_options *o, al_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t tlen = 0;
  Runtimeoptions__V1__Options *m = runtimeoptions__v1__options__unpack (NULL, len, data);
  if (m == NULL)
    return al_err (err, 0, "runtime options: malformed runtimeoptions.v1.Options");
  int r = 0;
  if (m->type_url && *m->type_url && strcmp (bare_type (m->type_url), SH_CONFIG_TYPE_URL) != 0)
    {
      r = al_err (err, 0, "runtime options: TypeUrl \"%s\": airlock's shim config is \"%s\" (or empty)",
                  m->type_url, SH_CONFIG_TYPE_URL);
      goto out;
    }
  if (m->config_body.len > 0)
    {
      _cleanup_free_ char *name = al_xasprintf ("runtime options: ConfigBody%s%s%s",
                                                m->config_path && *m->config_path ? " (of " : "",
                                                m->config_path && *m->config_path ? m->config_path : "",
                                                m->config_path && *m->config_path ? ")" : "");
      if (m->config_body.len > SH_CONFIG_MAX_SIZE)
        r = al_err (err, EFBIG, "%s: larger than %u bytes", name, SH_CONFIG_MAX_SIZE);
      else
        r = sh_options_parse_config (name, (const char *) m->config_body.data, m->config_body.len, o, err);
      goto out;
    }
  if (m->config_path == NULL || *m->config_path == '\0')
    goto out; /* nothing configured */
  if (m->config_path[0] != '/')
    {
      r = al_err (err, 0, "runtime options: ConfigPath \"%s\": not an absolute path", m->config_path);
      goto out;
    }
  r = al_read_file_at (AT_FDCWD, m->config_path, SH_CONFIG_MAX_SIZE, &text, &tlen, err);
  if (r < 0)
    {
      al_err_prefix (err, "runtime options: ConfigPath");
      goto out;
    }
  r = sh_options_parse_config (m->config_path, text, tlen, o, err);
out:
  runtimeoptions__v1__options__free_unpacked (m, NULL);
  return r;
}

static int
parse_runc_options (const uint8_t *data, size_t len, struct sh_options *o, al_error_t *err)
{
  Containerd__Runc__V1__Options *m = containerd__runc__v1__options__unpack (NULL, len, data);
  if (m == NULL)
    return al_err (err, 0, "runtime options: malformed containerd.runc.v1.Options");
  o->no_pivot = m->no_pivot_root;
  o->no_new_keyring = m->no_new_keyring;
  o->systemd_cgroup = m->systemd_cgroup;
  free (o->source);
  o->source = al_xstrdup ("runtime options (containerd.runc.v1.Options)");
  containerd__runc__v1__options__free_unpacked (m, NULL);
  return 0;
}

int
sh_options_parse (const char *type_url, const uint8_t *data, size_t len, struct sh_options *o, al_error_t *err)
{
  if (type_url == NULL || *type_url == '\0')
    {
      if (len == 0)
        return 0;
      return al_err (err, 0, "runtime options: no type URL");
    }
  const char *t = bare_type (type_url);
  if (strcmp (t, "runtimeoptions.v1.Options") == 0 || strcmp (t, "cri.runtimeoptions.v1.Options") == 0)
    return parse_cri_options (data, len, o, err);
  if (strcmp (t, "containerd.runc.v1.Options") == 0)
    return parse_runc_options (data, len, o, err);
  return al_err (err, 0,
                 "runtime options: unknown type \"%s\" (airlock takes runtimeoptions.v1.Options with a "
                 "ConfigPath, or containerd.runc.v1.Options)",
                 type_url);
}

/* ------------------------------------------------- the config rewrite -- */

static const char *
tree_str (yajl_val obj, const char *key)
{
  if (!YAJL_IS_OBJECT (obj))
    return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp (obj->u.object.keys[i], key) == 0)
      return YAJL_IS_STRING (obj->u.object.values[i]) ? YAJL_GET_STRING (obj->u.object.values[i]) : NULL;
  return NULL;
}

static void
gen_annotations (yajl_gen g, yajl_val old, const char *profile, const char *timeout)
{
  yajl_gen_map_open (g);
  for (size_t i = 0; YAJL_IS_OBJECT (old) && i < old->u.object.len; i++)
    {
      const char *k = old->u.object.keys[i];
      if ((profile && strcmp (k, AL_PROFILE_ANNOTATION) == 0) || (timeout && strcmp (k, AL_ANNOTATION_TIMEOUT) == 0))
        continue;
      al_json_str (g, k);
      al_json_gen_tree (g, old->u.object.values[i]);
    }
  if (profile)
    {
      al_json_str (g, AL_PROFILE_ANNOTATION);
      al_json_str (g, profile);
    }
  if (timeout)
    {
      al_json_str (g, AL_ANNOTATION_TIMEOUT);
      al_json_str (g, timeout);
    }
  yajl_gen_map_close (g);
}

int
sh_options_rewrite_config (const struct sh_options *o, const char *bundle, char **path, al_error_t *err)
{
  *path = NULL;
  if (o->profile == NULL && o->timeout == NULL)
    return 0;
  _cleanup_free_ char *in = al_xasprintf ("%s/config.json", bundle);
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  int r = al_read_file_at (AT_FDCWD, in, AL_CONFIG_MAX_SIZE, &text, &len, err);
  if (r < 0)
    return r;
  char ebuf[256] = "";
  yajl_val root = yajl_tree_parse (text, ebuf, sizeof ebuf);
  if (root == NULL || !YAJL_IS_OBJECT (root))
    {
      yajl_tree_free (root);
      return al_err (err, 0, "%s: not a JSON object", in);
    }
  yajl_val ann = NULL;
  for (size_t i = 0; i < root->u.object.len; i++)
    if (strcmp (root->u.object.keys[i], "annotations") == 0)
      ann = root->u.object.values[i];

  const char *profile = o->profile;
  const char *have = tree_str (ann, AL_PROFILE_ANNOTATION);
  if (profile && have && strcmp (have, profile) != 0)
    {
      r = al_err (err, 0,
                  "%s: annotations.\"%s\" is \"%s\" but the runtime class runs every container under profile "
                  "\"%s\" (%s)",
                  in, AL_PROFILE_ANNOTATION, have, profile, o->source ? o->source : "runtime options");
      yajl_tree_free (root);
      return r;
    }
  /* The lower deadline wins. */
  const char *timeout = o->timeout;
  const char *have_t = tree_str (ann, AL_ANNOTATION_TIMEOUT);
  uint64_t a_ms, b_ms;
  if (timeout && have_t && al_parse_duration_ms (have_t, &a_ms) == 0 && al_parse_duration_ms (timeout, &b_ms) == 0
      && a_ms <= b_ms)
    timeout = NULL;

  yajl_gen g = yajl_gen_alloc (NULL);
  yajl_gen_map_open (g);
  for (size_t i = 0; i < root->u.object.len; i++)
    {
      al_json_str (g, root->u.object.keys[i]);
      if (root->u.object.values[i] == ann)
        gen_annotations (g, ann, profile, timeout);
      else
        al_json_gen_tree (g, root->u.object.values[i]);
    }
  if (ann == NULL)
    {
      al_json_str (g, "annotations");
      gen_annotations (g, NULL, profile, timeout);
    }
  yajl_gen_map_close (g);
  yajl_tree_free (root);
  _cleanup_free_ char *out = al_json_gen_finish (g);
  _cleanup_free_ char *out_path = al_xasprintf ("%s/" CONFIG_BASENAME, bundle);
  r = al_write_file_atomic_at (AT_FDCWD, out_path, out, strlen (out), 0600, err);
  if (r < 0)
    return r;
  *path = out_path;
  out_path = NULL;
  return 0;
}
