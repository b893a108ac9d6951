#!/usr/bin/env bash
# Hardening load tests (issue #12): normal /predict and /feedback traffic measured while
#   1. 500 clients send request bodies at one byte per second (slow_bodies.py), and
#   2. 30 clients send feedback on random prediction ids (unknown_ids.py) against ~109 MB of
#      prediction logs.
# Each scenario runs against each given predict-api binary on 127.0.0.1 (a fresh home with a
# demo model), bounded in time (--duration, default 20 s) and stops by itself.
#
# Usage: bench/hardening/run.sh [--before BIN] [--after BIN] [--duration 20] [--slow 500]
#                               [--senders 30] [--rows 115000] [--no-build] [--keep]
#   --before BIN  a predict-api binary built before the fixes (optional)
#   --after BIN   the binary to measure (default: $CARGO_TARGET_DIR/release/predict-api)
#   --no-build    skip `cargo build --release -p predict-api -p trainer`
# Needs: python3 (standard library only). Prints one JSON line per (binary, scenario).
set -euo pipefail

BEFORE=""
AFTER=""
DURATION=20
SLOW=500
SENDERS=30
ROWS=115000
BUILD=1
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --before) BEFORE="${2:?}"; shift 2 ;;
    --after) AFTER="${2:?}"; shift 2 ;;
    --duration) DURATION="${2:?}"; shift 2 ;;
    --slow) SLOW="${2:?}"; shift 2 ;;
    --senders) SENDERS="${2:?}"; shift 2 ;;
    --rows) ROWS="${2:?}"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
[[ -n "$AFTER" ]] || AFTER="$TARGET/release/predict-api"
TRAINER="$TARGET/release/trainer"
log() { printf '[bench/hardening] %s\n' "$*" >&2; }

if [[ $BUILD -eq 1 ]]; then
  log "cargo build --release -p predict-api -p trainer"
  (cd "$ROOT" && cargo build --release -p predict-api -p trainer >&2)
fi
for bin in "$AFTER" "$TRAINER" ${BEFORE:+"$BEFORE"}; do
  [[ -x "$bin" ]] || { echo "run.sh: $bin not found" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-bench-hardening.XXXXXX")"
SERVER_PID=""
on_exit() {
  local rc=$?
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ $rc -eq 0 && $KEEP -eq 0 ]]; then rm -rf "$WORK"; else echo "run.sh: work dir kept: $WORK" >&2; fi
}
trap on_exit EXIT

log "nproc $(nproc), load $(uptime | sed 's/.*load average: //'), commit $(git -C "$ROOT" rev-parse --short HEAD)"
log "a model for every run: trainer demo-data + train"
MODEL_HOME="$WORK/model-home"
mkdir -p "$MODEL_HOME/data"
FRAUDLOOP_HOME="$MODEL_HOME" "$TRAINER" demo-data --out "$MODEL_HOME/data/demo.csv" --rows 4000 --seed 42 >&2
FRAUDLOOP_HOME="$MODEL_HOME" "$TRAINER" train --data "$MODEL_HOME/data/demo.csv" >/dev/null
log "another replica's prediction log: $ROWS rows"
python3 "$HERE/make_log.py" --home "$WORK/log-home" --rows "$ROWS" --ids-out "$WORK/ids.txt"
log "log size: $(du -sh "$WORK/log-home/data/predictions" | cut -f1)"

start_server() { # bin home port
  PREDICT_API_INSTANCE=bench RUST_LOG=warn "$1" --home "$2" --addr "127.0.0.1:$3" \
    >"$WORK/server-$3.out" 2>"$WORK/server-$3.log" &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    if curl -sf "http://127.0.0.1:$3/ready" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "run.sh: predict-api did not become ready" >&2; cat "$WORK/server-$3.log" >&2; exit 1
}
stop_server() {
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run_one() { # label bin
  local label="$1" bin="$2" home port
  home="$WORK/home-$label-slow"; mkdir -p "$home"; cp -r "$MODEL_HOME/artifacts" "$home/"
  port="$(free_port)"; start_server "$bin" "$home" "$port"
  log "$label: slow bodies ($SLOW clients, ${DURATION}s)"
  python3 "$HERE/slow_bodies.py" --port "$port" --slow "$SLOW" --duration "$DURATION" \
    | sed "s/^{/{\"binary\": \"$label\", /"
  stop_server
  home="$WORK/home-$label-ids"; mkdir -p "$home/data"; cp -r "$MODEL_HOME/artifacts" "$home/"
  cp -r "$WORK/log-home/data/predictions" "$home/data/"
  port="$(free_port)"; start_server "$bin" "$home" "$port"
  sleep 3 # the fixed binary indexes the logs in the background at start
  log "$label: unknown ids ($SENDERS senders, ${DURATION}s)"
  python3 "$HERE/unknown_ids.py" --port "$port" --ids "$WORK/ids.txt" --senders "$SENDERS" \
    --duration "$DURATION" | sed "s/^{/{\"binary\": \"$label\", /"
  stop_server
}

ulimit -n 8192 2>/dev/null || true
[[ -n "$BEFORE" ]] && run_one before "$BEFORE"
run_one after "$AFTER"
log "load at end $(uptime | sed 's/.*load average: //')"
