/* The capacity probe of a migration: a domain document `vfpool migrate`
 * asks the destination's libvirt to start, which never starts. It carries
 * the migrating guest's vfpool metadata and a <vfpool:probe> marker; the
 * destination's hook (prepare begin) reserves VFs for the guest from it
 * and refuses the start with a line naming the probe's token, so that the
 * source learns "reserved" or the reason why not before it unplugs
 * anything. Built and read here; no libvirt. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

/* The longest hold a probe may ask for, in seconds. */
#define VFP_PROBE_MAX_HOLD 3600

typedef struct {
  char *guest_uuid;   /* owned: the guest the VFs are for */
  char *guest_name;   /* owned */
  char *token;        /* owned: 32 hex digits, echoed in the hook's answer */
  guint hold_seconds; /* how long the reservation lasts without its migration */
  gboolean cancel;    /* free the guest's probe reservations instead */
} VfpProbe;

char *vfp_probe_token_new (void);
char *vfp_probe_build (const VfpProbe *probe, GPtrArray *meta);
VfpProbe *vfp_probe_read (xmlDoc *doc, GError **error);
void vfp_probe_free (VfpProbe *probe);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpProbe, vfp_probe_free)
