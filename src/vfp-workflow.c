/* The workflows' shared context: short transactions on the store, and the
 * user's warnings and progress lines. */
#include "config.h"

#include "vfp-workflow.h"

/* Begins a transaction on the store over the workflow's sysfs scan; the
 * caller commits (vfp_workflow_commit) or frees it (nothing saved). */
VfpPool *
vfp_workflow_begin (VfpWorkflow *wf, GError **error)
{
  return vfp_pool_begin (wf->config, wf->sysfs, wf->state_dir, wf->lock_timeout_ms, error);
}

/* Commits POOL (saving only what changed) and hands its events to the
 * user; FALSE with ERROR when the save failed (then nothing of it happened). */
gboolean
vfp_workflow_commit (VfpWorkflow *wf, VfpPool *pool, GError **error)
{
  if (!vfp_pool_commit (pool, error))
    return FALSE;
  if (wf->events != NULL)
    wf->events (wf->data, vfp_pool_events (pool));
  g_ptr_array_set_size (vfp_pool_events (pool), 0);
  return TRUE;
}

/* A warning (a whole sentence) for the user, as it happens. */
void
vfp_workflow_warn (VfpWorkflow *wf, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  if (wf->warn == NULL)
    return;
  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  wf->warn (wf->data, msg);
}

/* What a long wait is for (the user may not see it: see vfp_cli_progress). */
void
vfp_workflow_progress (VfpWorkflow *wf, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;

  if (wf->progress == NULL)
    return;
  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  wf->progress (wf->data, msg);
}
