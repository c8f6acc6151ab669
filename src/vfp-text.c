/* The rule for text from users and guests (see vfp-text.h). */
#include "config.h"

#include <string.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-text.h"

/* Whether C may not be stored nor printed as it is: it controls a
 * terminal, breaks a line, reorders what follows, or is no character
 * (XML 1.0 has no place for U+FFFE, U+FFFF nor most C0 controls). */
static gboolean
vfp_text_unsafe_char (gunichar c)
{
  return c < 0x20 || (c >= 0x7f && c <= 0x9f)            /* C0, DEL, C1 */
         || c == 0x2028 || c == 0x2029                     /* line, paragraph separator */
         || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)  /* bidi */
         || (c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe        /* noncharacters */
         || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff;
}

/* Whether the store takes TEXT. When not, *BAD is the first character it
 * refuses (0 for bytes that are not UTF-8, G_MAXUINT32 for a text that is
 * too long) and *OFFSET its byte offset; both may be NULL. */
gboolean
vfp_text_is_storable (const char *text, gunichar *bad, gsize *offset)
{
  const char *end = NULL;
  const char *p;
  gunichar c = 0;

  if (!g_utf8_validate (text, -1, &end))
    p = end;
  else if (end - text > VFP_TEXT_MAX)
    {
      c = G_MAXUINT32;
      p = text + VFP_TEXT_MAX;
    }
  else
    {
      for (p = text; *p != '\0'; p = g_utf8_next_char (p))
        if (vfp_text_unsafe_char (c = g_utf8_get_char (p)))
          break;
      if (*p == '\0')
        return TRUE;
    }
  if (bad != NULL)
    *bad = c;
  if (offset != NULL)
    *offset = p - text;
  return FALSE;
}

/* Refuses TEXT when the store does not take it, with a sentence naming
 * WHAT (e.g. "--owner label", already translated) and the character. */
gboolean
vfp_text_check (const char *text, const char *what, GError **error)
{
  gunichar bad;
  gsize at;

  if (vfp_text_is_storable (text, &bad, &at))
    return TRUE;
  if (bad == G_MAXUINT32)
    g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                 _("The %s is longer than %d bytes; use a shorter one."), what, VFP_TEXT_MAX);
  else if (bad == 0)
    g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                 _("The %s is not valid UTF-8 text (byte %u); use printable text such as dpdk-fw1."),
                 what, (guint) at);
  else
    g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                 _("The %s holds the control or non-printing character U+%04X at byte %u; use printable text such as dpdk-fw1."),
                 what, (guint) bad, (guint) at);
  return FALSE;
}

/* TEXT with every character vfp_text_unsafe_char refuses written as
 * \xHH (below U+0100) or \u{HHHH}, and every byte that is not UTF-8 as
 * \xHH: safe to print on a terminal, one line. Free with g_free. */
char *
vfp_text_printable (const char *text)
{
  GString *out;
  const char *p = text;

  if (text == NULL)
    return NULL;
  out = g_string_sized_new (strlen (text));
  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_printf (out, "\\x%02X", (guchar) *p);
          p++;
          continue;
        }
      if (!vfp_text_unsafe_char (c))
        g_string_append_len (out, p, g_utf8_next_char (p) - p);
      else if (c < 0x100)
        g_string_append_printf (out, "\\x%02X", (guint) c);
      else
        g_string_append_printf (out, "\\u{%04X}", (guint) c);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

/* TEXT from outside vfpool's control (a guest's name as libvirt gives it)
 * as the store keeps it: printable (see vfp_text_printable) and cut at a
 * character boundary to VFP_TEXT_MAX bytes. Names are for display (leases
 * are keyed by UUID), so an odd name is shown escaped, never refused: a
 * guest must not fail to start over its name. Free with g_free. */
char *
vfp_text_storable (const char *text)
{
  char *s = vfp_text_printable (text);
  char *end;

  if (s == NULL || strlen (s) <= VFP_TEXT_MAX)
    return s;
  end = g_utf8_find_prev_char (s, s + VFP_TEXT_MAX + 1);
  *end = '\0';
  return s;
}
