/* /etc/vfpool/vfpool.conf (GKeyFile): pools, their policies and paths. */
#pragma once

#include <glib.h>

#include "vfp-sysfs.h"
#include "vfp-vf-settings.h"

typedef enum { VFP_POLICY_SPREAD, VFP_POLICY_PACK } VfpPolicy;
typedef enum { VFP_NUMA_PREFER, VFP_NUMA_REQUIRE, VFP_NUMA_IGNORE } VfpNumaMode;
typedef enum { VFP_TEMPLATE_AUTO, VFP_TEMPLATE_INTERFACE, VFP_TEMPLATE_HOSTDEV } VfpTemplateKind;

/* An inclusive range of VF indexes. */
typedef struct {
  guint first;
  guint last;
} VfpRange;

typedef struct {
  char *name;
  char **pf_specs;           /* owned: netdev names, PCI addresses or vendor:device */
  GArray *vfs;               /* owned VfpRange[]; NULL: every VF */
  GArray *exclude;           /* owned VfpRange[] of indexes to leave out */
  char **exclude_addrs;      /* owned: VF addresses to leave out */
  int numvfs;                /* VFs to create at boot; -1: leave alone */
  VfpTemplateKind template;  /* AUTO: interface for NICs, hostdev otherwise */
  int vlan;                  /* default VLAN; -1: none */
  int spoofchk;              /* -1 unset, 0 off, 1 on */
  int trust;                 /* -1 unset, 0 off, 1 on */
  VfpPolicy policy;
  VfpNumaMode numa;
  gboolean allow_shared_group;
  VfpVfSettings vf;          /* spoofchk=, trust=, link-state=, max-tx-rate=,
                              * min-tx-rate=, query-rss=: vf.fields says which
                              * were set; applied through the PF */
  GPtrArray *pfs;            /* VfpPf* (not owned) after vfp_config_resolve */
} VfpPoolConfig;

typedef struct {
  char *path;                /* owned: the file read, or NULL when none */
  char *default_pool;        /* owned, or NULL: the only pool, if there is one */
  char *state_dir;           /* owned, or NULL: the built-in default */
  char *uri;                 /* owned, or NULL */
  char *log_file;            /* owned: log-file=, or NULL */
  GPtrArray *pools;          /* owned VfpPoolConfig*, in file order */
} VfpConfig;

VfpConfig *vfp_config_load (const char *path, gboolean must_exist, GError **error);
VfpConfig *vfp_config_load_data (const char *data, const char *name, GError **error);
gboolean vfp_config_resolve (VfpConfig *config, VfpSysfs *sysfs, GError **error);
void vfp_config_free (VfpConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpConfig, vfp_config_free)

VfpPoolConfig *vfp_config_find_pool (VfpConfig *config, const char *name);
VfpPoolConfig *vfp_config_pool_for (VfpConfig *config, const char *name, GError **error);
VfpPoolConfig *vfp_config_pool_of_pf (VfpConfig *config, const char *pf_address);
gboolean vfp_pool_config_has_index (const VfpPoolConfig *pool, guint index);
gboolean vfp_pool_config_excludes (const VfpPoolConfig *pool, guint index, const char *address);
const char *vfp_policy_name (VfpPolicy policy);
