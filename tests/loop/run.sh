#!/usr/bin/env bash
# The closed loop end to end with the real binaries on loopback: two predict-api replicas,
# drift-monitor (a report every second) and `trainer serve` on one demo home, driven by
# tests/loop/e2e.py:
#   clean traffic → ok; drifted traffic + k operator labels → retrain → gate passes → the new
#   version on both replicas; a candidate trained on flipped labels → rejected (the same
#   Idempotency-Key → the same job); a forced bad promotion (`trainer promote`) → regression on
#   labelled rows → rollback, never back; zero failed /predict throughout; GET /decisions
#   shows every decision with its reason; the loop's metrics count them. Alerts go to two real
#   webhook receivers started by e2e.py: one always answers 500 (retried, never blocks the
#   loop), the other takes the Slack-compatible JSON.
# The gate runs with its default settings. About 20 s with debug or release binaries.
#
# Usage: tests/loop/run.sh [BIN_DIR]   (default: $CARGO_TARGET_DIR or target, /debug)
# Needs: trainer, predict-api and drift-monitor in BIN_DIR; python3.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$repo/target}/debug}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-loop-e2e.XXXXXX")"
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ $rc -eq 0 ]; then
    rm -rf "$work"
  else
    echo "loop e2e: FAIL; logs and home kept in $work" >&2
    tail -n 20 "$work"/*.log >&2 || true
  fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for b in trainer predict-api drift-monitor; do
  [ -x "$bin/$b" ] || { echo "loop e2e: $bin/$b is missing (cargo build -p $b)" >&2; exit 1; }
done

export FRAUDLOOP_HOME="$work/home"
mkdir -p "$FRAUDLOOP_HOME"
# The first model: 1,200 demo messages; drifted traffic (new scam themes) hurts it.
"$bin/trainer" demo-data --out "$work/train.csv" --rows 1200 --seed 1 >/dev/null
"$bin/trainer" train --data "$work/train.csv" --json >/dev/null

api1=$(free_port) api2=$(free_port) monitor=$(free_port) trainer=$(free_port)
hook_down=$(free_port) hook_up=$(free_port)
for port in $api1 $api2; do
  PREDICT_API_ADDR=127.0.0.1:$port PREDICT_API_RELOAD_POLL_MS=100 PREDICT_API_INSTANCE=r$port \
    "$bin/predict-api" >"$work/api$port.log" 2>&1 &
  pids+=($!)
done
DRIFT_MONITOR_ADDR=127.0.0.1:$monitor DRIFT_MONITOR_INTERVAL_SECS=1 \
  DRIFT_MONITOR_WINDOW_ROWS=300 DRIFT_MONITOR_MIN_ROWS=100 \
  "$bin/drift-monitor" run >"$work/monitor.log" 2>&1 &
pids+=($!)
# k = 200 labels, and every retrain rule waits for them (so the retrain sees all 200 labels
# wherever the 1 s reports fall); no retrain/alert cooldown, so each step acts at once; one
# rollback per hour.
TRAINER_ADDR=127.0.0.1:$trainer TRAINER_ADMIN_TOKEN=loop-e2e-admin-token \
  PREDICT_API_URLS=http://127.0.0.1:$api1,http://127.0.0.1:$api2 \
  FRAUDLOOP_LOOP__ALERT_WEBHOOKS=http://127.0.0.1:$hook_down/hook,http://127.0.0.1:$hook_up/hook \
  FRAUDLOOP_LOOP__POLL_SECS=0.3 FRAUDLOOP_LOOP__REPLICA_TIMEOUT_SECS=20 \
  FRAUDLOOP_LOOP__POLICY__MIN_LABELS=200 FRAUDLOOP_LOOP__POLICY__RETRAIN_MIN_LABELS=200 \
  FRAUDLOOP_LOOP__POLICY__REGRESSION_MIN_ROWS=40 \
  FRAUDLOOP_LOOP__POLICY__COOLDOWNS__RETRAIN_SECS=0 FRAUDLOOP_LOOP__POLICY__COOLDOWNS__ALERT_SECS=0 \
  "$bin/trainer" serve >"$work/trainer.log" 2>&1 &
pids+=($!)

python3 "$repo/tests/loop/e2e.py" --bin "$bin" --home "$FRAUDLOOP_HOME" \
  --replicas "http://127.0.0.1:$api1,http://127.0.0.1:$api2" \
  --trainer "http://127.0.0.1:$trainer" --token loop-e2e-admin-token \
  --hook-down "$hook_down" --hook-up "$hook_up"
echo "loop e2e: PASS"
