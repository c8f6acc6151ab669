#!/bin/bash
# Builds vfpool's libFuzzer targets (fuzz/fuzz-*.c) with clang, ASan and
# UBSan into a temporary directory and runs each for SECONDS (default 10)
# over its corpus. Prints one line per target and exits non-zero when any
# target crashes, leaks or times out.
#
# Usage: fuzz/run-fuzz.sh [SECONDS]
# Environment:
#   CC                clang to use (default: clang, else clang-14)
#   VFP_BUILDDIR      the configured build tree holding config.h (default: the source tree)
#   FUZZ_CORPUS_DIR   where corpora grow (default: fuzz/corpus; made by make-corpus.sh)
#   FUZZ_ARTIFACT_DIR where crashing inputs go (default: fuzz/artifacts)
#   FUZZ_TARGETS      a subset, e.g. "addr config" (default: every fuzz/fuzz-*.c)
#   FUZZ_BUILD_DIR    build (and keep) the fuzzers there instead of a temporary directory
#   FUZZ_ARGS         extra libFuzzer flags, e.g. "-detect_leaks=0 -jobs=2"
#   CI                when set, a missing toolchain is a failure (exit 1), not a skip (77)
set -uo pipefail

secs=${1:-10}
case $secs in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
builddir=${VFP_BUILDDIR:-$top}
corpus_root=${FUZZ_CORPUS_DIR:-$here/corpus}
artifacts=${FUZZ_ARTIFACT_DIR:-$here/artifacts}

skip () {
  echo "fuzz: SKIP: $*" >&2
  if [ -n "${CI:-}" ]; then exit 1; fi
  exit 77
}

cc=${CC:-}
case $cc in *clang*) ;; *) cc= ;; esac
if [ -z "$cc" ]; then
  for c in clang clang-14; do
    if command -v "$c" > /dev/null 2>&1; then cc=$c; break; fi
  done
fi
[ -n "$cc" ] || skip "no clang found (apt-get install clang)"
command -v pkg-config > /dev/null 2>&1 || skip "no pkg-config"
[ -f "$builddir/config.h" ] || skip "no config.h in $builddir: run ./configure first (or set VFP_BUILDDIR)"
pkgs="glib-2.0 libxml-2.0 libpci"
pkg-config --exists $pkgs || skip "pkg-config does not find $pkgs"

if [ -n "${FUZZ_BUILD_DIR:-}" ]; then
  work=$FUZZ_BUILD_DIR; mkdir -p "$work"    # kept: reproduce or minimise with its binaries
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/vfpool-fuzz.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi

# The fuzzer runtime (libclang_rt.fuzzer, Debian's libclang-rt-14-dev or clang's own package).
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput (const uint8_t *d, size_t n) { (void) d; (void) n; return 0; }\n' > "$work/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" > "$work/probe.log" 2>&1; then
  sed 's/^/  /' "$work/probe.log" >&2
  skip "$cc cannot link -fsanitize=fuzzer,address,undefined (the libFuzzer runtime is missing)"
fi

cflags=(-g -O1 -fno-omit-frame-pointer -I"$builddir" -I"$top/src" -include config.h
        -DG_LOG_DOMAIN=\"vfpool\" -DLOCALEDIR=\"/usr/share/locale\" -DSYSCONFDIR=\"/etc\"
        -DLOCALSTATEDIR=\"/var\" -DPKGDATADIR=\"/usr/share/vfpool\"
        -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_66 -DGLIB_VERSION_MAX_ALLOWED=GLIB_VERSION_2_66
        $(pkg-config --cflags $pkgs))
libs=$(pkg-config --libs $pkgs)
# The parsers and what they call; instrumented for coverage and the sanitizers.
core="addr error xml nodedev domxml probe lease state state-read state-write text config template trust sysfs log vf-settings json hook-rules"

echo "fuzz: building with $("$cc" --version | head -1)"
objs=()
for m in $core; do
  if ! "$cc" "${cflags[@]}" -fsanitize=fuzzer-no-link,address,undefined \
         -c "$top/src/vfp-$m.c" -o "$work/vfp-$m.o" 2> "$work/build.log"; then
    cat "$work/build.log" >&2; echo "fuzz: cannot build src/vfp-$m.c" >&2; exit 1
  fi
  objs+=("$work/vfp-$m.o")
done
# The hook's gate (libc only) lives with the hook.
if ! "$cc" "${cflags[@]}" -I"$top/hooks" -fsanitize=fuzzer-no-link,address,undefined \
       -c "$top/hooks/hook-gate.c" -o "$work/hook-gate.o" 2> "$work/build.log"; then
  cat "$work/build.log" >&2; echo "fuzz: cannot build hooks/hook-gate.c" >&2; exit 1
fi
objs+=("$work/hook-gate.o")

if [ -n "${FUZZ_TARGETS:-}" ]; then
  targets=$FUZZ_TARGETS
else
  targets=$(cd "$here" && ls fuzz-*.c | sed 's/^fuzz-//; s/\.c$//')
fi
for t in $targets; do
  if ! "$cc" "${cflags[@]}" -I"$top/hooks" -fsanitize=fuzzer,address,undefined \
         "$here/fuzz-$t.c" "${objs[@]}" $libs -o "$work/fuzz-$t" 2> "$work/build.log"; then
    cat "$work/build.log" >&2; echo "fuzz: cannot build fuzz/fuzz-$t.c" >&2; exit 1
  fi
done

# Seed corpora on first use.
for t in $targets; do
  if [ ! -d "$corpus_root/$t" ]; then
    "$here/make-corpus.sh" "$corpus_root" > /dev/null || { echo "fuzz: make-corpus.sh failed" >&2; exit 1; }
    break
  fi
done
mkdir -p "$artifacts"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export FUZZ_TEMPLATE_DIR=${FUZZ_TEMPLATE_DIR:-$top/xml-templates}
# libxml2 and GLib allocate once-per-process state that LSan must not count.
export G_SLICE=always-malloc G_DEBUG=gc-friendly

failed=0
for t in $targets; do
  mkdir -p "$corpus_root/$t"
  log="$work/fuzz-$t.log"
  (cd "$top" && "$work/fuzz-$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
     -print_final_stats=1 -artifact_prefix="$artifacts/$t-" ${FUZZ_ARGS:-} "$corpus_root/$t") > "$log" 2>&1
  rc=$?
  runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -1)
  [ -n "$runs" ] || runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | sed 's/cov: //')
  ncorpus=$(find "$corpus_root/$t" -type f | wc -l)
  if [ $rc -eq 0 ]; then
    printf 'fuzz-%-9s ok     %10s runs in %ss, cov %s, corpus %s\n' "$t" "${runs:-?}" "$secs" "${cov:-?}" "$ncorpus"
  else
    failed=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    printf 'fuzz-%-9s FAILED %10s runs (exit %s)%s\n' "$t" "${runs:-?}" "$rc" "${artifact:+, input: $artifact}"
    if [ -n "$artifact" ] && [ -f "$artifact" ]; then
      # Once more with slow unwinding: full stacks through GLib and libxml2.
      (cd "$top" && ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0" \
         "$work/fuzz-$t" "$artifact") > "$log.repro" 2>&1 && cat "$log.repro" >> "$log"
      [ -s "$log.repro" ] && log="$log.repro"
    fi
    grep -E 'ERROR: |SUMMARY: |runtime error|leak of|^ *#[0-9]+ .*(src|fuzz)/' "$log" | head -30 | sed 's/^/    /'
    cp "$log" "$artifacts/$t.log" 2> /dev/null && echo "    full log: $artifacts/$t.log"
  fi
done
exit $failed
