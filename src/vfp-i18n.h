/* Translation macros: every user-visible sentence goes through _(). */
#pragma once

#include <libintl.h>

#define _(s) dgettext (GETTEXT_PACKAGE, s)
#define N_(s) (s)
