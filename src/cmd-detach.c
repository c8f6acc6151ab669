/* vfpool detach GUEST [VF...|--all]: parses the options, runs the detach
 * workflow (vfp-detach.c) for each VF and prints the outcomes. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-cli.h"
#include "vfp-detach.h"
#include "vfp-error.h"
#include "vfp-guest.h"
#include "vfp-i18n.h"
#include "vfp-text.h"

/* The stable word of OUTCOME for --json. */
static const char *
outcome_name (VfpDetachOutcome outcome)
{
  switch (outcome)
    {
    case VFP_DETACH_FREE:
    case VFP_DETACH_GONE:
      return "free";
    case VFP_DETACH_DETACHING:
      return "detaching";
    case VFP_DETACH_QUARANTINED:
      return "quarantined";
    case VFP_DETACH_ERROR:
      break;
    }
  return "error";
}

/* The line or the error of one detached VF; FALSE when it is not free. */
static gboolean
report (VfpCli *cli, VfpGuest *guest, VfpDetachItem *it)
{
  g_autofree char *name = vfp_text_printable (vfp_virt_domain_name (guest->dom));

  if (it->outcome == VFP_DETACH_QUARANTINED)
    {
      g_autofree char *why = g_steal_pointer (&it->failure);

      it->failure = g_strdup_printf (_("VF %s left guest %s but is quarantined, not free: %s Fix that, then run 'vfpool scrub %s'."),
                                     it->vf, name, why, it->vf);
    }
  if (it->failure != NULL)
    {
      vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", it->failure);
      return FALSE;
    }
  if (cli->json || cli->quiet)
    return TRUE;
  if (it->outcome == VFP_DETACH_GONE)
    printf (_("VF %s was detached from %s by another vfpool meanwhile\n"), it->vf, name);
  else
    printf (_("VF %s detached from %s (%s)\n"), it->vf, name, it->alias);
  return TRUE;
}

int
vfp_cmd_detach (VfpCli *cli, int argc, char **argv)
{
  gboolean all = FALSE;
  int timeout_s = 30;
  GOptionEntry entries[] = {
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, N_("Detach every VF vfpool gave the guest"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s, N_("Seconds to wait for the guest to release a device (default 30)"), N_("S") },
    { NULL }
  };
  g_autoptr (VfpVirt) virt = NULL;
  g_autoptr (VfpGuest) guest = NULL;
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpJson) json = vfp_json_new ();
  VfpWorkflow wf;
  int code = VFP_EXIT_OK;
  guint i, stuck = 0;

  if (!vfp_cli_parse (cli, "detach", N_("GUEST [VF...]"),
                      N_("Detach VFs (by address or alias, or --all) from a guest; each is freed once libvirt confirms it is gone."),
                      entries, &argc, &argv, &code))
    return code;
  if (argc < 2 || (argc == 2) == !all)
    return vfp_cli_error (cli, VFP_EXIT_ERROR,
                          _("detach needs a guest and VFs or --all: vfpool detach MyGuest --all"));
  if (timeout_s < 0)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("--timeout must be 0 or more."));
  guest = vfp_cli_open_guest (cli, argv[1], &virt, &code);
  if (guest == NULL)
    return code;
  host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, &code);
  if (host == NULL)
    return code;
  vfp_cli_workflow (cli, host->sysfs, &wf);
  items = vfp_detach_select (&wf, vfp_virt_domain_uuid (guest->dom), argv + 2, argc - 2, all, &error);
  if (items == NULL)
    return vfp_cli_error (cli, VFP_EXIT_FAILED, _("%s: %s"), vfp_virt_domain_name (guest->dom), error->message);

  vfp_json_begin_array (json);
  for (i = 0; i < items->len; i++)
    {
      VfpDetachItem *it = items->pdata[i];

      vfp_detach_one (&wf, guest, it, (guint) timeout_s * 1000);
      stuck += !report (cli, guest, it);
      vfp_json_begin_object (json);
      vfp_json_member_string (json, "address", it->vf);
      vfp_json_member_string (json, "alias", it->alias);
      vfp_json_member_string (json, "state", outcome_name (it->outcome));
      vfp_json_member_string (json, "error", it->failure);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  if (cli->json)
    vfp_cli_print_json (cli, json);
  return stuck > 0 ? VFP_EXIT_FAILED : VFP_EXIT_OK;
}
