/* Node-device XML: real dumps, hostile XML, and the join with libvirt's
 * test driver (the real libvirt library, a host described in a file). */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "fake-libvirt.h"
#include "fake-sysfs.h"
#include "test-util.h"
#include "vfp-error.h"
#include "vfp-host.h"
#include "vfp-nodedev.h"
#include "vfp-virt.h"

static void
test_captured_pf (void)
{
  g_autofree char *xml = test_read_data ("nodedev-pci_0000_01_00_0.xml");
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpNodedev) dev = vfp_nodedev_parse (xml, &error);
  char buf[VFP_ADDR_STRLEN];

  g_assert_no_error (error);
  g_assert_cmpstr (dev->name, ==, "pci_0000_01_00_0");
  g_assert_cmpstr (dev->parent, ==, "pci_0000_00_02_0");
  g_assert_cmpstr (dev->driver, ==, "nvme");
  g_assert_cmpstr (vfp_addr_format (&dev->addr, buf), ==, "0000:01:00.0");
  g_assert_cmphex (dev->vendor_id, ==, 0x1b36);
  g_assert_cmphex (dev->product_id, ==, 0x0010);
  g_assert_cmphex (dev->class_code, ==, 0x010802);
  g_assert_cmpstr (dev->vendor_name, ==, "Red Hat, Inc.");
  g_assert_cmpint (dev->iommu_group, ==, 9);
  g_assert_true (dev->is_pf);
  g_assert_false (dev->is_vf);
  g_assert_cmpuint (dev->max_vfs, ==, 4);
  g_assert_cmpuint (dev->vfs->len, ==, 2);
  g_assert_cmpstr (vfp_addr_format (&g_array_index (dev->vfs, VfpAddr, 1), buf), ==, "0000:01:00.2");
}

static void
test_captured_vf (void)
{
  g_autofree char *xml = test_read_data ("nodedev-pci_0000_01_00_1.xml");
  g_autoptr (VfpNodedev) dev = vfp_nodedev_parse (xml, NULL);
  char buf[VFP_ADDR_STRLEN];

  g_assert_nonnull (dev);
  g_assert_true (dev->is_vf);
  g_assert_false (dev->is_pf);
  g_assert_null (dev->driver);
  g_assert_cmpstr (vfp_addr_format (&dev->pf, buf), ==, "0000:01:00.0");
  g_assert_cmpint (dev->iommu_group, ==, 10);
}

/* Each is refused with a message, and nothing is fetched or expanded. */
static void
test_hostile (void)
{
  const char *bad[] = {
    "",
    "not xml at all",
    "<device><name>x</name>",
    "<domain/>",
    "<device><name>net_eth0</name><capability type='net'/></device>",
    "<device><capability type='pci'><domain>0</domain></capability></device>",
    "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>"
    "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;'>]><device><name>&c;</name></device>",
    "<?xml version='1.0'?><!DOCTYPE d [<!ENTITY x SYSTEM 'file:///etc/shadow'>]>"
    "<device><name>&x;</name></device>",
    "<device><name>pci_0000_05_10_2</name><capability type='pci'><domain>0</domain>"
    "<bus>300</bus><slot>0</slot><function>0</function></capability></device>",
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (VfpNodedev) dev = vfp_nodedev_parse (bad[i], &error);

      g_assert_null (dev);
      g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
      g_test_message ("%s", error->message);
    }
}

/* Node-device XML is read by one namespace rule, as the domain reader
 * is: elements and attributes without a namespace (libvirt writes its own
 * markup without one); anything else is not libvirt's and is not read. */
static void
test_namespaced_markup (void)
{
  const char *xml =
    "<device xmlns:q='http://q'><name>pci_0000_05_00_0</name><capability type='pci'>"
    "<domain>0</domain><bus>5</bus><slot>0</slot><function>0</function>"
    "<capability type='virt_functions' q:maxCount='9' maxCount='4'>"
    "<address domain='0x0000' bus='0x05' slot='0x10' function='0x0' q:function='0x7'/>"
    "<q:address domain='0x0000' bus='0x05' slot='0x10' function='0x1'/>"
    "</capability></capability></device>";
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpNodedev) dev = vfp_nodedev_parse (xml, &error);
  char buf[VFP_ADDR_STRLEN];

  g_assert_no_error (error);
  g_assert_cmpuint (dev->max_vfs, ==, 4);
  g_assert_cmpuint (dev->vfs->len, ==, 1);
  g_assert_cmpstr (vfp_addr_format (&g_array_index (dev->vfs, VfpAddr, 0), buf), ==, "0000:05:10.0");
}

/* XML that asks for network fetches: refused, and nobody is contacted. */
static void
test_nothing_fetched (void)
{
  guint port;
  int listener = test_listen_local (&port);
  g_autofree char *xml = test_fetching_xml ("device", port);
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpNodedev) dev = vfp_nodedev_parse (xml, &error);

  g_assert_null (dev);
  g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
  g_assert_false (test_was_contacted (listener));
  close (listener);
}

static void
test_huge (void)
{
  gsize n = 9 * 1024 * 1024;
  g_autofree char *xml = g_malloc (n + 1);
  g_autoptr (GError) error = NULL;

  memset (xml, ' ', n);
  xml[n] = '\0';
  memcpy (xml, "<device>", 8);
  g_assert_null (vfp_nodedev_parse (xml, &error));
  g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "bytes"));
}

typedef struct {
  char *dir;
  char *root;
  char *host_xml;
} Fixture;

static void
fixture_setup (Fixture *fx, gconstpointer skip_last)
{
  g_autoptr (GError) error = NULL;

  fx->dir = test_make_tmpdir ();
  fx->root = fake_sysfs_build (fx->dir, &fake_demo_options, fake_demo_host,
                               fake_demo_host_len, &error);
  g_assert_no_error (error);
  fx->host_xml = g_build_filename (fx->dir, "host.xml", NULL);
  g_assert_true (fake_libvirt_write_host (fx->host_xml, fake_demo_host, fake_demo_host_len,
                                          GPOINTER_TO_INT (skip_last), &error));
}

static void
fixture_teardown (Fixture *fx, gconstpointer data)
{
  test_remove_tree (fx->dir);
  g_free (fx->dir);
  g_free (fx->root);
  g_free (fx->host_xml);
}

/* libvirt's test driver reads the host file with libvirt's own parser;
 * vfpool lists its PCI devices and joins them with sysfs. */
static void
test_join (Fixture *fx, gconstpointer data)
{
  g_autofree char *uri = fake_libvirt_uri (fx->host_xml);
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpVirt) virt = vfp_virt_open (uri, TRUE, &error);
  g_autoptr (GPtrArray) xmls = NULL;
  g_autoptr (VfpHost) host = NULL;

  g_assert_no_error (error);
  xmls = vfp_virt_list_pci_nodedevs (virt, &error);
  g_assert_no_error (error);
  /* 2 bridges + 2 PFs + 12 VFs */
  g_assert_cmpuint (xmls->len, ==, 16);
  host = vfp_host_load (fx->root, VFP_HOST_PCI_DETAILS, &error);
  g_assert_no_error (error);
  vfp_host_join_nodedevs (host, xmls);
  g_assert_cmpuint (host->warnings->len, ==, 0);
  g_assert_cmpstr (vfp_host_nodedev_name (host, "0000:05:00.0"), ==, "pci_0000_05_00_0");
  g_assert_cmpstr (vfp_host_nodedev_name (host, "0000:05:10.2"), ==, "pci_0000_05_10_2");
  g_assert_cmpstr (vfp_host_nodedev_name (host, "0000:81:00.5"), ==, "pci_0000_81_00_5");
}

/* libvirt has not seen the newest VF of each PF: warnings name them. */
static void
test_join_mismatch (Fixture *fx, gconstpointer data)
{
  g_autofree char *uri = fake_libvirt_uri (fx->host_xml);
  g_autoptr (VfpVirt) virt = vfp_virt_open (uri, TRUE, NULL);
  g_autoptr (GPtrArray) xmls = vfp_virt_list_pci_nodedevs (virt, NULL);
  g_autoptr (VfpHost) host = vfp_host_load (fx->root, VFP_HOST_PCI_DETAILS, NULL);
  g_autoptr (GString) all = g_string_new (NULL);
  guint i;

  vfp_host_join_nodedevs (host, xmls);
  for (i = 0; i < host->warnings->len; i++)
    g_string_append_printf (all, "%s\n", (char *) host->warnings->pdata[i]);
  g_assert_nonnull (strstr (all->str, "libvirt lists 7 VFs of PF 0000:05:00.0, the kernel 8"));
  g_assert_nonnull (strstr (all->str, "VF 0000:05:11.6 has no libvirt node device"));
  g_assert_nonnull (strstr (all->str, "VF 0000:81:00.5 has no libvirt node device"));
  g_assert_null (vfp_host_nodedev_name (host, "0000:05:11.6"));
}

static void
test_unreachable (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpVirt) virt = vfp_virt_open ("test:///nonexistent/host.xml", TRUE, &error);

  g_assert_null (virt);
  g_assert_error (error, VFP_ERROR, VFP_ERROR_LIBVIRT);
  g_assert_nonnull (strstr (error->message, "test:///nonexistent/host.xml"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vfpool/nodedev/captured-pf", test_captured_pf);
  g_test_add_func ("/vfpool/nodedev/captured-vf", test_captured_vf);
  g_test_add_func ("/vfpool/nodedev/hostile", test_hostile);
  g_test_add_func ("/vfpool/nodedev/namespaced-markup", test_namespaced_markup);
  g_test_add_func ("/vfpool/nodedev/huge", test_huge);
  g_test_add_func ("/vfpool/nodedev/nothing-fetched", test_nothing_fetched);
  g_test_add ("/vfpool/nodedev/join-test-driver", Fixture, GINT_TO_POINTER (FALSE),
              fixture_setup, test_join, fixture_teardown);
  g_test_add ("/vfpool/nodedev/join-mismatch", Fixture, GINT_TO_POINTER (TRUE),
              fixture_setup, test_join_mismatch, fixture_teardown);
  g_test_add_func ("/vfpool/nodedev/unreachable", test_unreachable);
  return g_test_run ();
}
