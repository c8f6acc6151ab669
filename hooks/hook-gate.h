/* Which qemu hook calls can concern vfpool at all, decided by the hook's
 * rules (src/vfp-hook-rules.h) from the raw domain XML and the raw lease
 * store with libc alone. libvirtd calls the hook for every start, stop and
 * migration of every guest and waits for it; most guests have no VF, and
 * for them loading GLib and libxml2 would be most of the cost (about 30
 * times the instructions of /bin/true, BENCHMARKS.md). The gate answers
 * "maybe" whenever it is not sure: then the full hook decides. */
#pragma once

#include <stddef.h>

typedef enum {
  HOOK_GATE_NOTHING_TO_DO,  /* this call cannot concern vfpool: exit 0 */
  HOOK_GATE_RUN_CORE,       /* run the full hook */
} HookGate;

/* What the whole of stdin holds, fed piece by piece as it is read: the
 * front door keeps only the first VFP_XML_MAX_SIZE + 1 bytes, but a larger
 * document can still be seen to name no vfpool device. */
typedef struct {
  size_t len;               /* bytes fed in all */
  int alias;                /* VFP_ALIAS_PREFIX somewhere */
  int metadata;             /* VFP_METADATA_NS somewhere */
  int hidden;               /* "<!", "&#" or a NUL byte: could hide a name */
  int domain_end;           /* "</domain>" somewhere */
  char carry[64];           /* the last bytes fed, for names cut between pieces */
  size_t carry_len;
} HookGateScan;

void hook_gate_scan_feed (HookGateScan *scan, const char *buf, size_t len);

typedef struct {
  const char *op;
  const char *subop;
  const char *xml;          /* stdin as read (at most VFP_XML_MAX_SIZE + 1 bytes) */
  size_t xml_len;
  const char *config_path;  /* --config, or NULL for the installed default */
  const char *state_dir;    /* --state-dir, or NULL: from the configuration */
  const HookGateScan *scan; /* all of stdin, or NULL when xml is all of it */
} HookGateCall;

HookGate hook_gate (const HookGateCall *call, const char *default_config,
                    const char *default_state_dir);
