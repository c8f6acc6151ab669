#!/bin/sh
# guest-scrub.sh: runs inside L1 of the SR-IOV lab (run-lab.sh
# tests/lab/guest-scrub.sh, with an L1 that has an igb: QEMU 8 or later,
# -device igb on a root port). Issue 16 part 3 against a real PF driver:
# every path that frees a VF (release, the release hook, detach, audit
# --fix) returns it to the baseline through the PF and reads it back; a VF
# that cannot be restored (igb refuses max_tx_rate while the PF has no
# link: the host turns it off with QEMU's set_link, see link ()) or verified (bound to vfio-pci at release) is quarantined, shown,
# never handed out, and freed by 'vfpool scrub' once the fault is gone.
# Prints "PASS name" / "FAIL name"; "# ..." lines are diagnostics.

build=${LAB_BUILD:?}
src=${LAB_SRC:-$build}
probe=$build/tests/vfnet-probe
work=/run/scrub-lab
mkdir -p -m 0700 $work $work/state

pass () { echo "PASS $*"; }
fail () { echo "FAIL $*"; }
ok () { if [ "$1" = 0 ]; then shift; pass "$@"; else shift; fail "$@"; fi; }
diag () { sed 's/^/# /' "$@"; }
vf () { "$probe" read "$dev" | jq -r ".[$1]$2"; }
iplink () { ip link show "$dev" | grep "vf $1 " | head -n 1; }
# at_baseline N: VF N reads as the baseline (mac 0, vlan 0, spoofchk on,
# trust off, link auto, no rates), by vfpool's reading and ip link's.
at_baseline () {
  [ "$("$probe" read "$dev" | jq -c ".[$1] | [.mac, .vlan, .spoofchk, .trust, .link_state, .max_tx_rate]")" \
    = '["00:00:00:00:00:00",0,true,false,"auto",0]' ]
}
# link off|on: the igb's link (QEMU's set_link), through the host's
# watcher (LAB_LINK_CTL on the build tree: run-lab.sh's caller polls it and
# answers with .done). igb refuses any max_tx_rate, even 0, without link.
link () {
  ctl=$build/.scrub-lab-link
  rm -f $ctl.done
  echo "$1" > $ctl
  i=0; while [ ! -e $ctl.done ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
  [ -e $ctl.done ] || { echo "# no link watcher on the host"; return 1; }
  rm -f $ctl $ctl.done
  i=0
  if [ "$1" = on ]; then
    while [ $i -lt 30 ] && ! ip link show "$dev" | grep -q LOWER_UP; do sleep 0.5; i=$((i + 1)); done
  else
    while [ $i -lt 30 ] && ip link show "$dev" | grep -q LOWER_UP; do sleep 0.5; i=$((i + 1)); done
  fi
  echo "# link $1: $(ip link show "$dev" | head -n 1)"
}
index_of () { for n in 0 1 2 3; do [ "$(basename "$(readlink $pfdir/virtfn$n)")" = "$1" ] && echo $n; done; }

# --- The PF: QEMU's igb ------------------------------------------------------
modprobe igb 2> /dev/null
sleep 1
pfdir= dev=
for d in /sys/bus/pci/devices/*; do
  if [ -e $d/sriov_totalvfs ] && [ -d $d/net ]; then pfdir=$d; break; fi
done
[ -n "$pfdir" ] || { echo "SKIP no SR-IOV NIC in the lab (start L1 with -device igb)"; exit 0; }
for i in 1 2 3 4 5 6 7 8 9 10; do
  for n in $pfdir/net/*; do [ -e "$n" ] && dev=${n##*/}; done
  [ -n "$dev" ] && break
  sleep 0.5
done
pf=${pfdir##*/}
echo 0 > $pfdir/sriov_drivers_autoprobe
echo 4 > $pfdir/sriov_numvfs
ip link set "$dev" up
sleep 3
[ "$(cat $pfdir/sriov_numvfs)" = 4 ]; ok $? "igb PF $pf ($dev) has 4 VFs"
ip link show "$dev" | diag

conf=$work/vfpool.conf
uri="qemu+unix:///system?socket=/run/libvirt/libvirt-sock"
cat > $conf <<EOC
[vfpool]
state-dir=$work/state
uri=$uri

[pool nic]
pfs=$pf
template=interface
allow-shared-iommu-group=on
policy=pack
trust=on
max-tx-rate=100
EOC
chmod 0644 $conf
V () { "$build/src/vfpool" --config "$conf" --template-dir "$src/xml-templates" "$@"; }
state_of () { V list --json 2> /dev/null | jq -r ".[] | select(.address == \"$1\") | .state"; }
reason_of () { V list --json 2> /dev/null | jq -r ".[] | select(.address == \"$1\") | .reason"; }

# --- release: a hold's VF changed by hand is restored and read back -----------
a=$(V reserve --owner lab --json 2> /dev/null | jq -r '.vfs[0].address'); ia=$(index_of "$a")
ip link set "$dev" vf "$ia" mac 52:54:00:aa:bb:01 vlan 100 spoofchk off trust on max_tx_rate 100
echo "# before release: $(iplink "$ia")"
V release "$a" > $work/rel.out 2>&1; rc=$?
diag $work/rel.out
at_baseline "$ia" && [ $rc = 0 ] && [ "$(state_of "$a")" = free ]
ok $? "release restores VF $ia ($a) to the baseline and frees it (exit $rc; $(iplink "$ia"))"

# --- a setting the PF refuses: quarantined; scrub frees it once fixed --------
b=$(V reserve --owner lab --json 2> /dev/null | jq -r '.vfs[0].address'); ib=$(index_of "$b")
ip link set "$dev" vf "$ib" max_tx_rate 100
link off
V release "$b" > $work/rel2.out 2>&1; rc=$?
diag $work/rel2.out
[ $rc = 1 ] && grep -q "was not freed but quarantined" $work/rel2.out && [ "$(state_of "$b")" = quarantined ]
ok $? "igb refuses max_tx_rate 0 while $dev has no link (QEMU set_link off): release quarantines $b (exit $rc)"
echo "# reason: $(reason_of "$b")"
case $(reason_of "$b") in *max-tx-rate*) r=0 ;; *) r=1 ;; esac
ok $r "the reason names the refused setting"
V reserve --owner x --dry-run --explain --json > $work/explain.json 2>&1
[ "$(jq -r ".explain[] | select(.address == \"$b\") | .chosen" $work/explain.json)" = false ]
ok $? "a quarantined VF is never handed out"
V scrub "$b" > $work/scrub1.out 2>&1; rc=$?
diag $work/scrub1.out
[ $rc = 1 ] && [ "$(state_of "$b")" = quarantined ]; ok $? "scrub without link: stays quarantined (exit $rc)"
link on
V scrub "$b" > $work/scrub2.out 2>&1; rc=$?
diag $work/scrub2.out
[ $rc = 0 ] && at_baseline "$ib" && [ "$(state_of "$b")" = free ]
ok $? "with the link back, scrub restores $b, reads it back and frees it (exit $rc; $(iplink "$ib"))"

# --- a VF bound to vfio-pci when it is released: quarantined ------------------
modprobe vfio-pci 2> /dev/null
c=$(V reserve --owner lab --json 2> /dev/null | jq -r '.vfs[0].address')
echo vfio-pci > /sys/bus/pci/devices/$c/driver_override
echo "$c" > /sys/bus/pci/drivers/vfio-pci/bind 2> $work/bind.err || diag $work/bind.err
V release "$c" > $work/rel3.out 2>&1; rc=$?
diag $work/rel3.out
case $(reason_of "$c") in *"bound to vfio-pci, but it had no driver"*) r=0 ;; *) r=1 ;; esac
[ $rc = 1 ] && [ $r = 0 ]; ok $? "a VF left on vfio-pci is quarantined, naming the driver it had (none) (exit $rc)"
echo "$c" > /sys/bus/pci/drivers/vfio-pci/unbind
echo > /sys/bus/pci/devices/$c/driver_override
V scrub "$c" > $work/scrub3.out 2>&1; rc=$?
diag $work/scrub3.out
[ $rc = 0 ] && [ "$(state_of "$c")" = free ]; ok $? "unbound again, scrub frees it (exit $rc)"

# --- the release hook: netlink from the hook core, no libvirt -----------------
# A guest stopped (release end) whose VF's MAC was changed by hand on the PF
# while it ran: the hook restores it; one whose PF refuses: quarantined.
d=$(V list --json 2> /dev/null | jq -r '[.[] | select(.state == "free")][0].address'); id=$(index_of "$d")
bus=0x${d#*:}; bus=${bus%%:*}; slot=${d##*:}; fn=0x${slot#*.}; slot=0x${slot%.*}
cat > $work/h1.xml <<XML
<domain type='qemu'><name>h1</name><uuid>33333333-3333-3333-3333-333333333333</uuid>
<metadata><vfpool:vfpool xmlns:vfpool='http://vfpool.org/xmlns/vfpool/1'><vfpool:vf alias='ua-vfpool-0' pool='nic' address='$d'/></vfpool:vfpool></metadata>
<devices><interface type='hostdev' managed='yes'><mac address='52:54:00:00:00:31'/><source><address type='pci' domain='0x0000' bus='$bus' slot='$slot' function='$fn'/></source><alias name='ua-vfpool-0'/></interface></devices></domain>
XML
H () { "$build/hooks/vfpool-hook-core" --config "$conf" --state-dir "$work/state" --sysfs-root /sys h1 "$@" < $work/h1.xml; }
H prepare begin - > $work/h.out 2>&1; rc=$?
diag $work/h.out
[ $rc = 0 ] && [ "$(state_of "$d")" = attached ]; ok $? "prepare begin leases $d to h1 (exit $rc)"
ip link set "$dev" vf "$id" mac 52:54:00:00:00:31 vlan 42
ip link set "$dev" vf "$id" mac 52:54:00:de:ad:01
H release end - > $work/h.out 2>&1; rc=$?
diag $work/h.out
[ $rc = 0 ] && at_baseline "$id" && [ "$(state_of "$d")" = free ]
ok $? "release end: the MAC changed by hand on the PF and the VLAN are restored through netlink, read back, and $d freed (exit $rc; $(iplink "$id"))"
H prepare begin - > /dev/null 2>&1
ip link set "$dev" vf "$id" max_tx_rate 100
link off
H release end - > $work/h.out 2>&1; rc=$?
diag $work/h.out
[ $rc = 0 ] && [ "$(state_of "$d")" = quarantined ]
ok $? "release end with a setting the PF refuses: exit 0, $d quarantined ($(reason_of "$d"))"
H prepare begin - > $work/h.out 2>&1; rc=$?
[ $rc = 1 ] && grep -q "quarantined by vfpool" $work/h.out; ok $? "h1 cannot start with its quarantined VF (exit $rc)"
link on
V scrub "$d" > $work/scrub4.out 2>&1; rc=$?
[ $rc = 0 ] && at_baseline "$id"; ok $? "scrub frees $d once the link is back (exit $rc)"

# --- detach and audit --fix, through libvirtd ---------------------------------
command -v libvirtd > /dev/null || { echo "SKIP detach part: no libvirtd in L1"; exit 0; }
[ -d /sys/fs/cgroup ] || mkdir -p /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2> /dev/null
mkdir -p /etc/libvirt /var/log/libvirt/qemu /var/lib/libvirt /var/cache/libvirt /run/libvirt
printf '%s\n' 'unix_sock_rw_perms = "0700"' 'auth_unix_ro = "none"' 'auth_unix_rw = "none"' \
  'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"' > /etc/libvirt/libvirtd.conf
printf '%s\n' 'user = "root"' 'group = "root"' 'dynamic_ownership = 0' 'security_driver = "none"' \
  'cgroup_controllers = [ ]' 'namespaces = [ ]' 'stdio_handler = "file"' > /etc/libvirt/qemu.conf
setsid libvirtd -f /etc/libvirt/libvirtd.conf -p /run/libvirt/libvirtd.pid < /dev/null > $work/libvirtd.out 2>&1 &
lvpid=$!
i=0 up=1
while [ $i -lt 240 ]; do
  if [ -S /run/libvirt/libvirt-sock ] && virsh -q -c "$uri" uri > /dev/null 2>&1; then up=0; break; fi
  kill -0 $lvpid 2> /dev/null || break
  sleep 0.5; i=$((i + 1))
done
ok $up "libvirtd starts in L1"
[ $up = 0 ] || { diag $work/libvirtd.out; exit 0; }
gxml () {
  printf '%s\n' "<domain type='qemu'><name>$1</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>" \
    "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>" \
    "<emulator>/usr/bin/qemu-system-x86_64</emulator><controller type='pci' model='pcie-root'/>" \
    "<controller type='pci' model='pcie-root-port'/><controller type='usb' model='none'/>" \
    "<memballoon model='none'/></devices></domain>" > $work/$1.xml
  virsh -q -c "$uri" define $work/$1.xml > /dev/null 2>&1
}
gxml g1
V attach g1 --config --json > $work/attach.json 2> $work/attach.err; rc=$?
e=$(jq -r '.vfs[0].address' $work/attach.json); ie=$(index_of "$e")
ip link set "$dev" vf "$ie" mac 52:54:00:de:ad:02
echo "# attached (config) and MAC changed by hand: $(iplink "$ie")"
V detach g1 --all > $work/detach.out 2>&1; rc=$?
diag $work/detach.out
[ $rc = 0 ] && at_baseline "$ie" && [ "$(state_of "$e")" = free ]
ok $? "detach --all: trust on, max-tx-rate 100 and the MAC set by hand are restored, read back, $e freed (exit $rc; $(iplink "$ie"))"
V attach g1 --config --json > $work/attach2.json 2> /dev/null
e=$(jq -r '.vfs[0].address' $work/attach2.json); ie=$(index_of "$e")
link off
V detach g1 --all --json > $work/detach2.json 2> $work/detach2.err; rc=$?
diag $work/detach2.json; diag $work/detach2.err
[ $rc = 1 ] && [ "$(jq -r '.[0].state' $work/detach2.json)" = quarantined ]
ok $? "detach while the PF refuses max_tx_rate 0: the VF left g1 but is quarantined (exit $rc)"
V audit --json > $work/audit.json 2>&1
[ "$(jq -r '[.findings[] | select(.code == "quarantined") | .severity] | join(",")' $work/audit.json)" = error ]
ok $? "the audit reports it (quarantined, error)"
link on
V scrub "$e" > /dev/null 2>&1; ok $? "scrub frees it with the link back"
# audit --fix frees a leak (the guest is gone): scrubbed too
V attach g1 --config --json > $work/attach3.json 2> /dev/null
e=$(jq -r '.vfs[0].address' $work/attach3.json); ie=$(index_of "$e")
echo "# attached again: $(iplink "$ie")"
virsh -q -c "$uri" undefine g1 > /dev/null 2>&1
V audit --fix > $work/fix.out 2>&1; rc=$?
diag $work/fix.out
at_baseline "$ie" && [ "$(state_of "$e")" = free ]
ok $? "audit --fix frees the leak of an undefined guest, at the baseline (exit $rc; $(iplink "$ie"))"
kill $lvpid 2> /dev/null
sleep 1
echo 0 > $pfdir/sriov_numvfs
exit 0
