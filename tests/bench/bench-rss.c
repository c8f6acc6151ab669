/* Peak memory of every vfpool command on the large host (16 PFs x 256 VFs,
 * 2000 guests of which 1500 hold a VF, leases to match), from wait4()'s
 * ru_maxrss, the median of BENCH_RSS_RUNS runs (5); and, when valgrind is
 * installed, the instructions (callgrind Ir) that `vfpool attach --dry-run
 * --print-xml` executes: a count that does not depend on machine load, for
 * before/after comparisons. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bench-host.h"
#include "bench-util.h"
#include "test-util.h"

#define RSS_TARGET_KB (20 * 1024)

typedef struct {
  const char *label;
  gboolean hook;          /* the hook binary rather than vfpool */
  gboolean libvirt;       /* needs -c URI */
  const char *stdin_name; /* a guest XML on stdin (hook calls) */
  const char *args[8];
} Command;

/* In this order: the ones that change the store come last, each undone by
 * the next (reserve/release), or harmless to what follows. */
static const Command commands[] = {
  { "status", FALSE, FALSE, NULL, { "status", NULL } },
  { "list", FALSE, FALSE, NULL, { "list", NULL } },
  { "list --json", FALSE, FALSE, NULL, { "list", "--json", NULL } },
  { "pf show 0000:10:00.0", FALSE, FALSE, NULL, { "pf", "show", "0000:10:00.0", NULL } },
  { "check", FALSE, FALSE, NULL, { "check", NULL } },
  { "attach g1999 --dry-run --print-xml", FALSE, TRUE, NULL, { "attach", "g1999", "--dry-run", "--print-xml", NULL } },
  { "audit", FALSE, TRUE, NULL, { "audit", NULL } },
  { "audit --json", FALSE, TRUE, NULL, { "audit", "--json", NULL } },
  { "reserve --owner rss", FALSE, FALSE, NULL, { "reserve", "--owner", "rss", NULL } },
  { "release --owner rss", FALSE, FALSE, NULL, { "release", "--owner", "rss", NULL } },
  { "hook: g1999 (no VF) prepare begin", TRUE, FALSE, "g1999", { "g1999", "prepare", "begin", "-", NULL } },
  { "hook: g1999 (no VF) release end", TRUE, FALSE, "g1999", { "g1999", "release", "end", "-", NULL } },
  { "hook: g0 (1 VF) prepare begin", TRUE, FALSE, "g0", { "g0", "prepare", "begin", "-", NULL } },
  { "hook: g0 (1 VF) release end", TRUE, FALSE, "g0", { "g0", "release", "end", "-", NULL } },
};

/* Runs one command once and returns its peak RSS in KiB (-1: it failed). */
static const char *hook_core;

static long
peak_rss (const char *bin, const BenchHost *host, const Command *c, const char *tdir)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *stdin_path = NULL;
  BenchRun run;
  int i;

  g_ptr_array_add (argv, g_strdup (bin));
  if (!c->hook)
    g_ptr_array_add (argv, g_strdup ("-q"));
  else
    {
      /* The front door execs the core for calls that concern vfpool;
       * ru_maxrss covers both images. */
      g_ptr_array_add (argv, g_strdup ("--hook-core"));
      g_ptr_array_add (argv, g_strdup (hook_core));
    }
  g_ptr_array_add (argv, g_strdup ("--config"));
  g_ptr_array_add (argv, g_strdup (host->conf));
  g_ptr_array_add (argv, g_strdup ("--sysfs-root"));
  g_ptr_array_add (argv, g_strdup (host->sysfs_root));
  if (c->libvirt)
    {
      g_ptr_array_add (argv, g_strdup ("-c"));
      g_ptr_array_add (argv, g_strdup (host->uri));
      g_ptr_array_add (argv, g_strdup ("--template-dir"));
      g_ptr_array_add (argv, g_strdup (tdir));
    }
  for (i = 0; c->args[i]; i++)
    g_ptr_array_add (argv, g_strdup (c->args[i]));
  g_ptr_array_add (argv, NULL);
  if (c->stdin_name != NULL)
    stdin_path = g_strdup_printf ("%s/%s.xml", host->dir, c->stdin_name);
  if (!bench_run ((const char *const *) argv->pdata, stdin_path, FALSE, &run, &error))
    {
      fprintf (stderr, "bench-rss: %s: %s\n", c->label, error->message);
      return -1;
    }
  /* audit exits 1 when it has findings; the host is built to have none. */
  if (!WIFEXITED (run.status) || WEXITSTATUS (run.status) != 0)
    {
      fprintf (stderr, "bench-rss: %s: exit status %d\n", c->label, run.status);
      return -1;
    }
  return run.max_rss_kb;
}

#define MAX_RUNS 21

static int
compare_long (gconstpointer a, gconstpointer b)
{
  long x = *(const long *) a, y = *(const long *) b;

  return (x > y) - (x < y);
}

/* The median of N peak RSS values; -1 when any run failed. */
static long
median_kb (const long *kbs, int n)
{
  long sorted[MAX_RUNS];
  int i;

  for (i = 0; i < n; i++)
    if (kbs[i] < 0)
      return -1;
  memcpy (sorted, kbs, n * sizeof *kbs);
  qsort (sorted, n, sizeof *sorted, compare_long);
  return sorted[n / 2];
}

/* One line of callgrind_annotate's inclusive listing: "1,234 (5.6%)  file:FN [obj]". */
static double
annotate_ir (const char *annotate, const char *function)
{
  g_auto (GStrv) lines = g_strsplit (annotate, "\n", -1);
  g_autofree char *needle = g_strdup_printf (":%s ", function);
  int i;

  for (i = 0; lines[i]; i++)
    if (strstr (lines[i], needle) != NULL
        || (strcmp (function, "PROGRAM TOTALS") == 0 && strstr (lines[i], function) != NULL))
      {
        g_autofree char *digits = g_strdup (lines[i]);
        char *w = digits, *r;

        for (r = digits; *r == ' ' || g_ascii_isdigit (*r) || *r == ','; r++)
          if (g_ascii_isdigit (*r))
            *w++ = *r;
        *w = '\0';
        return g_ascii_strtod (digits, NULL);
      }
  return -1;
}

/* callgrind of `vfpool attach test --dry-run --print-xml` against
 * test:///default (one guest: no 2000-guest test-driver parse in the
 * count), with the large host's sysfs, pool and store. */
static void
instruction_counts (const char *vfpool, const BenchHost *host, const char *tdir)
{
  g_autofree char *out_file = g_build_filename (host->dir, "callgrind.out", NULL);
  g_autofree char *out_opt = g_strdup_printf ("--callgrind-out-file=%s", out_file);
  const char *cg[] = { "valgrind", "--tool=callgrind", out_opt, vfpool, "-q", "--config", host->conf,
                       "--sysfs-root", host->sysfs_root, "-c", "test:///default", "--template-dir", tdir,
                       "attach", "test", "--dry-run", "--print-xml", NULL };
  const char *an[] = { "callgrind_annotate", "--inclusive=yes", "--threshold=100", out_file, NULL };
  static const struct { const char *fn, *what; } parts[] = {
    { "PROGRAM TOTALS", "whole command" },
    { "vfp_cli_load_host", "loading the host (sysfs)" },
    { "vfp_cli_open_guest", "opening the guest (libvirt)" },
    { "vfp_pool_reserve", "selection (vfp_pool_reserve)" },
    { "vfp_template_render", "the device XML (vfp_template_render)" },
  };
  g_autofree char *valgrind = g_find_program_in_path ("valgrind");
  g_autofree char *annotate = g_find_program_in_path ("callgrind_annotate");
  g_autoptr (GError) error = NULL;
  BenchRun run, ann;
  guint i;

  if (valgrind == NULL || annotate == NULL)
    {
      printf ("\n(valgrind or callgrind_annotate not installed: no instruction counts)\n");
      bench_summary_row ("callgrind Ir, `attach --dry-run --print-xml`", "skipped (no valgrind)", "-", "-");
      return;
    }
  cg[0] = valgrind;
  an[0] = annotate;
  if (!bench_run (cg, NULL, FALSE, &run, &error) || !WIFEXITED (run.status) || WEXITSTATUS (run.status) != 0
      || !bench_run (an, NULL, TRUE, &ann, &error))
    {
      fprintf (stderr, "bench-rss: callgrind failed: %s\n", error ? error->message : "non-zero exit");
      bench_summary_row ("callgrind Ir, `attach --dry-run --print-xml`", "failed", "-", "-");
      return;
    }
  printf ("\n| `attach test --dry-run --print-xml` (test:///default, 4096 VFs, 1500 leases) | instructions (Ir, inclusive) |\n|---|---|\n");
  for (i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      double ir = annotate_ir (ann.out, parts[i].fn);
      g_autofree char *measure = g_strdup_printf ("callgrind Ir, attach --dry-run: %s", parts[i].what);
      g_autofree char *value = ir < 0 ? g_strdup ("not found") : g_strdup_printf ("%.1f M", ir / 1e6);

      printf ("| %s | %s |\n", parts[i].what, value);
      bench_summary_row (measure, value, "-", "-");
    }
  bench_run_clear (&ann);
}

int
main (int argc, char **argv)
{
  const char *vfpool = g_getenv ("VFPOOL");
  const char *hook = g_getenv ("VFPOOL_HOOK");
  const char *tdir = g_getenv ("TEMPLATE_DIR") ? g_getenv ("TEMPLATE_DIR") : "xml-templates";
  const char *runs_env = g_getenv ("BENCH_RSS_RUNS");
  int runs = runs_env ? CLAMP (atoi (runs_env), 1, MAX_RUNS) : 5;
  long kbs[G_N_ELEMENTS (commands)][MAX_RUNS];
  g_autofree char *dir = NULL;
  g_autoptr (BenchHost) host = NULL;
  guint i;
  int pass;

  hook_core = g_getenv ("VFPOOL_HOOK_CORE");
  if (vfpool == NULL || hook == NULL || hook_core == NULL)
    {
      fprintf (stderr, "usage: VFPOOL=src/vfpool VFPOOL_HOOK=hooks/vfpool-hook VFPOOL_HOOK_CORE=hooks/vfpool-hook-core "
               "[TEMPLATE_DIR=xml-templates] [BENCH_RSS_RUNS=5] %s\n", argv[0]);
      return 2;
    }
  dir = g_dir_make_tmp ("vfpool-bench-rss-XXXXXX", NULL);
  host = bench_host_build (dir, 16, 2000, 1500);
  for (i = 0; i < 2; i++)
    {
      int g = i == 0 ? 0 : 1999;
      g_autofree char *path = g_strdup_printf ("%s/g%d.xml", dir, g);
      g_autofree char *xml = bench_host_guest_xml (host, g, TRUE);

      g_assert_true (g_file_set_contents (path, xml, -1, NULL));
    }

  /* Peak RSS varies by +-150 KB from run to run (ASLR moves the 64 KB
   * fault-around windows over the libraries' code): the median of RUNS
   * passes over the whole table, each pass leaving the store as it was. */
  for (pass = 0; pass < runs; pass++)
    for (i = 0; i < G_N_ELEMENTS (commands); i++)
      {
        const Command *c = &commands[i];

        kbs[i][pass] = peak_rss (c->hook ? hook : vfpool, host, c, tdir);
      }
  printf ("| command (16 PFs x 256 VFs, 2000 guests, 1500 leases; median of %d) | peak RSS | <= 20 MB |\n|---|---|---|\n",
          runs);
  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      const Command *c = &commands[i];
      long kb = median_kb (kbs[i], runs);
      g_autofree char *measure = g_strdup_printf ("peak RSS, `%s`", c->label);
      g_autofree char *value = kb < 0 ? g_strdup ("failed") : g_strdup_printf ("%.1f MB", kb / 1024.0);
      /* libvirt's test driver runs inside vfpool here and holds the 2000
       * guests itself (see the virsh reference row): bench-workflow
       * measures these commands against a real libvirtd instead. */
      const char *met = c->libvirt ? "- (test driver in-process)"
                        : kb >= 0 && kb <= RSS_TARGET_KB ? "yes" : "no";

      printf ("| `%s` | %s | %s |\n", c->label, value, met);
      bench_summary_row (measure, value, c->libvirt ? "-" : "<= 20 MB", met);
    }
  {
    /* For scale: what libvirt's test driver alone holds for this host
     * (vfpool's audit and attach load it in-process). */
    const char *virsh_argv[] = { "virsh", "-q", "-c", host->uri, "list", "--all", "--name", NULL };
    g_autofree char *virsh = g_find_program_in_path ("virsh");
    g_autoptr (GError) error = NULL;
    BenchRun run;

    virsh_argv[0] = virsh;
    if (virsh != NULL && bench_run (virsh_argv, NULL, FALSE, &run, &error))
      printf ("| (reference: `virsh -c test:///host.xml list --all`, the test driver's own share) | %.1f MB | |\n",
              run.max_rss_kb / 1024.0);
  }
  fflush (stdout);
  instruction_counts (vfpool, host, tdir);
  if (g_getenv ("BENCH_KEEP") != NULL)
    fprintf (stderr, "kept: --config %s --sysfs-root %s -c %s\n", host->conf, host->sysfs_root, host->uri);
  else
    test_remove_tree (dir);
  return 0;
}
