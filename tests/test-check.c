/* vfpool check: each prerequisite judged on trees that have or lack it. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fake-sysfs.h"
#include "test-util.h"
#include "vfp-check.h"

/* The result for ID on OBJECT, or NULL. */
static VfpCheckResult *
find (GPtrArray *results, const char *id, const char *object)
{
  guint i;

  for (i = 0; i < results->len; i++)
    {
      VfpCheckResult *r = results->pdata[i];

      if (strcmp (r->id, id) == 0 && strcmp (r->object, object) == 0)
        return r;
    }
  return NULL;
}

static GPtrArray *
check_tree (const FakeHostOptions *opts, const FakePciFunction *fns, gsize n,
            char **dir_out)
{
  g_autofree char *root = NULL;
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (GError) error = NULL;

  *dir_out = test_make_tmpdir ();
  root = fake_sysfs_build (*dir_out, opts, fns, n, &error);
  g_assert_no_error (error);
  host = vfp_host_load (root, VFP_HOST_PCI_DETAILS, &error);
  g_assert_no_error (error);
  return vfp_check_host (host, NULL);
}

static void
assert_status (GPtrArray *results, const char *id, const char *object,
               VfpCheckStatus status)
{
  VfpCheckResult *r = find (results, id, object);

  g_assert_nonnull (r);
  g_test_message ("%s %s: %s", id, object, r->message);
  g_assert_cmpint (r->status, ==, status);
  if (status == VFP_CHECK_PASS)
    g_assert_null (r->fix);
  else
    g_assert_nonnull (r->fix);
}

static void
test_demo_ready (void)
{
  g_autofree char *dir = NULL;
  g_autoptr (GPtrArray) r = check_tree (&fake_demo_options, fake_demo_host,
                                        fake_demo_host_len, &dir);
  guint i;

  for (i = 0; i < r->len; i++)
    g_assert_cmpint (((VfpCheckResult *) r->pdata[i])->status, ==, VFP_CHECK_PASS);
  assert_status (r, "iommu", "host", VFP_CHECK_PASS);
  assert_status (r, "interrupt-remapping", "host", VFP_CHECK_PASS);
  assert_status (r, "vfio-pci", "host", VFP_CHECK_PASS);
  assert_status (r, "vfio-iommu", "host", VFP_CHECK_PASS);
  assert_status (r, "sriov", "0000:05:00.0", VFP_CHECK_PASS);
  assert_status (r, "iommu-group", "0000:81:00.0", VFP_CHECK_PASS);
  assert_status (r, "acs", "0000:80:02.0", VFP_CHECK_PASS);
  test_remove_tree (dir);
}

static void
test_no_iommu (void)
{
  FakeHostOptions opts = { .iommu = FALSE, .vfio_loaded = TRUE };
  g_autofree char *dir = NULL;
  g_autoptr (GPtrArray) r = check_tree (&opts, fake_demo_host, fake_demo_host_len, &dir);

  assert_status (r, "iommu", "host", VFP_CHECK_FAIL);
  g_assert_nonnull (strstr (find (r, "iommu", "host")->fix, "intel_iommu=on"));
  assert_status (r, "iommu-group", "0000:05:00.0", VFP_CHECK_FAIL);
  assert_status (r, "interrupt-remapping", "host", VFP_CHECK_WARN);
  test_remove_tree (dir);
}

static void
test_no_interrupt_remapping (void)
{
  FakeHostOptions opts = { .iommu = TRUE, .intr_remap = FALSE, .vfio_loaded = TRUE };
  g_autofree char *dir = NULL;
  g_autoptr (GPtrArray) r = check_tree (&opts, fake_demo_host, fake_demo_host_len, &dir);

  assert_status (r, "interrupt-remapping", "host", VFP_CHECK_FAIL);
  test_remove_tree (dir);
}

static void
test_no_vfio (void)
{
  FakeHostOptions opts = { .iommu = TRUE, .intr_remap = TRUE, .vfio_loaded = FALSE };
  g_autofree char *dir = NULL;
  g_autoptr (GPtrArray) r = check_tree (&opts, fake_demo_host, fake_demo_host_len, &dir);
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (GPtrArray) r2 = NULL;
  g_autofree char *root = g_build_filename (dir, "sys", NULL);
  g_autofree char *modules = g_build_filename (dir, "modules", NULL);
  g_autofree char *dep = g_build_filename (modules, "modules.dep", NULL);

  assert_status (r, "vfio-pci", "host", VFP_CHECK_FAIL);
  g_assert_nonnull (strstr (find (r, "vfio-pci", "host")->fix, "modprobe vfio-pci"));
  assert_status (r, "vfio-iommu", "host", VFP_CHECK_FAIL);

  /* installed but not loaded: libvirt loads it on the first attach, and
   * modprobe brings the IOMMU model along */
  g_mkdir (modules, 0755);
  g_assert_true (g_file_set_contents (dep, "kernel/drivers/vfio/pci/vfio-pci.ko: kernel/drivers/vfio/vfio.ko\n"
                                           "kernel/drivers/vfio/vfio_iommu_type1.ko:\n", -1, NULL));
  host = vfp_host_load (root, VFP_HOST_PCI_DETAILS, NULL);
  r2 = vfp_check_host (host, modules);
  assert_status (r2, "vfio-pci", "host", VFP_CHECK_PASS);
  assert_status (r2, "vfio-iommu", "host", VFP_CHECK_PASS);
  test_remove_tree (dir);
}

/* vfio-pci loaded by a modprobe that skipped vfio's softdep (busybox):
 * QEMU would find no IOMMU model. Seen in the SR-IOV lab. */
static void
test_vfio_without_iommu_model (void)
{
  FakeHostOptions opts = { .iommu = TRUE, .intr_remap = TRUE, .vfio_loaded = TRUE,
                           .vfio_no_iommu_model = TRUE };
  g_autofree char *dir = NULL;
  g_autoptr (GPtrArray) r = check_tree (&opts, fake_demo_host, fake_demo_host_len, &dir);

  assert_status (r, "vfio-pci", "host", VFP_CHECK_PASS);
  assert_status (r, "vfio-iommu", "host", VFP_CHECK_WARN);
  g_assert_nonnull (strstr (find (r, "vfio-iommu", "host")->message, "No available IOMMU models"));
  g_assert_nonnull (strstr (find (r, "vfio-iommu", "host")->fix, "modprobe vfio_iommu_type1"));
  test_remove_tree (dir);
}

static void
test_no_vfs_and_shared_groups (void)
{
  FakePciFunction f[] = { fake_demo_host[0], fake_demo_host[1], fake_demo_host[2], fake_demo_host[3] };
  g_autofree char *dir = NULL;
  g_autoptr (GPtrArray) r = NULL;

  f[1].num_vfs = 0;
  f[3].vfs_share_group = TRUE;
  f[3].acs = FALSE;
  f[2].acs = FALSE;
  r = check_tree (&fake_demo_options, f, G_N_ELEMENTS (f), &dir);
  assert_status (r, "sriov", "0000:05:00.0", VFP_CHECK_WARN);
  g_assert_nonnull (strstr (find (r, "sriov", "0000:05:00.0")->fix, "sriov_numvfs"));
  assert_status (r, "iommu-group", "0000:81:00.0", VFP_CHECK_WARN);
  g_assert_nonnull (strstr (find (r, "iommu-group", "0000:81:00.0")->message, "0000:81:00.3 (200)"));
  assert_status (r, "acs", "0000:81:00.0", VFP_CHECK_WARN);
  assert_status (r, "acs", "0000:80:02.0", VFP_CHECK_WARN);
  test_remove_tree (dir);
}

static void
test_no_pf (void)
{
  FakePciFunction f[] = { fake_demo_host[0] };
  g_autofree char *dir = NULL;
  g_autoptr (GPtrArray) r = check_tree (&fake_demo_options, f, 1, &dir);

  assert_status (r, "sriov", "host", VFP_CHECK_FAIL);
  test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vfpool/check/demo-ready", test_demo_ready);
  g_test_add_func ("/vfpool/check/no-iommu", test_no_iommu);
  g_test_add_func ("/vfpool/check/no-interrupt-remapping", test_no_interrupt_remapping);
  g_test_add_func ("/vfpool/check/no-vfio", test_no_vfio);
  g_test_add_func ("/vfpool/check/vfio-without-iommu-model", test_vfio_without_iommu_model);
  g_test_add_func ("/vfpool/check/no-vfs-and-shared-groups", test_no_vfs_and_shared_groups);
  g_test_add_func ("/vfpool/check/no-pf", test_no_pf);
  return g_test_run ();
}
