/* vfpool attach GUEST: parses the options, runs the attach workflow
 * (vfp-attach.c) and prints its outcome. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-attach.h"
#include "vfp-cli.h"
#include "vfp-error.h"
#include "vfp-guest.h"
#include "vfp-i18n.h"
#include "vfp-text.h"

/* "52:54:00:12:34:56": six hex pairs, unicast. */
static gboolean
valid_mac (const char *mac)
{
  guint b[6];
  char tail;

  return strlen (mac) == 17
         && sscanf (mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) == 6
         && (b[0] & 1) == 0;
}

/* The outcome as one JSON document: the VFs (with their device XML for
 * --print-xml and --dry-run), and --explain's reasons. */
static void
print_json (VfpCli *cli, VfpGuest *guest, GPtrArray *items, gboolean live, gboolean config,
            gboolean dry_run, gboolean with_xml, GPtrArray *why)
{
  g_autoptr (VfpJson) json = vfp_json_new ();
  guint i;

  vfp_json_begin_object (json);
  vfp_json_member_string (json, "guest", vfp_virt_domain_name (guest->dom));
  vfp_json_member_string (json, "uuid", vfp_virt_domain_uuid (guest->dom));
  vfp_json_member_bool (json, "live", live);
  vfp_json_member_bool (json, "config", config);
  vfp_json_member_bool (json, "dry_run", dry_run);
  vfp_json_key (json, "vfs");
  vfp_json_begin_array (json);
  for (i = 0; i < items->len; i++)
    {
      VfpAttachItem *it = items->pdata[i];

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "address", it->vf);
      vfp_json_member_string (json, "pf", it->pf);
      vfp_json_member_string (json, "pool", it->pool);
      vfp_json_member_string (json, "alias", it->alias);
      vfp_json_member_string (json, "mac", it->mac);
      vfp_json_key (json, "vlan");
      it->vlan >= 0 ? vfp_json_int (json, it->vlan) : vfp_json_null (json);
      vfp_json_key (json, "vf_settings");
      it->want.fields ? vfp_vf_settings_json (json, &it->want) : vfp_json_null (json);
      if (with_xml)
        vfp_json_member_string (json, "xml", it->xml);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  if (why != NULL)
    vfp_cli_json_explain (json, why);
  vfp_json_end_object (json);
  vfp_cli_print_json (cli, json);
}

/* The confirmation of an attach, one line per VF (none with -q). */
static void
print_text (VfpCli *cli, VfpGuest *guest, GPtrArray *items, gboolean live, gboolean config)
{
  guint i;

  if (cli->quiet)
    return;
  for (i = 0; i < items->len; i++)
    {
      VfpAttachItem *it = items->pdata[i];

      const char *where = live && config ? _("live and persistent") : live ? _("live") : _("persistent");

      /* the guest's name is libvirt's: its control characters escaped */
      g_autofree char *name = vfp_text_printable (vfp_virt_domain_name (guest->dom));

      if (it->mac)
        printf (_("VF %s attached to %s as %s (%s, MAC %s)\n"), it->vf, name, it->alias, where, it->mac);
      else
        printf (_("VF %s attached to %s as %s (%s)\n"), it->vf, name, it->alias, where);
      if (it->want.fields)
        {
          g_autofree char *what = vfp_vf_settings_describe (&it->want);

          printf (_("  with %s, set through PF %s and read back\n"), what, it->netdev);
        }
    }
}


/* The VF settings of the command line (OPTS: spoofchk, trust, link-state,
 * max-tx-rate, min-tx-rate, query-rss, NULL when not given) into *OVER,
 * checked merged over pool POOL_NAME's; FALSE with the error printed. */
static gboolean
parse_vf_settings (VfpCli *cli, const char *pool_name, char *const opts[6], VfpVfSettings *over,
                   int *code)
{
  static const VfpVfField fields[6] = {
    VFP_VF_SPOOFCHK, VFP_VF_TRUST, VFP_VF_LINK_STATE, VFP_VF_MAX_TX_RATE,
    VFP_VF_MIN_TX_RATE, VFP_VF_QUERY_RSS,
  };
  VfpPoolConfig *pc = vfp_config_pool_for (cli->config, pool_name, NULL);
  VfpVfSettings merged = { 0 };
  g_autoptr (GError) error = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (fields); i++)
    if (opts[i] != NULL && !vfp_vf_settings_parse (over, fields[i], opts[i], &error))
      {
        *code = vfp_cli_error (cli, VFP_EXIT_ERROR, _("--%s: %s."), vfp_vf_field_name (fields[i]), error->message);
        return FALSE;
      }
  if (pc != NULL)
    merged = pc->vf;
  vfp_vf_settings_merge (&merged, over);
  if (!vfp_vf_settings_check (&merged, &error))
    {
      *code = vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* Where the devices go, like virsh: without flags, live if the guest runs
 * and persistent if it is defined; and the failover partner, when asked
 * for, must be there. FALSE with the error printed. */
static gboolean
resolve_target (VfpCli *cli, VfpGuest *guest, const char *name, gboolean opt_live,
                gboolean opt_config, gboolean opt_persistent, VfpAttachRequest *req, int *code)
{
  gboolean none = !opt_live && !opt_config && !opt_persistent;

  req->live = opt_live || (opt_persistent && guest->active) || (none && guest->active);
  req->config = opt_config || opt_persistent || (none && guest->persistent);
  if (req->live && !guest->active)
    {
      *code = vfp_cli_error (cli, VFP_EXIT_FAILED, _("Guest '%s' is not running; use --config to attach to its definition."), name);
      return FALSE;
    }
  if (req->config && !guest->persistent)
    {
      *code = vfp_cli_error (cli, VFP_EXIT_FAILED, _("Guest '%s' is transient (not defined); attach with --live only."), name);
      return FALSE;
    }
  if (req->failover_of != NULL)
    {
      VfpDomNic *nic = vfp_domain_find_nic (guest->live ? guest->live : guest->config, req->failover_of);

      if (nic == NULL || nic->mac == NULL || g_strcmp0 (nic->teaming, "persistent") != 0)
        {
          *code = vfp_cli_error (cli, VFP_EXIT_FAILED,
                                 _("Guest '%s' has no interface '%s' with <teaming type='persistent'/> and a MAC; add it to the guest first (virtio-net failover)."),
                                 name, req->failover_of);
          return FALSE;
        }
    }
  return TRUE;
}

/* The options' own checks; FALSE with the error printed. */
static gboolean
check_options (VfpCli *cli, int argc, int count, const char *mac, int vlan,
               const char *failover_of, int timeout_s, int *code)
{
  if (argc != 2)
    *code = vfp_cli_error (cli, VFP_EXIT_ERROR, _("attach needs one guest: vfpool attach MyGuest"));
  else if (count < 1 || count > 64)
    *code = vfp_cli_error (cli, VFP_EXIT_ERROR, _("--count must be between 1 and 64, not %d."), count);
  else if (mac != NULL && (!valid_mac (mac) || count > 1))
    *code = vfp_cli_error (cli, VFP_EXIT_ERROR,
                           _("--mac '%s' must be one unicast MAC like 52:54:00:12:34:56, with --count 1."), mac);
  else if (vlan != -1 && (vlan < 1 || vlan > 4094))
    *code = vfp_cli_error (cli, VFP_EXIT_ERROR, _("--vlan must be between 1 and 4094, not %d."), vlan);
  else if (failover_of != NULL && (mac != NULL || count > 1))
    *code = vfp_cli_error (cli, VFP_EXIT_ERROR, _("--failover-of gives one VF the MAC of its virtio-net partner; do not add --mac or a --count above 1."));
  else if (timeout_s < 0)
    *code = vfp_cli_error (cli, VFP_EXIT_ERROR, _("--timeout must be 0 or more."));
  else
    return TRUE;
  return FALSE;
}

/* What --explain and --print-xml (or --dry-run) show before the attach. */
static void
print_preview (VfpCli *cli, VfpAttach *a, gboolean print_xml)
{
  guint i;

  if (a->explain != NULL && !cli->json)
    for (i = 0; i < a->explain->len; i++)
      {
        VfpExplain *e = a->explain->pdata[i];

        printf ("%s  %s  %s\n", e->vf, e->chosen ? "*" : " ", e->reason);
      }
  /* with --json, the XML is in the document */
  if ((print_xml || a->req->dry_run) && !cli->json)
    for (i = 0; i < a->items->len; i++)
      fputs (((VfpAttachItem *) a->items->pdata[i])->xml, stdout);
}

/* Runs the attach workflow for REQ on guest NAME and prints the outcome. */
static int
attach (VfpCli *cli, const char *name, VfpAttachRequest *req, gboolean opt_live,
        gboolean opt_config, gboolean opt_persistent, gboolean print_xml)
{
  g_autoptr (VfpVirt) virt = NULL;
  g_autoptr (VfpGuest) guest = NULL;
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (VfpAttach) a = NULL;
  g_autoptr (GError) error = NULL;
  VfpWorkflow wf;
  int code = VFP_EXIT_OK;

  guest = vfp_cli_open_guest (cli, name, &virt, &code);
  if (guest == NULL)
    return code;
  if (!resolve_target (cli, guest, name, opt_live, opt_config, opt_persistent, req, &code))
    return code;
  host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, &code);
  if (host == NULL)
    return code;
  vfp_cli_workflow (cli, host->sysfs, &wf);
  a = vfp_attach_new (&wf, guest, req);
  if (!vfp_attach_prepare (a, &error))
    return vfp_cli_error (cli, a->store_error ? VFP_EXIT_ERROR : VFP_EXIT_FAILED, "%s", error->message);
  if (cli->json && req->dry_run)
    {
      print_json (cli, guest, a->items, req->live, req->config, TRUE, TRUE, a->explain);
      return VFP_EXIT_OK;
    }
  print_preview (cli, a, print_xml);
  if (req->dry_run)
    return VFP_EXIT_OK;
  if (!vfp_attach_run (a, &error))
    return vfp_cli_error (cli, a->store_error ? VFP_EXIT_ERROR : VFP_EXIT_FAILED, "%s", error->message);
  if (cli->json)
    print_json (cli, guest, a->items, req->live, req->config, FALSE, print_xml, a->explain);
  else
    print_text (cli, guest, a->items, req->live, req->config);
  return VFP_EXIT_OK;
}

int
vfp_cmd_attach (VfpCli *cli, int argc, char **argv)
{
  g_autofree char *pool_name = NULL, *mac = NULL, *failover_of = NULL;
  g_autofree char *opt_spoofchk = NULL, *opt_trust = NULL, *opt_link_state = NULL;
  g_autofree char *opt_max_rate = NULL, *opt_min_rate = NULL, *opt_query_rss = NULL;
  int count = 1, vlan = -1, timeout_s = 30;
  gboolean opt_live = FALSE, opt_config = FALSE, opt_persistent = FALSE;
  gboolean dry_run = FALSE, print_xml = FALSE, explain = FALSE;
  GOptionEntry entries[] = {
    { "pool", 0, 0, G_OPTION_ARG_FILENAME, &pool_name, N_("Pool to take the VF from (default: the default pool)"), N_("NAME") },
    { "count", 0, 0, G_OPTION_ARG_INT, &count, N_("Number of VFs, on distinct PFs where possible (default 1)"), N_("N") },
    { "mac", 0, 0, G_OPTION_ARG_FILENAME, &mac, N_("MAC address for the guest (default: libvirt chooses)"), N_("MAC") },
    { "vlan", 0, 0, G_OPTION_ARG_INT, &vlan, N_("VLAN id (default: the pool's vlan=)"), N_("ID") },
    { "live", 0, 0, G_OPTION_ARG_NONE, &opt_live, N_("Attach to the running guest"), NULL },
    { "config", 0, 0, G_OPTION_ARG_NONE, &opt_config, N_("Attach to the persistent definition"), NULL },
    { "persistent", 0, 0, G_OPTION_ARG_NONE, &opt_persistent, N_("Make it persistent, and live when the guest runs"), NULL },
    { "failover-of", 0, 0, G_OPTION_ARG_FILENAME, &failover_of, N_("Be the transient failover partner of this virtio-net interface alias"), N_("ALIAS") },
    { "dry-run", 0, 0, G_OPTION_ARG_NONE, &dry_run, N_("Choose the VF and build the XML; change nothing"), NULL },
    { "print-xml", 0, 0, G_OPTION_ARG_NONE, &print_xml, N_("Print the device XML"), NULL },
    { "explain", 0, 0, G_OPTION_ARG_NONE, &explain, N_("Say for every VF of the pool why it was or was not chosen"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s, N_("Seconds to wait for the guest when a rollback must detach (default 30)"), N_("S") },
    { "spoofchk", 0, 0, G_OPTION_ARG_FILENAME, &opt_spoofchk, N_("MAC spoof checking of the VF, on or off (default: the pool's spoofchk=)"), N_("on|off") },
    { "trust", 0, 0, G_OPTION_ARG_FILENAME, &opt_trust, N_("Trust of the VF, on or off (default: the pool's trust=)"), N_("on|off") },
    { "link-state", 0, 0, G_OPTION_ARG_FILENAME, &opt_link_state, N_("Link state of the VF (default: the pool's link-state=)"), N_("auto|enable|disable") },
    { "max-tx-rate", 0, 0, G_OPTION_ARG_FILENAME, &opt_max_rate, N_("Transmit rate limit of the VF in Mbit/s, 0: none (default: the pool's max-tx-rate=)"), N_("MBITS") },
    { "min-tx-rate", 0, 0, G_OPTION_ARG_FILENAME, &opt_min_rate, N_("Guaranteed transmit rate of the VF in Mbit/s, 0: none (default: the pool's min-tx-rate=)"), N_("MBITS") },
    { "query-rss", 0, 0, G_OPTION_ARG_FILENAME, &opt_query_rss, N_("Whether the VF may query the PF's RSS key and table, on or off (default: the pool's query-rss=)"), N_("on|off") },
    { NULL }
  };
  VfpAttachRequest req = { 0 };
  int code = VFP_EXIT_OK;

  if (!vfp_cli_parse (cli, "attach", N_("GUEST"),
                      N_("Attach free VFs to a guest (by name, UUID or id): live if it runs, persistent if it is defined."),
                      entries, &argc, &argv, &code))
    return code;
  if (!check_options (cli, argc, count, mac, vlan, failover_of, timeout_s, &code))
    return code;
  {
    char *const vf_opts[6] = { opt_spoofchk, opt_trust, opt_link_state, opt_max_rate, opt_min_rate, opt_query_rss };

    if (!parse_vf_settings (cli, pool_name, vf_opts, &req.over, &code))
      return code;
  }
  req.pool = pool_name;
  req.count = count;
  req.mac = mac;
  req.vlan = vlan;
  req.failover_of = failover_of;
  req.dry_run = dry_run;
  req.explain = explain;
  req.timeout_ms = (guint) timeout_s * 1000;
  return attach (cli, argv[1], &req, opt_live, opt_config, opt_persistent, print_xml);
}
