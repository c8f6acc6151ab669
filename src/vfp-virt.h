/* Everything vfpool asks libvirt. The only module that includes libvirt. */
#pragma once

#include <glib.h>

typedef struct _VfpVirt VfpVirt;

VfpVirt *vfp_virt_open (const char *uri, gboolean read_only, GError **error);
void vfp_virt_close (VfpVirt *virt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpVirt, vfp_virt_close)

GPtrArray *vfp_virt_list_pci_nodedevs (VfpVirt *virt, GError **error);
char *vfp_virt_nodedev_xml (VfpVirt *virt, const char *name, GError **error);

/* Every guest, as the audit needs them: identity and both XMLs. */
typedef struct {
  char *uuid;               /* owned */
  char *name;               /* owned */
  gboolean active;
  gboolean persistent;
  char *live_xml;           /* owned, or NULL when shut off */
  char *config_xml;         /* owned, or NULL when transient */
} VfpVirtDomainInfo;

/* Called for each guest; its XML is freed when it returns. FALSE stops. */
typedef gboolean (*VfpVirtDomainFunc) (const VfpVirtDomainInfo *info, guint index, guint total,
                                       gpointer data, GError **error);
gboolean vfp_virt_foreach_domain (VfpVirt *virt, VfpVirtDomainFunc fn, gpointer data,
                                  GError **error);

/* One guest. */
typedef struct _VfpVirtDomain VfpVirtDomain;

VfpVirtDomain *vfp_virt_lookup_domain (VfpVirt *virt, const char *guest, GError **error);
void vfp_virt_domain_free (VfpVirtDomain *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpVirtDomain, vfp_virt_domain_free)
const char *vfp_virt_domain_name (VfpVirtDomain *dom);
const char *vfp_virt_domain_uuid (VfpVirtDomain *dom);
gboolean vfp_virt_domain_is_active (VfpVirtDomain *dom);
gboolean vfp_virt_domain_is_persistent (VfpVirtDomain *dom);
gboolean vfp_virt_domain_is_running (VfpVirtDomain *dom);
gboolean vfp_virt_start_probe (VfpVirt *virt, const char *xml, GError **error);
gboolean vfp_virt_migrate (VfpVirtDomain *dom, const char *dest_uri, const char *migrate_uri,
                           const char *listen_address, gboolean persistent,
                           gboolean undefine_source, GError **error);
char *vfp_virt_domain_xml (VfpVirtDomain *dom, gboolean inactive, GError **error);
gboolean vfp_virt_attach (VfpVirtDomain *dom, const char *xml, gboolean live,
                          gboolean config, GError **error);
gboolean vfp_virt_detach_alias (VfpVirtDomain *dom, const char *alias, gboolean live,
                                gboolean config, GError **error);
gboolean vfp_virt_wait_removed (VfpVirtDomain *dom, const char *alias, guint timeout_ms);
gboolean vfp_virt_set_metadata (VfpVirtDomain *dom, const char *xml, gboolean live,
                                gboolean config, GError **error);
