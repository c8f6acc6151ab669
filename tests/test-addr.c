/* PCI addresses as operators, sysfs and libvirt spell them. */
#include "config.h"

#include <string.h>

#include "vfp-addr.h"
#include "vfp-error.h"

static void
test_parse_spellings (void)
{
  VfpAddr a;
  char buf[VFP_ADDR_STRLEN];
  g_autofree char *nodedev = NULL;

  g_assert_true (vfp_addr_parse ("0000:05:10.2", &a, NULL));
  g_assert_cmpuint (a.domain, ==, 0);
  g_assert_cmpuint (a.bus, ==, 5);
  g_assert_cmpuint (a.slot, ==, 0x10);
  g_assert_cmpuint (a.function, ==, 2);
  g_assert_cmpstr (vfp_addr_format (&a, buf), ==, "0000:05:10.2");

  /* lspci's short form means domain 0 */
  g_assert_true (vfp_addr_parse ("81:00.5", &a, NULL));
  g_assert_cmpstr (vfp_addr_format (&a, buf), ==, "0000:81:00.5");

  /* VMD domains have five hex digits */
  g_assert_true (vfp_addr_parse ("10000:e1:1f.7", &a, NULL));
  g_assert_cmpstr (vfp_addr_format (&a, buf), ==, "10000:e1:1f.7");

  g_assert_true (vfp_addr_parse_nodedev ("pci_0000_05_10_2", &a, NULL));
  g_assert_cmpstr (vfp_addr_format (&a, buf), ==, "0000:05:10.2");
  nodedev = vfp_addr_nodedev_name (&a);
  g_assert_cmpstr (nodedev, ==, "pci_0000_05_10_2");

  g_assert_true (vfp_addr_from_attrs ("0x0000", "0x05", "0x10", "0x2", &a, NULL));
  g_assert_cmpstr (vfp_addr_format (&a, buf), ==, "0000:05:10.2");
  /* libvirt's nodedev capability writes decimal */
  g_assert_true (vfp_addr_from_attrs ("0", "5", "16", "2", &a, NULL));
  g_assert_cmpstr (vfp_addr_format (&a, buf), ==, "0000:05:10.2");
}

static void
test_parse_rejects (void)
{
  const char *bad[] = {
    "", "0000:05:10", "0000:05:20.0" /* slot > 31 */, "0000:05:10.8",
    "0000:05:10.2x", "zz:00.0", "0000:005:10.2", "eth0", "enp5s0f0",
    " 0000:05:10.2", "0000:05:10.2\n", "0000-05-10.2",
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      VfpAddr a;

      g_assert_false (vfp_addr_parse (bad[i], &a, &error));
      g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
      /* the message names what was given */
      g_assert_nonnull (strstr (error->message, bad[i]));
      g_assert_false (vfp_addr_looks_like (bad[i]));
    }
  g_assert_false (vfp_addr_parse (NULL, &(VfpAddr){ 0 }, NULL));
  g_assert_false (vfp_addr_parse_nodedev ("net_eth0_00_11", &(VfpAddr){ 0 }, NULL));
  g_assert_false (vfp_addr_parse_nodedev ("pci_0000_05_10", &(VfpAddr){ 0 }, NULL));
  g_assert_false (vfp_addr_from_attrs ("0x0000", "0x100", "0x10", "0x2", &(VfpAddr){ 0 }, NULL));
  g_assert_false (vfp_addr_from_attrs ("0x0000", "0x05", "-1", "0x2", &(VfpAddr){ 0 }, NULL));
  g_assert_false (vfp_addr_from_attrs (NULL, "0x05", "0x10", "0x2", &(VfpAddr){ 0 }, NULL));
}

static void
test_routing_id (void)
{
  VfpAddr pf, vf;
  char buf[VFP_ADDR_STRLEN];

  /* 82599: offset 128, stride 2 -> VF 0 at 05:10.0, VF 1 at 05:10.2 */
  g_assert_true (vfp_addr_parse ("0000:05:00.0", &pf, NULL));
  g_assert_true (vfp_addr_from_routing_id (0, vfp_addr_routing_id (&pf) + 128, &vf));
  g_assert_cmpstr (vfp_addr_format (&vf, buf), ==, "0000:05:10.0");
  g_assert_true (vfp_addr_from_routing_id (0, vfp_addr_routing_id (&pf) + 128 + 2, &vf));
  g_assert_cmpstr (vfp_addr_format (&vf, buf), ==, "0000:05:10.2");
  g_assert_false (vfp_addr_from_routing_id (0, 0x10000, &vf));
}

static void
test_compare (void)
{
  VfpAddr a, b;

  vfp_addr_parse ("0000:05:10.2", &a, NULL);
  vfp_addr_parse ("0000:05:10.4", &b, NULL);
  g_assert_cmpint (vfp_addr_compare (&a, &b), <, 0);
  g_assert_cmpint (vfp_addr_compare (&b, &a), >, 0);
  vfp_addr_parse ("0001:00:00.0", &b, NULL);
  g_assert_cmpint (vfp_addr_compare (&a, &b), <, 0);
  vfp_addr_parse ("05:10.2", &b, NULL);
  g_assert_true (vfp_addr_equal (&a, &b));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vfpool/addr/parse-spellings", test_parse_spellings);
  g_test_add_func ("/vfpool/addr/parse-rejects", test_parse_rejects);
  g_test_add_func ("/vfpool/addr/routing-id", test_routing_id);
  g_test_add_func ("/vfpool/addr/compare", test_compare);
  return g_test_run ();
}
