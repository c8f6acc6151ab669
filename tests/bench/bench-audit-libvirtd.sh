#!/bin/sh
# The audit against a real libvirtd, as on a production host: the 1x host of
# bench-audit (16 PFs x 256 VFs, 2000 guests of which 1500 hold a VF, the
# store to match) with its guests defined in a private libvirtd (QEMU
# driver, guests shut off), so that vfpool's own time and memory are
# measured, not those of libvirt's in-process test driver. Needs root,
# libvirtd and qemu-system-x86_64; says so and exits 0 otherwise.
#
#   VFPOOL=src/vfpool BENCH_AUDIT=tests/bench/bench-audit \
#   SUBREAPER=tests/integration/subreaper sh tests/bench/bench-audit-libvirtd.sh [RUNS]
set -u
runs=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" != 0 ] || ! command -v libvirtd > /dev/null || ! command -v qemu-system-x86_64 > /dev/null; then
  echo "| audit against a private libvirtd | skipped: needs root, libvirtd and qemu-system-x86_64 | |"
  exit 0
fi
. "$here/../integration/libvirtd.sh"

kept=$(BENCH_SUMMARY= BENCH_KEEP=1 "$BENCH_AUDIT" 1 1 2>&1 >/dev/null | sed -n 's/^kept 1x: //p')
hostdir=$(echo "$kept" | sed -n 's/.*--config \([^ ]*\)\/vfpool.conf.*/\1/p')
[ -d "$hostdir" ] || { echo "bench-audit-libvirtd: bench-audit kept no host" >&2; exit 1; }
lv=$(mktemp -d)
trap 'libvirtd_stop "$lv"; rm -rf "$lv" "$hostdir"' EXIT
libvirtd_start "$lv" vfpool-bench 49700 || { echo "bench-audit-libvirtd: libvirtd did not start" >&2; exit 1; }

# The test driver's guests, made QEMU guests; one virsh session defines all.
mkdir -p "$lv/guests"
sed -n 's/^<domain type=.test.>/<domain type="qemu">/p' "$hostdir/host.xml" \
  | sed 's|<os><type>hvm</type></os>|<os><type arch="x86_64" machine="pc">hvm</type></os>|' \
  | awk -v d="$lv/guests" '{ f = d "/" NR ".xml"; print > f; close (f); print "define " f }' \
  > "$lv/define.cmds"
t0=$(date +%s)
virsh -q -c "$LIBVIRTD_URI" < "$lv/define.cmds" > /dev/null 2> "$lv/define.err"
n=$(virsh -q -c "$LIBVIRTD_URI" list --all --name | grep -c .)
echo "defined $n guests in $(( $(date +%s) - t0 )) s" >&2

set -- "$VFPOOL" -q --config "$hostdir/vfpool.conf" --sysfs-root "$hostdir/sys" -c "$LIBVIRTD_URI" audit
# median of RUNS of "/usr/bin/time -f '%e %M' CMD": "seconds kilobytes"
median_time () {
  i=0
  while [ $i -lt "$runs" ]; do
    /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1
    i=$((i + 1))
  done | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}
floor=$(median_time virsh -q -c "$LIBVIRTD_URI" list --all)
whole=$(median_time "$@")
findings=$("$@" --json | jq '.findings | length')
echo "| audit of 4096 VFs, $n guests, private libvirtd (median of $runs) | $(echo "$whole" | cut -d' ' -f1) s | peak RSS $(( $(echo "$whole" | cut -d' ' -f2) / 1024 )) MB, $findings findings |"
echo "| \`virsh list --all\` on the same daemon (the floor) | $(echo "$floor" | cut -d' ' -f1) s | |"
if [ -n "${BENCH_SUMMARY:-}" ]; then
  printf 'audit, 1x against a private libvirtd (%s guests)\t%s s, peak RSS %s MB, %s findings\t<= 1 s\t%s\n' \
    "$n" "$(echo "$whole" | cut -d' ' -f1)" "$(( $(echo "$whole" | cut -d' ' -f2) / 1024 ))" "$findings" \
    "$(echo "$whole" | awk '{ print ($1 <= 1.0) ? "yes" : "no" }')" >> "$BENCH_SUMMARY"
fi
