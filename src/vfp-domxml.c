/* Domain XML. vfpool finds its devices by their alias (ua-vfpool-N) and
 * what they point at on the host; its own record in the guest lives in
 * <metadata><vfpool:vfpool xmlns:vfpool=...>, which travels with dumpxml
 * and migration. */
#include "config.h"

#include <string.h>

#include "vfp-domxml.h"
#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-sysfs.h"
#include "vfp-xml.h"

static void
device_free (VfpDomDevice *d)
{
  g_free (d->alias);
  g_free (d->mac);
  g_free (d->teaming_persistent);
  g_free (d);
}

static void
nic_free (VfpDomNic *n)
{
  g_free (n->alias);
  g_free (n->type);
  g_free (n->mac);
  g_free (n->teaming);
  g_free (n);
}

void
vfp_meta_vf_free (VfpMetaVf *m)
{
  g_free (m->alias);
  g_free (m->pool);
  g_free (m->address);
  g_free (m->mac);
  g_free (m->template);
  g_free (m->failover_of);
  g_free (m);
}

void
vfp_domain_free (VfpDomain *dom)
{
  if (dom == NULL)
    return;
  g_free (dom->name);
  g_free (dom->uuid);
  g_ptr_array_unref (dom->devices);
  g_ptr_array_unref (dom->meta);
  g_ptr_array_unref (dom->nics);
  g_free (dom->numa_nodeset);
  g_free (dom->cpuset);
  g_free (dom);
}

/* <vlan><tag id='N'/></vlan> ("string(vlan/tag[1]/@id)"), or -1. */
static int
read_vlan (xmlNode *node)
{
  g_autofree char *id = vfp_xml_path_prop (node, "vlan", "tag", TRUE, "id");
  guint64 v;

  return id && g_ascii_string_to_unsigned (id, 10, 0, 4095, &v, NULL) ? (int) v : -1;
}

/* The first <source><address> of a device ("source/address"), or NULL. */
static xmlNode *
source_address (xmlNode *node)
{
  xmlNode *source = NULL, *a;

  while ((source = vfp_xml_next_child (node, source, "source", NULL)) != NULL)
    if ((a = vfp_xml_next_child (source, NULL, "address", NULL)) != NULL)
      return a;
  return NULL;
}

/* The failover partner of a transient teaming interface
 * ("string(teaming[@type='transient']/@persistent)"), or NULL. */
static char *
teaming_persistent (xmlNode *node)
{
  xmlNode *t = NULL;

  while ((t = vfp_xml_next_child (node, t, "teaming", NULL)) != NULL)
    {
      char *p = vfp_xml_prop_is (t, "type", "transient") ? vfp_xml_prop (t, "persistent", NULL) : NULL;

      if (p != NULL)
        return vfp_xml_stripped_or_null (p);
    }
  return NULL;
}

/* Adds the device NODE describes, when it points at a host PCI function. */
static void
read_device (xmlNode *node, gboolean is_interface, VfpDomain *dom)
{
  xmlNode *a = source_address (node);
  g_autofree char *d = NULL, *b = NULL, *s = NULL, *f = NULL;
  VfpDomDevice *dev;

  if (a == NULL)
    return;
  d = vfp_xml_prop (a, "domain", NULL);
  b = vfp_xml_prop (a, "bus", NULL);
  s = vfp_xml_prop (a, "slot", NULL);
  f = vfp_xml_prop (a, "function", NULL);
  dev = g_new0 (VfpDomDevice, 1);
  /* libvirt fills in domain 0 when it is left out */
  if (!vfp_addr_from_attrs (d ? d : "0", b, s, f, &dev->addr, NULL))
    {
      g_free (dev);
      return;
    }
  dev->is_interface = is_interface;
  dev->alias = vfp_xml_child_prop (node, "alias", "name");
  dev->mac = vfp_xml_child_prop (node, "mac", "address");
  dev->vlan = read_vlan (node);
  dev->teaming_persistent = teaming_persistent (node);
  g_ptr_array_add (dom->devices, dev);
}

/* vfpool's entries: <metadata><vfpool:vfpool><vfpool:vf .../>. */
static void
read_metadata (xmlNode *root, VfpDomain *dom)
{
  xmlNode *md = NULL;

  while ((md = vfp_xml_next_child (root, md, "metadata", NULL)) != NULL)
    {
      xmlNode *mine = NULL;

      while ((mine = vfp_xml_next_child (md, mine, "vfpool", VFP_METADATA_NS)) != NULL)
        {
          xmlNode *n = NULL;

          while ((n = vfp_xml_next_child (mine, n, "vf", VFP_METADATA_NS)) != NULL)
            {
              g_autofree char *vlan = vfp_xml_prop (n, "vlan", NULL);
              VfpMetaVf *m = g_new0 (VfpMetaVf, 1);
              guint64 v;

              m->alias = vfp_xml_prop (n, "alias", NULL);
              m->pool = vfp_xml_prop (n, "pool", NULL);
              m->address = vfp_xml_prop (n, "address", NULL);
              m->mac = vfp_xml_prop (n, "mac", NULL);
              m->template = vfp_xml_prop (n, "template", NULL);
              m->failover_of = vfp_xml_prop (n, "failover-of", NULL);
              m->vlan = vlan && g_ascii_string_to_unsigned (vlan, 10, 0, 4095, &v, NULL) ? (int) v : -1;
              if (m->alias == NULL)
                {
                  vfp_meta_vf_free (m);
                  continue;
                }
              g_ptr_array_add (dom->meta, m);
            }
        }
    }
}

/* Whether NODE has an <alias> with a name= ("[alias/@name]"). */
static gboolean
has_named_alias (xmlNode *node)
{
  xmlNode *a = NULL;

  while ((a = vfp_xml_next_child (node, a, "alias", NULL)) != NULL)
    if (xmlHasNsProp (a, BAD_CAST "name", NULL))
      return TRUE;
  return FALSE;
}

/* The devices that point at host PCI functions, in document order: the
 * hostdevs first, then the interfaces, as before; and every interface with
 * an alias (failover partners are looked up there). */
static void
read_devices (xmlNode *root, VfpDomain *dom)
{
  xmlNode *devices = NULL, *n;

  while ((devices = vfp_xml_next_child (root, devices, "devices", NULL)) != NULL)
    for (n = NULL; (n = vfp_xml_next_child (devices, n, "hostdev", NULL)) != NULL;)
      if (vfp_xml_prop_is (n, "mode", "subsystem") && vfp_xml_prop_is (n, "type", "pci"))
        read_device (n, FALSE, dom);
  while ((devices = vfp_xml_next_child (root, devices, "devices", NULL)) != NULL)
    for (n = NULL; (n = vfp_xml_next_child (devices, n, "interface", NULL)) != NULL;)
      if (vfp_xml_prop_is (n, "type", "hostdev"))
        read_device (n, TRUE, dom);
  while ((devices = vfp_xml_next_child (root, devices, "devices", NULL)) != NULL)
    for (n = NULL; (n = vfp_xml_next_child (devices, n, "interface", NULL)) != NULL;)
      {
        char *alias = vfp_xml_child_prop (n, "alias", "name");
        VfpDomNic *nic;

        if (alias == NULL && !has_named_alias (n))
          continue;
        nic = g_new0 (VfpDomNic, 1);
        nic->alias = alias;
        nic->type = vfp_xml_prop (n, "type", NULL);
        nic->mac = vfp_xml_child_prop (n, "mac", "address");
        nic->teaming = vfp_xml_child_prop (n, "teaming", "type");
        g_ptr_array_add (dom->nics, nic);
      }
}

/* Parses a domain's XML (virDomainGetXMLDesc); the caller frees it. */
VfpDomain *
vfp_domxml_parse (const char *xml, gssize len, GError **error)
{
  g_autoptr (xmlDoc) doc = vfp_xml_parse (xml, len, _("a domain"), error);

  return doc != NULL ? vfp_domxml_read (doc, error) : NULL;
}

/* Reads a domain from its parsed XML, which stays the caller's (the hook
 * parses stdin once and may rewrite that document); the caller frees the
 * domain. */
VfpDomain *
vfp_domxml_read (xmlDoc *doc, GError **error)
{
  g_autoptr (VfpDomain) dom = NULL;
  g_autofree char *id = NULL;
  xmlNode *root;
  gint64 v;

  root = xmlDocGetRootElement (doc);
  if (strcmp ((const char *) root->name, "domain") != 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("A domain's XML must have <domain> as its root, not <%s>."), (const char *) root->name);
      return NULL;
    }
  dom = g_new0 (VfpDomain, 1);
  dom->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) device_free);
  dom->meta = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_meta_vf_free);
  dom->nics = g_ptr_array_new_with_free_func ((GDestroyNotify) nic_free);
  dom->name = vfp_xml_child_text (root, "name");
  dom->uuid = vfp_xml_child_text (root, "uuid");
  if (dom->name == NULL || dom->uuid == NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("A domain's XML has no <name> or no <uuid>."));
      return NULL;
    }
  id = vfp_xml_prop (root, "id", NULL);
  dom->id = id && g_ascii_string_to_signed (id, 10, 0, G_MAXINT, &v, NULL) ? (int) v : -1;
  read_devices (root, dom);
  read_metadata (root, dom);
  dom->numa_nodeset = vfp_xml_path_prop (root, "numatune", "memory", FALSE, "nodeset");
  dom->cpuset = vfp_xml_path_prop (root, "cputune", "vcpupin", TRUE, "cpuset");
  if (dom->cpuset == NULL)
    dom->cpuset = vfp_xml_child_prop (root, "vcpu", "cpuset");
  return g_steal_pointer (&dom);
}

VfpDomDevice *
vfp_domain_find_device (VfpDomain *dom, const char *alias)
{
  guint i;

  for (i = 0; dom && i < dom->devices->len; i++)
    if (g_strcmp0 (((VfpDomDevice *) dom->devices->pdata[i])->alias, alias) == 0)
      return dom->devices->pdata[i];
  return NULL;
}

VfpDomDevice *
vfp_domain_find_address (VfpDomain *dom, const VfpAddr *addr)
{
  guint i;

  for (i = 0; dom && i < dom->devices->len; i++)
    if (vfp_addr_equal (&((VfpDomDevice *) dom->devices->pdata[i])->addr, addr))
      return dom->devices->pdata[i];
  return NULL;
}

VfpMetaVf *
vfp_domain_find_meta (VfpDomain *dom, const char *alias)
{
  guint i;

  for (i = 0; dom && i < dom->meta->len; i++)
    if (g_strcmp0 (((VfpMetaVf *) dom->meta->pdata[i])->alias, alias) == 0)
      return dom->meta->pdata[i];
  return NULL;
}

VfpDomNic *
vfp_domain_find_nic (VfpDomain *dom, const char *alias)
{
  guint i;

  for (i = 0; dom && i < dom->nics->len; i++)
    if (g_strcmp0 (((VfpDomNic *) dom->nics->pdata[i])->alias, alias) == 0)
      return dom->nics->pdata[i];
  return NULL;
}

/* The first number of a libvirt cpuset or nodeset ("1-3,^2,8"), or -1. */
static int
first_number (const char *set)
{
  guint64 v;
  g_autofree char *head = set ? g_strndup (set, strspn (set, "0123456789")) : NULL;

  if (head == NULL || !g_ascii_string_to_unsigned (head, 10, 0, G_MAXINT, &v, NULL))
    return -1;
  return v;
}

/* Whether CPU is in a kernel cpulist such as "0-7,16-23". */
static gboolean
cpulist_has (const char *list, int cpu)
{
  g_auto (GStrv) parts = g_strsplit (list, ",", -1);
  char **p;

  for (p = parts; *p; p++)
    {
      guint64 lo, hi;
      g_auto (GStrv) r = g_strsplit (g_strstrip (*p), "-", 2);

      if (!g_ascii_string_to_unsigned (r[0], 10, 0, G_MAXINT, &lo, NULL))
        continue;
      hi = lo;
      if (r[1] && !g_ascii_string_to_unsigned (r[1], 10, 0, G_MAXINT, &hi, NULL))
        continue;
      if ((guint64) cpu >= lo && (guint64) cpu <= hi)
        return TRUE;
    }
  return FALSE;
}

/* The NUMA node the guest runs on: its <numatune> memory node, else the
 * node of its first pinned CPU (from SYSFS_ROOT/devices/system/node), else
 * -1. */
int
vfp_domain_numa_node (VfpDomain *dom, const char *sysfs_root)
{
  g_autofree char *nodes = NULL;
  g_autoptr (GDir) d = NULL;
  const char *name;
  int cpu;

  if (dom->numa_nodeset != NULL)
    return first_number (dom->numa_nodeset);
  cpu = first_number (dom->cpuset);
  if (cpu < 0)
    return -1;
  nodes = vfp_sysfs_path (sysfs_root, "devices", "system", "node", NULL);
  d = g_dir_open (nodes, 0, NULL);
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *list = NULL;
      guint64 n;

      if (!g_str_has_prefix (name, "node")
          || !g_ascii_string_to_unsigned (name + 4, 10, 0, G_MAXINT, &n, NULL))
        continue;
      path = g_build_filename (nodes, name, "cpulist", NULL);
      if (g_file_get_contents (path, &list, NULL, NULL) && cpulist_has (g_strstrip (list), cpu))
        return n;
    }
  return -1;
}

static gboolean
alias_used (VfpDomain *dom, const char *alias)
{
  return vfp_domain_find_device (dom, alias) != NULL || vfp_domain_find_meta (dom, alias) != NULL;
}

/* The lowest ua-vfpool-N used neither in the live nor the persistent
 * definition nor in TAKEN (aliases of this request or of leases); the
 * caller frees it. */
char *
vfp_domain_next_alias (VfpDomain *live, VfpDomain *config, GHashTable *taken)
{
  guint n;

  for (n = 0;; n++)
    {
      g_autofree char *alias = g_strdup_printf (VFP_ALIAS_PREFIX "%u", n);

      if (!alias_used (live, alias) && !alias_used (config, alias)
          && !(taken && g_hash_table_contains (taken, alias)))
        return g_steal_pointer (&alias);
    }
}

/* Adds to PARENT one <vf> element (in namespace NS, or none) per VfpMetaVf
 * of META, as vfpool's metadata holds them. */
void
vfp_metadata_add_vfs (xmlNode *parent, xmlNs *ns, GPtrArray *meta)
{
  guint i;

  for (i = 0; i < meta->len; i++)
    {
      VfpMetaVf *m = meta->pdata[i];
      xmlNode *n = xmlNewChild (parent, ns, BAD_CAST "vf", NULL);

      xmlSetProp (n, BAD_CAST "alias", BAD_CAST m->alias);
      if (m->pool)
        xmlSetProp (n, BAD_CAST "pool", BAD_CAST m->pool);
      if (m->address)
        xmlSetProp (n, BAD_CAST "address", BAD_CAST m->address);
      if (m->mac)
        xmlSetProp (n, BAD_CAST "mac", BAD_CAST m->mac);
      if (m->vlan >= 0)
        {
          char v[8];

          g_snprintf (v, sizeof v, "%d", m->vlan);
          xmlSetProp (n, BAD_CAST "vlan", BAD_CAST v);
        }
      if (m->template)
        xmlSetProp (n, BAD_CAST "template", BAD_CAST m->template);
      if (m->failover_of)
        xmlSetProp (n, BAD_CAST "failover-of", BAD_CAST m->failover_of);
    }
}

/* vfpool's metadata element for virDomainSetMetadata: one <vf> per VfpMetaVf,
 * built with the tree API. The caller frees it. */
char *
vfp_metadata_build (GPtrArray *meta)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc (BAD_CAST "1.0");
  g_autoptr (xmlBuffer) buf = xmlBufferCreate ();
  xmlNode *root = xmlNewNode (NULL, BAD_CAST "vfpool");

  xmlDocSetRootElement (doc, root);
  vfp_metadata_add_vfs (root, NULL, meta);
  xmlNodeDump (buf, doc, root, 0, 0);
  return g_strdup ((const char *) xmlBufferContent (buf));
}
