#!/usr/bin/env bash
# N predict-api replicas behind a load balancer (nginx) on loopback, on each backend: files (one
# shared home, as on one machine) and PostgreSQL + S3 (moto), started by tests/stores/servers.sh.
# Per round and backend: wrk through nginx (bench/predict/predict.lua, 32 connections) with the
# throughput, p50/p99, requests per replica and requests per predict-api core-second (CPU time
# of the replicas from /proc), and PostgreSQL's CPU per request; then, on each backend, a
# promotion under load (non-2xx, seconds until every replica serves it) and kill -9 of a
# replica right after a 201 on /feedback while the load runs (acknowledged labels stored, and
# /predict answers that failed through the balancer). Results as medians in results.md.
#
# Usage: bench/scaled/run.sh [--replicas 2] [--rounds 3] [--duration 10s] [--out DIR]
# Needs: release binaries of predict-api and trainer (cargo build --release -p predict-api
# -p trainer), wrk, nginx (apt-get install nginx-light), python3, psql.
set -euo pipefail
REPLICAS=2 ROUNDS=3 DURATION=10s OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --replicas) REPLICAS="${2:?}"; shift 2 ;;
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --duration) DURATION="${2:?}"; shift 2 ;;
    --out) OUT="${2:?}"; shift 2 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
for tool in wrk nginx python3 psql; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found" >&2; exit 2; }
done
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
for b in predict-api trainer; do
  [ -x "$BIN/$b" ] || { echo "run.sh: $BIN/$b missing (cargo build --release -p $b)" >&2; exit 2; }
done
export RUST_LOG=warn
. tests/stores/servers.sh
work="$(mktemp -d /tmp/fraudloop-bench-scaled.XXXXXX)"
OUT="${OUT:-$work/out}"
mkdir -p "$OUT"
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  sleep 0.3
}
trap 'stop_all; stores_stop; echo "work dir: $work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

psql -q -h 127.0.0.1 -p "$STORES_PG_PORT" -U fraudloop -d postgres -c 'CREATE DATABASE fraudloop_bench'
PG_URL="postgres://fraudloop@127.0.0.1:$STORES_PG_PORT/fraudloop_bench"
S3_URL="$FRAUDLOOP_TEST_S3_URL/bench"
"$BIN/trainer" --home "$work/files" demo-data --out "$work/train.csv" --rows 2000 --seed 1 >/dev/null

# backend -> environment of every process of that backend.
backend_env() {
  case "$1" in
    files) echo "FRAUDLOOP_HOME=$work/files" ;;
    postgres) echo "FRAUDLOOP_HOME=$work/pg-home FRAUDLOOP_DATABASE_URL=$PG_URL FRAUDLOOP_BUNDLE_STORE=$S3_URL" ;;
  esac
}
for backend in files postgres; do
  # Two versions: v0001 served, v0002 for the promotion under load.
  for seed in 1 2; do
    env $(backend_env $backend) FRAUDLOOP_TRAINER_SEED=$seed \
      "$BIN/trainer" train --data "$work/train.csv" --json >/dev/null
  done
done

lb=$(free_port)
start_backend() { # backend -> replicas and nginx in front of them; writes $work/ports, $work/pids
  local backend=$1 servers="" port
  : >"$work/ports"; : >"$work/replica-pids"
  for i in $(seq "$REPLICAS"); do
    port=$(free_port)
    env $(backend_env "$backend") PREDICT_API_ADDR=127.0.0.1:$port PREDICT_API_RELOAD_POLL_MS=200 \
      PREDICT_API_INSTANCE="$backend-r$i" "$BIN/predict-api" >>"$work/$backend-r$i.log" 2>&1 &
    pids+=($!)
    echo "$port" >>"$work/ports"
    echo "$!" >>"$work/replica-pids"
    servers+="    server 127.0.0.1:$port max_fails=0;"$'\n'
  done
  cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx-body;
  upstream predict { least_conn;
$servers    keepalive 64; }
  server {
    listen 127.0.0.1:$lb;
    location / {
      proxy_pass http://predict;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
    # Scoring has no effect a retry could repeat: a request whose replica died is sent to
    # another (POST is not retried by default).
    location = /predict {
      proxy_pass http://predict;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 non_idempotent;
    }
  }
}
EOF
  nginx -c "$work/nginx.conf" -p "$work"
  for port in $(cat "$work/ports"); do
    for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.1; done
  done
}

echo "== $REPLICAS replicas behind nginx; $ROUNDS rounds of $DURATION per backend"
: >"$OUT/rounds.jsonl"
for round in $(seq "$ROUNDS"); do
  for backend in files postgres; do
    start_backend $backend
    wrk -t2 -c32 -d2s -s bench/predict/predict.lua "http://127.0.0.1:$lb/predict" >/dev/null
    python3 bench/scaled/drive.py measure --backend $backend --round "$round" --lb "$lb" \
      --duration "$DURATION" --ports "$(paste -sd, "$work/ports")" \
      --pids "$(paste -sd, "$work/replica-pids")" >>"$OUT/rounds.jsonl"
    tail -n1 "$OUT/rounds.jsonl"
    stop_all
  done
done

echo "== promotion and kill -9 under load, each backend"
: >"$OUT/events.jsonl"
for backend in files postgres; do
  start_backend $backend
  python3 bench/scaled/drive.py events --backend $backend --lb "$lb" --bin "$BIN" \
    --env "$(backend_env $backend)" --ports "$(paste -sd, "$work/ports")" \
    --pids "$(paste -sd, "$work/replica-pids")" \
    --psql "psql -h 127.0.0.1 -p $STORES_PG_PORT -U fraudloop -d fraudloop_bench -At" \
    --data "$work/files/data" >>"$OUT/events.jsonl"
  tail -n1 "$OUT/events.jsonl"
  stop_all
done
python3 bench/scaled/drive.py summarize --rounds "$OUT/rounds.jsonl" --events "$OUT/events.jsonl" \
  --replicas "$REPLICAS" | tee "$OUT/results.md"
