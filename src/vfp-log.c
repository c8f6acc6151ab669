/* State changes go to syslog, facility daemon, tagged "vfpool": operators
 * find every reservation, release and reclaim with journalctl -t vfpool. */
#include "config.h"

#include <syslog.h>

#include "vfp-log.h"

void
vfp_log_event (const char *message)
{
  static gboolean opened;

  if (!opened)
    {
      openlog ("vfpool", LOG_PID, LOG_DAEMON);
      opened = TRUE;
    }
  syslog (LOG_NOTICE, "%s", message);
}
