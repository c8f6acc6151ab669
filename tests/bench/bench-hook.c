/* The qemu hook's cost per call, as libvirtd pays it: exec, read the XML,
 * answer. Compared in the same run with exec of /bin/true. Guests: one
 * without vfpool devices, one with 4 VFs (prepare claims them, release
 * frees them). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>

#include "bench-util.h"
#include "fake-sysfs.h"
#include "test-util.h"

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* Wall time in microseconds of running ARGV with STDIN_PATH. */
static gint64
run_us (const char *const *argv, const char *stdin_path)
{
  g_autoptr (GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                                                 | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr (GSubprocess) p = NULL;
  g_autoptr (GError) error = NULL;
  gint64 t0;

  g_subprocess_launcher_set_stdin_file_path (l, stdin_path);
  t0 = g_get_monotonic_time ();
  p = g_subprocess_launcher_spawnv (l, argv, &error);
  if (p == NULL || !g_subprocess_wait (p, NULL, &error))
    {
      fprintf (stderr, "bench-hook: %s\n", error->message);
      exit (1);
    }
  return g_get_monotonic_time () - t0;
}

static double
median (GArray *us)
{
  g_array_sort (us, compare_gint64);
  return g_array_index (us, gint64, us->len / 2);
}

/* Median wall time in microseconds of running ARGV with STDIN_PATH, N times. */
static double
median_us (const char *const *argv, const char *stdin_path, int n)
{
  g_autoptr (GArray) us = g_array_new (FALSE, FALSE, sizeof (gint64));
  int i;

  for (i = 0; i < n; i++)
    {
      gint64 dt = run_us (argv, stdin_path);

      g_array_append_val (us, dt);
    }
  return median (us);
}

/* Medians of A and B run in turns, N times each: a prepare that claims VFs
 * and the release that frees them, so that each call does its work. */
static void
median_pair_us (const char *const *a, const char *const *b, const char *stdin_path, int n,
                double *ma, double *mb)
{
  g_autoptr (GArray) ua = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) ub = g_array_new (FALSE, FALSE, sizeof (gint64));
  int i;

  for (i = 0; i < n; i++)
    {
      gint64 x = run_us (a, stdin_path), y = run_us (b, stdin_path);

      g_array_append_val (ua, x);
      g_array_append_val (ub, y);
    }
  *ma = median (ua);
  *mb = median (ub);
}

static char *
guest_xml (const char *dir, const char *name, int n_vfs)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autofree char *path = g_strdup_printf ("%s/%s.xml", dir, name);
  int i;

  g_string_append_printf (s, "<domain type='qemu'><name>%s</name>"
                          "<uuid>00000000-0000-0000-0000-00000000000%d</uuid>"
                          "<memory>65536</memory><devices>"
                          "<interface type='network'><source network='default'/><model type='virtio'/></interface>",
                          name, n_vfs);
  for (i = 0; i < n_vfs; i++)
    g_string_append_printf (s, "<interface type='hostdev' managed='yes'><source>"
                            "<address type='pci' domain='0x0000' bus='0x05' slot='0x1%d' function='0x%d'/>"
                            "</source><alias name='ua-vfpool-%d'/></interface>",
                            i / 4, (i % 4) * 2, i);
  g_string_append (s, "</devices></domain>");
  g_assert_true (g_file_set_contents (path, s->str, -1, NULL));
  return g_steal_pointer (&path);
}

int
main (int argc, char **argv)
{
  const char *hook = g_getenv ("VFPOOL_HOOK");
  const char *core = g_getenv ("VFPOOL_HOOK_CORE");
  int n = argc > 1 ? atoi (argv[1]) : 101;
  g_autofree char *dir = g_dir_make_tmp ("vfpool-bench-hook-XXXXXX", NULL);
  g_autofree char *root = NULL, *conf = NULL, *state = NULL, *conf_text = NULL;
  g_autofree char *none = NULL, *four = NULL, *empty = NULL;
  double t_true, t_none_prep, t_none_rel, t_four_prep, t_four_rel;

  if (hook == NULL || core == NULL)
    {
      fprintf (stderr, "usage: VFPOOL_HOOK=hooks/vfpool-hook VFPOOL_HOOK_CORE=hooks/vfpool-hook-core %s [N]\n", argv[0]);
      return 2;
    }
  root = fake_sysfs_build (dir, &fake_demo_options, fake_demo_host, fake_demo_host_len, NULL);
  state = g_build_filename (dir, "state", NULL);
  conf = g_build_filename (dir, "vfpool.conf", NULL);
  conf_text = g_strdup_printf ("[vfpool]\nstate-dir=%s\n[pool p]\npfs=enp5s0f0\n", state);
  g_assert_true (g_file_set_contents (conf, conf_text, -1, NULL));
  none = guest_xml (dir, "none", 0);
  four = guest_xml (dir, "four", 4);
  empty = g_build_filename (dir, "empty", NULL);
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));

  {
    const char *t[] = { "/bin/true", NULL };
    const char *np[] = { hook, "--hook-core", core, "--config", conf, "--sysfs-root", root, "none", "prepare", "begin", "-", NULL };
    const char *nr[] = { hook, "--hook-core", core, "--config", conf, "--sysfs-root", root, "none", "release", "end", "-", NULL };
    const char *fp[] = { hook, "--hook-core", core, "--config", conf, "--sysfs-root", root, "four", "prepare", "begin", "-", NULL };
    const char *fr[] = { hook, "--hook-core", core, "--config", conf, "--sysfs-root", root, "four", "release", "end", "-", NULL };

    t_true = median_us (t, empty, n);
    t_none_prep = median_us (np, none, n);
    t_none_rel = median_us (nr, none, n);
    median_pair_us (fp, fr, four, n, &t_four_prep, &t_four_rel);
  }
  printf ("| hook call (median of %d) | wall time | over /bin/true |\n|---|---|---|\n", n);
  printf ("| exec of `/bin/true` | %.2f ms | - |\n", t_true / 1000);
  printf ("| `prepare begin`, guest without VFs | %.2f ms | +%.2f ms |\n", t_none_prep / 1000, (t_none_prep - t_true) / 1000);
  printf ("| `release end`, guest without VFs | %.2f ms | +%.2f ms |\n", t_none_rel / 1000, (t_none_rel - t_true) / 1000);
  printf ("| `prepare begin`, guest with 4 VFs (claims them) | %.2f ms | +%.2f ms |\n", t_four_prep / 1000, (t_four_prep - t_true) / 1000);
  printf ("| `release end`, guest with 4 VFs (frees them) | %.2f ms | +%.2f ms |\n", t_four_rel / 1000, (t_four_rel - t_true) / 1000);
  {
    /* Issue 9: a call for a guest without VFs costs at most 2 ms over exec. */
    g_autofree char *prep = g_strdup_printf ("%.2f ms over /bin/true (%.2f ms)", (t_none_prep - t_true) / 1000, t_none_prep / 1000);
    g_autofree char *rel = g_strdup_printf ("%.2f ms over /bin/true (%.2f ms)", (t_none_rel - t_true) / 1000, t_none_rel / 1000);

    bench_summary_row ("hook `prepare begin`, guest without VFs", prep, "<= 2 ms", t_none_prep - t_true <= 2000 ? "yes" : "no");
    bench_summary_row ("hook `release end`, guest without VFs", rel, "<= 2 ms", t_none_rel - t_true <= 2000 ? "yes" : "no");
  }
  test_remove_tree (dir);
  return 0;
}
