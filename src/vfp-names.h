/* Names and limits that the hook's front door (hooks/vfpool-hook.c, which
 * links nothing but libc) shares with the rest of vfpool. No GLib here. */
#pragma once

/* vfpool's XML namespace for <metadata> in domain XML. */
#define VFP_METADATA_NS "http://vfpool.org/xmlns/vfpool/1"
#define VFP_METADATA_PREFIX "vfpool"
/* The user alias of every device vfpool gives a guest: ua-vfpool-N. */
#define VFP_ALIAS_PREFIX "ua-vfpool-"

/* Larger than any real domain or node-device XML by two orders of magnitude. */
#define VFP_XML_MAX_SIZE (8 * 1024 * 1024)
/* Larger than any lease store (a lease is about 200 bytes). */
#define VFP_LEASES_MAX_SIZE (64 * 1024 * 1024)
/* The lease store's file name in the state directory. */
#define VFP_LEASES_FILE "leases.xml"

/* In the state directory: held around each rewrite of a guest's vfpool
 * metadata (read the XML, change, write), which libvirt only offers whole. */
#define VFP_METADATA_LOCK "metadata.lock"
