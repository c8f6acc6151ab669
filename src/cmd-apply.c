/* vfpool apply: give every PF of every pool the VF count its numvfs= asks
 * for. Run at boot by vfpool-setup.service, before libvirtd. */
#include "config.h"

#include <stdio.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-pool.h"

int
vfp_cmd_apply (VfpCli *cli, int argc, char **argv)
{
  int wait_s = 30;
  GOptionEntry entries[] = {
    { "wait", 0, 0, G_OPTION_ARG_INT, &wait_s, N_("Seconds to wait for the kernel to create the VFs (default 30; 0: do not wait)"), N_("S") },
    { NULL }
  };
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (VfpJson) json = vfp_json_new ();
  int code = VFP_EXIT_OK;
  guint failed = 0, i, j;

  if (!vfp_cli_parse (cli, "apply", NULL,
                      N_("Create the VFs each pool's numvfs= asks for; PFs already right are left alone."),
                      entries, &argc, &argv, &code))
    return code;
  if (argc > 1 || wait_s < 0)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("apply takes no arguments and a --wait of 0 or more; see 'vfpool apply --help'."));
  host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, &code);
  if (host == NULL)
    return code;
  vfp_json_begin_array (json);
  for (i = 0; i < cli->config->pools->len; i++)
    {
      VfpPoolConfig *pc = cli->config->pools->pdata[i];

      for (j = 0; pc->numvfs >= 0 && j < pc->pfs->len; j++)
        {
          VfpPf *pf = pc->pfs->pdata[j];
          g_autoptr (GError) error = NULL;
          guint before = pf->num_vfs;
          gboolean ok;

          if (wait_s > 0 && pf->num_vfs != (guint) pc->numvfs)
            vfp_cli_progress (cli, _("setting %d VFs on PF %s and waiting up to %d s for the kernel..."),
                              pc->numvfs, pf->fn.address, wait_s);
          ok = vfp_cli_set_numvfs (cli, host->sysfs, pf, pc->numvfs, wait_s * 1000, &error);

          vfp_json_begin_object (json);
          vfp_json_member_string (json, "pool", pc->name);
          vfp_json_member_string (json, "pf", pf->fn.address);
          vfp_json_member_int (json, "num_vfs_before", before);
          vfp_json_member_int (json, "num_vfs", pc->numvfs);
          vfp_json_member_bool (json, "ok", ok);
          vfp_json_member_string (json, "error", ok ? NULL : error->message);
          vfp_json_end_object (json);
          if (!ok)
            {
              failed++;
              vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", error->message);
            }
          else if (!cli->json && !cli->quiet)
            printf (before == (guint) pc->numvfs ? _("%s: PF %s already has %d VFs.\n")
                                                 : _("%s: PF %s now has %d VFs.\n"),
                    pc->name, pf->fn.address, pc->numvfs);
        }
    }
  vfp_json_end_array (json);
  if (cli->json)
    vfp_cli_print_json (cli, json);
  return failed > 0 ? VFP_EXIT_FAILED : VFP_EXIT_OK;
}
