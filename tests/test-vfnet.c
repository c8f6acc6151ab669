/* VF settings: the value type (names, parsing, comparison, merging), and
 * the netlink module against this machine's real kernel for what any
 * kernel has (lo, a missing netdev). The settings themselves are applied
 * and read back on real drivers in the lab (tests/lab/guest-vfnet.sh). */
#include "config.h"

#include <string.h>

#include "vfp-error.h"
#include "vfp-vfnet.h"

/* The baseline a freed VF returns to, field by field. */
static void
test_baseline (void)
{
  VfpVfSettings s;
  static const guint8 zero[6] = { 0 };

  vfp_vf_settings_baseline (&s, 3);
  g_assert_cmpuint (s.index, ==, 3);
  g_assert_cmpuint (s.fields, ==, VFP_VF_ALL_FIELDS);
  g_assert_cmpmem (s.mac, 6, zero, 6);
  g_assert_cmpuint (s.vlan, ==, 0);
  g_assert_true (s.spoofchk);
  g_assert_false (s.trust);
  g_assert_cmpint (s.link_state, ==, VFP_VF_LINK_AUTO);
  g_assert_cmpuint (s.max_tx_rate, ==, 0);
  g_assert_cmpuint (s.min_tx_rate, ==, 0);
  g_assert_false (s.query_rss);
}

/* Every key parses into its field and prints back the way it was written;
 * a bad value is refused with the value and what is expected. */
static void
test_parse (void)
{
  const struct { const char *key, *value, *printed; } good[] = {
    { "mac", "52:54:00:AB:cd:01", "52:54:00:ab:cd:01" },
    { "vlan", "100", "100" },
    { "vlan", "0", "0" },
    { "spoofchk", "off", "off" },
    { "trust", "yes", "on" },
    { "link-state", "disable", "disable" },
    { "max-tx-rate", "10000", "10000" },
    { "min-tx-rate", "0", "0" },
    { "query-rss", "1", "on" },
  };
  const struct { const char *key, *value, *expect; } bad[] = {
    { "mac", "52:54:00:ab:cd", "is not a MAC address" },
    { "mac", "52-54-00-ab-cd-01", "is not a MAC address" },
    { "vlan", "4095", "from 0 (untagged) to 4094" },
    { "trust", "maybe", "is not on or off" },
    { "link-state", "up", "is not auto, enable or disable" },
    { "max-tx-rate", "1.5", "is not a rate in Mbit/s" },
    { "min-tx-rate", "", "is not a rate in Mbit/s" },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (good); i++)
    {
      VfpVfSettings s = { 0 };
      VfpVfField f = vfp_vf_field_from_name (good[i].key);
      g_autofree char *printed = NULL;

      g_assert_cmpuint (f, !=, 0);
      g_assert_cmpstr (vfp_vf_field_name (f), ==, good[i].key);
      g_assert_true (vfp_vf_settings_parse (&s, f, good[i].value, NULL));
      g_assert_cmpuint (s.fields, ==, f);
      printed = vfp_vf_settings_value (&s, f);
      g_assert_cmpstr (printed, ==, good[i].printed);
    }
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      VfpVfSettings s = { 0 };

      g_assert_false (vfp_vf_settings_parse (&s, vfp_vf_field_from_name (bad[i].key), bad[i].value, &error));
      g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, bad[i].expect));
      g_assert_cmpuint (s.fields, ==, 0);
    }
  g_assert_cmpuint (vfp_vf_field_from_name ("colour"), ==, 0);
  {
    VfpVfSettings s = { 0 };
    g_autofree char *unset = vfp_vf_settings_value (&s, VFP_VF_TRUST);

    g_assert_cmpstr (unset, ==, "-");
  }
}

/* differ() names exactly the fields to send; merge() lets an attach's
 * options override its pool's defaults and keeps the rest. */
static void
test_differ_merge (void)
{
  VfpVfSettings have, want = { 0 }, pool = { 0 }, attach = { 0 };

  vfp_vf_settings_baseline (&have, 0);
  g_assert_cmpuint (vfp_vf_settings_differ (&have, &have), ==, 0);
  g_assert_cmpuint (vfp_vf_settings_differ (&want, &have), ==, 0);
  vfp_vf_settings_parse (&want, VFP_VF_TRUST, "off", NULL);
  g_assert_cmpuint (vfp_vf_settings_differ (&want, &have), ==, 0);
  vfp_vf_settings_parse (&want, VFP_VF_SPOOFCHK, "off", NULL);
  vfp_vf_settings_parse (&want, VFP_VF_MAX_TX_RATE, "100", NULL);
  g_assert_cmpuint (vfp_vf_settings_differ (&want, &have), ==, VFP_VF_SPOOFCHK | VFP_VF_MAX_TX_RATE);
  /* a field the PF does not report differs: it cannot be shown equal */
  have.fields &= ~(guint) VFP_VF_TRUST;
  g_assert_cmpuint (vfp_vf_settings_differ (&want, &have), ==,
                    VFP_VF_SPOOFCHK | VFP_VF_MAX_TX_RATE | VFP_VF_TRUST);
  /* a VLAN differs by its priority too */
  vfp_vf_settings_baseline (&have, 0);
  want = have;
  want.qos = 3;
  g_assert_cmpuint (vfp_vf_settings_differ (&want, &have), ==, VFP_VF_VLAN);

  vfp_vf_settings_parse (&pool, VFP_VF_TRUST, "on", NULL);
  vfp_vf_settings_parse (&pool, VFP_VF_SPOOFCHK, "off", NULL);
  vfp_vf_settings_parse (&attach, VFP_VF_TRUST, "off", NULL);
  vfp_vf_settings_parse (&attach, VFP_VF_LINK_STATE, "enable", NULL);
  vfp_vf_settings_merge (&pool, &attach);
  g_assert_cmpuint (pool.fields, ==, VFP_VF_TRUST | VFP_VF_SPOOFCHK | VFP_VF_LINK_STATE);
  g_assert_false (pool.trust);
  g_assert_false (pool.spoofchk);
  g_assert_cmpint (pool.link_state, ==, VFP_VF_LINK_ENABLE);
}

/* A guarantee above the limit is refused; 0 (no limit) takes any guarantee. */
static void
test_check (void)
{
  g_autoptr (GError) error = NULL;
  VfpVfSettings s = { 0 };

  vfp_vf_settings_parse (&s, VFP_VF_MIN_TX_RATE, "200", NULL);
  g_assert_true (vfp_vf_settings_check (&s, NULL));
  vfp_vf_settings_parse (&s, VFP_VF_MAX_TX_RATE, "0", NULL);
  g_assert_true (vfp_vf_settings_check (&s, NULL));
  vfp_vf_settings_parse (&s, VFP_VF_MAX_TX_RATE, "100", NULL);
  g_assert_false (vfp_vf_settings_check (&s, &error));
  g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "min-tx-rate 200 is above max-tx-rate 100"));
}

/* The JSON object of `pf vf-settings --json`: unreported settings are null. */
static void
test_json (void)
{
  g_autoptr (VfpJson) json = vfp_json_new ();
  g_autofree char *text = NULL;
  VfpVfSettings s;

  vfp_vf_settings_baseline (&s, 2);
  s.fields &= ~(guint) (VFP_VF_TRUST | VFP_VF_QUERY_RSS);
  s.vlan = 100;
  s.max_tx_rate = 1000;
  vfp_vf_settings_json (json, &s);
  text = vfp_json_finish (json);
  g_assert_nonnull (strstr (text, "\"vf\": 2"));
  g_assert_nonnull (strstr (text, "\"mac\": \"00:00:00:00:00:00\""));
  g_assert_nonnull (strstr (text, "\"vlan\": 100"));
  g_assert_nonnull (strstr (text, "\"spoofchk\": true"));
  g_assert_nonnull (strstr (text, "\"trust\": null"));
  g_assert_nonnull (strstr (text, "\"link_state\": \"auto\""));
  g_assert_nonnull (strstr (text, "\"max_tx_rate\": 1000"));
  g_assert_nonnull (strstr (text, "\"query_rss\": null"));
}

/* The real kernel's answers that need no SR-IOV hardware: a netdev that
 * is not there, one that is no PF (lo has no bus device, so no VF count),
 * a name no netdev can have. Each error names the interface. */
static void
test_kernel (void)
{
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;
  g_autoptr (GError) e4 = NULL;
  g_autoptr (GError) e5 = NULL;
  VfpVfSettings s;

  g_assert_null (vfp_vfnet_read ("vfpnosuch0", &e1));
  g_assert_error (e1, VFP_ERROR, VFP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (e1->message, "no network interface 'vfpnosuch0'"));

  g_assert_null (vfp_vfnet_read ("lo", &e2));
  g_assert_error (e2, VFP_ERROR, VFP_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (e2->message, "'lo' is not an SR-IOV PF"));

  g_assert_false (vfp_vfnet_read_vf ("eth0/../lo", 0, &s, &e3));
  g_assert_error (e3, VFP_ERROR, VFP_ERROR_INVALID);
  g_assert_nonnull (strstr (e3->message, "is not a network interface name"));

  /* the settings are checked before any netlink request */
  memset (&s, 0, sizeof s);
  vfp_vf_settings_parse (&s, VFP_VF_MAX_TX_RATE, "10", NULL);
  vfp_vf_settings_parse (&s, VFP_VF_MIN_TX_RATE, "20", NULL);
  g_assert_false (vfp_vfnet_apply ("vfpnosuch0", &s, &e4));
  g_assert_error (e4, VFP_ERROR, VFP_ERROR_INVALID);

  vfp_vf_settings_baseline (&s, 0);
  g_assert_false (vfp_vfnet_restore ("lo", &s, &e5));
  g_assert_nonnull (strstr (e5->message, "'lo' is not an SR-IOV PF"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vfpool/vfnet/baseline", test_baseline);
  g_test_add_func ("/vfpool/vfnet/parse", test_parse);
  g_test_add_func ("/vfpool/vfnet/differ-merge", test_differ_merge);
  g_test_add_func ("/vfpool/vfnet/check", test_check);
  g_test_add_func ("/vfpool/vfnet/json", test_json);
  g_test_add_func ("/vfpool/vfnet/kernel", test_kernel);
  return g_test_run ();
}
