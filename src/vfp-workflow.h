/* What the libvirt-side workflows (vfp-attach, vfp-detach, vfp-migrate,
 * vfp-reattach) share: where the host's config, sysfs scan and lease store
 * are, and how they tell the user what happens while they work. The
 * commands fill it in; the workflows change leases only through short
 * transactions (vfp_workflow_begin ... vfp_workflow_commit), never held
 * while libvirt works. */
#pragma once

#include <glib.h>

#include "vfp-config.h"
#include "vfp-pool.h"
#include "vfp-sysfs.h"

typedef struct {
  VfpConfig *config;                 /* not owned */
  VfpSysfs *sysfs;                   /* not owned: the host's scan */
  const char *state_dir;             /* not owned */
  guint lock_timeout_ms;             /* how long to wait for another vfpool */
  const char *const *template_dirs;  /* not owned: where device templates are */
  gboolean sysfs_default;            /* the real /sys: a missing node device is news */
  /* how the user hears of it (the CLI's; NULL: not at all) */
  void (*warn) (gpointer data, const char *message);     /* a warning, as it happens */
  void (*progress) (gpointer data, const char *message); /* what a wait is for */
  void (*events) (gpointer data, GPtrArray *events);     /* committed VfpEvent*, to log */
  gpointer data;
} VfpWorkflow;

VfpPool *vfp_workflow_begin (VfpWorkflow *wf, GError **error);
gboolean vfp_workflow_commit (VfpWorkflow *wf, VfpPool *pool, GError **error);
void vfp_workflow_warn (VfpWorkflow *wf, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
void vfp_workflow_progress (VfpWorkflow *wf, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
