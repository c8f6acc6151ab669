/* The qemu hook's rules, written once: which calls it acts on, what makes
 * a guest vfpool's concern for each, which options it takes, how it reads
 * stdin and what "the store names the guest" means. libc only: the front
 * door (hooks/vfpool-hook.c, which links nothing else) answers from these
 * rules without parsing anything, and the full hook (src/vfp-hook.c) acts
 * by the same rules on the parsed XML. No GLib here. */
#pragma once

#include <stddef.h>

/* What the hook does for a call (DESIGN.md §5, vfpool-hook(8) DUTIES). */
typedef enum {
  VFP_HOOK_PREPARE,         /* prepare begin: lease the guest's vfpool devices */
  VFP_HOOK_RELEASE,         /* release end: free what only the stopped guest used */
  VFP_HOOK_MIGRATE,         /* migrate begin: reserve local VFs for an incoming guest */
  VFP_HOOK_STARTED,         /* started begin: reattach what a migration detached */
  VFP_HOOK_RECONNECT,       /* reconnect begin: settle leases against the live XML */
} VfpHookDuty;

/* What makes a call vfpool's concern. Without it the duty changes nothing,
 * and the call returns before the lease store is opened. */
typedef enum {
  VFP_HOOK_NEEDS_DEVICE,    /* a device whose alias starts with VFP_ALIAS_PREFIX */
  VFP_HOOK_NEEDS_METADATA,  /* vfpool's <metadata> (VFP_METADATA_NS) with a VF in it */
  VFP_HOOK_NEEDS_LEASE,     /* the lease store's text names the guest's UUID */
  VFP_HOOK_NEEDS_DEVICE_OR_PROBE, /* a device as above, or a migration's capacity
                                   * probe: vfpool metadata with a <probe> marker
                                   * (the front door lets any vfpool metadata by) */
  VFP_HOOK_NEEDS_DEVICE_OR_LEASE, /* a device as above, or the store names the guest
                                   * (a detach that ended while libvirtd was down) */
} VfpHookNeed;

typedef struct {
  const char *op;
  const char *subop;
  VfpHookDuty duty;
  VfpHookNeed need;
  int refuses;              /* a guest it cannot check is refused (exit 1), not let through */
} VfpHookRule;

/* The rule of OP SUBOP, or NULL: the hook ignores that call (exit 0). */
const VfpHookRule *vfp_hook_rule_find (const char *op, const char *subop);
/* Whether some rule of operation OP refuses what it cannot check. */
int vfp_hook_op_refuses (const char *op);
/* Whether ALIAS (a device's <alias name>) makes the device vfpool's. */
int vfp_hook_alias_is_vfpool (const char *alias);

/* The hook's options, given before NAME (libvirt passes none; they are for
 * tests and wrappers). Each takes a value: --name=V or --name V. */
typedef enum {
  VFP_HOOK_OPT_CONFIG,
  VFP_HOOK_OPT_STATE_DIR,
  VFP_HOOK_OPT_SYSFS_ROOT,
  VFP_HOOK_OPT_VFPOOL,
  VFP_HOOK_OPT_TEMPLATE_DIR,
  VFP_HOOK_N_OPTIONS
} VfpHookOptionId;

typedef struct {
  const char *name;         /* without the leading "--" */
  const char *arg;          /* what the value is: FILE, DIR, PATH */
  const char *what;         /* one line for --help */
} VfpHookOption;

extern const VfpHookOption vfp_hook_options[VFP_HOOK_N_OPTIONS];

/* Reads FD to its end (libvirt must see its pipe drained), keeping at most
 * VFP_XML_MAX_SIZE + 1 bytes so that a huge input costs no memory; FEED,
 * when not NULL, sees every byte read. Returns the bytes kept (NUL added,
 * not counted in *LEN; free() them), or NULL when out of memory. */
char *vfp_hook_input_read (int fd, size_t *len,
                           void (*feed) (void *data, const char *buf, size_t len), void *data);

/* Whether the lease store in state directory DIR may hold a lease of one
 * of the N UUIDS: 1 when its text names one of them, or when it is there
 * but cannot be read whole (the store's own open then says why); 0 when it
 * names none, or when there is no store. */
int vfp_hook_store_mentions (const char *dir, const char *const *uuids, int n);

/* Reads a whole small regular file without following a symlink or waiting
 * on a FIFO; NULL with errno set when it cannot (EFBIG: larger than MAX, or
 * not a regular file). The bytes get a NUL after *LEN; free() them. */
char *vfp_hook_file_read (const char *path, size_t max, size_t *len);
