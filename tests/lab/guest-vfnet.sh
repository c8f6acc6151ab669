#!/bin/sh
# guest-vfnet.sh: runs inside L1 of the SR-IOV lab (run-lab.sh
# tests/lab/guest-vfnet.sh). VF settings over rtnetlink (src/vfp-vfnet.c,
# driven by tests/vfnet-probe) against the real 6.1 kernel's netdevsim,
# whose PF keeps every VF setting: each one applied, read back, checked
# against iproute2's reading, refused where the driver refuses, restored.
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

modprobe netdevsim || { fail "modprobe netdevsim"; exit 1; }
echo "1 1" > /sys/bus/netdevsim/new_device || { fail "a netdevsim device"; exit 1; }
ddir=/sys/bus/netdevsim/devices/netdevsim1
dev=
for i in 1 2 3 4 5 6 7 8 9 10; do
  for n in $ddir/net/*; do [ -e "$n" ] && dev=${n##*/}; done
  [ -n "$dev" ] && break
  sleep 0.5
done
[ -n "$dev" ]; ok $? "netdevsim1 has a netdev ($dev)"
echo 4 > $ddir/sriov_numvfs
read -r n < $ddir/sriov_numvfs
[ "$n" = 4 ]; ok $? "netdevsim1 has 4 VFs (sriov_numvfs: $n)"
ip link set "$dev" up

# --- read -----------------------------------------------------------------------
P read "$dev"; rc=$?
diag $work/out
[ $rc = 0 ] && [ "$(jq length $work/out)" = 4 ]; ok $? "read: 4 VFs of $dev"
[ "$(jq -r '.[3].vf' $work/out)" = 3 ]; ok $? "read: VFs in index order"
ip link show "$dev" | diag

# --- apply, one setting at a time, read back by vfpool and by iproute2 -----------------
check () { # check NAME PROBE-FILTER EXPECT IP-TEXT
  got=$(vf 1 "$2")
  line=$(iplink 1)
  case $line in *"$4"*) ipok=0 ;; *) ipok=1 ;; esac
  [ "$got" = "$3" ] && [ $ipok = 0 ]
  ok $? "apply $1 on VF 1: vfpool reads $2=$got, ip link shows '$4' (${line# })"
}
P apply "$dev" 1 mac=52:54:00:aa:bb:01; ok $? "apply mac on VF 1 accepted"
check mac .mac 52:54:00:aa:bb:01 "link/ether 52:54:00:aa:bb:01"
P apply "$dev" 1 vlan=100; ok $? "apply vlan on VF 1 accepted"
check vlan .vlan 100 "vlan 100"
P apply "$dev" 1 spoofchk=off; ok $? "apply spoofchk on VF 1 accepted"
check spoofchk .spoofchk false "spoof checking off"
P apply "$dev" 1 trust=on; ok $? "apply trust on VF 1 accepted"
check trust .trust true "trust on"
P apply "$dev" 1 link-state=disable; ok $? "apply link-state on VF 1 accepted"
check link-state .link_state disable "link-state disable"
P apply "$dev" 1 max-tx-rate=1000; ok $? "apply max-tx-rate on VF 1 accepted"
check max-tx-rate .max_tx_rate 1000 "max_tx_rate 1000Mbps"
P apply "$dev" 1 min-tx-rate=100; ok $? "apply min-tx-rate on VF 1 accepted"
check min-tx-rate .min_tx_rate 100 "min_tx_rate 100Mbps"
check "max-tx-rate (kept when min-tx-rate is set)" .max_tx_rate 1000 "max_tx_rate 1000Mbps"
P apply "$dev" 1 query-rss=on; ok $? "apply query-rss on VF 1 accepted"
check query-rss .query_rss true "query_rss on"
P apply "$dev" 1 link-state=enable; ok $? "apply link-state=enable on VF 1 accepted"
check link-state=enable .link_state enable "link-state enable"

# --- all at once, on another VF; the others untouched ------------------------------
P apply "$dev" 2 mac=52:54:00:aa:bb:02 vlan=200 spoofchk=off trust=on link-state=disable \
  max-tx-rate=500 min-tx-rate=50 query-rss=on
ok $? "apply every setting at once on VF 2"
line=$(iplink 2)
case $line in
  *"52:54:00:aa:bb:02"*"vlan 200"*"max_tx_rate 500Mbps"*"min_tx_rate 50Mbps"*"spoof checking off"*"link-state disable"*"trust on"*"query_rss on"*) r=0 ;;
  *) r=1 ;;
esac
ok $r "ip link shows every setting of VF 2 (${line# })"
[ "$(vf 0 .mac)" = 00:00:00:00:00:00 ] && [ "$(vf 0 .vlan)" = 0 ] && [ "$(vf 0 .trust)" = false ]
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
if devlink dev eswitch set netdevsim/netdevsim1 mode switchdev > $work/devlink.out 2>&1; then
  P apply "$dev" 3 max-tx-rate=300; rc=$?
  case $REPLY in *"driver of PF '$dev' does not support max-tx-rate on VF 3"*) r=0 ;; *) r=1 ;; esac
  [ $rc = 1 ] && [ $r = 0 ]; ok $? "EOPNOTSUPP from the driver names PF, VF and setting (exit $rc)"
  P apply "$dev" 3 trust=on min-tx-rate=30; rc=$?
  case $REPLY in *"does not support min-tx-rate on VF 3"*) r=0 ;; *) r=1 ;; esac
  [ $rc = 1 ] && [ $r = 0 ] && [ "$(vf 3 .trust)" = true ]
  ok $? "settings before the refused one are applied, the refusal names min-tx-rate (exit $rc)"
  P restore "$dev" 3; ok $? "restore in switchdev mode (rates already 0, not sent)"
  devlink dev eswitch set netdevsim/netdevsim1 mode legacy
else
  echo "SKIP switchdev mode: $(cat $work/devlink.out)"
fi

# --- restore to the baseline, read back ----------------------------------------------
for i in 1 2; do
  t0=$(date +%s%N)
  P restore "$dev" $i; rc=$?
  t1=$(date +%s%N)
  ok $rc "restore VF $i to the baseline ($(( (t1 - t0) / 1000000 )) ms with the exec, under TCG)"
  line=$(iplink $i)
  case $line in
    *"link/ether 00:00:00:00:00:00"*"spoof checking on"*"link-state auto"*"trust off"*"query_rss off"*) r=0 ;;
    *) r=1 ;;
  esac
  case $line in *vlan*|*max_tx_rate*|*min_tx_rate*) r=1 ;; esac
  ok $r "ip link shows VF $i at the baseline (${line# })"
done
P read "$dev"; diag $work/out
ip link show "$dev" | diag
P restore "$dev" 1; ok $? "restore of a VF already at the baseline sends nothing and verifies"
exit 0
