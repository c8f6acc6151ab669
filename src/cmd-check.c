/* vfpool check: is this host ready for VF passthrough? */
#include "config.h"

#include <stdio.h>
#include <sys/utsname.h>

#include "vfp-check.h"
#include "vfp-cli.h"
#include "vfp-i18n.h"

static void
print_json (VfpCli *cli, GPtrArray *results, gboolean ready)
{
  g_autoptr (VfpJson) json = vfp_json_new ();
  guint i;

  vfp_json_begin_object (json);
  vfp_json_member_bool (json, "ready", ready);
  vfp_json_key (json, "checks");
  vfp_json_begin_array (json);
  for (i = 0; i < results->len; i++)
    {
      VfpCheckResult *r = results->pdata[i];

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "check", r->id);
      vfp_json_member_string (json, "object", r->object);
      vfp_json_member_string (json, "status", vfp_check_status_name (r->status));
      vfp_json_member_string (json, "message", r->message);
      vfp_json_member_string (json, "fix", r->fix);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  vfp_json_end_object (json);
  vfp_cli_print_json (cli, json);
}

int
vfp_cmd_check (VfpCli *cli, int argc, char **argv)
{
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (GPtrArray) results = NULL;
  g_autofree char *modules_dir = NULL;
  int code = VFP_EXIT_OK;
  guint i, n_fail = 0, n_warn = 0;

  if (!vfp_cli_parse (cli, "check", NULL,
                      N_("Check the host's readiness for VF passthrough: IOMMU, interrupt remapping, vfio-pci, SR-IOV, IOMMU groups, ACS. Exit status 1 when a check fails."),
                      NULL, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("check takes no arguments; see 'vfpool check --help'."));
  host = vfp_cli_load_host (cli, VFP_HOST_PCI_DETAILS, &code);
  if (host == NULL)
    return code;
  /* Kernel modules on disk belong to the real host only. */
  if (cli->sysfs_default)
    {
      struct utsname u;

      if (uname (&u) == 0)
        modules_dir = g_build_filename ("/lib/modules", u.release, NULL);
    }
  results = vfp_check_host (host, modules_dir);
  for (i = 0; i < results->len; i++)
    {
      VfpCheckResult *r = results->pdata[i];

      n_fail += r->status == VFP_CHECK_FAIL;
      n_warn += r->status == VFP_CHECK_WARN;
    }
  if (cli->json)
    print_json (cli, results, n_fail == 0);
  else
    {
      for (i = 0; i < results->len; i++)
        {
          VfpCheckResult *r = results->pdata[i];

          printf ("[%s] %-20s %-13s %s\n", vfp_check_status_label (r->status), r->id,
                  r->object, r->message);
          if (r->fix)
            printf ("       %s %s\n", _("fix:"), r->fix);
        }
      if (n_fail > 0)
        printf (_("Not ready: failed checks: %u, warnings: %u.\n"), n_fail, n_warn);
      else
        printf (_("Ready for VF passthrough (warnings: %u).\n"), n_warn);
    }
  return n_fail > 0 ? VFP_EXIT_FAILED : VFP_EXIT_OK;
}
