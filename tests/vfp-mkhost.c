/* Builds the bundled demo host (README, make demo, test-cli.sh): a fake
 * sysfs tree in a fresh private directory, whose /sys path it prints; with
 * --with-libvirt also a libvirt test-driver host file for the same
 * devices, whose URI it prints on the second line. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "fake-libvirt.h"
#include "fake-sysfs.h"

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *root = NULL;
  g_autofree char *host_xml = NULL;
  gboolean with_libvirt = argc == 2 && strcmp (argv[1], "--with-libvirt") == 0;

  if (argc > 2 || (argc == 2 && !with_libvirt))
    {
      fprintf (stderr, "usage: %s [--with-libvirt]\n"
               "  builds the demo host in a new directory and prints its /sys path\n"
               "  (and the test:/// URI of a libvirt host file for it)\n", argv[0]);
      return 2;
    }
  dir = g_dir_make_tmp ("vfpool-demo-XXXXXX", &error);
  if (dir != NULL)
    root = fake_sysfs_build (dir, &fake_demo_options, fake_demo_host,
                             fake_demo_host_len, &error);
  if (root != NULL && with_libvirt)
    {
      host_xml = g_build_filename (dir, "libvirt-host.xml", NULL);
      if (!fake_libvirt_write_host (host_xml, fake_demo_host, fake_demo_host_len,
                                    FALSE, &error))
        g_clear_pointer (&root, g_free);
    }
  if (root == NULL)
    {
      fprintf (stderr, "vfp-mkhost: %s\n", error->message);
      return 1;
    }
  printf ("%s\n", root);
  if (host_xml != NULL)
    {
      g_autofree char *uri = fake_libvirt_uri (host_xml);

      printf ("%s\n", uri);
    }
  return 0;
}
