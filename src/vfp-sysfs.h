/* SR-IOV discovery under a sysfs root: PFs, their VFs and the facts about each. */
#pragma once

#include <glib.h>

#include "vfp-addr.h"

typedef struct _VfpPf VfpPf;

/* What sysfs says about one PCI function (a PF or a VF). */
typedef struct {
  VfpAddr addr;
  char *address;           /* "0000:05:10.2": owned by a PF; a VF's points
                            * into its VfpVf */
  guint16 vendor_id;
  guint16 device_id;
  guint32 class_code;      /* 24 bits: class, subclass, prog-if */
  char *driver;            /* owned; NULL when no driver is bound */
  int iommu_group;         /* -1 when the function has none */
  guint16 iommu_group_size; /* functions in that group, 0 when none */
  gint16 numa_node;        /* -1 when the kernel does not know */
  char **netdevs;          /* owned, NULL-terminated, sorted; empty for non-NICs
                            * (a shared empty list until a lazy VF is loaded) */
  char *mac;               /* owned: MAC of the first netdev, or NULL */
  char *operstate;         /* owned: operstate of the first netdev, or NULL */
} VfpFunction;

/* A VF. In a lazy scan only the address, index and what the kernel copies
 * from the PF (vendor, device, class, NUMA node) are known until
 * vfp_sysfs_load_vf() reads the rest (driver, IOMMU group, netdevs). */
typedef struct {
  VfpFunction fn;
  VfpPf *pf;               /* not owned: the PF this VF belongs to */
  guint16 index;           /* N of the PF's virtfnN link (TotalVFs is 16 bits) */
  guint8 loaded : 1;       /* driver, IOMMU group and netdevs have been read */
  guint8 missing : 1;      /* loading found no such VF in sysfs */
  guint8 driver_read : 1;  /* fn.driver is known (loaded, or read alone) */
  char address[VFP_ADDR_STRLEN]; /* what fn.address points to */
} VfpVf;                   /* 96 bytes: a host has thousands */

struct _VfpPf {
  VfpFunction fn;
  guint total_vfs;         /* sriov_totalvfs */
  guint num_vfs;           /* sriov_numvfs */
  int vf_offset;           /* sriov_offset, -1 when the file is missing */
  int vf_stride;           /* sriov_stride, -1 when the file is missing */
  int vf_device_id;        /* sriov_vf_device, -1 when the file is missing */
  GPtrArray *vfs;          /* owned; VfpVf* into vf_block, ordered by index */
  VfpVf *vf_block;         /* owned: the PF's VF records, allocated as one
                            * block (4096 VFs were 12 000 allocations) */
};

/* How much of each VF a scan reads. A full scan costs about 25 system
 * calls per VF (100 000 on a host with 4096 VFs); a lazy one reads only the
 * PFs and derives VF addresses from the SR-IOV offset and stride, so that
 * an allocation reads the few VFs it considers. */
typedef enum {
  VFP_SYSFS_FULL,
  VFP_SYSFS_LAZY,
} VfpSysfsMode;

typedef struct _VfpSysfsReader VfpSysfsReader;

/* One scan of a sysfs root. */
typedef struct {
  char *root;              /* owned: the directory that plays /sys */
  GPtrArray *pfs;          /* owned VfpPf*, ordered by address */
  GPtrArray *warnings;     /* owned char*: what was odd, each naming its path */
  VfpSysfsReader *reader;  /* owned: open directories for lazy reads */
} VfpSysfs;

VfpSysfs *vfp_sysfs_scan (const char *root, GError **error);
VfpSysfs *vfp_sysfs_scan_mode (const char *root, VfpSysfsMode mode, GError **error);
gboolean vfp_sysfs_load_vf (VfpSysfs *sysfs, VfpVf *vf);
const char *vfp_sysfs_vf_driver (VfpSysfs *sysfs, VfpVf *vf);
void vfp_sysfs_free (VfpSysfs *sysfs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpSysfs, vfp_sysfs_free)

VfpPf *vfp_sysfs_find_pf (VfpSysfs *sysfs, const char *name);
VfpVf *vfp_sysfs_find_vf (VfpSysfs *sysfs, const char *address);
guint vfp_sysfs_count_vfs (VfpSysfs *sysfs);

char *vfp_sysfs_path (const char *root, const char *first, ...) G_GNUC_NULL_TERMINATED;
gboolean vfp_sysfs_read_uint (const char *path, int base, guint64 *out);
char *vfp_sysfs_link_name (const char *path);
gboolean vfp_sysfs_write_numvfs (const char *root, const char *pf_address, guint n,
                                 GError **error);
char *vfp_sysfs_physfn (const char *root, const char *vf_address);
guint vfp_sysfs_count_virtfn (const char *root, const char *pf_address);
gboolean vfp_sysfs_wait_virtfn (const char *root, const char *pf_address, guint n,
                                guint wait_ms, GError **error);
gboolean vfp_sysfs_has_numa_node (const char *root, int node, char **known);
