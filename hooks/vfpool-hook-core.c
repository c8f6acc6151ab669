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
#include "vfp-i18n.h"
#include "vfp-log.h"
#include "vfp-xml.h"

/* Reads all of stdin, keeping at most VFP_XML_MAX_SIZE + 1 bytes: libvirt
 * must see its pipe drained, and a huge input must not cost memory. */
static char *
read_stdin (gsize *len)
{
  GString *s = g_string_new (NULL);
  char buf[65536];
  gssize n;

  while ((n = read (STDIN_FILENO, buf, sizeof buf)) != 0)
    {
      if (n < 0)
        break;
      if (s->len <= VFP_XML_MAX_SIZE)
        g_string_append_len (s, buf, n);
    }
  *len = s->len;
  return g_string_free (s, FALSE);
}

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

int
main (int argc, char **argv)
{
  g_autofree char *config_path = NULL, *state_dir = NULL, *sysfs_root = NULL, *vfpool = NULL;
  g_autofree char *template_dir = NULL;
  GOptionEntry entries[] = {
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file", "FILE" },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir, "Lease store directory", "DIR" },
    { "sysfs-root", 0, 0, G_OPTION_ARG_FILENAME, &sysfs_root, "Directory that plays /sys", "DIR" },
    { "vfpool", 0, 0, G_OPTION_ARG_FILENAME, &vfpool, "The vfpool program (for reattach)", "PATH" },
    { "template-dir", 0, 0, G_OPTION_ARG_FILENAME, &template_dir, "Passed on to vfpool reattach", "DIR" },
    { NULL }
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("NAME OP SUBOP EXTRA");
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpConfig) config = NULL;
  g_autofree char *xml = NULL;
  VfpHookCall call = { 0 };
  VfpHookResult result;
  g_autofree char *bad_option = NULL;
  char **args;
  gsize len = 0;
  int nargs;
  guint i;

  setlocale (LC_CTYPE, "");     /* messages only, as vfpool does */
  setlocale (LC_MESSAGES, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  g_option_context_set_strict_posix (ctx, TRUE);
  g_option_context_add_main_entries (ctx, entries, NULL);
  xml = read_stdin (&len);
  if (g_option_context_parse (ctx, &argc, &argv, &error))
    args = argv + 1;
  else
    {
      /* A wrapper that passes a wrong option must not switch the guard off
       * silently, nor stop every guest: vfp_hook_run refuses only a guest
       * with vfpool devices. libvirt passes exactly NAME OP SUBOP EXTRA;
       * the wrong option may have taken a value: they are the last four. */
      bad_option = g_strdup (error->message);
      g_clear_error (&error);
      args = argc >= 5 ? argv + argc - 4 : argv + argc;
      g_clear_pointer (&config_path, g_free);
      g_clear_pointer (&state_dir, g_free);
    }
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
      /* Only a guest that brings VFs needs the pools on this host. */
      if (bad_option == NULL && g_strcmp0 (call.op, "migrate") == 0 && len > 0
          && strstr (xml, VFP_METADATA_NS) != NULL)
        {
          fprintf (stderr, "vfpool: %s\n", error->message);
          return 1;
        }
      call.config = config = vfp_config_load_data ("", "-", NULL);
    }
  vfp_hook_run (&call, &result);
  for (i = 0; i < result.events->len; i++)
    vfp_log_record (result.events->pdata[i]);
  if (result.message)
    {
      fprintf (stderr, "%s\n", result.message);
      vfp_log_event (result.message);
    }
  if (result.stdout_xml && (fputs (result.stdout_xml, stdout) == EOF || fflush (stdout) != 0))
    {
      /* libvirt would take a cut-off document, or none, as the guest's XML */
      g_autofree char *msg = g_strdup_printf (_("vfpool: cannot write the XML of guest %s for libvirt (%s); the migration stops. The VFs reserved for it are freed when libvirt cleans the guest up, or when their hold ends."),
                                              call.guest ? call.guest : "-", g_strerror (errno));

      fprintf (stderr, "%s\n", msg);
      vfp_log_event (msg);
      result.exit_code = 1;
    }
  if (result.reattach_uuid)
    spawn_reattach (vfpool ? vfpool : BINDIR "/vfpool", config_path, state_dir, sysfs_root,
                    template_dir, result.reattach_uuid);
  i = result.exit_code;
  vfp_hook_result_clear (&result);
  return i;
}
