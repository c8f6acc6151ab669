/* The attach workflow: a free VF from a pool, live and/or persistent.
 * Order (DESIGN.md §2): reserve (durable, with the VF settings to apply)
 * -> VF settings through the PF -> attach -> read back what libvirt chose
 * -> metadata -> attached. A failure at any step undoes the steps before
 * it, and the error gives libvirt's reason and what vfpool did. */
#include "config.h"

#include <string.h>

#include "vfp-attach.h"
#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-nodedev.h"
#include "vfp-vfnet.h"

static void
item_free (VfpAttachItem *it)
{
  g_free (it->vf);
  g_free (it->pf);
  g_free (it->pool);
  g_free (it->alias);
  g_free (it->mac);
  g_free (it->xml);
  g_free (it->netdev);
  g_free (it);
}

/* An attach of REQ's VFs to GUEST; the caller frees it. */
VfpAttach *
vfp_attach_new (VfpWorkflow *wf, VfpGuest *guest, const VfpAttachRequest *req)
{
  VfpAttach *a = g_new0 (VfpAttach, 1);

  a->wf = wf;
  a->guest = guest;
  a->req = req;
  a->items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  if (req->explain)
    a->explain = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_explain_free);
  return a;
}

void
vfp_attach_free (VfpAttach *a)
{
  if (a == NULL)
    return;
  g_ptr_array_unref (a->items);
  if (a->explain != NULL)
    g_ptr_array_unref (a->explain);
  g_free (a);
}

/* NICs (PCI class 02) get <interface type='hostdev'>, the rest <hostdev>. */
static VfpTemplateKind
kind_for (VfpPoolConfig *pc, VfpSysfs *sysfs, const char *vf)
{
  VfpVf *v;

  if (pc->template != VFP_TEMPLATE_AUTO)
    return pc->template;
  v = vfp_sysfs_find_vf (sysfs, vf);
  return v && (v->fn.class_code >> 16) == 0x02 ? VFP_TEMPLATE_INTERFACE : VFP_TEMPLATE_HOSTDEV;
}

/* The address libvirt will use: from the VF's node device, checked against
 * the PF sysfs names. libvirt's node-device list can lag behind new VFs; then
 * the sysfs address is used, with a warning. */
static gboolean
device_address (VfpAttach *a, VfpAttachItem *it, VfpAddr *out, GError **error)
{
  g_autoptr (GError) e = NULL;
  g_autofree char *name = NULL;
  g_autofree char *xml = NULL;
  g_autoptr (VfpNodedev) nd = NULL;
  VfpAddr pf;
  char buf[VFP_ADDR_STRLEN];

  vfp_addr_parse (it->vf, out, NULL);
  name = vfp_addr_nodedev_name (out);
  xml = vfp_virt_nodedev_xml (a->guest->virt, name, &e);
  if (xml == NULL)
    {
      /* a fake tree (--sysfs-root) is not what libvirt's node devices
       * describe; only on the real /sys is a missing one news */
      if (a->wf->sysfs_default || !g_error_matches (e, VFP_ERROR, VFP_ERROR_NOT_FOUND))
        vfp_workflow_warn (a->wf, _("%s; using the address from sysfs."), e->message);
      else
        g_debug ("%s; using the address from the tree.", e->message);
      return TRUE;
    }
  nd = vfp_nodedev_parse (xml, error);
  if (nd == NULL)
    return FALSE;
  vfp_addr_parse (it->pf, &pf, NULL);
  if (!nd->is_vf)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("libvirt's node device %s is not a VF; refusing to attach it"), name);
      return FALSE;
    }
  if (!vfp_addr_equal (&nd->pf, &pf))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("libvirt's node device %s is a VF of PF %s, not of PF %s; refusing to attach it"),
                   name, vfp_addr_format (&nd->pf, buf), it->pf);
      return FALSE;
    }
  *out = nd->addr;
  return TRUE;
}

/* The guest's UUID: the owner every lease of this attach must still have. */
static const char *
owner (VfpAttach *a)
{
  return vfp_virt_domain_uuid (a->guest->dom);
}

/* Commits POOL, a warning when the store cannot be saved (a rollback goes
 * on: the audit settles what it could not record). */
static void
commit_or_warn (VfpAttach *a, VfpPool *pool)
{
  g_autoptr (GError) e = NULL;

  if (!vfp_workflow_commit (a->wf, pool, &e))
    vfp_workflow_warn (a->wf, "%s", e->message);
}

/* Gives the VF of IT back the settings it had before this attach changed
 * them; a warning when the PF refuses. */
static void
undo_vf_settings (VfpAttach *a, VfpAttachItem *it)
{
  g_autoptr (GError) e = NULL;
  VfpVfSettings back = it->before;

  if (!it->settings_applied)
    return;
  back.fields &= it->want.fields;
  if (!vfp_vfnet_apply (it->netdev, &back, &e))
    vfp_workflow_warn (a->wf, _("VF %s keeps some of the settings vfpool applied: %s"), it->vf, e->message);
  it->settings_applied = FALSE;
}

/* Takes IT, which libvirt accepted, back from the guest: detached (a live
 * one only counts as gone on DEVICE_REMOVED); its lease is then freed, or
 * stays detaching when the guest does not let go. TRUE: it is gone. */
static gboolean
take_back (VfpAttach *a, VfpAttachItem *it)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (VfpPool) pool = NULL;
  gboolean removed = TRUE;

  if (!vfp_virt_detach_alias (a->guest->dom, it->alias, a->req->live, a->req->config, &e))
    {
      vfp_workflow_warn (a->wf, "%s", e->message);
      removed = FALSE;
    }
  else if (a->req->live)
    removed = vfp_virt_wait_removed (a->guest->dom, it->alias, a->req->timeout_ms);
  g_clear_error (&e);
  if (!removed)
    vfp_workflow_warn (a->wf, _("VF %s could not be taken back from guest '%s'; its lease stays detaching until 'vfpool audit' settles it."),
                       it->vf, vfp_virt_domain_name (a->guest->dom));
  else
    undo_vf_settings (a, it);
  if ((pool = vfp_workflow_begin (a->wf, &e)) == NULL
      || !(removed ? vfp_pool_attach_rolled_back (pool, it->vf, owner (a), it->alias,
                                                  _("the attach was rolled back"), &e)
                   : vfp_pool_detach_requested (pool, it->vf, owner (a), it->alias, &e)))
    vfp_workflow_warn (a->wf, "%s", e->message);
  if (pool != NULL)
    commit_or_warn (a, pool);
  return removed;
}

/* Undoes what this attach did: devices libvirt accepted are taken back,
 * VF settings go back to what they were on every VF the guest does not
 * keep, reservations are freed. TRUE: the guest is as it was. */
static gboolean
rollback (VfpAttach *a)
{
  g_autoptr (GError) e = NULL;
  g_autoptr (VfpPool) pool = NULL;
  gboolean clean = TRUE;
  guint i;

  for (i = 0; i < a->items->len; i++)
    {
      VfpAttachItem *it = a->items->pdata[i];

      if (!it->attached)
        continue;
      clean &= take_back (a, it);
      it->attached = TRUE;  /* handled: not freed again below */
    }
  pool = vfp_workflow_begin (a->wf, &e);
  for (i = 0; i < a->items->len; i++)
    {
      VfpAttachItem *it = a->items->pdata[i];

      if (it->attached)
        continue;
      undo_vf_settings (a, it);
      if (pool != NULL && !vfp_pool_attach_rolled_back (pool, it->vf, owner (a), it->alias,
                                                        _("the attach failed"), &e))
        {
          vfp_workflow_warn (a->wf, "%s", e->message);
          g_clear_error (&e);
        }
    }
  if (pool == NULL)
    vfp_workflow_warn (a->wf, "%s", e->message);
  else
    commit_or_warn (a, pool);
  return clean;
}

/* The VF settings of pick P (pool PC) under the request, and the PF's
 * netdev they go through. */
static void
item_settings (VfpAttach *a, VfpPoolConfig *pc, VfpAttachItem *it)
{
  VfpPf *pf;
  VfpVf *v;

  it->want = pc->vf;
  vfp_vf_settings_merge (&it->want, &a->req->over);
  if (it->want.fields == 0)
    return;
  pf = vfp_sysfs_find_pf (a->wf->sysfs, it->pf);
  v = vfp_sysfs_find_vf (a->wf->sysfs, it->vf);
  if (pf != NULL && pf->fn.netdevs != NULL && pf->fn.netdevs[0] != NULL)
    it->netdev = g_strdup (pf->fn.netdevs[0]);
  it->want.index = v ? v->index : 0;
}

/* The item of pick P: its alias (not one of TAKEN), device kind, MAC,
 * VLAN and VF settings. */
static VfpAttachItem *
new_item (VfpAttach *a, const VfpPick *p, const char *failover_mac, GHashTable *taken)
{
  VfpPoolConfig *pc = vfp_config_find_pool (a->wf->config, p->pool);
  VfpAttachItem *it = g_new0 (VfpAttachItem, 1);

  it->vf = g_strdup (p->vf);
  it->pf = g_strdup (p->pf);
  it->pool = g_strdup (p->pool);
  it->alias = vfp_domain_next_alias (a->guest->live, a->guest->config, taken);
  g_hash_table_add (taken, g_strdup (it->alias));
  it->kind = kind_for (pc, a->wf->sysfs, p->vf);
  it->mac = g_strdup (failover_mac ? failover_mac : a->req->mac);
  it->vlan = a->req->vlan >= 0 ? a->req->vlan : pc->vlan;
  if (it->kind == VFP_TEMPLATE_HOSTDEV)
    it->vlan = a->req->vlan;  /* a pool VLAN does not apply to non-NIC VFs */
  item_settings (a, pc, it);
  return it;
}

/* The aliases guest UUID's leases already have: a new device gets another. */
static GHashTable *
taken_aliases (VfpPool *pool, const char *uuid)
{
  GHashTable *taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) mine = vfp_pool_guest_leases (pool, uuid);
  guint i;

  for (i = 0; i < mine->len; i++)
    if (((const VfpLease *) mine->pdata[i])->alias)
      g_hash_table_add (taken, g_strdup (((const VfpLease *) mine->pdata[i])->alias));
  return taken;
}

/* The failover partner's MAC, when the request names one. */
static char *
failover_mac (VfpAttach *a)
{
  VfpDomNic *nic;

  if (a->req->failover_of == NULL)
    return NULL;
  nic = vfp_domain_find_nic (a->guest->live ? a->guest->live : a->guest->config, a->req->failover_of);
  return nic != NULL ? g_strdup (nic->mac) : NULL;
}

/* 1. Reserves the VFs, durably, before libvirt is asked for anything, with
 * the devices they will be (the reserve and attach-requested events). */
static gboolean
reserve (VfpAttach *a, GError **error)
{
  const VfpAttachRequest *req = a->req;
  g_autoptr (VfpPool) pool = vfp_workflow_begin (a->wf, error);
  g_autoptr (GPtrArray) picks = NULL;
  g_autoptr (GHashTable) taken = NULL;
  g_autofree char *mac = failover_mac (a);
  VfpReserveRequest rr = { 0 };
  guint i;

  if (pool == NULL)
    {
      a->store_error = TRUE;
      return FALSE;
    }
  vfp_pool_set_guest_check (pool, vfp_guest_check_lease, a->guest->virt);
  rr.pool = req->pool;
  rr.count = req->count;
  rr.owner_uuid = owner (a);
  rr.owner_name = vfp_virt_domain_name (a->guest->dom);
  rr.numa_node = vfp_domain_numa_node (a->guest->live ? a->guest->live : a->guest->config,
                                       a->wf->sysfs->root);
  rr.in_flight = TRUE;
  rr.dry_run = req->dry_run;
  picks = vfp_pool_reserve (pool, &rr, a->explain, error);
  if (picks == NULL)
    {
      /* what the reclaim took back is said even so */
      commit_or_warn (a, pool);
      return FALSE;
    }
  taken = taken_aliases (pool, rr.owner_uuid);
  for (i = 0; i < picks->len; i++)
    {
      VfpAttachItem *it = new_item (a, picks->pdata[i], mac, taken);
      VfpDeviceRecord device = { it->alias, it->mac, it->vlan, req->live, req->config, &it->want };

      g_ptr_array_add (a->items, it);
      if (!req->dry_run && !vfp_pool_attach_requested (pool, it->vf, rr.owner_uuid, &device, error))
        return FALSE;
    }
  if (!vfp_workflow_commit (a->wf, pool, error))
    {
      a->store_error = TRUE;
      return FALSE;
    }
  return TRUE;
}

/* 1b. Applies each item's VF settings through its PF (after the
 * reservation that records them is on disk, before libvirt sees the VF). */
static gboolean
apply_vf_settings (VfpAttach *a, GError **error)
{
  guint i;

  for (i = 0; i < a->items->len; i++)
    {
      VfpAttachItem *it = a->items->pdata[i];

      if (it->want.fields == 0)
        continue;
      if (it->netdev == NULL)
        {
          g_autofree char *what = vfp_vf_settings_describe (&it->want);

          g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                       _("PF %s of VF %s has no network interface, so its driver cannot take the VF settings %s; remove them from pool '%s' or from the command line."),
                       it->pf, it->vf, what, it->pool);
          return FALSE;
        }
      if (!vfp_vfnet_read_vf (it->netdev, it->want.index, &it->before, error))
        return FALSE;
      it->settings_applied = TRUE;
      if (!vfp_vfnet_apply (it->netdev, &it->want, error))
        return FALSE;
    }
  return TRUE;
}

/* 2. The device XML of every item, from the node device and the template. */
static gboolean
render (VfpAttach *a, GError **error)
{
  guint i;

  for (i = 0; i < a->items->len; i++)
    {
      VfpAttachItem *it = a->items->pdata[i];
      VfpDeviceSpec spec = { it->kind, { 0 }, it->mac, it->vlan, it->alias, a->req->failover_of };

      if (!device_address (a, it, &spec.vf, error)
          || (it->xml = vfp_template_render (a->wf->template_dirs, &spec, error)) == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Reserves the VFs, applies their VF settings and builds their device
 * XML; a dry run only chooses and builds. FALSE with ERROR (whole
 * sentences saying what was undone) when any of it failed: then nothing
 * is reserved (a->store_error: the store could not be used). */
gboolean
vfp_attach_prepare (VfpAttach *a, GError **error)
{
  g_autoptr (GError) e = NULL;

  if (!reserve (a, error))
    return FALSE;
  if (a->req->dry_run)
    return render (a, error);
  if (!apply_vf_settings (a, &e))
    {
      rollback (a);
      /* vfnet's messages are whole sentences */
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("%s Nothing was attached and the reservation was released."), e->message);
      return FALSE;
    }
  if (!render (a, &e))
    {
      rollback (a);
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("%s; nothing was attached and the reservation was released."), e->message);
      return FALSE;
    }
  return TRUE;
}

/* 3. Attaches every item; on a refusal, rolls back and says how far. */
static gboolean
attach_all (VfpAttach *a, GError **error)
{
  g_autoptr (GError) e = NULL;
  guint i;

  for (i = 0; i < a->items->len; i++)
    {
      VfpAttachItem *it = a->items->pdata[i];

      if (vfp_virt_attach (a->guest->dom, it->xml, a->req->live, a->req->config, &e))
        {
          it->attached = TRUE;
          continue;
        }
      if (!rollback (a))
        g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                     _("%s; vfpool released the reserved VFs, but the guest still holds some of the ones attached before (see the warnings)."),
                     e->message);
      else
        g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                     i > 0 ? _("%s; vfpool released the reserved VFs and detached the ones attached before: the guest is as it was.")
                           : _("%s; vfpool released the reserved VFs: the guest is as it was."),
                     e->message);
      return FALSE;
    }
  return TRUE;
}

/* 4. What libvirt chose (the MAC when none was given), into the guest's
 * metadata; rolled back when that cannot be written. */
static gboolean
write_metadata (VfpAttach *a, GError **error)
{
  g_autoptr (GPtrArray) meta = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_meta_vf_free);
  g_autoptr (GError) e = NULL;
  guint i;

  if (!vfp_guest_reload (a->guest, &e))
    vfp_workflow_warn (a->wf, "%s", e->message);
  g_clear_error (&e);
  for (i = 0; i < a->items->len; i++)
    {
      VfpAttachItem *it = a->items->pdata[i];
      VfpDomDevice *d = vfp_domain_find_device (a->req->live ? a->guest->live : a->guest->config, it->alias);
      VfpMetaVf *m = g_new0 (VfpMetaVf, 1);

      if (d != NULL && d->mac != NULL)
        {
          g_free (it->mac);
          it->mac = g_strdup (d->mac);
        }
      m->alias = g_strdup (it->alias);
      m->pool = g_strdup (it->pool);
      m->address = g_strdup (it->vf);
      m->mac = g_strdup (it->mac);
      m->vlan = it->vlan;
      m->template = g_strdup (it->kind == VFP_TEMPLATE_HOSTDEV ? "hostdev" : "interface");
      m->failover_of = g_strdup (a->req->failover_of);
      g_ptr_array_add (meta, m);
    }
  if (vfp_guest_write_metadata (a->guest, meta, NULL, a->req->live, a->req->config, &e))
    return TRUE;
  rollback (a);
  g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED, _("%s; the attach was rolled back."), e->message);
  return FALSE;
}

/* 5. The attach-confirmed event of every item. A reservation someone else
 * took over meanwhile becomes neither this guest's nor theirs, attached:
 * a warning, and the audit reports the conflict. */
static gboolean
confirm (VfpAttach *a, GError **error)
{
  g_autoptr (VfpPool) pool = vfp_workflow_begin (a->wf, error);
  guint i;

  if (pool == NULL)
    {
      a->store_error = TRUE;
      return FALSE;
    }
  for (i = 0; i < a->items->len; i++)
    {
      VfpAttachItem *it = a->items->pdata[i];
      g_autoptr (GError) e = NULL;

      if (vfp_pool_attach_confirmed (pool, it->vf, owner (a), it->alias, it->mac, &e))
        continue;
      if (g_error_matches (e, VFP_ERROR, VFP_ERROR_MOVED))
        {
          g_autofree char *msg = g_strdup_printf (_("The lease of VF %s changed while it was being attached; run 'vfpool audit'."), it->vf);

          vfp_pool_warn (pool, it->vf, NULL, msg);
        }
      else
        vfp_pool_warn (pool, it->vf, NULL, e->message);
    }
  if (!vfp_workflow_commit (a->wf, pool, error))
    {
      a->store_error = TRUE;
      return FALSE;
    }
  return TRUE;
}

/* Attaches the prepared VFs: attach, metadata, attached. FALSE with ERROR
 * (saying what was rolled back) when libvirt refused. */
gboolean
vfp_attach_run (VfpAttach *a, GError **error)
{
  return attach_all (a, error) && write_metadata (a, error) && confirm (a, error);
}
