/* Aligned text tables. */
#include "config.h"

#include <stdio.h>

#include "vfp-table.h"
#include "vfp-text.h"

struct _VfpTable {
  guint columns;
  GPtrArray *rows;   /* owned: each a GStrv of `columns` cells */
};

/* The cells as printed: names and labels come from users and guests, so a
 * control character is shown escaped, never sent to the terminal (a
 * newline would forge a row, a CSI move the cursor). */
static GStrv
collect (const char *first, va_list ap)
{
  GPtrArray *cells = g_ptr_array_new ();
  const char *c;

  for (c = first; c != NULL; c = va_arg (ap, const char *))
    g_ptr_array_add (cells, vfp_text_printable (c));
  g_ptr_array_add (cells, NULL);
  return (GStrv) g_ptr_array_free (cells, FALSE);
}

/* A table with the given column headers (already translated). */
VfpTable *
vfp_table_new (const char *first_header, ...)
{
  VfpTable *t = g_new0 (VfpTable, 1);
  va_list ap;

  t->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  va_start (ap, first_header);
  g_ptr_array_add (t->rows, collect (first_header, ap));
  va_end (ap);
  t->columns = g_strv_length (t->rows->pdata[0]);
  return t;
}

/* Adds a row; it must have as many cells as there are headers. */
void
vfp_table_add_row (VfpTable *table, const char *first_cell, ...)
{
  va_list ap;
  GStrv row;

  va_start (ap, first_cell);
  row = collect (first_cell, ap);
  va_end (ap);
  g_return_if_fail (g_strv_length (row) == table->columns);
  g_ptr_array_add (table->rows, row);
}

/* Display width of UTF-8 text: wide (CJK) characters take two columns;
 * zero-width ones none: combining marks, joiners, and the vowels and
 * final consonants of Korean typed as conjoining jamo, which join the
 * initial's two columns. (Cells are printable by then: no controls.) */
static gsize
display_width (const char *s)
{
  gsize w = 0;

  for (; *s; s = g_utf8_next_char (s))
    {
      gunichar c = g_utf8_get_char (s);

      w += g_unichar_iszerowidth (c) ? 0 : g_unichar_iswide (c) ? 2 : 1;
    }
  return w;
}

void
vfp_table_print (VfpTable *table, FILE *out)
{
  g_autofree gsize *widths = g_new0 (gsize, table->columns);
  guint r, c;

  for (r = 0; r < table->rows->len; r++)
    for (c = 0; c < table->columns; c++)
      widths[c] = MAX (widths[c], display_width (((GStrv) table->rows->pdata[r])[c]));
  for (r = 0; r < table->rows->len; r++)
    {
      GStrv row = table->rows->pdata[r];

      for (c = 0; c < table->columns; c++)
        {
          fputs (row[c], out);
          if (c + 1 < table->columns)
            fprintf (out, "%*s", (int) (widths[c] - display_width (row[c]) + 2), "");
        }
      fputc ('\n', out);
    }
}

void
vfp_table_free (VfpTable *table)
{
  if (table == NULL)
    return;
  g_ptr_array_unref (table->rows);
  g_free (table);
}
