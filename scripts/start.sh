#!/usr/bin/env bash
# Starts fraudloop locally without Docker: builds the binaries, generates the demo corpus and
# trains the first model when the home has none, then runs drift-monitor and feedback-agent
# (background) and predict-api (foreground); Ctrl-C stops all three.
# FRAUDLOOP_HOME (default: the repository root) is the shared volume: artifacts/, data/.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export FRAUDLOOP_HOME="${FRAUDLOOP_HOME:-$repo}"
export PREDICT_API_ADDR="${PREDICT_API_ADDR:-127.0.0.1:8000}"
export DRIFT_MONITOR_ADDR="${DRIFT_MONITOR_ADDR:-127.0.0.1:8001}"
export DRIFT_MONITOR_INTERVAL_SECS="${DRIFT_MONITOR_INTERVAL_SECS:-60}"
export FEEDBACK_AGENT_ADDR="${FEEDBACK_AGENT_ADDR:-127.0.0.1:8003}"
export PREDICT_API_URL="${PREDICT_API_URL:-http://$PREDICT_API_ADDR}"
export AGENT_PUBLIC_URL="${AGENT_PUBLIC_URL:-http://$FEEDBACK_AGENT_ADDR}"
cd "$repo"

echo "==> building (release; the first build takes a few minutes)"
cargo build --release --locked -p trainer -p predict-api -p drift-monitor -p feedback-agent
bin="${CARGO_TARGET_DIR:-$repo/target}/release"

mkdir -p "$FRAUDLOOP_HOME/data"
demo="$FRAUDLOOP_HOME/data/demo_train.csv"
if [ ! -f "$demo" ]; then
  echo "==> generating the demo corpus: $demo"
  "$bin/trainer" demo-data --out "$demo" --rows 4000 --seed 42
fi

if ! "$bin/trainer" list --json | grep -q '"production":"v'; then
  echo "==> training the first model on $demo"
  "$bin/trainer" train --data "$demo"
fi
"$bin/trainer" list

if [ -z "${PREDICT_API_ADMIN_TOKEN:-}" ]; then
  # A fixed token for local runs only; set your own in any shared environment.
  export PREDICT_API_ADMIN_TOKEN="local-dev-token"
  echo "==> admin endpoints use the local token 'local-dev-token' (set PREDICT_API_ADMIN_TOKEN to change it)"
fi
export DRIFT_MONITOR_ADMIN_TOKEN="${DRIFT_MONITOR_ADMIN_TOKEN:-$PREDICT_API_ADMIN_TOKEN}"
export FEEDBACK_AGENT_ADMIN_TOKEN="${FEEDBACK_AGENT_ADMIN_TOKEN:-$PREDICT_API_ADMIN_TOKEN}"

"$bin/drift-monitor" run &
drift_pid=$!
"$bin/feedback-agent" &
agent_pid=$!
trap 'kill "$drift_pid" "$agent_pid" 2>/dev/null || true' EXIT INT TERM
echo "==> drift-monitor on http://$DRIFT_MONITOR_ADDR/reports/latest.html (a report every ${DRIFT_MONITOR_INTERVAL_SECS}s)"
echo "==> feedback-agent on http://$FEEDBACK_AGENT_ADDR (offline unless GROQ_API_KEY / DASHSCOPE_API_KEY are set; notices in GET /outbox)"
echo "==> starting predict-api on http://$PREDICT_API_ADDR  (docs: http://$PREDICT_API_ADDR/docs, Ctrl-C stops)"
"$bin/predict-api"
