/* The configuration: every key read, every mistake refused with file,
 * group, key and reason. */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "fake-sysfs.h"
#include "test-util.h"
#include "vfp-config.h"
#include "vfp-error.h"

static const char *full =
  "[vfpool]\n"
  "default-pool=physnet1\n"
  "state-dir=/var/lib/vfpool-test\n"
  "uri=qemu:///system\n"
  "\n"
  "[pool physnet1]\n"
  "pfs=enp5s0f0, 0000:81:00.0\n"
  "vfs=0-5,7\n"
  "exclude=1,0000:05:10.6\n"
  "numvfs=8\n"
  "template=interface\n"
  "vlan=100\n"
  "spoofchk=on\n"
  "trust=off\n"
  "policy=pack\n"
  "numa=require\n"
  "allow-shared-iommu-group=yes\n"
  "\n"
  "[pool storage]\n"
  "pfs=1b36:0010\n"
  "template=hostdev\n";

static void
test_full (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpConfig) c = vfp_config_load_data (full, "vfpool.conf", &error);
  VfpPoolConfig *p;

  g_assert_no_error (error);
  g_assert_cmpstr (c->default_pool, ==, "physnet1");
  g_assert_cmpstr (c->state_dir, ==, "/var/lib/vfpool-test");
  g_assert_cmpstr (c->uri, ==, "qemu:///system");
  g_assert_cmpuint (c->pools->len, ==, 2);
  p = vfp_config_find_pool (c, "physnet1");
  g_assert_cmpstr (p->pf_specs[0], ==, "enp5s0f0");
  g_assert_cmpstr (p->pf_specs[1], ==, "0000:81:00.0");
  g_assert_true (vfp_pool_config_has_index (p, 0));
  g_assert_true (vfp_pool_config_has_index (p, 5));
  g_assert_false (vfp_pool_config_has_index (p, 6));
  g_assert_true (vfp_pool_config_has_index (p, 7));
  g_assert_true (vfp_pool_config_excludes (p, 1, "0000:05:10.2"));
  g_assert_true (vfp_pool_config_excludes (p, 3, "0000:05:10.6"));
  g_assert_false (vfp_pool_config_excludes (p, 2, "0000:05:10.4"));
  g_assert_cmpint (p->numvfs, ==, 8);
  g_assert_cmpint (p->template, ==, VFP_TEMPLATE_INTERFACE);
  g_assert_cmpint (p->vlan, ==, 100);
  g_assert_cmpint (p->spoofchk, ==, 1);
  g_assert_cmpint (p->trust, ==, 0);
  g_assert_cmpint (p->policy, ==, VFP_POLICY_PACK);
  g_assert_cmpint (p->numa, ==, VFP_NUMA_REQUIRE);
  g_assert_true (p->allow_shared_group);
  p = vfp_config_find_pool (c, "storage");
  g_assert_cmpint (p->template, ==, VFP_TEMPLATE_HOSTDEV);
  g_assert_cmpint (p->policy, ==, VFP_POLICY_SPREAD);
  g_assert_cmpint (p->numa, ==, VFP_NUMA_PREFER);
  g_assert_cmpint (p->vlan, ==, -1);
  g_assert_null (p->vfs);
  g_assert_true (vfp_pool_config_has_index (p, 63));
}

/* Each broken file is refused, and the message names the group, the key
 * and what is wrong with it. */
static void
test_broken (void)
{
  const struct { const char *text; const char *expect[3]; } cases[] = {
    { "[pool a]\npfs=eth0\ncolour=blue\n", { "[pool a]", "colour", "unknown key" } },
    { "[pool a]\npfs=eth0\nvlan=5000\n", { "[pool a]", "vlan", "5000" } },
    { "[pool a]\npfs=eth0\nvlan=ten\n", { "[pool a]", "vlan", "ten" } },
    { "[pool a]\npfs=eth0\nvfs=7-3\n", { "[pool a]", "vfs", "7-3" } },
    { "[pool a]\npfs=eth0\nvfs=0-x\n", { "[pool a]", "vfs", "0-x" } },
    { "[pool a]\npfs=eth0\npolicy=random\n", { "[pool a]", "policy", "random" } },
    { "[pool a]\npfs=eth0\nnuma=maybe\n", { "[pool a]", "numa", "maybe" } },
    { "[pool a]\npfs=eth0\ntemplate=macvtap\n", { "[pool a]", "template", "macvtap" } },
    { "[pool a]\npfs=eth0\nspoofchk=perhaps\n", { "[pool a]", "spoofchk", "perhaps" } },
    { "[pool a]\npfs=eth0\nnumvfs=-1\n", { "[pool a]", "numvfs", "-1" } },
    { "[pool a]\nvlan=5\n", { "[pool a]", "pfs", "missing" } },
    { "[pool a]\npfs= , \n", { "[pool a]", "pfs", "empty" } },
    { "[pool a]\npfs=eth0\n[pool a]\npfs=eth1\n", { "pool a", "", "" } },
    { "[pool a b]\npfs=eth0\n", { "[pool a b]", "one word", "" } },
    { "[pool a]\npfs=eth0\npfs=eth1\n", { "[pool a]", "pfs", "twice" } },
    { "[vfpool]\ndefault-pool=nope\n", { "[vfpool]", "default-pool", "nope" } },
    { "[vfpool]\nstate-dir=relative/dir\n", { "[vfpool]", "state-dir", "absolute" } },
    { "[vfpool]\nflavour=x\n", { "[vfpool]", "flavour", "unknown key" } },
    { "[pools]\n", { "[pools]", "unknown group", "" } },
    /* GKeyFile's translated keys: dropped unseen unless kept and refused */
    { "[pool a]\npfs=eth0\nvfs[de]=0\n", { "[pool a]", "vfs[de]", "[LOCALE] suffix" } },
    { "[pool a]\npfs=eth0\nfoo[x]=1\n", { "[pool a]", "foo[x]", "[LOCALE] suffix" } },
    { "[vfpool]\nuri[C]=qemu:///system\n", { "[vfpool]", "uri[C]", "[LOCALE] suffix" } },
    { "[vfpool]\nuri=\n", { "[vfpool]", "uri", "empty" } },
    { "[vfpool]\ndefault-pool= \n", { "[vfpool]", "default-pool", "empty" } },
    { "this is not a key file\n", { "test.conf", "", "" } },
  };
  gsize i, j;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (VfpConfig) c = vfp_config_load_data (cases[i].text, "test.conf", &error);

      g_assert_null (c);
      g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, "test.conf"));
      for (j = 0; j < 3; j++)
        g_assert_nonnull (strstr (error->message, cases[i].expect[j]));
    }
}

static void
test_resolve (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *root = fake_sysfs_build (dir, &fake_demo_options, fake_demo_host,
                                            fake_demo_host_len, NULL);
  g_autoptr (VfpSysfs) sysfs = vfp_sysfs_scan (root, NULL);
  const struct { const char *text; const char *expect; } bad[] = {
    { "[pool a]\npfs=eth9\n", "'eth9' names no SR-IOV PF" },
    { "[pool a]\npfs=0000:00:03.0\n", "'0000:00:03.0' names no SR-IOV PF" },
    { "[pool a]\npfs=enp5s0f0\n[pool b]\npfs=8086:10fb\n", "PF 0000:05:00.0 ('8086:10fb') is already in pool 'a'" },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpConfig) c = vfp_config_load_data ("[pool nic]\npfs=enp5s0f0,15b3:1015\n", "x.conf", NULL);
  gsize i;

  g_assert_true (vfp_config_resolve (c, sysfs, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (((VfpPoolConfig *) c->pools->pdata[0])->pfs->len, ==, 2);
  g_assert_cmpstr (vfp_config_pool_of_pf (c, "0000:81:00.0")->name, ==, "nic");
  g_assert_true (vfp_config_pool_for (c, NULL, NULL) == c->pools->pdata[0]);
  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (VfpConfig) b = vfp_config_load_data (bad[i].text, "x.conf", NULL);

      g_assert_false (vfp_config_resolve (b, sysfs, &e));
      g_test_message ("%s", e->message);
      g_assert_nonnull (strstr (e->message, bad[i].expect));
      g_assert_nonnull (strstr (e->message, "pfs"));
    }
  test_remove_tree (dir);
}

static void
test_pool_choice (void)
{
  g_autoptr (VfpConfig) none = vfp_config_load_data ("", "x.conf", NULL);
  g_autoptr (VfpConfig) two = vfp_config_load_data ("[pool a]\npfs=x\n[pool b]\npfs=y\n", "x.conf", NULL);
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;

  g_assert_null (vfp_config_pool_for (none, NULL, &e1));
  g_assert_nonnull (strstr (e1->message, "[pool NAME]"));
  g_assert_null (vfp_config_pool_for (two, NULL, &e2));
  g_assert_nonnull (strstr (e2->message, "--pool"));
  g_assert_null (vfp_config_pool_for (two, "c", &e3));
  g_assert_nonnull (strstr (e3->message, "'c'"));
  g_assert_nonnull (vfp_config_pool_for (two, "b", NULL));
}

/* The file on disk: missing is empty unless named; unsafe is refused. */
static void
test_files (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "vfpool.conf", NULL);
  g_autofree char *link = g_build_filename (dir, "link.conf", NULL);
  g_autoptr (GError) e1 = NULL;
  g_autoptr (GError) e2 = NULL;
  g_autoptr (GError) e3 = NULL;
  g_autoptr (GError) e4 = NULL;
  g_autoptr (GError) e5 = NULL;
  g_autoptr (VfpConfig) c = NULL;

  c = vfp_config_load (path, FALSE, &e1);
  g_assert_no_error (e1);
  g_assert_cmpuint (c->pools->len, ==, 0);
  g_clear_pointer (&c, vfp_config_free);
  g_assert_null (vfp_config_load (path, TRUE, &e1));
  g_assert_error (e1, VFP_ERROR, VFP_ERROR_NOT_FOUND);

  g_assert_true (g_file_set_contents (path, "[pool a]\npfs=eth0\n", -1, NULL));
  g_chmod (path, 0666);
  g_assert_null (vfp_config_load (path, TRUE, &e2));
  g_assert_error (e2, VFP_ERROR, VFP_ERROR_UNSAFE);
  g_assert_nonnull (strstr (e2->message, "chmod go-w"));
  g_chmod (path, 0644);
  c = vfp_config_load (path, TRUE, NULL);
  g_assert_nonnull (c);

  g_assert_cmpint (symlink (path, link), ==, 0);
  g_assert_null (vfp_config_load (link, TRUE, &e3));
  g_assert_error (e3, VFP_ERROR, VFP_ERROR_UNSAFE);
  g_assert_nonnull (strstr (e3->message, "symlink"));

  /* a NUL byte would end GKeyFile's reading there: the pool after it
   * would be gone without a word */
  g_assert_true (g_file_set_contents (path, "[vfpool]\nuri=qemu:///system\0x\n[pool a]\npfs=eth0\n", 48, NULL));
  g_assert_null (vfp_config_load (path, TRUE, &e5));
  g_assert_error (e5, VFP_ERROR, VFP_ERROR_INVALID);
  g_assert_nonnull (strstr (e5->message, "line 2 holds a NUL byte"));

  /* huge (sparse: costs no disk): refused before it is read */
  g_assert_cmpint (truncate (path, 1024 * 1024 * 1024), ==, 0);
  g_assert_null (vfp_config_load (path, TRUE, &e4));
  g_assert_error (e4, VFP_ERROR, VFP_ERROR_INVALID);
  g_assert_nonnull (strstr (e4->message, "larger than 1 MiB"));
  test_remove_tree (dir);
}

/* The VF settings a pool applies through the PF: each key read into the
 * pool's delta, nothing set when no key is given, bad values and a
 * guaranteed rate above the limit refused with the key named. */
static void
test_vf_settings (void)
{
  static const char *text =
    "[pool nic]\n"
    "pfs=eth0\n"
    "spoofchk=off\n"
    "trust=on\n"
    "link-state=disable\n"
    "max-tx-rate=1000\n"
    "min-tx-rate=100\n"
    "query-rss=yes\n"
    "[pool bare]\n"
    "pfs=eth1\n";
  const struct { const char *text; const char *expect[3]; } broken[] = {
    { "[pool a]\npfs=eth0\nlink-state=up\n", { "[pool a]", "link-state", "'up' is not auto, enable or disable" } },
    { "[pool a]\npfs=eth0\nmax-tx-rate=10G\n", { "[pool a]", "max-tx-rate", "'10G' is not a rate in Mbit/s" } },
    { "[pool a]\npfs=eth0\nmin-tx-rate=-5\n", { "[pool a]", "min-tx-rate", "'-5'" } },
    { "[pool a]\npfs=eth0\nmax-tx-rate=4294967296\n", { "[pool a]", "max-tx-rate", "4294967296" } },
    { "[pool a]\npfs=eth0\nquery-rss=sometimes\n", { "[pool a]", "query-rss", "'sometimes' is not on or off" } },
    { "[pool a]\npfs=eth0\nmax-tx-rate=100\nmin-tx-rate=200\n",
      { "[pool a]", "min-tx-rate", "min-tx-rate 200 is above max-tx-rate 100" } },
  };
  g_autoptr (GError) error = NULL;
  g_autoptr (VfpConfig) c = vfp_config_load_data (text, "vfpool.conf", &error);
  VfpPoolConfig *p;
  gsize i, j;

  g_assert_no_error (error);
  p = vfp_config_find_pool (c, "nic");
  g_assert_cmpuint (p->vf.fields, ==, VFP_VF_SPOOFCHK | VFP_VF_TRUST | VFP_VF_LINK_STATE
                    | VFP_VF_MAX_TX_RATE | VFP_VF_MIN_TX_RATE | VFP_VF_QUERY_RSS);
  g_assert_false (p->vf.spoofchk);
  g_assert_true (p->vf.trust);
  g_assert_cmpint (p->vf.link_state, ==, VFP_VF_LINK_DISABLE);
  g_assert_cmpuint (p->vf.max_tx_rate, ==, 1000);
  g_assert_cmpuint (p->vf.min_tx_rate, ==, 100);
  g_assert_true (p->vf.query_rss);
  g_assert_cmpint (p->spoofchk, ==, 0);
  g_assert_cmpint (p->trust, ==, 1);
  /* a pool without the keys leaves every VF setting to the driver */
  g_assert_cmpuint (vfp_config_find_pool (c, "bare")->vf.fields, ==, 0);
  /* no limit and a guarantee is fine: 0 is "none" */
  g_clear_pointer (&c, vfp_config_free);
  c = vfp_config_load_data ("[pool a]\npfs=eth0\nmax-tx-rate=0\nmin-tx-rate=500\n", "x.conf", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (((VfpPoolConfig *) c->pools->pdata[0])->vf.min_tx_rate, ==, 500);

  for (i = 0; i < G_N_ELEMENTS (broken); i++)
    {
      g_autoptr (GError) e = NULL;
      g_autoptr (VfpConfig) b = vfp_config_load_data (broken[i].text, "test.conf", &e);

      g_assert_null (b);
      g_assert_error (e, VFP_ERROR, VFP_ERROR_INVALID);
      g_test_message ("%s", e->message);
      g_assert_true (g_str_has_prefix (e->message, "test.conf"));
      for (j = 0; j < 3; j++)
        g_assert_nonnull (strstr (e->message, broken[i].expect[j]));
    }
}

/* Issue 18.4: a FIFO given as the configuration made vfpool (and the
 * hook) wait forever for a writer. Refused at once; the alarm fails the
 * test where it would still hang. */
static void
test_fifo (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "vfpool.conf", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  alarm (10);
  g_assert_null (vfp_config_load (path, TRUE, &error));
  alarm (0);
  g_assert_error (error, VFP_ERROR, VFP_ERROR_UNSAFE);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vfpool/config/full", test_full);
  g_test_add_func ("/vfpool/config/broken", test_broken);
  g_test_add_func ("/vfpool/config/resolve", test_resolve);
  g_test_add_func ("/vfpool/config/pool-choice", test_pool_choice);
  g_test_add_func ("/vfpool/config/files", test_files);
  g_test_add_func ("/vfpool/config/vf-settings", test_vf_settings);
  g_test_add_func ("/vfpool/config/fifo", test_fifo);
  return g_test_run ();
}
