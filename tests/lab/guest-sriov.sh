#!/bin/sh
# guest-sriov.sh: runs inside L1 of the SR-IOV lab (see run-lab.sh).
# A real kernel with an intel-iommu (interrupt remapping on) and the NVMe
# PF 0000:01:00.0 (sriov_max_vfs=4). Prints "PASS name" / "FAIL name"
# lines, which run-lab.sh turns into TAP; "# ..." lines are diagnostics.
# Every fork costs ~45 ms under TCG: shell builtins where possible.

build=${LAB_BUILD:?}
vfpool=$build/src/vfpool
pf=0000:01:00.0
pfdir=/sys/bus/pci/devices/$pf
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
numvfs=2
template=hostdev
EOF
chmod 0644 $conf
V () { "$vfpool" --config "$conf" --template-dir "$src/xml-templates" "$@"; }
. "${0%/*}/guest-lib.sh"

# --- The PF -------------------------------------------------------------------
if [ -d $pfdir ]; then
  rd $pfdir/sriov_totalvfs
  [ "$REPLY" = 4 ]; ok $? "PF $pf is there with sriov_totalvfs=4 (read: $REPLY)"
else
  fail "PF $pf is there"
  ls /sys/bus/pci/devices | diag
  exit 1
fi
[ -d /sys/class/iommu ] && [ -n "$(ls /sys/kernel/iommu_groups)" ]; ok $? "the kernel has IOMMU groups"

# --- pf set-numvfs --------------------------------------------------------------
echo 0 > $pfdir/sriov_drivers_autoprobe
V pf set-numvfs $pf 2 > $work/setnumvfs.out 2>&1
rc=$?
ok $rc "vfpool pf set-numvfs $pf 2 (exit $rc)"
[ $rc = 0 ] || diag $work/setnumvfs.out
rd $pfdir/sriov_numvfs
[ "$REPLY" = 2 ]; ok $? "sysfs sriov_numvfs is 2 after set-numvfs (read: $REPLY)"
v0=$(readlink $pfdir/virtfn0); v1=$(readlink $pfdir/virtfn1)
[ "${v0##*/}" = 0000:01:00.1 ] && [ "${v1##*/}" = 0000:01:00.2 ]
ok $? "the kernel created VFs 0000:01:00.1 and 0000:01:00.2 (virtfn0=${v0##*/} virtfn1=${v1##*/})"

# --- apply: the VF count of the configuration (numvfs=2) ------------------------------
V pf set-numvfs $pf 0 > $work/setnumvfs0.out 2>&1
rc=$?
rd $pfdir/sriov_numvfs
[ $rc = 0 ] && [ "$REPLY" = 0 ]; ok $? "vfpool pf set-numvfs $pf 0 removes the VFs (exit $rc, sriov_numvfs: $REPLY)"
[ $rc = 0 ] || diag $work/setnumvfs0.out
V apply > $work/apply.out 2>&1
rc=$?
diag $work/apply.out
rd $pfdir/sriov_numvfs
[ $rc = 0 ] && [ "$REPLY" = 2 ]; ok $? "vfpool apply gives $pf the numvfs=2 of the configuration (exit $rc, sriov_numvfs: $REPLY)"
v0=$(readlink $pfdir/virtfn0); v1=$(readlink $pfdir/virtfn1)
[ "${v0##*/}" = 0000:01:00.1 ] && [ "${v1##*/}" = 0000:01:00.2 ] && [ ! -e $pfdir/virtfn2 ]
ok $? "after apply the kernel has VFs 0000:01:00.1 and 0000:01:00.2 (virtfn0=${v0##*/} virtfn1=${v1##*/})"
V apply > $work/apply2.out 2>&1
rc=$?
diag $work/apply2.out
[ $rc = 0 ] && has $work/apply2.out "already has 2 VFs"; ok $? "a second vfpool apply leaves the PF alone (exit $rc)"

# --- status -------------------------------------------------------------------------
V status > $work/status.out 2>&1
rc=$?
diag $work/status.out
line=
while read -r a b c d e rest; do
  [ "$a" = $pf ] && line="$a $b $c $d" && break
done < $work/status.out
rd $pfdir/sriov_numvfs; knum=$REPLY
rd $pfdir/sriov_totalvfs; ktotal=$REPLY
[ $rc = 0 ] && [ "$line" = "$pf - nvme $knum/$ktotal" ] && [ "$knum/$ktotal" = 2/4 ]
ok $? "vfpool status shows the kernel's $knum/$ktotal VFs for $pf (exit $rc, row: $line)"

# --- list --json -------------------------------------------------------------------
V list --json > $work/list.json 2> $work/list.err
rc=$?
got=$(json $work/list.json '[.[] | select(.pf == "'$pf'") | "\(.address)/\(.index)/\(.state)"] | join(" ")')
[ $rc = 0 ] && [ "$got" = "0000:01:00.1/0/free 0000:01:00.2/1/free" ]
ok $? "vfpool list --json lists 0000:01:00.1 and 0000:01:00.2 as free VFs 0 and 1 (exit $rc, got: $got)"
[ $rc = 0 ] || diag $work/list.err

# --- pf show --json against lspci -vvv -------------------------------------------------
V pf show $pf --json > $work/pf.json 2> $work/pf.err
rc=$?
vp=$(json $work/pf.json '"\(.total_vfs) \(.num_vfs) \(.vf_offset) \(.vf_stride) \(.initial_vfs)"')
lspci -vvv -s 01:00.0 > $work/lspci.out 2>&1
# "Initial VFs: 4, Total VFs: 4, Number of VFs: 2, Function Dependency Link: 00"
# "VF offset: 1, stride: 1, Device ID: 0010"
total= num= off= stride= initial=
while IFS= read -r l; do
  case $l in
    *"Total VFs: "*)
      t=${l#*Initial VFs: }; initial=${t%%,*}
      t=${l#*Total VFs: }; total=${t%%,*}
      t=${l#*Number of VFs: }; num=${t%%,*} ;;
    *"VF offset: "*)
      t=${l#*VF offset: }; off=${t%%,*}
      t=${l#*stride: }; stride=${t%%,*} ;;
  esac
done < $work/lspci.out
lp="$total $num $off $stride $initial"
[ $rc = 0 ] && [ -n "$total" ] && [ "$vp" = "$lp" ]
ok $? "vfpool pf show --json total/num/offset/stride/initial equal lspci -vvv (vfpool: $vp, lspci: $lp)"
[ -n "$total" ] || diag $work/lspci.out

# --- check ---------------------------------------------------------------------------
V check > $work/check.out 2>&1
diag $work/check.out
c_iommu= c_irq=
while read -r st name rest; do
  case $name in
    iommu) c_iommu=$st ;;
    interrupt-remapping) c_irq=$st ;;
  esac
done < $work/check.out
[ "$c_iommu" = "[PASS]" ]; ok $? "vfpool check: iommu $c_iommu"
[ "$c_irq" = "[PASS]" ]; ok $? "vfpool check: interrupt-remapping $c_irq"

# --- vfio-pci ------------------------------------------------------------------------
modprobe vfio-pci > $work/modprobe.out 2>&1
rc=$?
[ $rc = 0 ] && [ -d /sys/bus/pci/drivers/vfio-pci ]; ok $? "modprobe vfio-pci (exit $rc)"
[ $rc = 0 ] || diag $work/modprobe.out
# kmod's modprobe follows vfio's "softdep post: vfio_iommu_type1"; busybox's
# does not, and without it QEMU says "No available IOMMU models".
V check > $work/check1.out 2>&1
line_of $work/check1.out " vfio-iommu "
case $REPLY in "[WARN] vfio-iommu "*) r=0 ;; *) r=1 ;; esac
ok $r "vfpool check warns that vfio_iommu_type1 is missing after busybox's modprobe vfio-pci"
echo "# $REPLY"
modprobe vfio_iommu_type1 > $work/modprobe.out 2>&1
rc=$?
[ $rc = 0 ] && [ -d /sys/module/vfio_iommu_type1 ]; ok $? "modprobe vfio_iommu_type1 (exit $rc)"
V check > $work/check2.out 2>&1
rc=$?
diag $work/check2.out
line_of $work/check2.out " vfio-iommu "
case $REPLY in "[PASS] vfio-iommu "*) r=0 ;; *) r=1 ;; esac
[ $rc = 0 ] && [ $r = 0 ]; ok $? "vfpool check passes once vfio-pci and vfio_iommu_type1 are loaded (exit $rc)"


# --- libvirtd in L1, with the vfpool hook ------------------------------------------
# Everything below writes only to L1's tmpfs overlays (/etc, /var, /run).
[ "${LAB_LIBVIRT:-1}" = 1 ] || { [ -s $work/vfpool.log ] && diag $work/vfpool.log; exit 0; }
command -v libvirtd > /dev/null || { echo "SKIP libvirt part: no libvirtd in L1"; exit 0; }
start_libvirtd || exit 0
# scan_live FILE: vfio=yes when a <driver name='vfio'/> is there, meta=yes for
# vfpool's metadata, fn=the function of the hostdev source on bus 01.
scan_live () {
  vfio=no meta=no fn=
  while IFS= read -r l; do
    case $l in
      *"<driver name='vfio'/>"*) vfio=yes ;;
      *"http://vfpool.org/xmlns/vfpool/1"*) meta=yes ;;
      *"<address domain='0x0000' bus='0x01' slot='0x00' function="*)
        fn=${l#*function=\'}; fn=${fn%%\'*} ;;
    esac
  done < "$1"
}
# --- The L2 Linux guest boots meanwhile --------------------------------------------
# The same Debian kernel and a busybox initramfs that loads nvme and idles
# (run-lab.sh builds it). TCG in TCG: it boots while the OS-less guest's
# tests run, and is waited for below. ACPI is on so that the guest takes
# part in PCI hot-unplug; no pcie_ports=native.
l2con=$work/L2linux.console
l2up=
# cryptomgr.notests, audit=0, mitigations=off: less work at boot.
if [ -r "${LAB_L2:-}/vmlinux" ]; then
  define_guest L2linux 128 \
    "<kernel>$LAB_L2/vmlinux</kernel><initrd>$LAB_L2/initrd.cpio</initrd><cmdline>console=ttyS0 panic=-1 loglevel=4 mitigations=off cryptomgr.notests audit=0</cmdline>" \
    "<serial type='file'><source path='$l2con'/><target port='0'/></serial>"
  vsh start L2linux > $work/start-L2linux.out 2>&1
  rc=$?
  now_s; l2start=$REPLY
  ok $rc "the L2 Linux guest L2linux starts booting (exit $rc, L1 uptime $l2start s)"
  [ $rc = 0 ] && l2up=yes
  [ $rc = 0 ] || diag $work/define-L2linux.out $work/start-L2linux.out
else
  fail "the L2 Linux guest's kernel is in ${LAB_L2:-LAB_L2 unset}"
fi

define_guest L2 64 && vsh start L2 > $work/start.out 2>&1
rc=$?
ok $rc "an OS-less L2 guest (TCG) starts under L1's libvirtd (exit $rc)"
if [ $rc != 0 ]; then
  diag $work/define-L2.out $work/start.out; tail -n 20 /var/log/libvirt/qemu/L2.log | diag; exit 0
fi

# --- attach -----------------------------------------------------------------------------
V attach L2 > $work/attach.out 2>&1
rc=$?
diag $work/attach.out
ok $rc "vfpool attach L2 (exit $rc)"
vsh dumpxml L2 > $work/L2-live.xml 2>&1
scan_live $work/L2-live.xml
[ $vfio = yes ] && [ -n "$fn" ]
ok $? "the live XML of L2 has the VF 01:00.${fn#0x} with <driver name='vfio'/>"
[ $meta = yes ]; ok $? "the live XML of L2 carries vfpool's metadata"
[ $vfio = yes ] && [ $meta = yes ] || diag $work/L2-live.xml
while IFS= read -r l; do
  case $l in *"<hostdev"*|*"<driver name='vfio'/>"*|*"<address domain="*|*"ua-vfpool"*) echo "# live XML: $l" ;; esac
done < $work/L2-live.xml
V list --json > $work/list2.json 2>&1
got=$(json $work/list2.json '[.[] | select(.state != "free") | "\(.address) \(.state) \(.owner)"] | join(", ")')
case $got in "0000:01:00."[12]" attached L2") r=0 ;; *) r=1 ;; esac
ok $r "the lease is attached to L2 (got: $got)"
vf=${got%% *}
drv=$(readlink /sys/bus/pci/devices/$vf/driver)
[ "${drv##*/}" = vfio-pci ]; ok $? "the kernel has $vf bound to vfio-pci (driver: ${drv##*/})"

# --- conflict: guest B's definition names the VF that L2 holds ---------------------------
vsh dumpxml --inactive L2 > $work/L2-inactive.xml 2>&1
sed -e 's|<name>L2</name>|<name>B</name>|' -e '/<uuid>/d' $work/L2-inactive.xml > $work/B.xml
has $work/B.xml "function='0x${vf##*.}'" && has $work/B.xml "ua-vfpool-0"
ok $? "guest B's definition names L2's VF $vf as ua-vfpool-0"
cp $work/state/leases.xml $work/leases-before-B.xml
vsh define $work/B.xml > $work/define-B.out 2>&1
vsh start B > $work/start-B.out 2>&1
rc=$?
diag $work/start-B.out
[ $rc != 0 ]; ok $? "virsh start B fails (exit $rc)"
has $work/start-B.out "is attached by L2; guest B cannot start with it"
ok $? "libvirt's error carries vfpool's reason from the hook"
vsh dumpxml L2 > $work/L2-live2.xml 2>&1
scan_live $work/L2-live2.xml
drv=$(readlink /sys/bus/pci/devices/$vf/driver)
[ $vfio = yes ] && [ "0000:01:00.${fn#0x}" = "$vf" ] && [ "${drv##*/}" = vfio-pci ]
ok $? "L2 keeps $vf (live XML function ${fn:-none}, driver ${drv##*/})"
cmp -s $work/state/leases.xml $work/leases-before-B.xml
ok $? "the lease store is unchanged by B's refused start"
lease_of $vf
[ "$REPLY" = "attached L2" ]; ok $? "the lease of $vf is still attached to L2 (got: $REPLY)"
vsh undefine B > /dev/null 2>&1

# --- detach without a guest that acknowledges -------------------------------------------
V detach L2 --all --timeout 5 > $work/detach.out 2>&1
rc=$?
diag $work/detach.out
[ $rc = 1 ]; ok $? "vfpool detach L2 --all --timeout 5 fails on an OS-less guest (exit $rc, expected 1)"
lease_of $vf
[ "$REPLY" = "detaching L2" ]; ok $? "the lease of $vf is detaching (got: $REPLY)"
V audit > $work/audit.out 2>&1
rc=$?
diag $work/audit.out
has $work/audit.out stuck-detach
r=$?
[ $rc = 1 ] && [ $r = 0 ]; ok $? "vfpool audit reports stuck-detach (exit $rc)"

# --- destroy: the release hook frees the VF -------------------------------------------------
destroy L2
ok $? "virsh destroy L2"
lease_of $vf
[ "${REPLY%% *}" = free ]; ok $? "the release hook freed $vf after destroy (got: $REPLY)"
V audit > $work/audit2.out 2>&1
rc=$?
diag $work/audit2.out
ok $rc "vfpool audit is clean after destroy (exit $rc)"
vsh undefine L2 > /dev/null 2>&1

# --- detach from a Linux guest: it acknowledges ----------------------------------------------
[ -n "$l2up" ] || { [ -s $work/vfpool.log ] && diag $work/vfpool.log; kill $lvpid 2> /dev/null; exit 0; }
wait_console $l2con 900 L2-READY
rc=$?
said=$REPLY
now_s
ok $rc "L2linux is up: its /init said '$said' $((REPLY - l2start)) s after virsh start (TCG in TCG)"
if [ $rc != 0 ]; then
  diag $l2con; tail -n 20 /var/log/libvirt/qemu/L2linux.log | diag; kill $lvpid 2> /dev/null; exit 0
fi
# Hold the other VF, so that the one L2linux gets back is the only free one.
V reserve --owner lab-hold --count 1 > $work/hold.out 2> $work/hold.err
rc=$?
read -r held rest < $work/hold.out
ok $rc "vfpool reserve --owner lab-hold holds one VF ($held)"
V attach L2linux > $work/attach-linux.out 2>&1
rc=$?
diag $work/attach-linux.out
ok $rc "vfpool attach L2linux (exit $rc)"
line_of $work/attach-linux.out "attached to L2linux"
lvf=${REPLY#VF }; lvf=${lvf%% *}
vsh dumpxml L2linux > $work/L2linux-live.xml 2>&1
scan_live $work/L2linux-live.xml
[ $vfio = yes ] && [ "0000:01:00.${fn#0x}" = "$lvf" ] && [ "$lvf" != "$held" ]
ok $? "the live XML of L2linux has $lvf with <driver name='vfio'/>"
while IFS= read -r l; do
  case $l in *"<driver name='vfio'/>"*|*"<address domain="*|*"ua-vfpool"*) echo "# L2linux live XML: $l" ;; esac
done < $work/L2linux-live.xml
wait_console $l2con 300 L2-PCI-ADDED
rc=$?
ok $rc "the Linux in L2 sees the hot-plugged VF ($REPLY)"
# nvme's own complaint counts too: the poll may miss a short binding.
wait_console $l2con 120 L2-NVME-BOUND "nvme nvme"
r=$?
ok $r "the Linux in L2 probes the VF with nvme ($REPLY)"
[ $rc = 0 ] && [ $r = 0 ] || tail -n 30 $l2con | tr -d '\r' | sed 's/^/# L2 console: /'

now_s; t0=$REPLY
V detach L2linux --all --timeout 180 > $work/detach-linux.out 2>&1
rc=$?
now_s; t1=$REPLY
diag $work/detach-linux.out
ok $rc "vfpool detach L2linux --all completes: the guest let go (exit $rc, $((t1 - t0)) s)"
lease_of $lvf
[ "${REPLY%% *}" = free ]; ok $? "the lease of $lvf is free after the detach (got: $REPLY)"
# Freed only at its verified baseline: the driver it had (none) though
# libvirt asked the kernel to probe it again; not quarantined.
d=$(readlink /sys/bus/pci/devices/$lvf/driver); echo "# $lvf after the detach: driver ${d##*/}"
vsh dumpxml L2linux > $work/L2linux-live2.xml 2>&1
has $work/L2linux-live2.xml "<hostdev"; r=$?
[ $r != 0 ]; ok $? "the VF is gone from L2linux's live XML"
wait_console $l2con 60 L2-PCI-REMOVED
ok $? "the Linux in L2 saw the VF unplugged ($REPLY)"
# The guest's own words, and the kernel's warnings around the hot-plug.
tail -n 30 $l2con | tr -d '\r' | sed 's/^/# L2 console: /'

# --- a second guest takes the freed VF ---------------------------------------------------------
define_guest L2b 64 && vsh start L2b > $work/start-L2b.out 2>&1
rc=$?
ok $rc "a second OS-less guest L2b starts (exit $rc)"
[ $rc = 0 ] || diag $work/define-L2b.out $work/start-L2b.out
# --live only: the lease ends with the guest (a persistent one stays for
# the guest's next start), so the release hook frees it at the destroy below.
V attach L2b --live > $work/attach-L2b.out 2>&1
rc=$?
diag $work/attach-L2b.out
lease_of $lvf
[ $rc = 0 ] && [ "$REPLY" = "attached L2b" ]
ok $? "vfpool attach L2b gets $lvf, the VF L2linux gave back (exit $rc, lease: $REPLY)"
destroy L2b
ok $? "virsh destroy L2b"
lease_of $lvf
[ "${REPLY%% *}" = free ]; ok $? "the release hook freed $lvf after L2b's destroy (got: $REPLY)"
destroy L2linux
ok $? "virsh destroy L2linux"
V release --owner lab-hold > $work/release.out 2>&1
rc=$?
ok $rc "vfpool release --owner lab-hold (exit $rc)"
V audit > $work/audit3.out 2>&1
rc=$?
diag $work/audit3.out
V list --json > $work/list5.json 2>&1
got=$(json $work/list5.json '[.[] | select(.state != "free")] | length')
[ $rc = 0 ] && [ "$got" = 0 ]; ok $? "at the end every VF is free and vfpool audit is clean (exit $rc, leases held: $got)"

vsh undefine L2b > /dev/null 2>&1
vsh undefine L2linux > /dev/null 2>&1
kill $lvpid 2> /dev/null
[ -s $work/vfpool.log ] && diag $work/vfpool.log
exit 0
