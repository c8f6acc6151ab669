/* libvirt's event loop, run in a thread of its own for as long as vfpool
 * runs (as virsh runs it), and the set of device aliases DEVICE_REMOVED
 * reported for a guest, shared between that thread and the caller. */
#pragma once

#include <glib.h>
#include <libvirt/libvirt.h>

typedef struct _VfpRemovedSet VfpRemovedSet;

void vfp_virt_events_start (void);
VfpRemovedSet *vfp_removed_set_new (void);
VfpRemovedSet *vfp_removed_set_ref (VfpRemovedSet *set);
void vfp_removed_set_unref (void *set);
void vfp_removed_set_on_device_removed (virConnectPtr conn, virDomainPtr dom, const char *alias,
                                        void *set);
gboolean vfp_removed_set_wait (VfpRemovedSet *set, const char *alias, guint timeout_ms);
