/* vfpool: global options (before the command, as with virsh), then one
 * command from the table; each command lives in its own cmd-NAME.c. */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-log.h"

static const VfpCommand commands[] = {
  { "status", N_("One line per PF: driver, VFs, NUMA node"), vfp_cmd_status },
  { "list", N_("One line per VF: PF, index, driver, IOMMU group, NUMA node"), vfp_cmd_list },
  { "pf", N_("Show a PF (pf show PF) or set its VF count (pf set-numvfs PF N)"), vfp_cmd_pf },
  { "check", N_("Check that this host is ready for VF passthrough"), vfp_cmd_check },
  { "attach", N_("Attach free VFs to a guest, live and/or persistent"), vfp_cmd_attach },
  { "detach", N_("Detach a guest's VFs; free each once libvirt confirms"), vfp_cmd_detach },
  { "migrate", N_("Live-migrate a guest with its VFs (detach, migrate, reattach there)"), vfp_cmd_migrate },
  { "reattach", N_("Give a migrated guest its VFs back (run by the hook)"), vfp_cmd_reattach },
  { "audit", N_("Prove that leases, libvirt and the kernel agree; --fix repairs what is safe"), vfp_cmd_audit },
  { "reserve", N_("Hold VFs for a user outside libvirt (--owner LABEL)"), vfp_cmd_reserve },
  { "release", N_("Free VFs held with reserve"), vfp_cmd_release },
  { "scrub", N_("Restore quarantined VFs to their baseline and free each that verifies"), vfp_cmd_scrub },
  { "apply", N_("Create the VFs every pool's numvfs= asks for (at boot)"), vfp_cmd_apply },
  { "adopt-hardware", N_("Accept the card now at a PF's address after the audit reported identity-changed"), vfp_cmd_adopt_hardware },
};

static char *
describe_commands (void)
{
  GString *s = g_string_new (_("Commands:"));
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    g_string_append_printf (s, "\n  %-10s %s", commands[i].name, _(commands[i].summary));
  g_string_append_printf (s, "\n\n%s", _("Every command takes --help and --json."));
  return g_string_free (s, FALSE);
}

/* Where the translations are: LOCALEDIR, or VFPOOL_LOCALEDIR so the test
 * suite can use the catalogs of the build tree before installation. */
static const char *
message_catalog_dir (void)
{
  const char *dir = g_getenv ("VFPOOL_LOCALEDIR");

  if (dir != NULL && *dir != '\0' && getuid () == geteuid ())
    return dir;
  return LOCALEDIR;
}

static void
cli_clear (VfpCli *cli)
{
  g_free (cli->uri);
  g_free (cli->config_path);
  g_free (cli->sysfs_root);
  g_free (cli->state_dir);
  g_free (cli->template_dir);
  g_free (cli->last_error);
  vfp_config_free (cli->config);
}

/* What every command needs of the process before it starts: the locale,
 * SIGPIPE ignored, the message catalog. */
static void
process_set_up (void)
{
  /* Messages in the operator's language; numbers stay C: the Prometheus
   * file and JSON are read by programs, and a German locale wrote
   * "0,123" there. Only the two categories messages need are loaded. */
  setlocale (LC_CTYPE, "");
  setlocale (LC_MESSAGES, "");
  /* libvirt's client writes to its socket with write(): a daemon that
   * closed the connection (restarting, a keepalive timeout under load)
   * killed vfpool by SIGPIPE mid-command, exit 141 without a word (seen in
   * test-load). Ignored, the write fails and libvirt's error is reported,
   * as virsh does. */
  signal (SIGPIPE, SIG_IGN);
  bindtextdomain (GETTEXT_PACKAGE, message_catalog_dir ());
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

/* The option context of the global options (entries[1] --config and
 * entries[3] --state-dir get their help texts here, which the caller
 * frees after the context: *config_help, *state_help). Caller frees it. */
static GOptionContext *
option_context_new (GOptionEntry *entries, char **config_help, char **state_help)
{
  GOptionContext *ctx;
  g_autofree char *description = NULL;

  /* Help texts that name build-time paths are made here, so that the
   * translatable part is one whole sentence. */
  *config_help = g_strdup_printf (_("Configuration file (default %s)"), SYSCONFDIR "/vfpool/vfpool.conf");
  *state_help = g_strdup_printf (_("Directory of the lease store (default %s)"), LOCALSTATEDIR "/lib/vfpool");
  entries[1].description = *config_help;
  entries[3].description = *state_help;
  ctx = g_option_context_new (_("COMMAND [ARGS...]"));
  g_option_context_set_translation_domain (ctx, GETTEXT_PACKAGE);
  g_option_context_set_summary (ctx, _("Hands SR-IOV virtual functions to libvirt guests and keeps track of them."));
  description = describe_commands ();
  g_option_context_set_description (ctx, description);
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  /* Stop at the command name: what follows is the command's. */
  g_option_context_set_strict_posix (ctx, TRUE);
  return ctx;
}

/* Applies --verbose and the configuration file to cli, and fills in the
 * defaults of what neither option nor configuration gave; FALSE with
 * error when the configuration cannot be loaded. */
static gboolean
cli_configure (VfpCli *cli, GError **error)
{
  const char *env_uri;

  if (cli->verbose)
    g_setenv ("G_MESSAGES_DEBUG", "vfpool", TRUE);

  /* A broken configuration stops every command: nothing acts on half of it. */
  cli->config = vfp_config_load (cli->config_path ? cli->config_path : SYSCONFDIR "/vfpool/vfpool.conf",
                                 cli->config_path != NULL, error);
  if (cli->config == NULL)
    return FALSE;
  if (cli->config->log_file != NULL)
    vfp_log_set_file (cli->config->log_file);
  if (cli->state_dir == NULL)
    cli->state_dir = g_strdup (cli->config->state_dir ? cli->config->state_dir
                                                      : LOCALSTATEDIR "/lib/vfpool");
  env_uri = g_getenv ("LIBVIRT_DEFAULT_URI");
  if (cli->uri == NULL && cli->config->uri != NULL)
    cli->uri = g_strdup (cli->config->uri);
  if (cli->uri == NULL && env_uri != NULL && *env_uri != '\0')
    cli->uri = g_strdup (env_uri);
  cli->uri_explicit = cli->uri != NULL;
  if (cli->uri == NULL)
    cli->uri = g_strdup ("qemu:///system");
  cli->sysfs_default = cli->sysfs_root == NULL || strcmp (cli->sysfs_root, "/sys") == 0;
  if (cli->sysfs_root == NULL)
    cli->sysfs_root = g_strdup ("/sys");
  return TRUE;
}

/* Runs the command argv[1] names (the help on stderr when there is none)
 * and returns its exit status. */
static int
dispatch (VfpCli *cli, GOptionContext *ctx, int argc, char **argv)
{
  gsize i;

  if (argc < 2)
    {
      g_autofree char *help = g_option_context_get_help (ctx, TRUE, NULL);

      fputs (help, stderr);
      return VFP_EXIT_ERROR;
    }
  for (i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        g_autofree char *who = g_strdup_printf ("vfpool %s", commands[i].name);

        vfp_log_set_who (who);
        return commands[i].run (cli, argc - 1, argv + 1);
      }
  return vfp_cli_error (cli, VFP_EXIT_ERROR,
                        _("'%s' is not a vfpool command; see 'vfpool --help'."), argv[1]);
}

/* Ends a command that returned status: the JSON error if it failed, then
 * stdout flushed and checked; returns the exit status, an error if the
 * output was lost. */
static int
output_finish (VfpCli *cli, int status)
{
  vfp_cli_print_json_error (cli, status);
  /* What vfpool prints is what scripts keep (reserve's addresses): output
   * that never reached its file or pipe (a full disk) must not look like
   * a success that printed nothing. stdout is flushed here, while errors
   * can still be reported, not by exit(). */
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      int saved = errno;
      int code = vfp_cli_error (cli, VFP_EXIT_ERROR, _("Cannot write the output: %s"), g_strerror (saved));

      if (status == VFP_EXIT_OK)
        status = code;
    }
  return status;
}

/* Everything vfpool does, up to its exit status; every object of its own
 * is freed and stdout flushed (and checked) before it returns. */
static int
run (int argc, char **argv)
{
  VfpCli cli = { 0 };
  gboolean version = FALSE;
  /* Every option that takes text is G_OPTION_ARG_FILENAME: taken byte for
   * byte, as the positional arguments (guest names) are and as virsh takes
   * them. G_OPTION_ARG_STRING made GLib look up the locale's character set
   * (g_get_charset), which faults in 0.3 MB of GLib's tables: 1.5% of the
   * 20 MB every command must fit in. What is stored (an owner label) is
   * checked to be UTF-8 where it is taken. */
  GOptionEntry entries[] = {
    { "connect", 'c', 0, G_OPTION_ARG_FILENAME, &cli.uri, N_("libvirt URI (default: uri= of the configuration, LIBVIRT_DEFAULT_URI, then qemu:///system)"), N_("URI") },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &cli.config_path, NULL, N_("FILE") },
    { "sysfs-root", 0, 0, G_OPTION_ARG_FILENAME, &cli.sysfs_root, N_("Directory that plays /sys (default /sys)"), N_("DIR") },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &cli.state_dir, NULL, N_("DIR") },
    { "template-dir", 0, 0, G_OPTION_ARG_FILENAME, &cli.template_dir, N_("Directory searched first for device XML templates"), N_("DIR") },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &cli.quiet, N_("Print errors only"), NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &cli.verbose, N_("Print debugging messages"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Print the version and exit"), NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *config_help = NULL;
  g_autofree char *state_help = NULL;
  int status;

  process_set_up ();
  ctx = option_context_new (entries, &config_help, &state_help);
  cli.json = vfp_cli_wants_json (argc, argv);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    status = vfp_cli_error (&cli, VFP_EXIT_ERROR, _("%s (see 'vfpool --help')"), error->message);
  else if (version)
    {
      printf ("vfpool %s\n", PACKAGE_VERSION);
      status = VFP_EXIT_OK;
    }
  else if (!cli_configure (&cli, &error))
    status = vfp_cli_error (&cli, VFP_EXIT_ERROR, "%s", error->message);
  else
    status = dispatch (&cli, ctx, argc, argv);
  status = output_finish (&cli, status);
  cli_clear (&cli);
  return status;
}

/* LeakSanitizer checks for leaks in an exit handler. */
#ifndef __has_feature
# define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature (address_sanitizer) || __has_feature (leak_sanitizer)
# define VFP_EXIT_HANDLERS_NEEDED 1
#else
# define VFP_EXIT_HANDLERS_NEEDED 0
#endif

/* vfpool ends with _exit(), not exit(): exit() would run the destructors
 * of the sixty libraries libvirt brings in (OpenSSL's cleanup, GnuTLS,
 * p11-kit, Kerberos, libxml2, libudev, ...), which only free memory the
 * kernel takes back anyway, and which fault in 0.7-0.85 MB of their code
 * (fault-around maps 64 KB per first touch): the last and one of the
 * largest steps of every command's peak RSS. vfpool registers no exit
 * handler, has written and synced its files and flushed stdout in run(),
 * and stderr is unbuffered. A sanitizer build keeps exit(), as a
 * --coverage build would have to (gcov writes its counters from a
 * destructor; configure offers no such build). */
int
main (int argc, char **argv)
{
  int status = run (argc, argv);

#if VFP_EXIT_HANDLERS_NEEDED
  return status;
#else
  fflush (stderr);
  _exit (status);
#endif
}
