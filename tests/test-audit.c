/* The audit's repair step (vfp_audit_apply): what --fix does to the store
 * for each kind of finding, on a fake sysfs tree and a real store. */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "fake-sysfs.h"
#include "test-util.h"
#include "vfp-audit.h"
#include "vfp-error.h"
#include "vfp-log.h"
#include "vfp-pool.h"

#define VF "0000:05:10.0"
#define UUID "c7a5fdbd-cdaf-9455-926a-d65c16db1809"

typedef struct {
  char *dir;
  VfpSysfs *sysfs;
  VfpConfig *config;
  VfpPool *pool;
} Fx;

/* The demo host, a pool over its first NIC, and a transaction on a store
 * in a temp dir. */
static void
fx_setup (Fx *fx)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = NULL;
  g_autofree char *sdir = NULL;

  fx->dir = test_make_tmpdir ();
  root = fake_sysfs_build (fx->dir, &fake_demo_options, fake_demo_host, fake_demo_host_len, &error);
  g_assert_no_error (error);
  fx->sysfs = vfp_sysfs_scan (root, &error);
  g_assert_no_error (error);
  fx->config = vfp_config_load_data ("[pool p]\npfs=enp5s0f0\n", "test.conf", &error);
  g_assert_no_error (error);
  g_assert_true (vfp_config_resolve (fx->config, fx->sysfs, &error));
  sdir = g_build_filename (fx->dir, "state", NULL);
  fx->pool = vfp_pool_begin (fx->config, fx->sysfs, sdir, 1000, &error);
  g_assert_no_error (error);
}

static void
fx_teardown (Fx *fx)
{
  vfp_pool_free (fx->pool);
  vfp_config_free (fx->config);
  vfp_sysfs_free (fx->sysfs);
  test_remove_tree (fx->dir);
  g_free (fx->dir);
}

/* VF's driver link set to DRIVER, as a bind by someone else shows it. */
static void
rebind (Fx *fx, const char *driver)
{
  g_autofree char *link = g_build_filename (fx->sysfs->root, "bus/pci/devices", VF, "driver", NULL);
  g_autofree char *target = g_build_filename ("../../../bus/pci/drivers", driver, NULL);

  g_assert_cmpint (unlink (link), ==, 0);
  g_assert_cmpint (symlink (target, link), ==, 0);
}

/* The events of the transaction so far, one message a line. */
static char *
events (Fx *fx)
{
  GPtrArray *ev = vfp_pool_events (fx->pool);
  GString *s = g_string_new (NULL);
  guint i;

  for (i = 0; i < ev->len; i++)
    g_string_append_printf (s, "%s: %s\n", ((VfpEvent *) ev->pdata[i])->op,
                            ((VfpEvent *) ev->pdata[i])->message);
  return g_string_free (s, FALSE);
}

/* A finding about VF of guest g1 with FIX. */
static VfpFinding
finding (const char *code, VfpFix fix)
{
  VfpFinding f = { .code = code, .object = (char *) VF, .guest = (char *) "g1", .uuid = (char *) UUID,
                   .fix = fix, .live = TRUE, .config = TRUE, .alias = (char *) "ua-vfpool-0",
                   .mac = (char *) "52:54:00:12:34:56", .vlan = 100 };

  return f;
}

/* The guest g1 starts with VF (a lease made the way the hook makes it). */
static void
lease_to_g1 (Fx *fx)
{
  g_assert_true (vfp_pool_guest_started (fx->pool, VF, "0000:05:00.0", UUID, "g1", "p",
                                         "ua-vfpool-0", NULL, -1, NULL));
}

/* leak: a lease nobody uses is freed (scrubbed first) and logged. */
static void
test_free_leak (void)
{
  Fx fx;
  VfpFinding f = finding ("leak", VFP_FIX_FREE);
  g_autofree char *log = NULL;

  fx_setup (&fx);
  lease_to_g1 (&fx);
  g_assert_true (vfp_audit_apply (fx.pool, &f));
  g_assert_null (vfp_pool_lease (fx.pool, VF));
  log = events (&fx);
  g_assert_nonnull (strstr (log, "free: Freed VF " VF " of guest g1: the audit found nobody using it."));
  fx_teardown (&fx);
}

/* leak of a VF that does not verify: quarantined, not freed; the repair
 * is done all the same (the VF is out of anyone's hands). */
static void
test_free_quarantines (void)
{
  Fx fx;
  VfpFinding f = finding ("leak", VFP_FIX_FREE);

  fx_setup (&fx);
  lease_to_g1 (&fx);
  rebind (&fx, "vfio-pci");
  g_assert_true (vfp_audit_apply (fx.pool, &f));
  g_assert_cmpint (vfp_pool_lease (fx.pool, VF)->state, ==, VFP_LEASE_QUARANTINED);
  g_assert_nonnull (strstr (vfp_pool_lease (fx.pool, VF)->note, "vfio-pci"));
  fx_teardown (&fx);
}

/* untracked: a VF in a guest's XML without a lease is leased to it as the
 * finding says: attached, live and persistent, its alias, MAC and VLAN. */
static void
test_adopt_free (void)
{
  Fx fx;
  VfpFinding f = finding ("untracked", VFP_FIX_ADOPT);
  const VfpLease *l;
  g_autofree char *log = NULL;

  fx_setup (&fx);
  g_assert_true (vfp_audit_apply (fx.pool, &f));
  l = vfp_pool_lease (fx.pool, VF);
  g_assert_nonnull (l);
  g_assert_cmpint (l->state, ==, VFP_LEASE_ATTACHED);
  g_assert_cmpstr (l->owner_uuid, ==, UUID);
  g_assert_cmpstr (l->owner_name, ==, "g1");
  g_assert_cmpstr (l->alias, ==, "ua-vfpool-0");
  g_assert_cmpstr (l->mac, ==, "52:54:00:12:34:56");
  g_assert_cmpint (l->vlan, ==, 100);
  g_assert_true (l->live && l->config);
  g_assert_cmpstr (l->pool, ==, "p");
  log = events (&fx);
  g_assert_nonnull (strstr (log, "VF " VF " is in the running guest g1: leased to it."));
  fx_teardown (&fx);
}

/* untracked over another holder's reservation (the audit judged it
 * stale): that lease is freed first, then the VF leased to the guest that
 * uses it. */
static void
test_adopt_replaces_stale (void)
{
  Fx fx;
  VfpFinding f = finding ("untracked", VFP_FIX_ADOPT);
  VfpReserveRequest req = { .count = 1, .owner_label = "dpdk", .numa_node = -1 };
  g_autoptr (GPtrArray) got = NULL;
  g_autofree char *log = NULL;

  fx_setup (&fx);
  got = vfp_pool_reserve (fx.pool, &req, NULL, NULL);
  g_assert_nonnull (got);
  g_assert_cmpstr (((VfpPick *) got->pdata[0])->vf, ==, VF);
  g_assert_true (vfp_audit_apply (fx.pool, &f));
  g_assert_cmpstr (vfp_pool_lease (fx.pool, VF)->owner_uuid, ==, UUID);
  g_assert_null (vfp_pool_lease (fx.pool, VF)->owner_label);
  log = events (&fx);
  g_assert_nonnull (strstr (log, "Freed VF " VF " held by dpdk: the audit replaces a stale reservation."));
  fx_teardown (&fx);
}

/* untracked on a quarantined VF: not repaired, said in a warning, and the
 * quarantine stays as it was. */
static void
test_adopt_refuses_quarantined (void)
{
  Fx fx;
  VfpFinding f = finding ("untracked", VFP_FIX_ADOPT);
  g_autofree char *log = NULL;

  fx_setup (&fx);
  g_assert_true (vfp_pool_quarantine (fx.pool, VF, NULL, "planted by the test.", NULL));
  g_assert_false (vfp_audit_apply (fx.pool, &f));
  g_assert_cmpint (vfp_pool_lease (fx.pool, VF)->state, ==, VFP_LEASE_QUARANTINED);
  g_assert_cmpstr (vfp_pool_lease (fx.pool, VF)->note, ==, "planted by the test.");
  log = events (&fx);
  g_test_message ("%s", log);
  g_assert_nonnull (strstr (log, "warning: VF " VF " is quarantined"));
  fx_teardown (&fx);
}

/* Findings --fix leaves to a human (or to libvirt, the metadata) change
 * nothing here; nor do VF settings a lease does not record. */
static void
test_nothing_to_apply (void)
{
  Fx fx;
  VfpFix fixes[] = { VFP_FIX_NONE, VFP_FIX_METADATA, VFP_FIX_VF_SETTINGS };
  guint i;

  fx_setup (&fx);
  lease_to_g1 (&fx);
  g_ptr_array_set_size (vfp_pool_events (fx.pool), 0);
  for (i = 0; i < G_N_ELEMENTS (fixes); i++)
    {
      VfpFinding f = finding ("conflict", fixes[i]);
      guint64 serial = vfp_pool_lease (fx.pool, VF)->serial;

      g_assert_false (vfp_audit_apply (fx.pool, &f));
      g_assert_cmpint (vfp_pool_lease (fx.pool, VF)->state, ==, VFP_LEASE_ATTACHED);
      g_assert_cmpuint (vfp_pool_lease (fx.pool, VF)->serial, ==, serial);
    }
  g_assert_cmpuint (vfp_pool_events (fx.pool)->len, ==, 0);
  fx_teardown (&fx);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vfpool/audit/apply/free-leak", test_free_leak);
  g_test_add_func ("/vfpool/audit/apply/free-quarantines", test_free_quarantines);
  g_test_add_func ("/vfpool/audit/apply/adopt-free", test_adopt_free);
  g_test_add_func ("/vfpool/audit/apply/adopt-replaces-stale", test_adopt_replaces_stale);
  g_test_add_func ("/vfpool/audit/apply/adopt-refuses-quarantined", test_adopt_refuses_quarantined);
  g_test_add_func ("/vfpool/audit/apply/nothing-to-apply", test_nothing_to_apply);
  return g_test_run ();
}
