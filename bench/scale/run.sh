#!/usr/bin/env bash
# Scale benchmark: `trainer train` on a synthetic demo corpus of 100k messages.
#
# Usage: bench/scale/run.sh [--runs 3] [--rows 100000] [--no-build] [--keep]
#   --runs N      timed runs (default 3); median wall and max peak RSS are reported
#   --rows N      demo corpus size (default 100000; 40% Chinese, 30% fraud, seed 42)
#   --no-build    skip `cargo build --release -p trainer`
#   --keep        keep the work dir (corpus, run outputs, last bundle) even on success
# Env: TRAINER=path (default $CARGO_TARGET_DIR|target/release/trainer)
# Target: wall <= 30 s and peak RSS <= 2 GiB for 100k rows.
set -euo pipefail

RUNS=3
ROWS=100000
BUILD=1
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a value}"; shift 2 ;;
    --rows) ROWS="${2:?--rows needs a value}"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --runs must be a positive integer" >&2; exit 2; }
[[ "$ROWS" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --rows must be a positive integer" >&2; exit 2; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
TRAINER="${TRAINER:-${CARGO_TARGET_DIR:-$ROOT/target}/release/trainer}"
TIME=/usr/bin/time
[[ -x $TIME ]] && $TIME -f '%e %M' -o /dev/null true 2>/dev/null \
  || { echo "run.sh: GNU time missing (apt-get install -y time)" >&2; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-bench-scale.XXXXXX")"
on_exit() {
  local rc=$?
  if [[ $rc -eq 0 && $KEEP -eq 0 ]]; then rm -rf "$WORK"
  else echo "run.sh: work dir kept: $WORK" >&2; fi
}
trap on_exit EXIT
log() { printf '[bench/scale] %s\n' "$*" >&2; }
log "machine: $(nproc 2>/dev/null || echo '?') cpus; load at start:$(uptime | sed 's/.*load average://')"

if [[ $BUILD -eq 1 ]]; then
  log "cargo build --release -p trainer"
  cargo build --release -p trainer
fi
[[ -x "$TRAINER" ]] || { echo "run.sh: trainer binary not found: $TRAINER" >&2; exit 1; }

DATA="$WORK/demo.csv"
log "$TRAINER demo-data --rows $ROWS --out $DATA"
"$TRAINER" demo-data --rows "$ROWS" --out "$DATA"
log "corpus: $(($(wc -l < "$DATA"))) lines, $(du -h "$DATA" | cut -f1)"

RESULTS="$WORK/results.tsv"
: > "$RESULTS"
for ((i = 1; i <= RUNS; i++)); do
  rm -rf "$WORK/home"; mkdir -p "$WORK/home"   # fresh registry each run
  rc=0
  $TIME -f '%e %M %U %S' -o "$WORK/time.$i" \
    "$TRAINER" --home "$WORK/home" train --data "$DATA" --json \
    > "$WORK/run.$i.json" 2> "$WORK/run.$i.err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "run.sh: run $i failed (exit $rc)" >&2; tail -n 30 "$WORK/run.$i.err" >&2; exit 1
  fi
  read -r wall rss user sys < <(tail -n 1 "$WORK/time.$i")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$i" "$wall" "$rss" "$user" "$sys" "$WORK/run.$i.json" >> "$RESULTS"
  log "run $i: wall ${wall}s  maxrss ${rss}KB  user ${user}s sys ${sys}s  load:$(uptime | sed 's/.*load average://')"
done
log "load at end:$(uptime | sed 's/.*load average://')"

python3 - "$RESULTS" "$ROWS" <<'PY'
import json, statistics, sys
runs = []
for line in open(sys.argv[1], encoding="utf-8"):
    i, wall, rss, user, sys_, path = line.rstrip("\n").split("\t")
    d = json.loads(open(path, encoding="utf-8").read().strip().splitlines()[-1])
    runs.append(dict(wall=float(wall), rss=int(rss), cpu=float(user) + float(sys_),
                     seconds=d.get("seconds"), f1=d["f1"], nfeat=d.get("n_features"),
                     ntrain=d.get("train_rows"), ntest=d.get("test_rows")))
wall = statistics.median(r["wall"] for r in runs)
rss = max(r["rss"] for r in runs)
gib = rss / 1024 / 1024
r0 = runs[0]
print()
print(f"rows={sys.argv[2]} (train {r0['ntrain']}, held out {r0['ntest']}), features={r0['nfeat']}, runs={len(runs)}")
print("per run wall s: " + " ".join(f"{r['wall']:.2f}" for r in runs)
      + " | internal s: " + " ".join(f"{r['seconds']:.2f}" for r in runs)
      + " | cpu s: " + " ".join(f"{r['cpu']:.1f}" for r in runs)
      + " | peak RSS MiB: " + " ".join(f"{r['rss'] / 1024:.0f}" for r in runs))
print(f"median wall      {wall:8.2f} s    target <= 30 s     ratio {wall / 30:.3f}")
print(f"max peak RSS     {gib:8.3f} GiB  target <= 2 GiB    ratio {gib / 2:.3f}")
print(f"held-out F1      {statistics.median(r['f1'] for r in runs):8.4f}")
print("verdict:", "PASS" if wall <= 30 and gib <= 2 else "FAIL")
PY
