/* The detach workflow, one VF at a time: detaching (durably) -> libvirt
 * removes the device -> DEVICE_REMOVED -> scrubbed and free. Another
 * vfpool may detach (and an attach give back) the same VF meanwhile: each
 * step checks that the lease is still the one this detach is about. */
#include "config.h"

#include <string.h>

#include "vfp-detach.h"
#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-log.h"

void
vfp_detach_item_free (VfpDetachItem *it)
{
  g_free (it->vf);
  g_free (it->alias);
  g_free (it->failure);
  g_free (it);
}

/* An attach in progress (a reservation whose process lives): its own
 * rollback or completion settles it, never a detach; nor a quarantined VF. */
static gboolean
in_flight (VfpPool *pool, const VfpLease *l)
{
  return l->state == VFP_LEASE_QUARANTINED
         || (l->state == VFP_LEASE_RESERVED && !vfp_pool_lease_is_stale (pool, l));
}

/* Whether ARG ("05:10.2", "0000:05:10.2") names VF. */
static gboolean
same_vf (const char *arg, const char *vf)
{
  VfpAddr x, y;

  return vfp_addr_parse (arg, &x, NULL) && vfp_addr_parse (vf, &y, NULL) && vfp_addr_equal (&x, &y);
}

/* The leases of guest UUID that NAMES (N_NAMES VF addresses or aliases)
 * name, or all of them: VfpDetachItem*, the caller's. NULL with ERROR
 * when a name is not the guest's, or it has none. Reads the store only. */
GPtrArray *
vfp_detach_select (VfpWorkflow *wf, const char *uuid, char **names, int n_names, gboolean all,
                   GError **error)
{
  g_autoptr (VfpPool) pool = vfp_workflow_begin (wf, error);
  g_autoptr (GPtrArray) mine = NULL;
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_detach_item_free);
  guint i;
  int a;

  if (pool == NULL)
    return NULL;
  mine = vfp_pool_guest_leases (pool, uuid);
  for (i = 0; i < mine->len; i++)
    {
      const VfpLease *l = mine->pdata[i];
      gboolean wanted = all;

      for (a = 0; a < n_names && !wanted; a++)
        wanted = g_strcmp0 (names[a], l->alias) == 0 || same_vf (names[a], l->vf);
      if (wanted && !in_flight (pool, l) && l->alias != NULL)
        {
          VfpDetachItem *it = g_new0 (VfpDetachItem, 1);

          it->vf = g_strdup (l->vf);
          it->alias = g_strdup (l->alias);
          g_ptr_array_add (out, it);
        }
    }
  if (out->len == 0 || (!all && (int) out->len < n_names))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND, "%s",
                   all ? _("The guest holds no VF from vfpool.")
                       : _("Not every VF named is held by this guest through vfpool; 'vfpool list' shows who holds what."));
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* Whether DOM has VF under ALIAS (an alias can be given again to another
 * VF once a concurrent detach has removed the first). */
static gboolean
has_vf (VfpDomain *dom, const char *alias, const char *vf)
{
  VfpDomDevice *dev = vfp_domain_find_device (dom, alias);
  g_autofree char *addr = dev ? vfp_addr_to_string (&dev->addr) : NULL;

  return addr != NULL && strcmp (addr, vf) == 0;
}

/* The detach-requested event of IT for guest UUID, durable before libvirt
 * is asked. FALSE: the lease is not this detach's any more (another
 * vfpool detached it, an attach is under way, it is quarantined). */
static gboolean
request (VfpWorkflow *wf, const char *uuid, VfpDetachItem *it)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (VfpPool) pool = vfp_workflow_begin (wf, &e);
  const VfpLease *l;

  if (pool == NULL)
    {
      vfp_workflow_warn (wf, "%s", e->message);
      return FALSE;
    }
  l = vfp_pool_lease (pool, it->vf);
  if (l == NULL || in_flight (pool, l) || !vfp_pool_detach_requested (pool, it->vf, uuid, it->alias, NULL))
    return FALSE;
  if (vfp_workflow_commit (wf, pool, &e))
    return TRUE;
  vfp_workflow_warn (wf, "%s", e->message);
  return FALSE;
}

/* Whether the lease of IT is still this detach's, detaching: not freed by
 * another detach meanwhile, and maybe given to the guest again (under a new
 * alias) by an attach. Only reads: the transaction is not committed. */
static gboolean
still_mine (VfpWorkflow *wf, const char *uuid, const VfpDetachItem *it)
{
  g_autoptr (VfpPool) pool = vfp_workflow_begin (wf, NULL);
  const VfpLease *l = pool ? vfp_pool_lease (pool, it->vf) : NULL;

  return l != NULL && l->state == VFP_LEASE_DETACHING && g_strcmp0 (l->owner_uuid, uuid) == 0
         && g_strcmp0 (l->alias, it->alias) == 0;
}

/* The device-removed event of IT for guest UUID (WHY in the log): the
 * lease ends once its VF verifies, else it is quarantined. FALSE: the
 * lease was not this detach's any more (another vfpool ended it; the VF
 * is out of the guest all the same). */
static gboolean
removed (VfpWorkflow *wf, const char *uuid, VfpDetachItem *it, const char *why)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (VfpPool) pool = vfp_workflow_begin (wf, &e);

  if (pool == NULL)
    {
      it->outcome = VFP_DETACH_ERROR;
      it->failure = g_strdup (e->message);
      return TRUE;
    }
  /* DEVICE_REMOVED may come while libvirt still gives the VF back to its
   * driver */
  vfp_pool_set_scrub_settle (pool, 2000);
  it->outcome = VFP_DETACH_FREE;
  if (!vfp_pool_device_removed (pool, it->vf, uuid, it->alias, why, &e)
      && !g_error_matches (e, VFP_ERROR, VFP_ERROR_QUARANTINED))
    return FALSE;
  if (e != NULL)
    {
      it->outcome = VFP_DETACH_QUARANTINED;
      it->failure = g_strdup (e->message);
    }
  g_clear_error (&e);
  if (!vfp_workflow_commit (wf, pool, &e))
    {
      it->outcome = VFP_DETACH_ERROR;
      g_free (it->failure);
      it->failure = g_strdup (e->message);
    }
  return TRUE;
}

/* Asks libvirt to remove IT from GUEST (IN_LIVE, IN_CONFIG: where it is)
 * and waits up to TIMEOUT_MS for DEVICE_REMOVED. FALSE with IT's outcome
 * and failure set when it is still there. */
static gboolean
remove_device (VfpWorkflow *wf, VfpGuest *guest, VfpDetachItem *it, gboolean in_live,
               gboolean in_config, guint timeout_ms)
{
  g_autoptr (GError) e = NULL;
  const char *name = vfp_virt_domain_name (guest->dom);

  if ((in_live || in_config) && !vfp_virt_detach_alias (guest->dom, it->alias, in_live, in_config, &e)
      && (!vfp_guest_reload (guest, NULL) || has_vf (guest->live, it->alias, it->vf)
          || has_vf (guest->config, it->alias, it->vf)))
    {
      it->failure = g_strdup_printf (_("%s; VF %s stays detaching."), e->message, it->vf);
      it->outcome = VFP_DETACH_ERROR;
      return FALSE;
    }
  /* libvirt's error when another detach removed it first is no failure */
  if (!in_live)
    return TRUE;
  vfp_workflow_progress (wf, _("waiting up to %d s for guest %s to release VF %s..."),
                         (int) (timeout_ms / 1000), name, it->vf);
  if (vfp_virt_wait_removed (guest->dom, it->alias, timeout_ms))
    return TRUE;
  it->failure = g_strdup_printf (_("Guest '%s' did not release VF %s (%s) within %d s; the lease stays detaching. It is freed when the guest lets go or stops ('vfpool audit' settles it)."),
                                 name, it->vf, it->alias, (int) (timeout_ms / 1000));
  it->outcome = VFP_DETACH_DETACHING;
  return FALSE;
}

/* Detaches IT from GUEST, waiting up to TIMEOUT_MS for the guest to let
 * go; IT's outcome (and failure) say how it went. */
void
vfp_detach_one (VfpWorkflow *wf, VfpGuest *guest, VfpDetachItem *it, guint timeout_ms)
{
  const char *uuid = vfp_virt_domain_uuid (guest->dom);
  g_autoptr (GError) e = NULL;
  gboolean in_live, in_config, elsewhere, gone, mine;
  VfpAddr addr;

  gone = !request (wf, uuid, it);
  vfp_guest_reload (guest, NULL);
  in_live = has_vf (guest->live, it->alias, it->vf);
  in_config = has_vf (guest->config, it->alias, it->vf);
  elsewhere = !in_live && !in_config && vfp_addr_parse (it->vf, &addr, NULL)
              && (vfp_domain_find_address (guest->live, &addr) || vfp_domain_find_address (guest->config, &addr));
  /* the VF in the guest under another alias: another detach may have freed
   * this lease after it was marked, and an attach given the VF back; then
   * the device is not this detach's to remove */
  if (!gone && elsewhere)
    gone = !still_mine (wf, uuid, it);
  if (gone)
    {
      it->outcome = VFP_DETACH_GONE;
      return;
    }
  if (!remove_device (wf, guest, it, in_live, in_config, timeout_ms))
    return;
  if (elsewhere)
    {
      /* under another alias than its lease says: not this lease's device */
      it->failure = g_strdup_printf (_("Guest '%s' has VF %s under another alias than %s; the lease stays detaching ('vfpool audit' settles it)."),
                                     vfp_virt_domain_name (guest->dom), it->vf, it->alias);
      it->outcome = VFP_DETACH_ERROR;
      return;
    }
  mine = removed (wf, uuid, it, in_live ? _("libvirt reported the device removed") : in_config
                  ? _("removed from the persistent definition") : _("the guest no longer has it"));
  vfp_guest_reload (guest, NULL);
  if (mine && !vfp_guest_write_metadata (guest, NULL, it->alias, guest->active, guest->persistent, &e))
    vfp_workflow_warn (wf, "%s", e->message);
}
