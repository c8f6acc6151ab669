/* The reattach workflow: the migration reservations of a guest, attached
 * (attach confirmed) or, when that fails, freed (attach rolled back). */
#include "config.h"

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-reattach.h"

void
vfp_reattach_item_free (VfpReattachItem *it)
{
  g_free (it->vf);
  g_free (it->alias);
  g_free (it->why);
  g_free (it);
}

/* The VFs the destination's hook reserved for guest UUID's arrival
 * (VfpReattachItem*, the caller's); those whose PF is no longer the card
 * the store recorded carry the reason already. NULL with ERROR when the
 * store cannot be read. */
GPtrArray *
vfp_reattach_pending (VfpWorkflow *wf, const char *uuid, GError **error)
{
  g_autoptr (VfpPool) pool = vfp_workflow_begin (wf, error);
  g_autoptr (GPtrArray) mine = NULL;
  GPtrArray *todo;
  guint i;

  if (pool == NULL)
    return NULL;
  todo = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_reattach_item_free);
  mine = vfp_pool_guest_leases (pool, uuid);
  for (i = 0; i < mine->len; i++)
    {
      const VfpLease *l = mine->pdata[i];
      g_autoptr (GError) changed = NULL;
      VfpReattachItem *it;

      if (l->state != VFP_LEASE_RESERVED || l->pid != 0 || !l->migration)
        continue;
      it = g_new0 (VfpReattachItem, 1);
      it->vf = g_strdup (l->vf);
      it->alias = g_strdup (l->alias);
      /* reserved by the hook, but the card may have changed since */
      if (!vfp_pool_check_pf (pool, wf->sysfs->root, l->pf, FALSE, &changed))
        it->why = g_strdup (changed->message);
      g_ptr_array_add (todo, it);
    }
  return todo;
}

/* Records the outcome of IT for guest UUID: attached, or freed (scrubbed;
 * quarantined when that fails). What cannot be recorded is a warning. */
static void
record (VfpWorkflow *wf, const char *uuid, VfpReattachItem *it)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (VfpPool) pool = vfp_workflow_begin (wf, &e);
  gboolean ok = pool != NULL
                && (it->attached ? vfp_pool_attach_confirmed (pool, it->vf, uuid, it->alias, NULL, &e)
                                 : vfp_pool_attach_rolled_back (pool, it->vf, uuid, it->alias, it->why, &e));

  if (!ok && pool != NULL)
    vfp_pool_warn (pool, it->vf, NULL, e->message);
  g_clear_error (&e);
  if (pool == NULL || !vfp_workflow_commit (wf, pool, &e))
    vfp_workflow_warn (wf, "%s", e->message);
}

/* Attaches IT to GUEST (running here) as its metadata describes it; the
 * entry, with IT's address, goes to META_ADD for the caller to write. */
void
vfp_reattach_one (VfpWorkflow *wf, VfpGuest *guest, VfpReattachItem *it, GPtrArray *meta_add)
{
  g_autoptr (GError) error = NULL;
  VfpMetaVf *m = NULL;
  guint j;

  for (j = 0; it->alias != NULL && j < guest->live->meta->len; j++)
    if (g_strcmp0 (((VfpMetaVf *) guest->live->meta->pdata[j])->alias, it->alias) == 0)
      m = guest->live->meta->pdata[j];
  if (it->why != NULL)
    ;
  else if (m == NULL)
    it->why = g_strdup (_("the guest's metadata does not describe it"));
  else if (!vfp_guest_attach_meta (guest, wf->template_dirs, m, it->vf, TRUE, FALSE, &error))
    it->why = g_strdup (error->message);
  else
    {
      it->attached = TRUE;
      g_free (m->address);
      m->address = g_strdup (it->vf);
      g_ptr_array_add (meta_add, m);
    }
  record (wf, vfp_virt_domain_uuid (guest->dom), it);
}
