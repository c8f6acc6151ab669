/* vfnet-probe: drives src/vfp-vfnet.c against a real kernel, for the lab
 * (tests/lab/guest-vfnet.sh) and by hand:
 *
 *   vfnet-probe read PF                 every VF's settings, as JSON
 *   vfnet-probe apply PF VF KEY=VALUE... apply, read back (keys as in vfpool.conf)
 *   vfnet-probe restore PF VF           back to the baseline, read back
 *
 * Prints "ok" or the one-line error; exits 0, 1 (refused), 2 (usage). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-error.h"
#include "vfp-vfnet.h"

static int
usage (void)
{
  fprintf (stderr, "usage: vfnet-probe read PF | apply PF VF KEY=VALUE... | restore PF VF\n");
  return 2;
}

static int
read_all (const char *pf)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) vfs = vfp_vfnet_read (pf, &error);
  g_autoptr (VfpJson) json = vfp_json_new ();
  g_autofree char *text = NULL;
  guint i;

  if (vfs == NULL)
    {
      printf ("%s\n", error->message);
      return 1;
    }
  vfp_json_begin_array (json);
  for (i = 0; i < vfs->len; i++)
    vfp_vf_settings_json (json, &g_array_index (vfs, VfpVfSettings, i));
  vfp_json_end_array (json);
  text = vfp_json_finish (json);
  printf ("%s\n", text);
  return 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  VfpVfSettings s;
  guint64 vf;
  gboolean ok;
  int i;

  if (argc == 3 && strcmp (argv[1], "read") == 0)
    return read_all (argv[2]);
  if (argc < 4 || !g_ascii_string_to_unsigned (argv[3], 10, 0, 65535, &vf, NULL))
    return usage ();
  if (strcmp (argv[1], "restore") == 0 && argc == 4)
    {
      vfp_vf_settings_baseline (&s, vf);
      ok = vfp_vfnet_restore (argv[2], &s, &error);
    }
  else if (strcmp (argv[1], "apply") == 0)
    {
      memset (&s, 0, sizeof s);
      s.index = vf;
      for (i = 4; i < argc; i++)
        {
          g_auto (GStrv) kv = g_strsplit (argv[i], "=", 2);
          VfpVfField field = kv[1] ? vfp_vf_field_from_name (kv[0]) : 0;

          if (field == 0)
            return usage ();
          if (!vfp_vf_settings_parse (&s, field, kv[1], &error))
            {
              printf ("%s: %s\n", kv[0], error->message);
              return 2;
            }
        }
      ok = vfp_vfnet_apply (argv[2], &s, &error);
    }
  else
    return usage ();
  printf ("%s\n", ok ? "ok" : error->message);
  return ok ? 0 : 1;
}
