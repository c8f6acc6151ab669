/* libFuzzer target: vfp_state_parse on lease-store text (leases.xml). A
 * store that parses is written back (vfp_state_write_xml, with what was
 * kept of it) and must parse again, and a second write must give the
 * same bytes: what the reader keeps, the writer writes back as it was. */
#include "fuzz-common.h"

#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#include "vfp-state.h"
#include "vfp-state-write.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int
by_vf (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(VfpLease *const *) a)->vf, (*(VfpLease *const *) b)->vf);
}

/* The leases of INTO, and KEEP, as the store's text (g_free). */
static char *
write_back (GHashTable *into, const xmlNode *keep, size_t *len)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new ();
  GHashTableIter it;
  gpointer value;
  xmlBuffer *buf = xmlBufferCreate ();
  xmlTextWriter *w = xmlNewTextWriterMemory (buf, 0);
  char *text;

  g_hash_table_iter_init (&it, into);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (list, value);
  g_ptr_array_sort (list, by_vf);
  vfp_state_write_xml (w, list, NULL, keep, 1);
  xmlFreeTextWriter (w);
  *len = xmlBufferLength (buf);
  text = g_strndup ((const char *) xmlBufferContent (buf), *len);
  xmlBufferFree (buf);
  return text;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GHashTable) leases = NULL;
  g_autoptr (GHashTable) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  xmlNode *keep = NULL;
  xmlNode *keep2 = NULL;
  size_t len1, len2;
  char *text;

  fuzz_init_once ();
  /* vfp_state_open reads the file into a NUL-terminated buffer of LEN bytes. */
  text = fuzz_cstring (data, size);
  leases = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                  (GDestroyNotify) vfp_lease_free);
  if (!vfp_state_parse (text, size, "leases.xml", leases, NULL, &keep, &error))
    {
      if (error == NULL || keep != NULL)
        abort ();
      g_free (text);
      return 0;
    }
  g_free (text);
  first = write_back (leases, keep, &len1);
  again = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) vfp_lease_free);
  if (!vfp_state_parse (first, len1, "leases.xml", again, NULL, &keep2, &error))
    {
      fprintf (stderr, "%s\n%s\n", error->message, first);
      abort ();
    }
  second = write_back (again, keep2, &len2);
  if (strcmp (first, second) != 0)
    {
      fprintf (stderr, "first:\n%s\nsecond:\n%s\n", first, second);
      abort ();
    }
  xmlFreeNode (keep);
  xmlFreeNode (keep2);
  return 0;
}
