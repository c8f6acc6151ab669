/* The migrate workflow (DESIGN.md §6): libvirt refuses to migrate a guest
 * holding a VFIO device, so its VFs are detached (waiting for the guest to
 * let go), the guest migrates peer-to-peer, and the destination's hook
 * reserves and reattaches them there. If the migration fails, the VFs go
 * back to the guest here. Failover VFs (teaming) stay: QEMU unplugs them
 * itself. Before it unplugs anything, the destination reserves the
 * guest's VFs through its own hook (a capacity probe, vfp-probe.h): a
 * destination that cannot take them refuses while the guest still has
 * every VF. */
#pragma once

#include <glib.h>

#include "vfp-guest.h"
#include "vfp-workflow.h"

typedef struct {
  const char *dest_uri;
  const char *migrate_uri;     /* where the memory goes, or NULL */
  const char *listen_address;  /* or NULL */
  gboolean persistent, undefine_source;
  guint timeout_ms;            /* how long each VF's detach may take */
  gboolean no_capacity_check;  /* skip the probe (a destination's hook older than it) */
} VfpMigrateRequest;

GPtrArray *vfp_migrate_run (VfpWorkflow *wf, VfpGuest *guest, const VfpMigrateRequest *req,
                            GError **error);
