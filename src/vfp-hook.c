/* The qemu hook's duties (DESIGN.md §5), by the rules of vfp-hook-rules.c
 * (which the libc-only front door answers by too). It answers from the
 * domain XML on stdin, parsed once, and the lease store; it never asks
 * libvirt anything. Calls that concern no vfpool device return before the
 * store is even opened, so a guest without VFs pays only for reading its
 * XML. */
#include "config.h"

#include <string.h>

#include <libxml/tree.h>
#include <libxml/xpathInternals.h>

#include "vfp-domxml.h"
#include "vfp-error.h"
#include "vfp-hook.h"
#include "vfp-hook-rules.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-pool.h"
#include "vfp-probe.h"
#include "vfp-text.h"
#include "vfp-sysfs.h"
#include "vfp-xml.h"

void
vfp_hook_result_clear (VfpHookResult *r)
{
  g_clear_pointer (&r->message, g_free);
  g_clear_pointer (&r->stdout_xml, g_free);
  g_clear_pointer (&r->reattach_uuid, g_free);
  g_clear_pointer (&r->events, g_ptr_array_unref);
}

static void
say (VfpHookResult *r, int code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static void
say (VfpHookResult *r, int code, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_free (r->message);
  /* libvirt shows the line to whoever started the guest: a name's
   * control characters are printed escaped */
  r->message = vfp_text_printable (msg);
  r->exit_code = code;
}

/* vfpool's devices in DOM: those with a ua-vfpool-N alias. */
static GPtrArray *
vfpool_devices (VfpDomain *dom)
{
  GPtrArray *devs = g_ptr_array_new ();
  guint i;

  for (i = 0; i < dom->devices->len; i++)
    {
      VfpDomDevice *d = dom->devices->pdata[i];

      if (vfp_hook_alias_is_vfpool (d->alias))
        g_ptr_array_add (devs, d);
    }
  return devs;
}

/* Begins the hook's transaction on the store, over SYSFS (NULL: the hook
 * does not scan, except for a migration). A store it cannot open (locked
 * for longer than the hook may wait, unreadable) is said in a line libvirt
 * shows as it is: it names vfpool's hook and the guest, and what this
 * means for it. */
static VfpPool *
begin (const VfpHookCall *call, VfpSysfs *sysfs, VfpHookResult *r, int fail_code)
{
  g_autoptr (GError) error = NULL;
  const char *guest = call->guest ? call->guest : "-";
  VfpPool *pool = vfp_pool_begin (call->config, sysfs, call->state_dir, call->lock_timeout_ms, &error);

  if (pool == NULL)
    {
      if (g_str_equal (call->op, "prepare"))
        say (r, fail_code, _("vfpool hook: guest %s cannot start: %s"), guest, error->message);
      else if (g_str_equal (call->op, "migrate"))
        say (r, fail_code, _("vfpool hook: guest %s cannot migrate to this host: %s"), guest, error->message);
      else
        say (r, fail_code, _("vfpool hook: %s %s of guest %s left its leases as they were: %s"),
             call->op, call->subop, guest, error->message);
      return NULL;
    }
  vfp_pool_set_sysfs_root (pool, call->sysfs_root);
  return pool;
}

/* Commits POOL's transaction (saving only what changed); its events go
 * to R for the log. FALSE with the reason in R (FAIL_CODE) otherwise. */
static gboolean
commit (VfpPool *pool, VfpHookResult *r, int fail_code)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *events = vfp_pool_events (pool);
  guint i;

  if (!vfp_pool_commit (pool, &error))
    {
      say (r, fail_code, "%s", error->message);
      return FALSE;
    }
  for (i = 0; i < events->len; i++)
    {
      VfpEvent *e = events->pdata[i];

      g_ptr_array_add (r->events, vfp_event_new (e->op, e->vf, e->guest, e->message));
    }
  return TRUE;
}

/* The pool of a VF of PF the guest's metadata does not place (an attach
 * killed before its metadata write, a definition copied without it): the
 * configured pool of PF. Pools are resolved against a lazy sysfs scan, made
 * only on the first such VF and kept in *SYSFS for the caller to free. */
static const char *
configured_pool (const VfpHookCall *call, VfpSysfs **sysfs, gboolean *resolved, const char *pf)
{
  VfpPoolConfig *pc;

  if (pf == NULL || call->config->pools->len == 0)
    return NULL;
  if (*sysfs == NULL)
    {
      *sysfs = vfp_sysfs_scan_mode (call->sysfs_root, VFP_SYSFS_LAZY, NULL);
      *resolved = *sysfs != NULL && vfp_config_resolve (call->config, *sysfs, NULL);
    }
  pc = *resolved ? vfp_config_pool_of_pf (call->config, pf) : NULL;
  return pc ? pc->name : NULL;
}

/* Leases every vfpool device of DOM to it (free, or already its own).
 * STRICT stops at the first VF someone else holds, or whose PF is not the
 * card the store recorded, with the reason in R; otherwise such VFs are
 * only reported. Only guests with vfpool devices get here: the identity
 * check (a few sysfs files, or one config space read) costs nothing to
 * the others. */
static gboolean
claim_devices (const VfpHookCall *call, VfpPool *pool, VfpDomain *dom, GPtrArray *devs,
               gboolean strict, VfpHookResult *r)
{
  g_autoptr (VfpSysfs) sysfs = NULL;
  gboolean resolved = FALSE;
  guint i;

  for (i = 0; i < devs->len; i++)
    {
      VfpDomDevice *d = devs->pdata[i];
      VfpMetaVf *m = vfp_domain_find_meta (dom, d->alias);
      g_autoptr (GError) error = NULL;
      g_autofree char *pf = NULL;
      const char *pool_name;
      char vf[VFP_ADDR_STRLEN];

      vfp_addr_format (&d->addr, vf);
      pf = vfp_sysfs_physfn (call->sysfs_root, vf);
      if (!vfp_pool_check_pf (pool, call->sysfs_root, pf, TRUE, &error))
        {
          if (strict)
            {
              say (r, 1, _("vfpool hook: guest %s cannot start with VF %s (%s): %s"),
                   dom->name, vf, d->alias, error->message);
              return FALSE;
            }
          /* the guest runs with it already: the lease must say so */
          g_ptr_array_add (r->events, vfp_event_new ("warning", vf, dom->name, error->message));
          g_clear_error (&error);
        }
      pool_name = m && m->pool ? m->pool
                  : vfp_pool_lease (pool, vf) == NULL ? configured_pool (call, &sysfs, &resolved, pf)
                  : NULL;
      if (vfp_pool_guest_started (pool, vf, pf, dom->uuid, dom->name, pool_name,
                                  d->alias, d->mac, d->vlan, &error))
        continue;
      if (strict)
        {
          say (r, 1, "vfpool: %s", error->message);
          return FALSE;
        }
      g_ptr_array_add (r->events, vfp_event_new ("warning", vf, dom->name, error->message));
    }
  return TRUE;
}

/* prepare begin: every vfpool device must be free or this guest's; if one
 * is not, nothing is saved and the start is refused as a whole. */
static void
on_prepare (const VfpHookCall *call, VfpDomain *dom, GPtrArray *devs, VfpHookResult *r)
{
  g_autoptr (VfpPool) pool = begin (call, NULL, r, 1);

  if (pool != NULL && claim_devices (call, pool, dom, devs, TRUE, r))
    commit (pool, r, 1);
}

/* release end: after any stop. Never fails (libvirt ignores it anyway). */
static void
on_release (const VfpHookCall *call, VfpDomain *dom, VfpHookResult *r)
{
  g_autoptr (VfpPool) pool = NULL;

  if ((pool = begin (call, NULL, r, 0)) == NULL)
    return;
  vfp_pool_guest_stopped (pool, dom->uuid);
  commit (pool, r, 0);
}

/* reconnect begin: libvirtd restarted with the guest running; its live XML
 * is the truth. Never fails: a failing reconnect hook kills the guest. */
static void
on_reconnect (const VfpHookCall *call, VfpDomain *dom, GPtrArray *devs, VfpHookResult *r)
{
  g_autoptr (VfpPool) pool = NULL;
  g_autoptr (GPtrArray) mine = NULL;
  guint i;

  if ((pool = begin (call, NULL, r, 0)) == NULL)
    return;
  claim_devices (call, pool, dom, devs, FALSE, r);
  /* a detach that finished while libvirtd was down */
  mine = vfp_pool_guest_leases (pool, dom->uuid);
  for (i = 0; i < mine->len; i++)
    {
      const VfpLease *l = mine->pdata[i];
      g_autoptr (GError) error = NULL;

      if (l->state == VFP_LEASE_DETACHING && vfp_domain_find_device (dom, l->alias) == NULL
          && !vfp_pool_device_removed (pool, l->vf, dom->uuid, l->alias,
                                       _("the device is gone from the running guest"), &error))
        g_ptr_array_add (r->events, vfp_event_new ("warning", l->vf, dom->name, error->message));
    }
  commit (pool, r, 0);
}

/* Sets the host address of the device with ALIAS in the XML document. */
static gboolean
rewrite_address (xmlDoc *doc, const char *alias, const char *vf)
{
  g_autoptr (xmlXPathContext) ctxt = xmlXPathNewContext (doc);
  g_autoptr (xmlXPathObject) obj = NULL;
  g_autofree char *expr = NULL;
  VfpAddr a;
  char buf[16];
  xmlNode *addr;

  if (strchr (alias, '\'') != NULL || !vfp_addr_parse (vf, &a, NULL))
    return FALSE;
  expr = g_strdup_printf ("/domain/devices/*[alias/@name='%s']/source/address", alias);
  obj = vfp_xml_xpath_nodes (ctxt, xmlDocGetRootElement (doc), expr);
  if (obj == NULL)
    return FALSE;
  addr = obj->nodesetval->nodeTab[0];
  g_snprintf (buf, sizeof buf, "0x%04x", a.domain);
  xmlSetProp (addr, BAD_CAST "domain", BAD_CAST buf);
  g_snprintf (buf, sizeof buf, "0x%02x", a.bus);
  xmlSetProp (addr, BAD_CAST "bus", BAD_CAST buf);
  g_snprintf (buf, sizeof buf, "0x%02x", a.slot);
  xmlSetProp (addr, BAD_CAST "slot", BAD_CAST buf);
  g_snprintf (buf, sizeof buf, "0x%x", a.function);
  xmlSetProp (addr, BAD_CAST "function", BAD_CAST buf);
  return TRUE;
}

/* Whether L is a reservation made here for a guest's arrival by migration
 * (by its capacity probe or by migrate begin), not yet attached. */
static gboolean
is_arrival_reservation (const VfpLease *l)
{
  return l->state == VFP_LEASE_RESERVED && l->pid == 0 && l->migration;
}

/* The arrival reservation of guest UUID for ALIAS, or NULL. */
static const VfpLease *
find_arrival (VfpPool *pool, const char *uuid, const char *alias)
{
  g_autoptr (GPtrArray) mine = vfp_pool_guest_leases (pool, uuid);
  guint i;

  for (i = 0; i < mine->len; i++)
    {
      const VfpLease *l = mine->pdata[i];

      if (is_arrival_reservation (l) && g_strcmp0 (l->alias, alias) == 0)
        return l;
    }
  return NULL;
}

/* A local VF for M, a VF of guest UUID/NAME's metadata, reserved for HOLD
 * seconds with the device it will be (or the one its capacity probe
 * reserved, its hold extended: a second VF for the same device would leak
 * one); its address in VF. FALSE with the reason in R. */
static gboolean
reserve_one (const VfpHookCall *call, VfpPool *pool, const VfpMetaVf *m, const char *uuid,
             const char *name, guint hold, char vf[VFP_ADDR_STRLEN], VfpHookResult *r)
{
  const VfpLease *held = find_arrival (pool, uuid, m->alias);
  VfpDeviceRecord device = { m->alias, m->mac, m->vlan, TRUE, FALSE, NULL };
  VfpReserveRequest req = { 0 };
  g_autoptr (GPtrArray) got = NULL;
  g_autoptr (GError) error = NULL;

  if (held != NULL)
    {
      g_strlcpy (vf, held->vf, VFP_ADDR_STRLEN);
      if (vfp_pool_hold_extended (pool, vf, uuid, hold, &error))
        return TRUE;
      say (r, 1, "vfpool: %s", error->message);
      return FALSE;
    }
  req.pool = m->pool && vfp_config_find_pool (call->config, m->pool) ? m->pool : NULL;
  req.count = 1;
  req.owner_uuid = uuid;
  req.owner_name = name;
  req.numa_node = -1;
  req.hold_seconds = hold;
  req.migration = TRUE;
  got = vfp_pool_reserve (pool, &req, NULL, &error);
  if (got == NULL)
    {
      say (r, 1, _("vfpool: no VF from pool %s on this host for %s of guest %s: %s"),
           m->pool ? m->pool : "-", m->alias, name, error->message);
      return FALSE;
    }
  g_strlcpy (vf, ((const VfpPick *) got->pdata[0])->vf, VFP_ADDR_STRLEN);
  if (vfp_pool_attach_requested (pool, vf, uuid, &device, &error))
    return TRUE;
  say (r, 1, "vfpool: %s", error->message);
  return FALSE;
}

/* Reserves a local VF, for HOLD seconds, for every VF of META (guest
 * UUID/NAME's metadata). With DOM and DOC (migrate begin), a failover VF
 * still in the XML gets its host address rewritten to the local VF
 * (*REWRITTEN). FALSE with the reason in R; the caller then commits
 * nothing. */
static gboolean
reserve_arrival (const VfpHookCall *call, VfpPool *pool, GPtrArray *meta, const char *uuid,
                 const char *name, guint hold, VfpDomain *dom, xmlDoc *doc,
                 gboolean *rewritten, VfpHookResult *r)
{
  guint i;

  for (i = 0; i < meta->len; i++)
    {
      const VfpMetaVf *m = meta->pdata[i];
      VfpDomDevice *d = dom ? vfp_domain_find_device (dom, m->alias) : NULL;
      char vf[VFP_ADDR_STRLEN];

      if (d != NULL && !d->teaming_persistent)
        {
          say (r, 1, _("vfpool: guest %s still has VF %s (%s) and is not a failover guest; migrate it with 'vfpool migrate'."),
               name, m->address ? m->address : "-", m->alias);
          return FALSE;
        }
      if (!reserve_one (call, pool, m, uuid, name, hold, vf, r))
        return FALSE;
      if (d != NULL)
        {
          if (doc == NULL || !rewrite_address (doc, m->alias, vf))
            {
              say (r, 1, _("vfpool: cannot rewrite the address of %s in guest %s."), m->alias, name);
              return FALSE;
            }
          *rewritten = TRUE;
        }
    }
  return TRUE;
}

/* The hook's transaction over the host's VFs (a lazy scan, kept in
 * *SYSFS), for the calls that reserve: migrate begin and the capacity
 * probe. Choosing VFs needs the pools: only a guest that brings VFs gets
 * here, so a broken configuration refuses it. NULL with the reason in R. */
static VfpPool *
begin_with_vfs (const VfpHookCall *call, VfpSysfs **sysfs, VfpHookResult *r)
{
  g_autoptr (GError) error = NULL;

  if (call->config_error != NULL)
    {
      say (r, 1, "vfpool: %s", call->config_error);
      return NULL;
    }
  *sysfs = vfp_sysfs_scan_mode (call->sysfs_root, VFP_SYSFS_LAZY, &error);
  if (*sysfs == NULL || !vfp_config_resolve (call->config, *sysfs, &error))
    {
      say (r, 1, "vfpool: %s", error->message);
      return NULL;
    }
  return begin (call, *sysfs, r, 1);
}

/* migrate begin, on the destination, before any memory is copied: reserve
 * a local VF for every VF the guest's metadata names (or keep what its
 * capacity probe reserved). Failover VFs are still in the XML (QEMU
 * unplugs them itself): their host address is rewritten to the local VF.
 * The others were detached by `vfpool migrate` and are reattached once the
 * guest runs here. No free VF: refuse, and the migration stops with the
 * source guest untouched. DOC is the guest's XML as parsed, rewritten
 * here. */
static void
on_migrate (const VfpHookCall *call, xmlDoc *doc, VfpDomain *dom, VfpHookResult *r)
{
  g_autoptr (VfpSysfs) sysfs = NULL;
  g_autoptr (VfpPool) pool = NULL;
  gboolean rewritten = FALSE;

  if ((pool = begin_with_vfs (call, &sysfs, r)) == NULL)
    return;
  if (!reserve_arrival (call, pool, dom->meta, dom->uuid, dom->name, VFP_MIGRATION_HOLD_SECONDS,
                        dom, doc, &rewritten, r))
    return;
  if (!commit (pool, r, 1))
    return;
  if (rewritten)
    {
      g_autoptr (xmlBuffer) buf = xmlBufferCreate ();

      xmlNodeDump (buf, doc, xmlDocGetRootElement (doc), 0, 0);
      r->stdout_xml = g_strdup_printf ("%s\n", (const char *) xmlBufferContent (buf));
    }
}

/* Frees the arrival reservations of the guest PROBE names; how many. */
static guint
cancel_arrival (VfpPool *pool, const VfpProbe *probe, VfpHookResult *r)
{
  g_autoptr (GPtrArray) mine = vfp_pool_guest_leases (pool, probe->guest_uuid);
  guint i, n = 0;

  for (i = 0; i < mine->len; i++)
    {
      const VfpLease *l = mine->pdata[i];
      g_autoptr (GError) error = NULL;
      g_autofree char *vf = NULL;

      if (!is_arrival_reservation (l))
        continue;
      vf = g_strdup (l->vf);    /* the lease is gone once freed */
      if (vfp_pool_expire (pool, vf, probe->guest_uuid,
                           _("the migration it was reserved for was called off"), &error))
        n++;
      else
        g_ptr_array_add (r->events, vfp_event_new ("warning", vf, probe->guest_name, error->message));
    }
  return n;
}

/* prepare begin of a migration's capacity probe (vfp-probe.h), sent by
 * `vfpool migrate` through this host's libvirt before it unplugs anything
 * on the source: reserve a VF here for each VF of the guest's metadata,
 * for the probe's hold (the reservation expires if the migration never
 * comes; migrate begin takes it over and extends it); with cancel, free
 * them. The probe never starts: the answer is always a refusal, and the
 * one that means "reserved" or "freed" names the probe's token. */
static void
on_probe (const VfpHookCall *call, VfpDomain *dom, const VfpProbe *probe, VfpHookResult *r)
{
  g_autoptr (VfpSysfs) sysfs = NULL;
  g_autoptr (VfpPool) pool = NULL;
  gboolean rewritten = FALSE;
  guint n;

  if ((pool = begin_with_vfs (call, &sysfs, r)) == NULL)
    return;
  if (probe->cancel)
    {
      n = cancel_arrival (pool, probe, r);
      if (commit (pool, r, 1))
        say (r, 1, _("vfpool hook: capacity check %s: the VFs reserved on this host for guest %s were freed (count: %u); the probe itself never starts."),
             probe->token, probe->guest_name, n);
      return;
    }
  if (!reserve_arrival (call, pool, dom->meta, probe->guest_uuid, probe->guest_name,
                        probe->hold_seconds, NULL, NULL, &rewritten, r))
    return;
  if (commit (pool, r, 1))
    say (r, 1, _("vfpool hook: capacity check %s: the VFs of guest %s are reserved on this host (count: %u) for %u s; the probe itself never starts."),
         probe->token, probe->guest_name, dom->meta->len, probe->hold_seconds);
}

/* started begin: a guest that arrived by migration has VFs reserved for it
 * here; a detached `vfpool reattach` gives them back once it runs. */
static void
on_started (const VfpHookCall *call, VfpDomain *dom, VfpHookResult *r)
{
  g_autoptr (VfpPool) pool = NULL;
  g_autoptr (GPtrArray) mine = NULL;
  guint i;

  if ((pool = begin (call, NULL, r, 0)) == NULL)
    return;
  mine = vfp_pool_guest_leases (pool, dom->uuid);
  for (i = 0; i < mine->len; i++)
    {
      const VfpLease *l = mine->pdata[i];

      if (is_arrival_reservation (l) && vfp_domain_find_device (dom, l->alias) == NULL)
        {
          r->reattach_uuid = g_strdup (dom->uuid);
          return;
        }
    }
}

/* prepare begin: a guest with vfpool devices, or a migration's capacity
 * probe (PROBE, or PROBE_ERROR when its marker is malformed); any other
 * guest with vfpool metadata left (its VFs were detached) has nothing to
 * lease. */
static void
on_prepare_call (const VfpHookCall *call, VfpDomain *dom, GPtrArray *devs, const VfpProbe *probe,
                 const GError *probe_error, VfpHookResult *r)
{
  if (devs->len > 0)
    on_prepare (call, dom, devs, r);
  else if (probe_error != NULL)
    say (r, 1, "vfpool hook: %s", probe_error->message);
  else if (probe != NULL)
    on_probe (call, dom, probe, r);
}

/* Whether DOM is a concern of RULE, by what the rule needs: devices with
 * vfpool's alias (DEVS), vfpool's metadata, a capacity probe (IS_PROBE: a
 * marker, well-formed or not), or a store whose text names the guest
 * (read without the lock; only the release and reconnect rules need it). */
static gboolean
concerns (const VfpHookRule *rule, const VfpHookCall *call, VfpDomain *dom, GPtrArray *devs,
          gboolean is_probe)
{
  const char *uuids[] = { dom->uuid };

  switch (rule->need)
    {
    case VFP_HOOK_NEEDS_DEVICE:
      return devs->len > 0;
    case VFP_HOOK_NEEDS_METADATA:
      return dom->meta->len > 0;
    case VFP_HOOK_NEEDS_DEVICE_OR_PROBE:
      return devs->len > 0 || is_probe;
    case VFP_HOOK_NEEDS_LEASE:
      return vfp_hook_store_mentions (call->state_dir, uuids, 1);
    case VFP_HOOK_NEEDS_DEVICE_OR_LEASE:
      return devs->len > 0 || vfp_hook_store_mentions (call->state_dir, uuids, 1);
    }
  return FALSE;
}

/* Runs one hook call by its rule. Unknown operations and unreadable input
 * change nothing and exit 0, except where the rule refuses what it cannot
 * check (prepare, migrate: a guest we cannot check must not start here). */
void
vfp_hook_run (const VfpHookCall *call, VfpHookResult *r)
{
  const VfpHookRule *rule = vfp_hook_rule_find (call->op, call->subop);
  g_autoptr (GError) error = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (VfpDomain) dom = NULL;
  g_autoptr (GPtrArray) devs = NULL;
  g_autoptr (VfpProbe) probe = NULL;
  g_autoptr (GError) probe_error = NULL;

  memset (r, 0, sizeof *r);
  r->events = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_event_free);
  if (call->op == NULL || call->subop == NULL)
    {
      if (call->bad_option != NULL)
        say (r, 0, _("vfpool hook: %s; nothing was done for guest %s. Correct the options of the wrapper that runs the hook."),
             call->bad_option, call->guest ? call->guest : "-");
      else
        say (r, 0, _("vfpool hook: called without an operation; nothing to do."));
      return;
    }
  if (rule == NULL)
    {
      if (call->bad_option != NULL)
        say (r, 0, _("vfpool hook: %s; nothing was done for guest %s. Correct the options of the wrapper that runs the hook."),
             call->bad_option, call->guest ? call->guest : "-");
      return;
    }
  /* parsed once: the migrate duty rewrites this same document */
  doc = vfp_xml_parse (call->xml ? call->xml : "", call->xml_len, _("a domain"), &error);
  dom = doc != NULL ? vfp_domxml_read (doc, &error) : NULL;
  if (dom == NULL)
    {
      say (r, rule->refuses ? 1 : 0, _("vfpool hook: %s %s of '%s': %s"), call->op, call->subop,
           call->guest ? call->guest : "-", error->message);
      return;
    }
  devs = vfpool_devices (dom);
  /* read once: what makes prepare a concern, and what it acts on */
  if (rule->duty == VFP_HOOK_PREPARE && devs->len == 0 && dom->meta->len > 0)
    probe = vfp_probe_read (doc, &probe_error);
  /* Options the hook does not know (a wrapper's typo): it does nothing,
   * and refuses only a guest it would have had to check. */
  if (call->bad_option != NULL)
    {
      if (rule->refuses && concerns (rule, call, dom, devs, probe != NULL || probe_error != NULL))
        say (r, 1, _("vfpool hook: %s; guest %s has VFs from vfpool and is refused rather than let through unchecked. Correct the options of the wrapper that runs the hook."),
             call->bad_option, dom->name ? dom->name : "-");
      else
        say (r, 0, _("vfpool hook: %s; nothing was done for guest %s. Correct the options of the wrapper that runs the hook."),
             call->bad_option, dom->name ? dom->name : "-");
      return;
    }
  if (!concerns (rule, call, dom, devs, probe != NULL || probe_error != NULL))
    return;
  switch (rule->duty)
    {
    case VFP_HOOK_PREPARE:
      on_prepare_call (call, dom, devs, probe, probe_error, r);
      break;
    case VFP_HOOK_RELEASE:
      on_release (call, dom, r);
      break;
    case VFP_HOOK_MIGRATE:
      on_migrate (call, doc, dom, r);
      break;
    case VFP_HOOK_STARTED:
      on_started (call, dom, r);
      break;
    case VFP_HOOK_RECONNECT:
      on_reconnect (call, dom, devs, r);
      break;
    }
}
