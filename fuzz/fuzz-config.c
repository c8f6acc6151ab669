/* libFuzzer target: vfp_config_load_data on vfpool.conf text. */
#include "fuzz-common.h"

#include "vfp-config.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  VfpConfig *config;

  fuzz_init_once ();
  text = fuzz_cstring (data, size);
  config = vfp_config_load_data (text, "fuzz.conf", &error);
  if (config == NULL)
    {
      if (error == NULL)
        abort ();
      return 0;
    }
  for (guint i = 0; i < config->pools->len; i++)
    {
      VfpPoolConfig *pool = config->pools->pdata[i];

      if (vfp_config_find_pool (config, pool->name) == NULL)
        abort ();
      for (guint idx = 0; idx < 8; idx++)
        (void) vfp_pool_config_excludes (pool, idx, "0000:05:10.2");
      (void) vfp_policy_name (pool->policy);
    }
  vfp_config_free (config);
  return 0;
}
