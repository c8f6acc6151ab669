#!/bin/sh
# run-lab.sh: the SR-IOV lab. Boots an L1 guest under QEMU (TCG) with an
# intel-iommu and one device set, runs a guest script there against the
# freshly built vfpool, and turns the guest's "PASS name" / "FAIL name"
# lines into TAP on stdout. The device sets:
#   nvme  an NVMe PF with SR-IOV (sriov_max_vfs=4), QEMU 7.2 of the host;
#         VFs reach guests as <hostdev> (guest script guest-sriov.sh)
#   nic   an Intel 82576 Ethernet PF with SR-IOV (QEMU 10's -device igb,
#         8 VFs, VF offset 128, stride 2) and a peer e1000e on one QEMU
#         hub that reaches nothing outside QEMU; VFs reach guests as
#         <interface type='hostdev'> (guest script guest-nic.sh). QEMU 10
#         comes from Debian's bookworm-backports into the lab cache
#         (fetch-qemu10.sh); only L0 runs it, L1 keeps the host's QEMU 7.2
#         and libvirt 9.0.
#
# Usage: run-lab.sh [GUEST-SCRIPT]     (default: the set's guest script)
# Run as root from the build tree (or set LAB_BUILDDIR). Needs
# qemu-system-x86, busybox-static, xz-utils, apt (to fetch the Debian kernel
# package); build-aux/setup-debian installs them; the nic set also apt-get
# (bookworm-backports on the machine's Debian mirror, into the cache).
# Costs (2 cores, quiet): ~2 min for L1 and the OS-less guest; the L2 Linux
# boot adds minutes (TCG in TCG is some 50 times slower than TCG; its boot
# time is spread over the whole kernel, no one initcall dominates). Measured
# on the shared 2-core machine: nic 11.6 min (load 5), nvme 18 min (load 25-40);
# guest-scrub.sh (run by guest-nic.sh) adds 26 min at load 15 (two L2 boots).
#
# Environment:
#   LAB_SET        the device set: nvme (default) or nic
#   LAB_BUILDDIR   build tree holding src/vfpool (default: the current
#                  directory if it has src/vfpool, else the source tree)
#   LAB_TIMEOUT    seconds before QEMU is killed (default 1500; nic 3000)
#   LAB_KERNEL     a linux-image-6.1.0-N-amd64 package name (default: the
#                  newest one apt-cache lists)
#   LAB_MEM        L1 memory in MiB (default 2048)
#   LAB_KEEP       set to 1 to keep the temporary directory
#   LAB_REQUIRE    set to 1 (CI does) to fail instead of skipping when the
#                  lab cannot run here
#   LAB_QEMU_ARGS  more arguments for L0's QEMU (e.g. "-trace igb_* -D FILE")
#
# The nic set's L1 can turn the igb's link off and on (QEMU's set_link on
# its netdev n0: igb then refuses VF settings, a real fault for the scrub
# to quarantine): a guest script writes "off" or "on" to $LAB_CTL/link
# (a directory of this run's temporary one, shared over 9p), the watcher
# below sends set_link through QEMU's monitor pipe and answers with
# $LAB_CTL/link.done.
#   XDG_CACHE_HOME the kernel (and QEMU 10) are cached in
#                  ${XDG_CACHE_HOME:-$HOME/.cache}/vfpool-lab
# Exit status: 0 when the guest reported and nothing failed, 1 otherwise,
# 77 when the lab cannot run here (not root, no QEMU, no busybox-static).
#
# The same kernel also boots as an L2 Linux guest inside L1 (TCG in TCG),
# from a second, tiny initramfs built here: its /init loads the VF's driver
# (nvme, or igbvf), says "L2-READY" on its serial console, and reports the
# VF coming and going (and, for a NIC, its MAC and a ping to the peer).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$here/../.." && pwd)
if [ -n "${LAB_BUILDDIR:-}" ]; then
  builddir=$(cd "$LAB_BUILDDIR" && pwd)
elif [ -x ./src/vfpool ]; then
  builddir=$(pwd)
else
  builddir=$srcdir
fi
set=${LAB_SET:-nvme}
case $set in
  nvme) guest_script=${1:-$here/guest-sriov.sh}; l1_modules=nvme; l2_modules=kernel/drivers/nvme/host/nvme.ko ;;
  # 8021q: the peer's VLAN sub-interface.
  # virtio_pci, virtio_net (+ net_failover): the failover pair of the
  # migration part (guest-migrate.sh, its L2 boots with rdinit=/init-mig).
  nic) guest_script=${1:-$here/guest-nic.sh}; l1_modules=igb,e1000e,8021q
       l2_modules="kernel/drivers/net/ethernet/intel/igbvf/igbvf.ko kernel/drivers/virtio/virtio_pci.ko kernel/drivers/net/virtio_net.ko" ;;
  *) echo "run-lab.sh: LAB_SET must be nvme or nic, not '$set'" >&2; exit 1 ;;
esac
case $guest_script in /*) ;; *) guest_script=$(pwd)/$guest_script ;; esac
# The nic set ends with the migration part (a second L2 boot): longer.
case $set in nic) timeout_s=${LAB_TIMEOUT:-3000} ;; *) timeout_s=${LAB_TIMEOUT:-1500} ;; esac
mem=${LAB_MEM:-2048}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vfpool-lab

say () { printf '# %s\n' "$*"; }
skip () {
  if [ "${LAB_REQUIRE:-0}" = 1 ]; then printf 'Bail out! the lab cannot run: %s\n' "$*"; exit 1; fi
  printf '1..0 # SKIP %s\n' "$*"; exit 77
}

[ "$(id -u)" = 0 ] || skip "the lab needs root (9p passthrough of /usr, /etc)"
# L1 runs the host's QEMU (7.2 on Debian 12) for its own guests, whatever L0 runs.
command -v qemu-system-x86_64 > /dev/null || skip "no qemu-system-x86_64"
busybox=
for b in /usr/bin/busybox /bin/busybox; do
  # A static busybox: ldd calls it "not a dynamic executable" and fails.
  if [ -x "$b" ] && ! ldd "$b" > /dev/null 2>&1; then busybox=$b; break; fi
done
[ -n "$busybox" ] || skip "no static busybox (apt-get install busybox-static)"
[ -x "$builddir/src/vfpool" ] || { echo "run-lab.sh: no $builddir/src/vfpool; build first" >&2; exit 1; }
[ -r "$guest_script" ] || { echo "run-lab.sh: no guest script $guest_script" >&2; exit 1; }

# --- The kernel: the newest linux-image-6.1.0-N-amd64, cached ------------
mkdir -p "$cache"
pkg=${LAB_KERNEL:-}
if [ -z "$pkg" ]; then
  pkg=$(apt-cache search --names-only '^linux-image-6.1.0-[0-9]+-amd64$' | cut -d' ' -f1 | sort -V | tail -n 1)
fi
if [ -z "$pkg" ]; then
  # A fresh machine may have no package lists yet.
  say "apt-get update (apt-cache knows no linux-image-6.1.0-N-amd64)"
  apt-get update -qq > /dev/null 2>&1 || true
  pkg=$(apt-cache search --names-only '^linux-image-6.1.0-[0-9]+-amd64$' | cut -d' ' -f1 | sort -V | tail -n 1)
fi
if [ -z "$pkg" ]; then
  # No package lists (offline?): take the newest one already cached.
  pkg=$(ls "$cache" 2>/dev/null | sed -n 's/^\(linux-image-6\.1\.0-[0-9]*-amd64\)_.*\.deb$/\1/p' | sort -V | tail -n 1)
fi
[ -n "$pkg" ] || skip "no linux-image-6.1.0-N-amd64 package known to apt (apt-get update?)"
kver=${pkg#linux-image-}
kdir=$cache/$kver
if [ ! -f "$kdir/.unpacked" ]; then
  deb=$(ls "$cache/${pkg}"_*.deb 2>/dev/null | tail -n 1 || true)
  if [ -z "$deb" ]; then
    say "fetching $pkg into $cache"
    (cd "$cache" && apt-get download "$pkg" > /dev/null 2>&1) \
      || (cd "$cache" && apt-get download "$pkg" >&2) \
      || { echo "run-lab.sh: apt-get download $pkg failed" >&2; exit 1; }
    deb=$(ls "$cache/${pkg}"_*.deb | tail -n 1)
  fi
  say "unpacking $(basename "$deb")"
  rm -rf "$kdir"
  mkdir -p "$kdir"
  dpkg-deb -x "$deb" "$kdir"
  # kmod is not needed on the host: busybox writes modules.dep.
  "$busybox" depmod -b "$kdir" "$kver"
  touch "$kdir/.unpacked"
fi
kernel=$kdir/boot/vmlinuz-$kver
moddir=$kdir/lib/modules/$kver
[ -f "$kernel" ] && [ -f "$moddir/modules.dep" ] || { echo "run-lab.sh: bad kernel cache $kdir; remove it" >&2; exit 1; }
# The L2 Linux guest boots the uncompressed kernel through its PVH entry
# (QEMU loads the ELF directly): decompressing the bzImage's xz payload took
# minutes of L2's boot under TCG in TCG. The payload starts at
# (setup_sects + 1) * 512 + payload_offset (x86 boot protocol 2.08).
vmlinux=$kdir/vmlinux
if [ ! -s "$vmlinux" ]; then
  command -v xz > /dev/null || skip "no xz (apt-get install xz-utils)"
  sects=$(od -An -tu1 -j 497 -N1 "$kernel" | tr -d ' ')
  poff=$(od -An -tu4 -j 584 -N4 "$kernel" | tr -d ' ')
  tail -c +$(( (sects + 1) * 512 + poff + 1 )) "$kernel" | xz -dcq > "$vmlinux.tmp" 2> /dev/null || true
  [ "$(od -An -c -N4 "$vmlinux.tmp" | tr -d ' ')" = '177ELF' ] \
    || { echo "run-lab.sh: cannot unpack the ELF kernel from $kernel" >&2; rm -f "$vmlinux.tmp"; exit 1; }
  mv "$vmlinux.tmp" "$vmlinux"
fi

# --- L0's QEMU: the host's, or QEMU 10 for the NIC set ------------------------
qemu="qemu-system-x86_64"
qemu_env=
qemu_dirs=
if [ "$set" = nic ]; then
  q10=$(sh "$here/fetch-qemu10.sh" "$cache") || skip "no QEMU 10 for the NIC set (fetch-qemu10.sh failed)"
  qemu=$q10/usr/bin/qemu-system-x86_64
  qemu_env="QEMU_MODULE_DIR=$q10/usr/lib/x86_64-linux-gnu/qemu"
  qemu_dirs="-L $q10/usr/share/seabios -L $q10/usr/share/qemu"
fi

# --- The initramfs --------------------------------------------------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vfpool-lab.XXXXXX")
qemu_pid=
watch_pids=
cleanup () {
  [ -n "$qemu_pid" ] && kill "$qemu_pid" 2> /dev/null || true
  for p in $watch_pids; do kill "$p" 2> /dev/null || true; done
  if [ "${LAB_KEEP:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

root=$tmp/initramfs
mkdir -p "$root/.bb" "$root/usr/lib/modules/$kver" "$root/etc" "$root/proc" "$root/sys" \
  "$root/dev" "$root/run" "$root/tmp" "$root/var" "$root/root" "$root/mnt"
cp "$busybox" "$root/.bb/busybox"
for l in bin sbin lib lib64; do ln -s "usr/$l" "$root/$l"; done

# copy_modules DEST MODULE...: the modules with their dependencies, as
# modules.dep names them, into DEST/usr/lib/modules/KVER for busybox modprobe.
copy_modules () {
  dest=$1/usr/lib/modules/$kver; shift
  all=
  for m in "$@"; do
    deps=$(sed -n "s|^$m:||p" "$moddir/modules.dep")
    all="$all $m $deps"
  done
  for m in $all; do
    mkdir -p "$dest/$(dirname "$m")"
    cp "$moddir/$m" "$dest/$m"
  done
  cp "$moddir/modules.dep" "$dest/"
}
# What /usr needs before it is mounted: virtio, 9p, overlay.
copy_modules "$root" kernel/fs/9p/9p.ko kernel/net/9p/9pnet_virtio.ko \
  kernel/drivers/virtio/virtio_pci.ko kernel/fs/overlayfs/overlay.ko

cat > "$root/init" <<'EOF'
#!/.bb/busybox sh
# /init of the vfpool lab (L1).
PATH=/.bb
/.bb/busybox --install -s /.bb
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /var
say () { echo "lab-init: $*" > /dev/console; }
die () { say "FATAL: $*"; echo "FAIL lab-init" > /dev/console; poweroff -f; }
arg () { for w in $(cat /proc/cmdline); do case $w in "$1="*) echo "${w#*=}"; return;; esac; done; }
kver=$(uname -r)
for m in virtio_pci 9pnet_virtio 9p overlay; do modprobe $m || die "modprobe $m"; done

p9="trans=virtio,version=9p2000.L,msize=262144"
mount -t tmpfs -o mode=0755 tmpfs /mnt
for t in usr etc; do
  mkdir -p /mnt/$t.lower /mnt/$t.upper /mnt/$t.work
  mount -t 9p -o $p9,ro,cache=loose $t /mnt/$t.lower || die "9p $t"
  mount -t overlay -o lowerdir=/mnt/$t.lower,upperdir=/mnt/$t.upper,workdir=/mnt/$t.work overlay /$t \
    || die "overlay $t"
done
mkdir -p /usr/lib/modules/$kver
mount -t 9p -o $p9,ro,cache=loose modules /usr/lib/modules/$kver || die "9p modules"
mkdir -p /mnt/l2
mount -t 9p -o $p9,ro,cache=loose l2 /mnt/l2 || die "9p l2"
# Debian 12 has no kmod here necessarily: busybox plays modprobe & co.
for x in modprobe insmod rmmod lsmod depmod; do
  [ -e /usr/sbin/$x ] || ln -s /.bb/busybox /usr/sbin/$x
done
# The PF's driver (without one, sriov_numvfs refuses writes: ENOENT) and
# what else the device set needs.
for m in $(arg lab.modules | tr , ' '); do modprobe $m || say "modprobe $m failed"; done
build=$(arg lab.build)
src=$(arg lab.src)
if [ -n "$(arg lab.ctl)" ]; then
  mkdir -p /run/lab-ctl
  mount -t 9p -o $p9,cache=none ctl /run/lab-ctl || die "9p ctl"
  export LAB_CTL=/run/lab-ctl
fi
mkdir -p "$build"
mount -t 9p -o $p9,cache=none build "$build" || die "9p build"
if [ -n "$src" ] && [ "$src" != "$build" ]; then
  mkdir -p "$src"
  mount -t 9p -o $p9,ro,cache=none src "$src" || die "9p src"
fi
mkdir -p /var/tmp /var/lib /var/log /var/cache /var/run /run/lock
hostname vfpool-lab
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/.bb
export HOME=/root LAB_BUILD="$build" LAB_SRC="${src:-$build}" LAB_L2=/mnt/l2 LAB_SET="$(arg lab.set)" TERM=dumb LC_ALL=C.UTF-8
script=$(arg lab.script)
say "running $script (kernel $kver, up $(cut -d' ' -f1 /proc/uptime) s)"
echo "LAB-BEGIN" > /dev/console
/bin/sh "$script" < /dev/null > /dev/console 2>&1
echo "LAB-END $?" > /dev/console
say "done (up $(cut -d' ' -f1 /proc/uptime) s)"
sync
poweroff -f
EOF
chmod 755 "$root/init"
(cd "$root" && find . | "$busybox" cpio -o -H newc 2> /dev/null | gzip -1 > "$tmp/initrd.gz")

# --- The L2 Linux guest: the same kernel, an initramfs that only idles -------
# L1 sees $tmp/l2 read-only over 9p (tag l2) and libvirt boots it directly
# (<kernel>, <initrd>). Its /init loads the VF's driver (nvme or igbvf), so
# that a VF hot-plugged into it gets one, and reports on the serial console
# what it sees; under TCG in TCG every fork costs far more than in L1, so it
# polls with shell builtins where it can.
l2=$tmp/l2
l2root=$tmp/l2root
mkdir -p "$l2" "$l2root/bin" "$l2root/proc" "$l2root/sys" "$l2root/dev" "$l2root/tmp"
cp "$busybox" "$l2root/bin/busybox"
for l in sbin lib; do ln -s "usr/$l" "$l2root/$l"; done
mkdir -p "$l2root/usr/sbin" "$l2root/usr/lib"
copy_modules "$l2root" $l2_modules
if [ "$set" = nvme ]; then
cat > "$l2root/init" <<'EOF'
#!/bin/busybox sh
# /init of the vfpool lab's L2 Linux guest.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
modprobe nvme || echo "L2-FAIL modprobe nvme"
read -r up rest < /proc/uptime
echo "L2-READY (up $up s)"
# Every half second: the functions behind the root ports (where libvirt
# hot-plugs), one line per change, and whether nvme bound one. QEMU's NVMe
# VF is offline until the PF assigns it queues, so nvme binds, gives up
# ("Device not ready") and lets go within seconds: hence the short poll.
mkfifo /tmp/tick
exec 3<> /tmp/tick
seen=
while :; do
  now=
  for d in /sys/bus/pci/devices/0000:0[1-9]:*; do
    [ -e "$d" ] && now="$now ${d##*/}"
  done
  if [ "$now" != "$seen" ]; then
    read -r up rest < /proc/uptime
    if [ -n "$now" ]; then echo "L2-PCI-ADDED$now (up $up s)"; else echo "L2-PCI-REMOVED (up $up s)"; fi
    seen=$now
  fi
  for d in /sys/bus/pci/drivers/nvme/0000:*; do
    [ -e "$d" ] && [ "$bound" != "$d" ] && echo "L2-NVME-BOUND ${d##*/}" && bound=$d
  done
  read -r -t 0.5 x <&3
done
EOF
else
cat > "$l2root/init" <<'EOF'
#!/bin/busybox sh
# /init of the NIC lab's L2 Linux guest: igbvf drives the VFs hot-plugged
# into it. For each new netdev: its MAC, driver and PCI address; its carrier;
# then an IPv4 link-local address and a ping of lab.peer= (the kernel
# command line) out of that netdev only.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
peer=
for w in $(cat /proc/cmdline); do case $w in lab.peer=*) peer=${w#lab.peer=} ;; esac; done
modprobe igbvf || echo "L2-FAIL modprobe igbvf"
ip link set lo up
read -r up rest < /proc/uptime
echo "L2-READY (up $up s)"
mkfifo /tmp/tick
exec 3<> /tmp/tick
tick () { read -r -t "$1" x <&3; }
seen=
n=10
while :; do
  now=
  for d in /sys/class/net/*; do
    i=${d##*/}
    { [ "$i" = lo ] || [ ! -e "$d/device" ]; } && continue
    now="$now $i"
    case "$seen " in *" $i "*) continue ;; esac
    read -r mac < "$d/address"
    drv=$(readlink "$d/device/driver")
    pci=$(readlink "$d/device")
    read -r up rest < /proc/uptime
    echo "L2-NET-ADDED $i mac $mac driver ${drv##*/} pci ${pci##*/} (up $up s)"
    ip link set "$i" up
    c=0 k=0
    while [ $k -lt 120 ]; do
      read -r c < "$d/carrier" 2> /dev/null
      [ "$c" = 1 ] && break
      tick 0.5; k=$((k + 1))
    done
    read -r up rest < /proc/uptime
    echo "L2-CARRIER $i ${c:-0} (up $up s)"
    [ -n "$peer" ] || continue
    n=$((n + 1))
    ip addr add 169.254.77.$n/16 dev "$i"
    if ping -c 3 -W 3 -I "$i" "$peer" > /tmp/ping 2>&1; then r=OK; else r=FAIL; fi
    sum=
    while IFS= read -r l; do case $l in *transmitted*) sum=$l ;; esac; done < /tmp/ping
    echo "L2-PING $i $peer $r ($sum)"
  done
  for i in $seen; do
    case "$now " in *" $i "*) ;; *) read -r up rest < /proc/uptime; echo "L2-NET-REMOVED $i (up $up s)" ;; esac
  done
  seen=$now
  tick 0.5
done
EOF
# The migration part's L2 (guest-migrate.sh): kernel option rdinit=/init-mig.
cat > "$l2root/init-mig" <<'EOF'
#!/bin/busybox sh
# /init of the migration part's L2 Linux guest: igbvf drives plain VFs,
# virtio_net with net_failover the failover pair. It reports each netdev
# as it comes and goes (its MAC, driver, role), gives lab.ip= to a plain
# igbvf netdev and lab.ipf= to the failover master once a VF joins it (then
# one ping a second from the master to lab.peer=, so that L1's bridge
# learns which path the master's MAC takes now), and answers ARP only on
# the netdev that has the address asked for. The measuring pings come from
# L1: L2 runs nothing per packet (every fork is slow under TCG in TCG).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
ip= ipf= peer= master=
for w in $(cat /proc/cmdline); do
  case $w in lab.ip=*) ip=${w#lab.ip=} ;; lab.ipf=*) ipf=${w#lab.ipf=} ;; lab.peer=*) peer=${w#lab.peer=} ;; esac
done
for m in igbvf virtio_pci virtio_net; do modprobe $m || echo "L2-FAIL modprobe $m"; done
echo 1 > /proc/sys/net/ipv4/conf/all/arp_ignore
ip link set lo up
read -r up rest < /proc/uptime
echo "L2-READY (up $up s)"
mkfifo /tmp/tick
exec 3<> /tmp/tick
# A netdev is handled the second time a poll sees it: net_failover
# enslaves a new one right after it registers.
seen= pending= keepalive=
while :; do
  now= next=
  for d in /sys/class/net/*; do
    i=${d##*/}
    [ "$i" = lo ] && continue
    now="$now $i"
    case "$seen " in *" $i "*) continue ;; esac
    case "$pending " in *" $i "*) ;; *) next="$next $i"; continue ;; esac
    read -r mac < "$d/address"
    drv=none
    [ -e "$d/device/driver" ] && { drv=$(readlink "$d/device/driver"); drv=${drv##*/}; }
    # net_failover: the master has lower_* links to its slaves, each slave
    # a master link; the master shares the virtio device's parent
    role=plain
    for l in "$d"/lower_*; do [ -e "$l" ] && role=failover-master; done
    [ -e "$d/master" ] && role=failover-slave
    read -r up rest < /proc/uptime
    echo "L2-NET-ADDED $i mac $mac driver $drv role $role (up $up s)"
    ip link set "$i" up
    case $role/$drv in
      failover-master/*) master=$i ;;
      failover-slave/igbvf)
        if [ -n "$master" ] && [ -n "$ipf" ] && [ -z "$keepalive" ]; then
          ip addr add "$ipf/16" dev "$master"
          [ -n "$peer" ] && { ping -i 1 -I "$master" "$peer" > /dev/null 2>&1 & keepalive=$!; }
        fi ;;
      plain/igbvf) [ -n "$ip" ] && ip addr add "$ip/16" dev "$i" ;;
    esac
    seen="$seen $i"
  done
  kept=
  for i in $seen; do
    case "$now " in
      *" $i "*) kept="$kept $i" ;;
      *) read -r up rest < /proc/uptime; echo "L2-NET-REMOVED $i (up $up s)" ;;
    esac
  done
  seen=$kept pending=$next
  read -r -t 0.5 x <&3
done
EOF
chmod 755 "$l2root/init-mig"
fi
chmod 755 "$l2root/init"
# Uncompressed: gunzip is slow in L2.
(cd "$l2root" && find . | "$busybox" cpio -o -H newc 2> /dev/null > "$l2/initrd.cpio")
ln -f "$vmlinux" "$l2/vmlinux" 2> /dev/null || cp "$vmlinux" "$l2/vmlinux"

# --- Boot L1 ---------------------------------------------------------------
log=$tmp/console.log
vfs () { printf -- '-virtfs local,path=%s,mount_tag=%s,security_model=none%s' "$1" "$2" "${3:-}"; }
extra_src=
[ "$srcdir" != "$builddir" ] && extra_src=$(vfs "$srcdir" src ",readonly=on")
say "device set $set, kernel $kver, QEMU $("$qemu" --version 2> /dev/null | sed -n '1s/.*version \([^ ]*\).*/\1/p'), build tree $builddir, guest script $(basename "$guest_script")"
say "console log: $log"
monitor="-monitor none"
ctl=
if [ "$set" = nvme ]; then
  devices="-device nvme-subsys,id=s0,nqn=nqn.2024-01.org.vfpool:lab
    -device nvme,serial=vfpoollab0,subsys=s0,bus=rp1,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4"
else
  # The PF 01:00.0 and the peer 02:00.0 on hub 0, which has no host side
  # (QEMU warns that it "is not connected to host network": intended).
  devices="-netdev hubport,id=n0,hubid=0 -device igb,netdev=n0,bus=rp1,mac=52:54:00:76:00:01
    -netdev hubport,id=n1,hubid=0 -device e1000e,netdev=n1,bus=rp2,mac=52:54:00:76:00:02"
  # The monitor on two pipes (QEMU opens both read-write: no open blocks).
  mkdir "$tmp/ctl"
  mkfifo "$tmp/mon.in" "$tmp/mon.out"
  monitor="-monitor pipe:$tmp/mon"
  ctl="$(vfs "$tmp/ctl" ctl) "
fi
# no_timer_check: on a loaded host the kernel's check of the IO-APIC timer
# failed under TCG and, with interrupt remapping, panicked ("timer doesn't
# work through Interrupt-remapped IO-APIC").
start=$(date +%s)
# shellcheck disable=SC2046,SC2086
env $qemu_env timeout --kill-after=10 "$timeout_s" "$qemu" $qemu_dirs \
  -nodefaults -no-user-config -display none -no-reboot \
  -accel tcg,thread=multi -cpu max -smp 2 -m "$mem" \
  -machine q35,kernel-irqchip=split \
  -device intel-iommu,intremap=on,caching-mode=on \
  -device pcie-root-port,id=rp1,bus=pcie.0,chassis=1,slot=1,addr=0x2.0 \
  -device pcie-root-port,id=rp2,bus=pcie.0,chassis=2,slot=2,addr=0x3.0 \
  $devices \
  $(vfs /usr usr ",readonly=on") $(vfs /etc etc ",readonly=on") \
  $(vfs "$moddir" modules ",readonly=on") $(vfs "$builddir" build) $extra_src \
  $(vfs "$l2" l2 ",readonly=on") $ctl\
  -kernel "$kernel" -initrd "$tmp/initrd.gz" \
  -append "console=ttyS0 intel_iommu=on no_timer_check panic=-1 loglevel=4 lab.set=$set lab.modules=$l1_modules lab.build=$builddir lab.src=$srcdir lab.script=$guest_script${ctl:+ lab.ctl=1}" \
  -serial "file:$log" $monitor ${LAB_QEMU_ARGS:-} \
  > "$tmp/qemu.out" 2>&1 &
qemu_pid=$!
if [ -n "$ctl" ]; then
  # What the monitor says goes to a log; the watcher ends with QEMU, and
  # cleanup ends both on every exit.
  cat "$tmp/mon.out" > "$tmp/monitor.log" 2>&1 &
  watch_pids=$!
  (
    while kill -0 "$qemu_pid" 2> /dev/null; do
      if [ -f "$tmp/ctl/link" ] && [ ! -e "$tmp/ctl/link.done" ]; then
        read -r want < "$tmp/ctl/link" || want=
        case $want in on|off) printf 'set_link n0 %s\n' "$want" > "$tmp/mon.in"; sleep 1 ;; esac
        : > "$tmp/ctl/link.done"
      fi
      sleep 0.2
    done
  ) &
  watch_pids="$watch_pids $!"
fi
set +e
wait "$qemu_pid"
qrc=$?
set -e
qemu_pid=
wall=$(( $(date +%s) - start ))
say "QEMU exited with $qrc after $wall s"
[ -s "$tmp/qemu.out" ] && sed 's/^/# qemu: /' "$tmp/qemu.out"
[ -s "$tmp/monitor.log" ] && tr -d '\r' < "$tmp/monitor.log" | grep set_link | sed 's/^/# monitor: /'

# --- PASS/FAIL lines to TAP ----------------------------------------------------
tr -d '\r' < "$log" > "$tmp/console.txt"
n=0
failed=0
while IFS= read -r line; do
  case $line in
    "PASS "*) n=$((n + 1)); echo "ok $n - ${line#PASS }" ;;
    "FAIL "*) n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - ${line#FAIL }" ;;
    "SKIP "*) n=$((n + 1)); echo "ok $n - ${line#SKIP } # SKIP" ;;
    "# "*) echo "$line" ;;
  esac
done < "$tmp/console.txt"
if grep -q '^LAB-END ' "$tmp/console.txt"; then
  n=$((n + 1)); echo "ok $n - guest script finished ($wall s)"
else
  n=$((n + 1)); failed=$((failed + 1))
  echo "not ok $n - guest script finished (QEMU status $qrc after $wall s)"
fi
echo "1..$n"
if [ "$failed" -gt 0 ]; then
  say "$failed failed; last console lines:"
  tail -n 40 "$tmp/console.txt" | sed 's/^/#   /'
  keep=${LAB_LOGDIR:-$cache/logs}
  mkdir -p "$keep" && cp "$tmp/console.txt" "$keep/console-$(date +%Y%m%d-%H%M%S)-$$.log" \
    && say "console log kept in $keep"
  exit 1
fi
exit 0
