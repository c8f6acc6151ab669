/* One host as vfpool sees it: the sysfs scan, what libpci decodes for each
 * PF, and libvirt's node devices when a connection was available. */
#pragma once

#include <glib.h>

#include "vfp-nodedev.h"
#include "vfp-pci.h"
#include "vfp-sysfs.h"

typedef struct {
  VfpPf *pf;                /* not owned: lives in the host's sysfs scan */
  char *vendor_name;        /* owned, from pci.ids, or NULL */
  char *device_name;        /* owned, or NULL */
  char *vf_device_name;     /* owned, or NULL */
  gboolean has_cap;         /* libpci decoded the SR-IOV capability */
  VfpSriovCap cap;
  char *cap_error;          /* owned: why has_cap is FALSE */
} VfpHostPf;

typedef struct {
  VfpSysfs *sysfs;          /* owned */
  VfpPci *pci;              /* owned */
  GPtrArray *pfs;           /* owned VfpHostPf*, in sysfs order */
  GHashTable *nodedevs;     /* owned: "0000:05:10.2" -> VfpNodedev*; NULL without libvirt */
  GPtrArray *warnings;      /* not owned: the scan's warnings, plus the join's */
} VfpHost;

/* What to read beyond sysfs. Reading pci.ids and config space costs more
 * than the whole sysfs scan, so commands that allocate skip it. */
typedef enum {
  VFP_HOST_SYSFS = 0,              /* sysfs only */
  VFP_HOST_PCI_DETAILS = 1 << 0,   /* pci.ids names and the SR-IOV capability */
  VFP_HOST_NODEDEVS = 1 << 1,      /* libvirt's node devices (joined by the caller) */
  VFP_HOST_LAZY_VFS = 1 << 2,      /* read VFs only when the pool looks at them */
} VfpHostDetail;

VfpHost *vfp_host_load (const char *sysfs_root, VfpHostDetail detail, GError **error);
void vfp_host_join_nodedevs (VfpHost *host, GPtrArray *nodedev_xml);
gboolean vfp_host_nodedevs_know_a_pf (VfpHost *host, GPtrArray *nodedev_xml);
void vfp_host_free (VfpHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpHost, vfp_host_free)

VfpHostPf *vfp_host_find_pf (VfpHost *host, const char *name);
const char *vfp_host_nodedev_name (VfpHost *host, const char *address);
