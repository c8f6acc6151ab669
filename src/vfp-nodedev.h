/* libvirt node-device XML (virsh nodedev-dumpxml) for PCI devices. */
#pragma once

#include <glib.h>

#include "vfp-addr.h"

typedef struct {
  char *name;              /* owned: "pci_0000_05_10_2" */
  char *parent;            /* owned, or NULL */
  char *driver;            /* owned, or NULL */
  VfpAddr addr;
  guint32 class_code;
  guint16 vendor_id;
  guint16 product_id;
  char *vendor_name;       /* owned, or NULL */
  char *product_name;      /* owned, or NULL */
  int iommu_group;         /* -1 when absent */
  gboolean is_pf;          /* has <capability type='virt_functions'> */
  guint max_vfs;           /* its maxCount */
  GArray *vfs;             /* owned VfpAddr[]: the VFs libvirt lists */
  gboolean is_vf;          /* has <capability type='phys_function'> */
  VfpAddr pf;              /* the PF, when is_vf */
} VfpNodedev;

VfpNodedev *vfp_nodedev_parse (const char *xml, GError **error);
void vfp_nodedev_free (VfpNodedev *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpNodedev, vfp_nodedev_free)
