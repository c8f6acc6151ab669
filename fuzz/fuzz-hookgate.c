/* libFuzzer target: the hook's gate (hooks/hook-gate.c) against the full
 * hook's reading of the same XML, by the rules both follow
 * (src/vfp-hook-rules.c). The gate may send anything to the full hook, but
 * when it answers "nothing to do" for a rule that needs a vfpool device or
 * vfpool metadata, the full hook must agree: the XML does not parse
 * (libvirt never sends such XML) or it has no such device (alias
 * ua-vfpool-), or no vfpool metadata. */
#include "fuzz-common.h"

#include "hook-gate.h"
#include "vfp-domxml.h"
#include "vfp-hook-rules.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static gboolean
has_vfpool_device (VfpDomain *dom)
{
  guint i;

  for (i = 0; i < dom->devices->len; i++)
    {
      VfpDomDevice *d = dom->devices->pdata[i];

      if (vfp_hook_alias_is_vfpool (d->alias))
        return TRUE;
    }
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *const ops[][2] = {
    { "prepare", "begin" }, { "reconnect", "begin" }, { "migrate", "begin" }, { "started", "begin" },
  };
  const char *xml = (const char *) data;
  VfpDomain *dom;
  guint i;

  fuzz_init_once ();
  dom = vfp_domxml_parse (xml, size, NULL);
  for (i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      HookGateCall call = { ops[i][0], ops[i][1], xml, size, NULL, NULL };
      gboolean needs_meta = vfp_hook_rule_find (ops[i][0], ops[i][1])->need == VFP_HOOK_NEEDS_METADATA;

      if (hook_gate (&call, "/nonexistent/vfpool.conf", "/nonexistent/state") != HOOK_GATE_NOTHING_TO_DO
          || dom == NULL)
        continue;
      if ((!needs_meta && has_vfpool_device (dom)) || (needs_meta && dom->meta->len > 0))
        {
          fprintf (stderr, "the gate skipped %s %s of a guest the full hook acts on\n", ops[i][0], ops[i][1]);
          abort ();
        }
    }
  vfp_domain_free (dom);
  return 0;
}
