/* The lease store. Crash safety comes from three rules: one exclusive lock
 * (flock on state-dir/lock) around every read-modify-write; the file is
 * replaced atomically and durably (g_file_set_contents_full with
 * CONSISTENT|DURABLE: temp file, fsync, rename); and a store that does not
 * parse, or that a newer vfpool wrote, is refused and never overwritten. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/tree.h>

#include "vfp-addr.h"
#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-names.h"
#include "vfp-state.h"
#include "vfp-state-write.h"
#include "vfp-trust.h"

#define LOCK_FILE "lock"

struct _VfpState {
  char *dir;               /* owned */
  int dir_fd;              /* O_PATH-like handle on the checked directory */
  int lock_fd;             /* holds the flock while the state is open */
  GHashTable *leases;      /* owned: vf -> VfpLease* */
  GHashTable *pfs;         /* owned: pf -> VfpPfRecord* */
  xmlNode *keep;           /* owned: what the store holds besides the leases that
                            * this vfpool does not know, written back; or NULL */
  guint64 generation;      /* of the store as loaded (or last saved) */
  gboolean touched;        /* a lease was added, changed or removed since */
  gboolean pfs_changed;    /* a PF record was set since */
};

/* Opens (creating, mode 0755, when missing) and checks the state directory. */
static int
open_dir (const char *dir, GError **error)
{
  struct stat st;
  int fd;

  if (lstat (dir, &st) != 0)
    {
      /* Another vfpool may create it at the same moment: EEXIST is fine. */
      if (errno != ENOENT || (mkdir (dir, 0755) != 0 && errno != EEXIST) || lstat (dir, &st) != 0)
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_IO,
                       _("Cannot create the state directory %s: %s"), dir, g_strerror (errno));
          return -1;
        }
    }
  if (!vfp_trust_check (&st, dir, VFP_TRUST_DIR, FALSE, error))
    return -1;
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_IO,
                   _("Cannot open the state directory %s: %s"), dir, g_strerror (errno));
      return -1;
    }
  return fd;
}

/* Takes the exclusive lock on DIR/NAME, waiting up to TIMEOUT_MS; backs
 * off from 1 ms to 10 ms between tries so 64 waiting clients do not spin. */
static int
take_lock (int dir_fd, const char *dir, const char *name, guint timeout_ms, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gulong pause = 1000;
  struct stat st;
  int fd;

  /* O_NONBLOCK: a FIFO planted as the lock must not hold the open */
  fd = openat (dir_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0600);
  if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   _("Cannot open the lock file %s/%s: %s"), dir, name,
                   fd < 0 ? g_strerror (errno) : _("not a regular file"));
      if (fd >= 0)
        close (fd);
      return -1;
    }
  while (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      if (errno != EWOULDBLOCK && errno != EINTR)
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("Cannot lock %s/%s: %s"),
                       dir, name, g_strerror (errno));
          close (fd);
          return -1;
        }
      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                       _("%s/%s is locked by another vfpool for more than %u ms; try again."),
                       dir, name, timeout_ms);
          close (fd);
          return -1;
        }
      g_usleep (pause);
      pause = MIN (pause * 2, 10000);
    }
  return fd;
}

/* Reads state-dir/leases.xml through the checked directory handle. */
static gboolean
load (VfpState *state, GError **error)
{
  g_autofree char *path = g_build_filename (state->dir, VFP_LEASES_FILE, NULL);
  struct stat st;
  gboolean ok;
  int fd;

  /* O_NONBLOCK: opening a FIFO would wait for a writer forever; the
   * fstat below refuses anything but a regular file before it is read */
  fd = openat (state->dir_fd, VFP_LEASES_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return TRUE;
      g_set_error (error, VFP_ERROR, errno == ELOOP ? VFP_ERROR_UNSAFE : VFP_ERROR_IO,
                   errno == ELOOP ? _("%s is a symlink; vfpool refuses it.") : _("Cannot open %s: %s"),
                   path, g_strerror (errno));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !vfp_trust_check (&st, path, VFP_TRUST_FILE, FALSE, error))
    {
      close (fd);
      return FALSE;
    }
  if (st.st_size > VFP_LEASES_MAX_SIZE)
    {
      close (fd);
      return vfp_state_parse ("", VFP_LEASES_MAX_SIZE + 1, path, state->leases, NULL, NULL, error);
    }
  ok = vfp_state_parse_store_fd (fd, path, state->leases, state->pfs, &state->generation, &state->keep, error);
  close (fd);
  return ok;
}

/* A writer killed between creating its temp file and renaming it leaves
 * leases.xml.XXXXXX behind. Under the lock no writer is alive, so they go. */
static void
remove_stale_temp_files (VfpState *state)
{
  g_autoptr (GDir) d = g_dir_open (state->dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, VFP_LEASES_FILE ".") && strlen (name) == strlen (VFP_LEASES_FILE) + 7)
      unlinkat (state->dir_fd, name, 0);
}

/* Opens the store in DIR: checks the directory, takes the lock (waiting up
 * to TIMEOUT_MS) and loads the leases. The lock is held until
 * vfp_state_close. */
VfpState *
vfp_state_open (const char *dir, guint timeout_ms, GError **error)
{
  g_autoptr (VfpState) state = g_new0 (VfpState, 1);

  state->dir = g_strdup (dir);
  state->dir_fd = -1;
  state->lock_fd = -1;
  state->leases = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                         (GDestroyNotify) vfp_lease_free);
  state->pfs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                      (GDestroyNotify) vfp_pf_record_free);
  state->dir_fd = open_dir (dir, error);
  if (state->dir_fd < 0)
    return NULL;
  state->lock_fd = take_lock (state->dir_fd, dir, LOCK_FILE, timeout_ms, error);
  if (state->lock_fd < 0 || !load (state, error))
    return NULL;
  remove_stale_temp_files (state);
  return g_steal_pointer (&state);
}

/* Takes a lock of its own, DIR/NAME, in the checked state directory, for
 * work that must not overlap yet must not hold the store's lock (which is
 * never held while libvirt works). Returns the descriptor; closing it
 * unlocks. */
int
vfp_state_lock (const char *dir, const char *name, guint timeout_ms, GError **error)
{
  int dir_fd = open_dir (dir, error);
  int fd;

  if (dir_fd < 0)
    return -1;
  fd = take_lock (dir_fd, dir, name, timeout_ms, error);
  close (dir_fd);
  return fd;
}

/* Releases the lock and frees the in-memory store (unsaved changes are
 * dropped: only vfp_state_save makes them real). */
void
vfp_state_close (VfpState *state)
{
  if (state == NULL)
    return;
  if (state->lock_fd >= 0)
    close (state->lock_fd);
  if (state->dir_fd >= 0)
    close (state->dir_fd);
  g_hash_table_unref (state->leases);
  g_hash_table_unref (state->pfs);
  xmlFreeNode (state->keep);
  g_free (state->dir);
  g_free (state);
}

/* Lease keys are canonical addresses ("0000:05:10.2"): fixed-width hex, so
 * a longer domain sorts after and the rest is string order. */
static int
compare_leases (gconstpointer a, gconstpointer b)
{
  const char *x = (*(VfpLease *const *) a)->vf;
  const char *y = (*(VfpLease *const *) b)->vf;
  gsize lx = strlen (x), ly = strlen (y);

  return lx != ly ? (lx < ly ? -1 : 1) : strcmp (x, y);
}

/* The values of TABLE, sorted by COMPARE unless it is NULL; the array
 * does not own them. */
static GPtrArray *
values_of (GHashTable *table, GCompareFunc compare)
{
  GPtrArray *list = g_ptr_array_sized_new (g_hash_table_size (table));
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, table);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (list, value);
  if (compare != NULL)
    g_ptr_array_sort (list, compare);
  return list;
}

/* The leases in no particular order; the array does not own them. */
GPtrArray *
vfp_state_list_unsorted (VfpState *state)
{
  return values_of (state->leases, NULL);
}

/* The leases ordered by VF address; the array does not own them. */
GPtrArray *
vfp_state_list (VfpState *state)
{
  return values_of (state->leases, compare_leases);
}

/* Writes the store (see vfp_state_write_file): a crash leaves the old
 * store or the new one, never a mix. */
gboolean
vfp_state_save (VfpState *state, GError **error)
{
  g_autoptr (GPtrArray) list = vfp_state_list (state);
  g_autoptr (GPtrArray) pfs = vfp_state_list_pfs (state);

  if (!vfp_state_write_file (state->dir_fd, state->dir, list, pfs, state->keep,
                             state->generation + (state->touched ? 1 : 0), error))
    return FALSE;
  if (state->touched)
    state->generation++;
  state->touched = FALSE;
  state->pfs_changed = FALSE;
  return TRUE;
}

const char *
vfp_state_dir (VfpState *state)
{
  return state->dir;
}

/* How many saves changed the store (0 for a store without the count). */
guint64
vfp_state_generation (VfpState *state)
{
  return state->generation;
}

/* The lease of VF, or NULL when it is free; owned by the store. */
const VfpLease *
vfp_state_get (VfpState *state, const char *vf)
{
  return g_hash_table_lookup (state->leases, vf);
}

/* The lease of VF to change (vfp-pool only), or NULL; owned by the store. */
VfpLease *
vfp_state_lookup (VfpState *state, const char *vf)
{
  return g_hash_table_lookup (state->leases, vf);
}

/* Whether a lease or a PF record changed since the store was loaded or
 * last saved: a transaction that changed nothing does not rewrite it. */
gboolean
vfp_state_changed (VfpState *state)
{
  return state->touched || state->pfs_changed;
}

guint
vfp_state_count (VfpState *state)
{
  return g_hash_table_size (state->leases);
}

/* Adds or replaces the lease of LEASE->vf; the store takes ownership. */
void
vfp_state_put (VfpState *state, VfpLease *lease)
{
  g_hash_table_replace (state->leases, lease->vf, lease);
  vfp_state_touch (state, lease);
}

/* Drops the lease of VF: the VF is free. */
void
vfp_state_remove (VfpState *state, const char *vf)
{
  if (g_hash_table_remove (state->leases, vf))
    state->touched = TRUE;
}

/* LEASE changed: it gets the generation the next save writes. The audit
 * compares serials to know that a lease is the one it saw before reading
 * libvirt, even when a detach and an attach within the same second put it
 * back as it was. */
void
vfp_state_touch (VfpState *state, VfpLease *lease)
{
  lease->serial = state->generation + 1;
  state->touched = TRUE;
}

/* Frees a PF identity record (the store owns those it holds). */
void
vfp_pf_record_free (VfpPfRecord *record)
{
  if (record == NULL)
    return;
  g_free (record->pf);
  g_free (record->identity);
  g_free (record->model);
  g_free (record);
}

/* The identity recorded for PF ("0000:05:00.0"), or NULL (a PF vfpool has
 * not used yet, or a store an older vfpool wrote). Owned by the store. */
const VfpPfRecord *
vfp_state_get_pf (VfpState *state, const char *pf)
{
  return pf != NULL ? g_hash_table_lookup (state->pfs, pf) : NULL;
}

static int
compare_pf_records (gconstpointer a, gconstpointer b)
{
  return strcmp ((*(VfpPfRecord *const *) a)->pf, (*(VfpPfRecord *const *) b)->pf);
}

/* The PF identity records ordered by address; the array does not own them. */
GPtrArray *
vfp_state_list_pfs (VfpState *state)
{
  return values_of (state->pfs, compare_pf_records);
}

/* Records (or replaces) which card PF is; the next save writes it. Not a
 * lease change: the generation the audit compares stays. */
void
vfp_state_set_pf (VfpState *state, const char *pf, const char *identity,
                  const char *model, gint64 recorded)
{
  VfpPfRecord *r = g_new0 (VfpPfRecord, 1);

  r->pf = g_strdup (pf);
  r->identity = g_strdup (identity);
  r->model = g_strdup (model);
  r->recorded = recorded;
  g_hash_table_replace (state->pfs, r->pf, r);
  state->pfs_changed = TRUE;
}
