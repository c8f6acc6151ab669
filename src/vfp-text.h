/* Text that comes from users and guests (owner labels, guest names,
 * aliases, notes, MACs) and goes into the lease store or onto a terminal.
 * One rule decides what the store takes: printable UTF-8, no control
 * character (C0, DEL, C1), no line or paragraph separator, no bidi
 * override or isolate, no noncharacter (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF),
 * at most VFP_TEXT_MAX bytes. Every such text is also well-formed XML 1.0
 * character data, so nothing the store takes can make it unparsable, and
 * none of it can move a terminal's cursor or forge a line of output. */
#pragma once

#include <glib.h>

/* Bytes of one stored text: a few thousand leases of such texts keep the
 * store well under VFP_LEASES_MAX_SIZE. */
#define VFP_TEXT_MAX 1024

gboolean vfp_text_is_storable (const char *text, gunichar *bad, gsize *offset);
gboolean vfp_text_check (const char *text, const char *what, GError **error);
char *vfp_text_printable (const char *text);
char *vfp_text_storable (const char *text);
