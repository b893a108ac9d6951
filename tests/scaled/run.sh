#!/usr/bin/env bash
# The scaled mode end to end with the real binaries on loopback: PostgreSQL 15 and an S3 server
# (moto), started by tests/stores/servers.sh; two predict-api replicas (different ports), one
# drift-monitor (a report every second), `trainer serve`, each on a home of its own, so nothing
# passes through a shared folder: bundles in the bucket, aliases, history, predictions and
# feedback in the database, the report over HTTP. Driven by tests/scaled/scaled.py:
#   predict on both replicas → labels on both (each replica finds the other's predictions in
#   the database) → reports → retrain → gate → promotion → both replicas serve the new version,
#   with zero failed /predict; then kill -9 of a replica right after a 201 on /feedback: every
#   acknowledged label is in PostgreSQL.
# Prints PASS or FAIL; exits non-zero on failure. About a minute after the build.
#
# Usage: tests/scaled/run.sh [BIN_DIR]   (default: $CARGO_TARGET_DIR or target, /debug)
# Needs: trainer, predict-api, drift-monitor and feedback-agent in BIN_DIR; python3 (servers.sh installs
# PostgreSQL and moto when missing).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$(cd "${1:-${CARGO_TARGET_DIR:-$repo/target}/debug}" && pwd)"
cd "$repo"
for b in trainer predict-api drift-monitor feedback-agent; do
  [ -x "$bin/$b" ] || { echo "scaled: $bin/$b is missing (cargo build -p $b)" >&2; exit 1; }
done
. tests/stores/servers.sh
work="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-scaled.XXXXXX")"
pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Only the services: moto, started by servers.sh, is a child of this shell too.
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  stores_stop
  if [ $rc -eq 0 ]; then
    rm -rf "$work"
    echo "scaled: PASS"
  else
    echo "scaled: FAIL; logs and homes kept in $work" >&2
    tail -n 15 "$work"/*.log >&2 || true
  fi
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# One database and one bucket prefix for every service; nothing else in common.
psql -q -h 127.0.0.1 -p "$STORES_PG_PORT" -U fraudloop -d postgres -c 'CREATE DATABASE fraudloop_scaled'
export FRAUDLOOP_DATABASE_URL="postgres://fraudloop@127.0.0.1:$STORES_PG_PORT/fraudloop_scaled"
export FRAUDLOOP_BUNDLE_STORE="$FRAUDLOOP_TEST_S3_URL/scaled"
unset FRAUDLOOP_HOME

# The first model, as the init job does: 1,200 demo messages, from a home of its own.
"$bin/trainer" --home "$work/init" demo-data --out "$work/train.csv" --rows 1200 --seed 1 >/dev/null
"$bin/trainer" --home "$work/init" train --data "$work/train.csv" --json >"$work/train.json"

api1=$(free_port) api2=$(free_port) monitor=$(free_port) trainer=$(free_port) agent=$(free_port)
for port in $api1 $api2; do
  FRAUDLOOP_HOME="$work/api$port" PREDICT_API_ADDR=127.0.0.1:$port \
    PREDICT_API_RELOAD_POLL_MS=100 PREDICT_API_INSTANCE=r$port \
    "$bin/predict-api" >"$work/api$port.log" 2>&1 &
  pids+=($!)
  echo $! >"$work/api$port.pid"
done
FRAUDLOOP_HOME="$work/monitor" DRIFT_MONITOR_ADDR=127.0.0.1:$monitor DRIFT_MONITOR_INTERVAL_SECS=1 \
  DRIFT_MONITOR_WINDOW_ROWS=300 DRIFT_MONITOR_MIN_ROWS=100 \
  "$bin/drift-monitor" run >"$work/monitor.log" 2>&1 &
pids+=($!)
# k = 200 labels, as in tests/loop/run.sh; the report comes from drift-monitor over HTTP.
FRAUDLOOP_HOME="$work/trainer" TRAINER_ADDR=127.0.0.1:$trainer TRAINER_ADMIN_TOKEN=scaled-admin-token \
  PREDICT_API_URLS=http://127.0.0.1:$api1,http://127.0.0.1:$api2 \
  FRAUDLOOP_LOOP__DRIFT_MONITOR_URL=http://127.0.0.1:$monitor \
  FRAUDLOOP_LOOP__POLL_SECS=0.3 FRAUDLOOP_LOOP__REPLICA_TIMEOUT_SECS=30 \
  FRAUDLOOP_LOOP__POLICY__MIN_LABELS=200 FRAUDLOOP_LOOP__POLICY__RETRAIN_MIN_LABELS=200 \
  FRAUDLOOP_LOOP__POLICY__COOLDOWNS__RETRAIN_SECS=0 FRAUDLOOP_LOOP__POLICY__COOLDOWNS__ALERT_SECS=0 \
  "$bin/trainer" serve >"$work/trainer.log" 2>&1 &
pids+=($!)

# The agent in auto mode reads new predictions from the database, whichever replica made them.
FRAUDLOOP_HOME="$work/agent" FEEDBACK_AGENT_ADDR=127.0.0.1:$agent PREDICT_API_URL=http://127.0.0.1:$api2 \
  FEEDBACK_AGENT_KNOWLEDGE_BASE="$repo/knowledge_base" FEEDBACK_AGENT_ADMIN_TOKEN=scaled-agent-token \
  FEEDBACK_AGENT_AUTO_THRESHOLD=0.5 FEEDBACK_AGENT_AUTO_INTERVAL_MS=200 \
  "$bin/feedback-agent" >"$work/agent.log" 2>&1 &
pids+=($!)

python3 tests/scaled/scaled.py --bin "$bin" --work "$work" \
  --replicas "http://127.0.0.1:$api1,http://127.0.0.1:$api2" \
  --pids "$work/api$api1.pid,$work/api$api2.pid" \
  --monitor "http://127.0.0.1:$monitor" --trainer "http://127.0.0.1:$trainer" \
  --agent "http://127.0.0.1:$agent" --agent-token scaled-agent-token \
  --psql "psql -h 127.0.0.1 -p $STORES_PG_PORT -U fraudloop -d fraudloop_scaled -At"
