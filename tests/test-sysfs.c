/* SR-IOV discovery on fake trees built from tables and on a tree captured
 * from a real kernel; broken trees warn and never stop the scan. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "fake-sysfs.h"
#include "test-util.h"
#include "vfp-error.h"
#include "vfp-sysfs.h"

typedef struct {
  char *dir;
  char *root;
} Fixture;

static void
fixture_demo (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  fx->dir = test_make_tmpdir ();
  fx->root = fake_sysfs_build (fx->dir, &fake_demo_options, fake_demo_host,
                               fake_demo_host_len, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  test_remove_tree (fx->dir);
  g_free (fx->dir);
  g_free (fx->root);
}

/* The scan's warnings joined, for assertions on what they name. */
static char *
warnings_text (VfpSysfs *sysfs)
{
  g_autoptr (GString) s = g_string_new (NULL);
  guint i;

  for (i = 0; i < sysfs->warnings->len; i++)
    g_string_append_printf (s, "%s\n", (char *) sysfs->warnings->pdata[i]);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_demo_host (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpSysfs) sysfs = vfp_sysfs_scan (fx->root, &error);
  g_autofree char *warnings = NULL;
  VfpPf *pf;
  VfpVf *vf;
  const char *expected[] = { "0000:05:10.0", "0000:05:10.2", "0000:05:10.4", "0000:05:10.6",
                             "0000:05:11.0", "0000:05:11.2", "0000:05:11.4", "0000:05:11.6" };
  guint i;

  g_assert_no_error (error);
  warnings = warnings_text (sysfs);
  g_assert_cmpstr (warnings, ==, "");
  /* bridges are not PFs */
  g_assert_cmpuint (sysfs->pfs->len, ==, 2);
  pf = sysfs->pfs->pdata[0];
  g_assert_cmpstr (pf->fn.address, ==, "0000:05:00.0");
  g_assert_cmphex (pf->fn.vendor_id, ==, 0x8086);
  g_assert_cmphex (pf->fn.device_id, ==, 0x10fb);
  g_assert_cmphex (pf->fn.class_code, ==, 0x020000);
  g_assert_cmpstr (pf->fn.driver, ==, "ixgbe");
  g_assert_cmpuint (pf->total_vfs, ==, 64);
  g_assert_cmpuint (pf->num_vfs, ==, 8);
  g_assert_cmpint (pf->vf_offset, ==, 128);
  g_assert_cmpint (pf->vf_stride, ==, 2);
  g_assert_cmphex (pf->vf_device_id, ==, 0x10ed);
  g_assert_cmpint (pf->fn.numa_node, ==, 0);
  g_assert_cmpint (pf->fn.iommu_group, ==, 40);
  g_assert_cmpstr (pf->fn.netdevs[0], ==, "enp5s0f0");
  g_assert_cmpstr (pf->fn.mac, ==, "90:e2:ba:76:86:a8");
  g_assert_cmpstr (pf->fn.operstate, ==, "up");
  g_assert_cmpuint (pf->vfs->len, ==, 8);
  for (i = 0; i < pf->vfs->len; i++)
    {
      vf = pf->vfs->pdata[i];
      g_assert_cmpstr (vf->fn.address, ==, expected[i]);
      g_assert_cmpuint (vf->index, ==, i);
      g_assert_true (vf->pf == pf);
      g_assert_cmpstr (vf->fn.driver, ==, "ixgbevf");
      g_assert_cmpint (vf->fn.iommu_group, ==, 100 + (int) i);
      g_assert_cmpuint (vf->fn.iommu_group_size, ==, 1);
      g_assert_cmphex (vf->fn.device_id, ==, 0x10ed);
    }

  pf = vfp_sysfs_find_pf (sysfs, "enp129s0f0np0");
  g_assert_nonnull (pf);
  g_assert_cmpstr (pf->fn.address, ==, "0000:81:00.0");
  g_assert_cmpint (pf->fn.numa_node, ==, 1);
  g_assert_true (vfp_sysfs_find_pf (sysfs, "81:00.0") == pf);
  g_assert_null (vfp_sysfs_find_pf (sysfs, "0000:00:03.0"));
  g_assert_null (vfp_sysfs_find_pf (sysfs, "eth9"));
  vf = vfp_sysfs_find_vf (sysfs, "0000:81:00.3");
  g_assert_nonnull (vf);
  g_assert_cmpuint (vf->index, ==, 1);
  g_assert_cmpstr (vf->fn.netdevs[0], ==, "enp129s0f0v1");
  g_assert_cmpuint (vfp_sysfs_count_vfs (sysfs), ==, 12);
}

/* The tree captured from a real kernel (QEMU NVMe with SR-IOV in the lab). */
static void
test_captured_tree (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *tarball = test_data_path ("sysfs-1-vfs-enabled.tar.gz");
  g_autofree char *root = g_build_filename (dir, "sysfs-snap", "sys", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpSysfs) sysfs = NULL;
  VfpPf *pf;

  g_assert_true (fake_sysfs_extract_fixture (tarball, dir, &error));
  g_assert_no_error (error);
  sysfs = vfp_sysfs_scan (root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sysfs->pfs->len, ==, 1);
  pf = sysfs->pfs->pdata[0];
  g_assert_cmpstr (pf->fn.address, ==, "0000:01:00.0");
  g_assert_cmpstr (pf->fn.driver, ==, "nvme");
  g_assert_cmpuint (pf->total_vfs, ==, 4);
  g_assert_cmpuint (pf->num_vfs, ==, 2);
  g_assert_cmpint (pf->fn.numa_node, ==, -1);
  g_assert_cmpuint (pf->vfs->len, ==, 2);
  g_assert_cmpstr (((VfpVf *) pf->vfs->pdata[0])->fn.address, ==, "0000:01:00.1");
  g_assert_cmpstr (((VfpVf *) pf->vfs->pdata[1])->fn.address, ==, "0000:01:00.2");
  g_assert_cmpint (((VfpVf *) pf->vfs->pdata[0])->fn.iommu_group, ==, 10);
  g_assert_cmpint (((VfpVf *) pf->vfs->pdata[1])->fn.iommu_group, ==, 11);
  g_assert_null (((VfpVf *) pf->vfs->pdata[0])->fn.driver);
  g_assert_cmpuint (sysfs->warnings->len, ==, 0);
  test_remove_tree (dir);
}

/* The second capture: VF 0 bound to vfio-pci, as during passthrough. */
static void
test_captured_vfio (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *tarball = test_data_path ("sysfs-2-vf0-vfio.tar.gz");
  g_autofree char *root = g_build_filename (dir, "sysfs-snap", "sys", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpSysfs) sysfs = NULL;
  VfpVf *vf;

  g_assert_true (fake_sysfs_extract_fixture (tarball, dir, &error));
  sysfs = vfp_sysfs_scan (root, &error);
  g_assert_no_error (error);
  vf = vfp_sysfs_find_vf (sysfs, "0000:01:00.1");
  g_assert_nonnull (vf);
  g_assert_cmpstr (vf->fn.driver, ==, "vfio-pci");
  test_remove_tree (dir);
}

static void
overwrite (const char *root, const char *rel, const char *contents)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
}

static void
remove_path (const char *root, const char *rel)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);

  g_assert_cmpint (unlink (path), ==, 0);
}

static void
relink (const char *root, const char *rel, const char *target)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);

  g_assert_cmpint (unlink (path), ==, 0);
  g_assert_cmpint (symlink (target, path), ==, 0);
}

/* Every kind of damage: the scan goes on, and the warning names the path. */
static void
test_broken_tree (Fixture *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpSysfs) sysfs = NULL;
  g_autofree char *warnings = NULL;
  VfpPf *pf;

  /* garbage NUMA node on the first PF */
  overwrite (fx->root, "bus/pci/devices/0000:05:00.0/numa_node", "banana\n");
  /* a VF the PF links to, whose bus/pci/devices entry is gone: skipped */
  remove_path (fx->root, "bus/pci/devices/0000:05:10.2");
  /* a dangling virtfn link */
  relink (fx->root, "bus/pci/devices/0000:05:00.0/virtfn2", "../0000:05:1f.7");
  /* a VF whose physfn names another PF */
  relink (fx->root, "bus/pci/devices/0000:05:10.6/physfn", "../../../0000:80:02.0/0000:81:00.0");
  /* sriov_numvfs says more than the links */
  overwrite (fx->root, "bus/pci/devices/0000:81:00.0/sriov_numvfs", "6\n");
  /* garbage sriov_offset */
  overwrite (fx->root, "bus/pci/devices/0000:81:00.0/sriov_offset", "\xff\xfe\n");

  sysfs = vfp_sysfs_scan (fx->root, &error);
  g_assert_no_error (error);
  warnings = warnings_text (sysfs);
  g_test_message ("%s", warnings);
  g_assert_nonnull (strstr (warnings, "0000:05:00.0/numa_node"));
  g_assert_nonnull (strstr (warnings, "0000:05:10.2: the device directory is missing"));
  g_assert_nonnull (strstr (warnings, "0000:05:1f.7"));
  g_assert_nonnull (strstr (warnings, "0000:05:10.6/physfn"));
  g_assert_nonnull (strstr (warnings, "sriov_numvfs says 6 VFs but 4 virtfn links"));
  g_assert_nonnull (strstr (warnings, "0000:81:00.0/sriov_offset"));

  g_assert_cmpuint (sysfs->pfs->len, ==, 2);
  pf = sysfs->pfs->pdata[0];
  g_assert_cmpint (pf->fn.numa_node, ==, -1);
  /* 8 links: one unreadable, one dangling, one foreign -> 5 VFs */
  g_assert_cmpuint (pf->vfs->len, ==, 5);
  g_assert_null (vfp_sysfs_find_vf (sysfs, "0000:05:10.2"));
  g_assert_null (vfp_sysfs_find_vf (sysfs, "0000:05:10.6"));
  g_assert_nonnull (vfp_sysfs_find_vf (sysfs, "0000:05:11.6"));
  pf = sysfs->pfs->pdata[1];
  g_assert_cmpint (pf->vf_offset, ==, -1);
  g_assert_cmpuint (pf->vfs->len, ==, 4);
}

/* The walk stops at the first missing virtfnN, as libvirt's does. */
/* A PF without a vendor id is no PF: skipped with a warning naming the file. */
static void
test_no_vendor (Fixture *fx, gconstpointer data)
{
  g_autoptr (VfpSysfs) sysfs = NULL;

  remove_path (fx->root, "bus/pci/devices/0000:81:00.0/vendor");
  sysfs = vfp_sysfs_scan (fx->root, NULL);
  g_assert_cmpuint (sysfs->pfs->len, ==, 1);
  g_assert_nonnull (strstr (sysfs->warnings->pdata[0], "0000:81:00.0/vendor"));
}

static void
test_virtfn_gap (Fixture *fx, gconstpointer data)
{
  g_autoptr (VfpSysfs) sysfs = NULL;
  VfpPf *pf;

  remove_path (fx->root, "bus/pci/devices/0000:05:00.0/virtfn3");
  sysfs = vfp_sysfs_scan (fx->root, NULL);
  pf = vfp_sysfs_find_pf (sysfs, "0000:05:00.0");
  g_assert_cmpuint (pf->vfs->len, ==, 3);
  g_assert_cmpuint (sysfs->warnings->len, ==, 1);
  g_assert_nonnull (strstr (sysfs->warnings->pdata[0], "sriov_numvfs says 8 VFs but 3"));
}

/* A PF whose sriov_totalvfs is garbage is not a PF; one that is 0 neither. */
static void
test_not_a_pf (Fixture *fx, gconstpointer data)
{
  g_autoptr (VfpSysfs) sysfs = NULL;

  overwrite (fx->root, "bus/pci/devices/0000:05:00.0/sriov_totalvfs", "lots\n");
  overwrite (fx->root, "bus/pci/devices/0000:81:00.0/sriov_totalvfs", "0\n");
  sysfs = vfp_sysfs_scan (fx->root, NULL);
  g_assert_cmpuint (sysfs->pfs->len, ==, 0);
  g_assert_cmpuint (sysfs->warnings->len, ==, 1);
  g_assert_nonnull (strstr (sysfs->warnings->pdata[0], "0000:05:00.0/sriov_totalvfs"));
}

/* A lazy scan lists the same VFs as a full one (from offset and stride, or
 * the virtfn links where the kernel gives none), and loading a VF reads
 * what the full scan read. */
static void
assert_lazy_matches_full (const char *root)
{
  g_autoptr (VfpSysfs) full = vfp_sysfs_scan (root, NULL);
  g_autoptr (VfpSysfs) lazy = vfp_sysfs_scan_mode (root, VFP_SYSFS_LAZY, NULL);
  guint i, j, k;

  g_assert_cmpuint (lazy->pfs->len, ==, full->pfs->len);
  for (i = 0; i < full->pfs->len; i++)
    {
      VfpPf *fp = full->pfs->pdata[i], *lp = lazy->pfs->pdata[i];

      g_assert_cmpstr (lp->fn.address, ==, fp->fn.address);
      g_assert_cmpuint (lp->vfs->len, ==, fp->vfs->len);
      for (j = 0; j < fp->vfs->len; j++)
        {
          VfpVf *f = fp->vfs->pdata[j], *l = lp->vfs->pdata[j];

          g_assert_true (f->loaded);
          g_assert_false (l->loaded);
          g_assert_cmpstr (l->fn.address, ==, f->fn.address);
          g_assert_cmpuint (l->index, ==, f->index);
          g_assert_cmphex (l->fn.vendor_id, ==, f->fn.vendor_id);
          g_assert_cmphex (l->fn.device_id, ==, f->fn.device_id);
          g_assert_cmphex (l->fn.class_code, ==, f->fn.class_code);
          g_assert_cmpint (l->fn.numa_node, ==, f->fn.numa_node);
          g_assert_null (l->fn.driver);
          /* the audit reads the driver alone */
          g_assert_cmpstr (vfp_sysfs_vf_driver (lazy, l), ==, f->fn.driver);
          g_assert_false (l->loaded);
          g_assert_true (vfp_sysfs_load_vf (lazy, l));
          g_assert_true (l->loaded);
          g_assert_cmpstr (l->fn.driver, ==, f->fn.driver);
          g_assert_cmpint (l->fn.iommu_group, ==, f->fn.iommu_group);
          g_assert_cmpuint (l->fn.iommu_group_size, ==, f->fn.iommu_group_size);
          g_assert_cmpstr (l->fn.mac, ==, f->fn.mac);
          g_assert_cmpstr (l->fn.operstate, ==, f->fn.operstate);
          g_assert_cmpuint (g_strv_length (l->fn.netdevs), ==, g_strv_length (f->fn.netdevs));
          for (k = 0; f->fn.netdevs[k]; k++)
            g_assert_cmpstr (l->fn.netdevs[k], ==, f->fn.netdevs[k]);
          g_assert_true (l->pf == lp);
        }
    }
  g_assert_cmpuint (lazy->warnings->len, ==, full->warnings->len);
}

static void
test_lazy_demo (Fixture *fx, gconstpointer data)
{
  assert_lazy_matches_full (fx->root);
}

/* An SR-IOV offset that puts the VFs past the last bus (no kernel gives
 * one; a hand-made or corrupted tree may): the lazy scan takes the VFs
 * from the virtfn links, as the full scan does, instead of numbers that
 * wrap round to other devices. */
static void
test_lazy_offset_past_last_bus (Fixture *fx, gconstpointer data)
{
  overwrite (fx->root, "bus/pci/devices/0000:05:00.0/sriov_offset", "65535\n");
  assert_lazy_matches_full (fx->root);
}

static void
test_lazy_captured (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *tarball = test_data_path ("sysfs-1-vfs-enabled.tar.gz");
  g_autofree char *root = g_build_filename (dir, "sysfs-snap", "sys", NULL);

  g_assert_true (fake_sysfs_extract_fixture (tarball, dir, NULL));
  assert_lazy_matches_full (root);
  test_remove_tree (dir);
}

/* A VF that vanished (or whose links disagree) between the lazy scan and
 * the read is refused with a warning naming the path, never read as
 * another device. */
static void
test_lazy_vanished (Fixture *fx, gconstpointer data)
{
  g_autoptr (VfpSysfs) sysfs = vfp_sysfs_scan_mode (fx->root, VFP_SYSFS_LAZY, NULL);
  g_autofree char *warnings = NULL;
  VfpVf *gone = vfp_sysfs_find_vf (sysfs, "0000:05:10.2");
  VfpVf *moved = vfp_sysfs_find_vf (sysfs, "0000:05:10.4");
  VfpVf *fine = vfp_sysfs_find_vf (sysfs, "0000:05:10.6");
  g_autofree char *link = g_build_filename (fx->root, "bus/pci/devices/0000:05:00.0/virtfn2", NULL);

  g_assert_nonnull (gone);
  remove_path (fx->root, "bus/pci/devices/0000:05:00.0/virtfn1");
  g_assert_cmpint (unlink (link), ==, 0);
  g_assert_cmpint (symlink ("../0000:05:10.6", link), ==, 0);
  g_assert_false (vfp_sysfs_load_vf (sysfs, gone));
  g_assert_true (gone->missing);
  g_assert_false (vfp_sysfs_load_vf (sysfs, gone));
  g_assert_false (vfp_sysfs_load_vf (sysfs, moved));
  g_assert_true (vfp_sysfs_load_vf (sysfs, fine));
  g_assert_cmpstr (fine->fn.driver, ==, "ixgbevf");
  warnings = warnings_text (sysfs);
  g_assert_nonnull (strstr (warnings, "0000:05:00.0/virtfn1: expected a link to VF 0000:05:10.2, found nothing"));
  g_assert_nonnull (strstr (warnings, "0000:05:00.0/virtfn2: expected a link to VF 0000:05:10.4, found 0000:05:10.6"));
}

static void
test_no_root (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpSysfs) sysfs = vfp_sysfs_scan ("/nonexistent/sys", &error);

  g_assert_null (sysfs);
  g_assert_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "/nonexistent/sys"));
  g_assert_nonnull (strstr (error->message, "--sysfs-root"));
}

/* Shared IOMMU groups are seen as shared. */
static void
test_shared_group (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  FakePciFunction f[] = { fake_demo_host[1] };
  g_autoptr (VfpSysfs) sysfs = NULL;
  g_autofree char *root = NULL;
  VfpPf *pf;
  guint i;

  f[0].bridge = NULL;
  f[0].vfs_share_group = TRUE;
  root = fake_sysfs_build (dir, &fake_demo_options, f, 1, NULL);
  sysfs = vfp_sysfs_scan (root, NULL);
  pf = sysfs->pfs->pdata[0];
  for (i = 0; i < pf->vfs->len; i++)
    {
      VfpVf *vf = pf->vfs->pdata[i];

      g_assert_cmpint (vf->fn.iommu_group, ==, 100);
      g_assert_cmpuint (vf->fn.iommu_group_size, ==, 8);
    }
  test_remove_tree (dir);
}

/* PFs come out in address order whatever the domain (0x1000 before
 * 0x10000, which a sort of the names would swap), with all their VFs, and
 * an entry whose name is no PCI address is still read for its warning. */
static void
test_domains (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  const char *addresses[] = { "10000:01:00.0", "1000:02:00.0", "0000:05:00.0" };
  const char *expected[] = { "0000:05:00.0", "1000:02:00.0", "10000:01:00.0" };
  FakePciFunction f[G_N_ELEMENTS (addresses)];
  g_autoptr (VfpSysfs) sysfs = NULL;
  g_autofree char *root = NULL;
  g_autofree char *alias = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      f[i] = fake_demo_host[1];
      f[i].address = addresses[i];
      f[i].bridge = NULL;
      f[i].netdev = NULL;
      f[i].vf_netdev_fmt = NULL;
      f[i].num_vfs = 3 + i;
      f[i].vf_offset = 1;
      f[i].vf_stride = 1;
      f[i].iommu_group = 10 + i;
      f[i].vf_iommu_group_base = 100 + 10 * i;
    }
  root = fake_sysfs_build (dir, &fake_demo_options, f, G_N_ELEMENTS (f), NULL);
  g_assert_nonnull (root);
  alias = g_build_filename (root, "bus/pci/devices/pf-alias", NULL);
  g_assert_cmpint (symlink ("0000:05:00.0", alias), ==, 0);

  sysfs = vfp_sysfs_scan (root, NULL);
  g_assert_cmpuint (sysfs->pfs->len, ==, 3);
  for (i = 0; i < 3; i++)
    {
      VfpPf *pf = sysfs->pfs->pdata[i];

      g_assert_cmpstr (pf->fn.address, ==, expected[i]);
      g_assert_cmpuint (pf->vfs->len, ==, pf->num_vfs);
    }
  g_assert_nonnull (vfp_sysfs_find_vf (sysfs, "10000:01:00.3"));
  g_assert_cmpuint (sysfs->warnings->len, ==, 1);
  g_assert_nonnull (strstr (sysfs->warnings->pdata[0], "pf-alias: the name is not a PCI address"));
  assert_lazy_matches_full (root);
  test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/vfpool/sysfs/demo-host", Fixture, NULL, fixture_demo, test_demo_host, fixture_teardown);
  g_test_add_func ("/vfpool/sysfs/captured-tree", test_captured_tree);
  g_test_add_func ("/vfpool/sysfs/captured-vfio", test_captured_vfio);
  g_test_add ("/vfpool/sysfs/broken-tree", Fixture, NULL, fixture_demo, test_broken_tree, fixture_teardown);
  g_test_add ("/vfpool/sysfs/no-vendor", Fixture, NULL, fixture_demo, test_no_vendor, fixture_teardown);
  g_test_add ("/vfpool/sysfs/virtfn-gap", Fixture, NULL, fixture_demo, test_virtfn_gap, fixture_teardown);
  g_test_add ("/vfpool/sysfs/not-a-pf", Fixture, NULL, fixture_demo, test_not_a_pf, fixture_teardown);
  g_test_add_func ("/vfpool/sysfs/no-root", test_no_root);
  g_test_add_func ("/vfpool/sysfs/shared-group", test_shared_group);
  g_test_add ("/vfpool/sysfs/lazy-demo", Fixture, NULL, fixture_demo, test_lazy_demo, fixture_teardown);
  g_test_add_func ("/vfpool/sysfs/lazy-captured", test_lazy_captured);
  g_test_add ("/vfpool/sysfs/lazy-offset-past-last-bus", Fixture, NULL, fixture_demo,
              test_lazy_offset_past_last_bus, fixture_teardown);
  g_test_add_func ("/vfpool/sysfs/domains", test_domains);
  g_test_add ("/vfpool/sysfs/lazy-vanished", Fixture, NULL, fixture_demo, test_lazy_vanished, fixture_teardown);
  return g_test_run ();
}
