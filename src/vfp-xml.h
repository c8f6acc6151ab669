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
char *vfp_xml_prop (xmlNode *node, const char *name);
char *vfp_xml_content (xmlNode *node);
xmlNode *vfp_xml_child (xmlNode *node, const char *name);
xmlNode *vfp_xml_next_child (xmlNode *parent, xmlNode *after, const char *name, const char *ns);
char *vfp_xml_stripped_or_null (char *s);
char *vfp_xml_child_text (xmlNode *node, const char *name);
char *vfp_xml_plain_prop (xmlNode *node, const char *attr);
char *vfp_xml_child_prop (xmlNode *node, const char *name, const char *attr);
gboolean vfp_xml_prop_is (xmlNode *node, const char *attr, const char *value);
char *vfp_xml_path_prop (xmlNode *node, const char *child, const char *grandchild,
                         gboolean first_only, const char *attr);
char *vfp_xml_xpath_string (xmlXPathContext *ctxt, xmlNode *node, const char *expr);
xmlXPathObject *vfp_xml_xpath_nodes (xmlXPathContext *ctxt, xmlNode *node,
                                     const char *expr);
