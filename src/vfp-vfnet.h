/* VF settings through the PF's rtnetlink (libnl-route-3): read them, apply
 * a delta, restore a baseline and read it back. Part of libvfpool-core:
 * netlink is not libvirt, so the hook may use it. */
#pragma once

#include <glib.h>

#include "vfp-vf-settings.h"

GArray *vfp_vfnet_read (const char *pf, GError **error);
gboolean vfp_vfnet_read_vf (const char *pf, guint vf, VfpVfSettings *out, GError **error);
gboolean vfp_vfnet_apply (const char *pf, const VfpVfSettings *want, GError **error);
gboolean vfp_vfnet_restore (const char *pf, const VfpVfSettings *baseline, GError **error);
