/* vfp_hook_run, one rule at a time (src/vfp-hook-rules.c), against the
 * sysfs tree captured from a real kernel (tests/data: an SR-IOV NVMe PF
 * 0000:01:00.0 with VFs 0000:01:00.1 and 0000:01:00.2) and a lease store
 * in a temporary directory. No libvirt: the hook never calls it. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fake-sysfs.h"
#include "hook-gate.h"
#include "test-util.h"
#include "vfp-hook.h"
#include "vfp-hook-rules.h"
#include "vfp-log.h"
#include "vfp-names.h"
#include "vfp-probe.h"
#include "vfp-domxml.h"
#include "vfp-state.h"

#define CONF "[pool nvme]\npfs=0000:01:00.0\n"
#define VF1 "0000:01:00.1"
#define VF2 "0000:01:00.2"
#define U1 "11111111-1111-1111-1111-111111111111"
#define U2 "22222222-2222-2222-2222-222222222222"
#define META_NS "xmlns:vfpool='" VFP_METADATA_NS "'"

typedef struct {
  char *dir;
  char *root;              /* the captured /sys */
  char *state_dir;         /* made by the hook when it first saves */
  char *store;             /* state_dir/leases.xml */
  VfpConfig *config;
  const char *config_error;
  const char *bad_option;
} Fx;

/* A fresh copy of the captured tree, a state directory not made yet. */
static void
fx_setup (Fx *fx, gconstpointer data)
{
  g_autofree char *tarball = test_data_path ("sysfs-1-vfs-enabled.tar.gz");
  g_autoptr (GError) error = NULL;

  fx->dir = test_make_tmpdir ();
  g_assert_true (fake_sysfs_extract_fixture (tarball, fx->dir, &error));
  g_assert_no_error (error);
  fx->root = g_build_filename (fx->dir, "sysfs-snap", "sys", NULL);
  fx->state_dir = g_build_filename (fx->dir, "state", NULL);
  fx->store = g_build_filename (fx->state_dir, VFP_LEASES_FILE, NULL);
  fx->config = vfp_config_load_data (CONF, "test.conf", &error);
  g_assert_no_error (error);
}

/* Removes all the test made. */
static void
fx_teardown (Fx *fx, gconstpointer data)
{
  test_remove_tree (fx->dir);
  g_free (fx->dir);
  g_free (fx->root);
  g_free (fx->state_dir);
  g_free (fx->store);
  vfp_config_free (fx->config);
}

/* Runs OP SUBOP of guest NAME with XML on stdin; R is the caller's to clear. */
static int
run (Fx *fx, const char *name, const char *op, const char *subop, const char *xml, VfpHookResult *r)
{
  VfpHookCall call = { 0 };

  call.guest = name;
  call.op = op;
  call.subop = subop;
  call.xml = xml;
  call.xml_len = xml ? strlen (xml) : 0;
  call.state_dir = fx->state_dir;
  call.config = fx->config;
  call.sysfs_root = fx->root;
  call.lock_timeout_ms = 1000;
  call.bad_option = fx->bad_option;
  call.config_error = fx->config_error;
  vfp_hook_run (&call, r);
  return r->exit_code;
}

/* A guest's domain XML: DEVICES inside <devices>, METADATA inside <metadata>. */
static char *
guest (const char *name, const char *uuid, const char *devices, const char *metadata)
{
  return g_strdup_printf ("<domain type='kvm'><name>%s</name><uuid>%s</uuid>"
                          "<metadata>%s</metadata><devices>%s</devices></domain>",
                          name, uuid, metadata ? metadata : "", devices ? devices : "");
}

/* An <interface type='hostdev'> for VF 0000:01:00.FN with ALIAS; TEAMING may be NULL. */
static char *
vf_iface (const char *alias, int fn, const char *teaming)
{
  return g_strdup_printf ("<interface type='hostdev' managed='yes'><mac address='52:54:00:00:00:0%d'/>"
                          "<source><address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x%d'/></source>"
                          "%s<alias name='%s'/></interface>", fn, fn, teaming ? teaming : "", alias);
}

/* vfpool's metadata for one VF with ALIAS (as `vfpool attach` writes it). */
static char *
meta_vf (const char *alias, const char *failover_of)
{
  return g_strdup_printf ("<vfpool:vfpool " META_NS "><vfpool:vf alias='%s' pool='nvme' address='0000:42:00.1'"
                          " mac='52:54:00:00:00:42' template='interface'%s%s%s/></vfpool:vfpool>",
                          alias, failover_of ? " failover-of='" : "", failover_of ? failover_of : "",
                          failover_of ? "'" : "");
}

/* "STATE OWNER-UUID" of VF's lease in the store, "free" without one. */
static char *
lease (Fx *fx, const char *vf)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpState) state = vfp_state_open (fx->state_dir, 1000, &error);
  const VfpLease *l;

  g_assert_no_error (error);
  l = vfp_state_get (state, vf);
  if (l == NULL || l->state == VFP_LEASE_FREE)
    return g_strdup ("free");
  return g_strdup_printf ("%s %s", vfp_lease_state_name (l->state), l->owner_uuid ? l->owner_uuid : "-");
}

/* The store's bytes, or NULL when there is none. */
static char *
store_text (Fx *fx)
{
  char *text = NULL;

  return g_file_get_contents (fx->store, &text, NULL, NULL) ? text : NULL;
}

/* Whether the hook opened the store (it takes the lock file first). */
static gboolean
store_opened (Fx *fx)
{
  g_autofree char *lock = g_build_filename (fx->state_dir, "lock", NULL);

  return g_file_test (lock, G_FILE_TEST_EXISTS);
}

/* Makes the store exist without the hook having opened it: a lease of
 * VF2 for someone else, as text (the format of vfp-state-write.c). */
static void
store_other_lease (Fx *fx)
{
  g_assert_cmpint (g_mkdir_with_parents (fx->state_dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (fx->store,
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<leases version=\"1\" generation=\"1\">\n"
    "  <lease vf=\"" VF2 "\" pf=\"0000:01:00.0\" pool=\"nvme\" state=\"reserved\" created=\"1\" changed=\"1\" serial=\"1\">\n"
    "    <owner label=\"someone\"/>\n  </lease>\n</leases>\n", -1, NULL));
}

/* The table says what vfpool-hook(8) says: five calls, two that refuse. */
static void
test_rule_table (void)
{
  static const struct {
    const char *op, *subop;
    VfpHookDuty duty;
    VfpHookNeed need;
    int refuses;
  } want[] = {
    { "prepare", "begin", VFP_HOOK_PREPARE, VFP_HOOK_NEEDS_DEVICE_OR_PROBE, 1 },
    { "release", "end", VFP_HOOK_RELEASE, VFP_HOOK_NEEDS_LEASE, 0 },
    { "migrate", "begin", VFP_HOOK_MIGRATE, VFP_HOOK_NEEDS_METADATA, 1 },
    { "started", "begin", VFP_HOOK_STARTED, VFP_HOOK_NEEDS_METADATA, 0 },
    { "reconnect", "begin", VFP_HOOK_RECONNECT, VFP_HOOK_NEEDS_DEVICE_OR_LEASE, 0 },
  };
  static const char *const ignored[][2] = {
    { "start", "begin" }, { "stopped", "end" }, { "prepare", "end" }, { "release", "begin" },
    { "restore", "begin" }, { "attach", "begin" }, { "migrate", "end" }, { "prepare", "" },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (want); i++)
    {
      const VfpHookRule *r = vfp_hook_rule_find (want[i].op, want[i].subop);

      g_assert_nonnull (r);
      g_assert_cmpint (r->duty, ==, want[i].duty);
      g_assert_cmpint (r->need, ==, want[i].need);
      g_assert_cmpint (r->refuses, ==, want[i].refuses);
      g_assert_cmpint (vfp_hook_op_refuses (want[i].op), ==, want[i].refuses);
    }
  for (i = 0; i < G_N_ELEMENTS (ignored); i++)
    g_assert_null (vfp_hook_rule_find (ignored[i][0], ignored[i][1]));
  g_assert_null (vfp_hook_rule_find (NULL, "begin"));
  g_assert_null (vfp_hook_rule_find ("prepare", NULL));
  g_assert_false (vfp_hook_op_refuses ("stopped"));
  g_assert_true (vfp_hook_alias_is_vfpool ("ua-vfpool-0"));
  g_assert_false (vfp_hook_alias_is_vfpool ("ua-net0"));
  g_assert_false (vfp_hook_alias_is_vfpool ("hostdev0"));
  g_assert_false (vfp_hook_alias_is_vfpool (NULL));
}

/* Calls without a rule change nothing, even for a guest with VFs. */
static void
test_ignored (Fx *fx, gconstpointer data)
{
  static const char *const calls[][2] = {
    { "start", "begin" }, { "stopped", "end" }, { "prepare", "end" }, { "restore", "begin" },
  };
  g_autofree char *dev = vf_iface ("ua-vfpool-0", 1, NULL);
  g_autofree char *meta = meta_vf ("ua-vfpool-0", NULL);
  g_autofree char *xml = guest ("g1", U1, dev, meta);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      VfpHookResult r;

      g_assert_cmpint (run (fx, "g1", calls[i][0], calls[i][1], xml, &r), ==, 0);
      g_assert_null (r.message);
      g_assert_cmpuint (r.events->len, ==, 0);
      vfp_hook_result_clear (&r);
    }
  /* nor is the XML looked at */
  for (i = 0; i < G_N_ELEMENTS (calls); i++)
    {
      VfpHookResult r;

      g_assert_cmpint (run (fx, "g1", calls[i][0], calls[i][1], "not xml", &r), ==, 0);
      g_assert_null (r.message);
      vfp_hook_result_clear (&r);
    }
  g_assert_false (g_file_test (fx->state_dir, G_FILE_TEST_EXISTS));
}

/* A call without an operation says so, and does nothing. */
static void
test_no_operation (Fx *fx, gconstpointer data)
{
  VfpHookResult r;

  g_assert_cmpint (run (fx, NULL, NULL, NULL, NULL, &r), ==, 0);
  g_assert_cmpstr (r.message, ==, "vfpool hook: called without an operation; nothing to do.");
  vfp_hook_result_clear (&r);
  g_assert_false (g_file_test (fx->state_dir, G_FILE_TEST_EXISTS));
}

/* prepare begin: a guest without a ua-vfpool- device (a plain hostdev of
 * the same VF, vfpool metadata alone) is no concern: the store is not
 * even made. */
static void
test_prepare_no_device (Fx *fx, gconstpointer data)
{
  g_autofree char *dev = vf_iface ("hostdev0", 1, NULL);
  g_autofree char *meta = meta_vf ("ua-vfpool-0", NULL);
  g_autofree char *xml = guest ("plain", U1, dev, meta);
  VfpHookResult r;

  g_assert_cmpint (run (fx, "plain", "prepare", "begin", xml, &r), ==, 0);
  g_assert_null (r.message);
  vfp_hook_result_clear (&r);
  g_assert_false (g_file_test (fx->state_dir, G_FILE_TEST_EXISTS));
}

/* prepare begin: a free VF becomes the guest's; a VF another guest holds
 * refuses the start as a whole, one line, and changes nothing. */
static void
test_prepare_claims (Fx *fx, gconstpointer data)
{
  g_autofree char *dev1 = vf_iface ("ua-vfpool-0", 1, NULL);
  g_autofree char *dev2 = vf_iface ("ua-vfpool-1", 2, NULL);
  g_autofree char *both = g_strconcat (dev2, dev1, NULL);
  g_autofree char *g1 = guest ("g1", U1, dev1, NULL);
  g_autofree char *g2 = guest ("g2", U2, both, NULL);
  g_autofree char *before = NULL, *after = NULL, *l = NULL;
  VfpHookResult r;

  g_assert_cmpint (run (fx, "g1", "prepare", "begin", g1, &r), ==, 0);
  g_assert_null (r.message);
  g_assert_cmpuint (r.events->len, >, 0);
  vfp_hook_result_clear (&r);
  l = lease (fx, VF1);
  g_assert_cmpstr (l, ==, "attached " U1);
  /* a restart: the guest's own VF */
  g_assert_cmpint (run (fx, "g1", "prepare", "begin", g1, &r), ==, 0);
  vfp_hook_result_clear (&r);

  before = store_text (fx);
  g_assert_cmpint (run (fx, "g2", "prepare", "begin", g2, &r), ==, 1);
  g_assert_nonnull (strstr (r.message, "VF " VF1 " (ua-vfpool-0) is attached by g1; guest g2 cannot start with it"));
  g_assert_null (strchr (r.message, '\n'));
  vfp_hook_result_clear (&r);
  after = store_text (fx);
  g_assert_cmpstr (after, ==, before);
  g_free (l);
  l = lease (fx, VF2);
  g_assert_cmpstr (l, ==, "free");
}

/* prepare begin: XML that does not parse refuses the start (a guest that
 * cannot be checked must not start); so does a store that cannot be
 * opened. */
static void
test_prepare_refuses_unchecked (Fx *fx, gconstpointer data)
{
  g_autofree char *dev = vf_iface ("ua-vfpool-0", 1, NULL);
  g_autofree char *xml = guest ("g1", U1, dev, NULL);
  VfpHookResult r;

  g_assert_cmpint (run (fx, "g1", "prepare", "begin", "not xml", &r), ==, 1);
  g_assert_true (g_str_has_prefix (r.message, "vfpool hook: prepare begin of 'g1': "));
  vfp_hook_result_clear (&r);
  g_assert_false (g_file_test (fx->state_dir, G_FILE_TEST_EXISTS));

  g_assert_true (g_file_set_contents (fx->state_dir, "not a directory", -1, NULL));
  g_assert_cmpint (run (fx, "g1", "prepare", "begin", xml, &r), ==, 1);
  g_assert_true (g_str_has_prefix (r.message, "vfpool hook: guest g1 cannot start: "));
  vfp_hook_result_clear (&r);
}

/* release end: a store that does not name the guest is not even opened
 * (no lock taken); one that does frees what only the running guest used. */
static void
test_release (Fx *fx, gconstpointer data)
{
  g_autofree char *dev = vf_iface ("ua-vfpool-0", 1, NULL);
  g_autofree char *g1 = guest ("g1", U1, dev, NULL);
  g_autofree char *g2 = guest ("g2", U2, dev, NULL);
  g_autofree char *before = NULL, *after = NULL, *l = NULL;
  VfpHookResult r;

  /* no store at all */
  g_assert_cmpint (run (fx, "g1", "release", "end", g1, &r), ==, 0);
  g_assert_null (r.message);
  vfp_hook_result_clear (&r);
  g_assert_false (g_file_test (fx->state_dir, G_FILE_TEST_EXISTS));

  /* a store naming someone else */
  store_other_lease (fx);
  before = store_text (fx);
  g_assert_cmpint (run (fx, "g2", "release", "end", g2, &r), ==, 0);
  g_assert_null (r.message);
  vfp_hook_result_clear (&r);
  g_assert_false (store_opened (fx));
  after = store_text (fx);
  g_assert_cmpstr (after, ==, before);

  /* the guest's own lease */
  g_assert_cmpint (run (fx, "g1", "prepare", "begin", g1, &r), ==, 0);
  vfp_hook_result_clear (&r);
  g_assert_cmpint (run (fx, "g1", "release", "end", g1, &r), ==, 0);
  g_assert_null (r.message);
  g_assert_cmpuint (r.events->len, >, 0);
  vfp_hook_result_clear (&r);
  l = lease (fx, VF1);
  g_assert_cmpstr (l, ==, "free");
  g_free (l);
  l = lease (fx, VF2);
  g_assert_cmpstr (l, ==, "reserved -");

  /* twice: nothing more, and garbage never fails a stop */
  g_assert_cmpint (run (fx, "g1", "release", "end", g1, &r), ==, 0);
  vfp_hook_result_clear (&r);
  g_assert_cmpint (run (fx, "g1", "release", "end", "not xml", &r), ==, 0);
  g_assert_true (g_str_has_prefix (r.message, "vfpool hook: release end of 'g1': "));
  vfp_hook_result_clear (&r);
}

/* reconnect begin: the running guest's XML is the truth. Its devices are
 * recorded (one another holds is only reported), a detaching lease whose
 * device is gone is freed, and it never fails. */
static void
test_reconnect (Fx *fx, gconstpointer data)
{
  g_autofree char *dev1 = vf_iface ("ua-vfpool-0", 1, NULL);
  g_autofree char *dev2 = vf_iface ("ua-vfpool-1", 2, NULL);
  g_autofree char *both = g_strconcat (dev1, dev2, NULL);
  g_autofree char *g1_both = guest ("g1", U1, both, NULL);
  g_autofree char *g1_one = guest ("g1", U1, dev1, NULL);
  g_autofree char *g2 = guest ("g2", U2, dev2, NULL);
  g_autofree char *text = NULL, *detaching = NULL, *l = NULL;
  const char *from = "vf=\"" VF2 "\" pf=\"0000:01:00.0\" pool=\"nvme\" state=\"attached\"";
  VfpHookResult r;

  g_assert_cmpint (run (fx, "g1", "reconnect", "begin", g1_both, &r), ==, 0);
  g_assert_null (r.message);
  vfp_hook_result_clear (&r);
  l = lease (fx, VF1);
  g_assert_cmpstr (l, ==, "attached " U1);
  g_free (l);
  l = lease (fx, VF2);
  g_assert_cmpstr (l, ==, "attached " U1);

  /* another guest claiming VF2: reported, not taken, exit 0 */
  g_assert_cmpint (run (fx, "g2", "reconnect", "begin", g2, &r), ==, 0);
  g_assert_cmpuint (r.events->len, >, 0);
  g_assert_cmpstr (((VfpEvent *) r.events->pdata[0])->op, ==, "warning");
  vfp_hook_result_clear (&r);
  g_free (l);
  l = lease (fx, VF2);
  g_assert_cmpstr (l, ==, "attached " U1);

  /* a detach of VF2 that finished while libvirtd was down */
  text = store_text (fx);
  g_assert_nonnull (strstr (text, from));
  {
    g_auto (GStrv) parts = g_strsplit (text, from, 2);

    detaching = g_strjoinv ("vf=\"" VF2 "\" pf=\"0000:01:00.0\" pool=\"nvme\" state=\"detaching\"", parts);
  }
  g_assert_true (g_file_set_contents (fx->store, detaching, -1, NULL));
  g_free (l);
  l = lease (fx, VF2);
  g_assert_cmpstr (l, ==, "detaching " U1);
  g_assert_cmpint (run (fx, "g1", "reconnect", "begin", g1_one, &r), ==, 0);
  vfp_hook_result_clear (&r);
  g_free (l);
  l = lease (fx, VF2);
  g_assert_cmpstr (l, ==, "free");
  g_free (l);
  l = lease (fx, VF1);
  g_assert_cmpstr (l, ==, "attached " U1);

  /* the same for the guest's last VF: no vfpool device left, the store
   * still names it */
  {
    g_autofree char *now = store_text (fx);
    g_autofree char *g1_none = guest ("g1", U1, NULL, NULL);
    const char *from1 = "vf=\"" VF1 "\" pf=\"0000:01:00.0\" pool=\"nvme\" state=\"attached\"";
    g_auto (GStrv) parts = g_strsplit (now, from1, 2);
    g_autofree char *last = g_strjoinv ("vf=\"" VF1 "\" pf=\"0000:01:00.0\" pool=\"nvme\" state=\"detaching\"", parts);

    g_assert_cmpuint (g_strv_length (parts), ==, 2);
    g_assert_true (g_file_set_contents (fx->store, last, -1, NULL));
    g_assert_cmpint (run (fx, "g1", "reconnect", "begin", g1_none, &r), ==, 0);
    vfp_hook_result_clear (&r);
    g_free (l);
    l = lease (fx, VF1);
    g_assert_cmpstr (l, ==, "free");
  }

  g_assert_cmpint (run (fx, "g1", "reconnect", "begin", "not xml", &r), ==, 0);
  vfp_hook_result_clear (&r);
}

/* migrate begin, failover: a local VF is reserved for the guest and the
 * VF's host address in the XML libvirt gets back is rewritten to it. */
static void
test_migrate_failover (Fx *fx, gconstpointer data)
{
  g_autofree char *dev = g_strdup ("<interface type='hostdev' managed='yes'><mac address='52:54:00:00:00:42'/>"
                                   "<source><address type='pci' domain='0x0000' bus='0x42' slot='0x00' function='0x1'/></source>"
                                   "<teaming type='transient' persistent='ua-net0'/><alias name='ua-vfpool-0'/></interface>");
  g_autofree char *meta = meta_vf ("ua-vfpool-0", "ua-net0");
  g_autofree char *xml = guest ("g3", U1, dev, meta);
  g_autofree char *l1 = NULL, *l2 = NULL;
  VfpHookResult r;

  g_assert_cmpint (run (fx, "g3", "migrate", "begin", xml, &r), ==, 0);
  g_assert_null (r.message);
  g_assert_nonnull (r.stdout_xml);
  g_assert_nonnull (strstr (r.stdout_xml, "<teaming type=\"transient\" persistent=\"ua-net0\"/>"));
  l1 = lease (fx, VF1);
  l2 = lease (fx, VF2);
  /* whichever VF was chosen, the XML names it */
  if (g_str_equal (l1, "reserved " U1))
    g_assert_nonnull (strstr (r.stdout_xml, "bus=\"0x01\" slot=\"0x00\" function=\"0x1\""));
  else
    {
      g_assert_cmpstr (l2, ==, "reserved " U1);
      g_assert_nonnull (strstr (r.stdout_xml, "bus=\"0x01\" slot=\"0x00\" function=\"0x2\""));
    }
  g_assert_null (strstr (r.stdout_xml, "bus=\"0x42\""));
  vfp_hook_result_clear (&r);
}

/* migrate begin refuses: a VF still in a guest that is not a failover
 * guest, no free VF (the store unchanged), a broken configuration; a
 * guest without vfpool metadata migrates in untouched. */
static void
test_migrate_refuses (Fx *fx, gconstpointer data)
{
  g_autofree char *dev = vf_iface ("ua-vfpool-0", 1, NULL);
  g_autofree char *meta = meta_vf ("ua-vfpool-0", NULL);
  g_autofree char *with_dev = guest ("g3", U1, dev, meta);
  g_autofree char *detached = guest ("g4", U2, NULL, meta);
  g_autofree char *plain = guest ("plain", U2, dev, NULL);
  g_autofree char *before = NULL, *after = NULL;
  VfpHookResult r;

  g_assert_cmpint (run (fx, "plain", "migrate", "begin", plain, &r), ==, 0);
  g_assert_null (r.message);
  g_assert_null (r.stdout_xml);
  vfp_hook_result_clear (&r);
  g_assert_false (g_file_test (fx->state_dir, G_FILE_TEST_EXISTS));

  g_assert_cmpint (run (fx, "g3", "migrate", "begin", with_dev, &r), ==, 1);
  g_assert_nonnull (strstr (r.message, "is not a failover guest; migrate it with 'vfpool migrate'"));
  vfp_hook_result_clear (&r);

  g_assert_cmpint (run (fx, "g3", "migrate", "begin", "not xml", &r), ==, 1);
  vfp_hook_result_clear (&r);

  /* both VFs taken */
  store_other_lease (fx);
  g_assert_cmpint (run (fx, "g4", "migrate", "begin", detached, &r), ==, 0);
  vfp_hook_result_clear (&r);
  before = store_text (fx);
  {
    g_autofree char *g5 = guest ("g5", "55555555-5555-5555-5555-555555555555", NULL, meta);

    g_assert_cmpint (run (fx, "g5", "migrate", "begin", g5, &r), ==, 1);
    g_assert_nonnull (strstr (r.message, "no VF from pool nvme on this host for ua-vfpool-0 of guest g5"));
    vfp_hook_result_clear (&r);
  }
  after = store_text (fx);
  g_assert_cmpstr (after, ==, before);

  /* a broken configuration: only a guest that brings VFs is refused */
  fx->config_error = "test.conf: [pool nvme] vlan=9000 is not a VLAN id.";
  g_assert_cmpint (run (fx, "g6", "migrate", "begin", detached, &r), ==, 1);
  g_assert_cmpstr (r.message, ==, "vfpool: test.conf: [pool nvme] vlan=9000 is not a VLAN id.");
  vfp_hook_result_clear (&r);
  g_assert_cmpint (run (fx, "plain", "migrate", "begin", plain, &r), ==, 0);
  g_assert_null (r.message);
  vfp_hook_result_clear (&r);
}

/* The capacity probe of guest UUID/NAME, whose metadata is META, as the
 * hook sees it: built as `vfpool migrate` builds it, with the <uuid>
 * libvirt gives every domain before its hook runs; CANCEL frees instead. */
static char *
probe_xml (const char *uuid, const char *name, const char *meta, const char *token, gboolean cancel)
{
  g_autofree char *src = guest (name, uuid, NULL, meta);
  g_autoptr (VfpDomain) dom = vfp_domxml_parse (src, -1, NULL);
  VfpProbe probe = { (char *) uuid, (char *) name, (char *) token, 300, cancel };
  g_autofree char *xml = NULL;
  g_auto (GStrv) parts = NULL;

  g_assert_nonnull (dom);
  xml = vfp_probe_build (&probe, dom->meta);
  parts = g_strsplit (xml, "</name>", 2);
  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  return g_strconcat (parts[0], "</name><uuid>99999999-9999-9999-9999-999999999999</uuid>", parts[1], NULL);
}

/* prepare begin of a capacity probe: it reserves a VF for each VF of the
 * guest (its MAC on the lease, for the probe's hold) and refuses with the
 * token; the migration's own hook call takes that reservation over (one
 * lease, the longer hold); a cancel probe frees it; a probe the pool
 * cannot serve is refused without the token and changes nothing; a
 * malformed one is refused by name. */
static void
test_probe (Fx *fx, gconstpointer data)
{
  static const char *const token = "0123456789abcdef0123456789abcdef";
  g_autofree char *meta = meta_vf ("ua-vfpool-0", NULL);
  g_autofree char *two = g_strdup_printf ("<vfpool:vfpool " META_NS "><vfpool:vf alias='ua-vfpool-0' pool='nvme'/>"
                                          "<vfpool:vf alias='ua-vfpool-1' pool='nvme'/></vfpool:vfpool>");
  g_autofree char *probe = probe_xml (U1, "g1", meta, token, FALSE);
  g_autofree char *cancel = probe_xml (U1, "g1", meta, token, TRUE);
  g_autofree char *arriving = guest ("g1", U1, NULL, meta);
  g_autofree char *before = NULL;
  g_autoptr (GError) error = NULL;
  VfpHookResult r;
  gint64 probe_expiry;

  g_assert_cmpint (run (fx, "vfpool-probe-0123456789ab", "prepare", "begin", probe, &r), ==, 1);
  g_assert_nonnull (strstr (r.message, token));
  g_assert_nonnull (strstr (r.message, "reserved on this host (count: 1) for 300 s"));
  vfp_hook_result_clear (&r);
  {
    g_autoptr (VfpState) state = vfp_state_open (fx->state_dir, 1000, &error);
    const VfpLease *l = vfp_state_get (state, VF1) ? vfp_state_get (state, VF1) : vfp_state_get (state, VF2);

    g_assert_no_error (error);
    g_assert_nonnull (l);
    g_assert_cmpuint (vfp_state_count (state), ==, 1);
    g_assert_cmpint (l->state, ==, VFP_LEASE_RESERVED);
    g_assert_cmpstr (l->owner_uuid, ==, U1);
    g_assert_cmpstr (l->mac, ==, "52:54:00:00:00:42");
    g_assert_true (l->migration);
    probe_expiry = l->expires;
  }

  /* migrate begin takes it over: still one lease, now the migration's hold */
  g_assert_cmpint (run (fx, "g1", "migrate", "begin", arriving, &r), ==, 0);
  vfp_hook_result_clear (&r);
  {
    g_autoptr (VfpState) state = vfp_state_open (fx->state_dir, 1000, &error);
    const VfpLease *l = vfp_state_get (state, VF1) ? vfp_state_get (state, VF1) : vfp_state_get (state, VF2);

    g_assert_cmpuint (vfp_state_count (state), ==, 1);
    g_assert_cmpint (l->expires, >=, probe_expiry + VFP_MIGRATION_HOLD_SECONDS - 300);
  }

  g_assert_cmpint (run (fx, "vfpool-probe-0123456789ab", "prepare", "begin", cancel, &r), ==, 1);
  g_assert_nonnull (strstr (r.message, token));
  g_assert_nonnull (strstr (r.message, "were freed (count: 1)"));
  vfp_hook_result_clear (&r);
  {
    g_autofree char *l1 = lease (fx, VF1), *l2 = lease (fx, VF2);

    g_assert_cmpstr (l1, ==, "free");
    g_assert_cmpstr (l2, ==, "free");
  }

  /* two VFs asked, one free: refused, no token, nothing changed */
  store_other_lease (fx);
  before = store_text (fx);
  {
    g_autofree char *big = probe_xml (U2, "g2", two, token, FALSE);

    g_assert_cmpint (run (fx, "vfpool-probe-0123456789ab", "prepare", "begin", big, &r), ==, 1);
    g_assert_null (strstr (r.message, token));
    g_assert_nonnull (strstr (r.message, "no VF from pool nvme on this host for ua-vfpool-1 of guest g2"));
    vfp_hook_result_clear (&r);
  }
  {
    g_autofree char *after = store_text (fx);

    g_assert_cmpstr (after, ==, before);
  }

  /* a malformed marker, and a wrapper's typo: refused by name */
  {
    g_autofree char *bad = probe_xml (U2, "g2", meta, "not-a-token", FALSE);

    g_assert_cmpint (run (fx, "vfpool-probe-x", "prepare", "begin", bad, &r), ==, 1);
    g_assert_nonnull (strstr (r.message, "capacity probe of a migration is malformed"));
    vfp_hook_result_clear (&r);
  }
  fx->bad_option = "Unknown option --frobnicate";
  g_assert_cmpint (run (fx, "vfpool-probe-0123456789ab", "prepare", "begin", probe, &r), ==, 1);
  g_assert_nonnull (strstr (r.message, "refused rather than let through unchecked"));
  vfp_hook_result_clear (&r);
}

/* started begin: a guest that arrived by migration with a VF reserved for
 * it that it does not have yet gets a detached `vfpool reattach`; one
 * without vfpool metadata, or that has its VF, does not. */
static void
test_started (Fx *fx, gconstpointer data)
{
  g_autofree char *meta = meta_vf ("ua-vfpool-0", NULL);
  g_autofree char *arrived = guest ("g4", U1, NULL, meta);
  g_autofree char *dev = NULL, *has_it = NULL, *l = NULL;
  VfpHookResult r;

  g_assert_cmpint (run (fx, "g4", "started", "begin", arrived, &r), ==, 0);
  g_assert_null (r.reattach_uuid);
  vfp_hook_result_clear (&r);

  g_assert_cmpint (run (fx, "g4", "migrate", "begin", arrived, &r), ==, 0);
  g_assert_null (r.stdout_xml);
  vfp_hook_result_clear (&r);
  l = lease (fx, VF1);
  dev = vf_iface ("ua-vfpool-0", g_str_equal (l, "reserved " U1) ? 1 : 2, NULL);
  has_it = guest ("g4", U1, dev, meta);

  g_assert_cmpint (run (fx, "g4", "started", "begin", arrived, &r), ==, 0);
  g_assert_cmpstr (r.reattach_uuid, ==, U1);
  g_assert_null (r.message);
  vfp_hook_result_clear (&r);

  g_assert_cmpint (run (fx, "g4", "started", "begin", has_it, &r), ==, 0);
  g_assert_null (r.reattach_uuid);
  vfp_hook_result_clear (&r);

  /* without metadata the store is not looked at: not even a broken one */
  g_assert_cmpint (g_unlink (fx->store), ==, 0);
  g_assert_cmpint (g_mkdir (fx->store, 0700), ==, 0);
  {
    g_autofree char *plain = guest ("g4", U1, dev, NULL);

    g_assert_cmpint (run (fx, "g4", "started", "begin", plain, &r), ==, 0);
    g_assert_null (r.message);
    vfp_hook_result_clear (&r);
  }
  g_assert_cmpint (run (fx, "g4", "started", "begin", arrived, &r), ==, 0);
  g_assert_nonnull (strstr (r.message, "vfpool hook: started begin of guest g4 left its leases as they were: "));
  g_assert_null (r.reattach_uuid);
  vfp_hook_result_clear (&r);
}

/* Options the hook does not know: nothing is done; only prepare (with a
 * vfpool device) and migrate (with vfpool metadata) refuse. */
static void
test_bad_option (Fx *fx, gconstpointer data)
{
  g_autofree char *dev = vf_iface ("ua-vfpool-0", 1, NULL);
  g_autofree char *meta = meta_vf ("ua-vfpool-0", NULL);
  g_autofree char *with_dev = guest ("g1", U1, dev, NULL);
  g_autofree char *with_meta = guest ("g1", U1, NULL, meta);
  g_autofree char *plain = guest ("plain", U2, NULL, NULL);
  static const char *const refused = "refused rather than let through unchecked";
  static const char *const nothing = "nothing was done for guest";
  VfpHookResult r;

  fx->bad_option = "Unknown option --frobnicate";
  g_assert_cmpint (run (fx, "g1", "prepare", "begin", with_dev, &r), ==, 1);
  g_assert_nonnull (strstr (r.message, refused));
  g_assert_nonnull (strstr (r.message, "--frobnicate"));
  vfp_hook_result_clear (&r);
  g_assert_cmpint (run (fx, "g1", "migrate", "begin", with_meta, &r), ==, 1);
  g_assert_nonnull (strstr (r.message, refused));
  vfp_hook_result_clear (&r);
  g_assert_cmpint (run (fx, "plain", "prepare", "begin", plain, &r), ==, 0);
  g_assert_nonnull (strstr (r.message, nothing));
  vfp_hook_result_clear (&r);
  g_assert_cmpint (run (fx, "g1", "prepare", "begin", with_meta, &r), ==, 0);
  g_assert_nonnull (strstr (r.message, nothing));
  vfp_hook_result_clear (&r);
  g_assert_cmpint (run (fx, "g1", "release", "end", with_dev, &r), ==, 0);
  g_assert_nonnull (strstr (r.message, nothing));
  vfp_hook_result_clear (&r);
  g_assert_cmpint (run (fx, "g1", "reconnect", "begin", with_dev, &r), ==, 0);
  g_assert_nonnull (strstr (r.message, nothing));
  vfp_hook_result_clear (&r);
  g_assert_cmpint (run (fx, "g1", "stopped", "end", with_dev, &r), ==, 0);
  g_assert_nonnull (strstr (r.message, nothing));
  vfp_hook_result_clear (&r);
  g_assert_false (g_file_test (fx->state_dir, G_FILE_TEST_EXISTS));
}

/* Counts the bytes fed (a FEED of vfp_hook_input_read). */
static void
count_fed (void *data, const char *buf, size_t len)
{
  *(size_t *) data += len;
}

/* The reader both halves use: all of the input is read (libvirt's pipe
 * drained), at most VFP_XML_MAX_SIZE + 1 bytes kept, every byte fed. */
static void
test_input_read (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "big", NULL);
  g_autofree char *big = g_malloc (VFP_XML_MAX_SIZE + 100000);
  size_t len = 0, fed = 0;
  char *got;
  int fd;

  memset (big, 'a', VFP_XML_MAX_SIZE + 100000);
  g_assert_true (g_file_set_contents (path, big, VFP_XML_MAX_SIZE + 100000, NULL));
  fd = g_open (path, O_RDONLY, 0);
  got = vfp_hook_input_read (fd, &len, count_fed, &fed);
  g_assert_nonnull (got);
  g_assert_cmpuint (len, ==, VFP_XML_MAX_SIZE + 1);
  g_assert_cmpuint (fed, ==, VFP_XML_MAX_SIZE + 100000);
  g_assert_cmpint (got[len], ==, '\0');
  g_assert_cmpint (lseek (fd, 0, SEEK_CUR), ==, VFP_XML_MAX_SIZE + 100000);
  free (got);
  close (fd);

  g_assert_true (g_file_set_contents (path, "<domain/>", -1, NULL));
  fd = g_open (path, O_RDONLY, 0);
  got = vfp_hook_input_read (fd, &len, NULL, NULL);
  g_assert_cmpuint (len, ==, 9);
  g_assert_cmpstr (got, ==, "<domain/>");
  free (got);
  close (fd);
  test_remove_tree (dir);
}

/* The store check both halves use: names, does not name, no store, not
 * a regular file (then "maybe": the store's own open says why). */
static void
test_store_mentions (Fx *fx, gconstpointer data)
{
  const char *u1[] = { U1 }, *both[] = { "33333333-3333-3333-3333-333333333333", U1 };
  const char *label[] = { "someone" };

  g_assert_false (vfp_hook_store_mentions (fx->state_dir, u1, 1));
  store_other_lease (fx);
  g_assert_false (vfp_hook_store_mentions (fx->state_dir, u1, 1));
  g_assert_false (vfp_hook_store_mentions (fx->state_dir, both, 2));
  g_assert_true (vfp_hook_store_mentions (fx->state_dir, label, 1));
  g_assert_cmpint (g_unlink (fx->store), ==, 0);
  g_assert_cmpint (mkfifo (fx->store, 0600), ==, 0);
  g_assert_true (vfp_hook_store_mentions (fx->state_dir, u1, 1));
  g_assert_cmpint (g_unlink (fx->store), ==, 0);
  g_assert_true (g_file_set_contents (fx->store, "<leases><lease><owner uuid=\"" U1 "\"/></lease></leases>", -1, NULL));
  g_assert_true (vfp_hook_store_mentions (fx->state_dir, both, 2));
}

/* TEMPLATE with each @ replaced by DIR; the caller frees it. */
static char *
fill (const char *template, const char *dir)
{
  g_auto (GStrv) parts = g_strsplit (template, "@", -1);

  return g_strjoinv (dir, parts);
}

/* The front door's gate and the full hook find the store by the same
 * configuration: when the gate, reading it with its small libc reader,
 * says a release end concerns no lease, the store the full hook would use
 * (through vfp_config_load, GKeyFile) does not name the guest. The gate
 * may be unsure (then the full hook runs); it must be sure of plain
 * configurations, or the front door would not pay for itself. */
static void
test_gate_finds_the_store (Fx *fx, gconstpointer data)
{
  static const struct {
    const char *text;       /* @: a state directory */
    gboolean plain;         /* the gate must be sure of it */
  } confs[] = {
    { "[vfpool]\nstate-dir=@\n", TRUE },
    { "# a comment\n[vfpool]\n  state-dir = @\n\n[pool nvme]\npfs=0000:01:00.0\n", TRUE },
    { "[pool nvme]\npfs=0000:01:00.0\n[vfpool]\nstate-dir=@\n", TRUE },
    /* vfpool refuses these two (a key a pool does not know, a group twice):
     * the full hook then uses the default directory */
    { "[pool nvme]\nstate-dir=/nowhere\n[vfpool]\nstate-dir=@\n", FALSE },
    { "[vfpool]\nstate-dir=@\n[pool nvme]\npfs=0000:01:00.0\n[vfpool]\nlog-file=/dev/null\n", FALSE },
    { "[vfpool]\nstate-dir=@\\s\n", FALSE },
    { "[vfpool]  \nstate-dir=@\n", FALSE },
    { "[vfpool]\nstate-dir=/nowhere\nstate-dir=@\n", FALSE },
    { "[vfpool]\nstate-dir=/nowhere\n[vfpool]\nstate-dir=@\n", FALSE },
    { "[vfpool]\nstate-dir[en]=/nowhere\nstate-dir=@\n", FALSE },
    { "[vfpool]\nstate-dir=@ \n", FALSE },
    { "[vfpool] # x\nstate-dir=@\n", FALSE },
    { "[vfpool]\nno equals sign\nstate-dir=@\n", FALSE },
    { "[vfpool]\r\nstate-dir=@\r\n", FALSE },
  };
  g_autofree char *named = g_build_filename (fx->dir, "named", NULL);
  g_autofree char *empty = g_build_filename (fx->dir, "empty", NULL);
  g_autofree char *conf = g_build_filename (fx->dir, "gate.conf", NULL);
  g_autofree char *store = g_build_filename (named, VFP_LEASES_FILE, NULL);
  g_autofree char *xml = guest ("g1", U1, NULL, NULL);
  const char *uuids[] = { U1 };
  /* the directory the configuration names, and the default one */
  const char *const dirs[][2] = { { named, empty }, { empty, empty }, { empty, named } };
  /* both calls that look at the store for a guest without vfpool devices */
  static const char *const ops[][2] = { { "release", "end" }, { "reconnect", "begin" } };
  guint i, j, k;

  g_assert_cmpint (g_mkdir (named, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);
  g_assert_true (g_file_set_contents (store, "<leases version=\"1\"><lease vf=\"" VF1 "\"><owner uuid=\"" U1 "\"/></lease></leases>", -1, NULL));
  for (k = 0; k < G_N_ELEMENTS (ops); k++)
  for (i = 0; i < G_N_ELEMENTS (confs); i++)
    for (j = 0; j < G_N_ELEMENTS (dirs); j++)
      {
        g_autofree char *text = fill (confs[i].text, dirs[j][0]);
        g_autoptr (VfpConfig) config = NULL;
        HookGateCall call = { ops[k][0], ops[k][1], xml, strlen (xml), conf, NULL, NULL };
        const char *default_dir = dirs[j][1];
        gboolean core_sees;
        HookGate gate;

        g_assert_true (g_file_set_contents (conf, text, -1, NULL));
        config = vfp_config_load (conf, TRUE, NULL);
        /* a configuration that does not load: the full hook uses the default */
        core_sees = vfp_hook_store_mentions (config && config->state_dir ? config->state_dir : default_dir,
                                             uuids, 1);
        gate = hook_gate (&call, "/nonexistent/vfpool.conf", default_dir);
        if (gate == HOOK_GATE_NOTHING_TO_DO)
          g_assert_false (core_sees);
        if (confs[i].plain && default_dir == empty)
          g_assert_cmpint (gate, ==, core_sees ? HOOK_GATE_RUN_CORE : HOOK_GATE_NOTHING_TO_DO);
        if (confs[i].plain && j == 0)
          g_assert_true (core_sees);
      }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vfpool/hook-run/rule-table", test_rule_table);
  g_test_add_func ("/vfpool/hook-run/input-read", test_input_read);
#define ADD(path, fn) g_test_add ("/vfpool/hook-run/" path, Fx, NULL, fx_setup, fn, fx_teardown)
  ADD ("ignored", test_ignored);
  ADD ("no-operation", test_no_operation);
  ADD ("store-mentions", test_store_mentions);
  ADD ("prepare/no-device", test_prepare_no_device);
  ADD ("prepare/claims", test_prepare_claims);
  ADD ("prepare/refuses-unchecked", test_prepare_refuses_unchecked);
  ADD ("release", test_release);
  ADD ("reconnect", test_reconnect);
  ADD ("migrate/failover", test_migrate_failover);
  ADD ("migrate/refuses", test_migrate_refuses);
  ADD ("migrate/probe", test_probe);
  ADD ("started", test_started);
  ADD ("bad-option", test_bad_option);
  ADD ("gate-finds-the-store", test_gate_finds_the_store);
#undef ADD
  return g_test_run ();
}
