/* Everything vfpool asks libvirt. The only module that includes libvirt. */
#pragma once

#include <glib.h>

typedef struct _VfpVirt VfpVirt;

VfpVirt *vfp_virt_open (const char *uri, gboolean read_only, GError **error);
void vfp_virt_close (VfpVirt *virt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpVirt, vfp_virt_close)
const char *vfp_virt_uri (VfpVirt *virt);

GPtrArray *vfp_virt_list_pci_nodedevs (VfpVirt *virt, GError **error);
