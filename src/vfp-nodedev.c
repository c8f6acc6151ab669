/* Reads libvirt's node-device XML for PCI functions: the address, ids,
 * driver, IOMMU group and the SR-IOV capabilities libvirt reports. */
#include "config.h"

#include <string.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-nodedev.h"
#include "vfp-xml.h"

void
vfp_nodedev_free (VfpNodedev *dev)
{
  if (dev == NULL)
    return;
  g_free (dev->name);
  g_free (dev->parent);
  g_free (dev->driver);
  g_free (dev->vendor_name);
  g_free (dev->product_name);
  if (dev->vfs)
    g_array_unref (dev->vfs);
  g_free (dev);
}

/* Reads an <address domain= bus= slot= function=/> element. */
static gboolean
read_address (xmlNode *node, VfpAddr *addr, GError **error)
{
  g_autofree char *d = vfp_xml_prop (node, "domain", NULL);
  g_autofree char *b = vfp_xml_prop (node, "bus", NULL);
  g_autofree char *s = vfp_xml_prop (node, "slot", NULL);
  g_autofree char *f = vfp_xml_prop (node, "function", NULL);

  return vfp_addr_from_attrs (d, b, s, f, addr, error);
}

/* Reads a number that libvirt writes as decimal or "0x..". */
static gboolean
read_number (const char *text, guint64 max, guint64 *out)
{
  if (text == NULL)
    return FALSE;
  if (g_str_has_prefix (text, "0x"))
    return g_ascii_string_to_unsigned (text + 2, 16, 0, max, out, NULL);
  return g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL);
}

/* The PCI capability's address, ids, names and IOMMU group into DEV;
 * FALSE when the address is unusable. */
static gboolean
read_pci_capability (xmlXPathContext *ctxt, xmlNode *cap, VfpNodedev *dev, GError **error)
{
  g_autofree char *domain = vfp_xml_xpath_string (ctxt, cap, "string(domain)");
  g_autofree char *bus = vfp_xml_xpath_string (ctxt, cap, "string(bus)");
  g_autofree char *slot = vfp_xml_xpath_string (ctxt, cap, "string(slot)");
  g_autofree char *function = vfp_xml_xpath_string (ctxt, cap, "string(function)");
  g_autofree char *vendor = NULL, *product = NULL, *klass = NULL, *group = NULL;
  guint64 v;

  if (!vfp_addr_from_attrs (domain, bus, slot, function, &dev->addr, error))
    return FALSE;
  klass = vfp_xml_xpath_string (ctxt, cap, "string(class)");
  if (read_number (klass, 0xffffff, &v))
    dev->class_code = v;
  vendor = vfp_xml_xpath_string (ctxt, cap, "string(vendor/@id)");
  if (read_number (vendor, 0xffff, &v))
    dev->vendor_id = v;
  product = vfp_xml_xpath_string (ctxt, cap, "string(product/@id)");
  if (read_number (product, 0xffff, &v))
    dev->product_id = v;
  dev->vendor_name = vfp_xml_xpath_string (ctxt, cap, "string(vendor)");
  dev->product_name = vfp_xml_xpath_string (ctxt, cap, "string(product)");
  group = vfp_xml_xpath_string (ctxt, cap, "string(iommuGroup/@number)");
  if (read_number (group, G_MAXINT, &v))
    dev->iommu_group = v;
  return TRUE;
}

/* A PF's <capability type='virt_functions'> (VCAP): its maxCount and the
 * addresses of its VFs into DEV. */
static gboolean
read_virt_functions (xmlNode *vcap, VfpNodedev *dev, GError **error)
{
  g_autofree char *max = vfp_xml_prop (vcap, "maxCount", NULL);
  xmlNode *a;
  guint64 v;

  dev->is_pf = TRUE;
  if (read_number (max, G_MAXUINT16, &v))
    dev->max_vfs = v;
  for (a = NULL; (a = vfp_xml_next_child (vcap, a, "address", NULL)) != NULL;)
    {
      VfpAddr addr;

      if (!read_address (a, &addr, error))
        return FALSE;
      g_array_append_val (dev->vfs, addr);
    }
  return TRUE;
}

/* The SR-IOV side of the PCI capability CAP: a PF's VFs or a VF's PF. */
static gboolean
read_sriov (xmlXPathContext *ctxt, xmlNode *cap, VfpNodedev *dev, GError **error)
{
  g_autoptr (xmlXPathObject) vfs = vfp_xml_xpath_nodes (ctxt, cap, "capability[@type='virt_functions']");
  g_autoptr (xmlXPathObject) pf = vfp_xml_xpath_nodes (ctxt, cap, "capability[@type='phys_function']/address");

  if (vfs != NULL && !read_virt_functions (vfs->nodesetval->nodeTab[0], dev, error))
    return FALSE;
  if (pf != NULL)
    {
      if (!read_address (pf->nodesetval->nodeTab[0], &dev->pf, error))
        return FALSE;
      dev->is_vf = TRUE;
    }
  return TRUE;
}

/* Parses one <device> document with a PCI capability. The caller frees
 * the result; the error names the device when the XML is unusable. */
VfpNodedev *
vfp_nodedev_parse (const char *xml, GError **error)
{
  g_autoptr (xmlDoc) doc = vfp_xml_parse (xml, -1, _("a node device"), error);
  g_autoptr (xmlXPathContext) ctxt = NULL;
  g_autoptr (xmlXPathObject) caps = NULL;
  g_autoptr (VfpNodedev) dev = NULL;
  xmlNode *root;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  if (strcmp ((const char *) root->name, "device") != 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("A node device's XML must have <device> as its root, not <%s>."),
                   (const char *) root->name);
      return NULL;
    }
  ctxt = xmlXPathNewContext (doc);
  dev = g_new0 (VfpNodedev, 1);
  dev->iommu_group = -1;
  dev->vfs = g_array_new (FALSE, FALSE, sizeof (VfpAddr));
  dev->name = vfp_xml_xpath_string (ctxt, root, "string(name)");
  dev->parent = vfp_xml_xpath_string (ctxt, root, "string(parent)");
  dev->driver = vfp_xml_xpath_string (ctxt, root, "string(driver/name)");
  if (dev->name == NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("A node device's XML has no <name>."));
      return NULL;
    }
  caps = vfp_xml_xpath_nodes (ctxt, root, "capability[@type='pci']");
  if (caps == NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("Node device '%s' is not a PCI device."), dev->name);
      return NULL;
    }
  if (!read_pci_capability (ctxt, caps->nodesetval->nodeTab[0], dev, error)
      || !read_sriov (ctxt, caps->nodesetval->nodeTab[0], dev, error))
    {
      g_prefix_error (error, _("Node device '%s': "), dev->name);
      return NULL;
    }
  return g_steal_pointer (&dev);
}
