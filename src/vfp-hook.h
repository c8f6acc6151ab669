/* The libvirt qemu hook's logic, pure: argv, the domain XML from stdin and
 * the lease store in; an exit code, a message for stderr and (for the
 * migrate filter) XML for stdout out. No libvirt here: a hook that called
 * back into libvirt would deadlock the daemon. */
#pragma once

#include <glib.h>

#include "vfp-config.h"

typedef struct {
  const char *guest;        /* argv[1]: the domain name */
  const char *op;           /* prepare, start, started, stopped, release, migrate, reconnect, ... */
  const char *subop;        /* begin, end, - */
  const char *xml;          /* stdin as read (vfp_hook_input_read): at most VFP_XML_MAX_SIZE + 1 bytes */
  gsize xml_len;
  const char *state_dir;
  VfpConfig *config;        /* loaded; pools resolved only when migrate needs VFs */
  const char *sysfs_root;
  guint lock_timeout_ms;
  const char *bad_option;   /* why the hook's options were refused, or NULL */
  const char *config_error; /* why the configuration did not load (CONFIG is then
                             * empty), or NULL: refuses only an incoming guest with VFs */
} VfpHookCall;

typedef struct {
  int exit_code;            /* 0, or 1 to make libvirt abort prepare/migrate */
  char *message;            /* owned: one line for stderr, or NULL */
  char *stdout_xml;         /* owned: the rewritten XML (migrate filter), or NULL */
  char *reattach_uuid;      /* owned: spawn `vfpool reattach --uuid` for it, or NULL */
  GPtrArray *events;        /* owned VfpEvent*: what changed, for the log */
} VfpHookResult;

void vfp_hook_run (const VfpHookCall *call, VfpHookResult *result);
void vfp_hook_result_clear (VfpHookResult *result);

/* How long reservations for a guest arriving by migration last. */
#define VFP_MIGRATION_HOLD_SECONDS 600
