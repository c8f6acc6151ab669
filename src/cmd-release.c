/* vfpool release VF... | --owner LABEL: end holds made with reserve. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-pool.h"

int
vfp_cmd_release (VfpCli *cli, int argc, char **argv)
{
  g_autofree char *owner = NULL;
  GOptionEntry entries[] = {
    { "owner", 0, 0, G_OPTION_ARG_FILENAME, &owner, N_("Release every VF this owner holds"), N_("LABEL") },
    { NULL }
  };
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (VfpPool) pool = NULL;
  g_autoptr (GPtrArray) failures = g_ptr_array_new_with_free_func (g_free);
  int code = VFP_EXIT_OK;
  int i;

  if (!vfp_cli_parse (cli, "release", N_("[VF...]"),
                      N_("Free VFs held with 'vfpool reserve' (or quarantined VFs an operator has checked)."),
                      entries, &argc, &argv, &code))
    return code;
  if ((argc > 1) == (owner != NULL))
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("release needs VF addresses or --owner LABEL (not both)."));

  pool = vfp_cli_open_pool (cli, &host, &code);
  if (pool == NULL)
    return code;
  if (owner != NULL)
    {
      guint n = vfp_pool_release_owner (pool, owner);
      guint j;

      /* a VF whose scrub failed is quarantined: a failure, with the reason */
      for (j = 0; j < vfp_pool_events (pool)->len; j++)
        {
          VfpEvent *e = vfp_pool_events (pool)->pdata[j];

          if (strcmp (e->op, "quarantine") == 0)
            g_ptr_array_add (failures, g_strdup (e->message));
        }
      if (n == 0 && failures->len == 0)
        g_ptr_array_add (failures, g_strdup_printf (_("'%s' holds no VF."), owner));
    }
  for (i = 1; i < argc; i++)
    {
      g_autoptr (GError) e = NULL;
      VfpAddr addr;
      char buf[VFP_ADDR_STRLEN];

      if (!vfp_addr_parse (argv[i], &addr, &e) || !vfp_pool_release (pool, vfp_addr_format (&addr, buf), &e))
        g_ptr_array_add (failures, g_strdup (e->message));
    }
  if (!vfp_cli_commit (cli, pool))
    return VFP_EXIT_ERROR;
  if (cli->json)
    {
      g_autoptr (VfpJson) json = vfp_json_new ();
      guint j, released = 0;

      /* a VF whose scrub failed was quarantined, not released */
      for (j = 0; j < vfp_pool_events (pool)->len; j++)
        {
          const char *op = ((VfpEvent *) vfp_pool_events (pool)->pdata[j])->op;

          released += strcmp (op, "release") == 0 || strcmp (op, "scrub") == 0;
        }
      vfp_json_begin_object (json);
      vfp_json_member_int (json, "released", released);
      vfp_json_key (json, "errors");
      vfp_json_begin_array (json);
      for (j = 0; j < failures->len; j++)
        vfp_json_string (json, failures->pdata[j]);
      vfp_json_end_array (json);
      vfp_json_end_object (json);
      vfp_cli_print_json (cli, json);
    }
  for (i = 0; i < (int) failures->len; i++)
    vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", (const char *) failures->pdata[i]);
  return failures->len > 0 ? VFP_EXIT_FAILED : VFP_EXIT_OK;
}
