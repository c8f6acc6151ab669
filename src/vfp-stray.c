/* Leases the kernel does not back (see vfp-stray.h). */
#include "config.h"

#include "vfp-addr.h"
#include "vfp-i18n.h"
#include "vfp-stray.h"

/* Whether PF (a lease's pf=, maybe NULL) names the PF at ADDR; a lease
 * without pf= is not said to be wrong. */
static gboolean
same_pf (const char *pf, const VfpAddr *addr)
{
  VfpAddr a;

  return pf == NULL || (vfp_addr_parse (pf, &a, NULL) && vfp_addr_equal (&a, addr));
}

/* The stray leases of STATE, by VF address: a GPtrArray of VfpStray the
 * caller frees (the leases stay the store's). One pass over the kernel's
 * VFs, one lookup each: list and status run it on every call. */
GPtrArray *
vfp_stray_find (VfpSysfs *sysfs, VfpState *state)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GHashTable) backed = g_hash_table_new (NULL, NULL);
  g_autoptr (GPtrArray) leases = NULL;
  guint i, j;

  for (i = 0; i < sysfs->pfs->len; i++)
    {
      VfpPf *pf = sysfs->pfs->pdata[i];

      for (j = 0; j < pf->vfs->len; j++)
        {
          VfpVf *vf = pf->vfs->pdata[j];
          const VfpLease *l = vfp_state_get (state, vf->fn.address);

          if (l == NULL)
            continue;
          g_hash_table_add (backed, (gpointer) l);
          if (!same_pf (l->pf, &pf->fn.addr))
            {
              VfpStray *s = g_new0 (VfpStray, 1);

              s->lease = l;
              s->kind = VFP_STRAY_WRONG_PF;
              s->vf = vf;
              g_ptr_array_add (out, s);
            }
        }
    }
  leases = vfp_state_list (state);
  for (i = 0; i < leases->len; i++)
    if (!g_hash_table_contains (backed, leases->pdata[i]))
      {
        VfpStray *s = g_new0 (VfpStray, 1);

        s->lease = leases->pdata[i];
        s->kind = VFP_STRAY_MISSING_VF;
        g_ptr_array_add (out, s);
      }
  return out;
}

/* What is wrong with STRAY, as one sentence for people (g_free). */
char *
vfp_stray_describe (const VfpStray *stray)
{
  const VfpLease *l = stray->lease;
  const char *owner = vfp_lease_owner (l) ? vfp_lease_owner (l) : "-";

  if (stray->kind == VFP_STRAY_MISSING_VF)
    return g_strdup_printf (_("VF %s is %s by %s, but the kernel has no such VF; 'vfpool audit' says what to do."),
                            l->vf, vfp_lease_state_label (l->state), owner);
  return g_strdup_printf (_("The lease of VF %s (%s by %s) names PF %s, but the VF belongs to PF %s; 'vfpool audit' says what to do."),
                          l->vf, vfp_lease_state_label (l->state), owner, l->pf,
                          stray->vf->pf->fn.address);
}
