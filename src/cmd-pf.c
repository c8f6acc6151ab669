/* vfpool pf show PF: one PF, everything known about it. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfp-cli.h"
#include "vfp-i18n.h"
#include "vfp-pool.h"
#include "vfp-table.h"
#include "vfp-vfnet.h"

static void
print_json (VfpCli *cli, VfpHost *host, VfpHostPf *hpf)
{
  g_autoptr (VfpJson) json = vfp_json_new ();
  VfpPf *pf = hpf->pf;
  guint j;

  vfp_json_begin_object (json);
  vfp_cli_json_function (json, host, &pf->fn);
  vfp_json_member_string (json, "vendor", hpf->vendor_name);
  vfp_json_member_string (json, "device", hpf->device_name);
  vfp_json_member_int (json, "total_vfs", pf->total_vfs);
  vfp_json_member_int (json, "num_vfs", pf->num_vfs);
  vfp_json_key (json, "initial_vfs");
  hpf->has_cap ? vfp_json_int (json, hpf->cap.initial_vfs) : vfp_json_null (json);
  /* The capability is the hardware's word; the kernel's sriov_* files are
   * the fallback when libpci could not read config space. */
  vfp_json_member_int (json, "vf_offset", hpf->has_cap ? hpf->cap.vf_offset : pf->vf_offset);
  vfp_json_member_int (json, "vf_stride", hpf->has_cap ? hpf->cap.vf_stride : pf->vf_stride);
  {
    int id = hpf->has_cap ? hpf->cap.vf_device_id : pf->vf_device_id;
    g_autofree char *hex = id >= 0 ? g_strdup_printf ("%04x", id) : NULL;

    vfp_json_member_string (json, "vf_device_id", hex);
  }
  vfp_json_member_string (json, "vf_device", hpf->vf_device_name);
  vfp_json_key (json, "capability");
  if (hpf->has_cap)
    {
      g_autofree char *sup = g_strdup_printf ("%08x", hpf->cap.supported_page_sizes);
      g_autofree char *sys = g_strdup_printf ("%08x", hpf->cap.system_page_size);

      vfp_json_begin_object (json);
      vfp_json_member_int (json, "offset", hpf->cap.offset);
      vfp_json_member_bool (json, "vf_enable", hpf->cap.control & 0x1);
      vfp_json_member_bool (json, "vf_mse", hpf->cap.control & 0x8);
      vfp_json_member_bool (json, "ari_hierarchy", hpf->cap.control & 0x10);
      vfp_json_member_int (json, "function_dependency_link", hpf->cap.function_dependency);
      vfp_json_member_string (json, "supported_page_sizes", sup);
      vfp_json_member_string (json, "system_page_size", sys);
      vfp_json_end_object (json);
    }
  else
    vfp_json_null (json);
  vfp_json_key (json, "vfs");
  vfp_json_begin_array (json);
  for (j = 0; j < pf->vfs->len; j++)
    vfp_json_string (json, ((VfpVf *) pf->vfs->pdata[j])->fn.address);
  vfp_json_end_array (json);
  vfp_json_end_object (json);
  vfp_cli_print_json (cli, json);
}

static void
print_text (VfpHost *host, VfpHostPf *hpf)
{
  VfpPf *pf = hpf->pf;
  g_autofree char *label = vfp_cli_device_label (hpf->vendor_name, hpf->device_name,
                                                 pf->fn.vendor_id, pf->fn.device_id);
  g_autofree char *numa = vfp_cli_numa (pf->fn.numa_node);
  g_autofree char *netdevs = g_strjoinv (", ", pf->fn.netdevs);
  guint j;

  printf (_("PF:            %s\n"), pf->fn.address);
  printf (_("Device:        %s [%04x:%04x]\n"), label, pf->fn.vendor_id, pf->fn.device_id);
  printf (_("Driver:        %s\n"), vfp_cli_or_dash (pf->fn.driver));
  printf (_("Netdev:        %s\n"), vfp_cli_or_dash (netdevs));
  if (pf->fn.mac)
    printf (_("MAC:           %s (%s)\n"), pf->fn.mac, vfp_cli_or_dash (pf->fn.operstate));
  printf (_("NUMA node:     %s\n"), numa);
  if (pf->fn.iommu_group >= 0)
    printf (_("IOMMU group:   %d\n"), pf->fn.iommu_group);
  else
    printf (_("IOMMU group:   -\n"));
  if (vfp_host_nodedev_name (host, pf->fn.address))
    printf (_("Node device:   %s\n"), vfp_host_nodedev_name (host, pf->fn.address));
  printf (_("VFs:           %u enabled of %u\n"), pf->num_vfs, pf->total_vfs);
  if (hpf->has_cap)
    {
      printf (_("SR-IOV capability at [%x]:\n"), hpf->cap.offset);
      printf (_("  Initial VFs: %u, Total VFs: %u, Number of VFs: %u, Function Dependency Link: %02x\n"),
              hpf->cap.initial_vfs, hpf->cap.total_vfs, hpf->cap.num_vfs,
              hpf->cap.function_dependency);
      printf (_("  VF offset: %u, stride: %u, Device ID: %04x (%s)\n"),
              hpf->cap.vf_offset, hpf->cap.vf_stride, hpf->cap.vf_device_id,
              vfp_cli_or_dash (hpf->vf_device_name));
      printf (_("  Supported Page Size: %08x, System Page Size: %08x\n"),
              hpf->cap.supported_page_sizes, hpf->cap.system_page_size);
    }
  else
    printf (_("SR-IOV capability: unreadable (%s)\n"), hpf->cap_error);
  printf (_("VF addresses:\n"));
  for (j = 0; j < pf->vfs->len; j++)
    {
      VfpVf *vf = pf->vfs->pdata[j];

      printf ("  %u  %s  %s  %s\n", vf->index, vf->fn.address,
              vfp_cli_netdev (&vf->fn), vfp_cli_or_dash (vf->fn.driver));
    }
}

/* The host with DETAIL, and in *HPF its PF NAME (a PCI address or netdev
 * name); NULL with *CODE set, the error printed, when either fails. The
 * caller frees the host. */
static VfpHost *
load_pf (VfpCli *cli, const char *name, VfpHostDetail detail, VfpHostPf **hpf, int *code)
{
  g_autoptr (VfpHost) host = vfp_cli_load_host (cli, detail, code);

  if (host == NULL)
    return NULL;
  *hpf = vfp_host_find_pf (host, name);
  if (*hpf == NULL)
    {
      *code = vfp_cli_error (cli, VFP_EXIT_FAILED,
                             _("No SR-IOV PF '%s' under %s; 'vfpool status' lists the PFs."),
                             name, host->sysfs->root);
      return NULL;
    }
  return g_steal_pointer (&host);
}

static int
pf_show (VfpCli *cli, int argc, char **argv)
{
  g_autoptr (VfpHost) host = NULL;
  VfpHostPf *hpf;
  int code = VFP_EXIT_OK;

  if (!vfp_cli_parse (cli, "pf show", N_("PF"),
                      N_("Show one PF (by PCI address or netdev name) with its SR-IOV capability."),
                      NULL, &argc, &argv, &code))
    return code;
  if (argc != 2)
    return vfp_cli_error (cli, VFP_EXIT_ERROR,
                          _("pf show needs exactly one PF, by PCI address or netdev name: vfpool pf show 0000:05:00.0"));
  host = load_pf (cli, argv[1], VFP_HOST_PCI_DETAILS | VFP_HOST_NODEDEVS, &hpf, &code);
  if (host == NULL)
    return code;
  if (cli->json)
    print_json (cli, host, hpf);
  else
    print_text (host, hpf);
  return VFP_EXIT_OK;
}

/* vfpool pf set-numvfs PF N: writes sriov_numvfs safely. */
static int
pf_set_numvfs (VfpCli *cli, int argc, char **argv)
{
  int wait_s = 30;
  GOptionEntry entries[] = {
    { "wait", 0, 0, G_OPTION_ARG_INT, &wait_s, N_("Seconds to wait for the kernel to create the VFs (default 30; 0: do not wait)"), N_("S") },
    { NULL }
  };
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (GError) error = NULL;
  VfpHostPf *hpf;
  guint64 n;
  int code = VFP_EXIT_OK;
  gboolean ok;

  if (!vfp_cli_parse (cli, "pf set-numvfs", N_("PF N"),
                      N_("Set the number of VFs of a PF (0 first, as the kernel requires); refused while its VFs are in use."),
                      entries, &argc, &argv, &code))
    return code;
  if (argc != 3 || !g_ascii_string_to_unsigned (argv[2], 10, 0, 65535, &n, NULL) || wait_s < 0)
    return vfp_cli_error (cli, VFP_EXIT_ERROR,
                          _("pf set-numvfs needs a PF and a number: vfpool pf set-numvfs 0000:05:00.0 8"));
  host = load_pf (cli, argv[1], VFP_HOST_LAZY_VFS, &hpf, &code);
  if (host == NULL)
    return code;
  if (wait_s > 0)
    vfp_cli_progress (cli, _("setting %u VFs on PF %s and waiting up to %d s for the kernel..."),
                      (guint) n, hpf->pf->fn.address, wait_s);
  ok = vfp_cli_set_numvfs (cli, host->sysfs, hpf->pf, n, wait_s * 1000, &error);
  if (!ok)
    return vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", error->message);
  if (cli->json)
    {
      g_autoptr (VfpJson) json = vfp_json_new ();

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "pf", hpf->pf->fn.address);
      vfp_json_member_int (json, "num_vfs_before", hpf->pf->num_vfs);
      vfp_json_member_int (json, "num_vfs", n);
      vfp_json_end_object (json);
      vfp_cli_print_json (cli, json);
    }
  else if (!cli->quiet)
    printf (_("PF %s: %u VFs (was %u).\n"), hpf->pf->fn.address, (guint) n, hpf->pf->num_vfs);
  return VFP_EXIT_OK;
}

/* The PCI address of VF INDEX of PF, or "-" when sysfs has no such VF. */
static const char *
vf_address (VfpPf *pf, guint index)
{
  guint j;

  for (j = 0; j < pf->vfs->len; j++)
    if (((VfpVf *) pf->vfs->pdata[j])->index == index)
      return ((VfpVf *) pf->vfs->pdata[j])->fn.address;
  return "-";
}

/* vfpool pf vf-settings PF: what the PF's driver holds for each VF (MAC,
 * VLAN, spoofchk, trust, link state, rates, RSS query), read over netlink
 * as `ip link show PF` does. */
static int
pf_vf_settings (VfpCli *cli, int argc, char **argv)
{
  g_autoptr (VfpHost) host = NULL;
  g_autoptr (GArray) vfs = NULL;
  g_autoptr (GError) error = NULL;
  VfpHostPf *hpf;
  const char *netdev;
  int code = VFP_EXIT_OK;
  guint i;

  if (!vfp_cli_parse (cli, "pf vf-settings", N_("PF"),
                      N_("Show the settings the PF's driver holds for each of its VFs (MAC, VLAN, spoofchk, trust, link state, rates, RSS query)."),
                      NULL, &argc, &argv, &code))
    return code;
  if (argc != 2)
    return vfp_cli_error (cli, VFP_EXIT_ERROR,
                          _("pf vf-settings needs exactly one PF, by PCI address or netdev name: vfpool pf vf-settings enp5s0f0"));
  host = load_pf (cli, argv[1], VFP_HOST_SYSFS, &hpf, &code);
  if (host == NULL)
    return code;
  netdev = hpf->pf->fn.netdevs && hpf->pf->fn.netdevs[0] ? hpf->pf->fn.netdevs[0] : NULL;
  if (netdev == NULL)
    return vfp_cli_error (cli, VFP_EXIT_FAILED,
                          _("PF %s has no network interface: only a NIC's driver holds VF settings."),
                          hpf->pf->fn.address);
  vfs = vfp_vfnet_read (netdev, &error);
  if (vfs == NULL)
    return vfp_cli_error (cli, VFP_EXIT_FAILED, "%s", error->message);
  if (cli->json)
    {
      g_autoptr (VfpJson) json = vfp_json_new ();

      vfp_json_begin_object (json);
      vfp_json_member_string (json, "pf", hpf->pf->fn.address);
      vfp_json_member_string (json, "netdev", netdev);
      vfp_json_key (json, "vfs");
      vfp_json_begin_array (json);
      for (i = 0; i < vfs->len; i++)
        vfp_vf_settings_json (json, &g_array_index (vfs, VfpVfSettings, i));
      vfp_json_end_array (json);
      vfp_json_end_object (json);
      vfp_cli_print_json (cli, json);
      return VFP_EXIT_OK;
    }
  {
    g_autoptr (VfpTable) table = vfp_table_new (_("INDEX"), _("VF"), _("MAC"), _("VLAN"), _("SPOOFCHK"),
                                                _("TRUST"), _("LINK-STATE"), _("MAX-TX-RATE"),
                                                _("MIN-TX-RATE"), _("QUERY-RSS"), NULL);

    for (i = 0; i < vfs->len; i++)
      {
        VfpVfSettings *s = &g_array_index (vfs, VfpVfSettings, i);
        g_autofree char *index = g_strdup_printf ("%u", s->index);
        g_autofree char *mac = vfp_vf_settings_value (s, VFP_VF_MAC);
        g_autofree char *vlan = vfp_vf_settings_value (s, VFP_VF_VLAN);
        g_autofree char *spoofchk = vfp_vf_settings_value (s, VFP_VF_SPOOFCHK);
        g_autofree char *trust = vfp_vf_settings_value (s, VFP_VF_TRUST);
        g_autofree char *link = vfp_vf_settings_value (s, VFP_VF_LINK_STATE);
        g_autofree char *max = vfp_vf_settings_value (s, VFP_VF_MAX_TX_RATE);
        g_autofree char *min = vfp_vf_settings_value (s, VFP_VF_MIN_TX_RATE);
        g_autofree char *rss = vfp_vf_settings_value (s, VFP_VF_QUERY_RSS);

        vfp_table_add_row (table, index, vf_address (hpf->pf, s->index), mac, vlan, spoofchk,
                           trust, link, max, min, rss, NULL);
      }
    printf (_("PF %s (%s): %u VFs; rates in Mbit/s, 0: none; '-': the driver does not report it.\n"),
            hpf->pf->fn.address, netdev, vfs->len);
    vfp_table_print (table, stdout);
  }
  return VFP_EXIT_OK;
}

/* vfpool pf SUBCOMMAND: dispatches to the PF subcommands. */
int
vfp_cmd_pf (VfpCli *cli, int argc, char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "show") == 0)
    return pf_show (cli, argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "set-numvfs") == 0)
    return pf_set_numvfs (cli, argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "vf-settings") == 0)
    return pf_vf_settings (cli, argc - 1, argv + 1);
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf (_("Usage: vfpool pf show PF [--json]\n       vfpool pf set-numvfs PF N [--wait S] [--json]\n       vfpool pf vf-settings PF [--json]\n"));
      return VFP_EXIT_OK;
    }
  return vfp_cli_error (cli, VFP_EXIT_ERROR,
                        _("'pf' needs a subcommand: vfpool pf show PF, vfpool pf set-numvfs PF N, or vfpool pf vf-settings PF"));
}
