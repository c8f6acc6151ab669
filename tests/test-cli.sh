#!/bin/sh
# The vfpool program as operators run it, on the demo host, on the tree
# captured from a real kernel, and against libvirt's test driver.
. "$top_srcdir/tests/tap.sh"

host=$("$MKHOST" --with-libvirt) || { echo "Bail out! cannot build the demo host"; exit 1; }
root=$(echo "$host" | sed -n 1p)
uri=$(echo "$host" | sed -n 2p)
conf=$(echo "$host" | sed -n 3p)
trap 'rm -rf "$(dirname "$root")" "$tap_tmp"' EXIT
v () { "$VFPOOL" --sysfs-root "$root" "$@"; }

run v status
check "status exits 0" equals "$run_rc" 0
check "status shows the 82599 PF" contains "$run_out" "0000:05:00.0"
check "status shows VFs enabled/total" contains "$run_out" "8/64"
check "status names the device from pci.ids" contains "$run_out" "82599ES 10-Gigabit"
check "status shows the second vendor's PF" contains "$run_out" "Mellanox"

run v status --json
check "status --json lists two PFs" equals "$(echo "$run_out" | jq '.pfs | length')" 2
check "status --json num_vfs/total_vfs" equals "$(echo "$run_out" | jq -c '.pfs[0] | [.num_vfs, .total_vfs, .numa_node]')" "[8,64,0]"

run v list
check "list exits 0" equals "$run_rc" 0
check "list shows VF 05:10.2" contains "$run_out" "0000:05:10.2  0000:05:00.0  1"

run v list --json
check "list --json has 12 VFs" equals "$(echo "$run_out" | jq length)" 12
check "list --json keys of a VF" equals \
  "$(echo "$run_out" | jq -c '.[1] | [.address, .pf, .index, .driver, .iommu_group, .numa_node]')" \
  '["0000:05:10.2","0000:05:00.0",1,"ixgbevf",101,0]'
check "list --json VF of the second PF" equals \
  "$(echo "$run_out" | jq -c '.[8] | [.address, .netdevs[0], .numa_node]')" '["0000:81:00.2","enp129s0f0v0",1]'
check "list --json: no VF settings without a lease" equals "$(echo "$run_out" | jq -c '.[1].vf_settings')" null

# The VF settings a lease records (what vfpool applied through the PF).
vfst=$tap_tmp/vf-settings-state
mkdir -m 0700 "$vfst"
cat > "$vfst/leases.xml" <<'EOF'
<?xml version="1.0"?>
<leases version="1" generation="1">
  <lease vf="0000:05:10.2" pf="0000:05:00.0" pool="physnet1" state="attached" created="1" changed="1">
    <owner uuid="c7a5fdbd-cdaf-9455-926a-d65c16db1809" name="g1"/>
    <device mac="52:54:00:12:34:56" vlan="100" alias="ua-vfpool-0" live="yes" config="no"/>
    <vf-settings spoofchk="off" trust="on" max-tx-rate="1000"/>
  </lease>
</leases>
EOF
run v --state-dir "$vfst" list --json
check "list --json shows the VF settings of a lease" equals \
  "$(echo "$run_out" | jq -c '.[1].vf_settings | [.vf, .spoofchk, .trust, .link_state, .max_tx_rate, .min_tx_rate]')" \
  '[1,false,true,null,1000,null]'
check "list --json: VF settings only where a lease records them" equals "$(echo "$run_out" | jq -c '.[2].vf_settings')" null

run v pf show 0000:05:00.0 --json
check "pf show --json exits 0" equals "$run_rc" 0
check "pf show --json capability numbers" equals \
  "$(echo "$run_out" | jq -c '[.address, .total_vfs, .initial_vfs, .num_vfs, .vf_offset, .vf_stride, .vf_device_id]')" \
  '["0000:05:00.0",64,64,8,128,2,"10ed"]'
check "pf show --json VF addresses" equals "$(echo "$run_out" | jq -c '.vfs[0:3]')" \
  '["0000:05:10.0","0000:05:10.2","0000:05:10.4"]'

run v pf show enp5s0f0
check "pf show by netdev name" contains "$run_out" "VF offset: 128, stride: 2, Device ID: 10ed"

run v pf show 0000:42:00.0
check "pf show of an unknown PF exits 1" equals "$run_rc" 1
check "pf show of an unknown PF names it" contains "$run_err" "'0000:42:00.0'"

# pf vf-settings asks the real kernel over netlink: the demo host's PF
# netdev does not exist on this machine, and the error says so by name.
run v pf vf-settings 0000:05:00.0
check "pf vf-settings of a netdev the kernel lacks exits 1" equals "$run_rc" 1
check "pf vf-settings names the missing netdev" contains "$run_err" "no network interface 'enp5s0f0'"
run v pf vf-settings 0000:42:00.0 --json
check "pf vf-settings of an unknown PF exits 1" equals "$run_rc" 1
check "pf vf-settings of an unknown PF names it" contains "$run_err" "'0000:42:00.0'"
run v pf vf-settings
check "pf vf-settings without a PF is a usage error" equals "$run_rc" 2
check "pf vf-settings without a PF shows an example" contains "$run_err" "vfpool pf vf-settings enp5s0f0"
run v pf
check "pf without a subcommand lists vf-settings" contains "$run_err" "vfpool pf vf-settings PF"

run v check
check "check passes on the demo host" equals "$run_rc" 0
check "check says ready" contains "$run_out" "Ready for VF passthrough"
run v check --json
check "check --json ready" equals "$(echo "$run_out" | jq .ready)" true
check "check --json has every kind of check" equals \
  "$(echo "$run_out" | jq -c '[.checks[].check] | unique')" \
  '["acs","interrupt-remapping","iommu","iommu-group","sriov","vfio-iommu","vfio-pci"]'

rm -rf "$root/class/iommu" "$root/kernel/iommu_groups"
run v check
check "check fails without an IOMMU" equals "$run_rc" 1
check "check says how to fix it" contains "$run_out" "intel_iommu=on"

run "$VFPOOL" -c "$uri" --sysfs-root "$root" pf show 0000:05:00.0 --json
check "with libvirt's test driver the PF gets its node device" equals \
  "$(echo "$run_out" | jq -r .nodedev)" pci_0000_05_00_0
run "$VFPOOL" -c "test:///nonexistent.xml" --sysfs-root "$root" status
check "an unreachable libvirt only warns" equals "$run_rc" 0
check "the warning names the URI" contains "$run_err" "test:///nonexistent.xml"

# A guest whose name starts with '-' is named after "--", as with virsh.
sed 's|</node>|<domain type="test"><name>-dash</name><uuid>dddddddd-dddd-dddd-dddd-dddddddddddd</uuid><memory>65536</memory><os><type>hvm</type></os></domain></node>|' \
  "${uri#test://}" > "$tap_tmp/dash.xml"
dash () { "$VFPOOL" -c "test://$tap_tmp/dash.xml" --config "$conf" --sysfs-root "$root" --template-dir "$top_srcdir/xml-templates" "$@"; }
run dash attach --config --dry-run -- -dash
check "attach -- -dash finds the guest named -dash" equals "$run_rc" 0
check "and prints the device XML for it" contains "$run_out" '<interface type="hostdev"'
run dash detach --all -- -dash
check "detach --all -- -dash finds it too (it holds no VF)" contains "$run_err" "-dash: The guest holds no VF"
run dash attach --config --dry-run -- -dash extra
check "after --, a second name is still one too many" equals "$run_rc" 2
run dash attach --config --dry-run -- --config
check "after --, an option is a name" contains "$run_err" "There is no guest '--config'"

# Pools and leases, with the demo's configuration (one pool over both PFs).
p () { "$VFPOOL" --config "$conf" --sysfs-root "$root" "$@"; }
run p reserve --owner dpdk-a --count 2
check "reserve --count 2 exits 0" equals "$run_rc" 0
check "reserve puts two VFs on two PFs" equals "$(echo "$run_out" | tr '\n' ' ')" "0000:05:10.0 0000:81:00.2 "
check "reserve says what it did" contains "$run_err" "Reserved VF 0000:05:10.0 of pool 'physnet1' for dpdk-a"
check "and logs one structured line per change" contains "$(cat "$(dirname "$conf")/vfpool.log")" \
  "op=reserve vf=0000:05:10.0 guest=dpdk-a who="
check "naming the command" contains "$(cat "$(dirname "$conf")/vfpool.log")" "(vfpool reserve): Reserved VF 0000:05:10.0"
run p reserve --owner dpdk-b --for 2h --json
check "reserve --json" equals "$(echo "$run_out" | jq -c '[.owner, (.vfs | length), (.vfs[0].expires > 0)]')" '["dpdk-b",1,true]'
run p list --json
check "list --json shows the leases" equals \
  "$(echo "$run_out" | jq -c '[.[] | select(.state == "reserved") | [.address, .owner, .pool]]')" \
  '[["0000:05:10.0","dpdk-a","physnet1"],["0000:05:10.2","dpdk-b","physnet1"],["0000:81:00.2","dpdk-a","physnet1"]]'
check "list --json has state, owner, mac, vlan on every VF" equals \
  "$(echo "$run_out" | jq -c '[.[] | has("state") and has("owner") and has("mac") and has("vlan")] | unique')" '[true]'
run p status --json
check "status counts per PF" equals "$(echo "$run_out" | jq -c '[.pfs[].vfs_by_state | [.free, .reserved]]')" '[[6,2],[3,1]]'
check "status counts per pool" equals "$(echo "$run_out" | jq -c '.pools[0] | [.name, .vfs_by_state.free, .vfs_by_state.reserved, .vfs_by_state.attached, .vfs_by_state.quarantined]')" '["physnet1",9,3,0,0]'
check "status --json: a pool without VF settings" equals "$(echo "$run_out" | jq -c '.pools[0].vf_settings')" null
printf '[pool nic]\npfs=enp5s0f0\ntrust=on\nmax-tx-rate=100\n' > "$tap_tmp/vfset.conf"
run v --config "$tap_tmp/vfset.conf" status --json
check "status --json: the VF settings attach applies" equals "$(echo "$run_out" | jq -r '.pools[0].vf_settings')" "trust=on max-tx-rate=100"
run v --config "$tap_tmp/vfset.conf" status
check "status: the pool table shows them" contains "$run_out" "trust=on max-tx-rate=100"
run p reserve --owner greedy --count 10
check "reserve beyond the free VFs fails" equals "$run_rc" 1
check "and says how many were free" contains "$run_err" "has 9 usable free VFs, 10 were asked for"
p -q reserve --owner filler --count 8 > /dev/null
run p reserve --owner greedy --count 2
check "one free VF is one VF, not one VFs" contains "$run_err" "has 1 usable free VF, 2 were asked for"
p -q reserve --owner filler --count 1 > /dev/null
run p reserve --owner greedy
check "none free and one asked for: 'was asked for'" contains "$run_err" "has no usable free VF, 1 was asked for"
p -q release --owner filler
run p reserve --owner x --count 2 --dry-run --explain --json
check "--dry-run --explain: every VF with a reason" equals "$(echo "$run_out" | jq '.explain | length')" 12
check "--dry-run --explain: taken VFs say by whom" equals \
  "$(echo "$run_out" | jq -r '.explain[] | select(.address == "0000:05:10.2") | .reason')" "reserved by dpdk-b"
run p pf set-numvfs 0000:05:00.0 4 --wait 0
check "set-numvfs refuses while VFs are leased" equals "$run_rc" 1
check "and names them" contains "$run_err" "0000:05:10.0 (reserved by dpdk-a)"
run p release --owner dpdk-a --json
check "release --owner" equals "$run_rc" 0
check "release --json" equals "$(echo "$run_out" | jq -c '[.released, .errors]')" '[2,[]]'
run p release 0000:05:10.2 0000:05:17.0
check "release of a free VF fails" equals "$run_rc" 1
check "and says it is free" contains "$run_err" "0000:05:17.0 has no lease"

# Scrub, verify, then free (issue 16 part 3), with a real fault on the
# tree: a reserved VF bound to vfio-pci by someone else when it is
# released does not verify. It is quarantined with the reason, shown,
# audited, never handed out, and freed by scrub once its driver is back.
sv=$(p reserve --owner scrubme --json | jq -r '.vfs[0].address')
ln -sfn ../../../bus/pci/drivers/vfio-pci "$root/bus/pci/devices/$sv/driver"
run p release "$sv"
check "release of a VF that does not verify fails" equals "$run_rc" 1
check "and says it was quarantined, and why" contains "$run_err" "was not freed but quarantined: VF $sv is bound to vfio-pci, but it had ixgbevf when its lease began."
check "and how to free it" contains "$run_err" "then run 'vfpool scrub $sv'"
run p list
check "list names the quarantined VF with the reason" contains "$run_out" "  $sv  VF $sv is bound to vfio-pci"
check "list: its state" contains "$(echo "$run_out" | awk -v a="$sv" '$1 == a')" " quarantined "
run p list --json
check "list --json: the reason" contains "$(echo "$run_out" | jq -r --arg a "$sv" '.[] | select(.address == $a) | [.state, .reason] | join(" ")')" "quarantined VF $sv is bound to vfio-pci"
run p status --json
check "status --json: the quarantined VFs" equals "$(echo "$run_out" | jq -c '[.quarantined[].address, .pools[0].vfs_by_state.quarantined]')" "[\"$sv\",1]"
run p status
check "status names it with the reason" contains "$run_out" "Quarantined VFs"
run p reserve --owner x --count 2 --dry-run --explain --json
check "reserve never hands it out" equals "$(echo "$run_out" | jq -r --arg a "$sv" '.explain[] | select(.address == $a) | .chosen')" false
run p -c "$uri" audit --json --prometheus "$tap_tmp/scrub.prom"
check "audit: finding quarantined, an error" equals "$(echo "$run_out" | jq -c --arg a "$sv" '[.findings[] | select(.code == "quarantined") | [.object, .severity]]')" "[[\"$sv\",\"error\"]]"
check "the metrics count it" equals "$(grep -c -e 'code="quarantined",severity="error"} 1$' -e 'state="quarantined"} 1$' "$tap_tmp/scrub.prom")" 2
run p scrub "$sv"
check "scrub while the fault stays fails" equals "$run_rc" 1
check "and says it stays quarantined" contains "$run_err" "VF $sv stays quarantined"
run p scrub 0000:05:10.2 nonsense
check "scrub of a free VF that verifies, and of a bad address" equals "$run_rc" 1
check "names the bad address" contains "$run_err" "nonsense"
ln -sfn ../../../bus/pci/drivers/ixgbevf "$root/bus/pci/devices/$sv/driver"
run p scrub "$sv" --json
check "scrub frees it once it verifies" equals "$run_rc/$(echo "$run_out" | jq -c '[.[0].address, .[0].state]')" "0/[\"$sv\",\"free\"]"
run p list --json
check "and it is free" equals "$(echo "$run_out" | jq -r --arg a "$sv" '.[] | select(.address == $a) | .state')" free
run p scrub
check "scrub without a VF is a usage error" equals "$run_rc" 2
sv=$(p reserve --owner scrub2 --json | jq -r '.vfs[0].address')
ln -sfn ../../../bus/pci/drivers/pci-stub "$root/bus/pci/devices/$sv/driver"
run p release --owner scrub2 --json
check "release --owner: a VF that does not verify is an error, not 'holds no VF'" equals \
  "$run_rc/$(echo "$run_out" | jq -c '[.released, (.errors | length)]')" "1/[0,1]"
check "naming the reason" contains "$run_err" "Quarantined VF $sv: VF $sv is bound to pci-stub"
check "and not that the owner holds no VF" equals "$(echo "$run_err" | grep -c 'holds no VF')" 0
ln -sfn ../../../bus/pci/drivers/ixgbevf "$root/bus/pci/devices/$sv/driver"
p -q scrub "$sv"
run p pf set-numvfs 0000:05:00.0 4 --wait 0 --json
check "set-numvfs once the PF is unused" equals "$run_rc" 0
check "set-numvfs --json" equals "$(echo "$run_out" | jq -c '[.pf, .num_vfs_before, .num_vfs]')" '["0000:05:00.0",8,4]'
printf '[vfpool]\nstate-dir=%s\n[pool physnet1]\npfs=enp5s0f0,enp129s0f0np0\nnumvfs=4\n' "$(dirname "$conf")/state" > "$tap_tmp/apply.conf"
run "$VFPOOL" --config "$tap_tmp/apply.conf" --sysfs-root "$root" apply --wait 0 --json
check "apply --json: one entry per PF" equals "$(echo "$run_out" | jq -c '[.[] | [.pf, .num_vfs, .ok]]')" '[["0000:05:00.0",4,true],["0000:81:00.0",4,true]]'
check "writes sriov_numvfs" equals "$(cat "$root/bus/pci/devices/0000:05:00.0/sriov_numvfs")" 4
run p reserve --owner y --for soon
check "a bad --for is a usage error" equals "$run_rc" 2
before=$(cat "$(dirname "$conf")/state/leases.xml")
run p reserve --owner "$(printf 'fw\377')"
check "an owner label that is not UTF-8 is refused" equals "$run_rc" 2
check "and the message says why" contains "$run_err" "not valid UTF-8"
check "and the store is unchanged" equals "$(cat "$(dirname "$conf")/state/leases.xml")" "$before"
mkdir -p "$root/devices/system/node/node0" "$root/devices/system/node/node1"
run p reserve --owner numa --numa-node 7
check "a NUMA node the host lacks is refused" equals "$run_rc" 2
check "naming the nodes it has" contains "$run_err" "--numa-node 7: this host has no such NUMA node (it has: 0, 1)"
check "and the store is unchanged" equals "$(cat "$(dirname "$conf")/state/leases.xml")" "$before"
run p reserve --owner numa --numa-node 1 --dry-run
check "a NUMA node the host has is taken" equals "$run_rc" 0
rm -r "$root/devices/system/node"
run p reserve --owner numa --numa-node 0 --dry-run
check "a host that lists no NUMA node refuses --numa-node" contains "$run_err" "lists no NUMA node in $root/devices/system/node"

# status and list count only the VFs a pool may hand out (vfs=, exclude=):
# indexes 0-3 less index 1 and the address of index 3 leave two VFs.
printf '[vfpool]\nstate-dir=%s\n[pool small]\npfs=enp5s0f0\nvfs=0-3\nexclude=1,0000:05:10.6\n' "$tap_tmp/small-state" > "$tap_tmp/small.conf"
small () { "$VFPOOL" --config "$tap_tmp/small.conf" --sysfs-root "$root" "$@"; }
run small status --json
check "status --json: a pool limited to 2 VFs counts 2 free" equals "$(echo "$run_out" | jq -c '.pools[0] | [.name, .vfs_by_state.free]')" '["small",2]'
check "status --json: so does its PF" equals "$(echo "$run_out" | jq -c '.pfs[] | select(.address == "0000:05:00.0") | .vfs_by_state.free')" 2
check "status --json: a PF in no pool counts all its VFs" equals "$(echo "$run_out" | jq -c '.pfs[] | select(.address == "0000:81:00.0") | .vfs_by_state.free')" 4
run small status
check "status: the pool's line says 2 free" contains "$(echo "$run_out" | grep '^small ')" "small  1    spread  2 "
run small list --json
check "list --json: only the pool's VFs name the pool" equals \
  "$(echo "$run_out" | jq -c '[.[] | select(.pool == "small") | .address]')" '["0000:05:10.0","0000:05:10.4"]'
run small list
check "list: a VF outside vfs= shows no pool" equals "$(echo "$run_out" | awk '$1 == "0000:05:11.0" { print $8 }')" "-"
check "list: a VF in the pool shows it" equals "$(echo "$run_out" | awk '$1 == "0000:05:10.4" { print $8 }')" small
small -q reserve --owner one > /dev/null
sed -i 's/vfs=0-3/vfs=2-3/' "$tap_tmp/small.conf"
run small status --json
check "a leased VF the pool no longer covers still counts, as reserved" equals \
  "$(echo "$run_out" | jq -c '.pools[0].vfs_by_state | [.free, .reserved]')" '[1,1]'
small -c "$uri" audit --prometheus "$tap_tmp/small.prom" > /dev/null
check "the audit's metrics count the same" equals \
  "$(grep -c -e 'pool="small",pf="0000:05:00.0",numa_node="[^"]*",state="free"} 1$' -e 'pool="small",pf="0000:05:00.0",numa_node="[^"]*",state="reserved"} 1$' "$tap_tmp/small.prom")" 2

# Issue 18.1: nothing a command accepts may make the store unparsable.
# Each of these labels used to be stored and broke every later command.
for bad in 'a\001b' 'a\nb' 'a\tb' 'a\033[2Jb' 'a\302\233b' 'a\357\277\276b' 'a\357\267\220b' 'a\342\200\256b'; do
  label=$(printf "$bad")
  run p reserve --owner "$label"
  check "reserve --owner '$bad' is refused" equals "$run_rc" 2
  errs=$(echo "$run_err" | grep -v '^vfpool: warning:')
  check "with one line naming the character ('$bad')" test "$(echo "$errs" | wc -l)" -eq 1 -a \
    "${errs#*character U+}" != "$errs"
  check "and the store is unchanged ('$bad')" equals "$(cat "$(dirname "$conf")/state/leases.xml")" "$before"
done
run p reserve --owner "$(printf 'a\001b')"
check "the message says which character" contains "$run_err" "U+0001 at byte 1"
run p status
check "and every command still works" equals "$run_rc" 0
run p reserve --owner "$(head -c 1025 /dev/zero | tr '\0' x)"
check "an owner label over 1024 bytes is refused" equals "$run_rc" 2
run p reserve --owner "防火墙 fw-1 <&'\">"
check "printable labels of any script are taken" equals "$run_rc" 0
check "and read back as they were" equals "$(p list --json | jq -r '.[] | select(.owner != null) | .owner')" "防火墙 fw-1 <&'\">"
p -q release --owner "防火墙 fw-1 <&'\">"
# Issue 18.14: the OWNER column lines up whatever the script. Korean typed
# decomposed (conjoining jamo: the vowels and final consonants take no
# column of their own), CJK, a combining accent and a zero-width joiner:
# every row of list is as wide on screen as the others (wc -L counts
# display columns).
for o in "$(printf '\341\204\222\341\205\241\341\206\253\341\204\200\341\205\256\341\206\250')" "防火墙" "cafe$(printf '\314\201')" "$(printf 'a\342\200\215b')"; do
  p -q reserve --owner "$o" > /dev/null
done
widths=$(p list 2>/dev/null | sed 1d | while IFS= read -r line; do printf '%s\n' "$line" | LC_ALL=C.UTF-8 wc -L; done | sort -u)
check "list rows are all as wide on screen" equals "$(echo "$widths" | wc -l)" 1
for o in "$(printf '\341\204\222\341\205\241\341\206\253\341\204\200\341\205\256\341\206\250')" "防火墙" "cafe$(printf '\314\201')" "$(printf 'a\342\200\215b')"; do
  p -q release --owner "$o"
done
before=$(cat "$(dirname "$conf")/state/leases.xml")

# Issue 18.13: a lease of a VF the kernel does not have (numvfs lowered),
# or naming another PF than the VF's own, loads (nothing is bricked) and
# is shown by list, status and audit instead of hiding.
mkdir "$tap_tmp/stray"
cat > "$tap_tmp/stray/leases.xml" <<'XML'
<leases version='1'>
 <lease vf='0000:05:17.6' pf='0000:05:00.0' pool='physnet1' state='reserved'><owner label='gone-fw'/></lease>
 <lease vf='0000:81:00.3' pf='0000:05:00.0' pool='physnet1' state='reserved'><owner label='moved-fw'/></lease>
</leases>
XML
s () { "$VFPOOL" --config "$conf" --state-dir "$tap_tmp/stray" --sysfs-root "$root" "$@"; }
run s list
check "list with stray leases exits 0" equals "$run_rc" 0
check "list shows the lease of the VF the kernel does not have" contains "$run_out" "0000:05:17.6"
check "with its holder" contains "$(echo "$run_out" | grep 0000:05:17.6)" "gone-fw"
check "and warns about it" contains "$run_err" "VF 0000:05:17.6 is reserved by gone-fw, but the kernel has no such VF"
check "and about the lease naming the wrong PF" contains "$run_err" "names PF 0000:05:00.0, but the VF belongs to PF 0000:81:00.0"
run s list --json
check "list --json: the missing VF's lease, with its problem" equals \
  "$(echo "$run_out" | jq -c '[.[] | select(.problem != null) | [.address, .problem, .owner, .pf]]')" \
  '[["0000:81:00.3","wrong-pf","moved-fw","0000:81:00.0"],["0000:05:17.6","missing-vf","gone-fw","0000:05:00.0"]]'
run s status
check "status warns about both" equals "$(echo "$run_err" | grep -c "'vfpool audit' says what to do")" 2
run s status --json
check "status --json lists them" equals "$(echo "$run_out" | jq -c '[.stray_leases[] | [.address, .problem]]')" \
  '[["0000:81:00.3","wrong-pf"],["0000:05:17.6","missing-vf"]]'
run "$VFPOOL" -c "$uri" --config "$conf" --state-dir "$tap_tmp/stray" --sysfs-root "$root" audit --json
check "audit finds the lease naming the wrong PF" equals \
  "$(echo "$run_out" | jq -c '[.findings[] | select(.code == "wrong-pf" or .code == "missing-vf") | [.code, .object]] | sort')" \
  '[["missing-vf","0000:05:17.6"],["wrong-pf","0000:81:00.3"]]'

# A broken configuration stops everything, naming file, group and key.
bad=$(dirname "$conf")/bad.conf
printf '[pool physnet1]\npfs=enp5s0f0\nvlan=9000\n' > "$bad"
run "$VFPOOL" --config "$bad" --sysfs-root "$root" reserve --owner z
check "a broken config exits 2" equals "$run_rc" 2
check "and names file, group, key" contains "$run_err" "bad.conf: [pool physnet1] vlan: '9000'"
printf '[pool physnet1]\npfs=eth7\n' > "$bad"
run "$VFPOOL" --config "$bad" --sysfs-root "$root" status
check "a pool naming no PF is refused" contains "$run_err" "'eth7' names no SR-IOV PF"
chmod 666 "$bad"
run "$VFPOOL" --config "$bad" --sysfs-root "$root" status
check "a world-writable config is refused" contains "$run_err" "writable by group or others"
run "$VFPOOL" --config /nonexistent.conf status
check "a named config that is missing is an error" equals "$run_rc" 2

# Issue 18.4: a FIFO as the configuration or the store hung every command;
# timeout(1) turns a hang into exit 124.
mkfifo "$tap_tmp/fifo.conf"
run timeout 20 "$VFPOOL" --config "$tap_tmp/fifo.conf" --sysfs-root "$root" status
check "a FIFO as --config is refused at once" equals "$run_rc" 2
check "saying it is not a regular file" contains "$run_err" "not a regular file"
mkdir "$tap_tmp/fifo-state" && mkfifo "$tap_tmp/fifo-state/leases.xml"
run timeout 20 "$VFPOOL" --state-dir "$tap_tmp/fifo-state" --sysfs-root "$root" list
check "a FIFO at leases.xml is refused at once" equals "$run_rc" 2
check "saying it is not a regular file" contains "$run_err" "leases.xml is not a regular file"

# The tree captured from a real kernel with an SR-IOV NVMe controller.
cap=$(mktemp -d) && tar -xzf "$top_srcdir/tests/data/sysfs-1-vfs-enabled.tar.gz" -C "$cap"
run "$VFPOOL" --sysfs-root "$cap/sysfs-snap/sys" pf show 0000:01:00.0 --json
check "captured tree: PF 01:00.0 with VFs .1 and .2" equals \
  "$(echo "$run_out" | jq -c '[.address, .driver, .total_vfs, .vfs]')" \
  '["0000:01:00.0","nvme",4,["0000:01:00.1","0000:01:00.2"]]'
rm -rf "$cap"

run "$VFPOOL" --sysfs-root /nonexistent status
check "a missing sysfs root exits 2" equals "$run_rc" 2
check "and names the option to fix" contains "$run_err" "--sysfs-root"
run "$VFPOOL" frobnicate
check "an unknown command exits 2" equals "$run_rc" 2
check "and says so" contains "$run_err" "'frobnicate' is not a vfpool command"
run "$VFPOOL" --no-such-option status
check "an unknown global option exits 2" equals "$run_rc" 2
run v status extra
check "extra arguments exit 2" equals "$run_rc" 2
run "$VFPOOL" --version
check "--version" contains "$run_out" "vfpool "
run v list --help
check "every command has --help" contains "$run_out" "--json"

# Output that cannot be written (a full disk) is an error, not a success
# that printed nothing.
run sh -c '"$@" > /dev/full' sh "$VFPOOL" --version
check "--version to a full disk exits 2" equals "$run_rc" 2
check "saying why" contains "$run_err" "Cannot write the output: No space left on device"
run sh -c '"$@" > /dev/full' sh "$VFPOOL" --config "$conf" --sysfs-root "$root" reserve --owner full-disk
check "reserve whose addresses cannot be written exits 2" equals "$run_rc" 2
check "the reservation stands, so release --owner can free it" equals \
  "$(p list --json | jq '[.[] | select(.owner == "full-disk")] | length')" 1
p -q release --owner full-disk

# The nightly timer runs the audit with -q: metrics that cannot be written
# are an error that -q does not hide, and the unit fails.
run p -q -c "$uri" audit --prometheus /nonexistent/dir/vfpool.prom
check "-q audit whose metrics file cannot be written exits 2" equals "$run_rc" 2
check "and says so despite -q" contains "$run_err" "Cannot write the metrics file /nonexistent/dir/vfpool.prom"
run p -q -c "$uri" audit --prometheus "$tap_tmp/vfpool.prom"
check "-q audit that writes its metrics file: no error" equals "$run_rc/$run_err" "0/"
check "the metrics file is written" contains "$(cat "$tap_tmp/vfpool.prom")" "vfpool_audit_last_run_timestamp_seconds"

# Chinese, from the catalog built in the tree.
if locale -a 2>/dev/null | grep -qi '^zh_CN.utf-\?8$'; then
  mkdir -p "$tap_tmp/locale/zh_CN/LC_MESSAGES"
  gmo="$top_builddir/po/zh_CN.gmo"; [ -f "$gmo" ] || gmo="$top_srcdir/po/zh_CN.gmo"
  cp "$gmo" "$tap_tmp/locale/zh_CN/LC_MESSAGES/vfpool.mo"
  run env LC_ALL=zh_CN.UTF-8 VFPOOL_LOCALEDIR="$tap_tmp/locale" "$VFPOOL" --sysfs-root "$root" status
  check "LANG=zh_CN.UTF-8 vfpool status speaks Chinese" contains "$run_out" "驱动"
  run env LC_ALL=zh_CN.UTF-8 VFPOOL_LOCALEDIR="$tap_tmp/locale" "$VFPOOL" frobnicate
  check "errors are in Chinese too" contains "$run_err" "frobnicate"
  check "errors are in Chinese too (not English)" test "${run_err#*is not a vfpool command}" = "$run_err"
  run env LC_ALL=zh_CN.UTF-8 VFPOOL_LOCALEDIR="$tap_tmp/locale" "$VFPOOL" --config "$conf" --sysfs-root "$root" reserve --owner greedy --count 100
  check "a plural message has its Chinese form" contains "$run_err" "但请求的是 100 个"
elif [ -n "$CI" ]; then
  not_ok "the zh_CN.UTF-8 locale is missing (build-aux/setup-debian generates it)"
else
  skip "the zh_CN.UTF-8 locale is not generated here"
fi

done_testing
