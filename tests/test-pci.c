/* libpci on fake and captured trees: the SR-IOV numbers must be the ones
 * `lspci -vvv` prints for the same tree. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fake-sysfs.h"
#include "test-util.h"
#include "vfp-error.h"
#include "vfp-pci.h"
#include "vfp-sysfs.h"

/* What lspci says about one SR-IOV capability. */
typedef struct {
  guint offset, initial, total, num, vf_offset, stride, device, sup, sys;
} LspciSriov;

/* Finds the SR-IOV block of the device section that starts with ADDR
 * ("01:00.0") in lspci -vvv text. */
static gboolean
parse_lspci (const char *text, const char *addr, LspciSriov *out)
{
  const char *dev = strstr (text, addr);
  const char *cap, *p;

  while (dev != NULL && dev != text && dev[-1] != '\n')
    dev = strstr (dev + 1, addr);
  if (dev == NULL)
    return FALSE;
  cap = strstr (dev, "Single Root I/O Virtualization (SR-IOV)");
  if (cap == NULL)
    return FALSE;
  for (p = cap; p > dev && *p != '['; p--)
    ;
  if (sscanf (p, "[%x", &out->offset) != 1)
    return FALSE;
  p = strstr (cap, "Initial VFs:");
  if (p == NULL || sscanf (p, "Initial VFs: %u, Total VFs: %u, Number of VFs: %u",
                           &out->initial, &out->total, &out->num) != 3)
    return FALSE;
  p = strstr (cap, "VF offset:");
  if (p == NULL || sscanf (p, "VF offset: %u, stride: %u, Device ID: %x",
                           &out->vf_offset, &out->stride, &out->device) != 3)
    return FALSE;
  p = strstr (cap, "Supported Page Size:");
  return p != NULL && sscanf (p, "Supported Page Size: %x, System Page Size: %x",
                              &out->sup, &out->sys) == 2;
}

static void
assert_same (const VfpSriovCap *cap, const LspciSriov *l)
{
  g_assert_cmphex (cap->offset, ==, l->offset);
  g_assert_cmpuint (cap->initial_vfs, ==, l->initial);
  g_assert_cmpuint (cap->total_vfs, ==, l->total);
  g_assert_cmpuint (cap->num_vfs, ==, l->num);
  g_assert_cmpuint (cap->vf_offset, ==, l->vf_offset);
  g_assert_cmpuint (cap->vf_stride, ==, l->stride);
  g_assert_cmphex (cap->vf_device_id, ==, l->device);
  g_assert_cmphex (cap->supported_page_sizes, ==, l->sup);
  g_assert_cmphex (cap->system_page_size, ==, l->sys);
}

/* Runs the real lspci on ROOT and returns its -vvv text for ADDR. */
static char *
run_lspci (const char *root, const char *addr)
{
  g_autofree char *opt = g_strdup_printf ("sysfs.path=%s/bus/pci", root);
  const char *argv[] = { LSPCI, "-A", "linux-sysfs", "-O", opt, "-vvv", "-s", addr, NULL };
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  return out;
}

static void
test_demo_matches_lspci (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *root = fake_sysfs_build (dir, &fake_demo_options, fake_demo_host,
                                            fake_demo_host_len, NULL);
  g_autoptr (VfpPci) pci = NULL;
  const char *pfs[] = { "0000:05:00.0", "0000:81:00.0" };
  gsize i;

  if (LSPCI[0] == '\0')
    {
      g_test_skip ("lspci was not found by configure");
      return;
    }
  pci = vfp_pci_new (root);
  for (i = 0; i < G_N_ELEMENTS (pfs); i++)
    {
      g_autofree char *text = run_lspci (root, pfs[i]);
      g_autoptr (GError) error = NULL;
      VfpSriovCap cap;
      LspciSriov l;
      VfpAddr addr;

      g_assert_true (parse_lspci (text, pfs[i] + 5, &l));
      vfp_addr_parse (pfs[i], &addr, NULL);
      g_assert_true (vfp_pci_read_sriov (pci, &addr, &cap, &error));
      g_assert_no_error (error);
      assert_same (&cap, &l);
    }
  test_remove_tree (dir);
}

/* The 82599 of the README: the numbers operators read in lspci. */
static void
test_demo_82599 (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *root = fake_sysfs_build (dir, &fake_demo_options, fake_demo_host,
                                            fake_demo_host_len, NULL);
  g_autoptr (VfpPci) pci = vfp_pci_new (root);
  g_autofree char *vendor = NULL, *device = NULL, *vf_device = NULL;
  VfpSriovCap cap;
  VfpAddr pf, vf;
  char buf[VFP_ADDR_STRLEN];

  vfp_addr_parse ("0000:05:00.0", &pf, NULL);
  g_assert_true (vfp_pci_read_sriov (pci, &pf, &cap, NULL));
  g_assert_cmpuint (cap.total_vfs, ==, 64);
  g_assert_cmpuint (cap.vf_offset, ==, 128);
  g_assert_cmpuint (cap.vf_stride, ==, 2);
  g_assert_cmphex (cap.vf_device_id, ==, 0x10ed);
  g_assert_true (vfp_addr_from_vf_index (&pf, cap.vf_offset, cap.vf_stride, 1, &vf));
  g_assert_cmpstr (vfp_addr_format (&vf, buf), ==, "0000:05:10.2");
  g_assert_true (vfp_addr_from_vf_index (&pf, cap.vf_offset, cap.vf_stride, 63, &vf));
  g_assert_cmpstr (vfp_addr_format (&vf, buf), ==, "0000:05:1f.6");

  vendor = vfp_pci_vendor_name (pci, 0x8086);
  device = vfp_pci_device_name (pci, 0x8086, 0x10fb);
  vf_device = vfp_pci_device_name (pci, 0x8086, 0x10ed);
  g_assert_cmpstr (vendor, ==, "Intel Corporation");
  g_assert_nonnull (strstr (device, "82599"));
  g_assert_nonnull (strstr (vf_device, "Virtual Function"));
  g_assert_null (vfp_pci_device_name (pci, 0x8086, 0xfffe));
  test_remove_tree (dir);
}

/* The tree and the lspci output captured together from a real kernel. */
static void
test_captured_matches_lspci (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *tarball = test_data_path ("sysfs-1-vfs-enabled.tar.gz");
  g_autofree char *lspci_path = test_data_path ("lspci-1-vfs-enabled.txt");
  g_autofree char *root = g_build_filename (dir, "sysfs-snap", "sys", NULL);
  g_autofree char *text = NULL;
  g_autoptr (VfpPci) pci = NULL;
  g_autoptr (GError) error = NULL;
  VfpSriovCap cap;
  LspciSriov l;
  VfpAddr pf;

  g_assert_true (fake_sysfs_extract_fixture (tarball, dir, &error));
  g_assert_true (g_file_get_contents (lspci_path, &text, NULL, &error));
  g_assert_true (parse_lspci (text, "01:00.0", &l));
  pci = vfp_pci_new (root);
  vfp_addr_parse ("0000:01:00.0", &pf, NULL);
  g_assert_true (vfp_pci_read_sriov (pci, &pf, &cap, &error));
  g_assert_no_error (error);
  assert_same (&cap, &l);
  g_assert_cmpuint (cap.total_vfs, ==, 4);
  g_assert_cmpuint (cap.num_vfs, ==, 2);
  test_remove_tree (dir);
}

/* Broken config space: an error naming the device, never an exit. */
static void
test_broken_config (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *root = fake_sysfs_build (dir, &fake_demo_options, fake_demo_host,
                                            fake_demo_host_len, NULL);
  g_autofree char *cfg1 = vfp_sysfs_path (root, "bus/pci/devices/0000:05:00.0/config", NULL);
  g_autofree char *cfg2 = vfp_sysfs_path (root, "bus/pci/devices/0000:81:00.0/config", NULL);
  g_autoptr (VfpPci) pci = NULL;
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;
  VfpSriovCap cap;
  VfpAcsCap acs;
  VfpAddr a1, a2, a3;

  g_assert_true (g_file_set_contents (cfg1, "\x86\x80\xfb\x10", 4, NULL));
  g_assert_cmpint (unlink (cfg2), ==, 0);
  pci = vfp_pci_new (root);
  vfp_addr_parse ("0000:05:00.0", &a1, NULL);
  vfp_addr_parse ("0000:81:00.0", &a2, NULL);
  vfp_addr_parse ("0000:42:00.0", &a3, NULL);
  g_assert_false (vfp_pci_read_sriov (pci, &a1, &cap, &e1));
  g_assert_nonnull (e1);
  g_assert_nonnull (strstr (e1->message, "0000:05:00.0"));
  g_assert_false (vfp_pci_read_sriov (pci, &a2, &cap, &e2));
  g_assert_nonnull (strstr (e2->message, "0000:81:00.0"));
  g_assert_false (vfp_pci_read_acs (pci, &a3, &acs, &e3));
  g_assert_nonnull (e3);
  /* still usable afterwards */
  vfp_addr_parse ("0000:80:02.0", &a3, NULL);
  g_assert_true (vfp_pci_read_acs (pci, &a3, &acs, NULL));
  g_assert_cmphex (acs.control, ==, 0x001d);
  test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vfpool/pci/demo-matches-lspci", test_demo_matches_lspci);
  g_test_add_func ("/vfpool/pci/demo-82599", test_demo_82599);
  g_test_add_func ("/vfpool/pci/captured-matches-lspci", test_captured_matches_lspci);
  g_test_add_func ("/vfpool/pci/broken-config", test_broken_config);
  return g_test_run ();
}
