/* Shared plumbing of the vfpool commands. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-text.h"
#include "vfp-virt.h"

/* Prints "vfpool: MESSAGE" on stderr and returns CODE, so commands can
 * `return vfp_cli_error (...)`. Errors are shown even with -q. Messages
 * name guests and labels: control characters in them are printed escaped
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

void
vfp_cli_print_warnings (VfpCli *cli, GPtrArray *warnings)
{
  guint i;

  for (i = 0; i < warnings->len; i++)
    vfp_cli_warn (cli, "%s", (const char *) warnings->pdata[i]);
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
  return TRUE;
}

/* Scans the host and, where it makes sense, joins libvirt's node devices:
 * on the real /sys, or when the user named a URI. A fake sysfs tree with
 * the real qemu:///system would mix two hosts. */
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

      if (xmls != NULL)
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

void
vfp_cli_print_json (VfpJson *json)
{
  g_autofree char *text = vfp_json_finish (json);

  fputs (text, stdout);
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

/* Opens the store, runs STEP on the pool manager, saves and logs. Commands
 * that talk to libvirt change state in such short steps, so the lock is
 * never held while libvirt works. */
gboolean
vfp_cli_with_pool (VfpCli *cli, VfpSysfs *sysfs, VfpPoolStep step, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpState) state = NULL;
  g_autoptr (VfpPool) pool = NULL;
  int code;

  state = vfp_cli_open_state (cli, FALSE, &code);
  if (state == NULL)
    return FALSE;
  pool = vfp_pool_new (cli->config, sysfs, state);
  step (pool, data);
  if (!vfp_state_save (state, &error))
    {
      vfp_cli_error (cli, VFP_EXIT_ERROR, "%s", error->message);
      return FALSE;
    }
  vfp_cli_print_events (cli, pool->events);
  return TRUE;
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

/* What every command that changes leases starts with: the sysfs scan
 * (without PCI details), the store (locked) and a pool manager over both.
 * The caller frees all three; on failure the error is printed and
 * *EXIT_CODE set. */
VfpPool *
vfp_cli_open_pool (VfpCli *cli, VfpHost **host, VfpState **state, int *exit_code)
{
  *host = vfp_cli_load_host (cli, VFP_HOST_LAZY_VFS, exit_code);
  if (*host == NULL)
    return NULL;
  *state = vfp_cli_open_state (cli, FALSE, exit_code);
  if (*state == NULL)
    return NULL;
  return vfp_pool_new (cli->config, (*host)->sysfs, *state);
}
