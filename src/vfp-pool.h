/* The pool manager: the only code that changes lease states, and the
 * allocation policy (DESIGN.md §2 and §8). Callers begin a transaction
 * (vfp_pool_begin), apply the events of the life cycle, and commit before
 * they ask libvirt for anything; the table of which event leads from which
 * state to which is in vfp-pool.c (and README, "Leases"). */
#pragma once

#include <glib.h>

#include "vfp-config.h"
#include "vfp-identity.h"
#include "vfp-state.h"
#include "vfp-sysfs.h"

/* How long an attach may hold an in-flight reservation before anyone may
 * take it back even though the attaching process still runs. */
#define VFP_IN_FLIGHT_SECONDS 300

/* Whether a guest really holds a VF, as libvirt says (the pool manager
 * cannot ask libvirt itself: the hook links it without libvirt). */
typedef enum {
  VFP_IN_GUEST_UNKNOWN,
  VFP_IN_GUEST_NO,
  VFP_IN_GUEST_LIVE,       /* in the running guest (and maybe its config) */
  VFP_IN_GUEST_CONFIG,     /* only in the persistent definition */
} VfpInGuest;

typedef VfpInGuest (*VfpGuestCheck) (const VfpLease *lease, gpointer data);

/* A transaction on the lease store: the store locked, the events of the
 * life cycle applied in memory, then saved (when something changed) by
 * vfp_pool_commit; freed without a commit, nothing is saved. Opaque: only
 * vfp-pool.c changes a lease (DESIGN.md §2). */
typedef struct _VfpPool VfpPool;

/* The events of a lease's life. vfp-pool.c's table says which state each
 * leads to from which; README's "Leases" section has the same table. */
typedef enum {
  VFP_EVENT_RESERVE,             /* a VF is reserved for a holder */
  VFP_EVENT_ATTACH_REQUESTED,    /* the device an attach will add is recorded */
  VFP_EVENT_ATTACH_CONFIRMED,    /* libvirt confirmed the attach */
  VFP_EVENT_ATTACH_ROLLED_BACK,  /* an attach failed and was undone */
  VFP_EVENT_DETACH_REQUESTED,    /* libvirt is about to be asked to remove it */
  VFP_EVENT_DETACH_CANCELLED,    /* the guest kept it (a migration's detach failed) */
  VFP_EVENT_DEVICE_REMOVED,      /* libvirt confirmed the device is gone */
  VFP_EVENT_GUEST_STARTED,       /* a guest starts (or runs) with it in its XML */
  VFP_EVENT_GUEST_STOPPED,       /* its guest stopped and no definition keeps it */
  VFP_EVENT_GUEST_STOPPED_KEPT,  /* its guest stopped; the definition keeps it */
  VFP_EVENT_ADOPTED,             /* the audit found it in a guest without a lease */
  VFP_EVENT_UNUSED,              /* the audit found nobody using it */
  VFP_EVENT_EXPIRED,             /* a reservation nobody will finish */
  VFP_EVENT_RELEASED,            /* its holder let it go (vfpool release) */
  VFP_EVENT_SCRUB_VERIFIED,      /* a scrub put it back at its baseline */
  VFP_EVENT_QUARANTINED,         /* it cannot be proven safe */
  VFP_EVENT_HOLD_EXTENDED,       /* a migration takes its capacity probe's reservation over */
  VFP_EVENT_COUNT
} VfpLeaseEvent;

/* What an attach records on its reservation before libvirt sees it. */
typedef struct {
  const char *alias;       /* ua-vfpool-N */
  const char *mac;         /* NULL: libvirt chooses */
  int vlan;                /* -1: none */
  gboolean live, config;
  const VfpVfSettings *settings; /* applied through the PF; NULL: none */
} VfpDeviceRecord;

/* One VF vfp_pool_reserve picked (and, unless a dry run, reserved). */
typedef struct {
  char *vf;                /* owned */
  const char *pf;          /* interned */
  const char *pool;        /* interned */
} VfpPick;

typedef struct {
  const char *pool;        /* NULL: the default pool */
  guint count;             /* VFs wanted, >= 1 */
  const char *owner_uuid;  /* a guest ... */
  const char *owner_name;
  const char *owner_label; /* ... or a non-libvirt holder */
  int numa_node;           /* the guest's NUMA node; -1: none */
  gboolean in_flight;      /* an attach: record this process, expire after VFP_IN_FLIGHT_SECONDS */
  gint64 hold_seconds;     /* reserve --for; 0: until released */
  gboolean dry_run;        /* choose, change nothing */
  gboolean migration;      /* for a guest arriving by migration (the hook) */
} VfpReserveRequest;

/* One line of --explain: a VF of the pool and why it was (not) chosen. */
typedef struct {
  char *vf;                /* owned */
  char *pf;                /* owned */
  guint index;
  gboolean chosen;
  char *reason;            /* owned, translated */
} VfpExplain;

gboolean vfp_pool_config_covers (const VfpPoolConfig *pc, const VfpVf *vf);

VfpPool *vfp_pool_begin (VfpConfig *config, VfpSysfs *sysfs, const char *state_dir,
                         guint lock_timeout_ms, GError **error);
gboolean vfp_pool_commit (VfpPool *pool, GError **error);
VfpPool *vfp_pool_new (VfpConfig *config, VfpSysfs *sysfs, VfpState *state);
void vfp_pool_free (VfpPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpPool, vfp_pool_free)

GPtrArray *vfp_pool_events (VfpPool *pool);
VfpState *vfp_pool_state (VfpPool *pool);
VfpConfig *vfp_pool_config (VfpPool *pool);
VfpSysfs *vfp_pool_sysfs (VfpPool *pool);
gint64 vfp_pool_now (VfpPool *pool);
void vfp_pool_set_guest_check (VfpPool *pool, VfpGuestCheck check, gpointer data);
void vfp_pool_set_scrub_settle (VfpPool *pool, guint ms);
void vfp_pool_set_sysfs_root (VfpPool *pool, const char *root);
void vfp_pool_warn (VfpPool *pool, const char *vf, const char *guest, const char *message);
const VfpLease *vfp_pool_lease (VfpPool *pool, const char *vf);
GPtrArray *vfp_pool_guest_leases (VfpPool *pool, const char *uuid);

const char *vfp_lease_event_name (VfpLeaseEvent event);
gboolean vfp_pool_transition (VfpLeaseState from, VfpLeaseEvent event, VfpLeaseState *to);

guint vfp_pool_reclaim (VfpPool *pool);
GPtrArray *vfp_pool_reserve (VfpPool *pool, const VfpReserveRequest *req,
                             GPtrArray *explain, GError **error);
void vfp_pick_free (VfpPick *pick);
gboolean vfp_pool_attach_requested (VfpPool *pool, const char *vf, const char *owner,
                                    const VfpDeviceRecord *device, GError **error);
gboolean vfp_pool_attach_confirmed (VfpPool *pool, const char *vf, const char *owner,
                                    const char *alias, const char *mac, GError **error);
gboolean vfp_pool_attach_rolled_back (VfpPool *pool, const char *vf, const char *owner,
                                      const char *alias, const char *why, GError **error);
gboolean vfp_pool_detach_requested (VfpPool *pool, const char *vf, const char *owner,
                                    const char *alias, GError **error);
gboolean vfp_pool_detach_cancelled (VfpPool *pool, const char *vf, const char *owner,
                                    const char *alias, GError **error);
gboolean vfp_pool_device_removed (VfpPool *pool, const char *vf, const char *owner,
                                  const char *alias, const char *why, GError **error);
gboolean vfp_pool_guest_started (VfpPool *pool, const char *vf, const char *pf, const char *uuid,
                                 const char *name, const char *pool_name, const char *alias,
                                 const char *mac, int vlan, GError **error);
guint vfp_pool_guest_stopped (VfpPool *pool, const char *uuid);
gboolean vfp_pool_guest_gone (VfpPool *pool, const char *vf, const char *uuid, GError **error);
gboolean vfp_pool_guest_stopped_kept (VfpPool *pool, const char *vf, const char *uuid,
                                      GError **error);
gboolean vfp_pool_adopt (VfpPool *pool, const char *vf, const char *pf, const char *uuid,
                         const char *name, const char *pool_name, const char *alias,
                         const char *mac, int vlan, gboolean live, gboolean config,
                         GError **error);
gboolean vfp_pool_hold_extended (VfpPool *pool, const char *vf, const char *owner, guint seconds,
                                 GError **error);
gboolean vfp_pool_expire (VfpPool *pool, const char *vf, const char *owner, const char *why,
                          GError **error);
gboolean vfp_pool_unused (VfpPool *pool, const char *vf, const char *owner, const char *why,
                          GError **error);
gboolean vfp_pool_release (VfpPool *pool, const char *vf, GError **error);
guint vfp_pool_release_owner (VfpPool *pool, const char *label);
gboolean vfp_pool_scrub (VfpPool *pool, const char *vf, GError **error);
gboolean vfp_pool_quarantine (VfpPool *pool, const char *vf, const char *owner,
                              const char *reason, GError **error);

gboolean vfp_pool_check_pf (VfpPool *pool, const char *sysfs_root, const char *pf,
                            gboolean record, GError **error);
gboolean vfp_pool_lease_is_stale (VfpPool *pool, const VfpLease *lease);
void vfp_explain_free (VfpExplain *e);
int vfp_pool_lock_pf (const char *state_dir, const char *pf, guint timeout_ms, GError **error);
gboolean vfp_pool_pf_is_changing (VfpPool *pool, const char *pf);
gboolean vfp_pool_check_numvfs (VfpPool *pool, VfpPf *pf, guint n, GError **error);
