/* Many vfpool processes against one pool, and vfpool killed at random
 * moments: no VF is ever handed out twice, the store always parses, and
 * what a finished command reported is what the store holds. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "fake-sysfs.h"
#include "test-util.h"
#include "vfp-state.h"

typedef struct {
  char *dir;
  char *root;
  char *conf;
  char *state_dir;
} Host;

/* Two 82599s with 40 VFs each: 80 VFs in one pool. */
static void
host_setup (Host *h)
{
  FakePciFunction f[2] = { fake_demo_host[1], fake_demo_host[1] };
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  f[0].num_vfs = 40;
  f[0].bridge = NULL;
  f[1].num_vfs = 40;
  f[1].bridge = NULL;
  f[1].address = "0000:06:00.0";
  f[1].netdev = "enp6s0f0";
  f[1].vf_netdev_fmt = "enp6s16f%u";
  f[1].vf_iommu_group_base = 300;
  h->dir = test_make_tmpdir ();
  h->root = fake_sysfs_build (h->dir, &fake_demo_options, f, 2, &error);
  g_assert_no_error (error);
  h->state_dir = g_build_filename (h->dir, "state", NULL);
  h->conf = g_build_filename (h->dir, "vfpool.conf", NULL);
  text = g_strdup_printf ("[vfpool]\nstate-dir=%s\n[pool p]\npfs=enp5s0f0,enp6s0f0\n", h->state_dir);
  g_assert_true (g_file_set_contents (h->conf, text, -1, NULL));
}

static void
host_teardown (Host *h)
{
  test_remove_tree (h->dir);
  g_free (h->dir);
  g_free (h->root);
  g_free (h->conf);
  g_free (h->state_dir);
}

/* A vfpool run whose end we wait for ourselves, with a blocking waitpid().
 * Not GSubprocess: GLib 2.74 learns that a child ended from its pidfd, and
 * a pidfd also wakes up when a process dies while another one ptraces it.
 * LeakSanitizer's exit-time check ptraces the process it checks, so a
 * vfpool of the ASan build killed during that check woke GLib up before
 * its parent could reap it; waitid(WNOHANG) had nothing to report, and
 * GLib passed on wait status 0: a killed run looked like a run that
 * succeeded and printed nothing. A blocking waitpid() returns the real
 * status once the tracer lets go. And since we reap, the pid we kill
 * cannot belong to another process yet. */
typedef struct {
  GPid pid;
  int out_fd;
  int err_fd;
} Run;

static Run
spawn (Host *h, const char *cmd, const char *owner)
{
  const char *argv[] = { g_getenv ("VFPOOL"), "-q", "--config", h->conf, "--sysfs-root", h->root,
                         cmd, "--owner", owner, NULL };
  g_autoptr (GError) error = NULL;
  Run r = { 0 };

  g_assert_true (g_spawn_async_with_pipes (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &r.pid, NULL, &r.out_fd, &r.err_fd, &error));
  g_assert_no_error (error);
  return r;
}

/* Reads the run's stdout and stderr to their ends (both at once, so a full
 * pipe never blocks it) and reaps it. Returns the wait status. */
static int
finish (Run *r, char **out, char **err)
{
  GString *bufs[2] = { g_string_new (NULL), g_string_new (NULL) };
  struct pollfd fds[2] = { { r->out_fd, POLLIN, 0 }, { r->err_fd, POLLIN, 0 } };
  int open_fds = 2, status = 0;

  while (open_fds > 0)
    {
      guint i;

      if (poll (fds, 2, -1) < 0)
        {
          g_assert_cmpint (errno, ==, EINTR);
          continue;
        }
      for (i = 0; i < 2; i++)
        if (fds[i].fd >= 0 && fds[i].revents != 0)
          {
            char chunk[4096];
            ssize_t n = read (fds[i].fd, chunk, sizeof chunk);

            if (n > 0)
              g_string_append_len (bufs[i], chunk, n);
            else if (n == 0 || errno != EINTR)
              {
                close (fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
              }
          }
    }
  while (waitpid (r->pid, &status, 0) < 0)
    g_assert_cmpint (errno, ==, EINTR);
  g_spawn_close_pid (r->pid);
  if (out)
    *out = g_string_free (bufs[0], FALSE);
  else
    g_string_free (bufs[0], TRUE);
  if (err)
    *err = g_string_free (bufs[1], FALSE);
  else
    g_string_free (bufs[1], TRUE);
  return status;
}

/* The store as a fresh vfpool would read it; fails the test if it does
 * not parse. */
static GHashTable *
read_store (Host *h)
{
  g_autofree char *path = g_build_filename (h->state_dir, "leases.xml", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  GHashTable *leases = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                              (GDestroyNotify) vfp_lease_free);
  gsize len = 0;

  if (g_file_get_contents (path, &text, &len, NULL))
    {
      g_assert_true (vfp_state_parse (text, len, path, leases, NULL, NULL, &error));
      g_assert_no_error (error);
    }
  return leases;
}

/* label -> VF, from the store; fails if a label holds two VFs. */
static GHashTable *
by_owner (GHashTable *leases)
{
  GHashTable *owners = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter it;
  gpointer v;

  g_hash_table_iter_init (&it, leases);
  while (g_hash_table_iter_next (&it, NULL, &v))
    {
      VfpLease *l = v;

      g_assert_cmpint (l->state, ==, VFP_LEASE_RESERVED);
      g_assert_nonnull (l->owner_label);
      g_assert_false (g_hash_table_contains (owners, l->owner_label));
      g_hash_table_insert (owners, l->owner_label, l->vf);
    }
  return owners;
}

/* One wave of N simultaneous reservations; returns how many succeeded and
 * checks every success got its own VF, recorded in the store. */
static guint
wave (Host *h, const char *prefix, guint n, GHashTable *handed_out)
{
  g_autofree Run *runs = g_new0 (Run, n);
  guint i, ok = 0;

  for (i = 0; i < n; i++)
    {
      g_autofree char *owner = g_strdup_printf ("%s%u", prefix, i);

      runs[i] = spawn (h, "reserve", owner);
    }
  for (i = 0; i < n; i++)
    {
      g_autofree char *out = NULL, *err = NULL;
      int status = finish (&runs[i], &out, &err);

      g_assert_true (WIFEXITED (status));
      if (WEXITSTATUS (status) == 0)
        {
          g_strstrip (out);
          g_assert_cmpuint (strlen (out), ==, 12);
          /* handed out at most once */
          g_assert_false (g_hash_table_contains (handed_out, out));
          g_hash_table_add (handed_out, g_steal_pointer (&out));
          ok++;
        }
      else
        {
          if (WEXITSTATUS (status) != 1)
            g_test_message ("unexpected failure: %s", err);
          g_assert_cmpint (WEXITSTATUS (status), ==, 1);
          g_assert_nonnull (strstr (err, "usable free VF"));
        }
    }
  return ok;
}

static void
test_64_concurrent (void)
{
  Host h;
  g_autoptr (GHashTable) handed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) store = NULL;
  g_autoptr (GHashTable) owners = NULL;

  host_setup (&h);
  g_assert_cmpuint (wave (&h, "a", 64, handed), ==, 64);
  store = read_store (&h);
  g_assert_cmpuint (g_hash_table_size (store), ==, 64);
  g_clear_pointer (&store, g_hash_table_unref);
  /* the second wave finds 16 free VFs: exactly 16 succeed */
  g_assert_cmpuint (wave (&h, "b", 64, handed), ==, 16);
  store = read_store (&h);
  owners = by_owner (store);
  g_assert_cmpuint (g_hash_table_size (store), ==, 80);
  g_assert_cmpuint (g_hash_table_size (handed), ==, 80);
  host_teardown (&h);
}

/* Runs vfpool and, when DELAY_US > 0, kills it with SIGKILL after that
 * long unless it ended first. Returns the exit status, or -1 when killed. */
static int
run_and_maybe_kill (Host *h, const char *cmd, const char *owner, gulong delay_us, char **out)
{
  Run r = spawn (h, cmd, owner);
  g_autofree char *err = NULL;
  int status;

  if (delay_us > 0)
    {
      g_usleep (delay_us);
      g_assert_cmpint (kill (r.pid, SIGKILL), ==, 0);  /* not reaped yet: still ours */
    }
  status = finish (&r, out, &err);
  if (WIFSIGNALED (status))
    {
      g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
      return -1;
    }
  g_assert_true (WIFEXITED (status));
  if (WEXITSTATUS (status) == 0 && out && **out == '\0' && strcmp (cmd, "reserve") == 0)
    g_test_message ("reserve exited 0 without output; stderr: %s", err);
  return WEXITSTATUS (status);
}

static void
test_crash (void)
{
  Host h;
  g_autoptr (GHashTable) held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GHashTable) maybe = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  guint runs = g_test_slow () ? 2000 : 400;
  guint i, killed = 0, finished = 0;

  gint64 typical;

  host_setup (&h);
  /* Kill at random points of a run as long as a run takes on this machine
   * right now (it varies with load): about half the runs are cut short. */
  {
    gint64 t0 = g_get_monotonic_time ();
    g_autofree char *o1 = NULL, *o2 = NULL;

    run_and_maybe_kill (&h, "reserve", "probe", 0, &o1);
    run_and_maybe_kill (&h, "release", "probe", 0, &o2);
    typical = MAX ((g_get_monotonic_time () - t0) / 2, 5000);
    g_test_message ("a run takes about %" G_GINT64_FORMAT " us", typical);
  }
  for (i = 0; i < runs; i++)
    {
      gulong delay = g_rand_int_range (rand, 1, (gint32) MIN (2 * typical, G_MAXINT32));
      g_autofree char *out = NULL;
      int rc;

      if (g_hash_table_size (held) > 0 && g_rand_boolean (rand))
        {
          /* release one label we know holds a VF */
          GHashTableIter it;
          gpointer key;
          g_autofree char *label = NULL;

          g_hash_table_iter_init (&it, held);
          g_hash_table_iter_next (&it, &key, NULL);
          label = g_strdup (key);
          rc = run_and_maybe_kill (&h, "release", label, delay, &out);
          g_hash_table_remove (held, label);
          if (rc == 0)
            finished++;
          else
            {
              g_assert_cmpint (rc, ==, -1);
              killed++;
              g_hash_table_add (maybe, g_steal_pointer (&label));
            }
        }
      else
        {
          g_autofree char *label = g_strdup_printf ("c%u", i);

          rc = run_and_maybe_kill (&h, "reserve", label, delay, &out);
          if (rc == 0)
            {
              finished++;
              g_hash_table_insert (held, g_steal_pointer (&label), g_strdup (g_strstrip (out)));
            }
          else if (rc == -1)
            {
              killed++;
              g_hash_table_add (maybe, g_steal_pointer (&label));
            }
          else
            g_assert_cmpint (rc, ==, 1);  /* pool full */
        }

      /* after every run the store parses, no label holds two VFs, every
       * finished reservation is there, and nothing unknown appeared */
      {
        g_autoptr (GHashTable) store = read_store (&h);
        g_autoptr (GHashTable) owners = by_owner (store);
        GHashTableIter it;
        gpointer k, v;

        g_hash_table_iter_init (&it, held);
        while (g_hash_table_iter_next (&it, &k, &v))
          g_assert_cmpstr (g_hash_table_lookup (owners, k), ==, v);
        g_hash_table_iter_init (&it, owners);
        while (g_hash_table_iter_next (&it, &k, &v))
          g_assert_true (g_hash_table_contains (held, k) || g_hash_table_contains (maybe, k));
      }
    }
  g_test_message ("%u runs: %u killed, %u finished", runs, killed, finished);
  /* both kinds happened often enough to mean something */
  g_assert_cmpuint (killed, >, runs / 20);
  g_assert_cmpuint (finished, >, runs / 20);

  /* a VF whose holder was killed mid-reserve is either held by that label
   * (the save happened) or free: releasing the label frees it */
  {
    GHashTableIter it;
    gpointer k;
    g_autoptr (GHashTable) store = NULL;
    guint left;

    g_hash_table_iter_init (&it, maybe);
    while (g_hash_table_iter_next (&it, &k, NULL))
      run_and_maybe_kill (&h, "release", k, 0, NULL);
    store = read_store (&h);
    left = g_hash_table_size (store);
    g_assert_cmpuint (left, ==, g_hash_table_size (held));
  }
  host_teardown (&h);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("VFPOOL") == NULL)
    {
      g_printerr ("VFPOOL must name the vfpool binary\n");
      return 77;
    }
  g_test_add_func ("/vfpool/concurrency/64-concurrent-reserve", test_64_concurrent);
  g_test_add_func ("/vfpool/concurrency/sigkill", test_crash);
  return g_test_run ();
}
