/* libvirt's event loop in its own thread, and what DEVICE_REMOVED said.
 *
 * libvirtd sends a client keepalive requests and closes the connection
 * when five in a row (30 s) go unanswered; a client answers them only
 * while its event loop runs. vfpool keeps a connection open while it
 * waits for the lease store's lock, for a guest to let go of a device, or
 * for a migration: with the loop run only inside those waits, a client
 * that waited 30 s for the lock lost its connection ("client socket is
 * closed", seen in test-load under ASan, and the capacity probe's idle
 * connection during the unplugs in the NIC lab). A thread that runs the
 * loop always answers them, as virsh's does. */
#include "config.h"

#include "vfp-virt-events.h"

struct _VfpRemovedSet {
  gint refs;
  GMutex lock;
  GCond changed;
  GHashTable *aliases;  /* owned: the aliases DEVICE_REMOVED named */
};

static gpointer
run_event_loop (gpointer data)
{
  for (;;)
    virEventRunDefaultImpl ();
  return NULL;
}

/* Registers libvirt's default event loop (before any connection: libvirt
 * delivers events only to a process that had one when it connected) and
 * starts the thread that runs it; once per process. */
void
vfp_virt_events_start (void)
{
  static gsize started;

  if (g_once_init_enter (&started))
    {
      virEventRegisterDefaultImpl ();
      g_thread_unref (g_thread_new ("vfp-libvirt-events", run_event_loop, NULL));
      g_once_init_leave (&started, 1);
    }
}

/* An empty set with one reference. */
VfpRemovedSet *
vfp_removed_set_new (void)
{
  VfpRemovedSet *set = g_new0 (VfpRemovedSet, 1);

  set->refs = 1;
  g_mutex_init (&set->lock);
  g_cond_init (&set->changed);
  set->aliases = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return set;
}

VfpRemovedSet *
vfp_removed_set_ref (VfpRemovedSet *set)
{
  g_atomic_int_inc (&set->refs);
  return set;
}

/* Drops a reference (a void * so that libvirt can call it as the event
 * callback's free function once the callback can no longer run). */
void
vfp_removed_set_unref (void *data)
{
  VfpRemovedSet *set = data;

  if (set == NULL || !g_atomic_int_dec_and_test (&set->refs))
    return;
  g_hash_table_unref (set->aliases);
  g_cond_clear (&set->changed);
  g_mutex_clear (&set->lock);
  g_free (set);
}

/* The DEVICE_REMOVED callback, in the event thread: records ALIAS. */
void
vfp_removed_set_on_device_removed (virConnectPtr conn, virDomainPtr dom, const char *alias,
                                   void *data)
{
  VfpRemovedSet *set = data;

  g_mutex_lock (&set->lock);
  g_hash_table_add (set->aliases, g_strdup (alias));
  g_cond_broadcast (&set->changed);
  g_mutex_unlock (&set->lock);
}

/* Waits until DEVICE_REMOVED named ALIAS or TIMEOUT_MS passed; TRUE when
 * it did. */
gboolean
vfp_removed_set_wait (VfpRemovedSet *set, const char *alias, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gboolean seen;

  g_mutex_lock (&set->lock);
  while (!(seen = g_hash_table_contains (set->aliases, alias))
         && g_cond_wait_until (&set->changed, &set->lock, deadline))
    ;
  if (!seen)
    seen = g_hash_table_contains (set->aliases, alias);
  g_mutex_unlock (&set->lock);
  return seen;
}
