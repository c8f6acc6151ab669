# A tiny TAP producer for the shell tests (sourced). Each `check` runs one
# assertion; `done_testing` prints the plan and sets the exit status.
tap_n=0
tap_failed=0

ok () { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok () { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
skip () { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $*"; }

# check DESCRIPTION COMMAND...: passes when COMMAND exits 0.
check () {
  desc=$1; shift
  if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# Output of the last `run`, and its exit status.
run () {
  run_out=$("$@" 2>"$tap_tmp/stderr"); run_rc=$?
  run_err=$(cat "$tap_tmp/stderr")
  return 0
}

contains () { case "$1" in *"$2"*) return 0 ;; *) echo "# expected '$2' in: $1" | head -20; return 1 ;; esac; }
equals () { [ "$1" = "$2" ] || { echo "# expected '$2', got '$1'"; return 1; }; }

tap_tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tap_tmp"' EXIT

done_testing () {
  echo "1..$tap_n"
  [ "$tap_failed" -eq 0 ]
}
