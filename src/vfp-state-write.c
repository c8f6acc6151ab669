/* Writing the lease store (see vfp-state-write.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-names.h"
#include "vfp-state.h"
#include "vfp-state-write.h"
#include "vfp-text.h"

static void
put_attr (xmlTextWriter *w, const char *name, const char *value)
{
  if (value != NULL)
    xmlTextWriterWriteAttribute (w, BAD_CAST name, BAD_CAST value);
}

static void
put_attr_int (xmlTextWriter *w, const char *name, gint64 value)
{
  char buf[24];

  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  xmlTextWriterWriteAttribute (w, BAD_CAST name, BAD_CAST buf);
}

/* The attributes of a kept node (see vfp-state-read.c), after those
 * vfpool writes itself. */
static void
put_kept_attrs (xmlTextWriter *w, const xmlNode *keep)
{
  const xmlAttr *a;

  for (a = keep ? keep->properties : NULL; a != NULL; a = a->next)
    {
      g_autofree xmlChar *value = xmlNodeGetContent ((const xmlNode *) a);

      xmlTextWriterWriteAttribute (w, a->name, value ? value : BAD_CAST "");
    }
}

/* The child of KEEP that holds what is kept of vfpool's element NAME (its
 * unknown attributes and content), or NULL. */
static const xmlNode *
kept_child (const xmlNode *keep, const char *name)
{
  const xmlNode *c;

  for (c = keep ? keep->children : NULL; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp ((const char *) c->name, name) == 0)
      return c;
  return NULL;
}

static void put_kept_content (xmlTextWriter *w, const xmlNode *keep, const char *const *skip,
                              gboolean indented);

/* Whether NODE holds text: then all inside the element it belongs to is
 * written without the writer's indentation, which would add to the text
 * at every save. */
static gboolean
has_text (const xmlNode *node)
{
  const xmlNode *c;

  for (c = node ? node->children : NULL; c != NULL; c = c->next)
    if (c->type == XML_TEXT_NODE)
      return TRUE;
  return FALSE;
}

/* A kept element, whole; INDENTED: the writer indents where it is. */
static void
put_kept_element (xmlTextWriter *w, const xmlNode *node, gboolean indented)
{
  gboolean flat = indented && has_text (node);

  xmlTextWriterStartElement (w, node->name);
  put_kept_attrs (w, node);
  if (flat)
    xmlTextWriterSetIndent (w, 0);
  put_kept_content (w, node, NULL, indented && !flat);
  xmlTextWriterEndElement (w);
  if (flat)
    xmlTextWriterSetIndent (w, 1);
}

/* The kept text and elements of KEEP, but for the elements named in SKIP
 * (those vfpool writes itself, which carry their kept part inside). */
static void
put_kept_content (xmlTextWriter *w, const xmlNode *keep, const char *const *skip,
                  gboolean indented)
{
  const xmlNode *c;
  const char *const *s;

  for (c = keep ? keep->children : NULL; c != NULL; c = c->next)
    if (c->type == XML_TEXT_NODE)
      xmlTextWriterWriteString (w, c->content);
    else if (c->type == XML_ELEMENT_NODE)
      {
        for (s = skip; s != NULL && *s != NULL && strcmp (*s, (const char *) c->name) != 0; s++)
          ;
        if (s == NULL || *s == NULL)
          put_kept_element (w, c, indented);
      }
}

/* Starts vfpool's element NAME when it has something to say (SAYS) or
 * something was kept in it; FALSE when there is neither. */
static gboolean
start_child (xmlTextWriter *w, const char *name, gboolean says, const xmlNode *kept)
{
  if (!says && kept == NULL)
    return FALSE;
  xmlTextWriterStartElement (w, BAD_CAST name);
  return TRUE;
}

/* Ends it, after what was kept of it; INDENTED as put_kept_element. */
static void
end_child (xmlTextWriter *w, const xmlNode *kept, gboolean indented)
{
  gboolean flat = indented && has_text (kept);

  put_kept_attrs (w, kept);
  if (flat)
    xmlTextWriterSetIndent (w, 0);
  put_kept_content (w, kept, NULL, indented && !flat);
  xmlTextWriterEndElement (w);
  if (flat)
    xmlTextWriterSetIndent (w, 1);
}

/* The fields of <vf-settings>: MAC and VLAN live in <device>. */
#define LEASE_VF_FIELDS (VFP_VF_ALL_FIELDS & ~(guint) (VFP_VF_MAC | VFP_VF_VLAN))

/* <vf-settings spoofchk='on' max-tx-rate='100' .../>: one attribute per
 * setting vfpool applied, named as in vfpool.conf, then what was kept of
 * it (KEPT). */
static void
put_vf_settings (xmlTextWriter *w, const VfpVfSettings *s, const xmlNode *kept, gboolean indented)
{
  guint f;

  if (!start_child (w, "vf-settings", s != NULL && (s->fields & LEASE_VF_FIELDS) != 0, kept))
    return;
  for (f = 1; s != NULL && f <= VFP_VF_ALL_FIELDS; f <<= 1)
    if (s->fields & LEASE_VF_FIELDS & f)
      {
        g_autofree char *value = vfp_vf_settings_value (s, f);

        put_attr (w, vfp_vf_field_name (f), value);
      }
  end_child (w, kept, indented);
}

/* The <pf> records PFS (may be NULL) into W. <pf> is optional: a vfpool
 * that does not know it keeps it, so the store stays version 1. */
static void
put_pf_records (xmlTextWriter *w, GPtrArray *pfs)
{
  guint i;

  for (i = 0; pfs != NULL && i < pfs->len; i++)
    {
      VfpPfRecord *r = pfs->pdata[i];

      xmlTextWriterStartElement (w, BAD_CAST "pf");
      put_attr (w, "address", r->pf);
      put_attr (w, "identity", r->identity);
      put_attr (w, "model", r->model);
      put_attr_int (w, "recorded", r->recorded);
      xmlTextWriterEndElement (w);
    }
}

/* The children of lease L's element into W, each merged with what L->keep
 * held of it, then the rest of L->keep; NESTED: the writer indents them. */
static void
put_lease_children (xmlTextWriter *w, const VfpLease *l, gboolean nested)
{
  static const char *const own[] = { "owner", "device", "reservation", "note", "vf-settings", "baseline", NULL };
  const xmlNode *k;

  k = kept_child (l->keep, "owner");
  if (start_child (w, "owner", l->owner_uuid || l->owner_name || l->owner_label, k))
    {
      put_attr (w, "uuid", l->owner_uuid);
      put_attr (w, "name", l->owner_name);
      put_attr (w, "label", l->owner_label);
      end_child (w, k, nested);
    }
  k = kept_child (l->keep, "device");
  if (start_child (w, "device", l->mac || l->alias || l->vlan >= 0 || l->live || l->config, k))
    {
      put_attr (w, "mac", l->mac);
      if (l->vlan >= 0)
        put_attr_int (w, "vlan", l->vlan);
      put_attr (w, "alias", l->alias);
      put_attr (w, "live", l->live ? "yes" : "no");
      put_attr (w, "config", l->config ? "yes" : "no");
      end_child (w, k, nested);
    }
  k = kept_child (l->keep, "reservation");
  if (start_child (w, "reservation", l->pid > 0 || l->expires > 0 || l->migration, k))
    {
      if (l->migration)
        put_attr (w, "for", "migration");
      if (l->pid > 0)
        {
          put_attr_int (w, "pid", l->pid);
          put_attr_int (w, "start", l->pid_start);
        }
      if (l->expires > 0)
        put_attr_int (w, "expires", l->expires);
      end_child (w, k, nested);
    }
  k = kept_child (l->keep, "note");
  if (l->note != NULL || k != NULL)
    {
      xmlTextWriterStartElement (w, BAD_CAST "note");
      put_kept_attrs (w, k);
      if (l->note != NULL)
        xmlTextWriterWriteString (w, BAD_CAST l->note);
      xmlTextWriterEndElement (w);
    }
  put_vf_settings (w, l->vf_settings, kept_child (l->keep, "vf-settings"), nested);
  k = kept_child (l->keep, "baseline");
  if (start_child (w, "baseline", l->baseline_driver != NULL, k))
    {
      /* <baseline/> without driver=: the VF had no driver */
      if (l->baseline_driver != NULL && *l->baseline_driver != '\0')
        put_attr (w, "driver", l->baseline_driver);
      end_child (w, k, nested);
    }
  put_kept_content (w, l->keep, own, nested);
}

/* Lease L's element into W; INDENTED: the store is written indented (a
 * lease that kept text of its own is written flat, as it was). */
static void
put_lease (xmlTextWriter *w, const VfpLease *l, gboolean indented)
{
  gboolean flat = indented && has_text (l->keep);

  xmlTextWriterStartElement (w, BAD_CAST "lease");
  if (flat)
    xmlTextWriterSetIndent (w, 0);
  put_attr (w, "vf", l->vf);
  put_attr (w, "pf", l->pf);
  put_attr (w, "pool", l->pool);
  put_attr (w, "state", vfp_lease_state_name (l->state));
  put_attr_int (w, "created", l->created);
  put_attr_int (w, "changed", l->changed);
  if (l->serial > 0)
    put_attr_int (w, "serial", l->serial);
  put_kept_attrs (w, l->keep);
  put_lease_children (w, l, indented && !flat);
  xmlTextWriterEndElement (w);
  if (flat)
    xmlTextWriterSetIndent (w, 1);
}

/* LEASES (VfpLease*, in the order to write) and PFS (VfpPfRecord*, may
 * be NULL) as the store's XML, with libxml2's streaming writer (names and
 * labels are data: it escapes them). KEEP, and each lease's own, is what
 * the store held that this vfpool does not know: written back where it was
 * found. */
void
vfp_state_write_xml (xmlTextWriter *w, GPtrArray *leases, GPtrArray *pfs, const xmlNode *keep,
                     guint64 generation)
{
  gboolean indented = !has_text (keep);
  guint i;

  xmlTextWriterSetIndent (w, 1);
  xmlTextWriterSetIndentString (w, BAD_CAST "  ");
  xmlTextWriterStartDocument (w, "1.0", "UTF-8", NULL);
  xmlTextWriterStartElement (w, BAD_CAST "leases");
  if (!indented)
    xmlTextWriterSetIndent (w, 0);
  put_attr_int (w, "version", VFP_STATE_VERSION);
  put_attr_int (w, "generation", generation);
  put_kept_attrs (w, keep);
  put_pf_records (w, pfs);
  for (i = 0; i < leases->len; i++)
    put_lease (w, leases->pdata[i], indented);
  put_kept_content (w, keep, NULL, indented);
  xmlTextWriterEndDocument (w);
}

/* Where the writer's output goes: a file, and the first error. */
typedef struct {
  int fd;
  int error;                 /* errno of the first failed write, or 0 */
} Sink;

static int
sink_write (void *data, const char *buf, int len)
{
  Sink *s = data;
  int done = 0;

  while (done < len && s->error == 0)
    {
      ssize_t n = write (s->fd, buf + done, len - done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        s->error = n < 0 ? errno : EIO;
      else
        done += n;
    }
  return s->error == 0 ? len : -1;
}

/* libxml2 reports a failed write on stderr ("I/O error : write error")
 * before vfpool can say which file and why; vfpool's own one line is
 * enough. */
static void
quiet (void *ctx, const char *msg, ...)
{
  (void) ctx;
  (void) msg;
}

/* A new file DIR_FD/leases.xml.XXXXXX (the name remove_stale_temp_files
 * knows), created exclusively, not through a symlink; -1 with errno. */
static int
create_temp (int dir_fd, char name[static sizeof VFP_LEASES_FILE + 7])
{
  static const char letters[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  int attempt, i, fd = -1;

  for (attempt = 0; attempt < 100 && fd < 0; attempt++)
    {
      memcpy (name, VFP_LEASES_FILE ".", sizeof VFP_LEASES_FILE);
      for (i = 0; i < 6; i++)
        name[sizeof VFP_LEASES_FILE + i] = letters[g_random_int_range (0, sizeof letters - 1)];
      name[sizeof VFP_LEASES_FILE + 6] = '\0';
      fd = openat (dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
      if (fd < 0 && errno != EEXIST)
        break;
    }
  return fd;
}

/* Refuses LEASES when a text of one breaks vfp-text's rule: the inputs
 * are checked where they enter (vfp-pool), and this is the net under them,
 * so that no bug can write a store that no longer parses. */
static gboolean
check_texts (GPtrArray *leases, GError **error)
{
  guint i, j;

  for (i = 0; i < leases->len; i++)
    {
      VfpLease *l = leases->pdata[i];
      const struct { const char *name; const char *value; } texts[] = {
        { "vf", l->vf }, { "pf", l->pf }, { "pool", l->pool }, { "uuid", l->owner_uuid },
        { "name", l->owner_name }, { "label", l->owner_label }, { "mac", l->mac },
        { "alias", l->alias }, { "note", l->note },
      };

      for (j = 0; j < G_N_ELEMENTS (texts); j++)
        {
          gunichar bad;
          gsize at;

          if (texts[j].value != NULL && !vfp_text_is_storable (texts[j].value, &bad, &at))
            {
              g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                           _("Cannot save the lease store: the %s of the lease of VF %s holds U+%04X at byte %u, which the store does not take; nothing was saved. Please report this as a bug."),
                           texts[j].name, l->vf, (guint) bad, (guint) at);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/* Writes LEASES and PFS to DIR/leases.xml (DIR_FD: the checked directory): into a
 * new file as the XML is made, fsync, rename over leases.xml, fsync of the
 * directory. A crash leaves the old store or the new one, never a mix.
 * The store is never held in memory whole: as a string it was, twice, the
 * peak of an audit --fix of 1500 leases (0.7 MB). */
gboolean
vfp_state_write_file (int dir_fd, const char *dir, GPtrArray *leases,
                      GPtrArray *pfs, const xmlNode *keep, guint64 generation, GError **error)
{
  char name[sizeof VFP_LEASES_FILE + 7];
  Sink sink = { -1, 0 };
  xmlOutputBuffer *out;
  xmlTextWriter *w;
  const char *step = NULL;
  int err = 0;

  if (!check_texts (leases, error))
    return FALSE;
  sink.fd = create_temp (dir_fd, name);
  if (sink.fd < 0)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("Cannot save the lease store: cannot create a file in %s: %s"),
                   dir, g_strerror (errno));
      return FALSE;
    }
  out = xmlOutputBufferCreateIO (sink_write, NULL, &sink, NULL);
  w = out ? xmlNewTextWriter (out) : NULL;
  if (w == NULL)
    g_error ("out of memory");
  {
    xmlGenericErrorFunc saved = xmlGenericError;
    void *saved_ctx = xmlGenericErrorContext;

    xmlSetGenericErrorFunc (NULL, quiet);
    vfp_state_write_xml (w, leases, pfs, keep, generation);
    xmlFreeTextWriter (w);       /* flushes, and frees OUT */
    xmlSetGenericErrorFunc (saved_ctx, saved);
  }
  if (sink.error != 0)
    {
      step = "write";
      err = sink.error;
    }
  else if (fsync (sink.fd) != 0)
    {
      step = "fsync";
      err = errno;
    }
  if (close (sink.fd) != 0 && step == NULL)
    {
      step = "close";
      err = errno;
    }
  if (step == NULL && renameat (dir_fd, name, dir_fd, VFP_LEASES_FILE) != 0)
    {
      step = "rename";
      err = errno;
    }
  if (step != NULL)
    {
      unlinkat (dir_fd, name, 0);
      g_set_error (error, VFP_ERROR, VFP_ERROR_IO, _("Cannot save the lease store in %s (%s): %s"),
                   dir, step, g_strerror (err));
      return FALSE;
    }
  /* the rename itself is durable once the directory is */
  if (fsync (dir_fd) != 0)
    g_debug ("fsync of %s: %s", dir, g_strerror (errno));
  return TRUE;
}
