#!/usr/bin/env bash
# Starts fraudloop locally without Docker: builds the binaries, generates the demo corpus and
# trains the first model when the home has none, then starts every service on fixed loopback
# ports, waits until each answers, and prints their URLs, the dashboard first.
# Ctrl-C (or SIGTERM) stops them all; a service that fails to start, or dies, is named with the
# end of its log, and the others are stopped.
#
# FRAUDLOOP_HOME (default: the repository root) stands in for the shared volume: artifacts/,
# data/, reports/; each service's log goes to $FRAUDLOOP_HOME/logs/<service>.log.
# Each address can be changed with its variable (WEB_UI_ADDR, PREDICT_API_ADDR, ...).
# FRAUDLOOP_BIN_DIR=<dir> uses binaries already built there instead of building (tests do).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export FRAUDLOOP_HOME="${FRAUDLOOP_HOME:-$repo}"
export WEB_UI_ADDR="${WEB_UI_ADDR:-127.0.0.1:8080}"
export PREDICT_API_ADDR="${PREDICT_API_ADDR:-127.0.0.1:8000}"
export DRIFT_MONITOR_ADDR="${DRIFT_MONITOR_ADDR:-127.0.0.1:8001}"
export TRAINER_ADDR="${TRAINER_ADDR:-127.0.0.1:8002}"
export FEEDBACK_AGENT_ADDR="${FEEDBACK_AGENT_ADDR:-127.0.0.1:8003}"
export DRIFT_MONITOR_INTERVAL_SECS="${DRIFT_MONITOR_INTERVAL_SECS:-60}"
# How the services find one another.
export PREDICT_API_URL="http://$PREDICT_API_ADDR"
export PREDICT_API_URLS="${PREDICT_API_URLS:-$PREDICT_API_URL}"
export DRIFT_MONITOR_URL="http://$DRIFT_MONITOR_ADDR"
export TRAINER_URL="http://$TRAINER_ADDR"
export FEEDBACK_AGENT_URL="http://$FEEDBACK_AGENT_ADDR"
export AGENT_PUBLIC_URL="${AGENT_PUBLIC_URL:-$FEEDBACK_AGENT_URL}"
# The agent's knowledge base is the checkout's, wherever the home is.
export FEEDBACK_AGENT_KNOWLEDGE_BASE="${FEEDBACK_AGENT_KNOWLEDGE_BASE:-$repo/knowledge_base}"
cd "$repo"

# The services of this checkout, in start order (a crate that is not here is skipped).
services=()
for name in predict-api drift-monitor trainer feedback-agent web-ui; do
  [ -d "crates/$name" ] && services+=("$name")
done

if [ -n "${FRAUDLOOP_BIN_DIR:-}" ]; then
  bin="$FRAUDLOOP_BIN_DIR"
else
  echo "==> building (release; the first build takes a few minutes)"
  packages=()
  for name in "${services[@]}"; do packages+=(-p "$name"); done
  cargo build --release --locked "${packages[@]}"
  bin="${CARGO_TARGET_DIR:-$repo/target}/release"
fi

mkdir -p "$FRAUDLOOP_HOME/data" "$FRAUDLOOP_HOME/logs"
demo="$FRAUDLOOP_HOME/data/demo_train.csv"
if [ ! -f "$demo" ]; then
  echo "==> generating the demo corpus: $demo"
  "$bin/trainer" demo-data --out "$demo" --rows 4000 --seed 42
fi
# Not `| grep -q`: under pipefail a grep that stops at its match can fail the pipeline.
if [[ "$("$bin/trainer" list --json)" != *'"production":"v'* ]]; then
  echo "==> training the first model on $demo"
  "$bin/trainer" train --data "$demo"
fi
"$bin/trainer" list

# Local secrets, for this machine only: set your own in any shared environment.
if [ -z "${PREDICT_API_ADMIN_TOKEN:-}" ]; then
  export PREDICT_API_ADMIN_TOKEN="local-dev-token"
  echo "==> admin endpoints use the local token 'local-dev-token' (set PREDICT_API_ADMIN_TOKEN to change it)"
fi
export DRIFT_MONITOR_ADMIN_TOKEN="${DRIFT_MONITOR_ADMIN_TOKEN:-$PREDICT_API_ADMIN_TOKEN}"
export TRAINER_ADMIN_TOKEN="${TRAINER_ADMIN_TOKEN:-$PREDICT_API_ADMIN_TOKEN}"
export FEEDBACK_AGENT_ADMIN_TOKEN="${FEEDBACK_AGENT_ADMIN_TOKEN:-$PREDICT_API_ADMIN_TOKEN}"
export WEB_UI_ADMIN_TOKEN="${WEB_UI_ADMIN_TOKEN:-$PREDICT_API_ADMIN_TOKEN}"
export AGENT_LINK_SECRET="${AGENT_LINK_SECRET:-local-dev-link-secret}"

declare -A pid_of=()
stop_all() {
  trap - EXIT INT TERM
  local name
  for name in "${!pid_of[@]}"; do kill -TERM "${pid_of[$name]}" 2>/dev/null || true; done
  for name in "${!pid_of[@]}"; do wait "${pid_of[$name]}" 2>/dev/null || true; done
}
trap 'echo "==> stopping"; stop_all; exit 0' INT TERM
trap stop_all EXIT

# Says which service failed and why (the end of its log), stops the others, exits 1.
failed() { # name reason
  local log="$FRAUDLOOP_HOME/logs/$1.log"
  echo "!!> $1 $2; the end of $log:" >&2
  tail -n 15 "$log" >&2 || true
  stop_all
  exit 1
}

addr_of() {
  case "$1" in
    web-ui) echo "$WEB_UI_ADDR" ;;
    predict-api) echo "$PREDICT_API_ADDR" ;;
    drift-monitor) echo "$DRIFT_MONITOR_ADDR" ;;
    trainer) echo "$TRAINER_ADDR" ;;
    feedback-agent) echo "$FEEDBACK_AGENT_ADDR" ;;
  esac
}

start() { # name: starts it in the background and waits until it answers /health
  local name="$1" log="$FRAUDLOOP_HOME/logs/$1.log" addr
  addr="$(addr_of "$name")"
  case "$name" in
    trainer) "$bin/trainer" serve >"$log" 2>&1 & ;;
    drift-monitor) "$bin/drift-monitor" run >"$log" 2>&1 & ;;
    *) "$bin/$name" >"$log" 2>&1 & ;;
  esac
  pid_of[$name]=$!
  for _ in $(seq 600); do
    kill -0 "${pid_of[$name]}" 2>/dev/null || { wait "${pid_of[$name]}" || true; unset "pid_of[$name]"; failed "$name" "failed to start"; }
    curl -fs -m 2 -o /dev/null "http://$addr/health" && return 0
    sleep 0.1
  done
  failed "$name" "did not answer http://$addr/health within 60 s"
}

for name in "${services[@]}"; do
  # The trainer service came with the closed loop; an older trainer only has the CLI.
  if [ "$name" = trainer ] && ! "$bin/trainer" serve --help >/dev/null 2>&1; then continue; fi
  echo "==> starting $name on http://$(addr_of "$name")"
  start "$name"
done

echo
echo "fraudloop is running (Ctrl-C stops everything; logs in $FRAUDLOOP_HOME/logs/):"
[ -n "${pid_of[web-ui]:-}" ] && echo "  dashboard       http://$WEB_UI_ADDR"
echo "  predict-api     http://$PREDICT_API_ADDR   (API docs: http://$PREDICT_API_ADDR/docs)"
echo "  drift-monitor   http://$DRIFT_MONITOR_ADDR/reports/latest.html   (a report every ${DRIFT_MONITOR_INTERVAL_SECS}s)"
[ -n "${pid_of[trainer]:-}" ] && echo "  trainer         http://$TRAINER_ADDR/jobs   (decisions: http://$TRAINER_ADDR/decisions)"
[ -n "${pid_of[feedback-agent]:-}" ] && echo "  feedback-agent  http://$FEEDBACK_AGENT_ADDR/outbox"
echo "==> ready"

# Until Ctrl-C, or until a service dies: then say which, and stop the rest.
while true; do
  wait -n || true
  for name in "${!pid_of[@]}"; do
    if ! kill -0 "${pid_of[$name]}" 2>/dev/null; then
      unset "pid_of[$name]"
      failed "$name" "stopped unexpectedly"
    fi
  done
done
