/* Builds the bundled demo host (README, make demo): a fake sysfs tree in a
 * fresh private directory, whose path it prints. */
#include "config.h"

#include <stdio.h>

#include "fake-sysfs.h"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *root = NULL;

  if (argc != 1)
    {
      fprintf (stderr, "usage: %s\n  builds the demo host in a new directory and prints its /sys path\n", argv[0]);
      return 2;
    }
  dir = g_dir_make_tmp ("vfpool-demo-XXXXXX", &error);
  if (dir != NULL)
    root = fake_sysfs_build (dir, &fake_demo_options, fake_demo_host,
                             fake_demo_host_len, &error);
  if (root == NULL)
    {
      fprintf (stderr, "vfp-mkhost: %s\n", error->message);
      return 1;
    }
  printf ("%s\n", root);
  return 0;
}
