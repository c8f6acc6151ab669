/* PF identity (see vfp-identity.h): read from sysfs and config space,
 * compared with the store's record. Reads only what a check needs: the
 * recorded kind and the model, so a check of a MAC identity never starts
 * libpci. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "vfp-addr.h"
#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-identity.h"
#include "vfp-pci.h"
#include "vfp-sysfs.h"

#define PERM_ADDR_MAX 32   /* the kernel's MAX_ADDR_LEN */

struct _VfpIdentity {
  char *root;              /* owned: the directory that plays /sys */
  gboolean real_sysfs;     /* ROOT is the kernel's /sys: its netdevs exist */
  VfpPci *pci;             /* owned; made for the first DSN read */
  GHashTable *verdicts;    /* owned: pf -> "" (the recorded card) or the
                            * error message; a check reads a PF once */
};

/* Identity lookups under SYSFS_ROOT; the caller frees it. */
VfpIdentity *
vfp_identity_new (const char *sysfs_root)
{
  VfpIdentity *id = g_new0 (VfpIdentity, 1);
  char real[PATH_MAX];

  id->root = g_strdup (sysfs_root);
  id->real_sysfs = realpath (sysfs_root, real) != NULL && strcmp (real, "/sys") == 0;
  id->verdicts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return id;
}

/* Frees ID and the libpci handle it may have made. */
void
vfp_identity_free (VfpIdentity *id)
{
  if (id == NULL)
    return;
  g_free (id->root);
  g_clear_pointer (&id->pci, vfp_pci_free);
  g_hash_table_unref (id->verdicts);
  g_free (id);
}

/* ROOT/bus/pci/devices/PF/NAME; the caller frees it. */
static char *
device_file (VfpIdentity *id, const char *pf, const char *name)
{
  return vfp_sysfs_path (id->root, "bus", "pci", "devices", pf, name, NULL);
}

/* A 16-bit hex attribute of PF ("0x8086"); FALSE when missing or bad. */
static gboolean
read_hex (VfpIdentity *id, const char *pf, const char *name, guint64 *out)
{
  g_autofree char *path = device_file (id, pf, name);

  return vfp_sysfs_read_uint (path, 16, out) && *out <= 0xffff;
}

/* "8086:10fb:8086:000c" (vendor, device, subsystem vendor, subsystem
 * device; the last two only where the kernel shows them), or NULL when
 * there is no function at PF. */
static char *
read_model (VfpIdentity *id, const char *pf)
{
  guint64 v, d, sv, sd;

  if (!read_hex (id, pf, "vendor", &v) || !read_hex (id, pf, "device", &d))
    return NULL;
  if (read_hex (id, pf, "subsystem_vendor", &sv) && read_hex (id, pf, "subsystem_device", &sd))
    return g_strdup_printf ("%04x:%04x:%04x:%04x", (guint) v, (guint) d, (guint) sv, (guint) sd);
  return g_strdup_printf ("%04x:%04x", (guint) v, (guint) d);
}

/* Whether PF's extended config space (from 0x100) can be read here: when it
 * cannot (not root, or a conventional PCI function), a missing serial
 * number proves nothing. */
static gboolean
extended_config_readable (VfpIdentity *id, const char *pf)
{
  g_autofree char *path = device_file (id, pf, "config");
  guint8 buf[4];
  gssize n;
  int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    return FALSE;
  n = pread (fd, buf, sizeof buf, 0x100);
  close (fd);
  return n == sizeof buf;
}

/* "dsn:00-1b-21-ff-ff-a1-b2-c3", or NULL when PF has no serial number (or
 * one of all zeros or all ones, which some firmware leaves). */
static char *
read_dsn (VfpIdentity *id, const char *pf)
{
  g_autoptr (GError) error = NULL;
  guint64 s;
  VfpAddr addr;

  if (!vfp_addr_parse (pf, &addr, NULL))
    return NULL;
  if (id->pci == NULL)
    id->pci = vfp_pci_new (id->root);
  if (!vfp_pci_read_dsn (id->pci, &addr, &s, &error))
    {
      g_debug ("%s", error->message);
      return NULL;
    }
  if (s == 0 || s == G_MAXUINT64)
    return NULL;
  return g_strdup_printf ("dsn:%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x",
                          (guint) (s >> 56) & 0xff, (guint) (s >> 48) & 0xff,
                          (guint) (s >> 40) & 0xff, (guint) (s >> 32) & 0xff,
                          (guint) (s >> 24) & 0xff, (guint) (s >> 16) & 0xff,
                          (guint) (s >> 8) & 0xff, (guint) s & 0xff);
}

/* The permanent MAC of the kernel's netdev NAME as its driver reports it
 * (ETHTOOL_GPERMADDR, which needs no privilege: "90:e2:ba:76:86:a8"), or
 * NULL (no such netdev, or a driver that knows none); the caller frees it. */
char *
vfp_identity_permanent_mac (const char *name)
{
  struct {
    struct ethtool_perm_addr epa;
    guint8 data[PERM_ADDR_MAX];
  } req;
  struct ifreq ifr;
  int fd, ok;
  guint i, zero = 0;

  if (strlen (name) >= IFNAMSIZ)
    return NULL;
  memset (&req, 0, sizeof req);
  memset (&ifr, 0, sizeof ifr);
  req.epa.cmd = ETHTOOL_GPERMADDR;
  req.epa.size = PERM_ADDR_MAX;
  memcpy (ifr.ifr_name, name, strlen (name));
  ifr.ifr_data = (void *) &req;
  fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return NULL;
  ok = ioctl (fd, SIOCETHTOOL, &ifr) == 0;
  close (fd);
  if (!ok || req.epa.size != 6)
    return NULL;
  for (i = 0; i < 6; i++)
    zero += req.data[i] == 0;
  if (zero == 6)
    return NULL;
  return g_strdup_printf ("%02x:%02x:%02x:%02x:%02x:%02x", req.data[0], req.data[1],
                          req.data[2], req.data[3], req.data[4], req.data[5]);
}

/* "mac:90:e2:ba:76:86:a8": the permanent MAC of PF's first netdev, or NULL
 * (no driver, no netdev, or no permanent MAC known). The netdev's
 * `address` is the current MAC, which bonding, the operator or a VM manager
 * may have changed. On the real /sys the driver's permanent one is asked
 * for (ETHTOOL_GPERMADDR); otherwise, and where the driver knows none,
 * `address` counts only while addr_assign_type says it is the permanent
 * one (0, NET_ADDR_PERM). Fake trees have no netdevs in the kernel, hence
 * the second way, which a fake tree can play. */
static char *
read_mac (VfpIdentity *id, const char *pf)
{
  g_autofree char *dir = device_file (id, pf, "net");
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree char *first = NULL;
  g_autofree char *mac = NULL;
  const char *name;
  guint64 type;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (first == NULL || strcmp (name, first) < 0)
      {
        g_free (first);
        first = g_strdup (name);
      }
  if (first == NULL)
    return NULL;
  if (id->real_sysfs)
    mac = vfp_identity_permanent_mac (first);
  if (mac == NULL)
    {
      g_autofree char *type_path = vfp_sysfs_path (dir, first, "addr_assign_type", NULL);
      g_autofree char *addr_path = vfp_sysfs_path (dir, first, "address", NULL);
      g_autofree char *text = NULL;

      if (!vfp_sysfs_read_uint (type_path, 10, &type) || type != 0
          || !g_file_get_contents (addr_path, &text, NULL, NULL))
        return NULL;
      g_strstrip (text);
      if (strlen (text) != 17 || strcmp (text, "00:00:00:00:00:00") == 0)
        return NULL;
      mac = g_ascii_strdown (text, -1);
    }
  return g_strconcat ("mac:", mac, NULL);
}

/* PF's identity now, the strongest kind it has, and its model, both newly
 * allocated. FALSE when there is no PCI function at PF. */
gboolean
vfp_identity_read (VfpIdentity *id, const char *pf, char **identity, char **model)
{
  g_autofree char *m = read_model (id, pf);
  char *i;

  if (m == NULL)
    return FALSE;
  i = read_dsn (id, pf);
  if (i == NULL)
    i = read_mac (id, pf);
  if (i == NULL)
    i = g_strconcat ("pci:", m, NULL);
  *identity = i;
  if (model != NULL)
    *model = g_steal_pointer (&m);
  return TRUE;
}

/* Where the card whose identity is WAS sits now, if not at PF: another PF
 * (sriov_totalvfs) with that serial number or MAC, the same function
 * number preferred (both ports of a card share a serial number). NULL
 * when none, or when WAS names only a model, which many cards share. */
static char *
find_elsewhere (VfpIdentity *id, const char *pf, const char *was)
{
  g_autofree char *dir = vfp_sysfs_path (id->root, "bus", "pci", "devices", NULL);
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree char *found = NULL;
  gboolean is_dsn = g_str_has_prefix (was, "dsn:");
  const char *name;
  VfpAddr want, at;

  if ((!is_dsn && !g_str_has_prefix (was, "mac:")) || !vfp_addr_parse (pf, &want, NULL))
    return NULL;
  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *totalvfs = device_file (id, name, "sriov_totalvfs");
      g_autofree char *now = NULL;

      if (strcmp (name, pf) == 0 || !vfp_addr_parse (name, &at, NULL)
          || !g_file_test (totalvfs, G_FILE_TEST_EXISTS))
        continue;
      now = is_dsn ? read_dsn (id, name) : read_mac (id, name);
      if (g_strcmp0 (now, was) != 0)
        continue;
      if (at.function == want.function)
        {
          g_free (found);
          return vfp_addr_to_string (&at);
        }
      if (found == NULL)
        found = vfp_addr_to_string (&at);
    }
  return g_steal_pointer (&found);
}

/* Whether the card at RECORD->pf is the one RECORD describes. When it is
 * not, *NOW receives its identity and *MOVED_TO where the recorded card is
 * now, or NULL (both newly allocated). A PF that is gone matches (it has
 * no VFs to hand out; the audit reports their leases) unless its card is
 * found at another address: then *NOW is NULL. When the recorded kind
 * cannot be read now, the model decides. */
gboolean
vfp_identity_matches (VfpIdentity *id, const VfpPfRecord *record, char **now, char **moved_to)
{
  g_autofree char *model = read_model (id, record->pf);
  g_autofree char *cur = NULL;
  gboolean same;

  *now = NULL;
  *moved_to = NULL;
  if (model == NULL)
    {
      *moved_to = find_elsewhere (id, record->pf, record->identity);
      return *moved_to == NULL;
    }
  if (record->model != NULL && strcmp (record->model, model) != 0)
    same = FALSE;
  else if (g_str_has_prefix (record->identity, "dsn:"))
    {
      cur = read_dsn (id, record->pf);
      same = cur != NULL ? strcmp (cur, record->identity) == 0
                         : !extended_config_readable (id, record->pf);
    }
  else if (g_str_has_prefix (record->identity, "mac:"))
    {
      cur = read_mac (id, record->pf);
      same = cur == NULL || strcmp (cur, record->identity) == 0;
    }
  else if (g_str_has_prefix (record->identity, "pci:"))
    same = strcmp (record->identity + 4, model) == 0;
  else
    same = TRUE;   /* a kind a newer vfpool knows: the model matched */
  if (same)
    return TRUE;
  g_clear_pointer (&cur, g_free);
  vfp_identity_read (id, record->pf, now, NULL);
  *moved_to = find_elsewhere (id, record->pf, record->identity);
  return FALSE;
}

/* One sentence naming the recorded card, the card there now, and where the
 * recorded one went; the caller frees it. */
char *
vfp_identity_describe_change (const VfpPfRecord *record, const char *now, const char *moved_to)
{
  if (now == NULL)
    return g_strdup_printf (_("PF %s, which its VFs were leased from, is gone: the card %s is now at %s."),
                            record->pf, record->identity, moved_to);
  if (moved_to != NULL)
    return g_strdup_printf (_("PF %s is not the card its VFs were leased from: it was %s and is now %s; the card %s is now at %s."),
                            record->pf, record->identity, now, record->identity, moved_to);
  return g_strdup_printf (_("PF %s is not the card its VFs were leased from: it was %s and is now %s."),
                          record->pf, record->identity, now);
}

/* Records PF's identity if the store has none yet (the first use of the
 * PF, or a store an older vfpool wrote). Returns TRUE when it recorded. */
static gboolean
vfp_identity_record (VfpIdentity *id, VfpState *state, const char *pf)
{
  g_autofree char *identity = NULL;
  g_autofree char *model = NULL;

  if (pf == NULL || vfp_state_get_pf (state, pf) != NULL
      || !vfp_identity_read (id, pf, &identity, &model))
    return FALSE;
  vfp_state_set_pf (state, pf, identity, model, g_get_real_time () / G_USEC_PER_SEC);
  g_hash_table_replace (id->verdicts, g_strdup (pf), g_strdup (""));
  return TRUE;
}

/* Whether VFs of PF may be handed out or used: TRUE when PF is the card the
 * store recorded, or has no record (then, with RECORD, it is recorded: the
 * caller saves the store). FALSE with ERROR naming both cards and the way
 * out otherwise. Each PF is read once per VfpIdentity. */
gboolean
vfp_identity_check (VfpIdentity *id, VfpState *state, const char *pf, gboolean record,
                    GError **error)
{
  const VfpPfRecord *rec = vfp_state_get_pf (state, pf);
  const char *verdict;
  g_autofree char *now = NULL;
  g_autofree char *moved_to = NULL;
  g_autofree char *what = NULL;

  if (pf == NULL)
    return TRUE;
  verdict = g_hash_table_lookup (id->verdicts, pf);
  if (verdict == NULL)
    {
      if (rec == NULL)
        {
          if (record)
            vfp_identity_record (id, state, pf);
          return TRUE;
        }
      if (vfp_identity_matches (id, rec, &now, &moved_to))
        g_hash_table_replace (id->verdicts, g_strdup (pf), g_strdup (""));
      else
        {
          what = vfp_identity_describe_change (rec, now, moved_to);
          g_hash_table_replace (id->verdicts, g_strdup (pf),
                                g_strdup_printf (_("%s vfpool will not hand out its VFs or start guests with them; if the new card is meant to be used, run 'vfpool adopt-hardware %s'."),
                                                 what, pf));
        }
      verdict = g_hash_table_lookup (id->verdicts, pf);
    }
  if (verdict[0] == '\0')
    return TRUE;
  g_set_error_literal (error, VFP_ERROR, VFP_ERROR_FAILED, verdict);
  return FALSE;
}
