/* vfpool status: one line per PF. */
#include "config.h"

#include <stdio.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-table.h"

static void
print_json (VfpHost *host)
{
  g_autoptr (VfpJson) json = vfp_json_new ();
  guint i;

  vfp_json_begin_object (json);
  vfp_json_member_string (json, "sysfs_root", host->sysfs->root);
  vfp_json_key (json, "pfs");
  vfp_json_begin_array (json);
  for (i = 0; i < host->pfs->len; i++)
    {
      VfpHostPf *hpf = host->pfs->pdata[i];

      vfp_json_begin_object (json);
      vfp_cli_json_function (json, host, &hpf->pf->fn);
      vfp_json_member_string (json, "vendor", hpf->vendor_name);
      vfp_json_member_string (json, "device", hpf->device_name);
      vfp_json_member_int (json, "num_vfs", hpf->pf->num_vfs);
      vfp_json_member_int (json, "total_vfs", hpf->pf->total_vfs);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  vfp_json_end_object (json);
  vfp_cli_print_json (json);
}

int
vfp_cmd_status (VfpCli *cli, int argc, char **argv)
{
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (VfpTable) table = NULL;
  int code = VFP_EXIT_OK;
  guint i;

  if (!vfp_cli_parse (cli, "status", NULL, N_("One line per SR-IOV physical function (PF)."),
                      NULL, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("status takes no arguments; see 'vfpool status --help'."));
  host = vfp_cli_load_host (cli, &code);
  if (host == NULL)
    return code;
  if (cli->json)
    {
      print_json (host);
      return VFP_EXIT_OK;
    }
  if (host->pfs->len == 0)
    {
      printf (_("No SR-IOV physical function found under %s.\n"), host->sysfs->root);
      return VFP_EXIT_OK;
    }
  table = vfp_table_new (_("PF"), _("NETDEV"), _("DRIVER"), _("VFS"), _("NUMA"), _("DEVICE"), NULL);
  for (i = 0; i < host->pfs->len; i++)
    {
      VfpHostPf *hpf = host->pfs->pdata[i];
      VfpPf *pf = hpf->pf;
      g_autofree char *vfs = g_strdup_printf ("%u/%u", pf->num_vfs, pf->total_vfs);
      g_autofree char *numa = vfp_cli_numa (pf->fn.numa_node);
      g_autofree char *label = vfp_cli_device_label (hpf->vendor_name, hpf->device_name,
                                                     pf->fn.vendor_id, pf->fn.device_id);

      vfp_table_add_row (table, pf->fn.address, vfp_cli_netdev (&pf->fn),
                         vfp_cli_or_dash (pf->fn.driver), vfs, numa, label, NULL);
    }
  vfp_table_print (table, stdout);
  return VFP_EXIT_OK;
}
