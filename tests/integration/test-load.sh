#!/bin/sh
# Load against a private libvirtd: 200 vfpool operations started at once
# on one pool, mixing reserve, release, attach --config, detach, audit and
# audit --fix.
# No deadlock (every operation ends, well within the store's 120 s lock
# wait), every exit is success or a clean refusal (pool exhausted, nothing
# to release or detach), and afterwards the store agrees with the real
# libvirt XML and the audit is clean, with no repair needed.
#
# VFPOOL_LOAD_OPS (default 200) sets the number of operations.
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/integration/libvirtd.sh"
. "$top_srcdir/tests/integration/crash-lib.sh"

libvirtd_require

ops=${VFPOOL_LOAD_OPS:-200}
lv=$(mktemp -d)
root=$("$MKHOST") || { echo "Bail out! cannot build the demo host"; exit 1; }
state=$tap_tmp/state
conf=$tap_tmp/vfpool.conf
trap 'libvirtd_stop "$lv"; rm -rf "$lv" "$(dirname "$root")" "$tap_tmp"' EXIT
libvirtd_start "$lv" vfpool-load 49900 || { echo "Bail out! the private libvirtd did not start"; exit 1; }
printf '[vfpool]\nstate-dir=%s\nuri=%s\nlog-file=%s\n[pool physnet1]\npfs=enp5s0f0,enp129s0f0np0\nvlan=100\n' \
  "$state" "$LIBVIRTD_URI" "$tap_tmp/vfpool.log" > "$conf"
GUESTS="g1 g2 g3 g4"
libvirtd_define_guest g1 start || { echo "Bail out! cannot start a TCG guest"; exit 1; }
for g in g2 g3 g4; do libvirtd_define_guest $g || { echo "Bail out! cannot define a guest"; exit 1; }; done
V () { "$VFPOOL" --config "$conf" --sysfs-root "$root" --template-dir "$top_srcdir/xml-templates" "$@"; }

# Something to release and detach from the start: 4 attached, 4 reserved
# of the 12 VFs.
for g in $GUESTS; do V -q attach $g --config > /dev/null; done
V -q reserve --owner l1 --count 2 > /dev/null
V -q reserve --owner l2 --count 2 > /dev/null
check "(the host starts consistent)" equals "$(invariant_violations)" ""

# Operation i's kind and arguments: a fixed mix, in a shuffled order.
i=0
while [ $i -lt "$ops" ]; do
  g=g$((i % 4 + 1)); l=l$((i % 5 + 1))
  case $((i % 20)) in
    0|1|2|3|4) echo "$i reserve reserve --owner $l" ;;
    5|6|7|8|9) echo "$i release release --owner $l" ;;
    10|11|12|13) echo "$i attach attach $g --config" ;;
    14|15|16|17) echo "$i detach detach $g --all" ;;
    18) echo "$i audit audit" ;;
    *) echo "$i audit audit --fix" ;;   # as the nightly vfpool-audit.timer runs it
  esac
  i=$((i + 1))
done | shuf > "$tap_tmp/plan"

mkdir "$tap_tmp/ops"
pids=
t0=$(now_ms)
while read -r i kind args; do
  # shellcheck disable=SC2086
  ( t=$(now_ms); timeout 600 "$VFPOOL" --config "$conf" --sysfs-root "$root" \
      --template-dir "$top_srcdir/xml-templates" $args > "$tap_tmp/ops/$i.out" 2> "$tap_tmp/ops/$i.err"
    echo "$kind $? $(( $(now_ms) - t ))" > "$tap_tmp/ops/$i.rc" ) &
  pids="$pids $!"
done < "$tap_tmp/plan"
# shellcheck disable=SC2086
wait $pids                  # not libvirtd, also a background job here
t1=$(now_ms)

# Outcomes: kind, exit, and for an exit 1 whether it is a clean refusal.
bad=0; hung=0; slowest=0
for f in "$tap_tmp"/ops/*.rc; do
  read -r kind rc ms < "$f"; err=${f%.rc}.err
  [ "$ms" -gt "$slowest" ] && slowest=$ms
  case $kind:$rc in
    *:0) outcome="exit 0" ;;
    reserve:1) grep -q "usable free VF" "$err" && outcome="refused: pool exhausted" ;;
    attach:1) if grep -q "usable free VF" "$err"; then outcome="refused: pool exhausted"
      # two attaches to one guest at once can choose the same alias: libvirt
      # refuses the second, which rolls back
      elif grep -q "non unique alias detected.*the guest is as it was" "$err"; then outcome="refused: alias taken meanwhile, rolled back"; fi ;;
    release:1) grep -q "holds no VF" "$err" && outcome="refused: holds nothing" ;;
    detach:1) grep -q "holds no VF from vfpool" "$err" && outcome="refused: guest holds nothing" ;;
    audit:1) outcome="exit 1 (findings while others work)" ;;
    *:124) outcome="did not end"; hung=$((hung + 1)) ;;
  esac
  if [ -z "${outcome:-}" ]; then
    outcome="exit $rc"; bad=$((bad + 1))
    echo "# $kind exit $rc: $(grep -v "^vfpool: \(Reserved\|Detaching\|Freed\|Attached\) VF\|no node device" "$err" | head -c 400)"
    # the history of the VFs it names, from vfpool's log (in order)
    for vf in $(grep -o '0000:[0-9a-f:.]*' "$err" | sort -u); do
      grep "vf=$vf " "$tap_tmp/vfpool.log" | sed 's/^[^ ]* /#   /'
    done
  fi
  echo "$kind: $outcome"; outcome=
done > "$tap_tmp/outcomes"
grep '^#' "$tap_tmp/outcomes"
echo "# $ops operations at once ended in $(( (t1 - t0) / 1000 )) s (the slowest took $(( slowest / 1000 )) s):"
grep -v '^#' "$tap_tmp/outcomes" | sort | uniq -c | sed 's/^ */#   /'

check "every operation ended (no deadlock)" equals "$hung" 0
check "every exit was success or a clean refusal" equals "$bad" 0
check "every operation ended within the store's lock wait (120 s)" test "$slowest" -lt 120000
# Session 2 found a lease outliving its device here: an audit --fix that
# had read a guest's XML before a detach adopted the VF after it (the lease
# was absent both before and after). The store's generation closes that.
all=$(invariant_violations)
check "the store agrees with libvirt (no VF in two guests, none in a guest without its lease, no lease without its device)" equals "$all" ""
# What each operation said about a VF in trouble, in the order they ended.
for vf in $(echo "$all" | grep -o '0000:[0-9a-f:.]*' | sort -u); do
  echo "# $vf:"
  grep -l "$vf" "$tap_tmp"/ops/*.err | while read -r f; do
    n=$(basename "$f" .err); echo "#   op $n ($(cat "$tap_tmp/ops/$n.rc")) $(sed -n "s/^$n //p" "$tap_tmp/plan"):"
    grep "$vf" "$f" | sed 's/^/#     /'
  done
done
# The metadata of a guest is rewritten whole (libvirt offers nothing
# finer); the metadata lock keeps two rewrites of one guest apart, so the
# audit finds nothing at all, without --fix.
run V audit --json
echo "$run_out" | jq -r '.findings[] | "# after the load: \(.code) \(.object) \(.guest)"'
check "the audit is clean after the load, without --fix" equals "$(echo "$run_out" | jq -c '[.findings[].code]')" "[]"
check "no temporary file is left in the state directory" equals "$(find "$state" -name 'leases.xml.*' | wc -l)" 0

done_testing
