/* What the audit keeps of libvirt's guests (see vfp-audit-guests.h). */
#include "config.h"

#include <string.h>

#include "vfp-audit-guests.h"

struct _VfpAuditGuests {
  GArray *guests;            /* VfpAuditGuest */
  GStringChunk *strings;     /* UUIDs, names and aliases, without a malloc each */
  GHashTable *uses;          /* VfpAuditUse*, the first of its VF -> itself */
  GArray *by_uuid;           /* guint: guest indexes sorted by UUID, made
                              * at the first lookup (a hash of 2000 UUIDs
                              * took 80 KB) */
};

static guint
use_hash (gconstpointer p)
{
  const VfpAddr *a = &((const VfpAuditUse *) p)->vf;

  return a->domain * 65599u + vfp_addr_routing_id (a);
}

static gboolean
use_equal (gconstpointer a, gconstpointer b)
{
  return vfp_addr_equal (&((const VfpAuditUse *) a)->vf, &((const VfpAuditUse *) b)->vf);
}

static void
uses_free (VfpAuditUse *u)
{
  while (u)
    {
      VfpAuditUse *next = u->next;

      g_free (u);
      u = next;
    }
}

VfpAuditGuests *
vfp_audit_guests_new (void)
{
  VfpAuditGuests *gs = g_new0 (VfpAuditGuests, 1);

  gs->guests = g_array_new (FALSE, FALSE, sizeof (VfpAuditGuest));
  gs->strings = g_string_chunk_new (16384);
  gs->uses = g_hash_table_new_full (use_hash, use_equal, NULL, (GDestroyNotify) uses_free);
  return gs;
}

void
vfp_audit_guests_free (VfpAuditGuests *gs)
{
  if (gs == NULL)
    return;
  if (gs->by_uuid)
    g_array_unref (gs->by_uuid);
  g_hash_table_unref (gs->uses);
  g_string_chunk_free (gs->strings);
  g_array_unref (gs->guests);
  g_free (gs);
}

/* Keeps U's MAC and VLAN from DEV, or from vfpool's metadata entry for
 * its alias: what an adopted lease records (the first definition that
 * says, the live one before the persistent one). */
static void
note_device (VfpAuditGuests *gs, VfpAuditUse *u, VfpDomDevice *dev, VfpDomain *d)
{
  VfpMetaVf *m = u->alias ? vfp_domain_find_meta (d, u->alias) : NULL;
  const char *mac = dev->mac ? dev->mac : m ? m->mac : NULL;
  int vlan = dev->vlan >= 0 ? dev->vlan : m ? m->vlan : -1;

  if (u->mac == NULL && mac != NULL)
    u->mac = g_string_chunk_insert_const (gs->strings, mac);
  if (u->vlan < 0)
    u->vlan = vlan;
}

/* Notes that guest INDEX names the devices of D (its live definition when
 * LIVE). The live one is noted first, so a use's alias is the live one's. */
static void
note_uses (VfpAuditGuests *gs, guint index, VfpDomain *d, gboolean live)
{
  guint i;

  for (i = 0; d && i < d->devices->len; i++)
    {
      VfpDomDevice *dev = d->devices->pdata[i];
      VfpAuditUse key = { .vf = dev->addr };
      VfpAuditUse *first = g_hash_table_lookup (gs->uses, &key);
      VfpAuditUse *u, *last = NULL;

      for (u = first; u && u->guest != index; u = u->next)
        last = u;
      if (u == NULL)
        {
          u = g_new0 (VfpAuditUse, 1);
          u->vf = dev->addr;
          u->guest = index;
          u->alias = dev->alias ? g_string_chunk_insert_const (gs->strings, dev->alias) : NULL;
          u->vlan = -1;
          if (last)
            last->next = u;
          else
            g_hash_table_add (gs->uses, u);
        }
      note_device (gs, u, dev, d);
      if (live)
        {
          u->live = TRUE;
          u->live_meta = u->alias && vfp_domain_find_meta (d, u->alias);
        }
      else
        {
          u->config = TRUE;
          u->config_meta = u->alias && vfp_domain_find_meta (d, u->alias);
        }
    }
}

/* Adds a guest; LIVE and CONFIG (either may be NULL) stay the caller's. */
void
vfp_audit_guests_add (VfpAuditGuests *gs, const char *uuid, const char *name, gboolean active,
                      VfpDomain *live, VfpDomain *config)
{
  VfpAuditGuest g = {
    .uuid = g_string_chunk_insert (gs->strings, uuid),
    .name = g_string_chunk_insert (gs->strings, name),
    .active = active,
  };
  guint index = gs->guests->len;

  g_array_append_val (gs->guests, g);
  g_clear_pointer (&gs->by_uuid, g_array_unref);
  note_uses (gs, index, live, TRUE);
  note_uses (gs, index, config, FALSE);
}

guint
vfp_audit_guests_count (VfpAuditGuests *gs)
{
  return gs->guests->len;
}

const VfpAuditGuest *
vfp_audit_guests_get (VfpAuditGuests *gs, guint index)
{
  return &g_array_index (gs->guests, VfpAuditGuest, index);
}

static int
compare_uuid (gconstpointer a, gconstpointer b, gpointer data)
{
  VfpAuditGuests *gs = data;

  return strcmp (vfp_audit_guests_get (gs, *(const guint *) a)->uuid,
                 vfp_audit_guests_get (gs, *(const guint *) b)->uuid);
}

/* The guest with UUID (and its index in INDEX), or NULL. */
const VfpAuditGuest *
vfp_audit_guests_find (VfpAuditGuests *gs, const char *uuid, guint *index)
{
  guint lo = 0, hi, i;

  if (uuid == NULL)
    return NULL;
  if (gs->by_uuid == NULL)
    {
      gs->by_uuid = g_array_sized_new (FALSE, FALSE, sizeof (guint), gs->guests->len);
      for (i = 0; i < gs->guests->len; i++)
        g_array_append_val (gs->by_uuid, i);
      g_array_sort_with_data (gs->by_uuid, compare_uuid, gs);
    }
  hi = gs->by_uuid->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2, at = g_array_index (gs->by_uuid, guint, mid);
      int c = strcmp (vfp_audit_guests_get (gs, at)->uuid, uuid);

      if (c == 0)
        {
          if (index)
            *index = at;
          return vfp_audit_guests_get (gs, at);
        }
      if (c < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
  return NULL;
}

/* The guests that name VF, chained; NULL when none does. */
VfpAuditUse *
vfp_audit_guests_uses (VfpAuditGuests *gs, const VfpAddr *vf)
{
  VfpAuditUse key = { .vf = *vf };

  return g_hash_table_lookup (gs->uses, &key);
}
