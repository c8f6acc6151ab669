/* libFuzzer target (issue 18.1): any text the store takes is written and
 * read back identical. The input is up to six texts separated by NUL
 * bytes; each goes into a lease as the boundary would let it: as it is
 * when vfp_text_check takes it (an owner label), else as
 * vfp_text_storable makes it (a guest's name). The leases are written
 * with the store's writer and parsed with its reader; a store that does
 * not parse, or a text that comes back different, aborts. */
#include "fuzz-common.h"

#include <libxml/xmlwriter.h>

#include "vfp-state.h"
#include "vfp-state-write.h"
#include "vfp-text.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The next text of the input as the store gets it; NULL at the end. */
static char *
next_text (const uint8_t **data, size_t *size)
{
  const uint8_t *end = memchr (*data, '\0', *size);
  size_t len = end ? (size_t) (end - *data) : *size;
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  char *s;

  if (*size == 0)
    return NULL;
  text = g_strndup ((const char *) *data, len);
  *data += len + (end != NULL);
  *size -= len + (end != NULL);
  if (vfp_text_check (text, "text", &error))
    return g_steal_pointer (&text);
  if (error == NULL || vfp_text_is_storable (text, NULL, NULL))
    abort ();
  s = vfp_text_storable (text);
  if (!vfp_text_is_storable (s, NULL, NULL))
    abort ();
  return s;
}

static void
same (const char *a, const char *b)
{
  if (g_strcmp0 (a, b) != 0)
    abort ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GPtrArray) leases = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_lease_free);
  g_autoptr (GHashTable) back = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                       (GDestroyNotify) vfp_lease_free);
  g_autoptr (GError) error = NULL;
  xmlBuffer *buf;
  xmlTextWriter *w;
  VfpLease *l = vfp_lease_new ("0000:05:10.2");
  guint i;

  fuzz_init_once ();
  l->pf = g_intern_string ("0000:05:00.0");
  l->pool = g_intern_string ("physnet1");
  l->state = VFP_LEASE_ATTACHED;
  l->owner_uuid = next_text (&data, &size);
  l->owner_name = next_text (&data, &size);
  l->owner_label = next_text (&data, &size);
  l->mac = next_text (&data, &size);
  l->alias = next_text (&data, &size);
  l->note = next_text (&data, &size);
  if (l->owner_uuid == NULL && l->owner_label == NULL)
    l->owner_label = g_strdup ("");      /* the reader wants an owner */
  g_ptr_array_add (leases, l);

  buf = xmlBufferCreate ();
  w = xmlNewTextWriterMemory (buf, 0);
  vfp_state_write_xml (w, leases, NULL, NULL, 7);
  xmlFreeTextWriter (w);
  if (!vfp_state_parse ((const char *) xmlBufferContent (buf), xmlBufferLength (buf),
                        "leases.xml", back, NULL, NULL, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      abort ();
    }
  xmlBufferFree (buf);
  for (i = 0; i < leases->len; i++)
    {
      VfpLease *a = leases->pdata[i];
      VfpLease *b = g_hash_table_lookup (back, a->vf);

      if (b == NULL)
        abort ();
      same (a->owner_uuid, b->owner_uuid);
      same (a->owner_name, b->owner_name);
      same (a->owner_label, b->owner_label);
      same (a->mac, b->mac);
      same (a->alias, b->alias);
      same (a->note, b->note);
    }
  return 0;
}
