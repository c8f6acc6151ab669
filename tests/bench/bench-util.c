/* What the benchmark programs share: medians, timed and measured child
 * processes, and the rows of the summary table `make bench` prints. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib-unix.h>

#include "bench-util.h"

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* The median of an array of doubles (sorts it). */
double
bench_median (GArray *values)
{
  g_array_sort (values, compare_double);
  return g_array_index (values, double, values->len / 2);
}

/* Reads FD to its end into a new string. */
static char *
read_all (int fd)
{
  g_autoptr (GString) s = g_string_new (NULL);
  char buf[65536];
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      g_string_append_len (s, buf, n);
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Runs ARGV (stdin from STDIN_PATH or /dev/null, stderr to /dev/null) and
 * fills RUN with its wall time, peak RSS and exit status; its output is
 * kept in RUN->out with KEEP_OUTPUT, else thrown away. wait4() gives the
 * child's own rusage, so the figure is that command's and nobody else's. */
gboolean
bench_run (const char *const *argv, const char *stdin_path, gboolean keep_output,
           BenchRun *run, GError **error)
{
  g_autoptr (GError) local = NULL;
  struct rusage ru;
  GPid pid;
  int in_fd = -1, pipe_fds[2] = { -1, -1 };
  gint64 t0;

  memset (run, 0, sizeof *run);
  if (stdin_path != NULL && (in_fd = open (stdin_path, O_RDONLY | O_CLOEXEC)) < 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "cannot open %s: %s", stdin_path, g_strerror (errno));
      return FALSE;
    }
  if (keep_output && !g_unix_open_pipe (pipe_fds, FD_CLOEXEC, error))
    {
      if (in_fd >= 0)
        close (in_fd);
      return FALSE;
    }
  t0 = g_get_monotonic_time ();
  if (!g_spawn_async_with_fds (NULL, (char **) argv, NULL,
                               G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL
                               | (in_fd < 0 ? G_SPAWN_STDIN_FROM_DEV_NULL : 0)
                               | (keep_output ? 0 : G_SPAWN_STDOUT_TO_DEV_NULL),
                               NULL, NULL, &pid, in_fd, pipe_fds[1], -1, &local))
    {
      if (in_fd >= 0)
        close (in_fd);
      if (keep_output)
        {
          close (pipe_fds[0]);
          close (pipe_fds[1]);
        }
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (in_fd >= 0)
    close (in_fd);
  if (keep_output)
    {
      close (pipe_fds[1]);
      run->out = read_all (pipe_fds[0]);
      close (pipe_fds[0]);
    }
  while (wait4 (pid, &run->status, 0, &ru) < 0)
    if (errno != EINTR)
      {
        g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                     "wait4: %s", g_strerror (errno));
        return FALSE;
      }
  run->wall_us = g_get_monotonic_time () - t0;
  run->max_rss_kb = ru.ru_maxrss;
  return TRUE;
}

void
bench_run_clear (BenchRun *run)
{
  g_clear_pointer (&run->out, g_free);
}

/* Appends one row of the final table to $BENCH_SUMMARY (tab-separated:
 * measure, median, target, met), if that is set. */
void
bench_summary_row (const char *measure, const char *value, const char *target, const char *met)
{
  const char *path = g_getenv ("BENCH_SUMMARY");
  FILE *f;

  if (path == NULL || (f = fopen (path, "a")) == NULL)
    return;
  fprintf (f, "%s\t%s\t%s\t%s\n", measure, value, target, met);
  fclose (f);
}
