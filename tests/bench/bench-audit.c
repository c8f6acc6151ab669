/* The audit's cost as the host grows: 16 PFs x 256 VFs with 2000 guests of
 * which 1500 hold a VF (leases to match), then twice and four times that.
 * libvirt is the test driver (test:///FILE), so the figures include
 * libvirt's own parsing of the guests, as a real audit would. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-host.h"
#include "bench-util.h"
#include "test-util.h"

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static double
time_audit (const char *vfpool, GPtrArray *args, int runs, int *findings)
{
  g_autoptr (GArray) us = g_array_new (FALSE, FALSE, sizeof (gint64));
  int r;

  for (r = 0; r < runs; r++)
    {
      g_autoptr (GPtrArray) argv = g_ptr_array_new ();
      g_autofree char *out = NULL;
      gint64 t0, dt;
      int status;
      guint i;

      g_ptr_array_add (argv, (gpointer) vfpool);
      g_ptr_array_add (argv, (gpointer) "-q");
      for (i = 0; i < args->len; i++)
        g_ptr_array_add (argv, args->pdata[i]);
      g_ptr_array_add (argv, (gpointer) "audit");
      g_ptr_array_add (argv, (gpointer) "--json");
      g_ptr_array_add (argv, NULL);
      t0 = g_get_monotonic_time ();
      g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                                   NULL, NULL, &out, NULL, &status, NULL));
      dt = g_get_monotonic_time () - t0;
      g_array_append_val (us, dt);
      *findings = out ? (int) (strstr (out, "\"clean\": true") == NULL) : -1;
    }
  g_array_sort (us, compare_gint64);
  return g_array_index (us, gint64, us->len / 2) / 1e6;
}

int
main (int argc, char **argv)
{
  const char *vfpool = g_getenv ("VFPOOL");
  int max_scale = argc > 1 ? atoi (argv[1]) : 4;
  int runs = argc > 2 ? atoi (argv[2]) : 3;
  double base = 0;
  int scale;

  if (vfpool == NULL)
    {
      fprintf (stderr, "usage: VFPOOL=src/vfpool %s [MAX_SCALE [RUNS [FIRST_SCALE]]]\n", argv[0]);
      return 2;
    }
  printf ("| host | VFs | guests (holding a VF) | audit, median of %d | vs 1x |\n|---|---|---|---|---|\n", runs);
  for (scale = argc > 3 ? atoi (argv[3]) : 1; scale <= max_scale; scale *= 2)
    {
      g_autofree char *dir = g_dir_make_tmp ("vfpool-bench-audit-XXXXXX", NULL);
      g_autoptr (BenchHost) host = bench_host_build (dir, 16 * scale, 2000 * scale, 1500 * scale);
      g_autoptr (GPtrArray) args = bench_host_vfpool_args (host);
      int findings = 0;
      double t = time_audit (vfpool, args, runs, &findings);

      if (scale == 1)
        base = t;
      printf ("| %dx | %d | %d (%d) | %.2f s%s | %.2f |\n", scale, 4096 * scale, 2000 * scale,
              1500 * scale, t, findings ? " (findings!)" : "", t / base);
      fflush (stdout);
      {
        /* Linear growth: at most SCALE times the 1x figure. The 1 s target
         * is judged against a real libvirtd (bench-audit-libvirtd.sh): here
         * libvirt's test driver runs in-process and parses the guests in
         * vfpool's time. */
        g_autofree char *measure = g_strdup_printf ("audit, %dx (%d VFs, %d guests), test driver in-process%s", scale,
                                                    4096 * scale, 2000 * scale, findings ? " FINDINGS" : "");
        g_autofree char *value = g_strdup_printf ("%.2f s (%.2fx the 1x)", t, t / base);
        g_autofree char *target = scale == 1 ? g_strdup ("-") : g_strdup_printf ("<= %dx the 1x", scale);
        const char *met = scale == 1 ? "-" : t / base <= scale ? "yes" : "no";

        bench_summary_row (measure, value, target, met);
      }
      if (g_getenv ("BENCH_KEEP") != NULL)
        {
          guint j;

          fprintf (stderr, "kept %dx:", scale);
          for (j = 0; j < args->len; j++)
            fprintf (stderr, " %s", (char *) args->pdata[j]);
          fprintf (stderr, "\n");
        }
      else
        test_remove_tree (dir);
    }
  return 0;
}
