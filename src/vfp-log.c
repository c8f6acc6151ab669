/* State changes go to syslog, facility daemon, tagged "vfpool": operators
 * find every reservation, release and reclaim with journalctl -t vfpool.
 * With log-file= they are also appended to that file (hosts without a
 * syslog daemon, and the detached reattach helper whose stderr is gone). */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "vfp-log.h"

static char *log_file;

void
vfp_log_set_file (const char *path)
{
  g_free (log_file);
  log_file = g_strdup (path);
}

/* One line appended with O_APPEND (atomic for lines this short), never
 * through a symlink. */
static void
append_line (const char *message)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S%z");
  g_autofree char *line = g_strdup_printf ("%s vfpool[%d]: %s\n", stamp, (int) getpid (), message);
  int fd = open (log_file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0640);

  if (fd < 0)
    return;
  if (write (fd, line, strlen (line)) < 0)
    g_debug ("cannot write %s", log_file);
  close (fd);
}

void
vfp_log_event (const char *message)
{
  static gboolean opened;

  if (log_file != NULL)
    append_line (message);
  if (!opened)
    {
      openlog ("vfpool", LOG_PID, LOG_DAEMON);
      opened = TRUE;
    }
  syslog (LOG_NOTICE, "%s", message);
}
