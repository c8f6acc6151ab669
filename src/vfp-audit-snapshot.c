/* The leases before the guests are read. The guests' XML is then older
 * than the store the audit locks to repair: a lease an attach or detach
 * changed in between must not be "repaired" against XML that predates the
 * change (freeing a VF the guest has just got would give it out twice).
 *
 * Of each lease only its address and the SHA-256 of its fingerprint are
 * kept, in one sorted array: as a hash of strings, 1500 leases took 0.2 MB,
 * which put `audit --fix` over its memory budget. */
#include "config.h"

#include <string.h>

#include "vfp-addr.h"
#include "vfp-audit-snapshot.h"

#define DIGEST_LEN 32

typedef struct {
  char vf[VFP_ADDR_STRLEN];
  guint8 digest[DIGEST_LEN];
} Entry;

struct _VfpAuditSnapshot {
  GArray *entries;           /* Entry, sorted by vf */
  guint64 generation;        /* of the store */
};

/* One lease as the audit compares it over time: the serial tells two
 * changes apart (a detach and an attach in one second restore every other
 * field); the fields cover stores written before serials existed. */
static void
fingerprint (const VfpLease *l, guint8 digest[DIGEST_LEN])
{
  g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT " %d %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %s %s %s %d",
                                           l->serial, (int) l->state, l->created, l->changed,
                                           l->owner_uuid ? l->owner_uuid : "-",
                                           vfp_lease_owner (l) ? vfp_lease_owner (l) : "-",
                                           l->alias ? l->alias : "-", (int) l->pid);
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = DIGEST_LEN;

  g_checksum_update (sum, (const guchar *) text, -1);
  g_checksum_get_digest (sum, digest, &len);
}

static int
compare_entries (gconstpointer a, gconstpointer b)
{
  return strcmp (((const Entry *) a)->vf, ((const Entry *) b)->vf);
}

VfpAuditSnapshot *
vfp_audit_snapshot (VfpState *state)
{
  g_autoptr (GPtrArray) all = vfp_state_list_unsorted (state);
  VfpAuditSnapshot *snap = g_new0 (VfpAuditSnapshot, 1);
  guint i;

  snap->entries = g_array_sized_new (FALSE, TRUE, sizeof (Entry), all->len);
  g_array_set_size (snap->entries, all->len);
  for (i = 0; i < all->len; i++)
    {
      const VfpLease *l = all->pdata[i];
      Entry *e = &g_array_index (snap->entries, Entry, i);

      g_strlcpy (e->vf, l->vf, sizeof e->vf);
      fingerprint (l, e->digest);
    }
  g_array_sort (snap->entries, compare_entries);
  snap->generation = vfp_state_generation (state);
  return snap;
}

void
vfp_audit_snapshot_free (VfpAuditSnapshot *snap)
{
  if (snap == NULL)
    return;
  g_array_unref (snap->entries);
  g_free (snap);
}

static const Entry *
find (VfpAuditSnapshot *snap, const char *vf)
{
  Entry key = { { 0 } };

  g_strlcpy (key.vf, vf, sizeof key.vf);
  return bsearch (&key, snap->entries->data, snap->entries->len, sizeof (Entry), compare_entries);
}

/* Whether VF's lease in STATE is the one of the snapshot BEFORE. A VF
 * without a lease in both counts only when the store did not change at
 * all: in between, an attach and a detach may have given it to a guest and
 * taken it back, and the guest's XML, read in between, would still show it
 * (adopting it then leased the VF to a guest that no longer had it). */
gboolean
vfp_audit_unchanged (VfpAuditSnapshot *before, VfpState *state, const char *vf)
{
  const VfpLease *l = vfp_state_get (state, vf);
  const Entry *then = find (before, vf);
  guint8 now[DIGEST_LEN];

  if (l == NULL || then == NULL)
    return l == NULL && then == NULL && before->generation == vfp_state_generation (state);
  fingerprint (l, now);
  return memcmp (now, then->digest, DIGEST_LEN) == 0;
}
