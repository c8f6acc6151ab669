#!/bin/sh
# The hook installed in two private libvirtd instances, and live migration
# between them: real hook calls (prepare refusing a VF another guest holds),
# a destination without a free VF refusing the migration before any memory
# moves (the source guest keeps running), and a migration that succeeds,
# with the destination reserving and a detached `vfpool reattach` taking
# over.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/libvirtd.sh"

libvirtd_require

# Two build trees testing at once would both bind the migration ports:
# the second waits for the first.
exec 9> /run/lock/vfpool-test-migrate.lock && flock 9

HOOK=$top_builddir/hooks/vfpool-hook
lvA=$(mktemp -d); lvB=$(mktemp -d)
host=$("$MKHOST") || { echo "Bail out! cannot build the demo host"; exit 1; }
root=$host
trap 'libvirtd_stop "$lvA"; libvirtd_stop "$lvB"; rm -rf "$lvA" "$lvB" "$(dirname "$root")" "$tap_tmp"' EXIT
uriA="qemu+unix:///system?socket=$lvA/run/libvirt-sock"
uriB="qemu+unix:///system?socket=$lvB/run/libvirt-sock"
for side in A B; do
  eval lv=\$lv$side; eval uri=\$uri$side
  mkdir -p "$lv/etc/hooks/qemu.d" "$tap_tmp/state$side"
  printf '[vfpool]\nstate-dir=%s\nuri=%s\nlog-file=%s\n[pool physnet1]\npfs=enp5s0f0,enp129s0f0np0\nvlan=100\n' \
    "$tap_tmp/state$side" "$uri" "$tap_tmp/log$side" > "$tap_tmp/vfpool$side.conf"
  # libvirt finds hooks when it starts: the wrapper is in place before.
  printf '#!/bin/sh\n%s\nexec "%s" --hook-core "%s" --config "%s" --sysfs-root "%s" --vfpool "%s" --template-dir "%s" "$@"\n' \
    "$(libvirtd_hook_env)" "$HOOK" "$HOOK-core" "$tap_tmp/vfpool$side.conf" "$root" "$VFPOOL" "$top_srcdir/xml-templates" \
    > "$lv/etc/hooks/qemu.d/vfpool"
  chmod 755 "$lv/etc/hooks/qemu.d/vfpool"
done
libvirtd_start "$lvB" vfpool-b 49400 || { echo "Bail out! the destination libvirtd did not start"; exit 1; }
libvirtd_start "$lvA" vfpool-a 49152 || { echo "Bail out! the source libvirtd did not start"; exit 1; }
VA () { "$VFPOOL" --config "$tap_tmp/vfpoolA.conf" --sysfs-root "$root" --template-dir "$top_srcdir/xml-templates" "$@"; }
VB () { "$VFPOOL" --config "$tap_tmp/vfpoolB.conf" --sysfs-root "$root" --template-dir "$top_srcdir/xml-templates" "$@"; }
leasesB () { VB list --json 2>/dev/null | jq -c '[.[] | select(.state != "free") | [.state, .owner]]'; }

# prepare: a guest whose definition names a VF another guest holds.
libvirtd_define_guest g2 || { echo "Bail out! cannot define g2"; exit 1; }
VA -q attach g2 --config > /dev/null 2>&1
virsh -q -c "$uriA" dumpxml --inactive g2 | sed -e 's|<name>g2</name>|<name>g3</name>|' -e '/<uuid>/d' \
  -e "s|<mac address='52:54:00:aa:00:01'/>|<mac address='52:54:00:aa:00:03'/>|" > "$tap_tmp/g3.xml"
virsh -q -c "$uriA" define "$tap_tmp/g3.xml" > /dev/null
run virsh -q -c "$uriA" start g3
check "a guest naming a VF that g2 holds does not start" test "$run_rc" -ne 0
check "and libvirt shows vfpool's reason" contains "$run_err" "is attached by g2; guest g3 cannot start with it"
check "the store still gives the VF to g2 only" equals \
  "$(VA list --json | jq -c '[.[] | select(.state != "free") | .owner]')" '["g2"]'

# A guest without vfpool devices: its hook calls change nothing.
libvirtd_define_guest g0 || { echo "Bail out! cannot define g0"; exit 1; }
before=$(cat "$tap_tmp/stateA/leases.xml")
t0=$(date +%s%N); virsh -q -c "$uriA" start g0 > /dev/null; virsh -q -c "$uriA" destroy g0 > /dev/null; t1=$(date +%s%N)
check "start and stop of a guest without VFs change no lease" equals "$(cat "$tap_tmp/stateA/leases.xml")" "$before"
echo "# start+destroy of a guest without VFs, hook installed: $(( (t1 - t0) / 1000000 )) ms"

# A failed start (no VFIO): prepare claims the VF, release frees it.
sed -e 's|<name>g0</name>|<name>g4</name>|' -e '/<uuid>/d' -e "s|<mac address='52:54:00:aa:00:01'/>|<mac address='52:54:00:aa:00:04'/>|" \
    -e "s|</devices>|<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='0x05' slot='0x11' function='0x6'/></source><alias name='ua-vfpool-0'/></interface></devices>|" \
    "$lvA/g0.xml" > "$tap_tmp/g4.xml"
virsh -q -c "$uriA" define "$tap_tmp/g4.xml" > /dev/null
run virsh -q -c "$uriA" start g4
check "a guest with a free VF fails to start here (no VFIO)" test "$run_rc" -ne 0
check "prepare claimed the VF (log)" contains "$(cat "$tap_tmp/logA")" "VF 0000:05:11.6 is in the definition of guest g4, which starts: leased to it."
check "release freed it (log)" contains "$(cat "$tap_tmp/logA")" "Freed VF 0000:05:11.6 of guest g4: the guest stopped."
check "no lease is left behind" equals "$(VA list --json | jq -c '[.[] | select(.owner == "g4")]')" "[]"

# A running guest whose metadata says it has a VF from pool physnet1.
libvirtd_define_guest g1 start || { echo "Bail out! cannot start g1"; exit 1; }
virsh -q -c "$uriA" metadata g1 http://vfpool.org/xmlns/vfpool/1 --key vfpool --live --set \
  "<vfpool><vf alias='ua-vfpool-0' pool='physnet1' mac='52:54:00:00:00:07' vlan='100' template='interface'/></vfpool>"
# As if the source's hook had leased g1 a VF when it started (live only).
g1xml=$(virsh -q -c "$uriA" dumpxml g1 | sed "s|</devices>|<interface type='hostdev'><source><address type='pci' domain='0x0000' bus='0x05' slot='0x11' function='0x4'/></source><alias name='ua-vfpool-5'/></interface></devices>|")
echo "$g1xml" | "$HOOK" --hook-core "$HOOK-core" --config "$tap_tmp/vfpoolA.conf" --sysfs-root "$root" g1 prepare begin - 2>/dev/null
check "(the source holds a live lease for g1)" contains "$(VA list --json | jq -c '[.[] | select(.owner == "g1") | .address]')" "0000:05:11.4"
mig () { VA migrate g1 "$uriB" --migrateuri tcp://127.0.0.1 --listen-address 127.0.0.1 "$@"; }

VB -q reserve --owner filler --count 12 > /dev/null
run mig
check "no free VF on the destination: migrate fails" equals "$run_rc" 1
check "with the destination hook's reason" contains "$run_err" "no VF from pool physnet1 on this host for ua-vfpool-0 of guest g1"
# Capacity first: the destination said no to the capacity probe, before
# the source detached anything (DESIGN.md §6 deviation, vfp-probe.h).
check "refused by the capacity probe, before anything was detached" contains "$run_err" "nothing was detached and the guest keeps running here with its VFs"
check "the refusal is one line, without the hook's newline as an escape" sh -c 'case "$1" in *"\\x0A"*) exit 1 ;; esac; [ "$(printf "%s\n" "$1" | wc -l)" = 1 ]' - "$run_err"
check "the source's log has no detach for the migration" sh -c "! grep -q 'detached for a migration' '$tap_tmp/logA' 2>/dev/null"
check "the guest keeps running on the source" equals "$(virsh -q -c "$uriA" domstate g1)" running
check "and is not on the destination" sh -c "! virsh -q -c '$uriB' dominfo g1 > /dev/null 2>&1"
check "the destination's store is unchanged" equals "$(leasesB | jq -c '[.[] | select(.[1] != "filler")]')" '[]'
check "the probe never ran on the destination" equals "$(virsh -q -c "$uriB" list --all --name | grep -c vfpool-probe)" 0

# The probe itself, through the destination's real libvirtd and hook: it
# reserves for the guest it names, never starts, and its reservation
# expires when no migration comes (or a cancel probe frees it).
VB -q release --owner filler
g1uuid=$(virsh -q -c "$uriA" domuuid g1)
probe_xml () {
  printf '%s' "<domain type='qemu'><name>vfpool-probe-$3</name><memory unit='MiB'>16</memory><vcpu>1</vcpu>" \
    "<metadata><vfpool:vfpool xmlns:vfpool='http://vfpool.org/xmlns/vfpool/1'>" \
    "<vfpool:vf alias='ua-vfpool-0' pool='physnet1' mac='52:54:00:00:00:07' vlan='100' template='interface'/>" \
    "<vfpool:probe guest-uuid='$1' guest-name='$2' token='$3' hold='$4'${5:+ cancel='yes'}/>" \
    "</vfpool:vfpool></metadata><os><type>hvm</type></os></domain>" > "$tap_tmp/probe.xml"
}
tok=0123456789abcdef0123456789abcdef
probe_xml "$g1uuid" g1 $tok 2
run virsh -q -c "$uriB" create "$tap_tmp/probe.xml"
check "a probe is refused by the destination's hook" test "$run_rc" -ne 0
check "with the line that names its token: reserved" contains "$run_err" "capacity check $tok: the VFs of guest g1 are reserved on this host (count: 1) for 2 s"
check "the destination reserved one VF for g1 (not for the probe)" equals "$(leasesB)" '[["reserved","g1"]]'
check "the reservation carries the guest's MAC and VLAN" equals \
  "$(VB list --json | jq -c '[.[] | select(.state == "reserved") | [.mac, .vlan]]')" '[["52:54:00:00:00:07",100]]'
check "the probe is not defined or running there" equals "$(virsh -q -c "$uriB" list --all --name | grep -c vfpool-probe)" 0
sleep 3
run VB audit
check "once its hold passed, the audit reports the reservation" contains "$run_out" "stale-reservation"
run VB audit --fix
check "and --fix takes it back" equals "$(leasesB)" "[]"
probe_xml "$g1uuid" g1 $tok 600
virsh -q -c "$uriB" create "$tap_tmp/probe.xml" > /dev/null 2>&1
probe_xml "$g1uuid" g1 $tok 1 cancel
run virsh -q -c "$uriB" create "$tap_tmp/probe.xml"
check "a cancel probe frees what the probe reserved" contains "$run_err" "capacity check $tok: the VFs reserved on this host for guest g1 were freed (count: 1)"
check "(nothing left reserved)" equals "$(leasesB)" "[]"
probe_xml "$g1uuid" g1 NOT-A-TOKEN 600
run virsh -q -c "$uriB" create "$tap_tmp/probe.xml"
check "a malformed probe is refused by name, and reserves nothing" sh -c "contains() { case \"\$1\" in *\"\$2\"*) return 0;; esac; return 1; }; contains '$(echo "$run_err" | tr -d "'")' 'The capacity probe of a migration is malformed' && [ '$(leasesB)' = '[]' ]"

# A migration that fails after the probe, before the destination's hook
# saw it (the destination refuses the memory URI first): vfpool calls the
# probe's reservation off.
run VA migrate g1 "$uriB" --migrateuri bogus://127.0.0.1 --listen-address 127.0.0.1
check "a migration refused after the capacity probe fails" equals "$run_rc" 1
check "and the guest keeps running on the source" equals "$(virsh -q -c "$uriA" domstate g1)" running
check "the probe's reservation on the destination is freed at once" equals "$(leasesB)" "[]"
check "(called off, in the destination's log)" contains "$(cat "$tap_tmp/logB")" "the migration it was reserved for was called off"

: > "$tap_tmp/logB"
run mig --json
check "with a free VF the migration succeeds" equals "$run_rc" 0
check "the destination reserved one VF for g1: the migration took over the probe's reservation" equals \
  "$(grep -c "for g1\\." "$tap_tmp/logB")" 1 || sed "s/^/# logB: /" "$tap_tmp/logB"
check "migrate --json" equals "$(echo "$run_out" | jq -c '[.guest, .destination == "'"$uriB"'"]')" '["g1",true]'
run VB reattach --uuid 00000000-0000-0000-0000-000000000000 --json
check "reattach --json for a guest with nothing reserved" equals "$(echo "$run_out" | jq -c '.vfs')" '[]'
check "the guest runs on the destination" equals "$(virsh -q -c "$uriB" domstate g1)" running
check "and is gone from the source" sh -c "! virsh -q -c '$uriA' domstate g1 > /dev/null 2>&1 || [ \"\$(virsh -q -c '$uriA' domstate g1)\" = 'shut off' ]"
check "the metadata travelled with it" contains \
  "$(virsh -q -c "$uriB" metadata g1 http://vfpool.org/xmlns/vfpool/1)" 'mac="52:54:00:00:00:07"'
# The destination hook reserved a VF; the detached reattach then tries to
# attach it. Without VFIO here that fails, and the reservation is freed.
i=0; while [ "$(leasesB)" != "[]" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the detached reattach ran and settled the reservation" equals "$(leasesB)" "[]"
check "its outcome is in the destination's log" contains "$(cat "$tap_tmp/logB" 2>/dev/null)" "after its migration: "
check "the reservation the destination hook made is in its log" contains "$(cat "$tap_tmp/logB" 2>/dev/null)" "for g1."
check "the source's leases of g1 are freed after the migration" equals \
  "$(VA list --json | jq -c '[.[] | select(.owner == "g1")]')" "[]"

done_testing
