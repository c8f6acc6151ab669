/* libFuzzer target: vfp_template_render with the shipped templates
 * (FUZZ_TEMPLATE_DIR, default "xml-templates"), then the result read back
 * with vfp_xml_parse: it must parse, and the alias, MAC and failover
 * partner must come back unchanged (values stay data, never markup).
 *
 * Input: byte 0 kind and flags, bytes 1-2 VLAN, 3 bus, 4 slot, 5 function,
 * 6-7 domain; the rest split at NUL bytes into mac, alias and failover_of. */
#include "fuzz-common.h"

#include "vfp-template.h"
#include "vfp-xml.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define HEADER 8

/* TRUE when S is UTF-8 made only of characters XML 1.0 can carry. Others
 * cannot reach the renderer (the MAC is checked, aliases come from libvirt's
 * XML), so for them only memory safety is checked, not the read-back. */
static gboolean
xml_chars (const char *s)
{
  const char *p;

  if (!g_utf8_validate (s, -1, NULL))
    return FALSE;
  for (p = s; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r')
          || (c >= 0xd800 && c <= 0xdfff) || c == 0xfffe || c == 0xffff)
        return FALSE;
    }
  return TRUE;
}

static void
expect_prop (xmlNode *node, const char *attr, const char *want, const char *what)
{
  g_autofree char *got = node ? vfp_xml_prop (node, attr, NULL) : NULL;

  if (g_strcmp0 (got, want) != 0)
    {
      fprintf (stderr, "%s read back as '%s', not '%s'\n", what,
               got ? got : "(none)", want ? want : "(none)");
      abort ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *dirs[2];
  uint8_t h[HEADER] = { 0 };
  g_autofree char *rest = NULL;
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  const char *strs[3] = { NULL, NULL, NULL };
  VfpDeviceSpec spec = { 0 };
  size_t n = size < HEADER ? size : HEADER, start = 0;
  guint nstr = 0;
  gboolean hostdev_extras;

  fuzz_init_once ();
  if (dirs[0] == NULL)
    {
      const char *d = g_getenv ("FUZZ_TEMPLATE_DIR");

      dirs[0] = d && *d ? d : "xml-templates";
    }
  memcpy (h, data, n);
  rest = fuzz_cstring (data + n, size - n);
  for (size_t i = 0; i <= size - n && nstr < 3; i++)
    if (i == size - n || rest[i] == '\0')
      {
        strs[nstr++] = rest + start;
        start = i + 1;
      }

  spec.kind = (h[0] & 1) ? VFP_TEMPLATE_HOSTDEV : VFP_TEMPLATE_INTERFACE;
  spec.vlan = (h[0] & 2) ? ((h[1] << 8 | h[2]) & 0xfff) : -1;
  spec.vf.bus = h[3];
  spec.vf.slot = h[4] & 0x1f;
  spec.vf.function = h[5] & 7;
  spec.vf.domain = (h[6] << 8 | h[7]);
  spec.mac = (h[0] & 4) ? strs[0] : NULL;
  spec.alias = strs[1] ? strs[1] : "ua-vfpool-0";
  spec.failover_of = (h[0] & 8) ? strs[2] : NULL;

  hostdev_extras = spec.kind == VFP_TEMPLATE_HOSTDEV
                   && (spec.mac || spec.vlan >= 0 || spec.failover_of);
  out = vfp_template_render (dirs, &spec, &error);
  if (out == NULL)
    {
      if (hostdev_extras && error != NULL)
        return 0;
      fprintf (stderr, "render failed: %s\n", error ? error->message : "(no error)");
      abort ();
    }
  if (hostdev_extras)
    abort ();   /* should have been refused */

  if (xml_chars (spec.alias) && (!spec.mac || xml_chars (spec.mac))
      && (!spec.failover_of || xml_chars (spec.failover_of)))
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (xmlDoc) doc = vfp_xml_parse (out, -1, "the rendered device", &e);
      xmlNode *root;

      if (doc == NULL)
        {
          fprintf (stderr, "rendered XML does not parse: %s\n%s", e->message, out);
          abort ();
        }
      root = xmlDocGetRootElement (doc);
      expect_prop (vfp_xml_child (root, "alias", NULL), "name", spec.alias, "alias");
      if (spec.kind == VFP_TEMPLATE_INTERFACE)
        expect_prop (spec.mac ? vfp_xml_child (root, "mac", NULL) : NULL, "address",
                     spec.mac, "mac");
      if (spec.failover_of)
        expect_prop (vfp_xml_child (root, "teaming", NULL), "persistent", spec.failover_of,
                     "failover_of");
    }
  return 0;
}
