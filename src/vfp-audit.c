/* The audit. Findings are computed VF by VF from three sources; a repair is
 * offered only where it is provably safe, i.e. where the store is the only
 * thing that is wrong: a lease nobody uses, a guest using a VF with no
 * lease, a finished detach, a missing metadata entry; or where the PF lost
 * the VF settings its lease records (they are set again through the PF).
 * Nothing here touches a guest's devices. */
#include "config.h"

#include <string.h>

#include "vfp-audit.h"
#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-proc.h"
#include "vfp-vfnet.h"
#include "vfp-stray.h"
#include "vfp-text.h"

void
vfp_finding_free (VfpFinding *f)
{
  g_free (f->object);
  g_free (f->guest);
  g_free (f->uuid);
  g_free (f->message);
  g_free (f->repair);
  g_free (f->alias);
  g_free (f->mac);
  g_free (f);
}

const char *
vfp_severity_name (VfpSeverity s)
{
  return s == VFP_SEVERITY_ERROR ? "error" : "warning";
}

static VfpFinding *
add (GPtrArray *out, const char *code, VfpSeverity sev, const char *object, const VfpAuditGuest *g,
     VfpFix fix, char *message, char *repair)
{
  VfpFinding *f = g_new0 (VfpFinding, 1);

  f->code = code;
  f->severity = sev;
  f->object = g_strdup (object);
  f->guest = g ? g_strdup (g->name) : NULL;
  f->uuid = g ? g_strdup (g->uuid) : NULL;
  f->fix = fix;
  f->vlan = -1;
  f->message = message;
  f->repair = repair;
  g_ptr_array_add (out, f);
  return f;
}

/* The PF's netdev of VF, or NULL. */
static const char *
pf_netdev (VfpVf *vf)
{
  return vf->pf->fn.netdevs && vf->pf->fn.netdevs[0] ? vf->pf->fn.netdevs[0] : NULL;
}

/* vf-settings: what the PF holds for VF against what its lease L says
 * vfpool applied (one netlink request, only for leases that record
 * settings). */
static void
check_vf_settings (GPtrArray *out, VfpVf *vf, const VfpLease *l, const VfpAuditGuest *owner)
{
  const char *a = vf->fn.address;
  const char *netdev = pf_netdev (vf);
  g_autoptr (GError) e = NULL;
  VfpVfSettings have, want;
  guint diff, f;

  if (l->vf_settings == NULL || l->vf_settings->fields == 0)
    return;
  want = *l->vf_settings;
  want.index = vf->index;
  if (netdev == NULL || !vfp_vfnet_read_vf (netdev, vf->index, &have, &e))
    {
      add (out, "vf-settings", VFP_SEVERITY_WARNING, a, owner, VFP_FIX_NONE,
           g_strdup_printf (_("vfpool cannot read the settings of VF %s from its PF: %s"), a,
                            e ? e->message : _("The PF has no network interface.")),
           g_strdup_printf (_("Check that PF %s has its driver and its netdev ('vfpool pf vf-settings %s')."),
                            vf->pf->fn.address, vf->pf->fn.address));
      return;
    }
  diff = vfp_vf_settings_differ (&want, &have);
  if (diff == 0)
    return;
  for (f = 1; (diff & f) == 0; f <<= 1)
    ;
  {
    g_autofree char *wanted = vfp_vf_settings_value (&want, f);
    g_autofree char *got = vfp_vf_settings_value (&have, f);

    add (out, "vf-settings", VFP_SEVERITY_WARNING, a, owner, VFP_FIX_VF_SETTINGS,
         g_strdup_printf (_("PF %s reports %s %s for VF %s where its lease says %s."),
                          netdev, vfp_vf_field_name (f), got, a, wanted),
         g_strdup (_("--fix applies the lease's VF settings again through the PF.")));
  }
}

/* The use of LIST by guest INDEX, or NULL. */
static VfpAuditUse *
find_use (VfpAuditUse *list, const VfpAuditGuest *owner, guint index)
{
  VfpAuditUse *u;

  for (u = list; owner && u; u = u->next)
    if (u->guest == index)
      return u;
  return NULL;
}

/* F adopts the device MINE: the lease becomes attached where it is, with
 * the MAC and VLAN the guest has it with. */
static void
adopted (VfpFinding *f, VfpAuditUse *mine)
{
  f->live = mine->live;
  f->config = mine->config;
  f->alias = g_strdup (mine->alias);
  f->mac = g_strdup (mine->mac);
  f->vlan = mine->vlan;
}

/* OWNER has VF A (MINE): its metadata must describe vfpool's devices. Also
 * checked where a lease is adopted, so one --fix restores both (an attach
 * killed between libvirt and the metadata leaves both to repair). */
static void
check_metadata (GPtrArray *out, const char *a, const VfpAuditGuest *owner, VfpAuditUse *mine)
{
  if (mine->alias == NULL || !g_str_has_prefix (mine->alias, VFP_ALIAS_PREFIX))
    return;
  if ((mine->live && !mine->live_meta) || (mine->config && !mine->config_meta))
    {
      VfpFinding *f = add (out, "metadata", VFP_SEVERITY_WARNING, a, owner, VFP_FIX_METADATA,
                           g_strdup_printf (_("Guest %s has VF %s (%s), but its vfpool metadata does not describe it."),
                                            owner->name, a, mine->alias),
                           g_strdup (_("--fix writes the metadata from the lease.")));

      f->live = mine->live && !mine->live_meta;
      f->config = mine->config && !mine->config_meta;
      f->alias = g_strdup (mine->alias);
    }
}

static const char *const foreign[] = { "vfio-pci", "igb_uio", "uio_pci_generic", "pci-stub", NULL };

/* conflict: VF A is named by the uses in LIST and by its lease L (MINE is
 * the lease owner's use, if any; N_USERS the length of LIST). */
static void
report_conflict (GPtrArray *out, const char *a, const VfpLease *l, VfpAuditGuests *guests,
                 VfpAuditUse *list, VfpAuditUse *mine, guint n_users)
{
  g_autoptr (GString) who = g_string_new (NULL);
  VfpAuditUse *u;

  for (u = list; u; u = u->next)
    g_string_append_printf (who, "%s%s", u != list ? ", " : "", vfp_audit_guests_get (guests, u->guest)->name);
  if (l != NULL && mine == NULL)
    g_string_append_printf (who, _(" (leased to %s)"), vfp_lease_owner (l) ? vfp_lease_owner (l) : "-");
  add (out, "conflict", VFP_SEVERITY_ERROR, a, n_users == 1 ? vfp_audit_guests_get (guests, list->guest) : NULL,
       VFP_FIX_NONE, g_strdup_printf (_("VF %s is named by more than one holder: %s."), a, who->str),
       g_strdup (_("Take it from every holder but one ('virsh detach-device-alias --config' for a guest, 'vfpool release' for a hold), then run the audit again.")));
}

/* A pool VF without a lease, used by the one guest of LIST if LIST is not
 * NULL: untracked; free and unused: a driver that says someone has it. */
static void
audit_unleased (VfpPool *pool, VfpVf *vf, VfpAuditGuests *guests, VfpAuditUse *list, GPtrArray *out)
{
  const char *a = vf->fn.address;
  const char *driver;
  guint i;

  if (list != NULL)
    {
      const VfpAuditGuest *user = vfp_audit_guests_get (guests, list->guest);
      VfpFinding *f = add (out, "untracked", VFP_SEVERITY_WARNING, a, user, VFP_FIX_ADOPT,
                           g_strdup_printf (_("Guest %s uses VF %s of the pool, but no lease says so."), user->name, a),
                           g_strdup (_("--fix records the lease (attached to that guest).")));

      adopted (f, list);
      check_metadata (out, a, user, list);
      return;
    }
  driver = vfp_sysfs_vf_driver (vfp_pool_sysfs (pool), vf);
  for (i = 0; driver && foreign[i]; i++)
    if (strcmp (driver, foreign[i]) == 0)
      add (out, "driver", VFP_SEVERITY_WARNING, a, NULL, VFP_FIX_NONE,
           g_strdup_printf (_("Free VF %s is bound to %s (another user, or left by a failed attach)."), a, driver),
           g_strdup_printf (_("If nothing uses it, give it back to its driver: echo %s > %s/bus/pci/drivers/%s/unbind, then echo %s > %s/bus/pci/drivers_probe."),
                            a, vfp_pool_sysfs (pool)->root, driver, a, vfp_pool_sysfs (pool)->root));
}

/* VF A reserved by lease L: a stale reservation is freed, or adopted when
 * OWNER has the device (MINE). */
static void
audit_reserved (VfpPool *pool, const char *a, const VfpLease *l, const VfpAuditGuest *owner,
                VfpAuditUse *mine, GPtrArray *out)
{
  VfpFinding *f;

  if (!vfp_pool_lease_is_stale (pool, l))
    return;
  f = add (out, "stale-reservation", VFP_SEVERITY_WARNING, a, owner,
           mine ? VFP_FIX_ADOPT : VFP_FIX_FREE,
           g_strdup_printf (_("VF %s is reserved for %s, but the reservation is stale (its process is gone or its time is up)."),
                            a, vfp_lease_owner (l)),
           mine ? g_strdup (_("--fix records it as attached: the guest has it."))
                : g_strdup (_("--fix frees it.")));
  if (mine)
    {
      adopted (f, mine);
      check_metadata (out, a, owner, mine);
    }
}

/* VF A detaching from OWNER (lease L, the guest's use MINE or NULL): a
 * detach that no process carries on any more is stuck. */
static void
audit_detaching (const char *a, const VfpLease *l, const VfpAuditGuest *owner, VfpAuditUse *mine,
                 GPtrArray *out)
{
  if (l->pid > 0 && vfp_proc_is_alive (l->pid, l->pid_start))
    return;   /* a detach in progress: it settles the lease itself */
  if (mine && mine->live)
    add (out, "stuck-detach", VFP_SEVERITY_WARNING, a, owner, VFP_FIX_NONE,
         g_strdup_printf (_("Guest %s has not released VF %s since it was asked to."), owner->name, a),
         g_strdup (_("The guest ignores the unplug: shut it down (the release hook frees the VF), or try 'vfpool detach' again.")));
  else if (mine)
    {
      /* libvirt removes a device from the persistent definition at
       * once: one still there means the detach stopped before asking
       * libvirt (killed). Freeing it would hand the VF out twice. */
      VfpFinding *f = add (out, "stuck-detach", VFP_SEVERITY_WARNING, a, owner, VFP_FIX_ADOPT,
                           g_strdup_printf (_("The detach of VF %s from guest %s was interrupted: its persistent definition still has it."),
                                            a, owner->name),
                           g_strdup (_("--fix records it as attached again; run 'vfpool detach' to detach it.")));

      adopted (f, mine);
      check_metadata (out, a, owner, mine);
    }
  else
    add (out, "stuck-detach", VFP_SEVERITY_WARNING, a, owner, VFP_FIX_FREE,
         g_strdup_printf (_("The detach of VF %s from guest %s finished, but the lease still says detaching."), a, owner->name),
         g_strdup (_("--fix frees it.")));
}

/* One pool VF: its lease against the guests that use it and the kernel. */
static void
audit_vf (VfpPool *pool, VfpVf *vf, VfpAuditGuests *guests, GPtrArray *out)
{
  const char *a = vf->fn.address;
  const VfpLease *l = vfp_state_get (vfp_pool_state (pool), a);
  VfpAuditUse *list = vfp_audit_guests_uses (guests, &vf->fn.addr), *u;
  guint n_users = 0, owner_index = 0;
  const VfpAuditGuest *owner = l ? vfp_audit_guests_find (guests, l->owner_uuid, &owner_index) : NULL;
  VfpAuditUse *mine = find_use (list, owner, owner_index);

  for (u = list; u; u = u->next)
    n_users++;

  /* two guests, or a guest and another holder */
  if (n_users > 1 || (n_users == 1 && l != NULL && mine == NULL && l->state != VFP_LEASE_QUARANTINED))
    {
      report_conflict (out, a, l, guests, list, mine, n_users);
      return;
    }
  if (l == NULL)
    {
      /* at most one user here: LIST is that user or NULL */
      audit_unleased (pool, vf, guests, list, out);
      return;
    }
  if (l->state == VFP_LEASE_QUARANTINED)
    {
      /* never handed out, and only a scrub that verifies it frees it */
      add (out, "quarantined", VFP_SEVERITY_ERROR, a, NULL, VFP_FIX_NONE,
           g_strdup_printf (_("VF %s is quarantined: %s"), a, l->note ? l->note : _("no reason recorded")),
           g_strdup_printf (_("Fix what the reason names, then run 'vfpool scrub %s'."), a));
      return;
    }
  if (l->state == VFP_LEASE_RESERVED)
    {
      audit_reserved (pool, a, l, owner, mine, out);
      return;
    }
  if (l->owner_uuid == NULL)
    return;
  if (owner == NULL)
    {
      add (out, "leak", VFP_SEVERITY_WARNING, a, NULL, VFP_FIX_FREE,
           g_strdup_printf (_("VF %s is %s by guest %s, which no longer exists."), a,
                            vfp_lease_state_label (l->state), vfp_lease_owner (l)),
           g_strdup (_("--fix frees it.")));
      return;
    }
  if (l->state == VFP_LEASE_DETACHING)
    {
      audit_detaching (a, l, owner, mine, out);
      return;
    }
  if (mine == NULL)
    {
      add (out, "leak", VFP_SEVERITY_WARNING, a, owner, VFP_FIX_FREE,
           g_strdup_printf (_("VF %s is leased to guest %s, which no longer has it."), a, owner->name),
           g_strdup (_("--fix frees it.")));
      return;
    }
  check_metadata (out, a, owner, mine);
  check_vf_settings (out, vf, l, owner);
}

/* PFs that are not the card the store recorded (see vfp-identity.h). Never
 * repaired by --fix: only a human can say that the new card may be used
 * (vfpool adopt-hardware). */
static void
audit_identities (VfpPool *pool, GPtrArray *out)
{
  g_autoptr (VfpIdentity) id = vfp_identity_new (vfp_pool_sysfs (pool)->root);
  g_autoptr (GPtrArray) records = vfp_state_list_pfs (vfp_pool_state (pool));
  guint i;

  for (i = 0; i < records->len; i++)
    {
      const VfpPfRecord *rec = records->pdata[i];
      g_autofree char *now = NULL;
      g_autofree char *moved_to = NULL;

      if (vfp_identity_matches (id, rec, &now, &moved_to))
        continue;
      add (out, "identity-changed", VFP_SEVERITY_ERROR, rec->pf, NULL, VFP_FIX_NONE,
           vfp_identity_describe_change (rec, now, moved_to),
           g_strdup_printf (_("Left for a human: vfpool hands out none of its VFs and starts no guest with them. Find out what changed (a card added, replaced or moved, new firmware); if the card there now is meant to be used, run 'vfpool adopt-hardware %s' (the leases of its VFs stay as they are: 'vfpool list' shows them)."),
                            rec->pf));
    }
}

/* Records the identity of every pool PF and every PF a lease names that
 * the store has none for (a store an older vfpool wrote): the audit --fix
 * is one of the first uses. The caller saves. */
void
vfp_audit_record_identities (VfpPool *pool)
{
  g_autoptr (GPtrArray) leases = vfp_state_list_unsorted (vfp_pool_state (pool));
  guint i, j;

  for (i = 0; i < vfp_pool_config (pool)->pools->len; i++)
    {
      VfpPoolConfig *pc = vfp_pool_config (pool)->pools->pdata[i];

      for (j = 0; j < pc->pfs->len; j++)
        vfp_pool_check_pf (pool, vfp_pool_sysfs (pool)->root, ((VfpPf *) pc->pfs->pdata[j])->fn.address, TRUE, NULL);
    }
  for (i = 0; i < leases->len; i++)
    vfp_pool_check_pf (pool, vfp_pool_sysfs (pool)->root, ((VfpLease *) leases->pdata[i])->pf, TRUE, NULL);
}

/* Runs the audit over POOL's configuration, sysfs scan and store, and the
 * GUESTS. Returns the findings (VfpFinding*). */
GPtrArray *
vfp_audit_run (VfpPool *pool, VfpAuditGuests *guests)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_finding_free);
  g_autoptr (GPtrArray) strays = NULL;
  guint i, j;

  for (i = 0; i < vfp_pool_config (pool)->pools->len; i++)
    {
      VfpPoolConfig *pc = vfp_pool_config (pool)->pools->pdata[i];

      for (j = 0; j < pc->pfs->len; j++)
        {
          VfpPf *pf = pc->pfs->pdata[j];
          guint k;

          if (pc->numvfs >= 0 && (guint) pc->numvfs != pf->num_vfs)
            add (out, "numvfs-drift", VFP_SEVERITY_WARNING, pf->fn.address, NULL, VFP_FIX_NONE,
                 g_strdup_printf (_("PF %s has %u VFs; pool '%s' asks for %d (numvfs=)."),
                                  pf->fn.address, pf->num_vfs, pc->name, pc->numvfs),
                 g_strdup (_("Run 'vfpool apply' (it refuses while VFs are in use).")));
          for (k = 0; k < pf->vfs->len; k++)
            {
              VfpVf *vf = pf->vfs->pdata[k];

              /* a VF outside the pool (vfs=, exclude=) is not vfpool's
               * unless a lease says otherwise: another user (DPDK, or
               * another host sharing the PF) may bind and use it */
              if (!vfp_pool_config_covers (pc, vf) && vfp_pool_lease (pool, vf->fn.address) == NULL)
                continue;
              audit_vf (pool, vf, guests, out);
            }
        }
    }
  audit_identities (pool, out);
  /* leases of VFs the kernel no longer has, or naming another PF */
  strays = vfp_stray_find (vfp_pool_sysfs (pool), vfp_pool_state (pool));
  for (i = 0; i < strays->len; i++)
    {
      VfpStray *s = strays->pdata[i];
      const VfpLease *l = s->lease;

      if (s->kind == VFP_STRAY_MISSING_VF && l->state == VFP_LEASE_QUARANTINED)
        add (out, "quarantined", VFP_SEVERITY_ERROR, l->vf, NULL, VFP_FIX_NONE,
             g_strdup_printf (_("VF %s is quarantined: %s"), l->vf, l->note ? l->note : _("no reason recorded")),
             g_strdup_printf (_("Fix what the reason names, then run 'vfpool scrub %s'."), l->vf));
      else if (s->kind == VFP_STRAY_MISSING_VF)
        add (out, "missing-vf", VFP_SEVERITY_ERROR, l->vf,
             vfp_audit_guests_find (guests, l->owner_uuid, NULL), VFP_FIX_NONE,
             g_strdup_printf (_("VF %s is %s by %s, but the kernel has no such VF."), l->vf,
                              vfp_lease_state_label (l->state), vfp_lease_owner (l) ? vfp_lease_owner (l) : "-"),
             g_strdup (_("Check sriov_numvfs of its PF ('vfpool status'); when the VF is gone for good, end the lease: 'vfpool detach' for a guest, 'vfpool release' for a hold.")));
      else
        add (out, "wrong-pf", VFP_SEVERITY_ERROR, l->vf,
             vfp_audit_guests_find (guests, l->owner_uuid, NULL), VFP_FIX_NONE,
             g_strdup_printf (_("The lease of VF %s names PF %s, but the VF belongs to PF %s."),
                              l->vf, l->pf, s->vf->pf->fn.address),
             g_strdup (_("Check that the VF is the one the lease meant (PCI addresses change when cards move); then end the lease ('vfpool detach' for a guest, 'vfpool release' for a hold) and take the VF again.")));
    }
  return out;
}

/* --fix of an untracked VF: leased to the guest that uses it; a stale
 * reservation of another holder on it is freed first. */
static gboolean
apply_adopt (VfpPool *pool, VfpFinding *f, const VfpLease *l)
{
  VfpVf *vf = vfp_sysfs_find_vf (vfp_pool_sysfs (pool), f->object);
  const char *pf = vf ? vf->pf->fn.address : NULL;
  VfpPoolConfig *pc = pf ? vfp_config_pool_of_pf (vfp_pool_config (pool), pf) : NULL;
  g_autoptr (GError) error = NULL;

  if (l != NULL && g_strcmp0 (l->owner_uuid, f->uuid) != 0
      && !vfp_pool_unused (pool, f->object, NULL, _("the audit replaces a stale reservation"), &error))
    {
      vfp_pool_warn (pool, f->object, f->guest, error->message);
      return FALSE;
    }
  if (vfp_pool_adopt (pool, f->object, pf, f->uuid, f->guest, pc ? pc->name : NULL,
                      f->alias, f->mac, f->vlan, f->live, f->config, &error))
    return TRUE;
  vfp_pool_warn (pool, f->object, f->guest, error->message);
  return FALSE;
}

/* --fix of VF settings the PF lost: the lease's, applied again. */
static gboolean
apply_vf_settings (VfpPool *pool, VfpFinding *f, const VfpLease *l)
{
  VfpVf *vf = vfp_sysfs_find_vf (vfp_pool_sysfs (pool), f->object);
  g_autoptr (GError) error = NULL;
  VfpVfSettings want;

  if (l == NULL || l->vf_settings == NULL || vf == NULL || pf_netdev (vf) == NULL)
    return FALSE;
  want = *l->vf_settings;
  want.index = vf->index;
  if (vfp_vfnet_apply (pf_netdev (vf), &want, &error))
    return TRUE;
  vfp_pool_warn (pool, f->object, f->guest, error->message);
  return FALSE;
}

/* Applies a finding's store repair (FREE, ADOPT). METADATA needs libvirt
 * and is the caller's. Returns TRUE when something changed. */
gboolean
vfp_audit_apply (VfpPool *pool, VfpFinding *f)
{
  /* the caller checked by serial that each lease is still the one the
   * audit judged (vfp_audit_unchanged): stronger than any holder check */
  const VfpLease *l = vfp_state_get (vfp_pool_state (pool), f->object);
  g_autoptr (GError) error = NULL;

  switch (f->fix)
    {
    case VFP_FIX_FREE:
      /* a VF whose scrub fails is quarantined: dealt with too */
      return vfp_pool_unused (pool, f->object, NULL, _("the audit found nobody using it"), &error)
             || g_error_matches (error, VFP_ERROR, VFP_ERROR_QUARANTINED);
    case VFP_FIX_ADOPT:
      return apply_adopt (pool, f, l);
    case VFP_FIX_VF_SETTINGS:
      return apply_vf_settings (pool, f, l);
    case VFP_FIX_NONE:
    case VFP_FIX_METADATA:
      break;
    }
  return FALSE;
}
