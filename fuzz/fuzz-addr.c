/* libFuzzer target: the PCI address parsers. The input is cut at NUL bytes
 * and commas; each piece goes to vfp_addr_parse and vfp_addr_parse_nodedev,
 * and the first four pieces to vfp_addr_from_attrs. Round trip: an address
 * that parses formats to text that parses to the same address. */
#include "fuzz-common.h"

#include "vfp-addr.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check_one (const char *text)
{
  VfpAddr a, b;
  char buf[VFP_ADDR_STRLEN];
  GError *error = NULL;

  if (vfp_addr_parse (text, &a, &error))
    {
      g_autofree char *s = vfp_addr_to_string (&a);
      g_autofree char *name = vfp_addr_nodedev_name (&a);

      vfp_addr_format (&a, buf);
      if (strcmp (buf, s) != 0)
        abort ();
      if (!vfp_addr_parse (buf, &b, NULL) || !vfp_addr_equal (&a, &b)
          || vfp_addr_compare (&a, &b) != 0)
        {
          fprintf (stderr, "round trip: '%s' -> '%s' does not parse back equal\n", text, buf);
          abort ();
        }
      if (!vfp_addr_parse_nodedev (name, &b, NULL) || !vfp_addr_equal (&a, &b))
        {
          fprintf (stderr, "nodedev round trip: '%s' -> '%s' does not parse back equal\n", text, name);
          abort ();
        }
    }
  else if (error == NULL)
    abort ();
  g_clear_error (&error);

  if (vfp_addr_parse_nodedev (text, &a, &error))
    vfp_addr_format (&a, buf);
  else if (error == NULL)
    abort ();
  g_clear_error (&error);
  (void) vfp_addr_looks_like (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *copy = NULL;
  g_autoptr (GPtrArray) pieces = g_ptr_array_new ();
  const char *attrs[4] = { "", "", "", "" };
  size_t start = 0;
  VfpAddr a;
  GError *error = NULL;

  fuzz_init_once ();
  copy = fuzz_cstring (data, size);
  for (size_t i = 0; i <= size; i++)
    if (i == size || copy[i] == '\0' || copy[i] == ',')
      {
        copy[i] = '\0';
        g_ptr_array_add (pieces, copy + start);
        start = i + 1;
      }
  for (guint i = 0; i < pieces->len; i++)
    {
      check_one (pieces->pdata[i]);
      if (i < 4)
        attrs[i] = pieces->pdata[i];
    }
  if (vfp_addr_from_attrs (attrs[0], attrs[1], attrs[2], attrs[3], &a, &error))
    {
      char buf[VFP_ADDR_STRLEN];
      VfpAddr b;

      vfp_addr_format (&a, buf);
      if (!vfp_addr_parse (buf, &b, NULL) || !vfp_addr_equal (&a, &b))
        abort ();
    }
  else if (error == NULL)
    abort ();
  g_clear_error (&error);
  /* Also NULL attributes, as a missing XML attribute gives. */
  if (!vfp_addr_from_attrs (NULL, attrs[1], attrs[2], attrs[3], &a, &error) && error == NULL)
    abort ();
  g_clear_error (&error);
  return 0;
}
