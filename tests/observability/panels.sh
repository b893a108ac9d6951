#!/usr/bin/env bash
# Dashboards and alerts against real data: starts predict-api (2 replicas), drift-monitor,
# trainer serve, feedback-agent (with a local OpenAI-compatible chat endpoint,
# tests/observability/fake_openai.py) and web-ui on loopback with a fresh home, a real Prometheus
# (Debian's `prometheus`) scraping them with prometheus/alerts.yml loaded, and drives every
# event a panel or an alert reads: traffic, feedback, failed retraining jobs and failed alert
# deliveries (before any model exists), a failed model reload, a failed drift report, a
# promotion, notices written by the model and by the templates (after the endpoint's 500s), and
# answers on confirm pages. Then checks through Prometheus's HTTP API that every Grafana panel
# query and annotation returns data, every series an alert reads exists, and every rule
# evaluates without error (tests/observability/check_queries.py). About 30 s with built binaries.
#
#   tests/observability/panels.sh                 # binaries from target/debug (cargo build first)
#   BIN_DIR=target/release tests/observability/panels.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
bin="${BIN_DIR:-${CARGO_TARGET_DIR:-$repo/target}/debug}"
base="${PANELS_PORT_BASE:-19180}"
pa1=$base pa2=$((base + 1)) dm=$((base + 2)) tr=$((base + 3)) fa=$((base + 4)) ui=$((base + 5))
llm=$((base + 6)) dead_hook=$((base + 7)) prom_port=$((base + 10))
for b in predict-api drift-monitor trainer feedback-agent web-ui; do
  [ -x "$bin/$b" ] || { echo "no $bin/$b: build first (cargo build -p $b) or set BIN_DIR" >&2; exit 1; }
done
for port in $pa1 $pa2 $dm $tr $fa $ui $llm $dead_hook $prom_port; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is in use (PANELS_PORT_BASE=$base): stop what listens there or pick another base" >&2
    exit 1
  fi
done
command -v prometheus >/dev/null || { echo "prometheus not found (Debian package prometheus)" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-panels.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "${PANELS_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
export FRAUDLOOP_HOME="$work/home" RUST_LOG=warn
export PREDICT_API_ADMIN_TOKEN=panels-admin-token DRIFT_MONITOR_ADMIN_TOKEN=panels-admin-token
export TRAINER_ADMIN_TOKEN=panels-admin-token FEEDBACK_AGENT_ADMIN_TOKEN=panels-admin-token
export AGENT_LINK_SECRET=panels-link-secret-0123456789
export PREDICT_API_RELOAD_POLL_MS=200 DRIFT_MONITOR_INTERVAL_SECS=3600
# The loop's alerts go to a webhook nobody listens on (one attempt each): failed deliveries.
export FRAUDLOOP_LOOP__ALERT_WEBHOOKS="http://127.0.0.1:$dead_hook/hook" FRAUDLOOP_LOOP__ALERT_ATTEMPTS=1
export FRAUDLOOP_LOOP__POLL_SECS=1
mkdir -p "$FRAUDLOOP_HOME/data"
T="$bin/trainer"

wait_ready() {
  for _ in $(seq 1 150); do curl -fsS -m 2 -o /dev/null "$1/ready" 2>/dev/null && return 0; sleep 0.2; done
  echo "not ready: $1/ready" >&2; return 1
}
metric() { curl -fsS -m 5 "$1/metrics" | grep -c "$2" || true; }

echo "== Prometheus on 127.0.0.1:$prom_port: prometheus/prometheus.yml with loopback targets, 1 s scrapes"
python3 - "$repo/prometheus/prometheus.yml" "$work/prometheus.yml" "$pa1,$pa2" "$dm" "$tr" "$fa" "$ui" <<'PY'
import re, sys
src, dst, pa, dm, tr, fa, ui = sys.argv[1:]
text = open(src).read()
# Same jobs, rules and labels as the stack; only the addresses (and the pace) differ.
text = text.replace("scrape_interval: 15s", "scrape_interval: 1s").replace("evaluation_interval: 15s", "evaluation_interval: 1s")
text = re.sub(r"dns_sd_configs:\n\s+- names: \[predict-api\]\n\s+type: A\n\s+port: 8000\n\s+refresh_interval: 15s",
              "static_configs:\n      - targets: [" + ", ".join(f'"127.0.0.1:{p}"' for p in pa.split(",")) + "]", text)
for name, port in [("drift-monitor:8001", dm), ("trainer:8002", tr), ("feedback-agent:8003", fa), ("web-ui:8080", ui)]:
    assert name in text, name
    text = text.replace(name, f"127.0.0.1:{port}")
text = text.replace("  - alerts.yml", f"  - {src.rsplit('/', 1)[0]}/alerts.yml")
assert "dns_sd_configs" not in text
open(dst, "w").write(text)
PY
promtool check config "$work/prometheus.yml" >/dev/null
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)
prom="http://127.0.0.1:$prom_port"
for _ in $(seq 1 100); do curl -fsS -m 2 -o /dev/null "$prom/-/ready" 2>/dev/null && break; sleep 0.2; done
curl -fsS -m 2 -o /dev/null "$prom/-/ready" || { tail "$work/prometheus.log" >&2; exit 1; }

# Waits until Prometheus has scraped the job's targets, so it sees every event that follows.
scraped() {
  for _ in $(seq 1 100); do
    n="$(curl -fsS -m 2 "$prom/api/v1/query" --data-urlencode "query=count(up{job=\"$1\"} == 1)" \
      | sed -n 's/.*"value":\[[0-9.]*,"\([0-9]*\)"\].*/\1/p')"
    [ "${n:-0}" = "$2" ] && return 0
    sleep 0.2
  done
  echo "Prometheus does not scrape $2 target(s) of $1" >&2; return 1
}

echo "== two predict-api replicas and trainer serve before any model exists"
for port in $pa1 $pa2; do
  "$bin/predict-api" --addr "127.0.0.1:$port" >"$work/predict-api-$port.log" 2>&1 &
  pids+=($!)
done
TRAINER_ADDR="127.0.0.1:$tr" PREDICT_API_URLS="http://127.0.0.1:$pa1,http://127.0.0.1:$pa2" \
  "$T" serve >"$work/trainer.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$tr"
scraped predict-api 2
scraped trainer 1

# A retraining job without a production model fails, and its alert fails to reach the dead
# webhook. Two, a scrape apart, so the jobs panel sees an increase.
job_state() {
  curl -fsS -m 5 "http://127.0.0.1:$tr/jobs/$1" -H "Authorization: Bearer $TRAINER_ADMIN_TOKEN" \
    | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p'
}
for attempt in 1 2; do
  job="$(curl -fsS -m 10 "http://127.0.0.1:$tr/jobs" -H "Authorization: Bearer $TRAINER_ADMIN_TOKEN" \
    -H 'content-type: application/json' -H "Idempotency-Key: panels-$attempt" \
    -d '{"kind": "retrain", "reason": "panels check: no model yet"}' | sed -n 's/.*"job_id":"\([^"]*\)".*/\1/p')"
  [ -n "$job" ] || { echo "POST /jobs gave no job id" >&2; exit 1; }
  for _ in $(seq 1 50); do [ "$(job_state "$job")" = failed ] && break; sleep 0.2; done
  [ "$(job_state "$job")" = failed ] || { echo "job $job did not fail without a model" >&2; exit 1; }
  [ "$attempt" = 2 ] || sleep 1.5
done
echo "   2 retraining jobs failed (no model), their alerts undeliverable"

echo "== predict-api before any model exists (a request gets 503 no_model)"
# Twice, a scrape apart: the 503 series starts at its first request, so only the second one is
# an increase a rate can see (as with every labelled counter).
for attempt in 1 2; do
  code="$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$pa1/predict" \
    -H 'content-type: application/json' -d '{"text": "hello"}')"
  [ "$code" = 503 ] || { echo "expected 503 without a model, got $code" >&2; exit 1; }
  [ "$attempt" = 2 ] || sleep 1.5
done

echo "== demo data, first model (production) and a second one"
"$T" demo-data --out "$FRAUDLOOP_HOME/data/demo_train.csv" --rows "${PANELS_ROWS:-1000}" --seed 42 >/dev/null
"$T" train --data "$FRAUDLOOP_HOME/data/demo_train.csv" >/dev/null
"$T" demo-data --out "$work/second.csv" --rows "${PANELS_ROWS:-1000}" --seed 43 >/dev/null
"$T" train --data "$work/second.csv" >/dev/null
wait_ready "http://127.0.0.1:$pa1"
wait_ready "http://127.0.0.1:$pa2"

"$bin/drift-monitor" run --addr "127.0.0.1:$dm" >"$work/drift-monitor.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$dm"
scraped drift-monitor 1
# feedback-agent with a chat endpoint on loopback (no embeddings key: lexical retrieval),
# one retry of a failed call and short waits.
python3 "$repo/tests/observability/fake_openai.py" "$llm" >"$work/fake-openai.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do grep -q ready "$work/fake-openai.log" 2>/dev/null && break; sleep 0.1; done
FEEDBACK_AGENT_ADDR="127.0.0.1:$fa" PREDICT_API_URL="http://127.0.0.1:$pa1" \
  AGENT_PUBLIC_URL="http://127.0.0.1:$fa" FEEDBACK_AGENT_KNOWLEDGE_BASE="$repo/knowledge_base" \
  GROQ_API_KEY=panels-fake-key GROQ_BASE_URL="http://127.0.0.1:$llm/v1" GROQ_MODEL=fake-model \
  FEEDBACK_AGENT_LLM_RETRIES=1 FEEDBACK_AGENT_LLM_MAX_WAIT_MS=100 \
  "$bin/feedback-agent" >"$work/feedback-agent.log" 2>&1 &
pids+=($!)
WEB_UI_ADDR="127.0.0.1:$ui" PREDICT_API_URL="http://127.0.0.1:$pa1" \
  DRIFT_MONITOR_URL="http://127.0.0.1:$dm" TRAINER_URL="http://127.0.0.1:$tr" \
  FEEDBACK_AGENT_URL="http://127.0.0.1:$fa" "$bin/web-ui" >"$work/web-ui.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$fa"
wait_ready "http://127.0.0.1:$ui"
scraped feedback-agent 1

echo "== traffic through both replicas: 150 drifted messages as a batch, 60 single, 40 feedback labels"
"$T" demo-data --out "$work/drifted.csv" --rows 150 --drifted --seed 7 >/dev/null
curl -fsS -m 30 "http://127.0.0.1:$pa1/predict/batch" -H 'content-type: text/csv' \
  --data-binary @"$work/drifted.csv" -o /dev/null
for i in $(seq 1 60); do
  port=$((i % 2 ? pa1 : pa2))
  if [ $((i % 2)) = 0 ]; then text="URGENT $i: account locked, verify at http://secure-bank-$i.top"
  else text="Lunch at $i? the usual place"; fi
  out="$(curl -fsS -m 10 "http://127.0.0.1:$port/predict" -H 'content-type: application/json' -d "{\"text\": \"$text\"}")"
  if [ "$i" -le 40 ]; then
    id="$(printf '%s' "$out" | sed -n 's/.*"prediction_id":"\([^"]*\)".*/\1/p')"
    if [ $((i % 2)) = 0 ]; then label=fraud; else label=legit; fi
    curl -fsS -m 10 -o /dev/null "http://127.0.0.1:$port/feedback" -H 'content-type: application/json' \
      -d "{\"prediction_id\": \"$id\", \"label\": \"$label\", \"source\": \"operator\"}"
  fi
done

echo "== notices: 2 written by the chat model, 2 by the templates after its 500s; 2 answers on confirm pages"
notify() {
  curl -fsS -m 30 "http://127.0.0.1:$fa/notify" -H 'content-type: application/json' \
    -d "{\"text\": \"$1\", \"contact\": {\"name\": \"Panels\"}, \"channel\": \"outbox\"}"
}
field() { python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval("d" + sys.argv[1]))' "$1"; }
links=()
for round in 1 2; do
  out="$(notify "URGENT $round: your account is locked, verify now at http://secure-bank-$round.top")"
  [ "$(printf '%s' "$out" | field '["path"]')" = llm ] || { echo "expected a notice by the chat model: $out" >&2; exit 1; }
  links+=("$(printf '%s' "$out" | field '["links"]["confirm"]')")
  out="$(notify "FAIL-LLM $round: your parcel is held, pay the fee at http://parcel-$round.top")"
  [ "$(printf '%s' "$out" | field '["path"]')" = template ] || { echo "expected a template notice: $out" >&2; exit 1; }
  [ "$round" = 2 ] || sleep 1.5
done
for i in 0 1; do
  token="${links[$i]#*token=}"
  code="$(curl -sS -m 30 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$fa/confirm" \
    --data-urlencode "token=$token" --data-urlencode answer=confirm)"
  [ "$code" = 200 ] || { echo "POST /confirm answered $code" >&2; exit 1; }
  [ "$i" = 1 ] || sleep 1.5
done

echo "== a bundle that fails verification as production: failed reloads and a failed drift report"
models="$FRAUDLOOP_HOME/artifacts/models"
cp -a "$models/v0002" "$models/v0099"
printf ' ' >>"$models/v0099/model.json"
cp "$FRAUDLOOP_HOME/artifacts/aliases.json" "$work/aliases.json"
printf '{"production":"v0099","previous":"v0001"}' >"$FRAUDLOOP_HOME/artifacts/aliases.json"
for _ in $(seq 1 50); do
  [ "$(metric "http://127.0.0.1:$pa1" 'fraudloop_model_reloads_total{result="failed"}')" != 0 ] \
    && [ "$(metric "http://127.0.0.1:$pa2" 'fraudloop_model_reloads_total{result="failed"}')" != 0 ] && break
  sleep 0.2
done
curl -sS -m 30 -o /dev/null -X POST "http://127.0.0.1:$dm/admin/run" -H "Authorization: Bearer $DRIFT_MONITOR_ADMIN_TOKEN"
cp "$work/aliases.json" "$FRAUDLOOP_HOME/artifacts/aliases.json"
rm -rf "$models/v0099"

echo "== promotion of v0002 (a model version change), then a drift report on the labelled traffic"
"$T" promote v0002 --reason "panels check" >/dev/null
for port in $pa1 $pa2; do
  for _ in $(seq 1 50); do
    curl -fsS -m 2 "http://127.0.0.1:$port/model" | grep -c '"model_version":"v0002"' >/dev/null && break
    sleep 0.2
  done
done
curl -fsS -m 60 -o /dev/null -X POST "http://127.0.0.1:$dm/admin/run" -H "Authorization: Bearer $DRIFT_MONITOR_ADMIN_TOKEN"
# Enough scrapes and rule evaluations after the last event for rates and rules.
sleep "${PANELS_SETTLE_SECS:-4}"

echo "== every panel, annotation and alert against Prometheus"
python3 "$repo/tests/observability/check_queries.py" "$prom"
