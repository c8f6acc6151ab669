#!/bin/sh
# guest-vfnet.sh: runs inside L1 of the SR-IOV lab (run-lab.sh
# tests/lab/guest-vfnet.sh). VF settings over rtnetlink (src/vfp-vfnet.c,
# driven by tests/vfnet-probe) against a real PF driver: netdevsim where the
# kernel has it (Debian's 6.1 does not: CONFIG_NETDEVSIM is not set), else
# an SR-IOV NIC of the lab, such as QEMU's igb (82576; QEMU 8 or later:
# an L1 started with -device igb). Each setting is applied and either read
# back by vfpool and by iproute2, or refused with a message naming the PF,
# the setting and the VF; then the VFs are restored to the baseline and
# read back. "# RESULT" lines record what the driver took and refused.
# Prints "PASS name" / "FAIL name"; "# ..." lines are diagnostics.

build=${LAB_BUILD:?}
probe=$build/tests/vfnet-probe
work=/run/vfnet-lab
mkdir -p -m 0700 $work

pass () { echo "PASS $*"; }
fail () { echo "FAIL $*"; }
ok () { if [ "$1" = 0 ]; then shift; pass "$@"; else shift; fail "$@"; fi; }
diag () { sed 's/^/# /' "$@"; }
# P ARGS...: runs the probe; its output is in $work/out and REPLY (first line).
P () {
  "$probe" "$@" > $work/out 2>&1
  rc=$?
  read -r REPLY < $work/out
  echo "# vfnet-probe $* -> exit $rc: $REPLY"
  return $rc
}
# vf N FILTER: a value of VF N from the probe's JSON reading.
vf () { "$probe" read "$dev" | jq -r ".[$1]$2"; }
# iplink N: the "vf N" line of ip link show (iproute2's own reading).
iplink () { ip link show "$dev" | grep "vf $1 " | head -n 1; }

# --- The PF: netdevsim where the kernel has it (it keeps every setting),
# else an SR-IOV NIC of the lab (igb: run-lab.sh with an igb device).
drv= dev= pfdir=
if modprobe netdevsim 2> /dev/null && echo "1 1" > /sys/bus/netdevsim/new_device; then
  drv=netdevsim
  pfdir=/sys/bus/netdevsim/devices/netdevsim1
else
  modprobe igb 2> /dev/null
  sleep 1
  for d in /sys/bus/pci/devices/*; do
    if [ -e $d/sriov_totalvfs ] && [ -d $d/net ]; then pfdir=$d; break; fi
  done
  [ -n "$pfdir" ] && drv=$(basename "$(readlink $pfdir/driver)")
fi
if [ -z "$pfdir" ]; then
  echo "SKIP no netdevsim in this kernel and no SR-IOV NIC in the lab"
  exit 0
fi
for i in 1 2 3 4 5 6 7 8 9 10; do
  for n in $pfdir/net/*; do [ -e "$n" ] && dev=${n##*/}; done
  [ -n "$dev" ] && break
  sleep 0.5
done
[ -n "$dev" ]; ok $? "the PF ($drv, ${pfdir##*/}) has a netdev ($dev)"
[ -e $pfdir/sriov_drivers_autoprobe ] && echo 0 > $pfdir/sriov_drivers_autoprobe
echo 4 > $pfdir/sriov_numvfs
read -r n < $pfdir/sriov_numvfs
[ "$n" = 4 ]; ok $? "$drv PF has 4 VFs (sriov_numvfs: $n)"
ip link set "$dev" up
sleep 2

# --- read -----------------------------------------------------------------------
P read "$dev"; rc=$?
diag $work/out
[ $rc = 0 ] && [ "$(jq length $work/out)" = 4 ]; ok $? "read: 4 VFs of $dev"
[ "$(jq -r '.[3].vf' $work/out)" = 3 ]; ok $? "read: VFs in index order"
ip link show "$dev" | diag
# The same through the CLI, where the PF is a PCI function.
case ${pfdir##*/} in
  [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:*)
    "$build/src/vfpool" pf vf-settings "$dev" > $work/cli.out 2>&1; rc=$?
    diag $work/cli.out
    [ $rc = 0 ] && grep -q "^3 " $work/cli.out; ok $? "vfpool pf vf-settings $dev lists 4 VFs (exit $rc)"
    "$build/src/vfpool" pf vf-settings "${pfdir##*/}" --json > $work/cli.json 2>&1; rc=$?
    [ $rc = 0 ] && [ "$(jq '.vfs | length' $work/cli.json)" = 4 ] && [ "$(jq -r .netdev $work/cli.json)" = "$dev" ]
    ok $? "vfpool pf vf-settings ${pfdir##*/} --json (exit $rc)"
    ;;
esac

# --- apply, one setting at a time; read back by vfpool and by iproute2 --------------
# try VF KEY=VALUE PROBE-FILTER EXPECT IP-TEXT: accepted (then vfpool and
# ip link must read it back) or refused (then the one line must name the
# PF, the setting and the VF). netdevsim must accept every setting.
try () {
  vfn=$1; key=${2%%=*}; val=${2#*=}
  P apply "$dev" "$vfn" "$2"; rc=$?
  if [ $rc = 0 ]; then
    got=$(vf "$vfn" "$3"); line=$(iplink "$vfn")
    case $line in *"$5"*) r=0 ;; *) r=1 ;; esac
    [ "$got" = "$4" ] && [ $r = 0 ]
    ok $? "$drv: $2 on VF $vfn accepted; vfpool reads $got, ip link shows '$5' (${line# })"
    echo "# RESULT $drv $2: accepted"
  else
    case $REPLY in *"PF '$dev'"*"$key"*"VF $vfn"*) r=0 ;; *) r=1 ;; esac
    [ $rc = 1 ] && [ $r = 0 ] && [ "$drv" != netdevsim ]
    ok $? "$drv: $2 on VF $vfn refused, and the message names PF, setting and VF (exit $rc)"
    echo "# RESULT $drv $2: refused: $REPLY"
    dmesg | tail -n 3 | diag
  fi
}
try 1 mac=52:54:00:aa:bb:01 .mac 52:54:00:aa:bb:01 "link/ether 52:54:00:aa:bb:01"
try 1 vlan=100 .vlan 100 "vlan 100"
try 1 spoofchk=off .spoofchk false "spoof checking off"
try 1 spoofchk=on .spoofchk true "spoof checking on"
try 1 trust=on .trust true "trust on"
try 1 link-state=disable .link_state disable "link-state disable"
try 1 link-state=enable .link_state enable "link-state enable"
try 1 max-tx-rate=1000 .max_tx_rate 1000 "max_tx_rate 1000Mbps"
try 1 max-tx-rate=100 .max_tx_rate 100 "max_tx_rate 100Mbps"
try 1 min-tx-rate=10 .min_tx_rate 10 "min_tx_rate 10Mbps"
try 1 query-rss=on .query_rss true "query_rss on"

# --- all at once, on another VF; the others untouched ------------------------------
if [ "$drv" = netdevsim ]; then
  P apply "$dev" 2 mac=52:54:00:aa:bb:02 vlan=200 spoofchk=off trust=on link-state=disable \
    max-tx-rate=500 min-tx-rate=50 query-rss=on
  ok $? "apply every setting at once on VF 2"
  line=$(iplink 2)
  case $line in
    *"52:54:00:aa:bb:02"*"vlan 200"*"max_tx_rate 500Mbps"*"min_tx_rate 50Mbps"*"spoof checking off"*"link-state disable"*"trust on"*"query_rss on"*) r=0 ;;
    *) r=1 ;;
  esac
  ok $r "ip link shows every setting of VF 2 (${line# })"
else
  P apply "$dev" 2 mac=52:54:00:aa:bb:02 vlan=200 spoofchk=off
  ok $? "apply mac, vlan and spoofchk at once on VF 2"
  line=$(iplink 2)
  case $line in *"52:54:00:aa:bb:02"*"vlan 200"*"spoof checking off"*) r=0 ;; *) r=1 ;; esac
  ok $r "ip link shows them on VF 2 (${line# })"
fi
[ "$(vf 0 .vlan)" = 0 ]
ok $? "VF 0 untouched by the changes of VFs 1 and 2 ($(iplink 0))"

# --- refused before netlink, and by the kernel ----------------------------------
P apply "$dev" 1 max-tx-rate=100 min-tx-rate=200; rc=$?
case $REPLY in *"min-tx-rate 200 is above max-tx-rate 100"*) r=0 ;; *) r=1 ;; esac
[ $rc = 1 ] && [ $r = 0 ]; ok $? "min-tx-rate above max-tx-rate refused (exit $rc)"
P apply "$dev" 7 trust=on; rc=$?
case $REPLY in *"has no VF 7 (it has 4 VFs)"*) r=0 ;; *) r=1 ;; esac
[ $rc = 1 ] && [ $r = 0 ]; ok $? "a VF the PF does not have refused (exit $rc)"
P apply nosuch0 0 trust=on; rc=$?
case $REPLY in *"no network interface 'nosuch0'"*) r=0 ;; *) r=1 ;; esac
[ $rc = 1 ] && [ $r = 0 ]; ok $? "a PF that does not exist refused (exit $rc)"
P apply lo 0 trust=on; rc=$?
case $REPLY in *"'lo' is not an SR-IOV PF"*) r=0 ;; *) r=1 ;; esac
[ $rc = 1 ] && [ $r = 0 ]; ok $? "a netdev that is no PF refused (exit $rc)"
# In switchdev mode netdevsim refuses the legacy rate API (EOPNOTSUPP):
# the message must name the PF, the VF and the setting.
if [ "$drv" = netdevsim ] && devlink dev eswitch set netdevsim/netdevsim1 mode switchdev > $work/devlink.out 2>&1; then
  P apply "$dev" 3 max-tx-rate=300; rc=$?
  case $REPLY in *"driver of PF '$dev' does not support max-tx-rate on VF 3"*) r=0 ;; *) r=1 ;; esac
  [ $rc = 1 ] && [ $r = 0 ]; ok $? "EOPNOTSUPP from the driver names PF, VF and setting (exit $rc)"
  devlink dev eswitch set netdevsim/netdevsim1 mode legacy
fi

# --- restore to the baseline, read back ----------------------------------------------
for i in 1 2; do
  t0=$(date +%s%N)
  P restore "$dev" $i; rc=$?
  t1=$(date +%s%N)
  ok $rc "restore VF $i to the baseline ($(( (t1 - t0) / 1000000 )) ms with the exec, under TCG)"
  "$probe" read "$dev" > $work/after.json
  jq -e ".[$i] | .mac == \"00:00:00:00:00:00\" and .vlan == 0 and .spoofchk != false
         and .trust != true and .link_state == \"auto\" and .max_tx_rate == 0
         and .min_tx_rate == 0 and .query_rss != true" $work/after.json > /dev/null
  r=$?
  line=$(iplink $i)
  case $line in *vlan*|*max_tx_rate*|*min_tx_rate*|*"spoof checking off"*|*"trust on"*) r=1 ;; esac
  ok $r "vfpool and ip link read VF $i at the baseline (${line# })"
done
P read "$dev"; diag $work/out
ip link show "$dev" | diag
P restore "$dev" 1; ok $? "restore of a VF already at the baseline sends nothing and verifies"
for i in 0 3; do "$probe" restore "$dev" $i > /dev/null; done

# --- memcheck: the netlink paths under valgrind (libnl's objects freed) ---------
if command -v valgrind > /dev/null; then
  vg () { valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 "$probe" "$@"; }
  vg apply "$dev" 3 mac=52:54:00:aa:bb:03 vlan=300 trust=on spoofchk=off > $work/vg.out 2>&1; r1=$?
  vg restore "$dev" 3 >> $work/vg.out 2>&1; r2=$?
  vg read "$dev" > /dev/null 2>> $work/vg.out; r3=$?
  [ $r1 = 0 ] && [ $r2 = 0 ] && [ $r3 = 0 ]
  ok $? "valgrind: apply, restore and read leak nothing and touch no bad memory (exits $r1 $r2 $r3)"
  [ $r1 = 0 ] && [ $r2 = 0 ] && [ $r3 = 0 ] || diag $work/vg.out
fi

# --- attach: the pool's settings through the PF, before libvirt; rollback -------
case ${pfdir##*/} in [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:*) ;; *) exit 0 ;; esac
command -v libvirtd > /dev/null || { echo "SKIP attach part: no libvirtd in L1"; exit 0; }
src=${LAB_SRC:-$build}
uri="qemu+unix:///system?socket=/run/libvirt/libvirt-sock"
mkdir -p -m 0700 $work/state
conf=$work/vfpool.conf
cat > $conf <<EOC
[vfpool]
state-dir=$work/state
uri=$uri

[pool nic]
pfs=${pfdir##*/}
template=interface
allow-shared-iommu-group=on
spoofchk=off
trust=on
max-tx-rate=100
EOC
chmod 0644 $conf
V () { "$build/src/vfpool" --config "$conf" --template-dir "$src/xml-templates" "$@"; }
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
printf '%s\n' "<domain type='qemu'><name>g1</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>" \
  "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>" \
  "<emulator>/usr/bin/qemu-system-x86_64</emulator><controller type='pci' model='pcie-root'/>" \
  "<controller type='pci' model='pcie-root-port'/><controller type='usb' model='none'/>" \
  "<memballoon model='none'/></devices></domain>" > $work/g1.xml
virsh -q -c "$uri" define $work/g1.xml > $work/define.out 2>&1; ok $? "an OS-less guest g1 is defined"

V attach g1 --config --json > $work/attach.json 2> $work/attach.err; rc=$?
diag $work/attach.json; diag $work/attach.err
vfa=$(jq -r '.vfs[0].address' $work/attach.json)
idx=
for n in 0 1 2 3; do [ "$(basename "$(readlink $pfdir/virtfn$n)")" = "$vfa" ] && idx=$n; done
line=$(iplink "$idx")
case $line in *"max_tx_rate 100Mbps"*"spoof checking off"*"trust on"*) r=0 ;; *) r=1 ;; esac
[ $rc = 0 ] && [ $r = 0 ]
ok $? "attach --config applies the pool's spoofchk=off trust=on max-tx-rate=100 to VF $idx ($vfa) through $dev (${line# })"
[ "$(jq -c '.vfs[0].vf_settings | [.spoofchk, .trust, .max_tx_rate, .link_state]' $work/attach.json)" = '[false,true,100,null]' ]
ok $? "attach --json reports the settings it applied"
V list --json > $work/list.json
[ "$(jq -c ".[] | select(.address == \"$vfa\") | [.state, .vf_settings.spoofchk, .vf_settings.trust, .vf_settings.max_tx_rate]" $work/list.json)" = '["attached",false,true,100]' ]
ok $? "the lease records them (list --json)"

# The PF loses a setting behind vfpool's back: the audit sees it (over
# netlink), --fix applies the lease's settings again.
ip link set "$dev" vf "$idx" trust off
V audit --json > $work/audit.json 2>&1; rc=$?
diag $work/audit.json
[ $rc = 1 ] && [ "$(jq -c "[.findings[] | select(.code == \"vf-settings\") | [.object, .guest, .fixable]]" $work/audit.json)" = "[[\"$vfa\",\"g1\",true]]" ] \
  && jq -r '.findings[] | select(.code == "vf-settings") | .message' $work/audit.json | grep -q "reports trust off for VF $vfa where its lease says on"
ok $? "audit finds vf-settings when the PF no longer has trust on for $vfa (exit $rc)"
V audit --fix > $work/fix.out 2>&1; rc=$?
diag $work/fix.out
line=$(iplink "$idx")
case $line in *"trust on"*) r=0 ;; *) r=1 ;; esac
[ $r = 0 ]; ok $? "audit --fix applies trust on again (exit $rc; ${line# })"
V audit > $work/audit2.out 2>&1; rc=$?
grep -q vf-settings $work/audit2.out; [ $? = 1 ]; ok $? "and the next audit has no vf-settings finding (exit $rc)"
[ $rc = 0 ] || diag $work/audit2.out

# igb has no link-state: the attach fails after trust was set on the next
# VF; the rollback gives that VF its old settings back.
V attach g1 --config --link-state enable > $work/attach2.out 2>&1; rc=$?
diag $work/attach2.out
ntrust=$(ip link show "$dev" | grep -c "trust on")
case $(cat $work/attach2.out) in *"does not support link-state on VF"*". Nothing was attached and the reservation was released."*) r=0 ;; *) r=1 ;; esac
if [ "$drv" = igb ]; then
  [ $rc = 1 ] && [ $r = 0 ] && [ "$ntrust" = 1 ]
  ok $? "igb refuses --link-state: attach fails, names it, and the VF it had changed is back to trust off (VFs with trust on: $ntrust)"
  [ "$(V list --json | jq '[.[] | select(.state != "free")] | length')" = 1 ]
  ok $? "and the reservation was released"
fi
ip link show "$dev" | diag
V detach g1 --all > $work/detach.out 2>&1; ok $? "detach g1 --all"
virsh -q -c "$uri" undefine g1 > /dev/null 2>&1
kill $lvpid 2> /dev/null
sleep 1
echo 0 > $pfdir/sriov_numvfs
exit 0
