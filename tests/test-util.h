/* Helpers shared by the GTest programs. */
#pragma once

#include <glib.h>

char *test_make_tmpdir (void);
void test_remove_tree (const char *path);
char *test_data_path (const char *name);
char *test_read_data (const char *name);
