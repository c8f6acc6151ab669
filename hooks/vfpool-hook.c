/* The libvirt qemu hook, installed as /etc/libvirt/hooks/qemu.d/vfpool.
 * libvirtd runs it as `vfpool NAME OP SUBOP EXTRA` with the domain XML on
 * stdin for every start, stop and migration of every guest, and waits. This
 * front door links nothing but libc: it reads stdin, asks the gate whether
 * the call can concern vfpool, and only then runs the full hook
 * ($(pkglibexecdir)/vfpool-hook-core) with the same arguments and the same
 * bytes on stdin. Neither ever calls libvirt (that deadlocks the daemon). */
#include "config.h"

#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hook-gate.h"
#include "vfp-hook-rules.h"
#include "vfp-names.h"

#define _(s) dgettext (GETTEXT_PACKAGE, s)

/* Feeds what is read of stdin to the gate's scan, so that a large guest
 * without vfpool devices is seen to be one (only the first
 * VFP_XML_MAX_SIZE + 1 bytes are kept). */
static void
feed_scan (void *scan, const char *buf, size_t len)
{
  hook_gate_scan_feed (scan, buf, len);
}

/* Value of option --NAME in ARG ("--name=V") or the next argument
 * ("--name V"); advances *I past what it used. NULL when ARG is another
 * option. */
static const char *
option (const char *name, char **argv, int argc, int *i)
{
  size_t n = strlen (name);

  if (strncmp (argv[*i], "--", 2) != 0 || strncmp (argv[*i] + 2, name, n) != 0)
    return NULL;
  n += 2;
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (argv[*i][n] == '\0' && *i + 1 < argc)
    return argv[++*i];
  return NULL;
}

/* Gives the full hook the bytes already read as its stdin (an anonymous
 * memory file: no path anyone could plant) and becomes it. Returns only
 * when that fails. */
static void
run_core (const char *core, char **argv, const char *xml, size_t len)
{
  int fd = memfd_create ("vfpool-hook-stdin", 0);
  size_t done = 0;

  if (fd < 0)
    return;
  while (done < len)
    {
      ssize_t n = write (fd, xml + done, len - done);

      if (n <= 0)
        return;
      done += n;
    }
  if (lseek (fd, 0, SEEK_SET) != 0 || dup2 (fd, STDIN_FILENO) < 0)
    return;
  close (fd);
  argv[0] = (char *) core;
  execv (core, argv);
}

/* Messages in the user's language (libvirt runs hooks with LC_ALL=C). */
static void
init_i18n (void)
{
  setlocale (LC_CTYPE, "");     /* messages only, as vfpool does */
  setlocale (LC_MESSAGES, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
}

/* --help, answered here: the full hook may be missing, and only the front
 * door knows --hook-core. */
static int
usage (const char *core)
{
  init_i18n ();
  printf (_("Usage: vfpool-hook [OPTION...] NAME OP SUBOP EXTRA < domain.xml\n"
            "The libvirt qemu hook of vfpool: libvirtd runs it for every start, stop and\n"
            "migration of a guest. The options are for tests and wrappers (vfpool-hook(8)).\n"
            "\n"
            "  --config=FILE        the configuration file\n"
            "  --state-dir=DIR      the directory of the lease store\n"
            "  --sysfs-root=DIR     the directory that plays /sys\n"
            "  --vfpool=PATH        the vfpool program that runs reattach\n"
            "  --template-dir=DIR   passed on to vfpool reattach\n"
            "  --hook-core=PATH     the full hook to run (default %s)\n"
            "  -h, --help           print this help\n"), core);
  return fflush (stdout) == 0 ? 0 : 1;
}

/* Sorts ARGV: the full hook's options and NAME OP SUBOP EXTRA go to
 * CORE_ARGV (from 1 on, NULL-terminated; argc + 1 entries, the strings
 * borrowed from ARGV), --hook-core to *core, what the gate needs (OP, SUBOP,
 * --config, --state-dir) to CALL, the first option this door does not
 * know to *unknown. Returns 1 when --help was asked for, before the rest
 * is sorted; 0 otherwise. */
static int
args_sort (int argc, char **argv, char **core_argv, HookGateCall *call,
           const char **core, const char **unknown)
{
  int i, o, n = 1;

  /* The full hook's options (for tests and wrappers) go on to it; only
   * --hook-core and --help are the front door's. */
  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      const char *v;
      int first = i;

      if (strcmp (argv[i], "--") == 0)
        {
          core_argv[n++] = argv[i++];
          break;
        }
      /* before stdin is read: from a terminal, it would wait for input */
      if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-?") == 0)
        return 1;
      if ((v = option ("hook-core", argv, argc, &i)) != NULL)
        {
          *core = v;
          continue;
        }
      for (o = 0; o < VFP_HOOK_N_OPTIONS; o++)
        if ((v = option (vfp_hook_options[o].name, argv, argc, &i)) != NULL)
          break;
      if (o == VFP_HOOK_OPT_CONFIG)
        call->config_path = v;
      else if (o == VFP_HOOK_OPT_STATE_DIR)
        call->state_dir = v;
      else if (o == VFP_HOOK_N_OPTIONS && *unknown == NULL)
        *unknown = argv[i];
      for (; first <= i; first++)
        core_argv[n++] = argv[first];
    }
  /* NAME OP SUBOP EXTRA. libvirt passes exactly these four: after an
   * option this door does not know (which may have taken a value), they
   * are the last four arguments. */
  if (*unknown != NULL && argc - i >= 4)
    {
      call->op = argv[argc - 3];
      call->subop = argv[argc - 2];
    }
  else
    {
      call->op = i + 1 < argc ? argv[i + 1] : NULL;
      call->subop = i + 2 < argc ? argv[i + 2] : NULL;
    }
  for (; i < argc; i++)
    core_argv[n++] = argv[i];
  core_argv[n] = NULL;
  return 0;
}

/* The full hook CORE could not be run (errno ERR): says so, and returns
 * the exit status, 1 for a call that refuses what it cannot check. */
static int
core_failed (const char *core, int err, int argc, char **argv)
{
  int i, refuse = 0;

  /* A guard that cannot run must not let a guest start unchecked. */
  for (i = 1; i < argc; i++)
    refuse |= vfp_hook_op_refuses (argv[i]);
  init_i18n ();
  fprintf (stderr, _("vfpool hook: cannot run %s: %s\n"), core, strerror (err));
  return refuse ? 1 : 0;
}

/* The front door: reads stdin once, and runs the full hook only for a
 * call the gate says may concern vfpool. */
int
main (int argc, char **argv)
{
  const char *core = PKGLIBEXECDIR "/vfpool-hook-core";
  HookGateCall call = { 0 };
  HookGateScan scan = { 0 };
  char **core_argv = calloc (argc + 1, sizeof *core_argv);
  const char *unknown = NULL;
  char *xml;
  size_t len = 0;
  int code;

  if (core_argv == NULL)
    return 1;
  if (args_sort (argc, argv, core_argv, &call, &core, &unknown))
    {
      free (core_argv);
      return usage (core);
    }

  xml = vfp_hook_input_read (STDIN_FILENO, &len, feed_scan, &scan);
  if (xml == NULL)
    {
      free (core_argv);
      return 1;
    }
  call.xml = xml;
  call.xml_len = len;
  call.scan = &scan;
  /* An option this door does not know matters only where the full hook
   * would act: there, the full hook reports it (and refuses a guest with
   * vfpool devices); a guest without them must not be stopped by a typo. */
  if (hook_gate (&call, SYSCONFDIR "/vfpool/vfpool.conf",
                 LOCALSTATEDIR "/lib/vfpool") == HOOK_GATE_NOTHING_TO_DO)
    {
      if (unknown != NULL)
        {
          init_i18n ();
          fprintf (stderr, _("vfpool hook: unknown option %s ignored; this call concerns no vfpool device.\n"),
                   unknown);
        }
      free (core_argv);
      free (xml);
      return 0;
    }

  run_core (core, core_argv, xml, len);
  code = core_failed (core, errno, argc, argv);
  free (core_argv);
  free (xml);
  return code;
}
