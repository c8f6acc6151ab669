/* Device XML for one VF, from the templates in xml-templates/ (or their
 * overrides in /etc/vfpool/templates/), filled with the libxml2 tree API. */
#pragma once

#include <glib.h>

#include "vfp-addr.h"
#include "vfp-config.h"

typedef struct {
  VfpTemplateKind kind;      /* INTERFACE or HOSTDEV, never AUTO */
  VfpAddr vf;                /* the host address of the VF */
  const char *mac;           /* NULL: libvirt chooses one (interface only) */
  int vlan;                  /* -1: none (interface only) */
  const char *alias;         /* "ua-vfpool-N" */
  const char *failover_of;   /* alias of the virtio-net partner, or NULL */
} VfpDeviceSpec;

char *vfp_template_render (const char *const *dirs, const VfpDeviceSpec *spec,
                           GError **error);
const char *vfp_template_file_name (const VfpDeviceSpec *spec);
