#!/bin/sh
# Prints the rows the benchmarks left in FILE (tab-separated: measure,
# median, target, met) as one Markdown table: the end of `make bench`.
set -eu
file=${1:?usage: summary.sh bench-summary.tsv}
echo
echo "## Summary (issue 9 targets)"
echo
echo "| measure | median | target | met |"
echo "|---|---|---|---|"
awk -F '\t' '{ printf "| %s | %s | %s | %s |\n", $1, $2, $3, $4 }' "$file"
