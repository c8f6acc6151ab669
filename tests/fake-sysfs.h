/* Builds fake sysfs trees at run time from a C table: PCI functions with a
 * real config space (PCIe, SR-IOV and ACS capabilities) so libpci decodes
 * them, sriov_* files, virtfnN/physfn/driver/iommu_group links and net/. */
#pragma once

#include <glib.h>

typedef struct {
  const char *address;         /* "0000:05:00.0" */
  const char *bridge;          /* address of the root port above it, or NULL */
  guint16 vendor;
  guint16 device;
  guint32 class_code;          /* 24 bits, e.g. 0x020000 */
  const char *driver;          /* NULL: unbound */
  int numa_node;
  int iommu_group;             /* -1: no IOMMU */
  const char *netdev;          /* PF interface name, or NULL */
  const char *mac;
  gboolean acs;                /* give the function an ACS capability */
  /* SR-IOV; total_vfs == 0 makes an ordinary function */
  guint16 total_vfs;
  guint16 initial_vfs;
  guint16 num_vfs;
  guint16 vf_offset;
  guint16 vf_stride;
  guint16 vf_device;
  const char *vf_driver;       /* driver bound to the VFs, or NULL */
  const char *vf_netdev_fmt;   /* e.g. "enp5s0f0v%u", or NULL for non-NICs */
  int vf_iommu_group_base;     /* first VF's group; the others count up; -1: none */
  gboolean vfs_share_group;    /* put every VF in the first VF's group */
  guint64 dsn;                 /* PCIe Device Serial Number capability; 0: none */
  guint16 subsystem_vendor;    /* 0: no subsystem_vendor/_device files */
  guint16 subsystem_device;
} FakePciFunction;

typedef struct {
  gboolean iommu;              /* class/iommu/dmar0 and kernel/iommu_groups */
  gboolean intr_remap;         /* dmar0's ecap has the interrupt-remapping bit */
  gboolean vfio_loaded;        /* bus/pci/drivers/vfio-pci, module/vfio_pci, vfio, vfio_iommu_type1 */
  gboolean vfio_no_iommu_model; /* with vfio_loaded: no module/vfio_iommu_type1 (busybox modprobe) */
} FakeHostOptions;

char *fake_sysfs_build (const char *dir, const FakeHostOptions *opts,
                        const FakePciFunction *functions, gsize n_functions,
                        GError **error);
gboolean fake_sysfs_extract_fixture (const char *tarball, const char *dir,
                                     GError **error);
char *fake_sysfs_vf_address (const FakePciFunction *pf, guint index);

extern const FakePciFunction fake_demo_host[];
extern const gsize fake_demo_host_len;
extern const FakeHostOptions fake_demo_options;
