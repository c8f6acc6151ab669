#!/bin/sh
# Runs one test (the harness's LOG_COMPILER) and fails it when any process
# it started left a sanitizer or valgrind report. The reports go to files in
# a private directory, not to stderr: vfpool runs from the test, from
# libvirtd (the hook, whose stderr libvirtd shows only when the hook fails)
# and detached from the hook (reattach, stdio on /dev/null). A leak report
# on a path whose exit status nobody checks would otherwise pass unseen.
#
#   check-reports.sh PROGRAM [ARGS...]
#
# In an ASan/UBSan build the sanitizers write to $dir/asan.PID and
# $dir/ubsan.PID. With VFP_VALGRIND=1 (make check-valgrind) a test program
# runs under memcheck, and so does every "$VFPOOL" a script test runs.
dir=$(mktemp -d) || exit 99
mkdir "$dir/reports" "$dir/bin" || exit 99
trap 'rm -rf "$dir"' EXIT

# Hook wrappers pass these on: libvirtd clears the environment of hooks.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$dir/reports/asan"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$dir/reports/ubsan"
export ASAN_OPTIONS UBSAN_OPTIONS

if [ "${VFP_VALGRIND:-}" = 1 ]; then
  # Only definite and indirect leaks fail: "possibly lost" and "still
  # reachable" are GLib's and libvirt's one-time allocations.
  vg="valgrind -q --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
      --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --num-callers=30
      --suppressions=$top_srcdir/tests/valgrind.supp --log-file=$dir/reports/valgrind.%p"
  G_SLICE=always-malloc G_DEBUG=gc-friendly
  export G_SLICE G_DEBUG
  case $1 in
    *.sh|*/sh|*/bash|*/dash)
      # A script test: every vfpool it runs goes through memcheck.
      printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$(echo $vg)" "$VFPOOL" > "$dir/bin/vfpool"
      chmod +x "$dir/bin/vfpool"
      VFPOOL=$dir/bin/vfpool "$@" ;;
    # A test program (the vfpool processes test-concurrency starts by the
    # hundred, killing half of them, run as they are).
    # shellcheck disable=SC2086
    *) $vg "$@" ;;
  esac
else
  "$@"
fi
rc=$?

# A detached process (the hook's reattach) may still be writing its report.
sleep 0.2
# Not reports: an empty valgrind log (valgrind -q opens one for every
# process), and LeakSanitizer's note that a process was killed while it
# checked it (test-concurrency kills vfpool on purpose).
for f in "$dir"/reports/*; do
  [ -f "$f" ] && ! grep -qv '^==[0-9]*==Unable to get registers from thread [0-9]*\.$' "$f" && rm -f "$f"
done
found=0
for f in "$dir"/reports/*; do
  [ -f "$f" ] || continue
  found=$((found + 1))
  echo "# ---- $(basename "$f")"
  sed 's/^/# /' "$f"
done
if [ "$found" -gt 0 ]; then
  echo "# $found sanitizer or valgrind report(s) above: the test fails" >&2
  exit 1
fi
exit $rc
