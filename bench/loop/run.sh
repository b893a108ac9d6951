#!/usr/bin/env bash
# Closed-loop benchmark with the real release binaries on loopback: two predict-api replicas,
# drift-monitor (a report every 10 s) and `trainer serve` on one demo home.
# Measures the loop latency (first drifted request → the retrained model served by every
# replica) and the F1 of the served answers on drifted traffic before drift, during drift and
# after the loop, over several runs; prints medians.
#
# Usage: bench/loop/run.sh [--runs 3] [--interval 10] [--k 200] [--port 18100] [--bin DIR]
#                          [--no-build] [--keep]
# Env: CARGO_TARGET_DIR (binaries in $CARGO_TARGET_DIR/release, default target/release;
# --bin DIR uses the binaries in DIR and builds nothing). Ports: --port and the next four.
# Targets: loop latency <= 60 s with a 10 s monitor interval; F1 on drifted traffic after
# the loop within 0.02 of the pre-drift F1 on clean traffic.
set -euo pipefail

RUNS=3 INTERVAL=10 K=200 BUILD=1 KEEP=0 PORT=18100 BIN=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    --interval) INTERVAL=$2; shift ;;
    --k) K=$2; shift ;;
    --port) PORT=$2; shift ;;
    --bin) BIN=$2; BUILD=0; shift ;;
    --no-build) BUILD=0 ;;
    --keep) KEEP=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release}
API1=$PORT API2=$((PORT + 1)) MONITOR=$((PORT + 2)) TRAINER=$((PORT + 3))
if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && cargo build --release -p trainer -p predict-api -p drift-monitor)
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$KEEP" = 1 ] && echo "work dir: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

for run in $(seq 1 "$RUNS"); do
  HOME_DIR=$WORK/run$run
  mkdir -p "$HOME_DIR"
  export FRAUDLOOP_HOME=$HOME_DIR
  "$BIN/trainer" demo-data --out "$HOME_DIR/train.csv" --rows 5000 --seed "$run" >/dev/null
  "$BIN/trainer" train --data "$HOME_DIR/train.csv" --json >/dev/null
  "$BIN/trainer" demo-data --out "$HOME_DIR/clean.csv" --rows 600 --seed $((run + 100)) --label-noise 0 >/dev/null
  "$BIN/trainer" demo-data --out "$HOME_DIR/drifted.csv" --rows 1200 --seed $((run + 200)) --drifted --label-noise 0 >/dev/null
  "$BIN/trainer" demo-data --out "$HOME_DIR/drifted_eval.csv" --rows 600 --seed $((run + 300)) --drifted --label-noise 0 >/dev/null
  PIDS=()
  for port in $API1 $API2; do
    PREDICT_API_ADDR=127.0.0.1:$port PREDICT_API_RELOAD_POLL_MS=500 PREDICT_API_INSTANCE=r$port \
      "$BIN/predict-api" >"$HOME_DIR/api$port.log" 2>&1 &
    PIDS+=($!)
  done
  DRIFT_MONITOR_ADDR=127.0.0.1:$MONITOR DRIFT_MONITOR_INTERVAL_SECS=$INTERVAL DRIFT_MONITOR_WINDOW_ROWS=1000 \
    "$BIN/drift-monitor" run >"$HOME_DIR/monitor.log" 2>&1 &
  PIDS+=($!)
  TRAINER_ADDR=127.0.0.1:$TRAINER TRAINER_ADMIN_TOKEN=bench-admin-token \
    PREDICT_API_URLS=http://127.0.0.1:$API1,http://127.0.0.1:$API2 \
    FRAUDLOOP_LOOP__POLL_SECS=1 FRAUDLOOP_LOOP__POLICY__MIN_LABELS=$K \
    "$BIN/trainer" serve >"$HOME_DIR/trainer.log" 2>&1 &
  PIDS+=($!)
  python3 "$ROOT/bench/loop/drive.py" --home "$HOME_DIR" --k "$K" \
    --replicas http://127.0.0.1:$API1,http://127.0.0.1:$API2 --trainer http://127.0.0.1:$TRAINER \
    | tee "$WORK/result$run.json"
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
done
python3 - "$WORK" "$RUNS" <<'PY'
import json, math, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
rs = [json.load(open(f"{work}/result{i}.json")) for i in range(1, runs + 1)]
out = {}
for k in rs[0]:
    vals = [r[k] for r in rs if isinstance(r[k], (int, float)) and not math.isnan(r[k])]
    if isinstance(rs[0][k], (int, float)) or k == "loop_latency_s":
        out[k] = {"median": statistics.median(vals) if vals else None, "runs": len(vals),
                  "values": [r[k] for r in rs]}
out["promoted_runs"] = sum(r["new_version"] is not None for r in rs)
print(json.dumps(out, indent=2))
PY
