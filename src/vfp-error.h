/* The one error domain of vfpool. */
#pragma once

#include <glib.h>

#define VFP_ERROR (vfp_error_quark ())

typedef enum {
  VFP_ERROR_FAILED,        /* anything without a better code */
  VFP_ERROR_INVALID,       /* malformed input: address, XML, option value */
  VFP_ERROR_NOT_FOUND,     /* no such PF, VF, guest or file */
  VFP_ERROR_IO,            /* reading or writing a file failed */
  VFP_ERROR_LIBVIRT,       /* libvirt said no */
  VFP_ERROR_UNSAFE,        /* refused for safety: permissions, symlinks */
  VFP_ERROR_MOVED,         /* a lease is not what the caller expected: another
                            * process changed it meanwhile */
  VFP_ERROR_QUARANTINED,   /* a VF was not freed but quarantined (its scrub failed) */
} VfpError;

GQuark vfp_error_quark (void);
