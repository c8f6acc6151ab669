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
#include "vfp-names.h"

#define _(s) dgettext (GETTEXT_PACKAGE, s)

/* Reads all of stdin, keeping at most VFP_XML_MAX_SIZE + 1 bytes: libvirt
 * must see its pipe drained, and a huge input must not cost memory (the
 * full hook refuses what is over the limit). */
static char *
read_stdin (size_t *len)
{
  size_t cap = 65536, used = 0;
  char *buf = malloc (cap);
  char chunk[65536];
  ssize_t n;

  while (buf != NULL && (n = read (STDIN_FILENO, chunk, sizeof chunk)) != 0)
    {
      size_t keep;

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      keep = used > VFP_XML_MAX_SIZE ? 0 : (size_t) n;
      if (used + keep > cap)
        {
          char *bigger;

          while (used + keep > cap)
            cap *= 2;
          bigger = realloc (buf, cap);
          if (bigger == NULL)
            {
              free (buf);
              return NULL;
            }
          buf = bigger;
        }
      memcpy (buf + used, chunk, keep);
      used += keep;
    }
  *len = used;
  return buf;
}

/* Value of option NAME in ARG ("--name=V") or the next argument ("--name V");
 * advances *I past what it used. NULL when ARG is another option. */
static const char *
option (const char *name, char **argv, int argc, int *i)
{
  size_t n = strlen (name);

  if (strncmp (argv[*i], name, n) != 0)
    return NULL;
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

int
main (int argc, char **argv)
{
  const char *core = PKGLIBEXECDIR "/vfpool-hook-core";
  HookGateCall call = { 0 };
  char **core_argv = calloc (argc + 1, sizeof *core_argv);
  char *xml;
  size_t len = 0;
  int i, n = 1, unknown = 0, refuse = 0, err;

  xml = read_stdin (&len);
  if (core_argv == NULL || xml == NULL)
    {
      free (core_argv);
      free (xml);
      return 1;
    }
  /* The full hook's options (for tests and wrappers) go on to it; only
   * --hook-core is the front door's. An option it does not know goes on
   * too, and the full hook refuses it as it should. */
  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      const char *v;
      int first = i;

      if (strcmp (argv[i], "--") == 0)
        {
          core_argv[n++] = argv[i++];
          break;
        }
      if ((v = option ("--hook-core", argv, argc, &i)) != NULL)
        {
          core = v;
          continue;
        }
      if ((v = option ("--config", argv, argc, &i)) != NULL)
        call.config_path = v;
      else if ((v = option ("--state-dir", argv, argc, &i)) != NULL)
        call.state_dir = v;
      else if (option ("--sysfs-root", argv, argc, &i) == NULL
               && option ("--vfpool", argv, argc, &i) == NULL
               && option ("--template-dir", argv, argc, &i) == NULL)
        unknown = 1;
      for (; first <= i; first++)
        core_argv[n++] = argv[first];
    }
  /* NAME OP SUBOP EXTRA */
  call.op = i + 1 < argc ? argv[i + 1] : NULL;
  call.subop = i + 2 < argc ? argv[i + 2] : NULL;
  for (; i < argc; i++)
    core_argv[n++] = argv[i];
  core_argv[n] = NULL;
  call.xml = xml;
  call.xml_len = len;
  if (!unknown && hook_gate (&call, SYSCONFDIR "/vfpool/vfpool.conf",
                             LOCALSTATEDIR "/lib/vfpool") == HOOK_GATE_NOTHING_TO_DO)
    {
      free (core_argv);
      free (xml);
      return 0;
    }

  run_core (core, core_argv, xml, len);
  err = errno;
  /* A guard that cannot run must not let a guest start unchecked. */
  for (i = 1; i < argc; i++)
    refuse |= strcmp (argv[i], "prepare") == 0 || strcmp (argv[i], "migrate") == 0;
  setlocale (LC_CTYPE, "");     /* messages only, as vfpool does */
  setlocale (LC_MESSAGES, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  fprintf (stderr, _("vfpool hook: cannot run %s: %s\n"), core, strerror (err));
  free (core_argv);
  free (xml);
  return refuse ? 1 : 0;
}
