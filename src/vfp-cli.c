/* Shared plumbing of the vfpool commands. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-stray.h"
#include "vfp-text.h"
#include "vfp-virt.h"

/* Prints "vfpool: MESSAGE" on stderr and returns CODE, so commands can
 * `return vfp_cli_error (...)`. Errors are shown even with -q. The last
 * one is kept: with --json, a command that fails before it printed its
 * document prints {"error": MESSAGE} instead. Messages name guests and
 * labels: control characters in them are printed escaped
 * (vfp_text_printable), here and in every message below. */
int
vfp_cli_error (VfpCli *cli, int code, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  g_autofree char *shown = NULL;

  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  shown = vfp_text_printable (msg);
  fprintf (stderr, "vfpool: %s\n", shown);
  g_free (cli->last_error);
  cli->last_error = g_steal_pointer (&msg);
  return code;
}

/* A warning on stderr, unless -q. */
void
vfp_cli_warn (VfpCli *cli, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  g_autofree char *shown = NULL;

  if (cli->quiet)
    return;
  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  shown = vfp_text_printable (msg);
  fprintf (stderr, _("vfpool: warning: %s\n"), shown);
}

static void
vfp_cli_print_warnings (VfpCli *cli, GPtrArray *warnings)
{
  guint i;

  for (i = 0; i < warnings->len; i++)
    vfp_cli_warn (cli, "%s", (const char *) warnings->pdata[i]);
}

/* The leases in STATE that no VF of HOST's kernel backs (VfpStray*; empty
 * without a store), each said as a warning: what list and status count or
 * show leaves them out, and must not hide them. The caller frees it. */
GPtrArray *
vfp_cli_warn_strays (VfpCli *cli, VfpHost *host, VfpState *state)
{
  GPtrArray *strays = state ? vfp_stray_find (host->sysfs, state) : g_ptr_array_new ();
  guint i;

  for (i = 0; i < strays->len; i++)
    {
      g_autofree char *why = vfp_stray_describe (strays->pdata[i]);

      vfp_cli_warn (cli, "%s", why);
    }
  return strays;
}

/* Removes the "--" that ended the options, as virsh does: GLib keeps it
 * when an argument after it starts with '-' (a guest named "-dash"), and
 * the argument after it is then a name, never an option. */
static void
drop_separator (int *argc, char **argv)
{
  int i;

  for (i = 1; i < *argc; i++)
    if (strcmp (argv[i], "--") == 0)
      {
        memmove (argv + i, argv + i + 1, (*argc - i) * sizeof (char *));
        (*argc)--;
        return;
      }
}

/* Parses a command's options (ENTRIES plus --json); FALSE when the command
 * should stop, with *EXIT_CODE set (0 after --help). */
gboolean
vfp_cli_parse (VfpCli *cli, const char *command, const char *args,
               const char *summary, GOptionEntry *entries, int *argc,
               char ***argv, int *exit_code)
{
  GOptionEntry json_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json, N_("Print JSON instead of text"), NULL },
    { NULL }
  };
  g_autofree char *param = g_strdup_printf ("%s%s%s", command, args ? " " : "", args ? _(args) : "");
  g_autoptr (GOptionContext) ctx = g_option_context_new (param);
  g_autoptr (GError) error = NULL;

  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _(summary));
  g_option_context_add_main_entries (ctx, json_entries, GETTEXT_PACKAGE);
  if (entries != NULL)
    g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      *exit_code = vfp_cli_error (cli, VFP_EXIT_ERROR,
                                  _("%s: %s (see 'vfpool %s --help')"),
                                  command, error->message, command);
      return FALSE;
    }
  drop_separator (argc, *argv);
  return TRUE;
}

/* Scans the host and, where it makes sense, joins libvirt's node devices:
 * on the real /sys, or when the user named a URI. A fake sysfs tree with
 * the real qemu:///system would mix two hosts; so would a fake tree with a
 * named libvirt that knows none of its PFs (make demo's private libvirtd
 * sees this machine's devices): its names are left out without a warning. */
VfpHost *
vfp_cli_load_host (VfpCli *cli, VfpHostDetail detail, int *exit_code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpHost) host = vfp_host_load (cli->sysfs_root, detail, &error);

  if (host == NULL)
    {
      *exit_code = vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
      return NULL;
    }
  if ((detail & VFP_HOST_NODEDEVS) && (cli->uri_explicit || cli->sysfs_default))
    {
      g_autoptr (VfpVirt) virt = vfp_virt_open (cli->uri, TRUE, &error);
      g_autoptr (GPtrArray) xmls = virt ? vfp_virt_list_pci_nodedevs (virt, &error) : NULL;

      if (xmls != NULL && !cli->sysfs_default && !vfp_host_nodedevs_know_a_pf (host, xmls))
        g_debug ("libvirt at %s knows no PF of %s: another machine; node-device names are left out.",
                 cli->uri, cli->sysfs_root);
      else if (xmls != NULL)
        vfp_host_join_nodedevs (host, xmls);
      else if (cli->uri_explicit)
        vfp_cli_warn (cli, _("%s; node-device names are left out."), error->message);
      else
        g_debug ("%s", error->message);
      g_clear_error (&error);
    }
  vfp_cli_print_warnings (cli, host->warnings);
  if (!vfp_config_resolve (cli->config, host->sysfs, &error))
    {
      *exit_code = vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
      return NULL;
    }
  return g_steal_pointer (&host);
}

/* Prints the command's one JSON document (a streamed one is finished). */
void
vfp_cli_print_json (VfpCli *cli, VfpJson *json)
{
  g_autofree char *text = vfp_json_finish (json);

  fputs (text, stdout);
  cli->json_printed = TRUE;
}

/* With --json, a command that ends with CODE (not 0) before it printed its
 * document prints {"error": ...} instead: a script that reads standard
 * output always gets exactly one document. */
void
vfp_cli_print_json_error (VfpCli *cli, int code)
{
  g_autoptr (VfpJson) json = NULL;
  g_autofree char *fallback = NULL;

  if (!cli->json || cli->json_printed || code == VFP_EXIT_OK)
    return;
  if (cli->last_error == NULL)
    fallback = g_strdup_printf (_("vfpool failed with exit status %d; standard error says why."), code);
  json = vfp_json_new ();
  vfp_json_begin_object (json);
  vfp_json_member_string (json, "error", cli->last_error ? cli->last_error : fallback);
  vfp_json_end_object (json);
  vfp_cli_print_json (cli, json);
}

/* Whether the command line asks for --json (before a "--"): known before
 * the options are parsed, so that an error in them, in the global options
 * or in the configuration is a JSON document too. */
gboolean
vfp_cli_wants_json (int argc, char **argv)
{
  int i;

  for (i = 1; i < argc && strcmp (argv[i], "--") != 0; i++)
    if (strcmp (argv[i], "--json") == 0)
      return TRUE;
  return FALSE;
}

const char *
vfp_cli_or_dash (const char *s)
{
  return s && *s ? s : "-";
}

/* A NUMA node for tables: the number, or "-" when unknown. */
char *
vfp_cli_numa (int node)
{
  return node < 0 ? g_strdup ("-") : g_strdup_printf ("%d", node);
}

/* Hex id as JSON wants it: "10ed". */
static void
member_hex4 (VfpJson *json, const char *key, guint v)
{
  g_autofree char *s = g_strdup_printf ("%04x", v);

  vfp_json_member_string (json, key, s);
}

static void
member_int_or_null (VfpJson *json, const char *key, gint64 v)
{
  vfp_json_key (json, key);
  if (v < 0)
    vfp_json_null (json);
  else
    vfp_json_int (json, v);
}

/* The members every PF and VF object has in --json output. */
void
vfp_cli_json_function (VfpJson *json, VfpHost *host, const VfpFunction *fn)
{
  g_autofree char *klass = g_strdup_printf ("%06x", fn->class_code);

  vfp_json_member_string (json, "address", fn->address);
  member_hex4 (json, "vendor_id", fn->vendor_id);
  member_hex4 (json, "device_id", fn->device_id);
  vfp_json_member_string (json, "class", klass);
  vfp_json_member_string (json, "driver", fn->driver);
  member_int_or_null (json, "iommu_group", fn->iommu_group);
  vfp_json_member_bool (json, "iommu_group_alone", fn->iommu_group_size == 1);
  member_int_or_null (json, "numa_node", fn->numa_node);
  vfp_json_member_strv (json, "netdevs", fn->netdevs);
  vfp_json_member_string (json, "netdev_mac", fn->mac);
  vfp_json_member_string (json, "operstate", fn->operstate);
  vfp_json_member_string (json, "nodedev", vfp_host_nodedev_name (host, fn->address));
}

/* "Intel Corporation 82599ES ..." or the ids when pci.ids does not know. */
char *
vfp_cli_device_label (const char *vendor_name, const char *device_name,
                      guint vendor_id, guint device_id)
{
  if (vendor_name && device_name)
    return g_strdup_printf ("%s %s", vendor_name, device_name);
  return g_strdup_printf ("[%04x:%04x]", vendor_id, device_id);
}

/* The first netdev name, or "-". */
const char *
vfp_cli_netdev (const VfpFunction *fn)
{
  return fn->netdevs && fn->netdevs[0] ? fn->netdevs[0] : "-";
}

/* Where device templates are looked for: --template-dir, then the admin's
 * overrides, then the installed ones. */
const char *const *
vfp_cli_template_dirs (VfpCli *cli)
{
  static const char *dirs[4];

  dirs[0] = cli->template_dir;
  dirs[1] = SYSCONFDIR "/vfpool/templates";
  dirs[2] = PKGDATADIR "/templates";
  dirs[3] = NULL;
  return cli->template_dir ? dirs : dirs + 1;
}

/* How long a command waits for another vfpool holding the store's lock. */
#define STATE_LOCK_TIMEOUT_MS 120000

/* Opens (and locks) the lease store. With ONLY_IF_EXISTS, a missing state
 * directory is not created and NULL is returned with *EXIT_CODE 0: a
 * read-only command on a host where vfpool never ran sees every VF free. */
VfpState *
vfp_cli_open_state (VfpCli *cli, gboolean only_if_exists, int *exit_code)
{
  g_autoptr (GError) error = NULL;
  VfpState *state;

  *exit_code = VFP_EXIT_OK;
  if (only_if_exists && !g_file_test (cli->state_dir, G_FILE_TEST_EXISTS))
    return NULL;
  state = vfp_state_open (cli->state_dir, STATE_LOCK_TIMEOUT_MS, &error);
  if (state == NULL)
    *exit_code = vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
  return state;
}

/* "90", "90s", "30m", "2h", "7d" -> seconds. */
gboolean
vfp_cli_parse_duration (const char *text, gint64 *seconds)
{
  static const struct { char unit; gint64 factor; } units[] = {
    { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
  };
  g_autofree char *digits = g_strdup (text);
  gsize len = strlen (digits);
  gint64 factor = 1;
  guint64 n;
  gsize i;

  if (len == 0)
    return FALSE;
  for (i = 0; i < G_N_ELEMENTS (units); i++)
    if (digits[len - 1] == units[i].unit)
      {
        factor = units[i].factor;
        digits[len - 1] = '\0';
      }
  if (!g_ascii_string_to_unsigned (digits, 10, 1, G_MAXINT32, &n, NULL))
    return FALSE;
  *seconds = (gint64) n * factor;
  return TRUE;
}

/* What the pool manager changed, in the log and (unless -q) on stderr, so
 * that nothing is reserved or taken back silently. */
void
vfp_cli_print_events (VfpCli *cli, GPtrArray *events)
{
  guint i;

  for (i = 0; i < events->len; i++)
    {
      VfpEvent *e = events->pdata[i];
      g_autofree char *shown = vfp_text_printable (e->message);

      vfp_log_record (e);
      if (!cli->quiet)
        fprintf (stderr, "vfpool: %s\n", shown);
    }
}

/* Begins a transaction on the lease store (vfp_pool_begin) over SYSFS
 * (the scan, or NULL when the command has none), waiting for another
 * vfpool as long as a command does. NULL with the error printed and
 * *EXIT_CODE set when the store cannot be opened. Commands that talk to
 * libvirt change leases in such short transactions, so the lock is never
 * held while libvirt works. */
VfpPool *
vfp_cli_begin (VfpCli *cli, VfpSysfs *sysfs, int *exit_code)
{
  g_autoptr (GError) error = NULL;
  VfpPool *pool = vfp_pool_begin (cli->config, sysfs, cli->state_dir, STATE_LOCK_TIMEOUT_MS, &error);

  *exit_code = VFP_EXIT_OK;
  if (pool == NULL)
    *exit_code = vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
  return pool;
}

/* Commits POOL's transaction (saving only what changed), then logs and
 * shows its events; FALSE with the error printed when the save failed
 * (then nothing of it happened, and its events are not shown). */
gboolean
vfp_cli_commit (VfpCli *cli, VfpPool *pool)
{
  g_autoptr (GError) error = NULL;

  if (!vfp_pool_commit (pool, &error))
    {
      vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
      return FALSE;
    }
  vfp_cli_print_events (cli, vfp_pool_events (pool));
  return TRUE;
}

/* Sets PF's VF count to N: 0 first when changing a non-zero count, as the
 * kernel requires, then N, then waits up to WAIT_MS (0: not at all) for
 * the kernel to create the VFs. The store's lock is held only to check
 * that no VF of PF is in use; the writes and the wait (seconds) happen
 * under PF's own lock, which allocations and the hook test without waiting
 * and which is taken before that check: no VF of PF is handed out from the
 * check to the end, and a guest starting on another PF meanwhile is not
 * kept waiting. */
gboolean
vfp_cli_set_numvfs (VfpCli *cli, VfpSysfs *sysfs, VfpPf *pf, guint n, guint wait_ms, GError **error)
{
  g_autoptr (GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_event_free);
  g_autofree char *msg = NULL;
  const char *root = sysfs->root;
  gboolean ok;
  int pf_lock;

  pf_lock = vfp_pool_lock_pf (cli->state_dir, pf->fn.address, STATE_LOCK_TIMEOUT_MS, error);
  if (pf_lock < 0)
    return FALSE;
  {
    g_autoptr (VfpPool) pool = vfp_pool_begin (cli->config, sysfs, cli->state_dir, STATE_LOCK_TIMEOUT_MS, error);

    ok = pool != NULL && vfp_pool_check_numvfs (pool, pf, n, error);
  }
  if (!ok || n == pf->num_vfs)
    {
      close (pf_lock);
      return ok;
    }
  ok = (pf->num_vfs == 0 || vfp_sysfs_write_numvfs (root, pf->fn.address, 0, error))
       && (n == 0 || vfp_sysfs_write_numvfs (root, pf->fn.address, n, error));
  if (ok)
    {
      msg = g_strdup_printf (_("Set the VF count of PF %s from %u to %u."), pf->fn.address, pf->num_vfs, n);
      g_ptr_array_add (events, vfp_event_new ("set-numvfs", pf->fn.address, NULL, msg));
      vfp_cli_print_events (cli, events);
      ok = wait_ms == 0 || vfp_sysfs_wait_virtfn (root, pf->fn.address, n, wait_ms, error);
    }
  close (pf_lock);
  return ok;
}

/* What a long operation is waiting for, on a terminal only: scripts and
 * the journal get the outcome, not the waiting. */
void
vfp_cli_progress (VfpCli *cli, const char *fmt, ...)
{
  va_list ap;
  g_autofree char *msg = NULL;
  g_autofree char *shown = NULL;

  if (cli->quiet || cli->json || !isatty (STDERR_FILENO))
    return;
  va_start (ap, fmt);
  msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  shown = vfp_text_printable (msg);
  fprintf (stderr, "vfpool: %s\n", shown);
}

static void
workflow_warn (gpointer cli, const char *message)
{
  vfp_cli_warn (cli, "%s", message);
}

static void
workflow_progress (gpointer cli, const char *message)
{
  vfp_cli_progress (cli, "%s", message);
}

static void
workflow_events (gpointer cli, GPtrArray *events)
{
  vfp_cli_print_events (cli, events);
}

/* The context of a workflow (vfp-workflow.h) run by a command over SYSFS:
 * the command's store, templates and lock timeout; warnings, progress and
 * events go where the command's go. */
void
vfp_cli_workflow (VfpCli *cli, VfpSysfs *sysfs, VfpWorkflow *wf)
{
  memset (wf, 0, sizeof *wf);
  wf->config = cli->config;
  wf->sysfs = sysfs;
  wf->state_dir = cli->state_dir;
  wf->lock_timeout_ms = STATE_LOCK_TIMEOUT_MS;
  wf->template_dirs = vfp_cli_template_dirs (cli);
  wf->sysfs_default = cli->sysfs_default;
  wf->warn = workflow_warn;
  wf->progress = workflow_progress;
  wf->events = workflow_events;
  wf->data = cli;
}

/* What every command that changes leases starts with: the sysfs scan
 * (without PCI details) in *HOST and a transaction over it (see
 * vfp_cli_begin). The caller frees both; on failure the error is printed
 * and *EXIT_CODE set. */
VfpPool *
vfp_cli_open_pool (VfpCli *cli, VfpHost **host, int *exit_code)
{
  *host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, exit_code);
  if (*host == NULL)
    return NULL;
  return vfp_cli_begin (cli, (*host)->sysfs, exit_code);
}

/* After the tables of status and list: each quarantined VF with the reason
 * (the tables have no room for a sentence). Nothing when there is none. */
void
vfp_cli_print_quarantined (VfpState *state)
{
  g_autoptr (GPtrArray) list = state ? vfp_state_list (state) : NULL;
  guint i, n = 0;

  for (i = 0; list && i < list->len; i++)
    {
      const VfpLease *l = list->pdata[i];

      if (l->state != VFP_LEASE_QUARANTINED)
        continue;
      if (n++ == 0)
        printf (_("\nQuarantined VFs (never handed out; 'vfpool scrub VF' frees one once it verifies):\n"));
      printf ("  %s  %s\n", l->vf, l->note ? l->note : _("no reason recorded"));
    }
}

/* "quarantined": [{"address", "owner", "reason"}] for status --json. */
void
vfp_cli_json_quarantined (VfpJson *json, VfpState *state)
{
  g_autoptr (GPtrArray) list = state ? vfp_state_list (state) : NULL;
  guint i;

  vfp_json_key (json, "quarantined");
  vfp_json_begin_array (json);
  for (i = 0; list && i < list->len; i++)
    {
      const VfpLease *l = list->pdata[i];

      if (l->state != VFP_LEASE_QUARANTINED)
        continue;
      vfp_json_begin_object (json);
      vfp_json_member_string (json, "address", l->vf);
      vfp_json_member_string (json, "owner", vfp_lease_owner (l));
      vfp_json_member_string (json, "reason", l->note);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
}

/* The "explain" member of reserve's and attach's --json: each VF the
 * choice looked at (VfpExplain*), chosen or why not. */
void
vfp_cli_json_explain (VfpJson *json, GPtrArray *explain)
{
  guint i;

  vfp_json_key (json, "explain");
  vfp_json_begin_array (json);
  for (i = 0; i < explain->len; i++)
    {
      const VfpExplain *e = explain->pdata[i];

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "address", e->vf);
      vfp_json_member_string (json, "pf", e->pf);
      vfp_json_member_int (json, "index", e->index);
      vfp_json_member_bool (json, "chosen", e->chosen);
      vfp_json_member_string (json, "reason", e->reason);
      vfp_json_end_object (json);
    }
  vfp_json_end_array (json);
}
