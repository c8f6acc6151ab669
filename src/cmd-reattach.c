/* vfpool reattach --uuid UUID: started by the qemu hook (fully detached)
 * after a guest arrived by migration. Waits until the guest runs here,
 * then attaches the VFs the destination hook reserved for it, with the
 * MACs and VLANs of its metadata. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-cli.h"
#include "vfp-error.h"
#include "vfp-guest.h"
#include "vfp-hook.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-pool.h"

typedef struct {
  const char *vf;
  gboolean ok;
  const char *why;
} Outcome;

static void
record (VfpPool *pool, gpointer data)
{
  const Outcome *o = data;
  g_autoptr (GError) error = NULL;

  if (o->ok)
    vfp_pool_mark_attached (pool, o->vf, NULL, &error);
  else
    vfp_pool_mark_free (pool, o->vf, o->why);
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
  g_autoptr (GPtrArray) todo = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) meta_add = g_ptr_array_new ();
  g_autoptr (GHashTable) refused = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (VfpJson) json = vfp_json_new ();
  g_autoptr (GError) error = NULL;
  gint64 deadline;
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
  {
    g_autoptr (VfpState) state = vfp_cli_open_state (cli, FALSE, &code);
    g_autoptr (VfpPool) pool = NULL;
    g_autoptr (GPtrArray) mine = NULL;

    if (state == NULL)
      return code;
    pool = vfp_pool_new (cli->config, host->sysfs, state);
    mine = vfp_pool_guest_leases (pool, uuid);
    for (i = 0; i < mine->len; i++)
      {
        VfpLease *l = mine->pdata[i];

        g_autoptr (GError) changed = NULL;

        if (l->state != VFP_LEASE_RESERVED || l->pid != 0 || g_strcmp0 (l->note, VFP_MIGRATION_NOTE) != 0)
          continue;
        g_ptr_array_add (todo, g_strdup (l->vf));
        /* reserved by the hook, but the card may have changed since */
        if (!vfp_pool_check_pf (pool, host->sysfs->root, l->pf, FALSE, &changed))
          g_hash_table_insert (refused, g_strdup (l->vf), g_strdup (changed->message));
      }
  }
  if (todo->len == 0)
    {
      if (cli->json)
        {
          vfp_json_begin_object (json);
          vfp_json_member_string (json, "uuid", uuid);
          vfp_json_key (json, "vfs");
          vfp_json_begin_array (json);
          vfp_json_end_array (json);
          vfp_json_end_object (json);
          vfp_cli_print_json (cli, json);
        }
      return VFP_EXIT_OK;
    }

  virt = vfp_virt_open (cli->uri, FALSE, &error);
  if (virt == NULL)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
  /* The guest arrives paused and resumes when its memory is here. */
  deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  for (;;)
    {
      g_clear_pointer (&guest, vfp_guest_free);
      g_clear_error (&error);
      guest = vfp_guest_open (virt, uuid, cli->state_dir, &error);
      if (guest != NULL && guest->active && vfp_virt_domain_is_running (guest->dom))
        break;
      if (g_get_monotonic_time () > deadline)
        {
          g_autofree char *msg = g_strdup_printf (_("Guest %s did not run here within %d s; its reserved VFs are left for 'vfpool audit'."),
                                                  uuid, timeout_s);

          vfp_log_event (msg);
          return vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", msg);
        }
      g_usleep (200 * 1000);
    }

  vfp_json_begin_object (json);
  vfp_json_member_string (json, "uuid", uuid);
  vfp_json_key (json, "vfs");
  vfp_json_begin_array (json);
  for (i = 0; i < todo->len; i++)
    {
      const char *vf = todo->pdata[i];
      Outcome o = { vf, FALSE, NULL };
      g_autoptr (VfpLease) copy = NULL;
      g_autofree char *why = NULL;
      VfpMetaVf *m = NULL;
      guint j;

      /* the lease's alias names the metadata entry */
      {
        g_autoptr (VfpState) state = vfp_cli_open_state (cli, FALSE, &code);
        VfpLease *l = state ? vfp_state_get (state, vf) : NULL;

        if (l != NULL && l->alias != NULL)
          for (j = 0; j < guest->live->meta->len; j++)
            if (g_strcmp0 (((VfpMetaVf *) guest->live->meta->pdata[j])->alias, l->alias) == 0)
              m = guest->live->meta->pdata[j];
      }
      g_clear_error (&error);
      if (g_hash_table_contains (refused, vf))
        why = g_strdup (g_hash_table_lookup (refused, vf));
      else if (m == NULL)
        why = g_strdup (_("the guest's metadata does not describe it"));
      else if (!vfp_guest_attach_meta (guest, vfp_cli_template_dirs (cli), m, vf, TRUE, FALSE, &error))
        why = g_strdup (error->message);
      else
        {
          o.ok = TRUE;
          g_free (m->address);
          m->address = g_strdup (vf);
          g_ptr_array_add (meta_add, m);
        }
      o.why = why;
      if (!o.ok)
        {
          g_autofree char *msg = g_strdup_printf (_("Could not give VF %s back to guest %s after its migration: %s"),
                                                  vf, vfp_virt_domain_name (guest->dom), why);

          vfp_log_event (msg);
          vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", msg);
          failed++;
        }
      vfp_cli_with_pool (cli, host->sysfs, record, &o);
      vfp_json_begin_object (json);
      vfp_json_member_string (json, "address", vf);
      vfp_json_member_bool (json, "attached", o.ok);
      vfp_json_member_string (json, "error", o.ok ? NULL : why);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  vfp_json_end_object (json);
  if (cli->json)
    vfp_cli_print_json (cli, json);
  if (meta_add->len > 0 && !vfp_guest_write_metadata (guest, meta_add, NULL, TRUE, FALSE, &error))
    vfp_cli_warn (cli, "%s", error->message);
  return failed > 0 ? VFP_EXIT_FAILED : VFP_EXIT_OK;
}
