/* The libvirt side of vfpool. libvirt's errors are captured at the failure
 * site (before any cleanup call resets them) and carried as GErrors; a
 * silent error function keeps libvirt from printing on its own. */
#include "config.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdlib.h>

#include <string.h>

#include "vfp-domxml.h"
#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-virt.h"
#include "vfp-virt-events.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (virNodeDevice, virNodeDeviceFree)

struct _VfpVirt {
  virConnectPtr conn;   /* owned */
  char *uri;            /* owned: the URI as the caller gave it */
};

static void
silent_error_func (void *opaque, virErrorPtr err)
{
}

/* Turns libvirt's last error into ERROR, prefixed with WHAT vfpool tried. */
static void
error_from_libvirt (GError **error, const char *what)
{
  virErrorPtr err = virGetLastError ();
  /* a hook's refusal ends with the hook's newline, which libvirt keeps:
   * it would be printed as an escape at the end of our one line */
  g_autofree char *reason = g_strdup (err && err->message ? err->message : _("libvirt gave no reason"));

  g_set_error (error, VFP_ERROR, VFP_ERROR_LIBVIRT, "%s: %s", what, g_strchomp (reason));
}

/* libvirt's errors are vfpool's to word; its event loop runs in a thread
 * of its own (vfp-virt-events.c), registered before any connection. */
static void
init_libvirt (void)
{
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      virSetErrorFunc (NULL, silent_error_func);
      vfp_virt_events_start ();
      g_once_init_leave (&initialized, 1);
    }
}

/* Connects to URI (NULL: libvirt's default); the caller closes it. */
VfpVirt *
vfp_virt_open (const char *uri, gboolean read_only, GError **error)
{
  VfpVirt *virt;
  virConnectPtr conn;

  init_libvirt ();
  conn = read_only ? virConnectOpenReadOnly (uri) : virConnectOpen (uri);
  if (conn == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("Cannot connect to libvirt at '%s'"),
                                               uri ? uri : _("libvirt's default URI"));

      error_from_libvirt (error, what);
      return NULL;
    }
  virt = g_new0 (VfpVirt, 1);
  virt->conn = conn;
  virt->uri = g_strdup (uri);
  return virt;
}

void
vfp_virt_close (VfpVirt *virt)
{
  if (virt == NULL)
    return;
  virConnectClose (virt->conn);
  g_free (virt->uri);
  g_free (virt);
}

/* The XML of every PCI node device; the caller frees the array. */
GPtrArray *
vfp_virt_list_pci_nodedevs (VfpVirt *virt, GError **error)
{
  virNodeDevicePtr *devs = NULL;
  g_autoptr (GPtrArray) xmls = g_ptr_array_new_with_free_func (free);
  int n, i;

  n = virConnectListAllNodeDevices (virt->conn, &devs,
                                    VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV);
  if (n < 0)
    {
      error_from_libvirt (error, _("Cannot list libvirt's PCI node devices"));
      return NULL;
    }
  for (i = 0; i < n; i++)
    {
      g_autoptr (virNodeDevice) dev = devs[i];
      char *xml = virNodeDeviceGetXMLDesc (dev, 0);

      /* A device can vanish between listing and dumping (VFs removed). */
      if (xml != NULL)
        g_ptr_array_add (xmls, xml);
    }
  free (devs);
  return g_steal_pointer (&xmls);
}

/* The XML of node device NAME ("pci_0000_05_10_2"); NULL with ERROR
 * (VFP_ERROR_NOT_FOUND when libvirt has no such device). */
char *
vfp_virt_nodedev_xml (VfpVirt *virt, const char *name, GError **error)
{
  g_autoptr (virNodeDevice) dev = virNodeDeviceLookupByName (virt->conn, name);
  char *xml;
  g_autofree char *out = NULL;

  if (dev == NULL)
    {
      virErrorPtr err = virGetLastError ();

      g_set_error (error, VFP_ERROR,
                   err && err->code == VIR_ERR_NO_NODE_DEVICE ? VFP_ERROR_NOT_FOUND : VFP_ERROR_LIBVIRT,
                   _("libvirt has no node device '%s': %s"), name,
                   err && err->message ? err->message : _("libvirt gave no reason"));
      return NULL;
    }
  xml = virNodeDeviceGetXMLDesc (dev, 0);
  if (xml == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("Cannot read node device '%s'"), name);

      error_from_libvirt (error, what);
      return NULL;
    }
  out = g_strdup (xml);
  free (xml);
  return g_steal_pointer (&out);
}

struct _VfpVirtDomain {
  VfpVirt *virt;            /* not owned */
  virDomainPtr dom;         /* owned */
  char *name;               /* owned */
  char uuid[VIR_UUID_STRING_BUFLEN];
  VfpRemovedSet *removed;   /* a reference: aliases DEVICE_REMOVED reported */
  int removed_cb;           /* callback id, -1 when not registered */
};

/* Looks GUEST up by name, UUID or id, as virsh does; the caller frees it.
 * It also starts listening for DEVICE_REMOVED, so that a removal that
 * completes right after a detach call is not missed. */
VfpVirtDomain *
vfp_virt_lookup_domain (VfpVirt *virt, const char *guest, GError **error)
{
  virDomainPtr dom = NULL;
  guint64 id;
  VfpVirtDomain *d;

  if (g_ascii_string_to_unsigned (guest, 10, 1, G_MAXINT, &id, NULL))
    dom = virDomainLookupByID (virt->conn, id);
  if (dom == NULL && strlen (guest) == VIR_UUID_STRING_BUFLEN - 1)
    dom = virDomainLookupByUUIDString (virt->conn, guest);
  if (dom == NULL)
    dom = virDomainLookupByName (virt->conn, guest);
  if (dom == NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                   _("There is no guest '%s' at %s; 'virsh list --all' lists them."),
                   guest, virt->uri ? virt->uri : _("libvirt's default URI"));
      return NULL;
    }
  d = g_new0 (VfpVirtDomain, 1);
  d->virt = virt;
  d->dom = dom;
  d->name = g_strdup (virDomainGetName (dom));
  virDomainGetUUIDString (dom, d->uuid);
  d->removed = vfp_removed_set_new ();
  /* the callback runs in the event thread with its own reference, which
   * libvirt drops once the callback can no longer run */
  d->removed_cb = virConnectDomainEventRegisterAny (virt->conn, dom, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
                                                    VIR_DOMAIN_EVENT_CALLBACK (vfp_removed_set_on_device_removed),
                                                    vfp_removed_set_ref (d->removed), vfp_removed_set_unref);
  if (d->removed_cb < 0)
    vfp_removed_set_unref (d->removed);   /* libvirt kept no reference */
  return d;
}

void
vfp_virt_domain_free (VfpVirtDomain *d)
{
  if (d == NULL)
    return;
  if (d->removed_cb >= 0)
    virConnectDomainEventDeregisterAny (d->virt->conn, d->removed_cb);
  virDomainFree (d->dom);
  vfp_removed_set_unref (d->removed);
  g_free (d->name);
  g_free (d);
}

const char *
vfp_virt_domain_name (VfpVirtDomain *d)
{
  return d->name;
}

const char *
vfp_virt_domain_uuid (VfpVirtDomain *d)
{
  return d->uuid;
}

gboolean
vfp_virt_domain_is_active (VfpVirtDomain *d)
{
  return virDomainIsActive (d->dom) == 1;
}

gboolean
vfp_virt_domain_is_persistent (VfpVirtDomain *d)
{
  return virDomainIsPersistent (d->dom) == 1;
}

/* Running and not paused (an incoming migration keeps it paused until the
 * memory is there). */
gboolean
vfp_virt_domain_is_running (VfpVirtDomain *d)
{
  int state = 0, reason = 0;

  return virDomainGetState (d->dom, &state, &reason, 0) == 0 && state == VIR_DOMAIN_RUNNING;
}

/* Peer-to-peer live migration to DEST_URI (virDomainMigrateToURI3). */
gboolean
vfp_virt_migrate (VfpVirtDomain *d, const char *dest_uri, const char *migrate_uri,
                  const char *listen_address, gboolean persistent, gboolean undefine_source,
                  GError **error)
{
  virTypedParameterPtr params = NULL;
  int nparams = 0, maxparams = 0;
  unsigned int flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER;
  int rc;

  if (migrate_uri)
    virTypedParamsAddString (&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_URI, migrate_uri);
  if (listen_address)
    virTypedParamsAddString (&params, &nparams, &maxparams, VIR_MIGRATE_PARAM_LISTEN_ADDRESS, listen_address);
  if (persistent)
    flags |= VIR_MIGRATE_PERSIST_DEST;
  if (undefine_source)
    flags |= VIR_MIGRATE_UNDEFINE_SOURCE;
  rc = virDomainMigrateToURI3 (d->dom, dest_uri, params, nparams, flags);
  if (rc < 0)
    {
      g_autofree char *what = g_strdup_printf (_("Migrating '%s' to %s failed"), d->name, dest_uri);

      error_from_libvirt (error, what);
    }
  virTypedParamsFree (params, nparams);
  return rc == 0;
}

/* Asks libvirt to start XML, a migration's capacity probe (vfp-probe.h),
 * paused and tied to this connection: the host's vfpool hook refuses it,
 * and that refusal, in ERROR, is the answer. TRUE when the start succeeded
 * instead (no vfpool hook answered); the probe is then destroyed at once. */
gboolean
vfp_virt_start_probe (VfpVirt *virt, const char *xml, GError **error)
{
  virDomainPtr dom = virDomainCreateXML (virt->conn, xml,
                                         VIR_DOMAIN_START_PAUSED | VIR_DOMAIN_START_AUTODESTROY);

  if (dom == NULL)
    {
      error_from_libvirt (error, _("The destination refused the capacity probe"));
      return FALSE;
    }
  virDomainDestroy (dom);
  virDomainFree (dom);
  return TRUE;
}

/* The live (or, with INACTIVE, the persistent) XML; the caller frees it. */
char *
vfp_virt_domain_xml (VfpVirtDomain *d, gboolean inactive, GError **error)
{
  char *xml = virDomainGetXMLDesc (d->dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0);
  char *out;

  if (xml == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("Cannot read the XML of guest '%s'"), d->name);

      error_from_libvirt (error, what);
      return NULL;
    }
  out = g_strdup (xml);
  free (xml);
  return out;
}

static unsigned int
affect (gboolean live, gboolean config)
{
  return (live ? VIR_DOMAIN_AFFECT_LIVE : 0) | (config ? VIR_DOMAIN_AFFECT_CONFIG : 0);
}

/* virDomainAttachDeviceFlags with live and/or config. */
gboolean
vfp_virt_attach (VfpVirtDomain *d, const char *xml, gboolean live, gboolean config, GError **error)
{
  if (virDomainAttachDeviceFlags (d->dom, xml, affect (live, config)) < 0)
    {
      g_autofree char *what = g_strdup_printf (_("libvirt could not attach the device to '%s'"), d->name);

      error_from_libvirt (error, what);
      return FALSE;
    }
  return TRUE;
}

/* virDomainDetachDeviceAlias: returns once libvirt asked the guest; the
 * live removal is done only when vfp_virt_wait_removed says so. */
gboolean
vfp_virt_detach_alias (VfpVirtDomain *d, const char *alias, gboolean live, gboolean config,
                       GError **error)
{
  if (virDomainDetachDeviceAlias (d->dom, alias, affect (live, config)) < 0)
    {
      g_autofree char *what = g_strdup_printf (_("libvirt could not detach '%s' from '%s'"), alias, d->name);

      error_from_libvirt (error, what);
      return FALSE;
    }
  return TRUE;
}

/* Waits until DEVICE_REMOVED names ALIAS or TIMEOUT_MS passes; TRUE when
 * the device is gone from the guest. */
gboolean
vfp_virt_wait_removed (VfpVirtDomain *d, const char *alias, guint timeout_ms)
{
  return vfp_removed_set_wait (d->removed, alias, timeout_ms);
}

/* Replaces vfpool's <metadata> element (XML NULL removes it). */
gboolean
vfp_virt_set_metadata (VfpVirtDomain *d, const char *xml, gboolean live, gboolean config,
                       GError **error)
{
  if (virDomainSetMetadata (d->dom, VIR_DOMAIN_METADATA_ELEMENT, xml, VFP_METADATA_PREFIX,
                            VFP_METADATA_NS, affect (live, config)) < 0)
    {
      g_autofree char *what = g_strdup_printf (_("Cannot write vfpool's metadata into guest '%s'"), d->name);

      error_from_libvirt (error, what);
      return FALSE;
    }
  return TRUE;
}

static char *
xml_or_null (virDomainPtr dom, unsigned int flags)
{
  char *xml = virDomainGetXMLDesc (dom, flags);
  char *out = g_strdup (xml);

  free (xml);
  return out;
}

/* The UUIDs of the guests ListAllDomains gives with FLAGS. */
static GHashTable *
uuids_with (VfpVirt *virt, unsigned int flags, GError **error)
{
  GHashTable *set;
  virDomainPtr *doms = NULL;
  int n = virConnectListAllDomains (virt->conn, &doms, flags), i;

  if (n < 0)
    {
      error_from_libvirt (error, _("Cannot list libvirt's guests"));
      return NULL;
    }
  set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (i = 0; i < n; i++)
    {
      char uuid[VIR_UUID_STRING_BUFLEN];

      virDomainGetUUIDString (doms[i], uuid);
      g_hash_table_add (set, g_strdup (uuid));
      virDomainFree (doms[i]);
    }
  free (doms);
  return set;
}

/* Every guest, running or shut off, with its live and persistent XML, one
 * at a time: a host with thousands of guests never holds all their XML at
 * once. Which guests run and which are transient comes from two more
 * lists, not from two calls per guest (each a round trip to libvirtd). A
 * guest that vanishes while listed is skipped. */
gboolean
vfp_virt_foreach_domain (VfpVirt *virt, VfpVirtDomainFunc fn, gpointer data, GError **error)
{
  g_autoptr (GHashTable) active = uuids_with (virt, VIR_CONNECT_LIST_DOMAINS_ACTIVE, error);
  g_autoptr (GHashTable) transient = active ? uuids_with (virt, VIR_CONNECT_LIST_DOMAINS_TRANSIENT, error) : NULL;
  virDomainPtr *doms = NULL;
  gboolean ok = TRUE;
  int n, i;

  if (transient == NULL)
    return FALSE;
  n = virConnectListAllDomains (virt->conn, &doms, 0);
  if (n < 0)
    {
      error_from_libvirt (error, _("Cannot list libvirt's guests"));
      return FALSE;
    }
  for (i = 0; i < n; i++)
    {
      VfpVirtDomainInfo info = { 0 };
      char uuid[VIR_UUID_STRING_BUFLEN];

      virDomainGetUUIDString (doms[i], uuid);
      info.uuid = uuid;
      info.name = (char *) virDomainGetName (doms[i]);
      info.active = g_hash_table_contains (active, uuid);
      info.persistent = !g_hash_table_contains (transient, uuid);
      if (ok && info.active)
        info.live_xml = xml_or_null (doms[i], 0);
      if (ok && info.persistent)
        info.config_xml = xml_or_null (doms[i], VIR_DOMAIN_XML_INACTIVE);
      if (ok && !(info.active && info.live_xml == NULL) && !(info.persistent && info.config_xml == NULL))
        ok = fn (&info, i, n, data, error);
      g_free (info.live_xml);
      g_free (info.config_xml);
      virDomainFree (doms[i]);
    }
  free (doms);
  return ok;
}
