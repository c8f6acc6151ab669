/* The large host of the benchmarks: N_PFS PFs x 256 VFs in one pool, guests
 * of which some hold one VF each, and the lease store and vfpool metadata
 * to match, so an audit of it is clean and walks every path. */
#pragma once

#include <glib.h>

typedef struct {
  char *dir;             /* owned: where it all lives */
  char *sysfs_root;      /* owned: DIR/sys */
  char *conf;            /* owned: vfpool.conf with one pool "big" */
  char *state_dir;       /* owned */
  char *host_xml;        /* owned: libvirt test-driver host file with the guests */
  char *uri;             /* owned: test://HOST_XML */
  int n_pfs, vfs_per_pf, n_guests, n_holding;
  GPtrArray *pfs;        /* owned: PF addresses, "0000:10:00.0" */
  GHashTable *held;      /* owned: VF address -> name of the guest holding it */
} BenchHost;

#define BENCH_HOST_VFS_PER_PF 256

BenchHost *bench_host_build (const char *dir, int n_pfs, int n_guests, int n_holding);
void bench_host_set_guests (BenchHost *host, int n_guests, int n_holding);
char *bench_host_guest_name (int i);
char *bench_host_guest_xml (const BenchHost *host, int i, gboolean qemu);
GPtrArray *bench_host_vfpool_args (const BenchHost *host);
gboolean bench_host_is_pool_vf (const BenchHost *host, const char *address);
void bench_host_free (BenchHost *host);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BenchHost, bench_host_free)
