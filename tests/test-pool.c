/* The allocation policy and the lease life cycle of reservations. */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-sysfs.h"
#include "test-util.h"
#include "vfp-audit.h"
#include "vfp-error.h"
#include "vfp-log.h"
#include "vfp-pool.h"
#include "vfp-proc.h"

/* Every test runs on a full and on a lazy scan: the policy must not
 * depend on how much of sysfs was read. */
static VfpSysfsMode scan_mode;

typedef struct {
  char *dir;
  VfpSysfs *sysfs;
  VfpConfig *config;
  VfpState *state;
  VfpPool *pool;
} Fx;

/* Two NICs (as in the demo) on NUMA nodes 0 and 1, a pool over both. */
static void
fx_setup_with (Fx *fx, FakePciFunction *fns, gsize n, const char *conf)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = NULL;
  g_autofree char *sdir = NULL;

  fx->dir = test_make_tmpdir ();
  root = fake_sysfs_build (fx->dir, &fake_demo_options, fns, n, &error);
  g_assert_no_error (error);
  fx->sysfs = vfp_sysfs_scan_mode (root, scan_mode, &error);
  g_assert_no_error (error);
  fx->config = vfp_config_load_data (conf, "test.conf", &error);
  g_assert_no_error (error);
  g_assert_true (vfp_config_resolve (fx->config, fx->sysfs, &error));
  sdir = g_build_filename (fx->dir, "state", NULL);
  fx->state = vfp_state_open (sdir, 1000, &error);
  g_assert_no_error (error);
  fx->pool = vfp_pool_new (fx->config, fx->sysfs, fx->state);
}

static void
fx_setup (Fx *fx, const char *conf)
{
  FakePciFunction f[4];

  memcpy (f, fake_demo_host, sizeof f);
  fx_setup_with (fx, f, G_N_ELEMENTS (f), conf);
}

static void
fx_teardown (Fx *fx)
{
  vfp_pool_free (fx->pool);
  vfp_state_close (fx->state);
  vfp_config_free (fx->config);
  vfp_sysfs_free (fx->sysfs);
  test_remove_tree (fx->dir);
  g_free (fx->dir);
}

/* Reserves COUNT VFs for LABEL; returns their addresses joined by spaces,
 * or "ERROR: message". */
static char *
reserve (Fx *fx, const char *label, guint count, int numa)
{
  VfpReserveRequest req = { .count = count, .owner_label = label, .numa_node = numa };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) got = vfp_pool_reserve (fx->pool, &req, NULL, &error);
  g_autoptr (GString) s = g_string_new (NULL);
  guint i;

  if (got == NULL)
    return g_strdup_printf ("ERROR: %s", error->message);
  for (i = 0; i < got->len; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", ((VfpPick *) got->pdata[i])->vf);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

#define ASSERT_RESERVE(fx, label, count, numa, expect) \
  G_STMT_START { \
    g_autofree char *got_ = reserve (fx, label, count, numa); \
    g_assert_cmpstr (got_, ==, expect); \
  } G_STMT_END

static void
test_spread (void)
{
  Fx fx;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0,enp129s0f0np0\nnuma=ignore\n");
  ASSERT_RESERVE (&fx, "a", 1, -1, "0000:05:10.0");
  ASSERT_RESERVE (&fx, "b", 1, -1, "0000:81:00.2");
  ASSERT_RESERVE (&fx, "c", 1, -1, "0000:05:10.2");
  ASSERT_RESERVE (&fx, "d", 1, -1, "0000:81:00.3");
  fx_teardown (&fx);
}

static void
test_pack (void)
{
  Fx fx;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0,enp129s0f0np0\npolicy=pack\nnuma=ignore\n");
  ASSERT_RESERVE (&fx, "a", 1, -1, "0000:05:10.0");
  ASSERT_RESERVE (&fx, "b", 1, -1, "0000:05:10.2");
  ASSERT_RESERVE (&fx, "c", 1, -1, "0000:05:10.4");
  /* bonding in the guest: two VFs on two PFs, even when packing */
  ASSERT_RESERVE (&fx, "bond", 2, -1, "0000:05:10.6 0000:81:00.2");
  fx_teardown (&fx);
}

static void
test_count_distinct_pfs (void)
{
  Fx fx;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0,enp129s0f0np0\n");
  ASSERT_RESERVE (&fx, "bond", 2, -1, "0000:05:10.0 0000:81:00.2");
  /* three on two PFs: the third shares, as it must */
  ASSERT_RESERVE (&fx, "three", 3, -1, "0000:05:10.2 0000:81:00.3 0000:05:10.4");
  fx_teardown (&fx);
}

static void
test_numa (void)
{
  Fx fx;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0,enp129s0f0np0\nnuma=prefer\n");
  /* the guest runs on node 1: the Mellanox first, then the rest */
  ASSERT_RESERVE (&fx, "a", 4, 1, "0000:81:00.2 0000:81:00.3 0000:81:00.4 0000:81:00.5");
  ASSERT_RESERVE (&fx, "b", 1, 1, "0000:05:10.0");
  fx_teardown (&fx);

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0,enp129s0f0np0\nnuma=require\n");
  ASSERT_RESERVE (&fx, "a", 4, 1, "0000:81:00.2 0000:81:00.3 0000:81:00.4 0000:81:00.5");
  {
    g_autofree char *r = reserve (&fx, "b", 1, 1);

    g_assert_true (g_str_has_prefix (r, "ERROR: Pool 'p' has no usable free VF, 1 was asked for"));
  }
  /* without a NUMA wish, require does not restrict */
  ASSERT_RESERVE (&fx, "c", 1, -1, "0000:05:10.0");
  fx_teardown (&fx);
}

static void
test_shared_group (void)
{
  FakePciFunction f[4];
  Fx fx;

  memcpy (f, fake_demo_host, sizeof f);
  f[3].vfs_share_group = TRUE;
  fx_setup_with (&fx, f, 4, "[pool p]\npfs=enp129s0f0np0\n");
  {
    g_autofree char *r = reserve (&fx, "a", 1, -1);

    g_assert_true (g_str_has_prefix (r, "ERROR:"));
  }
  fx_teardown (&fx);
  fx_setup_with (&fx, f, 4, "[pool p]\npfs=enp129s0f0np0\nallow-shared-iommu-group=on\n");
  ASSERT_RESERVE (&fx, "a", 1, -1, "0000:81:00.2");
  fx_teardown (&fx);
}

static void
test_ranges_and_exclusions (void)
{
  Fx fx;
  g_autoptr (GPtrArray) explain = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_explain_free);
  VfpReserveRequest req = { .count = 1, .owner_label = "x", .numa_node = -1, .dry_run = TRUE };
  g_autoptr (GPtrArray) got = NULL;
  guint i;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\nvfs=0-3,7\nexclude=1,0000:05:10.6\npolicy=pack\n");
  got = vfp_pool_reserve (fx.pool, &req, explain, NULL);
  g_assert_cmpuint (explain->len, ==, 8);
  for (i = 0; i < explain->len; i++)
    {
      VfpExplain *e = explain->pdata[i];

      g_test_message ("%s %s", e->vf, e->reason);
      g_assert_cmpuint (e->index, ==, i);
      if (i == 1 || i == 3)
        g_assert_nonnull (strstr (e->reason, "exclude="));
      else if (i >= 4 && i <= 6)
        g_assert_nonnull (strstr (e->reason, "outside vfs="));
      g_assert_true (e->chosen == (i == 0));
    }
  /* the dry run changed nothing */
  g_assert_cmpuint (vfp_state_count (fx.state), ==, 0);
  ASSERT_RESERVE (&fx, "a", 3, -1, "0000:05:10.0 0000:05:10.4 0000:05:11.6");
  {
    g_autofree char *r = reserve (&fx, "b", 1, -1);

    g_assert_true (g_str_has_prefix (r, "ERROR:"));
    g_assert_nonnull (strstr (r, "--explain"));
  }
  fx_teardown (&fx);
}

static void
test_foreign_driver (void)
{
  FakePciFunction f[4];
  Fx fx;
  g_autoptr (GPtrArray) explain = g_ptr_array_new_with_free_func ((GDestroyNotify) vfp_explain_free);
  VfpReserveRequest req = { .count = 1, .owner_label = "x", .numa_node = -1, .dry_run = TRUE };
  g_autoptr (GPtrArray) got = NULL;

  memcpy (f, fake_demo_host, sizeof f);
  f[3].vf_driver = "vfio-pci";
  fx_setup_with (&fx, f, 4, "[pool p]\npfs=enp129s0f0np0\n");
  got = vfp_pool_reserve (fx.pool, &req, explain, NULL);
  g_assert_null (got);
  g_assert_nonnull (strstr (((VfpExplain *) explain->pdata[0])->reason, "vfio-pci without a lease"));
  fx_teardown (&fx);
}

/* A pid that surely belongs to no process any more. */
static int
dead_pid (void)
{
  const char *argv[] = { "true", NULL };
  GPid pid;
  int status;

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD,
                                NULL, NULL, &pid, NULL));
  waitpid (pid, &status, 0);
  return pid;
}

static VfpLease *
plant (Fx *fx, const char *vf, const char *label, int pid, guint64 start, gint64 expires)
{
  VfpLease *l = vfp_lease_new (vf);

  l->pf = g_intern_string ("0000:05:00.0");
  l->pool = g_intern_string ("p");
  l->state = VFP_LEASE_RESERVED;
  l->owner_label = g_strdup (label);
  l->pid = pid;
  l->pid_start = start;
  l->expires = expires;
  vfp_state_put (fx->state, l);
  return l;
}

static void
test_reclaim (void)
{
  Fx fx;
  guint64 my_start;
  guint i;
  g_autoptr (GString) events = g_string_new (NULL);

  g_assert_true (vfp_proc_start_time (getpid (), &my_start));
  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\npolicy=pack\n");
  plant (&fx, "0000:05:10.0", "dead-attach", dead_pid (), 1, 0);
  plant (&fx, "0000:05:10.2", "live-attach", getpid (), my_start, vfp_pool_now (fx.pool) + 300);
  plant (&fx, "0000:05:10.4", "pid-reused", getpid (), my_start + 1, vfp_pool_now (fx.pool) + 300);
  plant (&fx, "0000:05:10.6", "hold-expired", 0, 0, vfp_pool_now (fx.pool) - 1);
  plant (&fx, "0000:05:11.0", "hold-forever", 0, 0, 0);
  plant (&fx, "0000:05:11.2", "live-but-too-long", getpid (), my_start, vfp_pool_now (fx.pool) - 5);

  g_assert_cmpuint (vfp_pool_reclaim (fx.pool), ==, 4);
  for (i = 0; i < vfp_pool_events (fx.pool)->len; i++)
    g_string_append_printf (events, "%s\n", ((VfpEvent *) vfp_pool_events (fx.pool)->pdata[i])->message);
  g_test_message ("%s", events->str);
  g_assert_null (vfp_state_get (fx.state, "0000:05:10.0"));
  g_assert_nonnull (vfp_state_get (fx.state, "0000:05:10.2"));
  g_assert_null (vfp_state_get (fx.state, "0000:05:10.4"));
  g_assert_null (vfp_state_get (fx.state, "0000:05:10.6"));
  g_assert_nonnull (vfp_state_get (fx.state, "0000:05:11.0"));
  g_assert_null (vfp_state_get (fx.state, "0000:05:11.2"));
  /* every reclaim says so, naming the VF and the owner */
  g_assert_nonnull (strstr (events->str, "Reclaimed VF 0000:05:10.0: the attaching process"));
  g_assert_nonnull (strstr (events->str, "dead-attach"));
  g_assert_nonnull (strstr (events->str, "Reclaimed VF 0000:05:10.6: the reservation of hold-expired expired"));
  /* the next allocation gets the reclaimed VFs back */
  ASSERT_RESERVE (&fx, "next", 1, -1, "0000:05:10.0");
  fx_teardown (&fx);
}

static void
test_reserve_in_flight (void)
{
  Fx fx;
  VfpReserveRequest req = { .count = 1, .owner_uuid = "c7a5fdbd-cdaf-9455-926a-d65c16db1809",
                            .owner_name = "MyGuest", .numa_node = -1, .in_flight = TRUE };
  g_autoptr (GPtrArray) got = NULL;
  const VfpLease *l;
  guint64 my_start;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\n");
  got = vfp_pool_reserve (fx.pool, &req, NULL, NULL);
  g_assert_nonnull (got);
  l = vfp_pool_lease (fx.pool, ((VfpPick *) got->pdata[0])->vf);
  g_assert_cmpint (l->state, ==, VFP_LEASE_RESERVED);
  g_assert_cmpint (l->pid, ==, getpid ());
  g_assert_true (vfp_proc_start_time (getpid (), &my_start));
  g_assert_cmpuint (l->pid_start, ==, my_start);
  g_assert_cmpint (l->expires, ==, vfp_pool_now (fx.pool) + VFP_IN_FLIGHT_SECONDS);
  g_assert_cmpstr (vfp_lease_owner (l), ==, "MyGuest");
  /* an attach in progress cannot be released from under it */
  g_assert_false (vfp_pool_release (fx.pool, l->vf, NULL));
  fx_teardown (&fx);
}

static void
test_release (void)
{
  Fx fx;
  VfpLease *l;
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\npolicy=pack\n");
  ASSERT_RESERVE (&fx, "dpdk", 2, -1, "0000:05:10.0 0000:05:10.2");
  ASSERT_RESERVE (&fx, "other", 1, -1, "0000:05:10.4");
  l = plant (&fx, "0000:05:10.6", "x", 0, 0, 0);
  l->state = VFP_LEASE_ATTACHED;
  g_clear_pointer (&l->owner_label, g_free);
  l->owner_uuid = g_strdup ("u-1");
  l->owner_name = g_strdup ("MyGuest");
  g_assert_false (vfp_pool_release (fx.pool, "0000:05:10.6", &e1));
  g_assert_nonnull (strstr (e1->message, "vfpool detach MyGuest"));
  g_assert_false (vfp_pool_release (fx.pool, "0000:05:11.0", &e2));
  g_assert_error (e2, VFP_ERROR, VFP_ERROR_NOT_FOUND);
  g_assert_cmpuint (vfp_pool_release_owner (fx.pool, "dpdk"), ==, 2);
  g_assert_null (vfp_state_get (fx.state, "0000:05:10.0"));
  g_assert_nonnull (vfp_state_get (fx.state, "0000:05:10.4"));
  g_assert_true (vfp_pool_release (fx.pool, "0000:05:10.4", NULL));
  g_assert_cmpuint (vfp_state_count (fx.state), ==, 1);
  fx_teardown (&fx);
}

/* What --fix and a release log say of whom: a hold is no guest's, and a
 * guest the audit adopts a VF for may be shut off. */
static void
test_event_wording (void)
{
  Fx fx;
  VfpFinding f = { .code = "untracked", .object = (char *) "0000:05:10.2", .guest = (char *) "g3",
                   .uuid = (char *) "u-3", .fix = VFP_FIX_ADOPT, .live = FALSE, .config = TRUE,
                   .alias = (char *) "hostdev0" };
  g_autoptr (GString) events = g_string_new (NULL);
  const VfpLease *l;
  guint i;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\npolicy=pack\n");
  ASSERT_RESERVE (&fx, "dpdk", 1, -1, "0000:05:10.0");
  g_assert_true (vfp_pool_unused (fx.pool, "0000:05:10.0", "dpdk", "the audit found nobody using it", NULL));
  g_assert_true (vfp_audit_apply (fx.pool, &f));
  for (i = 0; i < vfp_pool_events (fx.pool)->len; i++)
    g_string_append_printf (events, "%s\n", ((VfpEvent *) vfp_pool_events (fx.pool)->pdata[i])->message);
  g_test_message ("%s", events->str);
  g_assert_nonnull (strstr (events->str, "Freed VF 0000:05:10.0 held by dpdk: the audit found nobody using it."));
  g_assert_null (strstr (events->str, "of guest dpdk"));
  g_assert_nonnull (strstr (events->str, "VF 0000:05:10.2 is in the definition of guest g3: leased to it."));
  g_assert_null (strstr (events->str, "which starts"));
  l = vfp_state_get (fx.state, "0000:05:10.2");
  g_assert_true (l->state == VFP_LEASE_ATTACHED && !l->live && l->config);
  g_assert_cmpstr (l->alias, ==, "hostdev0");
  fx_teardown (&fx);
}

static void
test_set_numvfs (void)
{
  Fx fx;
  VfpPf *pf;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr (GPtrArray) got = NULL;
  VfpReserveRequest req = { .count = 1, .owner_label = "late", .numa_node = -1 };
  int lock;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\npolicy=pack\n");
  pf = vfp_sysfs_find_pf (fx.sysfs, "enp5s0f0");
  ASSERT_RESERVE (&fx, "dpdk", 1, -1, "0000:05:10.0");
  /* going from 8 to 16 passes through 0: the leased VF would vanish */
  g_assert_false (vfp_pool_check_numvfs (fx.pool, pf, 16, &error));
  g_assert_nonnull (strstr (error->message, "0000:05:10.0 (reserved by dpdk)"));
  g_clear_error (&error);
  g_assert_false (vfp_pool_check_numvfs (fx.pool, pf, 65, &error));
  g_assert_nonnull (strstr (error->message, "at most 64"));
  g_clear_error (&error);
  g_assert_true (vfp_pool_release_owner (fx.pool, "dpdk") == 1);
  g_assert_true (vfp_pool_check_numvfs (fx.pool, pf, 16, &error));
  g_assert_no_error (error);

  /* while set-numvfs holds the PF's own lock, its VFs are not handed out
   * nor let into a starting guest, and nobody waits for it */
  g_assert_false (vfp_pool_pf_is_changing (fx.pool, pf->fn.address));
  lock = vfp_pool_lock_pf (vfp_state_dir (fx.state), pf->fn.address, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpint (lock, >=, 0);
  g_assert_true (vfp_pool_pf_is_changing (fx.pool, pf->fn.address));
  g_assert_null (vfp_pool_reserve (fx.pool, &req, NULL, &error));
  g_assert_error (error, VFP_ERROR, VFP_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (vfp_pool_guest_started (fx.pool, "0000:05:10.2", pf->fn.address, "uuid-1", "g1",
                                            "p", "ua-vfpool-0", NULL, -1, &error));
  g_assert_nonnull (strstr (error->message, "whose VF count 'vfpool pf set-numvfs' is changing"));
  g_clear_error (&error);
  close (lock);
  g_assert_false (vfp_pool_pf_is_changing (fx.pool, pf->fn.address));
  got = vfp_pool_reserve (fx.pool, &req, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->len, ==, 1);

  g_assert_true (vfp_sysfs_write_numvfs (fx.sysfs->root, pf->fn.address, 16, &error));
  path = vfp_sysfs_path (fx.sysfs->root, "bus/pci/devices/0000:05:00.0/sriov_numvfs", NULL);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==, "16\n");
  /* the kernel (here: nobody) did not create the links: a clear timeout */
  g_assert_false (vfp_sysfs_wait_virtfn (fx.sysfs->root, pf->fn.address, 16, 200, &error));
  g_assert_nonnull (strstr (error->message, "has not created the VFs"));
  fx_teardown (&fx);
}

/* A lazy scan reads VFs in the order of preference and only until one is
 * usable: a VF rebound to vfio-pci or vanished since the scan is skipped,
 * and VFs after the chosen one are never read. */
/* The audit's snapshot tells a lease that changed and changed back from
 * one that did not change. Session 2's load test: an audit --fix read a
 * guest with a VF, an attach and a detach came and went, and the audit
 * then leased the VF to a guest that no longer had it. */
static void
test_audit_snapshot (void)
{
  Fx fx;
  g_autoptr (VfpAuditSnapshot) before = NULL;
  g_autoptr (VfpAuditSnapshot) again = NULL;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\npolicy=pack\n");
  ASSERT_RESERVE (&fx, "dpdk", 1, -1, "0000:05:10.0");
  g_assert_true (vfp_state_save (fx.state, NULL));
  before = vfp_audit_snapshot (fx.state);
  g_assert_true (vfp_audit_unchanged (before, fx.state, "0000:05:10.0"));
  g_assert_true (vfp_audit_unchanged (before, fx.state, "0000:05:10.2"));

  /* 05:10.2 given to a guest and taken back, all within one second */
  g_assert_true (vfp_pool_guest_started (fx.pool, "0000:05:10.2", "0000:05:00.0",
                                           "c7a5fdbd-cdaf-9455-926a-d65c16db1809", "g1", "p",
                                           "ua-vfpool-0", NULL, -1, NULL));
  g_assert_true (vfp_state_save (fx.state, NULL));
  g_assert_true (vfp_pool_guest_stopped (fx.pool, "c7a5fdbd-cdaf-9455-926a-d65c16db1809") == 1);
  g_assert_true (vfp_state_save (fx.state, NULL));
  g_assert_false (vfp_audit_unchanged (before, fx.state, "0000:05:10.2"));
  g_assert_true (vfp_audit_unchanged (before, fx.state, "0000:05:10.0"));

  /* 05:10.0 released and reserved again: every field as it was but one */
  again = vfp_audit_snapshot (fx.state);
  g_assert_true (vfp_pool_release (fx.pool, "0000:05:10.0", NULL));
  g_assert_true (vfp_state_save (fx.state, NULL));
  ASSERT_RESERVE (&fx, "dpdk", 1, -1, "0000:05:10.0");
  g_assert_true (vfp_state_save (fx.state, NULL));
  g_assert_false (vfp_audit_unchanged (again, fx.state, "0000:05:10.0"));
  fx_teardown (&fx);
}

/* Binds VF of the fake tree to DRIVER (NULL: unbinds it), as the kernel
 * shows it: the VF's driver link. A real fault on a test tree: what the
 * scrub reads is what the kernel would show after the bind. */
static void
rebind (Fx *fx, const char *vf, const char *driver)
{
  g_autofree char *link = g_build_filename (fx->sysfs->root, "bus/pci/devices", vf, "driver", NULL);
  g_autofree char *target = driver ? g_build_filename ("../../../bus/pci/drivers", driver, NULL) : NULL;

  g_assert_true (unlink (link) == 0 || driver != NULL);
  if (target != NULL)
    g_assert_cmpint (symlink (target, link), ==, 0);
}

/* The note of VF's lease when it is quarantined, else NULL. */
static const char *
quarantine_reason (Fx *fx, const char *vf)
{
  const VfpLease *l = vfp_state_get (fx->state, vf);

  return l && l->state == VFP_LEASE_QUARANTINED ? l->note : NULL;
}

/* Issue 16 part 3: release scrubs; a VF that does not verify (bound to
 * vfio-pci by someone else at release) is quarantined with the reason,
 * never handed out, not freed by release, and freed by a scrub once its
 * driver is back. */
static void
test_scrub_quarantine (void)
{
  Fx fx;
  g_autoptr (GError) error = NULL;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\npolicy=pack\n");
  ASSERT_RESERVE (&fx, "dpdk", 1, -1, "0000:05:10.0");
  g_assert_cmpstr (vfp_state_get (fx.state, "0000:05:10.0")->baseline_driver, ==, "ixgbevf");
  rebind (&fx, "0000:05:10.0", "vfio-pci");
  g_assert_false (vfp_pool_release (fx.pool, "0000:05:10.0", &error));
  g_assert_nonnull (strstr (error->message, "quarantined"));
  g_assert_nonnull (strstr (quarantine_reason (&fx, "0000:05:10.0"), "vfio-pci"));
  g_assert_nonnull (strstr (quarantine_reason (&fx, "0000:05:10.0"), "ixgbevf"));
  g_clear_error (&error);
  /* the reason and the baseline survive a save */
  g_assert_true (vfp_state_save (fx.state, NULL));
  {
    g_autofree char *from = g_build_filename (vfp_state_dir (fx.state), "leases.xml", NULL);
    g_autofree char *text = NULL;

    g_assert_true (g_file_get_contents (from, &text, NULL, NULL));
    g_assert_nonnull (strstr (text, "<baseline driver=\"ixgbevf\"/>"));
  }
  /* never handed out */
  ASSERT_RESERVE (&fx, "other", 1, -1, "0000:05:10.2");
  /* release and scrub refuse while the fault is there */
  g_assert_false (vfp_pool_release (fx.pool, "0000:05:10.0", &error));
  g_assert_nonnull (strstr (error->message, "stays quarantined"));
  g_clear_error (&error);
  g_assert_false (vfp_pool_scrub (fx.pool, "0000:05:10.0", &error));
  g_clear_error (&error);
  g_assert_nonnull (quarantine_reason (&fx, "0000:05:10.0"));
  /* a holder's VF is not the scrub's */
  g_assert_false (vfp_pool_scrub (fx.pool, "0000:05:10.2", &error));
  g_assert_nonnull (strstr (error->message, "only a free or quarantined VF"));
  g_clear_error (&error);
  /* the driver back: the scrub verifies and frees it */
  rebind (&fx, "0000:05:10.0", "ixgbevf");
  g_assert_true (vfp_pool_scrub (fx.pool, "0000:05:10.0", &error));
  g_assert_no_error (error);
  g_assert_null (vfp_state_get (fx.state, "0000:05:10.0"));
  fx_teardown (&fx);
}

/* Every freeing path scrubs: a guest's VF whose driver went away (unbound)
 * or that vanished from its PF is quarantined by the guest's stop, not
 * freed; a VF that verifies is freed. */
static void
test_scrub_on_stop (void)
{
  Fx fx;
  const char *uuid = "c7a5fdbd-cdaf-9455-926a-d65c16db1809";
  g_autofree char *virtfn = NULL;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\npolicy=pack\n");
  g_assert_true (vfp_pool_guest_started (fx.pool, "0000:05:10.0", "0000:05:00.0", uuid, "g1", "p",
                                           "ua-vfpool-0", NULL, -1, NULL));
  g_assert_true (vfp_pool_guest_started (fx.pool, "0000:05:10.2", "0000:05:00.0", uuid, "g1", "p",
                                           "ua-vfpool-1", NULL, -1, NULL));
  g_assert_true (vfp_pool_guest_started (fx.pool, "0000:05:10.4", "0000:05:00.0", uuid, "g1", "p",
                                           "ua-vfpool-2", NULL, -1, NULL));
  g_assert_cmpstr (vfp_state_get (fx.state, "0000:05:10.0")->baseline_driver, ==, "ixgbevf");
  rebind (&fx, "0000:05:10.0", NULL);
  virtfn = g_build_filename (fx.sysfs->root, "bus/pci/devices/0000:05:00.0/virtfn2", NULL);
  g_assert_cmpint (unlink (virtfn), ==, 0);
  g_assert_cmpuint (vfp_pool_guest_stopped (fx.pool, uuid), ==, 1);
  g_assert_nonnull (strstr (quarantine_reason (&fx, "0000:05:10.0"), "no driver"));
  g_assert_null (vfp_state_get (fx.state, "0000:05:10.2"));
  g_assert_nonnull (strstr (quarantine_reason (&fx, "0000:05:10.4"), "not in sysfs"));
  /* the guest cannot start with a quarantined VF */
  g_assert_false (vfp_pool_guest_started (fx.pool, "0000:05:10.0", "0000:05:00.0", uuid, "g1", "p",
                                            "ua-vfpool-0", NULL, -1, NULL));
  /* a second stop changes nothing */
  g_assert_cmpuint (vfp_pool_guest_stopped (fx.pool, uuid), ==, 0);
  fx_teardown (&fx);
}

static void
test_lazy_reads_in_order (void)
{
  Fx fx;
  g_autofree char *out = NULL;
  g_autofree char *drv = NULL;
  g_autofree char *gone = NULL;
  VfpPf *pf;
  guint i;

  scan_mode = VFP_SYSFS_LAZY;
  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\n");
  drv = g_build_filename (fx.dir, "sys/bus/pci/devices/0000:05:10.0/driver", NULL);
  g_assert_cmpint (unlink (drv), ==, 0);
  g_assert_cmpint (symlink ("../../../bus/pci/drivers/vfio-pci", drv), ==, 0);
  gone = g_build_filename (fx.dir, "sys/bus/pci/devices/0000:05:00.0/virtfn1", NULL);
  g_assert_cmpint (unlink (gone), ==, 0);
  out = reserve (&fx, "x", 1, -1);
  g_assert_cmpstr (out, ==, "0000:05:10.4");
  pf = vfp_sysfs_find_pf (fx.sysfs, "0000:05:00.0");
  for (i = 0; i < pf->vfs->len; i++)
    {
      VfpVf *vf = pf->vfs->pdata[i];

      g_assert_cmpint (vf->loaded, ==, i == 0 || i == 2);
      g_assert_cmpint (vf->missing, ==, i == 1);
    }
  fx_teardown (&fx);
}

/* The life cycle, state by event (vfp-pool.c's table): one VF of guest
 * TABLE_UUID under TABLE_ALIAS, planted in each state, meets each event
 * through the function named after it. */
#define TABLE_VF "0000:05:10.0"
#define TABLE_UUID "c7a5fdbd-cdaf-9455-926a-d65c16db1809"
#define TABLE_ALIAS "ua-vfpool-0"

/* Plants TABLE_VF's lease in STATE (nothing for free); KEPT: the guest's
 * definition has it; STALE: its reservation expired. */
static void
plant_state (Fx *fx, VfpLeaseState state, gboolean kept, gboolean stale)
{
  VfpLease *l;

  if (state == VFP_LEASE_FREE)
    return;
  l = vfp_lease_new (TABLE_VF);
  l->pf = g_intern_string ("0000:05:00.0");
  l->pool = g_intern_string ("p");
  l->state = state;
  l->owner_uuid = g_strdup (TABLE_UUID);
  l->owner_name = g_strdup ("g1");
  l->alias = g_strdup (TABLE_ALIAS);
  l->live = state != VFP_LEASE_QUARANTINED;
  l->config = kept;
  l->expires = stale ? vfp_pool_now (fx->pool) - 1 : 0;
  l->baseline_driver = g_strdup ("ixgbevf");
  if (state == VFP_LEASE_QUARANTINED)
    l->note = g_strdup ("planted");
  vfp_state_put (fx->state, l);
}

/* TABLE_VF's lease in words, to see whether anything changed. */
static char *
describe (Fx *fx)
{
  const VfpLease *l = vfp_state_get (fx->state, TABLE_VF);

  if (l == NULL)
    return g_strdup ("free");
  return g_strdup_printf ("%s owner=%s alias=%s live=%d config=%d pid=%d expires=%" G_GINT64_FORMAT " note=%s serial=%" G_GUINT64_FORMAT,
                          vfp_lease_state_name (l->state), vfp_lease_owner (l), l->alias, l->live,
                          l->config, l->pid, l->expires, l->note, l->serial);
}

/* EVENT on TABLE_VF through its named function. FALSE with ERROR when
 * refused (the batch events, expiry, say nothing: FALSE without). */
static gboolean
apply_event (Fx *fx, VfpLeaseEvent ev, GError **error)
{
  VfpVfSettings none = { 0 };
  VfpDeviceRecord device = { TABLE_ALIAS, NULL, -1, TRUE, FALSE, &none };
  VfpReserveRequest req = { .count = 1, .owner_uuid = TABLE_UUID, .owner_name = "g1", .numa_node = -1 };
  g_autoptr (GPtrArray) got = NULL;

  switch (ev)
    {
    case VFP_EVENT_RESERVE:
      return (got = vfp_pool_reserve (fx->pool, &req, NULL, error)) != NULL;
    case VFP_EVENT_ATTACH_REQUESTED:
      return vfp_pool_attach_requested (fx->pool, TABLE_VF, TABLE_UUID, &device, error);
    case VFP_EVENT_ATTACH_CONFIRMED:
      return vfp_pool_attach_confirmed (fx->pool, TABLE_VF, TABLE_UUID, TABLE_ALIAS, NULL, error);
    case VFP_EVENT_ATTACH_ROLLED_BACK:
      return vfp_pool_attach_rolled_back (fx->pool, TABLE_VF, TABLE_UUID, TABLE_ALIAS, "test", error);
    case VFP_EVENT_DETACH_REQUESTED:
      return vfp_pool_detach_requested (fx->pool, TABLE_VF, TABLE_UUID, TABLE_ALIAS, error);
    case VFP_EVENT_DETACH_CANCELLED:
      return vfp_pool_detach_cancelled (fx->pool, TABLE_VF, TABLE_UUID, TABLE_ALIAS, error);
    case VFP_EVENT_DEVICE_REMOVED:
      return vfp_pool_device_removed (fx->pool, TABLE_VF, TABLE_UUID, TABLE_ALIAS, "test", error);
    case VFP_EVENT_GUEST_STARTED:
      return vfp_pool_guest_started (fx->pool, TABLE_VF, "0000:05:00.0", TABLE_UUID, "g1", "p",
                                     TABLE_ALIAS, NULL, -1, error);
    case VFP_EVENT_GUEST_STOPPED:
      return vfp_pool_guest_gone (fx->pool, TABLE_VF, TABLE_UUID, error);
    case VFP_EVENT_GUEST_STOPPED_KEPT:
      return vfp_pool_guest_stopped_kept (fx->pool, TABLE_VF, TABLE_UUID, error);
    case VFP_EVENT_ADOPTED:
      return vfp_pool_adopt (fx->pool, TABLE_VF, "0000:05:00.0", TABLE_UUID, "g1", "p",
                             TABLE_ALIAS, NULL, -1, TRUE, TRUE, error);
    case VFP_EVENT_UNUSED:
      return vfp_pool_unused (fx->pool, TABLE_VF, TABLE_UUID, "test", error);
    case VFP_EVENT_EXPIRED:
      return vfp_pool_reclaim (fx->pool) == 1;
    case VFP_EVENT_RELEASED:
      return vfp_pool_release (fx->pool, TABLE_VF, error);
    case VFP_EVENT_SCRUB_VERIFIED:
      return vfp_pool_scrub (fx->pool, TABLE_VF, error);
    case VFP_EVENT_QUARANTINED:
      return vfp_pool_quarantine (fx->pool, TABLE_VF, TABLE_UUID, "test", error);
    case VFP_EVENT_HOLD_EXTENDED:
      return vfp_pool_hold_extended (fx->pool, TABLE_VF, TABLE_UUID, 600, error);
    case VFP_EVENT_COUNT:
      break;
    }
  g_assert_not_reached ();
}

/* Every state with every event: an allowed one leads to the table's
 * state, a refused one says so and leaves the lease exactly as it was. */
static void
test_transitions (void)
{
  guint allowed = 0, refused = 0;
  VfpLeaseState from;
  int ev;

  for (from = VFP_LEASE_FREE; from <= VFP_LEASE_QUARANTINED; from++)
    for (ev = 0; ev < VFP_EVENT_COUNT; ev++)
      {
        Fx fx;
        g_autoptr (GError) error = NULL;
        g_autofree char *before = NULL, *after = NULL;
        VfpLeaseState to;
        gboolean ok;

        fx_setup (&fx, "[pool p]\npfs=enp5s0f0\nvfs=0\n");
        plant_state (&fx, from, ev == VFP_EVENT_GUEST_STOPPED_KEPT, ev == VFP_EVENT_EXPIRED);
        before = describe (&fx);
        ok = apply_event (&fx, ev, &error);
        after = describe (&fx);
        g_test_message ("%s + %s: %s -> %s (%s)", vfp_lease_state_name (from), vfp_lease_event_name (ev),
                        before, after, error ? error->message : "-");
        if (vfp_pool_transition (from, ev, &to))
          {
            g_assert_no_error (error);
            g_assert_true (ok);
            if (to == VFP_LEASE_FREE)
              g_assert_cmpstr (after, ==, "free");
            else
              g_assert_cmpint (vfp_state_get (fx.state, TABLE_VF)->state, ==, to);
            allowed++;
          }
        else
          {
            g_assert_false (ok);
            if (ev != VFP_EVENT_EXPIRED)
              g_assert_nonnull (error);
            g_assert_cmpstr (after, ==, before);
            refused++;
          }
        fx_teardown (&fx);
      }
  g_assert_cmpuint (allowed, >, 0);
  g_assert_cmpuint (refused, >, 0);
}

/* A lease another process changed between the caller's look and its
 * change: another holder, another alias, or gone. VFP_ERROR_MOVED, and
 * nothing changes. */
static void
test_moved (void)
{
  Fx fx;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL, *after = NULL;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\nvfs=0\n");
  plant_state (&fx, VFP_LEASE_RESERVED, FALSE, FALSE);
  before = describe (&fx);
  g_assert_false (vfp_pool_attach_confirmed (fx.pool, TABLE_VF, "another-uuid", TABLE_ALIAS, NULL, &error));
  g_assert_error (error, VFP_ERROR, VFP_ERROR_MOVED);
  g_clear_error (&error);
  g_assert_false (vfp_pool_attach_confirmed (fx.pool, TABLE_VF, TABLE_UUID, "ua-vfpool-9", NULL, &error));
  g_assert_error (error, VFP_ERROR, VFP_ERROR_MOVED);
  g_clear_error (&error);
  after = describe (&fx);
  g_assert_cmpstr (after, ==, before);
  g_assert_true (vfp_pool_attach_rolled_back (fx.pool, TABLE_VF, TABLE_UUID, TABLE_ALIAS, "test", NULL));
  g_assert_false (vfp_pool_detach_requested (fx.pool, TABLE_VF, TABLE_UUID, TABLE_ALIAS, &error));
  g_assert_error (error, VFP_ERROR, VFP_ERROR_MOVED);
  fx_teardown (&fx);
}

/* A scrubbed step whose scrub fails quarantines the VF instead of freeing
 * it, and says so with its own error. */
static void
test_scrubbed_step_quarantines (void)
{
  Fx fx;
  g_autoptr (GError) error = NULL;

  fx_setup (&fx, "[pool p]\npfs=enp5s0f0\nvfs=0\n");
  plant_state (&fx, VFP_LEASE_DETACHING, FALSE, FALSE);
  rebind (&fx, TABLE_VF, "vfio-pci");
  g_assert_false (vfp_pool_device_removed (fx.pool, TABLE_VF, TABLE_UUID, TABLE_ALIAS, "test", &error));
  g_assert_error (error, VFP_ERROR, VFP_ERROR_QUARANTINED);
  g_assert_cmpint (vfp_state_get (fx.state, TABLE_VF)->state, ==, VFP_LEASE_QUARANTINED);
  fx_teardown (&fx);
}

/* README's "Leases" section has the table: the same rows, no more. */
static void
test_transitions_documented (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("top_srcdir") ? g_getenv ("top_srcdir") : "..", "README", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GHashTable) rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) lines = NULL;
  VfpLeaseState from, to;
  guint i, n = 0;
  int ev;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (i = 0; lines[i] != NULL; i++)
    {
      char f[32], e[32], t[32];

      if (sscanf (lines[i], "| `%31[a-z-]` | `%31[a-z-]` | `%31[a-z-]`", f, e, t) == 3)
        g_hash_table_insert (rows, g_strdup_printf ("%s %s", f, e), g_strdup (t));
    }
  for (from = VFP_LEASE_FREE; from <= VFP_LEASE_QUARANTINED; from++)
    for (ev = 0; ev < VFP_EVENT_COUNT; ev++)
      {
        g_autofree char *key = g_strdup_printf ("%s %s", vfp_lease_state_name (from), vfp_lease_event_name (ev));
        const char *doc = g_hash_table_lookup (rows, key);

        if (vfp_pool_transition (from, ev, &to))
          {
            g_assert_cmpstr (doc, ==, vfp_lease_state_name (to));
            n++;
          }
        else
          g_assert_null (doc);
      }
  g_assert_cmpuint (g_hash_table_size (rows), ==, n);
}

typedef struct {
  VfpSysfsMode mode;
  GTestFunc fn;
} InMode;

static void
run_in_mode (gconstpointer data)
{
  const InMode *run = data;

  scan_mode = run->mode;
  run->fn ();
}

static const struct { const char *name; GTestFunc fn; } tests[] = {
  { "spread", test_spread },
  { "pack", test_pack },
  { "count-distinct-pfs", test_count_distinct_pfs },
  { "numa", test_numa },
  { "shared-iommu-group", test_shared_group },
  { "ranges-and-exclusions", test_ranges_and_exclusions },
  { "foreign-driver", test_foreign_driver },
  { "reclaim", test_reclaim },
  { "reserve-in-flight", test_reserve_in_flight },
  { "release", test_release },
  { "set-numvfs", test_set_numvfs },
  { "scrub-quarantine", test_scrub_quarantine },
  { "scrub-on-stop", test_scrub_on_stop },
};

static const struct { const char *name; VfpSysfsMode mode; } modes[] = {
  { "full", VFP_SYSFS_FULL },
  { "lazy", VFP_SYSFS_LAZY },
};

int
main (int argc, char **argv)
{
  guint i, m;

  g_test_init (&argc, &argv, NULL);
  for (m = 0; m < G_N_ELEMENTS (modes); m++)
    for (i = 0; i < G_N_ELEMENTS (tests); i++)
      {
        g_autofree char *path = g_strdup_printf ("/vfpool/pool/%s/%s", modes[m].name, tests[i].name);
        InMode *run = g_new (InMode, 1);

        run->mode = modes[m].mode;
        run->fn = tests[i].fn;
        g_test_add_data_func_full (path, run, run_in_mode, g_free);
      }
  g_test_add_func ("/vfpool/pool/lazy/reads-candidates-in-order", test_lazy_reads_in_order);
  g_test_add_func ("/vfpool/pool/audit-snapshot", test_audit_snapshot);
  g_test_add_func ("/vfpool/pool/transitions/every-state-every-event", test_transitions);
  g_test_add_func ("/vfpool/pool/transitions/moved", test_moved);
  g_test_add_func ("/vfpool/pool/transitions/scrubbed-step-quarantines", test_scrubbed_step_quarantines);
  g_test_add_func ("/vfpool/pool/transitions/documented", test_transitions_documented);
  g_test_add_func ("/vfpool/pool/event-wording", test_event_wording);
  return g_test_run ();
}
