/* Helpers shared by the GTest programs. */
#pragma once

#include <glib.h>

char *test_make_tmpdir (void);
void test_remove_tree (const char *path);
char *test_data_path (const char *name);
char *test_read_data (const char *name);

int test_listen_local (guint *port);
gboolean test_was_contacted (int listener);
char *test_fetching_xml (const char *root, guint port);
