/* The detach workflow: a VF is free only when libvirt confirms removal
 * (DEVICE_REMOVED for a running guest; the call itself for the persistent
 * definition). A guest that does not let go leaves the lease detaching. */
#pragma once

#include <glib.h>

#include "vfp-guest.h"
#include "vfp-workflow.h"

typedef enum {
  VFP_DETACH_FREE,          /* out of the guest, its lease ended */
  VFP_DETACH_GONE,          /* another vfpool detached it meanwhile */
  VFP_DETACH_DETACHING,     /* the guest did not let go in time */
  VFP_DETACH_QUARANTINED,   /* out of the guest, but its scrub failed */
  VFP_DETACH_ERROR,         /* libvirt refused, or the device is not the lease's */
} VfpDetachOutcome;

/* One VF to detach, and what became of it. */
typedef struct {
  char *vf;                 /* owned */
  char *alias;              /* owned: which lease this detach is about */
  VfpDetachOutcome outcome;
  char *failure;            /* owned: why it is not free (a sentence), or NULL */
} VfpDetachItem;

void vfp_detach_item_free (VfpDetachItem *it);
GPtrArray *vfp_detach_select (VfpWorkflow *wf, const char *uuid, char **names, int n_names,
                              gboolean all, GError **error);
void vfp_detach_one (VfpWorkflow *wf, VfpGuest *guest, VfpDetachItem *it, guint timeout_ms);
