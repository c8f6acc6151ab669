/* libpci: the SR-IOV, ACS and serial number capabilities of a function, and
 * pci.ids names. */
#pragma once

#include <glib.h>

#include "vfp-addr.h"

/* The SR-IOV extended capability, register by register (PCIe spec 9.3.3). */
typedef struct {
  guint16 offset;               /* where the capability sits in config space */
  guint32 caps;
  guint16 control;
  guint16 status;
  guint16 initial_vfs;
  guint16 total_vfs;
  guint16 num_vfs;
  guint8 function_dependency;
  guint16 vf_offset;
  guint16 vf_stride;
  guint16 vf_device_id;
  guint32 supported_page_sizes;
  guint32 system_page_size;
} VfpSriovCap;

/* The ACS extended capability. */
typedef struct {
  guint16 offset;
  guint16 caps;
  guint16 control;
} VfpAcsCap;

typedef struct _VfpPci VfpPci;

VfpPci *vfp_pci_new (const char *sysfs_root);
void vfp_pci_free (VfpPci *pci);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpPci, vfp_pci_free)

gboolean vfp_pci_read_sriov (VfpPci *pci, const VfpAddr *addr, VfpSriovCap *cap,
                             GError **error);
gboolean vfp_pci_read_acs (VfpPci *pci, const VfpAddr *addr, VfpAcsCap *cap,
                           GError **error);
gboolean vfp_pci_read_dsn (VfpPci *pci, const VfpAddr *addr, guint64 *serial,
                           GError **error);
char *vfp_pci_vendor_name (VfpPci *pci, guint16 vendor);
char *vfp_pci_device_name (VfpPci *pci, guint16 vendor, guint16 device);
