#!/bin/sh
# The qemu hook binary, called as libvirtd calls it (NAME OP SUBOP EXTRA,
# the domain XML on stdin), against a real lease store.
. "$top_srcdir/tests/tap.sh"

HOOK=$top_builddir/hooks/vfpool-hook
CORE=$top_builddir/hooks/vfpool-hook-core
host=$("$MKHOST" --with-libvirt) || { echo "Bail out! cannot build the demo host"; exit 1; }
root=$(echo "$host" | sed -n 1p)
conf=$(echo "$host" | sed -n 3p)
state=$tap_tmp/state
trap 'rm -rf "$(dirname "$root")" "$tap_tmp"' EXIT
hook () { "$HOOK" --hook-core "$CORE" --config "$conf" --state-dir "$state" --sysfs-root "$root" --vfpool "$tap_tmp/fake-vfpool" "$@"; }
hookrun () { stdin=$1; shift; run_out=$(hook "$@" < "$stdin" 2>"$tap_tmp/stderr"); run_rc=$?; run_err=$(cat "$tap_tmp/stderr"); }
leases () { "$VFPOOL" --config "$conf" --state-dir "$state" --sysfs-root "$root" list --json \
              | jq -c '[.[] | select(.state != "free") | [.address, .state, .owner]]'; }

# guest NAME UUID [DEVICE-XML] [METADATA-XML]
guest () {
  cat <<XML
<domain type='qemu'>
  <name>$1</name>
  <uuid>$2</uuid>
  <metadata>$4</metadata>
  <devices>$3</devices>
</domain>
XML
}
vf_iface () {  # ALIAS BUS SLOT FUNCTION [TEAMING]
  echo "<interface type='hostdev' managed='yes'><mac address='52:54:00:00:00:0$4'/><source><address type='pci' domain='0x0000' bus='$2' slot='$3' function='$4'/></source>$5<alias name='$1'/></interface>"
}
U1=11111111-1111-1111-1111-111111111111
U2=22222222-2222-2222-2222-222222222222

# (a sanitizer build adds its runtime)
check "the hook's front door links nothing but libc" \
  equals "$(readelf -d "$HOOK" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | grep -Ev '^lib(a|ub|l)san' | tr '\n' ' ')" "libc.so.6 "
check "the full hook has no libvirt dependency" sh -c "! readelf -d '$CORE' | grep -q 'NEEDED.*libvirt'"
check "the full hook does not link libvirt symbols" sh -c "! nm -D '$CORE' | grep -q ' U vir'"

guest plain $U1 "" "" > "$tap_tmp/plain.xml"
hookrun "$tap_tmp/plain.xml" plain prepare begin -
check "prepare of a guest without vfpool devices: exit 0" equals "$run_rc" 0
check "and the store is not even opened" test ! -e "$state"

guest g1 $U1 "$(vf_iface ua-vfpool-0 0x05 0x10 0x2)" \
  "<vfpool:vfpool xmlns:vfpool='http://vfpool.org/xmlns/vfpool/1'><vfpool:vf alias='ua-vfpool-0' pool='physnet1' address='0000:05:10.2'/></vfpool:vfpool>" > "$tap_tmp/g1.xml"
hookrun "$tap_tmp/g1.xml" g1 prepare begin -
check "prepare with a free VF: exit 0" equals "$run_rc" 0
check "the VF is leased to the starting guest" equals "$(leases)" '[["0000:05:10.2","attached","g1"]]'
hookrun "$tap_tmp/g1.xml" g1 prepare begin -
check "prepare again (restart) is fine" equals "$run_rc" 0

guest g2 $U2 "$(vf_iface ua-vfpool-0 0x05 0x10 0x2)" "" > "$tap_tmp/g2.xml"
hookrun "$tap_tmp/g2.xml" g2 prepare begin -
check "prepare of a second guest naming the same VF: exit 1" equals "$run_rc" 1
check "with a one-line reason naming the VF and its holder" contains "$run_err" "VF 0000:05:10.2 (ua-vfpool-0) is attached by g1; guest g2 cannot start with it"
check "the reason is one line" equals "$(echo "$run_err" | wc -l)" 1
check "nothing changed" equals "$(leases)" '[["0000:05:10.2","attached","g1"]]'

hookrun "$tap_tmp/g1.xml" g1 release end -
check "release end: exit 0" equals "$run_rc" 0
check "frees what only the running guest used" equals "$(leases)" '[]'
hookrun "$tap_tmp/g1.xml" g1 release end -
check "release end twice (failed start, then stop) is idempotent" equals "$run_rc/$(leases)" "0/[]"

# release end scrubs (issue 16 part 3): a VF libvirt did not give back to
# its driver (still on vfio-pci after the guest stopped) is quarantined,
# with the reason; the guest cannot start with it again; scrub frees it
# once the driver is back.
hookrun "$tap_tmp/g1.xml" g1 prepare begin -
ln -sfn ../../../bus/pci/drivers/vfio-pci "$root/bus/pci/devices/0000:05:10.2/driver"
hookrun "$tap_tmp/g1.xml" g1 release end -
check "release end of a VF that does not verify: exit 0, quarantined" equals "$run_rc/$(leases)" '0/[["0000:05:10.2","quarantined","g1"]]'
check "with the reason" contains "$(cat "$state/leases.xml")" "VF 0000:05:10.2 is bound to vfio-pci, but it had ixgbevf when its lease began."
hookrun "$tap_tmp/g1.xml" g1 prepare begin -
check "the guest cannot start with its quarantined VF" contains "$run_rc/$run_err" "1/vfpool: VF 0000:05:10.2 (ua-vfpool-0) is quarantined by vfpool"
ln -sfn ../../../bus/pci/drivers/ixgbevf "$root/bus/pci/devices/0000:05:10.2/driver"
run "$VFPOOL" --config "$conf" --state-dir "$state" --sysfs-root "$root" scrub 0000:05:10.2
check "scrub frees it once its driver is back" equals "$run_rc/$(leases)" "0/[]"

# A VF attached to the persistent definition stays leased across a stop.
hookrun "$tap_tmp/g1.xml" g1 prepare begin -
sed -i 's/config="no"/config="yes"/' "$state/leases.xml"
hookrun "$tap_tmp/g1.xml" g1 release end -
check "a VF the definition names stays attached after a stop" equals "$(leases)" '[["0000:05:10.2","attached","g1"]]'
check "but no longer live" equals "$("$VFPOOL" --config "$conf" --state-dir "$state" --sysfs-root "$root" list --json | jq -r '.[] | select(.address == "0000:05:10.2") | .state')" attached

hookrun "$tap_tmp/g1.xml" g1 reconnect begin -
check "reconnect begin: exit 0, lease kept" equals "$run_rc/$(leases)" '0/[["0000:05:10.2","attached","g1"]]'

# Hostile and broken input: prepare and migrate refuse, the rest exit 0.
printf 'not xml' > "$tap_tmp/garbage"
hookrun "$tap_tmp/garbage" g1 prepare begin -
check "prepare with garbage on stdin refuses" equals "$run_rc" 1
hookrun "$tap_tmp/garbage" g1 release end -
check "release with garbage exits 0" equals "$run_rc" 0
hookrun "$tap_tmp/garbage" g1 reconnect begin -
check "reconnect with garbage exits 0 (a failing reconnect kills the guest)" equals "$run_rc" 0
cat > "$tap_tmp/entities" <<'XML'
<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY a "aaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY x SYSTEM "file:///etc/shadow">]>
<domain><name>&c;&x;</name><uuid>u</uuid></domain>
XML
hookrun "$tap_tmp/entities" g1 prepare begin -
check "entity expansion and external entities are refused" equals "$run_rc" 1
check "saying why" contains "$run_err" "The XML of a domain"
head -c 20000000 /dev/zero | tr '\0' ' ' > "$tap_tmp/huge"
hookrun "$tap_tmp/huge" g1 prepare begin -
check "20 MB on stdin: refused, read to the end" equals "$run_rc" 1
hookrun "$tap_tmp/huge" g1 stopped end -
check "an operation the hook does not handle: exit 0" equals "$run_rc" 0
run "$HOOK" --hook-core "$CORE" < /dev/null
check "no arguments at all: exit 0" equals "$run_rc" 0
run "$HOOK" --hook-core "$CORE" --frobnicate g1 prepare begin - < /dev/null
check "an unknown option refuses a prepare (a broken wrapper must not switch the guard off)" equals "$run_rc" 1
run "$HOOK" --hook-core "$CORE" --frobnicate g1 release end - < /dev/null
check "an unknown option on release: exit 0 with a message" equals "$run_rc/${run_err:+msg}" 0/msg

# The front door runs the full hook only for calls that can concern vfpool:
# with a full hook that cannot run, those calls fail and the rest do not.
printf '# the store the tests above use\n[vfpool]\nstate-dir = %s\n\n[pool physnet1]\npfs=enp5s0f0\n' "$state" > "$tap_tmp/gate.conf"
nocore () { "$HOOK" --hook-core "$tap_tmp/no-such-core" --config "$tap_tmp/gate.conf" "$@"; }
gaterun () { stdin=$1; shift; run_out=$(nocore "$@" < "$stdin" 2>"$tap_tmp/stderr"); run_rc=$?; run_err=$(cat "$tap_tmp/stderr"); }
guest plain 99999999-9999-9999-9999-999999999999 "<interface type='network'><source network='default'/></interface>" "" > "$tap_tmp/plain.xml"
gaterun "$tap_tmp/plain.xml" plain prepare begin -
check "gate: prepare of a guest without vfpool devices never runs the full hook" equals "$run_rc/$run_err" "0/"
gaterun "$tap_tmp/plain.xml" plain release end -
check "gate: release of a guest the store does not name never runs it" equals "$run_rc/$run_err" "0/"
for op in "start begin" "started begin" "stopped end" "migrate begin" "restore begin"; do
  gaterun "$tap_tmp/plain.xml" plain $op -
  check "gate: $op of a guest without VFs never runs it" equals "$run_rc/$run_err" "0/"
done
gaterun "$tap_tmp/g1.xml" g1 prepare begin -
check "gate: prepare of a guest with a vfpool device runs it (and refuses when it cannot)" equals "$run_rc" 1
check "gate: saying which program could not run" contains "$run_err" "cannot run $tap_tmp/no-such-core"
gaterun "$tap_tmp/g1.xml" g1 release end -
check "gate: release of a guest the store names (found through the config's state-dir) runs it" \
  equals "$run_rc/$(echo "$run_err" | grep -c 'cannot run')" "0/1"
gaterun "$tap_tmp/garbage" g1 prepare begin -
check "gate: prepare with garbage goes to the full hook" equals "$run_rc" 1
guest cr $U2 "<!-- ua-vfpool- hidden -->" "" > "$tap_tmp/comment.xml"
gaterun "$tap_tmp/comment.xml" cr prepare begin -
check "gate: a comment (which could hide a name) goes to the full hook" equals "$run_rc" 1
sed "s/<uuid>$U2/<uuid>$(echo $U1 | tr a-f A-F)/" "$tap_tmp/comment.xml" | sed 's/<!--.*-->//' > "$tap_tmp/upper.xml"
gaterun "$tap_tmp/upper.xml" cr release end -
check "gate: an upper-case UUID is matched like libvirt's lower-case one" contains "$run_err" "cannot run"
printf '[vfpool]\nstate-dir=%s\\s\n' "$state" > "$tap_tmp/escaped.conf"
"$HOOK" --hook-core "$tap_tmp/no-such-core" --config "$tap_tmp/escaped.conf" plain release end - < "$tap_tmp/plain.xml" 2> "$tap_tmp/stderr"
check "gate: a configuration it does not fully understand goes to the full hook" contains "$(cat "$tap_tmp/stderr")" "cannot run"
printf '[vfpool]  \nstate-dir=%s\n' "$state" > "$tap_tmp/odd-group.conf"
"$HOOK" --hook-core "$tap_tmp/no-such-core" --config "$tap_tmp/odd-group.conf" g1 release end - < "$tap_tmp/g1.xml" 2> "$tap_tmp/stderr"
check "gate: so does a group line with trailing blanks" contains "$(cat "$tap_tmp/stderr")" "cannot run"

# migrate begin on the destination: failover VFs get a local address.
guest g3 33333333-3333-3333-3333-333333333333 \
  "$(vf_iface ua-vfpool-0 0x42 0x00 0x1 "<teaming type='transient' persistent='ua-net0'/>")" \
  "<vfpool:vfpool xmlns:vfpool='http://vfpool.org/xmlns/vfpool/1'><vfpool:vf alias='ua-vfpool-0' pool='physnet1' address='0000:42:00.1' mac='52:54:00:00:00:01' template='interface' failover-of='ua-net0'/></vfpool:vfpool>" > "$tap_tmp/g3.xml"
hookrun "$tap_tmp/g3.xml" g3 migrate begin -
check "migrate begin: exit 0" equals "$run_rc" 0
check "prints the XML with the VF's host address rewritten to a local VF" \
  contains "$run_out" "<address type=\"pci\" domain=\"0x0000\" bus=\"0x81\" slot=\"0x00\" function=\"0x2\"/>"
check "and keeps the teaming" contains "$run_out" "persistent=\"ua-net0\""
check "the local VF is reserved for the guest" contains "$(leases)" '["0000:81:00.2","reserved","g3"]'

# A guest that arrived with detached VFs: started spawns vfpool reattach.
guest g4 44444444-4444-4444-4444-444444444444 "" \
  "<vfpool:vfpool xmlns:vfpool='http://vfpool.org/xmlns/vfpool/1'><vfpool:vf alias='ua-vfpool-0' pool='physnet1' address='0000:42:00.1' mac='52:54:00:00:00:04' vlan='7' template='interface'/></vfpool:vfpool>" > "$tap_tmp/g4.xml"
printf '#!/bin/sh\necho "$@" > "%s/reattach.args"\n' "$tap_tmp" > "$tap_tmp/fake-vfpool"
chmod +x "$tap_tmp/fake-vfpool"
hookrun "$tap_tmp/g4.xml" g4 migrate begin -
check "migrate begin without failover reserves for the reattach" contains "$(leases)" '"reserved","g4"]'
hookrun "$tap_tmp/g4.xml" g4 started begin -
check "started begin: exit 0 at once" equals "$run_rc" 0
i=0; while [ ! -s "$tap_tmp/reattach.args" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
check "and a detached 'vfpool reattach --uuid' runs" contains "$(cat "$tap_tmp/reattach.args" 2>/dev/null)" "reattach --uuid 44444444-4444-4444-4444-444444444444"

# No free VF at the destination: refuse, and the migration stops.
"$VFPOOL" -q --config "$conf" --state-dir "$state" --sysfs-root "$root" reserve --owner filler --count 9 > /dev/null
guest g5 55555555-5555-5555-5555-555555555555 "" \
  "<vfpool:vfpool xmlns:vfpool='http://vfpool.org/xmlns/vfpool/1'><vfpool:vf alias='ua-vfpool-0' pool='physnet1'/></vfpool:vfpool>" > "$tap_tmp/g5.xml"
before=$(cat "$state/leases.xml")
hookrun "$tap_tmp/g5.xml" g5 migrate begin -
check "migrate begin with no free VF: exit 1" equals "$run_rc" 1
check "saying which VF of which guest" contains "$run_err" "no VF from pool physnet1 on this host for ua-vfpool-0 of guest g5"
check "and changing nothing" equals "$(cat "$state/leases.xml")" "$before"

# libvirt reads the rewritten XML from the hook's stdout: a write that
# fails must stop the migration, not hand libvirt a cut-off document.
"$VFPOOL" -q --config "$conf" --state-dir "$state" --sysfs-root "$root" release --owner filler > /dev/null
hook g3 migrate begin - < "$tap_tmp/g3.xml" > /dev/full 2> "$tap_tmp/stderr"
check "migrate begin whose XML cannot be written: exit 1" equals "$?" 1
check "saying so" contains "$(cat "$tap_tmp/stderr")" "cannot write the XML of guest g3 for libvirt"

# A guest whose definition names a VF without vfpool's metadata (an attach
# killed before its metadata write, a copied definition): the lease that
# prepare makes names the pool of the VF's PF all the same.
guest g6 66666666-6666-6666-6666-666666666666 "$(vf_iface ua-vfpool-0 0x05 0x11 0x6)" "" > "$tap_tmp/g6.xml"
hookrun "$tap_tmp/g6.xml" g6 prepare begin -
check "prepare without metadata: exit 0" equals "$run_rc" 0
check "the lease names the pool of the VF's PF" equals \
  "$("$VFPOOL" --config "$conf" --state-dir "$state" --sysfs-root "$root" list --json | jq -c '.[] | select(.address == "0000:05:11.6") | [.state, .owner, .pool]')" \
  '["attached","g6","physnet1"]'

# pf set-numvfs waits for the kernel (here: for ever; the fake tree gets
# no new links) without the store's lock: a guest starting with a VF of
# another PF meanwhile is not refused after the hook's 3 s. VFs of the PF
# being changed are neither reserved nor let into a starting guest.
st2=$tap_tmp/numvfs-state
v2 () { "$VFPOOL" --config "$conf" --state-dir "$st2" --sysfs-root "$root" "$@"; }
hook2 () { "$HOOK" --hook-core "$CORE" --config "$conf" --state-dir "$st2" --sysfs-root "$root" "$@"; }
numvfs=$root/bus/pci/devices/0000:81:00.0/sriov_numvfs
v2 pf set-numvfs 0000:81:00.0 2 --wait 6 > /dev/null 2> "$tap_tmp/set-numvfs.err" &
setter=$!
i=0; while [ "$(cat "$numvfs")" != 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "(set-numvfs has written sriov_numvfs and waits for the kernel)" equals "$(cat "$numvfs")" 2
hook2 g1 prepare begin - < "$tap_tmp/g1.xml" 2> "$tap_tmp/stderr"
check "meanwhile a guest with a VF of another PF starts" equals "$?/$(cat "$tap_tmp/stderr")" "0/"
run v2 reserve --owner during --dry-run --explain --json
check "a reservation meanwhile takes no VF of the PF being changed" equals "$(echo "$run_out" | jq -r '.vfs[0].pf')" 0000:05:00.0
check "and --explain says why" contains "$(echo "$run_out" | jq -r '.explain[] | select(.address == "0000:81:00.2") | .reason')" "set-numvfs"
guest g7 77777777-7777-7777-7777-777777777777 "$(vf_iface ua-vfpool-0 0x81 0x00 0x3)" "" > "$tap_tmp/g7.xml"
hook2 g7 prepare begin - < "$tap_tmp/g7.xml" 2> "$tap_tmp/stderr"
check "a guest starting with a VF of the PF being changed is refused" equals "$?" 1
check "saying why, in one line" contains "$(cat "$tap_tmp/stderr")" "0000:81:00.3 (ua-vfpool-0) is on PF 0000:81:00.0, whose VF count"
check "(set-numvfs was still waiting)" kill -0 $setter
wait $setter
check "set-numvfs ends when the kernel does not create the VFs in time" contains "$(cat "$tap_tmp/set-numvfs.err")" "has not created the VFs"
hook2 g7 prepare begin - < "$tap_tmp/g7.xml" 2> "$tap_tmp/stderr"
check "afterwards that guest starts" equals "$?/$(cat "$tap_tmp/stderr")" "0/"
echo 4 > "$numvfs"

# A store locked for longer than the hook may wait: the message libvirt
# shows says it is vfpool's hook, and which guest.
flock "$st2/lock" sleep 5 &
locker=$!
sleep 0.3
guest g8 88888888-8888-8888-8888-888888888888 "$(vf_iface ua-vfpool-0 0x05 0x11 0x4)" "" > "$tap_tmp/g8.xml"
hook2 g8 prepare begin - < "$tap_tmp/g8.xml" 2> "$tap_tmp/stderr"
check "prepare while the store stays locked: refused after the hook's wait" equals "$?" 1
check "with a message that says it is vfpool's hook, and names the guest" \
  contains "$(cat "$tap_tmp/stderr")" "vfpool hook: guest g8 cannot start: "
kill $locker 2>/dev/null; wait $locker 2>/dev/null

# Options the hook does not know (a typo in a wrapper): reported; only a
# guest with vfpool devices is refused, every other guest goes on.
guest nvf 9a9a9a9a-6666-6666-6666-666666666666 "<interface type='network'><source network='default'/></interface>" "" > "$tap_tmp/nvf.xml"
run "$HOOK" --hook-core "$CORE" --frobnicate nvf prepare begin - < "$tap_tmp/nvf.xml"
check "an unknown option does not stop a guest without VFs" equals "$run_rc" 0
check "but is reported" contains "$run_err" "--frobnicate"
run "$HOOK" --hook-core "$CORE" --state-dri "$state" nvf prepare begin - < "$tap_tmp/nvf.xml"
check "nor does an unknown option that takes a value (NAME OP SUBOP EXTRA are the last four)" equals "$run_rc" 0
run "$HOOK" --hook-core "$CORE" --state-dri "$state" g1 prepare begin - < "$tap_tmp/g1.xml"
check "a guest with vfpool devices is refused" equals "$run_rc" 1
check "saying why and what to do" contains "$run_err" "refused rather than let through unchecked. Correct the options of the wrapper"
run "$CORE" --frobnicate nvf prepare begin - < "$tap_tmp/nvf.xml"
check "the full hook alone lets a guest without VFs start" equals "$run_rc" 0
check "and names the option" contains "$run_err" "--frobnicate"
run "$CORE" --frobnicate g1 prepare begin - < "$tap_tmp/g1.xml"
check "the full hook alone refuses a guest with vfpool devices" equals "$run_rc" 1
check "the man page says so" sh -c "groff -Tutf8 -rLL=2000n -man '$top_srcdir/data/vfpool-hook.8' 2>/dev/null | col -bx | tr -s ' \n' '  ' | grep -q 'only a guest that has vfpool devices is refused'"

# --help works without the full hook (it documents --hook-core).
run "$HOOK" --hook-core "$tap_tmp/no-such-core" --help
check "--help without the full hook exits 0" equals "$run_rc" 0
check "prints the options, --hook-core too" contains "$run_out" "--hook-core=PATH"
check "and no error" equals "$run_err" ""

# A guest without VFs whose XML is over 8 MiB still starts (and migrates).
{ printf "<domain type='qemu'><name>big</name><uuid>9b9b9b9b-7777-7777-7777-777777777777</uuid><metadata><big xmlns='http://example.org/big'>"
  head -c 9000000 /dev/zero | tr '\0' a
  printf "</big></metadata><devices/></domain>\n"; } > "$tap_tmp/big.xml"
run "$HOOK" --hook-core "$CORE" --config "$conf" --state-dir "$state" big prepare begin - < "$tap_tmp/big.xml"
check "prepare of a 9 MB guest without VFs: exit 0" equals "$run_rc/$run_err" "0/"
run "$HOOK" --hook-core "$tap_tmp/no-such-core" big prepare begin - < "$tap_tmp/big.xml"
check "decided by the front door alone, which reads it to the end" equals "$run_rc/$run_err" "0/"
run "$HOOK" --hook-core "$tap_tmp/no-such-core" big migrate begin - < "$tap_tmp/big.xml"
check "migrate begin of it: exit 0" equals "$run_rc/$run_err" "0/"
sed 's|<devices/>|<devices><hostdev mode="subsystem" type="pci"><alias name="ua-vfpool-0"/></hostdev></devices>|' "$tap_tmp/big.xml" > "$tap_tmp/big-vf.xml"
run "$HOOK" --hook-core "$CORE" --config "$conf" --state-dir "$state" big prepare begin - < "$tap_tmp/big-vf.xml"
check "a vfpool device past the first 8 MiB is seen: the start is refused" equals "$run_rc" 1
check "saying the XML is too large" contains "$run_err" "more than the 8388608 bytes vfpool accepts"
sed 's|<devices/>|<!-- hidden --><devices/>|' "$tap_tmp/big.xml" > "$tap_tmp/big-comment.xml"
run "$HOOK" --hook-core "$tap_tmp/no-such-core" big prepare begin - < "$tap_tmp/big-comment.xml"
check "a comment past the first 8 MiB sends it to the full hook" contains "$run_err" "cannot run"

# A broken configuration refuses only the incoming migration of a guest
# that brings VFs; a guest without VFs migrates as usual.
printf '[pool physnet1]\npfs=enp5s0f0\nvlan=9000\n' > "$tap_tmp/broken.conf"
run "$HOOK" --hook-core "$CORE" --config "$tap_tmp/broken.conf" --state-dir "$state" nvf migrate begin - < "$tap_tmp/nvf.xml"
check "broken config: a guest without VFs migrates in" equals "$run_rc" 0
run "$CORE" --config "$tap_tmp/broken.conf" --state-dir "$state" nvf migrate begin - < "$tap_tmp/nvf.xml"
check "broken config: so says the full hook alone" equals "$run_rc" 0
run "$HOOK" --hook-core "$CORE" --config "$tap_tmp/broken.conf" --state-dir "$state" g4 migrate begin - < "$tap_tmp/g4.xml"
check "broken config: a guest with vfpool metadata is refused" equals "$run_rc" 1
check "naming the configuration's mistake" contains "$run_err" "broken.conf: [pool physnet1] vlan"
check "vfpool.conf(5) says so" sh -c "groff -Tutf8 -rLL=2000n -man '$top_srcdir/data/vfpool.conf.5' 2>/dev/null | col -bx | tr -s ' \n' '  ' | grep -q 'guests without VFs migrate in as usual; it refuses the incoming migration of a guest that brings VFs'"
check "vfpool-hook(8) says so" sh -c "groff -Tutf8 -rLL=2000n -man '$top_srcdir/data/vfpool-hook.8' 2>/dev/null | col -bx | tr -s ' \n' '  ' | grep -q 'refuses the incoming migration of a guest that brings VFs; a guest without VFs migrates as usual'"

# Issue 18.4: the hook never blocks. A FIFO at leases.xml, as the
# configuration or as the log file used to hang it (and libvirtd with it);
# timeout(1) turns a hang into exit 124.
mkdir "$tap_tmp/fifo-state" && mkfifo "$tap_tmp/fifo-state/leases.xml"
for op in "prepare begin" "release end"; do
  run timeout 20 "$HOOK" --hook-core "$CORE" --config "$conf" --state-dir "$tap_tmp/fifo-state" \
    --sysfs-root "$root" g1 $op - < "$tap_tmp/g1.xml"
  check "a FIFO at leases.xml: $op returns at once" test "$run_rc" -ne 124
done
check "and prepare refuses, naming the FIFO" contains "$run_err$(timeout 20 "$HOOK" --hook-core "$CORE" --config "$conf" \
  --state-dir "$tap_tmp/fifo-state" --sysfs-root "$root" g1 prepare begin - < "$tap_tmp/g1.xml" 2>&1)" "leases.xml is not a regular file"
sed "s|^state-dir=.*|state-dir=$tap_tmp/fifo-state|" "$conf" > "$tap_tmp/fifo-store.conf"
run timeout 20 "$HOOK" --hook-core "$CORE" --config "$tap_tmp/fifo-store.conf" g1 release end - < "$tap_tmp/g1.xml"
check "a FIFO store found through the configuration (the gate's read): release returns at once" test "$run_rc" -ne 124
mkfifo "$tap_tmp/fifo.conf"
for op in "prepare begin" "release end"; do
  run timeout 20 "$HOOK" --hook-core "$CORE" --config "$tap_tmp/fifo.conf" g1 $op - < "$tap_tmp/g1.xml"
  check "a FIFO as --config: $op returns at once" test "$run_rc" -ne 124
done
mkfifo "$tap_tmp/fifo.log"
sed "s|^log-file=.*|log-file=$tap_tmp/fifo.log|" "$conf" > "$tap_tmp/fifo-log.conf"
guest g7 9d9d9d9d-7777-7777-7777-777777777777 "$(vf_iface ua-vfpool-0 0x05 0x10 0x6)" "" > "$tap_tmp/g7.xml"
run timeout 20 "$HOOK" --hook-core "$CORE" --config "$tap_tmp/fifo-log.conf" --state-dir "$state" \
  --sysfs-root "$root" g7 prepare begin - < "$tap_tmp/g7.xml"
check "a FIFO as the log file nobody reads: prepare (which logs) returns at once" test "$run_rc" -ne 124
check "and the guest's VF is leased all the same" contains "$(leases)" '["0000:05:10.6","attached","g7"]'
hook g7 release end - < "$tap_tmp/g7.xml"

# Issue 18.1: a guest's name is libvirt's to choose; XML carries a tab, a
# C1 CSI or a noncharacter in it. The store keeps them escaped, and no
# output sends them to a terminal.
"$VFPOOL" -q --config "$conf" --state-dir "$state" --sysfs-root "$root" release --owner g3 > /dev/null 2>&1
guest "web&#9;$(printf '\302\233')2J$(printf '\357\267\220')" 9c9c9c9c-6666-6666-6666-666666666666 \
  "$(vf_iface ua-vfpool-0 0x05 0x11 0x0)" "" > "$tap_tmp/g6.xml"
hookrun "$tap_tmp/g6.xml" g6 prepare begin -
check "prepare of a guest with control characters in its name: exit 0" equals "$run_rc" 0
run "$VFPOOL" --config "$conf" --state-dir "$state" --sysfs-root "$root" list
check "the store still loads" equals "$run_rc" 0
check "the log file has the name escaped: one line per event" equals \
  "$(LC_ALL=C grep -c "$(printf '\302\233\\|\t')" "$(dirname "$conf")/vfpool.log")" 0
check "list shows the name escaped" contains "$run_out" 'web\x09\x9B2J\u{FDD0}'
check "and sends no control character to the terminal" equals "$(printf '%s' "$run_out" | LC_ALL=C grep -c "$(printf '\302\233\|\t')")" 0
check "list --json keeps it as the store does" equals \
  "$("$VFPOOL" --config "$conf" --state-dir "$state" --sysfs-root "$root" list --json | jq -r '.[] | select(.address == "0000:05:11.0") | .owner')" 'web\x09\x9B2J\u{FDD0}'
guest "evil$(printf '\302\233')2J" 9e9e9e9e-8888-8888-8888-888888888888 "$(vf_iface ua-vfpool-0 0x05 0x11 0x0)" "" > "$tap_tmp/g8.xml"
hookrun "$tap_tmp/g8.xml" g8 prepare begin -
check "a refused start names the guest" contains "$run_err" 'guest evil\x9B2J cannot start'
check "escaped: libvirt shows the line to the user's terminal" equals "$(printf '%s' "$run_err" | LC_ALL=C grep -c "$(printf '\302\233')")" 0

done_testing
