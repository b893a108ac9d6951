#!/usr/bin/env bash
# Measures what the Kubernetes resource requests and limits (deploy/k8s/) are set from: each
# service's resident memory idle and at its peak under load, and predict-api's CPU per request.
# Starts every service on a fresh home with the demo model, drives predict-api with wrk (single
# predictions and batches), asks drift-monitor for a report and the trainer service for a retrain,
# then prints VmRSS/VmHWM per service and the CPU seconds predict-api used per 1000 requests.
#   bench/k8s/resources.sh [BIN_DIR]        (default target/release; needs wrk and curl)
set -euo pipefail
bin="$(realpath "${1:-target/release}")"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export FRAUDLOOP_HOME="$work" RUST_LOG=warn
export PREDICT_API_ADMIN_TOKEN=bench-token-1 DRIFT_MONITOR_ADMIN_TOKEN=bench-token-1
export TRAINER_ADMIN_TOKEN=bench-token-1 FEEDBACK_AGENT_ADMIN_TOKEN=bench-token-1
export PREDICT_API_ADDR=127.0.0.1:18000 DRIFT_MONITOR_ADDR=127.0.0.1:18001 TRAINER_ADDR=127.0.0.1:18002
export FEEDBACK_AGENT_ADDR=127.0.0.1:18003 WEB_UI_ADDR=127.0.0.1:18080
export FEEDBACK_AGENT_KNOWLEDGE_BASE="$PWD/knowledge_base"
export PREDICT_API_URL=http://127.0.0.1:18000 PREDICT_API_URLS=http://127.0.0.1:18000
export DRIFT_MONITOR_URL=http://127.0.0.1:18001 TRAINER_URL=http://127.0.0.1:18002 FEEDBACK_AGENT_URL=http://127.0.0.1:18003
"$bin/trainer" demo-data --out "$work/data/demo_train.csv" --rows 4000 --seed 42 >/dev/null
"$bin/trainer" train --data "$work/data/demo_train.csv" >/dev/null
declare -A pid_of
start() { local name=$1; shift; "$@" >"$work/$name.log" 2>&1 & pids+=($!); pid_of[$name]=$!; }
start predict-api "$bin/predict-api"
start drift-monitor "$bin/drift-monitor" run
start trainer "$bin/trainer" serve
[ -x "$bin/feedback-agent" ] && start feedback-agent "$bin/feedback-agent"
[ -x "$bin/web-ui" ] && start web-ui "$bin/web-ui"
for port in 18000 18001 18002; do
  for _ in $(seq 100); do curl -sf "127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
done
sleep 1
rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %.1f ", $1, $2/1024}' "/proc/$1/status"; }
cpu_secs() { awk -v t="$(getconf CLK_TCK)" '{print ($14+$15)/t}' "/proc/$1/stat"; }
echo "idle (MiB):"
for s in "${!pid_of[@]}"; do echo "  $s $(rss "${pid_of[$s]}")"; done
cat >"$work/predict.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"text": "URGENT: your account is suspended, verify at http://bank-secure.top/login within 24 hours or pay a $50 fee", "channel": "sms"}'
LUA
before=$(cpu_secs "${pid_of[predict-api]}")
out=$(wrk -t2 -c32 -d15s -s "$work/predict.lua" http://127.0.0.1:18000/predict)
after=$(cpu_secs "${pid_of[predict-api]}")
reqs=$(echo "$out" | awk '/requests in/ {print $1}')
echo "predict-api /predict: $(echo "$out" | awk '/Requests\/sec/ {print $2}') req/s, $reqs requests"
awk -v a="$after" -v b="$before" -v n="$reqs" 'BEGIN {printf "predict-api CPU: %.3f core-seconds per 1000 requests\n", (a-b)*1000/n}'
# A batch of 1000 rows (the largest request) for the peak.
head -1001 "$work/data/demo_train.csv" | curl -s -o /dev/null -H 'content-type: text/csv' --data-binary @- 127.0.0.1:18000/predict/batch
curl -s -o /dev/null -X POST -H 'Authorization: Bearer bench-token-1' 127.0.0.1:18001/admin/run
curl -s -o /dev/null -X POST -H 'Authorization: Bearer bench-token-1' -H 'content-type: application/json' \
  -d '{"kind":"retrain","reason":"resources"}' 127.0.0.1:18002/jobs
for _ in $(seq 120); do
  curl -s 127.0.0.1:18002/jobs | grep -q '"state":"\(succeeded\|rejected\|failed\)"' && break; sleep 1
done
echo "after load, a report and a retrain (MiB):"
for s in "${!pid_of[@]}"; do echo "  $s $(rss "${pid_of[$s]}")"; done
