/* Helpers shared by the GTest programs: private temp dirs and test data. */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <unistd.h>

#include "test-util.h"

/* A new private directory under $TMPDIR; the caller removes and frees it. */
char *
test_make_tmpdir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("vfpool-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static int
remove_one (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  return remove (path);
}

/* rm -rf PATH, without following symlinks. */
void
test_remove_tree (const char *path)
{
  if (path != NULL)
    nftw (path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* tests/data/NAME in the source tree; the caller frees it. */
char *
test_data_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", name, NULL);
}

/* The contents of tests/data/NAME; the caller frees it. */
char *
test_read_data (const char *name)
{
  g_autofree char *path = test_data_path (name);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}
