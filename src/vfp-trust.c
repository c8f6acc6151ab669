/* The one check of what vfpool trusts (see vfp-trust.h). */
#include "config.h"

#include <unistd.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-trust.h"

/* Refuses PATH, whose lstat or fstat is ST, unless it is of KIND (not a
 * symlink), owned by the user running vfpool (or by root, when
 * ROOT_MAY_OWN: an admin's file that tests and non-root users read), and
 * not writable by group or others. */
gboolean
vfp_trust_check (const struct stat *st, const char *path, VfpTrustKind kind,
                 gboolean root_may_own, GError **error)
{
  gboolean is_dir = kind == VFP_TRUST_DIR;

  if (S_ISLNK (st->st_mode))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   is_dir ? _("%s is a symlink; vfpool refuses it. Replace it with a real directory owned by the user running vfpool (root).")
                          : _("%s is a symlink; vfpool refuses it. Replace it with a real file owned by the user running vfpool (root)."),
                   path);
      return FALSE;
    }
  if (is_dir ? !S_ISDIR (st->st_mode) : !S_ISREG (st->st_mode))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   is_dir ? _("%s is not a directory.") : _("%s is not a regular file."), path);
      return FALSE;
    }
  if (st->st_uid != geteuid () && !(root_may_own && st->st_uid == 0))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   root_may_own ? _("%s belongs to uid %u, not to root or to uid %u running vfpool; chown it.")
                                : _("%s belongs to uid %u, not to uid %u running vfpool; chown it."),
                   path, (unsigned) st->st_uid, (unsigned) geteuid ());
      return FALSE;
    }
  if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   _("%s is writable by group or others (mode %04o); run chmod go-w on it."),
                   path, (unsigned) (st->st_mode & 07777));
      return FALSE;
    }
  return TRUE;
}
