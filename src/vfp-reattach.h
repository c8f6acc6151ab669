/* The reattach workflow: after a guest arrived by migration, the VFs the
 * destination's hook reserved for it are attached once it runs here, with
 * the MACs and VLANs of its metadata. */
#pragma once

#include <glib.h>

#include "vfp-guest.h"
#include "vfp-workflow.h"

/* One VF reserved for the guest's arrival, and what became of it. */
typedef struct {
  char *vf;                 /* owned */
  char *alias;              /* owned: names the guest's metadata entry, or NULL */
  char *why;                /* owned: why it cannot or could not be attached, or NULL */
  gboolean attached;
} VfpReattachItem;

void vfp_reattach_item_free (VfpReattachItem *it);
GPtrArray *vfp_reattach_pending (VfpWorkflow *wf, const char *uuid, GError **error);
void vfp_reattach_one (VfpWorkflow *wf, VfpGuest *guest, VfpReattachItem *it, GPtrArray *meta_add);
