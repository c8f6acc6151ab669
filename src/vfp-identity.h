/* Which card a PF is. A lease names its VF by PCI address, and addresses
 * move: add a card, or let firmware number the buses differently, and
 * 0000:05:10.2 is another card's VF. vfpool records each PF's identity in
 * the lease store when it first uses the PF, and checks it whenever a lease
 * is used (reserve, the prepare hook, reattach, the audit). The identity
 * is the strongest of:
 *   dsn:00-1b-21-ff-ff-a1-b2-c3  the PCIe Device Serial Number (libpci): one per card
 *   mac:90:e2:ba:76:86:a8        the permanent MAC of the PF's netdev: one per port
 *   pci:8086:10fb:8086:000c      vendor, device, subsystem vendor and device: the model
 * The model is recorded as well: it can always be read, so it still tells
 * another kind of card apart when the recorded kind cannot be read now (no
 * driver bound, hence no netdev; config space past 64 bytes is root's). */
#pragma once

#include <glib.h>

#include "vfp-state.h"

typedef struct _VfpIdentity VfpIdentity;

VfpIdentity *vfp_identity_new (const char *sysfs_root);
void vfp_identity_free (VfpIdentity *id);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpIdentity, vfp_identity_free)

gboolean vfp_identity_read (VfpIdentity *id, const char *pf, char **identity, char **model);
gboolean vfp_identity_matches (VfpIdentity *id, const VfpPfRecord *record, char **now,
                               char **moved_to);
char *vfp_identity_describe_change (const VfpPfRecord *record, const char *now,
                                    const char *moved_to);
gboolean vfp_identity_check (VfpIdentity *id, VfpState *state, const char *pf,
                             gboolean record, GError **error);
char *vfp_identity_permanent_mac (const char *netdev);
