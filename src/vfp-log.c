/* Every state change becomes one record: MESSAGE plus VFPOOL_OP, VFPOOL_VF,
 * VFPOOL_GUEST and VFPOOL_WHO fields in the journal (journalctl -t vfpool
 * VFPOOL_VF=0000:05:10.2), or one "op=... vf=... guest=... who=...: text"
 * line in syslog. With log-file= the same line is also appended to that
 * file (hosts without a log daemon, and the detached reattach helper whose
 * stderr is gone). */
#include "config.h"

#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "vfp-log.h"
#include "vfp-text.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static char *log_file;
static char *who;

VfpEvent *
vfp_event_new (const char *op, const char *vf, const char *guest, const char *message)
{
  VfpEvent *e = g_new0 (VfpEvent, 1);

  e->op = g_strdup (op);
  e->vf = g_strdup (vf);
  e->guest = g_strdup (guest);
  e->message = g_strdup (message);
  return e;
}

void
vfp_event_free (VfpEvent *e)
{
  if (e == NULL)
    return;
  g_free (e->op);
  g_free (e->vf);
  g_free (e->guest);
  g_free (e->message);
  g_free (e);
}

void
vfp_log_set_file (const char *path)
{
  g_free (log_file);
  log_file = g_strdup (path);
}

/* WHO is the command ("vfpool attach", "hook prepare"); the user is added. */
void
vfp_log_set_who (const char *command)
{
  struct passwd *pw = getpwuid (getuid ());

  g_free (who);
  who = g_strdup_printf ("%s(%s)", pw ? pw->pw_name : "?", command);
}

/* "op=attach vf=0000:05:10.2 guest=MyGuest who=root(vfpool attach): text";
 * a guest's name as libvirt gives it may hold a tab or a C1 control: they
 * are written escaped (vfp_text_printable), one event, one line. */
static char *
line_of (const VfpEvent *e)
{
  g_autofree char *line = g_strdup_printf ("op=%s vf=%s guest=%s who=%s: %s", e->op ? e->op : "-",
                                           e->vf ? e->vf : "-", e->guest ? e->guest : "-",
                                           who ? who : "-", e->message);

  return vfp_text_printable (line);
}

/* Appended with O_APPEND (atomic for lines this short), never through a
 * symlink, and never waiting: a FIFO nobody reads (or one that is full)
 * loses the line rather than hang vfpool or the hook (O_NONBLOCK). */
static void
append_line (const char *line)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S%z");
  g_autofree char *text = g_strdup_printf ("%s vfpool[%d]: %s\n", stamp, (int) getpid (), line);
  int fd = open (log_file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0640);

  if (fd < 0)
    return;
  if (write (fd, text, strlen (text)) < 0)
    g_debug ("cannot write %s", log_file);
  close (fd);
}

static gboolean
to_journal (const VfpEvent *e)
{
  const GLogField fields[] = {
    { "MESSAGE", e->message, -1 },
    { "PRIORITY", "5", -1 },
    { "SYSLOG_IDENTIFIER", "vfpool", -1 },
    { "VFPOOL_OP", e->op ? e->op : "-", -1 },
    { "VFPOOL_VF", e->vf ? e->vf : "-", -1 },
    { "VFPOOL_GUEST", e->guest ? e->guest : "-", -1 },
    { "VFPOOL_WHO", who ? who : "-", -1 },
  };

  if (access (JOURNAL_SOCKET, W_OK) != 0)
    return FALSE;
  return g_log_writer_journald (G_LOG_LEVEL_MESSAGE, fields, G_N_ELEMENTS (fields), NULL)
         == G_LOG_WRITER_HANDLED;
}

/* Logs one state change. */
void
vfp_log_record (const VfpEvent *e)
{
  static gboolean opened;
  g_autofree char *line = line_of (e);

  if (log_file != NULL)
    append_line (line);
  if (to_journal (e))
    return;
  if (!opened)
    {
      openlog ("vfpool", LOG_PID, LOG_DAEMON);
      opened = TRUE;
    }
  syslog (LOG_NOTICE, "%s", line);
}

/* Logs a message that is not about one VF. */
void
vfp_log_event (const char *message)
{
  VfpEvent e = { (char *) "note", NULL, NULL, (char *) message };

  vfp_log_record (&e);
}
