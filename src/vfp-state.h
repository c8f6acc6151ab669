/* The lease store: state-dir/leases.xml, read and written only under an
 * exclusive flock on state-dir/lock, saved atomically and durably. */
#pragma once

#include <glib.h>

#include "vfp-lease.h"
struct _xmlNode;             /* libxml2's xmlNode */

/* The store format this vfpool writes; a newer one is refused untouched. */
#define VFP_STATE_VERSION 1


/* Which card a PF was when vfpool first used it (see vfp-identity.h): a
 * lease names a VF by PCI address, and addresses move with the hardware. */
typedef struct {
  char *pf;                /* owned: "0000:05:00.0"; the key */
  char *identity;          /* owned: "dsn:...", "mac:..." or "pci:..." */
  char *model;             /* owned: "8086:10fb:8086:000c", or NULL */
  gint64 recorded;         /* unix seconds */
} VfpPfRecord;

typedef struct _VfpState VfpState;

VfpState *vfp_state_open (const char *dir, guint timeout_ms, GError **error);
gboolean vfp_state_save (VfpState *state, GError **error);
void vfp_state_close (VfpState *state);
int vfp_state_lock (const char *dir, const char *name, guint timeout_ms, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpState, vfp_state_close)

const char *vfp_state_dir (VfpState *state);
guint64 vfp_state_generation (VfpState *state);
const VfpLease *vfp_state_get (VfpState *state, const char *vf);
GPtrArray *vfp_state_list (VfpState *state);
GPtrArray *vfp_state_list_unsorted (VfpState *state);
guint vfp_state_count (VfpState *state);

const VfpPfRecord *vfp_state_get_pf (VfpState *state, const char *pf);
GPtrArray *vfp_state_list_pfs (VfpState *state);
void vfp_state_set_pf (VfpState *state, const char *pf, const char *identity,
                       const char *model, gint64 recorded);
void vfp_pf_record_free (VfpPfRecord *record);

/* For vfp-pool only: the one module that changes lease state. */
VfpLease *vfp_state_lookup (VfpState *state, const char *vf);
gboolean vfp_state_changed (VfpState *state);
void vfp_state_put (VfpState *state, VfpLease *lease);
void vfp_state_remove (VfpState *state, const char *vf);
void vfp_state_touch (VfpState *state, VfpLease *lease);


gboolean vfp_state_parse (const char *text, gsize len, const char *what,
                          GHashTable *into, guint64 *generation,
                          struct _xmlNode **keep, GError **error);
gboolean vfp_state_parse_store_fd (int fd, const char *what, GHashTable *leases,
                                   GHashTable *pfs, guint64 *generation,
                                   struct _xmlNode **keep, GError **error);
