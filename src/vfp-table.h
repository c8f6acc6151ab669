/* Aligned text tables for the commands' human output; widths count display
 * columns, so Chinese headers line up too. */
#pragma once

#include <glib.h>

typedef struct _VfpTable VfpTable;

VfpTable *vfp_table_new (const char *first_header, ...) G_GNUC_NULL_TERMINATED;
void vfp_table_add_row (VfpTable *table, const char *first_cell, ...) G_GNUC_NULL_TERMINATED;
void vfp_table_print (VfpTable *table, FILE *out);
void vfp_table_free (VfpTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VfpTable, vfp_table_free)
