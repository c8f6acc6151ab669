#!/bin/bash
# Fills fuzz/corpus/<target>/ with seed inputs: the test data, the captured
# node-device XML, the shipped templates and fuzz/seeds/<target>/.
# Usage: fuzz/make-corpus.sh [CORPUS_DIR]   (default: fuzz/corpus)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
corpus=${1:-$here/corpus}

targets="nodedev domxml state storetext config addr template hookgate"
for t in $targets; do
  mkdir -p "$corpus/$t"
  if [ -d "$here/seeds/$t" ]; then
    cp -f "$here/seeds/$t"/* "$corpus/$t/" 2>/dev/null || true
  fi
done

# Node devices: the captured virsh nodedev-dumpxml output.
for f in "$top"/tests/data/nodedev-*.xml; do
  [ -f "$f" ] && cp -f "$f" "$corpus/nodedev/"
done
# Domains: every other XML in tests/data, and the device templates (their
# elements are what a domain's <devices> holds).
for f in "$top"/tests/data/*.xml; do
  case $(basename "$f") in nodedev-*) continue ;; esac
  [ -f "$f" ] && cp -f "$f" "$corpus/domxml/"
done
for f in "$top"/xml-templates/*.xml; do
  [ -f "$f" ] && cp -f "$f" "$corpus/domxml/template-$(basename "$f")"
done
# The hook's gate reads what the domain reader reads.
for f in "$top"/tests/data/*.xml "$top"/xml-templates/*.xml; do
  [ -f "$f" ] && cp -f "$f" "$corpus/hookgate/$(basename "$f")"
done
# Every XML also seeds the other XML parsers: shapes they must refuse.
for f in "$top"/tests/data/*.xml; do
  [ -f "$f" ] && cp -f "$f" "$corpus/state/other-$(basename "$f")"
done
# Configuration: the documented example.
[ -f "$top/data/vfpool.conf.example" ] && cp -f "$top/data/vfpool.conf.example" "$corpus/config/"
# Addresses: the ones the test data names.
grep -ohE "[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]|pci_[0-9a-f]{4}_[0-9a-f]{2}_[0-9a-f]{2}_[0-7]" \
  "$top"/tests/data/*.xml 2>/dev/null | sort -u | head -20 | tr '\n' ',' > "$corpus/addr/from-test-data" || true

for t in $targets; do
  echo "corpus/$t: $(find "$corpus/$t" -type f | wc -l) files"
done
