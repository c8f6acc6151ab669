/* The audit's cost as the host grows: 16 PFs x 256 VFs with 2000 guests of
 * which 1500 hold a VF (leases to match), then twice and four times that.
 * libvirt is the test driver (test:///FILE), so the figures include
 * libvirt's own parsing of the guests, as a real audit would. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake-sysfs.h"
#include "test-util.h"
#include "vfp-state.h"

static int
compare_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* VF I of PF P: bus 0x10 + 2P (two buses per PF hold 256 VFs at stride 1). */
static char *
vf_address (int p, int i)
{
  int rid = ((0x10 + 2 * p) << 8) + 1 + i;

  return g_strdup_printf ("0000:%02x:%02x.%x", rid >> 8, (rid >> 3) & 0x1f, rid & 7);
}

/* Builds the host of SCALE (1, 2, 4) in DIR; returns the vfpool arguments. */
static GPtrArray *
build (const char *dir, int scale)
{
  int n_pfs = 16 * scale, n_guests = 2000 * scale, n_holding = 1500 * scale;
  g_autofree FakePciFunction *f = g_new0 (FakePciFunction, n_pfs);
  g_autoptr (GString) pfs = g_string_new (NULL);
  g_autoptr (GString) host = g_string_new ("<node>\n");
  g_autoptr (GError) error = NULL;
  g_autofree char *root = NULL;
  g_autofree char *state_dir = g_build_filename (dir, "state", NULL);
  g_autofree char *conf = g_build_filename (dir, "vfpool.conf", NULL);
  g_autofree char *host_xml = g_build_filename (dir, "host.xml", NULL);
  g_autofree char *conf_text = NULL;
  g_autoptr (VfpState) state = NULL;
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);
  int i;

  for (i = 0; i < n_pfs; i++)
    {
      f[i] = fake_demo_host[1];
      f[i].bridge = NULL;
      f[i].address = g_strdup_printf ("0000:%02x:00.0", 0x10 + 2 * i);
      f[i].netdev = NULL;
      f[i].vf_netdev_fmt = NULL;
      f[i].total_vfs = f[i].initial_vfs = f[i].num_vfs = 256;
      f[i].vf_offset = 1;
      f[i].vf_stride = 1;
      f[i].iommu_group = 100000 + i;
      f[i].vf_iommu_group_base = 1000 + i * 256;
      g_string_append_printf (pfs, "%s%s", i ? "," : "", f[i].address);
    }
  root = fake_sysfs_build (dir, &fake_demo_options, f, n_pfs, &error);
  g_assert_no_error (error);
  conf_text = g_strdup_printf ("[vfpool]\nstate-dir=%s\n[pool big]\npfs=%s\n", state_dir, pfs->str);
  g_assert_true (g_file_set_contents (conf, conf_text, -1, NULL));
  state = vfp_state_open (state_dir, 1000, &error);
  g_assert_no_error (error);
  for (i = 0; i < n_guests; i++)
    {
      g_autofree char *uuid = g_strdup_printf ("00000000-0000-0000-0000-%012d", i);

      g_string_append_printf (host, "<domain type='test'><name>g%d</name><uuid>%s</uuid>", i, uuid);
      if (i < n_holding)
        {
          int p = i % n_pfs, v = i / n_pfs;
          g_autofree char *vf = vf_address (p, v);
          VfpLease *l = vfp_lease_new (vf);
          unsigned d, b, s, fn;

          sscanf (vf, "%x:%x:%x.%x", &d, &b, &s, &fn);
          g_string_append_printf (host, "<metadata><vfpool:vfpool xmlns:vfpool='http://vfpool.org/xmlns/vfpool/1'>"
                                  "<vfpool:vf alias='ua-vfpool-0' pool='big' address='%s'/></vfpool:vfpool></metadata>"
                                  "<memory>65536</memory><os><type>hvm</type></os><devices>", vf);
          g_string_append_printf (host, "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
                                  "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>"
                                  "</source><alias name='ua-vfpool-0'/></hostdev>", d, b, s, fn);
          l->pf = g_strdup (f[p].address);
          l->pool = g_strdup ("big");
          l->state = VFP_LEASE_ATTACHED;
          l->owner_uuid = g_strdup (uuid);
          l->owner_name = g_strdup_printf ("g%d", i);
          l->alias = g_strdup ("ua-vfpool-0");
          l->live = l->config = TRUE;
          vfp_state_put (state, l);
        }
      else
        g_string_append (host, "<memory>65536</memory><os><type>hvm</type></os><devices>");
      g_string_append (host, "</devices></domain>\n");
    }
  g_string_append (host, "</node>\n");
  g_assert_true (vfp_state_save (state, NULL));
  g_assert_true (g_file_set_contents (host_xml, host->str, -1, NULL));
  g_ptr_array_add (args, g_strdup ("--config"));
  g_ptr_array_add (args, g_strdup (conf));
  g_ptr_array_add (args, g_strdup ("--sysfs-root"));
  g_ptr_array_add (args, g_strdup (root));
  g_ptr_array_add (args, g_strdup ("-c"));
  g_ptr_array_add (args, g_strdup_printf ("test://%s", host_xml));
  for (i = 0; i < n_pfs; i++)
    g_free ((char *) f[i].address);
  return args;
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
      g_autoptr (GPtrArray) args = build (dir, scale);
      int findings = 0;
      double t = time_audit (vfpool, args, runs, &findings);

      if (scale == 1)
        base = t;
      printf ("| %dx | %d | %d (%d) | %.2f s%s | %.2f |\n", scale, 4096 * scale, 2000 * scale,
              1500 * scale, t, findings ? " (findings!)" : "", t / base);
      fflush (stdout);
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
