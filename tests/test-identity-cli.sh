#!/bin/sh
# Stable PF identity as operators meet it: the demo host's cards are
# replaced at the same addresses (a new serial number in the 82599's config
# space, a new MAC on the ConnectX); reserve, the real hook binary and the
# audit refuse their VFs until `vfpool adopt-hardware` accepts them.
. "$top_srcdir/tests/tap.sh"

HOOK=$top_builddir/hooks/vfpool-hook
CORE=$top_builddir/hooks/vfpool-hook-core
host=$("$MKHOST" --with-libvirt) || { echo "Bail out! cannot build the demo host"; exit 1; }
root=$(echo "$host" | sed -n 1p)
uri=$(echo "$host" | sed -n 2p)
conf=$(echo "$host" | sed -n 3p)
state=$(dirname "$conf")/state
trap 'rm -rf "$(dirname "$root")" "$tap_tmp"' EXIT
p () { "$VFPOOL" --config "$conf" --sysfs-root "$root" "$@"; }
a () { "$VFPOOL" -c "$uri" --config "$conf" --sysfs-root "$root" "$@"; }
hook () { "$HOOK" --hook-core "$CORE" --config "$conf" --state-dir "$state" --sysfs-root "$root" --vfpool /bin/false "$@"; }
hookrun () { stdin=$1; shift; run_out=$(hook "$@" < "$stdin" 2>"$tap_tmp/stderr"); run_rc=$?; run_err=$(cat "$tap_tmp/stderr"); }
cat > "$tap_tmp/g1.xml" <<XML
<domain type='qemu'><name>g1</name><uuid>11111111-1111-1111-1111-111111111111</uuid><devices>
<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='0x05' slot='0x10' function='0x2'/></source><alias name='ua-vfpool-0'/></interface>
</devices></domain>
XML
DSN_A=dsn:90-e2-ba-ff-ff-76-86-a8
DSN_B=dsn:90-e2-ba-ff-44-33-22-11

run p reserve --owner a
check "the first reservation works" equals "$run_rc" 0
check "and records each PF of the pool: the 82599 by its serial number" \
  contains "$(cat "$state/leases.xml")" "<pf address=\"0000:05:00.0\" identity=\"$DSN_A\" model=\"8086:10fb:8086:000c\""
check "the ConnectX by its permanent MAC" \
  contains "$(cat "$state/leases.xml")" "<pf address=\"0000:81:00.0\" identity=\"mac:b8:59:9f:12:34:50\""
check "the store stays version 1" contains "$(cat "$state/leases.xml")" '<leases version="1"'
hookrun "$tap_tmp/g1.xml" g1 prepare begin -
check "the same cards: the hook lets g1 start" equals "$run_rc" 0
ids () { a audit --json | jq -c '[.findings[] | select(.code == "identity-changed") | .object]'; }
check "the same cards: the audit finds no identity change" equals "$(ids)" '[]'

# Other cards in the same slots: the low half of the 82599's serial number
# (DSN capability at 0x1f0) and the ConnectX's MAC change.
printf '\021\042\063\104' | dd of="$root/bus/pci/devices/0000:05:00.0/config" bs=1 seek=500 conv=notrunc 2>/dev/null
echo b8:59:9f:00:00:01 > "$root/bus/pci/devices/0000:81:00.0/net/enp129s0f0np0/address"

run p reserve --owner b
check "replaced cards: reserve hands out none of their VFs" equals "$run_rc" 1
check "and says which card was there and which is now" contains "$run_err" \
  "PF 0000:05:00.0 is not the card its VFs were leased from: it was $DSN_A and is now $DSN_B."
check "and what to do" contains "$run_err" "run 'vfpool adopt-hardware 0000:05:00.0'"
run p reserve --owner b --dry-run --explain --json
check "--explain gives the reason for each VF" equals \
  "$(echo "$run_out" | jq -r '.explain[] | select(.address == "0000:81:00.3") | .reason')" \
  "PF 0000:81:00.0 is not the card its VFs were leased from (see 'vfpool audit')"
hookrun "$tap_tmp/g1.xml" g1 prepare begin -
check "the hook refuses to start g1 with its VF" equals "$run_rc" 1
check "with one line libvirt shows" equals "$(echo "$run_err" | wc -l)" 1
check "naming guest, VF and both cards" contains "$run_err" \
  "vfpool hook: guest g1 cannot start with VF 0000:05:10.2 (ua-vfpool-0): PF 0000:05:00.0 is not the card its VFs were leased from: it was $DSN_A and is now $DSN_B."
hookrun "$tap_tmp/g1.xml" g1 reconnect begin -
check "a running guest's reconnect never fails" equals "$run_rc" 0

run a audit --json
check "the audit reports it (exit 1)" equals "$run_rc" 1
check "as identity-changed errors, not fixable, one per PF" equals \
  "$(echo "$run_out" | jq -c '[.findings[] | select(.code == "identity-changed") | [.object, .severity, .fixable]]')" \
  '[["0000:05:00.0","error",false],["0000:81:00.0","error",false]]'
check "naming the old and the new MAC" contains "$(echo "$run_out" | jq -r '.findings[].message')" \
  "it was mac:b8:59:9f:12:34:50 and is now mac:b8:59:9f:00:00:01"
run a audit --fix
check "audit --fix does not accept another card" contains "$run_out" "identity-changed"
check "and leaves the record as it was" contains "$(cat "$state/leases.xml")" "identity=\"$DSN_A\""
run a audit --prometheus "$tap_tmp/metrics"
check "the metrics count the finding" contains "$(cat "$tap_tmp/metrics")" \
  'vfpool_audit_findings{pool="physnet1",code="identity-changed",severity="error"} 2'

run p adopt-hardware enp129s0f0np0 --json
check "adopt-hardware by netdev name" equals "$run_rc" 0
check "adopt-hardware --json" equals "$(echo "$run_out" | jq -c '[.pf, .identity, .previous, .changed]')" \
  '["0000:81:00.0","mac:b8:59:9f:00:00:01","mac:b8:59:9f:12:34:50",true]'
run p adopt-hardware 0000:05:00.0
check "adopt-hardware by address says what it accepted" contains "$run_out" \
  "PF 0000:05:00.0 is now known as the card $DSN_B (it was $DSN_A)"
# (the hook's lease of g1 was a leak to audit --fix: the test driver has no g1)
check "and that the leases of its VFs stay" contains "$run_out" "Leases of VFs of this PF: 1"
check "is logged" contains "$(cat "$(dirname "$conf")/vfpool.log")" "PF 0000:05:00.0 is now known as the card $DSN_B (it was $DSN_A)"
run p adopt-hardware 0000:05:00.0
check "adopting the known card changes nothing" contains "$run_out" "is the card vfpool knows"
run p reserve --owner b
check "adopted cards: reserve works again" equals "$run_rc" 0
hookrun "$tap_tmp/g1.xml" g1 prepare begin -
check "and the hook lets g1 start" equals "$run_rc" 0
check "and the audit finds no identity change" equals "$(ids)" '[]'

run p adopt-hardware 0000:42:00.0
check "adopt-hardware of no PF exits 1" equals "$run_rc" 1
check "naming it" contains "$run_err" "'0000:42:00.0' names no SR-IOV PF on this host"
run p adopt-hardware
check "adopt-hardware without a PF is a usage error" equals "$run_rc" 2

# A store an older vfpool wrote: no records. Nothing is refused; the next
# use records the cards there.
sed -i '/<pf /d' "$state/leases.xml"
run p reserve --owner c
check "a store without identity records keeps working" equals "$run_rc" 0
check "and gets them on the next use" contains "$(cat "$state/leases.xml")" "<pf address=\"0000:05:00.0\" identity=\"$DSN_B\""

done_testing
