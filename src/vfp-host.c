/* The joined view of one host. sysfs is the record (it is what the kernel
 * does); libpci adds what only config space says; libvirt adds the names
 * it will accept in device XML. Disagreements become warnings. */
#include "config.h"

#include <string.h>

#include "vfp-host.h"
#include "vfp-i18n.h"

static void
host_pf_free (VfpHostPf *hpf)
{
  g_free (hpf->vendor_name);
  g_free (hpf->device_name);
  g_free (hpf->vf_device_name);
  g_free (hpf->cap_error);
  g_free (hpf);
}

void
vfp_host_free (VfpHost *host)
{
  if (host == NULL)
    return;
  if (host->pfs)
    g_ptr_array_unref (host->pfs);
  if (host->nodedevs)
    g_hash_table_unref (host->nodedevs);
  vfp_pci_free (host->pci);
  vfp_sysfs_free (host->sysfs);
  g_free (host);
}

/* Scans SYSFS_ROOT and, with VFP_HOST_PCI_DETAILS, names each PF and
 * decodes its capability; the caller frees it. */
VfpHost *
vfp_host_load (const char *sysfs_root, VfpHostDetail detail, GError **error)
{
  g_autoptr (VfpHost) host = g_new0 (VfpHost, 1);
  guint i;

  host->sysfs = vfp_sysfs_scan_mode (sysfs_root,
                                     (detail & VFP_HOST_LAZY_VFS) ? VFP_SYSFS_LAZY : VFP_SYSFS_FULL,
                                     error);
  if (host->sysfs == NULL)
    return NULL;
  host->warnings = host->sysfs->warnings;
  host->pci = vfp_pci_new (sysfs_root);
  host->pfs = g_ptr_array_new_with_free_func ((GDestroyNotify) host_pf_free);
  for (i = 0; i < host->sysfs->pfs->len; i++)
    {
      VfpPf *pf = host->sysfs->pfs->pdata[i];
      VfpHostPf *hpf = g_new0 (VfpHostPf, 1);
      g_autoptr (GError) cap_error = NULL;

      hpf->pf = pf;
      g_ptr_array_add (host->pfs, hpf);
      if (!(detail & VFP_HOST_PCI_DETAILS))
        continue;
      hpf->vendor_name = vfp_pci_vendor_name (host->pci, pf->fn.vendor_id);
      hpf->device_name = vfp_pci_device_name (host->pci, pf->fn.vendor_id, pf->fn.device_id);
      if (pf->vf_device_id >= 0)
        hpf->vf_device_name = vfp_pci_device_name (host->pci, pf->fn.vendor_id, pf->vf_device_id);
      hpf->has_cap = vfp_pci_read_sriov (host->pci, &pf->fn.addr, &hpf->cap, &cap_error);
      if (!hpf->has_cap)
        {
          hpf->cap_error = g_strdup (cap_error->message);
          g_ptr_array_add (host->warnings, g_strdup (cap_error->message));
        }
      else if (hpf->cap.total_vfs != pf->total_vfs)
        g_ptr_array_add (host->warnings,
                         g_strdup_printf (_("%s: config space says %u total VFs, sriov_totalvfs says %u."),
                                          pf->fn.address, hpf->cap.total_vfs, pf->total_vfs));
    }
  return g_steal_pointer (&host);
}

/* Compares one PF's VF list in libvirt with the kernel's. */
static void
check_pf_against_libvirt (VfpHost *host, VfpHostPf *hpf, VfpNodedev *dev)
{
  guint j;

  if (!dev->is_pf)
    {
      g_ptr_array_add (host->warnings,
                       g_strdup_printf (_("libvirt node device '%s' does not list the VFs of PF %s; libvirt may need a node-device refresh."),
                                        dev->name, hpf->pf->fn.address));
      return;
    }
  if (dev->vfs->len != hpf->pf->vfs->len)
    g_ptr_array_add (host->warnings,
                     g_strdup_printf (_("libvirt lists %u VFs of PF %s, the kernel %u."),
                                      dev->vfs->len, hpf->pf->fn.address, hpf->pf->vfs->len));
  for (j = 0; j < hpf->pf->vfs->len; j++)
    {
      VfpVf *vf = hpf->pf->vfs->pdata[j];

      if (!g_hash_table_contains (host->nodedevs, vf->fn.address))
        g_ptr_array_add (host->warnings,
                         g_strdup_printf (_("VF %s has no libvirt node device."), vf->fn.address));
    }
}

/* Adds libvirt's node devices (their XML, as virNodeDeviceGetXMLDesc gives
 * it) to the view. Devices that do not parse are skipped with a warning. */
void
vfp_host_join_nodedevs (VfpHost *host, GPtrArray *nodedev_xml)
{
  guint i;

  if (host->nodedevs == NULL)
    host->nodedevs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) vfp_nodedev_free);
  for (i = 0; i < nodedev_xml->len; i++)
    {
      g_autoptr (GError) error = NULL;
      VfpNodedev *dev = vfp_nodedev_parse (nodedev_xml->pdata[i], &error);

      if (dev == NULL)
        {
          g_ptr_array_add (host->warnings, g_strdup (error->message));
          continue;
        }
      g_hash_table_replace (host->nodedevs, vfp_addr_to_string (&dev->addr), dev);
    }
  for (i = 0; i < host->pfs->len; i++)
    {
      VfpHostPf *hpf = host->pfs->pdata[i];
      VfpNodedev *dev = g_hash_table_lookup (host->nodedevs, hpf->pf->fn.address);

      if (dev == NULL)
        g_ptr_array_add (host->warnings,
                         g_strdup_printf (_("PF %s has no libvirt node device."), hpf->pf->fn.address));
      else
        check_pf_against_libvirt (host, hpf, dev);
    }
}

/* Whether libvirt's node devices (their XML) include a PF of HOST: if
 * none, they describe another machine than the sysfs tree (a fake tree
 * beside a real libvirtd, as in make demo). */
gboolean
vfp_host_nodedevs_know_a_pf (VfpHost *host, GPtrArray *nodedev_xml)
{
  guint i, j;

  for (i = 0; i < nodedev_xml->len; i++)
    {
      g_autoptr (VfpNodedev) dev = vfp_nodedev_parse (nodedev_xml->pdata[i], NULL);

      for (j = 0; dev != NULL && j < host->pfs->len; j++)
        if (vfp_addr_equal (&dev->addr, &((VfpHostPf *) host->pfs->pdata[j])->pf->fn.addr))
          return TRUE;
    }
  return FALSE;
}

/* The PF by PCI address or netdev name, or NULL. */
VfpHostPf *
vfp_host_find_pf (VfpHost *host, const char *name)
{
  VfpPf *pf = vfp_sysfs_find_pf (host->sysfs, name);
  guint i;

  for (i = 0; pf != NULL && i < host->pfs->len; i++)
    if (((VfpHostPf *) host->pfs->pdata[i])->pf == pf)
      return host->pfs->pdata[i];
  return NULL;
}

/* libvirt's name for the function at ADDRESS, or NULL without libvirt. */
const char *
vfp_host_nodedev_name (VfpHost *host, const char *address)
{
  VfpNodedev *dev;

  if (host->nodedevs == NULL)
    return NULL;
  dev = g_hash_table_lookup (host->nodedevs, address);
  return dev ? dev->name : NULL;
}
