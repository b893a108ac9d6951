#!/usr/bin/env bash
# Resident memory of a scoring process: a ~50k-term model loaded, with and without the jieba
# dictionary (crates/text-model/examples/rss_probe.rs, one fresh process per variant).
#
# Usage: bench/scale/rss.sh [--model MODEL_JSON] [--corpus SPAMASSASSIN_CSV] [--runs 3]
#                           [--terms 50000] [--no-build] [--keep]
#   --model FILE   use this registry bundle's model.json instead of training one
#   --corpus FILE  SpamAssassin CSV from `trainer import spamassassin` (default: import it)
#   --terms N      max_features of the trained model (default 50000)
# Without --model, trains `trainer train` with tfidf.max_features = N on the 100k-row demo
# corpus (40% Chinese) plus the SpamAssassin corpus (the demo corpus alone has ~28k terms),
# so the vocabulary is a realistic English/Chinese mix of N terms.
# Env: TRAINER=path (default $CARGO_TARGET_DIR|target/release/trainer).
# Budget context: the predict service has an RSS budget of 64 MiB with a 50k-term model.
set -euo pipefail

MODEL=""
CORPUS=""
RUNS=3
TERMS=50000
BUILD=1
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --model) MODEL="${2:?}"; shift 2 ;;
    --corpus) CORPUS="${2:?}"; shift 2 ;;
    --runs) RUNS="${2:?}"; shift 2 ;;
    --terms) TERMS="${2:?}"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "rss.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
for f in "$MODEL" "$CORPUS"; do
  [[ -z "$f" || -f "$f" ]] || { echo "rss.sh: not found: $f" >&2; exit 2; }
done
[[ -n "$MODEL" ]] && MODEL="$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")"
[[ -n "$CORPUS" ]] && CORPUS="$(cd "$(dirname "$CORPUS")" && pwd)/$(basename "$CORPUS")"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
TRAINER="${TRAINER:-$TARGET/trainer}"
PROBE="$TARGET/examples/rss_probe"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-bench-rss.XXXXXX")"
on_exit() {
  local rc=$?
  if [[ $rc -eq 0 && $KEEP -eq 0 ]]; then rm -rf "$WORK"
  else echo "rss.sh: work dir kept: $WORK" >&2; fi
}
trap on_exit EXIT
log() { printf '[bench/rss] %s\n' "$*" >&2; }
log "machine: $(nproc 2>/dev/null || echo '?') cpus; load:$(uptime | sed 's/.*load average://')"

if [[ $BUILD -eq 1 ]]; then
  [[ -n "$MODEL" ]] || cargo build --release -p trainer
  cargo build --release -p text-model --example rss_probe
fi
[[ -x "$PROBE" ]] || { echo "rss.sh: $PROBE missing (cargo build --release -p text-model --example rss_probe)" >&2; exit 1; }

if [[ -z "$MODEL" ]]; then
  [[ -x "$TRAINER" ]] || { echo "rss.sh: $TRAINER missing" >&2; exit 1; }
  if [[ -z "$CORPUS" ]]; then
    CORPUS="$WORK/spamassassin.csv"
    "$TRAINER" --home "$WORK/home" import spamassassin --out "$CORPUS"
  fi
  "$TRAINER" demo-data --rows 100000 --out "$WORK/demo.csv"
  python3 - "$WORK/demo.csv" "$CORPUS" "$WORK/mixed.csv" <<'PY'
import csv, sys
csv.field_size_limit(sys.maxsize)
with open(sys.argv[3], "w", newline="", encoding="utf-8") as out:
    w = csv.writer(out)
    w.writerow(["text", "label"])
    for path in sys.argv[1:3]:
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                w.writerow([row["text"], row["label"]])
PY
  printf '[tfidf]\nmax_features = %s\n' "$TERMS" > "$WORK/trainer.toml"
  log "training a ${TERMS}-term model on demo 100k + SpamAssassin"
  "$TRAINER" --home "$WORK/home" train --data "$WORK/mixed.csv" --config "$WORK/trainer.toml" --json \
    > "$WORK/train.json"
  MODEL="$(find "$WORK/home" -name model.json -path '*models*' | head -n 1)"
fi
python3 "$HERE/model_json_to_tsv.py" "$MODEL" "$WORK/model.tsv"
log "model.json $(du -h "$MODEL" | cut -f1), model.tsv $(du -h "$WORK/model.tsv" | cut -f1)"

# variant label -> probe arguments
VARIANTS=("load only|none" "predict en|en" "predict zh (jieba)|zh" "predict mixed (jieba)|mixed"
          "predict zh (bigram tokeniser)|zh --cjk bigram" "load only (bigram tokeniser)|none --cjk bigram")
printf '%s\n' "${VARIANTS[@]}" > "$WORK/variants"
: > "$WORK/results.tsv"
for ((i = 1; i <= RUNS; i++)); do
  for v in "${VARIANTS[@]}"; do
    name="${v%%|*}"; read -r -a args <<< "${v#*|}"
    "$PROBE" "$WORK/model.tsv" "${args[@]}" > "$WORK/probe.out"
    # last VmRSS/VmHWM line = final state; "model loaded" line = before any message
    loaded="$(awk '/^model loaded/ {print $4}' "$WORK/probe.out")"
    final="$(grep VmRSS "$WORK/probe.out" | tail -n 1 | awk '{print $(NF-4), $(NF-1)}')"
    terms="$(awk '/^model:/ {print $2}' "$WORK/probe.out")"
    printf '%s\t%s\t%s\t%s\n' "$name" "$loaded" "$final" "$terms" >> "$WORK/results.tsv"
  done
done
log "load at end:$(uptime | sed 's/.*load average://')"

python3 - "$WORK/results.tsv" <<'PY'
import statistics, sys
from collections import OrderedDict
rows = OrderedDict()
for line in open(sys.argv[1], encoding="utf-8"):
    name, loaded, final, terms = line.rstrip("\n").split("\t")
    rss, hwm = final.split()
    rows.setdefault(name, []).append((float(loaded), float(rss), float(hwm), terms))
base = statistics.median(r[1] for r in rows["load only"])
print()
print(f"model terms: {next(iter(rows.values()))[0][3]}; medians over {len(rows['load only'])} process(es) each")
print(f"{'variant':34}{'RSS loaded':>12}{'RSS final':>11}{'HWM':>9}{'vs load only':>14}{'of 64 MiB':>11}")
for name, rs in rows.items():
    l = statistics.median(r[0] for r in rs)
    f = statistics.median(r[1] for r in rs)
    h = statistics.median(r[2] for r in rs)
    print(f"{name:34}{l:>9.1f} MiB{f:>7.1f} MiB{h:>5.1f} MiB{f - base:>+10.1f} MiB{f / 64:>10.0%}")
PY
