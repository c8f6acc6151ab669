/* A small streaming JSON writer for --json output (RFC 8259, UTF-8). */
#pragma once

#include <stdio.h>

#include <glib.h>

typedef struct _VfpJson VfpJson;

VfpJson *vfp_json_new (void);
void vfp_json_free (VfpJson *json);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpJson, vfp_json_free)
char *vfp_json_finish (VfpJson *json);
void vfp_json_stream_to (VfpJson *json, FILE *stream);

void vfp_json_begin_object (VfpJson *json);
void vfp_json_end_object (VfpJson *json);
void vfp_json_begin_array (VfpJson *json);
void vfp_json_end_array (VfpJson *json);
void vfp_json_key (VfpJson *json, const char *key);

void vfp_json_string (VfpJson *json, const char *value);  /* NULL writes null */
void vfp_json_int (VfpJson *json, gint64 value);
void vfp_json_bool (VfpJson *json, gboolean value);
void vfp_json_null (VfpJson *json);

void vfp_json_member_string (VfpJson *json, const char *key, const char *value);
void vfp_json_member_int (VfpJson *json, const char *key, gint64 value);
void vfp_json_member_bool (VfpJson *json, const char *key, gboolean value);
void vfp_json_member_strv (VfpJson *json, const char *key, char **values);

char *vfp_json_escape (const char *value);
