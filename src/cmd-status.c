/* vfpool status: one line per PF, and one per pool, with lease counts. */
#include "config.h"

#include <stdio.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-stray.h"
#include "vfp-table.h"

#define N_STATES (VFP_LEASE_QUARANTINED + 1)

/* Counts the VFs of PF by lease state (no lease: free). A PF of pool PC
 * counts only the free VFs the pool may hand out (vfs=, exclude=): a pool
 * of 2 VFs on a PF of 16 has 2 free. Leased VFs always count, also those
 * a changed vfs= no longer covers: they are still in use. */
static void
count_pf (VfpState *state, VfpPoolConfig *pc, VfpPf *pf, guint counts[N_STATES])
{
  guint j;

  for (j = 0; j < pf->vfs->len; j++)
    {
      VfpVf *vf = pf->vfs->pdata[j];
      const VfpLease *l = state ? vfp_state_get (state, vf->fn.address) : NULL;

      if (l == NULL && pc != NULL && !vfp_pool_config_covers (pc, vf))
        continue;
      counts[l ? l->state : VFP_LEASE_FREE]++;
    }
}

static void
json_counts (VfpJson *json, const guint counts[N_STATES])
{
  guint s;

  vfp_json_key (json, "vfs_by_state");
  vfp_json_begin_object (json);
  for (s = 0; s < N_STATES; s++)
    vfp_json_member_int (json, vfp_lease_state_name (s), counts[s]);
  vfp_json_end_object (json);
}

/* The leases the counts above cannot show (vfp-stray.h). */
static void
json_strays (VfpJson *json, GPtrArray *strays)
{
  guint i;

  vfp_json_key (json, "stray_leases");
  vfp_json_begin_array (json);
  for (i = 0; i < strays->len; i++)
    {
      VfpStray *s = strays->pdata[i];

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "address", s->lease->vf);
      vfp_json_member_string (json, "problem", s->kind == VFP_STRAY_MISSING_VF ? "missing-vf" : "wrong-pf");
      vfp_json_member_string (json, "pf", s->lease->pf);
      vfp_json_member_string (json, "state", vfp_lease_state_name (s->lease->state));
      vfp_json_member_string (json, "owner", vfp_lease_owner (s->lease));
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
}

static void
print_json (VfpCli *cli, VfpHost *host, VfpState *state, GPtrArray *strays)
{
  g_autoptr (VfpJson) json = vfp_json_new ();
  guint i, j;

  /* thousands of VFs: written as they come, never whole in memory */
  vfp_json_stream_to (json, stdout);

  vfp_json_begin_object (json);
  vfp_json_member_string (json, "sysfs_root", host->sysfs->root);
  vfp_json_key (json, "pfs");
  vfp_json_begin_array (json);
  for (i = 0; i < host->pfs->len; i++)
    {
      VfpHostPf *hpf = host->pfs->pdata[i];
      VfpPoolConfig *pc = vfp_config_pool_of_pf (cli->config, hpf->pf->fn.address);
      guint counts[N_STATES] = { 0 };

      count_pf (state, pc, hpf->pf, counts);
      vfp_json_begin_object (json);
      vfp_cli_json_function (json, host, &hpf->pf->fn);
      vfp_json_member_string (json, "vendor", hpf->vendor_name);
      vfp_json_member_string (json, "device", hpf->device_name);
      vfp_json_member_int (json, "num_vfs", hpf->pf->num_vfs);
      vfp_json_member_int (json, "total_vfs", hpf->pf->total_vfs);
      vfp_json_member_string (json, "pool", pc ? pc->name : NULL);
      json_counts (json, counts);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  vfp_json_key (json, "pools");
  vfp_json_begin_array (json);
  for (i = 0; i < cli->config->pools->len; i++)
    {
      VfpPoolConfig *pc = cli->config->pools->pdata[i];
      guint counts[N_STATES] = { 0 };

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "name", pc->name);
      vfp_json_member_string (json, "policy", vfp_policy_name (pc->policy));
      vfp_json_key (json, "pfs");
      vfp_json_begin_array (json);
      for (j = 0; j < pc->pfs->len; j++)
        {
          vfp_json_string (json, ((VfpPf *) pc->pfs->pdata[j])->fn.address);
          count_pf (state, pc, pc->pfs->pdata[j], counts);
        }
      vfp_json_end_array (json);
      json_counts (json, counts);
      /* what attach applies through the PF; null: the driver's settings stay */
      vfp_json_key (json, "vf_settings");
      if (pc->vf.fields != 0)
        {
          g_autofree char *what = vfp_vf_settings_describe (&pc->vf);

          vfp_json_string (json, what);
        }
      else
        vfp_json_null (json);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  json_strays (json, strays);
  vfp_cli_json_quarantined (json, state);
  vfp_json_end_object (json);
  vfp_cli_print_json (cli, json);
}

static void
add_count_cells (GPtrArray *cells, const guint counts[N_STATES])
{
  guint s;

  for (s = 0; s < N_STATES; s++)
    g_ptr_array_add (cells, g_strdup_printf ("%u", counts[s]));
}

/* The table of PFs: one row per PF of HOST, its VFs counted by the
 * state of their leases in STATE. */
static void
print_pf_table (VfpCli *cli, VfpHost *host, VfpState *state)
{
  g_autoptr (VfpTable) table = NULL;
  guint i;

  table = vfp_table_new (_("PF"), _("NETDEV"), _("DRIVER"), _("VFS"), _("NUMA"), _("POOL"),
                         _("FREE"), _("RESERVED"), _("ATTACHED"), _("DETACHING"), _("QUARANTINED"),
                         _("DEVICE"), NULL);
  for (i = 0; i < host->pfs->len; i++)
    {
      VfpHostPf *hpf = host->pfs->pdata[i];
      VfpPf *pf = hpf->pf;
      VfpPoolConfig *pc = vfp_config_pool_of_pf (cli->config, pf->fn.address);
      g_autofree char *vfs = g_strdup_printf ("%u/%u", pf->num_vfs, pf->total_vfs);
      g_autofree char *numa = vfp_cli_numa (pf->fn.numa_node);
      g_autofree char *label = vfp_cli_device_label (hpf->vendor_name, hpf->device_name,
                                                     pf->fn.vendor_id, pf->fn.device_id);
      g_autoptr (GPtrArray) c = g_ptr_array_new_with_free_func (g_free);
      guint counts[N_STATES] = { 0 };

      count_pf (state, pc, pf, counts);
      add_count_cells (c, counts);
      vfp_table_add_row (table, pf->fn.address, vfp_cli_netdev (&pf->fn),
                         vfp_cli_or_dash (pf->fn.driver), vfs, numa,
                         vfp_cli_or_dash (pc ? pc->name : NULL),
                         c->pdata[0], c->pdata[1], c->pdata[2], c->pdata[3], c->pdata[4],
                         label, NULL);
    }
  vfp_table_print (table, stdout);
}

/* The table of pools, after a blank line, when the configuration has
 * any: their VFs counted by the state of their leases in STATE. */
static void
print_pool_table (VfpCli *cli, VfpState *state)
{
  g_autoptr (VfpTable) pools = NULL;
  guint i, j;

  if (cli->config->pools->len == 0)
    return;
  pools = vfp_table_new (_("POOL"), _("PFS"), _("POLICY"), _("FREE"),
                         _("RESERVED"), _("ATTACHED"), _("DETACHING"),
                         _("QUARANTINED"), _("VF SETTINGS"), NULL);
  for (i = 0; i < cli->config->pools->len; i++)
    {
      VfpPoolConfig *pc = cli->config->pools->pdata[i];
      g_autoptr (GPtrArray) c = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *n_pfs = g_strdup_printf ("%u", pc->pfs->len);
      g_autofree char *vf_settings = vfp_vf_settings_describe (&pc->vf);
      guint counts[N_STATES] = { 0 };

      for (j = 0; j < pc->pfs->len; j++)
        count_pf (state, pc, pc->pfs->pdata[j], counts);
      add_count_cells (c, counts);
      vfp_table_add_row (pools, pc->name, n_pfs, vfp_policy_name (pc->policy),
                         c->pdata[0], c->pdata[1], c->pdata[2], c->pdata[3], c->pdata[4],
                         *vf_settings ? vf_settings : "-", NULL);
    }
  printf ("\n");
  vfp_table_print (pools, stdout);
}

/* vfpool status: one line per PF and per pool, or --json. */
int
vfp_cmd_status (VfpCli *cli, int argc, char **argv)
{
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (VfpState) state = NULL;
  g_autoptr (GPtrArray) strays = NULL;
  int code = VFP_EXIT_OK;

  if (!vfp_cli_parse (cli, "status", NULL, N_("One line per SR-IOV physical function (PF) and per pool, with VFs by lease state."),
                      NULL, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("status takes no arguments; see 'vfpool status --help'."));
  host = vfp_cli_load_host (cli, VFP_HOST_PCI_DETAILS | VFP_HOST_NODEDEVS, &code);
  if (host == NULL)
    return code;
  state = vfp_cli_open_state (cli, TRUE, &code);
  if (code != VFP_EXIT_OK)
    return code;
  /* leases the counts cannot show: said, not hidden */
  strays = vfp_cli_warn_strays (cli, host, state);
  if (cli->json)
    {
      print_json (cli, host, state, strays);
      return VFP_EXIT_OK;
    }
  if (host->pfs->len == 0)
    {
      printf (_("No SR-IOV physical function found under %s.\n"), host->sysfs->root);
      return VFP_EXIT_OK;
    }
  print_pf_table (cli, host, state);
  print_pool_table (cli, state);
  vfp_cli_print_quarantined (state);
  return VFP_EXIT_OK;
}
