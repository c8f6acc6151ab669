/* Helpers shared by the GTest programs: private temp dirs and test data. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
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

/* A TCP listener on 127.0.0.1 that nobody should contact, non-blocking;
 * its port in PORT. The caller closes it. */
int
test_listen_local (guint *port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (bind (fd, (struct sockaddr *) &sa, sizeof sa), ==, 0);
  g_assert_cmpint (listen (fd, 16), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &sa, &len), ==, 0);
  *port = ntohs (sa.sin_port);
  return fd;
}

/* Whether anything connected to LISTENER: the kernel queues a connection
 * whether or not it is accepted, so an empty queue proves nobody came. */
gboolean
test_was_contacted (int listener)
{
  int fd = accept (listener, NULL, NULL);

  if (fd < 0)
    {
      g_assert_true (errno == EAGAIN || errno == EWOULDBLOCK);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

/* A document with ROOT as its root element that asks a parser to fetch
 * from 127.0.0.1:PORT in every way XML offers: an external DTD, an external
 * entity, a parameter entity and an XInclude. The caller frees it. */
char *
test_fetching_xml (const char *root, guint port)
{
  return g_strdup_printf ("<?xml version='1.0'?>"
                          "<!DOCTYPE %s SYSTEM 'http://127.0.0.1:%u/dtd' ["
                          "<!ENTITY x SYSTEM 'http://127.0.0.1:%u/entity'>"
                          "<!ENTITY %% p SYSTEM 'http://127.0.0.1:%u/parameter'> %%p;]>"
                          "<%s xmlns:xi='http://www.w3.org/2001/XInclude'>&x;"
                          "<xi:include href='http://127.0.0.1:%u/xinclude'/></%s>",
                          root, port, port, port, root, port, root);
}
