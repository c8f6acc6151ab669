/* libpci, pointed at a sysfs root with "sysfs.path". libpci's default error
 * handler calls exit(); ours jumps back to the call site instead, so a
 * broken config file costs one warning, never the process. Nothing that
 * decides allocation depends on libpci: sysfs is the record. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <pci/pci.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-pci.h"
#include "vfp-sysfs.h"

struct _VfpPci {
  struct pci_access *access;   /* owned */
  char *sysfs_path;            /* owned: ROOT/bus/pci; libpci keeps a pointer */
};

/* libpci is not reentrant and vfpool is single-threaded: one landing pad. */
static jmp_buf *error_landing;
static char error_message[256];

static void PCI_NONRET
on_pci_error (char *msg, ...)
{
  va_list ap;

  va_start (ap, msg);
  g_vsnprintf (error_message, sizeof error_message, msg, ap);
  va_end (ap);
  if (error_landing != NULL)
    longjmp (*error_landing, 1);
  /* libpci called us outside a guarded section: nothing safe is left. */
  g_error ("libpci: %s", error_message);
}

static void
on_pci_quiet (char *msg, ...)
{
  va_list ap;

  va_start (ap, msg);
  g_logv (G_LOG_DOMAIN, G_LOG_LEVEL_DEBUG, msg, ap);
  va_end (ap);
}

/* Prepares libpci on SYSFS_ROOT/bus/pci; the caller frees it. libpci is
 * initialised at the first read or lookup: most commands load the host
 * without PCI details, and pci_init faults in about 160 KB of libpci's
 * and libudev's code. */
VfpPci *
vfp_pci_new (const char *sysfs_root)
{
  VfpPci *pci = g_new0 (VfpPci, 1);

  pci->sysfs_path = vfp_sysfs_path (sysfs_root, "bus", "pci", NULL);
  return pci;
}

/* libpci's handle, initialised on first use. */
static struct pci_access *
access_of (VfpPci *pci)
{
  if (pci->access == NULL)
    {
      pci->access = pci_alloc ();
      pci->access->error = on_pci_error;
      pci->access->warning = on_pci_quiet;
      pci->access->debug = on_pci_quiet;
      pci->access->method = PCI_ACCESS_SYS_BUS_PCI;
      pci_set_param (pci->access, (char *) "sysfs.path", pci->sysfs_path);
      pci_init (pci->access);
    }
  return pci->access;
}

void
vfp_pci_free (VfpPci *pci)
{
  if (pci == NULL)
    return;
  if (pci->access != NULL)
    pci_cleanup (pci->access);
  g_free (pci->sysfs_path);
  g_free (pci);
}

/* Reads extended capability ID of ADDR into REGS (LEN bytes from the
 * capability's start). FALSE with ERROR when the device cannot be read or
 * has no such capability. */
static gboolean
read_ext_cap (VfpPci *pci, const VfpAddr *addr, guint id, const char *what,
              guint16 *offset, guint8 *regs, guint len, GError **error)
{
  jmp_buf landing;
  struct pci_dev *volatile dev = NULL;
  struct pci_cap *cap;
  char buf[VFP_ADDR_STRLEN];
  volatile gboolean ok = FALSE;
  struct pci_access *access;

  if (setjmp (landing) != 0)
    {
      error_landing = NULL;
      g_set_error (error, VFP_ERROR, VFP_ERROR_IO,
                   _("libpci could not read the config space of %s: %s"),
                   vfp_addr_format (addr, buf), error_message);
      if (dev != NULL)
        pci_free_dev (dev);
      return FALSE;
    }
  access = access_of (pci);
  error_landing = &landing;
  dev = pci_get_dev (access, addr->domain, addr->bus, addr->slot, addr->function);
  pci_fill_info (dev, PCI_FILL_IDENT | PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
  cap = pci_find_cap (dev, id, PCI_CAP_EXTENDED);
  if (cap != NULL && pci_read_block (dev, cap->addr, regs, len))
    {
      *offset = cap->addr;
      ok = TRUE;
    }
  else
    g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                 _("%s has no %s capability in its config space."),
                 vfp_addr_format (addr, buf), what);
  pci_free_dev (dev);
  error_landing = NULL;
  return ok;
}

static guint16
le16 (const guint8 *p)
{
  return p[0] | p[1] << 8;
}

static guint32
le32 (const guint8 *p)
{
  return (guint32) le16 (p) | (guint32) le16 (p + 2) << 16;
}

/* Decodes the SR-IOV capability of the PF at ADDR, as lspci's cap_sriov. */
gboolean
vfp_pci_read_sriov (VfpPci *pci, const VfpAddr *addr, VfpSriovCap *cap, GError **error)
{
  guint8 r[0x24];

  memset (cap, 0, sizeof *cap);
  if (!read_ext_cap (pci, addr, PCI_EXT_CAP_ID_SRIOV, "SR-IOV", &cap->offset,
                     r, sizeof r, error))
    return FALSE;
  cap->caps = le32 (r + PCI_IOV_CAP);
  cap->control = le16 (r + PCI_IOV_CTRL);
  cap->status = le16 (r + PCI_IOV_STATUS);
  cap->initial_vfs = le16 (r + PCI_IOV_INITIALVF);
  cap->total_vfs = le16 (r + PCI_IOV_TOTALVF);
  cap->num_vfs = le16 (r + PCI_IOV_NUMVF);
  cap->function_dependency = r[PCI_IOV_FDL];
  cap->vf_offset = le16 (r + PCI_IOV_OFFSET);
  cap->vf_stride = le16 (r + PCI_IOV_STRIDE);
  cap->vf_device_id = le16 (r + PCI_IOV_DID);
  cap->supported_page_sizes = le32 (r + PCI_IOV_SUPPS);
  cap->system_page_size = le32 (r + PCI_IOV_SYSPS);
  return TRUE;
}

/* Reads the ACS capability and control registers of ADDR. */
gboolean
vfp_pci_read_acs (VfpPci *pci, const VfpAddr *addr, VfpAcsCap *cap, GError **error)
{
  guint8 r[8];

  memset (cap, 0, sizeof *cap);
  if (!read_ext_cap (pci, addr, PCI_EXT_CAP_ID_ACS, "ACS", &cap->offset, r,
                     sizeof r, error))
    return FALSE;
  cap->caps = le16 (r + PCI_ACS_CAP);
  cap->control = le16 (r + PCI_ACS_CTRL);
  return TRUE;
}

/* Reads the PCIe Device Serial Number of ADDR (the capability's two
 * dwords, upper one first, as lspci prints it: 00-1b-21-ff-ff-a1-b2-c3).
 * FALSE with VFP_ERROR_NOT_FOUND when the function has none. */
gboolean
vfp_pci_read_dsn (VfpPci *pci, const VfpAddr *addr, guint64 *serial, GError **error)
{
  guint8 r[12];
  guint16 offset;

  if (!read_ext_cap (pci, addr, PCI_EXT_CAP_ID_DSN, "Device Serial Number", &offset, r,
                     sizeof r, error))
    return FALSE;
  *serial = (guint64) le32 (r + 8) << 32 | le32 (r + 4);
  return TRUE;
}

/* Looks a name up in pci.ids only (no network, no udev hwdb, so the answer
 * does not depend on the host); NULL when unknown. */
static char *
lookup (VfpPci *pci, int flags, guint16 vendor, guint16 device)
{
  char buf[256];
  const char *name;
  jmp_buf landing;
  struct pci_access *access;

  if (setjmp (landing) != 0)
    {
      error_landing = NULL;
      g_debug ("pci.ids lookup failed: %s", error_message);
      return NULL;
    }
  access = access_of (pci);
  error_landing = &landing;
  name = pci_lookup_name (access, buf, sizeof buf,
                          flags | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB,
                          vendor, device);
  error_landing = NULL;
  return g_strdup (name);
}

/* The vendor's name from pci.ids, or NULL; the caller frees it. */
char *
vfp_pci_vendor_name (VfpPci *pci, guint16 vendor)
{
  return lookup (pci, PCI_LOOKUP_VENDOR, vendor, 0);
}

/* The device's name from pci.ids, or NULL; the caller frees it. */
char *
vfp_pci_device_name (VfpPci *pci, guint16 vendor, guint16 device)
{
  return lookup (pci, PCI_LOOKUP_DEVICE, vendor, device);
}
