/* The large host of the benchmarks (bench-audit, bench-rss, bench-workflow):
 * a fake sysfs tree of N_PFS PFs x 256 VFs, each VF alone in its IOMMU
 * group, in one pool; N_GUESTS guests of which the first N_HOLDING hold one
 * VF each (guest I takes VF I / N_PFS of PF I % N_PFS, so the held VFs are
 * spread over every PF); leases and vfpool metadata to match. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "bench-host.h"
#include "fake-sysfs.h"
#include "vfp-state.h"

/* VF I of PF P: bus 0x10 + 2P (two buses per PF hold 256 VFs at stride 1). */
static char *
vf_address (int p, int i)
{
  int rid = ((0x10 + 2 * p) << 8) + 1 + i;

  return g_strdup_printf ("0000:%02x:%02x.%x", rid >> 8, (rid >> 3) & 0x1f, rid & 7);
}

static char *
guest_uuid (int i)
{
  return g_strdup_printf ("00000000-0000-0000-0000-%012d", i);
}

/* "gI": the guests' names. */
char *
bench_host_guest_name (int i)
{
  return g_strdup_printf ("g%d", i);
}

/* The VF guest I holds, or NULL. */
static char *
held_vf (const BenchHost *host, int i)
{
  return i < host->n_holding ? vf_address (i % host->n_pfs, i / host->n_pfs) : NULL;
}

/* Guest I's XML: for the test driver (type='test'), or with QEMU a TCG
 * guest a real libvirtd accepts. Generated text, not user input: the only
 * values are numbers and the bench's own names. */
char *
bench_host_guest_xml (const BenchHost *host, int i, gboolean qemu)
{
  g_autoptr (GString) s = g_string_new (NULL);
  g_autofree char *uuid = guest_uuid (i);
  g_autofree char *vf = held_vf (host, i);

  g_string_append_printf (s, "<domain type='%s'><name>g%d</name><uuid>%s</uuid>",
                          qemu ? "qemu" : "test", i, uuid);
  if (vf != NULL)
    g_string_append_printf (s, "<metadata><vfpool:vfpool xmlns:vfpool='http://vfpool.org/xmlns/vfpool/1'>"
                            "<vfpool:vf alias='ua-vfpool-0' pool='big' address='%s'/></vfpool:vfpool></metadata>", vf);
  g_string_append (s, "<memory>65536</memory>");
  if (qemu)
    g_string_append (s, "<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os>"
                     "<devices><emulator>/usr/bin/qemu-system-x86_64</emulator>");
  else
    g_string_append (s, "<os><type>hvm</type></os><devices>");
  if (vf != NULL)
    {
      unsigned d, b, sl, fn;

      sscanf (vf, "%x:%x:%x.%x", &d, &b, &sl, &fn);
      g_string_append_printf (s, "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
                              "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>"
                              "</source><alias name='ua-vfpool-0'/></hostdev>", d, b, sl, fn);
    }
  g_string_append (s, "</devices></domain>\n");
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Builds the sysfs tree of N_PFS PFs in DIR (which the caller made and
 * removes), then the guests (bench_host_set_guests). */
BenchHost *
bench_host_build (const char *dir, int n_pfs, int n_guests, int n_holding)
{
  g_autoptr (BenchHost) host = g_new0 (BenchHost, 1);
  g_autofree FakePciFunction *f = g_new0 (FakePciFunction, n_pfs);
  g_autoptr (GError) error = NULL;
  int i;

  host->dir = g_strdup (dir);
  host->n_pfs = n_pfs;
  host->vfs_per_pf = BENCH_HOST_VFS_PER_PF;
  host->pfs = g_ptr_array_new_with_free_func (g_free);
  host->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  host->conf = g_build_filename (dir, "vfpool.conf", NULL);
  host->host_xml = g_build_filename (dir, "host.xml", NULL);
  host->uri = g_strdup_printf ("test://%s", host->host_xml);
  for (i = 0; i < n_pfs; i++)
    {
      f[i] = fake_demo_host[1];
      f[i].bridge = NULL;
      f[i].address = g_strdup_printf ("0000:%02x:00.0", 0x10 + 2 * i);
      f[i].netdev = NULL;
      f[i].vf_netdev_fmt = NULL;
      f[i].total_vfs = f[i].initial_vfs = f[i].num_vfs = BENCH_HOST_VFS_PER_PF;
      f[i].vf_offset = 1;
      f[i].vf_stride = 1;
      f[i].iommu_group = 100000 + i;
      f[i].vf_iommu_group_base = 1000 + i * BENCH_HOST_VFS_PER_PF;
      g_ptr_array_add (host->pfs, (char *) f[i].address);
    }
  host->sysfs_root = fake_sysfs_build (dir, &fake_demo_options, f, n_pfs, &error);
  g_assert_no_error (error);
  bench_host_set_guests (host, n_guests, n_holding);
  return g_steal_pointer (&host);
}

/* Gives the host N_GUESTS guests of which the first N_HOLDING hold a VF:
 * a new lease store and configuration (the sysfs tree stays), and the
 * test-driver host file. Building 4096 VFs' sysfs takes long on a busy
 * disk; this lets one tree serve several guest counts. */
void
bench_host_set_guests (BenchHost *host, int n_guests, int n_holding)
{
  g_autoptr (GString) pfs = g_string_new (NULL);
  g_autoptr (GString) xml = g_string_new ("<node>\n");
  g_autoptr (GError) error = NULL;
  g_autofree char *conf_text = NULL;
  g_autoptr (VfpState) state = NULL;
  guint p;
  int i;

  host->n_guests = n_guests;
  host->n_holding = n_holding;
  g_hash_table_remove_all (host->held);
  g_free (host->state_dir);
  host->state_dir = g_strdup_printf ("%s/state-%d", host->dir, n_guests);
  for (p = 0; p < host->pfs->len; p++)
    g_string_append_printf (pfs, "%s%s", p ? "," : "", (char *) host->pfs->pdata[p]);
  conf_text = g_strdup_printf ("[vfpool]\nstate-dir=%s\n[pool big]\npfs=%s\n", host->state_dir, pfs->str);
  g_assert_true (g_file_set_contents (host->conf, conf_text, -1, NULL));
  state = vfp_state_open (host->state_dir, 1000, &error);
  g_assert_no_error (error);
  for (i = 0; i < n_guests; i++)
    {
      g_autofree char *guest = bench_host_guest_xml (host, i, FALSE);
      g_autofree char *vf = held_vf (host, i);

      g_string_append (xml, guest);
      if (vf != NULL)
        {
          VfpLease *l = vfp_lease_new (vf);

          l->pf = g_intern_string (host->pfs->pdata[i % host->n_pfs]);
          l->pool = g_intern_string ("big");
          l->state = VFP_LEASE_ATTACHED;
          l->owner_uuid = guest_uuid (i);
          l->owner_name = bench_host_guest_name (i);
          l->alias = g_strdup ("ua-vfpool-0");
          l->live = l->config = TRUE;
          vfp_state_put (state, l);
          g_hash_table_insert (host->held, g_steal_pointer (&vf), bench_host_guest_name (i));
        }
    }
  g_string_append (xml, "</node>\n");
  g_assert_true (vfp_state_save (state, NULL));
  g_assert_true (g_file_set_contents (host->host_xml, xml->str, -1, NULL));
}

/* --config, --sysfs-root and -c for vfpool on this host (test driver). */
GPtrArray *
bench_host_vfpool_args (const BenchHost *host)
{
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (args, g_strdup ("--config"));
  g_ptr_array_add (args, g_strdup (host->conf));
  g_ptr_array_add (args, g_strdup ("--sysfs-root"));
  g_ptr_array_add (args, g_strdup (host->sysfs_root));
  g_ptr_array_add (args, g_strdup ("-c"));
  g_ptr_array_add (args, g_strdup (host->uri));
  return args;
}

/* Whether ADDRESS ("0000:10:00.1") is a VF of one of the pool's PFs. */
gboolean
bench_host_is_pool_vf (const BenchHost *host, const char *address)
{
  int p, v;

  for (p = 0; p < host->n_pfs; p++)
    for (v = 0; v < host->vfs_per_pf; v++)
      {
        g_autofree char *vf = vf_address (p, v);

        if (strcmp (vf, address) == 0)
          return TRUE;
      }
  return FALSE;
}

void
bench_host_free (BenchHost *host)
{
  if (host == NULL)
    return;
  g_free (host->dir);
  g_free (host->sysfs_root);
  g_free (host->conf);
  g_free (host->state_dir);
  g_free (host->host_xml);
  g_free (host->uri);
  if (host->pfs)
    g_ptr_array_unref (host->pfs);
  if (host->held)
    g_hash_table_unref (host->held);
  g_free (host);
}
