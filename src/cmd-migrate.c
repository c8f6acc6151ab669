/* vfpool migrate GUEST DESTURI: libvirt refuses to migrate a guest holding
 * a VFIO device, so vfpool detaches the guest's VFs (waiting for the guest
 * to let go), migrates peer-to-peer, and lets the destination's hook
 * reserve and reattach them there. If the migration fails, the VFs go back
 * to the guest on the source. Failover VFs (teaming) stay: QEMU unplugs
 * them itself. Before it unplugs anything, the destination reserves the
 * guest's VFs through its own hook (a capacity probe, vfp-probe.h): a
 * destination that cannot take them refuses while the guest still has
 * every VF. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-cli.h"
#include "vfp-error.h"
#include "vfp-guest.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-pool.h"
#include "vfp-probe.h"
#include "vfp-text.h"

typedef struct {
  char *vf;
  char *alias;
  VfpMetaVf *meta;          /* not owned: in the guest's live XML */
  gboolean detached;
} Moving;

static void
moving_free (Moving *m)
{
  g_free (m->vf);
  g_free (m->alias);
  g_free (m);
}

/* One state change: detaching, free, or back to attached. */
typedef struct {
  const char *vf;
  VfpLeaseState to;
  VfpGuest *guest;
  const VfpMetaVf *meta;
  const char *why;
} Change;

static void
apply_change (VfpPool *pool, gpointer data)
{
  Change *c = data;
  g_autoptr (GError) error = NULL;
  VfpVf *vf = vfp_sysfs_find_vf (pool->sysfs, c->vf);

  if (c->to == VFP_LEASE_DETACHING)
    vfp_pool_mark_detaching (pool, c->vf, &error);
  else if (c->to == VFP_LEASE_FREE)
    vfp_pool_mark_free (pool, c->vf, c->why);
  else
    vfp_pool_claim_for_start (pool, c->vf, vf ? vf->pf->fn.address : NULL,
                              vfp_virt_domain_uuid (c->guest->dom), vfp_virt_domain_name (c->guest->dom),
                              c->meta ? c->meta->pool : NULL, c->meta ? c->meta->alias : NULL,
                              c->meta ? c->meta->mac : NULL, c->meta ? c->meta->vlan : -1, &error);
  if (error != NULL)
    g_ptr_array_add (pool->events, vfp_event_new ("warning", c->vf, NULL, error->message));
}

static void
change (VfpCli *cli, VfpSysfs *sysfs, const char *vf, VfpLeaseState to, VfpGuest *guest,
        const VfpMetaVf *meta, const char *why)
{
  Change c = { vf, to, guest, meta, why };

  vfp_cli_with_pool (cli, sysfs, apply_change, &c);
}

/* Puts back every VF that was detached for the migration. */
static guint
give_back (VfpCli *cli, VfpSysfs *sysfs, VfpGuest *guest, GPtrArray *moving)
{
  guint i, lost = 0;

  for (i = 0; i < moving->len; i++)
    {
      Moving *m = moving->pdata[i];
      g_autoptr (GError) error = NULL;

      if (!m->detached)
        continue;
      change (cli, sysfs, m->vf, VFP_LEASE_ATTACHED, guest, m->meta, NULL);
      if (!vfp_guest_attach_meta (guest, vfp_cli_template_dirs (cli), m->meta, m->vf, TRUE, FALSE, &error))
        {
          vfp_cli_error (cli, VFP_EXIT_FAILED, _("Could not give VF %s back to guest %s: %s"),
                         m->vf, vfp_virt_domain_name (guest->dom), error->message);
          change (cli, sysfs, m->vf, VFP_LEASE_FREE, guest, NULL, _("the rollback of a migration failed"));
          lost++;
        }
    }
  return lost;
}

/* Sends the destination DVIRT the capacity probe of GUEST (its VFs'
 * metadata, TOKEN, HOLD seconds; CANCEL frees what an earlier probe
 * reserved). TRUE when the destination's hook answered with TOKEN: the
 * VFs are reserved there (or freed). Otherwise ERROR says why not. */
static gboolean
probe_destination (VfpVirt *dvirt, VfpGuest *guest, const char *token, guint hold,
                   gboolean cancel, GError **error)
{
  VfpProbe probe = { (char *) vfp_virt_domain_uuid (guest->dom), (char *) vfp_virt_domain_name (guest->dom),
                     (char *) token, hold, cancel };
  g_autofree char *xml = vfp_probe_build (&probe, guest->live->meta);
  g_autoptr (GError) answer = NULL;

  if (vfp_virt_start_probe (dvirt, xml, &answer))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("The destination's libvirt started vfpool's capacity probe instead of refusing it: it runs no vfpool hook, or one older than this vfpool. Install vfpool's hook there, or pass --no-capacity-check."));
      return FALSE;
    }
  if (strstr (answer->message, token) != NULL)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&answer));
  return FALSE;
}

/* Frees, best effort, what the capacity probe reserved on DEST_URI for a
 * migration that will not come now (PROBED: there was a probe); an
 * unreachable destination lets the reservation expire. A new connection:
 * the probe's sat idle through the unplugs, and libvirtd drops a client
 * that does not answer its keepalives. */
static void
call_off (VfpCli *cli, const char *dest_uri, gboolean probed, VfpGuest *guest, const char *token)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpVirt) dvirt = NULL;

  if (!probed)
    return;
  dvirt = vfp_virt_open (dest_uri, FALSE, &error);
  if (dvirt == NULL || !probe_destination (dvirt, guest, token, 1, TRUE, &error))
    vfp_cli_warn (cli, _("The VFs reserved on the destination for guest %s were not freed; they are freed when their reservation expires: %s"),
                  vfp_virt_domain_name (guest->dom), error->message);
}

int
vfp_cmd_migrate (VfpCli *cli, int argc, char **argv)
{
  g_autofree char *migrate_uri = NULL, *listen_address = NULL;
  gboolean persistent = FALSE, undefine_source = FALSE, no_check = FALSE;
  int timeout_s = 30;
  GOptionEntry entries[] = {
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s, N_("Seconds to wait for the guest to release each VF (default 30)"), N_("S") },
    { "persistent", 0, 0, G_OPTION_ARG_NONE, &persistent, N_("Define the guest on the destination"), NULL },
    { "undefinesource", 0, 0, G_OPTION_ARG_NONE, &undefine_source, N_("Undefine the guest on the source"), NULL },
    { "migrateuri", 0, 0, G_OPTION_ARG_FILENAME, &migrate_uri, N_("Where the memory goes, e.g. tcp://10.0.0.2"), N_("URI") },
    { "listen-address", 0, 0, G_OPTION_ARG_FILENAME, &listen_address, N_("Address the destination listens on"), N_("ADDR") },
    { "no-capacity-check", 0, 0, G_OPTION_ARG_NONE, &no_check, N_("Do not reserve the VFs on the destination before detaching them (a destination whose vfpool hook predates the check)"), NULL },
    { NULL }
  };
  g_autoptr (VfpVirt) virt = NULL;
  g_autofree char *token = vfp_probe_token_new ();
  gboolean probed = FALSE;
  g_autoptr (VfpGuest) guest = NULL;
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (GPtrArray) moving = g_ptr_array_new_with_free_func ((GDestroyNotify) moving_free);
  g_autoptr (GError) error = NULL;
  int code = VFP_EXIT_OK;
  guint i;

  if (!vfp_cli_parse (cli, "migrate", N_("GUEST DESTURI"),
                      N_("Live-migrate a guest with its VFs: detach them, migrate peer-to-peer, reattach them on the destination; on failure, reattach them here."),
                      entries, &argc, &argv, &code))
    return code;
  if (timeout_s < 0)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("--timeout must be 0 or more."));
  if (argc != 3)
    return vfp_cli_error (cli, VFP_EXIT_ERROR,
                          _("migrate needs a guest and a destination: vfpool migrate MyGuest qemu+ssh://dst/system"));
  guest = vfp_cli_open_guest (cli, argv[1], &virt, &code);
  if (guest == NULL)
    return code;
  if (!guest->active)
    return vfp_cli_error (cli, VFP_EXIT_FAILED, _("Guest '%s' is not running; there is nothing to migrate live."),
                          vfp_virt_domain_name (guest->dom));
  host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, &code);
  if (host == NULL)
    return code;

  /* The VFs to carry: vfpool's devices in the running guest, except
   * failover partners, which QEMU unplugs by itself. */
  for (i = 0; i < guest->live->devices->len; i++)
    {
      VfpDomDevice *d = guest->live->devices->pdata[i];
      VfpMetaVf *meta = d->alias ? vfp_domain_find_meta (guest->live, d->alias) : NULL;
      Moving *m;

      if (meta == NULL || d->teaming_persistent != NULL)
        continue;
      m = g_new0 (Moving, 1);
      m->vf = vfp_addr_to_string (&d->addr);
      m->alias = g_strdup (d->alias);
      m->meta = meta;
      g_ptr_array_add (moving, m);
    }

  /* Capacity first: the destination reserves the guest's VFs through its
   * own hook before anything is unplugged here, for as long as the
   * unplugs may take (then the migration's own hook call takes the
   * reservation over). */
  if (!no_check && guest->live->meta->len > 0)
    {
      guint hold = MIN ((guint) timeout_s * moving->len + 120, VFP_PROBE_MAX_HOLD);

      vfp_cli_progress (cli, _("reserving the VFs of %s on %s..."), vfp_virt_domain_name (guest->dom), argv[2]);
      g_autoptr (VfpVirt) dvirt = vfp_virt_open (argv[2], FALSE, &error);

      if (dvirt == NULL || !probe_destination (dvirt, guest, token, hold, FALSE, &error))
        return vfp_cli_error (cli, VFP_EXIT_FAILED,
                              _("The destination cannot take the VFs of guest '%s'; nothing was detached and the guest keeps running here with its VFs: %s"),
                              vfp_virt_domain_name (guest->dom), error->message);
      probed = TRUE;
    }

  for (i = 0; i < moving->len; i++)
    {
      Moving *m = moving->pdata[i];

      change (cli, host->sysfs, m->vf, VFP_LEASE_DETACHING, guest, NULL, NULL);
      vfp_cli_progress (cli, _("detaching VF %s (%s) for the migration..."), m->vf, m->alias);
      if (!vfp_virt_detach_alias (guest->dom, m->alias, TRUE, FALSE, &error)
          || !vfp_virt_wait_removed (guest->dom, m->alias, timeout_s * 1000))
        {
          change (cli, host->sysfs, m->vf, VFP_LEASE_ATTACHED, guest, m->meta, NULL);
          call_off (cli, argv[2], probed, guest, token);
          if (give_back (cli, host->sysfs, guest, moving) > 0)
            return vfp_cli_error (cli, VFP_EXIT_FAILED,
                                  _("Guest '%s' did not release VF %s (%s) within %d s; the migration was not started, but some VFs detached before could not be given back (see above)."),
                                  vfp_virt_domain_name (guest->dom), m->vf, m->alias, timeout_s);
          return vfp_cli_error (cli, VFP_EXIT_FAILED,
                                _("Guest '%s' did not release VF %s (%s) within %d s; the migration was not started and the guest keeps its VFs."),
                                vfp_virt_domain_name (guest->dom), m->vf, m->alias, timeout_s);
        }
      m->detached = TRUE;
      change (cli, host->sysfs, m->vf, VFP_LEASE_FREE, guest, NULL, _("detached for a migration"));
    }

  vfp_cli_progress (cli, _("migrating %s to %s..."), vfp_virt_domain_name (guest->dom), argv[2]);
  if (!vfp_virt_migrate (guest->dom, argv[2], migrate_uri, listen_address, persistent,
                         undefine_source, &error))
    {
      guint lost;

      call_off (cli, argv[2], probed, guest, token);
      lost = give_back (cli, host->sysfs, guest, moving);

      return vfp_cli_error (cli, VFP_EXIT_FAILED,
                            lost == 0 ? _("%s; the guest keeps running here with its VFs.")
                                      : _("%s; the guest keeps running here, but some VFs could not be given back (see above)."),
                            error->message);
    }
  if (cli->json)
    {
      g_autoptr (VfpJson) json = vfp_json_new ();

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "guest", vfp_virt_domain_name (guest->dom));
      vfp_json_member_string (json, "destination", argv[2]);
      vfp_json_key (json, "vfs_reattached_there");
      vfp_json_begin_array (json);
      for (i = 0; i < moving->len; i++)
        vfp_json_string (json, ((Moving *) moving->pdata[i])->alias);
      vfp_json_end_array (json);
      vfp_json_end_object (json);
      vfp_cli_print_json (cli, json);
    }
  else if (!cli->quiet)
    {
      g_autofree char *name = vfp_text_printable (vfp_virt_domain_name (guest->dom));
      g_autofree char *dest = vfp_text_printable (argv[2]);

      printf (_("Guest %s migrated to %s; VFs that will be attached again there once it runs: %u.\n"),
              name, dest, moving->len);
    }
  return VFP_EXIT_OK;
}
