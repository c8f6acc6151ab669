# What the crash and load tests share (sourced after tap.sh and
# libvirtd.sh): the invariants between the lease store and the real libvirt
# XML, read independently of vfpool's own parsers.
#
#   GUESTS, V (vfpool with the test's host), LIBVIRTD_URI must be set.

# "0000:05:10.0 g1": every VF a guest names in its persistent or live
# definition, one line per (VF, guest). libvirt writes a host device's
# address inside <source>; other <address> elements are guest-side slots.
vf_users () {
  for g in $GUESTS; do
    virsh -q -c "$LIBVIRTD_URI" "dumpxml --inactive $g; dumpxml $g" | tr -d '\n' |
      grep -o "<source> *<address [^>]*/>" |
      sed -n "s/.*domain='0x\([0-9a-f]*\)' bus='0x\([0-9a-f]*\)' slot='0x\([0-9a-f]*\)' function='0x\([0-9a-f]*\)'.*/\1:\2:\3.\4/p" |
      sort -u | sed "s/\$/ $g/"
  done
}

# "0000:05:10.0 attached g1": every VF of the pool with its lease, from
# `vfpool list --json` (owner "-" when free).
vf_leases () {
  V list --json 2> /dev/null | jq -r '.[] | "\(.address) \(.state) \(.owner // "-")"'
}

# Prints one line per broken invariant, nothing when they hold:
#   no VF is named by two guests;
#   a VF a guest names is leased to exactly that guest, attached;
#   a VF no guest names is free or reserved by a label (not a guest):
#   nothing is lost, nothing is held by a guest that does not have it.
# Run when no vfpool is at work (a live attach may hold a reservation).
invariant_violations () {
  { vf_users | sed 's/^/U /'; vf_leases | sed 's/^/L /'; } | awk -v guests=" $GUESTS " '
    $1 == "U" { if (($2 in user) && user[$2] != $3) print "VF " $2 " is in two guests: " user[$2] " and " $3; user[$2] = $3; next }
    $1 == "L" { state[$2] = $3; owner[$2] = $4 }
    END {
      for (vf in user)
        if (!(vf in state)) print "VF " vf " of guest " user[vf] " is not a pool VF";
        else if (state[vf] != "attached" || owner[vf] != user[vf])
          print "VF " vf " is in guest " user[vf] " but its lease says " state[vf] " by " owner[vf];
      for (vf in state)
        if (!(vf in user) && state[vf] != "free" && !(state[vf] == "reserved" && index(guests, " " owner[vf] " ") == 0))
          print "VF " vf " is " state[vf] " by " owner[vf] " but in no guest";
    }'
}

# A random number below $1.
rand_below () {
  echo $(( $(od -An -N4 -tu4 /dev/urandom | tr -d ' ') % $1 ))
}

now_ms () {
  echo $(( $(date +%s%N) / 1000000 ))
}

# sleep_ms MS
sleep_ms () {
  sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}
