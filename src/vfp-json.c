/* A streaming JSON writer: commas and indentation are tracked on a stack of
 * open containers, so callers only say what they write. Output is pretty
 * printed with two spaces, like `jq .`. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-json.h"

/* What a streaming writer keeps before it writes: small next to the
 * megabytes a list of thousands of VFs takes. */
#define STREAM_CHUNK 65536

struct _VfpJson {
  GString *out;         /* owned */
  FILE *stream;         /* not owned: where full chunks go, or NULL */
  GArray *counts;       /* members written in each open container */
  gboolean after_key;   /* a key was written; its value comes next */
};

VfpJson *
vfp_json_new (void)
{
  VfpJson *json = g_new0 (VfpJson, 1);

  json->out = g_string_new (NULL);
  json->counts = g_array_new (FALSE, TRUE, sizeof (guint));
  return json;
}

void
vfp_json_free (VfpJson *json)
{
  if (json == NULL)
    return;
  g_string_free (json->out, TRUE);
  g_array_unref (json->counts);
  g_free (json);
}

/* The text written so far, with a final newline; the caller frees it. */
char *
vfp_json_finish (VfpJson *json)
{
  /* what was streamed is out already; the rest is the caller's to print */
  g_warn_if_fail (json->counts->len == 0);
  g_string_append_c (json->out, '\n');
  return g_strdup (json->out->str);
}

/* Sends what was written so far to STREAM whenever it has a chunk of it,
 * so that a long list never sits in memory whole. */
void
vfp_json_stream_to (VfpJson *json, FILE *stream)
{
  json->stream = stream;
}

static void
maybe_flush (VfpJson *json)
{
  if (json->stream != NULL && json->out->len >= STREAM_CHUNK)
    {
      fwrite (json->out->str, 1, json->out->len, json->stream);
      g_string_truncate (json->out, 0);
    }
}

static void
newline (VfpJson *json)
{
  guint i;

  g_string_append_c (json->out, '\n');
  for (i = 0; i < json->counts->len; i++)
    g_string_append (json->out, "  ");
}

/* Separates a value from the one before it in the enclosing container. */
static void
before_value (VfpJson *json)
{
  guint *count;

  if (json->after_key)
    {
      json->after_key = FALSE;
      return;
    }
  if (json->counts->len == 0)
    return;
  count = &g_array_index (json->counts, guint, json->counts->len - 1);
  if (*count > 0)
    g_string_append_c (json->out, ',');
  (*count)++;
  newline (json);
}

static void
open_container (VfpJson *json, char c)
{
  guint zero = 0;

  before_value (json);
  g_string_append_c (json->out, c);
  g_array_append_val (json->counts, zero);
}

static void
close_container (VfpJson *json, char c)
{
  guint count = g_array_index (json->counts, guint, json->counts->len - 1);

  g_array_set_size (json->counts, json->counts->len - 1);
  if (count > 0)
    newline (json);
  g_string_append_c (json->out, c);
  maybe_flush (json);
}

void vfp_json_begin_object (VfpJson *json) { open_container (json, '{'); }
void vfp_json_end_object (VfpJson *json) { close_container (json, '}'); }
void vfp_json_begin_array (VfpJson *json) { open_container (json, '['); }
void vfp_json_end_array (VfpJson *json) { close_container (json, ']'); }

/* VALUE as a JSON string literal with quotes; invalid UTF-8 becomes U+FFFD
 * so output always parses. The caller frees it. */
char *
vfp_json_escape (const char *value)
{
  g_autofree char *valid = g_utf8_make_valid (value, -1);
  GString *s = g_string_sized_new (strlen (valid) + 2);
  const unsigned char *p;

  g_string_append_c (s, '"');
  for (p = (const unsigned char *) valid; *p; p++)
    {
      switch (*p)
        {
        case '"': g_string_append (s, "\\\""); break;
        case '\\': g_string_append (s, "\\\\"); break;
        case '\n': g_string_append (s, "\\n"); break;
        case '\r': g_string_append (s, "\\r"); break;
        case '\t': g_string_append (s, "\\t"); break;
        default:
          if (*p < 0x20)
            g_string_append_printf (s, "\\u%04x", *p);
          else
            g_string_append_c (s, *p);
        }
    }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}

void
vfp_json_key (VfpJson *json, const char *key)
{
  g_autofree char *k = vfp_json_escape (key);

  before_value (json);
  g_string_append_printf (json->out, "%s: ", k);
  json->after_key = TRUE;
}

void
vfp_json_string (VfpJson *json, const char *value)
{
  g_autofree char *v = NULL;

  if (value == NULL)
    {
      vfp_json_null (json);
      return;
    }
  v = vfp_json_escape (value);
  before_value (json);
  g_string_append (json->out, v);
}

void
vfp_json_int (VfpJson *json, gint64 value)
{
  before_value (json);
  g_string_append_printf (json->out, "%" G_GINT64_FORMAT, value);
}

void
vfp_json_bool (VfpJson *json, gboolean value)
{
  before_value (json);
  g_string_append (json->out, value ? "true" : "false");
}

void
vfp_json_null (VfpJson *json)
{
  before_value (json);
  g_string_append (json->out, "null");
}

void
vfp_json_member_string (VfpJson *json, const char *key, const char *value)
{
  vfp_json_key (json, key);
  vfp_json_string (json, value);
}

void
vfp_json_member_int (VfpJson *json, const char *key, gint64 value)
{
  vfp_json_key (json, key);
  vfp_json_int (json, value);
}

void
vfp_json_member_bool (VfpJson *json, const char *key, gboolean value)
{
  vfp_json_key (json, key);
  vfp_json_bool (json, value);
}

void
vfp_json_member_strv (VfpJson *json, const char *key, char **values)
{
  char **v;

  vfp_json_key (json, key);
  vfp_json_begin_array (json);
  for (v = values; v != NULL && *v != NULL; v++)
    vfp_json_string (json, *v);
  vfp_json_end_array (json);
}
