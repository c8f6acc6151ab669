/* One structured log record per state change: who, what, VF, guest,
 * outcome. To the journal when it runs, to syslog otherwise, and to
 * log-file= when set. */
#pragma once

#include <glib.h>

typedef struct {
  char *op;        /* owned: reserve, release, reclaim, attach, detach, free, quarantine,
                    * scrub, adopt, set-numvfs, warning */
  char *vf;        /* owned, or NULL */
  char *guest;     /* owned: the guest's name or the holder's label, or NULL */
  char *message;   /* owned: the translated sentence people read */
} VfpEvent;

VfpEvent *vfp_event_new (const char *op, const char *vf, const char *guest, const char *message);
void vfp_event_free (VfpEvent *e);
void vfp_log_record (const VfpEvent *e);
void vfp_log_event (const char *message);
void vfp_log_set_file (const char *path);
void vfp_log_set_who (const char *who);
