/* SR-IOV discovery under a sysfs root, the way libvirt's virpci.c reads it:
 * a PF has sriov_totalvfs > 0, its VFs are the virtfnN links up to the first
 * gap, and each VF's physfn link names its PF. Everything odd becomes a
 * warning that names the path; nothing odd stops the scan. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-sysfs.h"

/* Sysfs attribute files are small; anything bigger is not what we expect. */
#define ATTR_MAX 4096

/* ROOT/FIRST/... joined; the caller frees it. */
char *
vfp_sysfs_path (const char *root, const char *first, ...)
{
  va_list ap;
  g_autoptr (GPtrArray) parts = g_ptr_array_new ();
  const char *p;

  g_ptr_array_add (parts, (gpointer) root);
  va_start (ap, first);
  for (p = first; p != NULL; p = va_arg (ap, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (ap);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

/* The first line of a small attribute file, stripped; NULL when unreadable. */
static char *
read_attr (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, NULL) || len > ATTR_MAX)
    return NULL;
  contents[strcspn (contents, "\n")] = '\0';
  return g_strdup (g_strstrip (contents));
}

/* Reads an unsigned number in BASE (0 accepts "0x.."); FALSE when the file is
 * missing or holds something else. */
gboolean
vfp_sysfs_read_uint (const char *path, int base, guint64 *out)
{
  g_autofree char *text = read_attr (path);
  const char *digits;

  if (text == NULL)
    return FALSE;
  digits = text;
  if (base == 0 || base == 16)
    {
      if (g_str_has_prefix (text, "0x") || g_str_has_prefix (text, "0X"))
        {
          digits = text + 2;
          base = 16;
        }
      else if (base == 0)
        base = 10;
    }
  return g_ascii_string_to_unsigned (digits, base, 0, G_MAXUINT64, out, NULL);
}

/* The last component of a symlink's target (driver name, group number, PCI
 * address); NULL when PATH is not a link. */
char *
vfp_sysfs_link_name (const char *path)
{
  g_autofree char *target = g_file_read_link (path, NULL);

  if (target == NULL)
    return NULL;
  return g_path_get_basename (target);
}

static void
warn (GPtrArray *warnings, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
warn (GPtrArray *warnings, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  g_ptr_array_add (warnings, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

static void
function_clear (VfpFunction *fn)
{
  g_free (fn->address);
  g_free (fn->driver);
  g_strfreev (fn->netdevs);
  g_free (fn->mac);
  g_free (fn->operstate);
}

static void
vf_free (VfpVf *vf)
{
  function_clear (&vf->fn);
  g_free (vf);
}

static void
pf_free (VfpPf *pf)
{
  function_clear (&pf->fn);
  g_ptr_array_unref (pf->vfs);
  g_free (pf);
}

/* Frees a scan and everything in it. */
void
vfp_sysfs_free (VfpSysfs *sysfs)
{
  if (sysfs == NULL)
    return;
  g_free (sysfs->root);
  g_ptr_array_unref (sysfs->pfs);
  g_ptr_array_unref (sysfs->warnings);
  g_free (sysfs);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* Entries of DIR, sorted; an empty array when DIR cannot be read. */
static GPtrArray *
list_dir (const char *dir)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return names;
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_strings);
  return names;
}

/* Network interfaces of a function: DEVDIR/net/IFNAME, with the first one's
 * MAC and operstate. */
static void
read_netdevs (const char *devdir, VfpFunction *fn)
{
  g_autofree char *netdir = g_build_filename (devdir, "net", NULL);
  g_autoptr (GPtrArray) names = list_dir (netdir);

  if (names->len > 0)
    {
      g_autofree char *addr = g_build_filename (netdir, names->pdata[0], "address", NULL);
      g_autofree char *oper = g_build_filename (netdir, names->pdata[0], "operstate", NULL);

      fn->mac = read_attr (addr);
      fn->operstate = read_attr (oper);
    }
  g_ptr_array_add (names, NULL);
  fn->netdevs = (char **) g_ptr_array_steal (names, NULL);
}

/* Fills FN from ROOT/bus/pci/devices/ADDRESS; FALSE (with a warning) when the
 * function's directory or its identity files are unusable. */
static gboolean
read_function (const char *root, const char *address, VfpFunction *fn,
               GPtrArray *warnings)
{
  g_autofree char *devdir = vfp_sysfs_path (root, "bus", "pci", "devices", address, NULL);
  g_autofree char *vendor_path = g_build_filename (devdir, "vendor", NULL);
  g_autofree char *device_path = g_build_filename (devdir, "device", NULL);
  g_autofree char *class_path = g_build_filename (devdir, "class", NULL);
  g_autofree char *driver_path = g_build_filename (devdir, "driver", NULL);
  g_autofree char *group_path = g_build_filename (devdir, "iommu_group", NULL);
  g_autofree char *numa_path = g_build_filename (devdir, "numa_node", NULL);
  g_autofree char *numa = NULL;
  g_autofree char *group = NULL;
  g_autoptr (GError) error = NULL;
  guint64 v;

  memset (fn, 0, sizeof *fn);
  if (!vfp_addr_parse (address, &fn->addr, &error))
    {
      warn (warnings, _("%s: the name is not a PCI address; skipped."), devdir);
      return FALSE;
    }
  if (!g_file_test (devdir, G_FILE_TEST_IS_DIR))
    {
      warn (warnings, _("%s: the device directory is missing or a dangling link; skipped."), devdir);
      return FALSE;
    }
  fn->address = vfp_addr_to_string (&fn->addr);
  if (!vfp_sysfs_read_uint (vendor_path, 16, &v) || v > 0xffff)
    {
      warn (warnings, _("%s: missing or unreadable vendor id; skipped."), vendor_path);
      function_clear (fn);
      return FALSE;
    }
  fn->vendor_id = v;
  if (!vfp_sysfs_read_uint (device_path, 16, &v) || v > 0xffff)
    {
      warn (warnings, _("%s: missing or unreadable device id; skipped."), device_path);
      function_clear (fn);
      return FALSE;
    }
  fn->device_id = v;
  if (vfp_sysfs_read_uint (class_path, 16, &v) && v <= 0xffffff)
    fn->class_code = v;
  else
    warn (warnings, _("%s: missing or unreadable PCI class."), class_path);

  fn->driver = vfp_sysfs_link_name (driver_path);

  fn->iommu_group = -1;
  group = vfp_sysfs_link_name (group_path);
  if (group != NULL)
    {
      if (g_ascii_string_to_unsigned (group, 10, 0, G_MAXINT, &v, NULL))
        {
          g_autofree char *members = vfp_sysfs_path (root, "kernel", "iommu_groups",
                                                     group, "devices", NULL);
          g_autoptr (GPtrArray) names = list_dir (members);

          fn->iommu_group = v;
          fn->iommu_group_size = names->len;
          if (names->len == 0)
            warn (warnings, _("%s: the IOMMU group lists no devices."), members);
        }
      else
        warn (warnings, _("%s: the link does not name an IOMMU group number."), group_path);
    }

  fn->numa_node = -1;
  numa = read_attr (numa_path);
  if (numa != NULL)
    {
      gint64 n;

      if (g_ascii_string_to_signed (numa, 10, -1, G_MAXINT, &n, NULL))
        fn->numa_node = n;
      else
        warn (warnings, _("%s: '%s' is not a NUMA node number."), numa_path, numa);
    }

  read_netdevs (devdir, fn);
  return TRUE;
}

/* Reads an optional signed SR-IOV attribute; -1 when absent or garbage. */
static int
read_optional (const char *devdir, const char *name, int base, GPtrArray *warnings)
{
  g_autofree char *path = g_build_filename (devdir, name, NULL);
  guint64 v;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return -1;
  if (!vfp_sysfs_read_uint (path, base, &v) || v > G_MAXINT)
    {
      warn (warnings, _("%s: unreadable value; ignored."), path);
      return -1;
    }
  return v;
}

/* Walks virtfn0, virtfn1, ... up to the first gap, as libvirt does. */
static void
read_vfs (const char *root, const char *devdir, VfpPf *pf, GPtrArray *warnings)
{
  guint i;

  for (i = 0;; i++)
    {
      g_autofree char *name = g_strdup_printf ("virtfn%u", i);
      g_autofree char *link = g_build_filename (devdir, name, NULL);
      g_autofree char *vfaddr = vfp_sysfs_link_name (link);
      g_autofree char *physfn_path = NULL;
      g_autofree char *physfn = NULL;
      VfpVf *vf;

      if (vfaddr == NULL)
        break;
      vf = g_new0 (VfpVf, 1);
      if (!read_function (root, vfaddr, &vf->fn, warnings))
        {
          g_free (vf);
          continue;
        }
      physfn_path = vfp_sysfs_path (root, "bus", "pci", "devices", vf->fn.address, "physfn", NULL);
      physfn = vfp_sysfs_link_name (physfn_path);
      if (physfn == NULL || strcmp (physfn, pf->fn.address) != 0)
        {
          warn (warnings, _("%s: VF %s of PF %s names '%s' as its PF; skipped."),
                physfn_path, vf->fn.address, pf->fn.address,
                physfn ? physfn : _("nothing"));
          vf_free (vf);
          continue;
        }
      vf->index = i;
      vf->pf = pf;
      g_ptr_array_add (pf->vfs, vf);
    }
  if (i != pf->num_vfs)
    warn (warnings, _("%s: sriov_numvfs says %u VFs but %u virtfn links were found."),
          devdir, pf->num_vfs, i);
}

/* Reads the PF at ADDRESS, or returns NULL when it is not an SR-IOV PF. */
static VfpPf *
read_pf (const char *root, const char *address, GPtrArray *warnings)
{
  g_autofree char *devdir = vfp_sysfs_path (root, "bus", "pci", "devices", address, NULL);
  g_autofree char *total_path = g_build_filename (devdir, "sriov_totalvfs", NULL);
  g_autofree char *num_path = g_build_filename (devdir, "sriov_numvfs", NULL);
  VfpPf *pf;
  guint64 total, num;

  if (!g_file_test (total_path, G_FILE_TEST_EXISTS))
    return NULL;
  if (!vfp_sysfs_read_uint (total_path, 10, &total) || total > 0xffff)
    {
      warn (warnings, _("%s: unreadable; the function is not treated as a PF."), total_path);
      return NULL;
    }
  if (total == 0)
    return NULL;
  if (!vfp_sysfs_read_uint (num_path, 10, &num) || num > total)
    {
      warn (warnings, _("%s: missing or out of range; taken as 0."), num_path);
      num = 0;
    }

  pf = g_new0 (VfpPf, 1);
  if (!read_function (root, address, &pf->fn, warnings))
    {
      g_free (pf);
      return NULL;
    }
  pf->total_vfs = total;
  pf->num_vfs = num;
  pf->vf_offset = read_optional (devdir, "sriov_offset", 10, warnings);
  pf->vf_stride = read_optional (devdir, "sriov_stride", 10, warnings);
  pf->vf_device_id = read_optional (devdir, "sriov_vf_device", 16, warnings);
  pf->vfs = g_ptr_array_new_with_free_func ((GDestroyNotify) vf_free);
  read_vfs (root, devdir, pf, warnings);
  return pf;
}

/* Scans ROOT (the directory that plays /sys) for SR-IOV PFs and their VFs.
 * Fails only when ROOT has no PCI bus at all; the caller frees the result. */
VfpSysfs *
vfp_sysfs_scan (const char *root, GError **error)
{
  g_autofree char *devices = vfp_sysfs_path (root, "bus", "pci", "devices", NULL);
  g_autoptr (GPtrArray) names = NULL;
  g_autoptr (VfpSysfs) sysfs = NULL;
  guint i;

  if (!g_file_test (devices, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                   _("'%s' does not exist: '%s' is not a sysfs tree with PCI devices; check --sysfs-root."),
                   devices, root);
      return NULL;
    }
  sysfs = g_new0 (VfpSysfs, 1);
  sysfs->root = g_strdup (root);
  sysfs->pfs = g_ptr_array_new_with_free_func ((GDestroyNotify) pf_free);
  sysfs->warnings = g_ptr_array_new_with_free_func (g_free);

  names = list_dir (devices);
  for (i = 0; i < names->len; i++)
    {
      VfpPf *pf = read_pf (root, names->pdata[i], sysfs->warnings);

      if (pf != NULL)
        g_ptr_array_add (sysfs->pfs, pf);
    }
  return g_steal_pointer (&sysfs);
}

/* The PF named by PCI address or netdev name, or NULL. */
VfpPf *
vfp_sysfs_find_pf (VfpSysfs *sysfs, const char *name)
{
  VfpAddr addr;
  gboolean is_addr = vfp_addr_parse (name, &addr, NULL);
  guint i;

  for (i = 0; i < sysfs->pfs->len; i++)
    {
      VfpPf *pf = sysfs->pfs->pdata[i];

      if (is_addr ? vfp_addr_equal (&pf->fn.addr, &addr)
                  : g_strv_contains ((const char *const *) pf->fn.netdevs, name))
        return pf;
    }
  return NULL;
}

/* The VF at PCI address ADDRESS, or NULL. */
VfpVf *
vfp_sysfs_find_vf (VfpSysfs *sysfs, const char *address)
{
  VfpAddr addr;
  guint i, j;

  if (!vfp_addr_parse (address, &addr, NULL))
    return NULL;
  for (i = 0; i < sysfs->pfs->len; i++)
    {
      VfpPf *pf = sysfs->pfs->pdata[i];

      for (j = 0; j < pf->vfs->len; j++)
        {
          VfpVf *vf = pf->vfs->pdata[j];

          if (vfp_addr_equal (&vf->fn.addr, &addr))
            return vf;
        }
    }
  return NULL;
}

/* All VFs of all PFs. */
guint
vfp_sysfs_count_vfs (VfpSysfs *sysfs)
{
  guint i, n = 0;

  for (i = 0; i < sysfs->pfs->len; i++)
    n += ((VfpPf *) sysfs->pfs->pdata[i])->vfs->len;
  return n;
}

/* Writes N to the PF's sriov_numvfs, as `echo N > sriov_numvfs` does. The
 * kernel refuses to change a non-zero count to another non-zero count:
 * callers write 0 first. */
gboolean
vfp_sysfs_write_numvfs (const char *root, const char *pf_address, guint n, GError **error)
{
  g_autofree char *path = vfp_sysfs_path (root, "bus", "pci", "devices", pf_address,
                                          "sriov_numvfs", NULL);
  g_autofree char *text = g_strdup_printf ("%u\n", n);
  gssize len = strlen (text);
  int fd = open (path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

  if (fd < 0 || write (fd, text, len) != len)
    {
      int err = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, VFP_ERROR, VFP_ERROR_IO,
                   _("Writing %u to %s failed: %s%s"), n, path, g_strerror (err),
                   err == EBUSY ? _(" (VFs are still in use, or the PF driver refused)") : "");
      return FALSE;
    }
  if (close (fd) != 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("Writing %u to %s failed: %s"),
                   n, path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* How many virtfnN links the PF has now (up to the first gap). */
guint
vfp_sysfs_count_virtfn (const char *root, const char *pf_address)
{
  guint i;

  for (i = 0;; i++)
    {
      g_autofree char *name = g_strdup_printf ("virtfn%u", i);
      g_autofree char *link = vfp_sysfs_path (root, "bus", "pci", "devices", pf_address, name, NULL);

      if (!g_file_test (link, G_FILE_TEST_IS_SYMLINK))
        return i;
    }
}
