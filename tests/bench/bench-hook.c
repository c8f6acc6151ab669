/* The qemu hook's cost per call, as libvirtd pays it: exec, read the XML,
 * answer. Compared in the same run with exec of /bin/true, and with the
 * full hook run alone (what each call would cost without the libc-only
 * front door). Guests: one without vfpool devices, one with 4 VFs
 * (prepare claims them, release frees them). VFPOOL_HOOK_BASE and
 * VFPOOL_HOOK_CORE_BASE add another build's hook to the same rounds. */
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

/* One timed command: its arguments, its stdin, its times. */
typedef struct {
  const char *label;
  const char **argv;
  const char *stdin_path;
  GArray *us;               /* gint64 */
} Timed;

/* Runs the K commands of T in turns, N rounds, so that a machine whose
 * load changes during the run shifts them all alike; then a median each. */
static void
time_in_turns (Timed *t, int k, int n, double *medians)
{
  int i, j;

  for (j = 0; j < k; j++)
    t[j].us = g_array_new (FALSE, FALSE, sizeof (gint64));
  for (i = 0; i < n; i++)
    for (j = 0; j < k; j++)
      {
        gint64 dt = run_us ((const char *const *) t[j].argv, t[j].stdin_path);

        g_array_append_val (t[j].us, dt);
      }
  for (j = 0; j < k; j++)
    {
      medians[j] = median (t[j].us);
      g_array_unref (t[j].us);
    }
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

/* The argument vector of one hook call: through FRONT (the front door,
 * which runs CORE when the call may concern vfpool) or, with FRONT NULL,
 * of CORE alone (what every call would cost without the front door). */
static const char **
hook_argv (const char *front, const char *core, const char *conf, const char *state,
           const char *root, const char *guest, const char *op, const char *subop)
{
  GPtrArray *a = g_ptr_array_new ();

  if (front != NULL)
    {
      g_ptr_array_add (a, (gpointer) front);
      g_ptr_array_add (a, (gpointer) "--hook-core");
    }
  g_ptr_array_add (a, (gpointer) core);
  g_ptr_array_add (a, (gpointer) "--config");
  g_ptr_array_add (a, (gpointer) conf);
  if (state != NULL)
    {
      g_ptr_array_add (a, (gpointer) "--state-dir");
      g_ptr_array_add (a, (gpointer) state);
    }
  g_ptr_array_add (a, (gpointer) "--sysfs-root");
  g_ptr_array_add (a, (gpointer) root);
  g_ptr_array_add (a, (gpointer) guest);
  g_ptr_array_add (a, (gpointer) op);
  g_ptr_array_add (a, (gpointer) subop);
  g_ptr_array_add (a, (gpointer) "-");
  g_ptr_array_add (a, NULL);
  return (const char **) g_ptr_array_free (a, FALSE);
}

int
main (int argc, char **argv)
{
  const char *hook = g_getenv ("VFPOOL_HOOK");
  const char *core = g_getenv ("VFPOOL_HOOK_CORE");
  /* optional: another build's hook, timed in the same rounds (A/B) */
  const char *base_hook = g_getenv ("VFPOOL_HOOK_BASE");
  const char *base_core = g_getenv ("VFPOOL_HOOK_CORE_BASE");
  int n = argc > 1 ? atoi (argv[1]) : 101;
  g_autofree char *dir = g_dir_make_tmp ("vfpool-bench-hook-XXXXXX", NULL);
  g_autofree char *root = NULL, *conf = NULL, *state = NULL, *conf_text = NULL;
  g_autofree char *none = NULL, *four = NULL, *empty = NULL;
  const char *builds[2][3] = { { "", NULL, NULL }, { "base: ", NULL, NULL } };
  const char *t_argv[] = { "/bin/true", NULL };
  Timed t[16];
  char *state_dirs[2];
  double m[16];
  int k = 0, nb, b, j;

  if (hook == NULL || core == NULL)
    {
      fprintf (stderr, "usage: VFPOOL_HOOK=hooks/vfpool-hook VFPOOL_HOOK_CORE=hooks/vfpool-hook-core "
               "[VFPOOL_HOOK_BASE=... VFPOOL_HOOK_CORE_BASE=...] %s [N]\n", argv[0]);
      return 2;
    }
  builds[0][1] = hook;
  builds[0][2] = core;
  builds[1][1] = base_hook;
  builds[1][2] = base_core;
  nb = base_hook != NULL && base_core != NULL ? 2 : 1;
  root = fake_sysfs_build (dir, &fake_demo_options, fake_demo_host, fake_demo_host_len, NULL);
  state = g_build_filename (dir, "state", NULL);
  conf = g_build_filename (dir, "vfpool.conf", NULL);
  conf_text = g_strdup_printf ("[vfpool]\nstate-dir=%s\n[pool p]\npfs=enp5s0f0\n", state);
  g_assert_true (g_file_set_contents (conf, conf_text, -1, NULL));
  none = guest_xml (dir, "none", 0);
  four = guest_xml (dir, "four", 4);
  empty = g_build_filename (dir, "empty", NULL);
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));

  /* Guests without VFs: /bin/true, the front door, and the full hook
   * alone, in turns. */
  t[k++] = (Timed) { "exec of `/bin/true`", t_argv, empty, NULL };
  for (b = 0; b < nb; b++)
    {
      const char *h = builds[b][1], *c = builds[b][2];

      t[k++] = (Timed) { "`prepare begin`, guest without VFs", hook_argv (h, c, conf, NULL, root, "none", "prepare", "begin"), none, NULL };
      t[k++] = (Timed) { "`release end`, guest without VFs", hook_argv (h, c, conf, NULL, root, "none", "release", "end"), none, NULL };
      t[k++] = (Timed) { "`prepare begin`, guest without VFs, full hook alone", hook_argv (NULL, c, conf, NULL, root, "none", "prepare", "begin"), none, NULL };
      t[k++] = (Timed) { "`release end`, guest without VFs, full hook alone", hook_argv (NULL, c, conf, NULL, root, "none", "release", "end"), none, NULL };
    }
  time_in_turns (t, k, n, m);
  printf ("| hook call (median of %d, in turns) | wall time | over /bin/true |\n|---|---|---|\n", n);
  printf ("| %s | %.2f ms | - |\n", t[0].label, m[0] / 1000);
  for (j = 1; j < k; j++)
    printf ("| %s%s | %.2f ms | %+.2f ms |\n", builds[(j - 1) / 4][0], t[j].label, m[j] / 1000, (m[j] - m[0]) / 1000);
  {
    /* Issue 9: a call for a guest without VFs costs at most 2 ms over exec. */
    g_autofree char *prep = g_strdup_printf ("%.2f ms over /bin/true (%.2f ms)", (m[1] - m[0]) / 1000, m[1] / 1000);
    g_autofree char *rel = g_strdup_printf ("%.2f ms over /bin/true (%.2f ms)", (m[2] - m[0]) / 1000, m[2] / 1000);

    bench_summary_row ("hook `prepare begin`, guest without VFs", prep, "<= 2 ms", m[1] - m[0] <= 2000 ? "yes" : "no");
    bench_summary_row ("hook `release end`, guest without VFs", rel, "<= 2 ms", m[2] - m[0] <= 2000 ? "yes" : "no");
  }
  for (j = 1; j < k; j++)
    g_free (t[j].argv);

  /* A guest with 4 VFs: each build's prepare claims them and its release
   * frees them, each build on a store of its own, all in turns. */
  k = 0;
  for (b = 0; b < nb; b++)
    {
      const char *h = builds[b][1], *c = builds[b][2];
      char *st = g_strdup_printf ("%s/state-%d", dir, b);

      t[k++] = (Timed) { "`prepare begin`, guest with 4 VFs (claims them)", hook_argv (h, c, conf, st, root, "four", "prepare", "begin"), four, NULL };
      t[k++] = (Timed) { "`release end`, guest with 4 VFs (frees them)", hook_argv (h, c, conf, st, root, "four", "release", "end"), four, NULL };
      state_dirs[b] = st;
    }
  time_in_turns (t, k, n, m + 1);
  for (j = 0; j < k; j++)
    {
      printf ("| %s%s | %.2f ms | %+.2f ms |\n", builds[j / 2][0], t[j].label, m[j + 1] / 1000, (m[j + 1] - m[0]) / 1000);
      g_free (t[j].argv);
    }
  for (b = 0; b < nb; b++)
    g_free (state_dirs[b]);
  test_remove_tree (dir);
  return 0;
}
