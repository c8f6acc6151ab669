/* Scrubbing a VF before vfpool frees it: the driver it had when its lease
 * began, and (through the PF's netlink, on the kernel's sysfs) the
 * documented baseline settings, restored and read back. No libvirt: the
 * release hook scrubs the VFs of a guest that stopped. */
#pragma once

#include <glib.h>

gboolean vfp_scrub_driver_is_foreign (const char *driver);
gboolean vfp_scrub_vf_exists (const char *root, const char *vf);
char *vfp_scrub_read_driver (const char *root, const char *vf, gboolean *present);
gboolean vfp_scrub_vf (const char *root, const char *vf, const char *baseline_driver,
                       guint settle_ms, GError **error);
