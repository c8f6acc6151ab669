/* The qemu hook's rules (see vfp-hook-rules.h): libc only, compiled into
 * both the front door and libvfpool-core. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfp-hook-rules.h"
#include "vfp-names.h"

/* Every call the hook acts on; any other changes nothing. prepare and
 * migrate can still stop the guest: a guest they cannot check must not
 * come up with a VF that may be another's. The others come too late to
 * stop anything (release, started) or would kill a running guest
 * (reconnect): they only report. */
static const VfpHookRule rules[] = {
  { "prepare", "begin", VFP_HOOK_PREPARE, VFP_HOOK_NEEDS_DEVICE_OR_PROBE, 1 },
  { "release", "end", VFP_HOOK_RELEASE, VFP_HOOK_NEEDS_LEASE, 0 },
  { "migrate", "begin", VFP_HOOK_MIGRATE, VFP_HOOK_NEEDS_METADATA, 1 },
  { "started", "begin", VFP_HOOK_STARTED, VFP_HOOK_NEEDS_METADATA, 0 },
  { "reconnect", "begin", VFP_HOOK_RECONNECT, VFP_HOOK_NEEDS_DEVICE_OR_LEASE, 0 },
};

const VfpHookOption vfp_hook_options[VFP_HOOK_N_OPTIONS] = {
  [VFP_HOOK_OPT_CONFIG] = { "config", "FILE", "Configuration file" },
  [VFP_HOOK_OPT_STATE_DIR] = { "state-dir", "DIR", "Lease store directory" },
  [VFP_HOOK_OPT_SYSFS_ROOT] = { "sysfs-root", "DIR", "Directory that plays /sys" },
  [VFP_HOOK_OPT_VFPOOL] = { "vfpool", "PATH", "The vfpool program (for reattach)" },
  [VFP_HOOK_OPT_TEMPLATE_DIR] = { "template-dir", "DIR", "Passed on to vfpool reattach" },
};

/* The rule of OP SUBOP, or NULL when the hook ignores the call. */
const VfpHookRule *
vfp_hook_rule_find (const char *op, const char *subop)
{
  size_t i;

  if (op == NULL || subop == NULL)
    return NULL;
  for (i = 0; i < sizeof rules / sizeof rules[0]; i++)
    if (strcmp (rules[i].op, op) == 0 && strcmp (rules[i].subop, subop) == 0)
      return &rules[i];
  return NULL;
}

/* Whether a rule of operation OP refuses a guest it cannot check. */
int
vfp_hook_op_refuses (const char *op)
{
  size_t i;

  for (i = 0; op != NULL && i < sizeof rules / sizeof rules[0]; i++)
    if (rules[i].refuses && strcmp (rules[i].op, op) == 0)
      return 1;
  return 0;
}

/* Whether a device with ALIAS is one vfpool gave: ua-vfpool-N. */
int
vfp_hook_alias_is_vfpool (const char *alias)
{
  return alias != NULL && strncmp (alias, VFP_ALIAS_PREFIX, strlen (VFP_ALIAS_PREFIX)) == 0;
}

/* Reads all of FD, keeping at most VFP_XML_MAX_SIZE + 1 bytes (the full
 * hook refuses what is over the limit); the caller free()s the result. */
char *
vfp_hook_input_read (int fd, size_t *len, void (*feed) (void *data, const char *buf, size_t len),
                     void *data)
{
  size_t cap = 65536, used = 0;
  char *buf = malloc (cap + 1);
  char chunk[65536];
  ssize_t n;

  while (buf != NULL && (n = read (fd, chunk, sizeof chunk)) != 0)
    {
      size_t keep;

      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (feed != NULL)
        feed (data, chunk, n);
      keep = used > VFP_XML_MAX_SIZE ? 0 : (size_t) n;
      if (used + keep > VFP_XML_MAX_SIZE + 1)
        keep = VFP_XML_MAX_SIZE + 1 - used;
      if (used + keep > cap)
        {
          char *bigger;

          while (used + keep > cap)
            cap *= 2;
          bigger = realloc (buf, cap + 1);
          if (bigger == NULL)
            {
              free (buf);
              return NULL;
            }
          buf = bigger;
        }
      memcpy (buf + used, chunk, keep);
      used += keep;
    }
  if (buf != NULL)
    buf[used] = '\0';
  *len = used;
  return buf;
}

/* A whole small regular file, or NULL with errno set; free() it.
 * O_NONBLOCK: the open of a FIFO must not wait for a writer (the hook
 * never blocks); the fstat then refuses it unread. */
char *
vfp_hook_file_read (const char *path, size_t max, size_t *len)
{
  int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  struct stat st;
  char *buf;
  size_t got = 0;

  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || (size_t) st.st_size > max)
    {
      close (fd);
      errno = EFBIG;
      return NULL;
    }
  buf = malloc ((size_t) st.st_size + 1);
  while (buf != NULL && got < (size_t) st.st_size)
    {
      ssize_t n = read (fd, buf + got, (size_t) st.st_size - got);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += n;
    }
  close (fd);
  if (buf == NULL || got != (size_t) st.st_size)
    {
      free (buf);
      errno = EIO;
      return NULL;
    }
  buf[got] = '\0';
  *len = got;
  return buf;
}

/* Whether the store in DIR names one of UUIDS. The store is replaced by
 * rename, so this unlocked read sees an old or a new store, never half of
 * one; a lease written after this look belongs to an attach in progress,
 * which a release leaves alone anyway. Most guests have no VF: this spares
 * them the lock and the parse. */
int
vfp_hook_store_mentions (const char *dir, const char *const *uuids, int n)
{
  size_t dlen = strlen (dir), len = 0;
  char *path = malloc (dlen + sizeof "/" VFP_LEASES_FILE);
  char *text;
  int i, found = 0;

  if (path == NULL)
    return 1;
  memcpy (path, dir, dlen);
  memcpy (path + dlen, "/" VFP_LEASES_FILE, sizeof "/" VFP_LEASES_FILE);
  text = vfp_hook_file_read (path, VFP_LEASES_MAX_SIZE, &len);
  free (path);
  if (text == NULL)
    return errno != ENOENT && errno != ENOTDIR;
  for (i = 0; i < n && !found; i++)
    found = uuids[i] != NULL && uuids[i][0] != '\0'
            && memmem (text, len, uuids[i], strlen (uuids[i])) != NULL;
  free (text);
  return found;
}
