/* A lease: the record that binds one VF to one holder (a guest by UUID,
 * or a `reserve --owner` label), with its state and device settings. The
 * store (vfp-state) keeps them; only the pool manager (vfp-pool) and the
 * store's reader change them. */
#pragma once

#include <glib.h>

#include "vfp-vf-settings.h"
struct _xmlNode;             /* libxml2's xmlNode */

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
  gboolean migration;      /* reserved by the destination's migrate hook
                            * for the guest's reattach once it runs */
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

VfpLease *vfp_lease_new (const char *vf);
void vfp_lease_free (VfpLease *lease);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpLease, vfp_lease_free)
const char *vfp_lease_state_name (VfpLeaseState state);
const char *vfp_lease_state_label (VfpLeaseState state);
gboolean vfp_lease_state_parse (const char *name, VfpLeaseState *state);
const char *vfp_lease_owner (const VfpLease *lease);
