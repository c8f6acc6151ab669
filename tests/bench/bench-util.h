/* What the benchmark programs share: medians, timed and measured child
 * processes, and the rows of the summary table `make bench` prints. */
#pragma once

#include <glib.h>

typedef struct {
  gint64 wall_us;     /* wall time of the whole process */
  long max_rss_kb;    /* peak resident set size (wait4's ru_maxrss) */
  int status;         /* as from waitpid */
  char *out;          /* its standard output, if asked for; owned */
} BenchRun;

double bench_median (GArray *values);
gboolean bench_run (const char *const *argv, const char *stdin_path,
                    gboolean keep_output, BenchRun *run, GError **error);
void bench_run_clear (BenchRun *run);
void bench_summary_row (const char *measure, const char *value,
                        const char *target, const char *met);
