/* The settings of one VF as its PF's driver keeps them (the "vf N" lines of
 * `ip link show PF`): the value, its names, parsing and comparison. No
 * netlink here; vfp-vfnet.c reads and applies them. */
#pragma once

#include <glib.h>

#include "vfp-json.h"

/* The values of IFLA_VF_LINK_STATE_*. */
typedef enum {
  VFP_VF_LINK_AUTO = 0,      /* the VF's link follows the PF's */
  VFP_VF_LINK_ENABLE = 1,    /* always up */
  VFP_VF_LINK_DISABLE = 2,   /* always down */
} VfpVfLinkState;

/* One bit per setting; a VfpVfSettings says which of its members hold a
 * value, so that one type serves as a reading (what the PF reported) and
 * as a delta (what to apply). */
typedef enum {
  VFP_VF_MAC = 1 << 0,
  VFP_VF_VLAN = 1 << 1,      /* vlan and qos together */
  VFP_VF_SPOOFCHK = 1 << 2,
  VFP_VF_TRUST = 1 << 3,
  VFP_VF_LINK_STATE = 1 << 4,
  VFP_VF_MAX_TX_RATE = 1 << 5,
  VFP_VF_MIN_TX_RATE = 1 << 6,
  VFP_VF_QUERY_RSS = 1 << 7,
} VfpVfField;

#define VFP_VF_ALL_FIELDS 0xffu

typedef struct {
  guint index;               /* the VF's number on its PF */
  guint fields;              /* VfpVfField bits of the members that hold a value */
  guint8 mac[6];
  guint16 vlan;              /* 0: untagged */
  guint8 qos;
  gboolean spoofchk;
  gboolean trust;
  VfpVfLinkState link_state;
  guint32 max_tx_rate;       /* Mbit/s; 0: no limit */
  guint32 min_tx_rate;       /* Mbit/s; 0: no guarantee */
  gboolean query_rss;
} VfpVfSettings;

void vfp_vf_settings_baseline (VfpVfSettings *s, guint index);
gboolean vfp_vf_settings_parse_switch (const char *v, gboolean *out);
const char *vfp_vf_field_name (VfpVfField field);
VfpVfField vfp_vf_field_from_name (const char *name);
gboolean vfp_vf_settings_parse (VfpVfSettings *s, VfpVfField field, const char *value, GError **error);
const char *vfp_vf_link_state_name (VfpVfLinkState state);
char *vfp_vf_settings_value (const VfpVfSettings *s, VfpVfField field);
guint vfp_vf_settings_differ (const VfpVfSettings *want, const VfpVfSettings *have);
void vfp_vf_settings_merge (VfpVfSettings *into, const VfpVfSettings *over);
gboolean vfp_vf_settings_check (const VfpVfSettings *s, GError **error);
void vfp_vf_settings_json (VfpJson *json, const VfpVfSettings *s);
char *vfp_vf_settings_describe (const VfpVfSettings *s);
