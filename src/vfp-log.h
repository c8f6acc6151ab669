/* One log line per state change, to syslog (journald collects it). */
#pragma once

#include <glib.h>

void vfp_log_event (const char *message);
void vfp_log_set_file (const char *path);
