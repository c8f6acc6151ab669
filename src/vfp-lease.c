/* Leases: their life-cycle states in words, and their memory. */
#include "config.h"

#include <string.h>

#include <libxml/tree.h>

#include "vfp-i18n.h"
#include "vfp-lease.h"

static const char *const state_names[] = {
  [VFP_LEASE_FREE] = "free",
  [VFP_LEASE_RESERVED] = "reserved",
  [VFP_LEASE_ATTACHED] = "attached",
  [VFP_LEASE_DETACHING] = "detaching",
  [VFP_LEASE_QUARANTINED] = "quarantined",
};

const char *
vfp_lease_state_name (VfpLeaseState state)
{
  return state_names[state];
}

/* The state in words for people (translated); vfp_lease_state_name is
 * the stable word for files and JSON. */
const char *
vfp_lease_state_label (VfpLeaseState state)
{
  switch (state)
    {
    case VFP_LEASE_FREE: return _("free");
    case VFP_LEASE_RESERVED: return _("reserved");
    case VFP_LEASE_ATTACHED: return _("attached");
    case VFP_LEASE_DETACHING: return _("detaching");
    case VFP_LEASE_QUARANTINED: return _("quarantined");
    }
  g_assert_not_reached ();
}

gboolean
vfp_lease_state_parse (const char *name, VfpLeaseState *state)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (name != NULL && strcmp (name, state_names[i]) == 0)
      {
        *state = i;
        return TRUE;
      }
  return FALSE;
}

/* Who holds the lease, for people: the guest's name, else the label. */
const char *
vfp_lease_owner (const VfpLease *lease)
{
  if (lease->owner_name)
    return lease->owner_name;
  if (lease->owner_uuid)
    return lease->owner_uuid;
  return lease->owner_label;
}

VfpLease *
vfp_lease_new (const char *vf)
{
  VfpLease *lease = g_new0 (VfpLease, 1);

  lease->vf = g_strdup (vf);
  lease->vlan = -1;
  return lease;
}

void
vfp_lease_free (VfpLease *lease)
{
  if (lease == NULL)
    return;
  g_free (lease->vf);
  g_free (lease->owner_uuid);
  g_free (lease->owner_name);
  g_free (lease->owner_label);
  g_free (lease->mac);
  g_free (lease->alias);
  g_free (lease->note);
  g_free (lease->vf_settings);
  xmlFreeNode (lease->keep);
  g_free (lease->baseline_driver);
  g_free (lease);
}

