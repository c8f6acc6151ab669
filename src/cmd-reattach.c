/* vfpool reattach --uuid UUID: started by the qemu hook (fully detached)
 * after a guest arrived by migration. Waits until the guest runs here,
 * then runs the reattach workflow (vfp-reattach.c) and prints the outcome. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-cli.h"
#include "vfp-error.h"
#include "vfp-guest.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-reattach.h"

/* The guest UUID once it runs here, waiting up to TIMEOUT_S (it arrives
 * paused and resumes when its memory is here); NULL with the error printed
 * and logged. */
static VfpGuest *
wait_running (VfpCli *cli, VfpVirt *virt, const char *uuid, int timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (VfpGuest) guest = vfp_guest_open (virt, uuid, cli->state_dir, &error);

      if (guest != NULL && guest->active && vfp_virt_domain_is_running (guest->dom))
        return g_steal_pointer (&guest);
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *msg = g_strdup_printf (_("Guest %s did not run here within %d s; its reserved VFs are left for 'vfpool audit'."),
                                                  uuid, timeout_s);

          vfp_log_event (msg);
          vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", msg);
          return NULL;
        }
      g_usleep (200 * 1000);
    }
}

/* The JSON document of the outcome: the guest and each VF of TODO. */
static void
print_json (VfpCli *cli, const char *uuid, GPtrArray *todo)
{
  g_autoptr (VfpJson) json = vfp_json_new ();
  guint i;

  vfp_json_begin_object (json);
  vfp_json_member_string (json, "uuid", uuid);
  vfp_json_key (json, "vfs");
  vfp_json_begin_array (json);
  for (i = 0; i < todo->len; i++)
    {
      VfpReattachItem *it = todo->pdata[i];

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "address", it->vf);
      vfp_json_member_bool (json, "attached", it->attached);
      vfp_json_member_string (json, "error", it->attached ? NULL : it->why);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  vfp_json_end_object (json);
  vfp_cli_print_json (cli, json);
}

int
vfp_cmd_reattach (VfpCli *cli, int argc, char **argv)
{
  g_autofree char *uuid = NULL;
  int timeout_s = 300;
  GOptionEntry entries[] = {
    { "uuid", 0, 0, G_OPTION_ARG_FILENAME, &uuid, N_("The guest's UUID"), N_("UUID") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s, N_("Seconds to wait for the guest to run here (default 300)"), N_("S") },
    { NULL }
  };
  g_autoptr (VfpVirt) virt = NULL;
  g_autoptr (VfpGuest) guest = NULL;
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (GPtrArray) todo = NULL;
  g_autoptr (GPtrArray) meta_add = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  VfpWorkflow wf;
  int code = VFP_EXIT_OK;
  guint i, failed = 0;

  if (!vfp_cli_parse (cli, "reattach", NULL,
                      N_("Attach the VFs reserved for a guest that arrived by migration, once it runs."),
                      entries, &argc, &argv, &code))
    return code;
  if (uuid == NULL || argc != 1)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("reattach needs --uuid UUID."));
  host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, &code);
  if (host == NULL)
    return code;
  vfp_cli_workflow (cli, host->sysfs, &wf);
  todo = vfp_reattach_pending (&wf, uuid, &error);
  if (todo == NULL)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
  if (todo->len == 0)
    {
      if (cli->json)
        print_json (cli, uuid, todo);
      return VFP_EXIT_OK;
    }
  virt = vfp_virt_open (cli->uri, FALSE, &error);
  if (virt == NULL)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
  guest = wait_running (cli, virt, uuid, timeout_s);
  if (guest == NULL)
    return VFP_EXIT_FAILED;
  for (i = 0; i < todo->len; i++)
    {
      VfpReattachItem *it = todo->pdata[i];

      vfp_reattach_one (&wf, guest, it, meta_add);
      if (!it->attached)
        {
          g_autofree char *msg = g_strdup_printf (_("Could not give VF %s back to guest %s after its migration: %s"),
                                                  it->vf, vfp_virt_domain_name (guest->dom), it->why);

          vfp_log_event (msg);
          vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", msg);
          failed++;
        }
    }
  if (cli->json)
    print_json (cli, uuid, todo);
  if (meta_add->len > 0 && !vfp_guest_write_metadata (guest, meta_add, NULL, TRUE, FALSE, &error))
    vfp_cli_warn (cli, "%s", error->message);
  return failed > 0 ? VFP_EXIT_FAILED : VFP_EXIT_OK;
}
