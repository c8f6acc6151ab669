#!/bin/sh
# guest-scrub.sh: runs inside L1 of the NIC lab (run-lab.sh, LAB_SET=nic;
# guest-nic.sh runs it last, in the same L1). Issue 16 part 3 on the igb:
# every path that frees a VF (vfpool detach, the release hook after virsh
# destroy and after kill -9 of the guest's QEMU, vfpool release, vfpool
# audit --fix) returns it to its baseline through the PF, reads it back and
# frees it, or quarantines it with the reason. The guests are the L2 Linux
# guest of guest-nic.sh (igbvf drives the VF there). Real faults: the PF
# refusing settings (the host turns the igb's link off with QEMU's
# set_link: igb then refuses max_tx_rate, even 0), a VF whose baseline
# driver was removed, a VF left on vfio-pci, a MAC changed by hand on the PF
# while the guest ran. For each path: the PF's "vf N" line while held and
# after, and PASS/FAIL that vfpool's read-back and ip link's agree on the
# baseline (or the VF is quarantined, with the reason).
# Prints "PASS name" / "FAIL name"; "# ..." lines are diagnostics.

build=${LAB_BUILD:?}
src=${LAB_SRC:-$build}
vfpool=$build/src/vfpool
probe=$build/tests/vfnet-probe
pf=0000:01:00.0
pfdir=/sys/bus/pci/devices/$pf
peer=0000:02:00.0
peer_ip=169.254.42.1
work=/run/scrub-lab
uri="qemu+unix:///system?socket=/run/libvirt/libvirt-sock"
mkdir -p -m 0700 $work $work/state
conf=$work/vfpool.conf
cat > $conf <<EOF
[vfpool]
state-dir=$work/state
log-file=$work/vfpool.log
uri=$uri

[pool scrub]
pfs=$pf
numvfs=4
template=interface
vlan=42
trust=on
max-tx-rate=100
EOF
chmod 0644 $conf
V () { "$vfpool" --config "$conf" --template-dir "$src/xml-templates" "$@"; }
. "${0%/*}/guest-lib.sh"

. "${0%/*}/nic-lib.sh"
index_of () {
  REPLY=
  for n in 0 1 2 3 4 5 6; do
    v=$(readlink $pfdir/virtfn$n 2> /dev/null)
    [ "${v##*/}" = "$1" ] && { REPLY=$n; return 0; }
  done
  return 1
}
# at_baseline N: VF N reads as the baseline by vfpool's netlink reading
# (tests/vfnet-probe, src/vfp-vfnet.c) and by ip link's.
at_baseline () {
  got=$("$probe" read "$pfn" 2> /dev/null | jq -c ".[$1] | [.mac, .vlan, .spoofchk, .trust, .link_state, .max_tx_rate, .min_tx_rate]")
  pf_vf_line "$1"
  [ "$got" = '["00:00:00:00:00:00",0,true,false,"auto",0,0]' ] && vf_line_is_baseline "$REPLY"
}
state_of () { lease_of "$1"; REPLY=${REPLY%% *}; }
reason_of () { V list --json > $work/reason.json 2>&1; REPLY=$(json $work/reason.json '.[] | select(.address == "'$1'") | .reason'); }
# baseline_of VF: REPLY is the driver VF's lease recorded as its baseline
# (<baseline driver=.../>; none when the VF had none).
baseline_of () {
  REPLY=$(awk -v vf="vf=\"$1\"" 'index($0, "<lease ") && index($0, vf) { on = 1 }
    on && /<baseline/ { d = "none"; if (match($0, /driver="[^"]*"/)) d = substr($0, RSTART + 8, RLENGTH - 9); print d; exit }
    on && /<\/lease>/ { on = 0 }' $work/state/leases.xml 2> /dev/null)
  [ -n "$REPLY" ] || REPLY=none
}
# before PATH VF: prints the PF's vf line of VF while it is held; bdrv is
# the baseline driver its lease recorded.
before () {
  baseline_of "$2"; bdrv=$REPLY
  index_of "$2"; idx=$REPLY
  pf_vf_line "$idx"
  echo "# $1: before (held; baseline driver $bdrv): $REPLY"
}
# wait_count FILE SECONDS TEXT N: 0 once N lines of FILE hold TEXT (REPLY:
# the last of them).
wait_count () {
  now_s; end=$((REPLY + $2))
  while :; do
    # counted first, then read: the line is there when it is read
    n=$(grep -ac "$3" "$1" 2> /dev/null)
    seen=$(grep -a "$3" "$1" 2> /dev/null | tail -n 1 | tr -d '\r')
    [ "${n:-0}" -ge "$4" ] && { REPLY=$seen; return 0; }
    now_s; [ $REPLY -lt $end ] || { REPLY="(none after $2 s) $seen"; tail -n 8 "$1" | tr -d '\r' | sed 's/^/# L2 console: /'; return 1; }
    sleep 1
  done
}
# after PATH VF: the vf line after the path freed VF, and PASS/FAIL that it
# is free at the baseline by both readings and with its baseline driver.
after () {
  index_of "$2"; idx=$REPLY
  i=0
  while [ $i -lt 60 ]; do
    state_of "$2"; st=$REPLY
    [ "$st" = free ] || [ "$st" = quarantined ] && break
    sleep 1; i=$((i + 1))
  done
  at_baseline "$idx"; r=$?
  echo "# $1: after: $REPLY"
  driver_of "$2"
  [ $r = 0 ] && [ "$st" = free ] && [ "$REPLY" = "$bdrv" ]
  ok $? "$1: VF $idx ($2) is free at its verified baseline (vfpool: $got; state ${st:-none}; driver $REPLY)"
}
# link off|on: the igb's link, switched by run-lab.sh's watcher on the host
# (QEMU set_link n0); waits for the PF to see it.
link () {
  [ -n "${LAB_CTL:-}" ] || { echo "# no LAB_CTL: run-lab.sh has no link watcher"; return 1; }
  rm -f "$LAB_CTL/link.done"
  echo "$1" > "$LAB_CTL/link.new" && mv "$LAB_CTL/link.new" "$LAB_CTL/link"
  i=0; while [ ! -e "$LAB_CTL/link.done" ] && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
  [ -e "$LAB_CTL/link.done" ] || { echo "# no answer from the link watcher on the host"; return 1; }
  rm -f "$LAB_CTL/link" "$LAB_CTL/link.done"
  want=1; [ "$1" = off ] && want=0
  i=0; while rd /sys/class/net/$pfn/carrier; [ "$REPLY" != $want ] && [ $i -lt 60 ]; do sleep 0.5; i=$((i + 1)); done
  echo "# link $1: $pfn carrier $REPLY"
  [ "$REPLY" = $want ]
}
# attached_vf GUEST: REPLY is the address of the VF leased to GUEST.
attached_vf () {
  V list --json > $work/held.json 2>&1
  REPLY=$(json $work/held.json '[.[] | select(.owner == "'$1'") | .address][0] // empty')
}

# --- The igb PF: four VFs, probed by their driver as most hosts do -----------
netdev_of $pfdir; pfn=$REPLY
[ -n "$pfn" ] || { fail "scrub lab: the igb PF $pf has a netdev"; exit 0; }
rmmod igbvf 2> /dev/null
echo 0 > $pfdir/sriov_numvfs
# autoprobe on (the kernel's default): igbvf, once loaded, takes free VFs,
# and libvirt's reprobe gives it the VFs guests let go.
echo 1 > $pfdir/sriov_drivers_autoprobe
V apply > $work/apply.out 2>&1; rc=$?
diag $work/apply.out
rd $pfdir/sriov_numvfs
[ $rc = 0 ] && [ "$REPLY" = 4 ]; ok $? "scrub lab: vfpool apply makes 4 VFs on $pf (exit $rc)"
ip link set "$pfn" up
netdev_of /sys/bus/pci/devices/$peer; peern=$REPLY
ip link set "$peern" up
if [ ! -e /sys/class/net/$peern.42 ]; then
  ip link add link "$peern" name "$peern.42" type vlan id 42 && ip link set "$peern.42" up \
    && ip addr add $peer_ip/16 dev "$peern.42"
fi
link on > /dev/null
ip link show "$pfn" | diag

# libvirtd with the hook, and two L2 Linux guests booting while the checks
# without a guest run: L2a for detach and destroy, L2b for kill -9.
modprobe vfio-pci 2> /dev/null; modprobe vfio_iommu_type1 2> /dev/null
i=0; while [ -e /run/libvirt/libvirtd.pid ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
rm -f /run/libvirt/libvirtd.pid
start_libvirtd || exit 0
for g in L2a L2b; do
  define_guest $g 160 \
    "<kernel>$LAB_L2/vmlinux</kernel><initrd>$LAB_L2/initrd.cpio</initrd><cmdline>console=ttyS0 panic=-1 loglevel=4 mitigations=off cryptomgr.notests audit=0 lab.peer=$peer_ip</cmdline>" \
    "<serial type='file'><source path='$work/$g.console'/><target port='0'/></serial>"
  vsh start $g > $work/start-$g.out 2>&1; rc=$?
  ok $rc "scrub lab: the L2 Linux guest $g starts booting (exit $rc)"
  [ $rc = 0 ] || diag $work/define-$g.out $work/start-$g.out
done

# --- vfpool release: a hold changed by hand is restored and read back ----------
a=$(V reserve --owner lab --json 2> /dev/null | jq -r '.vfs[0].address'); index_of "$a"; ia=$REPLY
ip link set "$pfn" vf "$ia" mac 52:54:00:aa:bb:01 vlan 100 spoofchk off trust on max_tx_rate 100
before "release" "$a"
V release "$a" > $work/rel.out 2>&1; rc=$?
diag $work/rel.out
after "release (exit $rc)" "$a"

# --- the PF refuses (link off): quarantined, shown, never handed out ----------
b=$(V reserve --owner lab --json 2> /dev/null | jq -r '.vfs[0].address'); index_of "$b"; ib=$REPLY
ip link set "$pfn" vf "$ib" max_tx_rate 100
before "release, link off" "$b"
link off
V release "$b" > $work/rel2.out 2>&1; rc=$?
diag $work/rel2.out
state_of "$b"; st=$REPLY
reason_of "$b"; reason=$REPLY
echo "# QUARANTINED $b: $reason"
case $reason in *max-tx-rate*|*max_tx_rate*) r=0 ;; *) r=1 ;; esac
[ $rc = 1 ] && [ "$st" = quarantined ] && [ $r = 0 ]
ok $? "release while igb refuses max_tx_rate (link off): $b quarantined, the reason names the setting (exit $rc)"
V reserve --owner x --dry-run --explain --json > $work/explain.json 2>&1
[ "$(json $work/explain.json '.explain[] | select(.address == "'$b'") | .chosen')" = false ]
ok $? "a quarantined VF is never handed out (reserve --explain skips $b)"
V status > $work/status.out 2>&1
diag $work/status.out
has $work/status.out "Quarantined VFs" && has $work/status.out "  $b  "
ok $? "vfpool status shows the quarantined VF with its reason"
V list > $work/list.out 2>&1
has $work/list.out quarantined; ok $? "vfpool list shows it"
V audit --json --prometheus $work/vfpool.prom > $work/audit.json 2>&1; rc=$?
[ $rc != 0 ] && [ "$(json $work/audit.json '[.findings[] | select(.code == "quarantined") | .severity] | join(",")')" = error ]
ok $? "vfpool audit reports it (finding quarantined, error; exit $rc)"
grep 'state="quarantined"' $work/vfpool.prom | diag
grep -q 'vfpool_vfs{pool="scrub",pf="'$pf'",numa_node="[-0-9]*",state="quarantined"} 1' $work/vfpool.prom
ok $? "the Prometheus file counts it (vfpool_vfs{state=\"quarantined\"} 1)"
V scrub "$b" > $work/scrub1.out 2>&1; rc=$?
diag $work/scrub1.out
state_of "$b"
[ $rc = 1 ] && [ "$REPLY" = quarantined ]; ok $? "vfpool scrub while the link is still off: stays quarantined (exit $rc)"
link on
V scrub "$b" > $work/scrub2.out 2>&1; rc=$?
diag $work/scrub2.out
after "vfpool scrub, link back on (exit $rc)" "$b"

# --- a VF left on vfio-pci (a holder's driver): quarantined, never unbound ------
c=$(V reserve --owner lab --json 2> /dev/null | jq -r '.vfs[0].address')
echo vfio-pci > /sys/bus/pci/devices/$c/driver_override
echo "$c" > /sys/bus/pci/drivers/vfio-pci/bind 2> $work/bind.err || diag $work/bind.err
V release "$c" > $work/rel3.out 2>&1; rc=$?
diag $work/rel3.out
reason_of "$c"; echo "# QUARANTINED $c: $REPLY"
driver_of "$c"
case $(reason_of "$c"; echo "$REPLY") in *"bound to vfio-pci"*) r=0 ;; *) r=1 ;; esac
[ $rc = 1 ] && [ $r = 0 ] && [ "$REPLY" = vfio-pci ]
ok $? "a VF left on vfio-pci is quarantined and left on it (exit $rc)"
echo "$c" > /sys/bus/pci/drivers/vfio-pci/unbind
echo > /sys/bus/pci/devices/$c/driver_override
V scrub "$c" > $work/scrub3.out 2>&1; rc=$?
diag $work/scrub3.out
after "vfpool scrub, vfio-pci unbound by hand (exit $rc)" "$c"

# --- vfpool audit --fix: a leak (the guest was undefined) -----------------------
define_guest leak 64
V attach leak --config --json > $work/attach-leak.json 2> $work/attach-leak.err; rc=$?
diag $work/attach-leak.err
e=$(json $work/attach-leak.json '.vfs[0].address')
before "audit --fix (leak)" "$e"
vsh undefine leak > /dev/null 2>&1
V audit --fix > $work/fix.out 2>&1; rc=$?
diag $work/fix.out
after "audit --fix of the leak of an undefined guest (exit $rc)" "$e"

# --- vfpool detach from the L2 Linux guest; libvirt's reprobe is undone -----------
wait_console $work/L2a.console 900 L2-READY; rc=$?
ok $rc "L2a is up ($REPLY)"
[ $rc = 0 ] || { tail -n 20 /var/log/libvirt/qemu/L2a.log | diag; }
V attach L2a --live > $work/attach1.out 2>&1; rc=$?
diag $work/attach1.out
attached_vf L2a; f=$REPLY
wait_count $work/L2a.console 600 "L2-PING" 1
echo "# L2a: $REPLY"
case $REPLY in *" OK "*) r=0 ;; *) r=1 ;; esac
ok $r "L2a's igbvf reaches the peer through $f on VLAN 42 (attach exit $rc)"
# igbvf in L1 now: libvirt's reprobe gives it the VF at detach, though the
# VF had no driver when its lease began; the scrub unbinds it again.
modprobe igbvf; sleep 2
driver_of "$f"; echo "# igbvf loaded in L1; $f (held) is on $REPLY"
before "detach" "$f"
V detach L2a --all --timeout 240 > $work/detach1.out 2>&1; rc=$?
diag $work/detach1.out
# the kernel's word that libvirt's reprobe gave the VF to igbvf
dmesg | grep -a "igbvf $f" | tail -n 3 | diag
after "vfpool detach (exit $rc), igbvf taken off again" "$f"

# --- vfpool detach while igb refuses: quarantined ----------------------------------
V attach L2a --live > $work/attach2.out 2>&1; rc=$?
attached_vf L2a; f=$REPLY
wait_count $work/L2a.console 300 "L2-NET-ADDED" 2
echo "# attached $f (exit $rc); L2a: $REPLY"
before "detach, link off" "$f"
link off
V detach L2a --all --timeout 240 --json > $work/detach2.json 2> $work/detach2.err; rc=$?
diag $work/detach2.json $work/detach2.err
reason_of "$f"; echo "# QUARANTINED $f: $REPLY"
state_of "$f"
[ $rc = 1 ] && [ "$REPLY" = quarantined ]; ok $? "detach while igb refuses max_tx_rate 0: the VF left L2a but is quarantined (exit $rc)"
link on
V scrub "$f" > $work/scrub4.out 2>&1; rc=$?
diag $work/scrub4.out
after "vfpool scrub after the detach, link back on (exit $rc)" "$f"

# --- the release hook after virsh destroy; a MAC changed by hand on the PF -------
V attach L2a --live > $work/attach3.out 2>&1; rc=$?
attached_vf L2a; f=$REPLY
wait_count $work/L2a.console 300 "L2-NET-ADDED" 3
echo "# attached $f (exit $rc); L2a: $REPLY"
index_of "$f"; ip link set "$pfn" vf "$REPLY" mac 52:54:00:de:ad:01
before "virsh destroy, MAC changed by hand" "$f"
destroy L2a; rc=$?
after "the release hook after virsh destroy (exit $rc)" "$f"

# --- the baseline driver: a driver the lease did not begin with is unbound (as
# after libvirt's reprobe), one unbound by hand is bound again, one removed
# (rmmod) quarantines the VF until it is back.
for n in 0 1 2 3; do
  v=$(readlink $pfdir/virtfn$n); v=${v##*/}
  driver_of "$v"; [ "$REPLY" = igbvf ] && echo "$v" > /sys/bus/pci/drivers/igbvf/unbind
done
k=$(V reserve --owner lab --json 2> /dev/null | jq -r '.vfs[0].address')
driver_of "$k"; echo "# reserved $k on $REPLY"
echo igbvf > /sys/bus/pci/devices/$k/driver_override
echo "$k" > /sys/bus/pci/drivers/igbvf/bind
echo > /sys/bus/pci/devices/$k/driver_override
before "release of a VF bound to igbvf by hand" "$k"
driver_of "$k"; echo "# $k is on $REPLY now"
V release "$k" > $work/rel6.out 2>&1; rc=$?
diag $work/rel6.out
after "release: the scrub takes igbvf off again (exit $rc)" "$k"
# Every free VF on igbvf first (those the scrub took it off have none), so
# that the next reservations begin with igbvf.
for n in 0 1 2 3; do
  v=$(readlink $pfdir/virtfn$n); v=${v##*/}
  driver_of "$v"; [ "$REPLY" = none ] && echo "$v" > /sys/bus/pci/drivers/igbvf/bind
done
g=$(V reserve --owner lab --json 2> /dev/null | jq -r '.vfs[0].address')
driver_of "$g"; echo "# reserved $g on $REPLY"
before "release of a VF unbound by hand" "$g"
echo "$g" > /sys/bus/pci/devices/$g/driver/unbind
driver_of "$g"; echo "# unbound by hand: $g on $REPLY"
V release "$g" > $work/rel4.out 2>&1; rc=$?
diag $work/rel4.out
after "release of a VF unbound by hand: the scrub binds igbvf again (exit $rc)" "$g"
h=$(V reserve --owner lab --json 2> /dev/null | jq -r '.vfs[0].address')
driver_of "$h"; echo "# reserved $h on $REPLY"
before "release of a VF whose driver was removed" "$h"
rmmod igbvf
V release "$h" > $work/rel5.out 2>&1; rc=$?
diag $work/rel5.out
reason_of "$h"; reason=$REPLY; echo "# QUARANTINED $h: $reason"
state_of "$h"
case $reason in *igbvf*) r=0 ;; *) r=1 ;; esac
[ $rc = 1 ] && [ "$REPLY" = quarantined ] && [ $r = 0 ]
ok $? "igbvf removed: release quarantines $h, the reason names igbvf (exit $rc)"
modprobe igbvf; sleep 1
V scrub "$h" > $work/scrub5.out 2>&1; rc=$?
diag $work/scrub5.out
after "vfpool scrub with igbvf loaded again (exit $rc)" "$h"

# --- the release hook after kill -9 of the guest's QEMU ---------------------------
wait_console $work/L2b.console 900 L2-READY; rc=$?
ok $rc "L2b is up ($REPLY)"
V attach L2b --live > $work/attach4.out 2>&1; rc=$?
diag $work/attach4.out
attached_vf L2b; f=$REPLY
wait_count $work/L2b.console 600 "L2-PING" 1
echo "# L2b: $REPLY"
index_of "$f"; ip link set "$pfn" vf "$REPLY" mac 52:54:00:de:ad:02
before "kill -9, MAC changed by hand" "$f"
# libvirt writes the pid file without a newline: read would fail on it.
qpid=$(cat /run/libvirt/qemu/L2b.pid 2> /dev/null)
kill -9 "$qpid"; rc=$?
echo "# kill -9 $qpid (L2b's QEMU): exit $rc"
i=0; while [ "$(vsh domstate L2b 2> /dev/null)" != "shut off" ] && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
echo "# L2b: $(vsh domstate --reason L2b 2>&1)"
after "the release hook after kill -9 of L2b's QEMU" "$f"

V audit > $work/audit-end.out 2>&1; rc=$?
diag $work/audit-end.out
ok $rc "scrub lab: the audit is clean at the end (exit $rc)"
grep -E "quarantin|scrub" $work/vfpool.log 2> /dev/null | diag
for g in L2a L2b; do destroy $g > /dev/null 2>&1; vsh undefine $g > /dev/null 2>&1; done
kill $lvpid 2> /dev/null
i=0; while kill -0 $lvpid 2> /dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
rmmod igbvf 2> /dev/null
echo 0 > $pfdir/sriov_numvfs
exit 0
