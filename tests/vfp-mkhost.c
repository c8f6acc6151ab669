/* Builds the bundled demo host (README, make demo, test-cli.sh): a fake
 * sysfs tree in a fresh private directory, whose /sys path it prints; with
 * --with-libvirt also a libvirt test-driver host file for the same
 * devices, whose URI it prints on the second line, and a vfpool.conf with
 * one pool over both PFs, whose path it prints on the third. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "fake-libvirt.h"
#include "fake-sysfs.h"

/* The demo's configuration: one pool over both PFs, and a state directory
 * beside the tree. */
static gboolean
write_demo_config (const char *dir, const char *path, GError **error)
{
  g_autoptr (GKeyFile) kf = g_key_file_new ();
  g_autofree char *state = g_build_filename (dir, "state", NULL);
  g_autofree char *log = g_build_filename (dir, "vfpool.log", NULL);

  g_key_file_set_string (kf, "vfpool", "default-pool", "physnet1");
  g_key_file_set_string (kf, "vfpool", "state-dir", state);
  g_key_file_set_string (kf, "vfpool", "log-file", log);
  g_key_file_set_string (kf, "pool physnet1", "pfs", "enp5s0f0,enp129s0f0np0");
  g_key_file_set_string (kf, "pool physnet1", "policy", "spread");
  g_key_file_set_string (kf, "pool physnet1", "numa", "prefer");
  g_key_file_set_string (kf, "pool physnet1", "vlan", "100");
  if (!g_key_file_save_to_file (kf, path, error))
    return FALSE;
  return g_chmod (path, 0644) == 0;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *root = NULL;
  g_autofree char *host_xml = NULL;
  g_autofree char *conf = NULL;
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
      conf = g_build_filename (dir, "vfpool.conf", NULL);
      if (!fake_libvirt_write_host (host_xml, fake_demo_host, fake_demo_host_len,
                                    FALSE, &error)
          || !write_demo_config (dir, conf, &error))
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

      printf ("%s\n%s\n", uri, conf);
    }
  return 0;
}
