/* Safe XML reading shared by every parser in vfpool: no network, no
 * entities, no DTDs, bounded size; errors name what was being read. */
#pragma once

#include <glib.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "vfp-autocleanups.h"

/* Larger than any real domain or node-device XML by two orders of magnitude. */
#define VFP_XML_MAX_SIZE (8 * 1024 * 1024)

xmlDoc *vfp_xml_parse (const char *text, gssize len, const char *what,
                       GError **error);
char *vfp_xml_prop (xmlNode *node, const char *name);
char *vfp_xml_content (xmlNode *node);
xmlNode *vfp_xml_child (xmlNode *node, const char *name);
char *vfp_xml_xpath_string (xmlXPathContext *ctxt, xmlNode *node, const char *expr);
xmlXPathObject *vfp_xml_xpath_nodes (xmlXPathContext *ctxt, xmlNode *node,
                                     const char *expr);
