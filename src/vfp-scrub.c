/* Scrub, verify, then free (DESIGN.md §2): a VF leaves a holder only once
 * it is back at its baseline, proven by reading it back. The baseline is
 * the documented one (vfp_vf_settings_baseline: no MAC, untagged,
 * spoofchk on, trust off, link auto, no rates), which vfpool does not
 * record per VF because every VF it first sees in a pool is at it or is
 * put to it; and the driver the VF had when its lease began, which only
 * the lease can know (the PF's driver decides it: igbvf, iavf, nvme or
 * none with autoprobe off). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-scrub.h"
#include "vfp-sysfs.h"
#include "vfp-vf-settings.h"
#include "vfp-vfnet.h"

/* Drivers a VF is bound to while someone (a guest through VFIO, DPDK)
 * holds it, never the driver of a free VF. */
static const char *const foreign_drivers[] = {
  "vfio-pci", "igb_uio", "uio_pci_generic", "pci-stub", "pciback", NULL
};

/* PCI base class of network controllers: their PFs have netdevs. */
#define NETWORK_CLASS 0x02

/* Whether DRIVER means that a VF is held (by VFIO, a UIO or a stub). */
gboolean
vfp_scrub_driver_is_foreign (const char *driver)
{
  return driver != NULL && g_strv_contains ((const char *const *) foreign_drivers, driver);
}

/* The driver VF is bound to under sysfs ROOT (NULL: none); *PRESENT says
 * whether the VF exists at all. The caller frees the name. */
char *
vfp_scrub_read_driver (const char *root, const char *vf, gboolean *present)
{
  g_autofree char *dev = vfp_sysfs_path (root, "bus", "pci", "devices", vf, NULL);
  g_autofree char *link = g_build_filename (dev, "driver", NULL);

  *present = g_file_test (dev, G_FILE_TEST_IS_DIR);
  return *present ? vfp_sysfs_link_name (link) : NULL;
}

/* Whether the kernel has a PCI function VF under sysfs ROOT at all. */
gboolean
vfp_scrub_vf_exists (const char *root, const char *vf)
{
  gboolean present;
  g_autofree char *driver = vfp_scrub_read_driver (root, vf, &present);

  return present;
}

/* The N of PF's virtfnN link that points at VF, or -1. */
static int
vf_index (const char *root, const char *pf, const char *vf)
{
  guint i, n = vfp_sysfs_count_virtfn (root, pf);

  for (i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("virtfn%u", i);
      g_autofree char *link = vfp_sysfs_path (root, "bus", "pci", "devices", pf, name, NULL);
      g_autofree char *target = vfp_sysfs_link_name (link);

      if (g_strcmp0 (target, vf) == 0)
        return i;
    }
  return -1;
}

/* The first netdev of PF (by name, as the scan sorts them), or NULL; the
 * caller frees it. */
static char *
pf_netdev (const char *root, const char *pf)
{
  g_autofree char *path = vfp_sysfs_path (root, "bus", "pci", "devices", pf, "net", NULL);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  char *first = NULL;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (first == NULL || strcmp (name, first) < 0)
      {
        g_free (first);
        first = g_strdup (name);
      }
  return first;
}

/* Whether PF is a network controller (its VF settings live in its netdev). */
static gboolean
pf_is_nic (const char *root, const char *pf)
{
  g_autofree char *path = vfp_sysfs_path (root, "bus", "pci", "devices", pf, "class", NULL);
  guint64 class_code = 0;

  return vfp_sysfs_read_uint (path, 16, &class_code) && (class_code >> 16) == NETWORK_CLASS;
}

/* Whether ROOT is the kernel's own sysfs, whose PFs netlink can reach (a
 * test tree's PFs are files: nothing answers for them). */
static gboolean
root_is_kernel (const char *root)
{
  g_autofree char *canon = g_canonicalize_filename (root, "/");

  return strcmp (canon, "/sys") == 0;
}

/* Writes TEXT to the sysfs attribute PATH (a bind, unbind or probe file:
 * no temporary file, no symlink as the last component). */
static gboolean
write_attr (const char *path, const char *text, GError **error)
{
  gssize len = strlen (text);
  int fd = open (path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  int err;

  if (fd >= 0 && write (fd, text, len) == len && close (fd) == 0)
    return TRUE;
  err = errno;
  if (fd >= 0)
    close (fd);
  g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("Writing %s to %s failed: %s."), text, path, g_strerror (err));
  return FALSE;
}

/* Whether VF's driver_override under ROOT names a holder's driver: libvirt
 * clears it only after it unbinds vfio-pci and just before it asks the
 * kernel to probe the VF again, so the VF is still on its way back. */
static gboolean
override_is_foreign (const char *root, const char *vf)
{
  g_autofree char *path = vfp_sysfs_path (root, "bus", "pci", "devices", vf, "driver_override", NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return FALSE;
  g_strstrip (text);
  return vfp_scrub_driver_is_foreign (text);
}

/* Puts VF (bound to DRIVER, NULL none) back on BASELINE_DRIVER ("" none)
 * through the kernel's sysfs under ROOT: unbinds a driver the baseline did
 * not have (libvirt probes a VF it gives back, so igbvf, iavf or nvme take
 * a VF that had none), then binds the baseline's through driver_override
 * (with sriov_drivers_autoprobe 0 the kernel binds a VF to no driver that
 * the override does not name) and clears the override again. Never called
 * for a holder's driver: that VF may still be in a guest. */
static gboolean
restore_driver (const char *root, const char *vf, const char *driver, const char *baseline_driver,
                GError **error)
{
  g_autofree char *dev = vfp_sysfs_path (root, "bus", "pci", "devices", vf, NULL);
  g_autofree char *override = g_build_filename (dev, "driver_override", NULL);
  g_autofree char *dir = NULL;
  g_autofree char *bind = NULL;
  gboolean bound;

  if (driver != NULL)
    {
      g_autofree char *unbind = g_build_filename (dev, "driver", "unbind", NULL);

      if (!write_attr (unbind, vf, error))
        return FALSE;
    }
  if (*baseline_driver == '\0')
    return TRUE;
  dir = vfp_sysfs_path (root, "bus", "pci", "drivers", baseline_driver, NULL);
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                   _("The driver %s is not loaded; modprobe %s loads it."), baseline_driver, baseline_driver);
      return FALSE;
    }
  bind = g_build_filename (dir, "bind", NULL);
  if (!write_attr (override, baseline_driver, error))
    return FALSE;
  bound = write_attr (bind, vf, error);
  /* a newline clears the override: libvirt sets its own when it attaches */
  if (!write_attr (override, "\n", bound ? error : NULL))
    return FALSE;
  return bound;
}

/* How often a scrub puts a VF's driver back before it gives up (libvirt
 * may probe the VF again right after the first time). */
#define DRIVER_RESTORES 3

/* Checks that VF is bound to BASELINE_DRIVER ("" none; NULL unknown: any
 * driver but a holder's), waiting up to SETTLE_MS for a driver change
 * under way (libvirt gives a VF back to its driver as it removes it). On
 * the kernel's sysfs (RESTORE) a VF no holder has any more is put back on
 * its baseline driver first (restore_driver); a test tree is only read. */
static gboolean
check_driver (const char *root, const char *vf, const char *baseline_driver, guint settle_ms,
              gboolean restore, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) settle_ms * 1000;
  g_autoptr (GError) refused = NULL;
  guint restores = 0;

  for (;;)
    {
      gboolean present;
      g_autofree char *driver = vfp_scrub_read_driver (root, vf, &present);
      gboolean ok = baseline_driver == NULL ? !vfp_scrub_driver_is_foreign (driver)
                                            : g_strcmp0 (driver ? driver : "", baseline_driver) == 0;
      gboolean held = vfp_scrub_driver_is_foreign (driver) || override_is_foreign (root, vf);

      if (!present)
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                       _("VF %s is not in sysfs any more."), vf);
          return FALSE;
        }
      if (ok)
        return TRUE;
      if (restore && baseline_driver != NULL && !held && restores < DRIVER_RESTORES)
        {
          restores++;
          g_clear_error (&refused);
          if (restore_driver (root, vf, driver, baseline_driver, &refused))
            continue;
        }
      if (g_get_monotonic_time () >= deadline)
        {
          if (baseline_driver == NULL)
            g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                         _("VF %s is still bound to %s, the driver of a holder."), vf, driver);
          else if (refused != NULL)
            g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                         _("VF %s is bound to %s, but it had %s when its lease began, and vfpool could not put that back: %s"),
                         vf, driver ? driver : _("no driver"),
                         *baseline_driver ? baseline_driver : _("no driver"), refused->message);
          else
            g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                         _("VF %s is bound to %s, but it had %s when its lease began."), vf,
                         driver ? driver : _("no driver"),
                         *baseline_driver ? baseline_driver : _("no driver"));
          return FALSE;
        }
      g_usleep (50 * 1000);
    }
}

/* Returns VF (under sysfs ROOT) to its baseline and verifies it: it is
 * still a VF of its PF, bound to BASELINE_DRIVER (see check_driver; on the
 * kernel's sysfs put back on it first), and
 * when ROOT is the kernel's and its PF a NIC, the PF's netlink restores
 * the baseline settings and reads them back. A PF that is no NIC (an NVMe
 * controller) has no such settings. FALSE with ERROR saying what is wrong:
 * the caller quarantines the VF. */
gboolean
vfp_scrub_vf (const char *root, const char *vf, const char *baseline_driver, guint settle_ms,
              GError **error)
{
  g_autofree char *pf = vfp_sysfs_physfn (root, vf);
  g_autofree char *netdev = NULL;
  g_autoptr (GError) e = NULL;
  gboolean kernel = root_is_kernel (root);
  VfpVfSettings baseline;
  int index;

  index = pf != NULL ? vf_index (root, pf, vf) : -1;
  if (index < 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                   _("VF %s is not in sysfs as a VF of its PF any more."), vf);
      return FALSE;
    }
  if (!check_driver (root, vf, baseline_driver, settle_ms, kernel, error))
    return FALSE;
  if (!kernel)
    return TRUE;
  netdev = pf_netdev (root, pf);
  if (netdev == NULL)
    {
      if (!pf_is_nic (root, pf))
        return TRUE;
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("PF %s of VF %s is a network controller without a netdev (is its driver loaded?), so vfpool cannot restore the VF's settings."),
                   pf, vf);
      return FALSE;
    }
  vfp_vf_settings_baseline (&baseline, index);
  if (!vfp_vfnet_restore (netdev, &baseline, &e))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("Restoring the baseline settings of VF %s failed: %s"), vf, e->message);
      return FALSE;
    }
  return TRUE;
}
