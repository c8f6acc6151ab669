#!/bin/sh
# run-scrub-lab.sh: runs tests/lab/guest-scrub.sh in the lab with an igb in
# L1 and a host-side link switch: guest-scrub.sh writes "off" or "on" to
# BUILD/.scrub-lab-link, this script sends QEMU's "set_link n0 off|on"
# through a monitor pipe and answers with BUILD/.scrub-lab-link.done (igb
# refuses a VF's max_tx_rate, even 0, while its link is down: a real
# refusal for the scrub to meet).
# Usage: LAB_QEMU=PREFIX run-scrub-lab.sh   (PREFIX holds usr/bin/qemu-system-x86_64
# of QEMU 8 or later, which has -device igb; default /root/vfnet-q10)
# Run as root from the build tree, like run-lab.sh.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${LAB_BUILDDIR:-$(pwd)}
q=${LAB_QEMU:-/root/vfnet-q10}
dir=$(mktemp -d)
ctl=$build/.scrub-lab-link
watcher=
cleanup () {
  if [ -n "$watcher" ]; then pkill -P "$watcher" 2> /dev/null || :; kill "$watcher" 2> /dev/null || :; fi
  rm -rf "$dir"; rm -f "$ctl" "$ctl.done"
}
trap cleanup EXIT
mkfifo "$dir/mon.in" "$dir/mon.out"
cat > "$dir/qemu-system-x86_64" <<EOS
#!/bin/sh
export QEMU_MODULE_DIR=$q/usr/lib/x86_64-linux-gnu/qemu
exec $q/usr/bin/qemu-system-x86_64 -L $q/usr/share/seabios -L $q/usr/share/qemu "\$@" \\
  -device pcie-root-port,id=rp3,bus=pcie.0,chassis=3,slot=3,addr=0x10.0 \\
  -netdev user,id=n0,restrict=on -device igb,bus=rp3,netdev=n0 \\
  -monitor pipe:$dir/mon
EOS
chmod 755 "$dir/qemu-system-x86_64"
(
  exec 3<> "$dir/mon.out" 4<> "$dir/mon.in"
  cat <&3 > /dev/null &
  while :; do
    if [ -s "$ctl" ] && [ ! -e "$ctl.done" ]; then
      read -r want < "$ctl"
      echo "set_link n0 $want" >&4
      sleep 1
      : > "$ctl.done"
    fi
    sleep 0.2
  done
) &
watcher=$!
rm -f "$ctl" "$ctl.done"
PATH=$dir:$PATH LAB_BUILDDIR=$build "$here/run-lab.sh" "$here/guest-scrub.sh"
