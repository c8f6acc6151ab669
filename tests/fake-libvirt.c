/* Writes a test-driver host file: <node> with one <device> per PCI
 * function, shaped like what the real node-device driver reports. */
#include "config.h"

#include <stdio.h>

#include <libxml/tree.h>

#include "fake-libvirt.h"

static void
add_address (xmlNode *parent, const char *address)
{
  xmlNode *a = xmlNewChild (parent, NULL, BAD_CAST "address", NULL);
  unsigned d, b, s, f;
  char buf[16];

  if (sscanf (address, "%x:%x:%x.%x", &d, &b, &s, &f) != 4)
    g_error ("bad address %s in test table", address);
  g_snprintf (buf, sizeof buf, "0x%04x", d);
  xmlNewProp (a, BAD_CAST "domain", BAD_CAST buf);
  g_snprintf (buf, sizeof buf, "0x%02x", b);
  xmlNewProp (a, BAD_CAST "bus", BAD_CAST buf);
  g_snprintf (buf, sizeof buf, "0x%02x", s);
  xmlNewProp (a, BAD_CAST "slot", BAD_CAST buf);
  g_snprintf (buf, sizeof buf, "0x%x", f);
  xmlNewProp (a, BAD_CAST "function", BAD_CAST buf);
}

static char *
nodedev_name (const char *address)
{
  g_autofree char *s = g_strdup_printf ("pci_%s", address);

  g_strdelimit (s, ":.", '_');
  return g_steal_pointer (&s);
}

static void
add_number (xmlNode *parent, const char *name, const char *fmt, unsigned v)
{
  char buf[16];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  g_snprintf (buf, sizeof buf, fmt, v);
#pragma GCC diagnostic pop
  xmlNewChild (parent, NULL, BAD_CAST name, BAD_CAST buf);
}

/* One <device>; VFS (NULL-terminated addresses) makes it a PF, PF_ADDRESS a VF. */
static void
add_device (xmlNode *node, const FakePciFunction *f, const char *address,
            const char *pf_address, char **vfs, int group)
{
  xmlNode *dev = xmlNewChild (node, NULL, BAD_CAST "device", NULL);
  g_autofree char *name = nodedev_name (address);
  xmlNode *cap, *sub;
  unsigned d, b, s, fn;
  const char *driver = pf_address ? f->vf_driver : f->driver;

  sscanf (address, "%x:%x:%x.%x", &d, &b, &s, &fn);
  xmlNewTextChild (dev, NULL, BAD_CAST "name", BAD_CAST name);
  xmlNewTextChild (dev, NULL, BAD_CAST "parent", BAD_CAST "computer");
  if (driver != NULL)
    {
      xmlNode *drv = xmlNewChild (dev, NULL, BAD_CAST "driver", NULL);

      xmlNewTextChild (drv, NULL, BAD_CAST "name", BAD_CAST driver);
    }
  cap = xmlNewChild (dev, NULL, BAD_CAST "capability", NULL);
  xmlNewProp (cap, BAD_CAST "type", BAD_CAST "pci");
  add_number (cap, "class", "0x%06x", f->class_code);
  add_number (cap, "domain", "%u", d);
  add_number (cap, "bus", "%u", b);
  add_number (cap, "slot", "%u", s);
  add_number (cap, "function", "%u", fn);
  {
    char id[8];

    g_snprintf (id, sizeof id, "0x%04x", pf_address ? f->vf_device : f->device);
    sub = xmlNewChild (cap, NULL, BAD_CAST "product", NULL);
    xmlNewProp (sub, BAD_CAST "id", BAD_CAST id);
    g_snprintf (id, sizeof id, "0x%04x", f->vendor);
    sub = xmlNewChild (cap, NULL, BAD_CAST "vendor", NULL);
    xmlNewProp (sub, BAD_CAST "id", BAD_CAST id);
  }
  if (pf_address != NULL)
    {
      sub = xmlNewChild (cap, NULL, BAD_CAST "capability", NULL);
      xmlNewProp (sub, BAD_CAST "type", BAD_CAST "phys_function");
      add_address (sub, pf_address);
    }
  else if (vfs != NULL)
    {
      char max[8];

      sub = xmlNewChild (cap, NULL, BAD_CAST "capability", NULL);
      xmlNewProp (sub, BAD_CAST "type", BAD_CAST "virt_functions");
      g_snprintf (max, sizeof max, "%u", f->total_vfs);
      xmlNewProp (sub, BAD_CAST "maxCount", BAD_CAST max);
      for (; *vfs; vfs++)
        add_address (sub, *vfs);
    }
  if (group >= 0)
    {
      char num[12];

      sub = xmlNewChild (cap, NULL, BAD_CAST "iommuGroup", NULL);
      g_snprintf (num, sizeof num, "%d", group);
      xmlNewProp (sub, BAD_CAST "number", BAD_CAST num);
      add_address (sub, address);
    }
}

/* Writes PATH for test:///PATH. With SKIP_LAST_VF the last VF of each PF is
 * left out, as when libvirt has not yet seen a newly created VF. */
gboolean
fake_libvirt_write_host (const char *path, const FakePciFunction *functions,
                         gsize n_functions, gboolean skip_last_vf, GError **error)
{
  xmlDoc *doc = xmlNewDoc (BAD_CAST "1.0");
  xmlNode *node = xmlNewNode (NULL, BAD_CAST "node");
  gsize i;
  guint v;
  int ok;

  xmlDocSetRootElement (doc, node);
  for (i = 0; i < n_functions; i++)
    {
      const FakePciFunction *f = &functions[i];
      g_autoptr (GPtrArray) vfs = g_ptr_array_new_with_free_func (g_free);
      guint shown = f->num_vfs - (skip_last_vf && f->num_vfs > 0 ? 1 : 0);

      for (v = 0; v < shown; v++)
        g_ptr_array_add (vfs, fake_sysfs_vf_address (f, v));
      g_ptr_array_add (vfs, NULL);
      add_device (node, f, f->address, NULL, f->total_vfs > 0 ? (char **) vfs->pdata : NULL,
                  f->iommu_group);
      for (v = 0; v < shown; v++)
        add_device (node, f, vfs->pdata[v], f->address, NULL,
                    f->vf_iommu_group_base < 0 ? -1
                    : f->vf_iommu_group_base + (f->vfs_share_group ? 0 : (int) v));
    }
  ok = xmlSaveFormatFile (path, doc, 1);
  xmlFreeDoc (doc);
  if (ok < 0)
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "cannot write %s", path);
      return FALSE;
    }
  return TRUE;
}

/* "test:///PATH"; the caller frees it. */
char *
fake_libvirt_uri (const char *path)
{
  return g_strdup_printf ("test://%s", path);
}
