#!/bin/sh
# A vfpool that waits with a libvirt connection open keeps it. libvirtd
# drops a client that leaves its keepalive requests unanswered (by default
# after 30 s; 2 s here), and vfpool waits that long for the lease store's
# lock when other vfpools hold it (test-load under ASan: "client socket is
# closed"). vfpool runs libvirt's event loop in a thread of its own, so
# the connection it opened before the wait still works after it.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/libvirtd.sh"

libvirtd_require

lv=$(mktemp -d)
host=$("$MKHOST" --with-libvirt) || { echo "Bail out! cannot build the demo host"; exit 1; }
root=$(echo "$host" | sed -n 1p)
conf=$(echo "$host" | sed -n 3p)
state=$(dirname "$root")/state
trap 'kill $holder 2> /dev/null; libvirtd_stop "$lv"; rm -rf "$lv" "$(dirname "$root")" "$tap_tmp"' EXIT
LIBVIRTD_KEEPALIVE="1 1" libvirtd_start "$lv" || { echo "Bail out! the private libvirtd did not start"; exit 1; }
libvirtd_define_guest g1 start || { echo "Bail out! cannot start a TCG guest"; exit 1; }
V () { "$VFPOOL" -c "$LIBVIRTD_URI" --config "$conf" --sysfs-root "$root" \
         --template-dir "$top_srcdir/xml-templates" "$@"; }
leases () { V list --json | jq -c '[.[] | select(.state != "free") | [.address, .state, .owner]]'; }

# The store exists; another process holds its lock for 6 s, three times
# what the daemon allows an unanswering client.
V -q reserve --owner setup > /dev/null && V -q release --owner setup > /dev/null
flock -x "$state/lock" sleep 6 &
holder=$!
sleep 1
run V attach g1 --config
wait $holder
check "an attach that waited 5 s for the store's lock still has its connection (exit $run_rc)" equals "$run_rc" 0
check "no 'client socket is closed'" sh -c '! printf "%s" "$1" | grep -q "socket is closed"' - "$run_err"
check "the VF is attached to g1 in the store" equals "$(leases)" '[["0000:05:10.0","attached","g1"]]'

# The same for a detach that waits.
flock -x "$state/lock" sleep 6 &
holder=$!
sleep 1
run V detach g1 --all
wait $holder
check "a detach that waited 5 s for the lock still has its connection (exit $run_rc)" equals "$run_rc" 0
check "the store is empty again" equals "$(leases)" "[]"

done_testing
