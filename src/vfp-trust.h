/* Files and directories that decide what root does (the configuration, the
 * lease store, the device templates) are trusted only when nobody else
 * could have planted or changed them. One rule, one set of messages. */
#pragma once

#include <sys/stat.h>

#include <glib.h>

typedef enum {
  VFP_TRUST_FILE,           /* a regular file */
  VFP_TRUST_DIR,            /* a directory */
} VfpTrustKind;

gboolean vfp_trust_check (const struct stat *st, const char *path, VfpTrustKind kind,
                          gboolean root_may_own, GError **error);
