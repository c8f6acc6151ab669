/* vfpool against what operators do today (virsh-workflow.sh: virsh and
 * standard tools only) to find a free VF for a guest and write its device
 * XML, on the same host: 16 PFs x 256 VFs in one pool, 100, 500 and 2000
 * guests of which 3/4 hold a VF. libvirt is a private real libvirtd
 * (tests/integration/libvirtd.sh) holding the guests' definitions, so a
 * virsh connection costs what it costs on a real host. Both answers are
 * checked: a VF of the pool that no guest holds. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-host.h"
#include "bench-util.h"
#include "test-util.h"

typedef struct {
  const char *vfpool;
  const char *script;
  const char *libvirtd_sh;
  const char *tdir;
  int runs;
} Setup;

/* The PCI address in the first <source><address .../> of a device XML
 * (either quote), as "0000:10:00.1"; NULL if there is none. */
static char *
chosen_vf (const char *xml)
{
  const char *src = xml ? strstr (xml, "<source") : NULL;
  const char *addr = src ? strstr (src, "<address") : NULL;
  const char *end = addr ? strchr (addr, '>') : NULL;
  const char *names[] = { " domain=", " bus=", " slot=", " function=" };
  unsigned v[4];
  int i;

  if (end == NULL)
    return NULL;
  for (i = 0; i < 4; i++)
    {
      const char *p = g_strstr_len (addr, end - addr, names[i]);

      if (p == NULL)
        return NULL;
      p += strlen (names[i]);
      if ((*p != '\'' && *p != '"') || strncmp (p + 1, "0x", 2) != 0
          || sscanf (p + 3, "%x", &v[i]) != 1)
        return NULL;
    }
  return g_strdup_printf ("%04x:%02x:%02x.%x", v[0], v[1], v[2], v[3]);
}

/* Runs ARGV RUNS times; returns the median wall time in seconds, or -1 when
 * a run failed or answered with a VF that is not free on HOST. */
static double
time_and_check (const char *label, const char *const *argv, int runs, const BenchHost *host)
{
  g_autoptr (GArray) s = g_array_new (FALSE, FALSE, sizeof (double));
  int r;

  for (r = 0; r < runs; r++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *vf = NULL;
      BenchRun run;
      double t;

      if (!bench_run (argv, NULL, TRUE, &run, &error))
        {
          fprintf (stderr, "bench-workflow: %s: %s\n", label, error->message);
          return -1;
        }
      vf = chosen_vf (run.out);
      if (!WIFEXITED (run.status) || WEXITSTATUS (run.status) != 0 || vf == NULL
          || !bench_host_is_pool_vf (host, vf) || g_hash_table_contains (host->held, vf))
        {
          fprintf (stderr, "bench-workflow: %s answered %s (status %d): not a free VF of the pool\n%s",
                   label, vf ? vf : "nothing", run.status, run.out ? run.out : "");
          bench_run_clear (&run);
          return -1;
        }
      if (r == 0)
        fprintf (stderr, "bench-workflow: %s chose %s (free)\n", label, vf);
      t = run.wall_us / 1e6;
      g_array_append_val (s, t);
      bench_run_clear (&run);
    }
  return bench_median (s);
}

/* Runs a function of libvirtd.sh in sh; prints its output if it fails. */
static gboolean
libvirtd_call (const Setup *setup, const char *call, const char *dir)
{
  g_autofree char *script = g_strdup_printf (". \"$0\" && %s \"$1\" vfpool-bench 49800", call);
  const char *argv[] = { "/bin/sh", "-c", script, setup->libvirtd_sh, dir, NULL };
  g_autoptr (GError) error = NULL;
  BenchRun run;
  gboolean ok;

  if (!bench_run (argv, NULL, TRUE, &run, &error))
    {
      fprintf (stderr, "bench-workflow: %s: %s\n", call, error->message);
      return FALSE;
    }
  ok = WIFEXITED (run.status) && WEXITSTATUS (run.status) == 0;
  if (!ok)
    fprintf (stderr, "bench-workflow: %s failed:\n%s", call, run.out ? run.out : "");
  bench_run_clear (&run);
  return ok;
}

/* Defines every guest of HOST through one virsh session. */
static gboolean
define_guests (const BenchHost *host, const char *uri)
{
  g_autofree char *cmds = g_build_filename (host->dir, "define.virsh", NULL);
  g_autoptr (GString) text = g_string_new (NULL);
  const char *argv[] = { "virsh", "-q", "-c", uri, NULL };
  const char *count_argv[] = { "virsh", "-q", "-c", uri, "list", "--all", "--name", NULL };
  g_autoptr (GError) error = NULL;
  BenchRun run;
  int i, defined = 0;
  char *p;

  for (i = 0; i < host->n_guests; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/guest-%d.xml", host->dir, i);
      g_autofree char *xml = bench_host_guest_xml (host, i, TRUE);

      g_assert_true (g_file_set_contents (path, xml, -1, NULL));
      g_string_append_printf (text, "define %s\n", path);
    }
  g_assert_true (g_file_set_contents (cmds, text->str, -1, NULL));
  if (!bench_run (argv, cmds, FALSE, &run, &error) || !bench_run (count_argv, NULL, TRUE, &run, &error))
    {
      fprintf (stderr, "bench-workflow: virsh: %s\n", error->message);
      return FALSE;
    }
  for (p = run.out; p && *p; p++)
    defined += *p == '\n';
  bench_run_clear (&run);
  if (defined < host->n_guests)
    fprintf (stderr, "bench-workflow: only %d of %d guests were defined\n", defined, host->n_guests);
  return defined >= host->n_guests;
}

/* Median wall time (s) and peak RSS (KiB) of `vfpool ARGS` against the
 * real libvirtd; -1 if a run failed. audit exits 0 only when clean. */
static double
time_vfpool (const Setup *setup, const BenchHost *host, const char *uri,
             const char *const *args, long *max_rss_kb)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GArray) s = g_array_new (FALSE, FALSE, sizeof (double));
  const char *command = args[0];
  int r;

  *max_rss_kb = 0;
  g_ptr_array_add (argv, (gpointer) setup->vfpool);
  g_ptr_array_add (argv, (gpointer) "-q");
  g_ptr_array_add (argv, (gpointer) "--config");
  g_ptr_array_add (argv, host->conf);
  g_ptr_array_add (argv, (gpointer) "--sysfs-root");
  g_ptr_array_add (argv, host->sysfs_root);
  g_ptr_array_add (argv, (gpointer) "-c");
  g_ptr_array_add (argv, (gpointer) uri);
  for (; *args; args++)
    g_ptr_array_add (argv, (gpointer) *args);
  g_ptr_array_add (argv, NULL);
  for (r = 0; r < setup->runs; r++)
    {
      g_autoptr (GError) error = NULL;
      BenchRun run;
      double t;

      if (!bench_run ((const char *const *) argv->pdata, NULL, FALSE, &run, &error)
          || !WIFEXITED (run.status) || WEXITSTATUS (run.status) != 0)
        {
          fprintf (stderr, "bench-workflow: vfpool %s failed\n", command);
          return -1;
        }
      t = run.wall_us / 1e6;
      g_array_append_val (s, t);
      *max_rss_kb = MAX (*max_rss_kb, run.max_rss_kb);
    }
  return bench_median (s);
}

/* One host size: guests, a libvirtd holding them, both ways timed, stop. */
static void
measure_size (const Setup *setup, BenchHost *host, int n_guests, GString *real_rows)
{
  g_autofree char *lv = g_strdup_printf ("%s/libvirtd-%d", host->dir, n_guests);
  g_autofree char *uri = g_strdup_printf ("qemu+unix:///system?socket=%s/run/libvirt-sock", lv);
  g_autoptr (GString) pfs = g_string_new (NULL);
  g_autofree char *guest = bench_host_guest_name (n_guests - 1);
  g_autofree char *measure = NULL, *measure1 = NULL;
  double t_script = -1, t_session = -1, t_vfpool = -1, t_audit = -1;
  long rss_attach = 0, rss_audit = 0, rss_audit_fix = 0, rss_attach_config = 0, rss_detach = 0;
  guint i;

  bench_host_set_guests (host, n_guests, n_guests * 3 / 4);
  measure = g_strdup_printf ("vs virsh workflow, %d guests (%d hold a VF)", n_guests, host->n_holding);
  measure1 = g_strdup_printf ("vs virsh workflow in one virsh session, %d guests", n_guests);
  for (i = 0; i < host->pfs->len; i++)
    g_string_append_printf (pfs, "%s%s", i ? "," : "", (char *) host->pfs->pdata[i]);
  if (libvirtd_call (setup, "libvirtd_start", lv))
    {
      if (define_guests (host, uri))
        {
          const char *script[] = { "/bin/sh", setup->script, uri, host->sysfs_root, pfs->str, guest, NULL };
          const char *session[] = { "/bin/sh", setup->script, "--one-session", uri, host->sysfs_root, pfs->str, guest, NULL };
          const char *vfpool[] = { setup->vfpool, "-q", "--config", host->conf, "--sysfs-root", host->sysfs_root,
                                   "-c", uri, "--template-dir", setup->tdir,
                                   "attach", guest, "--dry-run", "--print-xml", NULL };
          const char *attach[] = { "--template-dir", setup->tdir, "attach", guest, "--dry-run", "--print-xml", NULL };
          const char *audit[] = { "audit", "--json", NULL };

          t_vfpool = time_and_check ("vfpool attach --dry-run", vfpool, setup->runs, host);
          t_script = time_and_check ("virsh-workflow.sh", script, setup->runs, host);
          t_session = time_and_check ("virsh-workflow.sh --one-session", session, setup->runs, host);
          const char *audit_fix[] = { "audit", "--fix", "--json", NULL };
          const char *attach_config[] = { "--template-dir", setup->tdir, "attach", guest, "--config", NULL };
          const char *detach_all[] = { "detach", guest, "--all", NULL };
          int r;

          time_vfpool (setup, host, uri, attach, &rss_attach);
          t_audit = time_vfpool (setup, host, uri, audit, &rss_audit);
          time_vfpool (setup, host, uri, audit_fix, &rss_audit_fix);
          /* one VF attached to the persistent definition and detached
           * again, RUNS times: the store and the guest end as they began */
          for (r = 0; r < setup->runs; r++)
            {
              long a = 0, d = 0;
              Setup once = *setup;

              once.runs = 1;
              if (time_vfpool (&once, host, uri, attach_config, &a) < 0
                  || time_vfpool (&once, host, uri, detach_all, &d) < 0)
                {
                  rss_attach_config = rss_detach = -1;
                  break;
                }
              rss_attach_config = MAX (rss_attach_config, a);
              rss_detach = MAX (rss_detach, d);
            }
        }
      libvirtd_call (setup, "libvirtd_stop", lv);
    }
  if (t_vfpool > 0 && t_script > 0 && t_session > 0)
    {
      g_autofree char *value = g_strdup_printf ("%.1fx (virsh %.2f s, vfpool %.3f s)", t_script / t_vfpool, t_script, t_vfpool);
      g_autofree char *value1 = g_strdup_printf ("%.1fx (virsh %.2f s, vfpool %.3f s)", t_session / t_vfpool, t_session, t_vfpool);

      printf ("| %d (%d) | %.3f s | %.2f s | %.1fx | %.2f s | %.1fx |\n", n_guests, host->n_holding,
              t_vfpool, t_script, t_script / t_vfpool, t_session, t_session / t_vfpool);
      bench_summary_row (measure, value, n_guests >= 2000 ? ">= 50x" : "-",
                         n_guests >= 2000 ? (t_script / t_vfpool >= 50 ? "yes" : "no") : "-");
      bench_summary_row (measure1, value1, "-", "-");
    }
  else
    {
      printf ("| %d (%d) | failed (see above) | | | | |\n", n_guests, host->n_holding);
      bench_summary_row (measure, "FAILED", n_guests >= 2000 ? ">= 50x" : "-", "no");
    }
  if (t_audit > 0)
    g_string_append_printf (real_rows, "| %d (%d) | %.2f s | %.2f MB | %.2f MB | %.2f MB | %.2f MB | %.2f MB |\n",
                            n_guests, host->n_holding, t_audit, rss_audit / 1024.0, rss_audit_fix / 1024.0,
                            rss_attach / 1024.0, rss_attach_config / 1024.0, rss_detach / 1024.0);
  if (n_guests >= 2000)
    {
      const struct { const char *what; long kb; } rss[] = {
        { "attach --dry-run --print-xml", rss_attach }, { "attach --config", rss_attach_config },
        { "detach --all", rss_detach }, { "audit --json", rss_audit }, { "audit --fix --json", rss_audit_fix },
      };

      for (i = 0; i < G_N_ELEMENTS (rss); i++)
        {
          g_autofree char *m = g_strdup_printf ("peak RSS against libvirtd, %d guests: %s (largest of %d)",
                                                n_guests, rss[i].what, setup->runs);
          g_autofree char *v = rss[i].kb > 0 ? g_strdup_printf ("%.2f MB", rss[i].kb / 1024.0) : g_strdup ("FAILED");

          bench_summary_row (m, v, "<= 20 MB", rss[i].kb > 0 && rss[i].kb <= 20 * 1024 ? "yes" : "no");
        }
    }
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  Setup setup = { g_getenv ("VFPOOL"), g_getenv ("WORKFLOW_SH"), g_getenv ("LIBVIRTD_SH"),
                  g_getenv ("TEMPLATE_DIR") ? g_getenv ("TEMPLATE_DIR") : "xml-templates",
                  argc > 1 ? atoi (argv[1]) : 3 };
  g_auto (GStrv) sizes = g_strsplit (argc > 2 ? argv[2] : "100,500,2000", ",", -1);
  g_autofree char *libvirtd = g_find_program_in_path ("libvirtd");
  g_autofree char *qemu = g_find_program_in_path ("qemu-system-x86_64");
  const char *subreaper = g_getenv ("SUBREAPER");
  g_autoptr (GString) real_rows = g_string_new (NULL);
  g_autoptr (BenchHost) host = NULL;
  g_autofree char *dir = NULL;
  int i;

  if (setup.vfpool == NULL || setup.script == NULL || setup.libvirtd_sh == NULL || subreaper == NULL)
    {
      fprintf (stderr, "usage: VFPOOL=src/vfpool WORKFLOW_SH=tests/bench/virsh-workflow.sh "
               "LIBVIRTD_SH=tests/integration/libvirtd.sh SUBREAPER=tests/integration/subreaper "
               "[TEMPLATE_DIR=xml-templates] %s [RUNS [GUESTS,GUESTS...]]\n", argv[0]);
      return 2;
    }
  if (getuid () != 0 || libvirtd == NULL || qemu == NULL)
    {
      printf ("(virsh workflow comparison skipped: it needs root, libvirtd and qemu-system-x86_64 for a private libvirtd)\n");
      for (i = 0; sizes[i]; i++)
        {
          g_autofree char *m = g_strdup_printf ("vs virsh workflow, %s guests", sizes[i]);

          bench_summary_row (m, "skipped (no root/libvirtd)", "-", "-");
        }
      return 0;
    }
  printf ("| guests (holding a VF) | vfpool attach --dry-run --print-xml | virsh-workflow.sh | ratio | "
          "same, one virsh session | ratio |\n|---|---|---|---|---|---|\n");
  fflush (stdout);
  dir = g_dir_make_tmp ("vfpool-bench-workflow-XXXXXX", NULL);
  host = bench_host_build (dir, 16, 0, 0);
  for (i = 0; sizes[i]; i++)
    measure_size (&setup, host, atoi (sizes[i]), real_rows);
  /* What the test-driver figures of bench-audit and bench-rss cannot show:
   * vfpool against a daemon that has parsed its guests already. */
  printf ("\nThe same hosts against the real libvirtd (median of %d; RSS: the largest run):\n\n"
          "| guests (holding a VF) | `audit --json` | peak RSS: `audit --json` | `audit --fix --json` | "
          "`attach --dry-run` | `attach --config` | `detach --all` |\n"
          "|---|---|---|---|---|---|---|\n%s", setup.runs, real_rows->str);
  if (g_getenv ("BENCH_KEEP") != NULL)
    fprintf (stderr, "kept %s\n", dir);
  else
    test_remove_tree (dir);
  return 0;
}
