/* The capacity probe of a migration (see vfp-probe.h): built by `vfpool
 * migrate` with the libxml2 tree API, read by the destination's hook. */
#include "config.h"

#include <string.h>

#include "vfp-domxml.h"
#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-probe.h"
#include "vfp-xml.h"

/* A fresh token: 32 lowercase hex digits; the caller frees it. It only has
 * to tell this probe's answer from any other line, so a random UUID does. */
char *
vfp_probe_token_new (void)
{
  g_autofree char *uuid = g_uuid_string_random ();
  GString *s = g_string_new (NULL);
  const char *p;

  for (p = uuid; *p; p++)
    if (*p != '-')
      g_string_append_c (s, *p);
  return g_string_free (s, FALSE);
}

void
vfp_probe_free (VfpProbe *probe)
{
  if (probe == NULL)
    return;
  g_free (probe->guest_uuid);
  g_free (probe->guest_name);
  g_free (probe->token);
  g_free (probe);
}

static void
set_int (xmlNode *n, const char *name, int v)
{
  char buf[16];

  g_snprintf (buf, sizeof buf, "%d", v);
  xmlSetProp (n, BAD_CAST name, BAD_CAST buf);
}

/* The probe domain: no devices, 16 MiB, paused if it ever started, named
 * after the token; its metadata holds META (VfpMetaVf*, the guest's VFs)
 * and the marker. The caller frees the text. */
char *
vfp_probe_build (const VfpProbe *probe, GPtrArray *meta)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc (BAD_CAST "1.0");
  g_autoptr (xmlBuffer) buf = xmlBufferCreate ();
  g_autofree char *name = g_strdup_printf ("vfpool-probe-%.12s", probe->token);
  xmlNode *root = xmlNewNode (NULL, BAD_CAST "domain");
  xmlNode *n, *md, *mine;
  xmlNs *ns;

  xmlDocSetRootElement (doc, root);
  xmlSetProp (root, BAD_CAST "type", BAD_CAST "qemu");
  xmlNewTextChild (root, NULL, BAD_CAST "name", BAD_CAST name);
  n = xmlNewTextChild (root, NULL, BAD_CAST "memory", BAD_CAST "16");
  xmlSetProp (n, BAD_CAST "unit", BAD_CAST "MiB");
  xmlNewTextChild (root, NULL, BAD_CAST "vcpu", BAD_CAST "1");
  md = xmlNewChild (root, NULL, BAD_CAST "metadata", NULL);
  mine = xmlNewChild (md, NULL, BAD_CAST "vfpool", NULL);
  ns = xmlNewNs (mine, BAD_CAST VFP_METADATA_NS, BAD_CAST VFP_METADATA_PREFIX);
  xmlSetNs (mine, ns);
  vfp_metadata_add_vfs (mine, ns, meta);
  n = xmlNewChild (mine, ns, BAD_CAST "probe", NULL);
  xmlSetProp (n, BAD_CAST "guest-uuid", BAD_CAST probe->guest_uuid);
  xmlSetProp (n, BAD_CAST "guest-name", BAD_CAST probe->guest_name);
  xmlSetProp (n, BAD_CAST "token", BAD_CAST probe->token);
  set_int (n, "hold", (int) probe->hold_seconds);
  if (probe->cancel)
    xmlSetProp (n, BAD_CAST "cancel", BAD_CAST "yes");
  n = xmlNewChild (root, NULL, BAD_CAST "os", NULL);
  xmlNewTextChild (n, NULL, BAD_CAST "type", BAD_CAST "hvm");
  xmlNodeDump (buf, doc, root, 0, 0);
  return g_strdup ((const char *) xmlBufferContent (buf));
}

static gboolean
is_hex (const char *s, gsize len)
{
  gsize i;

  if (s == NULL || strlen (s) != len)
    return FALSE;
  for (i = 0; i < len; i++)
    if (!g_ascii_isxdigit (s[i]) || g_ascii_isupper (s[i]))
      return FALSE;
  return TRUE;
}

static gboolean
is_uuid (const char *s)
{
  static const int dash[] = { 8, 13, 18, 23 };
  gsize i;

  if (s == NULL || strlen (s) != 36)
    return FALSE;
  for (i = 0; i < 36; i++)
    {
      gboolean want_dash = i == (gsize) dash[0] || i == (gsize) dash[1] || i == (gsize) dash[2]
                           || i == (gsize) dash[3];

      if (want_dash ? s[i] != '-' : !(g_ascii_isxdigit (s[i]) && !g_ascii_isupper (s[i])))
        return FALSE;
    }
  return TRUE;
}

/* The probe marker of domain document DOC: NULL without ERROR when DOC is
 * no probe, NULL with ERROR when its marker is malformed (the hook then
 * refuses the probe, naming the problem). The caller frees the result. */
VfpProbe *
vfp_probe_read (xmlDoc *doc, GError **error)
{
  g_autoptr (VfpProbe) probe = NULL;
  g_autofree char *hold = NULL, *cancel = NULL;
  xmlNode *root, *md = NULL, *mine, *marker = NULL;
  guint64 v = 0;

  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  while (marker == NULL && (md = vfp_xml_next_child (root, md, "metadata", NULL)) != NULL)
    for (mine = NULL; marker == NULL && (mine = vfp_xml_next_child (md, mine, "vfpool", VFP_METADATA_NS)) != NULL;)
      marker = vfp_xml_next_child (mine, NULL, "probe", VFP_METADATA_NS);
  if (marker == NULL)
    return NULL;
  probe = g_new0 (VfpProbe, 1);
  probe->guest_uuid = vfp_xml_prop (marker, "guest-uuid", NULL);
  probe->guest_name = vfp_xml_prop (marker, "guest-name", NULL);
  probe->token = vfp_xml_prop (marker, "token", NULL);
  hold = vfp_xml_prop (marker, "hold", NULL);
  cancel = vfp_xml_prop (marker, "cancel", NULL);
  probe->cancel = g_strcmp0 (cancel, "yes") == 0;
  if (!is_uuid (probe->guest_uuid) || probe->guest_name == NULL || !is_hex (probe->token, 32)
      || hold == NULL || !g_ascii_string_to_unsigned (hold, 10, 1, VFP_PROBE_MAX_HOLD, &v, NULL))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("The capacity probe of a migration is malformed: it needs guest-uuid (a lowercase UUID), guest-name, token (32 lowercase hex digits) and hold (1 to %d seconds)."),
                   VFP_PROBE_MAX_HOLD);
      return NULL;
    }
  probe->hold_seconds = (guint) v;
  return g_steal_pointer (&probe);
}
