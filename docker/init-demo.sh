#!/bin/bash
# The compose stack's one-shot init: on first start, writes the demo corpus and trains the first
# model into the shared home; on later starts (a production model exists) it does nothing.
set -euo pipefail
home="${FRAUDLOOP_HOME:-/srv/fraudloop}"
demo="$home/data/demo_train.csv"
rows="${DEMO_ROWS:-4000}"
if trainer list --json | grep -q '"production":"v'; then
  echo "init: a production model exists; nothing to do"
  trainer list
  exit 0
fi
if [ ! -f "$demo" ]; then
  echo "init: writing the demo corpus to $demo ($rows rows)"
  trainer demo-data --out "$demo" --rows "$rows" --seed 42
fi
echo "init: training the first model on $demo"
trainer train --data "$demo"
trainer list
