/* Host readiness for VF passthrough: the prerequisites operators are told to
 * verify by hand (IOMMU, interrupt remapping, vfio-pci and its IOMMU model, SR-IOV, IOMMU
 * groups, ACS), each with its reason and its fix. */
#pragma once

#include <glib.h>

#include "vfp-host.h"

typedef enum {
  VFP_CHECK_PASS,
  VFP_CHECK_WARN,
  VFP_CHECK_FAIL,
} VfpCheckStatus;

typedef struct {
  const char *id;          /* stable: "iommu", "interrupt-remapping", "vfio-pci",
                              "vfio-iommu", "sriov", "iommu-group", "acs" */
  char *object;            /* owned: "host", a PF or a bridge address */
  VfpCheckStatus status;
  char *message;           /* owned, translated: what was found */
  char *fix;               /* owned, translated: what to do; NULL on pass */
} VfpCheckResult;

GPtrArray *vfp_check_host (VfpHost *host, const char *modules_dir);
const char *vfp_check_status_name (VfpCheckStatus status);
const char *vfp_check_status_label (VfpCheckStatus status);
