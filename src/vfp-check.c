/* Readiness checks. Each reads the sysfs root (and libpci for ACS), so the
 * same code judges a real host and a test tree. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vfp-check.h"
#include "vfp-i18n.h"

/* VT-d extended capability register, bit 3: Interrupt Remapping support. */
#define VTD_ECAP_IR (1u << 3)
/* ACS controls the kernel requires for isolation (pci_acs_enabled). */
#define ACS_REQUIRED 0x001d  /* Source Validation, P2P Request/Completion Redirect, Upstream Forwarding */

static void
result_free (VfpCheckResult *r)
{
  g_free (r->object);
  g_free (r->message);
  g_free (r->fix);
  g_free (r);
}

static void
add (GPtrArray *results, const char *id, const char *object,
     VfpCheckStatus status, char *message, char *fix)
{
  VfpCheckResult *r = g_new0 (VfpCheckResult, 1);

  r->id = id;
  r->object = g_strdup (object);
  r->status = status;
  r->message = message;
  r->fix = fix;
  g_ptr_array_add (results, r);
}

/* Entries of a directory, or 0 when it cannot be read. */
static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
check_iommu (VfpHost *host, GPtrArray *results)
{
  const char *root = host->sysfs->root;
  g_autofree char *groups = vfp_sysfs_path (root, "kernel", "iommu_groups", NULL);
  g_autofree char *units = vfp_sysfs_path (root, "class", "iommu", NULL);
  guint n_groups = count_entries (groups);
  guint n_units = count_entries (units);

  if (n_groups > 0)
    add (results, "iommu", "host", VFP_CHECK_PASS,
         g_strdup_printf (_("The IOMMU is on (IOMMU groups: %u, IOMMU units: %u)."), n_groups, n_units),
         NULL);
  else
    add (results, "iommu", "host", VFP_CHECK_FAIL,
         g_strdup_printf (_("The IOMMU is off: %s is empty."), groups),
         g_strdup (_("Enable VT-d or AMD-Vi in the firmware and boot with intel_iommu=on (Intel) or amd_iommu=on (AMD).")));
}

static void
check_interrupt_remapping (VfpHost *host, GPtrArray *results)
{
  g_autofree char *units = vfp_sysfs_path (host->sysfs->root, "class", "iommu", NULL);
  g_autoptr (GDir) d = g_dir_open (units, 0, NULL);
  const char *name;
  guint with = 0, without = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *ecap = g_build_filename (units, name, "intel-iommu", "ecap", NULL);
      g_autofree char *amd = g_build_filename (units, name, "amd-iommu", NULL);
      guint64 v;

      if (vfp_sysfs_read_uint (ecap, 16, &v))
        {
          if (v & VTD_ECAP_IR)
            with++;
          else
            without++;
        }
      else if (g_file_test (amd, G_FILE_TEST_IS_DIR))
        with++;  /* every AMD-Vi unit the kernel drives remaps interrupts */
    }
  if (with == 0 && without == 0)
    add (results, "interrupt-remapping", "host", VFP_CHECK_WARN,
         g_strdup_printf (_("Cannot tell whether interrupts are remapped: no IOMMU unit under %s."), units),
         g_strdup (_("Check 'dmesg | grep -i remapping'; without remapping VFIO refuses devices unless allow_unsafe_interrupts is set.")));
  else if (without > 0)
    add (results, "interrupt-remapping", "host", VFP_CHECK_FAIL,
         g_strdup_printf (_("IOMMU units that cannot remap interrupts: %u of %u."), without, with + without),
         g_strdup (_("Enable interrupt remapping (x2APIC) in the firmware; VFIO refuses devices without it.")));
  else
    add (results, "interrupt-remapping", "host", VFP_CHECK_PASS,
         g_strdup_printf (_("Every IOMMU unit remaps interrupts (units: %u)."), with), NULL);
}

/* Whether MODULES_DIR's modules.dep or modules.builtin names KO. */
static gboolean
module_installed (const char *modules_dir, const char *ko)
{
  g_autofree char *dep = NULL, *builtin = NULL, *deps = NULL, *builtins = NULL;

  if (modules_dir == NULL)
    return FALSE;
  dep = g_build_filename (modules_dir, "modules.dep", NULL);
  builtin = g_build_filename (modules_dir, "modules.builtin", NULL);
  g_file_get_contents (dep, &deps, NULL, NULL);
  g_file_get_contents (builtin, &builtins, NULL, NULL);
  return (deps && strstr (deps, ko)) || (builtins && strstr (builtins, ko));
}

/* vfio-pci is ready when loaded; on the real /sys, a module on disk will do
 * too, since libvirt loads it on the first managed attach. */
static void
check_vfio (VfpHost *host, const char *modules_dir, GPtrArray *results)
{
  const char *root = host->sysfs->root;
  g_autofree char *drv = vfp_sysfs_path (root, "bus", "pci", "drivers", "vfio-pci", NULL);
  g_autofree char *mod = vfp_sysfs_path (root, "module", "vfio_pci", NULL);

  if (g_file_test (drv, G_FILE_TEST_IS_DIR) || g_file_test (mod, G_FILE_TEST_IS_DIR))
    {
      add (results, "vfio-pci", "host", VFP_CHECK_PASS,
           g_strdup (_("The vfio-pci driver is loaded.")), NULL);
      return;
    }
  if (module_installed (modules_dir, "/vfio-pci.ko"))
    {
      add (results, "vfio-pci", "host", VFP_CHECK_PASS,
           g_strdup (_("The vfio-pci module is installed (libvirt loads it on the first attach).")),
           NULL);
      return;
    }
  add (results, "vfio-pci", "host", VFP_CHECK_FAIL,
       g_strdup_printf (_("The vfio-pci driver is neither loaded (%s) nor installed."), drv),
       g_strdup (_("Install a kernel with VFIO (CONFIG_VFIO_PCI) and run 'modprobe vfio-pci'.")));
}

/* QEMU needs an IOMMU model for VFIO's container: vfio_iommu_type1. vfio
 * pulls it in through a softdep, which kmod's modprobe follows and
 * busybox's (or a bare insmod) does not; QEMU then says "No available IOMMU
 * models" only when a guest starts. */
static void
check_vfio_iommu (VfpHost *host, const char *modules_dir, GPtrArray *results)
{
  const char *root = host->sysfs->root;
  g_autofree char *type1 = vfp_sysfs_path (root, "module", "vfio_iommu_type1", NULL);
  g_autofree char *vfio = vfp_sysfs_path (root, "module", "vfio", NULL);

  if (g_file_test (type1, G_FILE_TEST_IS_DIR))
    add (results, "vfio-iommu", "host", VFP_CHECK_PASS,
         g_strdup (_("VFIO's IOMMU model vfio_iommu_type1 is loaded.")), NULL);
  else if (g_file_test (vfio, G_FILE_TEST_IS_DIR))
    add (results, "vfio-iommu", "host", VFP_CHECK_WARN,
         g_strdup (_("vfio is loaded but not its IOMMU model vfio_iommu_type1: QEMU will refuse VFs with \"No available IOMMU models\".")),
         g_strdup (_("Run 'modprobe vfio_iommu_type1'. kmod's modprobe loads it along with vfio; busybox's modprobe and insmod do not.")));
  else if (module_installed (modules_dir, "/vfio_iommu_type1.ko"))
    add (results, "vfio-iommu", "host", VFP_CHECK_PASS,
         g_strdup (_("The vfio_iommu_type1 module is installed (modprobe loads it along with vfio).")), NULL);
  else
    add (results, "vfio-iommu", "host", VFP_CHECK_FAIL,
         g_strdup_printf (_("VFIO's IOMMU model vfio_iommu_type1 is neither loaded (%s) nor installed."), type1),
         g_strdup (_("Install a kernel with VFIO (CONFIG_VFIO_IOMMU_TYPE1) and run 'modprobe vfio-pci'.")));
}

static void
check_sriov (VfpHost *host, VfpHostPf *hpf, GPtrArray *results)
{
  VfpPf *pf = hpf->pf;

  if (pf->num_vfs > 0)
    add (results, "sriov", pf->fn.address, VFP_CHECK_PASS,
         g_strdup_printf (_("SR-IOV is enabled: VFs %u of %u."), pf->num_vfs, pf->total_vfs), NULL);
  else
    add (results, "sriov", pf->fn.address, VFP_CHECK_WARN,
         g_strdup_printf (_("SR-IOV is supported (total VFs: %u) but no VF has been created."), pf->total_vfs),
         g_strdup_printf (_("Create VFs: echo N > %s/bus/pci/devices/%s/sriov_numvfs"),
                          host->sysfs->root, pf->fn.address));
}

static void
check_groups (VfpHostPf *hpf, GPtrArray *results)
{
  VfpPf *pf = hpf->pf;
  g_autoptr (GString) shared = g_string_new (NULL);
  g_autoptr (GString) none = g_string_new (NULL);
  guint i;

  if (pf->vfs->len == 0)
    return;
  for (i = 0; i < pf->vfs->len; i++)
    {
      VfpVf *vf = pf->vfs->pdata[i];

      if (vf->fn.iommu_group < 0)
        g_string_append_printf (none, "%s%s", none->len ? ", " : "", vf->fn.address);
      else if (vf->fn.iommu_group_size > 1)
        g_string_append_printf (shared, "%s%s (%d)", shared->len ? ", " : "",
                                vf->fn.address, vf->fn.iommu_group);
    }
  if (none->len > 0)
    add (results, "iommu-group", pf->fn.address, VFP_CHECK_FAIL,
         g_strdup_printf (_("VFs without an IOMMU group: %s."), none->str),
         g_strdup (_("Turn the IOMMU on; VFIO needs every VF in an IOMMU group.")));
  else if (shared->len > 0)
    add (results, "iommu-group", pf->fn.address, VFP_CHECK_WARN,
         g_strdup_printf (_("VFs sharing an IOMMU group with other devices: %s."), shared->str),
         g_strdup (_("Such VFs can only go to one guest together; vfpool skips them unless the pool sets allow-shared-iommu-group. Check ACS on the bridges above the PF.")));
  else
    add (results, "iommu-group", pf->fn.address, VFP_CHECK_PASS,
         g_strdup_printf (_("Every VF is alone in its IOMMU group (VFs: %u)."), pf->vfs->len), NULL);
}

/* The bridges between a function and its root complex, nearest first,
 * from the directories above it in the resolved sysfs path. */
static GPtrArray *
upstream_bridges (const char *root, const char *address)
{
  g_autofree char *link = vfp_sysfs_path (root, "bus", "pci", "devices", address, NULL);
  g_autofree char *real = realpath (link, NULL);
  GPtrArray *bridges = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dir = real ? g_path_get_dirname (real) : NULL;

  while (dir != NULL)
    {
      g_autofree char *base = g_path_get_basename (dir);
      char *parent;

      if (!vfp_addr_looks_like (base))
        break;
      g_ptr_array_add (bridges, g_steal_pointer (&base));
      parent = g_path_get_dirname (dir);
      g_free (dir);
      dir = parent;
    }
  return bridges;
}

static void
check_acs (VfpHost *host, VfpHostPf *hpf, GPtrArray *results)
{
  VfpPf *pf = hpf->pf;
  g_autoptr (GPtrArray) bridges = upstream_bridges (host->sysfs->root, pf->fn.address);
  VfpAcsCap acs;
  VfpAddr addr;
  gboolean isolated = TRUE;
  guint i;

  for (i = 0; i < pf->vfs->len; i++)
    if (((VfpVf *) pf->vfs->pdata[i])->fn.iommu_group_size != 1)
      isolated = FALSE;

  if (vfp_pci_read_acs (host->pci, &pf->fn.addr, &acs, NULL))
    add (results, "acs", pf->fn.address, VFP_CHECK_PASS,
         g_strdup_printf (_("The PF has ACS (capability %04x, control %04x)."), acs.caps, acs.control),
         NULL);
  else if (isolated)
    add (results, "acs", pf->fn.address, VFP_CHECK_PASS,
         g_strdup (_("The PF has no ACS capability, but the kernel isolates its VFs anyway.")),
         NULL);
  else
    add (results, "acs", pf->fn.address, VFP_CHECK_WARN,
         g_strdup (_("The PF has no ACS capability: its functions may reach each other without the IOMMU.")),
         g_strdup (_("Ask the vendor for firmware with ACS, or give the VFs of this PF to one guest only.")));

  for (i = 0; i < bridges->len; i++)
    {
      const char *bridge = bridges->pdata[i];

      if (!vfp_addr_parse (bridge, &addr, NULL))
        continue;
      if (!vfp_pci_read_acs (host->pci, &addr, &acs, NULL))
        add (results, "acs", bridge, VFP_CHECK_WARN,
             g_strdup_printf (_("Bridge above PF %s has no ACS capability."), pf->fn.address),
             g_strdup (_("Devices behind this bridge share an IOMMU group unless the kernel has a quirk for it; prefer a slot on a root port with ACS.")));
      else if ((acs.control & ACS_REQUIRED) != ACS_REQUIRED)
        add (results, "acs", bridge, VFP_CHECK_WARN,
             g_strdup_printf (_("Bridge above PF %s has ACS but not all isolation controls are on (control %04x)."),
                              pf->fn.address, acs.control),
             g_strdup (_("The kernel enables ACS when the IOMMU is on; check that the IOMMU is really enabled.")));
      else
        add (results, "acs", bridge, VFP_CHECK_PASS,
             g_strdup_printf (_("Bridge above PF %s has ACS enabled."), pf->fn.address), NULL);
    }
}

/* Runs every check on HOST. MODULES_DIR (/lib/modules/RELEASE, or NULL for
 * a test tree) is where an unloaded vfio-pci would be. The caller frees the
 * array of VfpCheckResult. */
GPtrArray *
vfp_check_host (VfpHost *host, const char *modules_dir)
{
  GPtrArray *results = g_ptr_array_new_with_free_func ((GDestroyNotify) result_free);
  guint i;

  check_iommu (host, results);
  check_interrupt_remapping (host, results);
  check_vfio (host, modules_dir, results);
  check_vfio_iommu (host, modules_dir, results);
  if (host->pfs->len == 0)
    add (results, "sriov", "host", VFP_CHECK_FAIL,
         g_strdup (_("No PCI function with SR-IOV (sriov_totalvfs > 0) was found.")),
         g_strdup (_("Enable SR-IOV in the firmware (BIOS) and for the NIC, and load its driver.")));
  for (i = 0; i < host->pfs->len; i++)
    {
      VfpHostPf *hpf = host->pfs->pdata[i];

      check_sriov (host, hpf, results);
      check_groups (hpf, results);
      check_acs (host, hpf, results);
    }
  return results;
}

/* The stable name used in --json. */
const char *
vfp_check_status_name (VfpCheckStatus status)
{
  switch (status)
    {
    case VFP_CHECK_PASS: return "pass";
    case VFP_CHECK_WARN: return "warn";
    case VFP_CHECK_FAIL: return "fail";
    }
  g_assert_not_reached ();
}

/* The translated word shown to people. */
const char *
vfp_check_status_label (VfpCheckStatus status)
{
  switch (status)
    {
    case VFP_CHECK_PASS: return _("PASS");
    case VFP_CHECK_WARN: return _("WARN");
    case VFP_CHECK_FAIL: return _("FAIL");
    }
  g_assert_not_reached ();
}
