/* vfpool list: one line per VF, with its lease. */
#include "config.h"

#include <stdio.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-stray.h"
#include "vfp-table.h"

/* The pool of VF on a PF of pool PC: its lease's, else PC's when vfs= and
 * exclude= let the pool hand it out, else none. */
static const char *
pool_of (VfpPoolConfig *pc, VfpVf *vf, const VfpLease *l)
{
  if (l != NULL)
    return l->pool;
  return pc != NULL && vfp_pool_config_covers (pc, vf) ? pc->name : NULL;
}

/* The stray leases (vfp-stray.h) by lease, for the rows of their VFs. */
static GHashTable *
index_strays (GPtrArray *strays)
{
  GHashTable *by_lease = g_hash_table_new (NULL, NULL);
  guint i;

  for (i = 0; i < strays->len; i++)
    g_hash_table_insert (by_lease, (gpointer) ((VfpStray *) strays->pdata[i])->lease, strays->pdata[i]);
  return by_lease;
}

static const char *
problem_code (VfpStray *s)
{
  if (s == NULL)
    return NULL;
  return s->kind == VFP_STRAY_MISSING_VF ? "missing-vf" : "wrong-pf";
}

/* The lease's own members of a list --json row. */
static void
json_lease (VfpJson *json, const VfpLease *l, const char *pool, VfpStray *stray, int index)
{
  vfp_json_member_string (json, "pool", l ? l->pool : pool);
  vfp_json_member_string (json, "state", vfp_lease_state_name (l ? l->state : VFP_LEASE_FREE));
  vfp_json_member_string (json, "owner", l ? vfp_lease_owner (l) : NULL);
  vfp_json_member_string (json, "owner_uuid", l ? l->owner_uuid : NULL);
  vfp_json_member_string (json, "mac", l ? l->mac : NULL);
  vfp_json_key (json, "vlan");
  l && l->vlan >= 0 ? vfp_json_int (json, l->vlan) : vfp_json_null (json);
  vfp_json_member_string (json, "alias", l ? l->alias : NULL);
  vfp_json_member_string (json, "reason", l && l->state == VFP_LEASE_QUARANTINED ? l->note : NULL);
  vfp_json_key (json, "expires");
  l && l->expires > 0 ? vfp_json_int (json, l->expires) : vfp_json_null (json);
  /* what vfpool applied through the PF; a setting it left alone is null
   * (and all of it for a lease of a VF the kernel does not have) */
  vfp_json_key (json, "vf_settings");
  if (l && l->vf_settings && index >= 0)
    {
      VfpVfSettings s = *l->vf_settings;

      s.index = index;
      vfp_vf_settings_json (json, &s);
    }
  else
    vfp_json_null (json);
  vfp_json_member_string (json, "problem", problem_code (stray));
}

static void
print_json (VfpCli *cli, VfpHost *host, VfpState *state, GPtrArray *strays)
{
  g_autoptr (VfpJson) json = vfp_json_new ();
  g_autoptr (GHashTable) by_lease = index_strays (strays);
  guint i, j;

  /* thousands of VFs: written as they come, never whole in memory */
  vfp_json_stream_to (json, stdout);

  vfp_json_begin_array (json);
  for (i = 0; i < host->pfs->len; i++)
    {
      VfpPf *pf = ((VfpHostPf *) host->pfs->pdata[i])->pf;
      VfpPoolConfig *pc = vfp_config_pool_of_pf (cli->config, pf->fn.address);

      for (j = 0; j < pf->vfs->len; j++)
        {
          VfpVf *vf = pf->vfs->pdata[j];
          const VfpLease *l = state ? vfp_state_get (state, vf->fn.address) : NULL;

          vfp_json_begin_object (json);
          vfp_cli_json_function (json, host, &vf->fn);
          vfp_json_member_string (json, "pf", pf->fn.address);
          vfp_json_member_int (json, "index", vf->index);
          json_lease (json, l, pool_of (pc, vf, l), l ? g_hash_table_lookup (by_lease, l) : NULL, vf->index);
          vfp_json_end_object (json);
        }
    }
  /* leases of VFs the kernel does not have: shown, not hidden */
  for (i = 0; i < strays->len; i++)
    {
      VfpStray *s = strays->pdata[i];

      if (s->kind != VFP_STRAY_MISSING_VF)
        continue;
      vfp_json_begin_object (json);
      vfp_json_member_string (json, "address", s->lease->vf);
      vfp_json_member_string (json, "pf", s->lease->pf);
      vfp_json_key (json, "index");
      vfp_json_null (json);
      json_lease (json, s->lease, NULL, s, -1);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  vfp_cli_print_json (cli, json);
}

int
vfp_cmd_list (VfpCli *cli, int argc, char **argv)
{
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (VfpTable) table = NULL;
  g_autoptr (VfpState) state = NULL;
  g_autoptr (GPtrArray) strays = NULL;
  int code = VFP_EXIT_OK;
  guint i, j;

  if (!vfp_cli_parse (cli, "list", NULL, N_("One line per SR-IOV virtual function (VF), with its lease."),
                      NULL, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("list takes no arguments; see 'vfpool list --help'."));
  host = vfp_cli_load_host (cli, VFP_HOST_NODEDEVS, &code);
  if (host == NULL)
    return code;
  state = vfp_cli_open_state (cli, TRUE, &code);
  if (code != VFP_EXIT_OK)
    return code;
  strays = vfp_cli_warn_strays (cli, host, state);
  if (cli->json)
    {
      print_json (cli, host, state, strays);
      return VFP_EXIT_OK;
    }
  if (vfp_sysfs_count_vfs (host->sysfs) == 0 && strays->len == 0)
    {
      printf (_("No VF found under %s.\n"), host->sysfs->root);
      return VFP_EXIT_OK;
    }
  table = vfp_table_new (_("VF"), _("PF"), _("INDEX"), _("NETDEV"), _("DRIVER"),
                         _("IOMMU GROUP"), _("NUMA"), _("POOL"), _("STATE"), _("OWNER"),
                         _("MAC"), _("VLAN"), NULL);
  for (i = 0; i < host->pfs->len; i++)
    {
      VfpPf *pf = ((VfpHostPf *) host->pfs->pdata[i])->pf;
      VfpPoolConfig *pc = vfp_config_pool_of_pf (cli->config, pf->fn.address);

      for (j = 0; j < pf->vfs->len; j++)
        {
          VfpVf *vf = pf->vfs->pdata[j];
          const VfpLease *l = state ? vfp_state_get (state, vf->fn.address) : NULL;
          g_autofree char *index = g_strdup_printf ("%u", vf->index);
          g_autofree char *numa = vfp_cli_numa (vf->fn.numa_node);
          g_autofree char *vlan = l && l->vlan >= 0 ? g_strdup_printf ("%d", l->vlan) : g_strdup ("-");
          g_autofree char *group = NULL;

          if (vf->fn.iommu_group < 0)
            group = g_strdup ("-");
          else if (vf->fn.iommu_group_size > 1)
            group = g_strdup_printf (_("%d (shared)"), vf->fn.iommu_group);
          else
            group = g_strdup_printf ("%d", vf->fn.iommu_group);
          vfp_table_add_row (table, vf->fn.address, pf->fn.address, index,
                             vfp_cli_netdev (&vf->fn), vfp_cli_or_dash (vf->fn.driver),
                             group, numa, vfp_cli_or_dash (pool_of (pc, vf, l)),
                             vfp_lease_state_name (l ? l->state : VFP_LEASE_FREE),
                             vfp_cli_or_dash (l ? vfp_lease_owner (l) : NULL),
                             vfp_cli_or_dash (l ? l->mac : NULL), vlan, NULL);
        }
    }
  for (i = 0; i < strays->len; i++)
    {
      const VfpLease *l = ((VfpStray *) strays->pdata[i])->lease;
      g_autofree char *vlan = l->vlan >= 0 ? g_strdup_printf ("%d", l->vlan) : g_strdup ("-");

      if (((VfpStray *) strays->pdata[i])->kind == VFP_STRAY_MISSING_VF)
        vfp_table_add_row (table, l->vf, vfp_cli_or_dash (l->pf), "-", "-", "-", "-", "-",
                           vfp_cli_or_dash (l->pool), vfp_lease_state_name (l->state),
                           vfp_cli_or_dash (vfp_lease_owner (l)), vfp_cli_or_dash (l->mac), vlan, NULL);
    }
  vfp_table_print (table, stdout);
  vfp_cli_print_quarantined (state);
  return VFP_EXIT_OK;
}
