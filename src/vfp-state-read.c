/* Reading the lease store's text (leases.xml) with libxml2's SAX2 parser:
 * every command loads the whole store, and building a tree for a store of
 * thousands of leases cost more time and memory than everything else a
 * reservation does. The rules are those of the tree reader it replaced: a
 * <leases version='N'> root, one <lease> per VF with a valid vf= and
 * state=, at most one <owner>, <device>, <reservation> and <note> each,
 * an owner unless quarantined; optional <pf address= identity=> records
 * of which card each PF is, one per address; no DOCTYPE (hence no entity
 * but the five predefined ones), no network. Anything else refuses the
 * whole store.
 * What the store holds that this vfpool does not know (attributes,
 * namespace declarations, elements and text, at any level: what a newer
 * vfpool or an operator added) is kept, as an xmlNode tree beside the
 * lease it was in or beside the store, and written back by the next save
 * (vfp-state-write.c): never dropped silently. Comments and processing
 * instructions are not kept; whitespace-only text is layout. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "vfp-addr.h"
#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-names.h"
#include "vfp-state.h"
#include "vfp-text.h"

typedef struct {
  const char *what;
  GHashTable *into;
  guint64 generation;
  xmlParserCtxt *ctxt;
  int depth;               /* elements open around the one being read */
  gboolean saw_root;
  gboolean doctype;
  GError *error;           /* the first refusal; the parser is stopped */
  VfpLease *lease;         /* the <lease> being read */
  GPtrArray *children;     /* element names seen in it, for the one-of-each rule */
  GString *note;           /* the text of its <note> while inside it */
  GHashTable *pfs;         /* pf -> VfpPfRecord*, or NULL: checked, not kept */
  GHashTable *pfs_seen;    /* owned: the <pf> addresses read, for duplicates */
  GPtrArray *names;        /* per open element: its qualified name (owned) */
  GPtrArray *keeps;        /* per open element: its node in the kept tree,
                            * NULL while it has nothing to keep */
  int capture_from;        /* depth of the unknown element being kept whole; 0: none */
  GString *text;           /* text read since the last tag */
  xmlNode *keep_root;      /* owned: what is kept of <leases> itself, or NULL */
} Reader;

/* The attributes vfpool reads, by element; a name not here is unknown. */
static const char *const root_attrs[] = { "version", "generation", NULL };
static const char *const lease_attrs[] = { "vf", "pf", "pool", "state", "created", "changed", "serial", NULL };
static const char *const owner_attrs[] = { "uuid", "name", "label", NULL };
static const char *const device_attrs[] = { "mac", "vlan", "alias", "live", "config", NULL };
static const char *const reservation_attrs[] = { "pid", "start", "expires", "for", NULL };
static const char *const note_attrs[] = { NULL };
static const char *const vf_settings_attrs[] = {
  "spoofchk", "trust", "link-state", "max-tx-rate", "min-tx-rate", "query-rss", NULL
};
static const char *const baseline_attrs[] = { "driver", NULL };
static const char *const pf_attrs[] = { "address", "identity", "model", "recorded", NULL };

/* Attributes as SAX2 passes them: localname, prefix, URI, value, end. */
typedef const xmlChar **Attrs;

/* A copy of attribute NAME's value (whatever its namespace, as the tree
 * reader's xmlGetProp did), or NULL. */
static char *
attr (int n, Attrs a, const char *name)
{
  int i;

  for (i = 0; i < n; i++)
    if (strcmp ((const char *) a[5 * i], name) == 0)
      return g_strndup ((const char *) a[5 * i + 3], a[5 * i + 4] - a[5 * i + 3]);
  return NULL;
}

/* TEXT (owned) as the store keeps text now (see vfp-text.h): a store
 * written before that rule may hold a newline or a C1 control in a name;
 * it is read escaped, not refused, so that such a store still loads and
 * can be saved. */
static char *
storable (char *text)
{
  char *s;

  if (text == NULL || vfp_text_is_storable (text, NULL, NULL))
    return text;
  s = vfp_text_storable (text);
  g_free (text);
  return s;
}

/* Text attribute NAME, as storable above, or NULL. */
static char *
attr_text (int n, Attrs a, const char *name)
{
  return storable (attr (n, a, name));
}

/* Attribute NAME as an interned string, or NULL. */
static const char *
attr_interned (int n, Attrs a, const char *name)
{
  g_autofree char *value = attr_text (n, a, name);

  return g_intern_string (value);
}

static gboolean
attr_int64 (int n, Attrs a, const char *name, gint64 min, gint64 max, gint64 *out)
{
  g_autofree char *v = attr (n, a, name);

  return v == NULL || g_ascii_string_to_signed (v, 10, min, max, out, NULL);
}

static gboolean
attr_uint64 (int n, Attrs a, const char *name, guint64 *out)
{
  g_autofree char *v = attr (n, a, name);

  return v == NULL || g_ascii_string_to_unsigned (v, 10, 0, G_MAXINT64, out, NULL);
}

static void
refuse (Reader *r, int code, char *message)
{
  if (r->error == NULL)
    r->error = g_error_new_literal (VFP_ERROR, code, message);
  g_free (message);
  xmlStopParser (r->ctxt);
}

/* A malformed lease: the whole store is refused, saying which. */
static void
bad_lease (Reader *r, char *why)
{
  refuse (r, VFP_ERROR_INVALID,
          g_strdup_printf (_("%s: %s; vfpool will not overwrite it. Correct the file, or move it aside and run 'vfpool audit --fix'."),
                           r->what, why));
  g_free (why);
}

static void
start_root (Reader *r, const char *name, int n, Attrs a)
{
  g_autofree char *version = attr (n, a, "version");
  guint64 ver;

  r->saw_root = TRUE;
  if (strcmp (name, "leases") != 0 || version == NULL
      || !g_ascii_string_to_unsigned (version, 10, 1, G_MAXUINT32, &ver, NULL))
    refuse (r, VFP_ERROR_INVALID,
            g_strdup_printf (_("%s is not a vfpool lease store (no <leases version='N'>); vfpool will not overwrite it."), r->what));
  else if (ver > VFP_STATE_VERSION)
    refuse (r, VFP_ERROR_UNSAFE,
            g_strdup_printf (_("%s was written by a newer vfpool (store version %s, this one knows %d); upgrade vfpool. The store was left untouched."),
                             r->what, version, VFP_STATE_VERSION));
  else if (!attr_uint64 (n, a, "generation", &r->generation))
    refuse (r, VFP_ERROR_INVALID,
            g_strdup_printf (_("%s has a bad generation= on <leases>; vfpool will not overwrite it. Correct the file, or move it aside and run 'vfpool audit --fix'."), r->what));
}

static void
start_lease (Reader *r, int n, Attrs a)
{
  g_autofree char *vf = attr (n, a, "vf");
  g_autofree char *state = NULL;
  VfpAddr addr;
  VfpLease *lease;

  if (vf == NULL || !vfp_addr_parse (vf, &addr, NULL))
    {
      bad_lease (r, g_strdup_printf (_("a lease has no valid vf= ('%s')"), vf ? vf : ""));
      return;
    }
  r->lease = lease = vfp_lease_new (NULL);
  lease->vf = vfp_addr_to_string (&addr);
  lease->pf = attr_interned (n, a, "pf");
  lease->pool = attr_interned (n, a, "pool");
  state = attr (n, a, "state");
  g_ptr_array_set_size (r->children, 0);
  if (!vfp_lease_state_parse (state, &lease->state) || lease->state == VFP_LEASE_FREE)
    bad_lease (r, g_strdup_printf (_("the lease of %s has an unknown state '%s'"), lease->vf, state ? state : ""));
  else if (!attr_int64 (n, a, "created", 0, G_MAXINT64, &lease->created)
           || !attr_int64 (n, a, "changed", 0, G_MAXINT64, &lease->changed))
    bad_lease (r, g_strdup_printf (_("the lease of %s has a bad timestamp"), lease->vf));
  else if (!attr_uint64 (n, a, "serial", &lease->serial))
    bad_lease (r, g_strdup_printf (_("the lease of %s has a bad serial= (not a number from 0 to 9223372036854775807)"), lease->vf));
}

/* <pf address='0000:05:00.0' identity='dsn:...' model='...' recorded='N'/>:
 * which card a PF was when vfpool first used it. A bad one refuses the
 * store: a lost record would silently accept another card. */
static void
start_pf (Reader *r, int n, Attrs a)
{
  g_autofree char *address = attr (n, a, "address");
  g_autofree char *identity = attr (n, a, "identity");
  g_autofree char *model = attr (n, a, "model");
  g_autofree char *pf = NULL;
  gint64 recorded = 0;
  VfpAddr addr;

  if (address == NULL || !vfp_addr_parse (address, &addr, NULL)
      || identity == NULL || identity[0] == '\0'
      || !attr_int64 (n, a, "recorded", 0, G_MAXINT64, &recorded))
    {
      bad_lease (r, g_strdup_printf (_("the identity record of PF '%s' is malformed"), address ? address : ""));
      return;
    }
  pf = vfp_addr_to_string (&addr);
  if (!g_hash_table_add (r->pfs_seen, g_strdup (pf)))
    {
      bad_lease (r, g_strdup_printf (_("PF %s has two identity records"), pf));
      return;
    }
  if (r->pfs != NULL)
    {
      VfpPfRecord *rec = g_new0 (VfpPfRecord, 1);

      rec->pf = g_steal_pointer (&pf);
      rec->identity = g_steal_pointer (&identity);
      rec->model = g_steal_pointer (&model);
      rec->recorded = recorded;
      g_hash_table_replace (r->pfs, rec->pf, rec);
    }
}

/* <vf-settings spoofchk='on' .../>: the settings vfpool applied through the
 * PF, each attribute a key of vfpool.conf (MAC and VLAN are <device>'s). */
static void
start_vf_settings (Reader *r, int n, Attrs a)
{
  VfpLease *lease = r->lease;
  g_autofree VfpVfSettings *s = g_new0 (VfpVfSettings, 1);
  int i;

  for (i = 0; i < n; i++)
    {
      const char *key = (const char *) a[5 * i];
      g_autofree char *value = g_strndup ((const char *) a[5 * i + 3], a[5 * i + 4] - a[5 * i + 3]);
      VfpVfField field = vfp_vf_field_from_name (key);

      /* a setting this vfpool does not know is kept (on_start), not read */
      if (field == 0)
        continue;
      if (field == VFP_VF_MAC || field == VFP_VF_VLAN || (s->fields & field)
          || !vfp_vf_settings_parse (s, field, value, NULL))
        {
          bad_lease (r, g_strdup_printf (_("the lease of %s has a bad VF setting %s='%s'"),
                                         lease->vf, key, value));
          return;
        }
    }
  if (!vfp_vf_settings_check (s, NULL))
    {
      bad_lease (r, g_strdup_printf (_("the lease of %s has a min-tx-rate above its max-tx-rate"), lease->vf));
      return;
    }
  lease->vf_settings = g_steal_pointer (&s);
}

/* The attributes vfpool reads on the child NAME of a <lease>, or NULL
 * when it does not know such a child. */
static const char *const *
lease_child_attrs (const char *name)
{
  if (strcmp (name, "owner") == 0)
    return owner_attrs;
  if (strcmp (name, "device") == 0)
    return device_attrs;
  if (strcmp (name, "reservation") == 0)
    return reservation_attrs;
  if (strcmp (name, "note") == 0)
    return note_attrs;
  if (strcmp (name, "vf-settings") == 0)
    return vf_settings_attrs;
  if (strcmp (name, "baseline") == 0)
    return baseline_attrs;
  return NULL;
}

/* The node in the kept tree of the element open at LEVEL (0: <leases>),
 * made (with those of the elements around it) when it is first needed. */
static xmlNode *
keep_at (Reader *r, int level)
{
  xmlNode *node = r->keeps->pdata[level];

  if (node != NULL)
    return node;
  node = xmlNewNode (NULL, BAD_CAST r->names->pdata[level]);
  if (level == 0)
    r->keep_root = node;
  else if (level == 1 && r->lease != NULL)
    r->lease->keep = node;
  else
    xmlAddChild (keep_at (r, level - 1), node);
  r->keeps->pdata[level] = node;
  return node;
}

/* "prefix:name", or NAME without a prefix. */
static char *
qualified (const xmlChar *prefix, const xmlChar *name)
{
  return prefix ? g_strdup_printf ("%s:%s", prefix, name) : g_strdup ((const char *) name);
}

static gboolean
is_known (const char *const *known, const char *name)
{
  for (; known != NULL && *known != NULL; known++)
    if (strcmp (*known, name) == 0)
      return TRUE;
  return FALSE;
}

/* Keeps, on the node of the element at LEVEL, its namespace declarations
 * and every attribute whose name is not in KNOWN (NULL: keeps all). */
static void
keep_attrs (Reader *r, int level, const char *const *known, int nb_ns, const xmlChar **ns,
            int n, Attrs a)
{
  int i;

  for (i = 0; i < nb_ns; i++)
    {
      g_autofree char *name = ns[2 * i] ? g_strdup_printf ("xmlns:%s", ns[2 * i]) : g_strdup ("xmlns");

      xmlNewProp (keep_at (r, level), BAD_CAST name, ns[2 * i + 1]);
    }
  for (i = 0; i < n; i++)
    if (known == NULL || !is_known (known, (const char *) a[5 * i]))
      {
        g_autofree char *name = qualified (a[5 * i + 1], a[5 * i]);
        g_autofree char *value = g_strndup ((const char *) a[5 * i + 3], a[5 * i + 4] - a[5 * i + 3]);

        xmlNewProp (keep_at (r, level), BAD_CAST name, BAD_CAST value);
      }
}

/* Text read since the last tag goes to the kept tree, unless it is only
 * layout (whitespace) or the text of a <note>. */
static void
flush_text (Reader *r)
{
  const char *p;

  if (r->text->len == 0)
    return;
  for (p = r->text->str; *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'; p++)
    ;
  if (*p != '\0' && r->depth > 0 && r->error == NULL && r->note == NULL)
    xmlAddChild (keep_at (r, r->depth - 1), xmlNewTextLen (BAD_CAST r->text->str, r->text->len));
  g_string_truncate (r->text, 0);
}

/* <owner>, <device>, <reservation>, <note>, <vf-settings>, <baseline> of the
 * current lease. */
static void
start_lease_child (Reader *r, const char *name, int n, Attrs a)
{
  VfpLease *lease = r->lease;
  guint i;

  /* one of each: a second would silently win over the first */
  for (i = 0; i < r->children->len; i++)
    if (strcmp (r->children->pdata[i], name) == 0)
      {
        bad_lease (r, g_strdup_printf (_("the lease of %s has two <%s> elements"), lease->vf, name));
        return;
      }
  g_ptr_array_add (r->children, g_strdup (name));
  if (strcmp (name, "owner") == 0)
    {
      lease->owner_uuid = attr_text (n, a, "uuid");
      lease->owner_name = attr_text (n, a, "name");
      lease->owner_label = attr_text (n, a, "label");
    }
  else if (strcmp (name, "device") == 0)
    {
      g_autofree char *live = attr (n, a, "live");
      g_autofree char *config = attr (n, a, "config");
      gint64 v = -1;

      lease->mac = attr_text (n, a, "mac");
      lease->alias = attr_text (n, a, "alias");
      if (!attr_int64 (n, a, "vlan", -1, 4095, &v))
        {
          bad_lease (r, g_strdup_printf (_("the lease of %s has a bad vlan"), lease->vf));
          return;
        }
      lease->vlan = v;
      lease->live = g_strcmp0 (live, "yes") == 0;
      lease->config = g_strcmp0 (config, "yes") == 0;
    }
  else if (strcmp (name, "reservation") == 0)
    {
      gint64 pid = 0, start = 0;
      g_autofree char *purpose = NULL;

      if (!attr_int64 (n, a, "pid", 0, G_MAXINT32, &pid)
          || !attr_int64 (n, a, "start", 0, G_MAXINT64, &start)
          || !attr_int64 (n, a, "expires", 0, G_MAXINT64, &lease->expires))
        {
          bad_lease (r, g_strdup_printf (_("the lease of %s has a bad reservation"), lease->vf));
          return;
        }
      lease->pid = pid;
      lease->pid_start = start;
      purpose = attr (n, a, "for");
      lease->migration = g_strcmp0 (purpose, "migration") == 0;
    }
  else if (strcmp (name, "note") == 0)
    r->note = g_string_new (NULL);
  else if (strcmp (name, "vf-settings") == 0)
    start_vf_settings (r, n, a);
  else if (strcmp (name, "baseline") == 0)
    {
      /* no driver= : the VF had none */
      lease->baseline_driver = attr (n, a, "driver");
      if (lease->baseline_driver == NULL)
        lease->baseline_driver = g_strdup ("");
    }
}

static void
end_lease (Reader *r)
{
  VfpLease *lease = g_steal_pointer (&r->lease);

  if (lease->owner_uuid == NULL && lease->owner_label == NULL
      && lease->state != VFP_LEASE_QUARANTINED)
    bad_lease (r, g_strdup_printf (_("the lease of %s has no owner"), lease->vf));
  else if (g_hash_table_contains (r->into, lease->vf))
    bad_lease (r, g_strdup_printf (_("%s has two leases"), lease->vf));
  else
    {
      g_hash_table_insert (r->into, lease->vf, lease);
      return;
    }
  vfp_lease_free (lease);
}

static void
on_start (void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
          int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
          int nb_defaulted, const xmlChar **attributes)
{
  Reader *r = ctx;
  const char *name = (const char *) localname;
  const char *const *known = NULL;
  int level = r->depth;

  flush_text (r);
  g_ptr_array_add (r->names, qualified (prefix, localname));
  g_ptr_array_add (r->keeps, NULL);
  r->depth++;
  /* markup inside a <note> is read as its text, as ever */
  if (r->error != NULL || r->note != NULL)
    return;
  if (r->capture_from == 0 && level == 0)
    {
      start_root (r, name, nb_attributes, attributes);
      known = root_attrs;
    }
  else if (r->capture_from == 0 && level == 1 && strcmp (name, "lease") == 0)
    {
      start_lease (r, nb_attributes, attributes);
      known = lease_attrs;
    }
  else if (r->capture_from == 0 && level == 1 && strcmp (name, "pf") == 0)
    {
      start_pf (r, nb_attributes, attributes);
      known = pf_attrs;
    }
  else if (r->capture_from == 0 && level == 2 && r->lease != NULL
           && (known = lease_child_attrs (name)) != NULL)
    start_lease_child (r, name, nb_attributes, attributes);
  else
    {
      /* an element this vfpool does not know: kept whole */
      xmlNode *node = xmlNewNode (NULL, BAD_CAST r->names->pdata[level]);

      xmlAddChild (keep_at (r, level - 1), node);
      r->keeps->pdata[level] = node;
      if (r->capture_from == 0)
        r->capture_from = level;
    }
  if (r->error == NULL)
    keep_attrs (r, level, known, nb_namespaces, namespaces, nb_attributes, attributes);
}

static void
on_end (void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
  Reader *r = ctx;

  flush_text (r);
  r->depth--;
  g_ptr_array_set_size (r->names, r->depth);
  g_ptr_array_set_size (r->keeps, r->depth);
  if (r->capture_from == r->depth)
    r->capture_from = 0;
  if (r->error != NULL)
    return;
  if (r->depth == 2 && r->note != NULL)
    {
      g_free (r->lease->note);
      r->lease->note = storable (g_string_free (g_steal_pointer (&r->note), FALSE));
      /* a vfpool before issue 19 marked the hook's migration
       * reservations with this note */
      if (r->lease->state == VFP_LEASE_RESERVED && g_strcmp0 (r->lease->note, "migration") == 0)
        {
          r->lease->migration = TRUE;
          g_clear_pointer (&r->lease->note, g_free);
        }
    }
  else if (r->depth == 1 && r->lease != NULL)
    end_lease (r);
}

/* Text: a <note>'s is all of it (as xmlNodeGetContent gave it); other
 * text is kept (flush_text). */
static void
on_text (void *ctx, const xmlChar *ch, int len)
{
  Reader *r = ctx;

  if (r->note != NULL && r->error == NULL)
    g_string_append_len (r->note, (const char *) ch, len);
  else if (r->error == NULL)
    g_string_append_len (r->text, (const char *) ch, len);
}

static void
on_doctype (void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id)
{
  Reader *r = ctx;

  r->doctype = TRUE;
  xmlStopParser (r->ctxt);
}

/* The store goes to the push parser 16 KB at a time: given all of it at
 * once, libxml2 copies it into an input buffer that grows to the next
 * power of two (524 KB for the 354 KB of 3000 leases), and a caller that
 * reads the whole file first holds it twice. In 64 KB pieces the buffer
 * still grows to 128 KB; in 16 KB pieces it stays at 64 KB (massif). */
#define VFP_STATE_PARSE_CHUNK (16 * 1024)

/* Sets R up to read a store with a push parser whose callbacks SAX (the
 * caller's, kept for as long as R) fills in; reader_clear frees it. */
static void
reader_init (Reader *r, xmlSAXHandler *sax)
{
  memset (sax, 0, sizeof *sax);
  sax->initialized = XML_SAX2_MAGIC;
  sax->startElementNs = on_start;
  sax->endElementNs = on_end;
  sax->characters = on_text;
  sax->cdataBlock = on_text;
  sax->internalSubset = on_doctype;
  r->children = g_ptr_array_new_with_free_func (g_free);
  r->pfs_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  r->names = g_ptr_array_new_with_free_func (g_free);
  r->keeps = g_ptr_array_new ();
  r->text = g_string_new (NULL);
  r->ctxt = xmlCreatePushParserCtxt (sax, r, NULL, 0, NULL);
  if (r->ctxt == NULL)
    g_error ("out of memory");
  /* NOENT: the five predefined entities arrive decoded (no other entity can
   * exist without a DOCTYPE, which stops the parse) */
  xmlCtxtUseOptions (r->ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
                              | XML_PARSE_NOENT);
}

/* Feeds R the store TEXT (LEN bytes) in pieces, then its end. */
static void
reader_feed_text (Reader *r, const char *text, gsize len)
{
  gsize off;

  for (off = 0; len - off > VFP_STATE_PARSE_CHUNK && !r->ctxt->disableSAX; off += VFP_STATE_PARSE_CHUNK)
    xmlParseChunk (r->ctxt, text + off, VFP_STATE_PARSE_CHUNK, 0);
  xmlParseChunk (r->ctxt, text + off, len - off, 1);
}

/* Feeds R what FD holds, piece by piece, then its end; a read that fails
 * or a file larger than any store sets R's error (WHAT names it). */
static void
reader_feed_fd (Reader *r, int fd, const char *what)
{
  g_autofree char *buf = g_malloc (VFP_STATE_PARSE_CHUNK);
  gsize total = 0;
  gssize n;

  while (r->error == NULL && !r->ctxt->disableSAX && (n = read (fd, buf, VFP_STATE_PARSE_CHUNK)) != 0)
    if (n < 0 && errno != EINTR)
      g_set_error (&r->error, VFP_ERROR, VFP_ERROR_IO, _("Cannot read %s: %s"), what, g_strerror (errno));
    else if (n > 0 && (total += n) > VFP_LEASES_MAX_SIZE)
      g_set_error (&r->error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("%s is larger than any lease store; it was not read and will not be overwritten."), what);
    else if (n > 0)
      xmlParseChunk (r->ctxt, buf, n, 0);
  xmlParseChunk (r->ctxt, NULL, 0, 1);
}

/* What is wrong with the XML R has read (WHAT names it) when no callback
 * refused it: a DOCTYPE, or XML that does not parse; NULL if nothing.
 * Caller frees. */
static char *
reader_problem (Reader *r, const char *what)
{
  if (r->error == NULL && r->doctype)
    return g_strdup_printf (_("The XML of %s has a DOCTYPE (vfpool refuses DTDs and entities)"), what);
  if (r->error == NULL && (!r->ctxt->wellFormed || !r->saw_root))
    {
      const xmlError *e = xmlCtxtGetLastError (r->ctxt);
      g_autofree char *msg = g_strdup (e && e->message ? e->message : _("empty document"));

      return g_strdup_printf (_("The XML of %s does not parse: line %d: %s"),
                              what, e ? e->line : 0, g_strstrip (msg));
    }
  return NULL;
}

/* Frees what reader_init and the callbacks left in R, except its error
 * and keep_root. */
static void
reader_clear (Reader *r)
{
  xmlFreeParserCtxt (r->ctxt);
  vfp_lease_free (r->lease);
  if (r->note != NULL)
    g_string_free (r->note, TRUE);
  g_ptr_array_unref (r->children);
  g_hash_table_unref (r->pfs_seen);
  g_ptr_array_unref (r->names);
  g_ptr_array_unref (r->keeps);
  g_string_free (r->text, TRUE);
}

/* Parses the store into INTO (vf -> lease): TEXT (LEN bytes) when FD is
 * -1, else what FD holds, read piece by piece. WHAT names it in errors. */
static gboolean
parse (const char *text, gsize len, int fd, const char *what, GHashTable *into,
       GHashTable *pfs, guint64 *generation, xmlNode **keep, GError **error)
{
  xmlSAXHandler sax;
  Reader r = { .what = what, .into = into, .pfs = pfs };
  g_autofree char *problem = NULL;
  gboolean ok;

  if (len > VFP_LEASES_MAX_SIZE)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("%s is larger than any lease store; it was not read and will not be overwritten."), what);
      return FALSE;
    }
  reader_init (&r, &sax);
  if (fd < 0)
    reader_feed_text (&r, text, len);
  else
    reader_feed_fd (&r, fd, what);
  problem = reader_problem (&r, what);
  reader_clear (&r);
  ok = problem == NULL && r.error == NULL;
  if (problem != NULL)
    g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                 _("%s; vfpool will not overwrite it. Move it aside and run 'vfpool audit --fix' to rebuild the leases."),
                 problem);
  else if (r.error != NULL)
    g_propagate_error (error, g_steal_pointer (&r.error));
  g_clear_error (&r.error);
  if (ok && generation != NULL)
    *generation = r.generation;
  if (ok && keep != NULL)
    *keep = g_steal_pointer (&r.keep_root);
  xmlFreeNode (r.keep_root);
  return ok;
}

/* Parses store text into INTO (vf -> lease) and, when GENERATION is not
 * NULL, the store's generation into it; when KEEP is not NULL, what the
 * store holds outside the leases that this vfpool does not know (an
 * xmlNode the caller frees, or NULL) into it. WHAT names it in errors. */
gboolean
vfp_state_parse (const char *text, gsize len, const char *what, GHashTable *into,
                 guint64 *generation, xmlNode **keep, GError **error)
{
  return parse (text, len, -1, what, into, NULL, generation, keep, error);
}

/* The same for the store FD holds, from where it stands, also reading
 * the PF identity records into PFS (pf -> VfpPfRecord*); the caller closes
 * FD. */
gboolean
vfp_state_parse_store_fd (int fd, const char *what, GHashTable *leases, GHashTable *pfs,
                          guint64 *generation, xmlNode **keep, GError **error)
{
  return parse (NULL, 0, fd, what, leases, pfs, generation, keep, error);
}
