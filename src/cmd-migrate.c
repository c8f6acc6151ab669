/* vfpool migrate GUEST DESTURI: parses the options, runs the migrate
 * workflow (vfp-migrate.c) and prints the outcome. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-cli.h"
#include "vfp-guest.h"
#include "vfp-i18n.h"
#include "vfp-migrate.h"
#include "vfp-text.h"

int
vfp_cmd_migrate (VfpCli *cli, int argc, char **argv)
{
  g_autofree char *migrate_uri = NULL, *listen_address = NULL;
  gboolean persistent = FALSE, undefine_source = FALSE, no_check = FALSE;
  int timeout_s = 30;
  GOptionEntry entries[] = {
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s, N_("Seconds to wait for the guest to release each VF (default 30)"), N_("S") },
    { "persistent", 0, 0, G_OPTION_ARG_NONE, &persistent, N_("Define the guest on the destination"), NULL },
    { "undefinesource", 0, 0, G_OPTION_ARG_NONE, &undefine_source, N_("Undefine the guest on the source"), NULL },
    { "migrateuri", 0, 0, G_OPTION_ARG_FILENAME, &migrate_uri, N_("Where the memory goes, e.g. tcp://10.0.0.2"), N_("URI") },
    { "listen-address", 0, 0, G_OPTION_ARG_FILENAME, &listen_address, N_("Address the destination listens on"), N_("ADDR") },
    { "no-capacity-check", 0, 0, G_OPTION_ARG_NONE, &no_check, N_("Do not reserve the VFs on the destination before detaching them (a destination whose vfpool hook predates the check)"), NULL },
    { NULL }
  };
  g_autoptr (VfpVirt) virt = NULL;
  g_autoptr (VfpGuest) guest = NULL;
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (GPtrArray) moved = NULL;
  VfpMigrateRequest req = { 0 };
  VfpWorkflow wf;
  g_autoptr (GError) error = NULL;
  int code = VFP_EXIT_OK;
  guint i;

  if (!vfp_cli_parse (cli, "migrate", N_("GUEST DESTURI"),
                      N_("Live-migrate a guest with its VFs: detach them, migrate peer-to-peer, reattach them on the destination; on failure, reattach them here."),
                      entries, &argc, &argv, &code))
    return code;
  if (timeout_s < 0)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("--timeout must be 0 or more."));
  if (argc != 3)
    return vfp_cli_error (cli, VFP_EXIT_ERROR,
                          _("migrate needs a guest and a destination: vfpool migrate MyGuest qemu+ssh://dst/system"));
  guest = vfp_cli_open_guest (cli, argv[1], &virt, &code);
  if (guest == NULL)
    return code;
  if (!guest->active)
    return vfp_cli_error (cli, VFP_EXIT_FAILED, _("Guest '%s' is not running; there is nothing to migrate live."),
                          vfp_virt_domain_name (guest->dom));
  host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, &code);
  if (host == NULL)
    return code;

  vfp_cli_workflow (cli, host->sysfs, &wf);
  req.dest_uri = argv[2];
  req.migrate_uri = migrate_uri;
  req.listen_address = listen_address;
  req.persistent = persistent;
  req.undefine_source = undefine_source;
  req.timeout_ms = (guint) timeout_s * 1000;
  req.no_capacity_check = no_check;
  moved = vfp_migrate_run (&wf, guest, &req, &error);
  if (moved == NULL)
    return vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", error->message);
  if (cli->json)
    {
      g_autoptr (VfpJson) json = vfp_json_new ();

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "guest", vfp_virt_domain_name (guest->dom));
      vfp_json_member_string (json, "destination", argv[2]);
      vfp_json_key (json, "vfs_reattached_there");
      vfp_json_begin_array (json);
      for (i = 0; i < moved->len; i++)
        vfp_json_string (json, moved->pdata[i]);
      vfp_json_end_array (json);
      vfp_json_end_object (json);
      vfp_cli_print_json (cli, json);
    }
  else if (!cli->quiet)
    {
      g_autofree char *name = vfp_text_printable (vfp_virt_domain_name (guest->dom));
      g_autofree char *dest = vfp_text_printable (argv[2]);

      printf (_("Guest %s migrated to %s; VFs that will be attached again there once it runs: %u.\n"),
              name, dest, moved->len);
    }
  return VFP_EXIT_OK;
}
