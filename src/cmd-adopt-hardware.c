/* vfpool adopt-hardware PF: the operator accepts the card now at PF's
 * address as the one whose VFs vfpool may hand out, after a card was
 * replaced or the buses were numbered anew. Only a human can say that: the
 * audit reports such a change (identity-changed) and --fix never accepts
 * it. The leases of the PF's VFs stay as they are. */
#include "config.h"

#include <stdio.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-identity.h"
#include "vfp-log.h"

/* How many leases name a VF of PF. */
static guint
count_leases (VfpState *state, const char *pf)
{
  g_autoptr (GPtrArray) leases = vfp_state_list_unsorted (state);
  guint i, n = 0;

  for (i = 0; i < leases->len; i++)
    n += g_strcmp0 (((VfpLease *) leases->pdata[i])->pf, pf) == 0;
  return n;
}

int
vfp_cmd_adopt_hardware (VfpCli *cli, int argc, char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (VfpPool) pool = NULL;
  VfpState *state;
  g_autoptr (VfpIdentity) id = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *identity = NULL, *model = NULL, *previous = NULL, *msg = NULL;
  const VfpPfRecord *rec;
  const char *address;
  VfpPf *pf;
  guint leased;
  int code = VFP_EXIT_OK;

  if (!vfp_cli_parse (cli, "adopt-hardware", N_("PF"),
                      N_("Accept the card now at a PF's address (PCI address or netdev name) as the one whose VFs vfpool hands out, after the audit reported identity-changed."),
                      entries, &argc, &argv, &code))
    return code;
  if (argc != 2)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("adopt-hardware needs one PF: vfpool adopt-hardware 0000:05:00.0"));
  host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, &code);
  if (host == NULL)
    return code;
  pf = vfp_sysfs_find_pf (host->sysfs, argv[1]);
  if (pf == NULL)
    return vfp_cli_error (cli, VFP_EXIT_FAILED,
                          _("'%s' names no SR-IOV PF on this host ('vfpool status' lists them); there is no card to adopt."),
                          argv[1]);
  address = pf->fn.address;
  id = vfp_identity_new (host->sysfs->root);
  if (!vfp_identity_read (id, address, &identity, &model))
    return vfp_cli_error (cli, VFP_EXIT_FAILED, _("Cannot read the identity of PF %s from sysfs; nothing was changed."), address);
  pool = vfp_cli_begin (cli, host->sysfs, &code);
  if (pool == NULL)
    return code;
  state = vfp_pool_state (pool);
  rec = vfp_state_get_pf (state, address);
  previous = rec ? g_strdup (rec->identity) : NULL;
  if (rec == NULL || g_strcmp0 (rec->identity, identity) != 0 || g_strcmp0 (rec->model, model) != 0)
    {
      vfp_state_set_pf (state, address, identity, model, g_get_real_time () / G_USEC_PER_SEC);
      if (!vfp_pool_commit (pool, &error))
        return vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
      msg = previous != NULL
            ? g_strdup_printf (_("PF %s is now known as the card %s (it was %s); its VFs are handed out again."),
                               address, identity, previous)
            : g_strdup_printf (_("PF %s is now known as the card %s."), address, identity);
      vfp_log_event (msg);
    }
  else
    msg = g_strdup_printf (_("PF %s is the card vfpool knows (%s); nothing changed."), address, identity);
  leased = count_leases (state, address);
  if (cli->json)
    {
      g_autoptr (VfpJson) json = vfp_json_new ();

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "pf", address);
      vfp_json_member_string (json, "identity", identity);
      vfp_json_member_string (json, "model", model);
      vfp_json_member_string (json, "previous", previous);
      vfp_json_member_bool (json, "changed", g_strcmp0 (previous, identity) != 0);
      vfp_json_member_int (json, "leases", leased);
      vfp_json_end_object (json);
      vfp_cli_print_json (cli, json);
    }
  else if (!cli->quiet)
    {
      printf ("%s\n", msg);
      if (leased > 0 && g_strcmp0 (previous, identity) != 0)
        printf (_("Leases of VFs of this PF: %u; they stay as they are ('vfpool list' shows them).\n"), leased);
    }
  return VFP_EXIT_OK;
}
