/* The migrate workflow: the destination's capacity probe, detach
 * (detaching -> device removed -> free), migrate, and on any failure call
 * the probe's reservation off and give the VFs back (guest started). */
#include "config.h"

#include <string.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-migrate.h"
#include "vfp-probe.h"

typedef struct {
  char *vf;
  char *alias;
  VfpMetaVf *meta;          /* not owned: in the guest's live XML */
  gboolean detached;
} Moving;

static void
moving_free (Moving *m)
{
  g_free (m->vf);
  g_free (m->alias);
  g_free (m);
}

/* The VFs to carry: vfpool's devices in the running guest, except
 * failover partners, which QEMU unplugs by itself. */
static GPtrArray *
find_moving (VfpGuest *guest)
{
  GPtrArray *moving = g_ptr_array_new_with_free_func ((GDestroyNotify) moving_free);
  guint i;

  for (i = 0; i < guest->live->devices->len; i++)
    {
      VfpDomDevice *d = guest->live->devices->pdata[i];
      VfpMetaVf *meta = d->alias ? vfp_domain_find_meta (guest->live, d->alias) : NULL;
      Moving *m;

      if (meta == NULL || d->teaming_persistent != NULL)
        continue;
      m = g_new0 (Moving, 1);
      m->vf = vfp_addr_to_string (&d->addr);
      m->alias = g_strdup (d->alias);
      m->meta = meta;
      g_ptr_array_add (moving, m);
    }
  return moving;
}

/* One event of M's lease for GUEST in its own transaction: EVENT is one of
 * detach requested, device removed, detach cancelled, guest started (its
 * give-back) and attach rolled back (a give-back that failed). What cannot
 * be recorded is a warning: the migration goes on or back all the same. */
static void
record (VfpWorkflow *wf, VfpGuest *guest, const Moving *m, VfpLeaseEvent ev, const char *why)
{
  const char *uuid = vfp_virt_domain_uuid (guest->dom);
  g_autoptr (GError) e = NULL;
  g_autoptr (VfpPool) pool = vfp_workflow_begin (wf, &e);
  VfpVf *vf = vfp_sysfs_find_vf (wf->sysfs, m->vf);
  gboolean ok = pool != NULL;

  if (ok && ev == VFP_EVENT_DETACH_REQUESTED)
    ok = vfp_pool_detach_requested (pool, m->vf, uuid, m->alias, &e);
  else if (ok && ev == VFP_EVENT_DEVICE_REMOVED)
    ok = vfp_pool_device_removed (pool, m->vf, uuid, m->alias, why, &e);
  else if (ok && ev == VFP_EVENT_DETACH_CANCELLED)
    ok = vfp_pool_detach_cancelled (pool, m->vf, uuid, m->alias, &e);
  else if (ok && ev == VFP_EVENT_GUEST_STARTED)
    ok = vfp_pool_guest_started (pool, m->vf, vf ? vf->pf->fn.address : NULL, uuid,
                                 vfp_virt_domain_name (guest->dom), m->meta->pool, m->meta->alias,
                                 m->meta->mac, m->meta->vlan, &e);
  else if (ok)
    ok = vfp_pool_attach_rolled_back (pool, m->vf, uuid, m->alias, why, &e);
  if (!ok && pool != NULL)
    vfp_pool_warn (pool, m->vf, NULL, e->message);
  g_clear_error (&e);
  if (pool == NULL || !vfp_workflow_commit (wf, pool, &e))
    vfp_workflow_warn (wf, "%s", e->message);
}

/* Puts back every VF that was detached for the migration; returns how
 * many could not be given back (each said in a warning). */
static guint
give_back (VfpWorkflow *wf, VfpGuest *guest, GPtrArray *moving)
{
  guint i, lost = 0;

  for (i = 0; i < moving->len; i++)
    {
      Moving *m = moving->pdata[i];
      g_autoptr (GError) error = NULL;

      if (!m->detached)
        continue;
      record (wf, guest, m, VFP_EVENT_GUEST_STARTED, NULL);
      if (!vfp_guest_attach_meta (guest, wf->template_dirs, m->meta, m->vf, TRUE, FALSE, &error))
        {
          vfp_workflow_warn (wf, _("Could not give VF %s back to guest %s: %s"),
                             m->vf, vfp_virt_domain_name (guest->dom), error->message);
          record (wf, guest, m, VFP_EVENT_ATTACH_ROLLED_BACK, _("the rollback of a migration failed"));
          lost++;
        }
    }
  return lost;
}

/* Detaches every VF of MOVING for the migration; when the guest keeps one,
 * gives back those detached before and says so in ERROR. */
static gboolean
detach_all (VfpWorkflow *wf, VfpGuest *guest, GPtrArray *moving, guint timeout_ms, GError **error)
{
  guint i;

  for (i = 0; i < moving->len; i++)
    {
      Moving *m = moving->pdata[i];

      record (wf, guest, m, VFP_EVENT_DETACH_REQUESTED, NULL);
      vfp_workflow_progress (wf, _("detaching VF %s (%s) for the migration..."), m->vf, m->alias);
      if (!vfp_virt_detach_alias (guest->dom, m->alias, TRUE, FALSE, NULL)
          || !vfp_virt_wait_removed (guest->dom, m->alias, timeout_ms))
        {
          const char *name = vfp_virt_domain_name (guest->dom);

          record (wf, guest, m, VFP_EVENT_DETACH_CANCELLED, NULL);
          if (give_back (wf, guest, moving) > 0)
            g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                         _("Guest '%s' did not release VF %s (%s) within %d s; the migration was not started, but some VFs detached before could not be given back (see above)."),
                         name, m->vf, m->alias, (int) (timeout_ms / 1000));
          else
            g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                         _("Guest '%s' did not release VF %s (%s) within %d s; the migration was not started and the guest keeps its VFs."),
                         name, m->vf, m->alias, (int) (timeout_ms / 1000));
          return FALSE;
        }
      m->detached = TRUE;
      record (wf, guest, m, VFP_EVENT_DEVICE_REMOVED, _("detached for a migration"));
    }
  return TRUE;
}

/* Sends the destination DVIRT the capacity probe of GUEST (its VFs'
 * metadata, TOKEN, HOLD seconds; CANCEL frees what an earlier probe
 * reserved). TRUE when the destination's hook answered with TOKEN: the
 * VFs are reserved there (or freed). Otherwise ERROR says why not. */
static gboolean
probe_destination (VfpVirt *dvirt, VfpGuest *guest, const char *token, guint hold,
                   gboolean cancel, GError **error)
{
  VfpProbe probe = { (char *) vfp_virt_domain_uuid (guest->dom), (char *) vfp_virt_domain_name (guest->dom),
                     (char *) token, hold, cancel };
  g_autofree char *xml = vfp_probe_build (&probe, guest->live->meta);
  g_autoptr (GError) answer = NULL;

  if (vfp_virt_start_probe (dvirt, xml, &answer))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("The destination's libvirt started vfpool's capacity probe instead of refusing it: it runs no vfpool hook, or one older than this vfpool. Install vfpool's hook there, or pass --no-capacity-check."));
      return FALSE;
    }
  if (strstr (answer->message, token) != NULL)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&answer));
  return FALSE;
}

/* Capacity first: the destination reserves GUEST's VFs through its own
 * hook before anything is unplugged here, for as long as the unplugs may
 * take (its migrate hook then takes the reservation over). */
static gboolean
reserve_destination (VfpWorkflow *wf, VfpGuest *guest, const VfpMigrateRequest *req,
                     guint n_moving, const char *token, GError **error)
{
  guint hold = MIN (req->timeout_ms / 1000 * n_moving + 120, VFP_PROBE_MAX_HOLD);
  g_autoptr (GError) e = NULL;
  g_autoptr (VfpVirt) dvirt = NULL;

  vfp_workflow_progress (wf, _("reserving the VFs of %s on %s..."), vfp_virt_domain_name (guest->dom), req->dest_uri);
  dvirt = vfp_virt_open (req->dest_uri, FALSE, &e);
  if (dvirt != NULL && probe_destination (dvirt, guest, token, hold, FALSE, &e))
    return TRUE;
  g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
               _("The destination cannot take the VFs of guest '%s'; nothing was detached and the guest keeps running here with its VFs: %s"),
               vfp_virt_domain_name (guest->dom), e->message);
  return FALSE;
}

/* Frees, best effort, what the capacity probe TOKEN reserved on DEST_URI
 * for a migration that will not come now; an unreachable destination lets
 * the reservation expire. A connection of its own: the probe's was closed
 * once the probe was answered (vfpool keeps no idle connection to the
 * destination through the unplugs). */
static void
call_off (VfpWorkflow *wf, const char *dest_uri, VfpGuest *guest, const char *token)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpVirt) dvirt = NULL;

  if (token == NULL)
    return;
  dvirt = vfp_virt_open (dest_uri, FALSE, &error);
  if (dvirt == NULL || !probe_destination (dvirt, guest, token, 1, TRUE, &error))
    vfp_workflow_warn (wf, _("The VFs reserved on the destination for guest %s were not freed; they are freed when their reservation expires: %s"),
                       vfp_virt_domain_name (guest->dom), error->message);
}

/* Migrates running GUEST as REQ says, carrying its VFs. Returns the
 * aliases of the VFs the destination attaches again (the caller's), or
 * NULL with ERROR saying what became of the guest and its VFs. */
GPtrArray *
vfp_migrate_run (VfpWorkflow *wf, VfpGuest *guest, const VfpMigrateRequest *req, GError **error)
{
  g_autoptr (GPtrArray) moving = find_moving (guest);
  g_autoptr (GError) e = NULL;
  g_autofree char *token = NULL;
  GPtrArray *aliases;
  guint i;

  if (!req->no_capacity_check && guest->live->meta->len > 0)
    {
      token = vfp_probe_token_new ();
      if (!reserve_destination (wf, guest, req, moving->len, token, error))
        return NULL;
    }
  if (!detach_all (wf, guest, moving, req->timeout_ms, error))
    {
      call_off (wf, req->dest_uri, guest, token);
      return NULL;
    }
  vfp_workflow_progress (wf, _("migrating %s to %s..."), vfp_virt_domain_name (guest->dom), req->dest_uri);
  if (!vfp_virt_migrate (guest->dom, req->dest_uri, req->migrate_uri, req->listen_address,
                         req->persistent, req->undefine_source, &e))
    {
      guint lost;

      call_off (wf, req->dest_uri, guest, token);
      lost = give_back (wf, guest, moving);

      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   lost == 0 ? _("%s; the guest keeps running here with its VFs.")
                             : _("%s; the guest keeps running here, but some VFs could not be given back (see above)."),
                   e->message);
      return NULL;
    }
  aliases = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; i < moving->len; i++)
    g_ptr_array_add (aliases, g_strdup (((Moving *) moving->pdata[i])->alias));
  return aliases;
}
