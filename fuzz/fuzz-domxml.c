/* libFuzzer target: vfp_domxml_parse on domain XML as the hook reads it
 * from stdin (a buffer and its length, not NUL-terminated), then
 * vfp_domain_next_alias and vfp_metadata_build on what it parsed. */
#include "fuzz-common.h"

#include "vfp-domxml.h"

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
  g_free (xml);
  if (dom == NULL)
    {
      if (error == NULL)
        abort ();
      return 0;
    }
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
