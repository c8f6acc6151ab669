/* Runs before every library's constructor. GLib 2.74's slice allocator
 * (Debian 12) keeps each freed slice in its caches for reuse, and a
 * command that lists 2000 guests frees 2000 of libvirt's virDomain
 * objects (GObjects, allocated as slices) that nothing reuses: 0.3 MB of
 * the 20 MB a command may take. GLib 2.76 replaced the slice allocator by
 * plain malloc; this asks 2.74 for the same. It can only be asked before
 * the first slice is allocated, which GLib's own constructor does, so it
 * is asked from the executable's preinit array: the dynamic linker runs it
 * after relocating every library and before initialising any. The call
 * sets a static flag (GLib's G_SLICE environment variable, read later,
 * still applies; libc has not set up the environment this early). */
#include "config.h"

#include <glib.h>

static void
slices_from_malloc (int argc, char **argv, char **envp)
{
  (void) argc;
  (void) argv;
  (void) envp;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_slice_set_config (G_SLICE_CONFIG_ALWAYS_MALLOC, TRUE);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

__attribute__ ((section (".preinit_array"), used))
static void (*const preinit) (int, char **, char **) = slices_from_malloc;
