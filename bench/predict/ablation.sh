#!/usr/bin/env bash
# Where /predict's cost goes: the same load as run.sh against a predict-api built with
# ablation.patch, once with everything on and once with each part turned off, next to the
# trivial axum baseline. Answers "what would the ratio be without X?" in one run.
#
# Usage: bench/predict/ablation.sh [--rounds 4] [--duration 5s] [--callgrind N] [--out DIR]
#   --rounds N      alternating rounds over all variants (default 4)
#   --duration D    length of each wrk round (default 5s)
#   --callgrind N   also count user-space instructions per request under callgrind, over N
#                   sequential requests per variant (default 0: skip; needs valgrind)
#   --out DIR       keep rounds.tsv, results.md and logs here (default: a temp dir, removed)
#
# The patched binary is built from a git worktree of HEAD into the shared target/ and copied
# out; target/release/predict-api is rebuilt from this checkout afterwards.
# Variants: full (nothing off), -log (no prediction log line), -recent (no recent-prediction
# cache entry), -timeout (no request timer), -model (scores "hi there" instead of the message),
# -all (all four off). Needs: wrk, curl, python3, git (and valgrind for --callgrind).
set -euo pipefail

ROUNDS=4
DURATION=5s
CALLGRIND=0
OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) ROUNDS="${2:?}"; shift 2 ;;
    --duration) DURATION="${2:?}"; shift 2 ;;
    --callgrind) CALLGRIND="${2:?}"; shift 2 ;;
    --out) OUT="${2:?}"; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "ablation.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
for tool in wrk curl python3 git; do
  command -v "$tool" >/dev/null || { echo "ablation.sh: $tool not found" >&2; exit 2; }
done
[[ $CALLGRIND -eq 0 ]] || command -v valgrind >/dev/null || { echo "ablation.sh: valgrind not found" >&2; exit 2; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-ablation.XXXXXX")"
if [[ -n "$OUT" ]]; then mkdir -p "$OUT"; OUT="$(cd "$OUT" && pwd)"; else OUT="$WORK/out"; mkdir -p "$OUT"; fi
PIDS=()
on_exit() {
  local rc=$? pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  git -C "$ROOT" worktree remove --force "$WORK/src" 2>/dev/null || true
  if [[ $rc -eq 0 && "$OUT" != "$WORK/out" ]]; then rm -rf "$WORK"; else echo "ablation.sh: work dir kept: $WORK" >&2; fi
}
trap on_exit EXIT
trap 'exit 130' INT TERM
export PYTHONDONTWRITEBYTECODE=1 # no __pycache__ in bench/predict
log() { printf '[bench/predict/ablation] %s\n' "$*" >&2; }

log "building predict-api with ablation.patch (worktree of $(git rev-parse --short HEAD))"
git worktree add --detach "$WORK/src" HEAD > /dev/null
git -C "$WORK/src" apply "$HERE/ablation.patch"
CARGO_TARGET_DIR="$TARGET" cargo build --release --manifest-path "$WORK/src/Cargo.toml" -p predict-api --bins
cp "$TARGET/release/predict-api" "$WORK/predict-api-ablation"
git worktree remove --force "$WORK/src"
log "rebuilding this checkout's binaries"
cargo build --release -p predict-api --examples --bins
cargo build --release -p trainer --bins
ABLATED="$WORK/predict-api-ablation"
TRIVIAL="$TARGET/release/examples/trivial_json"
TRAINER="$TARGET/release/trainer"

DEMO="$WORK/demo-home"
mkdir -p "$DEMO/data"
log "demo home: 4000-row demo corpus, default training settings"
"$TRAINER" --home "$DEMO" demo-data --out "$DEMO/data/demo.csv" --rows 4000 > /dev/null
"$TRAINER" --home "$DEMO" train --data "$DEMO/data/demo.csv" > /dev/null

VARIANTS=(trivial full -log -recent -timeout -model -all)
variant_env() { # variant -> env assignments for the ablated binary
  case "$1" in
    full) ;;
    -log) echo ABLATE_LOG=1 ;;
    -recent) echo ABLATE_RECENT=1 ;;
    -timeout) echo ABLATE_TIMEOUT=1 ;;
    -model) echo ABLATE_MODEL=1 ;;
    -all) echo ABLATE_LOG=1 ABLATE_RECENT=1 ABLATE_TIMEOUT=1 ABLATE_MODEL=1 ;;
  esac
}
declare -A URL PID
# Starts one variant's server on a free port; sets URL[variant] and PID[variant].
start_variant() { # variant [wrapper...]
  local variant="$1"; shift
  local logfile="$OUT/$variant.log" port="" path
  if [[ "$variant" == trivial ]]; then
    "$@" "$TRIVIAL" --addr 127.0.0.1:0 > "$logfile" 2>&1 &
    path=/echo
  else
    local home="$WORK/home$variant"
    rm -rf "$home"; mkdir -p "$home"; cp -r "$DEMO/artifacts" "$home/"
    # shellcheck disable=SC2046 # word splitting of the env assignments is intended
    env RUST_LOG=warn $(variant_env "$variant") "$@" "$ABLATED" --home "$home" --addr 127.0.0.1:0 > "$logfile" 2>&1 &
    path=/predict
  fi
  PID[$variant]=$!
  PIDS+=("$!")
  for _ in $(seq 600); do
    port="$(grep -o 'listening on http://[0-9.]*:[0-9]*' "$logfile" 2>/dev/null | head -n 1 | sed 's/.*://')" || true
    [[ -n "$port" ]] && break
    sleep 0.1
  done
  [[ -n "$port" ]] || { cat "$logfile" >&2; echo "ablation.sh: $variant did not start" >&2; exit 1; }
  URL[$variant]="http://127.0.0.1:$port$path"
  for _ in $(seq 600); do
    curl -fsS -o /dev/null -H 'content-type: application/json' -d '{"text":"ready?"}' "${URL[$variant]}" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "ablation.sh: $variant never answered" >&2; exit 1
}

send() { # url n: n sequential requests, alternating the en/zh messages, over one connection
  PYTHONPATH="$HERE" python3 - "$1" "$2" <<'PY'
import http.client, json, sys, urllib.parse
url, n = urllib.parse.urlsplit(sys.argv[1]), int(sys.argv[2])
import messages
conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
for text in messages.mixed(n):
    body = json.dumps({"text": text}, ensure_ascii=False).encode()
    conn.request("POST", url.path, body=body, headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    raw = response.read()
    if response.status != 200:
        sys.exit(f"ablation.sh: HTTP {response.status}: {raw[:300]!r}")
PY
}

if [[ $CALLGRIND -gt 0 ]]; then
  log "callgrind: $CALLGRIND sequential requests per variant (alternating en/zh)"
  : > "$OUT/callgrind.tsv"
  for variant in "${VARIANTS[@]}"; do
    start_variant "$variant" valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.$variant.out"
    pid="${PID[$variant]}"
    send "${URL[$variant]}" 200
    callgrind_control -z "$pid" > /dev/null
    send "${URL[$variant]}" "$CALLGRIND"
    callgrind_control -d "$pid" > /dev/null
    kill "$pid"; wait "$pid" 2>/dev/null || true
    # The dump after zeroing holds the measured requests only.
    instructions="$(grep -h '^summary:' "$WORK/cg.$variant.out."* | awk '{print $2}' | sort -n | tail -n 1)"
    printf '%s\t%s\n' "$variant" "$((instructions / CALLGRIND))" | tee -a "$OUT/callgrind.tsv" >&2
  done
fi

log "load: $ROUNDS alternating rounds of ${VARIANTS[*]}, 32 connections, $DURATION each"
load_avg() { uptime | sed 's/.*load average: *//'; }
STARTED="$(date -u +%Y-%m-%dT%H:%M:%SZ), load $(load_avg)"
for variant in "${VARIANTS[@]}"; do start_variant "$variant"; done
for variant in "${VARIANTS[@]}"; do
  wrk -t2 -c32 -d2s -s "$HERE/predict.lua" "${URL[$variant]}" > /dev/null # warm-up
done
busy_ticks() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; } # user nice system irq softirq
process_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }
: > "$OUT/rounds.tsv"
for ((r = 1; r <= ROUNDS; r++)); do
  for variant in "${VARIANTS[@]}"; do
    pid="${PID[$variant]}"
    m0="$(busy_ticks)"; read -r u0 s0 < <(process_ticks "$pid")
    line="$(wrk -t2 -c32 -d"$DURATION" --latency -s "$HERE/predict.lua" "${URL[$variant]}" | grep '^BENCH_JSON ' | sed 's/^BENCH_JSON //')"
    m1="$(busy_ticks)"; read -r u1 s1 < <(process_ticks "$pid")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$variant" "$((m1 - m0))" "$((u1 - u0))" "$((s1 - s0))" "$line" >> "$OUT/rounds.tsv"
    log "  round $r $variant: $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.0f req/s, p99 %.2f ms" % (d["rps"], d["p99_us"] / 1e3))' "$line")"
  done
done

ENDED="$(date -u +%Y-%m-%dT%H:%M:%SZ), load $(load_avg)"
python3 - "$OUT/rounds.tsv" "$(getconf CLK_TCK)" "$OUT/callgrind.tsv" "$(git rev-parse --short HEAD)" "$STARTED" "$ENDED" "$ROUNDS" "$DURATION" <<'PY' | tee "$OUT/results.md"
import collections, json, os, statistics, sys
rounds_file, tck, cg_file, commit, started, ended, n_rounds, duration = sys.argv[1:]
tck = int(tck)
print(f"Load phase {started} to {ended}; commit {commit} + ablation.patch; {n_rounds} rounds x {duration}, wrk -t2 -c32.\n")
rows = collections.defaultdict(list)
rps = collections.defaultdict(dict)
for line in open(rounds_file):
    r, variant, busy, user, system, wrk = line.rstrip("\n").split("\t", 5)
    d = json.loads(wrk)
    us = lambda ticks: int(ticks) / tck * 1e6 / d["requests"]
    rows[variant].append((d["rps"], us(busy), us(user), us(system), d["p99_us"] / 1e3))
    rps[r][variant] = d["rps"]
instructions = {}
if os.path.exists(cg_file):
    for line in open(cg_file):
        variant, n = line.split()
        instructions[variant] = int(n)
print("| variant | req/s | ratio to trivial (paired median, range) | machine CPU µs/req | server user µs/req | server sys µs/req | p99 ms | instructions/req |")
print("|---|---|---|---|---|---|---|---|")
for variant, v in rows.items():
    ratios = [rps[r][variant] / rps[r]["trivial"] for r in rps]
    med = lambda i: statistics.median(x[i] for x in v)
    print("| %s | %.0f | %.3f (%.3f–%.3f) | %.1f | %.1f | %.1f | %.2f | %s |" % (
        variant, med(0), statistics.median(ratios), min(ratios), max(ratios),
        med(1), med(2), med(3), med(4),
        "%.1fk" % (instructions[variant] / 1e3) if variant in instructions else "–"))
PY
