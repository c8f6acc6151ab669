#!/bin/sh
# make demo, the first thing a new user runs: it gets through the libvirt
# part and warns about nothing (its private libvirtd sees this machine's
# devices, not the demo host's fake tree: nothing to warn about).
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/libvirtd.sh"

libvirtd_require

run sh "$top_srcdir/tests/demo.sh"
check "make demo exits 0" equals "$run_rc" 0
check "and reaches the libvirt part" contains "$run_out" "attached to MyGuest"
check "and detaches again" contains "$run_out" "detached from MyGuest"
all=$(printf '%s\n%s\n' "$run_out" "$run_err")
check "without a single warning" sh -c "! printf '%s' \"\$1\" | grep -i 'warning:'" sh "$all"
done_testing
