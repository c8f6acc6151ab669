/* libFuzzer target: vfp_nodedev_parse on node-device XML
 * (virsh nodedev-dumpxml), the input taken as a NUL-terminated string. */
#include "fuzz-common.h"

#include "vfp-nodedev.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *xml = NULL;
  g_autoptr (GError) error = NULL;
  VfpNodedev *dev;

  fuzz_init_once ();
  xml = fuzz_cstring (data, size);
  dev = vfp_nodedev_parse (xml, &error);
  if (dev != NULL)
    {
      char buf[VFP_ADDR_STRLEN];

      vfp_addr_format (&dev->addr, buf);
      if (dev->vfs)
        for (guint i = 0; i < dev->vfs->len; i++)
          vfp_addr_format (&g_array_index (dev->vfs, VfpAddr, i), buf);
      vfp_nodedev_free (dev);
    }
  else if (error == NULL)
    abort ();   /* a failure must say why */
  return 0;
}
