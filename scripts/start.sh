#!/usr/bin/env bash
# Starts fraudloop locally without Docker: builds the binaries, generates the demo corpus and
# trains the first model when the home has none, then prints the model's metrics.
# FRAUDLOOP_HOME (default: the repository root) is the shared volume: artifacts/, data/.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export FRAUDLOOP_HOME="${FRAUDLOOP_HOME:-$repo}"
cd "$repo"

echo "==> building (release)"
cargo build --release --locked -p trainer
bin="$repo/target/release"

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

echo "==> registered models in $FRAUDLOOP_HOME/artifacts"
"$bin/trainer" list
