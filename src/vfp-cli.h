/* What every vfpool command shares: the global options, output helpers and
 * exit codes. */
#pragma once

#include <glib.h>

#include "vfp-config.h"
#include "vfp-host.h"
#include "vfp-json.h"
#include "vfp-pool.h"
#include "vfp-state.h"
#include "vfp-workflow.h"

/* Exit codes, the same for every command. */
enum {
  VFP_EXIT_OK = 0,       /* done; for check and audit: nothing found */
  VFP_EXIT_FAILED = 1,   /* the operation failed, or check/audit found problems */
  VFP_EXIT_ERROR = 2,    /* bad usage, or vfpool could not do its work at all */
};

typedef struct {
  char *uri;             /* owned: -c, else uri= of the config, else LIBVIRT_DEFAULT_URI, else qemu:///system */
  gboolean uri_explicit; /* the user named a URI (option, config or environment) */
  char *config_path;     /* owned: --config */
  char *sysfs_root;      /* owned: --sysfs-root, default /sys */
  gboolean sysfs_default;
  char *template_dir;    /* owned: --template-dir, searched before the installed templates */
  char *state_dir;       /* owned: --state-dir, else state-dir=, else LOCALSTATEDIR/lib/vfpool */
  VfpConfig *config;     /* owned: loaded before the command runs */
  gboolean quiet;
  gboolean verbose;
  gboolean json;         /* the command's --json */
  gboolean json_printed; /* the command's JSON document is out */
  char *last_error;      /* owned: the last error printed, for the JSON error document */
} VfpCli;

typedef int (*VfpCommandFunc) (VfpCli *cli, int argc, char **argv);

typedef struct {
  const char *name;
  const char *summary;   /* N_() marked */
  VfpCommandFunc run;
} VfpCommand;

int vfp_cli_error (VfpCli *cli, int code, const char *fmt, ...) G_GNUC_PRINTF (3, 4);
void vfp_cli_warn (VfpCli *cli, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
GPtrArray *vfp_cli_warn_strays (VfpCli *cli, VfpHost *host, VfpState *state);

gboolean vfp_cli_parse (VfpCli *cli, const char *command, const char *args,
                        const char *summary, GOptionEntry *entries,
                        int *argc, char ***argv, int *exit_code);
VfpHost *vfp_cli_load_host (VfpCli *cli, VfpHostDetail detail, int *exit_code);
void vfp_cli_print_json (VfpCli *cli, VfpJson *json);
void vfp_cli_print_json_error (VfpCli *cli, int code);
gboolean vfp_cli_wants_json (int argc, char **argv);
VfpState *vfp_cli_open_state (VfpCli *cli, gboolean only_if_exists, int *exit_code);
gboolean vfp_cli_parse_duration (const char *text, gint64 *seconds);
void vfp_cli_print_events (VfpCli *cli, GPtrArray *events);
void vfp_cli_progress (VfpCli *cli, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
const char *vfp_cli_or_dash (const char *s);
void vfp_cli_print_quarantined (VfpState *state);
void vfp_cli_json_quarantined (VfpJson *json, VfpState *state);
void vfp_cli_json_explain (VfpJson *json, GPtrArray *explain);
char *vfp_cli_numa (int node);
void vfp_cli_json_function (VfpJson *json, VfpHost *host, const VfpFunction *fn);
char *vfp_cli_device_label (const char *vendor_name, const char *device_name,
                            guint vendor_id, guint device_id);
const char *vfp_cli_netdev (const VfpFunction *fn);

int vfp_cmd_status (VfpCli *cli, int argc, char **argv);
int vfp_cmd_list (VfpCli *cli, int argc, char **argv);
int vfp_cmd_pf (VfpCli *cli, int argc, char **argv);
int vfp_cmd_check (VfpCli *cli, int argc, char **argv);
int vfp_cmd_reserve (VfpCli *cli, int argc, char **argv);
int vfp_cmd_release (VfpCli *cli, int argc, char **argv);
int vfp_cmd_scrub (VfpCli *cli, int argc, char **argv);
int vfp_cmd_apply (VfpCli *cli, int argc, char **argv);
int vfp_cmd_attach (VfpCli *cli, int argc, char **argv);
int vfp_cmd_audit (VfpCli *cli, int argc, char **argv);
int vfp_cmd_detach (VfpCli *cli, int argc, char **argv);
int vfp_cmd_migrate (VfpCli *cli, int argc, char **argv);
int vfp_cmd_reattach (VfpCli *cli, int argc, char **argv);
int vfp_cmd_adopt_hardware (VfpCli *cli, int argc, char **argv);
const char *const *vfp_cli_template_dirs (VfpCli *cli);

VfpPool *vfp_cli_open_pool (VfpCli *cli, VfpHost **host, int *exit_code);
VfpPool *vfp_cli_begin (VfpCli *cli, VfpSysfs *sysfs, int *exit_code);
gboolean vfp_cli_commit (VfpCli *cli, VfpPool *pool);
void vfp_cli_workflow (VfpCli *cli, VfpSysfs *sysfs, VfpWorkflow *wf);
gboolean vfp_cli_set_numvfs (VfpCli *cli, VfpSysfs *sysfs, VfpPf *pf, guint n, guint wait_ms,
                             GError **error);
