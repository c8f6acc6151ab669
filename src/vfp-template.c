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
#include "vfp-xml.h"

#define TEMPLATE_MAX_SIZE (64 * 1024)

const char *
vfp_template_file_name (const VfpDeviceSpec *spec)
{
  if (spec->kind == VFP_TEMPLATE_HOSTDEV)
    return "hostdev.xml";
  return spec->failover_of ? "interface-failover.xml" : "interface.xml";
}

/* Reads the first NAME found in DIRS. A template others can write is
 * refused: it becomes device XML that root hands to libvirt. */
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
      /* O_NONBLOCK: a FIFO must not hold vfpool waiting for a writer;
       * the fstat below refuses it unread */
      int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

      if (fd < 0)
        {
          if (errno == ENOENT)
            continue;
          g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("Cannot read the template %s: %s"),
                       path, g_strerror (errno));
          return NULL;
        }
      if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > TEMPLATE_MAX_SIZE)
        {
          close (fd);
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       _("The template %s is not a regular file of at most 64 KiB."), path);
          return NULL;
        }
      if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 || (st.st_uid != 0 && st.st_uid != geteuid ()))
        {
          close (fd);
          g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                       _("Refusing the template %s: others can write it or another user owns it (mode %04o, owner %u); run chmod go-w and chown root on it."),
                       path, (unsigned) (st.st_mode & 07777), (unsigned) st.st_uid);
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
  xmlNode *c = vfp_xml_child (parent, name);

  return c ? c : xmlNewChild (parent, NULL, BAD_CAST name, NULL);
}

static void
remove_children (xmlNode *parent, const char *name)
{
  xmlNode *c;

  while ((c = vfp_xml_child (parent, name)) != NULL)
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
  type = vfp_xml_prop (root, "type");
  if (strcmp ((const char *) root->name, want) != 0
      || g_strcmp0 (type, spec->kind == VFP_TEMPLATE_HOSTDEV ? "pci" : "hostdev") != 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   spec->kind == VFP_TEMPLATE_HOSTDEV
                   ? _("Bad template %s: its root must be <hostdev mode='subsystem' type='pci'>.")
                   : _("Bad template %s: its root must be <interface type='hostdev'>."),
                   path);
      return NULL;
    }
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
