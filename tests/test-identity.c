/* Stable PF identity: a lease names a VF by PCI address, so the card at
 * that address must be the one the lease was made with. Each test builds
 * fake trees (the "same" host rebuilt, a card replaced at the same
 * address, a card moved by a bus renumbering) over one lease store, and
 * asks reserve, the prepare hook and the audit. */
#include "config.h"

#include <fcntl.h>

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fake-sysfs.h"
#include "test-util.h"
#include "vfp-audit.h"
#include "vfp-error.h"
#include "vfp-hook.h"
#include "vfp-identity.h"
#include "vfp-pool.h"

#define CONF "[pool p]\npfs=8086:10fb,15b3:1015\n"
#define DSN_A "dsn:90-e2-ba-ff-ff-76-86-a8"
#define U1 "11111111-1111-1111-1111-111111111111"

typedef struct {
  char *dir;
  char *state_dir;
  const char *conf;        /* the configuration (default CONF) */
  guint trees;
} Fx;

static void
fx_setup (Fx *fx, gconstpointer data)
{
  fx->dir = test_make_tmpdir ();
  fx->state_dir = g_build_filename (fx->dir, "state", NULL);
  fx->conf = CONF;
}

static void
fx_teardown (Fx *fx, gconstpointer data)
{
  test_remove_tree (fx->dir);
  g_free (fx->dir);
  g_free (fx->state_dir);
}

/* The demo host, which the tests then change: [1] is the 82599 at
 * 05:00.0 (DSN_A), [3] the ConnectX at 81:00.0 (identified by its MAC). */
static void
demo (FakePciFunction f[5])
{
  memcpy (f, fake_demo_host, 4 * sizeof f[0]);
  f[4] = f[1];
}

/* Builds FNS as a new tree (the host after a reboot); returns its root. */
static char *
build (Fx *fx, const FakePciFunction *fns, gsize n)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sub = g_strdup_printf ("%s/tree%u", fx->dir, fx->trees++);
  char *root = fake_sysfs_build (sub, &fake_demo_options, fns, n, &error);

  g_assert_no_error (error);
  return root;
}

typedef struct {
  VfpSysfs *sysfs;
  VfpConfig *config;
  VfpState *state;
  VfpPool *pool;
} Open;

static void
open_host (Fx *fx, const char *root, Open *o)
{
  g_autoptr (GError) error = NULL;

  o->sysfs = vfp_sysfs_scan_mode (root, VFP_SYSFS_LAZY, &error);
  g_assert_no_error (error);
  o->config = vfp_config_load_data (fx->conf, "test.conf", &error);
  g_assert_no_error (error);
  g_assert_true (vfp_config_resolve (o->config, o->sysfs, &error));
  o->state = vfp_state_open (fx->state_dir, 1000, &error);
  g_assert_no_error (error);
  o->pool = vfp_pool_new (o->config, o->sysfs, o->state);
}

static void
close_host (Open *o, gboolean save)
{
  g_autoptr (GError) error = NULL;

  if (save)
    {
      vfp_state_save (o->state, &error);
      g_assert_no_error (error);
    }
  vfp_pool_free (o->pool);
  vfp_state_close (o->state);
  vfp_config_free (o->config);
  vfp_sysfs_free (o->sysfs);
}

/* reserve --owner LABEL --count COUNT: the VFs, or "ERROR: message". With
 * EXPLAIN, the reason given for VF EXPLAIN_VF goes there. */
static char *
reserve (Fx *fx, const char *root, const char *label, guint count, const char *explain_vf,
         char **explain)
{
  VfpReserveRequest req = { .count = count, .owner_label = label, .numa_node = -1 };
  g_autoptr (GPtrArray) why = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_explain_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) got = NULL;
  g_autoptr (GString) s = g_string_new (NULL);
  Open o;
  guint i;

  open_host (fx, root, &o);
  got = vfp_pool_reserve (o.pool, &req, why, &error);
  for (i = 0; explain != NULL && i < why->len; i++)
    if (strcmp (((VfpExplain *) why->pdata[i])->vf, explain_vf) == 0)
      *explain = g_strdup (((VfpExplain *) why->pdata[i])->reason);
  if (got == NULL)
    g_string_append_printf (s, "ERROR: %s", error->message);
  for (i = 0; got != NULL && i < got->len; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", ((VfpLease *) got->pdata[i])->vf);
  close_host (&o, got != NULL);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* The identity-changed findings of an audit: "object: message" lines. */
static char *
audit (Fx *fx, const char *root)
{
  g_autoptr (VfpAuditGuests) guests = vfp_audit_guests_new ();
  g_autoptr (GPtrArray) findings = NULL;
  g_autoptr (GString) s = g_string_new (NULL);
  Open o;
  guint i;

  open_host (fx, root, &o);
  findings = vfp_audit_run (o.pool, guests);
  for (i = 0; i < findings->len; i++)
    {
      VfpFinding *f = findings->pdata[i];

      if (strcmp (f->code, "identity-changed") != 0)
        continue;
      g_assert_cmpint (f->severity, ==, VFP_SEVERITY_ERROR);
      g_assert_cmpint (f->fix, ==, VFP_FIX_NONE);
      g_assert_true (strstr (f->repair, "vfpool adopt-hardware") != NULL);
      g_string_append_printf (s, "%s: %s\n", f->object, f->message);
    }
  close_host (&o, FALSE);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* The prepare hook for guest g1 naming VF; returns the exit code, the
 * message in *MESSAGE. */
static int
prepare (Fx *fx, const char *root, const char *vf_bus, const char *vf_slot, const char *vf_fn,
         char **message)
{
  g_autoptr (VfpConfig) config = vfp_config_load_data (CONF, "test.conf", NULL);
  g_autofree char *xml = g_strdup_printf (
    "<domain type='qemu'><name>g1</name><uuid>" U1 "</uuid><devices>"
    "<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='%s' slot='%s' function='%s'/></source>"
    "<alias name='ua-vfpool-0'/></interface></devices></domain>", vf_bus, vf_slot, vf_fn);
  VfpHookCall call = { "g1", "prepare", "begin", xml, strlen (xml), fx->state_dir, config, root, 1000 };
  VfpHookResult r;
  int code;

  vfp_hook_run (&call, &r);
  code = r.exit_code;
  *message = g_strdup (r.message);
  vfp_hook_result_clear (&r);
  return code;
}

/* What `vfpool adopt-hardware PF` records: the card there now. */
static void
adopt (Fx *fx, const char *root, const char *pf)
{
  g_autoptr (VfpIdentity) id = vfp_identity_new (root);
  g_autofree char *identity = NULL, *model = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpState) state = vfp_state_open (fx->state_dir, 1000, &error);

  g_assert_no_error (error);
  g_assert_true (vfp_identity_read (id, pf, &identity, &model));
  vfp_state_set_pf (state, pf, identity, model, 1);
  g_assert_true (vfp_state_save (state, &error));
}

/* The identity the store recorded for PF, or NULL. */
static char *
recorded (Fx *fx, const char *pf)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpState) state = vfp_state_open (fx->state_dir, 1000, &error);
  const VfpPfRecord *r;

  g_assert_no_error (error);
  r = vfp_state_get_pf (state, pf);
  return r ? g_strdup (r->identity) : NULL;
}

/* What each kind of PF is identified by, strongest first. */
static void
test_read (Fx *fx, gconstpointer data)
{
  FakePciFunction f[5];
  g_autofree char *root = NULL;
  g_autofree char *type = NULL;
  g_autoptr (VfpIdentity) id = NULL;
  char *identity = NULL, *model = NULL;

  demo (f);
  root = build (fx, f, 4);
  id = vfp_identity_new (root);
  g_assert_true (vfp_identity_read (id, "0000:05:00.0", &identity, &model));
  g_assert_cmpstr (identity, ==, DSN_A);   /* as lspci prints it */
  g_assert_cmpstr (model, ==, "8086:10fb:8086:000c");
  g_clear_pointer (&identity, g_free);
  g_clear_pointer (&model, g_free);
  g_assert_true (vfp_identity_read (id, "0000:81:00.0", &identity, &model));
  g_assert_cmpstr (identity, ==, "mac:b8:59:9f:12:34:50");
  g_clear_pointer (&identity, g_free);
  g_clear_pointer (&model, g_free);
  g_assert_true (vfp_identity_read (id, "0000:00:03.0", &identity, &model));
  g_assert_cmpstr (identity, ==, "pci:8086:2f08");
  g_clear_pointer (&identity, g_free);
  g_clear_pointer (&model, g_free);
  g_assert_false (vfp_identity_read (id, "0000:42:00.0", &identity, &model));

  /* a MAC that was set (bonding, the operator) is no identity */
  type = g_build_filename (root, "bus/pci/devices/0000:81:00.0/net/enp129s0f0np0/addr_assign_type", NULL);
  g_assert_true (g_file_set_contents (type, "3\n", -1, NULL));
  g_clear_pointer (&id, vfp_identity_free);
  id = vfp_identity_new (root);
  g_assert_true (vfp_identity_read (id, "0000:81:00.0", &identity, &model));
  g_assert_cmpstr (identity, ==, "pci:15b3:1015:15b3:0003");
  g_free (identity);
  g_free (model);
}

/* The same cards after a reboot: reserve, the hook and the audit pass, and
 * the first reservation recorded both PFs. */
static void
test_same_card (Fx *fx, gconstpointer data)
{
  FakePciFunction f[5];
  g_autofree char *root1 = NULL, *root2 = NULL, *got = NULL, *msg = NULL, *findings = NULL;
  g_autofree char *rec1 = NULL, *rec2 = NULL;

  demo (f);
  root1 = build (fx, f, 4);
  got = reserve (fx, root1, "a", 2, NULL, NULL);
  g_assert_cmpstr (got, ==, "0000:05:10.0 0000:81:00.2");
  rec1 = recorded (fx, "0000:05:00.0");
  rec2 = recorded (fx, "0000:81:00.0");
  g_assert_cmpstr (rec1, ==, DSN_A);
  g_assert_cmpstr (rec2, ==, "mac:b8:59:9f:12:34:50");

  root2 = build (fx, f, 4);
  g_free (got);
  got = reserve (fx, root2, "b", 2, NULL, NULL);
  g_assert_cmpstr (got, ==, "0000:05:10.2 0000:81:00.3");
  g_assert_cmpint (prepare (fx, root2, "0x05", "0x10", "0x4", &msg), ==, 0);
  findings = audit (fx, root2);
  g_assert_cmpstr (findings, ==, "");
}

/* Another card at the same address (new serial number, or new MAC): its
 * VFs are not handed out, the hook refuses the start, the audit names both
 * cards; once adopted everything works again. */
static void
test_replaced (Fx *fx, gconstpointer data)
{
  FakePciFunction f[5];
  g_autofree char *root1 = NULL, *root2 = NULL, *got = NULL, *msg = NULL, *findings = NULL;
  g_autofree char *why = NULL;

  demo (f);
  root1 = build (fx, f, 4);
  got = reserve (fx, root1, "a", 1, NULL, NULL);
  g_assert_cmpstr (got, ==, "0000:05:10.0");
  g_assert_cmpint (prepare (fx, root1, "0x05", "0x10", "0x2", &msg), ==, 0);

  f[1].dsn = 0x001b21ffffa1b2c3ULL;            /* another 82599 */
  f[3].mac = "b8:59:9f:00:00:01";              /* another ConnectX */
  root2 = build (fx, f, 4);

  /* reserve: neither PF's VFs, and the error says why */
  g_free (got);
  got = reserve (fx, root2, "b", 1, "0000:05:10.4", &why);
  g_assert_true (g_str_has_prefix (got, "ERROR: "));
  g_assert_nonnull (strstr (got, "PF 0000:05:00.0 is not the card its VFs were leased from: it was " DSN_A
                                 " and is now dsn:00-1b-21-ff-ff-a1-b2-c3."));
  g_assert_nonnull (strstr (got, "vfpool adopt-hardware 0000:05:00.0"));
  g_assert_nonnull (strstr (why, "is not the card its VFs were leased from"));

  /* the hook: a guest cannot start with a VF of the other card, not even
   * one it had */
  g_clear_pointer (&msg, g_free);
  g_assert_cmpint (prepare (fx, root2, "0x05", "0x10", "0x2", &msg), ==, 1);
  g_assert_true (g_str_has_prefix (msg, "vfpool hook: guest g1 cannot start with VF 0000:05:10.2 (ua-vfpool-0): PF 0000:05:00.0 is not the card"));
  g_assert_null (strchr (msg, '\n'));

  /* the audit names the old and the new card of both PFs */
  findings = audit (fx, root2);
  g_assert_cmpstr (findings, ==,
                   "0000:05:00.0: PF 0000:05:00.0 is not the card its VFs were leased from: it was " DSN_A " and is now dsn:00-1b-21-ff-ff-a1-b2-c3.\n"
                   "0000:81:00.0: PF 0000:81:00.0 is not the card its VFs were leased from: it was mac:b8:59:9f:12:34:50 and is now mac:b8:59:9f:00:00:01.\n");

  /* adopting one PF gives its VFs back, and only its */
  adopt (fx, root2, "0000:05:00.0");
  g_free (got);
  got = reserve (fx, root2, "b", 1, NULL, NULL);
  g_assert_cmpstr (got, ==, "0000:05:10.4");
  g_clear_pointer (&msg, g_free);
  g_assert_cmpint (prepare (fx, root2, "0x05", "0x10", "0x2", &msg), ==, 0);
  g_clear_pointer (&msg, g_free);
  g_assert_cmpint (prepare (fx, root2, "0x81", "0x00", "0x3", &msg), ==, 1);
  g_free (findings);
  findings = audit (fx, root2);
  g_assert_true (g_str_has_prefix (findings, "0000:81:00.0: "));
  adopt (fx, root2, "0000:81:00.0");
  g_free (findings);
  findings = audit (fx, root2);
  g_assert_cmpstr (findings, ==, "");
}

/* A bus renumbering: the card of 05:00.0 is now at 06:00.0 and another
 * 82599 took 05:00.0. The finding says where the card went; when nothing
 * is left at the old address, it says so too. */
static void
test_moved (Fx *fx, gconstpointer data)
{
  FakePciFunction f[5];
  g_autofree char *root1 = NULL, *root2 = NULL, *root3 = NULL;
  g_autofree char *got = NULL, *findings = NULL, *msg = NULL;

  demo (f);
  root1 = build (fx, f, 4);
  got = reserve (fx, root1, "a", 1, NULL, NULL);
  g_assert_cmpstr (got, ==, "0000:05:10.0");

  f[4].address = "0000:06:00.0";               /* the recorded card, moved */
  f[4].iommu_group = 41;
  f[4].vf_iommu_group_base = 300;
  f[4].netdev = "enp6s0f0";
  f[1].dsn = 0x001b21ffffa1b2c3ULL;            /* another card in its place */
  f[1].mac = "00:1b:21:a1:b2:c3";
  root2 = build (fx, f, 5);
  findings = audit (fx, root2);
  g_assert_cmpstr (findings, ==,
                   "0000:05:00.0: PF 0000:05:00.0 is not the card its VFs were leased from: it was " DSN_A
                   " and is now dsn:00-1b-21-ff-ff-a1-b2-c3; the card " DSN_A " is now at 0000:06:00.0.\n");
  g_assert_cmpint (prepare (fx, root2, "0x05", "0x10", "0x0", &msg), ==, 1);
  g_assert_nonnull (strstr (msg, "is now at 0000:06:00.0"));

  /* only the moved card: 05:00.0 is gone */
  f[1] = f[4];
  root3 = build (fx, f, 4);
  g_free (findings);
  findings = audit (fx, root3);
  g_assert_cmpstr (findings, ==,
                   "0000:05:00.0: PF 0000:05:00.0, which its VFs were leased from, is gone: the card " DSN_A
                   " is now at 0000:06:00.0.\n");
}

/* When the recorded kind cannot be read now (config space past 64 bytes is
 * root's; no driver, no netdev), the model still tells another kind of
 * card apart, and the same model passes. */
static void
test_unreadable (Fx *fx, gconstpointer data)
{
  FakePciFunction f[5];
  g_autofree char *root1 = NULL, *root2 = NULL, *root3 = NULL, *got = NULL, *findings = NULL;
  g_autofree char *config = NULL;
  int fd;

  fx->conf = "[pool p]\npfs=0000:05:00.0,0000:81:00.0\n";
  demo (f);
  root1 = build (fx, f, 4);
  got = reserve (fx, root1, "a", 1, NULL, NULL);
  g_assert_cmpstr (got, ==, "0000:05:10.0");

  /* the same card, read by a user who sees only 64 bytes of config space */
  f[3].driver = NULL;
  f[3].netdev = NULL;
  root2 = build (fx, f, 4);
  config = g_build_filename (root2, "bus/pci/devices/0000:05:00.0/config", NULL);
  fd = open (config, O_WRONLY);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, 64), ==, 0);
  close (fd);
  findings = audit (fx, root2);
  g_assert_cmpstr (findings, ==, "");

  /* an X710 where the 82599 was: another model, whatever can be read */
  f[1].device = 0x1572;
  f[1].dsn = 0;
  root3 = build (fx, f, 4);
  g_free (findings);
  findings = audit (fx, root3);
  g_assert_nonnull (strstr (findings, "it was " DSN_A " and is now mac:90:e2:ba:76:86:a8"));
}

/* A store an older vfpool wrote (leases, no identity records) keeps
 * working: nothing is refused, and the next use records the card. */
static void
test_old_store (Fx *fx, gconstpointer data)
{
  FakePciFunction f[5];
  g_autofree char *root = NULL, *leases = NULL, *msg = NULL, *rec = NULL, *findings = NULL;

  demo (f);
  root = build (fx, f, 4);
  g_assert_cmpint (g_mkdir (fx->state_dir, 0755), ==, 0);
  leases = g_build_filename (fx->state_dir, "leases.xml", NULL);
  g_assert_true (g_file_set_contents (leases,
                                      "<leases version='1'><lease vf='0000:05:10.2' pf='0000:05:00.0' pool='p' state='attached'>"
                                      "<owner uuid='" U1 "' name='g1'/><device alias='ua-vfpool-0' live='no' config='yes'/></lease></leases>",
                                      -1, NULL));
  findings = audit (fx, root);
  g_assert_cmpstr (findings, ==, "");
  g_assert_cmpint (prepare (fx, root, "0x05", "0x10", "0x2", &msg), ==, 0);
  rec = recorded (fx, "0000:05:00.0");
  g_assert_cmpstr (rec, ==, DSN_A);
}

/* The store's <pf> records: written, read back, and refused when broken;
 * an older vfpool's reader (vfp_state_parse without records) skips them. */
static void
test_store (Fx *fx, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) leases = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) vfp_lease_free);
  g_autofree char *text = NULL, *path = NULL;
  const char *bad[] = {
    "<leases version='1'><pf identity='dsn:01'/></leases>",
    "<leases version='1'><pf address='0000:05:00.0'/></leases>",
    "<leases version='1'><pf address='0000:05:00.0' identity=''/></leases>",
    "<leases version='1'><pf address='5:0.0' identity='dsn:01' recorded='x'/></leases>",
    "<leases version='1'><pf address='0000:05:00.0' identity='dsn:01'/><pf address='0000:05:00.0' identity='dsn:02'/></leases>",
  };
  guint i;

  {
    g_autoptr (VfpState) state = vfp_state_open (fx->state_dir, 1000, &error);
    const VfpPfRecord *r;

    g_assert_no_error (error);
    vfp_state_set_pf (state, "0000:05:00.0", "dsn:01-02-03-04-05-06-07-08", "8086:10fb", 42);
    g_assert_true (vfp_state_save (state, &error));
    g_assert_cmpuint (vfp_state_generation (state), ==, 0);   /* not a lease change */
    r = vfp_state_get_pf (state, "0000:05:00.0");
    g_assert_cmpstr (r->model, ==, "8086:10fb");
  }
  {
    g_autoptr (VfpState) state = vfp_state_open (fx->state_dir, 1000, &error);
    const VfpPfRecord *r;

    g_assert_no_error (error);
    r = vfp_state_get_pf (state, "0000:05:00.0");
    g_assert_nonnull (r);
    g_assert_cmpstr (r->identity, ==, "dsn:01-02-03-04-05-06-07-08");
    g_assert_cmpstr (r->model, ==, "8086:10fb");
    g_assert_cmpint (r->recorded, ==, 42);
  }
  path = g_build_filename (fx->state_dir, "leases.xml", NULL);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "<leases version=\"1\""));
  g_assert_true (vfp_state_parse (text, strlen (text), "t", leases, NULL, NULL, &error));
  g_assert_no_error (error);
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_clear_error (&error);
      g_assert_false (vfp_state_parse (bad[i], strlen (bad[i]), "t", leases, NULL, NULL, &error));
      g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "identity record"));
    }
}

/* On the real /sys the permanent MAC comes from the driver: for every
 * netdev whose address the kernel says is the permanent one, the two
 * agree. (Skipped where no such netdev exists.) */
static void
test_real_netdev (void)
{
  g_autoptr (GDir) d = g_dir_open ("/sys/class/net", 0, NULL);
  const char *name;
  guint checked = 0;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *type_path = g_strdup_printf ("/sys/class/net/%s/addr_assign_type", name);
      g_autofree char *addr_path = g_strdup_printf ("/sys/class/net/%s/address", name);
      g_autofree char *dev_path = g_strdup_printf ("/sys/class/net/%s/device", name);
      g_autofree char *type = NULL, *addr = NULL, *perm = NULL;

      if (!g_file_test (dev_path, G_FILE_TEST_EXISTS)
          || !g_file_get_contents (type_path, &type, NULL, NULL) || strcmp (g_strstrip (type), "0") != 0
          || !g_file_get_contents (addr_path, &addr, NULL, NULL))
        continue;
      perm = vfp_identity_permanent_mac (name);
      g_assert_cmpstr (perm, ==, g_strstrip (addr));
      checked++;
    }
  if (checked == 0)
    g_test_skip ("no netdev of a device with a permanent address here");
  g_assert_null (vfp_identity_permanent_mac ("vfpool-none0"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/vfpool/identity/read", Fx, NULL, fx_setup, test_read, fx_teardown);
  g_test_add ("/vfpool/identity/store", Fx, NULL, fx_setup, test_store, fx_teardown);
  g_test_add ("/vfpool/identity/same-card", Fx, NULL, fx_setup, test_same_card, fx_teardown);
  g_test_add ("/vfpool/identity/replaced", Fx, NULL, fx_setup, test_replaced, fx_teardown);
  g_test_add ("/vfpool/identity/moved", Fx, NULL, fx_setup, test_moved, fx_teardown);
  g_test_add ("/vfpool/identity/unreadable", Fx, NULL, fx_setup, test_unreadable, fx_teardown);
  g_test_add ("/vfpool/identity/old-store", Fx, NULL, fx_setup, test_old_store, fx_teardown);
  g_test_add_func ("/vfpool/identity/real-netdev", test_real_netdev);
  return g_test_run ();
}
