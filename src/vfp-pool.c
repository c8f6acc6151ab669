/* The pool manager: the one owner of the lease life cycle (DESIGN.md §2)
 * and the allocation policy (§8). A VF is free when it has no lease. A
 * transaction (vfp_pool_begin ... vfp_pool_commit) holds the store's lock;
 * every change of a lease is one event of the table below, checked against
 * the holder the caller expects, so a lease another process changed in
 * between is reported (VFP_ERROR_MOVED), never overwritten. Reservations
 * are committed before libvirt is asked for anything; stale ones
 * (attaching process dead, reservation expired) are taken back by the next
 * allocation, with an event saying so. Text a lease takes from outside
 * meets vfp-text's rule here: an owner label the store does not take is
 * refused; a guest's name, alias or MAC (libvirt's to choose, display only
 * or checked against libvirt's own) is kept with such characters escaped. */
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
#include "vfp-scrub.h"

/* Drivers that mean someone else uses the VF outside libvirt's managed
 * attach: userspace I/O, stubs, or vfio-pci without a lease of ours (DPDK,
 * or what a failed attach left behind). */
static const char *const foreign_drivers[] = {
  "vfio-pci", "igb_uio", "uio_pci_generic", "pci-stub", "pciback", NULL
};

struct _VfpPool {
  VfpConfig *config;       /* not owned; resolved against sysfs */
  VfpSysfs *sysfs;         /* not owned; NULL in the hook's transactions */
  VfpState *state;         /* open (locked); owned when begun here */
  gboolean owns_state;
  gint64 now;              /* unix seconds, fixed for one transaction */
  GPtrArray *events;       /* owned VfpEvent*: every change, for the log */
  VfpGuestCheck guest_check; /* how to ask libvirt about a guest's VF; NULL: cannot */
  gpointer guest_check_data;
  VfpIdentity *identity;   /* owned: PF identities of sysfs, read on first use */
  char *sysfs_root;        /* owned: the sysfs the scrub reads (the hook has
                            * no scan); from sysfs, else "/sys" */
  guint scrub_settle_ms;   /* how long a scrub waits for a VF's driver to come
                            * back (a detach: libvirt rebinds it as it removes
                            * the device); 0: not at all */
};

/* The life cycle: from a state, an event leads to one state. FREE is a VF
 * without a lease. SCRUBBED marks the steps into free that pass through a
 * scrub (vfp_scrub_vf): a VF that does not verify is quarantined instead.
 * Any pair not here is refused and changes nothing. The same table is in
 * README ("Leases"); tests/test-pool.c tries every state with every event. */
static const struct {
  VfpLeaseState from;
  VfpLeaseEvent event;
  VfpLeaseState to;
  gboolean scrubbed;
} transitions[] = {
  { VFP_LEASE_FREE, VFP_EVENT_RESERVE, VFP_LEASE_RESERVED, FALSE },
  { VFP_LEASE_RESERVED, VFP_EVENT_ATTACH_REQUESTED, VFP_LEASE_RESERVED, FALSE },
  { VFP_LEASE_RESERVED, VFP_EVENT_ATTACH_CONFIRMED, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_ATTACHED, VFP_EVENT_ATTACH_CONFIRMED, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_RESERVED, VFP_EVENT_ATTACH_ROLLED_BACK, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_ATTACHED, VFP_EVENT_ATTACH_ROLLED_BACK, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_RESERVED, VFP_EVENT_DETACH_REQUESTED, VFP_LEASE_DETACHING, FALSE },
  { VFP_LEASE_ATTACHED, VFP_EVENT_DETACH_REQUESTED, VFP_LEASE_DETACHING, FALSE },
  { VFP_LEASE_DETACHING, VFP_EVENT_DETACH_REQUESTED, VFP_LEASE_DETACHING, FALSE },
  { VFP_LEASE_DETACHING, VFP_EVENT_DETACH_CANCELLED, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_DETACHING, VFP_EVENT_DEVICE_REMOVED, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_FREE, VFP_EVENT_GUEST_STARTED, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_RESERVED, VFP_EVENT_GUEST_STARTED, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_ATTACHED, VFP_EVENT_GUEST_STARTED, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_DETACHING, VFP_EVENT_GUEST_STARTED, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_RESERVED, VFP_EVENT_GUEST_STOPPED, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_ATTACHED, VFP_EVENT_GUEST_STOPPED, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_DETACHING, VFP_EVENT_GUEST_STOPPED, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_ATTACHED, VFP_EVENT_GUEST_STOPPED_KEPT, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_FREE, VFP_EVENT_ADOPTED, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_RESERVED, VFP_EVENT_ADOPTED, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_ATTACHED, VFP_EVENT_ADOPTED, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_DETACHING, VFP_EVENT_ADOPTED, VFP_LEASE_ATTACHED, FALSE },
  { VFP_LEASE_RESERVED, VFP_EVENT_UNUSED, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_ATTACHED, VFP_EVENT_UNUSED, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_DETACHING, VFP_EVENT_UNUSED, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_RESERVED, VFP_EVENT_EXPIRED, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_RESERVED, VFP_EVENT_RELEASED, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_QUARANTINED, VFP_EVENT_RELEASED, VFP_LEASE_FREE, TRUE },
  { VFP_LEASE_FREE, VFP_EVENT_SCRUB_VERIFIED, VFP_LEASE_FREE, FALSE },
  { VFP_LEASE_QUARANTINED, VFP_EVENT_SCRUB_VERIFIED, VFP_LEASE_FREE, FALSE },
  { VFP_LEASE_FREE, VFP_EVENT_QUARANTINED, VFP_LEASE_QUARANTINED, FALSE },
  { VFP_LEASE_RESERVED, VFP_EVENT_QUARANTINED, VFP_LEASE_QUARANTINED, FALSE },
  { VFP_LEASE_DETACHING, VFP_EVENT_QUARANTINED, VFP_LEASE_QUARANTINED, FALSE },
  { VFP_LEASE_QUARANTINED, VFP_EVENT_QUARANTINED, VFP_LEASE_QUARANTINED, FALSE },
  { VFP_LEASE_RESERVED, VFP_EVENT_HOLD_EXTENDED, VFP_LEASE_RESERVED, FALSE },
};

static const char *const event_names[] = {
  [VFP_EVENT_RESERVE] = "reserve",
  [VFP_EVENT_ATTACH_REQUESTED] = "attach-requested",
  [VFP_EVENT_ATTACH_CONFIRMED] = "attach-confirmed",
  [VFP_EVENT_ATTACH_ROLLED_BACK] = "attach-rolled-back",
  [VFP_EVENT_DETACH_REQUESTED] = "detach-requested",
  [VFP_EVENT_DETACH_CANCELLED] = "detach-cancelled",
  [VFP_EVENT_DEVICE_REMOVED] = "device-removed",
  [VFP_EVENT_GUEST_STARTED] = "guest-started",
  [VFP_EVENT_GUEST_STOPPED] = "guest-stopped",
  [VFP_EVENT_GUEST_STOPPED_KEPT] = "guest-stopped-kept",
  [VFP_EVENT_ADOPTED] = "adopted",
  [VFP_EVENT_UNUSED] = "unused",
  [VFP_EVENT_EXPIRED] = "expired",
  [VFP_EVENT_RELEASED] = "released",
  [VFP_EVENT_SCRUB_VERIFIED] = "scrub-verified",
  [VFP_EVENT_QUARANTINED] = "quarantined",
  [VFP_EVENT_HOLD_EXTENDED] = "hold-extended",
};

/* The stable name of EVENT, for messages, the README and tests. */
const char *
vfp_lease_event_name (VfpLeaseEvent event)
{
  return event_names[event];
}

/* The row of the table for EVENT from FROM, or -1 when it is refused. */
static int
transition_row (VfpLeaseState from, VfpLeaseEvent event)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (transitions); i++)
    if (transitions[i].from == from && transitions[i].event == event)
      return i;
  return -1;
}

/* Whether EVENT may happen to a lease in state FROM, and the state it
 * leads to (free for the scrubbed steps: quarantined when the scrub fails). */
gboolean
vfp_pool_transition (VfpLeaseState from, VfpLeaseEvent event, VfpLeaseState *to)
{
  int row = transition_row (from, event);

  if (row >= 0 && to != NULL)
    *to = transitions[row].to;
  return row >= 0;
}

/* The pool manager over STATE, which the caller opened and closes (tests;
 * the commands and the hook use vfp_pool_begin). */
VfpPool *
vfp_pool_new (VfpConfig *config, VfpSysfs *sysfs, VfpState *state)
{
  VfpPool *pool = g_new0 (VfpPool, 1);

  pool->config = config;
  pool->sysfs = sysfs;
  pool->state = state;
  pool->sysfs_root = g_strdup (sysfs != NULL ? sysfs->root : "/sys");
  pool->now = g_get_real_time () / G_USEC_PER_SEC;
  pool->events = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_event_free);
  return pool;
}

/* Begins a transaction: opens and locks the store in STATE_DIR (waiting up
 * to LOCK_TIMEOUT_MS for another vfpool) under CONFIG and SYSFS (NULL: the
 * hook's, which never scans). The caller commits or frees it (unlocking
 * without saving); NULL with ERROR when the store cannot be opened. */
VfpPool *
vfp_pool_begin (VfpConfig *config, VfpSysfs *sysfs, const char *state_dir,
                guint lock_timeout_ms, GError **error)
{
  VfpState *state = vfp_state_open (state_dir, lock_timeout_ms, error);
  VfpPool *pool;

  if (state == NULL)
    return NULL;
  pool = vfp_pool_new (config, sysfs, state);
  pool->owns_state = TRUE;
  return pool;
}

/* Ends the changes of a transaction: saves the store (atomically and
 * durably) when a lease or a PF record changed, and only then. The lock
 * stays until vfp_pool_free; the events stay for the caller to log. */
gboolean
vfp_pool_commit (VfpPool *pool, GError **error)
{
  if (!vfp_state_changed (pool->state))
    return TRUE;
  return vfp_state_save (pool->state, error);
}

/* Frees POOL; a begun transaction's store is closed, its lock released and
 * what was not committed dropped. */
void
vfp_pool_free (VfpPool *pool)
{
  if (pool == NULL)
    return;
  if (pool->owns_state)
    vfp_state_close (pool->state);
  g_ptr_array_unref (pool->events);
  vfp_identity_free (pool->identity);
  g_free (pool->sysfs_root);
  g_free (pool);
}

/* What changed (VfpEvent*), for the log; owned by POOL. */
GPtrArray *
vfp_pool_events (VfpPool *pool)
{
  return pool->events;
}

/* The store, to read: only this file changes its leases. */
VfpState *
vfp_pool_state (VfpPool *pool)
{
  return pool->state;
}

VfpConfig *
vfp_pool_config (VfpPool *pool)
{
  return pool->config;
}

/* The sysfs scan of the transaction, or NULL (the hook). */
VfpSysfs *
vfp_pool_sysfs (VfpPool *pool)
{
  return pool->sysfs;
}

/* The transaction's clock, unix seconds. */
gint64
vfp_pool_now (VfpPool *pool)
{
  return pool->now;
}

/* How to ask libvirt whether a guest holds a VF (the CLI's): a dead
 * attach's reservation is then settled, not left alone. */
void
vfp_pool_set_guest_check (VfpPool *pool, VfpGuestCheck check, gpointer data)
{
  pool->guest_check = check;
  pool->guest_check_data = data;
}

/* How long a scrub waits for a VF's driver to come back (see the struct). */
void
vfp_pool_set_scrub_settle (VfpPool *pool, guint ms)
{
  pool->scrub_settle_ms = ms;
}

/* The sysfs the scrub reads when the transaction has no scan (the hook). */
void
vfp_pool_set_sysfs_root (VfpPool *pool, const char *root)
{
  g_free (pool->sysfs_root);
  pool->sysfs_root = g_strdup (root);
}

/* A warning about VF (of GUEST, or NULL) among the events, for the log. */
void
vfp_pool_warn (VfpPool *pool, const char *vf, const char *guest, const char *message)
{
  g_ptr_array_add (pool->events, vfp_event_new ("warning", vf, guest, message));
}

/* The lease of VF, to read, or NULL when it is free; owned by the store. */
const VfpLease *
vfp_pool_lease (VfpPool *pool, const char *vf)
{
  return vfp_state_get (pool->state, vf);
}

void
vfp_explain_free (VfpExplain *e)
{
  g_free (e->vf);
  g_free (e->pf);
  g_free (e->reason);
  g_free (e);
}

void
vfp_pick_free (VfpPick *pick)
{
  g_free (pick->vf);
  g_free (pick);
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

/* Who holds L, as callers name the holder they expect: the guest's UUID,
 * else the label. */
static const char *
holder_key (const VfpLease *l)
{
  return l->owner_uuid != NULL ? l->owner_uuid : l->owner_label;
}

/* The lease of VF for EVENT, checked, in *LEASE (NULL: VF is free) and
 * the state EVENT leads to in *TO. OWNER (a UUID or label) and ALIAS,
 * when not NULL, are the holder and device the caller saw: a lease that
 * is another's, under another alias, or gone since is refused with
 * VFP_ERROR_MOVED (another process changed it meanwhile); a state the
 * table has no EVENT from with VFP_ERROR_FAILED. Nothing is changed. */
static gboolean
check (VfpPool *pool, const char *vf, VfpLeaseEvent ev, const char *owner, const char *alias,
       VfpLease **lease, VfpLeaseState *to, GError **error)
{
  VfpLease *l = vfp_state_lookup (pool->state, vf);
  VfpLeaseState from = l != NULL ? l->state : VFP_LEASE_FREE;

  *lease = l;
  if ((l != NULL && owner != NULL && g_strcmp0 (holder_key (l), owner) != 0)
      || (l != NULL && alias != NULL && g_strcmp0 (l->alias, alias) != 0)
      || (l == NULL && owner != NULL && transition_row (VFP_LEASE_FREE, ev) < 0))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_MOVED,
                   _("The lease of VF %s changed meanwhile (another vfpool or the hook changed it); it was left as it is. 'vfpool audit' reports it if it needs care."),
                   vf);
      return FALSE;
    }
  if (!vfp_pool_transition (from, ev, to))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("VF %s is %s; its lease cannot take the step '%s' from there, so nothing was changed."),
                   vf, vfp_lease_state_label (from), vfp_lease_event_name (ev));
      return FALSE;
    }
  return TRUE;
}

/* L is settled: no attaching process, no expiry. */
static void
settle (VfpLease *l)
{
  l->pid = 0;
  l->pid_start = 0;
  l->expires = 0;
  l->migration = FALSE;
}

/* L cannot be proven safe (REASON, a sentence): quarantined, so that
 * nothing hands it out until 'vfpool scrub' verifies it. The owner stays
 * on the lease to say whose it was. */
static void
enter_quarantine (VfpPool *pool, VfpLease *l, const char *reason)
{
  l->state = VFP_LEASE_QUARANTINED;
  l->live = FALSE;
  settle (l);
  g_free (l->note);
  l->note = g_strdup (reason);
  touched (pool, l);
  event (pool, "quarantine", l->vf, vfp_lease_owner (l), _("Quarantined VF %s: %s"), l->vf, reason);
}

/* The scrubbed step into free of L (a table row with SCRUBBED): its VF is
 * returned to its baseline and verified, then the lease ends; a VF that
 * does not verify is quarantined, FALSE with VFP_ERROR_QUARANTINED and the
 * reason. The caller logs the freeing (OP and the sentence) only on TRUE. */
static gboolean
free_scrubbed (VfpPool *pool, VfpLease *l, GError **error)
{
  g_autoptr (GError) e = NULL;

  if (!vfp_scrub_vf (pool->sysfs_root, l->vf, l->baseline_driver, pool->scrub_settle_ms, &e))
    {
      enter_quarantine (pool, l, e->message);
      g_set_error_literal (error, VFP_ERROR, VFP_ERROR_QUARANTINED, e->message);
      return FALSE;
    }
  return TRUE;
}

/* A freed VF in the log: WHY (a phrase) for its guest, holder or nobody. */
static void
event_freed (VfpPool *pool, const VfpLease *l, const char *why)
{
  /* a hold of reserve --owner is not a guest's */
  if (l->owner_uuid != NULL)
    event (pool, "free", l->vf, vfp_lease_owner (l), _("Freed VF %s of guest %s: %s."), l->vf, vfp_lease_owner (l), why);
  else if (l->owner_label != NULL)
    event (pool, "free", l->vf, l->owner_label, _("Freed VF %s held by %s: %s."), l->vf, l->owner_label, why);
  else
    event (pool, "free", l->vf, NULL, _("Freed VF %s: %s."), l->vf, why);
}

/* EVENT (a scrubbed step into free) on VF, expected OWNER's under ALIAS:
 * scrubbed and freed, WHY in the log; quarantined when the scrub fails. */
static gboolean
free_by (VfpPool *pool, const char *vf, VfpLeaseEvent ev, const char *owner, const char *alias,
         const char *why, GError **error)
{
  VfpLease *l;
  VfpLeaseState to;

  if (!check (pool, vf, ev, owner, alias, &l, &to, error))
    return FALSE;
  if (l == NULL)
    return TRUE;
  if (!free_scrubbed (pool, l, error))
    return FALSE;
  event_freed (pool, l, why);
  vfp_state_remove (pool->state, vf);
  return TRUE;
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
 * libvirt (through pool->guest_check), and left alone when nobody can.
 * TRUE: the guest does not have it, it may be taken back. */
static gboolean
settle_guest_reservation (VfpPool *pool, VfpLease *l)
{
  VfpInGuest in = pool->guest_check ? pool->guest_check (l, pool->guest_check_data)
                                    : VFP_IN_GUEST_UNKNOWN;
  VfpLeaseState to;

  switch (in)
    {
    case VFP_IN_GUEST_UNKNOWN:
      return FALSE;
    case VFP_IN_GUEST_LIVE:
    case VFP_IN_GUEST_CONFIG:
      if (!vfp_pool_transition (l->state, VFP_EVENT_ADOPTED, &to))
        return FALSE;
      l->state = to;
      l->live = in == VFP_IN_GUEST_LIVE;
      l->config = in == VFP_IN_GUEST_CONFIG || l->config;
      settle (l);
      touched (pool, l);
      event (pool, "adopt", l->vf, vfp_lease_owner (l), _("VF %s is in guest %s although the attaching process is gone; its lease is now attached."),
             l->vf, vfp_lease_owner (l));
      return FALSE;
    case VFP_IN_GUEST_NO:
      break;
    }
  return TRUE;
}

/* Takes back every stale reservation (scrubbed; quarantined when that
 * fails); returns how many were freed. */
guint
vfp_pool_reclaim (VfpPool *pool)
{
  g_autoptr (GPtrArray) list = vfp_state_list_unsorted (pool->state);
  guint i, n = 0;

  for (i = 0; i < list->len; i++)
    {
      VfpLease *l = list->pdata[i];
      VfpLeaseState to;

      if (!vfp_pool_lease_is_stale (pool, l) || !vfp_pool_transition (l->state, VFP_EVENT_EXPIRED, &to))
        continue;
      if (l->owner_uuid != NULL && l->pid > 0 && !settle_guest_reservation (pool, l))
        continue;
      /* a dead attach may have applied VF settings already */
      if (!free_scrubbed (pool, l, NULL))
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
usable (VfpPoolConfig *pc, VfpVf *vf, const VfpLease *lease, int numa_node, char **why)
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

/* The VFs of pool PC that REQ may take, by what the store and the
 * configuration say, into CANDIDATES; EXPLAIN (or NULL) receives the
 * reason for each that may not. A PF that is not the card its VFs were
 * leased from gives none: the first such reason goes to *CHANGED_PF. */
static void
gather_candidates (VfpPool *pool, VfpPoolConfig *pc, const VfpReserveRequest *req,
                   GArray *candidates, GPtrArray *explain, GError **changed_pf)
{
  guint i, j;

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
          if (*changed_pf == NULL)
            *changed_pf = g_steal_pointer (&changed);
          continue;
        }
      for (j = 0; j < pf->vfs->len; j++)
        {
          VfpVf *vf = pf->vfs->pdata[j];
          const VfpLease *lease = vfp_state_get (pool->state, vf->fn.address);
          g_autofree char *why = NULL;
          Candidate c = { vf, i, req->numa_node >= 0 && vf->fn.numa_node == req->numa_node, 0, FALSE };

          if (changing)
            {
              if (explain)
                add_explain (explain, vf, FALSE,
                             g_strdup_printf (_("PF %s is changing its VF count (vfpool pf set-numvfs)"),
                                              pf->fn.address));
              continue;
            }
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
}

/* Picks up to REQ->count of CANDIDATES, best first (VfpVf*, not owned).
 * Each pick sorts the candidates by preference and reads VFs from sysfs
 * in that order until one is usable: a pick on a host with thousands of
 * free VFs reads one or two of them, not all. CHOSEN receives the picks. */
static GPtrArray *
pick_candidates (VfpPool *pool, VfpPoolConfig *pc, const VfpReserveRequest *req,
                 GArray *candidates, GHashTable *chosen)
{
  g_autofree guint *use = count_pf_use (pool, pc);
  g_autofree gboolean *taken_pfs = g_new0 (gboolean, pc->pfs->len);
  g_autoptr (GHashTable) unusable = g_hash_table_new (NULL, NULL);
  GPtrArray *result = g_ptr_array_new ();
  guint i, k;

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
  return result;
}

/* --explain's lines for the candidates: chosen, or free and why not. */
static void
explain_candidates (VfpPoolConfig *pc, const VfpReserveRequest *req, GArray *candidates,
                    GHashTable *chosen, GPtrArray *explain)
{
  guint i;

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
  g_ptr_array_sort (explain, compare_explain);
}

/* The error of a request for more VFs of pool PC than FOUND are usable. */
static void
set_not_enough (GError **error, VfpPoolConfig *pc, guint found, const VfpReserveRequest *req,
                const GError *changed_pf)
{
  if (changed_pf != NULL)
    g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                 _("Pool '%s' has %u usable free VFs, %u were asked for; nothing was reserved. %s"),
                 pc->name, found, req->count, changed_pf->message);
  /* one plural per sentence: with none free, the count asked for decides
   * the verb; with some, the free count decides the noun (more than one
   * were asked for then) */
  else if (found == 0)
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
                            found),
                 pc->name, found, req->count);
}

/* The reserve event on free VF of pool PC for REQ's holder: a new lease,
 * with this process (started at MY_START) when REQ is an attach's. */
static void
record_reservation (VfpPool *pool, VfpPoolConfig *pc, const VfpReserveRequest *req, VfpVf *vf,
                    guint64 my_start)
{
  VfpLease *l = vfp_lease_new (vf->fn.address);
  const char *driver = vfp_sysfs_vf_driver (pool->sysfs, vf);

  g_assert (vfp_state_get (pool->state, l->vf) == NULL);
  vfp_pool_transition (VFP_LEASE_FREE, VFP_EVENT_RESERVE, &l->state);
  l->pf = g_intern_string (vf->pf->fn.address);
  l->pool = g_intern_string (pc->name);
  l->owner_uuid = vfp_text_storable (req->owner_uuid);
  l->owner_name = vfp_text_storable (req->owner_name);
  l->owner_label = g_strdup (req->owner_label);
  l->created = l->changed = pool->now;
  l->migration = req->migration;
  /* what a scrub must find again when the VF is freed */
  l->baseline_driver = g_strdup (driver != NULL ? driver : "");
  if (req->in_flight)
    {
      l->pid = getpid ();
      l->pid_start = my_start;
      l->expires = pool->now + VFP_IN_FLIGHT_SECONDS;
    }
  else if (req->hold_seconds > 0)
    l->expires = pool->now + req->hold_seconds;
  vfp_state_put (pool->state, l);
  event (pool, "reserve", l->vf, vfp_lease_owner (l), _("Reserved VF %s of pool '%s' for %s."), l->vf, pc->name, vfp_lease_owner (l));
}

/* Reserves REQ->count VFs of the pool for the holder in REQ, after taking
 * back stale reservations (a dry run only picks them). Returns the picks
 * (VfpPick*, the caller's) or NULL with ERROR when fewer are free — then
 * nothing is reserved. EXPLAIN, when not NULL, receives a VfpExplain for
 * every VF of the pool. The caller commits. */
GPtrArray *
vfp_pool_reserve (VfpPool *pool, const VfpReserveRequest *req, GPtrArray *explain,
                  GError **error)
{
  VfpPoolConfig *pc = vfp_config_pool_for (pool->config, req->pool, error);
  g_autoptr (GArray) candidates = g_array_new (FALSE, FALSE, sizeof (Candidate));
  g_autoptr (GHashTable) chosen = g_hash_table_new (NULL, NULL);
  g_autoptr (GPtrArray) vfs = NULL;
  g_autoptr (GError) changed_pf = NULL;
  GPtrArray *picks;
  guint64 my_start = 0;
  guint i;

  if (pc == NULL)
    return NULL;
  g_return_val_if_fail (req->count > 0, NULL);
  g_return_val_if_fail ((req->owner_uuid != NULL) != (req->owner_label != NULL), NULL);
  if (req->owner_label != NULL && !vfp_text_check (req->owner_label, _("owner label"), error))
    return NULL;
  if (!req->dry_run)
    vfp_pool_reclaim (pool);
  gather_candidates (pool, pc, req, candidates, explain, &changed_pf);
  vfs = pick_candidates (pool, pc, req, candidates, chosen);
  if (explain)
    explain_candidates (pc, req, candidates, chosen, explain);
  if (vfs->len < req->count)
    {
      set_not_enough (error, pc, vfs->len, req, changed_pf);
      return NULL;
    }
  if (!req->dry_run && req->in_flight && !vfp_proc_start_time (getpid (), &my_start))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("Cannot read this process's start time from /proc; is /proc mounted?"));
      return NULL;
    }
  picks = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_pick_free);
  for (i = 0; i < vfs->len; i++)
    {
      VfpVf *vf = vfs->pdata[i];
      VfpPick *p = g_new0 (VfpPick, 1);

      p->vf = g_strdup (vf->fn.address);
      p->pf = g_intern_string (vf->pf->fn.address);
      p->pool = g_intern_string (pc->name);
      g_ptr_array_add (picks, p);
      if (!req->dry_run)
        record_reservation (pool, pc, req, vf, my_start);
    }
  return picks;
}

/* The released event on VF (vfpool release): a hold or a stale in-flight
 * reservation is freed once a scrub verifies it (else quarantined, and
 * ERROR says why); a quarantined VF only when a new scrub verifies it; any
 * lease of a VF the kernel no longer has. VFs in a guest are refused:
 * detach them. */
gboolean
vfp_pool_release (VfpPool *pool, const char *vf, GError **error)
{
  VfpLease *l = vfp_state_lookup (pool->state, vf);
  g_autoptr (GError) e = NULL;
  VfpLeaseState to;

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
  if (!check (pool, vf, VFP_EVENT_RELEASED, NULL, NULL, &l, &to, error))
    return FALSE;
  if (!vfp_scrub_vf_exists (pool->sysfs_root, vf))
    {
      /* the operator ends the lease of a VF gone for good (the audit's
       * missing-vf): nothing is left to scrub, and a VF the kernel makes
       * again starts at its defaults */
      event (pool, "release", vf, vfp_lease_owner (l),
             _("Released VF %s (%s by %s); the kernel has no such VF any more, so there is nothing to scrub."),
             vf, vfp_lease_state_label (l->state), vfp_lease_owner (l) ? vfp_lease_owner (l) : "-");
      vfp_state_remove (pool->state, vf);
      return TRUE;
    }
  if (l->state == VFP_LEASE_QUARANTINED)
    return vfp_pool_scrub (pool, vf, error);
  if (!free_scrubbed (pool, l, &e))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_QUARANTINED,
                   _("VF %s was not freed but quarantined: %s Fix that, then run 'vfpool scrub %s'."),
                   vf, e->message, vf);
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
      const VfpLease *l = vfp_state_get (pool->state, vf->fn.address);

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

/* The attach-requested event: the reservation of VF, OWNER's, records the
 * device the attach will add and the VF settings it is about to apply
 * through the PF (a copy), before libvirt or the PF sees them. */
gboolean
vfp_pool_attach_requested (VfpPool *pool, const char *vf, const char *owner,
                           const VfpDeviceRecord *device, GError **error)
{
  VfpLease *l;
  VfpLeaseState to;

  if (!check (pool, vf, VFP_EVENT_ATTACH_REQUESTED, owner, NULL, &l, &to, error))
    return FALSE;
  g_free (l->mac);
  l->mac = vfp_text_storable (device->mac);
  l->vlan = device->vlan;
  g_free (l->alias);
  l->alias = vfp_text_storable (device->alias);
  l->live = device->live;
  l->config = device->config;
  g_clear_pointer (&l->vf_settings, g_free);
  if (device->settings != NULL && device->settings->fields != 0)
    {
      l->vf_settings = g_new (VfpVfSettings, 1);
      *l->vf_settings = *device->settings;
    }
  l->state = to;
  touched (pool, l);
  return TRUE;
}

/* The attach-confirmed event: libvirt attached VF (OWNER's, under ALIAS);
 * MAC is what the guest got (NULL: as recorded). */
gboolean
vfp_pool_attach_confirmed (VfpPool *pool, const char *vf, const char *owner, const char *alias,
                           const char *mac, GError **error)
{
  VfpLease *l;
  VfpLeaseState to;

  if (!check (pool, vf, VFP_EVENT_ATTACH_CONFIRMED, owner, alias, &l, &to, error))
    return FALSE;
  l->state = to;
  if (mac != NULL)
    {
      g_free (l->mac);
      l->mac = vfp_text_storable (mac);
    }
  settle (l);
  touched (pool, l);
  event (pool, "attach", vf, vfp_lease_owner (l), _("Attached VF %s to guest %s as %s."), vf, vfp_lease_owner (l), l->alias ? l->alias : "-");
  return TRUE;
}

/* The attach-rolled-back event: an attach of VF (OWNER's, under ALIAS or
 * any) failed and the guest does not have it; scrubbed and freed (WHY in
 * the log), or quarantined (VFP_ERROR_QUARANTINED). */
gboolean
vfp_pool_attach_rolled_back (VfpPool *pool, const char *vf, const char *owner, const char *alias,
                             const char *why, GError **error)
{
  return free_by (pool, vf, VFP_EVENT_ATTACH_ROLLED_BACK, owner, alias, why, error);
}

/* The detach-requested event, before libvirt is asked to remove VF
 * (OWNER's, under ALIAS). The lease records whose detach this is: the
 * audit leaves one in progress alone. */
gboolean
vfp_pool_detach_requested (VfpPool *pool, const char *vf, const char *owner, const char *alias,
                           GError **error)
{
  VfpLease *l;
  VfpLeaseState to;

  if (!check (pool, vf, VFP_EVENT_DETACH_REQUESTED, owner, alias, &l, &to, error))
    return FALSE;
  l->state = to;
  settle (l);
  l->pid = vfp_proc_start_time (getpid (), &l->pid_start) ? getpid () : 0;
  touched (pool, l);
  event (pool, "detach", vf, vfp_lease_owner (l), _("Detaching VF %s from guest %s."), vf, vfp_lease_owner (l));
  return TRUE;
}

/* The detach-cancelled event: the guest kept VF (OWNER's, under ALIAS),
 * which a migration was detaching; it is attached again. */
gboolean
vfp_pool_detach_cancelled (VfpPool *pool, const char *vf, const char *owner, const char *alias,
                           GError **error)
{
  VfpLease *l;
  VfpLeaseState to;

  if (!check (pool, vf, VFP_EVENT_DETACH_CANCELLED, owner, alias, &l, &to, error))
    return FALSE;
  l->state = to;
  settle (l);
  touched (pool, l);
  return TRUE;
}

/* The device-removed event: libvirt confirmed VF (OWNER's, under ALIAS)
 * out of the guest (DEVICE_REMOVED, a config-only detach). Scrubbed and
 * freed (WHY in the log), or quarantined (VFP_ERROR_QUARANTINED, with the
 * reason). */
gboolean
vfp_pool_device_removed (VfpPool *pool, const char *vf, const char *owner, const char *alias,
                         const char *why, GError **error)
{
  return free_by (pool, vf, VFP_EVENT_DEVICE_REMOVED, owner, alias, why, error);
}

/* The hold-extended event: the reservation of VF, OWNER's, made for a
 * migration's capacity probe, is taken over by the migration itself
 * (migrate begin): it now lasts SECONDS from now. */
gboolean
vfp_pool_hold_extended (VfpPool *pool, const char *vf, const char *owner, guint seconds,
                        GError **error)
{
  VfpLease *l;
  VfpLeaseState to;

  if (!check (pool, vf, VFP_EVENT_HOLD_EXTENDED, owner, NULL, &l, &to, error))
    return FALSE;
  l->expires = pool->now + seconds;
  l->state = to;
  touched (pool, l);
  return TRUE;
}

/* The expired event for one reservation of VF, OWNER's, that its holder
 * calls off before its time (a migration's capacity probe cancelled): WHY
 * in the log; scrubbed and freed, or quarantined. */
gboolean
vfp_pool_expire (VfpPool *pool, const char *vf, const char *owner, const char *why, GError **error)
{
  return free_by (pool, vf, VFP_EVENT_EXPIRED, owner, NULL, why, error);
}

/* The unused event: the audit found nobody using VF (OWNER's, or any
 * holder's when NULL): scrubbed and freed, or quarantined. */
gboolean
vfp_pool_unused (VfpPool *pool, const char *vf, const char *owner, const char *why, GError **error)
{
  return free_by (pool, vf, VFP_EVENT_UNUSED, owner, NULL, why, error);
}

/* The quarantined event: VF (OWNER's, or any holder's when NULL; free: a
 * lease of its PF and pool is made) cannot be proven safe (REASON, a
 * sentence), so nothing hands it out until 'vfpool scrub' verifies it. */
gboolean
vfp_pool_quarantine (VfpPool *pool, const char *vf, const char *owner, const char *reason,
                     GError **error)
{
  VfpLease *l;
  VfpLeaseState to;

  if (!check (pool, vf, VFP_EVENT_QUARANTINED, owner, NULL, &l, &to, error))
    return FALSE;
  if (l == NULL)
    {
      g_autofree char *pf = vfp_sysfs_physfn (pool->sysfs_root, vf);
      VfpPoolConfig *pc = pf ? vfp_config_pool_of_pf (pool->config, pf) : NULL;

      l = vfp_lease_new (vf);
      l->pf = g_intern_string (pf);
      l->pool = pc ? g_intern_string (pc->name) : NULL;
      l->created = pool->now;
      vfp_state_put (pool->state, l);
    }
  enter_quarantine (pool, l, reason);
  return TRUE;
}

/* 'vfpool scrub VF': scrubs a quarantined VF again and frees it when it
 * verifies (the scrub-verified event), or scrubs a free one (quarantining
 * it when that fails). Leases of a holder are refused. FALSE with ERROR
 * saying why the VF is (still) quarantined. */
gboolean
vfp_pool_scrub (VfpPool *pool, const char *vf, GError **error)
{
  VfpLease *l = vfp_state_lookup (pool->state, vf);
  g_autoptr (GError) e = NULL;
  VfpLeaseState to;

  if (l != NULL && !vfp_pool_transition (l->state, VFP_EVENT_SCRUB_VERIFIED, &to))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("VF %s is %s by %s; only a free or quarantined VF is scrubbed (a holder's VF is scrubbed when 'vfpool detach' or 'vfpool release' frees it)."),
                   vf, vfp_lease_state_label (l->state), vfp_lease_owner (l) ? vfp_lease_owner (l) : "-");
      return FALSE;
    }
  if (vfp_scrub_vf (pool->sysfs_root, vf, l ? l->baseline_driver : NULL, pool->scrub_settle_ms, &e))
    {
      if (l != NULL)
        {
          event (pool, "scrub", vf, vfp_lease_owner (l), _("VF %s verifies at its baseline again; it is free."), vf);
          vfp_state_remove (pool->state, vf);
        }
      return TRUE;
    }
  vfp_pool_quarantine (pool, vf, NULL, e->message, NULL);
  g_set_error (error, VFP_ERROR, VFP_ERROR_QUARANTINED,
               _("VF %s stays quarantined: %s Fix that, then run 'vfpool scrub %s' again."), vf, e->message, vf);
  return FALSE;
}

/* The leases held by guest UUID, by VF address (const VfpLease*); the
 * array does not own them. */
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

/* A new lease of VF (of PF and pool POOL_NAME) for guest UUID, for a
 * guest that has it already: its driver now is not the one it had. */
static VfpLease *
new_claimed_lease (VfpPool *pool, const char *vf, const char *pf, const char *uuid,
                   const char *pool_name)
{
  VfpLease *l = vfp_lease_new (vf);
  gboolean present;

  /* the driver before libvirt binds vfio-pci; a VF adopted in a running
   * guest has vfio-pci already, and its own is not known */
  l->baseline_driver = vfp_scrub_read_driver (pool->sysfs_root, vf, &present);
  if (l->baseline_driver == NULL && present)
    l->baseline_driver = g_strdup ("");
  if (vfp_scrub_driver_is_foreign (l->baseline_driver))
    g_clear_pointer (&l->baseline_driver, g_free);
  l->owner_uuid = vfp_text_storable (uuid);
  l->pf = g_intern_string (pf);
  l->pool = g_intern_string (pool_name);
  l->created = pool->now;
  vfp_state_put (pool->state, l);
  return l;
}

/* EVENT (guest-started or adopted): VF is in guest UUID's XML, so it is
 * leased to it as attached (free, or the guest's already); refuses a VF
 * another holder has or a quarantined one. ADOPTED is the sentence logged
 * when the lease is new. */
static gboolean
claim (VfpPool *pool, VfpLeaseEvent ev, const char *vf, const char *pf, const char *uuid,
       const char *name, const char *pool_name, const char *alias, const char *mac, int vlan,
       const char *adopted, GError **error)
{
  VfpLease *l = vfp_state_lookup (pool->state, vf);
  VfpLeaseState to;

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
      g_set_error (error, VFP_ERROR, VFP_ERROR_MOVED,
                   _("VF %s (%s) is %s by %s; guest %s cannot start with it. Free it first ('vfpool list' shows who holds what)."),
                   vf, alias, vfp_lease_state_label (l->state), vfp_lease_owner (l), name);
      return FALSE;
    }
  if (!check (pool, vf, ev, uuid, NULL, &l, &to, error))
    return FALSE;
  if (l == NULL)
    {
      l = new_claimed_lease (pool, vf, pf, uuid, pool_name);
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
  l->state = to;
  l->live = TRUE;
  settle (l);
  g_clear_pointer (&l->note, g_free);
  touched (pool, l);
  return TRUE;
}

/* The guest-started event (the prepare hook; also a migration's give-back
 * and the reconnect hook): a guest starts with VF in its definition. The
 * VF must be free (it becomes attached to the guest) or already the
 * guest's. A VF another guest or user holds, or a quarantined one, is
 * refused: the error says who holds it, and libvirt shows it to the user. */
gboolean
vfp_pool_guest_started (VfpPool *pool, const char *vf, const char *pf, const char *uuid, const char *name,
                        const char *pool_name, const char *alias, const char *mac, int vlan,
                        GError **error)
{
  g_autofree char *adopted = g_strdup_printf (_("VF %s is in the definition of guest %s, which starts: leased to it."),
                                              vf, name);

  return claim (pool, VFP_EVENT_GUEST_STARTED, vf, pf, uuid, name, pool_name, alias, mac, vlan,
                adopted, error);
}

/* The adopted event: the audit found VF in guest UUID's XML without its
 * lease: records it as attached, LIVE when the running guest has it,
 * CONFIG when its definition does. The guest may be shut off: nothing here
 * says it starts. */
gboolean
vfp_pool_adopt (VfpPool *pool, const char *vf, const char *pf, const char *uuid, const char *name,
                const char *pool_name, const char *alias, const char *mac, int vlan,
                gboolean live, gboolean config, GError **error)
{
  g_autofree char *adopted = live
    ? g_strdup_printf (_("VF %s is in the running guest %s: leased to it."), vf, name)
    : g_strdup_printf (_("VF %s is in the definition of guest %s: leased to it."), vf, name);
  VfpLease *l;

  if (!claim (pool, VFP_EVENT_ADOPTED, vf, pf, uuid, name, pool_name, alias, mac, vlan, adopted, error))
    return FALSE;
  l = vfp_state_lookup (pool->state, vf);
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

/* The guest-stopped event of VF, guest UUID's: its guest stopped and no
 * definition keeps it, so it is scrubbed and freed (quarantined when the
 * scrub fails: VFP_ERROR_QUARANTINED). */
gboolean
vfp_pool_guest_gone (VfpPool *pool, const char *vf, const char *uuid, GError **error)
{
  return free_by (pool, vf, VFP_EVENT_GUEST_STOPPED, uuid, NULL, _("the guest stopped"), error);
}

/* The guest-stopped-kept event of VF, guest UUID's: its guest stopped, and
 * its persistent definition keeps the VF: attached, no longer live. */
gboolean
vfp_pool_guest_stopped_kept (VfpPool *pool, const char *vf, const char *uuid, GError **error)
{
  VfpLease *l;
  VfpLeaseState to;

  if (!check (pool, vf, VFP_EVENT_GUEST_STOPPED_KEPT, uuid, NULL, &l, &to, error))
    return FALSE;
  if (l->live || l->state != to)
    {
      l->state = to;
      l->live = FALSE;
      touched (pool, l);
    }
  return TRUE;
}

/* The guest stopped (the release hook; also after a failed start or a
 * failed incoming migration): its VFs are out of it. Leases its persistent
 * definition still names stay (attached, not live); the others are freed
 * (scrubbed; quarantined when that fails), as are reservations made for
 * its arrival. An attach in progress is left to its own rollback, a
 * quarantined VF to 'vfpool scrub'. Idempotent. Returns how many were
 * freed. */
guint
vfp_pool_guest_stopped (VfpPool *pool, const char *uuid)
{
  g_autoptr (GPtrArray) mine = vfp_pool_guest_leases (pool, uuid);
  guint i, n = 0;

  for (i = 0; i < mine->len; i++)
    {
      const VfpLease *l = mine->pdata[i];

      if (l->state == VFP_LEASE_RESERVED && l->pid > 0)
        continue;
      if (l->state == VFP_LEASE_ATTACHED && l->config)
        vfp_pool_guest_stopped_kept (pool, l->vf, uuid, NULL);
      else if (vfp_pool_transition (l->state, VFP_EVENT_GUEST_STOPPED, NULL))
        n += vfp_pool_guest_gone (pool, l->vf, uuid, NULL);
    }
  return n;
}
