/* VF settings over rtnetlink, through libnl-route-3's rtnl_link_vf_* API:
 * RTM_GETLINK with RTEXT_FILTER_VF on the PF to read, one RTM_NEWLINK
 * (libnl falls back to RTM_SETLINK) per setting to change. One setting per
 * request because the kernel applies a request's VF attributes in order
 * and stops at the first the driver refuses: a request of its own is the
 * only way to name the setting that was refused and to know that nothing
 * after it was half applied. Every change is read back before it counts. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <net/if.h>
#include <linux/if_ether.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/sriov.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-vfnet.h"

typedef struct nl_sock VfpNlSock;
typedef struct rtnl_link VfpNlLink;
typedef struct rtnl_link_vf VfpNlVf;
typedef struct nl_addr VfpNlAddr;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpNlSock, nl_socket_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpNlLink, rtnl_link_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpNlVf, rtnl_link_vf_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpNlAddr, nl_addr_put)

/* The order settings are applied in: identity first, rates last. */
static const VfpVfField apply_order[] = {
  VFP_VF_MAC, VFP_VF_VLAN, VFP_VF_SPOOFCHK, VFP_VF_TRUST, VFP_VF_LINK_STATE,
  VFP_VF_MAX_TX_RATE, VFP_VF_MIN_TX_RATE, VFP_VF_QUERY_RSS,
};

/* A connected NETLINK_ROUTE socket, or NULL with ERROR set; the caller
 * frees it with nl_socket_free. */
static VfpNlSock *
route_socket (const char *pf, GError **error)
{
  g_autoptr (VfpNlSock) sk = NULL;
  int err;

  if (*pf == '\0' || strlen (pf) >= IFNAMSIZ || strchr (pf, '/') != NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("'%s' is not a network interface name; name the PF's netdev as 'ip link' shows it."), pf);
      return NULL;
    }
  sk = nl_socket_alloc ();
  if (sk == NULL)
    g_error ("nl_socket_alloc: out of memory");
  err = nl_connect (sk, NETLINK_ROUTE);
  if (err < 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("Cannot open a netlink socket for the VFs of PF '%s': %s."), pf, nl_geterror (err));
      return NULL;
    }
  return g_steal_pointer (&sk);
}

/* The PF's link as the kernel reports it now, with its VF list; the caller
 * frees it with rtnl_link_put. */
static VfpNlLink *
pf_link (VfpNlSock *sk, const char *pf, GError **error)
{
  g_autoptr (VfpNlLink) link = NULL;
  guint32 num_vfs;
  int err;

  err = rtnl_link_get_kernel (sk, 0, pf, &link);
  if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                   _("There is no network interface '%s'; name the PF's netdev as 'ip link' shows it."), pf);
      return NULL;
    }
  if (err < 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("Reading the VFs of PF '%s' over netlink failed: %s."), pf, nl_geterror (err));
      return NULL;
    }
  /* The kernel sends IFLA_NUM_VF only for a device on a bus (a PCI
   * function); a software device such as lo has none. */
  if (rtnl_link_get_num_vf (link, &num_vfs) < 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                   _("Network interface '%s' is not an SR-IOV PF: the kernel reports no VFs for it."), pf);
      return NULL;
    }
  return g_steal_pointer (&link);
}

/* Fills OUT from libnl's VF object: what the kernel sent for that VF.
 * MAC, VLAN, rates and link state are in every answer (libnl leaves out
 * zeros); spoofchk, trust and RSS query only when the driver reports them. */
static void
settings_from_vf (struct rtnl_link_vf *vf, guint index, VfpVfSettings *out)
{
  struct nl_addr *addr;
  nl_vf_vlans_t *vlans;
  struct nl_vf_rate rate;
  guint32 v;

  memset (out, 0, sizeof *out);
  out->index = index;
  out->fields = VFP_VF_MAC | VFP_VF_VLAN | VFP_VF_MAX_TX_RATE | VFP_VF_MIN_TX_RATE;
  if (rtnl_link_vf_get_addr (vf, &addr) == 0 && nl_addr_get_len (addr) >= 6)
    memcpy (out->mac, nl_addr_get_binary_addr (addr), 6);
  if (rtnl_link_vf_get_vlans (vf, &vlans) == 0)
    {
      if (vlans->size > 0)
        {
          out->vlan = vlans->vlans[0].vf_vlan;
          out->qos = vlans->vlans[0].vf_vlan_qos;
        }
      rtnl_link_vf_vlan_put (vlans);
    }
  if (rtnl_link_vf_get_rate (vf, &rate) == 0)
    {
      if (rate.api == RTNL_LINK_VF_RATE_API_NEW)
        {
          out->max_tx_rate = rate.max_tx_rate;
          out->min_tx_rate = rate.min_tx_rate;
        }
      else
        out->max_tx_rate = rate.rate;
    }
  if (rtnl_link_vf_get_linkstate (vf, &v) == 0)
    {
      out->link_state = v;
      out->fields |= VFP_VF_LINK_STATE;
    }
  if (rtnl_link_vf_get_spoofchk (vf, &v) == 0)
    {
      out->spoofchk = v != 0;
      out->fields |= VFP_VF_SPOOFCHK;
    }
  if (rtnl_link_vf_get_trust (vf, &v) == 0)
    {
      out->trust = v != 0;
      out->fields |= VFP_VF_TRUST;
    }
  if (rtnl_link_vf_get_rss_query_en (vf, &v) == 0)
    {
      out->query_rss = v != 0;
      out->fields |= VFP_VF_QUERY_RSS;
    }
}

/* Reads VF INDEX out of LINK into OUT. */
static gboolean
settings_of (VfpNlLink *link, const char *pf, guint index, VfpVfSettings *out, GError **error)
{
  g_autoptr (VfpNlVf) vf = NULL;
  guint32 num_vfs = 0;

  rtnl_link_get_num_vf (link, &num_vfs);
  if (index < num_vfs && rtnl_link_has_vf_list (link))
    vf = rtnl_link_vf_get (link, index);
  if (vf == NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND,
                   _("PF '%s' has no VF %u (it has %u VFs)."), pf, index, num_vfs);
      return FALSE;
    }
  settings_from_vf (vf, index, out);
  return TRUE;
}

/* The settings of every VF of PF (a netdev name), ordered by VF index; the
 * caller frees the array. A VF whose settings the driver could not read
 * is left out (the kernel leaves it out). */
GArray *
vfp_vfnet_read (const char *pf, GError **error)
{
  g_autoptr (VfpNlSock) sk = route_socket (pf, error);
  g_autoptr (VfpNlLink) link = NULL;
  g_autoptr (GArray) out = g_array_new (FALSE, TRUE, sizeof (VfpVfSettings));
  guint32 num_vfs = 0, i;

  if (sk == NULL || (link = pf_link (sk, pf, error)) == NULL)
    return NULL;
  rtnl_link_get_num_vf (link, &num_vfs);
  for (i = 0; i < num_vfs && rtnl_link_has_vf_list (link); i++)
    {
      g_autoptr (VfpNlVf) vf = rtnl_link_vf_get (link, i);
      VfpVfSettings s;

      if (vf == NULL)
        continue;
      settings_from_vf (vf, i, &s);
      g_array_append_val (out, s);
    }
  return g_steal_pointer (&out);
}

/* Reads the settings of VF number VF of PF into OUT. */
gboolean
vfp_vfnet_read_vf (const char *pf, guint vf, VfpVfSettings *out, GError **error)
{
  g_autoptr (VfpNlSock) sk = route_socket (pf, error);
  g_autoptr (VfpNlLink) link = NULL;

  if (sk == NULL || (link = pf_link (sk, pf, error)) == NULL)
    return FALSE;
  return settings_of (link, pf, vf, out, error);
}

/* Sends one change of PF's link that carries VF alone. Returns libnl's
 * code: 0, or a negative NLE_* (the kernel's errno translated). */
static int
send_vf (VfpNlSock *sk, VfpNlLink *link, VfpNlVf *vf)
{
  g_autoptr (VfpNlLink) changes = rtnl_link_alloc ();
  int err;

  if (changes == NULL)
    return -NLE_NOMEM;
  err = rtnl_link_vf_add (changes, vf);
  if (err < 0)
    return err;
  return rtnl_link_change (sk, link, changes, 0);
}

/* Sets ERROR for the driver's refusal ERR of FIELD (valued as in WANT) on
 * VF INDEX of PF; always FALSE. */
static gboolean
refused (int err, const char *pf, const VfpVfSettings *want, VfpVfField field, GError **error)
{
  g_autofree char *value = vfp_vf_settings_value (want, field);
  const char *name = vfp_vf_field_name (field);

  switch (-err)
    {
    case NLE_OPNOTSUPP:
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("The driver of PF '%s' does not support %s on VF %u."), pf, name, want->index);
      break;
    case NLE_INVAL:
    case NLE_RANGE:
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("The driver of PF '%s' refused %s %s on VF %u as invalid: it does not support that setting or that value."),
                   pf, name, value, want->index);
      break;
    case NLE_PERM:
    case NLE_NOACCESS:
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   _("Setting %s on VF %u of PF '%s' needs the CAP_NET_ADMIN capability; run vfpool as root."),
                   name, want->index, pf);
      break;
    default:
      g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                   _("Setting %s %s on VF %u of PF '%s' failed: %s."),
                   name, value, want->index, pf, nl_geterror (err));
    }
  return FALSE;
}

/* A VF object that sets FIELD of WANT, apart from the rates. */
static VfpNlVf *
vf_change (const VfpVfSettings *want, VfpVfField field)
{
  g_autoptr (VfpNlVf) vf = rtnl_link_vf_alloc ();

  if (vf == NULL)
    g_error ("rtnl_link_vf_alloc: out of memory");
  rtnl_link_vf_set_index (vf, want->index);
  switch (field)
    {
    case VFP_VF_MAC:
      {
        g_autoptr (VfpNlAddr) addr = nl_addr_build (AF_LLC, want->mac, 6);

        if (addr == NULL)
          g_error ("nl_addr_build: out of memory");
        rtnl_link_vf_set_addr (vf, addr);
      }
      break;
    case VFP_VF_VLAN:
      {
        nl_vf_vlans_t *vlans = NULL;

        if (rtnl_link_vf_vlan_alloc (&vlans, 1) < 0)
          g_error ("rtnl_link_vf_vlan_alloc: out of memory");
        vlans->vlans[0].vf_vlan = want->vlan;
        vlans->vlans[0].vf_vlan_qos = want->qos;
        vlans->vlans[0].vf_vlan_proto = ETH_P_8021Q;
        rtnl_link_vf_set_vlans (vf, vlans);
        rtnl_link_vf_vlan_put (vlans);
      }
      break;
    case VFP_VF_SPOOFCHK:
      rtnl_link_vf_set_spoofchk (vf, want->spoofchk ? 1 : 0);
      break;
    case VFP_VF_TRUST:
      rtnl_link_vf_set_trust (vf, want->trust ? 1 : 0);
      break;
    case VFP_VF_LINK_STATE:
      rtnl_link_vf_set_linkstate (vf, want->link_state);
      break;
    case VFP_VF_QUERY_RSS:
      rtnl_link_vf_set_rss_query_en (vf, want->query_rss ? 1 : 0);
      break;
    case VFP_VF_MAX_TX_RATE:
    case VFP_VF_MIN_TX_RATE:
      g_assert_not_reached ();
    }
  return g_steal_pointer (&vf);
}

/* Sets the pair (MIN, MAX) of rates, which the kernel takes together. */
static int
send_rates (VfpNlSock *sk, VfpNlLink *link, guint index, guint32 min, guint32 max)
{
  g_autoptr (VfpNlVf) vf = rtnl_link_vf_alloc ();
  struct nl_vf_rate rate = { .api = RTNL_LINK_VF_RATE_API_NEW, .min_tx_rate = min, .max_tx_rate = max };

  if (vf == NULL)
    g_error ("rtnl_link_vf_alloc: out of memory");
  rtnl_link_vf_set_index (vf, index);
  rtnl_link_vf_set_rate (vf, &rate);
  return send_vf (sk, link, vf);
}

/* Applies the fields TODO of WANT to the VF, whose settings are HAVE now. */
static gboolean
apply_fields (VfpNlSock *sk, VfpNlLink *link, const char *pf, const VfpVfSettings *want,
              const VfpVfSettings *have, guint todo, GError **error)
{
  guint32 max = (want->fields & VFP_VF_MAX_TX_RATE) ? want->max_tx_rate : have->max_tx_rate;
  guint32 min = (want->fields & VFP_VF_MIN_TX_RATE) ? want->min_tx_rate : have->min_tx_rate;
  gsize i;
  int err;

  for (i = 0; i < G_N_ELEMENTS (apply_order); i++)
    {
      VfpVfField field = apply_order[i];

      if ((todo & field) == 0)
        continue;
      if (field == VFP_VF_MAX_TX_RATE)
        {
          /* The limit first, with no guarantee: a driver that refuses
           * either is then named for the one it refused. */
          err = send_rates (sk, link, want->index, 0, max);
          if (min != 0)
            todo |= VFP_VF_MIN_TX_RATE;
          else
            todo &= ~(guint) VFP_VF_MIN_TX_RATE;
        }
      else if (field == VFP_VF_MIN_TX_RATE)
        err = send_rates (sk, link, want->index, min, max);
      else
        {
          g_autoptr (VfpNlVf) vf = vf_change (want, field);

          err = send_vf (sk, link, vf);
        }
      if (err < 0)
        return refused (err, pf, want, field, error);
    }
  return TRUE;
}

/* Reads the VF again and fails unless every field WANT holds reads back
 * as WANT has it. */
static gboolean
verify (VfpNlSock *sk, const char *pf, const VfpVfSettings *want, GError **error)
{
  g_autoptr (VfpNlLink) link = pf_link (sk, pf, error);
  VfpVfSettings have;
  guint diff;
  gsize i;

  if (link == NULL || !settings_of (link, pf, want->index, &have, error))
    return FALSE;
  diff = vfp_vf_settings_differ (want, &have);
  for (i = 0; i < G_N_ELEMENTS (apply_order); i++)
    {
      VfpVfField field = apply_order[i];
      g_autofree char *wanted = NULL;
      g_autofree char *got = NULL;

      if ((diff & field) == 0)
        continue;
      if ((have.fields & field) == 0)
        g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                     _("PF '%s' does not report %s of VF %u, so vfpool cannot verify it."),
                     pf, vfp_vf_field_name (field), want->index);
      else
        {
          wanted = vfp_vf_settings_value (want, field);
          got = vfp_vf_settings_value (&have, field);
          g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                       _("PF '%s' reports %s %s on VF %u where vfpool set %s; the driver did not keep the setting."),
                       pf, vfp_vf_field_name (field), got, want->index, wanted);
        }
      return FALSE;
    }
  return TRUE;
}

/* Applies the fields WANT holds to VF WANT->index of PF (a netdev name),
 * each that differs in a request of its own, then reads the VF back and
 * fails unless all of them read as WANT has them. On failure the fields
 * before the one named in ERROR may have been applied. */
gboolean
vfp_vfnet_apply (const char *pf, const VfpVfSettings *want, GError **error)
{
  g_autoptr (VfpNlSock) sk = NULL;
  g_autoptr (VfpNlLink) link = NULL;
  VfpVfSettings have;

  if (!vfp_vf_settings_check (want, error))
    return FALSE;
  sk = route_socket (pf, error);
  if (sk == NULL || (link = pf_link (sk, pf, error)) == NULL
      || !settings_of (link, pf, want->index, &have, error))
    return FALSE;
  return apply_fields (sk, link, pf, want, &have, vfp_vf_settings_differ (want, &have), error)
         && verify (sk, pf, want, error);
}

/* Returns VF BASELINE->index of PF to BASELINE and reads it back. A
 * setting the driver does not report (spoofchk, trust or RSS query on
 * some drivers) is left alone: it can neither have been changed through
 * netlink nor be verified. */
gboolean
vfp_vfnet_restore (const char *pf, const VfpVfSettings *baseline, GError **error)
{
  VfpVfSettings have, want = *baseline;

  if (!vfp_vfnet_read_vf (pf, baseline->index, &have, error))
    return FALSE;
  want.fields &= have.fields;
  return vfp_vfnet_apply (pf, &want, error);
}
