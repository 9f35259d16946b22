/* mountopts.c: OCI mount options ("ro", "rbind", "rslave", "size=64k" ...)
 * to mount(2) flags, propagation and the fs-specific data string. */
#include "rootfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "util.h"

enum opt_kind
{
  OPT_SET,       /* flags |= v */
  OPT_CLEAR,     /* flags &= ~v, clear |= v */
  OPT_REC_SET,   /* rec_flags |= v */
  OPT_REC_CLEAR, /* rec_clear |= v */
  OPT_PROP,      /* propagation = v */
  OPT_BIND,
  OPT_RBIND,
  OPT_IDMAP,
  OPT_TMPCOPYUP,
  OPT_NONE, /* known, no effect ("defaults") */
};

struct mount_opt
{
  const char *name;
  enum opt_kind kind;
  unsigned long value;
};

static const struct mount_opt opts_table[] = {
  { "defaults", OPT_NONE, 0 },
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_SET, MS_NODEV },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "remount", OPT_SET, MS_REMOUNT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "noatime", OPT_SET, MS_NOATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "silent", OPT_SET, MS_SILENT },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "noiversion", OPT_CLEAR, MS_I_VERSION },
  { "bind", OPT_BIND, 0 },
  { "rbind", OPT_RBIND, 0 },
  { "private", OPT_PROP, MS_PRIVATE },
  { "rprivate", OPT_PROP, MS_PRIVATE | MS_REC },
  { "shared", OPT_PROP, MS_SHARED },
  { "rshared", OPT_PROP, MS_SHARED | MS_REC },
  { "slave", OPT_PROP, MS_SLAVE },
  { "rslave", OPT_PROP, MS_SLAVE | MS_REC },
  { "unbindable", OPT_PROP, MS_UNBINDABLE },
  { "runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC },
  { "tmpcopyup", OPT_TMPCOPYUP, 0 },
  { "idmap", OPT_IDMAP, 0 },
  { "ridmap", OPT_IDMAP, 0 },
  /* Recursive per-mount attributes (mount_setattr AT_RECURSIVE). */
  { "rro", OPT_REC_SET, MS_RDONLY },
  { "rrw", OPT_REC_CLEAR, MS_RDONLY },
  { "rnosuid", OPT_REC_SET, MS_NOSUID },
  { "rsuid", OPT_REC_CLEAR, MS_NOSUID },
  { "rnodev", OPT_REC_SET, MS_NODEV },
  { "rdev", OPT_REC_CLEAR, MS_NODEV },
  { "rnoexec", OPT_REC_SET, MS_NOEXEC },
  { "rexec", OPT_REC_CLEAR, MS_NOEXEC },
  { "rnodiratime", OPT_REC_SET, MS_NODIRATIME },
  { "rdiratime", OPT_REC_CLEAR, MS_NODIRATIME },
  { "rnoatime", OPT_REC_SET, MS_NOATIME },
  { "ratime", OPT_REC_CLEAR, MS_NOATIME },
  { "rrelatime", OPT_REC_SET, MS_RELATIME },
  { "rnorelatime", OPT_REC_CLEAR, MS_RELATIME },
  { "rstrictatime", OPT_REC_SET, MS_STRICTATIME },
  { "rnostrictatime", OPT_REC_CLEAR, MS_STRICTATIME },
  { "rnosymfollow", OPT_REC_SET, MS_NOSYMFOLLOW },
  { "rsymfollow", OPT_REC_CLEAR, MS_NOSYMFOLLOW },
};

#define N_OPTS (sizeof (opts_table) / sizeof (opts_table[0]))

const char *const al_mount_options[] = {
  "defaults", "ro", "rw", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "sync", "async", "dirsync",
  "remount", "mand", "nomand", "atime", "noatime", "diratime", "nodiratime", "relatime", "norelatime",
  "strictatime", "nostrictatime", "lazytime", "nolazytime", "nosymfollow", "symfollow", "silent", "loud",
  "iversion", "noiversion", "bind", "rbind", "private", "rprivate", "shared", "rshared", "slave", "rslave",
  "unbindable", "runbindable", "tmpcopyup", "idmap", "ridmap", "rro", "rrw", "rnosuid", "rsuid", "rnodev",
  "rdev", "rnoexec", "rexec", "rnodiratime", "rdiratime", "rnoatime", "ratime", "rrelatime", "rnorelatime",
  "rstrictatime", "rnostrictatime", "rnosymfollow", "rsymfollow", NULL,
};

static const struct mount_opt *
find_opt (const char *name)
{
  for (size_t i = 0; i < N_OPTS; i++)
    if (strcmp (opts_table[i].name, name) == 0)
      return &opts_table[i];
  return NULL;
}

/* Append `s` to the comma separated heap string *data. */
static void
data_append (char **data, const char *s)
{
  if (*data == NULL)
    {
      *data = al_xstrdup (s);
      return;
    }
  char *n = al_xasprintf ("%s,%s", *data, s);
  free (*data);
  *data = n;
}

int
al_mount_flags_parse (char *const *options, struct al_mount_flags *out, al_error_t *err)
{
  (void) err; /* every option is accepted: unknown ones become data */
  memset (out, 0, sizeof (*out));
  for (size_t i = 0; options && options[i]; i++)
    {
      const char *o = options[i];
      if (*o == '\0')
        continue; /* "" is harmless: ignore it */
      const struct mount_opt *m = find_opt (o);
      if (m == NULL)
        {
          data_append (&out->data, o);
          continue;
        }
      switch (m->kind)
        {
        case OPT_SET:
          out->flags |= m->value;
          out->clear &= ~m->value;
          break;
        case OPT_CLEAR:
          out->flags &= ~m->value;
          out->clear |= m->value;
          break;
        case OPT_REC_SET:
          out->rec_flags |= m->value;
          out->rec_clear &= ~m->value;
          break;
        case OPT_REC_CLEAR:
          out->rec_flags &= ~m->value;
          out->rec_clear |= m->value;
          break;
        case OPT_PROP:
          out->propagation = m->value;
          break;
        case OPT_BIND:
          out->bind = true;
          out->flags |= MS_BIND;
          break;
        case OPT_RBIND:
          out->bind = true;
          out->recursive_bind = true;
          out->flags |= MS_BIND | MS_REC;
          break;
        case OPT_IDMAP:
          out->idmap = true;
          break;
        case OPT_TMPCOPYUP:
          out->tmpcopyup = true;
          break;
        case OPT_NONE:
          break;
        }
    }
  return 0;
}

void
al_mount_flags_free (struct al_mount_flags *f)
{
  if (f == NULL)
    return;
  free (f->data);
  f->data = NULL;
}
