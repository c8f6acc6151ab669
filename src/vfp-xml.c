/* Safe XML reading: libxml2 with XML_PARSE_NONET and without entity
 * substitution or DTD loading, and documents with a DOCTYPE refused
 * outright: no libvirt XML has one, so one is an attack or an accident. */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpathInternals.h>

#include "vfp-error.h"
#include "vfp-i18n.h"
#include "vfp-xml.h"

/* Parses TEXT (LEN bytes, or NUL-terminated when LEN < 0). WHAT names the
 * input in errors ("node device pci_0000_05_10_2"). The caller frees the
 * document with xmlFreeDoc. */
xmlDoc *
vfp_xml_parse (const char *text, gssize len, const char *what, GError **error)
{
  g_autoptr (xmlParserCtxt) ctxt = NULL;
  xmlDoc *doc;
  gsize size = len < 0 ? strlen (text) : (gsize) len;

  if (size > VFP_XML_MAX_SIZE)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("The XML of %s is %lu bytes, more than the %d bytes vfpool accepts."),
                   what, (unsigned long) size, VFP_XML_MAX_SIZE);
      return NULL;
    }
  ctxt = xmlNewParserCtxt ();
  if (ctxt == NULL)
    g_error ("out of memory");
  doc = xmlCtxtReadMemory (ctxt, text, size, NULL, NULL,
                           XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING
                           | XML_PARSE_COMPACT);
  if (doc == NULL || xmlDocGetRootElement (doc) == NULL)
    {
      const xmlError *e = xmlCtxtGetLastError (ctxt);
      g_autofree char *msg = g_strdup (e && e->message ? e->message : _("empty document"));

      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("The XML of %s does not parse: line %d: %s"),
                   what, e ? e->line : 0, g_strstrip (msg));
      xmlFreeDoc (doc);
      return NULL;
    }
  if (doc->intSubset != NULL || doc->extSubset != NULL)
    {
      g_set_error (error, VFP_ERROR, VFP_ERROR_INVALID,
                   _("The XML of %s has a DOCTYPE; vfpool refuses DTDs and entities."),
                   what);
      xmlFreeDoc (doc);
      return NULL;
    }
  return doc;
}

/* Whether HAVE (an element's or attribute's namespace) is NS; a NULL NS
 * means none. */
static gboolean
in_ns (const xmlNs *have, const char *ns)
{
  if (ns == NULL)
    return have == NULL;
  return have != NULL && have->href != NULL && strcmp ((const char *) have->href, ns) == 0;
}

/* Attribute NAME in namespace NS (NULL: none, as XPath's @NAME) of NODE as
 * a GLib string, or NULL; the caller frees it. */
char *
vfp_xml_prop (xmlNode *node, const char *name, const char *ns)
{
  g_autoptr (VfpXmlChar) v = NULL;
  xmlAttr *a;

  if (node == NULL)
    return NULL;
  /* The usual attribute is one text node: copy it once instead of twice
   * (a domain with hundreds of devices has thousands of attributes).
   * Anything else goes through libxml2, which finds the same attribute. */
  for (a = node->properties; a != NULL; a = a->next)
    if (strcmp ((const char *) a->name, name) == 0 && in_ns (a->ns, ns))
      {
        if (a->children == NULL)
          return g_strdup ("");
        if (a->children->next == NULL && a->children->type == XML_TEXT_NODE && a->children->content)
          return g_strdup ((const char *) a->children->content);
        break;
      }
  if (a == NULL)
    return NULL;
  v = ns ? xmlGetNsProp (node, (const xmlChar *) name, (const xmlChar *) ns)
         : xmlGetNoNsProp (node, (const xmlChar *) name);
  return v ? g_strdup ((const char *) v) : NULL;
}

/* Text content of NODE, stripped, or NULL; the caller frees it. */
static char *
content (xmlNode *node)
{
  g_autoptr (VfpXmlChar) v = node ? xmlNodeGetContent (node) : NULL;

  return v ? g_strstrip (g_strdup ((const char *) v)) : NULL;
}

/* The first element child of PARENT called NAME in namespace NS (NULL:
 * none), or NULL. */
xmlNode *
vfp_xml_child (xmlNode *parent, const char *name, const char *ns)
{
  return vfp_xml_next_child (parent, NULL, name, ns);
}

/* The element child of PARENT called NAME in namespace NS (NULL: none, as
 * an unprefixed name in XPath) that follows AFTER (the first when AFTER is
 * NULL), or NULL. Walking the tree instead of evaluating XPath keeps
 * libxml2's XPath engine (0.13 MB of code) out of the commands that read
 * thousands of domains. */
xmlNode *
vfp_xml_next_child (xmlNode *parent, xmlNode *after, const char *name, const char *ns)
{
  xmlNode *c;

  for (c = after ? after->next : parent ? parent->children : NULL; c != NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE && strcmp ((const char *) c->name, name) == 0 && in_ns (c->ns, ns))
      return c;
  return NULL;
}

/* S stripped, or NULL (and S freed) when nothing is left. */
char *
vfp_xml_stripped_or_null (char *s)
{
  if (s != NULL && *g_strstrip (s) == '\0')
    g_clear_pointer (&s, g_free);
  return s;
}

/* The text of NODE's first child called NAME, stripped; NULL when there is
 * none or it is empty (XPath "string(NAME)"). */
char *
vfp_xml_child_text (xmlNode *node, const char *name)
{
  return vfp_xml_stripped_or_null (content (vfp_xml_child (node, name, NULL)));
}

/* Attribute ATTR of the first child of NODE called NAME that has it,
 * stripped; NULL when none has it or it is empty (XPath
 * "string(NAME/@ATTR)"). */
char *
vfp_xml_child_prop (xmlNode *node, const char *name, const char *attr)
{
  xmlNode *c = NULL;

  while ((c = vfp_xml_next_child (node, c, name, NULL)) != NULL)
    {
      char *v = vfp_xml_prop (c, attr, NULL);

      if (v != NULL)
        return vfp_xml_stripped_or_null (v);
    }
  return NULL;
}

/* XPath "string(CHILD/GRANDCHILD/@ATTR)", or with FIRST_ONLY
 * "string(CHILD/GRANDCHILD[1]/@ATTR)": the attribute of the first such
 * element that has it, stripped; NULL when none has it or it is empty. */
char *
vfp_xml_path_prop (xmlNode *node, const char *child, const char *grandchild,
                   gboolean first_only, const char *attr)
{
  xmlNode *c = NULL, *g;

  while ((c = vfp_xml_next_child (node, c, child, NULL)) != NULL)
    for (g = NULL; (g = vfp_xml_next_child (c, g, grandchild, NULL)) != NULL;)
      {
        char *v = vfp_xml_prop (g, attr, NULL);

        if (v != NULL)
          return vfp_xml_stripped_or_null (v);
        if (first_only)
          break;
      }
  return NULL;
}

/* Whether attribute ATTR of NODE is exactly VALUE (XPath "[@ATTR='VALUE']"). */
gboolean
vfp_xml_prop_is (xmlNode *node, const char *attr, const char *value)
{
  g_autofree char *v = vfp_xml_prop (node, attr, NULL);

  return v != NULL && strcmp (v, value) == 0;
}

/* Evaluates EXPR relative to NODE; NULL when it selects nothing. */
xmlXPathObject *
vfp_xml_xpath_nodes (xmlXPathContext *ctxt, xmlNode *node, const char *expr)
{
  xmlXPathObject *obj;

  ctxt->node = node;
  obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctxt);
  if (obj == NULL || obj->type != XPATH_NODESET || obj->nodesetval == NULL
      || obj->nodesetval->nodeNr == 0)
    {
      xmlXPathFreeObject (obj);
      return NULL;
    }
  return obj;
}

/* The string value of EXPR relative to NODE, stripped; NULL when empty. */
char *
vfp_xml_xpath_string (xmlXPathContext *ctxt, xmlNode *node, const char *expr)
{
  g_autoptr (xmlXPathObject) obj = NULL;
  char *s;

  ctxt->node = node;
  obj = xmlXPathEvalExpression ((const xmlChar *) expr, ctxt);
  if (obj == NULL || obj->type != XPATH_STRING || obj->stringval == NULL)
    {
      g_autoptr (VfpXmlChar) str = obj ? xmlXPathCastToString (obj) : NULL;

      if (str == NULL || *str == '\0')
        return NULL;
      return g_strstrip (g_strdup ((const char *) str));
    }
  s = g_strstrip (g_strdup ((const char *) obj->stringval));
  if (*s == '\0')
    {
      g_free (s);
      return NULL;
    }
  return s;
}
