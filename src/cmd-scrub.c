/* vfpool scrub VF...: return quarantined (or free) VFs to their baseline,
 * read it back, and free each that verifies (DESIGN.md §2). */
#include "config.h"

#include <stdio.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-pool.h"

int
vfp_cmd_scrub (VfpCli *cli, int argc, char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (VfpPool) pool = NULL;
  g_autoptr (GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (VfpJson) json = vfp_json_new ();
  int code = VFP_EXIT_OK;
  int i;

  if (!vfp_cli_parse (cli, "scrub", N_("VF..."),
                      N_("Restore quarantined (or free) VFs to their baseline (the driver they had; MAC, VLAN, spoofchk, trust, link-state and rates through the PF), read it back, and free each that verifies."),
                      entries, &argc, &argv, &code))
    return code;
  if (argc < 2)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("scrub needs VF addresses: vfpool scrub 0000:05:10.2"));

  pool = vfp_cli_open_pool (cli, &host, &code);
  if (pool == NULL)
    return code;
  vfp_json_begin_array (json);
  for (i = 1; i < argc; i++)
    {
      g_autoptr (GError) e = NULL;
      VfpAddr addr;
      char buf[VFP_ADDR_STRLEN];
      gboolean parsed = vfp_addr_parse (argv[i], &addr, &e);
      gboolean ok = parsed && vfp_pool_scrub (pool, vfp_addr_format (&addr, buf), &e);

      if (ok && !cli->json && !cli->quiet)
        printf (_("VF %s is at its baseline and free\n"), buf);
      if (!ok)
        g_ptr_array_add (failures, g_strdup (e->message));
      vfp_json_begin_object (json);
      vfp_json_member_string (json, "address", parsed ? buf : argv[i]);
      vfp_json_member_string (json, "state", ok ? "free" : parsed && vfp_pool_lease (pool, buf) ? "quarantined" : "error");
      vfp_json_member_string (json, "error", ok ? NULL : e->message);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  if (!vfp_cli_commit (cli, pool))
    return VFP_EXIT_ERROR;
  if (cli->json)
    vfp_cli_print_json (cli, json);
  for (i = 0; i < (int) failures->len; i++)
    vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", (const char *) failures->pdata[i]);
  return failures->len > 0 ? VFP_EXIT_FAILED : VFP_EXIT_OK;
}
