/* Leases the kernel does not back: of a VF it does not have (the operator
 * lowered sriov_numvfs, the card was replaced), or naming another PF than
 * the VF's own. The store keeps such leases (its reader has no sysfs, and
 * refusing them would stop every command); list, status and audit show
 * them, so that none is invisible. */
#pragma once

#include <glib.h>

#include "vfp-state.h"
#include "vfp-sysfs.h"

typedef enum {
  VFP_STRAY_MISSING_VF,     /* the kernel has no VF at the lease's address */
  VFP_STRAY_WRONG_PF,       /* the VF exists, under another PF than pf= says */
} VfpStrayKind;

typedef struct {
  const VfpLease *lease;         /* not owned: the store's */
  VfpStrayKind kind;
  VfpVf *vf;                /* not owned: the kernel's VF (WRONG_PF), else NULL */
} VfpStray;

GPtrArray *vfp_stray_find (VfpSysfs *sysfs, VfpState *state);
char *vfp_stray_describe (const VfpStray *stray);
