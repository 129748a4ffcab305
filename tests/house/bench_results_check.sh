#!/usr/bin/env bash
# bench/results/latest.json names every published figure, each a number or
# null (never a placeholder), and docs/performance.md carries the same run's
# table between its bench/run markers.
set -euo pipefail
root=${1:?usage: bench_results_check.sh PROJECT_ROOT}
json="$root/bench/results/latest.json"
doc="$root/docs/performance.md"
figures="memory_new_intent_ns memory_replay_ns pg_new_intent_tps_c16 pg_naive_baseline_tps_c16
  pg_framework_vs_naive_c16 pg_replay_tps_c16 pg_hot_committed_tps_c4 pg_hot_committed_tps_c64
  http_new_intent_rps_c16 http_vs_inprocess_c16 http_replay_rps_c16 http_p99_ms_c16 http_new_intent_rps_c256
  history_100k_vs_10 relay_msgs_per_s e2e_lag_p99_ms"
failed=0
for key in machine date commit; do
  grep -Eq "^  \"$key\": \"[^\"]+\",?$" "$json" || { echo "latest.json: no \"$key\""; failed=1; }
done
table=$(awk '/^<!-- bench\/run: begin -->$/ { inside = 1; next } /^<!-- bench\/run: end -->$/ { inside = 0 } inside' "$doc")
run_commit=$(sed -n 's/^  "commit": "\(.*\)",$/\1/p' "$json")
grep -qF "at commit $run_commit;" <<<"$table" ||
  { echo "docs/performance.md: the table between the bench/run markers is not latest.json's run ($run_commit)"; failed=1; }
for figure in $figures; do
  grep -Eq "^    \"$figure\": (null|-?[0-9]+(\.[0-9]+)?),?$" "$json" ||
    { echo "latest.json: \"$figure\" missing or not a number"; failed=1; }
  grep -qF "\`$figure\`" <<<"$table" || { echo "docs/performance.md: no row for $figure"; failed=1; }
done
[ "$failed" -eq 0 ] && echo "latest.json holds all $(echo $figures | wc -w) figures; docs/performance.md shows its run"
exit "$failed"
