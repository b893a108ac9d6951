#!/usr/bin/env bash
# Paired A/B load comparison of two predict-api binaries (e.g. before and after a change):
# both serve copies of the same demo model on loopback; wrk alternates between them, round by
# round, with bench/predict/predict.lua's two ~400-character messages at 32 connections.
# Prints each round's req/s and p99 per side and the median of the per-round ratios B/A, so
# a comparison holds when the machine's speed drifts between rounds.
#
# Usage: bench/predict/ab.sh --a OLD_BINARY --b NEW_BINARY [--trainer TRAINER_BINARY]
#                            [--rounds 6] [--duration 8s] [--connections 32] [--callgrind N]
#   --callgrind N   also count instructions per request of each binary under callgrind over
#                   N sequential requests (after 200 warm-up ones): deterministic, whatever
#                   the machine's load; 0 (the default) skips it, and --rounds 0 skips wrk.
#   --callgrind-out DIR  keep the callgrind files there (DIR/a, DIR/b), to attribute the
#                   difference with callgrind_annotate.
# Needs: wrk, curl, python3 (and valgrind for --callgrind). Servers are stopped on exit.
set -euo pipefail
A="" B="" TRAINER="" ROUNDS=6 DURATION=8s CONNECTIONS=32 CALLGRIND=0 CALLGRIND_OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --a) A="${2:?}"; shift 2 ;;
    --b) B="${2:?}"; shift 2 ;;
    --trainer) TRAINER="${2:?}"; shift 2 ;;
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --duration) DURATION="${2:?}"; shift 2 ;;
    --connections) CONNECTIONS="${2:?}"; shift 2 ;;
    --callgrind) CALLGRIND="${2:?}"; shift 2 ;;
    --callgrind-out) CALLGRIND_OUT="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "ab.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ -x "$A" && -x "$B" ]] || { echo "ab.sh: --a and --b must be predict-api binaries" >&2; exit 2; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
TRAINER="${TRAINER:-${CARGO_TARGET_DIR:-$ROOT/target}/release/trainer}"
WORK="$(mktemp -d)"
# start() runs in a command substitution (a subshell), so servers are found by their pid files.
cleanup() {
  for f in "$WORK"/*/pid; do [[ -f "$f" ]] && kill "$(cat "$f")" 2>/dev/null; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/home/data"
"$TRAINER" --home "$WORK/home" demo-data --out "$WORK/home/data/demo.csv" --rows 4000 --seed 42 >/dev/null
"$TRAINER" --home "$WORK/home" train --data "$WORK/home/data/demo.csv" >/dev/null
cp -a "$WORK/home" "$WORK/home-a"
cp -a "$WORK/home" "$WORK/home-b"

start() { # binary home [wrapper...] -> prints port; the server's pid goes to home/pid
  local bin="$1" home="$2" log="$2/server.log"; shift 2
  RUST_LOG=warn "$@" "$bin" --home "$home" --addr 127.0.0.1:0 >"$log" 2>&1 &
  echo "$!" > "$home/pid"
  for _ in $(seq 300); do
    local port
    port="$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$log" 2>/dev/null | head -n1 | sed 's/.*://')" || true
    if [[ -n "$port" ]] && curl -fs "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then echo "$port"; return; fi
    sleep 0.1
  done
  cat "$log" >&2; echo "ab.sh: $bin did not start" >&2; exit 1
}
send() { # port n: n sequential requests alternating the en/zh messages, one connection
  PYTHONPATH="$HERE" python3 - "$1" "$2" <<'PY'
import http.client, json, sys
import messages
port, n = int(sys.argv[1]), int(sys.argv[2])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
for text in messages.mixed(n):
    body = json.dumps({"text": text}, ensure_ascii=False).encode()
    conn.request("POST", "/predict", body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    raw = response.read()
    if response.status != 200:
        sys.exit(f"ab.sh: HTTP {response.status}: {raw[:300]!r}")
PY
}
if [[ $CALLGRIND -gt 0 ]]; then
  echo "instructions per request under callgrind ($CALLGRIND sequential requests, en/zh alternating):"
  for side in a b; do
    bin="$A"; [[ $side == b ]] && bin="$B"
    cp -a "$WORK/home" "$WORK/cg-$side"
    port="$(start "$bin" "$WORK/cg-$side" valgrind --tool=callgrind --callgrind-out-file="$WORK/cg-$side/cg.out")"
    pid="$(cat "$WORK/cg-$side/pid")"
    send "$port" 200
    callgrind_control -z "$pid" >/dev/null
    send "$port" "$CALLGRIND"
    callgrind_control -d "$pid" >/dev/null
    kill "$pid"; wait "$pid" 2>/dev/null || true
    # The dump after zeroing holds the measured requests only (one file per thread dump).
    total="$(grep -h '^summary:' "$WORK/cg-$side/cg.out."* | awk '{s += $2} END {print s}')"
    echo "  $side ($bin): $((total / CALLGRIND))"
    if [[ -n "$CALLGRIND_OUT" ]]; then mkdir -p "$CALLGRIND_OUT/$side"; cp "$WORK/cg-$side/cg.out."* "$CALLGRIND_OUT/$side/"; fi
  done
fi
[[ $ROUNDS -gt 0 ]] || exit 0
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
