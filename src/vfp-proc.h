/* Process identity across pid reuse: pid plus start time, as Proxmox does. */
#pragma once

#include <glib.h>

gboolean vfp_proc_start_time (int pid, guint64 *start);
gboolean vfp_proc_is_alive (int pid, guint64 start);
