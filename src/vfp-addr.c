/* PCI addresses: "0000:05:10.2", "05:10.2", "pci_0000_05_10_2" and libvirt's
 * <address domain='0x0000' bus='0x05' slot='0x10' function='0x2'/>. */
#include "config.h"

#include <string.h>

#include "vfp-addr.h"
#include "vfp-error.h"
#include "vfp-i18n.h"

/* Reads exactly between min and max hex digits from *p; advances *p. */
static gboolean
read_hex (const char **p, int min, int max, guint32 *out)
{
  guint32 v = 0;
  int n = 0;

  while (n < max && g_ascii_isxdigit ((*p)[n]))
    {
      v = v * 16 + g_ascii_xdigit_value ((*p)[n]);
      n++;
    }
  if (n < min)
    return FALSE;
  *p += n;
  *out = v;
  return TRUE;
}

/* Shared by the colon and the underscore spellings: SEP separates the fields,
 * FSEP separates slot and function. The domain may be left out when
 * DOMAIN_OPTIONAL. */
static gboolean
parse_fields (const char *text, char sep, char fsep, gboolean domain_optional,
              VfpAddr *addr)
{
  const char *p = text;
  guint32 a, b, c, f;
  guint32 domain = 0, bus, slot;

  if (!read_hex (&p, 1, 8, &a) || *p != sep)
    return FALSE;
  p++;
  if (!read_hex (&p, 1, 2, &b))
    return FALSE;
  if (*p == sep)
    {
      p++;
      if (!read_hex (&p, 1, 2, &c))
        return FALSE;
      domain = a;
      bus = b;
      slot = c;
    }
  else if (domain_optional)
    {
      if (a > 0xff)
        return FALSE;
      bus = a;
      slot = b;
    }
  else
    return FALSE;
  if (*p != fsep)
    return FALSE;
  p++;
  if (!read_hex (&p, 1, 1, &f) || *p != '\0')
    return FALSE;
  if (slot > 0x1f || f > 7)
    return FALSE;
  addr->domain = domain;
  addr->bus = bus;
  addr->slot = slot;
  addr->function = f;
  return TRUE;
}

/* Parses "DDDD:BB:SS.F" or "BB:SS.F" (domain 0), as lspci and sysfs write them. */
gboolean
vfp_addr_parse (const char *text, VfpAddr *addr, GError **error)
{
  if (text == NULL || !parse_fields (text, ':', '.', TRUE, addr))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("'%s' is not a PCI address; write it like 0000:05:10.2."),
                   text ? text : "");
      return FALSE;
    }
  return TRUE;
}

/* Parses a libvirt node-device name, "pci_0000_05_10_2". */
gboolean
vfp_addr_parse_nodedev (const char *name, VfpAddr *addr, GError **error)
{
  if (name == NULL || !g_str_has_prefix (name, "pci_")
      || !parse_fields (name + 4, '_', '_', FALSE, addr))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("'%s' is not a libvirt PCI node-device name like pci_0000_05_10_2."),
                   name ? name : "");
      return FALSE;
    }
  return TRUE;
}

/* Reads one numeric XML attribute ("0x05" or "5"), bounded by MAX. */
static gboolean
attr_number (const char *text, guint64 max, guint64 *out)
{
  guint64 v;
  char *end = NULL;

  if (text == NULL || *text == '\0' || *text == '-' || *text == '+')
    return FALSE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, max, &v, NULL))
    {
      if (!g_str_has_prefix (text, "0x") && !g_str_has_prefix (text, "0X"))
        return FALSE;
      v = g_ascii_strtoull (text + 2, &end, 16);
      if (end == text + 2 || *end != '\0' || v > max)
        return FALSE;
    }
  *out = v;
  return TRUE;
}

/* Builds an address from the four attributes of libvirt's <address/>. */
gboolean
vfp_addr_from_attrs (const char *domain, const char *bus, const char *slot,
                     const char *function, VfpAddr *addr, GError **error)
{
  guint64 d, b, s, f;

  if (!attr_number (domain, G_MAXUINT32, &d) || !attr_number (bus, 0xff, &b)
      || !attr_number (slot, 0x1f, &s) || !attr_number (function, 7, &f))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("PCI address attributes domain='%s' bus='%s' slot='%s' function='%s' are not valid."),
                   domain ? domain : "", bus ? bus : "", slot ? slot : "",
                   function ? function : "");
      return FALSE;
    }
  addr->domain = d;
  addr->bus = b;
  addr->slot = s;
  addr->function = f;
  return TRUE;
}

/* The 16-bit routing ID (bus << 8 | devfn) that SR-IOV offsets count in. */
guint16
vfp_addr_routing_id (const VfpAddr *addr)
{
  return (guint16) (addr->bus << 8 | addr->slot << 3 | addr->function);
}

/* The address with routing ID RID in DOMAIN; FALSE when RID overflows a bus. */
gboolean
vfp_addr_from_routing_id (guint32 domain, guint32 rid, VfpAddr *addr)
{
  if (rid > 0xffff)
    return FALSE;
  addr->domain = domain;
  addr->bus = rid >> 8;
  addr->slot = (rid >> 3) & 0x1f;
  addr->function = rid & 7;
  return TRUE;
}

/* Where VF INDEX of the PF at PF sits, from the PF's SR-IOV OFFSET and
 * STRIDE: routing ID PF + OFFSET + INDEX * STRIDE (PCIe SR-IOV 3.3.9/3.3.10,
 * the kernel's pci_iov_virtfn_bus/devfn); FALSE when that runs past the
 * last bus, where the kernel gives no VF. */
gboolean
vfp_addr_from_vf_index (const VfpAddr *pf, guint offset, guint stride, guint index, VfpAddr *vf)
{
  guint64 rid = vfp_addr_routing_id (pf) + (guint64) offset + (guint64) index * stride;

  return rid <= 0xffff && vfp_addr_from_routing_id (pf->domain, (guint32) rid, vf);
}

/* Formats into BUF ("0000:05:10.2") and returns it. */
/* Writes V in lower-case hex, at least MIN_DIGITS wide; returns the end. */
static char *
put_hex (char *p, guint32 v, int min_digits)
{
  static const char digits[] = "0123456789abcdef";
  int n = 1;

  while (n < 8 && (v >> (4 * n)) != 0)
    n++;
  if (n < min_digits)
    n = min_digits;
  for (int i = n - 1; i >= 0; i--)
    *p++ = digits[(v >> (4 * i)) & 0xf];
  return p;
}

const char *
vfp_addr_format (const VfpAddr *addr, char buf[VFP_ADDR_STRLEN])
{
  char *p = buf;

  /* "%04x:%02x:%02x.%x" by hand: a scan of thousands of VFs formats each
   * address, and printf was a tenth of a lazy scan's instructions */
  p = put_hex (p, addr->domain, 4);
  *p++ = ':';
  p = put_hex (p, addr->bus, 2);
  *p++ = ':';
  p = put_hex (p, addr->slot, 2);
  *p++ = '.';
  p = put_hex (p, addr->function, 1);
  *p = '\0';
  return buf;
}

/* A newly allocated "0000:05:10.2"; the caller frees it. */
char *
vfp_addr_to_string (const VfpAddr *addr)
{
  char buf[VFP_ADDR_STRLEN];

  return g_strdup (vfp_addr_format (addr, buf));
}

/* A newly allocated "pci_0000_05_10_2"; the caller frees it. */
char *
vfp_addr_nodedev_name (const VfpAddr *addr)
{
  return g_strdup_printf ("pci_%04x_%02x_%02x_%x", addr->domain, addr->bus,
                          addr->slot, addr->function);
}

/* Orders by domain, bus, slot, function, as lspci lists them. */
int
vfp_addr_compare (const VfpAddr *a, const VfpAddr *b)
{
  if (a->domain != b->domain)
    return a->domain < b->domain ? -1 : 1;
  if (a->bus != b->bus)
    return a->bus < b->bus ? -1 : 1;
  if (a->slot != b->slot)
    return a->slot < b->slot ? -1 : 1;
  if (a->function != b->function)
    return a->function < b->function ? -1 : 1;
  return 0;
}

gboolean
vfp_addr_equal (const VfpAddr *a, const VfpAddr *b)
{
  return vfp_addr_compare (a, b) == 0;
}

/* TRUE when TEXT parses as a PCI address (so it is not a netdev name). */
gboolean
vfp_addr_looks_like (const char *text)
{
  VfpAddr a;

  return text != NULL && parse_fields (text, ':', '.', TRUE, &a);
}
