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
template=hostdev
EOF
chmod 0644 $conf
V () { "$vfpool" --config "$conf" --template-dir "$src/xml-templates" "$@"; }

pass () { echo "PASS $*"; }
fail () { echo "FAIL $*"; }
ok () { if [ "$1" = 0 ]; then shift; pass "$@"; else shift; fail "$@"; fi; }
diag () { sed 's/^/# /' "$@"; }
rd () { read -r REPLY < "$1" 2> /dev/null || REPLY=; }
# json FILE FILTER: one value, via jq.
json () { jq -r "$2" "$1" 2> /dev/null; }

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

# --- status -------------------------------------------------------------------------
V status > $work/status.out 2>&1
rc=$?
diag $work/status.out
line=
while read -r a b c d e rest; do
  [ "$a" = $pf ] && line="$a $b $c $d" && break
done < $work/status.out
[ $rc = 0 ] && [ "$line" = "$pf - nvme 2/4" ]
ok $? "vfpool status shows 2/4 VFs for $pf (exit $rc, row: $line)"

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
modprobe vfio_iommu_type1 > $work/modprobe.out 2>&1
rc=$?
[ $rc = 0 ] && [ -d /sys/module/vfio_iommu_type1 ]; ok $? "modprobe vfio_iommu_type1 (exit $rc)"
V check > $work/check2.out 2>&1
rc=$?
diag $work/check2.out
[ $rc = 0 ]; ok $? "vfpool check passes once vfio-pci is loaded (exit $rc)"


# --- libvirtd in L1, with the vfpool hook ------------------------------------------
# Everything below writes only to L1's tmpfs overlays (/etc, /var, /run).
[ "${LAB_LIBVIRT:-1}" = 1 ] || { [ -s $work/vfpool.log ] && diag $work/vfpool.log; exit 0; }
command -v libvirtd > /dev/null || { echo "SKIP libvirt part: no libvirtd in L1"; exit 0; }
[ -d /sys/fs/cgroup ] || mkdir -p /sys/fs/cgroup
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2> /dev/null
mkdir -p /etc/libvirt/hooks/qemu.d /var/log/libvirt/qemu /var/lib/libvirt /var/cache/libvirt /run/libvirt
printf '%s\n' 'unix_sock_rw_perms = "0700"' 'auth_unix_ro = "none"' 'auth_unix_rw = "none"' \
  'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"' > /etc/libvirt/libvirtd.conf
printf '%s\n' 'user = "root"' 'group = "root"' 'dynamic_ownership = 0' 'security_driver = "none"' \
  'cgroup_controllers = [ ]' 'namespaces = [ ]' 'stdio_handler = "file"' > /etc/libvirt/qemu.conf
# libvirtd finds hooks when it starts: the wrapper is in place before.
printf '#!/bin/sh\nexec "%s" --hook-core "%s" --config "%s" --vfpool "%s" --template-dir "%s" "$@"\n' \
  "$build/hooks/vfpool-hook" "$build/hooks/vfpool-hook-core" "$conf" "$vfpool" "$src/xml-templates" > /etc/libvirt/hooks/qemu.d/vfpool
chmod 755 /etc/libvirt/hooks/qemu.d/vfpool
# PID 1 (the lab's /init) reaps no orphans while this script runs: the
# subreaper reaps the QEMU processes libvirtd leaves behind.
reaper=$build/tests/integration/subreaper
[ -x "$reaper" ] || reaper=
setsid $reaper libvirtd -f /etc/libvirt/libvirtd.conf -p /run/libvirt/libvirtd.pid \
  < /dev/null > $work/libvirtd.out 2>&1 &
lvpid=$!
read -r t0 rest < /proc/uptime
i=0 up=1
while [ $i -lt 240 ]; do
  if [ -S /run/libvirt/libvirt-sock ] && virsh -q -c "$uri" uri > /dev/null 2>&1; then up=0; break; fi
  kill -0 $lvpid 2> /dev/null || break
  sleep 0.5; i=$((i + 1))
done
read -r t1 rest < /proc/uptime
ok $up "libvirtd starts in L1 with the vfpool hook installed (uptime ${t0%.*} s to ${t1%.*} s)"
if [ $up != 0 ]; then
  diag $work/libvirtd.out; tail -n 20 /var/log/libvirt/libvirtd.log | diag; exit 0
fi
vsh () { virsh -q -c "$uri" "$@"; }

printf '%s\n' "<domain type='qemu'>" "  <name>L2</name>" "  <memory unit='MiB'>64</memory>" \
  "  <vcpu>1</vcpu>" "  <os><type arch='x86_64' machine='q35'>hvm</type></os>" "  <devices>" \
  "    <emulator>/usr/bin/qemu-system-x86_64</emulator>" \
  "    <controller type='pci' model='pcie-root'/>" \
  "    <controller type='pci' model='pcie-root-port'/>" \
  "    <controller type='pci' model='pcie-root-port'/>" \
  "    <controller type='pci' model='pcie-root-port'/>" \
  "  </devices>" "</domain>" > $work/L2.xml
vsh define $work/L2.xml > $work/define.out 2>&1 && vsh start L2 > $work/start.out 2>&1
rc=$?
ok $rc "an OS-less L2 guest (TCG) starts under L1's libvirtd (exit $rc)"
if [ $rc != 0 ]; then
  diag $work/define.out $work/start.out; tail -n 20 /var/log/libvirt/qemu/L2.log | diag; exit 0
fi

# --- attach -----------------------------------------------------------------------------
V attach L2 > $work/attach.out 2>&1
rc=$?
diag $work/attach.out
ok $rc "vfpool attach L2 (exit $rc)"
vsh dumpxml L2 > $work/L2-live.xml 2>&1
vfio=no meta=no fn=
while IFS= read -r l; do
  case $l in
    *"<driver name='vfio'/>"*) vfio=yes ;;
    *"http://vfpool.org/xmlns/vfpool/1"*) meta=yes ;;
    *"<address domain='0x0000' bus='0x01' slot='0x00' function="*)
      fn=${l#*function=\'}; fn=${fn%%\'*} ;;
  esac
done < $work/L2-live.xml
[ $vfio = yes ] && [ -n "$fn" ]
ok $? "the live XML of L2 has the VF 01:00.${fn#0x} with <driver name='vfio'/>"
[ $meta = yes ]; ok $? "the live XML of L2 carries vfpool's metadata"
[ $vfio = yes ] && [ $meta = yes ] || diag $work/L2-live.xml
V list --json > $work/list2.json 2>&1
got=$(json $work/list2.json '[.[] | select(.state != "free") | "\(.address) \(.state) \(.owner)"] | join(", ")')
case $got in "0000:01:00."[12]" attached L2") r=0 ;; *) r=1 ;; esac
ok $r "the lease is attached to L2 (got: $got)"
vf=${got%% *}
drv=$(readlink /sys/bus/pci/devices/$vf/driver)
[ "${drv##*/}" = vfio-pci ]; ok $? "the kernel has $vf bound to vfio-pci (driver: ${drv##*/})"

# --- detach without a guest that acknowledges -------------------------------------------
V detach L2 --all --timeout 5 > $work/detach.out 2>&1
rc=$?
diag $work/detach.out
[ $rc = 1 ]; ok $? "vfpool detach L2 --all --timeout 5 fails on an OS-less guest (exit $rc, expected 1)"
V list --json > $work/list3.json 2>&1
st=$(json $work/list3.json '.[] | select(.address == "'$vf'") | .state')
[ "$st" = detaching ]; ok $? "the lease of $vf is detaching (got: $st)"
V audit > $work/audit.out 2>&1
rc=$?
diag $work/audit.out
r=1
while IFS= read -r l; do case $l in *stuck-detach*) r=0 ;; esac; done < $work/audit.out
[ $rc = 1 ] && [ $r = 0 ]; ok $? "vfpool audit reports stuck-detach (exit $rc)"

# --- destroy: the release hook frees the VF -------------------------------------------------
vsh destroy L2 > $work/destroy.out 2>&1
rc=$?
ok $rc "virsh destroy L2 (exit $rc)"
V list --json > $work/list4.json 2>&1
st=$(json $work/list4.json '.[] | select(.address == "'$vf'") | .state')
[ "$st" = free ]; ok $? "the release hook freed $vf after destroy (got: $st)"
V audit > $work/audit2.out 2>&1
rc=$?
diag $work/audit2.out
ok $rc "vfpool audit is clean after destroy (exit $rc)"

vsh undefine L2 > /dev/null 2>&1
kill $lvpid 2> /dev/null
[ -s $work/vfpool.log ] && diag $work/vfpool.log
exit 0
