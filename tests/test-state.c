/* The lease store: round trip, refusal of unsafe directories and files,
 * refusal of stores it cannot read, which are then left untouched. */
#include "config.h"

#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-util.h"
#include "vfp-error.h"
#include "vfp-state.h"
#include "vfp-text.h"

/* Only vfp-pool changes leases in vfpool; the store's own test may. */
static VfpLease *
make_lease (const char *vf, VfpLeaseState st, const char *label, const char *uuid)
{
  VfpLease *l = vfp_lease_new (vf);

  l->pf = g_intern_string ("0000:05:00.0");
  l->pool = g_intern_string ("physnet1");
  l->state = st;
  l->owner_label = g_strdup (label);
  l->owner_uuid = g_strdup (uuid);
  l->created = 1700000000;
  l->changed = 1700000100;
  return l;
}

static void
test_roundtrip (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *sdir = g_build_filename (dir, "state", NULL);
  g_autoptr (GError) error = NULL;
  VfpState *s = vfp_state_open (sdir, 1000, &error);
  VfpLease *l;
  struct stat st;
  g_autofree char *path = g_build_filename (sdir, "leases.xml", NULL);

  g_assert_no_error (error);
  g_assert_cmpuint (vfp_state_count (s), ==, 0);
  l = make_lease ("0000:05:10.2", VFP_LEASE_ATTACHED, NULL, "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
  /* user data that must stay data: quotes, markup */
  l->owner_name = g_strdup ("My \"Guest\" <b>&amp; next");
  l->mac = g_strdup ("52:54:00:12:34:56");
  l->vlan = 100;
  l->alias = g_strdup ("ua-vfpool-3");
  l->live = TRUE;
  l->config = TRUE;
  vfp_state_put (s, l);
  l = make_lease ("0000:05:10.4", VFP_LEASE_RESERVED, "dpdk-1", NULL);
  l->pid = 4242;
  l->pid_start = 987654;
  l->expires = 1700000400;
  vfp_state_put (s, l);
  l = make_lease ("0000:05:10.6", VFP_LEASE_QUARANTINED, NULL, NULL);
  l->note = g_strdup ("held by a stranger");
  vfp_state_put (s, l);
  g_assert_true (vfp_state_save (s, &error));
  vfp_state_close (s);

  /* root-owned (caller-owned), not writable by others */
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 022, ==, 0);
  g_assert_cmpint (stat (sdir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 022, ==, 0);

  s = vfp_state_open (sdir, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vfp_state_count (s), ==, 3);
  l = vfp_state_lookup (s, "0000:05:10.2");
  g_assert_cmpint (l->state, ==, VFP_LEASE_ATTACHED);
  g_assert_cmpstr (l->owner_name, ==, "My \"Guest\" <b>&amp; next");
  g_assert_cmpstr (l->owner_uuid, ==, "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
  g_assert_cmpstr (l->mac, ==, "52:54:00:12:34:56");
  g_assert_cmpint (l->vlan, ==, 100);
  g_assert_cmpstr (l->alias, ==, "ua-vfpool-3");
  g_assert_true (l->live && l->config);
  g_assert_cmpint (l->created, ==, 1700000000);
  l = vfp_state_lookup (s, "0000:05:10.4");
  g_assert_cmpint (l->state, ==, VFP_LEASE_RESERVED);
  g_assert_cmpint (l->pid, ==, 4242);
  g_assert_cmpuint (l->pid_start, ==, 987654);
  g_assert_cmpint (l->expires, ==, 1700000400);
  g_assert_cmpint (l->vlan, ==, -1);
  g_assert_cmpstr (vfp_lease_owner (l), ==, "dpdk-1");
  l = vfp_state_lookup (s, "0000:05:10.6");
  g_assert_cmpstr (l->note, ==, "held by a stranger");
  vfp_state_remove (s, "0000:05:10.6");
  g_assert_true (vfp_state_save (s, NULL));
  vfp_state_close (s);
  s = vfp_state_open (sdir, 1000, NULL);
  g_assert_null (vfp_state_get (s, "0000:05:10.6"));
  vfp_state_close (s);
  test_remove_tree (dir);
}

/* The lock is exclusive: a second opener waits, then gives up clearly. */
static void
test_lock (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autoptr (GError) error = NULL;
  VfpState *a = vfp_state_open (dir, 1000, &error);
  VfpState *b;
  gint64 t0;

  g_assert_nonnull (a);
  t0 = g_get_monotonic_time ();
  b = vfp_state_open (dir, 200, &error);
  g_assert_null (b);
  g_assert_error (error, VFP_ERROR, VFP_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "locked"));
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 190 * 1000);
  vfp_state_close (a);
  b = vfp_state_open (dir, 200, NULL);
  g_assert_nonnull (b);
  vfp_state_close (b);
  test_remove_tree (dir);
}

static void
assert_refused (const char *sdir, int code, const char *expect)
{
  g_autoptr (GError) error = NULL;
  VfpState *s = vfp_state_open (sdir, 500, &error);

  g_assert_null (s);
  g_test_message ("%s", error->message);
  g_assert_error (error, VFP_ERROR, code);
  g_assert_nonnull (strstr (error->message, expect));
}

static void
test_unsafe_dirs (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *real = g_build_filename (dir, "real", NULL);
  g_autofree char *link = g_build_filename (dir, "link", NULL);
  g_autofree char *open_dir = g_build_filename (dir, "open", NULL);
  g_autofree char *leases = g_build_filename (real, "leases.xml", NULL);
  g_autofree char *elsewhere = g_build_filename (dir, "elsewhere.xml", NULL);

  g_mkdir (real, 0755);
  g_assert_cmpint (symlink (real, link), ==, 0);
  assert_refused (link, VFP_ERROR_UNSAFE, "symlink");

  g_mkdir (open_dir, 0777);
  g_chmod (open_dir, 0777);
  assert_refused (open_dir, VFP_ERROR_UNSAFE, "chmod go-w");

  /* leases.xml planted as a symlink */
  g_assert_true (g_file_set_contents (elsewhere, "<leases version='1'/>", -1, NULL));
  g_assert_cmpint (symlink (elsewhere, leases), ==, 0);
  assert_refused (real, VFP_ERROR_UNSAFE, "symlink");
  g_unlink (leases);

  /* leases.xml writable by others */
  g_assert_true (g_file_set_contents (leases, "<leases version='1'/>", -1, NULL));
  g_chmod (leases, 0666);
  assert_refused (real, VFP_ERROR_UNSAFE, "writable");
  test_remove_tree (dir);
}

/* Stores vfpool cannot read: refused with a clear error, and the bytes on
 * disk are the same afterwards. */
static void
test_unreadable_stores (void)
{
  const struct { const char *text; int code; const char *expect; } cases[] = {
    { "<leases version='2'><lease vf='0000:05:10.2' state='warp'/></leases>",
      VFP_ERROR_UNSAFE, "newer vfpool" },
    { "<leases version='1'><lease vf='0000:05:10.2' pool='p' state='reserved'><owner label='a'/></lease>",
      VFP_ERROR_INVALID, "will not overwrite" },
    { "", VFP_ERROR_INVALID, "does not parse" },
    { "<leases><lease/></leases>", VFP_ERROR_INVALID, "not a vfpool lease store" },
    { "<leases version='1'><lease vf='banana' state='reserved'/></leases>", VFP_ERROR_INVALID, "banana" },
    { "<leases version='1'><lease vf='0000:05:10.2' state='sleeping'><owner label='a'/></lease></leases>",
      VFP_ERROR_INVALID, "sleeping" },
    { "<leases version='1'><lease vf='0000:05:10.2' state='reserved'><owner label='a'/></lease>"
      "<lease vf='0000:05:10.2' state='attached'><owner uuid='u'/></lease></leases>",
      VFP_ERROR_INVALID, "two leases" },
    { "<leases version='1'><lease vf='0000:05:10.2' state='reserved'/></leases>",
      VFP_ERROR_INVALID, "no owner" },
    { "<leases version='1'><lease vf='0000:05:10.2' state='reserved'><owner label='a'/><owner label='b'/></lease></leases>",
      VFP_ERROR_INVALID, "two <owner> elements" },
    { "<!DOCTYPE l [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><leases version='1'>&x;</leases>",
      VFP_ERROR_INVALID, "DOCTYPE" },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = test_make_tmpdir ();
      g_autofree char *path = g_build_filename (dir, "leases.xml", NULL);
      g_autofree char *after = NULL;

      g_assert_true (g_file_set_contents (path, cases[i].text, -1, NULL));
      assert_refused (dir, cases[i].code, cases[i].expect);
      g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
      g_assert_cmpstr (after, ==, cases[i].text);
      test_remove_tree (dir);
    }
}

/* The reasons a refused store is given in: the attribute that is wrong,
 * and sentences that join without a stray full stop. */
static void
test_refusal_wording (void)
{
  const struct { const char *text; const char *expect; } cases[] = {
    { "<leases version='1'><lease vf='0000:05:10.2' state='reserved' serial='99999999999999999999'>"
      "<owner label='a'/></lease></leases>", "has a bad serial=" },
    { "<leases version='1'><lease vf='0000:05:10.2' state='reserved' changed='x'>"
      "<owner label='a'/></lease></leases>", "has a bad timestamp" },
    { "<!DOCTYPE l [<!ENTITY x 'y'>]><leases version='1'>&x;</leases>",
      "refuses DTDs and entities); vfpool will not overwrite it." },
  };
  gsize i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GHashTable) leases = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                             (GDestroyNotify) vfp_lease_free);
      g_autoptr (GError) error = NULL;

      g_assert_false (vfp_state_parse (cases[i].text, strlen (cases[i].text), "leases.xml",
                                       leases, NULL, NULL, &error));
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, cases[i].expect));
      g_assert_null (strstr (error->message, ".;"));
      if (i == 0)
        g_assert_null (strstr (error->message, "timestamp"));
    }
}

/* Issue 18.13: what a newer vfpool (or an operator) put into the store
 * that this one does not know, attributes and elements at any level, is
 * written back as it was by the next save, which used to drop it. A
 * second save writes the very same file. */
static void
test_unknown_kept (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "leases.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  const char *kept[] = {
    "site=\"lab-2\"", "<card address=\"0000:05:00.0\" serial=\"MT2033X0\"/>",
    "<x:audit xmlns:x=\"urn:example\" x:at=\"5\">checked &amp; ok<x:by>root</x:by></x:audit>",
    "numa=\"1\"", "tenant=\"blue\"", "trust=\"on\"", "cgroup=\"vfio\"",
    "<future level=\"2\">", "<deeper/>", "<hint kind=\"owner\">a &lt;b&gt;</hint>",
    "<policy name=\"strict\"/>", "<vf-settings trust=\"on\" colour=\"blue\"/>",
  };
  VfpState *s;
  VfpLease *l;
  guint i;

  g_assert_true (g_file_set_contents (path,
    "<?xml version='1.0'?>\n<leases version='1' generation='3' site='lab-2'>"
    "<card address='0000:05:00.0' serial='MT2033X0'/>"
    "<lease vf='0000:05:10.2' pf='0000:05:00.0' state='attached' created='5' changed='6' numa='1'>"
    "<owner uuid='c7a5fdbd-cdaf-9455-926a-d65c16db1809' name='g' tenant='blue'>"
    "<hint kind='owner'>a &lt;b&gt;</hint></owner>"
    "<device mac='52:54:00:12:34:56' alias='ua-vfpool-0' live='yes' config='no' trust='on'/>"
    "<reservation pid='0' cgroup='vfio'/>"
    "<vf-settings trust='on' colour='blue'/>"
    "<future level='2'><deeper/></future>"
    "<x:audit xmlns:x='urn:example' x:at='5'>checked &amp; ok<x:by>root</x:by></x:audit>"
    "</lease>"
    "<policy name='strict'/>"
    "</leases>\n", -1, NULL));
  s = vfp_state_open (dir, 1000, &error);
  g_assert_no_error (error);
  l = vfp_state_lookup (s, "0000:05:10.2");
  g_assert_nonnull (l);
  g_assert_cmpstr (l->owner_name, ==, "g");
  l->vlan = 7;                       /* a change: the lease is written anew */
  vfp_state_touch (s, l);
  g_assert_true (vfp_state_save (s, &error));
  g_assert_no_error (error);
  vfp_state_close (s);
  g_assert_true (g_file_get_contents (path, &first, NULL, NULL));
  g_test_message ("%s", first);
  for (i = 0; i < G_N_ELEMENTS (kept); i++)
    if (strstr (first, kept[i]) == NULL)
      g_error ("the save dropped %s", kept[i]);
  g_assert_nonnull (strstr (first, "vlan=\"7\""));

  s = vfp_state_open (dir, 1000, &error);
  g_assert_no_error (error);
  vfp_state_touch (s, vfp_state_lookup (s, "0000:05:10.2"));
  g_assert_true (vfp_state_save (s, &error));
  vfp_state_close (s);
  g_assert_true (g_file_get_contents (path, &second, NULL, NULL));
  /* the same but for the generation counters */
  g_assert_nonnull (strstr (second, "generation=\"5\""));
  g_assert_nonnull (strstr (second, "serial=\"5\""));
  {
    g_autofree char *a = g_strdup (first);
    g_autofree char *b = g_strdup (second);
    char *p;

    for (p = a; (p = strstr (p, "\"4\"")) != NULL; p++)
      p[1] = '5';
    g_assert_cmpstr (a, ==, b);
  }

  /* a lease that ends takes what was kept of it along */
  s = vfp_state_open (dir, 1000, &error);
  vfp_state_remove (s, "0000:05:10.2");
  g_assert_true (vfp_state_save (s, &error));
  vfp_state_close (s);
  g_clear_pointer (&second, g_free);
  g_assert_true (g_file_get_contents (path, &second, NULL, NULL));
  g_assert_null (strstr (second, "tenant"));
  g_assert_nonnull (strstr (second, "<policy name=\"strict\"/>"));
  test_remove_tree (dir);
}

/* Issue 18.4: a FIFO at leases.xml (or at the lock) made every command
 * wait forever for a writer. Refused at once; the alarm fails the test
 * where it would still hang. */
static void
test_special_files (void)
{
  const char *names[] = { "leases.xml", "lock" };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *dir = test_make_tmpdir ();
      g_autofree char *path = g_build_filename (dir, names[i], NULL);
      g_autoptr (GError) error = NULL;

      g_assert_cmpint (mkfifo (path, 0600), ==, 0);
      alarm (10);
      g_assert_null (vfp_state_open (dir, 500, &error));
      alarm (0);
      g_test_message ("%s", error->message);
      g_assert_error (error, VFP_ERROR, VFP_ERROR_UNSAFE);
      g_assert_nonnull (strstr (error->message, "not a regular file"));
      test_remove_tree (dir);
    }
}

/* A lease store too large for any real host (sparse: costs no disk):
 * refused before it is read, and left as it is. */
static void
test_huge_store (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "leases.xml", NULL);
  struct stat st;

  g_assert_true (g_file_set_contents (path, "<leases version='1'>", -1, NULL));
  g_assert_cmpint (truncate (path, G_GINT64_CONSTANT (4) * 1024 * 1024 * 1024), ==, 0);
  assert_refused (dir, VFP_ERROR_INVALID, "larger than any lease store");
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, ==, G_GINT64_CONSTANT (4) * 1024 * 1024 * 1024);
  test_remove_tree (dir);
}

/* A store larger than the 64 KB pieces it is read in: every lease comes
 * back, with notes that straddle the pieces' boundaries intact. */
static void
test_many_pieces (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autoptr (GError) error = NULL;
  VfpState *s = vfp_state_open (dir, 1000, &error);
  g_autofree char *note = g_strnfill (1000, 'n');
  g_autofree char *path = g_build_filename (dir, "leases.xml", NULL);
  struct stat st;
  int i;

  g_assert_no_error (error);
  for (i = 0; i < 2000; i++)
    {
      g_autofree char *vf = g_strdup_printf ("0000:%02x:%02x.%d", 16 + i / 256, (i % 256) / 8, i % 8);
      VfpLease *l = make_lease (vf, VFP_LEASE_QUARANTINED, NULL, NULL);

      l->note = g_strdup_printf ("%d %s <&>", i, note);
      vfp_state_put (s, l);
    }
  g_assert_true (vfp_state_save (s, &error));
  vfp_state_close (s);
  g_assert_cmpint (stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 20 * 64 * 1024);

  s = vfp_state_open (dir, 1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vfp_state_count (s), ==, 2000);
  for (i = 0; i < 2000; i++)
    {
      g_autofree char *vf = g_strdup_printf ("0000:%02x:%02x.%d", 16 + i / 256, (i % 256) / 8, i % 8);
      g_autofree char *want = g_strdup_printf ("%d %s <&>", i, note);
      VfpLease *l = vfp_state_lookup (s, vf);

      g_assert_nonnull (l);
      g_assert_cmpstr (l->note, ==, want);
    }
  vfp_state_close (s);
  test_remove_tree (dir);
}

/* A store that asks for network fetches: refused, untouched, and nobody
 * is contacted. */
static void
test_nothing_fetched (void)
{
  guint port;
  int listener = test_listen_local (&port);
  g_autofree char *text = NULL, *after = NULL;
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "leases.xml", NULL);

  text = test_fetching_xml ("leases", port);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  assert_refused (dir, VFP_ERROR_INVALID, "DOCTYPE");
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, text);
  g_assert_false (test_was_contacted (listener));
  close (listener);
  test_remove_tree (dir);
}

/* A writer killed before its rename leaves a temp file; the next opener
 * removes it and the store is the old one. */
static void
test_stale_temp_file (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *tmp = g_build_filename (dir, "leases.xml.AB12cd", NULL);
  g_autofree char *path = g_build_filename (dir, "leases.xml", NULL);
  VfpState *s;

  g_assert_true (g_file_set_contents (path, "<leases version='1'/>", -1, NULL));
  g_assert_true (g_file_set_contents (tmp, "<leases version='1'><lease", -1, NULL));
  s = vfp_state_open (dir, 500, NULL);
  g_assert_nonnull (s);
  g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  vfp_state_close (s);
  test_remove_tree (dir);
}

/* A save that cannot finish says so, leaves the old store as it was and
 * no temp file behind. */
static void
test_save_failure (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "leases.xml", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = NULL;
  VfpState *s = vfp_state_open (dir, 500, &error);
  const char *name;
  guint files = 0;

  g_assert_no_error (error);
  vfp_state_put (s, make_lease ("0000:05:10.2", VFP_LEASE_RESERVED, "a", NULL));
  g_assert_true (vfp_state_save (s, &error));

  /* leases.xml replaced by a directory: the rename fails */
  g_assert_cmpint (unlink (path), ==, 0);
  g_assert_cmpint (mkdir (path, 0700), ==, 0);
  vfp_state_put (s, make_lease ("0000:05:10.4", VFP_LEASE_RESERVED, "b", NULL));
  g_assert_false (vfp_state_save (s, &error));
  g_assert_error (error, VFP_ERROR, VFP_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "rename"));
  g_assert_nonnull (strstr (error->message, dir));
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    files += g_str_has_prefix (name, "leases.xml.");
  g_assert_cmpuint (files, ==, 0);
  vfp_state_close (s);
  g_assert_cmpint (rmdir (path), ==, 0);
  test_remove_tree (dir);
}

/* In a child in a private mount namespace: DIR made a 16 KB tmpfs, one
 * lease saved, then 400 more. 0 when it went as it should, 77 when the
 * tmpfs cannot be mounted; a failed assertion aborts. */
static int
fill_the_disk (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = NULL;
  const char *name;
  VfpState *s;
  guint i, files = 0;

  if (unshare (CLONE_NEWNS) != 0 || mount ("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0
      || mount ("tmpfs", dir, "tmpfs", 0, "size=16k,mode=0755") != 0)
    return 77;
  s = vfp_state_open (dir, 500, &error);
  g_assert_no_error (error);
  vfp_state_put (s, make_lease ("0000:05:10.2", VFP_LEASE_RESERVED, "first", NULL));
  g_assert_true (vfp_state_save (s, &error));
  for (i = 0; i < 400; i++)
    {
      g_autofree char *vf = g_strdup_printf ("0000:%02x:%02x.%x", 0x10 + i / 256, (i / 8) % 32, i % 8);

      vfp_state_put (s, make_lease (vf, VFP_LEASE_RESERVED, "a-label-long-enough-to-fill-the-disk", NULL));
    }
  g_assert_false (vfp_state_save (s, &error));
  g_assert_error (error, VFP_ERROR, VFP_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "write"));
  g_clear_error (&error);
  vfp_state_close (s);
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    files += g_str_has_prefix (name, "leases.xml.");
  g_assert_cmpuint (files, ==, 0);
  s = vfp_state_open (dir, 500, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vfp_state_count (s), ==, 1);
  g_assert_nonnull (vfp_state_get (s, "0000:05:10.2"));
  vfp_state_close (s);
  umount (dir);
  return 0;
}

/* A disk that fills up while the store is written: the save fails naming
 * the write, in one line (libxml2 adds none on stderr), the old store
 * stays whole and no temp file is left. Root only (a private tmpfs); a
 * plain fork, as GLib's subprocess tests need pidfds valgrind lacks. */
static void
test_save_disk_full (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *err_path = g_build_filename (dir, "stderr", NULL);
  g_autofree char *mnt = g_build_filename (dir, "mnt", NULL);
  g_autofree char *err = NULL;
  int status = 0;
  pid_t pid;

  if (getuid () != 0)
    {
      g_test_skip ("needs root for a private tmpfs");
      test_remove_tree (dir);
      return;
    }
  g_assert_cmpint (mkdir (mnt, 0755), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      int fd = open (err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      int code = fd >= 0 && dup2 (fd, STDERR_FILENO) >= 0 ? fill_the_disk (mnt) : 99;

      /* _exit runs no cleanup: what the child holds is freed here */
      g_clear_pointer (&dir, g_free);
      g_clear_pointer (&err_path, g_free);
      g_clear_pointer (&mnt, g_free);
      _exit (code);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (g_file_get_contents (err_path, &err, NULL, NULL));
  if (WIFEXITED (status) && WEXITSTATUS (status) == 77)
    g_test_skip ("cannot mount a private tmpfs here");
  else
    {
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        g_test_message ("the child's stderr: %s", err);
      g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
      g_assert_cmpstr (err, ==, "");
    }
  test_remove_tree (dir);
}

/* What the store reader accepts besides what vfpool writes, and how it
 * reads it: text and entities of a <note>, elements it does not know
 * (ignored, once each), nothing outside <lease>. */
static void
test_reader_rules (void)
{
  const char *text =
    "<?xml version='1.0'?>\n<!-- hand-edited -->\n<leases version='1'>"
    "<other><lease vf='0000:05:10.0' state='reserved'/></other>"
    "<lease vf='05:10.2' pf='0000:05:00.0' state='reserved' created='5'>"
    "<owner label='a &amp; &#x62;&quot;'/><future/>"
    "<note>one &lt;two&gt; <![CDATA[<three>]]><b>four</b></note></lease></leases>";
  g_autoptr (GHashTable) leases = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) vfp_lease_free);
  g_autoptr (GError) error = NULL;
  VfpLease *l;

  g_assert_true (vfp_state_parse (text, strlen (text), "t", leases, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_hash_table_size (leases), ==, 1);
  l = g_hash_table_lookup (leases, "0000:05:10.2");
  g_assert_nonnull (l);
  g_assert_cmpstr (l->owner_label, ==, "a & b\"");
  g_assert_cmpstr (l->note, ==, "one <two> <three>four");
  g_assert_cmpint (l->created, ==, 5);
  g_assert_false (vfp_state_parse ("<leases version='1'>&x;</leases>", 32, "t", leases, NULL, NULL, &error));
  g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "does not parse"));
}

/* The VF settings vfpool applied survive a save and a reload, by the
 * names of vfpool.conf; a lease without them has none; a store with a bad
 * one is refused, naming the lease and the setting. */
static void
test_vf_settings (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *sdir = g_build_filename (dir, "state", NULL);
  g_autofree char *path = g_build_filename (sdir, "leases.xml", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  VfpState *s = vfp_state_open (sdir, 1000, &error);
  VfpLease *l;
  const char *bad[][2] = {
    { "<vf-settings trust='perhaps'/>", "bad VF setting trust='perhaps'" },
    { "<vf-settings mac='52:54:00:12:34:56'/>", "bad VF setting mac=" },
    { "<vf-settings max-tx-rate='10' min-tx-rate='20'/>", "min-tx-rate above its max-tx-rate" },
  };
  gsize i;

  g_assert_no_error (error);
  l = make_lease ("0000:05:10.2", VFP_LEASE_ATTACHED, NULL, "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
  l->vf_settings = g_new0 (VfpVfSettings, 1);
  g_assert_true (vfp_vf_settings_parse (l->vf_settings, VFP_VF_SPOOFCHK, "off", NULL));
  g_assert_true (vfp_vf_settings_parse (l->vf_settings, VFP_VF_TRUST, "on", NULL));
  g_assert_true (vfp_vf_settings_parse (l->vf_settings, VFP_VF_LINK_STATE, "enable", NULL));
  g_assert_true (vfp_vf_settings_parse (l->vf_settings, VFP_VF_MAX_TX_RATE, "1000", NULL));
  g_assert_true (vfp_vf_settings_parse (l->vf_settings, VFP_VF_MIN_TX_RATE, "100", NULL));
  g_assert_true (vfp_vf_settings_parse (l->vf_settings, VFP_VF_QUERY_RSS, "on", NULL));
  vfp_state_put (s, l);
  l = make_lease ("0000:05:10.4", VFP_LEASE_ATTACHED, NULL, "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
  l->vf_settings = g_new0 (VfpVfSettings, 1);
  g_assert_true (vfp_vf_settings_parse (l->vf_settings, VFP_VF_TRUST, "off", NULL));
  vfp_state_put (s, l);
  vfp_state_put (s, make_lease ("0000:05:10.6", VFP_LEASE_RESERVED, "dpdk", NULL));
  g_assert_true (vfp_state_save (s, &error));
  vfp_state_close (s);

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "<vf-settings spoofchk=\"off\" trust=\"on\" link-state=\"enable\" "
                                  "max-tx-rate=\"1000\" min-tx-rate=\"100\" query-rss=\"on\"/>"));
  s = vfp_state_open (sdir, 1000, &error);
  g_assert_no_error (error);
  l = vfp_state_lookup (s, "0000:05:10.2");
  g_assert_nonnull (l->vf_settings);
  g_assert_cmpuint (l->vf_settings->fields, ==, VFP_VF_SPOOFCHK | VFP_VF_TRUST | VFP_VF_LINK_STATE
                    | VFP_VF_MAX_TX_RATE | VFP_VF_MIN_TX_RATE | VFP_VF_QUERY_RSS);
  g_assert_false (l->vf_settings->spoofchk);
  g_assert_true (l->vf_settings->trust);
  g_assert_cmpint (l->vf_settings->link_state, ==, VFP_VF_LINK_ENABLE);
  g_assert_cmpuint (l->vf_settings->max_tx_rate, ==, 1000);
  g_assert_cmpuint (l->vf_settings->min_tx_rate, ==, 100);
  g_assert_true (l->vf_settings->query_rss);
  l = vfp_state_lookup (s, "0000:05:10.4");
  g_assert_cmpuint (l->vf_settings->fields, ==, VFP_VF_TRUST);
  g_assert_false (l->vf_settings->trust);
  g_assert_null (vfp_state_get (s, "0000:05:10.6")->vf_settings);
  vfp_state_close (s);

  for (i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GHashTable) leases = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                             (GDestroyNotify) vfp_lease_free);
      g_autoptr (GError) e = NULL;
      g_autofree char *store = g_strdup_printf ("<leases version='1'><lease vf='0000:05:10.2' state='reserved'>"
                                                "<owner label='x'/>%s</lease></leases>", bad[i][0]);

      g_assert_false (vfp_state_parse (store, strlen (store), "t", leases, NULL, NULL, &e));
      g_assert_error (e, VFP_ERROR, VFP_ERROR_INVALID);
      g_test_message ("%s", e->message);
      g_assert_nonnull (strstr (e->message, "0000:05:10.2"));
      g_assert_nonnull (strstr (e->message, bad[i][1]));
    }
  test_remove_tree (dir);
}

/* The generation counts the saves that changed something; each changed
 * lease carries the generation of its change, and both survive a reload. */
static void
test_generation (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *sdir = g_build_filename (dir, "state", NULL);
  VfpState *s = vfp_state_open (sdir, 1000, NULL);
  VfpLease *l;

  g_assert_cmpuint (vfp_state_generation (s), ==, 0);
  vfp_state_put (s, make_lease ("0000:05:10.2", VFP_LEASE_RESERVED, "a", NULL));
  vfp_state_put (s, make_lease ("0000:05:10.4", VFP_LEASE_RESERVED, "b", NULL));
  g_assert_true (vfp_state_save (s, NULL));
  g_assert_cmpuint (vfp_state_generation (s), ==, 1);
  g_assert_true (vfp_state_save (s, NULL));   /* nothing changed */
  g_assert_cmpuint (vfp_state_generation (s), ==, 1);
  vfp_state_touch (s, vfp_state_lookup (s, "0000:05:10.4"));
  g_assert_true (vfp_state_save (s, NULL));
  vfp_state_close (s);

  s = vfp_state_open (sdir, 1000, NULL);
  g_assert_cmpuint (vfp_state_generation (s), ==, 2);
  g_assert_cmpuint (vfp_state_get (s, "0000:05:10.2")->serial, ==, 1);
  g_assert_cmpuint (vfp_state_get (s, "0000:05:10.4")->serial, ==, 2);
  vfp_state_remove (s, "0000:05:10.2");
  vfp_state_remove (s, "0000:05:11.0");       /* no such lease: no change */
  g_assert_true (vfp_state_save (s, NULL));
  g_assert_cmpuint (vfp_state_generation (s), ==, 3);
  l = vfp_state_lookup (s, "0000:05:10.4");
  g_assert_cmpuint (l->serial, ==, 2);
  vfp_state_close (s);
  test_remove_tree (dir);
}

/* A random text for the property test: code points from the ranges that
 * matter (XML markup, C0 and C1 controls, separators, bidi controls,
 * noncharacters, CJK, the astral planes), now and then a byte that is not
 * UTF-8. */
static char *
random_text (void)
{
  static const gunichar ranges[][2] = {
    { 0x20, 0x7e }, { 0x01, 0x1f }, { 0x7f, 0x9f }, { 0xa0, 0x2ff }, { '<', '>' }, { '&', '\'' },
    { ']', ']' }, { 0x2028, 0x202f }, { 0x2066, 0x2069 }, { 0x4e00, 0x9fff }, { 0xd7f0, 0xe010 },
    { 0xfdd0, 0xfdef }, { 0xfff0, 0xffff }, { 0x10000, 0x10ffff }, { 0x1fffe, 0x1ffff },
  };
  GString *s = g_string_new (NULL);
  guint n = g_test_rand_int_range (0, 24), i;

  for (i = 0; i < n; i++)
    {
      guint r = g_test_rand_int_range (0, G_N_ELEMENTS (ranges) + 1);
      gunichar c;

      if (r == G_N_ELEMENTS (ranges))
        {
          g_string_append_c (s, (char) g_test_rand_int_range (0x80, 0x100));
          continue;
        }
      c = g_test_rand_int_range (ranges[r][0], ranges[r][1] + 1);
      if (c >= 0xd800 && c <= 0xdfff)
        g_string_append (s, "\xed\xa0\x80");          /* a surrogate, as bytes */
      else
        g_string_append_unichar (s, c);
    }
  return g_string_free (s, FALSE);
}

/* A text as the store gets it: as it is when the rule takes it, else what
 * the boundary makes of it (vfp_text_storable, for guests' names). */
static char *
accepted_text (void)
{
  g_autofree char *t = random_text ();
  char *s = vfp_text_storable (t);

  /* the boundary's output is always taken, and leaves taken text alone */
  g_assert_true (vfp_text_is_storable (s, NULL, NULL));
  if (vfp_text_is_storable (t, NULL, NULL))
    g_assert_cmpstr (s, ==, t);
  return s;
}

static void
assert_same_lease (const VfpLease *a, const VfpLease *b)
{
  g_assert_cmpstr (a->vf, ==, b->vf);
  g_assert_cmpstr (a->pf, ==, b->pf);
  g_assert_cmpstr (a->pool, ==, b->pool);
  g_assert_cmpint (a->state, ==, b->state);
  g_assert_cmpstr (a->owner_uuid, ==, b->owner_uuid);
  g_assert_cmpstr (a->owner_name, ==, b->owner_name);
  g_assert_cmpstr (a->owner_label, ==, b->owner_label);
  g_assert_cmpstr (a->mac, ==, b->mac);
  g_assert_cmpint (a->vlan, ==, b->vlan);
  g_assert_cmpstr (a->alias, ==, b->alias);
  g_assert_cmpint (a->live, ==, b->live);
  g_assert_cmpint (a->config, ==, b->config);
  g_assert_cmpstr (a->note, ==, b->note);
}

/* Issue 18.1, the property: any text the store takes is written, read
 * back identical, and never makes the store unparsable; text it does not
 * take is refused by the save, which leaves the old store as it was. */
static void
test_text_property (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *sdir = g_build_filename (dir, "state", NULL);
  g_autofree char *path = g_build_filename (sdir, "leases.xml", NULL);
  guint round, rounds = g_test_slow () ? 2000 : 200;

  for (round = 0; round < rounds; round++)
    {
      g_autoptr (VfpState) s = vfp_state_open (sdir, 1000, NULL);
      g_autoptr (GHashTable) back = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                           (GDestroyNotify) vfp_lease_free);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) mine = NULL;
      g_autofree char *before = NULL;
      g_autofree char *after = NULL;
      g_autofree char *bad = NULL;
      guint i, n = g_test_rand_int_range (1, 6);

      g_assert_nonnull (s);
      for (i = 0; i < n; i++)
        {
          g_autofree char *vf = g_strdup_printf ("0000:05:%02x.%u", 0x10 + i / 8, i % 8);
          VfpLease *l = make_lease (vf, g_test_rand_bit () ? VFP_LEASE_RESERVED : VFP_LEASE_ATTACHED,
                                    NULL, NULL);

          l->owner_uuid = accepted_text ();
          l->owner_name = accepted_text ();
          l->owner_label = accepted_text ();
          l->mac = accepted_text ();
          l->alias = accepted_text ();
          l->note = accepted_text ();
          vfp_state_put (s, l);
        }
      g_assert_true (vfp_state_save (s, &error));
      g_assert_no_error (error);
      mine = vfp_state_list (s);
      /* read back as the next command would (this one holds the lock) */
      g_assert_true (g_file_get_contents (path, &before, NULL, NULL));
      g_assert_true (vfp_state_parse (before, strlen (before), path, back, NULL, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (g_hash_table_size (back), ==, n);
      for (i = 0; i < mine->len; i++)
        assert_same_lease (mine->pdata[i], g_hash_table_lookup (back, ((VfpLease *) mine->pdata[i])->vf));

      /* a text the rule refuses never reaches the file */
      do
        {
          g_free (bad);
          bad = random_text ();
        }
      while (vfp_text_is_storable (bad, NULL, NULL));
      g_free (((VfpLease *) mine->pdata[0])->owner_name);
      ((VfpLease *) mine->pdata[0])->owner_name = g_strdup (bad);
      vfp_state_touch (s, mine->pdata[0]);
      g_assert_false (vfp_state_save (s, &error));
      g_assert_error (error, VFP_ERROR, VFP_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "nothing was saved"));
      g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
      g_assert_cmpstr (after, ==, before);
      while (vfp_state_count (s) > 0)
        vfp_state_remove (s, ((VfpLease *) mine->pdata[--n])->vf);
      g_ptr_array_set_size (mine, 0);
      g_assert_true (vfp_state_save (s, NULL));
    }
  test_remove_tree (dir);
}

/* A store an older vfpool wrote may hold a newline or a C1 control in a
 * name (as a character reference): it loads with them escaped, and can be
 * saved again (the save refuses no text it read). */
static void
test_old_store_texts (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *sdir = g_build_filename (dir, "state", NULL);
  g_autofree char *path = g_build_filename (sdir, "leases.xml", NULL);
  g_autoptr (GError) error = NULL;
  VfpState *s;
  VfpLease *l;

  g_assert_cmpint (g_mkdir (sdir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path,
    "<leases version='1'><lease vf='0000:05:10.2' pf='0000:05:00.0' state='reserved'>"
    "<owner label='x&#10;0000:05:10.4  free' name='web\xc2\x9b" "01'/><note>a&#9;b</note></lease></leases>", -1, NULL));
  s = vfp_state_open (sdir, 1000, &error);
  g_assert_no_error (error);
  l = vfp_state_lookup (s, "0000:05:10.2");
  g_assert_cmpstr (l->owner_label, ==, "x\\x0A0000:05:10.4  free");
  g_assert_cmpstr (l->owner_name, ==, "web\\x9B01");
  g_assert_cmpstr (l->note, ==, "a\\x09b");
  vfp_state_touch (s, l);
  g_assert_true (vfp_state_save (s, &error));
  g_assert_no_error (error);
  vfp_state_close (s);
  test_remove_tree (dir);
}

/* A migration reservation is a field of the lease: written as
 * <reservation for="migration">, read back; the note an older vfpool
 * marked it with reads the same, and is not kept as a note. */
static void
test_migration_reservation (void)
{
  g_autofree char *dir = test_make_tmpdir ();
  g_autofree char *sdir = g_build_filename (dir, "state", NULL);
  g_autofree char *path = g_build_filename (sdir, "leases.xml", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  VfpState *s;
  VfpLease *l;

  g_assert_cmpint (g_mkdir (sdir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path,
    "<leases version='1'><lease vf='0000:05:10.2' pf='0000:05:00.0' state='reserved'>"
    "<owner uuid='u-1' name='g1'/><reservation expires='99'/><note>migration</note></lease>"
    "<lease vf='0000:05:10.4' pf='0000:05:00.0' state='quarantined'>"
    "<owner uuid='u-1' name='g1'/><note>migration</note></lease></leases>", -1, NULL));
  s = vfp_state_open (sdir, 1000, &error);
  g_assert_no_error (error);
  l = vfp_state_lookup (s, "0000:05:10.2");
  g_assert_true (l->migration);
  g_assert_null (l->note);
  /* only a reservation is one; another lease keeps its note */
  g_assert_false (vfp_state_get (s, "0000:05:10.4")->migration);
  g_assert_cmpstr (vfp_state_get (s, "0000:05:10.4")->note, ==, "migration");
  vfp_state_touch (s, l);
  g_assert_true (vfp_state_save (s, &error));
  vfp_state_close (s);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "<reservation for=\"migration\" expires=\"99\"/>"));
  s = vfp_state_open (sdir, 1000, &error);
  g_assert_no_error (error);
  g_assert_true (vfp_state_get (s, "0000:05:10.2")->migration);
  vfp_state_close (s);
  test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vfpool/state/roundtrip", test_roundtrip);
  g_test_add_func ("/vfpool/state/generation", test_generation);
  g_test_add_func ("/vfpool/state/lock", test_lock);
  g_test_add_func ("/vfpool/state/unsafe-dirs", test_unsafe_dirs);
  g_test_add_func ("/vfpool/state/unreadable-stores", test_unreadable_stores);
  g_test_add_func ("/vfpool/state/stale-temp-file", test_stale_temp_file);
  g_test_add_func ("/vfpool/state/save-failure", test_save_failure);
  g_test_add_func ("/vfpool/state/save-disk-full", test_save_disk_full);
  g_test_add_func ("/vfpool/state/reader-rules", test_reader_rules);
  g_test_add_func ("/vfpool/state/nothing-fetched", test_nothing_fetched);
  g_test_add_func ("/vfpool/state/huge", test_huge_store);
  g_test_add_func ("/vfpool/state/many-pieces", test_many_pieces);
  g_test_add_func ("/vfpool/state/vf-settings", test_vf_settings);
  g_test_add_func ("/vfpool/state/refusal-wording", test_refusal_wording);
  g_test_add_func ("/vfpool/state/text-property", test_text_property);
  g_test_add_func ("/vfpool/state/special-files", test_special_files);
  g_test_add_func ("/vfpool/state/unknown-kept", test_unknown_kept);
  g_test_add_func ("/vfpool/state/old-store-texts", test_old_store_texts);
  g_test_add_func ("/vfpool/state/migration-reservation", test_migration_reservation);
  return g_test_run ();
}
