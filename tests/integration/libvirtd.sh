# A private real libvirtd (QEMU driver, TCG guests) for the integration
# tier, in its own mount namespace so it never touches the host's libvirt
# (LIBVIRT-FACTS.md, "A private real libvirtd per test run"). Sourced.
#
#   libvirtd_start DIR [NAME]   starts a daemon whose state lives in DIR;
#                               sets LIBVIRTD_URI and LIBVIRTD_DIR
#   libvirtd_stop DIR           destroys its guests, stops it
#   libvirtd_define_guest NAME  defines (and with "start" starts) a TCG guest
#   LIBVIRTD_KEEPALIVE="I C"    (optional) the daemon's keepalive_interval/count

# Stops the test script unless a private libvirtd can run here: in CI a
# missing prerequisite fails the tier (it must not skip silently); elsewhere
# the tier is skipped with the reason.
libvirtd_require () {
  if [ "$(id -u)" != 0 ] || ! command -v libvirtd > /dev/null || ! command -v qemu-system-x86_64 > /dev/null; then
    if [ -n "${CI:-}" ]; then
      echo "Bail out! the integration tier needs root, libvirtd and qemu-system-x86 (build-aux/setup-debian installs them)"
      exit 1
    fi
    echo "1..0 # SKIP needs root, libvirtd and qemu-system-x86_64"
    exit 0
  fi
}

# Shell lines for a hook wrapper that set the sanitizer options of this
# test: libvirtd runs hooks with a cleared environment, and a report from
# the hook must still go where tests/check-reports.sh looks.
libvirtd_hook_env () {
  for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
    eval "val=\${$var:-}"
    # shellcheck disable=SC2154
    [ -n "$val" ] && printf "%s='%s'; export %s\n" "$var" "$(printf %s "$val" | sed "s/'/'\\\\''/g")" "$var"
  done
  return 0
}

libvirtd_start () {
  dir=$1
  name=${2:-vfpool-test}
  port=${3:-49152}
  mkdir -p "$dir/etc/hooks/qemu.d" "$dir/run" "$dir/lib" "$dir/cache" "$dir/log"
  mkdir -p /run/libvirt /etc/libvirt /var/lib/libvirt /var/cache/libvirt /var/log/libvirt
  uuid=$(cat /proc/sys/kernel/random/uuid)
  cat > "$dir/etc/libvirtd.conf" <<CONF
unix_sock_rw_perms = "0700"
unix_sock_ro_perms = "0700"
auth_unix_ro = "none"
auth_unix_rw = "none"
host_uuid = "$uuid"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
  # LIBVIRTD_KEEPALIVE="INTERVAL COUNT": how soon the daemon drops a
  # client that leaves its keepalive requests unanswered
  if [ -n "${LIBVIRTD_KEEPALIVE:-}" ]; then
    printf 'keepalive_interval = %s\nkeepalive_count = %s\n' \
      "${LIBVIRTD_KEEPALIVE% *}" "${LIBVIRTD_KEEPALIVE#* }" >> "$dir/etc/libvirtd.conf"
  fi
  cat > "$dir/etc/qemu.conf" <<CONF
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
migration_port_min = $port
migration_port_max = $((port + 63))
CONF
  # shellcheck disable=SC2016
  unshare --mount --propagation private -- /bin/sh -c '
    d=$1; shift
    mount --bind "$d/etc" /etc/libvirt &&
    mount --bind "$d/run" /run/libvirt &&
    mount --bind "$d/lib" /var/lib/libvirt &&
    mount --bind "$d/cache" /var/cache/libvirt &&
    mount --bind "$d/log" /var/log/libvirt || exit 1
    exec "$@"' sh "$dir" "$SUBREAPER" libvirtd -f /etc/libvirt/libvirtd.conf \
      -p /run/libvirt/libvirtd.pid > "$dir/daemon.out" 2>&1 < /dev/null &
  echo $! > "$dir/daemon.pid"
  LIBVIRTD_DIR=$dir
  LIBVIRTD_URI="qemu+unix:///system?socket=$dir/run/libvirt-sock"
  i=0
  while [ $i -lt 300 ]; do
    if [ -S "$dir/run/libvirt-sock" ] && virsh -q -c "$LIBVIRTD_URI" uri > /dev/null 2>&1; then
      return 0
    fi
    if ! kill -0 "$(cat "$dir/daemon.pid")" 2>/dev/null; then
      echo "# libvirtd died:"; sed 's/^/# /' "$dir/daemon.out" "$dir/log/libvirtd.log" 2>/dev/null | tail -20
      return 1
    fi
    sleep 0.1; i=$((i + 1))
  done
  echo "# libvirtd did not answer within 30 s"; return 1
}

libvirtd_stop () {
  dir=$1
  uri="qemu+unix:///system?socket=$dir/run/libvirt-sock"
  for g in $(virsh -q -c "$uri" list --name 2>/dev/null); do
    virsh -q -c "$uri" destroy "$g" > /dev/null 2>&1
  done
  pid=$(cat "$dir/daemon.pid" 2>/dev/null)
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  i=0
  while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  return 0
}

# libvirtd_define_guest NAME [start]: a 64 MiB TCG guest without a disk,
# with a virtio-net failover partner (alias ua-net0) on no network.
libvirtd_define_guest () {
  cat > "$LIBVIRTD_DIR/$1.xml" <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='pci' model='pcie-root'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <interface type='user'>
      <mac address='52:54:00:aa:00:01'/>
      <model type='virtio'/>
      <teaming type='persistent'/>
      <alias name='ua-net0'/>
    </interface>
  </devices>
</domain>
XML
  virsh -q -c "$LIBVIRTD_URI" define "$LIBVIRTD_DIR/$1.xml" > /dev/null || return 1
  if [ "${2:-}" = start ]; then
    virsh -q -c "$LIBVIRTD_URI" start "$1" > /dev/null || return 1
  fi
}
