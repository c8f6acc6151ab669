#!/bin/sh
# The README's first command ends here: the bundled demo host (an Intel
# 82599 and a Mellanox ConnectX-4 Lx as a fake sysfs tree, one pool over
# both), a private libvirtd with a shut-off guest MyGuest, and vfpool doing
# its main job on them. Needs root for the private libvirtd; without it the
# libvirt part is left out with a note.
set -u
: "${top_srcdir:?}" "${VFPOOL:?}" "${MKHOST:?}" "${SUBREAPER:?}"
. "$top_srcdir/tests/integration/libvirtd.sh"

host=$("$MKHOST" --with-libvirt) || exit 1
root=$(echo "$host" | sed -n 1p)
conf=$(echo "$host" | sed -n 3p)
lv=$(mktemp -d)
trap 'libvirtd_stop "$lv"; rm -rf "$lv" "$(dirname "$root")"' EXIT

show () {
  echo "\$ vfpool $*"
  "$VFPOOL" --config "$conf" --sysfs-root "$root" --template-dir "$top_srcdir/xml-templates" ${uri:+-c "$uri"} "$@"
  rc=$?
  echo
  return $rc
}

echo "The demo host, built in $root, with this configuration:"
sed 's/^/    /' "$conf"
echo
show status || exit 1
show check || exit 1
show pf show 0000:05:00.0 || exit 1
show reserve --owner dpdk-demo --count 2 || exit 1

uri=
if [ "$(id -u)" = 0 ] && command -v libvirtd > /dev/null && libvirtd_start "$lv" vfpool-demo 49500 \
   && libvirtd_define_guest MyGuest; then
  uri=$LIBVIRTD_URI
  echo "A private libvirtd runs at $uri with the shut-off guest MyGuest."
  echo
  show attach MyGuest || exit 1
  show list || exit 1
  echo "\$ virsh dumpxml --inactive MyGuest   (the device vfpool added)"
  virsh -q -c "$uri" dumpxml --inactive MyGuest | sed -n "/<interface type='hostdev'/,/<\/interface>/p"
  echo
  show detach MyGuest --all || exit 1
  show status || exit 1
else
  echo "(The libvirt part of the demo needs root and libvirtd: build-aux/setup-debian installs it.)"
  show list || exit 1
fi
