/* The libvirt side of vfpool. libvirt's errors are captured at the failure
 * site (before any cleanup call resets them) and carried as GErrors; a
 * silent error function keeps libvirt from printing on its own. */
#include "config.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdlib.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-virt.h"

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

  g_set_error (error, VFP_ERROR, VFP_ERROR_LIBVIRT, "%s: %s", what,
               err && err->message ? err->message : _("libvirt gave no reason"));
}

/* Connects to URI (NULL: libvirt's default); the caller closes it. */
VfpVirt *
vfp_virt_open (const char *uri, gboolean read_only, GError **error)
{
  static gsize initialized;
  VfpVirt *virt;
  virConnectPtr conn;

  if (g_once_init_enter (&initialized))
    {
      virSetErrorFunc (NULL, silent_error_func);
      g_once_init_leave (&initialized, 1);
    }
  conn = read_only ? virConnectOpenReadOnly (uri) : virConnectOpen (uri);
  if (conn == NULL)
    {
      g_autofree char *what = g_strdup_printf (_("Cannot connect to libvirt at '%s'"),
                                               uri ? uri : "default");

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

const char *
vfp_virt_uri (VfpVirt *virt)
{
  return virt->uri;
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
