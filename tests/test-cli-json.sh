#!/bin/sh
# Every command with --json prints exactly one JSON document on standard
# output, whether it succeeds or fails ({"error": ...}): each case below is
# piped through jq, on the demo host and libvirt's test driver.
. "$top_srcdir/tests/tap.sh"

host=$("$MKHOST" --with-libvirt) || { echo "Bail out! cannot build the demo host"; exit 1; }
root=$(echo "$host" | sed -n 1p)
uri=$(echo "$host" | sed -n 2p)
conf=$(echo "$host" | sed -n 3p)
trap 'rm -rf "$(dirname "$root")" "$tap_tmp"' EXIT
# a defined guest for attach and detach (the test driver has no attach:
# --dry-run goes as far as it can)
sed 's|</node>|<domain type="test"><name>g1</name><uuid>11111111-1111-1111-1111-111111111111</uuid><memory>65536</memory><os><type>hvm</type></os></domain></node>|' \
  "${uri#test://}" > "$tap_tmp/host.xml"
j () { "$VFPOOL" -c "test://$tap_tmp/host.xml" --config "$conf" --sysfs-root "$root" \
         --template-dir "$top_srcdir/xml-templates" "$@"; }

# one_json TEXT: TEXT is exactly one JSON document.
one_json () {
  [ "$(printf '%s' "$1" | jq -s length 2>/dev/null)" = 1 ] && return 0
  printf '%s\n' "$1" | sed 's/^/# not one JSON document: /' | head -5
  return 1
}
# jq_true TEXT EXPR: EXPR holds of the document TEXT.
jq_true () {
  [ "$(printf '%s' "$1" | jq "$2" 2>/dev/null)" = true ] && return 0
  echo "# '$2' does not hold of: $(printf '%s' "$1" | head -c 300)"
  return 1
}
# case DESC STATUS EXPR COMMAND...: COMMAND exits STATUS and prints one
# JSON document of which EXPR holds.
json_case () {
  case_desc=$1; case_want=$2; case_expr=$3; shift 3
  run "$@"
  check "$case_desc: exit status $case_want" equals "$run_rc" "$case_want"
  check "$case_desc: one JSON document" one_json "$run_out"
  check "$case_desc: $case_expr" jq_true "$run_out" "$case_expr"
}
is_error='(.error | type == "string" and length > 0)'

json_case "status" 0 '.pfs | length == 2' j status --json
json_case "status with an argument" 2 "$is_error" j status extra --json
json_case "list" 0 'length == 12' j list --json
json_case "list with an argument" 2 "$is_error" j list extra --json
json_case "pf show" 0 '.address == "0000:05:00.0"' j pf show 0000:05:00.0 --json
json_case "pf show nosuch" 1 "$is_error" j pf show nosuch --json
json_case "pf without a subcommand" 2 "$is_error" j pf --json
json_case "pf set-numvfs with a bad count" 2 "$is_error" j pf set-numvfs 0000:05:00.0 many --json
json_case "pf set-numvfs above the total" 1 "$is_error" j pf set-numvfs 0000:05:00.0 65 --wait 0 --json
json_case "pf set-numvfs" 0 '.num_vfs == 8' j pf set-numvfs 0000:05:00.0 8 --wait 0 --json
json_case "check" 0 '.ready == true' j check --json
json_case "check with an argument" 2 "$is_error" j check extra --json
json_case "reserve" 0 '.vfs | length == 1' j reserve --owner a --json
json_case "reserve without --owner" 2 "$is_error" j reserve --json
json_case "reserve of more VFs than are free" 1 "$is_error and (.vfs == [])" j reserve --owner b --count 99 --json
json_case "reserve --dry-run --explain" 0 '.explain | length == 12' j reserve --owner b --dry-run --explain --json
json_case "release" 0 '.released == 1' j release --owner a --json
json_case "release of a free VF" 1 '.errors | length == 1' j release 0000:05:17.0 --json
json_case "release without arguments" 2 "$is_error" j release --json
json_case "apply" 0 'type == "array"' j apply --wait 0 --json
json_case "apply with an argument" 2 "$is_error" j apply extra --json
json_case "audit" 0 '.clean == true' j audit --json
json_case "audit of an unknown pool" 2 "$is_error" j audit --pool nosuch --json
json_case "audit with libvirt unreachable" 2 "$is_error" \
  "$VFPOOL" -c test:///nonexistent.xml --config "$conf" --sysfs-root "$root" audit --json
json_case "attach --dry-run" 0 '.dry_run and (.vfs | length == 1) and (.vfs[0].xml | startswith("<interface"))' \
  j attach g1 --config --dry-run --json
json_case "attach --dry-run --print-xml --explain" 0 '(.vfs[0].xml | contains("ua-vfpool-0")) and (.explain | length == 12)' \
  j attach g1 --config --dry-run --print-xml --explain --json
json_case "attach --print-xml (the test driver cannot attach)" 1 "$is_error" j attach g1 --config --print-xml --json
json_case "attach nosuch" 1 "$is_error" j attach nosuch --json
json_case "attach with an unknown option" 2 "$is_error" j attach g1 --frobnicate --json
json_case "attach with a bad --mac" 2 "$is_error" j attach g1 --mac nonsense --json
json_case "detach nosuch" 1 "$is_error" j detach nosuch --all --json
json_case "detach of a guest without VFs" 1 "$is_error" j detach g1 --all --json
json_case "detach without a guest" 2 "$is_error" j detach --json
json_case "migrate without a destination" 2 "$is_error" j migrate g1 --json
json_case "migrate nosuch" 1 "$is_error" j migrate nosuch test:///default --json
json_case "reattach of a guest with nothing to reattach" 0 '.vfs == []' \
  j reattach --uuid 11111111-1111-1111-1111-111111111111 --json
json_case "reattach without --uuid" 2 "$is_error" j reattach --json
json_case "an unknown command" 2 "$is_error" j frobnicate --json
json_case "an unknown global option" 2 "$is_error" "$VFPOOL" --frobnicate status --json
json_case "a missing configuration" 2 "$is_error" "$VFPOOL" --config /nonexistent.conf status --json
json_case "a missing sysfs root" 2 "$is_error" "$VFPOOL" --sysfs-root /nonexistent status --json
run j status -- --json
check "after --, --json is an argument, not the option" equals "$run_rc/$run_out" "2/"

done_testing
