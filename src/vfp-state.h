/* The lease store: state-dir/leases.xml, read and written only under an
 * exclusive flock on state-dir/lock, saved atomically and durably. */
#pragma once

#include <glib.h>

#include "vfp-vf-settings.h"
struct _xmlNode;             /* libxml2's xmlNode */

/* The store format this vfpool writes; a newer one is refused untouched. */
#define VFP_STATE_VERSION 1

typedef enum {
  VFP_LEASE_FREE,
  VFP_LEASE_RESERVED,
  VFP_LEASE_ATTACHED,
  VFP_LEASE_DETACHING,
  VFP_LEASE_QUARANTINED,
} VfpLeaseState;

typedef struct {
  char *vf;                /* owned: "0000:05:10.2"; the key */
  const char *pf;          /* interned (g_intern_string): a host has a few
                            * PFs and pools and thousands of leases */
  const char *pool;        /* interned */
  VfpLeaseState state;
  char *owner_uuid;        /* owned: the guest's domain UUID, or NULL */
  char *owner_name;        /* owned: the guest's name, for display */
  char *owner_label;       /* owned: `reserve --owner LABEL`, or NULL */
  char *mac;               /* owned, or NULL */
  int vlan;                /* -1: none */
  char *alias;             /* owned: "ua-vfpool-N", or NULL */
  gboolean live;           /* attached to the running guest */
  gboolean config;         /* attached to the persistent definition */
  int pid;                 /* in-flight reservation: the attaching process; 0: none */
  guint64 pid_start;       /* its start time, /proc/PID/stat field 22 */
  gint64 expires;          /* unix seconds; 0: never */
  gint64 created;          /* unix seconds */
  gint64 changed;          /* unix seconds */
  guint64 serial;          /* the store generation that last changed it: unlike
                            * a timestamp, never the same for two changes */
  char *note;              /* owned: why quarantined, or the last event; or NULL */
  VfpVfSettings *vf_settings; /* owned: the settings vfpool applied through the
                            * PF besides MAC and VLAN (spoofchk, trust,
                            * link-state, rates, query-rss), or NULL */
  struct _xmlNode *keep;   /* owned: what the store held in this lease that this
                            * vfpool does not know (attributes, elements), written
                            * back as it was; or NULL */
  char *baseline_driver;   /* owned: the driver the VF had when this lease
                            * began ("" for none), which freeing it must
                            * find again; NULL: not known (a lease adopted
                            * from a running guest) */
} VfpLease;

/* Which card a PF was when vfpool first used it (see vfp-identity.h): a
 * lease names a VF by PCI address, and addresses move with the hardware. */
typedef struct {
  char *pf;                /* owned: "0000:05:00.0"; the key */
  char *identity;          /* owned: "dsn:...", "mac:..." or "pci:..." */
  char *model;             /* owned: "8086:10fb:8086:000c", or NULL */
  gint64 recorded;         /* unix seconds */
} VfpPfRecord;

typedef struct _VfpState VfpState;

VfpState *vfp_state_open (const char *dir, guint timeout_ms, GError **error);
gboolean vfp_state_save (VfpState *state, GError **error);
void vfp_state_close (VfpState *state);
int vfp_state_lock (const char *dir, const char *name, guint timeout_ms, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpState, vfp_state_close)

const char *vfp_state_dir (VfpState *state);
guint64 vfp_state_generation (VfpState *state);
VfpLease *vfp_state_get (VfpState *state, const char *vf);
GPtrArray *vfp_state_list (VfpState *state);
GPtrArray *vfp_state_list_unsorted (VfpState *state);
guint vfp_state_count (VfpState *state);

const VfpPfRecord *vfp_state_get_pf (VfpState *state, const char *pf);
GPtrArray *vfp_state_list_pfs (VfpState *state);
void vfp_state_set_pf (VfpState *state, const char *pf, const char *identity,
                       const char *model, gint64 recorded);
void vfp_pf_record_free (VfpPfRecord *record);

/* For vfp-pool only: the one module that changes lease state. */
void vfp_state_put (VfpState *state, VfpLease *lease);
void vfp_state_remove (VfpState *state, const char *vf);
void vfp_state_touch (VfpState *state, VfpLease *lease);

VfpLease *vfp_lease_new (const char *vf);
void vfp_lease_free (VfpLease *lease);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpLease, vfp_lease_free)
const char *vfp_lease_state_name (VfpLeaseState state);
const char *vfp_lease_state_label (VfpLeaseState state);
gboolean vfp_lease_state_parse (const char *name, VfpLeaseState *state);
const char *vfp_lease_owner (const VfpLease *lease);

gboolean vfp_state_parse (const char *text, gsize len, const char *what,
                          GHashTable *into, guint64 *generation,
                          struct _xmlNode **keep, GError **error);
gboolean vfp_state_parse_store_fd (int fd, const char *what, GHashTable *leases,
                                   GHashTable *pfs, guint64 *generation,
                                   struct _xmlNode **keep, GError **error);
