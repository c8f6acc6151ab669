#!/bin/sh
# Every source that marks strings with _() is in po/POTFILES.in, and the
# Chinese catalog is complete and valid.
. "$top_srcdir/tests/tap.sh"
cd "$top_srcdir" || exit 99

for f in $(grep -lE '\b_\(' src/*.c hooks/*.c 2>/dev/null | sort); do
  check "$f is in po/POTFILES.in" grep -qxF "$f" po/POTFILES.in
done
for f in $(grep -v '^#' po/POTFILES.in); do
  check "$f listed in po/POTFILES.in exists" test -f "$f"
done
check "po/POTFILES.in is sorted" sh -c 'grep -v "^#" po/POTFILES.in | LC_ALL=C sort -c'

stats=$(msgfmt --check --statistics -o /dev/null po/zh_CN.po 2>&1)
check "zh_CN.po passes msgfmt --check" test $? -eq 0
check "zh_CN.po has no fuzzy or untranslated messages ($stats)" \
  sh -c "! echo '$stats' | grep -qE 'fuzzy|untranslated'"
xgettext --keyword=_ --keyword=N_ --from-code=UTF-8 -o "$tap_tmp/current.pot" \
  $(grep -v '^#' po/POTFILES.in) 2>/dev/null
check "zh_CN.po translates every string the sources have now" \
  msgcmp po/zh_CN.po "$tap_tmp/current.pot"

done_testing
