#!/usr/bin/env bash
# Side-by-side benchmark: Rust `trainer train` (C searched by cross-validation) vs the
# scikit-learn baseline (bench/train/sklearn_train.py: GridSearchCV, then out-of-fold scores and
# a final fit at the chosen C) on the same held-out rows, the same C grid and the same folds
# (the grid and every training row's fold are read from the first Rust run), same machine.
#
# Usage: bench/train/run.sh [--runs 3] [--corpus FILE] [--no-build] [--keep]
#   --runs N       timed runs per implementation (default 3); medians are reported
#   --corpus FILE  use this text,label CSV instead of `trainer import spamassassin`
#   --no-build     skip `cargo build --release -p trainer` (use an existing binary)
#   --keep         keep the work dir even on success
# Env: TRAINER=path (default $CARGO_TARGET_DIR|target/release/trainer), PYTHON=python3,
#      SKLEARN_EXTRA_ARGS="--n-jobs 2" (passed through to sklearn_train.py)
# Targets: rust wall (the whole `trainer train`) <= 0.20 x the time of sklearn's GridSearchCV
# alone, and rust test F1 >= sklearn test F1, compared like for like: both at threshold 0.5 and
# both at their out-of-fold max-F1 threshold (the verdict uses the worse of the two deltas).
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
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
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
log "machine: $(nproc 2>/dev/null || echo '?') cpus; load at start:$(uptime | sed 's/.*load average://')"

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

# run_timed NAME OUT_JSON CMD...  -> sets WALL (s), RSS (KB) and CPU (user+sys s); exits on failure
run_timed() {
  local name="$1" out="$2"; shift 2
  local tf="$WORK/$name.tm" err="$WORK/$name.err" t0 t1 rc=0
  t0="$(now)"
  if [[ $HAVE_TIME -eq 1 ]]; then
    /usr/bin/time -f '%e %M %U %S' -o "$tf" "$@" >"$out" 2>"$err" || rc=$?
  else
    "$@" >"$out" 2>"$err" || rc=$?
  fi
  t1="$(now)"
  if [[ $rc -ne 0 ]]; then
    echo "run.sh: $name failed (exit $rc): $*" >&2
    tail -n 30 "$err" >&2
    exit 1
  fi
  local rss="-" cpu="-"
  if [[ $HAVE_TIME -eq 1 && -s "$tf" ]]; then
    rss="$(tail -n 1 "$tf" | awk '{print $2}')"
    cpu="$(tail -n 1 "$tf" | awk '{printf "%.2f", $3 + $4}')"
  fi
  WALL="$("$PYTHON" -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.4f}")' "$t0" "$t1")"
  RSS="$rss"
  CPU="$cpu"
}

RESULTS="$WORK/results.tsv"
: > "$RESULTS"
run_rust() {
  local i="$1"
  rm -rf "$WORK/home"; mkdir -p "$WORK/home"   # fresh state each run
  run_timed "rust.$i" "$WORK/rust.$i.json" \
    "$TRAINER" --home "$WORK/home" train --data "$TRAIN" --test-data "$TEST" --json
  # The bundle's ref_data.csv holds every test row's score: keep it for F1 at threshold 0.5
  # (the trainer's own .test.f1 is at its out-of-fold max-F1 threshold).
  local ref
  ref="$(find "$WORK/home" -name ref_data.csv -path '*models*' | head -n 1)"
  [[ -n "$ref" ]] || { echo "run.sh: no ref_data.csv in the rust bundle" >&2; exit 1; }
  cp "$ref" "$WORK/rust.$i.ref.csv"
  printf 'rust\t%s\t%s\t%s\t%s\t%s\n' "$i" "$WALL" "$RSS" "$CPU" "$WORK/rust.$i.json" >> "$RESULTS"
  log "run $i rust:    wall ${WALL}s  cpu ${CPU}s  maxrss ${RSS}KB"
}
# The grid the trainer searched and the fold of every training row, from the first Rust run,
# so scikit-learn searches the same grid over the same folds.
GRID=""
FOLDS="$WORK/folds.txt"
same_grid_and_folds() {
  GRID="$("$PYTHON" - "$WORK/rust.1.json" "$WORK/rust.1.ref.csv" "$TRAIN" "$FOLDS" <<'PY'
import csv, json, sys
csv.field_size_limit(sys.maxsize)
raw = open(sys.argv[1], encoding="utf-8").read()
d = json.loads(next(l for l in reversed(raw.splitlines()) if l.strip().startswith("{")))
with open(sys.argv[2], newline="", encoding="utf-8") as fh:
    ref = [r for r in csv.DictReader(fh) if r["split"] == "train"]
with open(sys.argv[3], newline="", encoding="utf-8") as fh:
    train = [r["text"] for r in csv.DictReader(fh)]
if len(ref) != len(train) or any(r["text"] != t for r, t in zip(ref, train)):
    sys.exit("run.sh: ref_data.csv's training rows are not train.csv's, in order")
with open(sys.argv[4], "w", encoding="utf-8") as out:
    out.writelines(f"{int(r['fold'])}\n" for r in ref)
print(",".join(repr(float(p["c"])) for p in d["search"]["grid"]))
PY
)"
  log "same grid for both: C in {$GRID}; same $(sort -u "$FOLDS" | wc -l) folds ($FOLDS)"
}
run_sklearn() {
  local i="$1"
  run_timed "sklearn.$i" "$WORK/sklearn.$i.json" \
    "$PYTHON" "$HERE/sklearn_train.py" --train "$TRAIN" --test "$TEST" --json \
    --grid "$GRID" --folds-file "$FOLDS" ${SK_EXTRA[@]+"${SK_EXTRA[@]}"}
  printf 'sklearn\t%s\t%s\t%s\t%s\t%s\n' "$i" "$WALL" "$RSS" "$CPU" "$WORK/sklearn.$i.json" >> "$RESULTS"
  log "run $i sklearn: wall ${WALL}s  cpu ${CPU}s  maxrss ${RSS}KB"
}

# (e) alternate implementations; flip who goes first each run to cancel drift
for ((i = 1; i <= RUNS; i++)); do
  if (( i % 2 == 1 )); then run_rust "$i"; (( i == 1 )) && same_grid_and_folds; run_sklearn "$i"
  else run_sklearn "$i"; run_rust "$i"; fi
done

# (f) medians table
log "load at end:$(uptime | sed 's/.*load average://')"
"$PYTHON" - "$RESULTS" "$TEST" <<'PY'
import csv, json, statistics, sys

csv.field_size_limit(sys.maxsize)

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

def f1_at(pairs, thr):
    """F1 of (score >= thr) for (is_fraud, score) pairs."""
    tp = sum(1 for y, s in pairs if y and s >= thr)
    fp = sum(1 for y, s in pairs if not y and s >= thr)
    fn = sum(1 for y, s in pairs if y and s < thr)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0

def rust_f1_at_05(ref_path):
    """Rust test F1 at 0.5 from the bundle's ref_data.csv (split=test rows, risk_score)."""
    with open(ref_path, newline="", encoding="utf-8") as fh:
        pairs = [(r["label"] == "fraud", float(r["risk_score"]))
                 for r in csv.DictReader(fh) if r["split"] == "test"]
    return f1_at(pairs, 0.5), len(pairs)

def first(d, *keys):
    for k in keys:
        if isinstance(d.get(k), (int, float)):
            return float(d[k])
    return None

n_test_file = sum(1 for _ in csv.reader(open(sys.argv[2], newline="", encoding="utf-8"))) - 1
rows = {"rust": [], "sklearn": []}
for line in open(sys.argv[1], encoding="utf-8"):
    impl, run, wall, rss, cpu, path = line.rstrip("\n").split("\t")
    d = load(path)
    r = {
        "run": int(run),
        "wall": float(wall),
        "rss": None if rss == "-" else int(rss),
        "cpu": None if cpu == "-" else float(cpu),
        "fit": first(d, "fit_seconds", "seconds"),
        "nfeat": d.get("n_features"),
        "c": d.get("c"),
        "search": first(d, "search_seconds"),
    }
    if impl == "rust":
        # .test.f1 is at the model's threshold, chosen for max F1 on out-of-fold scores.
        r["f1_tuned"] = float(d["test"]["f1"])
        r["thr"] = float(d["threshold"])
        r["f1_05"], n_ref = rust_f1_at_05(path[: -len(".json")] + ".ref.csv")
        r["ntrain"], r["ntest"] = d.get("train_rows"), d.get("test_rows")
        if n_ref != n_test_file:
            sys.exit(f"run.sh: ref_data.csv has {n_ref} test rows, test file has {n_test_file}")
    else:
        r["f1_05"] = float(d["test"]["f1"])
        r["f1_tuned"] = float(d["test_tuned"]["f1"])
        r["thr"] = float(d["test_tuned"]["threshold"])
        r["ntrain"], r["ntest"] = d.get("n_train"), d.get("n_test")
    rows[impl].append(r)

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
rr, sr = med("rust", "rss"), med("sklearn", "rss")
ss = med("sklearn", "search")
if not ss:
    sys.exit("run.sh: scikit-learn reported no GridSearchCV time (search_seconds)")
pairs = list(zip(sorted(rows["rust"], key=lambda r: r["run"]),
                 sorted(rows["sklearn"], key=lambda r: r["run"])))
ratio = rw / ss
per_run = [r["wall"] / s["search"] for r, s in pairs]
whole = rw / sw
per_run_whole = [r["wall"] / s["wall"] for r, s in pairs]
strict = rw / sf if sf else None
d05 = med("rust", "f1_05") - med("sklearn", "f1_05")
dtuned = med("rust", "f1_tuned") - med("sklearn", "f1_tuned")
r0, s0 = rows["rust"][0], rows["sklearn"][0]
print()
print(f"medians over {n} run(s); n_train={s0['ntrain']} n_test={s0['ntest']} "
      f"(rust {r0['ntrain']}/{r0['ntest']}) features rust={r0['nfeat'] or '-'} sklearn={s0['nfeat']}")
print(f"{'':24}{'rust':>10}{'sklearn':>10}")
print(f"{'wall s (process)':24}{rw:>10.3f}{sw:>10.3f}")
print(f"{'cpu s (user+sys)':24}{fmt(med('rust', 'cpu'), '>10.2f')}{fmt(med('sklearn', 'cpu'), '>10.2f')}")
print(f"{'internal s':24}{fmt(med('rust', 'fit'), '>10.3f')}{fmt(sf, '>10.3f')}"
      "   (rust: whole train incl. read+bundle; sklearn: search + CV + final fit)")
print(f"{'GridSearchCV s':24}{'':>10}{ss:>10.3f}   (sklearn's search alone)")
print(f"{'chosen C':24}{fmt(med('rust', 'c'), '>10g')}{fmt(med('sklearn', 'c'), '>10g')}"
      f"   (per run: rust {[r['c'] for r, _ in pairs]}, sklearn {[s['c'] for _, s in pairs]})")
print(f"{'peak RSS MB':24}{fmt(rr and rr / 1024, '>10.1f')}{fmt(sr and sr / 1024, '>10.1f')}")
print(f"{'test F1 @0.5':24}{med('rust', 'f1_05'):>10.4f}{med('sklearn', 'f1_05'):>10.4f}")
print(f"{'test F1 @OOF-max-F1 thr':24}{med('rust', 'f1_tuned'):>10.4f}{med('sklearn', 'f1_tuned'):>10.4f}")
print(f"{'  (threshold)':24}{med('rust', 'thr'):>10.4f}{med('sklearn', 'thr'):>10.4f}")
print(f"ratio rust wall / GridSearchCV     = {ratio:.3f}  (target <= 0.200); per run: "
      + " ".join(f"{x:.3f}" for x in per_run))
print(f"ratio rust wall / sklearn wall     = {whole:.3f}  (whole processes); per run: "
      + " ".join(f"{x:.3f}" for x in per_run_whole))
print(f"ratio rust wall / sklearn internal = {fmt(strict, '.3f')}  (no python import/CSV read)")
print(f"F1 delta rust - sklearn @0.5       = {d05:+.4f}  (target >= 0)")
print(f"F1 delta rust - sklearn @OOF thr   = {dtuned:+.4f}  (target >= 0)")
ok = ratio <= 0.2 and min(d05, dtuned) >= 0.0
print("verdict:", "PASS" if ok else "FAIL")
PY
