/* Reading libvirt domain XML: the guest's identity, the PCI devices that
 * point at host functions, vfpool's metadata, and NUMA hints. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>

#include "vfp-addr.h"

#include "vfp-names.h"

/* A <hostdev type='pci'> or an <interface type='hostdev'>. */
typedef struct {
  VfpAddr addr;              /* the host function */
  gboolean is_interface;
  char *alias;               /* owned, or NULL */
  char *mac;                 /* owned, or NULL */
  int vlan;                  /* -1: none */
  char *teaming_persistent;  /* owned: failover partner, or NULL */
} VfpDomDevice;

/* One VF as vfpool's metadata in the guest describes it. */
typedef struct {
  char *alias;               /* owned */
  char *pool;                /* owned */
  char *address;             /* owned: the VF on the host that wrote it */
  char *mac;                 /* owned, or NULL */
  int vlan;                  /* -1: none */
  char *template;            /* owned: "interface" or "hostdev" */
  char *failover_of;         /* owned, or NULL */
} VfpMetaVf;

/* Any <interface> with an alias: failover partners are looked up here. */
typedef struct {
  char *alias;               /* owned */
  char *type;                /* owned: "network", "bridge", "hostdev", ... */
  char *mac;                 /* owned, or NULL */
  char *teaming;             /* owned: teaming/@type, or NULL */
} VfpDomNic;

typedef struct {
  char *name;                /* owned */
  char *uuid;                /* owned */
  int id;                    /* -1 when not running */
  GPtrArray *devices;        /* owned VfpDomDevice* */
  GPtrArray *meta;           /* owned VfpMetaVf*: vfpool's metadata */
  GPtrArray *nics;           /* owned VfpDomNic*: every <interface> with an alias */
  char *numa_nodeset;        /* owned: <numatune><memory nodeset>, or NULL */
  char *cpuset;              /* owned: <vcpu cpuset> or the first <vcpupin cpuset>, or NULL */
} VfpDomain;

VfpDomain *vfp_domxml_parse (const char *xml, gssize len, GError **error);
VfpDomain *vfp_domxml_read (xmlDoc *doc, GError **error);
void vfp_domain_free (VfpDomain *dom);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpDomain, vfp_domain_free)

VfpDomDevice *vfp_domain_find_device (VfpDomain *dom, const char *alias);
VfpDomDevice *vfp_domain_find_address (VfpDomain *dom, const VfpAddr *addr);
VfpMetaVf *vfp_domain_find_meta (VfpDomain *dom, const char *alias);
VfpDomNic *vfp_domain_find_nic (VfpDomain *dom, const char *alias);
int vfp_domain_numa_node (VfpDomain *dom, const char *sysfs_root);
char *vfp_domain_next_alias (VfpDomain *live, VfpDomain *config, GHashTable *taken);

char *vfp_metadata_build (GPtrArray *meta);
void vfp_metadata_add_vfs (xmlNode *parent, xmlNs *ns, GPtrArray *meta);
void vfp_meta_vf_free (VfpMetaVf *m);
