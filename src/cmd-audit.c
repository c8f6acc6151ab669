/* vfpool audit [--fix] [--json] [--prometheus FILE] [--pool P]: proves that
 * the lease store, libvirt and the kernel agree, and repairs what is
 * provably safe. Exit 0 clean, 1 findings, 2 could not audit. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vfp-audit.h"
#include "vfp-cli.h"
#include "vfp-error.h"
#include "vfp-guest.h"
#include "vfp-i18n.h"
#include "vfp-table.h"
#include "vfp-text.h"

static const char *const codes[] = {
  "leak", "untracked", "conflict", "stale-reservation", "stuck-detach",
  "missing-vf", "wrong-pf", "numvfs-drift", "driver", "metadata", "identity-changed", "vf-settings", "quarantined", NULL
};

/* The guests as the audit needs them; NULL with ERROR when libvirt cannot
 * be asked or a guest's XML cannot be read. */
typedef struct {
  VfpAuditGuests *guests;
  gboolean progress;
} Gather;

static gboolean
gather_one (const VfpVirtDomainInfo *info, guint index, guint total, gpointer data, GError **error)
{
  Gather *g = data;
  g_autoptr (VfpDomain) live = NULL;
  g_autoptr (VfpDomain) config = NULL;

  if ((info->live_xml && (live = vfp_domxml_parse (info->live_xml, -1, error)) == NULL)
      || (info->config_xml && (config = vfp_domxml_parse (info->config_xml, -1, error)) == NULL))
    {
      g_prefix_error (error, _("Guest %s: "), info->name);
      return FALSE;
    }
  vfp_audit_guests_add (g->guests, info->uuid, info->name, info->active, live, config);
  if (g->progress && total > 200 && index % 100 == 0)
    {
      g_autofree char *line = g_strdup_printf (_("vfpool: reading guests %u/%u"), index, total);

      fprintf (stderr, "\r%s", line);
    }
  return TRUE;
}

/* Every guest, parsed as it comes; of its XML only what the audit compares
 * is kept. */
static VfpAuditGuests *
gather_guests (VfpCli *cli, VfpVirt *virt, GError **error)
{
  g_autoptr (VfpAuditGuests) guests = vfp_audit_guests_new ();
  Gather g = { guests, isatty (STDERR_FILENO) && !cli->quiet && !cli->json };
  gboolean ok = vfp_virt_foreach_domain (virt, gather_one, &g, error);

  if (g.progress && vfp_audit_guests_count (guests) > 200)
    fprintf (stderr, "\r%60s\r", "");
  return ok ? g_steal_pointer (&guests) : NULL;
}

/* The name of the pool finding F concerns (owned by the configuration or
 * the store): its VF's or PF's pool, else the pool of the VF's lease (a VF
 * the kernel no longer has); NULL when none says. */
static const char *
pool_of (VfpCli *cli, VfpSysfs *sysfs, VfpState *state, VfpFinding *f)
{
  VfpVf *vf = vfp_sysfs_find_vf (sysfs, f->object);
  VfpPoolConfig *pc = vfp_config_pool_of_pf (cli->config, vf ? vf->pf->fn.address : f->object);
  const VfpLease *l = pc == NULL && state ? vfp_state_get (state, f->object) : NULL;

  return pc ? pc->name : l ? l->pool : NULL;
}

/* Whether finding F concerns pool NAME. */
static gboolean
in_pool (VfpCli *cli, VfpSysfs *sysfs, VfpFinding *f, const char *name)
{
  return g_strcmp0 (pool_of (cli, sysfs, NULL, f), name) == 0;
}

/* The findings of POOL (NULL: of no pool) with CODE and SEVERITY. */
static guint
count_findings (VfpCli *cli, VfpSysfs *sysfs, VfpState *state, GPtrArray *findings,
                const char *pool, const char *code, VfpSeverity severity)
{
  guint i, n = 0;

  for (i = 0; i < findings->len; i++)
    {
      VfpFinding *f = findings->pdata[i];

      n += strcmp (f->code, code) == 0 && f->severity == severity
           && g_strcmp0 (pool_of (cli, sysfs, state, f), pool) == 0;
    }
  return n;
}

/* The Prometheus textfile for node_exporter, replaced atomically. */
static gboolean
write_prometheus (VfpCli *cli, const char *path, VfpSysfs *sysfs, VfpState *state, GPtrArray *findings,
                  gint64 now, double seconds, GError **error)
{
  g_autoptr (GString) s = g_string_new (NULL);
  guint i, j, k, c;

  /* numa_node: the PF's (its VFs share it; -1 when the kernel does not
   * know), so that free VFs can be summed by node as guests are placed */
  g_string_append (s, "# HELP vfpool_vfs VFs of each pool and PF by lease state, with the PF's NUMA node.\n# TYPE vfpool_vfs gauge\n");
  for (i = 0; i < cli->config->pools->len; i++)
    {
      VfpPoolConfig *pc = cli->config->pools->pdata[i];

      for (j = 0; j < pc->pfs->len; j++)
        {
          VfpPf *pf = pc->pfs->pdata[j];
          guint counts[VFP_LEASE_QUARANTINED + 1] = { 0 };

          /* as vfpool status counts: free VFs only where vfs= and
           * exclude= let the pool hand them out */
          for (k = 0; k < pf->vfs->len; k++)
            {
              VfpVf *vf = pf->vfs->pdata[k];
              const VfpLease *l = state ? vfp_state_get (state, vf->fn.address) : NULL;

              if (l != NULL || vfp_pool_config_covers (pc, vf))
                counts[l ? l->state : VFP_LEASE_FREE]++;
            }
          for (k = 0; k <= VFP_LEASE_QUARANTINED; k++)
            g_string_append_printf (s, "vfpool_vfs{pool=\"%s\",pf=\"%s\",numa_node=\"%d\",state=\"%s\"} %u\n",
                                    pc->name, pf->fn.address, pf->fn.numa_node, vfp_lease_state_name (k), counts[k]);
        }
    }
  /* every pool's every code, 0 included, so that an alert resolves; pool=""
   * for findings no pool claims, only when there are some */
  g_string_append (s, "# HELP vfpool_audit_findings Findings of the last audit by pool, code and severity.\n# TYPE vfpool_audit_findings gauge\n");
  for (i = 0; i <= cli->config->pools->len; i++)
    {
      const char *name = i < cli->config->pools->len ? ((VfpPoolConfig *) cli->config->pools->pdata[i])->name : NULL;

      for (c = 0; codes[c]; c++)
        for (k = 0; k < 2; k++)
          {
            guint n = count_findings (cli, sysfs, state, findings, name, codes[c], k);

            if (name || n > 0)
              g_string_append_printf (s, "vfpool_audit_findings{pool=\"%s\",code=\"%s\",severity=\"%s\"} %u\n",
                                      name ? name : "", codes[c], vfp_severity_name (k), n);
          }
    }
  g_string_append_printf (s, "# HELP vfpool_audit_last_run_timestamp_seconds When the last audit ran.\n"
                          "# TYPE vfpool_audit_last_run_timestamp_seconds gauge\n"
                          "vfpool_audit_last_run_timestamp_seconds %" G_GINT64_FORMAT "\n"
                          "# HELP vfpool_audit_duration_seconds How long the last audit took.\n"
                          "# TYPE vfpool_audit_duration_seconds gauge\n"
                          "vfpool_audit_duration_seconds %.3f\n", now, seconds);
  return g_file_set_contents_full (path, s->str, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* Errors first, then by code and object: the report groups what belongs
 * together. */
static int
compare_findings (gconstpointer a, gconstpointer b)
{
  const VfpFinding *x = *(VfpFinding *const *) a;
  const VfpFinding *y = *(VfpFinding *const *) b;
  int c;

  if (x->severity != y->severity)
    return x->severity == VFP_SEVERITY_ERROR ? -1 : 1;
  c = strcmp (x->code, y->code);
  return c != 0 ? c : strcmp (x->object, y->object);
}

static void
print_text (GPtrArray *findings, GPtrArray *fixed)
{
  guint i, errors = 0, warnings = 0, fixable = 0;

  /* messages name guests: printed escaped (vfp_text_printable) */
  for (i = 0; i < fixed->len; i++)
    {
      g_autofree char *line = vfp_text_printable (fixed->pdata[i]);

      printf ("%s\n", line);
    }
  for (i = 0; i < findings->len; i++)
    {
      VfpFinding *f = findings->pdata[i];
      g_autofree char *message = vfp_text_printable (f->message);
      g_autofree char *repair = vfp_text_printable (f->repair);

      printf ("%-7s %-18s %s\n        %s\n", f->severity == VFP_SEVERITY_ERROR ? _("ERROR") : _("WARNING"),
              f->code, message, repair);
      errors += f->severity == VFP_SEVERITY_ERROR;
      warnings += f->severity == VFP_SEVERITY_WARNING;
      fixable += f->fix != VFP_FIX_NONE;
    }
  if (findings->len == 0)
    printf (_("Clean: the leases, libvirt and the kernel agree.\n"));
  else
    printf (_("Findings: %u (errors: %u, warnings: %u; repairable with --fix: %u).\n"),
            findings->len, errors, warnings, fixable);
}

/* The report as one JSON document; ERROR, when not NULL, is what went
 * wrong after the audit itself (the metrics file). */
static void
print_json (VfpCli *cli, GPtrArray *findings, GPtrArray *fixed, double seconds, const char *error)
{
  g_autoptr (VfpJson) json = vfp_json_new ();
  guint i;

  /* a host in trouble has thousands of findings: written as they come */
  vfp_json_stream_to (json, stdout);

  vfp_json_begin_object (json);
  vfp_json_member_bool (json, "clean", findings->len == 0);
  vfp_json_key (json, "findings");
  vfp_json_begin_array (json);
  for (i = 0; i < findings->len; i++)
    {
      VfpFinding *f = findings->pdata[i];

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "code", f->code);
      vfp_json_member_string (json, "severity", vfp_severity_name (f->severity));
      vfp_json_member_string (json, "object", f->object);
      vfp_json_member_string (json, "guest", f->guest);
      vfp_json_member_string (json, "message", f->message);
      vfp_json_member_string (json, "repair", f->repair);
      vfp_json_member_bool (json, "fixable", f->fix != VFP_FIX_NONE);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
  vfp_json_key (json, "fixed");
  vfp_json_begin_array (json);
  for (i = 0; i < fixed->len; i++)
    vfp_json_string (json, fixed->pdata[i]);
  vfp_json_end_array (json);
  vfp_json_key (json, "duration_seconds");
  vfp_json_int (json, (gint64) (seconds * 1000) / 1000);
  if (error != NULL)
    vfp_json_member_string (json, "error", error);
  vfp_json_end_object (json);
  vfp_cli_print_json (cli, json);
}

/* The leases before the guests are read. The guests' XML is older than
 * the store the audit then locks, since the lock is never held while
 * libvirt works (see vfp_audit_snapshot). */
static VfpAuditSnapshot *
snapshot_leases (VfpCli *cli, int *code)
{
  g_autoptr (VfpState) state = vfp_cli_open_state (cli, FALSE, code);

  return state ? vfp_audit_snapshot (state) : NULL;
}

/* Writes the lease's entry into the guest's metadata (where it is missing). */
static gboolean
restore_metadata (VfpCli *cli, VfpVirt *virt, VfpFinding *f, VfpState *state, GError **error)
{
  g_autoptr (VfpGuest) g = vfp_guest_open (virt, f->uuid, cli->state_dir, error);
  g_autoptr (GPtrArray) add = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_meta_vf_free);
  const VfpLease *l = vfp_state_get (state, f->object);
  VfpMetaVf *m;

  if (g == NULL || l == NULL)
    return FALSE;
  m = g_new0 (VfpMetaVf, 1);
  m->alias = g_strdup (f->alias);
  m->pool = g_strdup (l->pool);
  m->address = g_strdup (l->vf);
  m->mac = g_strdup (l->mac);
  m->vlan = l->vlan;
  m->template = g_strdup ("interface");
  g_ptr_array_add (add, m);
  return vfp_guest_write_metadata (g, add, NULL, f->live && g->active, f->config && g->persistent, error);
}

/* Keeps of FINDINGS (which owns them) those of pool NAME. */
static void
keep_pool (VfpCli *cli, VfpSysfs *sysfs, GPtrArray *findings, const char *name)
{
  guint i;

  for (i = findings->len; i-- > 0;)
    if (!in_pool (cli, sysfs, findings->pdata[i], name))
      g_ptr_array_remove_index (findings, i);
}

/* --fix, in the store: applies to POOL the repair of each finding whose
 * VF's lease did not change since BEFORE, adding a line per repair to
 * FIXED; the metadata repairs go to METADATA_FIXES (borrowed from
 * FINDINGS), made once the store is committed. */
static void
repair_leases (VfpCli *cli, VfpPool *pool, VfpAuditSnapshot *before, GPtrArray *findings,
               GPtrArray *fixed, GPtrArray *metadata_fixes)
{
  VfpState *state = vfp_pool_state (pool);
  g_autoptr (GPtrArray) moved = g_ptr_array_new ();
  guint i;

  /* judged before any repair: one VF can have two (adopt, then metadata) */
  for (i = 0; i < findings->len; i++)
    if (!vfp_audit_unchanged (before, state, ((VfpFinding *) findings->pdata[i])->object))
      g_ptr_array_add (moved, findings->pdata[i]);
  for (i = 0; i < findings->len; i++)
    {
      VfpFinding *f = findings->pdata[i];

      if (f->fix != VFP_FIX_NONE && g_ptr_array_find (moved, f, NULL))
        vfp_cli_warn (cli, _("%s %s: not repaired: the lease changed while the audit read the guests; run the audit again."),
                      f->code, f->object);
      else if (f->fix == VFP_FIX_METADATA)
        g_ptr_array_add (metadata_fixes, f);
      else if (vfp_audit_apply (pool, f))
        g_ptr_array_add (fixed, g_strdup_printf (_("%s %s: repaired (%s)"), f->code, f->object, f->message));
    }
}

/* --fix, in the guests: restores the metadata METADATA_FIXES name, adding
 * a line per repair to FIXED and warning of each that failed. */
static void
repair_metadata (VfpCli *cli, VfpVirt *virt, VfpState *state, GPtrArray *metadata_fixes,
                 GPtrArray *fixed)
{
  guint i;

  for (i = 0; i < metadata_fixes->len; i++)
    {
      VfpFinding *f = metadata_fixes->pdata[i];
      g_autoptr (GError) e = NULL;

      if (restore_metadata (cli, virt, f, state, &e))
        g_ptr_array_add (fixed, g_strdup_printf (_("%s %s: repaired (%s)"), f->code, f->object, f->message));
      else
        vfp_cli_warn (cli, "%s", e ? e->message : f->message);
    }
}

/* Removes from FINDINGS those FIXED reports repaired: what is left is
 * what --fix could not or must not repair. */
static void
drop_repaired (GPtrArray *findings, GPtrArray *fixed)
{
  guint i;

  for (i = findings->len; i-- > 0;)
    {
      VfpFinding *f = findings->pdata[i];
      gboolean done = FALSE;
      guint j;

      for (j = 0; j < fixed->len; j++)
        done |= strstr (fixed->pdata[j], f->message) != NULL;
      if (done)
        g_ptr_array_remove_index (findings, i);
    }
}

/* --fix: repairs what is safe of FINDINGS (the leases in POOL, committed,
 * then the guests' metadata), adds a line per repair to FIXED and leaves
 * in FINDINGS what is not repaired; FALSE if the store could not be
 * committed (reported). */
static gboolean
repair (VfpCli *cli, VfpVirt *virt, VfpPool *pool, VfpAuditSnapshot *before, GPtrArray *findings,
        GPtrArray *fixed)
{
  g_autoptr (GPtrArray) metadata_fixes = g_ptr_array_new ();

  repair_leases (cli, pool, before, findings, fixed, metadata_fixes);
  vfp_audit_record_identities (pool);
  if (!vfp_cli_commit (cli, pool))
    return FALSE;
  repair_metadata (cli, virt, vfp_pool_state (pool), metadata_fixes, fixed);
  drop_repaired (findings, fixed);
  return TRUE;
}

/* Prints FINDINGS (sorted here) and FIXED, writes the metrics file when
 * --prometheus asked for it, and returns the audit's exit status. */
static int
report (VfpCli *cli, const char *prometheus, VfpSysfs *sysfs, VfpState *state, GPtrArray *findings,
        GPtrArray *fixed, gint64 now, gint64 t0)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *metrics_error = NULL;
  double seconds;

  g_ptr_array_sort (findings, compare_findings);
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  /* The timer runs the audit with -q: metrics that were not written are
   * an error everyone sees, and the unit fails (exit 2), or the dashboard
   * would show the last good night for ever. */
  if (prometheus && !write_prometheus (cli, prometheus, sysfs, state, findings, now, seconds, &error))
    metrics_error = g_strdup_printf (_("Cannot write the metrics file %s: %s"), prometheus, error->message);
  if (cli->json)
    print_json (cli, findings, fixed, seconds, metrics_error);
  else
    print_text (findings, fixed);
  if (metrics_error != NULL)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", metrics_error);
  return findings->len > 0 ? VFP_EXIT_FAILED : VFP_EXIT_OK;
}

/* vfpool audit [--fix] [--prometheus FILE] [--pool NAME]. */
int
vfp_cmd_audit (VfpCli *cli, int argc, char **argv)
{
  gboolean fix = FALSE;
  g_autofree char *prometheus = NULL, *pool_name = NULL;
  GOptionEntry entries[] = {
    { "fix", 0, 0, G_OPTION_ARG_NONE, &fix, N_("Repair what is provably safe, and say what was done"), NULL },
    { "prometheus", 0, 0, G_OPTION_ARG_FILENAME, &prometheus, N_("Also write metrics for node_exporter's textfile collector"), N_("FILE") },
    { "pool", 0, 0, G_OPTION_ARG_FILENAME, &pool_name, N_("Report only this pool"), N_("NAME") },
    { NULL }
  };
  gint64 t0 = g_get_monotonic_time (), now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr (VfpVirt) virt = NULL;
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (VfpAuditGuests) guests = NULL;
  g_autoptr (GPtrArray) findings = NULL;
  g_autoptr (GPtrArray) fixed = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (VfpPool) pool = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpAuditSnapshot) before = NULL;
  int code = VFP_EXIT_OK;

  if (!vfp_cli_parse (cli, "audit", NULL,
                      N_("Compare the lease store, every guest's live and persistent XML and the kernel, VF by VF. Exit 0 clean, 1 findings, 2 could not audit."),
                      entries, &argc, &argv, &code))
    return code;
  if (argc > 1)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("audit takes no arguments; see 'vfpool audit --help'."));
  if (pool_name && !vfp_config_find_pool (cli->config, pool_name))
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("There is no pool '%s'."), pool_name);
  /* the audit needs of each VF its address, and of a free one its driver */
  host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, &code);
  if (host == NULL)
    return code;
  if (fix && (before = snapshot_leases (cli, &code)) == NULL)
    return code;
  virt = vfp_virt_open (cli->uri, !fix, &error);
  if (virt == NULL || (guests = gather_guests (cli, virt, &error)) == NULL)
    return vfp_cli_error (cli, VFP_EXIT_ERROR, _("Could not audit: %s"), error->message);

  pool = vfp_cli_begin (cli, host->sysfs, &code);
  if (pool == NULL)
    return code;
  findings = vfp_audit_run (pool, guests);
  if (pool_name)
    keep_pool (cli, host->sysfs, findings, pool_name);
  if (fix && !repair (cli, virt, pool, before, findings, fixed))
    return VFP_EXIT_ERROR;
  return report (cli, prometheus, host->sysfs, vfp_pool_state (pool), findings, fixed, now, t0);
}
