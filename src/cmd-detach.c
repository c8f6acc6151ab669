/* vfpool detach GUEST [VF...|--all]: a VF is free only when libvirt
 * confirms removal (DEVICE_REMOVED for a running guest; the call itself
 * for the persistent definition). A guest that does not let go leaves the
 * lease detaching, and the user is told so. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-cli.h"
#include "vfp-error.h"
#include "vfp-guest.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-pool.h"
#include "vfp-text.h"

typedef struct {
  const char *vf;
  const char *uuid;         /* the guest */
  const char *alias;        /* with the VF, which lease this detach is about */
  gboolean freed;           /* out of the guest: free the lease */
  const char *why;
  gboolean gone;            /* out: the lease is no longer the guest's */
  gboolean check_only;      /* only say whether it is gone */
  char *quarantined;        /* out, owned: why the scrub quarantined it
                             * instead of freeing it, or NULL */
} Step;

/* An attach in progress (a reservation whose process lives): its own
 * rollback or completion settles it, never a detach. */
static gboolean
in_flight (VfpPool *pool, const VfpLease *l)
{
  return l->state == VFP_LEASE_QUARANTINED
         || (l->state == VFP_LEASE_RESERVED && !vfp_pool_lease_is_stale (pool, l));
}

static void
apply_step (VfpPool *pool, gpointer data)
{
  Step *step = data;
  VfpLease *l = vfp_state_get (pool->state, step->vf);
  g_autoptr (GError) error = NULL;

  /* Another vfpool detached it meanwhile, and the VF may already be a new
   * holder's, or attached again (a new lease): never mark or free a lease
   * that is not this one, not attached yet, or (to free) not detaching. */
  step->gone = l == NULL || g_strcmp0 (l->owner_uuid, step->uuid) != 0
               || g_strcmp0 (l->alias, step->alias) != 0 || in_flight (pool, l)
               || (step->freed && l->state != VFP_LEASE_DETACHING);
  if (step->gone || step->check_only)
    return;
  if (step->freed)
    {
      /* DEVICE_REMOVED may come while libvirt still gives the VF back to
       * its driver */
      pool->scrub_settle_ms = 2000;
      if (!vfp_pool_mark_free (pool, step->vf, step->why))
        step->quarantined = g_strdup (vfp_state_get (pool->state, step->vf)->note);
    }
  else if (!vfp_pool_mark_detaching (pool, step->vf, &error))
    g_ptr_array_add (pool->events, vfp_event_new ("warning", step->vf, NULL, error->message));
}

/* Whether DOM has VF under ALIAS (an alias can be given again to another
 * VF once a concurrent detach has removed the first). */
static gboolean
has_vf (VfpDomain *dom, const char *alias, const char *vf)
{
  VfpDomDevice *dev = vfp_domain_find_device (dom, alias);
  g_autofree char *addr = dev ? vfp_addr_to_string (&dev->addr) : NULL;

  return addr != NULL && strcmp (addr, vf) == 0;
}

/* Whether the lease this detach marked is still its own, detaching: not
 * freed by another detach meanwhile, and maybe given to the guest again
 * (under a new alias) by an attach. */
static gboolean
still_mine (VfpCli *cli, VfpSysfs *sysfs, const Step *step)
{
  Step check = *step;

  check.freed = TRUE;
  check.check_only = TRUE;
  vfp_cli_with_pool (cli, sysfs, apply_step, &check);
  return !check.gone;
}

/* Whether ARG ("05:10.2", "0000:05:10.2") names VF. */
static gboolean
same_vf (const char *arg, const char *vf)
{
  VfpAddr x, y;

  return vfp_addr_parse (arg, &x, NULL) && vfp_addr_parse (vf, &y, NULL) && vfp_addr_equal (&x, &y);
}

/* The guest's leases the arguments name (VF addresses or aliases), or all. */
static GPtrArray *
select_leases (VfpCli *cli, VfpSysfs *sysfs, const char *uuid, int argc, char **argv,
               gboolean all, GError **error)
{
  g_autoptr (VfpState) state = NULL;
  g_autoptr (VfpPool) pool = NULL;
  g_autoptr (GPtrArray) mine = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_lease_free);
  int code, a;
  guint i;

  state = vfp_cli_open_state (cli, FALSE, &code);
  if (state == NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED, _("The lease store cannot be opened."));
      g_ptr_array_unref (out);
      return NULL;
    }
  pool = vfp_pool_new (cli->config, sysfs, state);
  mine = vfp_pool_guest_leases (pool, uuid);
  for (i = 0; i < mine->len; i++)
    {
      VfpLease *l = mine->pdata[i];
      gboolean wanted = all;

      for (a = 1; a < argc && !wanted; a++)
        wanted = g_strcmp0 (argv[a], l->alias) == 0 || same_vf (argv[a], l->vf);
      if (wanted && !in_flight (pool, l) && l->alias != NULL)
        {
          VfpLease *copy = vfp_lease_new (l->vf);

          copy->alias = g_strdup (l->alias);
          copy->state = l->state;
          copy->live = l->live;
          copy->config = l->config;
          g_ptr_array_add (out, copy);
        }
    }
  if (out->len == 0 || (!all && (int) out->len < argc - 1))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                   all ? _("The guest holds no VF from vfpool.")
                       : _("Not every VF named is held by this guest through vfpool; 'vfpool list' shows who holds what."));
      g_ptr_array_unref (out);
      return NULL;
    }
  return out;
}

int
vfp_cmd_detach (VfpCli *cli, int argc, char **argv)
{
  gboolean all = FALSE;
  int timeout_s = 30;
  GOptionEntry entries[] = {
    { "all", 0, 0, G_OPTION_ARG_NONE, &all, N_("Detach every VF vfpool gave the guest"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout_s, N_("Seconds to wait for the guest to release a device (default 30)"), N_("S") },
    { NULL }
  };
  g_autoptr (VfpVirt) virt = NULL;
  g_autoptr (VfpGuest) guest = NULL;
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (GPtrArray) leases = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpJson) json = vfp_json_new ();
  int code = VFP_EXIT_OK;
  guint i, stuck = 0;

  if (!vfp_cli_parse (cli, "detach", N_("GUEST [VF...]"),
                      N_("Detach VFs (by address or alias, or --all) from a guest; each is freed once libvirt confirms it is gone."),
                      entries, &argc, &argv, &code))
    return code;
  if (argc < 2 || (argc == 2) == !all)
    return vfp_cli_error (cli, VFP_EXIT_ERROR,
                          _("detach needs a guest and VFs or --all: vfpool detach MyGuest --all"));
  if (timeout_s < 0)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("--timeout must be 0 or more."));
  guest = vfp_cli_open_guest (cli, argv[1], &virt, &code);
  if (guest == NULL)
    return code;
  host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, &code);
  if (host == NULL)
    return code;
  leases = select_leases (cli, host->sysfs, vfp_virt_domain_uuid (guest->dom), argc - 1, argv + 1, all, &error);
  if (leases == NULL)
    return vfp_cli_error (cli, VFP_EXIT_FAILED, _("%s: %s"), vfp_virt_domain_name (guest->dom), error->message);

  vfp_json_begin_array (json);
  for (i = 0; i < leases->len; i++)
    {
      VfpLease *l = leases->pdata[i];
      gboolean in_live, in_config, elsewhere;
      Step step = { l->vf, vfp_virt_domain_uuid (guest->dom), l->alias, FALSE, NULL, FALSE, FALSE };
      VfpAddr addr;
      g_autoptr (GError) e = NULL;
      g_autofree char *failure = NULL;
      const char *outcome;

      /* detaching is durable before libvirt is asked */
      vfp_cli_with_pool (cli, host->sysfs, apply_step, &step);
      vfp_guest_reload (guest, NULL);
      in_live = has_vf (guest->live, l->alias, l->vf);
      in_config = has_vf (guest->config, l->alias, l->vf);
      elsewhere = !in_live && !in_config && vfp_addr_parse (l->vf, &addr, NULL)
                  && (vfp_domain_find_address (guest->live, &addr) || vfp_domain_find_address (guest->config, &addr));
      /* the VF in the guest under another alias: another detach may have
       * freed this lease after it was marked, and an attach given the VF
       * back; then the device is not this detach's to remove */
      if (!step.gone && elsewhere)
        step.gone = !still_mine (cli, host->sysfs, &step);
      if (step.gone)
        {
          if (!cli->json && !cli->quiet)
            {
              g_autofree char *name = vfp_text_printable (vfp_virt_domain_name (guest->dom));

              printf (_("VF %s was detached from %s by another vfpool meanwhile\n"), l->vf, name);
            }
          outcome = "free";
        }
      else if ((in_live || in_config) && !vfp_virt_detach_alias (guest->dom, l->alias, in_live, in_config, &e)
               && (!vfp_guest_reload (guest, NULL) || has_vf (guest->live, l->alias, l->vf)
                   || has_vf (guest->config, l->alias, l->vf)))
        {
          failure = g_strdup_printf (_("%s; VF %s stays detaching."), e->message, l->vf);
          stuck++;
          outcome = "error";
        }
      else if (elsewhere)
        {
          /* under another alias than its lease says: not this lease's device */
          failure = g_strdup_printf (_("Guest '%s' has VF %s under another alias than %s; the lease stays detaching ('vfpool audit' settles it)."),
                                     vfp_virt_domain_name (guest->dom), l->vf, l->alias);
          stuck++;
          outcome = "error";
        }
      else if (in_live && (vfp_cli_progress (cli, _("waiting up to %d s for guest %s to release VF %s..."),
                                             timeout_s, vfp_virt_domain_name (guest->dom), l->vf),
                           !vfp_virt_wait_removed (guest->dom, l->alias, timeout_s * 1000)))
        {
          failure = g_strdup_printf (_("Guest '%s' did not release VF %s (%s) within %d s; the lease stays detaching. It is freed when the guest lets go or stops ('vfpool audit' settles it)."),
                                     vfp_virt_domain_name (guest->dom), l->vf, l->alias, timeout_s);
          stuck++;
          outcome = "detaching";
        }
      else
        {
          step.freed = TRUE;
          step.why = in_live ? _("libvirt reported the device removed") : in_config
                     ? _("removed from the persistent definition") : _("the guest no longer has it");
          g_clear_error (&e);   /* libvirt's error when another detach removed it first */
          vfp_cli_with_pool (cli, host->sysfs, apply_step, &step);
          vfp_guest_reload (guest, NULL);
          if (!step.gone && !vfp_guest_write_metadata (guest, NULL, l->alias, guest->active, guest->persistent, &e))
            vfp_cli_warn (cli, "%s", e->message);
          g_autofree char *name = vfp_text_printable (vfp_virt_domain_name (guest->dom));

          if (step.quarantined != NULL)
            {
              failure = g_strdup_printf (_("VF %s left guest %s but is quarantined, not free: %s Fix that, then run 'vfpool scrub %s'."),
                                         l->vf, name, step.quarantined, l->vf);
              g_free (step.quarantined);
              stuck++;
              outcome = "quarantined";
            }
          else
            {
              if (!cli->json && !cli->quiet)
                printf (_("VF %s detached from %s (%s)\n"), l->vf, name, l->alias);
              outcome = "free";
            }
        }
      if (failure != NULL)
        vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", failure);
      vfp_json_begin_object (json);
      vfp_json_member_string (json, "address", l->vf);
      vfp_json_member_string (json, "alias", l->alias);
      vfp_json_member_string (json, "state", outcome);
      vfp_json_member_string (json, "error", failure);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  if (cli->json)
    vfp_cli_print_json (cli, json);
  return stuck > 0 ? VFP_EXIT_FAILED : VFP_EXIT_OK;
}
