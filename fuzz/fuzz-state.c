/* libFuzzer target: vfp_state_parse on lease-store text (leases.xml). */
#include "fuzz-common.h"

#include "vfp-state.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GHashTable) leases = NULL;
  g_autoptr (GError) error = NULL;
  char *text;

  fuzz_init_once ();
  /* vfp_state_open reads the file into a NUL-terminated buffer of LEN bytes. */
  text = fuzz_cstring (data, size);
  leases = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                  (GDestroyNotify) vfp_lease_free);
  if (!vfp_state_parse (text, size, "leases.xml", leases, NULL, &error) && error == NULL)
    abort ();
  g_free (text);
  return 0;
}
