/* Safe XML reading shared by every parser in vfpool: no network, no
 * entities, no DTDs, bounded size; errors name what was being read. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "vfp-autocleanups.h"
#include "vfp-names.h"

xmlDoc *vfp_xml_parse (const char *text, gssize len, const char *what,
                       GError **error);
/* One namespace rule for every lookup: a name matches only in the
 * namespace NS that is asked for, NULL meaning no namespace (as an
 * unprefixed name in XPath). libvirt writes its domain and node-device XML
 * without a namespace and keeps vfpool's metadata in VFP_METADATA_NS; the
 * XPath-shaped helpers (child_text, child_prop, path_prop, prop_is) read
 * libvirt's own markup and so look for names without a namespace, as the
 * unprefixed names in an expression for xpath_string/xpath_nodes do. (The
 * lease store has its own SAX reader, vfp-state-read.c.) */
xmlNode *vfp_xml_child (xmlNode *parent, const char *name, const char *ns);
xmlNode *vfp_xml_next_child (xmlNode *parent, xmlNode *after, const char *name, const char *ns);
char *vfp_xml_prop (xmlNode *node, const char *name, const char *ns);
char *vfp_xml_stripped_or_null (char *s);
char *vfp_xml_child_text (xmlNode *node, const char *name);
char *vfp_xml_child_prop (xmlNode *node, const char *name, const char *attr);
gboolean vfp_xml_prop_is (xmlNode *node, const char *attr, const char *value);
char *vfp_xml_path_prop (xmlNode *node, const char *child, const char *grandchild,
                         gboolean first_only, const char *attr);
char *vfp_xml_xpath_string (xmlXPathContext *ctxt, xmlNode *node, const char *expr);
xmlXPathObject *vfp_xml_xpath_nodes (xmlXPathContext *ctxt, xmlNode *node,
                                     const char *expr);
