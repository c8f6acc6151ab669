/* Guests for attach and detach. */
#include "config.h"

#include <unistd.h>

#include "vfp-error.h"
#include "vfp-guest.h"
#include "vfp-i18n.h"
#include "vfp-names.h"
#include "vfp-state.h"
#include "vfp-template.h"

void
vfp_guest_free (VfpGuest *g)
{
  if (g == NULL)
    return;
  vfp_virt_domain_free (g->dom);
  vfp_domain_free (g->live);
  vfp_domain_free (g->config);
  g_free (g->state_dir);
  g_free (g);
}

/* Reads the guest's live and persistent XML again (after a change). */
gboolean
vfp_guest_reload (VfpGuest *g, GError **error)
{
  g_autofree char *live = NULL;
  g_autofree char *config = NULL;

  g_clear_pointer (&g->live, vfp_domain_free);
  g_clear_pointer (&g->config, vfp_domain_free);
  g->active = vfp_virt_domain_is_active (g->dom);
  g->persistent = vfp_virt_domain_is_persistent (g->dom);
  if (g->active)
    {
      live = vfp_virt_domain_xml (g->dom, FALSE, error);
      if (live == NULL || (g->live = vfp_domxml_parse (live, -1, error)) == NULL)
        return FALSE;
    }
  if (g->persistent)
    {
      config = vfp_virt_domain_xml (g->dom, TRUE, error);
      if (config == NULL || (g->config = vfp_domxml_parse (config, -1, error)) == NULL)
        return FALSE;
    }
  return TRUE;
}

/* Looks the guest up (name, UUID or id) and reads its XML; the one way
 * to open a guest. LOCK_DIR is the state directory whose metadata lock
 * vfp_guest_write_metadata takes, or NULL for a guest that is only looked
 * at. The caller frees the guest. */
VfpGuest *
vfp_guest_open (VfpVirt *virt, const char *name, const char *lock_dir, GError **error)
{
  g_autoptr (VfpGuest) g = g_new0 (VfpGuest, 1);

  g->virt = virt;
  g->state_dir = g_strdup (lock_dir);
  g->dom = vfp_virt_lookup_domain (virt, name, error);
  if (g->dom == NULL || !vfp_guest_reload (g, error))
    return NULL;
  return g_steal_pointer (&g);
}

/* Attaches VF as the device META describes (alias, MAC, VLAN, template,
 * failover partner): how VFs come back after a migration or a rollback. */
gboolean
vfp_guest_attach_meta (VfpGuest *g, const char *const *dirs, const VfpMetaVf *meta,
                       const char *vf, gboolean live, gboolean config, GError **error)
{
  VfpDeviceSpec spec = { 0 };
  g_autofree char *xml = NULL;

  if (!vfp_addr_parse (vf, &spec.vf, error))
    return FALSE;
  spec.kind = g_strcmp0 (meta->template, "hostdev") == 0 ? VFP_TEMPLATE_HOSTDEV : VFP_TEMPLATE_INTERFACE;
  spec.mac = meta->mac;
  spec.vlan = meta->vlan;
  spec.alias = meta->alias;
  spec.failover_of = meta->failover_of;
  xml = vfp_template_render (dirs, &spec, error);
  return xml != NULL && vfp_virt_attach (g->dom, xml, live, config, error);
}

/* VfpGuestCheck for the pool manager: is the lease's VF in its guest, as
 * libvirt says right now? Unknown when libvirt cannot tell. */
VfpInGuest
vfp_guest_check_lease (const VfpLease *lease, gpointer data)
{
  VfpVirt *virt = data;
  g_autoptr (VfpGuest) g = NULL;
  g_autoptr (GError) error = NULL;
  VfpAddr addr;

  if (lease->owner_uuid == NULL || !vfp_addr_parse (lease->vf, &addr, NULL))
    return VFP_IN_GUEST_UNKNOWN;
  g = vfp_guest_open (virt, lease->owner_uuid, NULL, &error);
  if (g == NULL)
    return error->code == VFP_ERROR_NOT_FOUND ? VFP_IN_GUEST_NO : VFP_IN_GUEST_UNKNOWN;
  if (vfp_domain_find_address (g->live, &addr))
    return VFP_IN_GUEST_LIVE;
  if (vfp_domain_find_address (g->config, &addr))
    return VFP_IN_GUEST_CONFIG;
  return VFP_IN_GUEST_NO;
}

/* How long a rewrite waits for another vfpool's (a few libvirt calls). */
#define METADATA_LOCK_TIMEOUT_MS 120000

/* Rewrites vfpool's metadata in the guest: what it has now (live or
 * persistent, as the flags say), plus ADD, minus REMOVE_ALIAS. libvirt
 * sets metadata whole, so two vfpools rewriting one guest at once would
 * each drop the other's entry: under the metadata lock, the XML is read
 * again and written back before the next rewrite reads it. */
gboolean
vfp_guest_write_metadata (VfpGuest *g, GPtrArray *add, const char *remove_alias,
                          gboolean live, gboolean config, GError **error)
{
  gboolean modes[2] = { live, config };
  int m, lock_fd = -1;
  gboolean ok = FALSE;

  if (g->state_dir != NULL)
    {
      lock_fd = vfp_state_lock (g->state_dir, VFP_METADATA_LOCK, METADATA_LOCK_TIMEOUT_MS, error);
      if (lock_fd < 0 || !vfp_guest_reload (g, error))
        goto out;
    }
  for (m = 0; m < 2; m++)
    {
      VfpDomain *d = m == 0 ? g->live : g->config;
      g_autoptr (GPtrArray) all = g_ptr_array_new ();
      g_autofree char *xml = NULL;
      guint i;

      if (!modes[m] || d == NULL)
        continue;
      for (i = 0; i < d->meta->len; i++)
        {
          VfpMetaVf *mv = d->meta->pdata[i];
          gboolean replaced = FALSE;
          guint j;

          for (j = 0; add && j < add->len; j++)
            replaced |= g_strcmp0 (((VfpMetaVf *) add->pdata[j])->alias, mv->alias) == 0;
          if (!replaced && g_strcmp0 (mv->alias, remove_alias) != 0)
            g_ptr_array_add (all, mv);
        }
      for (i = 0; add && i < add->len; i++)
        g_ptr_array_add (all, add->pdata[i]);
      xml = all->len > 0 ? vfp_metadata_build (all) : NULL;
      if (!vfp_virt_set_metadata (g->dom, xml, m == 0, m == 1, error))
        goto out;
    }
  ok = TRUE;
out:
  if (lock_fd >= 0)
    close (lock_fd);
  return ok;
}

/* For commands, as vfp_cli_open_state is for the store: connects
 * read-write to the user's URI and opens GUEST with vfp_guest_open (its
 * metadata lock in the command's state directory). On failure the error is
 * printed and *EXIT_CODE says why (1: no such guest, 2: libvirt
 * unreachable). *VIRT is the caller's to close. */
VfpGuest *
vfp_cli_open_guest (VfpCli *cli, const char *name, VfpVirt **virt, int *exit_code)
{
  g_autoptr (GError) error = NULL;
  VfpGuest *g;

  *virt = vfp_virt_open (cli->uri, FALSE, &error);
  if (*virt == NULL)
    {
      *exit_code = vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
      return NULL;
    }
  g = vfp_guest_open (*virt, name, cli->state_dir, &error);
  if (g == NULL)
    *exit_code = vfp_cli_error (cli, error->code == VFP_ERROR_NOT_FOUND ? VFP_EXIT_FAILED : VFP_EXIT_ERROR,
                                "%s", error->message);
  return g;
}
