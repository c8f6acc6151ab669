#!/bin/sh
# The documentation that ships: man pages render without warnings, the
# bash completion parses and completes, the example configuration is valid.
. "$top_srcdir/tests/tap.sh"
cd "$top_srcdir" || exit 99

for m in data/vfpool.8 data/vfpool.conf.5 data/vfpool-hook.8; do
  if command -v groff > /dev/null; then
    out=$(groff -ww -z -man "$m" 2>&1)
    check "$m: groff -ww is silent" equals "$out" ""
  elif [ -n "$CI" ]; then not_ok "$m: groff is missing (build-aux/setup-debian installs it)"; else skip "no groff"; fi
  if command -v man > /dev/null; then
    out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$m" 2>&1 > /dev/null)
    check "$m: man --warnings is silent" equals "$out" ""
  elif [ -n "$CI" ]; then not_ok "$m: man is missing (build-aux/setup-debian installs man-db)"; else skip "no man"; fi
done
for cmd in status list pf check reserve release apply attach detach migrate reattach audit adopt-hardware; do
  # (roff writes a hyphen in a command name as \-)
  check "vfpool(8) documents '$cmd'" grep -q "^\.SS $(echo "$cmd" | sed 's/-/\\\\-/g')\( .*\)\?\$" data/vfpool.8
done

check "the bash completion parses" bash -n data/vfpool.bash-completion
out=$(bash -c '. data/vfpool.bash-completion; COMP_WORDS=(vfpool at); COMP_CWORD=1; COMP_LINE="vfpool at"; _vfpool vfpool at vfpool; echo "${COMPREPLY[*]}"' 2>&1)
check "it completes commands (vfpool at<TAB>)" contains "$out" "attach"
out=$(bash -c '. data/vfpool.bash-completion; COMP_WORDS=(vfpool attach g --); COMP_CWORD=3; COMP_LINE="vfpool attach g --"; _vfpool vfpool -- g; echo "${COMPREPLY[*]}"' 2>&1)
check "it completes a command's options (vfpool attach g --<TAB>)" contains "$out" "--failover-of"

host=$("$MKHOST") || exit 99
trap 'rm -rf "$(dirname "$host")" "$tap_tmp"' EXIT
cp data/vfpool.conf.example "$tap_tmp/example.conf"
run "$top_builddir/src/vfpool" --config "$tap_tmp/example.conf" --sysfs-root "$host" status
check "the example configuration has no key or syntax error" sh -c "! echo '$run_err' | grep -q 'unknown key\|is not\|does not parse'"

# Every gauge the audit writes is documented, and so is every alert.
for metric in $(grep -o 'vfpool_[a-z_]*[{ ]' src/cmd-audit.c | tr -d '{ ' | sort -u); do
  check "vfpool(8) documents the metric $metric" grep -q "^\.B .*$metric" data/vfpool.8
done
for alert in $(sed -n 's/^ *- alert: //p' data/prometheus/vfpool.rules.yml); do
  check "vfpool(8) documents the alert $alert" grep -q "^\.B .*$alert" data/vfpool.8
done

# The Debian package's /etc/vfpool/vfpool.conf: valid, and without a pool.
cp debian/conf/vfpool.conf "$tap_tmp/debian.conf"
run "$top_builddir/src/vfpool" --config "$tap_tmp/debian.conf" --sysfs-root "$host" status --json
check "the Debian configuration loads" equals "$run_rc" 0
check "and describes no pool" equals "$(echo "$run_out" | jq -c '.pools')" "[]"
done_testing
