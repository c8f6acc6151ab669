/* vfpool reserve: hold VFs for a consumer outside libvirt (a DPDK
 * application, maintenance) and print their addresses. */
#include "config.h"

#include <stdio.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-pool.h"
#include "vfp-table.h"
#include "vfp-text.h"

static void
print_explain_text (GPtrArray *explain)
{
  g_autoptr (VfpTable) table = vfp_table_new (_("VF"), _("PF"), _("INDEX"), _("CHOSEN"), _("WHY"), NULL);
  guint i;

  for (i = 0; i < explain->len; i++)
    {
      VfpExplain *e = explain->pdata[i];
      g_autofree char *index = g_strdup_printf ("%u", e->index);

      vfp_table_add_row (table, e->vf, e->pf, index, e->chosen ? _("yes") : _("no"), e->reason, NULL);
    }
  vfp_table_print (table, stdout);
}

/* The outcome as one JSON document: the picks (VfpPick*) and their leases
 * in POOL (none in a dry run); ERROR, when the reservation failed. */
static void
print_json (VfpCli *cli, VfpPool *pool, GPtrArray *leases, GPtrArray *explain, const char *owner, gboolean dry_run,
            const char *error)
{
  g_autoptr (VfpJson) json = vfp_json_new ();
  guint i;

  vfp_json_begin_object (json);
  vfp_json_member_string (json, "owner", owner);
  vfp_json_member_bool (json, "dry_run", dry_run);
  vfp_json_key (json, "vfs");
  vfp_json_begin_array (json);
  for (i = 0; leases && i < leases->len; i++)
    {
      VfpPick *p = leases->pdata[i];
      const VfpLease *l = dry_run ? NULL : vfp_pool_lease (pool, p->vf);

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "address", p->vf);
      vfp_json_member_string (json, "pf", p->pf);
      vfp_json_member_string (json, "pool", p->pool);
      vfp_json_key (json, "expires");
      l != NULL && l->expires > 0 ? vfp_json_int (json, l->expires) : vfp_json_null (json);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  if (explain != NULL)
    vfp_cli_json_explain (json, explain);
  if (error != NULL)
    vfp_json_member_string (json, "error", error);
  vfp_json_end_object (json);
  vfp_cli_print_json (cli, json);
}

int
vfp_cmd_reserve (VfpCli *cli, int argc, char **argv)
{
  g_autofree char *owner = NULL, *pool_name = NULL, *duration = NULL;
  int count = 1, numa = -1;
  gboolean dry_run = FALSE, explain = FALSE;
  GOptionEntry entries[] = {
    { "owner", 0, 0, G_OPTION_ARG_FILENAME, &owner, N_("Who holds the VFs (required), e.g. dpdk-fw1"), N_("LABEL") },
    { "pool", 0, 0, G_OPTION_ARG_FILENAME, &pool_name, N_("Pool to take VFs from (default: the default pool)"), N_("NAME") },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, N_("Number of VFs, on distinct PFs where possible (default 1)"), N_("N") },
    { "for", 0, 0, G_OPTION_ARG_FILENAME, &duration, N_("Release by itself after this long: 90s, 30m, 2h, 7d (default: never)"), N_("DURATION") },
    { "numa-node", 0, 0, G_OPTION_ARG_INT, &numa, N_("NUMA node the consumer runs on"), N_("NODE") },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, N_("Show what would be reserved; change nothing"), NULL },
    { "explain", 0, 0, G_OPTION_ARG_NONE, &explain, N_("Say for every VF of the pool why it was or was not chosen"), NULL },
    { NULL }
  };
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (VfpPool) pool = NULL;
  g_autoptr (GPtrArray) leases = NULL;
  g_autoptr (GPtrArray) why = NULL;
  g_autoptr (GError) error = NULL;
  VfpReserveRequest req = { 0 };
  int code = VFP_EXIT_OK;
  guint i;

  if (!vfp_cli_parse (cli, "reserve", NULL,
                      N_("Hold free VFs for a user outside libvirt and print their addresses."),
                      entries, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("reserve takes no arguments; see 'vfpool reserve --help'."));
  if (owner == NULL || *owner == '\0')
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("reserve needs --owner LABEL: who holds the VFs."));
  if (!g_utf8_validate (owner, -1, NULL))
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("The --owner label is not valid UTF-8 text; use a label such as dpdk-fw1."));
  /* the label goes into the store and onto terminals: refused here, where
   * the user can still choose another */
  if (!vfp_text_check (owner, _("--owner label"), &error))
    return vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
  if (count < 1 || count > 4096)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("--count must be between 1 and 4096, not %d."), count);
  if (duration != NULL && !vfp_cli_parse_duration (duration, &req.hold_seconds))
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("--for '%s' is not a duration like 90s, 30m, 2h or 7d."), duration);
  if (numa != -1)
    {
      g_autofree char *known = NULL;

      /* a node the host lacks would match no VF, or every VF with numa=prefer */
      if (!vfp_sysfs_has_numa_node (cli->sysfs_root, numa, &known))
        return known != NULL
               ? vfp_cli_error (cli, VFP_EXIT_ERROR, _("--numa-node %d: this host has no such NUMA node (it has: %s); give one of those."), numa, known)
               : vfp_cli_error (cli, VFP_EXIT_ERROR, _("--numa-node %d: this host lists no NUMA node in %s/devices/system/node; leave the option out."), numa, cli->sysfs_root);
    }

  pool = vfp_cli_open_pool (cli, &host, &code);
  if (pool == NULL)
    return code;
  req.pool = pool_name;
  req.count = count;
  req.owner_label = owner;
  req.numa_node = numa;
  req.dry_run = dry_run;
  if (explain)
    why = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_explain_free);
  leases = vfp_pool_reserve (pool, &req, why, &error);
  if (leases != NULL && !vfp_pool_commit (pool, &error))
    g_clear_pointer (&leases, g_ptr_array_unref);
  vfp_cli_print_events (cli, vfp_pool_events (pool));
  if (cli->json)
    print_json (cli, pool, leases, why, owner, dry_run, leases ? NULL : error->message);
  else
    {
      if (why != NULL)
        print_explain_text (why);
      for (i = 0; leases && i < leases->len; i++)
        printf ("%s\n", ((VfpPick *) leases->pdata[i])->vf);
    }
  if (leases == NULL)
    return vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", error->message);
  return VFP_EXIT_OK;
}
