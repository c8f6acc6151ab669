/* libFuzzer target: vfp_domxml_parse on domain XML as the hook reads it
 * from stdin (a buffer and its length, not NUL-terminated), then
 * vfp_domain_next_alias and vfp_metadata_build on what it parsed, and the
 * capacity probe's reader (vfp_probe_read): a probe it accepts, built
 * again by vfpool, must read back the same. */
#include "fuzz-common.h"

#include "vfp-domxml.h"
#include "vfp-probe.h"
#include "vfp-xml.h"

/* A probe the reader accepted survives vfpool's own build of it. */
static void
check_probe (const char *xml, size_t size, GPtrArray *meta)
{
  g_autoptr (xmlDoc) doc = vfp_xml_parse (size ? xml : "", (gssize) size, "fuzz", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpProbe) probe = doc ? vfp_probe_read (doc, &error) : NULL;
  g_autofree char *again = NULL;
  g_autoptr (xmlDoc) doc2 = NULL;
  g_autoptr (VfpProbe) back = NULL;

  if (probe == NULL)
    return;
  again = vfp_probe_build (probe, meta);
  doc2 = vfp_xml_parse (again, -1, "fuzz", NULL);
  back = doc2 ? vfp_probe_read (doc2, NULL) : NULL;
  if (back == NULL || strcmp (back->guest_uuid, probe->guest_uuid) != 0
      || strcmp (back->guest_name, probe->guest_name) != 0 || strcmp (back->token, probe->token) != 0
      || back->hold_seconds != probe->hold_seconds || back->cancel != probe->cancel)
    abort ();
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  char *xml;
  VfpDomain *dom;

  fuzz_init_once ();
  /* Exactly SIZE bytes, no terminator: ASan sees any read past the end. */
  xml = g_malloc (size ? size : 1);
  memcpy (xml, data, size);
  dom = vfp_domxml_parse (size ? xml : "", (gssize) size, &error);
  if (dom == NULL)
    {
      g_free (xml);
      if (error == NULL)
        abort ();
      return 0;
    }
  check_probe (xml, size, dom->meta);
  g_free (xml);
  {
    g_autofree char *alias = vfp_domain_next_alias (dom, dom, NULL);
    g_autofree char *meta = vfp_metadata_build (dom->meta);

    if (alias == NULL || !g_str_has_prefix (alias, VFP_ALIAS_PREFIX) || meta == NULL)
      abort ();
    /* vfpool's own metadata must read back: it is what vfpool writes. */
    if (vfp_domain_find_device (dom, alias) != NULL)
      abort ();
  }
  vfp_domain_free (dom);
  return 0;
}
