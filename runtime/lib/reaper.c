/* reaper.c: see reaper.h. */
#include "reaper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "state.h"
#include "util.h"

#define REAPER_TMP_PREFIX "@new."
#define REAPER_NOTE_MAX 4096
/* A registration: a fixed-size first line, "pending" until the create has
 * made the state dir, then "state DEV INO" (that state dir, and no other of
 * the same id, is the monitor's to remove), then the temporary dir, if any. */
#define REAPER_HEAD 64

static int
open_reaper_dir (const char *root, bool create, al_error_t *err)
{
  _cleanup_close_ int rootfd = al_root_open (root, create, create ? err : NULL);
  if (rootfd < 0)
    return rootfd;
  if (create && mkdirat (rootfd, AL_REAPER_DIR, 0700) < 0 && errno != EEXIST)
    return al_err (err, errno, "state root `%s`: mkdir %s", root, AL_REAPER_DIR);
  int fd = openat (rootfd, AL_REAPER_DIR, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && create)
    return al_err (err, errno, "state root `%s`: open %s", root, AL_REAPER_DIR);
  return fd;
}

/* A new registration file, already locked, not yet under its name: an
 * O_TMPFILE, or (a filesystem without it) a temporary name, returned in
 * *tmpname. */
static int
new_locked_file (int dirfd, char **tmpname, al_error_t *err)
{
  *tmpname = NULL;
  int fd = openat (dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return al_err (err, errno, "%s: create a registration", AL_REAPER_DIR);
      *tmpname = al_xasprintf (REAPER_TMP_PREFIX "%d", (int) getpid ());
      unlinkat (dirfd, *tmpname, 0); /* a dead process of the same pid */
      fd = openat (dirfd, *tmpname, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0)
        {
          int e = errno;
          free (*tmpname);
          *tmpname = NULL;
          return al_err (err, e, "%s: create a registration", AL_REAPER_DIR);
        }
    }
  if (flock (fd, LOCK_EX) < 0)
    {
      int e = errno;
      close (fd);
      if (*tmpname)
        {
          unlinkat (dirfd, *tmpname, 0);
          free (*tmpname);
          *tmpname = NULL;
        }
      return al_err (err, e, "%s: lock a registration", AL_REAPER_DIR);
    }
  return fd;
}

/* Give the locked file its name; -EEXIST when taken. */
static int
write_head (int fd, const char *text)
{
  char head[REAPER_HEAD];
  memset (head, ' ', sizeof head);
  memcpy (head, text, strlen (text));
  head[REAPER_HEAD - 1] = '\n';
  return pwrite (fd, head, sizeof head, 0) == (ssize_t) sizeof head ? 0 : -1;
}

static int
publish (int dirfd, int fd, const char *tmpname, const char *id)
{
  int r = 0;
  if (tmpname)
    {
      if (linkat (dirfd, tmpname, dirfd, id, 0) < 0)
        r = -errno;
      unlinkat (dirfd, tmpname, 0);
      return r;
    }
  if (linkat (fd, "", dirfd, id, AT_EMPTY_PATH) == 0)
    return 0;
  if (errno == EEXIST)
    return -EEXIST;
  /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH: through /proc then. */
  char proc[64];
  snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (linkat (AT_FDCWD, proc, dirfd, id, AT_SYMLINK_FOLLOW) < 0)
    return -errno;
  return 0;
}

int
al_reaper_register (const char *root, const char *id, int *lock, al_error_t *err)
{
  *lock = -1;
  int r = al_id_validate (id, err);
  if (r < 0)
    return r;
  _cleanup_close_ int dirfd = open_reaper_dir (root, true, err);
  if (dirfd < 0)
    return dirfd;
  for (int attempt = 0;; attempt++)
    {
      _cleanup_free_ char *tmpname = NULL;
      int fd = new_locked_file (dirfd, &tmpname, err);
      if (fd < 0)
        return fd;
      if (write_head (fd, "pending") < 0)
        {
          r = al_err (err, errno ? errno : EIO, "container \"%s\": write its monitor's registration", id);
          close (fd);
          if (tmpname)
            unlinkat (dirfd, tmpname, 0);
          return r;
        }
      r = publish (dirfd, fd, tmpname, id);
      if (r == 0)
        {
          *lock = fd;
          return 0;
        }
      close (fd);
      if (r != -EEXIST)
        return al_err (err, -r, "container \"%s\": register its monitor in %s/%s", id, root, AL_REAPER_DIR);
      /* Taken: by a dead monitor (reap it, then try again) or a live one. */
      if (attempt > 0 || al_reap (root, id, NULL) == 0)
        return al_err (err, EEXIST, "container \"%s\" already exists: another airlock watches it", id);
    }
}

int
al_reaper_note_dir (int lock, const char *dir, al_error_t *err)
{
  _cleanup_free_ char *text = al_xasprintf ("%s\n", dir);
  size_t len = strlen (text);
  if (ftruncate (lock, REAPER_HEAD) < 0 || pwrite (lock, text, len, REAPER_HEAD) != (ssize_t) len)
    return al_err (err, errno ? errno : EIO, "register the temporary dir `%s`", dir);
  return 0;
}

int
al_reaper_claim (int lock, int state_dirfd, al_error_t *err)
{
  if (lock < 0)
    return 0;
  struct stat st;
  if (fstat (state_dirfd, &st) < 0)
    return al_err (err, errno, "stat the state dir");
  char head[REAPER_HEAD];
  snprintf (head, sizeof head, "state %llu %llu", (unsigned long long) st.st_dev, (unsigned long long) st.st_ino);
  if (write_head (lock, head) < 0)
    return al_err (err, errno ? errno : EIO, "write the monitor's registration");
  return 0;
}

/* Is root/id the state dir the registration claimed? */
static bool
claimed_state_dir (const char *root, const char *id, const char *head)
{
  unsigned long long dev, ino;
  if (sscanf (head, "state %llu %llu", &dev, &ino) != 2)
    return false;
  _cleanup_close_ int rootfd = al_root_open (root, false, NULL);
  struct stat st;
  if (rootfd < 0 || fstatat (rootfd, id, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return false;
  return st.st_dev == dev && st.st_ino == ino;
}

void
al_reaper_unregister (const char *root, const char *id, int *lock)
{
  if (*lock < 0)
    return;
  _cleanup_close_ int dirfd = open_reaper_dir (root, false, NULL);
  if (dirfd >= 0)
    unlinkat (dirfd, id, 0);
  al_closep (lock);
}

/* The temporary dir of a registration: a dir of ours, holding at most
 * config.json. Anything else is left alone. */
static void
remove_noted_dir (const char *dir)
{
  if (dir[0] != '/')
    return;
  _cleanup_close_ int fd = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || st.st_uid != geteuid ())
    return;
  unlinkat (fd, "config.json", 0);
  rmdir (dir);
}

/* One registration: reaped when its lock is free. 1 reaped, 0 alive (or
 * gone meanwhile), <0 the cleanup failed (logged). */
static int
reap_one (const char *root, int dirfd, const char *name, const struct al_log *log)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return 0;
  if (flock (fd, LOCK_EX | LOCK_NB) < 0)
    return 0; /* its monitor lives */
  /* Still the registration under that name (not unregistered meanwhile)? */
  struct stat a, b;
  if (fstat (fd, &a) < 0 || a.st_nlink == 0 || !S_ISREG (a.st_mode)
      || fstatat (dirfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
    return 0;
  if (al_id_validate (name, NULL) < 0)
    {
      /* A temporary name left by a monitor that died while registering. */
      if (al_has_prefix (name, REAPER_TMP_PREFIX))
        unlinkat (dirfd, name, 0);
      return 0;
    }
  char note[REAPER_NOTE_MAX];
  ssize_t n = pread (fd, note, sizeof note - 1, 0);
  note[n > 0 ? n : 0] = '\0';
  char *dir = n > REAPER_HEAD ? note + REAPER_HEAD : NULL;
  if (dir)
    {
      note[REAPER_HEAD - 1] = '\0';
      char *nl = strchr (dir, '\n');
      if (nl)
        *nl = '\0';
    }
  /* The container only when its state dir is the one this monitor's create
     made ("pending": the monitor died before; another container of that id
     is not its to remove). */
  _cleanup_error_ al_error_t err = NULL;
  if (claimed_state_dir (root, name, note) && al_container_delete (root, name, true, log, &err) < 0)
    {
      al_log (log, "warning", "container \"%s\": its monitor died; removing it failed (tried again later): %s", name,
              err->msg);
      return -1;
    }
  if (dir && dir[0])
    remove_noted_dir (dir);
  unlinkat (dirfd, name, 0);
  al_log (log, "debug", "container \"%s\": its monitor died: removed", name);
  return 1;
}

int
al_reap (const char *root, const char *only_id, const struct al_log *log)
{
  int rdir = open_reaper_dir (root, false, NULL);
  if (rdir < 0)
    return 0;
  int reaped = 0;
  if (only_id)
    {
      if (al_id_validate (only_id, NULL) == 0 && reap_one (root, rdir, only_id, log) > 0)
        reaped++;
      close (rdir);
      return reaped;
    }
  DIR *d = fdopendir (rdir);
  if (d == NULL)
    {
      close (rdir);
      return 0;
    }
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (reap_one (root, dirfd (d), de->d_name, log) > 0)
        reaped++;
    }
  closedir (d);
  return reaped;
}
