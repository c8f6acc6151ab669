/* The hook's gate: libc only (see hook-gate.h). The rules are
 * src/vfp-hook-rules.c's, which the full hook acts by too; this file only
 * reads them off the raw text, and errs towards running the full hook. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hook-gate.h"
#include "vfp-hook-rules.h"
#include "vfp-names.h"

/* Configuration files are small; a bigger one is for the full hook. */
#define CONFIG_MAX (1024 * 1024)
#define UUID_LEN 36
#define MAX_UUIDS 8

static int
has (const char *text, size_t len, const char *needle)
{
  return memmem (text, len, needle, strlen (needle)) != NULL;
}

static int
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whether NEEDLE is in TEXT, or straddles the end of CARRY and the start
 * of TEXT. */
static int
seen (const HookGateScan *scan, const char *text, size_t len, const char *needle)
{
  size_t n = strlen (needle), head = len < n - 1 ? len : n - 1;
  char window[2 * sizeof scan->carry];

  if (has (text, len, needle))
    return 1;
  memcpy (window, scan->carry, scan->carry_len);
  memcpy (window + scan->carry_len, text, head);
  return has (window, scan->carry_len + head, needle);
}

/* Adds the next LEN bytes of stdin to SCAN (zeroed before the first). */
void
hook_gate_scan_feed (HookGateScan *scan, const char *buf, size_t len)
{
  size_t keep;

  scan->alias |= seen (scan, buf, len, VFP_ALIAS_PREFIX);
  scan->metadata |= seen (scan, buf, len, VFP_METADATA_NS);
  scan->hidden |= seen (scan, buf, len, "<!") || seen (scan, buf, len, "&#")
                  || memchr (buf, '\0', len) != NULL;
  scan->domain_end |= seen (scan, buf, len, "</domain>");
  scan->len += len;
  /* the carry is longer than every name above */
  if (len >= sizeof scan->carry)
    {
      memcpy (scan->carry, buf + len - sizeof scan->carry, sizeof scan->carry);
      scan->carry_len = sizeof scan->carry;
      return;
    }
  keep = scan->carry_len + len > sizeof scan->carry ? sizeof scan->carry - len : scan->carry_len;
  memmove (scan->carry, scan->carry + scan->carry_len - keep, keep);
  memcpy (scan->carry + keep, buf, len);
  scan->carry_len = keep + len;
}

/* A domain document as libvirt writes it: <domain ...> ... </domain>, at
 * most an XML declaration before it, no DOCTYPE, comment, CDATA or
 * character reference (any of which could hide a name from a plain text
 * search), no NUL. SCAN covers the whole document; XML is its first LEN
 * bytes. Anything else goes to the full hook, which parses it and refuses
 * or ignores it as it should. */
static int
is_plain_domain (const char *xml, size_t len, const HookGateScan *scan)
{
  size_t i = 0;

  if (scan->hidden || !scan->domain_end)
    return 0;
  while (i < len && is_space (xml[i]))
    i++;
  if (len - i >= 5 && memcmp (xml + i, "<?xml", 5) == 0)
    {
      const char *end = memmem (xml + i, len - i, "?>", 2);

      if (end == NULL)
        return 0;
      i = end + 2 - xml;
      while (i < len && is_space (xml[i]))
        i++;
    }
  return len - i > 8 && memcmp (xml + i, "<domain", 7) == 0
         && (is_space (xml[i + 7]) || xml[i + 7] == '>');
}

/* state-dir= of the [vfpool] group, read the way GKeyFile reads it. OUT
 * is left NULL when the key is absent. Returns 0 when the file holds
 * anything this small reader is not sure about (escapes, odd lines, a
 * repeated key, trailing blanks): then the full hook decides. */
static int
config_state_dir (const char *path, int required, char **out)
{
  size_t len = 0;
  char *text = vfp_hook_file_read (path, CONFIG_MAX, &len);
  char *line, *next;
  int in_vfpool = 0, ok = 1;

  *out = NULL;
  if (text == NULL)
    return errno == ENOENT && !required;
  for (line = text; ok && line != NULL && line < text + len; line = next)
    {
      char *eq, *key_end, *value;

      next = strchr (line, '\n');
      if (next != NULL)
        *next++ = '\0';
      while (is_space (*line))
        line++;
      if (*line == '\0' || *line == '#')
        continue;
      if (*line == '[')
        {
          size_t n = strlen (line);

          /* "[name]" and nothing else; GKeyFile would also take trailing
           * text, which this reader leaves to the full hook */
          while (n > 0 && is_space (line[n - 1]))
            n--;
          ok = n >= 2 && line[n - 1] == ']' && memchr (line + 1, ']', n - 2) == NULL
               && memchr (line + 1, '[', n - 2) == NULL && n == strlen (line);
          in_vfpool = ok && strcmp (line, "[vfpool]") == 0;
          continue;
        }
      eq = strchr (line, '=');
      if (eq == NULL)
        {
          ok = 0;
          continue;
        }
      for (key_end = eq; key_end > line && is_space (key_end[-1]); key_end--)
        ;
      if (!in_vfpool || (size_t) (key_end - line) < 9 || strncmp (line, "state-dir", 9) != 0)
        continue;
      value = eq + 1;
      while (*value == ' ' || *value == '\t')
        value++;
      if (key_end - line != 9 || *out != NULL || strchr (value, '\\') != NULL
          || *value == '\0' || is_space (value[strlen (value) - 1]))
        ok = 0;
      else
        *out = strdup (value);
    }
  free (text);
  if (!ok)
    {
      free (*out);
      *out = NULL;
    }
  return ok;
}

/* The <uuid> values in XML, lowercased (libvirt writes them lowercase, and
 * so does the store). A document whose first <uuid> is not one is for the
 * full hook; more than one (metadata may hold more) are all kept. */
static int
domain_uuids (const char *xml, size_t len, char uuids[][UUID_LEN + 1], int max)
{
  const char *p = xml, *end = xml + len;
  int n = 0;

  while (n < max && (p = memmem (p, end - p, "<uuid>", 6)) != NULL)
    {
      const char *v = p + 6, *close;
      int i;

      while (v < end && is_space (*v))
        v++;
      close = memmem (v, end - v, "</uuid>", 7);
      if (close == NULL)
        return n;
      while (close > v && is_space (close[-1]))
        close--;
      if (close - v != UUID_LEN)
        return -1;
      for (i = 0; i < UUID_LEN; i++)
        {
          char c = v[i];

          if (c >= 'A' && c <= 'F')
            c += 'a' - 'A';
          if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
            return -1;
          uuids[n][i] = c;
        }
      uuids[n][UUID_LEN] = '\0';
      n++;
      p = close;
    }
  return n;
}

/* Whether the store in DIR may name one of the N UUIDS (the rule's own test). */
static int
store_mentions (const char *dir, char uuids[][UUID_LEN + 1], int n)
{
  const char *names[MAX_UUIDS];
  int i;

  for (i = 0; i < n; i++)
    names[i] = uuids[i];
  return vfp_hook_store_mentions (dir, names, n);
}

/* release end (and reconnect begin without a vfpool device): there is
 * something to settle only if the store names the guest. A broken
 * configuration makes the full hook fall back to the default state
 * directory, so both are looked at. */
static HookGate
gate_release (const HookGateCall *call, const char *default_config, const char *default_state_dir)
{
  char uuids[MAX_UUIDS][UUID_LEN + 1];
  char *dir = NULL;
  int n = domain_uuids (call->xml, call->xml_len, uuids, MAX_UUIDS);
  int maybe;

  if (n <= 0)
    return HOOK_GATE_RUN_CORE;
  if (call->state_dir != NULL)
    return store_mentions (call->state_dir, uuids, n) ? HOOK_GATE_RUN_CORE : HOOK_GATE_NOTHING_TO_DO;
  if (!config_state_dir (call->config_path ? call->config_path : default_config,
                         call->config_path != NULL, &dir))
    return HOOK_GATE_RUN_CORE;
  maybe = (dir != NULL && store_mentions (dir, uuids, n))
          || store_mentions (default_state_dir, uuids, n);
  free (dir);
  return maybe ? HOOK_GATE_RUN_CORE : HOOK_GATE_NOTHING_TO_DO;
}

/* What the rule of the call needs, looked for in the raw text. */
HookGate
hook_gate (const HookGateCall *call, const char *default_config, const char *default_state_dir)
{
  const VfpHookRule *rule = vfp_hook_rule_find (call->op, call->subop);
  HookGateScan own = { 0 };
  const HookGateScan *scan = call->scan;
  int plain;

  /* no operation: the full hook says so */
  if (call->op == NULL || call->subop == NULL)
    return HOOK_GATE_RUN_CORE;
  /* one the hook ignores */
  if (rule == NULL)
    return HOOK_GATE_NOTHING_TO_DO;
  if (scan == NULL)
    {
      hook_gate_scan_feed (&own, call->xml, call->xml_len);
      scan = &own;
    }
  plain = is_plain_domain (call->xml, call->xml_len, scan);
  switch (rule->need)
    {
    /* a document over the size limit that names no vfpool device (or has
     * no vfpool metadata) is no concern of vfpool's either: the full hook
     * could not even read it */
    case VFP_HOOK_NEEDS_DEVICE:
      return !plain || scan->alias ? HOOK_GATE_RUN_CORE : HOOK_GATE_NOTHING_TO_DO;
    case VFP_HOOK_NEEDS_METADATA:
      return !plain || scan->metadata ? HOOK_GATE_RUN_CORE : HOOK_GATE_NOTHING_TO_DO;
    case VFP_HOOK_NEEDS_DEVICE_OR_PROBE:
      return !plain || scan->alias || scan->metadata ? HOOK_GATE_RUN_CORE : HOOK_GATE_NOTHING_TO_DO;
    /* the guest's <uuid> comes first in libvirt's XML, well within the part
     * kept; a larger document goes to the full hook, which reports it */
    case VFP_HOOK_NEEDS_LEASE:
      return plain && scan->len == call->xml_len
             ? gate_release (call, default_config, default_state_dir) : HOOK_GATE_RUN_CORE;
    case VFP_HOOK_NEEDS_DEVICE_OR_LEASE:
      return !plain || scan->alias || scan->len != call->xml_len ? HOOK_GATE_RUN_CORE
             : gate_release (call, default_config, default_state_dir);
    }
  return HOOK_GATE_RUN_CORE;
}
