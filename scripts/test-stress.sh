#!/usr/bin/env bash
# The suite on a busy machine: one core kept busy by scripts/cpu-hog.mjs while the whole test suite runs
# RUNS times in a row (default 3); stops at the first red run. Prints each run's summary and wall time.
#   npm run test:stress            (RUNS=1 npm run test:stress for one run)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
npm run build >/dev/null
node scripts/cpu-hog.mjs 7200 &
hog=$!
trap 'kill $hog 2>/dev/null || true' EXIT
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  log=$(mktemp -t sls-run-stress-XXXXXX.log)
  if npx vitest run >"$log" 2>&1; then status=green; else status=red; fi
  printf 'run %d/%d: %s in %ds\n' "$i" "$runs" "$status" "$(( $(date +%s) - start ))"
  grep -E 'Test Files|Tests ' "$log" | sed 's/\x1b\[[0-9;]*m//g'
  if [ "$status" = red ]; then grep -E '×|FAIL' "$log" | sed 's/\x1b\[[0-9;]*m//g' | head -20; echo "log: $log"; exit 1; fi
  rm -f "$log"
done
