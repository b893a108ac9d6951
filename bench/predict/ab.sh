#!/usr/bin/env bash
# Paired A/B load comparison of two predict-api binaries (e.g. before and after a change):
# both serve copies of the same demo model on loopback; wrk alternates between them, round by
# round, with bench/predict/predict.lua's two ~400-character messages at 32 connections.
# Prints each round's req/s and p99 per side and the median of the per-round ratios B/A, so
# a comparison holds when the machine's speed drifts between rounds.
#
# Usage: bench/predict/ab.sh --a OLD_BINARY --b NEW_BINARY [--trainer TRAINER_BINARY]
#                            [--rounds 6] [--duration 8s] [--connections 32]
# Needs: wrk, curl, python3. Servers are started here and stopped on exit.
set -euo pipefail
A="" B="" TRAINER="" ROUNDS=6 DURATION=8s CONNECTIONS=32
while [[ $# -gt 0 ]]; do
  case "$1" in
    --a) A="${2:?}"; shift 2 ;;
    --b) B="${2:?}"; shift 2 ;;
    --trainer) TRAINER="${2:?}"; shift 2 ;;
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --duration) DURATION="${2:?}"; shift 2 ;;
    --connections) CONNECTIONS="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "ab.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -x "$A" && -x "$B" ]] || { echo "ab.sh: --a and --b must be predict-api binaries" >&2; exit 2; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TRAINER="${TRAINER:-${CARGO_TARGET_DIR:-$ROOT/target}/release/trainer}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

mkdir -p "$WORK/home/data"
"$TRAINER" --home "$WORK/home" demo-data --out "$WORK/home/data/demo.csv" --rows 4000 --seed 42 >/dev/null
"$TRAINER" --home "$WORK/home" train --data "$WORK/home/data/demo.csv" >/dev/null
cp -a "$WORK/home" "$WORK/home-a"
cp -a "$WORK/home" "$WORK/home-b"

start() { # binary home -> prints port
  local log="$2/server.log"
  RUST_LOG=warn "$1" --home "$2" --addr 127.0.0.1:0 >"$log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 300); do
    local port
    port="$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$log" 2>/dev/null | head -n1 | sed 's/.*://')" || true
    if [[ -n "$port" ]] && curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then echo "$port"; return; fi
    sleep 0.1
  done
  cat "$log" >&2; echo "ab.sh: $1 did not start" >&2; exit 1
}
PORT_A="$(start "$A" "$WORK/home-a")"
PORT_B="$(start "$B" "$WORK/home-b")"
load() { # port -> "req/s p99_ms"
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$HERE/predict.lua" "http://127.0.0.1:$1/predict" |
    python3 -c '
import sys, json
for line in sys.stdin:
    if line.startswith("BENCH_JSON "):
        d = json.loads(line[len("BENCH_JSON "):])
        print(d["rps"], round(d["p99_us"] / 1000, 2), d["non_2xx"])
'
}
load "$PORT_A" >/dev/null; load "$PORT_B" >/dev/null   # warm-up
echo "round  A_rps  A_p99_ms  B_rps  B_p99_ms  B/A"
ratios=()
for r in $(seq "$ROUNDS"); do
  # Alternate which side goes first, so neither always follows the other.
  if (( r % 2 )); then a="$(load "$PORT_A")"; b="$(load "$PORT_B")"; else b="$(load "$PORT_B")"; a="$(load "$PORT_A")"; fi
  read -r a_rps a_p99 _ <<<"$a"; read -r b_rps b_p99 _ <<<"$b"
  ratio="$(python3 -c "print(f'{$b_rps/$a_rps:.3f}')")"
  ratios+=("$ratio")
  printf '%s  %s  %s  %s  %s  %s\n' "$r" "$a_rps" "$a_p99" "$b_rps" "$b_p99" "$ratio"
done
python3 -c "import statistics,sys; r=[float(x) for x in sys.argv[1:]]; print(f'median B/A throughput ratio {statistics.median(r):.3f} (min {min(r):.3f}, max {max(r):.3f}, {len(r)} rounds)')" "${ratios[@]}"
