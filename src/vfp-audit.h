/* The nightly audit: the lease store, every guest's live and persistent
 * XML, and the kernel, compared VF by VF (DESIGN.md §7). Pure: the caller
 * gathers the guests from libvirt and applies the repairs. */
#pragma once

#include <glib.h>

#include "vfp-audit-guests.h"
#include "vfp-audit-snapshot.h"
#include "vfp-config.h"
#include "vfp-domxml.h"
#include "vfp-pool.h"
#include "vfp-state.h"
#include "vfp-sysfs.h"

typedef enum {
  VFP_SEVERITY_WARNING,
  VFP_SEVERITY_ERROR,
} VfpSeverity;

/* What --fix does about a finding. */
typedef enum {
  VFP_FIX_NONE,              /* left for a human */
  VFP_FIX_FREE,              /* free the lease */
  VFP_FIX_ADOPT,             /* lease the VF to the guest that uses it */
  VFP_FIX_METADATA,          /* write the lease's entry into the guest's metadata */
  VFP_FIX_VF_SETTINGS,       /* apply the lease's VF settings through the PF again */
} VfpFix;

typedef struct {
  const char *code;          /* leak, untracked, conflict, stale-reservation, stuck-detach,
                                missing-vf, numvfs-drift, driver, metadata, identity-changed,
                                vf-settings */
  VfpSeverity severity;
  char *object;              /* owned: the VF or PF address */
  char *guest;               /* owned: the guest's name, or NULL */
  char *uuid;                /* owned: the guest's UUID, or NULL */
  char *message;             /* owned, translated */
  char *repair;              /* owned, translated: what --fix does, or what a human should */
  VfpFix fix;
  gboolean live;             /* for ADOPT and METADATA: the running guest has it */
  gboolean config;           /* ... the persistent definition has it */
  char *alias;               /* owned: the device alias, for ADOPT and METADATA */
  char *mac;                 /* owned: for ADOPT, the MAC the guest has the VF with, or NULL */
  int vlan;                  /* for ADOPT, its VLAN; -1: none */
} VfpFinding;

GPtrArray *vfp_audit_run (VfpPool *pool, VfpAuditGuests *guests);
gboolean vfp_audit_apply (VfpPool *pool, VfpFinding *f);
void vfp_audit_record_identities (VfpPool *pool);
void vfp_finding_free (VfpFinding *f);
const char *vfp_severity_name (VfpSeverity s);
