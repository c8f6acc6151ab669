#!/bin/sh
# fetch-qemu10.sh: QEMU 10 from Debian's bookworm-backports, unpacked into
# the lab cache and never installed system-wide. Only the NIC lab's L0 runs
# it: Debian 12's QEMU 7.2 has no SR-IOV NIC, QEMU 10's -device igb is an
# Intel 82576 PF with SR-IOV. Inside L1, the host's libvirt 9.0 and QEMU 7.2
# (over 9p) stay the product's target.
#
# Usage: fetch-qemu10.sh CACHE-DIR
# Prints the unpacked prefix (CACHE-DIR/qemu-VERSION) on stdout; run its
# qemu-system-x86_64 with QEMU_MODULE_DIR=PREFIX/usr/lib/x86_64-linux-gnu/qemu
# and -L PREFIX/usr/share/seabios -L PREFIX/usr/share/qemu.
# The mirror is the one of the machine's own apt sources; apt-get runs with
# its own sources list, package lists and cache (under a mktemp directory),
# so the system's apt state is left alone. Without network, the newest
# prefix already unpacked in CACHE-DIR is used.
set -eu

cache=${1:?usage: fetch-qemu10.sh CACHE-DIR}
mkdir -p "$cache"
say () { printf '# %s\n' "$*" >&2; }

# cached: the newest qemu-10.* prefix unpacked completely, if any.
cached () {
  for d in $(ls -d "$cache"/qemu-10.* 2> /dev/null | sort -V -r); do
    [ -f "$d/.unpacked" ] && [ -x "$d/usr/bin/qemu-system-x86_64" ] && { echo "$d"; return 0; }
  done
  return 1
}

mirror=
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources | grep -v security | head -n 1)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
  mirror=$(sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\2/p' /etc/apt/sources.list | grep -v security | head -n 1)
fi
if [ -z "$mirror" ]; then
  cached && exit 0
  echo "fetch-qemu10.sh: no Debian mirror in the apt sources and no QEMU 10 in $cache" >&2
  exit 1
fi

w=$(mktemp -d "${TMPDIR:-/tmp}/vfpool-qemu10.XXXXXX")
trap 'rm -rf "$w"' EXIT
trap 'exit 1' INT TERM HUP
mkdir -p "$w/lists/partial" "$w/cache/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [ -r "$keyring" ]; then
  echo "deb [signed-by=$keyring] $mirror bookworm-backports main" > "$w/sources.list"
else
  echo "deb $mirror bookworm-backports main" > "$w/sources.list"
fi
# apt_ ARGS...: apt-get / apt-cache against the private sources and lists.
apt_ () {
  tool=$1; shift
  "$tool" -o Dir::Etc::sourcelist="$w/sources.list" -o Dir::Etc::sourceparts=/dev/null \
    -o Dir::State::Lists="$w/lists" -o Dir::Cache="$w/cache" "$@"
}
if ! apt_ apt-get update -qq > "$w/update.log" 2>&1; then
  cached && exit 0
  cat "$w/update.log" >&2
  echo "fetch-qemu10.sh: apt-get update of bookworm-backports failed and no QEMU 10 in $cache" >&2
  exit 1
fi
v=$(apt_ apt-cache madison qemu-system-x86 | awk '/backports/ { print $3; exit }')
s=$(apt_ apt-cache madison seabios | awk '/backports/ { print $3; exit }')
case $v in
  [0-9]:10.*|10.*) ;;
  *) cached && exit 0
     echo "fetch-qemu10.sh: bookworm-backports has no QEMU 10 (qemu-system-x86 '${v:-none}')" >&2
     exit 1 ;;
esac
[ -n "$s" ] || s=$(apt_ apt-cache madison seabios | awk '{ print $3; exit }')
# The directory name: the upstream version without epoch and Debian revision.
up=${v#*:}; up=${up%%[-+~]*}
d=$cache/qemu-$up
if [ -f "$d/.unpacked" ] && [ -x "$d/usr/bin/qemu-system-x86_64" ]; then
  echo "$d"; exit 0
fi
say "fetching qemu-system-x86 $v and seabios $s from bookworm-backports into $d"
(cd "$w" && apt_ apt-get download -qq qemu-system-x86="$v" qemu-system-common="$v" \
  qemu-system-data="$v" seabios="$s") > "$w/download.log" 2>&1 \
  || { cat "$w/download.log" >&2; echo "fetch-qemu10.sh: apt-get download failed" >&2; exit 1; }
rm -rf "$d"
mkdir -p "$d"
for f in "$w"/*.deb; do dpkg-deb -x "$f" "$d"; done
# It must run with the host's libraries: a missing one shows here, not in L1.
# Not "-device help": that loads every module, and the GL ones (packaged
# apart) would be found in the host's QEMU 7.2 module directory.
QEMU_MODULE_DIR=$d/usr/lib/x86_64-linux-gnu/qemu "$d/usr/bin/qemu-system-x86_64" -device igb,help \
  > "$w/igb.txt" 2>&1 || { cat "$w/igb.txt" >&2; echo "fetch-qemu10.sh: $d/usr/bin/qemu-system-x86_64 -device igb does not run here" >&2; exit 1; }
touch "$d/.unpacked"
echo "$d"
