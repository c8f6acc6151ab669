#!/bin/sh
# Attach and detach against a private real libvirtd (QEMU driver, TCG
# guests): the real attach failure path (no VFIO here: libvirt answers
# "host doesn't support passthrough") and its rollback, persistent attach,
# metadata, detach, failover XML, and an attach killed half-way.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/libvirtd.sh"

libvirtd_require

lv=$(mktemp -d)
host=$("$MKHOST" --with-libvirt) || { echo "Bail out! cannot build the demo host"; exit 1; }
root=$(echo "$host" | sed -n 1p)
conf=$(echo "$host" | sed -n 3p)
state=$(dirname "$root")/state
trap 'libvirtd_stop "$lv"; rm -rf "$lv" "$(dirname "$root")" "$tap_tmp"' EXIT
libvirtd_start "$lv" || { echo "Bail out! the private libvirtd did not start"; exit 1; }
libvirtd_define_guest g1 start || { echo "Bail out! cannot start a TCG guest"; exit 1; }
libvirtd_define_guest g2 || { echo "Bail out! cannot define a guest"; exit 1; }
V () { "$VFPOOL" -c "$LIBVIRTD_URI" --config "$conf" --sysfs-root "$root" \
         --template-dir "$top_srcdir/xml-templates" "$@"; }
xml () { virsh -q -c "$LIBVIRTD_URI" dumpxml "$@"; }
leases () { V list --json | jq -c '[.[] | select(.state != "free") | [.address, .state, .owner]]'; }

run V attach g1
check "a live attach without VFIO fails" equals "$run_rc" 1
check "with libvirt's reason" contains "$run_err" "host doesn't support passthrough"
check "and says what vfpool did" contains "$run_err" "vfpool released the reserved VFs"
check "the VF is free again" equals "$(leases)" "[]"
check "the guest's definition is unchanged" equals "$(xml --inactive g1 | grep -c 'ua-vfpool')" 0
check "the running guest is unchanged" equals "$(xml g1 | grep -c 'ua-vfpool')" 0

run V attach g1 --config
check "attach --config succeeds" equals "$run_rc" 0
check "and reports the alias" contains "$run_out" "VF 0000:05:10.0 attached to g1 as ua-vfpool-0"
check "the lease is attached to g1" equals "$(leases)" '[["0000:05:10.0","attached","g1"]]'
check "the definition holds the VF as a hostdev interface" \
  contains "$(xml --inactive g1 | tr -d '\n' | sed 's/  */ /g')" \
  "<interface type='hostdev' managed='yes'> <mac address="
check "with the VF's address" contains "$(xml --inactive g1)" "bus='0x05' slot='0x10' function='0x0'"
check "and the pool's VLAN" contains "$(xml --inactive g1)" "<tag id='100'/>"
check "vfpool's metadata is in the guest" \
  contains "$(virsh -q -c "$LIBVIRTD_URI" metadata g1 http://vfpool.org/xmlns/vfpool/1 --config)" \
  'alias="ua-vfpool-0" pool="physnet1" address="0000:05:10.0"'
check "the lease records the MAC libvirt chose" equals \
  "$(V list --json | jq -r '.[] | select(.address == "0000:05:10.0") | .mac')" \
  "$(xml --inactive g1 | sed -n "s/.*<mac address='\([^']*\)'.*/\1/p" | grep -v 52:54:00:aa:00:01)"

run V attach g1 --config --mac 52:54:00:12:34:56 --vlan 200 --json
check "a second VF goes to the other PF (spread)" equals "$(echo "$run_out" | jq -c '.vfs[0] | [.address, .alias, .mac, .vlan]')" \
  '["0000:81:00.2","ua-vfpool-1","52:54:00:12:34:56",200]'
check "with the MAC and VLAN asked for" contains "$(xml --inactive g1)" "<mac address='52:54:00:12:34:56'/>"

run V attach g1 --live
check "a live attach fails again" equals "$run_rc" 1
check "and leaves the leases as they were" equals "$(leases)" \
  '[["0000:05:10.0","attached","g1"],["0000:81:00.2","attached","g1"]]'

run V attach g2
check "a shut-off guest gets a persistent attach by default" equals "$run_rc" 0
check "g2 holds a VF" contains "$(leases)" '"attached","g2"]'

check "the shut-off guest's definition has the device and metadata" equals \
  "$(virsh -q -c "$LIBVIRTD_URI" metadata g2 http://vfpool.org/xmlns/vfpool/1 --config | grep -c 'alias="ua-vfpool-0"')" 1

# VF settings libvirt does not apply go through the PF's driver over
# netlink before libvirt sees the VF. The demo host's PF netdevs do not
# exist in this machine's kernel: the real refusal, and the rollback.
before=$(leases)
defs=$(xml --inactive g1 | grep -c 'ua-vfpool')
run V attach g1 --config --trust on --max-tx-rate 100
check "attach --trust on a PF the kernel does not have fails" equals "$run_rc" 1
check "naming the PF's netdev" contains "$run_err" "no network interface 'enp"
check "and what vfpool did" contains "$run_err" "as 'ip link' shows it. Nothing was attached and the reservation was released."
check "the leases are as they were" equals "$(leases)" "$before"
check "the definition is as it was" equals "$(xml --inactive g1 | grep -c 'ua-vfpool')" "$defs"
run V attach g1 --config --trust maybe
check "a bad --trust is a usage error" equals "$run_rc" 2
check "naming the option and the value" contains "$run_err" "--trust: 'maybe' is not on or off"
run V attach g1 --config --max-tx-rate 100 --min-tx-rate 200
check "--min-tx-rate above --max-tx-rate is a usage error" equals "$run_rc" 2
check "that says so" contains "$run_err" "min-tx-rate 200 is above max-tx-rate 100"
run V attach g1 --config --spoofchk off --dry-run
check "a dry run with VF settings touches no PF" equals "$run_rc" 0
check "and changes nothing" equals "$(leases)" "$before"

uuid1=$(virsh -q -c "$LIBVIRTD_URI" domuuid g1)
id1=$(virsh -q -c "$LIBVIRTD_URI" domid g1)
run V attach "$uuid1" --config --dry-run
check "a guest by UUID" equals "$run_rc" 0
run V attach "$id1" --config --dry-run
check "a guest by id" equals "$run_rc" 0

run V attach nosuch
check "an unknown guest exits 1" equals "$run_rc" 1
check "and says so" contains "$run_err" "There is no guest 'nosuch'"

run V attach g1 --config --failover-of ua-net9
check "failover of a missing interface is refused" equals "$run_rc" 1
check "naming it" contains "$run_err" "'ua-net9'"
run V attach g1 --config --failover-of ua-net0 --json
check "failover: the VF takes the virtio-net's MAC" equals "$(echo "$run_out" | jq -r '.vfs[0].mac')" 52:54:00:aa:00:01
check "failover: teaming transient, persistent=ua-net0" contains "$(xml --inactive g1)" \
  "<teaming type='transient' persistent='ua-net0'/>"
failover_vf=$(echo "$run_out" | jq -r '.vfs[0].address')

run V detach g1 0000:05:10.0
check "detach of one VF (persistent)" equals "$run_rc" 0
check "frees it" equals "$(V list --json | jq -r '.[] | select(.address == "0000:05:10.0") | .state')" free
check "removes it from the definition" equals "$(xml --inactive g1 | grep -c "ua-vfpool-0'")" 0
check "and from the metadata, keeping the others" equals \
  "$(virsh -q -c "$LIBVIRTD_URI" metadata g1 http://vfpool.org/xmlns/vfpool/1 --config | grep -o 'alias="[^"]*"' | tr '\n' ' ')" \
  'alias="ua-vfpool-1" alias="ua-vfpool-2" '

run V detach g1 --all --json
check "detach --all" equals "$(echo "$run_out" | jq -c '[.[].state]')" '["free","free"]'
check "g1 holds nothing" equals "$(leases)" '[["0000:05:10.2","attached","g2"]]'
check "g1's definition has no vfpool device" equals "$(xml --inactive g1 | grep -c 'ua-vfpool')" 0

run V detach g1 --all
check "detach of a guest without VFs exits 1" equals "$run_rc" 1

# An attach killed after libvirt took the device but before the lease said
# so: the lease is reserved, its process dead. The next allocation asks
# libvirt and adopts it instead of handing the VF out again.
g2vf=0000:05:10.2
sed -i "s|state=\"attached\"\(.*\)>|state=\"reserved\"\1><reservation pid=\"999999\" start=\"1\" expires=\"$(( $(date +%s) + 300 ))\"/>|" "$state/leases.xml"
check "(planted: g2's lease is an interrupted attach)" contains "$(cat "$state/leases.xml")" 'pid="999999"'
run V attach g1 --config
check "the next attach adopts the VF g2 really has" contains "$run_err" "VF $g2vf is in guest g2 although the attaching process is gone"
check "g2 still holds it, attached" contains "$(leases)" "[\"$g2vf\",\"attached\",\"g2\"]"
g1vf=$(V list --json | jq -r '[.[] | select(.owner == "g1") | .address] | .[0]')
check "g1 got another VF ($g1vf)" test -n "$g1vf" -a "$g1vf" != null -a "$g1vf" != "$g2vf"
# An interrupted attach that libvirt never saw is simply freed.
run V detach g1 --all
sed -i "s|\(vf=\"$g2vf\".*\)state=\"attached\"\(.*\)>|\1state=\"reserved\"\2><reservation pid=\"999999\" start=\"1\" expires=\"$(( $(date +%s) + 300 ))\"/>|" "$state/leases.xml"
virsh -q -c "$LIBVIRTD_URI" detach-device-alias g2 ua-vfpool-0 --config > /dev/null
run V attach g1 --config
check "an interrupted attach libvirt never completed is reclaimed" contains "$run_err" "Reclaimed VF $g2vf: the attaching process 999999 of g2 is gone"

# Two guests attaching at once never get the same VF.
V detach g1 --all > /dev/null 2>&1; V detach g2 --all > /dev/null 2>&1
for round in 1 2 3; do
  V -q attach g1 --config > /dev/null 2>&1 & a=$!
  V -q attach g2 --config > /dev/null 2>&1 & b=$!
  wait $a; wait $b
done
check "concurrent attaches: 6 leases on 6 distinct VFs" equals \
  "$(V list --json | jq '[.[] | select(.state == "attached") | .address] | unique | length')" 6
check "concurrent attaches: each guest's definition holds its own 3" equals \
  "$(xml --inactive g1 | grep -c "<alias name='ua-vfpool-")/$(xml --inactive g2 | grep -c "<alias name='ua-vfpool-")" 3/3

# An exhausted pool: a clear error, nothing changed.
before=$(cat "$state/leases.xml")
V -q reserve --owner filler --count 6 > /dev/null
run V attach g1 --config
check "attach from an exhausted pool exits 1" equals "$run_rc" 1
check "and says how many VFs are free" contains "$run_err" "has no usable free VF"
check "the guest is unchanged" equals "$(xml --inactive g1 | grep -c "<alias name='ua-vfpool-")" 3
V -q release --owner filler
# (the filler's reserve and release count as two saves in generation=)
check "the store is as before" equals "$(sed 's/ generation="[0-9]*"//' "$state/leases.xml")" \
  "$(echo "$before" | sed 's/ generation="[0-9]*"//')"
before=$(cat "$state/leases.xml")

# libvirtd unreachable: a clear error, nothing changed.
run "$VFPOOL" -c "qemu+unix:///system?socket=$lv/nonexistent-sock" --config "$conf" --sysfs-root "$root" attach g1
check "attach with libvirtd unreachable exits 2" equals "$run_rc" 2
check "and names the URI" contains "$run_err" "Cannot connect to libvirt at 'qemu+unix:///system?socket=$lv/nonexistent-sock'"
check "the store is untouched" equals "$(cat "$state/leases.xml")" "$before"

# Names are data: a guest named with quotes, markup and an ampersand
# (libvirt itself refuses a newline in a name), a label with a newline.
odd="o'd\"d <b>&amp; g"
sed -e "s|<name>g2</name>|<name>o'd\&quot;d \&lt;b\&gt;\&amp;amp; g</name>|" "$lv/g2.xml" > "$tap_tmp/odd.xml"
virsh -q -c "$LIBVIRTD_URI" define "$tap_tmp/odd.xml" > /dev/null
check "(libvirt has the oddly named guest)" equals "$(virsh -q -c "$LIBVIRTD_URI" domname "$(virsh -q -c "$LIBVIRTD_URI" domuuid "$odd")")" "$odd"
run V attach "$odd" --config --dry-run --print-xml
check "a dry run for it prints device XML" equals "$(echo "$run_out" | grep -c "^<interface type=.hostdev.")" 1
run V attach "$odd" --config --json
check "attach --config to it succeeds" equals "$run_rc" 0
check "--json gives its name back exactly" equals "$(echo "$run_out" | jq -r '.guest')" "$odd"
check "list --json names it exactly" equals "$(V list --json | jq -r --arg g "$odd" '[.[] | select(.owner == $g)] | length')" 1
check "the store holds it escaped, as data" contains "$(cat "$state/leases.xml")" "o'd&quot;d &lt;b&gt;&amp;amp; g"
check "its definition holds the VF" equals "$(xml --inactive "$odd" | grep -c "<alias name='ua-vfpool-0'/>")" 1
run V detach "$odd" --all
check "and detach finds it by that name" equals "$run_rc" 0
run V reserve --owner "l<1>
next"
check "a label with a newline is refused (issue 18.1: it forged a row of list)" equals "$run_rc" 2
label="l<1>&amp;'\" next"
run V reserve --owner "$label" --json
check "a label with markup and quotes reserves" equals "$run_rc" 0
check "list --json gives the label back exactly" equals "$(V list --json | jq -r --arg l "$label" '[.[] | select(.owner == $l)] | length')" 1
run V release --owner "$label"
check "and release --owner finds it" equals "$(V list --json | jq -r --arg l "$label" '[.[] | select(.owner == $l)] | length')" 0
run V attach g1 --config --mac "52:54:00:'\"<:&0:01"
check "a MAC with quotes or markup is refused" equals "$run_rc" 2
check "saying what a MAC looks like" contains "$run_err" "must be one unicast MAC like 52:54:00:12:34:56"
check "and the guest is unchanged" equals "$(xml --inactive g1 | grep -c "<alias name='ua-vfpool-")" 3

# -q: errors only; no confirmation of an attach or a detach.
run V -q attach g2 --config
check "-q attach prints no confirmation" equals "$run_rc/$run_out/$run_err" "0//"
run V -q detach g2 --all
check "-q detach prints no confirmation" equals "$run_rc/$run_out/$run_err" "0//"

done_testing
