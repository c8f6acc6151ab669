# guest-lib.sh: what the lab's guest scripts (guest-sriov.sh, guest-nic.sh)
# share, sourced by them inside L1. They set build, vfpool, src, work, uri,
# conf and V () first. Every fork costs ~45 ms under TCG: shell builtins
# where possible.

pass () { echo "PASS $*"; }
fail () { echo "FAIL $*"; }
ok () { if [ "$1" = 0 ]; then shift; pass "$@"; else shift; fail "$@"; fi; }
diag () { sed 's/^/# /' "$@"; }
rd () { read -r REPLY < "$1" 2> /dev/null || REPLY=; }
# json FILE FILTER: one value, via jq.
json () { jq -r "$2" "$1" 2> /dev/null; }
# has FILE TEXT: 0 when a line of FILE contains TEXT (no fork).
has () { while IFS= read -r l; do case $l in *"$2"*) return 0 ;; esac; done < "$1"; return 1; }
# line_of FILE TEXT: REPLY is the first line of FILE containing TEXT.
line_of () {
  REPLY=
  while IFS= read -r l; do case $l in *"$2"*) REPLY=${l%"$cr"}; return 0 ;; esac; done < "$1"
  return 1
}
cr=$(printf '\r')
now_s () { read -r REPLY rest < /proc/uptime; REPLY=${REPLY%.*}; }

# start_libvirtd: libvirtd in L1 with the vfpool hook, as root without
# cgroups or namespaces; lvpid is its process, vsh runs virsh against it.
# 1 (after a FAIL line and diagnostics) when it does not come up.
# Everything it writes goes to L1's tmpfs overlays (/etc, /var, /run).
start_libvirtd () {
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
    diag $work/libvirtd.out; tail -n 20 /var/log/libvirt/libvirtd.log | diag; return 1
  fi
  return 0
}
vsh () { virsh -q -c "$uri" "$@"; }

# define_guest NAME MEMORY-MiB [EXTRA-OS-XML] [EXTRA-DEVICES-XML]: a q35 TCG guest
# with free pcie-root-ports for hot-plug. Without kernel it has no OS.
define_guest () {
  printf '%s\n' "<domain type='qemu'>" "  <name>$1</name>" "  <memory unit='MiB'>$2</memory>" \
    "  <vcpu>1</vcpu>" "  <os><type arch='x86_64' machine='q35'>hvm</type>${3:-}</os>" \
    "  <features><acpi/><apic/></features>" "  <devices>" \
    "    <emulator>/usr/bin/qemu-system-x86_64</emulator>" \
    "    <controller type='pci' model='pcie-root'/>" \
    "    <controller type='pci' model='pcie-root-port'/>" \
    "    <controller type='pci' model='pcie-root-port'/>" \
    "    <controller type='pci' model='pcie-root-port'/>" \
    "    <controller type='usb' model='none'/>" "    <memballoon model='none'/>" "${4:-}" \
    "  </devices>" "</domain>" > $work/$1.xml
  vsh define $work/$1.xml > $work/define-$1.out 2>&1
}
# lease_of VF: REPLY is "state owner" of VF's lease.
lease_of () {
  V list --json > $work/lease.json 2>&1
  REPLY=$(json $work/lease.json '.[] | select(.address == "'$1'") | "\(.state) \(.owner)"')
}
# wait_console FILE SECONDS TEXT...: 0 once a line of FILE holds one of the
# TEXTs (REPLY: that line). The clock, not a count of polls: a loaded host
# slows polls too.
wait_console () {
  f=$1; now_s; end=$((REPLY + $2)); shift 2
  while :; do
    for t in "$@"; do [ -f "$f" ] && line_of "$f" "$t" && return 0; done
    now_s; [ $REPLY -lt $end ] || return 1
    sleep 1
  done
}
# destroy GUEST: virsh destroy, once more if libvirt gives up while QEMU
# exits slowly (VFIO, a loaded host); 0 when the guest is shut off.
destroy () {
  vsh destroy "$1" > $work/destroy-$1.out 2>&1 && return 0
  diag $work/destroy-$1.out
  sleep 5
  vsh destroy "$1" >> $work/destroy-$1.out 2>&1
  [ "$(vsh domstate "$1" 2> /dev/null)" = "shut off" ]
}
