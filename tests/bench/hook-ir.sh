#!/bin/sh
# The qemu hook's instructions per call (callgrind Ir, summed over the
# front door and the full hook it execs), as libvirtd runs it, for each
# operation, for a guest without vfpool devices and one with 4 VFs, next to
# exec of /bin/true. Ir does not move with the load of a shared machine, so
# two builds compare in one run:
#
#   MKHOST=tests/vfp-mkhost sh tests/bench/hook-ir.sh LABEL=FRONT,CORE [LABEL=FRONT,CORE]...
#
# FRONT is the front door (hooks/vfpool-hook) and CORE the full hook
# (hooks/vfpool-hook-core) of one build; a FRONT of "-" runs CORE alone
# (what the hook would cost without its front door). Each guest with VFs
# is prepared, then released, so that both calls do their work.
set -u
command -v valgrind > /dev/null || { echo "hook-ir: valgrind is not installed" >&2; exit 0; }
host=$("$MKHOST" --with-libvirt) || { echo "hook-ir: cannot build the demo host" >&2; exit 1; }
root=$(echo "$host" | sed -n 1p)
conf=$(echo "$host" | sed -n 3p)
dir=$(dirname "$root")
trap 'rm -rf "$dir"' EXIT

guest () {  # NAME UUID-DIGIT N-VFS
  printf "<domain type='qemu'><name>%s</name><uuid>00000000-0000-0000-0000-00000000000%s</uuid><memory>65536</memory><devices>" "$1" "$2"
  printf "<interface type='network'><source network='default'/><model type='virtio'/></interface>"
  i=0
  while [ $i -lt "$3" ]; do
    printf "<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='0x05' slot='0x10' function='0x%d'/></source><alias name='ua-vfpool-%d'/></interface>" $((i * 2)) $i
    i=$((i + 1))
  done
  printf "</devices></domain>\n"
}
guest none 0 0 > "$dir/none.xml"
guest four 4 4 > "$dir/four.xml"

# Ir of one call: FRONT CORE GUEST OP SUBOP, summed over every process.
ir () {
  out=$dir/cg.$$ xml=$dir/$3.xml
  rm -rf "$out" && mkdir "$out"
  if [ "$1" = - ]; then
    set -- "$2" --config "$conf" --sysfs-root "$root" "$3" "$4" "$5" -
  else
    set -- "$1" --hook-core "$2" --config "$conf" --sysfs-root "$root" "$3" "$4" "$5" -
  fi
  # callgrind keeps one profile per process across exec: the front door's
  # part is dumped before it execs the full hook (cg.PID.1), the rest at exit
  valgrind -q --tool=callgrind --trace-children=yes --dump-before=execv --callgrind-out-file="$out/cg.%p" \
    "$@" < "$xml" > /dev/null 2>&1
  cat "$out"/cg.* | sed -n 's/^totals: *//p' | awk '{ s += $1 } END { print s }'
}

calls="none:prepare:begin none:release:end none:migrate:begin none:started:begin none:reconnect:begin none:stopped:end four:prepare:begin four:release:end"
# One column per build, each build's calls in order (its prepare of the
# guest with VFs leases them, its release frees them again).
n=0
for b in "$@"; do
  n=$((n + 1))
  v=${b#*=}
  rm -rf "$dir/state"        # each build starts from an empty store (the conf's state-dir)
  for c in $calls; do
    g=${c%%:*} rest=${c#*:}
    ir "${v%%,*}" "${v#*,}" "$g" "${rest%%:*}" "${rest#*:}"
  done > "$dir/col.$n"
done
t=$(valgrind -q --tool=callgrind --callgrind-out-file="$dir/true.cg" /bin/true > /dev/null 2>&1; sed -n 's/^totals: *//p' "$dir/true.cg")
printf '| call (Ir) |'
for b in "$@"; do printf ' %s |' "${b%%=*}"; done
printf '\n|---|'
for b in "$@"; do printf -- '---|'; done
printf '\n| exec of `/bin/true` |'
for b in "$@"; do printf ' %s |' "$t"; done
printf '\n'
i=0
for c in $calls; do
  i=$((i + 1))
  g=${c%%:*} rest=${c#*:}
  case $g in none) what="guest without VFs" ;; *) what="guest with 4 VFs" ;; esac
  printf '| `%s %s`, %s |' "${rest%%:*}" "${rest#*:}" "$what"
  k=0
  for b in "$@"; do
    k=$((k + 1))
    printf ' %s |' "$(sed -n "${i}p" "$dir/col.$k")"
  done
  printf '\n'
done
