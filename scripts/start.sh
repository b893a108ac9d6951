#!/usr/bin/env bash
# Starts fraudloop locally without Docker: builds the binaries, generates the demo corpus and
# trains the first model when the home has none, then runs predict-api in the foreground.
# FRAUDLOOP_HOME (default: the repository root) is the shared volume: artifacts/, data/.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export FRAUDLOOP_HOME="${FRAUDLOOP_HOME:-$repo}"
export PREDICT_API_ADDR="${PREDICT_API_ADDR:-127.0.0.1:8000}"
cd "$repo"

echo "==> building (release; the first build takes a few minutes)"
cargo build --release --locked -p trainer -p predict-api
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
echo "==> starting predict-api on http://$PREDICT_API_ADDR  (docs: http://$PREDICT_API_ADDR/docs, Ctrl-C stops)"
exec "$bin/predict-api"
