#!/bin/sh
# vfpool audit against a private libvirtd, a fake sysfs tree and the lease
# store: every finding made for real, detected, repaired where safe, and a
# second --fix finds nothing to do.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/libvirtd.sh"

libvirtd_require

lv=$(mktemp -d)
root=$("$MKHOST") || { echo "Bail out! cannot build the demo host"; exit 1; }
state=$tap_tmp/state
conf=$tap_tmp/vfpool.conf
trap 'libvirtd_stop "$lv"; rm -rf "$lv" "$(dirname "$root")" "$tap_tmp"' EXIT
libvirtd_start "$lv" vfpool-audit 49600 || { echo "Bail out! the private libvirtd did not start"; exit 1; }
printf '[vfpool]\nstate-dir=%s\nuri=%s\n[pool physnet1]\npfs=enp5s0f0,enp129s0f0np0\nnumvfs=8\n' "$state" "$LIBVIRTD_URI" > "$conf"
V () { "$VFPOOL" --config "$conf" --sysfs-root "$root" --template-dir "$top_srcdir/xml-templates" "$@"; }
codes () { V audit --json | jq -c '[.findings[] | [.code, .object]] | sort'; }
define_with_vf () {  # NAME BUS SLOT FUNCTION
  libvirtd_define_guest "$1" > /dev/null
  virsh -q -c "$LIBVIRTD_URI" attach-device "$1" --config /dev/stdin > /dev/null <<XML
<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='$2' slot='$3' function='$4'/></source></hostdev>
XML
}

run V audit
check "a fresh host with numvfs drift on one PF" equals "$run_rc" 1
check "numvfs-drift names the PF" contains "$run_out" "PF 0000:81:00.0 has 4 VFs; pool 'physnet1' asks for 8"

# leak: the guest holding the VF is undefined behind vfpool's back
libvirtd_define_guest g2; V -q attach g2 --config > /dev/null
virsh -q -c "$LIBVIRTD_URI" undefine g2 > /dev/null
# untracked: a guest defined with a pool VF, without vfpool
define_with_vf g3 0x05 0x10 0x4
# conflict: two guests naming the same VF
define_with_vf g4 0x05 0x11 0x0
define_with_vf g5 0x05 0x11 0x0
# stuck-detach whose device is gone: the lease still says detaching
libvirtd_define_guest g6; V -q attach g6 --config > /dev/null
g6vf=$(V list --json | jq -r '.[] | select(.owner == "g6") | .address')
virsh -q -c "$LIBVIRTD_URI" detach-device-alias g6 ua-vfpool-0 --config > /dev/null
sed -i "s|\(vf=\"$g6vf\".*\)state=\"attached\"|\1state=\"detaching\"|" "$state/leases.xml"
# missing-vf: a lease of a VF the kernel does not have
sed -i "s|</leases>|  <lease vf=\"0000:05:17.0\" pf=\"0000:05:00.0\" pool=\"physnet1\" state=\"reserved\" created=\"1\" changed=\"1\"><owner label=\"ghost\"/></lease>\n</leases>|" "$state/leases.xml"
# driver: a free VF on vfio-pci without a lease
ln -sfn ../../../../bus/pci/drivers/vfio-pci "$root/devices/pci0000:00/0000:00:03.0/0000:05:00.0/../0000:05:11.2/driver" 2>/dev/null \
  || ln -sfn "$root/bus/pci/drivers/vfio-pci" "$(readlink -f "$root/bus/pci/devices/0000:05:11.2")/driver"
# metadata: the guest's vfpool metadata was removed
libvirtd_define_guest g7; V -q attach g7 --config > /dev/null
g7vf=$(V list --json | jq -r '.[] | select(.owner == "g7") | .address')
virsh -q -c "$LIBVIRTD_URI" metadata g7 http://vfpool.org/xmlns/vfpool/1 --remove --config > /dev/null
g2vf=$(V list --json | jq -r '.[] | select(.owner == "g2") | .address')
# stale-reservation: a hold whose time is up
V -q reserve --owner expired --for 1s > /dev/null
sleep 1.2

before=$(cat "$state/leases.xml")
run V audit --json --prometheus "$tap_tmp/vfpool.prom"
check "audit with findings exits 1" equals "$run_rc" 1
found=$(echo "$run_out" | jq -c '[.findings[].code] | unique')
for c in leak untracked conflict stale-reservation stuck-detach missing-vf numvfs-drift driver metadata; do
  check "finding $c" contains "$found" "\"$c\""
done
check "leak is g2's VF" contains "$(codes)" "[\"leak\",\"$g2vf\"]"
check "untracked is g3's VF" contains "$(codes)" '["untracked","0000:05:10.4"]'
check "conflict on the VF g4 and g5 both name" contains "$(codes)" '["conflict","0000:05:11.0"]'
check "stuck-detach is g6's VF" contains "$(codes)" "[\"stuck-detach\",\"$g6vf\"]"
check "metadata is g7's VF" contains "$(codes)" "[\"metadata\",\"$g7vf\"]"
check "driver is the VF on vfio-pci" contains "$(codes)" '["driver","0000:05:11.2"]'
check "an audit without --fix changes nothing" equals "$(cat "$state/leases.xml")" "$before"
prom=$(cat "$tap_tmp/vfpool.prom")
check "prometheus: VFs by pool, PF, NUMA node and state" contains "$prom" 'vfpool_vfs{pool="physnet1",pf="0000:05:00.0",numa_node="0",state="attached"}'
check "prometheus: findings by pool, code and severity" contains "$prom" 'vfpool_audit_findings{pool="physnet1",code="conflict",severity="error"} 1'
check "prometheus: last run and duration" sh -c "grep -q '^vfpool_audit_last_run_timestamp_seconds [0-9]' '$tap_tmp/vfpool.prom' && grep -q '^vfpool_audit_duration_seconds [0-9]' '$tap_tmp/vfpool.prom'"
# The alert rules on this very textfile, with one VF quarantined (a state
# nothing enters yet; the metric says what the store says).
qvf=$(V list --json | jq -r '[.[] | select(.pf == "0000:81:00.0" and .state == "free")][0].address')
cp -a "$state" "$tap_tmp/qstate"
sed -i "s|</leases>|  <lease vf=\"$qvf\" pf=\"0000:81:00.0\" pool=\"physnet1\" state=\"quarantined\" created=\"1\" changed=\"1\"/>\n</leases>|" "$tap_tmp/qstate/leases.xml"
V --state-dir "$tap_tmp/qstate" audit --prometheus "$tap_tmp/q.prom" > /dev/null 2>&1
check "prometheus: a quarantined VF is counted" contains "$(cat "$tap_tmp/q.prom")" \
  'vfpool_vfs{pool="physnet1",pf="0000:81:00.0",numa_node="1",state="quarantined"} 1'
if command -v promtool > /dev/null; then
  run sh "$top_srcdir/tests/prometheus-rules.sh" "$tap_tmp/q.prom" "$top_srcdir/data/prometheus/vfpool.rules.yml" \
    "$top_srcdir/data/vfpool-audit.service.in" "$tap_tmp/rules-test.yml"
  check "promtool: the alert rules pass their tests on this audit's series" equals "$run_rc" 0
  [ "$run_rc" = 0 ] || printf '%s\n%s\n' "$run_out" "$run_err" | sed 's/^/# /'
elif [ -n "${CI:-}" ]; then
  check "promtool is installed (build-aux/setup-debian installs prometheus)" false
else
  skip "no promtool (Debian's prometheus package; build-aux/setup-debian installs it)"
fi
if locale -a 2>/dev/null | grep -qi '^de_DE.utf-\?8$'; then
  LC_ALL= LANG=de_DE.UTF-8 V audit --prometheus "$tap_tmp/de.prom" > /dev/null 2>&1
  check "prometheus under a German locale: a decimal point, not a comma" \
    grep -Eq '^vfpool_audit_duration_seconds [0-9]+\.[0-9]{3}$' "$tap_tmp/de.prom"
else
  skip "no de_DE.UTF-8 locale (build-aux/setup-debian makes it)"
fi

run V audit --fix --json
check "--fix exits 1 while unfixable findings remain" equals "$run_rc" 1
check "--fix says what it did" equals "$(echo "$run_out" | jq '.fixed | length')" 5
check "and leaves for a human what is not provably safe" equals \
  "$(echo "$run_out" | jq -c '[.findings[].code] | sort')" '["conflict","driver","missing-vf","numvfs-drift"]'
check "the leak is freed" equals "$(V list --json | jq -c "[.[] | select(.address == \"$g2vf\") | .state]")" '["free"]'
check "the untracked VF is adopted by g3" equals "$(V list --json | jq -c '[.[] | select(.address == "0000:05:10.4") | [.state, .owner]]')" '[["attached","g3"]]'
check "the finished detach is settled" equals "$(V list --json | jq -c "[.[] | select(.address == \"$g6vf\") | .state]")" '["free"]'
check "the stale reservation is freed" equals "$(V list --json | jq -c '[.[] | select(.owner == "expired")]')" '[]'
check "g7's metadata is restored" contains \
  "$(virsh -q -c "$LIBVIRTD_URI" metadata g7 http://vfpool.org/xmlns/vfpool/1 --config)" "address=\"$g7vf\""
after=$(cat "$state/leases.xml")
run V audit --fix --json
check "a second --fix finds nothing to do" equals "$(echo "$run_out" | jq '.fixed | length')" 0
check "and changes nothing" equals "$(cat "$state/leases.xml")" "$after"

# Clean up what needs a human; then the audit is clean.
virsh -q -c "$LIBVIRTD_URI" undefine g5 > /dev/null
V -q release 0000:05:17.0 > /dev/null 2>&1
sed -i '/^\[pool/,$ s/^numvfs=8$//' "$conf"
ln -sfn ../../../../bus/pci/drivers/ixgbevf "$(readlink -f "$root/bus/pci/devices/0000:05:11.2")/driver"
run V audit --fix
run V audit
check "after the human part, the audit is clean" equals "$run_rc" 0
check "and says so" contains "$run_out" "Clean"

# A VF outside the pool (exclude=, vfs=) is not vfpool's: another user,
# such as another host whose pool has the PF's other VFs (the lab's two
# libvirtds), may bind it to vfio-pci and give it to a guest.
sed -i 's/^pfs=enp5s0f0,enp129s0f0np0$/&\nexclude=0000:05:11.2/' "$conf"
ln -sfn ../../../../bus/pci/drivers/vfio-pci "$(readlink -f "$root/bus/pci/devices/0000:05:11.2")/driver"
define_with_vf g10 0x05 0x11 0x2
run V audit
check "a VF outside the pool, on vfio-pci and in a guest without a lease, is no finding" equals "$run_rc" 0
virsh -q -c "$LIBVIRTD_URI" undefine g10 > /dev/null
sed -i '/^exclude=0000:05:11.2$/d' "$conf"
ln -sfn ../../../../bus/pci/drivers/ixgbevf "$(readlink -f "$root/bus/pci/devices/0000:05:11.2")/driver"

# What a killed detach or attach leaves (tests/integration/test-crash.sh
# kills them for real), repaired by one --fix.
# A detach killed before it asked libvirt: g8's definition still has the
# VF; freeing it would let the VF go to a second holder.
libvirtd_define_guest g8; V -q attach g8 --config > /dev/null
g8vf=$(V list --json | jq -r '.[] | select(.owner == "g8") | .address')
sed -i "s|\(vf=\"$g8vf\".*\)state=\"attached\"|\1state=\"detaching\"|" "$state/leases.xml"
# ... and whose lease names another alias than the guest's device has
sed -i "/vf=\"$g8vf\"/,/<\/lease>/ s|alias=\"ua-vfpool-0\"|alias=\"ua-vfpool-7\"|" "$state/leases.xml"
# An attach killed after libvirt took the VF, before the metadata and the
# lease said so.
libvirtd_define_guest g9; V -q attach g9 --config --vlan 9 > /dev/null
g9vf=$(V list --json | jq -r '.[] | select(.owner == "g9") | .address')
g9mac=$(V list --json | jq -r '.[] | select(.owner == "g9") | .mac')
virsh -q -c "$LIBVIRTD_URI" metadata g9 http://vfpool.org/xmlns/vfpool/1 --remove --config > /dev/null
sed -i "s|\(vf=\"$g9vf\".*\)state=\"attached\"\(.*\)>|\1state=\"reserved\"\2><reservation pid=\"999999\" start=\"1\" expires=\"$(( $(date +%s) + 300 ))\"/>|" "$state/leases.xml"
# (its lease had no MAC yet: libvirt chooses it during the attach)
sed -i "/vf=\"$g9vf\"/,/<\/lease>/ s| mac=\"[^\"]*\" vlan=\"9\"||" "$state/leases.xml"
check "(planted: g9's lease has neither MAC nor VLAN)" equals \
  "$(V list --json | jq -c ".[] | select(.address == \"$g9vf\") | [.mac, .vlan]")" '[null,null]'
# A guest given a pool VF behind vfpool's back, with a MAC and a VLAN.
g10vf=$(V list --json | jq -r '[.[] | select(.state == "free" and .driver != "vfio-pci")][0].address')
libvirtd_define_guest g10 > /dev/null
echo "$g10vf" | sed 's/^\(....\):\(..\):\(..\)\.\(.\)$/<interface type="hostdev" managed="yes"><mac address="52:54:00:10:00:10"\/><source><address type="pci" domain="0x\1" bus="0x\2" slot="0x\3" function="0x\4"\/><\/source><vlan><tag id="10"\/><\/vlan><\/interface>/' \
  | virsh -q -c "$LIBVIRTD_URI" attach-device g10 --config /dev/stdin > /dev/null
run V audit --fix --json
check "one --fix repairs all" equals "$(echo "$run_out" | jq -c '[.fixed[] | split(" ")[0]] | sort')" '["metadata","stale-reservation","stuck-detach","untracked"]'
check "an adopted VF's lease has the MAC and VLAN of the guest's XML" equals \
  "$(V list --json | jq -c ".[] | select(.address == \"$g10vf\") | [.state, .owner, .mac, .vlan]")" '["attached","g10","52:54:00:10:00:10",10]'
check "so has a stale reservation recorded as attached" equals \
  "$(V list --json | jq -c ".[] | select(.address == \"$g9vf\") | [.mac, .vlan]")" "[\"$g9mac\",9]"
check "an interrupted detach whose VF is still defined is attached again, not freed" equals \
  "$(V list --json | jq -c "[.[] | select(.address == \"$g8vf\") | [.state, .owner]]")" '[["attached","g8"]]'
check "under the alias the guest has it under" equals \
  "$(V list --json | jq -r ".[] | select(.address == \"$g8vf\") | .alias")" "ua-vfpool-0"
check "an interrupted attach is adopted" equals \
  "$(V list --json | jq -c "[.[] | select(.address == \"$g9vf\") | [.state, .owner]]")" '[["attached","g9"]]'
check "and its metadata written by the same --fix" contains \
  "$(virsh -q -c "$LIBVIRTD_URI" metadata g9 http://vfpool.org/xmlns/vfpool/1 --config)" "address=\"$g9vf\""
run V audit
check "the audit is clean again" equals "$run_rc" 0
V -q detach g10 --all
run V detach g8 --all
check "and the interrupted detach can be done again" equals "$(V list --json | jq -c "[.[] | select(.address == \"$g8vf\") | .state]")" '["free"]'

# vf-settings: a lease that records VF settings is checked against its PF
# over netlink; the demo PF's netdev is not in this machine's kernel, so the
# audit says it cannot read them (and --fix leaves it to a human).
cp "$state/leases.xml" "$tap_tmp/no-settings"
sed -i "/vf=\"$g9vf\"/,/<\/lease>/ s|</lease>|<vf-settings trust=\"on\"/></lease>|" "$state/leases.xml"
check "(planted: g9's lease records trust=on)" equals "$(V list --json | jq -c ".[] | select(.address == \"$g9vf\") | .vf_settings.trust")" true
run V audit --json
check "vf-settings: the audit reports it" equals "$(echo "$run_out" | jq -c '[.findings[] | [.code, .object, .guest]]')" "[[\"vf-settings\",\"$g9vf\",\"g9\"]]"
check "vf-settings: naming the netdev it cannot read" contains "$(echo "$run_out" | jq -r '.findings[0].message')" "no network interface 'enp"
run V audit --fix
check "vf-settings: --fix cannot repair an unreadable PF" equals "$run_rc" 1
cp "$tap_tmp/no-settings" "$state/leases.xml"
run V audit
check "the audit is clean without the planted settings" equals "$run_rc" 0

# Could not audit: exit 2, nothing changed.
clean=$(cat "$state/leases.xml")
run "$VFPOOL" -c "qemu+unix:///system?socket=$lv/nope" --config "$conf" --sysfs-root "$root" audit
check "libvirt unreachable: exit 2" equals "$run_rc" 2
check "with a clear error" contains "$run_err" "Could not audit"
head -c 100 "$state/leases.xml" > "$tap_tmp/half" && cp "$state/leases.xml" "$tap_tmp/whole" && cp "$tap_tmp/half" "$state/leases.xml"
run V audit --fix
check "a half-written store: exit 2" equals "$run_rc" 2
check "and it is left as it is" equals "$(cat "$state/leases.xml")" "$(cat "$tap_tmp/half")"
cp "$tap_tmp/whole" "$state/leases.xml"
sed -i 's/^pfs=.*/pfs=enp5s0f0,enp9s0f0/' "$conf"
run V audit
check "a PF that is gone: exit 2" equals "$run_rc" 2
check "naming it" contains "$run_err" "'enp9s0f0' names no SR-IOV PF"
check "the store is unchanged" equals "$(cat "$state/leases.xml")" "$clean"

done_testing
