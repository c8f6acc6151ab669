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

VfpHost *vfp_host_load (const char *sysfs_root, GError **error);
void vfp_host_join_nodedevs (VfpHost *host, GPtrArray *nodedev_xml);
void vfp_host_free (VfpHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpHost, vfp_host_free)

VfpHostPf *vfp_host_find_pf (VfpHost *host, const char *name);
const char *vfp_host_nodedev_name (VfpHost *host, const char *address);
