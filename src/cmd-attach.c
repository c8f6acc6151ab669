/* vfpool attach GUEST: a free VF from a pool, live and/or persistent.
 * Order (DESIGN.md §2): reserve (durable, with the VF settings to apply)
 * -> VF settings through the PF -> attach -> read back what libvirt chose
 * -> metadata -> attached. A failure at any step undoes the
 * steps before it, and the user hears libvirt's reason and what vfpool did. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-cli.h"
#include "vfp-error.h"
#include "vfp-guest.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-nodedev.h"
#include "vfp-pool.h"
#include "vfp-template.h"
#include "vfp-text.h"
#include "vfp-vfnet.h"

/* One VF of this attach, from reservation to result. */
typedef struct {
  char *vf;                 /* owned */
  char *pf;                 /* owned */
  char *pool;               /* owned */
  char *alias;              /* owned */
  char *mac;                /* owned: asked for, then what libvirt chose */
  int vlan;
  VfpTemplateKind kind;
  char *xml;                /* owned: the device XML */
  gboolean attached;        /* libvirt accepted it */
  VfpVfSettings want;       /* the pool's VF settings under this attach's
                             * options (spoofchk, trust, ...); no fields: none */
  VfpVfSettings before;     /* what the PF held for the VF before vfpool changed it */
  char *netdev;             /* owned: the PF's netdev, when there are settings */
  gboolean settings_applied; /* some of WANT may be on the VF: undo on rollback */
} Item;

static void
item_free (Item *it)
{
  g_free (it->vf);
  g_free (it->pf);
  g_free (it->pool);
  g_free (it->alias);
  g_free (it->mac);
  g_free (it->xml);
  g_free (it->netdev);
  g_free (it);
}

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

/* NICs (PCI class 02) get <interface type='hostdev'>, the rest <hostdev>. */
static VfpTemplateKind
kind_for (VfpPoolConfig *pc, VfpSysfs *sysfs, const char *vf)
{
  VfpVf *v;

  if (pc->template != VFP_TEMPLATE_AUTO)
    return pc->template;
  v = vfp_sysfs_find_vf (sysfs, vf);
  return v && (v->fn.class_code >> 16) == 0x02 ? VFP_TEMPLATE_INTERFACE : VFP_TEMPLATE_HOSTDEV;
}

/* The address libvirt will use: from the VF's node device, checked against
 * the PF sysfs names. libvirt's node-device list can lag behind new VFs; then
 * the sysfs address is used, with a warning. */
static gboolean
device_address (VfpCli *cli, VfpVirt *virt, Item *it, VfpAddr *out, GError **error)
{
  g_autoptr (GError) e = NULL;
  g_autofree char *name = NULL;
  g_autofree char *xml = NULL;
  g_autoptr (VfpNodedev) nd = NULL;
  VfpAddr pf;
  char buf[VFP_ADDR_STRLEN];

  vfp_addr_parse (it->vf, out, NULL);
  name = vfp_addr_nodedev_name (out);
  xml = vfp_virt_nodedev_xml (virt, name, &e);
  if (xml == NULL)
    {
      /* a fake tree (--sysfs-root) is not what libvirt's node devices
       * describe; only on the real /sys is a missing one news */
      if (cli->sysfs_default || !g_error_matches (e, VFP_ERROR, VFP_ERROR_NOT_FOUND))
        vfp_cli_warn (cli, _("%s; using the address from sysfs."), e->message);
      else
        g_debug ("%s; using the address from the tree.", e->message);
      return TRUE;
    }
  nd = vfp_nodedev_parse (xml, error);
  if (nd == NULL)
    return FALSE;
  vfp_addr_parse (it->pf, &pf, NULL);
  if (!nd->is_vf)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("libvirt's node device %s is not a VF; refusing to attach it"), name);
      return FALSE;
    }
  if (!vfp_addr_equal (&nd->pf, &pf))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("libvirt's node device %s is a VF of PF %s, not of PF %s; refusing to attach it"),
                   name, vfp_addr_format (&nd->pf, buf), it->pf);
      return FALSE;
    }
  *out = nd->addr;
  return TRUE;
}

typedef struct {
  GPtrArray *items;
  const char *why;
} Batch;

static void
step_free_unattached (VfpPool *pool, gpointer data)
{
  Batch *b = data;
  guint i;

  for (i = 0; i < b->items->len; i++)
    if (!((Item *) b->items->pdata[i])->attached)
      vfp_pool_mark_free (pool, ((Item *) b->items->pdata[i])->vf, b->why);
}

typedef struct {
  GPtrArray *items;
  const char *uuid;         /* the guest */
} Attached;

static void
step_mark_attached (VfpPool *pool, gpointer data)
{
  Attached *done = data;
  guint i;

  for (i = 0; i < done->items->len; i++)
    {
      Item *it = done->items->pdata[i];
      VfpLease *l = vfp_state_get (pool->state, it->vf);
      g_autoptr (GError) e = NULL;

      /* a reservation someone else took over must not become this guest's
       * (nor theirs, attached): the audit reports the conflict instead */
      if (l != NULL && g_strcmp0 (l->owner_uuid, done->uuid) != 0)
        {
          g_autofree char *msg = g_strdup_printf (_("The lease of VF %s changed while it was being attached; run 'vfpool audit'."), it->vf);

          g_ptr_array_add (pool->events, vfp_event_new ("warning", it->vf, NULL, msg));
        }
      else if (!vfp_pool_mark_attached (pool, it->vf, it->mac, &e))
        g_ptr_array_add (pool->events, vfp_event_new ("warning", it->vf, NULL, e->message));
    }
}

typedef struct {
  const char *vf;
  gboolean removed;
} OneVf;

static void
step_after_rollback (VfpPool *pool, gpointer data)
{
  OneVf *one = data;
  g_autoptr (GError) e = NULL;

  if (one->removed)
    vfp_pool_mark_free (pool, one->vf, _("the attach was rolled back"));
  else
    vfp_pool_mark_detaching (pool, one->vf, &e);
}

/* Gives the VF of IT back the settings it had before this attach changed
 * them; a warning when the PF refuses. */
static void
undo_vf_settings (VfpCli *cli, Item *it)
{
  g_autoptr (GError) e = NULL;
  VfpVfSettings back = it->before;

  if (!it->settings_applied)
    return;
  back.fields &= it->want.fields;
  if (!vfp_vfnet_apply (it->netdev, &back, &e))
    vfp_cli_warn (cli, _("VF %s keeps some of the settings vfpool applied: %s"), it->vf, e->message);
  it->settings_applied = FALSE;
}

/* Applies each item's VF settings through its PF (after the reservation
 * that records them is on disk, before libvirt sees the VF). */
static gboolean
apply_vf_settings (GPtrArray *items, GError **error)
{
  guint i;

  for (i = 0; i < items->len; i++)
    {
      Item *it = items->pdata[i];

      if (it->want.fields == 0)
        continue;
      if (it->netdev == NULL)
        {
          g_autofree char *what = vfp_vf_settings_describe (&it->want);

          g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                       _("PF %s of VF %s has no network interface, so its driver cannot take the VF settings %s; remove them from pool '%s' or from the command line."),
                       it->pf, it->vf, what, it->pool);
          return FALSE;
        }
      if (!vfp_vfnet_read_vf (it->netdev, it->want.index, &it->before, error))
        return FALSE;
      it->settings_applied = TRUE;
      if (!vfp_vfnet_apply (it->netdev, &it->want, error))
        return FALSE;
    }
  return TRUE;
}

/* Undoes what this attach did: devices libvirt accepted are detached (a
 * live one only counts as gone on DEVICE_REMOVED; if the guest does not let
 * go, its lease stays detaching), VF settings go back to what they were on
 * every VF the guest does not keep, reservations are freed. */
static gboolean
rollback (VfpCli *cli, VfpSysfs *sysfs, VfpGuest *guest, GPtrArray *items,
          gboolean live, gboolean config, guint timeout_ms)
{
  gboolean clean = TRUE;
  guint i;

  for (i = 0; i < items->len; i++)
    {
      Item *it = items->pdata[i];
      OneVf one = { it->vf, TRUE };
      g_autoptr (GError) e = NULL;

      if (!it->attached)
        continue;
      if (!vfp_virt_detach_alias (guest->dom, it->alias, live, config, &e))
        {
          vfp_cli_warn (cli, "%s", e->message);
          one.removed = FALSE;
        }
      else if (live)
        one.removed = vfp_virt_wait_removed (guest->dom, it->alias, timeout_ms);
      clean &= one.removed;
      if (!one.removed)
        vfp_cli_warn (cli, _("VF %s could not be taken back from guest '%s'; its lease stays detaching until 'vfpool audit' settles it."),
                      it->vf, vfp_virt_domain_name (guest->dom));
      else
        undo_vf_settings (cli, it);
      vfp_cli_with_pool (cli, sysfs, step_after_rollback, &one);
      it->attached = TRUE;  /* handled: not freed again below */
    }
  for (i = 0; i < items->len; i++)
    if (!((Item *) items->pdata[i])->attached)
      undo_vf_settings (cli, items->pdata[i]);
  {
    Batch b = { items, _("the attach failed") };

    vfp_cli_with_pool (cli, sysfs, step_free_unattached, &b);
  }
  return clean;
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
      Item *it = items->pdata[i];

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
    {
      vfp_json_key (json, "explain");
      vfp_json_begin_array (json);
      for (i = 0; i < why->len; i++)
        {
          VfpExplain *e = why->pdata[i];

          vfp_json_begin_object (json);
          vfp_json_member_string (json, "address", e->vf);
          vfp_json_member_string (json, "pf", e->pf);
          vfp_json_member_int (json, "index", e->index);
          vfp_json_member_bool (json, "chosen", e->chosen);
          vfp_json_member_string (json, "reason", e->reason);
          vfp_json_end_object (json);
        }
      vfp_json_end_array (json);
    }
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
      Item *it = items->pdata[i];

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
  VfpVfSettings over = { 0 };
  g_autoptr (VfpVirt) virt = NULL;
  g_autoptr (VfpGuest) guest = NULL;
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  g_autoptr (GPtrArray) why = NULL;
  g_autoptr (GPtrArray) meta = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_meta_vf_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *failover_mac = NULL;
  const char *const *dirs = vfp_cli_template_dirs (cli);
  gboolean live, config;
  int code = VFP_EXIT_OK;
  guint i;

  if (!vfp_cli_parse (cli, "attach", N_("GUEST"),
                      N_("Attach free VFs to a guest (by name, UUID or id): live if it runs, persistent if it is defined."),
                      entries, &argc, &argv, &code))
    return code;
  if (argc != 2)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("attach needs one guest: vfpool attach MyGuest"));
  if (count < 1 || count > 64)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("--count must be between 1 and 64, not %d."), count);
  if (mac != NULL && (!valid_mac (mac) || count > 1))
    return vfp_cli_error (cli, VFP_EXIT_ERROR,
                          _("--mac '%s' must be one unicast MAC like 52:54:00:12:34:56, with --count 1."), mac);
  if (vlan != -1 && (vlan < 1 || vlan > 4094))
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("--vlan must be between 1 and 4094, not %d."), vlan);
  if (failover_of != NULL && (mac != NULL || count > 1))
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("--failover-of gives one VF the MAC of its virtio-net partner; do not add --mac or a --count above 1."));
  if (timeout_s < 0)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("--timeout must be 0 or more."));
  {
    const struct { const char *value; VfpVfField field; } vf_opts[] = {
      { opt_spoofchk, VFP_VF_SPOOFCHK }, { opt_trust, VFP_VF_TRUST },
      { opt_link_state, VFP_VF_LINK_STATE }, { opt_max_rate, VFP_VF_MAX_TX_RATE },
      { opt_min_rate, VFP_VF_MIN_TX_RATE }, { opt_query_rss, VFP_VF_QUERY_RSS },
    };
    VfpPoolConfig *pc = vfp_config_pool_for (cli->config, pool_name, NULL);
    VfpVfSettings merged = { 0 };

    for (i = 0; i < G_N_ELEMENTS (vf_opts); i++)
      if (vf_opts[i].value != NULL && !vfp_vf_settings_parse (&over, vf_opts[i].field, vf_opts[i].value, &error))
        return vfp_cli_error (cli, VFP_EXIT_ERROR, _("--%s: %s."), vfp_vf_field_name (vf_opts[i].field), error->message);
    if (pc != NULL)
      merged = pc->vf;
    vfp_vf_settings_merge (&merged, &over);
    if (!vfp_vf_settings_check (&merged, &error))
      return vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
  }

  guest = vfp_cli_open_guest (cli, argv[1], &virt, &code);
  if (guest == NULL)
    return code;

  /* Like virsh: without flags, live if it runs and persistent if defined. */
  live = opt_live || (opt_persistent && guest->active) || (!opt_live && !opt_config && !opt_persistent && guest->active);
  config = opt_config || opt_persistent || (!opt_live && !opt_config && !opt_persistent && guest->persistent);
  if (live && !guest->active)
    return vfp_cli_error (cli, VFP_EXIT_FAILED, _("Guest '%s' is not running; use --config to attach to its definition."), argv[1]);
  if (config && !guest->persistent)
    return vfp_cli_error (cli, VFP_EXIT_FAILED, _("Guest '%s' is transient (not defined); attach with --live only."), argv[1]);
  if (failover_of != NULL)
    {
      VfpDomNic *nic = vfp_domain_find_nic (guest->live ? guest->live : guest->config, failover_of);

      if (nic == NULL || nic->mac == NULL || g_strcmp0 (nic->teaming, "persistent") != 0)
        return vfp_cli_error (cli, VFP_EXIT_FAILED,
                              _("Guest '%s' has no interface '%s' with <teaming type='persistent'/> and a MAC; add it to the guest first (virtio-net failover)."),
                              argv[1], failover_of);
      failover_mac = g_strdup (nic->mac);
    }

  host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, &code);
  if (host == NULL)
    return code;

  /* 1. Reserve, durably, before libvirt is asked for anything. */
  {
    g_autoptr (VfpState) state = vfp_cli_open_state (cli, FALSE, &code);
    g_autoptr (VfpPool) pool = NULL;
    g_autoptr (GPtrArray) leases = NULL;
    g_autoptr (GHashTable) taken = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr (GPtrArray) mine = NULL;
    VfpReserveRequest req = { 0 };

    if (state == NULL)
      return code;
    pool = vfp_pool_new (cli->config, host->sysfs, state);
    pool->guest_check = vfp_guest_check_lease;
    pool->guest_check_data = virt;
    req.pool = pool_name;
    req.count = count;
    req.owner_uuid = vfp_virt_domain_uuid (guest->dom);
    req.owner_name = vfp_virt_domain_name (guest->dom);
    req.numa_node = vfp_domain_numa_node (guest->live ? guest->live : guest->config, cli->sysfs_root);
    req.in_flight = TRUE;
    req.dry_run = dry_run;
    if (explain)
      why = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_explain_free);
    leases = vfp_pool_reserve (pool, &req, why, &error);
    vfp_cli_print_events (cli, pool->events);
    g_ptr_array_set_size (pool->events, 0);
    if (leases == NULL)
      return vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", error->message);
    mine = vfp_pool_guest_leases (pool, req.owner_uuid);
    for (i = 0; i < mine->len; i++)
      if (((VfpLease *) mine->pdata[i])->alias)
        g_hash_table_add (taken, g_strdup (((VfpLease *) mine->pdata[i])->alias));
    for (i = 0; i < leases->len; i++)
      {
        VfpLease *l = leases->pdata[i];
        VfpPoolConfig *pc = vfp_config_find_pool (cli->config, l->pool);
        Item *it = g_new0 (Item, 1);

        it->vf = g_strdup (l->vf);
        it->pf = g_strdup (l->pf);
        it->pool = g_strdup (l->pool);
        it->alias = vfp_domain_next_alias (guest->live, guest->config, taken);
        g_hash_table_add (taken, g_strdup (it->alias));
        it->kind = kind_for (pc, host->sysfs, l->vf);
        it->mac = g_strdup (failover_mac ? failover_mac : mac);
        it->vlan = vlan >= 0 ? vlan : pc->vlan;
        if (it->kind == VFP_TEMPLATE_HOSTDEV)
          it->vlan = vlan;  /* a pool VLAN does not apply to non-NIC VFs */
        it->want = pc->vf;
        vfp_vf_settings_merge (&it->want, &over);
        if (it->want.fields != 0)
          {
            VfpPf *pf = vfp_sysfs_find_pf (host->sysfs, l->pf);
            VfpVf *v = vfp_sysfs_find_vf (host->sysfs, l->vf);

            if (pf != NULL && pf->fn.netdevs != NULL && pf->fn.netdevs[0] != NULL)
              it->netdev = g_strdup (pf->fn.netdevs[0]);
            it->want.index = v ? v->index : 0;
          }
        g_ptr_array_add (items, it);
        if (!dry_run)
          {
            vfp_pool_set_device (pool, l->vf, it->mac, it->vlan, it->alias, live, config);
            vfp_pool_set_vf_settings (pool, l->vf, &it->want);
          }
      }
    if (!dry_run && !vfp_state_save (state, &error))
      return vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
    vfp_cli_print_events (cli, pool->events);
  }

  /* 1b. The VF settings libvirt does not apply, through the PF. */
  if (!dry_run && !apply_vf_settings (items, &error))
    {
      rollback (cli, host->sysfs, guest, items, live, config, timeout_s * 1000);
      /* vfnet's messages are whole sentences */
      return vfp_cli_error (cli, VFP_EXIT_FAILED, _("%s Nothing was attached and the reservation was released."),
                            error->message);
    }

  /* 2. The device XML, from the node device and the template. */
  for (i = 0; i < items->len; i++)
    {
      Item *it = items->pdata[i];
      VfpDeviceSpec spec = { it->kind, { 0 }, it->mac, it->vlan, it->alias, failover_of };

      if (!device_address (cli, virt, it, &spec.vf, &error)
          || (it->xml = vfp_template_render (dirs, &spec, &error)) == NULL)
        {
          if (!dry_run)
            rollback (cli, host->sysfs, guest, items, live, config, timeout_s * 1000);
          return vfp_cli_error (cli, VFP_EXIT_FAILED,
                                dry_run ? "%s" : _("%s; nothing was attached and the reservation was released."),
                                error->message);
        }
    }
  if (cli->json && dry_run)
    {
      print_json (cli, guest, items, live, config, TRUE, TRUE, why);
      return VFP_EXIT_OK;
    }
  if (why != NULL && !cli->json)
    for (i = 0; i < why->len; i++)
      {
        VfpExplain *e = why->pdata[i];

        printf ("%s  %s  %s\n", e->vf, e->chosen ? "*" : " ", e->reason);
      }
  /* with --json, the XML is in the document */
  if ((print_xml || dry_run) && !cli->json)
    for (i = 0; i < items->len; i++)
      fputs (((Item *) items->pdata[i])->xml, stdout);
  if (dry_run)
    return VFP_EXIT_OK;

  /* 3. Attach. */
  for (i = 0; i < items->len; i++)
    {
      Item *it = items->pdata[i];

      if (!vfp_virt_attach (guest->dom, it->xml, live, config, &error))
        {
          gboolean clean = rollback (cli, host->sysfs, guest, items, live, config, timeout_s * 1000);

          if (!clean)
            return vfp_cli_error (cli, VFP_EXIT_FAILED,
                                  _("%s; vfpool released the reserved VFs, but the guest still holds some of the ones attached before (see the warnings)."),
                                  error->message);
          return vfp_cli_error (cli, VFP_EXIT_FAILED,
                                i > 0 ? _("%s; vfpool released the reserved VFs and detached the ones attached before: the guest is as it was.")
                                      : _("%s; vfpool released the reserved VFs: the guest is as it was."),
                                error->message);
        }
      it->attached = TRUE;
    }

  /* 4. What libvirt chose (the MAC when none was given), and metadata. */
  if (!vfp_guest_reload (guest, &error))
    vfp_cli_warn (cli, "%s", error->message);
  for (i = 0; i < items->len; i++)
    {
      Item *it = items->pdata[i];
      VfpDomDevice *d = vfp_domain_find_device (live ? guest->live : guest->config, it->alias);
      VfpMetaVf *m = g_new0 (VfpMetaVf, 1);

      if (d != NULL && d->mac != NULL)
        {
          g_free (it->mac);
          it->mac = g_strdup (d->mac);
        }
      m->alias = g_strdup (it->alias);
      m->pool = g_strdup (it->pool);
      m->address = g_strdup (it->vf);
      m->mac = g_strdup (it->mac);
      m->vlan = it->vlan;
      m->template = g_strdup (it->kind == VFP_TEMPLATE_HOSTDEV ? "hostdev" : "interface");
      m->failover_of = g_strdup (failover_of);
      g_ptr_array_add (meta, m);
    }
  if (!vfp_guest_write_metadata (guest, meta, NULL, live, config, &error))
    {
      g_autofree char *msg = g_strdup (error->message);

      rollback (cli, host->sysfs, guest, items, live, config, timeout_s * 1000);
      return vfp_cli_error (cli, VFP_EXIT_FAILED, _("%s; the attach was rolled back."), msg);
    }

  /* 5. Attached. */
  {
    Attached done = { items, vfp_virt_domain_uuid (guest->dom) };

    if (!vfp_cli_with_pool (cli, host->sysfs, step_mark_attached, &done))
      return VFP_EXIT_ERROR;
  }
  if (cli->json)
    print_json (cli, guest, items, live, config, FALSE, print_xml, why);
  else
    print_text (cli, guest, items, live, config);
  return VFP_EXIT_OK;
}
