/* The attach workflow (DESIGN.md §2): reserve (durable, with the VF
 * settings to apply) -> VF settings through the PF -> device XML ->
 * attach -> read back what libvirt chose -> metadata -> attached. A
 * failure at any step undoes the steps before it. */
#pragma once

#include <glib.h>

#include "vfp-guest.h"
#include "vfp-template.h"
#include "vfp-workflow.h"

/* What an attach asks for (options checked by the caller). */
typedef struct {
  const char *pool;         /* NULL: the default pool */
  guint count;
  const char *mac;          /* NULL: libvirt chooses */
  int vlan;                 /* -1: the pool's */
  const char *failover_of;  /* the virtio-net partner's alias, or NULL */
  gboolean live, config;    /* where the devices go */
  VfpVfSettings over;       /* VF settings over the pool's */
  gboolean dry_run;         /* choose and build the XML; change nothing */
  gboolean explain;         /* say why each VF of the pool was (not) chosen */
  guint timeout_ms;         /* how long a rollback waits for the guest */
} VfpAttachRequest;

/* One VF of an attach, from reservation to result. */
typedef struct {
  char *vf;                 /* owned */
  char *pf;                 /* owned */
  char *pool;               /* owned */
  char *alias;              /* owned */
  char *mac;                /* owned: asked for, then what libvirt chose */
  int vlan;
  VfpTemplateKind kind;
  char *xml;                /* owned: the device XML */
  gboolean attached;        /* libvirt accepted it */
  VfpVfSettings want;       /* the pool's VF settings under this attach's
                             * options (spoofchk, trust, ...); no fields: none */
  VfpVfSettings before;     /* what the PF held for the VF before vfpool changed it */
  char *netdev;             /* owned: the PF's netdev, when there are settings */
  gboolean settings_applied; /* some of WANT may be on the VF: undo on rollback */
} VfpAttachItem;

/* An attach under way: the request, the guest and the VFs. */
typedef struct {
  VfpWorkflow *wf;          /* not owned */
  VfpGuest *guest;          /* not owned */
  const VfpAttachRequest *req; /* not owned */
  GPtrArray *items;         /* owned VfpAttachItem* */
  GPtrArray *explain;       /* owned VfpExplain*, with req->explain; else NULL */
  gboolean store_error;     /* the failure was the lease store's (exit 2) */
} VfpAttach;

VfpAttach *vfp_attach_new (VfpWorkflow *wf, VfpGuest *guest, const VfpAttachRequest *req);
void vfp_attach_free (VfpAttach *a);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpAttach, vfp_attach_free)
gboolean vfp_attach_prepare (VfpAttach *a, GError **error);
gboolean vfp_attach_run (VfpAttach *a, GError **error);
