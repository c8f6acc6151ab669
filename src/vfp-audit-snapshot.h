/* The leases as the audit saw them before it read libvirt: --fix repairs
 * only a lease that has not changed since (see vfp-audit-snapshot.c). */
#pragma once

#include <glib.h>

#include "vfp-state.h"

typedef struct _VfpAuditSnapshot VfpAuditSnapshot;

VfpAuditSnapshot *vfp_audit_snapshot (VfpState *state);
gboolean vfp_audit_unchanged (VfpAuditSnapshot *before, VfpState *state, const char *vf);
void vfp_audit_snapshot_free (VfpAuditSnapshot *snap);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpAuditSnapshot, vfp_audit_snapshot_free)
