/* resolve.c: in-root path resolution, openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) or its userspace equivalent.
 *
 * The walk opens one component at a time with openat(O_PATH | O_NOFOLLOW)
 * from the fd of the previous one. It keeps the fds of the directories it
 * went through on a stack: ".." closes the top one (and stays at the root
 * when only the root is left), so it never looks a ".." up in the
 * filesystem and cannot step above the root, whatever is renamed or linked
 * meanwhile. A symlink is read from its own O_PATH fd and its target spliced
 * in front of what is left of the path: an absolute target restarts from
 * the root, a relative one from the symlink's directory. */
#include "resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

/* The kernel's limit on symlinks followed in one lookup. */
#define MAX_SYMLINKS 40

/* Set once openat2 answered ENOSYS: the process then walks in userspace. */
static bool openat2_missing;

struct fd_stack
{
  int *fds;
  size_t n, cap;
};

static void
fd_stack_clear (struct fd_stack *s, size_t keep)
{
  while (s->n > keep)
    close (s->fds[--s->n]);
}

static void
fd_stack_freep (struct fd_stack *s)
{
  fd_stack_clear (s, 0);
  free (s->fds);
}

static void
fd_stack_push (struct fd_stack *s, int fd)
{
  if (s->n == s->cap)
    {
      s->cap = s->cap ? s->cap * 2 : 16;
      s->fds = realloc (s->fds, s->cap * sizeof (*s->fds));
      if (s->fds == NULL)
        abort ();
    }
  s->fds[s->n++] = fd;
}

static int
fail (int e)
{
  errno = e;
  return -1;
}

/* The target of the symlink `fd` (an O_PATH fd of it), malloc'ed. */
static char *
read_link (int fd)
{
  size_t size = 256;
  for (;;)
    {
      _cleanup_free_ char *buf = al_xmalloc0 (size);
      ssize_t n = readlinkat (fd, "", buf, size);
      if (n < 0)
        return NULL;
      if ((size_t) n < size)
        {
          buf[n] = '\0';
          return al_steal_ptr (buf);
        }
      if (size >= PATH_MAX)
        {
          errno = ENAMETOOLONG;
          return NULL;
        }
      size *= 2;
    }
}

int
al_resolve_in_root_walk (int rootfd, const char *path)
{
  if (*path == '\0')
    return fail (ENOENT);
  if (strlen (path) >= PATH_MAX)
    return fail (ENAMETOOLONG);

  __attribute__ ((cleanup (fd_stack_freep))) struct fd_stack stack = { 0 };
  int root = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return -1;
  fd_stack_push (&stack, root);

  _cleanup_free_ char *rest = al_xstrdup (path);
  char *p = rest;
  int links = 0;
  for (;;)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      char *end = strchrnul (p, '/');
      size_t len = (size_t) (end - p);
      int cur = stack.fds[stack.n - 1];

      if (len == 1 && p[0] == '.')
        {
          p = end;
          continue;
        }
      if (len == 2 && p[0] == '.' && p[1] == '.')
        {
          if (stack.n > 1)
            fd_stack_clear (&stack, stack.n - 1);
          p = end;
          continue;
        }

      char saved = *end;
      *end = '\0';
      int fd = openat (cur, p, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      *end = saved;
      if (fd < 0)
        return -1;
      struct stat st;
      if (fstat (fd, &st) < 0)
        {
          int e = errno;
          close (fd);
          return fail (e);
        }

      if (S_ISLNK (st.st_mode))
        {
          struct statfs sfs;
          int r = fstatfs (fd, &sfs);
          int e = errno;
          _cleanup_free_ char *target = r < 0 ? NULL : read_link (fd);
          e = r < 0 ? e : errno;
          close (fd);
          if (r < 0 || target == NULL)
            return fail (e);
          if (sfs.f_type == PROC_SUPER_MAGIC)
            return fail (ELOOP);
          if (++links > MAX_SYMLINKS)
            return fail (ELOOP);
          if (*target == '\0')
            return fail (ENOENT);
          if (*target == '/')
            fd_stack_clear (&stack, 1);
          char *next = al_xasprintf ("%s%s", target, end);
          free (rest);
          rest = next;
          p = rest;
          continue;
        }

      /* Anything after the name, a lone "/" too, needs a directory. */
      if (*end != '\0' && !S_ISDIR (st.st_mode))
        {
          close (fd);
          return fail (ENOTDIR);
        }
      fd_stack_push (&stack, fd);
      p = end;
    }

  if (stack.n == 1)
    {
      /* The root itself. */
      stack.n = 0;
      return root;
    }
  return stack.fds[--stack.n];
}

static int
resolve_openat2 (int rootfd, const char *path)
{
  struct open_how how = {
    .flags = O_PATH | O_CLOEXEC,
    .mode = 0,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  /* EAGAIN: a rename raced with a ".." lookup; the kernel asks for a retry. */
  for (int i = 0; i < 32; i++)
    {
      int fd = (int) syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
      if (fd >= 0 || errno != EAGAIN)
        return fd;
    }
  return -1;
}

int
al_resolve_in_root (int rootfd, const char *path)
{
  if (*path == '\0')
    path = "/";
  if (!__atomic_load_n (&openat2_missing, __ATOMIC_RELAXED))
    {
      int fd = resolve_openat2 (rootfd, path);
      if (fd >= 0 || errno != ENOSYS)
        return fd;
      __atomic_store_n (&openat2_missing, true, __ATOMIC_RELAXED);
    }
  return al_resolve_in_root_walk (rootfd, path);
}
