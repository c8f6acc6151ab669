/* Device XML from templates. The template decides the shape (managed=,
 * <driver>, <rom>, anything an admin adds); vfpool sets only the values it
 * owns, as attributes and elements through the tree API, so a MAC or alias
 * from a user is always data and never markup. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-template.h"
#include "vfp-trust.h"
#include "vfp-xml.h"

#define TEMPLATE_MAX_SIZE (64 * 1024)

const char *
vfp_template_file_name (const VfpDeviceSpec *spec)
{
  if (spec->kind == VFP_TEMPLATE_HOSTDEV)
    return "hostdev.xml";
  return spec->failover_of ? "interface-failover.xml" : "interface.xml";
}

/* Reads the first NAME found in DIRS. A template, or a directory of
 * templates, that someone else could have planted or could change is
 * refused as the configuration and the lease store are: it becomes
 * device XML that root hands to libvirt. */
static char *
read_template (const char *const *dirs, const char *name, char **path_out, GError **error)
{
  const char *const *d;

  for (d = dirs; *d; d++)
    {
      g_autofree char *path = g_build_filename (*d, name, NULL);
      g_autofree char *text = NULL;
      struct stat st;
      gssize n;
      int fd;

      if (lstat (*d, &st) != 0)
        {
          if (errno == ENOENT)
            continue;
          g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("Cannot read the template directory %s: %s"),
                       *d, g_strerror (errno));
          return NULL;
        }
      if (!vfp_trust_check (&st, *d, VFP_TRUST_DIR, TRUE, error))
        return NULL;
      if (lstat (path, &st) != 0)
        {
          if (errno == ENOENT)
            continue;
          g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("Cannot read the template %s: %s"),
                       path, g_strerror (errno));
          return NULL;
        }
      if (!vfp_trust_check (&st, path, VFP_TRUST_FILE, TRUE, error))
        return NULL;
      /* NOFOLLOW: not swapped for a symlink since; NONBLOCK: nor a FIFO */
      fd = open (path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
      if (fd < 0 || fstat (fd, &st) != 0)
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("Cannot read the template %s: %s"),
                       path, g_strerror (errno));
          if (fd >= 0)
            close (fd);
          return NULL;
        }
      if (!vfp_trust_check (&st, path, VFP_TRUST_FILE, TRUE, error))
        {
          close (fd);
          return NULL;
        }
      if (st.st_size > TEMPLATE_MAX_SIZE)
        {
          close (fd);
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       _("The template %s is not a regular file of at most 64 KiB."), path);
          return NULL;
        }
      text = g_malloc (st.st_size + 1);
      n = read (fd, text, st.st_size);
      close (fd);
      if (n != st.st_size)
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("Short read of the template %s."), path);
          return NULL;
        }
      text[n] = '\0';
      *path_out = g_steal_pointer (&path);
      return g_steal_pointer (&text);
    }
  g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
               _("No template %s in %s; is vfpool installed?"), name, dirs[0]);
  return NULL;
}

/* The first child element NAME of PARENT, created when missing. */
static xmlNode *
child (xmlNode *parent, const char *name)
{
  xmlNode *c = vfp_xml_child (parent, name, NULL);

  return c ? c : xmlNewChild (parent, NULL, BAD_CAST name, NULL);
}

static void
remove_children (xmlNode *parent, const char *name)
{
  xmlNode *c;

  while ((c = vfp_xml_child (parent, name, NULL)) != NULL)
    {
      xmlUnlinkNode (c);
      xmlFreeNode (c);
    }
}

static void
set_hex (xmlNode *node, const char *attr, const char *fmt, guint v)
{
  char buf[16];

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  g_snprintf (buf, sizeof buf, fmt, v);
#pragma GCC diagnostic pop
  xmlSetProp (node, BAD_CAST attr, BAD_CAST buf);
}

/* Drops whitespace-only text so the output is indented afresh (the
 * template's layout no longer fits once elements are added or removed). */
static void
strip_blanks (xmlNode *node)
{
  xmlNode *c = node->children;

  while (c != NULL)
    {
      xmlNode *next = c->next;

      if (c->type == XML_TEXT_NODE && xmlIsBlankNode (c))
        {
          xmlUnlinkNode (c);
          xmlFreeNode (c);
        }
      else if (c->type == XML_ELEMENT_NODE)
        strip_blanks (c);
      c = next;
    }
}

/* The first attribute of NODE not among ALLOWED (NULL-terminated), or
 * NULL when there is none. */
static const char *
stray_attribute (xmlNode *node, const char *const *allowed)
{
  xmlAttr *a;

  for (a = node->properties; a != NULL; a = a->next)
    if (a->ns != NULL || !g_strv_contains (allowed, (const char *) a->name))
      return (const char *) a->name;
  return NULL;
}

/* A template may hold only what vfpool fills in (source/address, mac,
 * vlan, teaming, alias) and the two settings an admin has reason to make
 * for a VF (<driver name='vfio'/>, <rom bar= enabled=>). Anything else is
 * something libvirt would act on unseen by vfpool: a <rom file=> gives the
 * guest a host file as firmware, a second <source> another device, a
 * guest <address> clashes at the second VF. */
static gboolean
check_elements (xmlNode *root, VfpTemplateKind kind, const char *path, GError **error)
{
  static const char *const interface_children[] = { "source", "mac", "vlan", "teaming", "alias", "driver", "rom", NULL };
  static const char *const hostdev_children[] = { "source", "alias", "driver", "rom", NULL };
  static const char *const interface_attrs[] = { "type", "managed", NULL };
  static const char *const hostdev_attrs[] = { "mode", "type", "managed", NULL };
  static const char *const driver_attrs[] = { "name", NULL };
  static const char *const rom_attrs[] = { "bar", "enabled", NULL };
  static const char *const none[] = { NULL };
  gboolean nic = kind == VFP_TEMPLATE_INTERFACE;
  const char *stray;
  guint sources = 0;
  xmlNode *c;

  if ((stray = stray_attribute (root, nic ? interface_attrs : hostdev_attrs)) != NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("Bad template %s: vfpool does not take the attribute %s= on the device; remove it."), path, stray);
      return FALSE;
    }
  for (c = root->children; c != NULL; c = c->next)
    {
      const char *name = (const char *) c->name;
      xmlNode *g;

      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (c->ns != NULL || !g_strv_contains (nic ? interface_children : hostdev_children, name))
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       nic ? _("Bad template %s: vfpool does not take <%s> in an interface; it takes <source>, <mac>, <vlan>, <teaming>, <alias>, <driver> and <rom>.")
                           : _("Bad template %s: vfpool does not take <%s> in a hostdev; it takes <source>, <alias>, <driver> and <rom>."),
                       path, name);
          return FALSE;
        }
      if (strcmp (name, "source") == 0 && ++sources > 1)
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       _("Bad template %s: it has two <source> elements; a device has one, which vfpool fills in."), path);
          return FALSE;
        }
      stray = strcmp (name, "driver") == 0 ? stray_attribute (c, driver_attrs)
              : strcmp (name, "rom") == 0 ? stray_attribute (c, rom_attrs)
              : strcmp (name, "source") == 0 ? stray_attribute (c, none) : NULL;
      if (stray != NULL)
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       _("Bad template %s: vfpool does not take %s= on <%s> (it takes <driver name=>, <rom bar= enabled=> and a bare <source>); remove it."),
                       path, stray, name);
          return FALSE;
        }
      /* vfpool rebuilds mac, vlan, teaming and alias whole; in the others
       * only the <address> of <source> may be */
      if (strcmp (name, "source") != 0 && strcmp (name, "driver") != 0 && strcmp (name, "rom") != 0)
        continue;
      for (g = c->children; g != NULL; g = g->next)
        if (g->type == XML_ELEMENT_NODE
            && (strcmp (name, "source") != 0 || g->ns != NULL || strcmp ((const char *) g->name, "address") != 0))
          {
            g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                         _("Bad template %s: vfpool does not take <%s> inside <%s>; remove it."),
                         path, (const char *) g->name, name);
            return FALSE;
          }
    }
  return TRUE;
}

/* The device XML for SPEC from the first matching template in DIRS; the
 * caller frees it. A malformed template is refused with its path and the
 * parser's message. */
char *
vfp_template_render (const char *const *dirs, const VfpDeviceSpec *spec, GError **error)
{
  const char *name = vfp_template_file_name (spec);
  const char *want = spec->kind == VFP_TEMPLATE_HOSTDEV ? "hostdev" : "interface";
  g_autofree char *path = NULL;
  g_autofree char *text = read_template (dirs, name, &path, error);
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (xmlBuffer) buf = NULL;
  g_autoptr (GError) e = NULL;
  g_autofree char *type = NULL;
  xmlNode *root, *address;

  if (text == NULL)
    return NULL;
  doc = vfp_xml_parse (text, -1, path, &e);
  if (doc == NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID, _("Bad template: %s"), e->message);
      return NULL;
    }
  root = xmlDocGetRootElement (doc);
  type = vfp_xml_prop (root, "type", NULL);
  if (root->ns != NULL || strcmp ((const char *) root->name, want) != 0
      || g_strcmp0 (type, spec->kind == VFP_TEMPLATE_HOSTDEV ? "pci" : "hostdev") != 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   spec->kind == VFP_TEMPLATE_HOSTDEV
                   ? _("Bad template %s: its root must be <hostdev mode='subsystem' type='pci'>.")
                   : _("Bad template %s: its root must be <interface type='hostdev'>."),
                   path);
      return NULL;
    }
  if (!check_elements (root, spec->kind, path, error))
    return NULL;
  if (spec->kind == VFP_TEMPLATE_HOSTDEV && (spec->mac || spec->vlan >= 0 || spec->failover_of))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("A MAC, a VLAN or failover needs a NIC VF given as <interface type='hostdev'> (template=interface)."));
      return NULL;
    }

  address = child (child (root, "source"), "address");
  if (spec->kind == VFP_TEMPLATE_INTERFACE)
    xmlSetProp (address, BAD_CAST "type", BAD_CAST "pci");
  set_hex (address, "domain", "0x%04x", spec->vf.domain);
  set_hex (address, "bus", "0x%02x", spec->vf.bus);
  set_hex (address, "slot", "0x%02x", spec->vf.slot);
  set_hex (address, "function", "0x%x", spec->vf.function);

  if (spec->kind == VFP_TEMPLATE_INTERFACE)
    {
      remove_children (root, "mac");
      if (spec->mac != NULL)
        xmlSetProp (child (root, "mac"), BAD_CAST "address", BAD_CAST spec->mac);
      remove_children (root, "vlan");
      if (spec->vlan >= 0)
        set_hex (child (child (root, "vlan"), "tag"), "id", "%u", spec->vlan);
    }
  remove_children (root, "teaming");
  if (spec->failover_of != NULL)
    {
      xmlNode *t = child (root, "teaming");

      xmlSetProp (t, BAD_CAST "type", BAD_CAST "transient");
      xmlSetProp (t, BAD_CAST "persistent", BAD_CAST spec->failover_of);
    }
  remove_children (root, "alias");
  xmlSetProp (child (root, "alias"), BAD_CAST "name", BAD_CAST spec->alias);

  strip_blanks (root);
  buf = xmlBufferCreate ();
  if (xmlNodeDump (buf, doc, root, 0, 1) < 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED, _("Cannot write the device XML."));
      return NULL;
    }
  return g_strdup_printf ("%s\n", (const char *) xmlBufferContent (buf));
}
