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
#include "vfp-xml.h"

#define LOCK_FILE "lock"

struct _VfpState {
  char *dir;               /* owned */
  int dir_fd;              /* O_PATH-like handle on the checked directory */
  int lock_fd;             /* holds the flock while the state is open */
  GHashTable *leases;      /* owned: vf -> VfpLease* */
};

static const char *const state_names[] = {
  [VFP_LEASE_FREE] = "free",
  [VFP_LEASE_RESERVED] = "reserved",
  [VFP_LEASE_ATTACHED] = "attached",
  [VFP_LEASE_DETACHING] = "detaching",
  [VFP_LEASE_QUARANTINED] = "quarantined",
};

const char *
vfp_lease_state_name (VfpLeaseState state)
{
  return state_names[state];
}

/* The state in words for people (translated); vfp_lease_state_name is
 * the stable word for files and JSON. */
const char *
vfp_lease_state_label (VfpLeaseState state)
{
  switch (state)
    {
    case VFP_LEASE_FREE: return _("free");
    case VFP_LEASE_RESERVED: return _("reserved");
    case VFP_LEASE_ATTACHED: return _("attached");
    case VFP_LEASE_DETACHING: return _("detaching");
    case VFP_LEASE_QUARANTINED: return _("quarantined");
    }
  g_assert_not_reached ();
}

gboolean
vfp_lease_state_parse (const char *name, VfpLeaseState *state)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (state_names); i++)
    if (name != NULL && strcmp (name, state_names[i]) == 0)
      {
        *state = i;
        return TRUE;
      }
  return FALSE;
}

/* Who holds the lease, for people: the guest's name, else the label. */
const char *
vfp_lease_owner (const VfpLease *lease)
{
  if (lease->owner_name)
    return lease->owner_name;
  if (lease->owner_uuid)
    return lease->owner_uuid;
  return lease->owner_label;
}

VfpLease *
vfp_lease_new (const char *vf)
{
  VfpLease *lease = g_new0 (VfpLease, 1);

  lease->vf = g_strdup (vf);
  lease->vlan = -1;
  return lease;
}

void
vfp_lease_free (VfpLease *lease)
{
  if (lease == NULL)
    return;
  g_free (lease->vf);
  g_free (lease->pf);
  g_free (lease->pool);
  g_free (lease->owner_uuid);
  g_free (lease->owner_name);
  g_free (lease->owner_label);
  g_free (lease->mac);
  g_free (lease->alias);
  g_free (lease->note);
  g_free (lease);
}

/* Refuses a directory an attacker could have planted or could write. */
static gboolean
check_safe (const struct stat *st, const char *path, gboolean is_dir, GError **error)
{
  if (S_ISLNK (st->st_mode))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   _("%s is a symlink; vfpool refuses it. Replace it with a real directory owned by the user running vfpool (root)."), path);
      return FALSE;
    }
  if (is_dir ? !S_ISDIR (st->st_mode) : !S_ISREG (st->st_mode))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   is_dir ? _("%s is not a directory.") : _("%s is not a regular file."), path);
      return FALSE;
    }
  if (st->st_uid != geteuid ())
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   _("%s belongs to uid %u, not to uid %u running vfpool; chown it."),
                   path, (unsigned) st->st_uid, (unsigned) geteuid ());
      return FALSE;
    }
  if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   _("%s is writable by group or others (mode %04o); run chmod go-w on it."),
                   path, (unsigned) (st->st_mode & 07777));
      return FALSE;
    }
  return TRUE;
}

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
  if (!check_safe (&st, dir, TRUE, error))
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

/* Takes the exclusive lock, waiting up to TIMEOUT_MS; backs off from 1 ms
 * to 10 ms between tries so 64 waiting clients do not spin. */
static int
take_lock (int dir_fd, const char *dir, guint timeout_ms, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  gulong pause = 1000;
  struct stat st;
  int fd;

  fd = openat (dir_fd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0 || fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   _("Cannot open the lock file %s/%s: %s"), dir, LOCK_FILE,
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
                       dir, LOCK_FILE, g_strerror (errno));
          close (fd);
          return -1;
        }
      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, VFP_ERROR, VFP_ERROR_FAILED,
                       _("The lease store %s is locked by another vfpool for more than %u ms; try again."),
                       dir, timeout_ms);
          close (fd);
          return -1;
        }
      g_usleep (pause);
      pause = MIN (pause * 2, 10000);
    }
  return fd;
}

static char *
prop (xmlNode *node, const char *name)
{
  return vfp_xml_prop (node, name);
}

static gboolean
prop_int64 (xmlNode *node, const char *name, gint64 min, gint64 max, gint64 *out)
{
  g_autofree char *v = prop (node, name);

  if (v == NULL)
    return TRUE;
  return g_ascii_string_to_signed (v, 10, min, max, out, NULL);
}

/* Reads one <lease>; FALSE when it is malformed. */
static gboolean
parse_lease (xmlNode *node, VfpLease **out, char **why)
{
  g_autoptr (VfpLease) lease = NULL;
  g_autofree char *vf = prop (node, "vf");
  g_autofree char *state = NULL;
  xmlNode *c, *d;
  VfpAddr addr;
  gint64 v;

  if (vf == NULL || !vfp_addr_parse (vf, &addr, NULL))
    {
      *why = g_strdup_printf (_("a lease has no valid vf= ('%s')"), vf ? vf : "");
      return FALSE;
    }
  lease = vfp_lease_new (NULL);
  lease->vf = vfp_addr_to_string (&addr);
  lease->pf = prop (node, "pf");
  lease->pool = prop (node, "pool");
  state = prop (node, "state");
  if (!vfp_lease_state_parse (state, &lease->state) || lease->state == VFP_LEASE_FREE)
    {
      *why = g_strdup_printf (_("the lease of %s has an unknown state '%s'"), lease->vf, state ? state : "");
      return FALSE;
    }
  if (!prop_int64 (node, "created", 0, G_MAXINT64, &lease->created)
      || !prop_int64 (node, "changed", 0, G_MAXINT64, &lease->changed))
    {
      *why = g_strdup_printf (_("the lease of %s has a bad timestamp"), lease->vf);
      return FALSE;
    }
  for (c = node->children; c != NULL; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      /* one of each: a second would silently win over the first */
      for (d = c->prev; d != NULL; d = d->prev)
        if (d->type == XML_ELEMENT_NODE && strcmp ((const char *) d->name, (const char *) c->name) == 0)
          {
            *why = g_strdup_printf (_("the lease of %s has two <%s> elements"), lease->vf, (const char *) c->name);
            return FALSE;
          }
      if (strcmp ((const char *) c->name, "owner") == 0)
        {
          lease->owner_uuid = prop (c, "uuid");
          lease->owner_name = prop (c, "name");
          lease->owner_label = prop (c, "label");
        }
      else if (strcmp ((const char *) c->name, "device") == 0)
        {
          g_autofree char *live = prop (c, "live");
          g_autofree char *config = prop (c, "config");

          lease->mac = prop (c, "mac");
          lease->alias = prop (c, "alias");
          v = -1;
          if (!prop_int64 (c, "vlan", -1, 4095, &v))
            {
              *why = g_strdup_printf (_("the lease of %s has a bad vlan"), lease->vf);
              return FALSE;
            }
          lease->vlan = v;
          lease->live = g_strcmp0 (live, "yes") == 0;
          lease->config = g_strcmp0 (config, "yes") == 0;
        }
      else if (strcmp ((const char *) c->name, "reservation") == 0)
        {
          gint64 pid = 0, start = 0;

          if (!prop_int64 (c, "pid", 0, G_MAXINT32, &pid)
              || !prop_int64 (c, "start", 0, G_MAXINT64, &start)
              || !prop_int64 (c, "expires", 0, G_MAXINT64, &lease->expires))
            {
              *why = g_strdup_printf (_("the lease of %s has a bad reservation"), lease->vf);
              return FALSE;
            }
          lease->pid = pid;
          lease->pid_start = start;
        }
      else if (strcmp ((const char *) c->name, "note") == 0)
        lease->note = vfp_xml_content (c);
    }
  if (lease->owner_uuid == NULL && lease->owner_label == NULL
      && lease->state != VFP_LEASE_QUARANTINED)
    {
      *why = g_strdup_printf (_("the lease of %s has no owner"), lease->vf);
      return FALSE;
    }
  *out = g_steal_pointer (&lease);
  return TRUE;
}

/* Parses store text into INTO (vf -> lease). WHAT names it in errors. */
gboolean
vfp_state_parse (const char *text, gsize len, const char *what, GHashTable *into,
                 GError **error)
{
  g_autoptr (xmlDoc) doc = NULL;
  g_autoptr (GError) e = NULL;
  g_autofree char *version = NULL;
  xmlNode *root, *n;
  guint64 ver;

  if (len > VFP_LEASES_MAX_SIZE)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("%s is larger than any lease store; it was not read and will not be overwritten."), what);
      return FALSE;
    }
  doc = vfp_xml_parse (text, len, what, &e);
  if (doc == NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("%s; vfpool will not overwrite it. Move it aside and run 'vfpool audit --fix' to rebuild the leases."),
                   e->message);
      return FALSE;
    }
  root = xmlDocGetRootElement (doc);
  version = prop (root, "version");
  if (strcmp ((const char *) root->name, "leases") != 0 || version == NULL
      || !g_ascii_string_to_unsigned (version, 10, 1, G_MAXUINT32, &ver, NULL))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("%s is not a vfpool lease store (no <leases version='N'>); vfpool will not overwrite it."), what);
      return FALSE;
    }
  if (ver > VFP_STATE_VERSION)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_UNSAFE,
                   _("%s was written by a newer vfpool (store version %s, this one knows %d); upgrade vfpool. The store was left untouched."),
                   what, version, VFP_STATE_VERSION);
      return FALSE;
    }
  for (n = root->children; n != NULL; n = n->next)
    {
      VfpLease *lease = NULL;
      g_autofree char *why = NULL;

      if (n->type != XML_ELEMENT_NODE || strcmp ((const char *) n->name, "lease") != 0)
        continue;
      if (!parse_lease (n, &lease, &why)
          || (g_hash_table_contains (into, lease->vf)
              && (why = g_strdup_printf (_("%s has two leases"), lease->vf))))
        {
          vfp_lease_free (lease);
          g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                       _("%s: %s; vfpool will not overwrite it. Correct the file, or move it aside and run 'vfpool audit --fix'."),
                       what, why);
          return FALSE;
        }
      g_hash_table_insert (into, lease->vf, lease);
    }
  return TRUE;
}

/* Reads state-dir/leases.xml through the checked directory handle. */
static gboolean
load (VfpState *state, GError **error)
{
  g_autofree char *path = g_build_filename (state->dir, VFP_LEASES_FILE, NULL);
  g_autofree char *text = NULL;
  struct stat st;
  gssize n;
  gsize got = 0;
  int fd;

  fd = openat (state->dir_fd, VFP_LEASES_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return TRUE;
      g_set_error (error, VFP_ERROR, errno == ELOOP ? VFP_ERROR_UNSAFE : VFP_ERROR_IO,
                   errno == ELOOP ? _("%s is a symlink; vfpool refuses it.") : _("Cannot open %s: %s"),
                   path, g_strerror (errno));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !check_safe (&st, path, FALSE, error))
    {
      close (fd);
      return FALSE;
    }
  if (st.st_size > VFP_LEASES_MAX_SIZE)
    {
      close (fd);
      return vfp_state_parse ("", VFP_LEASES_MAX_SIZE + 1, path, state->leases, error);
    }
  text = g_malloc (st.st_size + 1);
  while (got < (gsize) st.st_size && (n = read (fd, text + got, st.st_size - got)) > 0)
    got += n;
  close (fd);
  text[got] = '\0';
  return vfp_state_parse (text, got, path, state->leases, error);
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
  state->dir_fd = open_dir (dir, error);
  if (state->dir_fd < 0)
    return NULL;
  state->lock_fd = take_lock (state->dir_fd, dir, timeout_ms, error);
  if (state->lock_fd < 0 || !load (state, error))
    return NULL;
  remove_stale_temp_files (state);
  return g_steal_pointer (&state);
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

/* The leases in no particular order; the array does not own them. */
GPtrArray *
vfp_state_list_unsorted (VfpState *state)
{
  GPtrArray *list = g_ptr_array_sized_new (g_hash_table_size (state->leases));
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, state->leases);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (list, value);
  return list;
}

/* The leases ordered by VF address; the array does not own them. */
GPtrArray *
vfp_state_list (VfpState *state)
{
  GPtrArray *list = g_ptr_array_sized_new (g_hash_table_size (state->leases));
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init (&it, state->leases);
  while (g_hash_table_iter_next (&it, NULL, &value))
    g_ptr_array_add (list, value);
  g_ptr_array_sort (list, compare_leases);
  return list;
}

static void
set_prop (xmlNode *node, const char *name, const char *value)
{
  if (value != NULL)
    xmlSetProp (node, BAD_CAST name, BAD_CAST value);
}

static void
set_prop_int (xmlNode *node, const char *name, gint64 value)
{
  char buf[24];

  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  xmlSetProp (node, BAD_CAST name, BAD_CAST buf);
}

/* The store as XML, built with the tree API (names and labels are data). */
char *
vfp_state_serialize (VfpState *state)
{
  g_autoptr (xmlDoc) doc = xmlNewDoc (BAD_CAST "1.0");
  g_autoptr (GPtrArray) list = vfp_state_list (state);
  xmlNode *root = xmlNewNode (NULL, BAD_CAST "leases");
  xmlChar *mem = NULL;
  char *out;
  int size = 0;
  guint i;

  xmlDocSetRootElement (doc, root);
  set_prop_int (root, "version", VFP_STATE_VERSION);
  for (i = 0; i < list->len; i++)
    {
      VfpLease *l = list->pdata[i];
      xmlNode *n = xmlNewChild (root, NULL, BAD_CAST "lease", NULL);

      set_prop (n, "vf", l->vf);
      set_prop (n, "pf", l->pf);
      set_prop (n, "pool", l->pool);
      set_prop (n, "state", vfp_lease_state_name (l->state));
      set_prop_int (n, "created", l->created);
      set_prop_int (n, "changed", l->changed);
      if (l->owner_uuid || l->owner_name || l->owner_label)
        {
          xmlNode *o = xmlNewChild (n, NULL, BAD_CAST "owner", NULL);

          set_prop (o, "uuid", l->owner_uuid);
          set_prop (o, "name", l->owner_name);
          set_prop (o, "label", l->owner_label);
        }
      if (l->mac || l->alias || l->vlan >= 0 || l->live || l->config)
        {
          xmlNode *d = xmlNewChild (n, NULL, BAD_CAST "device", NULL);

          set_prop (d, "mac", l->mac);
          if (l->vlan >= 0)
            set_prop_int (d, "vlan", l->vlan);
          set_prop (d, "alias", l->alias);
          set_prop (d, "live", l->live ? "yes" : "no");
          set_prop (d, "config", l->config ? "yes" : "no");
        }
      if (l->pid > 0 || l->expires > 0)
        {
          xmlNode *r = xmlNewChild (n, NULL, BAD_CAST "reservation", NULL);

          if (l->pid > 0)
            {
              set_prop_int (r, "pid", l->pid);
              set_prop_int (r, "start", l->pid_start);
            }
          if (l->expires > 0)
            set_prop_int (r, "expires", l->expires);
        }
      if (l->note)
        xmlNewTextChild (n, NULL, BAD_CAST "note", BAD_CAST l->note);
    }
  xmlDocDumpFormatMemoryEnc (doc, &mem, &size, "UTF-8", 1);
  out = g_strndup ((const char *) mem, size);
  xmlFree (mem);
  return out;
}

/* Writes the store: temp file in the state dir, fsync, rename, fsync of
 * the directory (GLib's DURABLE). A crash leaves the old or the new store,
 * never a mix. */
gboolean
vfp_state_save (VfpState *state, GError **error)
{
  g_autofree char *path = g_build_filename (state->dir, VFP_LEASES_FILE, NULL);
  g_autofree char *text = vfp_state_serialize (state);
  g_autoptr (GError) e = NULL;

  if (!g_file_set_contents_full (path, text, -1,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                 0644, &e))
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("Cannot save the lease store: %s"), e->message);
      return FALSE;
    }
  return TRUE;
}

const char *
vfp_state_dir (VfpState *state)
{
  return state->dir;
}

VfpLease *
vfp_state_get (VfpState *state, const char *vf)
{
  return g_hash_table_lookup (state->leases, vf);
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
}

/* Drops the lease of VF: the VF is free. */
void
vfp_state_remove (VfpState *state, const char *vf)
{
  g_hash_table_remove (state->leases, vf);
}
