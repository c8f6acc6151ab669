/* The full qemu hook, run by the front door (vfpool-hook.c, installed as
 * /etc/libvirt/hooks/qemu.d/vfpool) for calls that may concern vfpool, with
 * the same arguments (`NAME OP SUBOP EXTRA`) and the domain XML on stdin.
 * libvirtd waits for it: it must answer in milliseconds, never block and
 * never call libvirt (that deadlocks the daemon). It links libvfpool-core
 * only, so it cannot. Options before NAME are for tests and wrappers. */
#include "config.h"

#include <errno.h>

#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vfp-domxml.h"
#include "vfp-hook.h"
#include "vfp-hook-rules.h"
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-xml.h"

/* The reattach helper must not keep libvirt waiting: GLib's double fork
 * makes it a child of init, setsid detaches it from the session, and its
 * stdio goes to /dev/null so libvirt sees our pipes close. */
static void
detach_session (gpointer data)
{
  setsid ();
}

static void
spawn_reattach (const char *vfpool, const char *config, const char *state_dir,
                const char *sysfs_root, const char *template_dir, const char *uuid)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, (gpointer) vfpool);
  if (config)
    {
      g_ptr_array_add (argv, (gpointer) "--config");
      g_ptr_array_add (argv, (gpointer) config);
    }
  if (state_dir)
    {
      g_ptr_array_add (argv, (gpointer) "--state-dir");
      g_ptr_array_add (argv, (gpointer) state_dir);
    }
  if (sysfs_root)
    {
      g_ptr_array_add (argv, (gpointer) "--sysfs-root");
      g_ptr_array_add (argv, (gpointer) sysfs_root);
    }
  if (template_dir)
    {
      g_ptr_array_add (argv, (gpointer) "--template-dir");
      g_ptr_array_add (argv, (gpointer) template_dir);
    }
  g_ptr_array_add (argv, (gpointer) "reattach");
  g_ptr_array_add (argv, (gpointer) "--uuid");
  g_ptr_array_add (argv, (gpointer) uuid);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_async (NULL, (char **) argv->pdata, NULL,
                      G_SPAWN_STDIN_FROM_DEV_NULL | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                      detach_session, NULL, NULL, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("Cannot start 'vfpool reattach' for guest %s: %s"), uuid, error->message);

      vfp_log_event (msg);
    }
}

/* Parses the options of vfp-hook-rules.c from ARGV into VALUES (their
 * strings the caller's to free) and returns the call's arguments NAME OP
 * SUBOP EXTRA, borrowed from ARGV. A wrong option is no error: its message
 * goes to *bad_option (caller frees) and the --config and --state-dir it
 * may have mixed up are dropped. */
static char **
options_parse (int *argc, char ***argv, char **values[], char **bad_option)
{
  GOptionEntry entries[VFP_HOOK_N_OPTIONS + 1] = { { NULL } };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("NAME OP SUBOP EXTRA");
  g_autoptr (GError) error = NULL;
  guint i;

  for (i = 0; i < VFP_HOOK_N_OPTIONS; i++)
    entries[i] = (GOptionEntry) { vfp_hook_options[i].name, 0, 0, G_OPTION_ARG_FILENAME, values[i],
                                  vfp_hook_options[i].what, vfp_hook_options[i].arg };
  g_option_context_set_strict_posix (ctx, TRUE);
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (g_option_context_parse (ctx, argc, argv, &error))
    return *argv + 1;
  /* A wrapper that passes a wrong option must not switch the guard off
   * silently, nor stop every guest: vfp_hook_run refuses only a guest
   * with vfpool devices. libvirt passes exactly NAME OP SUBOP EXTRA;
   * the wrong option may have taken a value: they are the last four. */
  *bad_option = g_strdup (error->message);
  g_clear_pointer (values[VFP_HOOK_OPT_CONFIG], g_free);
  g_clear_pointer (values[VFP_HOOK_OPT_STATE_DIR], g_free);
  return *argc >= 5 ? *argv + *argc - 4 : *argv + *argc;
}

/* Shows, logs and hands libvirt what RESULT of CALL says (the events, the
 * message, the guest's XML on stdout); a failed write of that XML turns
 * RESULT's exit code into 1. */
static void
result_deliver (const VfpHookCall *call, VfpHookResult *result)
{
  guint i;

  for (i = 0; i < result->events->len; i++)
    vfp_log_record (result->events->pdata[i]);
  if (result->message)
    {
      fprintf (stderr, "%s\n", result->message);
      vfp_log_event (result->message);
    }
  if (result->stdout_xml && (fputs (result->stdout_xml, stdout) == EOF || fflush (stdout) != 0))
    {
      /* libvirt would take a cut-off document, or none, as the guest's XML */
      g_autofree char *msg = g_strdup_printf (_("vfpool: cannot write the XML of guest %s for libvirt (%s); the migration stops. The VFs reserved for it are freed when libvirt cleans the guest up, or when their hold ends."),
                                              call->guest ? call->guest : "-", g_strerror (errno));

      fprintf (stderr, "%s\n", msg);
      vfp_log_event (msg);
      result->exit_code = 1;
    }
}

/* The full hook: reads the call, runs vfp_hook_run and delivers its result. */
int
main (int argc, char **argv)
{
  g_autofree char *config_path = NULL, *state_dir = NULL, *sysfs_root = NULL, *vfpool = NULL;
  g_autofree char *template_dir = NULL;
  /* the options of vfp-hook-rules.c, which the front door passes on */
  char **values[VFP_HOOK_N_OPTIONS] = {
    [VFP_HOOK_OPT_CONFIG] = &config_path,
    [VFP_HOOK_OPT_STATE_DIR] = &state_dir,
    [VFP_HOOK_OPT_SYSFS_ROOT] = &sysfs_root,
    [VFP_HOOK_OPT_VFPOOL] = &vfpool,
    [VFP_HOOK_OPT_TEMPLATE_DIR] = &template_dir,
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpConfig) config = NULL;
  g_autofree char *xml = NULL;   /* malloc()ed: g_free is free() */
  VfpHookCall call = { 0 };
  VfpHookResult result;
  g_autofree char *bad_option = NULL;
  char **args;
  gsize len = 0;
  int nargs;
  int code;

  setlocale (LC_CTYPE, "");     /* messages only, as vfpool does */
  setlocale (LC_MESSAGES, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  /* the front door's bytes (an anonymous memory file), or libvirt's pipe */
  xml = vfp_hook_input_read (STDIN_FILENO, &len, NULL, NULL);
  if (xml == NULL)
    return 1;
  args = options_parse (&argc, &argv, values, &bad_option);
  nargs = argv + argc - args;
  /* The configuration matters only where VFs are chosen (migrate); a broken
   * one must not stop every other guest from starting. */
  if (bad_option == NULL)
    config = vfp_config_load (config_path ? config_path : SYSCONFDIR "/vfpool/vfpool.conf",
                              config_path != NULL, &error);
  if (config != NULL && config->log_file != NULL)
    vfp_log_set_file (config->log_file);
  {
    g_autofree char *who = g_strdup_printf ("hook %s %s", nargs > 1 ? args[1] : "-", nargs > 2 ? args[2] : "-");

    vfp_log_set_who (who);
  }
  call.guest = nargs > 0 ? args[0] : NULL;
  call.op = nargs > 1 ? args[1] : NULL;
  call.subop = nargs > 2 ? args[2] : NULL;
  call.bad_option = bad_option;
  call.xml = xml;
  call.xml_len = len;
  call.config = config;
  call.state_dir = state_dir ? state_dir
                   : config && config->state_dir ? config->state_dir : LOCALSTATEDIR "/lib/vfpool";
  call.sysfs_root = sysfs_root ? sysfs_root : "/sys";
  call.lock_timeout_ms = 3000;
  if (config == NULL)
    {
      /* only a guest that brings VFs needs the pools on this host: the
       * migrate duty refuses it, saying why */
      if (bad_option == NULL)
        call.config_error = error->message;
      call.config = config = vfp_config_load_data ("", "-", NULL);
    }
  vfp_hook_run (&call, &result);
  result_deliver (&call, &result);
  if (result.reattach_uuid)
    spawn_reattach (vfpool ? vfpool : BINDIR "/vfpool", config_path, state_dir, sysfs_root,
                    template_dir, result.reattach_uuid);
  code = result.exit_code;
  vfp_hook_result_clear (&result);
  return code;
}
