/* Fake sysfs trees built at test time (never committed: git and tarballs
 * mangle symlink trees). Layout and link targets copy a real kernel's:
 *   devices/pci0000:00/BRIDGE/ADDR/...   the functions
 *   bus/pci/devices/ADDR -> ../../../devices/...
 *   bus/pci/drivers/DRIVER/ADDR -> ../../../../devices/...
 *   kernel/iommu_groups/N/devices/ADDR -> ../../../../devices/...
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fake-sysfs.h"

#define CONFIG_SIZE 4096
#define CAP_PCIE 0x40
#define ECAP_SRIOV 0x160
#define ECAP_ACS 0x1d0
#define ECAP_DSN 0x1f0

/* The demo host of the README: an Intel 82599 (VFs at 05:10.0, 05:10.2, ...)
 * and a Mellanox ConnectX-4 Lx on another NUMA node, both under root ports
 * with ACS. */
const FakePciFunction fake_demo_host[] = {
  { .address = "0000:00:03.0", .vendor = 0x8086, .device = 0x2f08,
    .class_code = 0x060400, .driver = "pcieport", .numa_node = 0,
    .iommu_group = 30, .acs = TRUE },
  { .address = "0000:05:00.0", .bridge = "0000:00:03.0", .vendor = 0x8086,
    .device = 0x10fb, .class_code = 0x020000, .driver = "ixgbe", .numa_node = 0,
    .iommu_group = 40, .netdev = "enp5s0f0", .mac = "90:e2:ba:76:86:a8",
    .total_vfs = 64, .initial_vfs = 64, .num_vfs = 8, .vf_offset = 128,
    .vf_stride = 2, .vf_device = 0x10ed, .vf_driver = "ixgbevf",
    .vf_netdev_fmt = "enp5s16f%u", .vf_iommu_group_base = 100,
    .dsn = 0x90e2baffff7686a8ULL, .subsystem_vendor = 0x8086, .subsystem_device = 0x000c },
  { .address = "0000:80:02.0", .vendor = 0x8086, .device = 0x2f04,
    .class_code = 0x060400, .driver = "pcieport", .numa_node = 1,
    .iommu_group = 31, .acs = TRUE },
  { .address = "0000:81:00.0", .bridge = "0000:80:02.0", .vendor = 0x15b3,
    .device = 0x1015, .class_code = 0x020000, .driver = "mlx5_core",
    .numa_node = 1, .iommu_group = 50, .netdev = "enp129s0f0np0",
    .mac = "b8:59:9f:12:34:50", .acs = TRUE, .total_vfs = 8,
    .initial_vfs = 8, .num_vfs = 4, .vf_offset = 2, .vf_stride = 1,
    .vf_device = 0x1016, .vf_driver = "mlx5_core",
    .vf_netdev_fmt = "enp129s0f0v%u", .vf_iommu_group_base = 200,
    .subsystem_vendor = 0x15b3, .subsystem_device = 0x0003 },
};
const gsize fake_demo_host_len = G_N_ELEMENTS (fake_demo_host);
const FakeHostOptions fake_demo_options = { .iommu = TRUE, .intr_remap = TRUE,
                                            .vfio_loaded = TRUE };

static gboolean
write_file (const char *path, const char *contents, gssize len, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "mkdir %s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  return g_file_set_contents (path, contents, len, error);
}

static gboolean
write_attr (const char *dir, const char *name, GError **error,
            const char *fmt, ...) G_GNUC_PRINTF (4, 5);

static gboolean
write_attr (const char *dir, const char *name, GError **error, const char *fmt, ...)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;
  va_list ap;

  va_start (ap, fmt);
  text = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  return write_file (path, text, -1, error);
}

/* Makes LINK (under ROOT) point at TARGET_UNDER_ROOT with a relative target,
 * as the kernel's links are. */
static gboolean
make_link (const char *root, const char *link, const char *target_under_root,
           GError **error)
{
  g_autofree char *path = g_build_filename (root, link, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GString) target = g_string_new (NULL);
  const char *p;

  for (p = link; (p = strchr (p, '/')) != NULL; p++)
    g_string_append (target, "../");
  g_string_append (target, target_under_root);
  if (g_mkdir_with_parents (dir, 0755) != 0 || symlink (target->str, path) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   "symlink %s: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

static void
put16 (guint8 *cfg, guint off, guint16 v)
{
  cfg[off] = v & 0xff;
  cfg[off + 1] = v >> 8;
}

static void
put32 (guint8 *cfg, guint off, guint32 v)
{
  put16 (cfg, off, v & 0xffff);
  put16 (cfg, off + 2, v >> 16);
}

/* A 4 KiB config space: header, a PCIe capability, and the extended SR-IOV,
 * ACS and Device Serial Number capabilities where the table asks for them. */
static void
build_config (const FakePciFunction *f, gboolean is_vf, guint8 *cfg)
{
  gboolean bridge = (f->class_code >> 8) == 0x0604;
  guint next_ecap = 0;

  memset (cfg, 0, CONFIG_SIZE);
  /* A VF's vendor and device registers read as ffff; the kernel's vendor and
   * device files show the PF's vendor and the VF device id instead. */
  put16 (cfg, 0x00, is_vf ? 0xffff : f->vendor);
  put16 (cfg, 0x02, is_vf ? 0xffff : f->device);
  put16 (cfg, 0x06, 0x0010);                    /* status: capability list */
  put32 (cfg, 0x08, f->class_code << 8 | 0x01); /* class code, revision 1 */
  cfg[0x0e] = bridge ? 0x01 : 0x00;
  if (!bridge && !is_vf)
    {
      put16 (cfg, 0x2c, f->subsystem_vendor);
      put16 (cfg, 0x2e, f->subsystem_device);
    }
  cfg[0x34] = CAP_PCIE;
  cfg[CAP_PCIE] = 0x10;                         /* PCI Express */
  cfg[CAP_PCIE + 1] = 0;
  put16 (cfg, CAP_PCIE + 2, 0x0002 | (bridge ? 0x4 : 0x0) << 4);

  if (f->acs && !is_vf)
    {
      put32 (cfg, ECAP_ACS, 0x000d | 1 << 16);
      put16 (cfg, ECAP_ACS + 4, 0x005f);        /* SV TB RR CR UF DT */
      put16 (cfg, ECAP_ACS + 6, 0x001d);        /* SV RR CR UF enabled */
      next_ecap = ECAP_ACS;
    }
  if (f->total_vfs > 0 && !is_vf)
    {
      guint16 ctl = f->num_vfs > 0 ? 0x0019 : 0x0010; /* VF enable + MSE, ARI */

      put32 (cfg, ECAP_SRIOV, 0x0010 | 1 << 16 | next_ecap << 20);
      put32 (cfg, ECAP_SRIOV + 0x04, 0);
      put16 (cfg, ECAP_SRIOV + 0x08, ctl);
      put16 (cfg, ECAP_SRIOV + 0x0c, f->initial_vfs);
      put16 (cfg, ECAP_SRIOV + 0x0e, f->total_vfs);
      put16 (cfg, ECAP_SRIOV + 0x10, f->num_vfs);
      put16 (cfg, ECAP_SRIOV + 0x14, f->vf_offset);
      put16 (cfg, ECAP_SRIOV + 0x16, f->vf_stride);
      put16 (cfg, ECAP_SRIOV + 0x1a, f->vf_device);
      put32 (cfg, ECAP_SRIOV + 0x1c, 0x00000553);
      put32 (cfg, ECAP_SRIOV + 0x20, 0x00000001);
      next_ecap = ECAP_SRIOV;
    }
  if (f->dsn != 0 && !is_vf)
    {
      put32 (cfg, ECAP_DSN, 0x0003 | 1 << 16 | next_ecap << 20);
      put32 (cfg, ECAP_DSN + 4, (guint32) f->dsn);
      put32 (cfg, ECAP_DSN + 8, (guint32) (f->dsn >> 32));
      next_ecap = ECAP_DSN;
    }
  /* The chain starts at 0x100; a function without extended capabilities
   * still needs a null header there. */
  if (next_ecap != 0)
    put32 (cfg, 0x100, 0x0001 | 1 << 16 | next_ecap << 20); /* AER, then the rest */
}

/* The address of VF INDEX of PF: routing ID = PF + offset + index * stride. */
char *
fake_sysfs_vf_address (const FakePciFunction *pf, guint index)
{
  guint domain, bus, slot, fn, rid;

  if (sscanf (pf->address, "%x:%x:%x.%x", &domain, &bus, &slot, &fn) != 4)
    return NULL;
  rid = (bus << 8 | slot << 3 | fn) + pf->vf_offset + index * pf->vf_stride;
  return g_strdup_printf ("%04x:%02x:%02x.%x", domain, rid >> 8, (rid >> 3) & 0x1f, rid & 7);
}

/* The device path under ROOT ("devices/pci0000:00/[BRIDGE/]ADDR"). */
static char *
device_path (const char *address, const char *bridge)
{
  g_autofree char *domain_bus = g_strndup (address, 4);

  if (bridge != NULL)
    return g_strdup_printf ("devices/pci%s:00/%s/%s", domain_bus, bridge, address);
  return g_strdup_printf ("devices/pci%s:00/%s", domain_bus, address);
}

/* Writes one function's directory and its links. */
static gboolean
build_function (const char *root, const FakePciFunction *f, const char *address,
                gboolean is_vf, const char *pf_address, int group,
                const char *driver, const char *netdev, const char *mac,
                GError **error)
{
  g_autofree char *rel = device_path (address, f->bridge);
  g_autofree char *dir = g_build_filename (root, rel, NULL);
  g_autofree char *link = NULL;
  g_autofree guint8 *cfg = g_malloc (CONFIG_SIZE);
  g_autofree char *cfg_path = g_build_filename (dir, "config", NULL);

  build_config (f, is_vf, cfg);
  if (!write_file (cfg_path, (const char *) cfg, CONFIG_SIZE, error)
      || !write_attr (dir, "vendor", error, "0x%04x\n", f->vendor)
      || !write_attr (dir, "device", error, "0x%04x\n", is_vf ? f->vf_device : f->device)
      || !write_attr (dir, "class", error, "0x%06x\n", f->class_code)
      || !write_attr (dir, "numa_node", error, "%d\n", f->numa_node)
      || !write_attr (dir, "irq", error, "0\n")
      || !write_attr (dir, "resource", error,
                      "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"))
    return FALSE;
  if (f->subsystem_vendor != 0 && !is_vf
      && (!write_attr (dir, "subsystem_vendor", error, "0x%04x\n", f->subsystem_vendor)
          || !write_attr (dir, "subsystem_device", error, "0x%04x\n", f->subsystem_device)))
    return FALSE;

  link = g_build_filename ("bus/pci/devices", address, NULL);
  if (!make_link (root, link, rel, error))
    return FALSE;
  if (driver != NULL)
    {
      g_autofree char *drv_link = g_build_filename ("bus/pci/drivers", driver, address, NULL);
      g_autofree char *drv_rel = g_build_filename (rel, "driver", NULL);
      g_autofree char *drv_target = g_build_filename ("bus/pci/drivers", driver, NULL);

      if (!make_link (root, drv_link, rel, error)
          || !make_link (root, drv_rel, drv_target, error))
        return FALSE;
    }
  if (group >= 0)
    {
      g_autofree char *grp = g_strdup_printf ("kernel/iommu_groups/%d", group);
      g_autofree char *member = g_build_filename (grp, "devices", address, NULL);
      g_autofree char *grp_link = g_build_filename (rel, "iommu_group", NULL);

      if (!make_link (root, member, rel, error) || !make_link (root, grp_link, grp, error))
        return FALSE;
    }
  if (netdev != NULL)
    {
      g_autofree char *netdir = g_build_filename (dir, "net", netdev, NULL);

      /* addr_assign_type 0: the address is the permanent one */
      if (!write_attr (netdir, "address", error, "%s\n", mac)
          || !write_attr (netdir, "addr_assign_type", error, "0\n")
          || !write_attr (netdir, "operstate", error, "up\n"))
        return FALSE;
    }
  if (is_vf)
    {
      g_autofree char *physfn = g_build_filename (rel, "physfn", NULL);
      g_autofree char *pf_rel = device_path (pf_address, f->bridge);

      if (!make_link (root, physfn, pf_rel, error))
        return FALSE;
    }
  else if (f->total_vfs > 0)
    {
      if (!write_attr (dir, "sriov_totalvfs", error, "%u\n", f->total_vfs)
          || !write_attr (dir, "sriov_numvfs", error, "%u\n", f->num_vfs)
          || !write_attr (dir, "sriov_offset", error, "%u\n", f->vf_offset)
          || !write_attr (dir, "sriov_stride", error, "%u\n", f->vf_stride)
          || !write_attr (dir, "sriov_vf_device", error, "%x\n", f->vf_device)
          || !write_attr (dir, "sriov_drivers_autoprobe", error, "1\n"))
        return FALSE;
    }
  return TRUE;
}

/* Builds the host described by FUNCTIONS under DIR/sys and returns that
 * path; the caller frees it (and removes the tree). */
char *
fake_sysfs_build (const char *dir, const FakeHostOptions *opts,
                  const FakePciFunction *functions, gsize n_functions,
                  GError **error)
{
  g_autofree char *root = g_build_filename (dir, "sys", NULL);
  gsize i;
  guint v;

  for (i = 0; i < n_functions; i++)
    {
      const FakePciFunction *f = &functions[i];

      if (!build_function (root, f, f->address, FALSE, NULL,
                           opts->iommu ? f->iommu_group : -1, f->driver,
                           f->netdev, f->mac, error))
        return NULL;
      for (v = 0; v < f->num_vfs; v++)
        {
          g_autofree char *vf = fake_sysfs_vf_address (f, v);
          g_autofree char *vf_rel = device_path (vf, f->bridge);
          g_autofree char *pf_rel = device_path (f->address, f->bridge);
          g_autofree char *virtfn = g_strdup_printf ("%s/virtfn%u", pf_rel, v);
          g_autofree char *netdev = NULL;
          g_autofree char *mac = NULL;
          int group = -1;

          if (f->vf_netdev_fmt != NULL)
            {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
              netdev = g_strdup_printf (f->vf_netdev_fmt, v);
#pragma GCC diagnostic pop
              mac = g_strdup_printf ("00:00:00:00:00:00");
            }
          if (opts->iommu && f->vf_iommu_group_base >= 0)
            group = f->vf_iommu_group_base + (f->vfs_share_group ? 0 : (int) v);
          if (!build_function (root, f, vf, TRUE, f->address, group, f->vf_driver,
                               netdev, mac, error)
              || !make_link (root, virtfn, vf_rel, error))
            return NULL;
        }
    }
  if (opts->iommu)
    {
      g_autofree char *ecap_dir = g_build_filename (root, "devices/virtual/iommu/dmar0/intel-iommu", NULL);

      /* ECAP bit 3 is Interrupt Remapping support (VT-d spec 10.4.3). */
      if (!write_attr (ecap_dir, "ecap", error, "%x\n", opts->intr_remap ? 0xf0205eU : 0xf02056U)
          || !make_link (root, "class/iommu/dmar0", "devices/virtual/iommu/dmar0", error))
        return NULL;
    }
  if (opts->vfio_loaded)
    {
      g_autofree char *drv = g_build_filename (root, "bus/pci/drivers/vfio-pci", NULL);
      g_autofree char *mod = g_build_filename (root, "module/vfio_pci", NULL);
      g_autofree char *vfio = g_build_filename (root, "module/vfio", NULL);
      g_autofree char *type1 = g_build_filename (root, "module/vfio_iommu_type1", NULL);

      if (g_mkdir_with_parents (drv, 0755) != 0 || g_mkdir_with_parents (mod, 0755) != 0
          || g_mkdir_with_parents (vfio, 0755) != 0
          || (!opts->vfio_no_iommu_model && g_mkdir_with_parents (type1, 0755) != 0))
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                       "mkdir %s: %s", drv, g_strerror (errno));
          return NULL;
        }
    }
  else
    {
      g_autofree char *drvs = g_build_filename (root, "bus/pci/drivers", NULL);

      g_mkdir_with_parents (drvs, 0755);
    }
  return g_steal_pointer (&root);
}

/* Unpacks one of the captured kernel trees (tar.gz with sysfs-snap/sys/...)
 * into DIR with tar, so tests also run on what a real kernel wrote. */
gboolean
fake_sysfs_extract_fixture (const char *tarball, const char *dir, GError **error)
{
  const char *argv[] = { "tar", "-xzf", tarball, "-C", dir, NULL };
  int status;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     NULL, NULL, &status, error))
    return FALSE;
  return g_spawn_check_exit_status (status, error);
}
