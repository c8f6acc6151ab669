/* PCI addresses: parsing the spellings operators and libvirt use, formatting, ordering. */
#pragma once

#include <glib.h>

/* "dddd:bb:ss.f" plus room for 8-digit (VMD) domains and the NUL. */
#define VFP_ADDR_STRLEN 20

typedef struct {
  guint32 domain;
  guint8 bus;
  guint8 slot;      /* 0..31 */
  guint8 function;  /* 0..7 */
} VfpAddr;

gboolean vfp_addr_parse (const char *text, VfpAddr *addr, GError **error);
gboolean vfp_addr_parse_nodedev (const char *name, VfpAddr *addr, GError **error);
gboolean vfp_addr_from_attrs (const char *domain, const char *bus,
                              const char *slot, const char *function,
                              VfpAddr *addr, GError **error);
gboolean vfp_addr_from_routing_id (guint32 domain, guint32 rid, VfpAddr *addr);
guint16 vfp_addr_routing_id (const VfpAddr *addr);
gboolean vfp_addr_from_vf_index (const VfpAddr *pf, guint offset, guint stride, guint index,
                                 VfpAddr *vf);

const char *vfp_addr_format (const VfpAddr *addr, char buf[VFP_ADDR_STRLEN]);
char *vfp_addr_to_string (const VfpAddr *addr);
char *vfp_addr_nodedev_name (const VfpAddr *addr);

int vfp_addr_compare (const VfpAddr *a, const VfpAddr *b);
gboolean vfp_addr_equal (const VfpAddr *a, const VfpAddr *b);
gboolean vfp_addr_looks_like (const char *text);
