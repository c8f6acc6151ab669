/* The --json writer: output must parse, whatever the strings hold. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vfp-json.h"

static void
test_nesting (void)
{
  g_autoptr (VfpJson) json = vfp_json_new ();
  g_autofree char *text = NULL;
  char a[] = "a", b[] = "b";
  char *strv[] = { a, b, NULL };

  vfp_json_begin_object (json);
  vfp_json_member_string (json, "address", "0000:05:10.2");
  vfp_json_member_int (json, "index", 1);
  vfp_json_member_bool (json, "alone", TRUE);
  vfp_json_member_string (json, "driver", NULL);
  vfp_json_member_strv (json, "netdevs", strv);
  vfp_json_key (json, "empty");
  vfp_json_begin_array (json);
  vfp_json_end_array (json);
  vfp_json_end_object (json);
  text = vfp_json_finish (json);
  g_assert_cmpstr (text, ==,
                   "{\n"
                   "  \"address\": \"0000:05:10.2\",\n"
                   "  \"index\": 1,\n"
                   "  \"alone\": true,\n"
                   "  \"driver\": null,\n"
                   "  \"netdevs\": [\n"
                   "    \"a\",\n"
                   "    \"b\"\n"
                   "  ],\n"
                   "  \"empty\": []\n"
                   "}\n");
}

static void
test_escape (void)
{
  g_autofree char *a = vfp_json_escape ("guest \"one\"\\\n\t\x01<&>");
  g_autofree char *b = vfp_json_escape ("bad \xff utf8");
  g_autofree char *c = vfp_json_escape ("中文");

  g_assert_cmpstr (a, ==, "\"guest \\\"one\\\"\\\\\\n\\t\\u0001<&>\"");
  g_assert_true (g_utf8_validate (b, -1, NULL));
  g_assert_cmpstr (c, ==, "\"中文\"");
}

/* A streaming writer prints exactly what a buffered one returns, in
 * chunks, and keeps only the tail for vfp_json_finish(). */
static void
test_stream (void)
{
  g_autoptr (VfpJson) whole = vfp_json_new ();
  g_autoptr (VfpJson) streamed = vfp_json_new ();
  g_autofree char *expected = NULL;
  g_autofree char *tail = NULL;
  char *printed = NULL;
  size_t printed_len = 0;
  FILE *out = open_memstream (&printed, &printed_len);
  VfpJson *both[] = { whole, streamed };
  guint i, k;

  vfp_json_stream_to (streamed, out);
  for (k = 0; k < 2; k++)
    {
      vfp_json_begin_array (both[k]);
      for (i = 0; i < 5000; i++)
        {
          vfp_json_begin_object (both[k]);
          vfp_json_member_int (both[k], "i", i);
          vfp_json_member_string (both[k], "name", "a \"quoted\" <name>");
          vfp_json_end_object (both[k]);
        }
      vfp_json_end_array (both[k]);
    }
  expected = vfp_json_finish (whole);
  tail = vfp_json_finish (streamed);
  fclose (out);
  g_assert_cmpuint (strlen (tail), <, 65536 + 100);
  g_assert_cmpuint (printed_len, >, 0);
  g_assert_cmpuint (printed_len + strlen (tail), ==, strlen (expected));
  g_assert_true (strncmp (printed, expected, printed_len) == 0);
  g_assert_cmpstr (tail, ==, expected + printed_len);
  free (printed);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vfpool/json/nesting", test_nesting);
  g_test_add_func ("/vfpool/json/escape", test_escape);
  g_test_add_func ("/vfpool/json/stream", test_stream);
  return g_test_run ();
}
