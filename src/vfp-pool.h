/* The pool manager: the only code that changes lease states, and the
 * allocation policy (DESIGN.md §2 and §8). Callers open the store, call
 * these, and save before they ask libvirt for anything. */
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

typedef struct {
  VfpConfig *config;       /* not owned; resolved against sysfs */
  VfpSysfs *sysfs;         /* not owned */
  VfpState *state;         /* not owned; open (locked) */
  gint64 now;              /* unix seconds, fixed for one operation */
  GPtrArray *events;       /* owned VfpEvent*: every change, for the log */
  VfpGuestCheck guest_check; /* how to ask libvirt about a guest's VF; NULL: cannot */
  gpointer guest_check_data;
  VfpIdentity *identity;   /* owned: PF identities of sysfs, read on first use */
} VfpPool;

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
  const char *note;        /* recorded on the leases (e.g. "migration"), or NULL */
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
VfpPool *vfp_pool_new (VfpConfig *config, VfpSysfs *sysfs, VfpState *state);
void vfp_pool_free (VfpPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpPool, vfp_pool_free)

guint vfp_pool_reclaim (VfpPool *pool);
GPtrArray *vfp_pool_reserve (VfpPool *pool, const VfpReserveRequest *req,
                             GPtrArray *explain, GError **error);
gboolean vfp_pool_release (VfpPool *pool, const char *vf, GError **error);
gboolean vfp_pool_check_pf (VfpPool *pool, const char *sysfs_root, const char *pf,
                            gboolean record, GError **error);
guint vfp_pool_release_owner (VfpPool *pool, const char *label);
gboolean vfp_pool_lease_is_stale (VfpPool *pool, const VfpLease *lease);
void vfp_explain_free (VfpExplain *e);
gboolean vfp_pool_extend_hold (VfpPool *pool, const char *vf, gint64 seconds);
gboolean vfp_pool_set_vf_settings (VfpPool *pool, const char *vf, const VfpVfSettings *settings);
gboolean vfp_pool_set_device (VfpPool *pool, const char *vf, const char *mac, int vlan,
                              const char *alias, gboolean live, gboolean config);
gboolean vfp_pool_mark_attached (VfpPool *pool, const char *vf, const char *mac, GError **error);
gboolean vfp_pool_mark_detaching (VfpPool *pool, const char *vf, GError **error);
void vfp_pool_mark_free (VfpPool *pool, const char *vf, const char *why);
GPtrArray *vfp_pool_guest_leases (VfpPool *pool, const char *uuid);
gboolean vfp_pool_claim_for_start (VfpPool *pool, const char *vf, const char *pf, const char *uuid,
                                   const char *name, const char *pool_name, const char *alias,
                                   const char *mac, int vlan, GError **error);
gboolean vfp_pool_adopt (VfpPool *pool, const char *vf, const char *pf, const char *uuid,
                         const char *name, const char *pool_name, const char *alias,
                         const char *mac, int vlan, gboolean live, gboolean config,
                         GError **error);
guint vfp_pool_guest_stopped (VfpPool *pool, const char *uuid);
int vfp_pool_lock_pf (const char *state_dir, const char *pf, guint timeout_ms, GError **error);
gboolean vfp_pool_pf_is_changing (VfpPool *pool, const char *pf);
gboolean vfp_pool_check_numvfs (VfpPool *pool, VfpPf *pf, guint n, GError **error);
