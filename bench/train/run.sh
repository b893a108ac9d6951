#!/usr/bin/env bash
# Side-by-side benchmark: Rust `trainer train` vs the scikit-learn baseline
# (bench/train/sklearn_train.py) on the same stratified split, same machine.
#
# Usage: bench/train/run.sh [--runs 3] [--corpus FILE] [--no-build] [--keep]
#   --runs N       timed runs per implementation (default 3); medians are reported
#   --corpus FILE  use this text,label CSV instead of `trainer import spamassassin`
#   --no-build     skip `cargo build --release -p trainer` (use an existing binary)
#   --keep         keep the work dir even on success
# Env: TRAINER=path (default $CARGO_TARGET_DIR|target/release/trainer), PYTHON=python3,
#      SKLEARN_EXTRA_ARGS="--n-jobs 2" (passed through to sklearn_train.py)
# Target: rust wall <= 0.20 x sklearn wall, and rust test F1 >= sklearn test F1 - 0.01.
set -euo pipefail

RUNS=3
CORPUS=""
BUILD=1
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="${2:?--runs needs a value}"; shift 2 ;;
    --runs=*) RUNS="${1#*=}"; shift ;;
    --corpus) CORPUS="${2:?--corpus needs a value}"; shift 2 ;;
    --corpus=*) CORPUS="${1#*=}"; shift ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --runs must be a positive integer" >&2; exit 2; }
if [[ -n "$CORPUS" ]]; then
  [[ -f "$CORPUS" ]] || { echo "run.sh: corpus not found: $CORPUS" >&2; exit 2; }
  CORPUS="$(cd "$(dirname "$CORPUS")" && pwd)/$(basename "$CORPUS")"
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
TRAINER="${TRAINER:-${CARGO_TARGET_DIR:-$ROOT/target}/release/trainer}"
read -r -a SK_EXTRA <<< "${SKLEARN_EXTRA_ARGS:-}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-bench-train.XXXXXX")"
on_exit() {
  local rc=$?
  if [[ $rc -eq 0 && $KEEP -eq 0 ]]; then rm -rf "$WORK"
  else echo "run.sh: work dir kept: $WORK" >&2; fi
}
trap on_exit EXIT
log() { printf '[bench/train] %s\n' "$*" >&2; }

# Wall clock in seconds with sub-second resolution (GNU date, else python).
if [[ "$(date +%N)" =~ ^[0-9]+$ ]]; then now() { date +%s.%N; }
else now() { "$PYTHON" -c 'import time; print(f"{time.time():.6f}")'; }; fi
# GNU time for peak RSS, if present and understands -f.
HAVE_TIME=0
if [[ -x /usr/bin/time ]] && /usr/bin/time -f '%e %M' -o /dev/null true 2>/dev/null; then HAVE_TIME=1; fi

# (a) python deps
if ! "$PYTHON" -c 'import sklearn, numpy, scipy' 2>/dev/null; then
  log "installing scikit-learn"
  "$PYTHON" -m pip install -q scikit-learn
fi

# (b) build
if [[ $BUILD -eq 1 ]]; then
  log "cargo build --release -p trainer"
  cargo build --release -p trainer
fi
[[ -x "$TRAINER" ]] || { echo "run.sh: trainer binary not found: $TRAINER" >&2; exit 1; }

# (c) corpus
if [[ -z "$CORPUS" ]]; then
  CORPUS="$WORK/spamassassin.csv"
  log "importing SpamAssassin corpus -> $CORPUS"
  "$TRAINER" --home "$WORK" import spamassassin --out "$CORPUS"
fi

# (d) split
"$PYTHON" "$HERE/split.py" --data "$CORPUS" --test-size 0.2 --seed 42 --out-dir "$WORK/split"
TRAIN="$WORK/split/train.csv"
TEST="$WORK/split/test.csv"

# run_timed NAME OUT_JSON CMD...  -> appends "wall rss" to $WORK/NAME.time; exits on failure
run_timed() {
  local name="$1" out="$2"; shift 2
  local tf="$WORK/$name.tm" err="$WORK/$name.err" t0 t1 rc=0
  t0="$(now)"
  if [[ $HAVE_TIME -eq 1 ]]; then
    /usr/bin/time -f '%e %M' -o "$tf" "$@" >"$out" 2>"$err" || rc=$?
  else
    "$@" >"$out" 2>"$err" || rc=$?
  fi
  t1="$(now)"
  if [[ $rc -ne 0 ]]; then
    echo "run.sh: $name failed (exit $rc): $*" >&2
    tail -n 30 "$err" >&2
    exit 1
  fi
  local rss="-"
  if [[ $HAVE_TIME -eq 1 && -s "$tf" ]]; then rss="$(tail -n 1 "$tf" | awk '{print $2}')"; fi
  WALL="$("$PYTHON" -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.4f}")' "$t0" "$t1")"
  RSS="$rss"
}

RESULTS="$WORK/results.tsv"
: > "$RESULTS"
run_rust() {
  local i="$1"
  rm -rf "$WORK/home"; mkdir -p "$WORK/home"   # fresh state each run
  run_timed "rust.$i" "$WORK/rust.$i.json" \
    "$TRAINER" --home "$WORK/home" train --data "$TRAIN" --test-data "$TEST" --json
  printf 'rust\t%s\t%s\t%s\t%s\n' "$i" "$WALL" "$RSS" "$WORK/rust.$i.json" >> "$RESULTS"
  log "run $i rust:    wall ${WALL}s  maxrss ${RSS}KB"
}
run_sklearn() {
  local i="$1"
  run_timed "sklearn.$i" "$WORK/sklearn.$i.json" \
    "$PYTHON" "$HERE/sklearn_train.py" --train "$TRAIN" --test "$TEST" --json ${SK_EXTRA[@]+"${SK_EXTRA[@]}"}
  printf 'sklearn\t%s\t%s\t%s\t%s\n' "$i" "$WALL" "$RSS" "$WORK/sklearn.$i.json" >> "$RESULTS"
  log "run $i sklearn: wall ${WALL}s  maxrss ${RSS}KB"
}

# (e) alternate implementations; flip who goes first each run to cancel drift
for ((i = 1; i <= RUNS; i++)); do
  if (( i % 2 == 1 )); then run_rust "$i"; run_sklearn "$i"
  else run_sklearn "$i"; run_rust "$i"; fi
done

# (f) medians table
"$PYTHON" - "$RESULTS" <<'PY'
import json, statistics, sys

def load(path):
    """One JSON object on stdout; tolerate log lines around it."""
    raw = open(path, encoding="utf-8").read()
    try:
        return json.loads(raw)
    except ValueError:
        for line in reversed(raw.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    pass
    sys.exit(f"run.sh: no JSON object in {path}")

def f1_of(d):
    t = d.get("test")
    if isinstance(t, dict) and t.get("f1") is not None:
        return float(t["f1"])
    if d.get("f1") is not None:
        return float(d["f1"])
    sys.exit("run.sh: no .test.f1 or .f1 in trainer output")

def first(d, *keys):
    for k in keys:
        if isinstance(d.get(k), (int, float)):
            return float(d[k])
    return None

rows = {"rust": [], "sklearn": []}
for line in open(sys.argv[1], encoding="utf-8"):
    impl, run, wall, rss, path = line.rstrip("\n").split("\t")
    d = load(path)
    rows[impl].append({
        "wall": float(wall),
        "rss": None if rss == "-" else int(rss),
        "f1": f1_of(d),
        "fit": first(d, "fit_seconds", "train_seconds", "seconds"),
        "tuned": (d.get("test_tuned") or {}).get("f1"),
        "nfeat": d.get("n_features"),
        "ntrain": d.get("n_train"), "ntest": d.get("n_test"),
    })

def med(impl, key):
    xs = [r[key] for r in rows[impl] if r[key] is not None]
    return statistics.median(xs) if xs else None

def fmt(x, spec):
    if x is None:
        width = "".join(c for c in spec.split(".")[0] if c.isdigit())
        return format("-", ">" + width)
    return format(x, spec)

n = len(rows["rust"])
rw, sw, sf = med("rust", "wall"), med("sklearn", "wall"), med("sklearn", "fit")
rf1, sf1, st1 = med("rust", "f1"), med("sklearn", "f1"), med("sklearn", "tuned")
rr, sr = med("rust", "rss"), med("sklearn", "rss")
ratio = rw / sw
strict = rw / sf if sf else None
delta = rf1 - sf1
sk0 = rows["sklearn"][0]
print()
print(f"medians over {n} run(s); n_train={sk0['ntrain']} n_test={sk0['ntest']} "
      f"features rust={rows['rust'][0]['nfeat'] or '-'} sklearn={sk0['nfeat']}")
print(f"{'':22}{'rust':>10}{'sklearn':>10}")
print(f"{'wall s (process)':22}{rw:>10.3f}{sw:>10.3f}")
print(f"{'fit s (internal)':22}{fmt(med('rust', 'fit'), '>10.3f')}{fmt(sf, '>10.3f')}")
print(f"{'peak RSS MB':22}{fmt(rr and rr / 1024, '>10.1f')}{fmt(sr and sr / 1024, '>10.1f')}")
print(f"{'test F1 @0.5':22}{rf1:>10.4f}{sf1:>10.4f}")
print(f"{'test F1 @OOF-best thr':22}{'':>10}{fmt(st1, '>10.4f')}")
print(f"ratio rust wall / sklearn wall     = {ratio:.3f}  (target <= 0.200)")
print(f"ratio rust wall / sklearn fit_s    = {fmt(strict, '.3f')}  (stricter: no python import/CSV read)")
print(f"F1 delta rust - sklearn (@0.5)     = {delta:+.4f}  (target >= -0.0100)")
ok = ratio <= 0.2 and delta >= -0.01
print("verdict:", "PASS" if ok else "FAIL")
PY
