/* VF settings as values: names (the config keys), parsing, comparison.
 * A VfpVfSettings carries a mask of the members that hold a value, so that
 * "the PF does not report trust" and "leave trust alone" are expressible. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-vf-settings.h"

static gboolean vfp_vf_mac_parse (const char *text, guint8 mac[6]);
static gboolean vfp_vf_link_state_parse (const char *text, VfpVfLinkState *out);

/* Fills S with the baseline a free VF returns to: no MAC, untagged, spoof
 * checking on, not trusted, link following the PF, no rate limits, no RSS
 * query. */
void
vfp_vf_settings_baseline (VfpVfSettings *s, guint index)
{
  memset (s, 0, sizeof *s);
  s->index = index;
  s->fields = VFP_VF_ALL_FIELDS;
  s->spoofchk = TRUE;
  s->link_state = VFP_VF_LINK_AUTO;
}

/* The name of FIELD as the configuration and the messages spell it
 * (static, untranslated: it is a key). */
const char *
vfp_vf_field_name (VfpVfField field)
{
  switch (field)
    {
    case VFP_VF_MAC: return "mac";
    case VFP_VF_VLAN: return "vlan";
    case VFP_VF_SPOOFCHK: return "spoofchk";
    case VFP_VF_TRUST: return "trust";
    case VFP_VF_LINK_STATE: return "link-state";
    case VFP_VF_MAX_TX_RATE: return "max-tx-rate";
    case VFP_VF_MIN_TX_RATE: return "min-tx-rate";
    case VFP_VF_QUERY_RSS: return "query-rss";
    }
  return "?";
}

/* The field a config key or option names ("max-tx-rate"), or 0. */
VfpVfField
vfp_vf_field_from_name (const char *name)
{
  guint f;

  for (f = 1; f <= VFP_VF_ALL_FIELDS; f <<= 1)
    if (strcmp (name, vfp_vf_field_name (f)) == 0)
      return f;
  return 0;
}

/* Reads on/off the way GKeyFile's booleans are written, plus yes/no, 1/0
 * (vfpool.conf's switches too). */
gboolean
vfp_vf_settings_parse_switch (const char *v, gboolean *out)
{
  if (g_ascii_strcasecmp (v, "on") == 0 || g_ascii_strcasecmp (v, "true") == 0
      || g_ascii_strcasecmp (v, "yes") == 0 || strcmp (v, "1") == 0)
    *out = TRUE;
  else if (g_ascii_strcasecmp (v, "off") == 0 || g_ascii_strcasecmp (v, "false") == 0
           || g_ascii_strcasecmp (v, "no") == 0 || strcmp (v, "0") == 0)
    *out = FALSE;
  else
    return FALSE;
  return TRUE;
}

/* Reads VALUE as FIELD into S (and marks the field set). ERROR is a
 * fragment naming the value and what is expected, for the caller to put
 * after the key ("file: [pool a] max-tx-rate: ..."). */
gboolean
vfp_vf_settings_parse (VfpVfSettings *s, VfpVfField field, const char *value, GError **error)
{
  guint64 n;

  switch (field)
    {
    case VFP_VF_MAC:
      if (!vfp_vf_mac_parse (value, s->mac))
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       _("'%s' is not a MAC address like 52:54:00:12:34:56"), value);
          return FALSE;
        }
      break;
    case VFP_VF_VLAN:
      if (!g_ascii_string_to_unsigned (value, 10, 0, 4094, &n, NULL))
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       _("'%s' is not a VLAN id from 0 (untagged) to 4094"), value);
          return FALSE;
        }
      s->vlan = n;
      s->qos = 0;
      break;
    case VFP_VF_SPOOFCHK:
    case VFP_VF_TRUST:
    case VFP_VF_QUERY_RSS:
      if (!vfp_vf_settings_parse_switch (value, field == VFP_VF_SPOOFCHK ? &s->spoofchk
                                : field == VFP_VF_TRUST ? &s->trust : &s->query_rss))
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID, _("'%s' is not on or off"), value);
          return FALSE;
        }
      break;
    case VFP_VF_LINK_STATE:
      if (!vfp_vf_link_state_parse (value, &s->link_state))
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       _("'%s' is not auto, enable or disable"), value);
          return FALSE;
        }
      break;
    case VFP_VF_MAX_TX_RATE:
    case VFP_VF_MIN_TX_RATE:
      if (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT32, &n, NULL))
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       _("'%s' is not a rate in Mbit/s (a whole number; 0: none)"), value);
          return FALSE;
        }
      if (field == VFP_VF_MAX_TX_RATE)
        s->max_tx_rate = n;
      else
        s->min_tx_rate = n;
      break;
    default:
      g_return_val_if_reached (FALSE);
    }
  s->fields |= field;
  return TRUE;
}

/* "auto", "enable" or "disable" (static), the words of `ip link set ... state`. */
const char *
vfp_vf_link_state_name (VfpVfLinkState state)
{
  switch (state)
    {
    case VFP_VF_LINK_AUTO: return "auto";
    case VFP_VF_LINK_ENABLE: return "enable";
    case VFP_VF_LINK_DISABLE: return "disable";
    }
  return "?";
}

/* Reads auto|enable|disable into OUT; FALSE for anything else. */
static gboolean
vfp_vf_link_state_parse (const char *text, VfpVfLinkState *out)
{
  VfpVfLinkState s;

  for (s = VFP_VF_LINK_AUTO; s <= VFP_VF_LINK_DISABLE; s++)
    if (strcmp (text, vfp_vf_link_state_name (s)) == 0)
      {
        *out = s;
        return TRUE;
      }
  return FALSE;
}

/* Reads "52:54:00:12:34:56" (either case, six pairs of hex digits). */
static gboolean
vfp_vf_mac_parse (const char *text, guint8 mac[6])
{
  guint i;

  if (strlen (text) != 17)
    return FALSE;
  for (i = 0; i < 6; i++)
    {
      int hi = g_ascii_xdigit_value (text[3 * i]);
      int lo = g_ascii_xdigit_value (text[3 * i + 1]);

      if (hi < 0 || lo < 0 || (i < 5 && text[3 * i + 2] != ':'))
        return FALSE;
      mac[i] = hi << 4 | lo;
    }
  return TRUE;
}

static const char *
on_off (gboolean v)
{
  return v ? "on" : "off";
}

/* FIELD of S as text ("on", "100", "52:54:00:12:34:56", "100 qos 3"), or
 * "-" when S holds no value for it; the caller frees. */
char *
vfp_vf_settings_value (const VfpVfSettings *s, VfpVfField field)
{
  if ((s->fields & field) == 0)
    return g_strdup ("-");
  switch (field)
    {
    case VFP_VF_MAC:
      return g_strdup_printf ("%02x:%02x:%02x:%02x:%02x:%02x", s->mac[0], s->mac[1],
                              s->mac[2], s->mac[3], s->mac[4], s->mac[5]);
    case VFP_VF_VLAN:
      return s->qos ? g_strdup_printf ("%u qos %u", s->vlan, s->qos) : g_strdup_printf ("%u", s->vlan);
    case VFP_VF_SPOOFCHK: return g_strdup (on_off (s->spoofchk));
    case VFP_VF_TRUST: return g_strdup (on_off (s->trust));
    case VFP_VF_LINK_STATE: return g_strdup (vfp_vf_link_state_name (s->link_state));
    case VFP_VF_MAX_TX_RATE: return g_strdup_printf ("%u", s->max_tx_rate);
    case VFP_VF_MIN_TX_RATE: return g_strdup_printf ("%u", s->min_tx_rate);
    case VFP_VF_QUERY_RSS: return g_strdup (on_off (s->query_rss));
    }
  return g_strdup ("?");
}

/* The fields WANT holds that HAVE lacks or holds with another value. */
guint
vfp_vf_settings_differ (const VfpVfSettings *want, const VfpVfSettings *have)
{
  guint out = want->fields & ~have->fields;
  guint both = want->fields & have->fields;

  if ((both & VFP_VF_MAC) && memcmp (want->mac, have->mac, 6) != 0)
    out |= VFP_VF_MAC;
  if ((both & VFP_VF_VLAN) && (want->vlan != have->vlan || want->qos != have->qos))
    out |= VFP_VF_VLAN;
  if ((both & VFP_VF_SPOOFCHK) && !want->spoofchk != !have->spoofchk)
    out |= VFP_VF_SPOOFCHK;
  if ((both & VFP_VF_TRUST) && !want->trust != !have->trust)
    out |= VFP_VF_TRUST;
  if ((both & VFP_VF_LINK_STATE) && want->link_state != have->link_state)
    out |= VFP_VF_LINK_STATE;
  if ((both & VFP_VF_MAX_TX_RATE) && want->max_tx_rate != have->max_tx_rate)
    out |= VFP_VF_MAX_TX_RATE;
  if ((both & VFP_VF_MIN_TX_RATE) && want->min_tx_rate != have->min_tx_rate)
    out |= VFP_VF_MIN_TX_RATE;
  if ((both & VFP_VF_QUERY_RSS) && !want->query_rss != !have->query_rss)
    out |= VFP_VF_QUERY_RSS;
  return out;
}

/* Copies the fields OVER holds into INTO: an attach's options over its
 * pool's defaults. */
void
vfp_vf_settings_merge (VfpVfSettings *into, const VfpVfSettings *over)
{
  if (over->fields & VFP_VF_MAC)
    memcpy (into->mac, over->mac, 6);
  if (over->fields & VFP_VF_VLAN)
    {
      into->vlan = over->vlan;
      into->qos = over->qos;
    }
  if (over->fields & VFP_VF_SPOOFCHK)
    into->spoofchk = over->spoofchk;
  if (over->fields & VFP_VF_TRUST)
    into->trust = over->trust;
  if (over->fields & VFP_VF_LINK_STATE)
    into->link_state = over->link_state;
  if (over->fields & VFP_VF_MAX_TX_RATE)
    into->max_tx_rate = over->max_tx_rate;
  if (over->fields & VFP_VF_MIN_TX_RATE)
    into->min_tx_rate = over->min_tx_rate;
  if (over->fields & VFP_VF_QUERY_RSS)
    into->query_rss = over->query_rss;
  into->fields |= over->fields;
}

/* Refuses settings no driver could take: a guaranteed rate above the
 * limit, a VLAN id or priority out of range. */
gboolean
vfp_vf_settings_check (const VfpVfSettings *s, GError **error)
{
  if ((s->fields & VFP_VF_MIN_TX_RATE) && (s->fields & VFP_VF_MAX_TX_RATE)
      && s->max_tx_rate != 0 && s->min_tx_rate > s->max_tx_rate)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("min-tx-rate %u is above max-tx-rate %u; the guaranteed rate cannot exceed the limit."),
                   s->min_tx_rate, s->max_tx_rate);
      return FALSE;
    }
  if ((s->fields & VFP_VF_VLAN) && (s->vlan > 4094 || s->qos > 7))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("VLAN %u with priority %u is out of range; use a VLAN id from 1 to 4094 and a priority from 0 to 7."),
                   s->vlan, s->qos);
      return FALSE;
    }
  return TRUE;
}

/* Writes S as one JSON object; a setting the PF did not report is null. */
void
vfp_vf_settings_json (VfpJson *json, const VfpVfSettings *s)
{
  g_autofree char *mac = vfp_vf_settings_value (s, VFP_VF_MAC);

  vfp_json_begin_object (json);
  vfp_json_member_int (json, "vf", s->index);
  vfp_json_member_string (json, "mac", (s->fields & VFP_VF_MAC) ? mac : NULL);
  vfp_json_key (json, "vlan");
  (s->fields & VFP_VF_VLAN) ? vfp_json_int (json, s->vlan) : vfp_json_null (json);
  vfp_json_key (json, "qos");
  (s->fields & VFP_VF_VLAN) ? vfp_json_int (json, s->qos) : vfp_json_null (json);
  vfp_json_key (json, "spoofchk");
  (s->fields & VFP_VF_SPOOFCHK) ? vfp_json_bool (json, s->spoofchk) : vfp_json_null (json);
  vfp_json_key (json, "trust");
  (s->fields & VFP_VF_TRUST) ? vfp_json_bool (json, s->trust) : vfp_json_null (json);
  vfp_json_member_string (json, "link_state",
                          (s->fields & VFP_VF_LINK_STATE) ? vfp_vf_link_state_name (s->link_state) : NULL);
  vfp_json_key (json, "max_tx_rate");
  (s->fields & VFP_VF_MAX_TX_RATE) ? vfp_json_int (json, s->max_tx_rate) : vfp_json_null (json);
  vfp_json_key (json, "min_tx_rate");
  (s->fields & VFP_VF_MIN_TX_RATE) ? vfp_json_int (json, s->min_tx_rate) : vfp_json_null (json);
  vfp_json_key (json, "query_rss");
  (s->fields & VFP_VF_QUERY_RSS) ? vfp_json_bool (json, s->query_rss) : vfp_json_null (json);
  vfp_json_end_object (json);
}

/* The fields S holds as "spoofchk=off trust=on max-tx-rate=100" (the
 * config's keys), or "" when none; the caller frees. */
char *
vfp_vf_settings_describe (const VfpVfSettings *s)
{
  GString *out = g_string_new (NULL);
  guint f;

  for (f = 1; f <= VFP_VF_ALL_FIELDS; f <<= 1)
    if (s->fields & f)
      {
        g_autofree char *value = vfp_vf_settings_value (s, f);

        g_string_append_printf (out, "%s%s=%s", out->len ? " " : "", vfp_vf_field_name (f), value);
      }
  return g_string_free (out, FALSE);
}
