/* Device XML from the templates: every real node-device dump yields XML
 * that libvirt's own parser accepts (a domain containing it is defined on
 * the test driver and read back), values are data and never markup, and
 * bad or unsafe templates are refused. */
#include "config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <string.h>

#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <libxml/tree.h>

#include "test-util.h"
#include "vfp-domxml.h"
#include "vfp-error.h"
#include "vfp-nodedev.h"
#include "vfp-template.h"
#include "vfp-xml.h"

static const char *template_dirs[2];

static void
quiet (void *opaque, virErrorPtr err)
{
}

/* Defines a test-driver domain holding DEVICE_XML and returns libvirt's
 * own XML of it (what its parser made of the device). */
static char *
define_with_device (const char *device_xml)
{
  g_autoptr (xmlDoc) doc = vfp_xml_parse ("<domain type='test'><name>g</name>"
                                          "<memory>65536</memory><os><type>hvm</type></os>"
                                          "<devices/></domain>", -1, "skeleton", NULL);
  g_autoptr (xmlDoc) dev = vfp_xml_parse (device_xml, -1, "device", NULL);
  g_autoptr (xmlBuffer) buf = xmlBufferCreate ();
  xmlNode *devices = vfp_xml_child (xmlDocGetRootElement (doc), "devices", NULL);
  virConnectPtr conn = virConnectOpen ("test:///default");
  virDomainPtr d;
  char *out;

  g_assert_nonnull (dev);
  xmlAddChild (devices, xmlDocCopyNode (xmlDocGetRootElement (dev), doc, 1));
  xmlNodeDump (buf, doc, xmlDocGetRootElement (doc), 0, 0);
  d = virDomainDefineXML (conn, (const char *) xmlBufferContent (buf));
  if (d == NULL)
    g_error ("libvirt refused the device: %s\n%s", virGetLastErrorMessage (), device_xml);
  out = virDomainGetXMLDesc (d, 0);
  virDomainUndefine (d);
  virDomainFree (d);
  virConnectClose (conn);
  return out;
}

/* The captured VF node device, as NVMe (hostdev) and as if it were a NIC. */
static void
test_captured_nodedev (void)
{
  g_autofree char *nd = test_read_data ("nodedev-pci_0000_01_00_1.xml");
  g_autoptr (VfpNodedev) dev = vfp_nodedev_parse (nd, NULL);
  VfpDeviceSpec hostdev = { VFP_TEMPLATE_HOSTDEV, dev->addr, NULL, -1, "ua-vfpool-0", NULL };
  VfpDeviceSpec iface = { VFP_TEMPLATE_INTERFACE, dev->addr, "52:54:00:12:34:56", 100, "ua-vfpool-1", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *x1 = vfp_template_render (template_dirs, &hostdev, &error);
  g_autofree char *x2 = NULL;
  g_autofree char *back1 = NULL, *back2 = NULL;
  g_autoptr (VfpDomain) d1 = NULL, d2 = NULL;
  VfpDomDevice *got;
  char buf[VFP_ADDR_STRLEN];

  g_assert_no_error (error);
  g_test_message ("%s", x1);
  back1 = define_with_device (x1);
  d1 = vfp_domxml_parse (back1, -1, NULL);
  got = vfp_domain_find_device (d1, "ua-vfpool-0");
  g_assert_nonnull (got);
  g_assert_false (got->is_interface);
  g_assert_cmpstr (vfp_addr_format (&got->addr, buf), ==, "0000:01:00.1");

  x2 = vfp_template_render (template_dirs, &iface, &error);
  g_assert_no_error (error);
  g_test_message ("%s", x2);
  back2 = define_with_device (x2);
  d2 = vfp_domxml_parse (back2, -1, NULL);
  got = vfp_domain_find_device (d2, "ua-vfpool-1");
  g_assert_nonnull (got);
  g_assert_true (got->is_interface);
  g_assert_cmpstr (got->mac, ==, "52:54:00:12:34:56");
  g_assert_cmpint (got->vlan, ==, 100);
  g_assert_cmpstr (vfp_addr_format (&got->addr, buf), ==, "0000:01:00.1");
}

/* The PF dump too (its address, whatever it is, must render). */
static void
test_every_dump (void)
{
  const char *files[] = { "nodedev-pci_0000_01_00_0.xml", "nodedev-pci_0000_01_00_1.xml" };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *nd = test_read_data (files[i]);
      g_autoptr (VfpNodedev) dev = vfp_nodedev_parse (nd, NULL);
      VfpDeviceSpec spec = { VFP_TEMPLATE_HOSTDEV, dev->addr, NULL, -1, "ua-vfpool-7", NULL };
      g_autofree char *x = vfp_template_render (template_dirs, &spec, NULL);
      g_autofree char *back = define_with_device (x);

      g_assert_nonnull (strstr (back, "ua-vfpool-7"));
    }
}

static void
test_failover (void)
{
  VfpDeviceSpec spec = { VFP_TEMPLATE_INTERFACE, { 0, 5, 0x10, 2 }, "52:54:00:aa:bb:cc", -1,
                         "ua-vfpool-2", "ua-net0" };
  g_autoptr (GError) error = NULL;
  g_autofree char *x = vfp_template_render (template_dirs, &spec, &error);
  g_autofree char *back = NULL;
  g_autoptr (VfpDomain) d = NULL;
  VfpDomDevice *got;

  g_assert_no_error (error);
  back = define_with_device (x);
  d = vfp_domxml_parse (back, -1, NULL);
  got = vfp_domain_find_device (d, "ua-vfpool-2");

  g_assert_nonnull (got);
  g_assert_cmpstr (got->teaming_persistent, ==, "ua-net0");
}

/* A hostile MAC or alias stays an attribute value: the result parses and
 * carries the text back unchanged. */
static void
test_values_are_data (void)
{
  VfpDeviceSpec spec = { VFP_TEMPLATE_INTERFACE, { 0, 5, 0x10, 2 }, "52:54:00:00:00:01'/><evil a='",
                         -1, "ua-vfpool-0\"><x/>&amp;", NULL };
  g_autofree char *x = vfp_template_render (template_dirs, &spec, NULL);
  g_autoptr (xmlDoc) doc = vfp_xml_parse (x, -1, "rendered", NULL);
  xmlNode *root = xmlDocGetRootElement (doc);
  g_autofree char *mac = vfp_xml_prop (vfp_xml_child (root, "mac", NULL), "address", NULL);
  g_autofree char *alias = vfp_xml_prop (vfp_xml_child (root, "alias", NULL), "name", NULL);

  g_assert_nonnull (doc);
  g_assert_null (vfp_xml_child (root, "evil", NULL));
  g_assert_null (vfp_xml_child (root, "x", NULL));
  g_assert_cmpstr (mac, ==, spec.mac);
  g_assert_cmpstr (alias, ==, spec.alias);
}

/* An override directory wins; bad and unsafe templates are refused with
 * their path. */
static void
test_overrides (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "hostdev.xml", NULL);
  const char *dirs[] = { dir, template_dirs[0], NULL };
  VfpDeviceSpec spec = { VFP_TEMPLATE_HOSTDEV, { 0, 5, 0x10, 2 }, NULL, -1, "ua-vfpool-0", NULL };
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL, e5 = NULL, e6 = NULL;
  g_autofree char *x = NULL;

  g_assert_true (g_file_set_contents (path, "<hostdev mode='subsystem' type='pci' managed='yes'>"
                                      "<source><address/></source><rom bar='off'/></hostdev>", -1, NULL));
  x = vfp_template_render (dirs, &spec, NULL);
  g_assert_nonnull (strstr (x, "<rom bar=\"off\"/>"));
  g_assert_nonnull (strstr (x, "domain=\"0x0000\" bus=\"0x05\" slot=\"0x10\" function=\"0x2\""));

  g_assert_true (g_file_set_contents (path, "<hostdev><source>", -1, NULL));
  g_assert_null (vfp_template_render (dirs, &spec, &e1));
  g_assert_nonnull (strstr (e1->message, path));
  g_assert_nonnull (strstr (e1->message, "does not parse"));

  g_assert_true (g_file_set_contents (path, "<interface type='hostdev'/>", -1, NULL));
  g_assert_null (vfp_template_render (dirs, &spec, &e2));
  g_assert_nonnull (strstr (e2->message, "<hostdev mode='subsystem' type='pci'>"));

  g_assert_true (g_file_set_contents (path, "<hostdev mode='subsystem' type='pci'/>", -1, NULL));
  g_chmod (path, 0666);
  g_assert_null (vfp_template_render (dirs, &spec, &e3));
  g_assert_error (e3, VFP_ERROR, VFP_ERROR_UNSAFE);
  g_assert_nonnull (strstr (e3->message, "chmod go-w"));

  /* a VLAN on a plain hostdev cannot work: refused before libvirt sees it */
  spec.vlan = 100;
  g_chmod (path, 0644);
  g_assert_null (vfp_template_render (dirs, &spec, &e4));
  g_assert_nonnull (strstr (e4->message, "template=interface"));

  /* huge (sparse): refused before it is read */
  spec.vlan = -1;
  g_assert_cmpint (truncate (path, 1024 * 1024 * 1024), ==, 0);
  g_assert_null (vfp_template_render (dirs, &spec, &e5));
  g_assert_error (e5, VFP_ERROR, VFP_ERROR_INVALID);
  g_assert_nonnull (strstr (e5->message, "at most 64 KiB"));

  /* a FIFO (issue 18.4): refused at once, not waited on for a writer;
   * the alarm fails the test where it would still hang */
  g_assert_cmpint (unlink (path), ==, 0);
  g_assert_cmpint (mkfifo (path, 0644), ==, 0);
  alarm (10);
  g_assert_null (vfp_template_render (dirs, &spec, &e6));
  alarm (0);
  g_assert_nonnull (strstr (e6->message, "not a regular file"));
  test_remove_tree (dir);
}

/* Templates are trusted as the configuration and the store are: a symlink,
 * a FIFO, or a directory others can write is refused. */
static void
test_unsafe_places (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *tdir = g_build_filename (dir, "templates", NULL);
  g_autofree char *path = g_build_filename (tdir, "hostdev.xml", NULL);
  g_autofree char *real = g_build_filename (dir, "elsewhere.xml", NULL);
  g_autofree char *link = g_build_filename (dir, "link", NULL);
  const char *dirs[] = { tdir, NULL };
  const char *link_dirs[] = { link, NULL };
  VfpDeviceSpec spec = { VFP_TEMPLATE_HOSTDEV, { 0, 5, 0x10, 2 }, NULL, -1, "ua-vfpool-0", NULL };
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;
  g_autofree char *ok = NULL;

  g_assert_cmpint (g_mkdir (tdir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (real, "<hostdev mode='subsystem' type='pci'><source><address/></source></hostdev>", -1, NULL));
  g_assert_cmpint (symlink (real, path), ==, 0);
  g_assert_null (vfp_template_render (dirs, &spec, &e1));
  g_assert_error (e1, VFP_ERROR, VFP_ERROR_UNSAFE);
  g_assert_nonnull (strstr (e1->message, "symlink"));

  g_assert_cmpint (unlink (path), ==, 0);
  g_assert_cmpint (rename (real, path), ==, 0);
  ok = vfp_template_render (dirs, &spec, NULL);
  g_assert_nonnull (ok);
  g_chmod (tdir, 0777);
  g_assert_null (vfp_template_render (dirs, &spec, &e2));
  g_assert_error (e2, VFP_ERROR, VFP_ERROR_UNSAFE);
  g_assert_nonnull (strstr (e2->message, tdir));
  g_assert_nonnull (strstr (e2->message, "chmod go-w"));
  g_chmod (tdir, 0755);

  g_assert_cmpint (symlink (tdir, link), ==, 0);
  g_assert_null (vfp_template_render (link_dirs, &spec, &e3));
  g_assert_error (e3, VFP_ERROR, VFP_ERROR_UNSAFE);
  g_assert_nonnull (strstr (e3->message, "symlink"));

  g_assert_cmpint (unlink (path), ==, 0);
  g_assert_cmpint (mkfifo (path, 0644), ==, 0);
  alarm (10);
  g_assert_null (vfp_template_render (dirs, &spec, &e4));
  alarm (0);
  g_assert_nonnull (strstr (e4->message, "not a regular file"));
  test_remove_tree (dir);
}

/* A template holds only what vfpool fills in, <driver> and <rom bar=>:
 * libvirt would act on anything else unseen by vfpool. */
static void
test_only_known_elements (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "interface.xml", NULL);
  const char *dirs[] = { dir, NULL };
  VfpDeviceSpec spec = { VFP_TEMPLATE_INTERFACE, { 0, 5, 0x10, 2 }, "52:54:00:12:34:56", 100, "ua-vfpool-0", NULL };
  const struct { const char *xml; const char *expect; } bad[] = {
    { "<rom file='/etc/shadow'/>", "file= on <rom>" },
    { "<source><address/></source>", "two <source> elements" },
    { "<address type='pci' domain='0' bus='7' slot='0' function='0'/>", "<address> in an interface" },
    { "<virtualport type='802.1Qbh'/>", "<virtualport> in an interface" },
    { "<driver name='vfio'><foo/></driver>", "<foo> inside <driver>" },
  };
  g_autofree char *x = NULL;
  gsize i;

  g_assert_true (g_file_set_contents (path, "<interface type='hostdev' managed='yes'><source><address type='pci'/></source>"
                                      "<driver name='vfio'/><rom bar='off'/><mac/><alias/></interface>", -1, NULL));
  x = vfp_template_render (dirs, &spec, NULL);
  g_assert_nonnull (x);
  g_assert_nonnull (strstr (x, "<rom bar=\"off\"/>"));
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *text = g_strdup_printf ("<interface type='hostdev'><source><address type='pci'/></source>%s</interface>",
                                               bad[i].xml);
      g_autoptr (GError) error = NULL;

      g_assert_true (g_file_set_contents (path, text, -1, NULL));
      g_assert_null (vfp_template_render (dirs, &spec, &error));
      g_test_message ("%s", error->message);
      g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, path));
      g_assert_nonnull (strstr (error->message, bad[i].expect));
    }
  /* the root in a namespace is not libvirt's <interface> */
  {
    g_autoptr (GError) error = NULL;

    g_assert_true (g_file_set_contents (path, "<x:interface xmlns:x='urn:x' type='hostdev'><source><address type='pci'/></source></x:interface>", -1, NULL));
    g_assert_null (vfp_template_render (dirs, &spec, &error));
    g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "its root must be <interface type='hostdev'>"));
  }
  test_remove_tree (dir);
}

/* A guest's XML (as the hook reads it on stdin) that asks for network
 * fetches: refused, and nobody is contacted. */
static void
test_domain_xml_fetches_nothing (void)
{
  guint port;
  int listener = test_listen_local (&port);
  g_autofree char *xml = test_fetching_xml ("domain", port);
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpDomain) d = vfp_domxml_parse (xml, -1, &error);

  g_assert_null (d);
  g_assert_nonnull (error);
  g_assert_false (test_was_contacted (listener));
  close (listener);
}

/* What the domain reader takes from a domain's XML, where libvirt's shape
 * leaves room: several <devices>, a <source> without <address>, the first
 * <tag> of a <vlan>, the first <vcpupin>, metadata in vfpool's namespace
 * only, attributes without a namespace only (as XPath's @name would). */
static void
test_domain_reader (void)
{
  const char *xml =
    "<domain type='kvm' id='7' xmlns:q='http://q'>"
    "<name> g1 </name><uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>"
    "<vcpu cpuset='0-3'>2</vcpu><cputune><vcpupin vcpu='0'/><vcpupin vcpu='1' cpuset='9'/></cputune>"
    "<numatune><memory mode='strict'/></numatune><numatune><memory nodeset=' 1 '/></numatune>"
    "<devices><hostdev mode='subsystem' type='pci'><source/><source><address bus='0x05' slot='0x10' function='0x2'/></source>"
    "<alias q:name='x'/><alias name='ua-vfpool-0'/></hostdev>"
    "<hostdev mode='subsystem' type='usb'><source><address bus='1' slot='1' function='1'/></source></hostdev></devices>"
    "<devices><interface type='hostdev'><source><address domain='0x0000' bus='0x05' slot='0x10' function='0x4'/></source>"
    "<mac address='52:54:00:00:00:01'/><vlan><tag/><tag id='7'/></vlan><vlan><tag id='9'/></vlan>"
    "<teaming type='persistent'/><teaming type='transient' persistent=' net0 '/><alias name='ua-vfpool-1'/></interface>"
    "<interface type='network'><alias name='net0'/><teaming type='persistent'/></interface>"
    "<interface type='bridge'><mac address='52:54:00:00:00:09'/></interface></devices>"
    "<metadata><vfpool:vfpool xmlns:vfpool='" VFP_METADATA_NS "'><vfpool:vf alias='ua-vfpool-0' pool='p' vlan='5'/><vf alias='no-ns'/></vfpool:vfpool>"
    "<o:vfpool xmlns:o='http://other'><o:vf alias='other-ns'/></o:vfpool></metadata></domain>";
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpDomain) d = vfp_domxml_parse (xml, -1, &error);
  VfpDomDevice *dev;

  g_assert_no_error (error);
  g_assert_cmpstr (d->name, ==, "g1");
  g_assert_cmpint (d->id, ==, 7);
  /* the first vcpupin has no cpuset: none from cputune, so vcpu's */
  g_assert_cmpstr (d->cpuset, ==, "0-3");
  g_assert_cmpstr (d->numa_nodeset, ==, "1");
  g_assert_cmpuint (d->devices->len, ==, 2);
  dev = d->devices->pdata[0];
  g_assert_false (dev->is_interface);
  g_assert_cmpstr (dev->alias, ==, "ua-vfpool-0");
  g_assert_cmpint (dev->addr.slot, ==, 0x10);
  g_assert_cmpint (dev->addr.function, ==, 2);
  dev = d->devices->pdata[1];
  g_assert_true (dev->is_interface);
  g_assert_cmpint (dev->addr.function, ==, 4);
  /* the first vlan's first tag has no id (its second does not count):
   * the next vlan's first tag does */
  g_assert_cmpint (dev->vlan, ==, 9);
  g_assert_cmpstr (dev->teaming_persistent, ==, "net0");
  g_assert_cmpstr (dev->mac, ==, "52:54:00:00:00:01");
  g_assert_cmpuint (d->meta->len, ==, 1);
  g_assert_cmpstr (((VfpMetaVf *) d->meta->pdata[0])->alias, ==, "ua-vfpool-0");
  g_assert_cmpint (((VfpMetaVf *) d->meta->pdata[0])->vlan, ==, 5);
  g_assert_cmpuint (d->nics->len, ==, 2);       /* the interfaces with an alias */
  g_assert_cmpstr (vfp_domain_find_nic (d, "net0")->teaming, ==, "persistent");
}

/* The domain reader's one namespace rule holds for every attribute: a
 * <source><address>, vfpool's metadata and the domain's id are read from
 * attributes without a namespace only, as alias, MAC and VLAN always were
 * (libvirt writes its own attributes without one). */
static void
test_domain_reader_attribute_namespace (void)
{
  const char *xml =
    "<domain type='kvm' id='7' q:id='8' xmlns:q='http://q'>"
    "<name>g1</name><uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid><devices>"
    "<hostdev mode='subsystem' type='pci'><source><address q:domain='0' q:bus='0x05' q:slot='0x10' q:function='0x2'/></source>"
    "<alias name='ua-vfpool-0'/></hostdev>"
    "<hostdev mode='subsystem' type='pci'><source><address q:bus='0x06' bus='0x05' slot='0x10' function='0x4'/></source>"
    "<alias name='ua-vfpool-1'/></hostdev></devices>"
    "<metadata><vfpool:vfpool xmlns:vfpool='" VFP_METADATA_NS "'>"
    "<vfpool:vf q:alias='ua-vfpool-0'/><vfpool:vf vfpool:pool='x' alias='ua-vfpool-1' pool='p'/>"
    "</vfpool:vfpool></metadata></domain>";
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpDomain) d = vfp_domxml_parse (xml, -1, &error);
  VfpMetaVf *m;

  g_assert_no_error (error);
  g_assert_cmpint (d->id, ==, 7);
  g_assert_cmpuint (d->devices->len, ==, 1);
  g_assert_cmpstr (((VfpDomDevice *) d->devices->pdata[0])->alias, ==, "ua-vfpool-1");
  g_assert_cmpint (((VfpDomDevice *) d->devices->pdata[0])->addr.bus, ==, 5);
  g_assert_cmpuint (d->meta->len, ==, 1);
  m = d->meta->pdata[0];
  g_assert_cmpstr (m->alias, ==, "ua-vfpool-1");
  g_assert_cmpstr (m->pool, ==, "p");
}

int
main (int argc, char **argv)
{
  g_autofree char *dir = NULL;

  g_test_init (&argc, &argv, NULL);
  virSetErrorFunc (NULL, quiet);
  dir = g_test_build_filename (G_TEST_DIST, "..", "xml-templates", NULL);
  template_dirs[0] = dir;
  template_dirs[1] = NULL;
  g_test_add_func ("/vfpool/template/captured-nodedev", test_captured_nodedev);
  g_test_add_func ("/vfpool/template/every-dump", test_every_dump);
  g_test_add_func ("/vfpool/template/failover", test_failover);
  g_test_add_func ("/vfpool/template/values-are-data", test_values_are_data);
  g_test_add_func ("/vfpool/template/domain-xml-fetches-nothing", test_domain_xml_fetches_nothing);
  g_test_add_func ("/vfpool/template/overrides", test_overrides);
  g_test_add_func ("/vfpool/template/unsafe-places", test_unsafe_places);
  g_test_add_func ("/vfpool/template/only-known-elements", test_only_known_elements);
  g_test_add_func ("/vfpool/template/domain-reader", test_domain_reader);
  g_test_add_func ("/vfpool/template/domain-reader-attribute-namespace", test_domain_reader_attribute_namespace);
  return g_test_run ();
}
