/* A guest as attach and detach see it: its libvirt handle, its live and
 * persistent XML, and the check that tells the pool manager whether a VF
 * is really in a guest. Part of the vfpool program (it uses libvirt). */
#pragma once

#include <glib.h>

#include "vfp-cli.h"
#include "vfp-domxml.h"
#include "vfp-pool.h"
#include "vfp-virt.h"

typedef struct {
  VfpVirt *virt;            /* not owned */
  VfpVirtDomain *dom;       /* owned */
  gboolean active;
  gboolean persistent;
  VfpDomain *live;          /* owned: parsed live XML, or NULL when shut off */
  VfpDomain *config;        /* owned: parsed persistent XML, or NULL when transient */
  char *state_dir;          /* owned: where the metadata lock is; NULL: no lock */
} VfpGuest;

VfpGuest *vfp_guest_open (VfpVirt *virt, const char *name, const char *lock_dir, GError **error);
gboolean vfp_guest_reload (VfpGuest *guest, GError **error);
void vfp_guest_free (VfpGuest *guest);
VfpGuest *vfp_cli_open_guest (VfpCli *cli, const char *name, VfpVirt **virt, int *exit_code);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpGuest, vfp_guest_free)

gboolean vfp_guest_attach_meta (VfpGuest *guest, const char *const *template_dirs,
                                const VfpMetaVf *meta, const char *vf, gboolean live,
                                gboolean config, GError **error);
VfpInGuest vfp_guest_check_lease (const VfpLease *lease, gpointer virt);
gboolean vfp_guest_write_metadata (VfpGuest *guest, GPtrArray *add, const char *remove_alias,
                                   gboolean live, gboolean config, GError **error);
