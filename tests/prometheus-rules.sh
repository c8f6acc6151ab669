#!/bin/sh
# The Prometheus rules (data/prometheus/vfpool.rules.yml) under promtool's
# unit tests, on the series of a real `vfpool audit --prometheus` textfile:
# a renamed metric or label, or a textfile path the audit unit no longer
# writes, fails the rules' tests.
#
#   prometheus-rules.sh TEXTFILE RULES AUDIT_UNIT OUT.yml
#
# writes the promtool test file OUT.yml and runs `promtool test rules` on
# it. The textfile must be that of tests/integration/test-audit.sh (pool
# physnet1: 6 free VFs on NUMA node 0, 1 on node 1, 1 quarantined, one
# conflict, one leak). Each series becomes constant over the test, as
# scraped from host hv1:9100; the audit's timestamp becomes 0, the start
# of the test, and so does the textfile's mtime, as node_exporter reports
# it for the path the audit unit writes.
set -eu
textfile=$1 rules=$2 unit=$3 out=$4

promfile=$(sed -n 's|.*--prometheus \([^ ]*\).*|\1|p' "$unit")
[ -n "$promfile" ] || { echo "no --prometheus FILE in $unit" >&2; exit 1; }

# 31 h of one-minute samples: every alert can be seen before and after
# its 26 h.
series () {
  awk -v extra="$1" '
    /^#/ || NF == 0 { next }
    {
      name = $1; labels = ""
      if (i = index($1, "{")) { name = substr($1, 1, i - 1); labels = substr($1, i + 1, length($1) - i - 1) "," }
      value = (name == "vfpool_audit_last_run_timestamp_seconds") ? 0 : $NF
      printf "      - series: %c%s{%sinstance=\"hv1:9100\",job=\"node\"}%c\n        values: %c%sx1860%c\n", 39, name, labels, 39, 39, value, 39
    }
    END {
      printf "      - series: %cnode_textfile_mtime_seconds{file=\"%s\",instance=\"hv1:9100\",job=\"node\"}%c\n        values: %c0x1860%c\n", 39, extra, 39, 39, 39
    }' "$textfile"
}

low_alert () {
  cat <<YAML
          - exp_labels: {severity: warning, instance: "hv1:9100", pool: physnet1}
            exp_annotations:
              summary: "Pool physnet1 on hv1:9100 has 7 free VFs, below its alert threshold; \`vfpool status\` and \`vfpool list\` on hv1:9100 show who holds them."
YAML
}

{
  cat <<YAML
rule_files:
  - $rules
evaluation_interval: 1m
tests:
  # The default threshold (2): 7 free VFs do not alert. Everything else
  # the textfile says does.
  - interval: 1m
    input_series:
YAML
  series "$promfile"
  cat <<YAML
    promql_expr_test:
      - expr: vfpool:vfs_free:pool_numa_node
        eval_time: 1h
        exp_samples:
          - labels: 'vfpool:vfs_free:pool_numa_node{instance="hv1:9100",pool="physnet1",numa_node="0"}'
            value: 6
          - labels: 'vfpool:vfs_free:pool_numa_node{instance="hv1:9100",pool="physnet1",numa_node="1"}'
            value: 1
      - expr: vfpool:vfs_free_threshold:pool
        eval_time: 1h
        exp_samples:
          - labels: 'vfpool:vfs_free_threshold:pool{instance="hv1:9100",pool="physnet1"}'
            value: 2
    alert_rule_test:
      - alertname: VfpoolPoolLowOnFreeVFs
        eval_time: 1h
      - alertname: VfpoolConflict
        eval_time: 1h
        exp_alerts:
          - exp_labels: {severity: critical, instance: "hv1:9100", pool: physnet1}
            exp_annotations:
              summary: "1 VF(s) of pool physnet1 on hv1:9100 are named by two holders at once; \`vfpool audit --pool physnet1\` on hv1:9100 says which, and a human must choose."
      - alertname: VfpoolLeak
        eval_time: 1h
        exp_alerts:
          - exp_labels: {severity: warning, instance: "hv1:9100", pool: physnet1}
            exp_annotations:
              summary: "1 lease(s) of pool physnet1 on hv1:9100 belong to guests that no longer have the VF; \`vfpool audit --pool physnet1\` on hv1:9100 lists them, and \`vfpool audit --fix\` frees them."
      - alertname: VfpoolQuarantinedVFs
        eval_time: 1h
        exp_alerts:
          - exp_labels: {severity: warning, instance: "hv1:9100", pool: physnet1}
            exp_annotations:
              summary: "1 VF(s) of pool physnet1 on hv1:9100 are quarantined (vfpool could not prove them safe to hand out); \`vfpool list\` on hv1:9100 says why, and \`vfpool scrub VF\` frees one once its fault is fixed."
      - alertname: VfpoolAuditNotRun
        eval_time: 25h
      - alertname: VfpoolAuditNotRun
        eval_time: 27h
        exp_alerts:
          - exp_labels: {severity: warning, instance: "hv1:9100", job: node}
            exp_annotations:
              summary: "vfpool has not audited the leases of any pool on hv1:9100 for 1d 3h 0m 0s; \`systemctl status vfpool-audit.timer vfpool-audit.service\` on hv1:9100 says why, and \`vfpool audit\` runs one."
      - alertname: VfpoolTextfileStale
        eval_time: 25h
      - alertname: VfpoolTextfileStale
        eval_time: 27h
        exp_alerts:
          - exp_labels: {severity: warning, instance: "hv1:9100", job: node, file: "$promfile"}
            exp_annotations:
              summary: "The vfpool metrics of every pool on hv1:9100 ($promfile) were written 1d 3h 0m 0s ago; \`journalctl -u vfpool-audit.service\` on hv1:9100 says why, and \`systemctl start vfpool-audit.service\` rewrites them."

  # An operator's threshold for the pool name (8): 7 free VFs alert.
  - interval: 1m
    input_series:
YAML
  series "$promfile"
  cat <<YAML
      - series: 'vfpool_free_vfs_threshold{pool="physnet1"}'
        values: '8x1860'
    alert_rule_test:
      - alertname: VfpoolPoolLowOnFreeVFs
        eval_time: 1h
        exp_alerts:
YAML
  low_alert
  cat <<YAML

  # ... and the host's own threshold (0) wins over the pool's.
  - interval: 1m
    input_series:
YAML
  series "$promfile"
  cat <<YAML
      - series: 'vfpool_free_vfs_threshold{pool="physnet1"}'
        values: '8x1860'
      - series: 'vfpool_free_vfs_threshold{pool="physnet1",instance="hv1:9100"}'
        values: '0x1860'
    alert_rule_test:
      - alertname: VfpoolPoolLowOnFreeVFs
        eval_time: 1h
YAML
} > "$out"

promtool check rules "$rules"
promtool test rules "$out"
