/* SR-IOV discovery under a sysfs root, the way libvirt's virpci.c reads it:
 * a PF has sriov_totalvfs > 0, its VFs are the virtfnN links up to the first
 * gap, and each VF's physfn link names its PF. Everything odd becomes a
 * warning that names the path; nothing odd stops the scan. */
#include "config.h"

#include <dirent.h>
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

/* Directory handles opened once, so that reading thousands of attributes
 * does not walk the long path from / each time (the path walk was most of
 * the cost of a scan of 4096 VFs). A lazy scan keeps them open for the VFs
 * it reads later. */
struct _VfpSysfsReader {
  const char *root;        /* the scan's root */
  int devices_fd;          /* ROOT/bus/pci/devices */
  int groups_fd;           /* ROOT/kernel/iommu_groups, or -1 */
  GHashTable *group_sizes; /* group number -> members + 1 (0: not counted yet) */
  GPtrArray *warnings;     /* the scan's */
};
typedef VfpSysfsReader Scan;

static void
reader_free (Scan *scan)
{
  if (scan == NULL)
    return;
  if (scan->devices_fd >= 0)
    close (scan->devices_fd);
  if (scan->groups_fd >= 0)
    close (scan->groups_fd);
  g_hash_table_unref (scan->group_sizes);
  g_free (scan);
}

/* "0x1b36", "10ed" or "4" -> number in BASE (0 accepts "0x.."). */
static gboolean
parse_uint (const char *text, int base, guint64 *out)
{
  const char *digits = text;

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

/* The first line of the small attribute file NAME under DIRFD, stripped;
 * NULL when unreadable. */
static char *
read_attr_at (int dirfd, const char *name)
{
  char buf[ATTR_MAX + 1];
  gssize n;
  int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    return NULL;
  n = read (fd, buf, ATTR_MAX);
  close (fd);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
  return g_strdup (g_strstrip (buf));
}

static gboolean
read_uint_at (int dirfd, const char *name, int base, guint64 *out)
{
  g_autofree char *text = read_attr_at (dirfd, name);

  return text != NULL && parse_uint (text, base, out);
}

/* Reads an unsigned number in BASE (0 accepts "0x.."); FALSE when the file is
 * missing or holds something else. */
gboolean
vfp_sysfs_read_uint (const char *path, int base, guint64 *out)
{
  return read_uint_at (AT_FDCWD, path, base, out);
}

/* The last component of the target of symlink NAME under DIRFD. */
static char *
link_name_at (int dirfd, const char *name)
{
  char buf[4096];
  gssize n = readlinkat (dirfd, name, buf, sizeof buf - 1);

  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return g_path_get_basename (buf);
}

/* The last component of a symlink's target (driver name, group number, PCI
 * address); NULL when PATH is not a link. */
char *
vfp_sysfs_link_name (const char *path)
{
  return link_name_at (AT_FDCWD, path);
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

/* ROOT/bus/pci/devices/ADDRESS[/NAME], for messages only. */
static char *
dev_path (Scan *scan, const char *address, const char *name)
{
  return vfp_sysfs_path (scan->root, "bus", "pci", "devices", address, name, NULL);
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

/* The netdev list of a VF not loaded yet: shared, never freed. */
static char *no_netdevs[] = { NULL };

/* Frees what a VF record owns, not the record: that lives in its PF's
 * block, and its address in the record itself. */
static void
vf_clear (VfpVf *vf)
{
  g_free (vf->fn.driver);
  if (vf->loaded)
    g_strfreev (vf->fn.netdevs);
  g_free (vf->fn.mac);
  g_free (vf->fn.operstate);
}

static void
pf_free (VfpPf *pf)
{
  guint i;

  function_clear (&pf->fn);
  for (i = 0; i < pf->vfs->len; i++)
    vf_clear (pf->vfs->pdata[i]);
  g_ptr_array_unref (pf->vfs);
  g_free (pf->vf_block);
  g_free (pf);
}

/* Frees a scan and everything in it. */
void
vfp_sysfs_free (VfpSysfs *sysfs)
{
  if (sysfs == NULL)
    return;
  reader_free (sysfs->reader);
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

/* Entries of directory PATH under DIRFD, sorted; empty when unreadable. */
static GPtrArray *
list_dir_at (int dirfd, const char *path)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  int fd = openat (dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  struct dirent *e;

  if (d == NULL)
    {
      if (fd >= 0)
        close (fd);
      return names;
    }
  while ((e = readdir (d)) != NULL)
    if (strcmp (e->d_name, ".") != 0 && strcmp (e->d_name, "..") != 0)
      g_ptr_array_add (names, g_strdup (e->d_name));
  closedir (d);
  g_ptr_array_sort (names, compare_strings);
  return names;
}

/* Members of IOMMU group GROUP, counted once per scan. */
static guint
group_size (Scan *scan, guint group)
{
  gpointer cached = g_hash_table_lookup (scan->group_sizes, GUINT_TO_POINTER (group));
  g_autofree char *rel = NULL;
  g_autoptr (GPtrArray) names = NULL;

  if (cached != NULL)
    return GPOINTER_TO_UINT (cached) - 1;
  rel = g_strdup_printf ("%u/devices", group);
  names = list_dir_at (scan->groups_fd >= 0 ? scan->groups_fd : -1, rel);
  g_hash_table_insert (scan->group_sizes, GUINT_TO_POINTER (group), GUINT_TO_POINTER (names->len + 1));
  if (names->len == 0)
    {
      g_autofree char *path = vfp_sysfs_path (scan->root, "kernel", "iommu_groups", rel, NULL);

      warn (scan->warnings, _("%s: the IOMMU group lists no devices."), path);
    }
  return names->len;
}

/* Network interfaces of a function: DEVFD/net/IFNAME, with the first one's
 * MAC and operstate. */
static void
read_netdevs (int devfd, VfpFunction *fn)
{
  g_autoptr (GPtrArray) names = list_dir_at (devfd, "net");

  if (names->len > 0)
    {
      g_autofree char *addr = g_build_filename ("net", names->pdata[0], "address", NULL);
      g_autofree char *oper = g_build_filename ("net", names->pdata[0], "operstate", NULL);

      fn->mac = read_attr_at (devfd, addr);
      fn->operstate = read_attr_at (devfd, oper);
    }
  g_ptr_array_add (names, NULL);
  fn->netdevs = (char **) g_ptr_array_steal (names, NULL);
}

/* Clears FN, sets its address and opens its directory under
 * bus/pci/devices; -1 (with a warning) when ADDRESS is not a PCI address
 * or the directory is not there. The caller closes the descriptor. */
static int
open_function (Scan *scan, const char *address, VfpFunction *fn)
{
  int devfd;

  memset (fn, 0, sizeof *fn);
  if (!vfp_addr_parse (address, &fn->addr, NULL))
    {
      g_autofree char *path = dev_path (scan, address, NULL);

      warn (scan->warnings, _("%s: the name is not a PCI address; skipped."), path);
      return -1;
    }
  devfd = openat (scan->devices_fd, address, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (devfd < 0)
    {
      g_autofree char *path = dev_path (scan, address, NULL);

      warn (scan->warnings, _("%s: the device directory is missing or a dangling link; skipped."), path);
      return -1;
    }
  fn->address = vfp_addr_to_string (&fn->addr);
  return devfd;
}

/* A VF's identity: what the kernel copies from its PF (vendor, class, NUMA
 * node; the device id is the PF's sriov_vf_device), which saves a third of
 * the reads on a host with thousands of VFs. */
static void
copy_pf_identity (int devfd, const VfpPf *pf, VfpFunction *fn)
{
  guint64 v;

  fn->vendor_id = pf->fn.vendor_id;
  fn->class_code = pf->fn.class_code;
  fn->numa_node = pf->fn.numa_node;
  if (pf->vf_device_id >= 0)
    fn->device_id = pf->vf_device_id;
  else if (read_uint_at (devfd, "device", 16, &v) && v <= 0xffff)
    fn->device_id = v;
}

/* The function's NUMA node, -1 when the kernel gives none (with a warning
 * when the file holds something else). */
static int
read_numa_node (Scan *scan, int devfd, const char *address)
{
  g_autofree char *numa = read_attr_at (devfd, "numa_node");
  gint64 n;

  if (numa == NULL)
    return -1;
  if (!g_ascii_string_to_signed (numa, 10, -1, G_MAXINT16, &n, NULL))
    {
      g_autofree char *path = dev_path (scan, address, "numa_node");

      warn (scan->warnings, _("%s: '%s' is not a NUMA node number."), path, numa);
      return -1;
    }
  return n;
}

/* A PF's or an ordinary function's identity: vendor and device ids (FALSE,
 * with a warning, when either is unusable), class and NUMA node. */
static gboolean
read_identity (Scan *scan, int devfd, const char *address, VfpFunction *fn)
{
  guint64 v;

  if (!read_uint_at (devfd, "vendor", 16, &v) || v > 0xffff)
    {
      g_autofree char *path = dev_path (scan, address, "vendor");

      warn (scan->warnings, _("%s: missing or unreadable vendor id; skipped."), path);
      return FALSE;
    }
  fn->vendor_id = v;
  if (!read_uint_at (devfd, "device", 16, &v) || v > 0xffff)
    {
      g_autofree char *path = dev_path (scan, address, "device");

      warn (scan->warnings, _("%s: missing or unreadable device id; skipped."), path);
      return FALSE;
    }
  fn->device_id = v;
  if (read_uint_at (devfd, "class", 16, &v) && v <= 0xffffff)
    fn->class_code = v;
  else
    {
      g_autofree char *path = dev_path (scan, address, "class");

      warn (scan->warnings, _("%s: missing or unreadable PCI class."), path);
    }
  fn->numa_node = read_numa_node (scan, devfd, address);
  return TRUE;
}

/* What the function is bound to, for PFs and VFs alike: its driver, its
 * IOMMU group (and the group's size) and its network interfaces. */
static void
read_bindings (Scan *scan, int devfd, const char *address, VfpFunction *fn)
{
  g_autofree char *group = NULL;
  guint64 v;

  fn->driver = link_name_at (devfd, "driver");
  fn->iommu_group = -1;
  group = link_name_at (devfd, "iommu_group");
  if (group != NULL)
    {
      if (g_ascii_string_to_unsigned (group, 10, 0, G_MAXINT, &v, NULL))
        {
          fn->iommu_group = v;
          fn->iommu_group_size = MIN (group_size (scan, v), G_MAXUINT16);
        }
      else
        {
          g_autofree char *path = dev_path (scan, address, "iommu_group");

          warn (scan->warnings, _("%s: the link does not name an IOMMU group number."), path);
        }
    }
  read_netdevs (devfd, fn);
}

/* Whether a VF's physfn link (PHYSFN) names PF; a warning when not. */
static gboolean
physfn_agrees (Scan *scan, const VfpFunction *fn, const VfpPf *pf, const char *physfn)
{
  g_autofree char *path = NULL;

  if (physfn != NULL && strcmp (physfn, pf->fn.address) == 0)
    return TRUE;
  path = dev_path (scan, fn->address, "physfn");
  warn (scan->warnings, _("%s: VF %s of PF %s names '%s' as its PF; skipped."),
        path, fn->address, pf->fn.address, physfn ? physfn : _("nothing"));
  return FALSE;
}

/* Fills FN from ROOT/bus/pci/devices/ADDRESS: a PF or ordinary function
 * when PF is NULL, else a VF of PF, whose physfn link must name PF. FALSE
 * (with a warning, FN left clear) when the function's directory, its
 * identity or, for a VF, its physfn link is unusable. */
static gboolean
read_function (Scan *scan, const char *address, const VfpPf *pf, VfpFunction *fn)
{
  g_autofree char *physfn = NULL;
  gboolean ok = TRUE;
  int devfd = open_function (scan, address, fn);

  if (devfd < 0)
    return FALSE;
  if (pf != NULL)
    {
      copy_pf_identity (devfd, pf, fn);
      physfn = link_name_at (devfd, "physfn");
    }
  else
    ok = read_identity (scan, devfd, address, fn);
  if (ok)
    read_bindings (scan, devfd, address, fn);
  close (devfd);
  if (ok && pf != NULL)
    ok = physfn_agrees (scan, fn, pf, physfn);
  if (!ok)
    function_clear (fn);
  return ok;
}

/* Reads an optional SR-IOV attribute of the PF; -1 when absent or garbage. */
static int
read_optional (Scan *scan, int pffd, const char *address, const char *name, int base)
{
  g_autofree char *text = read_attr_at (pffd, name);
  guint64 v;

  if (text == NULL)
    return -1;
  if (!parse_uint (text, base, &v) || v > G_MAXINT)
    {
      g_autofree char *path = dev_path (scan, address, name);

      warn (scan->warnings, _("%s: unreadable value; ignored."), path);
      return -1;
    }
  return v;
}

/* Appends a zeroed record for VF I of PF to BLOCK (a GArray of VfpVf)
 * and returns it; valid until the next append. */
static VfpVf *
block_add (GArray *block, VfpPf *pf, guint i)
{
  VfpVf *vf;

  g_array_set_size (block, block->len + 1);
  vf = &g_array_index (block, VfpVf, block->len - 1);
  vf->index = i;
  vf->pf = pf;
  return vf;
}

/* Hands the VF records in BLOCK (consumed) to PF as one allocation. Only
 * now that they no longer move can each fn.address point into its record. */
static void
pf_take_vfs (VfpPf *pf, GArray *block)
{
  guint i, n = block->len;

  /* a GArray grows to a power of two: 256 VFs would take room for 315 */
  pf->vf_block = g_realloc (g_array_free (block, FALSE), MAX (n, 1) * sizeof (VfpVf));
  pf->vfs = g_ptr_array_sized_new (n);
  for (i = 0; i < n; i++)
    {
      VfpVf *vf = &pf->vf_block[i];

      vf->fn.address = (char *) vfp_addr_format (&vf->fn.addr, vf->address);
      g_ptr_array_add (pf->vfs, vf);
    }
}

/* A VF known by its address only, with what the kernel copies from its PF. */
static void
vf_init_lazy (VfpVf *vf, const VfpAddr *addr)
{
  const VfpPf *pf = vf->pf;

  vf->fn.addr = *addr;
  vf->fn.vendor_id = pf->fn.vendor_id;
  vf->fn.device_id = pf->vf_device_id >= 0 ? pf->vf_device_id : pf->fn.device_id;
  vf->fn.class_code = pf->fn.class_code;
  vf->fn.numa_node = pf->fn.numa_node;
  vf->fn.iommu_group = -1;
  vf->fn.netdevs = no_netdevs;
}

/* The VFs of a lazy scan: computed from sriov_numvfs, offset and stride
 * without a system call each, or, where the kernel gives no offset and
 * stride, the targets of the virtfnN links up to the first gap. */
static void
list_vfs_lazy (Scan *scan, int pffd, VfpPf *pf)
{
  GArray *block = g_array_sized_new (FALSE, TRUE, sizeof (VfpVf), pf->num_vfs);
  guint i;

  if (pf->vf_offset > 0 && (pf->vf_stride > 0 || pf->num_vfs <= 1))
    {
      VfpAddr a;

      for (i = 0; i < pf->num_vfs && vfp_addr_from_vf_index (&pf->fn.addr, pf->vf_offset,
                                                             MAX (pf->vf_stride, 0), i, &a); i++)
        vf_init_lazy (block_add (block, pf, i), &a);
      if (i == pf->num_vfs)
        {
          pf_take_vfs (pf, block);
          return;
        }
      /* numbers past the last bus, which the kernel never gives: its
       * links say where the VFs are */
      g_array_set_size (block, 0);
    }
  for (i = 0; i <= G_MAXUINT16; i++)   /* VF indexes are 16 bits (TotalVFs) */
    {
      char name[24];
      g_autofree char *vfaddr = NULL;
      VfpAddr a;

      g_snprintf (name, sizeof name, "virtfn%u", i);
      vfaddr = link_name_at (pffd, name);
      if (vfaddr == NULL)
        break;
      if (!vfp_addr_parse (vfaddr, &a, NULL))
        {
          g_autofree char *path = dev_path (scan, pf->fn.address, name);

          warn (scan->warnings, _("%s: the link does not name a PCI address; skipped."), path);
          continue;
        }
      vf_init_lazy (block_add (block, pf, i), &a);
    }
  pf_take_vfs (pf, block);
}

/* Reads what a lazy scan left out of VF: checks that the PF's virtfnN link
 * and the VF's physfn link still agree with it, then its driver, IOMMU
 * group and netdevs. FALSE (with a warning) when sysfs has no such VF; a
 * full scan's VFs are loaded already. */
gboolean
vfp_sysfs_load_vf (VfpSysfs *sysfs, VfpVf *vf)
{
  Scan *scan = sysfs->reader;
  char name[48];
  g_autofree char *target = NULL;
  VfpFunction fn;

  if (vf->loaded || vf->missing)
    return !vf->missing;
  g_snprintf (name, sizeof name, "%s/virtfn%u", vf->pf->fn.address, vf->index);
  target = link_name_at (scan->devices_fd, name);
  if (target == NULL || strcmp (target, vf->fn.address) != 0)
    {
      g_autofree char *path = dev_path (scan, vf->pf->fn.address, name + strlen (vf->pf->fn.address) + 1);

      warn (scan->warnings, _("%s: expected a link to VF %s, found %s; skipped."),
            path, vf->fn.address, target ? target : _("nothing"));
      vf->missing = TRUE;
      return FALSE;
    }
  if (!read_function (scan, vf->fn.address, vf->pf, &fn))
    {
      vf->missing = TRUE;
      return FALSE;
    }
  vf_clear (vf);
  g_free (fn.address);
  fn.address = vf->address;
  vf->fn = fn;
  vf->loaded = TRUE;
  return TRUE;
}

/* The driver VF is bound to (NULL: none), reading only that link when the
 * scan was lazy: what an audit needs of every free VF. */
const char *
vfp_sysfs_vf_driver (VfpSysfs *sysfs, VfpVf *vf)
{
  char name[48];

  if (vf->loaded || vf->driver_read || vf->missing)
    return vf->fn.driver;
  g_snprintf (name, sizeof name, "%s/driver", vf->fn.address);
  vf->fn.driver = link_name_at (sysfs->reader->devices_fd, name);
  vf->driver_read = TRUE;
  return vf->fn.driver;
}

/* Walks virtfn0, virtfn1, ... up to the first gap, as libvirt does. */
static void
read_vfs (Scan *scan, int pffd, VfpPf *pf)
{
  GArray *block = g_array_sized_new (FALSE, TRUE, sizeof (VfpVf), pf->num_vfs);
  guint i;

  for (i = 0; i <= G_MAXUINT16; i++)   /* VF indexes are 16 bits (TotalVFs) */
    {
      char name[24];
      g_autofree char *vfaddr = NULL;
      VfpFunction fn;
      VfpVf *vf;

      g_snprintf (name, sizeof name, "virtfn%u", i);
      vfaddr = link_name_at (pffd, name);
      if (vfaddr == NULL)
        break;
      if (!read_function (scan, vfaddr, pf, &fn))
        continue;
      /* the record keeps its address itself (pf_take_vfs) */
      g_clear_pointer (&fn.address, g_free);
      vf = block_add (block, pf, i);
      vf->fn = fn;
      vf->loaded = TRUE;
    }
  pf_take_vfs (pf, block);
  if (i != pf->num_vfs)
    {
      g_autofree char *path = dev_path (scan, pf->fn.address, NULL);

      warn (scan->warnings, _("%s: sriov_numvfs says %u VFs but %u virtfn links were found."),
            path, pf->num_vfs, i);
    }
}

/* Reads the PF at ADDRESS, or returns NULL when it is not an SR-IOV PF. */
static VfpPf *
read_pf (Scan *scan, const char *address, VfpSysfsMode mode)
{
  g_autofree char *total_path = g_build_filename (address, "sriov_totalvfs", NULL);
  /* most functions are not PFs: one failed open says so */
  g_autofree char *total_text = read_attr_at (scan->devices_fd, total_path);
  VfpPf *pf = NULL;
  guint64 total, num;
  int pffd;

  if (total_text == NULL)
    return NULL;
  pffd = openat (scan->devices_fd, address, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (pffd < 0)
    return NULL;
  if (!parse_uint (total_text, 10, &total) || total > 0xffff)
    {
      g_autofree char *path = dev_path (scan, address, "sriov_totalvfs");

      warn (scan->warnings, _("%s: unreadable; the function is not treated as a PF."), path);
      goto out;
    }
  if (total == 0)
    goto out;
  if (!read_uint_at (pffd, "sriov_numvfs", 10, &num) || num > total)
    {
      g_autofree char *path = dev_path (scan, address, "sriov_numvfs");

      warn (scan->warnings, _("%s: missing or out of range; taken as 0."), path);
      num = 0;
    }

  pf = g_new0 (VfpPf, 1);
  if (!read_function (scan, address, NULL, &pf->fn))
    {
      g_clear_pointer (&pf, g_free);
      goto out;
    }
  pf->total_vfs = total;
  pf->num_vfs = num;
  pf->vf_offset = read_optional (scan, pffd, address, "sriov_offset", 10);
  pf->vf_stride = read_optional (scan, pffd, address, "sriov_stride", 10);
  pf->vf_device_id = read_optional (scan, pffd, address, "sriov_vf_device", 16);
  if (mode == VFP_SYSFS_LAZY)
    list_vfs_lazy (scan, pffd, pf);
  else
    read_vfs (scan, pffd, pf);
out:
  close (pffd);
  return pf;
}

/* Routing IDs (bus, slot, function) in a PCI domain, and bits in a word. */
#define N_RIDS 65536
#define WORD_BITS (GLIB_SIZEOF_LONG * 8)

/* The functions of one PCI domain that bus/pci/devices lists, as a set of
 * routing IDs. Thousands of them are VFs: adding one costs a bit, not an
 * allocation, and walking the set visits them in address order, with no
 * sort of thousands of names. 8 KB per domain. */
typedef struct {
  guint32 domain;
  gulong rids[N_RIDS / WORD_BITS];
} DomainSet;

/* The entries of bus/pci/devices. */
typedef struct {
  GPtrArray *domains;      /* owned DomainSet*, by domain */
  GPtrArray *others;       /* owned char*: names that are not an address as
                            * the kernel spells it (hand-made trees), sorted */
} DevList;

static void
dev_list_free (DevList *list)
{
  g_ptr_array_unref (list->domains);
  g_ptr_array_unref (list->others);
  g_free (list);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DevList, dev_list_free)

/* The set of DOMAIN, created empty if CREATE and there is none yet. A host
 * has few domains: a linear search is enough. */
static DomainSet *
domain_set (GPtrArray *domains, guint32 domain, gboolean create)
{
  DomainSet *set;
  guint i;

  for (i = 0; i < domains->len; i++)
    if (((DomainSet *) domains->pdata[i])->domain == domain)
      return domains->pdata[i];
  if (!create)
    return NULL;
  set = g_new0 (DomainSet, 1);
  set->domain = domain;
  g_ptr_array_add (domains, set);
  return set;
}

static void
domain_set_remove (DomainSet *set, guint rid)
{
  set->rids[rid / WORD_BITS] &= ~(1UL << (rid % WORD_BITS));
}

static int
compare_domains (gconstpointer a, gconstpointer b)
{
  guint32 x = (*(DomainSet *const *) a)->domain, y = (*(DomainSet *const *) b)->domain;

  return x < y ? -1 : x > y;
}

/* The value of lower-case hex digit C, or -1. */
static int
hex_digit (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Reads exactly N lower-case hex digits at P. */
static gboolean
read_hex_digits (const char *p, gsize n, guint32 *out)
{
  guint32 v = 0;

  for (; n > 0; n--, p++)
    {
      int d = hex_digit (*p);

      if (d < 0)
        return FALSE;
      v = v << 4 | d;
    }
  *out = v;
  return TRUE;
}

/* Parses NAME when it is an address spelled exactly as the kernel and
 * vfp_addr_format() spell it ("0000:05:10.2": lower case, a domain of 4
 * to 8 digits without extra leading zeros), so that the name can be made
 * again from DOMAIN and RID. By hand, not with vfp_addr_parse() and a
 * round trip: it runs for every VF of the host. */
static gboolean
parse_kernel_name (const char *name, guint32 *domain, guint *rid)
{
  gsize len = strlen (name);
  gsize dlen = len - 8;    /* ":bb:ss.f" follows the domain */
  guint32 bus, slot, function;

  if (len < 12 || len > 16 || (dlen > 4 && name[0] == '0')
      || name[dlen] != ':' || name[dlen + 3] != ':' || name[dlen + 6] != '.'
      || !read_hex_digits (name, dlen, domain)
      || !read_hex_digits (name + dlen + 1, 2, &bus)
      || !read_hex_digits (name + dlen + 4, 2, &slot)
      || !read_hex_digits (name + dlen + 7, 1, &function)
      || slot > 0x1f || function > 7)
    return FALSE;
  *rid = bus << 8 | slot << 3 | function;
  return TRUE;
}

/* Lists bus/pci/devices: the addresses by domain, then the other names. */
static DevList *
list_devices (Scan *scan)
{
  DevList *list = g_new0 (DevList, 1);
  int fd = openat (scan->devices_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  DomainSet *set = NULL;
  struct dirent *e;

  list->domains = g_ptr_array_new_with_free_func (g_free);
  list->others = g_ptr_array_new_with_free_func (g_free);
  if (d == NULL && fd >= 0)
    close (fd);
  while (d != NULL && (e = readdir (d)) != NULL)
    {
      guint32 domain;
      guint rid;

      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      if (!parse_kernel_name (e->d_name, &domain, &rid))
        {
          g_ptr_array_add (list->others, g_strdup (e->d_name));
          continue;
        }
      if (set == NULL || set->domain != domain)
        set = domain_set (list->domains, domain, TRUE);
      set->rids[rid / WORD_BITS] |= 1UL << (rid % WORD_BITS);
    }
  if (d != NULL)
    closedir (d);
  g_ptr_array_sort (list->domains, compare_domains);
  g_ptr_array_sort (list->others, compare_strings);
  return list;
}

/* Takes PF's VFs out of the sets before the walk reaches them: a VF is
 * never a PF, and probing it would cost a system call or three. */
static void
drop_vfs (DevList *list, const VfpPf *pf)
{
  guint j;

  for (j = 0; j < pf->vfs->len; j++)
    {
      const VfpAddr *a = &((VfpVf *) pf->vfs->pdata[j])->fn.addr;
      DomainSet *set = domain_set (list->domains, a->domain, FALSE);

      if (set != NULL)
        domain_set_remove (set, vfp_addr_routing_id (a));
    }
}

/* By address. */
static int
compare_pfs (gconstpointer a, gconstpointer b)
{
  return vfp_addr_compare (&(*(VfpPf *const *) a)->fn.addr, &(*(VfpPf *const *) b)->fn.addr);
}

/* Reads the PF named NAME into SYSFS, if it is one. */
static VfpPf *
add_pf (VfpSysfs *sysfs, const char *name, VfpSysfsMode mode)
{
  VfpPf *pf = read_pf (sysfs->reader, name, mode);

  if (pf != NULL)
    g_ptr_array_add (sysfs->pfs, pf);
  return pf;
}

/* Reads the PFs of one domain in address order, taking each entry out of
 * SET as it goes, and the VFs of each PF found ahead of the walk. */
static void
read_domain (VfpSysfs *sysfs, DevList *list, DomainSet *set, VfpSysfsMode mode)
{
  guint w;

  for (w = 0; w < G_N_ELEMENTS (set->rids); w++)
    while (set->rids[w] != 0)
      {
        guint rid = w * WORD_BITS + g_bit_nth_lsf (set->rids[w], -1);
        char name[VFP_ADDR_STRLEN];
        VfpAddr a;
        VfpPf *pf;

        domain_set_remove (set, rid);
        vfp_addr_from_routing_id (set->domain, rid, &a);
        pf = add_pf (sysfs, vfp_addr_format (&a, name), mode);
        if (pf != NULL)
          drop_vfs (list, pf);
      }
}

/* Scans ROOT (the directory that plays /sys) for SR-IOV PFs and their VFs.
 * Fails only when ROOT has no PCI bus at all; the caller frees the result. */
VfpSysfs *
vfp_sysfs_scan (const char *root, GError **error)
{
  return vfp_sysfs_scan_mode (root, VFP_SYSFS_FULL, error);
}

/* The same, reading each VF fully or (VFP_SYSFS_LAZY) only when
 * vfp_sysfs_load_vf() asks. */
VfpSysfs *
vfp_sysfs_scan_mode (const char *root, VfpSysfsMode mode, GError **error)
{
  g_autofree char *devices = vfp_sysfs_path (root, "bus", "pci", "devices", NULL);
  g_autofree char *groups = vfp_sysfs_path (root, "kernel", "iommu_groups", NULL);
  g_autoptr (DevList) devs = NULL;
  g_autoptr (VfpSysfs) sysfs = NULL;
  Scan *scan;
  guint i;
  int devices_fd = open (devices, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (devices_fd < 0)
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
  sysfs->reader = scan = g_new0 (Scan, 1);
  scan->root = sysfs->root;
  scan->devices_fd = devices_fd;
  scan->groups_fd = open (groups, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  scan->group_sizes = g_hash_table_new (NULL, NULL);
  scan->warnings = sysfs->warnings;

  /* A VF is never a PF, and its PF sorts before it (a VF's routing ID is
   * its PF's plus a non-zero offset): the VFs of the PFs read so far are
   * not probed, which saves a system call or three per VF. */
  devs = list_devices (scan);
  for (i = 0; i < devs->domains->len; i++)
    read_domain (sysfs, devs, devs->domains->pdata[i], mode);
  /* names no kernel writes (hand-made trees): read for their warnings */
  for (i = 0; i < devs->others->len; i++)
    add_pf (sysfs, devs->others->pdata[i], mode);
  if (devs->others->len > 0)
    g_ptr_array_sort (sysfs->pfs, compare_pfs);
  if (mode == VFP_SYSFS_FULL)
    g_clear_pointer (&sysfs->reader, reader_free);
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

/* Waits up to WAIT_MS for the kernel to show N virtfn links on the PF
 * after sriov_numvfs was written; FALSE with ERROR when it does not. */
gboolean
vfp_sysfs_wait_virtfn (const char *root, const char *pf_address, guint n, guint wait_ms,
                       GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) wait_ms * 1000;

  while (vfp_sysfs_count_virtfn (root, pf_address) != n)
    {
      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                       _("sriov_numvfs of PF %s is now %u, but the kernel has not created the VFs within %u ms; check dmesg."),
                       pf_address, n, wait_ms);
          return FALSE;
        }
      g_usleep (50 * 1000);
    }
  return TRUE;
}

/* The PF of VF_ADDRESS from its physfn link (one readlink, no scan), or NULL. */
char *
vfp_sysfs_physfn (const char *root, const char *vf_address)
{
  g_autofree char *link = vfp_sysfs_path (root, "bus", "pci", "devices", vf_address, "physfn", NULL);

  return vfp_sysfs_link_name (link);
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

static gint
compare_uint (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

/* Whether the kernel under ROOT has NUMA node NODE (ROOT/devices/system/
 * node/nodeN). When it has not, *KNOWN (when not NULL) gets the nodes it
 * has, as "0, 1", or NULL when it lists none; the caller frees it. */
gboolean
vfp_sysfs_has_numa_node (const char *root, int node, char **known)
{
  g_autofree char *dir = vfp_sysfs_path (root, "devices", "system", "node", NULL);
  g_autofree char *name = g_strdup_printf ("node%d", node);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr (GDir) d = NULL;
  g_autoptr (GArray) nodes = NULL;
  g_autoptr (GString) list = NULL;
  const char *entry;
  guint i;

  if (known != NULL)
    *known = NULL;
  if (node >= 0 && g_file_test (path, G_FILE_TEST_IS_DIR))
    return TRUE;
  d = g_dir_open (dir, 0, NULL);
  if (known == NULL || d == NULL)
    return FALSE;
  nodes = g_array_new (FALSE, FALSE, sizeof (guint));
  while ((entry = g_dir_read_name (d)) != NULL)
    {
      guint64 n;

      if (g_str_has_prefix (entry, "node")
          && g_ascii_string_to_unsigned (entry + 4, 10, 0, G_MAXINT, &n, NULL))
        {
          guint v = n;

          g_array_append_val (nodes, v);
        }
    }
  g_array_sort (nodes, compare_uint);
  list = g_string_new (NULL);
  for (i = 0; i < nodes->len; i++)
    g_string_append_printf (list, "%s%u", i > 0 ? ", " : "", g_array_index (nodes, guint, i));
  if (nodes->len > 0)
    *known = g_string_free (g_steal_pointer (&list), FALSE);
  return FALSE;
}
