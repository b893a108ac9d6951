#!/usr/bin/env bash
# What production data costs PostgreSQL, for the capacity table in README "Scaling out":
# starts PostgreSQL 15 on a fresh data directory (tests/stores/servers.sh), writes N predictions
# through the store's batched writer and L labels one commit at a time
# (crates/store-postgres/examples/write_cost.rs), and adds the CPU seconds the PostgreSQL
# processes used during the run (from /proc), so cores per 1000 rows/s can be projected.
#   bench/stores/run.sh [predictions] [labels]      (default 200000 2000)
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-200000}"
labels="${2:-2000}"
lock=(); [ -e /work/cargo.lock ] && lock=(flock /work/cargo.lock)
[ -n "${SKIP_BUILD:-}" ] || "${lock[@]}" cargo build --locked -p store-postgres --example write_cost
bin="${CARGO_TARGET_DIR:-target}/debug/examples/write_cost"
. tests/stores/servers.sh
trap stores_stop EXIT
pg_cpu() {
  local tck total=0 pid
  tck=$(getconf CLK_TCK)
  for pid in $(pgrep -u postgres -f "postgres" || true); do
    [ -r "/proc/$pid/stat" ] || continue
    total=$(awk -v t="$total" '{print t + $14 + $15 + $16 + $17}' "/proc/$pid/stat")
  done
  awk -v t="$total" -v k="$tck" 'BEGIN {printf "%.2f", t / k}'
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
before=$(pg_cpu)
result=$("$bin" "$FRAUDLOOP_TEST_DATABASE_URL" "$n" "$labels")
after=$(pg_cpu)
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$result" "$before" "$after" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
cpu = float(sys.argv[3]) - float(sys.argv[2])
r["postgres_cpu_seconds"] = round(cpu, 2)
# CPU of the whole run (predictions and labels); the insert phase dominates.
r["postgres_core_seconds_per_1000_predictions"] = round(cpu / r["predictions"] * 1000, 4)
print(json.dumps(r, indent=1))
PY
