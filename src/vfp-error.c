/* The vfpool error domain. */
#include "config.h"

#include "vfp-error.h"

G_DEFINE_QUARK (vfpool-error-quark, vfp_error)
