#!/bin/sh
# What an operator does today, without vfpool, to give a guest a free VF:
# list the VFs of the pool's PFs, read every guest's XML to see which VFs
# are taken, pick the first free one and write the device XML for
# `virsh attach-device`. Only virsh and standard tools. bench-workflow
# times it against `vfpool attach GUEST --dry-run --print-xml`.
#
#   virsh-workflow.sh [--one-session] URI SYSFS_ROOT PF[,PF...] GUEST
#
# The VFs come from sysfs (SYSFS_ROOT/bus/pci/devices/PF/virtfnN), as in
# `ls -l /sys/bus/pci/devices/0000:10:00.0/ | grep virtfn`: the benchmark's
# libvirtd is a real one on this machine, whose node devices are this
# machine's, not the fake host's (and `virsh nodedev-list` fails on the
# test driver). Guests are read with one `virsh dumpxml` each, as the
# usual `for g in $(virsh list --all --name)` loop does; --one-session
# sends all those commands through one virsh process instead (the
# cheapest way to do the same with virsh). Prints the device XML; exits 1
# when no VF is free.
set -eu

one_session=
if [ "${1:-}" = --one-session ]; then
  one_session=1; shift
fi
if [ $# -ne 4 ]; then
  echo "usage: $0 [--one-session] URI SYSFS_ROOT PF[,PF...] GUEST" >&2
  exit 2
fi
uri=$1 sysfs=$2 pfs=$3 guest=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The guest must exist (as vfpool checks before choosing).
virsh -q -c "$uri" domuuid "$guest" > /dev/null

# 1. The pool's VFs in PF order, each PF's in virtfn order.
for pf in $(echo "$pfs" | tr ',' ' '); do
  ls -l "$sysfs/bus/pci/devices/$pf/" |
    awk '$(NF-2) ~ /^virtfn[0-9]+$/ { n = substr($(NF-2), 7); t = $NF; sub(/.*\//, "", t); print n, t }' |
    sort -n | cut -d' ' -f2
done > "$tmp/vfs"

# 2. The PCI addresses every guest's XML holds: <source><address .../>
#    of a <hostdev> or an <interface type='hostdev'>.
virsh -q -c "$uri" list --all --name | grep . > "$tmp/guests" || true
if [ -n "$one_session" ]; then
  sed 's/^/dumpxml /' "$tmp/guests" | virsh -q -c "$uri"
else
  while read -r g; do
    virsh -q -c "$uri" dumpxml "$g"
  done < "$tmp/guests"
fi | awk '
  /<hostdev / || /<interface type=.hostdev./ { dev = 1 }
  dev && /<source/ { src = 1 }
  dev && src && /<address / {
    d = b = s = f = ""
    for (i = 1; i <= NF; i++) {
      split($i, kv, "=")
      v = kv[2]; gsub(/[^0-9a-fA-Fx]/, "", v); sub(/^0x/, "", v)
      if (kv[1] == "domain") d = v
      else if (kv[1] == "bus") b = v
      else if (kv[1] == "slot") s = v
      else if (kv[1] == "function") f = v
    }
    if (d != "" && b != "" && s != "" && f != "") print d ":" b ":" s "." f
  }
  /<\/source>/ { src = 0 }
  /<\/hostdev>/ || /<\/interface>/ { dev = 0; src = 0 }' | sort -u > "$tmp/taken"

# 3. The first VF nobody holds, as device XML.
vf=$(grep -vxF -f "$tmp/taken" "$tmp/vfs" | head -n 1) || true
if [ -z "$vf" ]; then
  echo "no free VF on $pfs" >&2
  exit 1
fi
domain=${vf%%:*}; rest=${vf#*:}
bus=${rest%%:*}; rest=${rest#*:}
slot=${rest%%.*}; function=${rest#*.}
cat <<XML
<hostdev mode='subsystem' type='pci' managed='yes'>
  <source>
    <address domain='0x$domain' bus='0x$bus' slot='0x$slot' function='0x$function'/>
  </source>
</hostdev>
XML
