/* Shared helpers for vfpool's libFuzzer targets (fuzz/run-fuzz.sh). */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

/* Silences GLib's warnings/criticals log output (the fuzzer feeds garbage on
 * purpose) without turning them into aborts. */
static void
fuzz_quiet_log (const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
  (void) domain; (void) level; (void) message; (void) data;
}

static inline void
fuzz_init_once (void)
{
  static gboolean done;

  if (!done)
    {
      done = TRUE;
      g_log_set_default_handler (fuzz_quiet_log, NULL);
    }
}

/* DATA as a freshly allocated NUL-terminated string (embedded NULs cut it). */
static inline char *
fuzz_cstring (const uint8_t *data, size_t size)
{
  char *s = g_malloc (size + 1);

  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}
