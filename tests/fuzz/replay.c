/* replay.c: main() for a harness without libFuzzer: every file under the
 * directories given (default: tests/fuzz/corpus/NAME and
 * tests/fuzz/regress/NAME, NAME compiled in) goes through
 * LLVMFuzzerTestOneInput once. Prints TAP, one line per directory; a crash is
 * the process dying, after naming the input on stderr. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "FUZZ_NAME must name the harness"
#endif

/* The input being fed, named when the process dies on it. */
static const char *current;

static void
name_current (void)
{
  if (current == NULL)
    return;
  static const char pre[] = "# fuzz replay " FUZZ_NAME ": died on input ";
  if (write (2, pre, sizeof pre - 1) < 0 || write (2, current, strlen (current)) < 0 || write (2, "\n", 1) < 0)
    return;
}

static void
on_signal (int sig)
{
  name_current ();
  signal (sig, SIG_DFL);
  raise (sig);
}

/* Sanitizers report and exit without a signal: their death callback. */
extern void __sanitizer_set_death_callback (void (*cb) (void)) __attribute__ ((weak));

static int
cmp (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
feed (const char *path)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    return -errno;
  size_t cap = 4096, len = 0;
  uint8_t *buf = malloc (cap);
  size_t n;
  while (buf && (n = fread (buf + len, 1, cap - len, f)) > 0)
    if ((len += n) == cap)
      buf = realloc (buf, cap *= 2);
  fclose (f);
  if (buf == NULL)
    abort ();
  /* An exact-size copy (none at all for an empty input), so ASan sees
   * reads past the end. */
  uint8_t *in = malloc (len);
  if (in == NULL && len)
    abort ();
  if (len)
    memcpy (in, buf, len);
  free (buf);
  current = path;
  LLVMFuzzerTestOneInput (in, len);
  current = NULL;
  free (in);
  return 0;
}

/* 0 files fed is fine (an empty regress dir); -errno when unreadable. */
static int
replay_dir (const char *dir, size_t *fed)
{
  DIR *d = opendir (dir);
  *fed = 0;
  if (d == NULL)
    return errno == ENOENT ? 0 : -errno;
  char **names = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    {
      if (e->d_name[0] == '.')
        continue;
      names = realloc (names, (n + 1) * sizeof *names);
      if (names == NULL || asprintf (&names[n], "%s/%s", dir, e->d_name) < 0)
        abort ();
      n++;
    }
  closedir (d);
  if (n)
    qsort (names, n, sizeof *names, cmp);
  int r = 0;
  for (size_t i = 0; i < n; i++)
    {
      struct stat st;
      if (r == 0 && stat (names[i], &st) == 0 && S_ISREG (st.st_mode))
        {
          r = feed (names[i]);
          if (r == 0)
            (*fed)++;
        }
      free (names[i]);
    }
  free (names);
  return r;
}

int
main (int argc, char **argv)
{
  const char *defaults[] = { "tests/fuzz/corpus/" FUZZ_NAME, "tests/fuzz/regress/" FUZZ_NAME };
  const char **dirs = argc > 1 ? (const char **) argv + 1 : defaults;
  int n = argc > 1 ? argc - 1 : 2;
  int failed = 0;
  static const int sigs[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
    signal (sigs[i], on_signal);
  if (__sanitizer_set_death_callback)
    __sanitizer_set_death_callback (name_current);
  printf ("1..%d\n", n);
  fflush (stdout);
  for (int i = 0; i < n; i++)
    {
      size_t fed;
      int r = replay_dir (dirs[i], &fed);
      if (r < 0)
        {
          printf ("not ok %d - fuzz replay %s: %s: %s\n", i + 1, FUZZ_NAME, dirs[i], strerror (-r));
          failed++;
        }
      else
        printf ("ok %d - fuzz replay %s: %s: %zu inputs\n", i + 1, FUZZ_NAME, dirs[i], fed);
      fflush (stdout);
    }
  return failed ? 1 : 0;
}
