/* Writing the lease store: the XML vfp-state-read.c reads, streamed into
 * a new file that then replaces leases.xml. */
#pragma once

#include <glib.h>
#include <libxml/xmlwriter.h>

void vfp_state_write_xml (xmlTextWriter *w, GPtrArray *leases, GPtrArray *pfs,
                          const xmlNode *keep, guint64 generation);
gboolean vfp_state_write_file (int dir_fd, const char *dir, GPtrArray *leases,
                               GPtrArray *pfs, const xmlNode *keep, guint64 generation,
                               GError **error);
