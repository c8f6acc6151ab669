/* The rule for text that reaches the lease store and the terminal
 * (issue 18.1): what it takes, what it refuses and says, how refused
 * characters are shown. */
#include "config.h"

#include <string.h>

#include "vfp-error.h"
#include "vfp-text.h"

static void
test_rule (void)
{
  const char *taken[] = {
    "dpdk-fw1", "", "防火墙 fw-1", "a <b> & \"c\" 'd'", "naïve", "한국어", "\xf0\x9f\x98\x80",
    "e\xcc\x81", "a\xe2\x80\x8d" "b", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbd",
  };
  const struct { const char *text; gunichar bad; gsize at; } refused[] = {
    { "a\001b", 0x1, 1 }, { "a\nb", 0xa, 1 }, { "a\tb", 0x9, 1 }, { "\rb", 0xd, 0 },
    { "a\033[2J", 0x1b, 1 }, { "a\x7f", 0x7f, 1 }, { "ab\xc2\x9b" "1m", 0x9b, 2 },
    { "a\xc2\x85", 0x85, 1 }, { "a\xef\xbf\xbe", 0xfffe, 1 }, { "a\xef\xbf\xbf", 0xffff, 1 },
    { "\xef\xb7\x90", 0xfdd0, 0 }, { "x\xf0\x9f\xbf\xbe", 0x1fffe, 1 }, { "\xf4\x8f\xbf\xbf", 0x10ffff, 0 },
    { "a\xe2\x80\xa8" "b", 0x2028, 1 }, { "a\xe2\x80\xae" "b", 0x202e, 1 }, { "\xe2\x81\xa6", 0x2066, 0 },
    { "fw\377", 0, 2 }, { "a\xed\xa0\x80", 0, 1 },
  };
  g_autofree char *longest = g_strnfill (VFP_TEXT_MAX, 'x');
  g_autofree char *too_long = g_strnfill (VFP_TEXT_MAX + 1, 'x');
  g_autoptr (GError) error = NULL;
  gunichar bad;
  gsize at;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (taken); i++)
    g_assert_true (vfp_text_is_storable (taken[i], NULL, NULL));
  g_assert_true (vfp_text_is_storable (longest, NULL, NULL));
  for (i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_assert_false (vfp_text_is_storable (refused[i].text, &bad, &at));
      g_assert_cmphex (bad, ==, refused[i].bad);
      g_assert_cmpuint (at, ==, refused[i].at);
    }
  g_assert_false (vfp_text_is_storable (too_long, &bad, NULL));
  g_assert_cmphex (bad, ==, G_MAXUINT32);

  g_assert_false (vfp_text_check ("a\001b", "--owner label", &error));
  g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "--owner label"));
  g_assert_nonnull (strstr (error->message, "U+0001 at byte 1"));
  g_assert_null (strchr (error->message, '\n'));
  g_clear_error (&error);
  g_assert_false (vfp_text_check (too_long, "--owner label", &error));
  g_assert_nonnull (strstr (error->message, "longer than 1024 bytes"));
  g_clear_error (&error);
  g_assert_true (vfp_text_check ("dpdk-fw1", "--owner label", &error));
  g_assert_no_error (error);
}

/* Printed: one line, no control character, the rest as it was. */
static void
test_printable (void)
{
  const struct { const char *in, *out; } cases[] = {
    { "dpdk-fw1", "dpdk-fw1" },
    { "a\nfree", "a\\x0Afree" },
    { "a\001b\tc", "a\\x01b\\x09c" },
    { "\033[2J", "\\x1B[2J" },
    { "ab\xc2\x9b" "1m", "ab\\x9B1m" },
    { "a\xef\xbf\xbe", "a\\u{FFFE}" },
    { "a\xe2\x80\xae" "b", "a\\u{202E}b" },
    { "fw\377x", "fw\\xFFx" },
    { "防火墙", "防火墙" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *p = vfp_text_printable (cases[i].in);

      g_assert_cmpstr (p, ==, cases[i].out);
      g_assert_true (vfp_text_is_storable (p, NULL, NULL));
    }
  g_assert_null (vfp_text_printable (NULL));
}

/* What a guest name from libvirt becomes in the store: always storable,
 * cut at a character boundary, unchanged when it was storable. */
static void
test_storable (void)
{
  g_autofree char *wide = NULL;
  g_autofree char *s = NULL;
  GString *g = g_string_new (NULL);
  guint i;

  s = vfp_text_storable ("web\xc2\x9b" "01");
  g_assert_cmpstr (s, ==, "web\\x9B01");
  g_clear_pointer (&s, g_free);
  for (i = 0; i < VFP_TEXT_MAX; i++)
    g_string_append (g, "中");
  wide = g_string_free (g, FALSE);
  s = vfp_text_storable (wide);
  g_assert_true (vfp_text_is_storable (s, NULL, NULL));
  g_assert_cmpuint (strlen (s), ==, VFP_TEXT_MAX / 3 * 3);
  g_assert_true (g_str_has_prefix (wide, s));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vfpool/text/rule", test_rule);
  g_test_add_func ("/vfpool/text/printable", test_printable);
  g_test_add_func ("/vfpool/text/storable", test_storable);
  return g_test_run ();
}
