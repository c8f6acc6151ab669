/* Host descriptions for libvirt's test driver (test:///PATH), written with
 * the libxml2 tree API from the same table as the fake sysfs tree. */
#pragma once

#include <glib.h>

#include "fake-sysfs.h"

gboolean fake_libvirt_write_host (const char *path, const FakePciFunction *functions,
                                  gsize n_functions, gboolean skip_last_vf,
                                  GError **error);
char *fake_libvirt_uri (const char *path);
