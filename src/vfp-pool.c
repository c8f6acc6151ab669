/* The pool manager. A VF is free when it has no lease. Reservations are
 * written by the caller (vfp_state_save) before libvirt is asked for
 * anything, and stale ones (attaching process dead, reservation expired)
 * are taken back by the next allocation, with an event saying so. Text a
 * lease takes from outside meets vfp-text's rule here: an owner label the
 * store does not take is refused; a guest's name, alias or MAC (libvirt's
 * to choose, display only or checked against libvirt's own) is kept with
 * such characters escaped. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-pool.h"
#include "vfp-proc.h"
#include "vfp-text.h"

/* Drivers that mean someone else uses the VF outside libvirt's managed
 * attach: userspace I/O, stubs, or vfio-pci without a lease of ours (DPDK,
 * or what a failed attach left behind). */
static const char *const foreign_drivers[] = {
  "vfio-pci", "igb_uio", "uio_pci_generic", "pci-stub", "pciback", NULL
};

VfpPool *
vfp_pool_new (VfpConfig *config, VfpSysfs *sysfs, VfpState *state)
{
  VfpPool *pool = g_new0 (VfpPool, 1);

  pool->config = config;
  pool->sysfs = sysfs;
  pool->state = state;
  pool->now = g_get_real_time () / G_USEC_PER_SEC;
  pool->events = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_event_free);
  return pool;
}

void
vfp_pool_free (VfpPool *pool)
{
  if (pool == NULL)
    return;
  g_ptr_array_unref (pool->events);
  vfp_identity_free (pool->identity);
  g_free (pool);
}

void
vfp_explain_free (VfpExplain *e)
{
  g_free (e->vf);
  g_free (e->pf);
  g_free (e->reason);
  g_free (e);
}

/* L changed now: its timestamp for people, its serial for the audit. */
static void
touched (VfpPool *pool, VfpLease *l)
{
  l->changed = pool->now;
  vfp_state_touch (pool->state, l);
}

static void
event (VfpPool *pool, const char *op, const char *vf, const char *guest,
       const char *fmt, ...) G_GNUC_PRINTF (5, 6);

/* Records a state change for the log: OP on VF for GUEST, and the sentence. */
static void
event (VfpPool *pool, const char *op, const char *vf, const char *guest, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_ptr_array_add (pool->events, vfp_event_new (op, vf, guest, msg));
}

/* A reserved lease nobody will finish: its attaching process is gone (or is
 * another process with the same pid), or its time is up. */
gboolean
vfp_pool_lease_is_stale (VfpPool *pool, const VfpLease *lease)
{
  if (lease->state != VFP_LEASE_RESERVED)
    return FALSE;
  if (lease->expires > 0 && lease->expires <= pool->now)
    return TRUE;
  return lease->pid > 0 && !vfp_proc_is_alive (lease->pid, lease->pid_start);
}

/* A guest's in-flight reservation whose attaching process died: libvirt
 * may have attached the VF before the process was killed. Freeing it on a
 * guess could hand one VF to two guests, so it is settled only by asking
 * libvirt (through pool->guest_check), and left alone when nobody can. */
static gboolean
settle_guest_reservation (VfpPool *pool, VfpLease *l)
{
  VfpInGuest in = pool->guest_check ? pool->guest_check (l, pool->guest_check_data)
                                    : VFP_IN_GUEST_UNKNOWN;

  switch (in)
    {
    case VFP_IN_GUEST_UNKNOWN:
      return FALSE;
    case VFP_IN_GUEST_LIVE:
    case VFP_IN_GUEST_CONFIG:
      l->state = VFP_LEASE_ATTACHED;
      l->live = in == VFP_IN_GUEST_LIVE;
      l->config = in == VFP_IN_GUEST_CONFIG || l->config;
      l->pid = 0;
      l->pid_start = 0;
      l->expires = 0;
      touched (pool, l);
      event (pool, "adopt", l->vf, vfp_lease_owner (l), _("VF %s is in guest %s although the attaching process is gone; its lease is now attached."),
             l->vf, vfp_lease_owner (l));
      return FALSE;
    case VFP_IN_GUEST_NO:
      break;
    }
  return TRUE;
}

/* Takes back every stale reservation; returns how many. */
guint
vfp_pool_reclaim (VfpPool *pool)
{
  g_autoptr (GPtrArray) list = vfp_state_list_unsorted (pool->state);
  guint i, n = 0;

  for (i = 0; i < list->len; i++)
    {
      VfpLease *l = list->pdata[i];

      if (!vfp_pool_lease_is_stale (pool, l))
        continue;
      if (l->owner_uuid != NULL && l->pid > 0 && !settle_guest_reservation (pool, l))
        continue;
      if (l->pid > 0 && (l->expires == 0 || l->expires > pool->now))
        event (pool, "reclaim", l->vf, vfp_lease_owner (l), _("Reclaimed VF %s: the attaching process %d of %s is gone."),
               l->vf, l->pid, vfp_lease_owner (l));
      else
        event (pool, "reclaim", l->vf, vfp_lease_owner (l), _("Reclaimed VF %s: the reservation of %s expired."), l->vf, vfp_lease_owner (l));
      vfp_state_remove (pool->state, l->vf);
      n++;
    }
  return n;
}

/* Whether the VFs of PF (under SYSFS_ROOT) may be handed out or used: the
 * card there is the one the store recorded, or there is no record yet
 * (then, with RECORD, it is recorded; the caller saves). FALSE with ERROR
 * naming both cards otherwise (see vfp-identity.h). */
gboolean
vfp_pool_check_pf (VfpPool *pool, const char *sysfs_root, const char *pf, gboolean record,
                   GError **error)
{
  if (pool->identity == NULL)
    pool->identity = vfp_identity_new (sysfs_root);
  return vfp_identity_check (pool->identity, pool->state, pf, record, error);
}

typedef struct {
  VfpVf *vf;
  guint pf;                /* index of its PF in the pool's pfs */
  gboolean numa_match;
  guint pf_use;            /* leases of its PF, refreshed before each pick */
  gboolean pf_taken;       /* this request already took a VF of its PF */
} Candidate;

/* Whether VF is one of the VFs pool PC may hand out at all: its index is in
 * vfs= (when given) and exclude= names neither its index nor its address.
 * What status, list and the metrics count as the pool's. */
gboolean
vfp_pool_config_covers (const VfpPoolConfig *pc, const VfpVf *vf)
{
  return vfp_pool_config_has_index (pc, vf->index)
         && !vfp_pool_config_excludes (pc, vf->index, vf->fn.address);
}

/* Whether VF (holding LEASE, or none) can be handed out from PC by what
 * the configuration and the store say; if not and WHY is not NULL, *WHY
 * receives the reason. Most VFs of a busy pool are taken: only --explain
 * pays for the sentences. */
static gboolean
usable (VfpPoolConfig *pc, VfpVf *vf, VfpLease *lease, int numa_node, char **why)
{
  if (!vfp_pool_config_has_index (pc, vf->index))
    {
      if (why)
        *why = g_strdup_printf (_("index %u is outside vfs="), vf->index);
      return FALSE;
    }
  if (vfp_pool_config_excludes (pc, vf->index, vf->fn.address))
    {
      if (why)
        *why = g_strdup (_("excluded by exclude="));
      return FALSE;
    }
  if (lease != NULL)
    {
      if (why)
        *why = g_strdup_printf (_("%s by %s"), vfp_lease_state_label (lease->state),
                                vfp_lease_owner (lease) ? vfp_lease_owner (lease) : "-");
      return FALSE;
    }
  if (pc->numa == VFP_NUMA_REQUIRE && numa_node >= 0 && vf->fn.numa_node != numa_node)
    {
      if (why)
        *why = g_strdup_printf (_("on NUMA node %d, the guest needs %d (numa=require)"),
                                vf->fn.numa_node, numa_node);
      return FALSE;
    }
  return TRUE;
}

/* Why VF cannot be handed out by what sysfs says about it now (driver,
 * IOMMU group), or NULL when it can. Reads the VF if the scan was lazy. */
static char *
sysfs_skip_reason (VfpPoolConfig *pc, VfpSysfs *sysfs, VfpVf *vf)
{
  const char *const *d;

  if (!vfp_sysfs_load_vf (sysfs, vf))
    return g_strdup (_("not in sysfs as a VF of its PF any more (see the warnings)"));
  for (d = foreign_drivers; vf->fn.driver && *d; d++)
    if (strcmp (vf->fn.driver, *d) == 0)
      return g_strdup_printf (_("bound to %s without a lease (another user, or left by a failed attach; see vfpool audit)"),
                              vf->fn.driver);
  if (vf->fn.iommu_group < 0)
    return g_strdup (_("no IOMMU group (is the IOMMU on?)"));
  if (vf->fn.iommu_group_size > 1 && !pc->allow_shared_group)
    return g_strdup_printf (_("IOMMU group %d is shared with %u other devices (allow-shared-iommu-group=off)"),
                            vf->fn.iommu_group, vf->fn.iommu_group_size - 1);
  return NULL;
}

/* Leases per PF of pool PC, for spread and pack: one counter per PF, by
 * its index in pc->pfs (the caller frees the array). One lookup per lease,
 * in a table of the pool's few PFs; leases of other PFs are not counted,
 * as nothing asks for them. */
static guint *
count_pf_use (VfpPool *pool, VfpPoolConfig *pc)
{
  guint *use = g_new0 (guint, pc->pfs->len);
  g_autoptr (GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) list = vfp_state_list_unsorted (pool->state);
  guint i;

  for (i = 0; i < pc->pfs->len; i++)
    g_hash_table_insert (index, ((VfpPf *) pc->pfs->pdata[i])->fn.address, GUINT_TO_POINTER (i + 1));
  for (i = 0; i < list->len; i++)
    {
      VfpLease *l = list->pdata[i];
      guint pf = l->pf != NULL ? GPOINTER_TO_UINT (g_hash_table_lookup (index, l->pf)) : 0;

      if (pf > 0)
        use[pf - 1]++;
    }
  return use;
}

/* The order of preference: NUMA-local first (numa=prefer), then a PF this
 * request has not used yet (bonding in the guest wants distinct PFs), then
 * spread (least-used PF) or pack (most-used PF), then lowest VF index, then
 * PF address. */
static int
compare_candidates (gconstpointer pa, gconstpointer pb, gpointer data)
{
  const Candidate *a = pa, *b = pb;
  VfpPoolConfig *pc = data;

  if (pc->numa != VFP_NUMA_IGNORE && a->numa_match != b->numa_match)
    return a->numa_match ? -1 : 1;
  if (a->pf_taken != b->pf_taken)
    return a->pf_taken ? 1 : -1;
  if (a->pf_use != b->pf_use)
    return (pc->policy == VFP_POLICY_SPREAD) == (a->pf_use < b->pf_use) ? -1 : 1;
  if (a->vf->index != b->vf->index)
    return a->vf->index < b->vf->index ? -1 : 1;
  return vfp_addr_compare (&a->vf->pf->fn.addr, &b->vf->pf->fn.addr);
}

static void
add_explain (GPtrArray *explain, VfpVf *vf, gboolean chosen, char *reason)
{
  VfpExplain *e = g_new0 (VfpExplain, 1);

  e->vf = g_strdup (vf->fn.address);
  e->pf = g_strdup (vf->pf->fn.address);
  e->index = vf->index;
  e->chosen = chosen;
  e->reason = reason;
  g_ptr_array_add (explain, e);
}

/* --explain lists the pool's VFs as `vfpool list` does: by PF, then index. */
static int
compare_explain (gconstpointer a, gconstpointer b)
{
  const VfpExplain *x = *(VfpExplain *const *) a;
  const VfpExplain *y = *(VfpExplain *const *) b;
  int c = strcmp (x->pf, y->pf);

  return c != 0 ? c : (int) x->index - (int) y->index;
}

/* Reserves REQ->count VFs of the pool for the owner in REQ, after taking
 * back stale reservations. Returns the new leases (owned by the store; the
 * array is the caller's) or NULL with ERROR when fewer are free — then
 * nothing is reserved. EXPLAIN, when not NULL, receives a VfpExplain for
 * every VF of the pool. The caller saves the store. */
GPtrArray *
vfp_pool_reserve (VfpPool *pool, const VfpReserveRequest *req, GPtrArray *explain,
                  GError **error)
{
  VfpPoolConfig *pc = vfp_config_pool_for (pool->config, req->pool, error);
  g_autoptr (GArray) candidates = g_array_new (FALSE, FALSE, sizeof (Candidate));
  g_autofree guint *use = NULL;
  g_autofree gboolean *taken_pfs = NULL;
  g_autoptr (GHashTable) chosen = g_hash_table_new (NULL, NULL);
  g_autoptr (GHashTable) unusable = g_hash_table_new (NULL, NULL);
  g_autoptr (GPtrArray) result = g_ptr_array_new ();
  g_autoptr (GError) changed_pf = NULL;
  guint64 my_start = 0;
  guint i, j, k;

  if (pc == NULL)
    return NULL;
  g_return_val_if_fail (req->count > 0, NULL);
  g_return_val_if_fail ((req->owner_uuid != NULL) != (req->owner_label != NULL), NULL);
  if (req->owner_label != NULL && !vfp_text_check (req->owner_label, _("owner label"), error))
    return NULL;
  if (!req->dry_run)
    vfp_pool_reclaim (pool);

  for (i = 0; i < pc->pfs->len; i++)
    {
      VfpPf *pf = pc->pfs->pdata[i];
      g_autoptr (GError) changed = NULL;
      gboolean changing = vfp_pool_pf_is_changing (pool, pf->fn.address);

      /* another card at a leased address: none of its VFs is handed out */
      if (!vfp_pool_check_pf (pool, pool->sysfs->root, pf->fn.address, !req->dry_run, &changed))
        {
          for (j = 0; explain != NULL && j < pf->vfs->len; j++)
            add_explain (explain, pf->vfs->pdata[j], FALSE,
                         g_strdup_printf (_("PF %s is not the card its VFs were leased from (see 'vfpool audit')"),
                                          pf->fn.address));
          if (changed_pf == NULL)
            changed_pf = g_steal_pointer (&changed);
          continue;
        }
      for (j = 0; j < pf->vfs->len; j++)
        {
          VfpVf *vf = pf->vfs->pdata[j];
          VfpLease *lease = vfp_state_get (pool->state, vf->fn.address);
          g_autofree char *why = NULL;

          if (changing)
            {
              if (explain)
                add_explain (explain, vf, FALSE,
                             g_strdup_printf (_("PF %s is changing its VF count (vfpool pf set-numvfs)"),
                                              pf->fn.address));
              continue;
            }
          Candidate c = { vf, i, req->numa_node >= 0 && vf->fn.numa_node == req->numa_node, 0, FALSE };

          /* a dry run reclaims nothing, so it sees stale leases as free,
           * as the real run will */
          if (lease != NULL && req->dry_run && vfp_pool_lease_is_stale (pool, lease)
              && lease->owner_uuid == NULL)
            lease = NULL;
          if (!usable (pc, vf, lease, req->numa_node, explain ? &why : NULL))
            {
              if (explain)
                add_explain (explain, vf, FALSE, g_steal_pointer (&why));
              continue;
            }
          /* --explain gives a reason for every VF, so it reads them all */
          if (explain != NULL && (why = sysfs_skip_reason (pc, pool->sysfs, vf)) != NULL)
            {
              add_explain (explain, vf, FALSE, g_steal_pointer (&why));
              continue;
            }
          g_array_append_val (candidates, c);
        }
    }

  /* Each pick sorts the candidates by preference and reads VFs from sysfs
   * in that order until one is usable: a pick on a host with thousands of
   * free VFs reads one or two of them, not all. */
  use = count_pf_use (pool, pc);
  taken_pfs = g_new0 (gboolean, pc->pfs->len);
  for (k = 0; k < req->count; k++)
    {
      Candidate *best = NULL;

      for (i = 0; i < candidates->len; i++)
        {
          Candidate *c = &g_array_index (candidates, Candidate, i);

          c->pf_use = use[c->pf];
          c->pf_taken = taken_pfs[c->pf];
        }
      g_array_sort_with_data (candidates, compare_candidates, pc);
      for (i = 0; i < candidates->len && best == NULL; i++)
        {
          Candidate *c = &g_array_index (candidates, Candidate, i);
          g_autofree char *why = NULL;

          if (g_hash_table_contains (chosen, c->vf) || g_hash_table_contains (unusable, c->vf))
            continue;
          why = sysfs_skip_reason (pc, pool->sysfs, c->vf);
          if (why != NULL)
            g_hash_table_add (unusable, c->vf);
          else
            best = c;
        }
      if (best == NULL)
        break;
      g_hash_table_add (chosen, best->vf);
      taken_pfs[best->pf] = TRUE;
      use[best->pf]++;
      g_ptr_array_add (result, best->vf);
    }

  if (explain)
    for (i = 0; i < candidates->len; i++)
      {
        Candidate *c = &g_array_index (candidates, Candidate, i);
        gboolean yes = g_hash_table_contains (chosen, c->vf);

        add_explain (explain, c->vf, yes,
                     yes ? g_strdup (_("chosen"))
                     : pc->numa != VFP_NUMA_IGNORE && req->numa_node >= 0
                     ? g_strdup_printf (_("free, not chosen (order: NUMA node, then PF use by %s, then index)"),
                                        vfp_policy_name (pc->policy))
                     : g_strdup_printf (_("free, not chosen (order: PF use by %s, then index)"),
                                        vfp_policy_name (pc->policy)));
      }

  if (explain)
    g_ptr_array_sort (explain, compare_explain);
  if (result->len < req->count && changed_pf != NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                   _("Pool '%s' has %u usable free VFs, %u were asked for; nothing was reserved. %s"),
                   pc->name, result->len, req->count, changed_pf->message);
      return NULL;
    }
  if (result->len < req->count)
    {
      /* one plural per sentence: with none free, the count asked for
       * decides the verb; with some, the free count decides the noun
       * (more than one were asked for then) */
      if (result->len == 0)
        g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                     dngettext (GETTEXT_PACKAGE,
                                "Pool '%s' has no usable free VF, %u was asked for; nothing was reserved. 'vfpool reserve --dry-run --explain' says why each VF is taken or skipped.",
                                "Pool '%s' has no usable free VF, %u were asked for; nothing was reserved. 'vfpool reserve --dry-run --explain' says why each VF is taken or skipped.",
                                req->count),
                     pc->name, req->count);
      else
        g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                     dngettext (GETTEXT_PACKAGE,
                                "Pool '%s' has %u usable free VF, %u were asked for; nothing was reserved. 'vfpool reserve --dry-run --explain' says why each VF is taken or skipped.",
                                "Pool '%s' has %u usable free VFs, %u were asked for; nothing was reserved. 'vfpool reserve --dry-run --explain' says why each VF is taken or skipped.",
                                result->len),
                     pc->name, result->len, req->count);
      return NULL;
    }
  if (req->dry_run)
    {
      g_autoptr (GPtrArray) preview = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_lease_free);

      for (i = 0; i < result->len; i++)
        {
          VfpVf *vf = result->pdata[i];
          VfpLease *l = vfp_lease_new (vf->fn.address);

          l->pf = g_intern_string (vf->pf->fn.address);
          l->pool = g_intern_string (pc->name);
          l->state = VFP_LEASE_FREE;
          g_ptr_array_add (preview, l);
        }
      return g_steal_pointer (&preview);
    }

  if (req->in_flight && !vfp_proc_start_time (getpid (), &my_start))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("Cannot read this process's start time from /proc; is /proc mounted?"));
      return NULL;
    }
  for (i = 0; i < result->len; i++)
    {
      VfpVf *vf = result->pdata[i];
      VfpLease *l = vfp_lease_new (vf->fn.address);

      l->pf = g_intern_string (vf->pf->fn.address);
      l->pool = g_intern_string (pc->name);
      l->state = VFP_LEASE_RESERVED;
      l->owner_uuid = vfp_text_storable (req->owner_uuid);
      l->owner_name = vfp_text_storable (req->owner_name);
      l->owner_label = g_strdup (req->owner_label);
      l->vlan = -1;
      l->created = l->changed = pool->now;
      l->note = vfp_text_storable (req->note);
      if (req->in_flight)
        {
          l->pid = getpid ();
          l->pid_start = my_start;
          l->expires = pool->now + VFP_IN_FLIGHT_SECONDS;
        }
      else if (req->hold_seconds > 0)
        l->expires = pool->now + req->hold_seconds;
      vfp_state_put (pool->state, l);
      result->pdata[i] = l;
      event (pool, "reserve", l->vf, vfp_lease_owner (l), _("Reserved VF %s of pool '%s' for %s."), l->vf, pc->name, vfp_lease_owner (l));
    }
  g_ptr_array_set_free_func (result, NULL);
  return g_steal_pointer (&result);
}

/* Frees VF: a hold, a stale in-flight reservation, or a quarantined VF an
 * operator has checked. VFs in a guest are refused: detach them. */
gboolean
vfp_pool_release (VfpPool *pool, const char *vf, GError **error)
{
  VfpLease *l = vfp_state_get (pool->state, vf);

  if (l == NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND, _("VF %s has no lease; it is already free."), vf);
      return FALSE;
    }
  if (l->state == VFP_LEASE_ATTACHED || l->state == VFP_LEASE_DETACHING)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("VF %s is in use by guest %s (%s); use 'vfpool detach %s %s' instead."),
                   vf, vfp_lease_owner (l), vfp_lease_state_label (l->state), vfp_lease_owner (l), vf);
      return FALSE;
    }
  if (l->state == VFP_LEASE_RESERVED && l->pid > 0 && !vfp_pool_lease_is_stale (pool, l))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("VF %s is being attached to %s by process %d; wait for it to finish."),
                   vf, vfp_lease_owner (l), l->pid);
      return FALSE;
    }
  event (pool, "release", vf, vfp_lease_owner (l), _("Released VF %s (%s by %s)."), vf, vfp_lease_state_label (l->state),
         vfp_lease_owner (l) ? vfp_lease_owner (l) : "-");
  vfp_state_remove (pool->state, vf);
  return TRUE;
}

/* Releases every hold of LABEL; returns how many. */
guint
vfp_pool_release_owner (VfpPool *pool, const char *label)
{
  g_autoptr (GPtrArray) list = vfp_state_list (pool->state);
  guint i, n = 0;

  for (i = 0; i < list->len; i++)
    {
      VfpLease *l = list->pdata[i];

      if (l->state == VFP_LEASE_RESERVED && g_strcmp0 (l->owner_label, label) == 0
          && vfp_pool_release (pool, l->vf, NULL))
        n++;
    }
  return n;
}

/* The lock file that 'pf set-numvfs' holds on PF while the kernel removes
 * and creates its VFs. */
static char *
pf_lock_name (const char *pf)
{
  return g_strdup_printf ("numvfs-%s.lock", pf);
}

/* Takes PF's own lock in STATE_DIR (waiting up to TIMEOUT_MS for another
 * set-numvfs of it), for the kernel's work on its VFs, which takes seconds
 * and so must not hold the store's lock: allocations and the hook would
 * wait for it. Take it before the store's lock. Returns the descriptor;
 * closing it unlocks. */
int
vfp_pool_lock_pf (const char *state_dir, const char *pf, guint timeout_ms, GError **error)
{
  g_autofree char *name = pf_lock_name (pf);

  return vfp_state_lock (state_dir, name, timeout_ms, error);
}

/* Whether 'pf set-numvfs' is changing PF's VF count now: its VFs come and
 * go, so none is handed out. Never waits (the hook asks it); a lock file
 * that is missing or not a regular file means no. */
gboolean
vfp_pool_pf_is_changing (VfpPool *pool, const char *pf)
{
  g_autofree char *name = pf_lock_name (pf);
  g_autofree char *path = g_build_filename (vfp_state_dir (pool->state), name, NULL);
  struct stat st;
  gboolean held;
  int fd;

  fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    return FALSE;
  held = fstat (fd, &st) == 0 && S_ISREG (st.st_mode)
         && flock (fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  close (fd);
  return held;
}

/* Whether PF may change to N VFs now, by the store (held locked by the
 * caller): refused while any of its VFs holds a lease or is bound to
 * vfio-pci, as a change that is not to or from 0 passes through 0, which
 * destroys every VF of the PF. */
gboolean
vfp_pool_check_numvfs (VfpPool *pool, VfpPf *pf, guint n, GError **error)
{
  g_autoptr (GString) busy = g_string_new (NULL);
  guint i;

  if (n > pf->total_vfs)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("PF %s supports at most %u VFs, not %u."), pf->fn.address, pf->total_vfs, n);
      return FALSE;
    }
  if (n == pf->num_vfs)
    return TRUE;
  for (i = 0; pf->num_vfs > 0 && i < pf->vfs->len; i++)
    {
      VfpVf *vf = pf->vfs->pdata[i];
      VfpLease *l = vfp_state_get (pool->state, vf->fn.address);

      if (l != NULL)
        g_string_append_printf (busy, "%s%s (%s by %s)", busy->len ? ", " : "", vf->fn.address,
                                vfp_lease_state_label (l->state), vfp_lease_owner (l) ? vfp_lease_owner (l) : "-");
      else if (vfp_sysfs_load_vf (pool->sysfs, vf) && g_strcmp0 (vf->fn.driver, "vfio-pci") == 0)
        g_string_append_printf (busy, "%s%s (%s)", busy->len ? ", " : "", vf->fn.address, _("bound to vfio-pci"));
    }
  if (busy->len > 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("Changing the VF count of PF %s removes all its VFs first, and these are in use: %s. Detach or release them first."),
                   pf->fn.address, busy->str);
      return FALSE;
    }
  return TRUE;
}

/* Records what the device of a fresh reservation will look like. */
gboolean
vfp_pool_set_device (VfpPool *pool, const char *vf, const char *mac, int vlan,
                     const char *alias, gboolean live, gboolean config)
{
  VfpLease *l = vfp_state_get (pool->state, vf);

  if (l == NULL || l->state != VFP_LEASE_RESERVED)
    return FALSE;
  g_free (l->mac);
  l->mac = vfp_text_storable (mac);
  l->vlan = vlan;
  g_free (l->alias);
  l->alias = vfp_text_storable (alias);
  l->live = live;
  l->config = config;
  touched (pool, l);
  return TRUE;
}

/* Sets the expiry of VF's hook-made reservation (reserved, no attaching
 * process) to SECONDS from now: a reservation a migration's capacity probe
 * made, taken over by the migration itself. FALSE when VF has no such
 * lease. */
gboolean
vfp_pool_extend_hold (VfpPool *pool, const char *vf, gint64 seconds)
{
  VfpLease *l = vfp_state_get (pool->state, vf);

  if (l == NULL || l->state != VFP_LEASE_RESERVED || l->pid != 0)
    return FALSE;
  l->expires = pool->now + seconds;
  touched (pool, l);
  return TRUE;
}

/* Records on the reserved lease of VF the settings vfpool is about to apply
 * through the PF (a copy; NULL or no fields: none), before it applies them. */
gboolean
vfp_pool_set_vf_settings (VfpPool *pool, const char *vf, const VfpVfSettings *settings)
{
  VfpLease *l = vfp_state_get (pool->state, vf);

  if (l == NULL || l->state != VFP_LEASE_RESERVED)
    return FALSE;
  g_clear_pointer (&l->vf_settings, g_free);
  if (settings != NULL && settings->fields != 0)
    {
      l->vf_settings = g_new (VfpVfSettings, 1);
      *l->vf_settings = *settings;
    }
  touched (pool, l);
  return TRUE;
}

/* reserved -> attached, once libvirt confirmed the attach; MAC is what the
 * guest got. */
gboolean
vfp_pool_mark_attached (VfpPool *pool, const char *vf, const char *mac, GError **error)
{
  VfpLease *l = vfp_state_get (pool->state, vf);

  if (l == NULL || (l->state != VFP_LEASE_RESERVED && l->state != VFP_LEASE_ATTACHED))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("The lease of VF %s changed while it was being attached; run 'vfpool audit'."), vf);
      return FALSE;
    }
  l->state = VFP_LEASE_ATTACHED;
  if (mac != NULL)
    {
      g_free (l->mac);
      l->mac = vfp_text_storable (mac);
    }
  l->pid = 0;
  l->pid_start = 0;
  l->expires = 0;
  touched (pool, l);
  event (pool, "attach", vf, vfp_lease_owner (l), _("Attached VF %s to guest %s as %s."), vf, vfp_lease_owner (l), l->alias ? l->alias : "-");
  return TRUE;
}

/* attached -> detaching, before libvirt is asked to remove the device. */
gboolean
vfp_pool_mark_detaching (VfpPool *pool, const char *vf, GError **error)
{
  VfpLease *l = vfp_state_get (pool->state, vf);

  if (l == NULL || (l->state != VFP_LEASE_ATTACHED && l->state != VFP_LEASE_DETACHING
                    && l->state != VFP_LEASE_RESERVED))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED, _("VF %s is not attached; nothing to detach."), vf);
      return FALSE;
    }
  l->state = VFP_LEASE_DETACHING;
  /* whose detach this is: the audit leaves one in progress alone */
  l->pid = vfp_proc_start_time (getpid (), &l->pid_start) ? getpid () : 0;
  l->expires = 0;
  touched (pool, l);
  event (pool, "detach", vf, vfp_lease_owner (l), _("Detaching VF %s from guest %s."), vf, vfp_lease_owner (l));
  return TRUE;
}

/* The VF is proven out of the guest (DEVICE_REMOVED, a config-only
 * detach, a rolled-back attach): it is free. WHY goes to the log. */
void
vfp_pool_mark_free (VfpPool *pool, const char *vf, const char *why)
{
  VfpLease *l = vfp_state_get (pool->state, vf);

  if (l == NULL)
    return;
  /* a hold of reserve --owner is not a guest's */
  if (l->owner_uuid != NULL)
    event (pool, "free", vf, vfp_lease_owner (l), _("Freed VF %s of guest %s: %s."), vf, vfp_lease_owner (l), why);
  else if (l->owner_label != NULL)
    event (pool, "free", vf, l->owner_label, _("Freed VF %s held by %s: %s."), vf, l->owner_label, why);
  else
    event (pool, "free", vf, NULL, _("Freed VF %s: %s."), vf, why);
  vfp_state_remove (pool->state, vf);
}

/* The leases held by guest UUID, by VF address; the array does not own them. */
GPtrArray *
vfp_pool_guest_leases (VfpPool *pool, const char *uuid)
{
  g_autoptr (GPtrArray) all = vfp_state_list (pool->state);
  GPtrArray *mine = g_ptr_array_new ();
  guint i;

  for (i = 0; i < all->len; i++)
    if (g_strcmp0 (((VfpLease *) all->pdata[i])->owner_uuid, uuid) == 0)
      g_ptr_array_add (mine, all->pdata[i]);
  return mine;
}

/* Leases VF to guest UUID as attached (free, or the guest's already);
 * refuses a VF another holder has or a quarantined one. ADOPTED is the
 * sentence logged when the lease is new. */
static gboolean
claim (VfpPool *pool, const char *vf, const char *pf, const char *uuid, const char *name,
       const char *pool_name, const char *alias, const char *mac, int vlan,
       const char *adopted, GError **error)
{
  VfpLease *l = vfp_state_get (pool->state, vf);

  if (pf != NULL && vfp_pool_pf_is_changing (pool, pf))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("VF %s (%s) is on PF %s, whose VF count 'vfpool pf set-numvfs' is changing; guest %s cannot start with it now. Start it again once that is done."),
                   vf, alias, pf, name);
      return FALSE;
    }
  if (l != NULL && l->state == VFP_LEASE_QUARANTINED)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("VF %s (%s) is quarantined by vfpool (%s); it cannot be given to guest %s."),
                   vf, alias, l->note ? l->note : _("no reason recorded"), name);
      return FALSE;
    }
  if (l != NULL && g_strcmp0 (l->owner_uuid, uuid) != 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("VF %s (%s) is %s by %s; guest %s cannot start with it. Free it first ('vfpool list' shows who holds what)."),
                   vf, alias, vfp_lease_state_label (l->state), vfp_lease_owner (l), name);
      return FALSE;
    }
  if (l == NULL)
    {
      l = vfp_lease_new (vf);
      l->owner_uuid = vfp_text_storable (uuid);
      l->pf = g_intern_string (pf);
      l->pool = g_intern_string (pool_name);
      l->created = pool->now;
      vfp_state_put (pool->state, l);
      event (pool, "adopt", vf, name, "%s", adopted);
    }
  g_free (l->owner_name);
  l->owner_name = vfp_text_storable (name);
  if (l->alias == NULL)
    l->alias = vfp_text_storable (alias);
  if (mac != NULL)
    {
      g_free (l->mac);
      l->mac = vfp_text_storable (mac);
    }
  if (vlan >= 0)
    l->vlan = vlan;
  l->state = VFP_LEASE_ATTACHED;
  l->live = TRUE;
  l->pid = 0;
  l->pid_start = 0;
  l->expires = 0;
  g_clear_pointer (&l->note, g_free);
  touched (pool, l);
  return TRUE;
}

/* A guest starts with VF in its definition (the prepare hook): the VF must
 * be free (it becomes attached to the guest) or already the guest's. A VF
 * another guest or user holds, or a quarantined one, is refused: the
 * error says who holds it, and libvirt shows it to the user. */
gboolean
vfp_pool_claim_for_start (VfpPool *pool, const char *vf, const char *pf, const char *uuid, const char *name,
                          const char *pool_name, const char *alias, const char *mac, int vlan,
                          GError **error)
{
  g_autofree char *adopted = g_strdup_printf (_("VF %s is in the definition of guest %s, which starts: leased to it."),
                                              vf, name);

  return claim (pool, vf, pf, uuid, name, pool_name, alias, mac, vlan, adopted, error);
}

/* The audit found VF in guest UUID's XML without its lease: records it as
 * attached, LIVE when the running guest has it, CONFIG when its definition
 * does. The guest may be shut off: nothing here says it starts. */
gboolean
vfp_pool_adopt (VfpPool *pool, const char *vf, const char *pf, const char *uuid, const char *name,
                const char *pool_name, const char *alias, const char *mac, int vlan,
                gboolean live, gboolean config, GError **error)
{
  g_autofree char *adopted = live
    ? g_strdup_printf (_("VF %s is in the running guest %s: leased to it."), vf, name)
    : g_strdup_printf (_("VF %s is in the definition of guest %s: leased to it."), vf, name);
  VfpLease *l;

  if (!claim (pool, vf, pf, uuid, name, pool_name, alias, mac, vlan, adopted, error))
    return FALSE;
  l = vfp_state_get (pool->state, vf);
  l->live = live;
  l->config = config;
  /* the alias the guest has it under: detach asks libvirt by alias */
  if (alias != NULL && g_strcmp0 (l->alias, alias) != 0)
    {
      g_free (l->alias);
      l->alias = vfp_text_storable (alias);
    }
  return TRUE;
}

/* The guest stopped (the release hook; also after a failed start or a
 * failed incoming migration): its VFs are out of it. Leases its persistent
 * definition still names stay (attached, not live); the others are freed,
 * as are reservations made for its arrival. An attach in progress is left
 * to its own rollback. Idempotent. Returns how many were freed. */
guint
vfp_pool_guest_stopped (VfpPool *pool, const char *uuid)
{
  g_autoptr (GPtrArray) mine = vfp_pool_guest_leases (pool, uuid);
  guint i, n = 0;

  for (i = 0; i < mine->len; i++)
    {
      VfpLease *l = mine->pdata[i];

      if (l->state == VFP_LEASE_RESERVED && l->pid > 0)
        continue;
      if (l->state == VFP_LEASE_ATTACHED && l->config)
        {
          if (l->live)
            {
              l->live = FALSE;
              touched (pool, l);
            }
          continue;
        }
      if (l->state == VFP_LEASE_QUARANTINED)
        continue;
      vfp_pool_mark_free (pool, l->vf, _("the guest stopped"));
      n++;
    }
  return n;
}
