/* util.c: cleanup helpers, allocation, whole-file I/O, signal names. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void
al_freep (void *p)
{
  free (*(void **) p);
}

void
al_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
      *fd = -1;
    }
}

void
al_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

void
al_strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

void
al_strvfreep (char ***v)
{
  al_strv_free (*v);
}

size_t
al_strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

void *
al_xmalloc0 (size_t n)
{
  void *p = calloc (1, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
al_xstrdup (const char *s)
{
  if (s == NULL)
    return NULL;
  char *r = strdup (s);
  if (r == NULL)
    abort ();
  return r;
}

char *
al_xasprintf (const char *fmt, ...)
{
  char *r = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&r, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return r;
}

ssize_t
al_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  size_t done = 0;
  while (done < len)
    {
      ssize_t w = write (fd, p + done, len - done);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      done += (size_t) w;
    }
  return (ssize_t) done;
}

ssize_t
al_read_all (int fd, void *buf, size_t len)
{
  char *p = buf;
  size_t done = 0;
  while (done < len)
    {
      ssize_t r = read (fd, p + done, len - done);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      if (r == 0)
        break;
      done += (size_t) r;
    }
  return (ssize_t) done;
}

static int read_fd (int fd, const char *path, size_t max_size, char **out, size_t *len, al_error_t *err);

int
al_read_file_at (int dirfd, const char *path, size_t max_size, char **out, size_t *len, al_error_t *err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return al_err (err, errno, "open `%s`", path);
  return read_fd (fd, path, max_size, out, len, err);
}

int
al_read_regular_file_at (int dirfd, const char *path, size_t max_size, char **out, size_t *len, al_error_t *err)
{
  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  _cleanup_close_ int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return al_err (err, errno, "open `%s`", path);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return al_err (err, errno, "stat `%s`", path);
  if (!S_ISREG (st.st_mode))
    return al_err (err, 0, "`%s` is not a regular file", path);
  if (fcntl (fd, F_SETFL, 0) < 0)
    return al_err (err, errno, "fcntl `%s`", path);
  return read_fd (fd, path, max_size, out, len, err);
}

static int
read_fd (int fd, const char *path, size_t max_size, char **out, size_t *len, al_error_t *err)
{
  struct stat st;
  if (fstat (fd, &st) < 0)
    return al_err (err, errno, "stat `%s`", path);
  if (S_ISREG (st.st_mode) && (size_t) st.st_size > max_size)
    return al_err (err, EFBIG, "`%s` is %lld bytes, more than the %zu allowed", path, (long long) st.st_size, max_size);
  size_t cap = S_ISREG (st.st_mode) && st.st_size > 0 ? (size_t) st.st_size + 1 : 4096;
  size_t n = 0;
  char *buf = malloc (cap + 1);
  if (buf == NULL)
    return al_err (err, ENOMEM, "read `%s`", path);
  for (;;)
    {
      if (n == cap)
        {
          if (cap > max_size)
            {
              free (buf);
              return al_err (err, EFBIG, "`%s` is larger than the %zu bytes allowed", path, max_size);
            }
          cap *= 2;
          char *nb = realloc (buf, cap + 1);
          if (nb == NULL)
            {
              free (buf);
              return al_err (err, ENOMEM, "read `%s`", path);
            }
          buf = nb;
        }
      ssize_t r = read (fd, buf + n, cap - n);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          int e = errno;
          free (buf);
          return al_err (err, e, "read `%s`", path);
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  if (n > max_size)
    {
      free (buf);
      return al_err (err, EFBIG, "`%s` is larger than the %zu bytes allowed", path, max_size);
    }
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
}

int
al_write_file_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, al_error_t *err)
{
  int flags = O_WRONLY | O_TRUNC | O_CLOEXEC | (mode ? O_CREAT : 0);
  _cleanup_close_ int fd = openat (dirfd, path, flags, mode);
  if (fd < 0)
    return al_err (err, errno, "open `%s`", path);
  ssize_t w = al_write_all (fd, buf, len);
  if (w < 0)
    return al_err (err, (int) -w, "write `%s`", path);
  return 0;
}

int
al_write_file_atomic_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, al_error_t *err)
{
  _cleanup_free_ char *tmp = al_xasprintf ("%s.tmp", path);
  int r = al_write_file_at (dirfd, tmp, buf, len, mode ? mode : 0600, err);
  if (r < 0)
    return r;
  if (renameat (dirfd, tmp, dirfd, path) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return al_err (err, e, "rename `%s` to `%s`", tmp, path);
    }
  return 0;
}

int
al_mkdir_p (int dirfd, const char *path, mode_t mode, al_error_t *err)
{
  _cleanup_free_ char *p = al_xstrdup (path);
  for (char *s = p + 1; ; s++)
    {
      if (*s == '/' || *s == '\0')
        {
          char c = *s;
          *s = '\0';
          if (mkdirat (dirfd, p, mode) < 0 && errno != EEXIST)
            return al_err (err, errno, "mkdir `%s`", p);
          *s = c;
          if (c == '\0')
            break;
        }
    }
  return 0;
}

char *
al_escape (const char *s, size_t len, size_t max)
{
  size_t n = len < max ? len : max;
  char *out = al_xmalloc0 (n * 4 + 4);
  char *o = out;
  for (size_t i = 0; i < n; i++)
    {
      unsigned char c = (unsigned char) s[i];
      if (c == '\\' || c == '"')
        {
          *o++ = '\\';
          *o++ = (char) c;
        }
      else if (c >= 0x20 && c < 0x7f)
        *o++ = (char) c;
      else if (c == '\n' || c == '\t' || c == '\r')
        {
          *o++ = '\\';
          *o++ = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
        }
      else
        o += sprintf (o, "\\x%02x", c);
    }
  if (n < len)
    memcpy (o, "...", 4);
  else
    *o = '\0';
  return out;
}

static const struct
{
  const char *name;
  int sig;
} signal_table[] = {
  { "SIGABRT", SIGABRT }, { "SIGALRM", SIGALRM }, { "SIGBUS", SIGBUS }, { "SIGCHLD", SIGCHLD },
  { "SIGCONT", SIGCONT }, { "SIGFPE", SIGFPE }, { "SIGHUP", SIGHUP }, { "SIGILL", SIGILL },
  { "SIGINT", SIGINT }, { "SIGIO", SIGIO }, { "SIGIOT", SIGIOT }, { "SIGKILL", SIGKILL },
  { "SIGPIPE", SIGPIPE }, { "SIGPOLL", SIGPOLL }, { "SIGPROF", SIGPROF }, { "SIGPWR", SIGPWR },
  { "SIGQUIT", SIGQUIT }, { "SIGSEGV", SIGSEGV }, { "SIGSTKFLT", SIGSTKFLT }, { "SIGSTOP", SIGSTOP },
  { "SIGSYS", SIGSYS }, { "SIGTERM", SIGTERM }, { "SIGTRAP", SIGTRAP }, { "SIGTSTP", SIGTSTP },
  { "SIGTTIN", SIGTTIN }, { "SIGTTOU", SIGTTOU }, { "SIGURG", SIGURG }, { "SIGUSR1", SIGUSR1 },
  { "SIGUSR2", SIGUSR2 }, { "SIGVTALRM", SIGVTALRM }, { "SIGWINCH", SIGWINCH }, { "SIGXCPU", SIGXCPU },
  { "SIGXFSZ", SIGXFSZ },
};

int
al_parse_signal (const char *s)
{
  if (s == NULL || *s == '\0')
    return -EINVAL;
  if (isdigit ((unsigned char) *s))
    {
      char *end;
      errno = 0;
      long v = strtol (s, &end, 10);
      if (errno || *end || v <= 0 || v > SIGRTMAX)
        return -EINVAL;
      return (int) v;
    }
  const char *name = s;
  if (strncasecmp (name, "SIG", 3) == 0)
    name += 3;
  for (size_t i = 0; i < sizeof (signal_table) / sizeof (signal_table[0]); i++)
    if (strcasecmp (signal_table[i].name + 3, name) == 0)
      return signal_table[i].sig;
  if (strncasecmp (name, "RTMIN", 5) == 0 || strncasecmp (name, "RTMAX", 5) == 0)
    {
      bool min = strncasecmp (name, "RTMIN", 5) == 0;
      const char *rest = name + 5;
      long off = 0;
      if (*rest)
        {
          char *end;
          if (*rest != '+' && *rest != '-')
            return -EINVAL;
          off = strtol (rest, &end, 10);
          if (*end)
            return -EINVAL;
        }
      long v = (min ? SIGRTMIN : SIGRTMAX) + off;
      if (v < SIGRTMIN || v > SIGRTMAX)
        return -EINVAL;
      return (int) v;
    }
  return -EINVAL;
}

const char *
al_signal_name (int sig)
{
  for (size_t i = 0; i < sizeof (signal_table) / sizeof (signal_table[0]); i++)
    if (signal_table[i].sig == sig)
      return signal_table[i].name;
  return NULL;
}

bool
al_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

char *
al_rfc3339_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r (&ts.tv_sec, &tm);
  char buf[64];
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return al_xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

long
al_send_with_fd (int sock, const void *buf, size_t len, int fd)
{
  struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } ctl;
  memset (&ctl, 0, sizeof ctl);
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  ssize_t w;
  do
    w = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (w < 0 && errno == EINTR);
  return w < 0 ? -errno : (long) w;
}

void
al_mountinfo_unescape (char *s)
{
  char *w = s;
  for (char *r = s; *r;)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7')
        {
          *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
          r += 4;
        }
      else
        *w++ = *r++;
    }
  *w = '\0';
}
