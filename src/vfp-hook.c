/* The qemu hook's duties (DESIGN.md §5). It answers from the domain XML on
 * stdin and the lease store; it never asks libvirt anything. Calls that
 * concern no vfpool device return before the store is even opened, so a
 * guest without VFs pays only for reading its XML. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/tree.h>
#include <libxml/xpathInternals.h>

#include "vfp-domxml.h"
#include "vfp-error.h"
#include "vfp-hook.h"
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

      if (d->alias && g_str_has_prefix (d->alias, VFP_ALIAS_PREFIX))
        g_ptr_array_add (devs, d);
    }
  return devs;
}

/* Opens the store and a pool manager without sysfs (the hook never scans).
 * A store it cannot open (locked for longer than the hook may wait,
 * unreadable) is said in a line libvirt shows as it is: it names vfpool's
 * hook and the guest, and what this means for it. */
static gboolean
open_pool (const VfpHookCall *call, VfpHookResult *r, VfpState **state, VfpPool **pool,
           int fail_code)
{
  g_autoptr (GError) error = NULL;
  const char *guest = call->guest ? call->guest : "-";

  *state = vfp_state_open (call->state_dir, call->lock_timeout_ms, &error);
  if (*state == NULL)
    {
      if (g_str_equal (call->op, "prepare"))
        say (r, fail_code, _("vfpool hook: guest %s cannot start: %s"), guest, error->message);
      else if (g_str_equal (call->op, "migrate"))
        say (r, fail_code, _("vfpool hook: guest %s cannot migrate to this host: %s"), guest, error->message);
      else
        say (r, fail_code, _("vfpool hook: %s %s of guest %s left its leases as they were: %s"),
             call->op, call->subop, guest, error->message);
      return FALSE;
    }
  *pool = vfp_pool_new (call->config, NULL, *state);
  return TRUE;
}

static gboolean
save (VfpState *state, VfpPool *pool, VfpHookResult *r, int fail_code)
{
  g_autoptr (GError) error = NULL;
  guint i;

  if (!vfp_state_save (state, &error))
    {
      say (r, fail_code, "%s", error->message);
      return FALSE;
    }
  for (i = 0; i < pool->events->len; i++)
    {
      VfpEvent *e = pool->events->pdata[i];

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
                  : vfp_state_get (pool->state, vf) == NULL ? configured_pool (call, &sysfs, &resolved, pf)
                  : NULL;
      if (vfp_pool_claim_for_start (pool, vf, pf, dom->uuid, dom->name, pool_name,
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
  g_autoptr (VfpState) state = NULL;
  g_autoptr (VfpPool) pool = NULL;

  if (open_pool (call, r, &state, &pool, 1) && claim_devices (call, pool, dom, devs, TRUE, r))
    save (state, pool, r, 1);
}

/* Whether the store may hold a lease of UUID: its text names it. The store
 * is replaced by rename, so an unlocked read sees an old or a new store,
 * never half of one; a lease written after this look belongs to an attach
 * in progress, which the release would leave alone anyway. Most guests
 * have no VF: this spares them the lock and the parse. Anything but a
 * regular file "may": the store's own open then refuses it, saying why.
 * O_NONBLOCK: the open of a FIFO must not wait for a writer. */
static gboolean
store_mentions (const VfpHookCall *call, const char *uuid)
{
  g_autofree char *path = g_build_filename (call->state_dir, VFP_LEASES_FILE, NULL);
  g_autofree char *text = NULL;
  struct stat st;
  gsize got = 0;
  int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

  if (fd < 0)
    return errno != ENOENT;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size > VFP_LEASES_MAX_SIZE)
    {
      close (fd);
      return TRUE;
    }
  text = g_malloc (st.st_size + 1);
  while (got < (gsize) st.st_size)
    {
      gssize n = read (fd, text + got, st.st_size - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += n;
    }
  close (fd);
  text[got] = '\0';
  return got != (gsize) st.st_size || strstr (text, uuid) != NULL;
}

/* release end: after any stop. Never fails (libvirt ignores it anyway). */
static void
on_release (const VfpHookCall *call, VfpDomain *dom, VfpHookResult *r)
{
  g_autoptr (VfpState) state = NULL;
  g_autoptr (VfpPool) pool = NULL;

  if (!store_mentions (call, dom->uuid))
    return;
  if (!open_pool (call, r, &state, &pool, 0))
    return;
  vfp_pool_guest_stopped (pool, dom->uuid);
  save (state, pool, r, 0);
}

/* reconnect begin: libvirtd restarted with the guest running; its live XML
 * is the truth. Never fails: a failing reconnect hook kills the guest. */
static void
on_reconnect (const VfpHookCall *call, VfpDomain *dom, GPtrArray *devs, VfpHookResult *r)
{
  g_autoptr (VfpState) state = NULL;
  g_autoptr (VfpPool) pool = NULL;
  g_autoptr (GPtrArray) mine = NULL;
  guint i;

  if (!open_pool (call, r, &state, &pool, 0))
    return;
  claim_devices (call, pool, dom, devs, FALSE, r);
  /* a detach that finished while libvirtd was down */
  mine = vfp_pool_guest_leases (pool, dom->uuid);
  for (i = 0; i < mine->len; i++)
    {
      VfpLease *l = mine->pdata[i];

      if (l->state == VFP_LEASE_DETACHING && vfp_domain_find_device (dom, l->alias) == NULL)
        vfp_pool_mark_free (pool, l->vf, _("the device is gone from the running guest"));
    }
  save (state, pool, r, 0);
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
  return l->state == VFP_LEASE_RESERVED && l->pid == 0 && g_strcmp0 (l->note, VFP_MIGRATION_NOTE) == 0;
}

/* The arrival reservation of guest UUID for ALIAS, or NULL. */
static VfpLease *
find_arrival (VfpPool *pool, const char *uuid, const char *alias)
{
  g_autoptr (GPtrArray) mine = vfp_pool_guest_leases (pool, uuid);
  guint i;

  for (i = 0; i < mine->len; i++)
    {
      VfpLease *l = mine->pdata[i];

      if (is_arrival_reservation (l) && g_strcmp0 (l->alias, alias) == 0)
        return l;
    }
  return NULL;
}

/* Reserves a local VF, for HOLD seconds, for every VF of META (the guest
 * UUID/NAME's metadata), or keeps the one its capacity probe reserved
 * already (a second VF for the same device would leak one). With DOM and
 * DOC (migrate begin), a failover VF still in the XML gets its host
 * address rewritten to the local VF (*REWRITTEN). FALSE with the reason in
 * R; nothing is saved then. */
static gboolean
reserve_arrival (const VfpHookCall *call, VfpPool *pool, GPtrArray *meta, const char *uuid,
                 const char *name, gint64 hold, VfpDomain *dom, xmlDoc *doc,
                 gboolean *rewritten, VfpHookResult *r)
{
  guint i;

  for (i = 0; i < meta->len; i++)
    {
      VfpMetaVf *m = meta->pdata[i];
      VfpDomDevice *d = dom ? vfp_domain_find_device (dom, m->alias) : NULL;
      VfpLease *l = find_arrival (pool, uuid, m->alias);
      g_autoptr (GError) error = NULL;

      if (d != NULL && !d->teaming_persistent)
        {
          say (r, 1, _("vfpool: guest %s still has VF %s (%s) and is not a failover guest; migrate it with 'vfpool migrate'."),
               name, m->address ? m->address : "-", m->alias);
          return FALSE;
        }
      if (l != NULL)
        vfp_pool_extend_hold (pool, l->vf, hold);
      else
        {
          VfpReserveRequest req = { 0 };
          g_autoptr (GPtrArray) got = NULL;

          req.pool = m->pool && vfp_config_find_pool (call->config, m->pool) ? m->pool : NULL;
          req.count = 1;
          req.owner_uuid = uuid;
          req.owner_name = name;
          req.numa_node = -1;
          req.hold_seconds = hold;
          req.note = VFP_MIGRATION_NOTE;
          got = vfp_pool_reserve (pool, &req, NULL, &error);
          if (got == NULL)
            {
              say (r, 1, _("vfpool: no VF from pool %s on this host for %s of guest %s: %s"),
                   m->pool ? m->pool : "-", m->alias, name, error->message);
              return FALSE;
            }
          l = got->pdata[0];
        }
      vfp_pool_set_device (pool, l->vf, m->mac, m->vlan, m->alias, TRUE, FALSE);
      if (d != NULL)
        {
          if (doc == NULL || !rewrite_address (doc, m->alias, l->vf))
            {
              say (r, 1, _("vfpool: cannot rewrite the address of %s in guest %s."), m->alias, name);
              return FALSE;
            }
          *rewritten = TRUE;
        }
    }
  return TRUE;
}

/* The store and a pool manager with the host's VFs (a lazy scan), for
 * calls that reserve: migrate begin and the capacity probe. */
static gboolean
open_pool_with_vfs (const VfpHookCall *call, VfpHookResult *r, VfpState **state, VfpPool **pool,
                    VfpSysfs **sysfs)
{
  g_autoptr (GError) error = NULL;

  *sysfs = vfp_sysfs_scan_mode (call->sysfs_root, VFP_SYSFS_LAZY, &error);
  if (*sysfs == NULL || !vfp_config_resolve (call->config, *sysfs, &error))
    {
      say (r, 1, "vfpool: %s", error->message);
      return FALSE;
    }
  if (!open_pool (call, r, state, pool, 1))
    return FALSE;
  (*pool)->sysfs = *sysfs;
  return TRUE;
}

/* migrate begin, on the destination, before any memory is copied: reserve
 * a local VF for every VF the guest's metadata names (or keep what its
 * capacity probe reserved). Failover VFs are still in the XML (QEMU
 * unplugs them itself): their host address is rewritten to the local VF.
 * The others were detached by `vfpool migrate` and are reattached once the
 * guest runs here. No free VF: refuse, and the migration stops with the
 * source guest untouched. */
static void
on_migrate (const VfpHookCall *call, VfpDomain *dom, VfpHookResult *r)
{
  g_autoptr (VfpState) state = NULL;
  g_autoptr (VfpPool) pool = NULL;
  g_autoptr (VfpSysfs) sysfs = NULL;
  g_autoptr (xmlDoc) doc = NULL;
  gboolean rewritten = FALSE;

  if (dom->meta->len == 0)
    return;
  if (!open_pool_with_vfs (call, r, &state, &pool, &sysfs))
    return;
  doc = vfp_xml_parse (call->xml, call->xml_len, _("the incoming guest"), NULL);
  if (!reserve_arrival (call, pool, dom->meta, dom->uuid, dom->name, VFP_MIGRATION_HOLD_SECONDS,
                        dom, doc, &rewritten, r))
    return;
  if (!save (state, pool, r, 1))
    return;
  if (rewritten)
    {
      g_autoptr (xmlBuffer) buf = xmlBufferCreate ();

      xmlNodeDump (buf, doc, xmlDocGetRootElement (doc), 0, 0);
      r->stdout_xml = g_strdup_printf ("%s\n", (const char *) xmlBufferContent (buf));
    }
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
  g_autoptr (VfpState) state = NULL;
  g_autoptr (VfpPool) pool = NULL;
  g_autoptr (VfpSysfs) sysfs = NULL;
  gboolean rewritten = FALSE;

  if (!open_pool_with_vfs (call, r, &state, &pool, &sysfs))
    return;
  if (probe->cancel)
    {
      g_autoptr (GPtrArray) mine = vfp_pool_guest_leases (pool, probe->guest_uuid);
      guint i, n = 0;

      for (i = 0; i < mine->len; i++)
        if (is_arrival_reservation (mine->pdata[i]))
          {
            vfp_pool_mark_free (pool, ((VfpLease *) mine->pdata[i])->vf,
                                _("the migration it was reserved for was called off"));
            n++;
          }
      if (save (state, pool, r, 1))
        say (r, 1, _("vfpool hook: capacity check %s: the VFs reserved on this host for guest %s were freed (count: %u); the probe itself never starts."),
             probe->token, probe->guest_name, n);
      return;
    }
  if (!reserve_arrival (call, pool, dom->meta, probe->guest_uuid, probe->guest_name,
                        probe->hold_seconds, NULL, NULL, &rewritten, r))
    return;
  if (save (state, pool, r, 1))
    say (r, 1, _("vfpool hook: capacity check %s: the VFs of guest %s are reserved on this host (count: %u) for %u s; the probe itself never starts."),
         probe->token, probe->guest_name, dom->meta->len, probe->hold_seconds);
}

/* started begin: a guest that arrived by migration has VFs reserved for it
 * here; a detached `vfpool reattach` gives them back once it runs. */
static void
on_started (const VfpHookCall *call, VfpDomain *dom, VfpHookResult *r)
{
  g_autoptr (VfpState) state = NULL;
  g_autoptr (VfpPool) pool = NULL;
  g_autoptr (GPtrArray) mine = NULL;
  guint i;

  if (dom->meta->len == 0 || !open_pool (call, r, &state, &pool, 0))
    return;
  mine = vfp_pool_guest_leases (pool, dom->uuid);
  for (i = 0; i < mine->len; i++)
    {
      VfpLease *l = mine->pdata[i];

      if (l->state == VFP_LEASE_RESERVED && l->pid == 0
          && g_strcmp0 (l->note, VFP_MIGRATION_NOTE) == 0
          && vfp_domain_find_device (dom, l->alias) == NULL)
        {
          r->reattach_uuid = g_strdup (dom->uuid);
          return;
        }
    }
}

/* Runs one hook call. Unknown operations and unreadable input change
 * nothing and exit 0, except where refusing is the safe answer (prepare,
 * migrate: a guest we cannot check must not start here). */
void
vfp_hook_run (const VfpHookCall *call, VfpHookResult *r)
{
  gboolean must_refuse = g_strcmp0 (call->op, "prepare") == 0 || g_strcmp0 (call->op, "migrate") == 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpDomain) dom = NULL;
  g_autoptr (GPtrArray) devs = NULL;

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
  if (!(g_str_equal (call->op, "prepare") && g_str_equal (call->subop, "begin"))
      && !(g_str_equal (call->op, "release") && g_str_equal (call->subop, "end"))
      && !(g_str_equal (call->op, "migrate") && g_str_equal (call->subop, "begin"))
      && !(g_str_equal (call->op, "started") && g_str_equal (call->subop, "begin"))
      && !(g_str_equal (call->op, "reconnect") && g_str_equal (call->subop, "begin")))
    {
      if (call->bad_option != NULL)
        say (r, 0, _("vfpool hook: %s; nothing was done for guest %s. Correct the options of the wrapper that runs the hook."),
             call->bad_option, call->guest ? call->guest : "-");
      return;
    }
  dom = vfp_domxml_parse (call->xml ? call->xml : "", call->xml_len, &error);
  if (dom == NULL)
    {
      say (r, must_refuse ? 1 : 0, _("vfpool hook: %s %s of '%s': %s"), call->op, call->subop,
           call->guest ? call->guest : "-", error->message);
      return;
    }
  devs = vfpool_devices (dom);
  /* Options the hook does not know (a wrapper's typo): it does nothing,
   * and refuses only a guest it would have had to check. */
  if (call->bad_option != NULL)
    {
      if ((g_str_equal (call->op, "prepare") && devs->len > 0)
          || (g_str_equal (call->op, "migrate") && dom->meta->len > 0))
        say (r, 1, _("vfpool hook: %s; guest %s has VFs from vfpool and is refused rather than let through unchecked. Correct the options of the wrapper that runs the hook."),
             call->bad_option, dom->name ? dom->name : "-");
      else
        say (r, 0, _("vfpool hook: %s; nothing was done for guest %s. Correct the options of the wrapper that runs the hook."),
             call->bad_option, dom->name ? dom->name : "-");
      return;
    }
  if (g_str_equal (call->op, "prepare"))
    {
      g_autoptr (VfpProbe) probe = NULL;

      /* a probe has vfpool metadata and no devices */
      if (devs->len == 0 && dom->meta->len > 0)
        probe = vfp_probe_parse (call->xml, call->xml_len, &error);
      if (error != NULL)
        say (r, 1, "vfpool hook: %s", error->message);
      else if (probe != NULL)
        on_probe (call, dom, probe, r);
      else if (devs->len > 0)
        on_prepare (call, dom, devs, r);
    }
  else if (g_str_equal (call->op, "release"))
    on_release (call, dom, r);
  else if (g_str_equal (call->op, "reconnect"))
    {
      if (devs->len > 0)
        on_reconnect (call, dom, devs, r);
    }
  else if (g_str_equal (call->op, "migrate"))
    on_migrate (call, dom, r);
  else if (g_str_equal (call->op, "started"))
    on_started (call, dom, r);
}
