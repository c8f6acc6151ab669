#!/bin/sh
# guest-nic.sh: runs inside L1 of the NIC lab (run-lab.sh, LAB_SET=nic).
# A real kernel with an intel-iommu, the Intel 82576 PF 0000:01:00.0 (QEMU
# 10's igb: VF offset 128, stride 2, device 10ca) driven by igb, and a peer
# e1000e 0000:02:00.0 on the same QEMU hub. Prints "PASS name" / "FAIL
# name" lines, which run-lab.sh turns into TAP; "# ..." lines are
# diagnostics, among them the PF's "vf N" lines before, during and after.
#
# The pool gives its VFs as <interface type='hostdev'> with vlan=42. The
# peer answers on a VLAN 42 sub-interface only (IPv4 link-local), so a ping
# from the L2 Linux guest through its VF proves that the PF tags and strips
# VLAN 42; a second VF with VLAN 43 must get no answer.

build=${LAB_BUILD:?}
vfpool=$build/src/vfpool
pf=0000:01:00.0
pfdir=/sys/bus/pci/devices/$pf
peer=0000:02:00.0
peer_ip=169.254.42.1
work=/run/vfpool-lab
src=${LAB_SRC:-$build}
uri="qemu+unix:///system?socket=/run/libvirt/libvirt-sock"
mkdir -p -m 0700 $work/state
conf=$work/vfpool.conf
cat > $conf <<EOF
[vfpool]
state-dir=$work/state
log-file=$work/vfpool.log
uri=$uri

[pool lab]
pfs=$pf
numvfs=3
template=interface
vlan=42
EOF
chmod 0644 $conf
V () { "$vfpool" --config "$conf" --template-dir "$src/xml-templates" "$@"; }
. "${0%/*}/guest-lib.sh"
. "${0%/*}/nic-lib.sh"

# vf_lines FILE: the PF's "vf N" lines of `ip link show PF` into FILE, one
# a line, leading blanks dropped.
vf_lines () {
  ip link show "$pfn" > $work/iplink.out 2>&1
  while IFS= read -r l; do
    case $l in *" vf "[0-9]*|"vf "[0-9]*) l=${l#"${l%%[! ]*}"}; echo "$l" ;; esac
  done < $work/iplink.out > "$1"
}
# vf_line FILE N: REPLY is VF N's line of FILE (from vf_lines).
vf_line () {
  REPLY=
  while IFS= read -r l; do case $l in "vf $2 "*) REPLY=$l; return 0 ;; esac; done < "$1"
  return 1
}

# --- The PF and the peer ------------------------------------------------------
if [ -d $pfdir ]; then
  rd $pfdir/device; dev=$REPLY
  rd $pfdir/sriov_totalvfs; ktotal=$REPLY
  [ "$dev" = 0x10c9 ] && [ -n "$ktotal" ] && [ "$ktotal" -gt 2 ]
  ok $? "PF $pf is an 82576 (device $dev) with SR-IOV (sriov_totalvfs=$ktotal)"
else
  fail "PF $pf is there"
  ls /sys/bus/pci/devices | diag
  exit 1
fi
netdev_of $pfdir; pfn=$REPLY
driver_of $pf
[ -n "$pfn" ] && [ "$REPLY" = igb ]; ok $? "igb drives the PF, netdev ${pfn:-none} (driver $REPLY)"
netdev_of /sys/bus/pci/devices/$peer; peern=$REPLY
driver_of $peer
[ -n "$peern" ] && [ "$REPLY" = e1000e ]; ok $? "e1000e drives the peer $peer, netdev ${peern:-none}"
[ -n "$pfn" ] && [ -n "$peern" ] || exit 1

# --- apply: the VF count of the configuration (numvfs=3) ------------------------------
V apply > $work/apply.out 2>&1
rc=$?
diag $work/apply.out
rd $pfdir/sriov_numvfs
[ $rc = 0 ] && [ "$REPLY" = 3 ]; ok $? "vfpool apply gives $pf the numvfs=3 of the configuration (exit $rc, sriov_numvfs: $REPLY)"
# Offset 128, stride 2: routing IDs 0x180, 0x182, 0x184 on bus 01.
want="0000:01:10.0 0000:01:10.2 0000:01:10.4"
got=
for i in 0 1 2; do v=$(readlink $pfdir/virtfn$i); got="$got ${v##*/}"; done
got=${got# }
[ "$got" = "$want" ] && [ ! -e $pfdir/virtfn3 ]
ok $? "the kernel created VFs $want, offset 128 and stride 2 apart (virtfn0-2: $got)"
vfs=$got

# --- libvirtd, and the L2 Linux guest (it boots while the checks below run) ----------
# busybox's modprobe does not follow vfio-pci's softdep on vfio_iommu_type1;
# without both, libvirt says the host cannot pass PCI devices through.
modprobe vfio-pci > $work/modprobe.out 2>&1 && modprobe vfio_iommu_type1 >> $work/modprobe.out 2>&1
rc=$?
[ $rc = 0 ] && [ -d /sys/module/vfio_iommu_type1 ]; ok $? "modprobe vfio-pci vfio_iommu_type1 (exit $rc)"
[ $rc = 0 ] || diag $work/modprobe.out
command -v libvirtd > /dev/null || { echo "SKIP libvirt part: no libvirtd in L1"; exit 0; }
start_libvirtd || exit 0
l2con=$work/L2linux.console
[ -r "${LAB_L2:-}/vmlinux" ] || { fail "the L2 Linux guest's kernel is in ${LAB_L2:-LAB_L2 unset}"; exit 0; }
# cryptomgr.notests, audit=0, mitigations=off: less work at boot.
define_guest L2linux 160 \
  "<kernel>$LAB_L2/vmlinux</kernel><initrd>$LAB_L2/initrd.cpio</initrd><cmdline>console=ttyS0 panic=-1 loglevel=4 mitigations=off cryptomgr.notests audit=0 lab.peer=$peer_ip</cmdline>" \
  "<serial type='file'><source path='$l2con'/><target port='0'/></serial>"
vsh start L2linux > $work/start-L2linux.out 2>&1
rc=$?
now_s; l2start=$REPLY
ok $rc "the L2 Linux guest L2linux starts booting (exit $rc, L1 uptime $l2start s)"
[ $rc = 0 ] || { diag $work/define-L2linux.out $work/start-L2linux.out; kill $lvpid; exit 0; }

# The PF up, as its network configuration would bring it; the VFs are
# created before, as at boot (vfpool-setup.service). igb reopens the PF
# when VFs come and tells them it is done (CTRL_EXT.PFRSTD).
ip link set "$pfn" up
ip link set "$peern" up
now_s; end=$((REPLY + 60))
while :; do
  rd /sys/class/net/$pfn/carrier; c1=$REPLY
  rd /sys/class/net/$peern/carrier; c2=$REPLY
  [ "$c1" = 1 ] && [ "$c2" = 1 ] && break
  now_s; [ $REPLY -lt $end ] || break
  sleep 0.5
done
[ "$c1" = 1 ] && [ "$c2" = 1 ]; ok $? "the PF $pfn and the peer $peern are up with carrier (carrier: $c1 $c2)"
# The peer answers on VLAN 42 only: a reply proves that the PF tags.
ip link add link "$peern" name "$peern.42" type vlan id 42 > $work/vlan.out 2>&1 \
  && ip link set "$peern.42" up && ip addr add $peer_ip/16 dev "$peern.42" >> $work/vlan.out 2>&1
ok $? "the peer has $peer_ip on its VLAN 42 sub-interface $peern.42 and no address untagged"
diag $work/vlan.out

vf_lines $work/vf-before.txt
echo "# ip link show $pfn, before attach:"
diag $work/vf-before.txt
n=0 base=0
while IFS= read -r l; do n=$((n + 1)); vf_line_is_baseline "$l" && base=$((base + 1)); done < $work/vf-before.txt
[ $n = 3 ] && [ $base = 3 ]
ok $? "ip link show $pfn has 3 vf lines, each at the baseline (MAC 00:00:00:00:00:00, no VLAN, spoof checking on, link-state auto, trust off; $base of $n)"
drivers_before=
for v in $vfs; do driver_of $v; drivers_before="$drivers_before $REPLY"; done
echo "# VF drivers before attach:$drivers_before"

# --- status, list, pf show against the kernel, lspci and ip link ---------------------
V status > $work/status.out 2>&1
rc=$?
diag $work/status.out
line=
while read -r a b c d rest; do
  [ "$a" = $pf ] && line="$a $b $c $d" && break
done < $work/status.out
rd $pfdir/sriov_numvfs; knum=$REPLY
[ $rc = 0 ] && [ "$line" = "$pf $pfn igb $knum/$ktotal" ]
ok $? "vfpool status shows $pfn, igb and the kernel's $knum/$ktotal VFs for $pf (exit $rc, row: $line)"

V list --json > $work/list.json 2> $work/list.err
rc=$?
got=$(json $work/list.json '[.[] | select(.pf == "'$pf'") | "\(.address)/\(.index)/\(.state)"] | join(" ")')
[ $rc = 0 ] && [ "$got" = "0000:01:10.0/0/free 0000:01:10.2/1/free 0000:01:10.4/2/free" ]
ok $? "vfpool list --json lists $vfs as free VFs 0, 1 and 2 (exit $rc, got: $got)"
[ $rc = 0 ] || diag $work/list.err
# ip link numbers the same VFs: one vf line per listed VF, same indexes.
ipidx=
while read -r w idx rest; do ipidx="$ipidx $idx"; done < $work/vf-before.txt
lidx=$(json $work/list.json '[.[] | select(.pf == "'$pf'") | .index | tostring] | join(" ")')
[ "${ipidx# }" = "$lidx" ]; ok $? "vfpool list and ip link show $pfn number the same VFs (list: $lidx, ip link:$ipidx)"

V pf show $pf --json > $work/pf.json 2> $work/pf.err
rc=$?
diag $work/pf.err
vp=$(json $work/pf.json '"\(.num_vfs) \(.vf_offset) \(.vf_stride) \(.initial_vfs) \(.vf_device_id)"')
vtotal=$(json $work/pf.json '.total_vfs')
vvfs=$(json $work/pf.json '.vfs | join(" ")')
lspci -vvv -s 01:00.0 > $work/lspci.out 2>&1
# "Initial VFs: 8, Total VFs: 8, Number of VFs: 3, Function Dependency Link: 00"
# "VF offset: 128, stride: 2, Device ID: 10ca"
total= num= off= stride= initial= did=
while IFS= read -r l; do
  case $l in
    *"Total VFs: "*)
      t=${l#*Initial VFs: }; initial=${t%%,*}
      t=${l#*Total VFs: }; total=${t%%,*}
      t=${l#*Number of VFs: }; num=${t%%,*} ;;
    *"VF offset: "*)
      t=${l#*VF offset: }; off=${t%%,*}
      t=${l#*stride: }; stride=${t%%,*}
      t=${l#*Device ID: }; did=${t%% *} ;;
  esac
done < $work/lspci.out
lp="$num $off $stride $initial $did"
[ $rc = 0 ] && [ -n "$num" ] && [ "$vp" = "$lp" ] && [ "$lp" = "3 128 2 8 10ca" ]
ok $? "vfpool pf show --json num/offset/stride/initial/VF device equal lspci -vvv (vfpool: $vp, lspci: $lp)"
[ -n "$num" ] || diag $work/lspci.out
# igb allows 7 of the 8 VFs the capability offers: sriov_totalvfs says 7.
[ "$vtotal" = "$ktotal" ] && [ -n "$total" ] && [ "$total" -ge "$ktotal" ]
ok $? "vfpool pf show --json total_vfs is the kernel's sriov_totalvfs $ktotal (vfpool: $vtotal; lspci's capability: $total)"
[ "$vvfs" = "$vfs" ]; ok $? "vfpool pf show --json lists the VFs the kernel made (got: $vvfs)"

# --- attach: the pool's VLAN 42 -----------------------------------------------------
wait_console $l2con 900 L2-READY
rc=$?
said=$REPLY
now_s
ok $rc "L2linux is up: its /init said '$said' $((REPLY - l2start)) s after virsh start (TCG in TCG)"
if [ $rc != 0 ]; then
  diag $l2con; tail -n 20 /var/log/libvirt/qemu/L2linux.log | diag; kill $lvpid; exit 0
fi

V attach L2linux --live > $work/attach.out 2>&1
rc=$?
diag $work/attach.out
ok $rc "vfpool attach L2linux (exit $rc)"
[ $rc = 0 ] || { tail -n 20 /var/log/libvirt/libvirtd.log | diag; destroy L2linux; kill $lvpid; exit 0; }
V list --json > $work/list2.json 2>&1
got=$(json $work/list2.json '[.[] | select(.state != "free") | "\(.address) \(.index) \(.state) \(.owner) \(.mac) \(.vlan)"] | join(", ")')
read -r vf idx state owner mac vlan rest <<EOF
$got
EOF
vsh dumpxml L2linux > $work/live.xml 2>&1
iface=no xmac= xvlan=
while IFS= read -r l; do
  case $l in
    *"<interface type='hostdev'"*) iface=yes ;;
    *"<mac address='"*) [ $iface = yes ] && [ -z "$xmac" ] && { xmac=${l#*address=\'}; xmac=${xmac%%\'*}; } ;;
    *"<tag id='"*) [ $iface = yes ] && { xvlan=${l#*id=\'}; xvlan=${xvlan%%\'*}; } ;;
  esac
done < $work/live.xml
[ "$state $owner $vlan" = "attached L2linux 42" ] && [ -n "$mac" ] && [ "$mac" != null ]
ok $? "the lease of $vf (VF $idx) is attached to L2linux with MAC $mac and VLAN 42 (got: $got)"
# The checks below go on with the guest's MAC if the lease has none.
{ [ -n "$mac" ] && [ "$mac" != null ]; } || mac=$xmac
[ $iface = yes ] && [ "$xmac" = "$mac" ] && [ "$xvlan" = 42 ]
ok $? "the live XML of L2linux has <interface type='hostdev'> with MAC $xmac and VLAN tag $xvlan"
sed -n "/<interface type='hostdev'/,/<\/interface>/p" $work/live.xml | diag
vf_lines $work/vf-attached.txt
echo "# ip link show $pfn, $vf attached:"
diag $work/vf-attached.txt
vf_line $work/vf-attached.txt "$idx"
case $REPLY in *"link/ether $mac "*", vlan 42,"*) r=0 ;; *) r=1 ;; esac
ok $r "the PF's vf $idx line shows the lease's MAC $mac and VLAN 42 ($REPLY)"
driver_of $vf
[ "$REPLY" = vfio-pci ]; ok $? "$vf is bound to vfio-pci in L1 (driver: $REPLY)"

wait_console $l2con 300 L2-NET-ADDED
rc=$?
said=$REPLY
read -r if1 w l2mac w l2drv rest <<EOF
${said#*L2-NET-ADDED }
EOF
[ $rc = 0 ] && [ "$l2drv" = igbvf ] && [ "$l2mac" = "$mac" ]
ok $? "inside L2 igbvf drives the VF as $if1 with the lease's MAC $mac ($said)"
wait_console $l2con 120 "L2-CARRIER $if1"
case $REPLY in *"L2-CARRIER $if1 1"*) r=0 ;; *) r=1 ;; esac
ok $r "inside L2 $if1 has carrier ($REPLY)"
wait_console $l2con 180 "L2-PING $if1 "
said=$REPLY
case $said in *" OK "*) r=0 ;; *) r=1 ;; esac
ok $r "traffic: L2 reaches the peer's VLAN 42 address $peer_ip through the VF ($said)"
[ $r = 0 ] || tail -n 40 $l2con | tr -d '\r' | sed 's/^/# L2 console: /'

# --- a VF of another VLAN gets no answer ------------------------------------------------
V attach L2linux --live --vlan 43 > $work/attach43.out 2>&1
rc=$?
diag $work/attach43.out
V list --json > $work/list3.json 2>&1
got=$(json $work/list3.json '[.[] | select(.state != "free" and .vlan == 43) | "\(.address) \(.index) \(.mac)"] | join(", ")')
read -r vf43 idx43 mac43 rest <<EOF
$got
EOF
[ $rc = 0 ] && [ -n "$vf43" ]; ok $? "vfpool attach L2linux --vlan 43 gives a second VF (exit $rc, got: $got)"
vf_lines $work/vf-attached2.txt
echo "# ip link show $pfn, $vf43 attached with VLAN 43:"
diag $work/vf-attached2.txt
vf_line $work/vf-attached2.txt "$idx43"
case $REPLY in *"link/ether $mac43 "*", vlan 43,"*) r=0 ;; *) r=1 ;; esac
ok $r "the PF's vf $idx43 line shows MAC $mac43 and VLAN 43 ($REPLY)"
wait_console $l2con 300 "L2-NET-ADDED" > /dev/null
if2=
now_s; end=$((REPLY + 300))
while [ -z "$if2" ]; do
  while IFS= read -r l; do
    case $l in *"L2-NET-ADDED "*) set -- ${l#*L2-NET-ADDED }; [ "$1" != "$if1" ] && if2=$1 ;; esac
  done < $l2con
  now_s; [ $REPLY -lt $end ] || break
  [ -n "$if2" ] || sleep 1
done
wait_console $l2con 240 "L2-PING ${if2:-none} "
said=$REPLY
case $said in *" FAIL "*) r=0 ;; *) r=1 ;; esac
[ -n "$if2" ] && [ $r = 0 ]
ok $? "traffic: the VLAN 43 VF ${if2:-(none seen)} does not reach the peer's VLAN 42 address (${said:-no ping line})"
tail -n 20 $l2con | tr -d '\r' | sed 's/^/# L2 console: /'

# --- detach: the guest lets go, the VFs go back to their baseline ------------------------
now_s; t0=$REPLY
V detach L2linux --all --timeout 240 > $work/detach.out 2>&1
rc=$?
now_s; t1=$REPLY
diag $work/detach.out
ok $rc "vfpool detach L2linux --all completes: the guest let go (exit $rc, $((t1 - t0)) s)"
wait_console $l2con 60 "L2-NET-REMOVED $if1" > /dev/null
r=$?
ok $r "the Linux in L2 saw $if1 go ($REPLY)"
vsh dumpxml L2linux > $work/live2.xml 2>&1
has $work/live2.xml "<interface type='hostdev'"; r=$?
[ $r != 0 ]; ok $? "no <interface type='hostdev'> is left in L2linux's live XML"
V list --json > $work/list4.json 2>&1
got=$(json $work/list4.json '[.[] | select(.state != "free")] | length')
[ "$got" = 0 ]; ok $? "every lease is free after the detach (held: $got)"
# libvirt restores the MAC and VLAN when it gives the VF back to the host.
now_s; end=$((REPLY + 30))
while :; do
  vf_lines $work/vf-after.txt
  cmp -s $work/vf-before.txt $work/vf-after.txt && break
  now_s; [ $REPLY -lt $end ] || break
  sleep 1
done
echo "# ip link show $pfn, after detach:"
diag $work/vf-after.txt
for v in $vf $vf43; do
  i=0
  for w in $vfs; do [ "$w" = "$v" ] && break; i=$((i + 1)); done
  vf_line $work/vf-after.txt $i; after=$REPLY
  vf_line $work/vf-before.txt $i; before=$REPLY
  vf_line_is_baseline "$after" && [ "$after" = "$before" ]
  ok $? "vf $i ($v) is back at its baseline after the detach ($after)"
done
drivers_after=
for v in $vfs; do driver_of $v; drivers_after="$drivers_after $REPLY"; done
[ "$drivers_after" = "$drivers_before" ]
ok $? "the VFs have the drivers they had before (before:$drivers_before, after:$drivers_after)"

destroy L2linux
ok $? "virsh destroy L2linux"
V audit > $work/audit.out 2>&1
rc=$?
diag $work/audit.out
ok $rc "vfpool audit is clean at the end (exit $rc)"
vsh undefine L2linux > /dev/null 2>&1

# --- Which card the PF is (issue 18): recorded at the first reservation,
# from the igb's real config space and netdev. The current MAC changed by
# hand is not another card; a record that names another card is refused
# until the operator adopts the card.
id=$(sed -n "s|.*<pf address=\"$pf\" identity=\"\([^\"]*\)\".*|\1|p" $work/state/leases.xml)
rd /sys/class/net/$pfn/address; mac0=$REPLY
case $id in dsn:*|"mac:$mac0") r=0 ;; *) r=1 ;; esac
ok $r "the store recorded the igb's identity ($id; netdev MAC $mac0)"
ip link set $pfn address 52:54:00:aa:bb:01
V audit > $work/audit-id.out 2>&1
rc=$?
ip link set $pfn address $mac0
diag $work/audit-id.out
[ $rc = 0 ]; ok $? "a MAC set by hand on the PF is not another card: the audit stays clean (exit $rc)"
sed -i "s|identity=\"$id\"|identity=\"mac:02:00:00:00:00:99\"|" $work/state/leases.xml
V audit > $work/audit-id.out 2>&1
rc=$?
diag $work/audit-id.out
[ $rc = 1 ] && grep -q identity-changed $work/audit-id.out
ok $? "a record naming another card: the audit reports identity-changed (exit $rc)"
V reserve --owner lab-id --dry-run > $work/reserve-id.out 2>&1
rc=$?
diag $work/reserve-id.out
[ $rc != 0 ]; ok $? "and no VF of that PF is handed out (exit $rc)"
V adopt-hardware $pf > $work/adopt.out 2>&1 && V audit > $work/audit-id.out 2>&1
rc=$?
diag $work/adopt.out $work/audit-id.out
[ $rc = 0 ] && grep -q "identity=\"$id\"" $work/state/leases.xml
ok $? "vfpool adopt-hardware accepts the card there now, and the audit is clean again (exit $rc)"

kill $lvpid 2> /dev/null
[ -s $work/vfpool.log ] && diag $work/vfpool.log

# The VF settings vfpool applies through the PF (guest-vfnet.sh: each
# setting applied and read back or refused by name, the baseline restored,
# attach with the pool's settings, the audit's vf-settings finding), on the
# same igb, in the same L1: no second boot. It makes its own VFs and starts
# its own libvirtd once this one is gone.
i=0; while kill -0 $lvpid 2> /dev/null && [ $i -lt 100 ]; do sleep 0.2; i=$((i + 1)); done
rm -f /run/libvirt/libvirtd.pid
echo 0 > $pfdir/sriov_numvfs
sh "$src/tests/lab/guest-vfnet.sh"
# Scrub, verify, then free or quarantine on every path that frees a VF,
# with L2 Linux guests and real faults (guest-scrub.sh), in the same L1.
sh "$src/tests/lab/guest-scrub.sh"
# Live migration with real VFs between two private libvirtds in this L1
# (guest-migrate.sh, issue 17): its own VFs, daemons and L2 guest.
sh "$src/tests/lab/guest-migrate.sh"
exit 0
