/* The guests as the audit keeps them: of each, who it is, and of each VF its
 * live and persistent definitions name, the alias and whether vfpool's
 * metadata describes it. The parsed XML is dropped as each guest arrives:
 * 2000 guests kept as VfpDomains were a third of the audit's heap. */
#pragma once

#include <glib.h>

#include "vfp-addr.h"
#include "vfp-domxml.h"

typedef struct {
  const char *uuid;          /* in the guests' string chunk */
  const char *name;          /* in the guests' string chunk */
  gboolean active;
} VfpAuditGuest;

typedef struct _VfpAuditUse VfpAuditUse;

/* One guest naming one VF, in its live definition, its persistent one or
 * both. The guests naming the same VF are chained through NEXT, in the order
 * they were added. */
struct _VfpAuditUse {
  VfpAddr vf;
  guint guest;               /* index of the guest */
  const char *alias;         /* the device's alias (the live one's first), or NULL */
  const char *mac;           /* its MAC, from the device or else the metadata, or NULL */
  int vlan;                  /* its VLAN, likewise; -1: none */
  guint live : 1;
  guint config : 1;
  guint live_meta : 1;       /* the live metadata has an entry for ALIAS */
  guint config_meta : 1;     /* the persistent metadata has one */
  VfpAuditUse *next;
};

typedef struct _VfpAuditGuests VfpAuditGuests;

VfpAuditGuests *vfp_audit_guests_new (void);
void vfp_audit_guests_add (VfpAuditGuests *gs, const char *uuid, const char *name, gboolean active,
                           VfpDomain *live, VfpDomain *config);
guint vfp_audit_guests_count (VfpAuditGuests *gs);
const VfpAuditGuest *vfp_audit_guests_get (VfpAuditGuests *gs, guint index);
const VfpAuditGuest *vfp_audit_guests_find (VfpAuditGuests *gs, const char *uuid, guint *index);
VfpAuditUse *vfp_audit_guests_uses (VfpAuditGuests *gs, const VfpAddr *vf);
void vfp_audit_guests_free (VfpAuditGuests *gs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpAuditGuests, vfp_audit_guests_free)
