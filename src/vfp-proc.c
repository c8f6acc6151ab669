/* Process identity: a pid alone can be reused after the process dies, so a
 * reservation also records the process's start time (field 22 of
 * /proc/PID/stat, in clock ticks since boot). */
#include "config.h"

#include <string.h>

#include "vfp-proc.h"

/* Reads the start time of PID; FALSE when there is no such process. */
gboolean
vfp_proc_start_time (int pid, guint64 *start)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *text = NULL;
  g_auto (GStrv) fields = NULL;
  char *p;

  if (pid <= 0 || !g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  /* The command name (field 2) may hold spaces and parentheses: the fields
   * we want start after its last ')'. */
  p = strrchr (text, ')');
  if (p == NULL)
    return FALSE;
  fields = g_strsplit (p + 2, " ", 0);
  /* fields[0] is field 3 (state), so field 22 is fields[19] */
  if (g_strv_length (fields) < 20)
    return FALSE;
  return g_ascii_string_to_unsigned (fields[19], 10, 0, G_MAXUINT64, start, NULL);
}

/* TRUE when PID runs and is the process that started at START. A zombie
 * counts as dead: it will never finish an attach. */
gboolean
vfp_proc_is_alive (int pid, guint64 start)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *text = NULL;
  guint64 now_start;
  char *p;

  if (!vfp_proc_start_time (pid, &now_start) || now_start != start)
    return FALSE;
  if (!g_file_get_contents (path, &text, NULL, NULL) || (p = strrchr (text, ')')) == NULL)
    return FALSE;
  return p[2] != 'Z' && p[2] != 'X';
}
