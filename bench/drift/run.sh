#!/usr/bin/env bash
# drift-monitor benchmark: a full report (10k reference vs 10k current), a 1M-row
# prediction-log scan, and the false-alarm rate of the drift verdicts per window size,
# against the issue's targets.
#
# Usage: bench/drift/run.sh [--report-runs 5] [--scan-runs 3] [--rows 1000000]
#                           [--last-n 5000] [--only report|scan|false-alarms]
#                           [--fa-windows 200] [--fa-sizes 100,200,500,1000,2000,5000]
#                           [--fa-seed 1] [--fa-csv FILE] [--no-build] [--keep]
#   --report-runs N  timed run_once calls (default 5); each phase is also timed N times
#   --scan-runs N    timed Current::read scans, each in a fresh process (default 3)
#   --rows N         prediction-log rows for the scan (default 1000000, ~950 MB on disk)
#   --last-n N       window of the scan (default 5000)
#   --only MODE      run only one benchmark (the default runs report and scan; false-alarms,
#                    ~10 min, only when asked for)
#   --fa-windows N   false-alarms: random windows per size, and drifted 100-row windows
#   --fa-sizes LIST  false-alarms: window sizes
#   --fa-seed N      false-alarms: seed of the windows
#   --fa-csv FILE    false-alarms: real labelled mail (text,label) instead of the demo corpus;
#                    per window a fresh random half trains the model, the window comes from
#                    the other half
#   --no-build       skip `cargo build --release -p drift-monitor --examples`
#   --keep           keep the work dir (homes, logs, raw output)
# Env: CARGO_TARGET_DIR (binary: $CARGO_TARGET_DIR|target/release/examples/bench_drift)
# Targets: report median <= 1 s; scan median <= 10 s with peak RSS bounded by the window
# (checked: a 10x smaller log gives the same VmHWM within 25%); false alarms <= 5 % per verdict
# at every window size, and a real shift caught in >= 90 % of 100-row windows.
set -euo pipefail

REPORT_RUNS=5
SCAN_RUNS=3
ROWS=1000000
LAST_N=5000
ONLY=""
FA_WINDOWS=200
FA_SIZES=100,200,500,1000,2000,5000
FA_SEED=1
FA_CSV=""
BUILD=1
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --report-runs) REPORT_RUNS="${2:?}"; shift 2 ;;
    --scan-runs) SCAN_RUNS="${2:?}"; shift 2 ;;
    --rows) ROWS="${2:?}"; shift 2 ;;
    --last-n) LAST_N="${2:?}"; shift 2 ;;
    --only) ONLY="${2:?}"; shift 2 ;;
    --fa-windows) FA_WINDOWS="${2:?}"; shift 2 ;;
    --fa-sizes) FA_SIZES="${2:?}"; shift 2 ;;
    --fa-seed) FA_SEED="${2:?}"; shift 2 ;;
    --fa-csv) FA_CSV="${2:?}"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
for v in "$REPORT_RUNS" "$SCAN_RUNS" "$ROWS" "$LAST_N" "$FA_WINDOWS"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: counts must be positive integers" >&2; exit 2; }
done
[[ "$FA_SEED" =~ ^[0-9]+$ ]] || { echo "run.sh: --fa-seed must be a non-negative integer" >&2; exit 2; }
[[ "$FA_SIZES" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || { echo "run.sh: --fa-sizes 100,200,..." >&2; exit 2; }
[[ -z "$FA_CSV" || -r "$FA_CSV" ]] || { echo "run.sh: --fa-csv $FA_CSV is not readable" >&2; exit 2; }
case "$ONLY" in ""|report|scan|false-alarms) ;; *) echo "run.sh: --only report|scan|false-alarms" >&2; exit 2 ;; esac

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_drift"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-bench-drift.XXXXXX")"
on_exit() {
  local rc=$?
  if [[ $rc -eq 0 && $KEEP -eq 0 ]]; then rm -rf "$WORK"
  else echo "run.sh: work dir kept: $WORK" >&2; fi
}
trap on_exit EXIT
log() { printf '[bench/drift] %s\n' "$*" >&2; }

log "nproc $(nproc), load at start: $(uptime | sed 's/.*load average: //')"
log "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' (dirty tree)')"
if [[ $BUILD -eq 1 ]]; then
  log "cargo build --release -p drift-monitor --examples"
  cargo build --release -p drift-monitor --examples >&2
fi
[[ -x "$BIN" ]] || { echo "run.sh: $BIN not found (build first)" >&2; exit 1; }

if [[ "$ONLY" == false-alarms ]]; then
  fa_args=(--windows "$FA_WINDOWS" --shift-windows "$FA_WINDOWS" --sizes "$FA_SIZES" --seed "$FA_SEED")
  [[ -n "$FA_CSV" ]] && fa_args+=(--csv "$FA_CSV")
  [[ $KEEP -eq 1 ]] && fa_args+=(--home "$WORK/false-alarms-home")
  log "$BIN false-alarms ${fa_args[*]}"
  "$BIN" false-alarms "${fa_args[@]}" | tee "$WORK/false-alarms.out" | grep -v '^BENCH '
  log "load at end: $(uptime | sed 's/.*load average: //')"
  echo "load average at end: $(uptime | sed 's/.*load average: //'); nproc $(nproc); $(date -u +%Y-%m-%dT%H:%MZ)"
  exit 0
fi
if [[ "$ONLY" != scan ]]; then
  log "$BIN report --runs $REPORT_RUNS"
  home_args=()
  [[ $KEEP -eq 1 ]] && home_args=(--home "$WORK/report-home")
  "$BIN" report --runs "$REPORT_RUNS" "${home_args[@]}" | tee "$WORK/report.out" | grep -v '^BENCH ' >&2
fi
if [[ "$ONLY" != report ]]; then
  log "$BIN scan --rows $ROWS --last-n $LAST_N --runs $SCAN_RUNS"
  home_args=()
  [[ $KEEP -eq 1 ]] && home_args=(--home "$WORK/scan-home")
  "$BIN" scan --rows "$ROWS" --last-n "$LAST_N" --runs "$SCAN_RUNS" "${home_args[@]}" \
    | tee "$WORK/scan.out" | grep -v '^BENCH ' >&2
fi
LOAD_END="$(uptime | sed 's/.*load average: //')"
log "load at end: $LOAD_END"

# BENCH key=value lines of both runs.
val() { cat "$WORK"/*.out 2>/dev/null | sed -n "s/^BENCH $1=//p" | tail -n1; }
verdict() { awk -v a="$1" -v b="$2" 'BEGIN { print (a != "" && a + 0 <= b + 0) ? "PASS" : "FAIL" }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo
echo "| metric | target | wall median | cpu median | verdict |"
echo "|---|---|---|---|---|"
if [[ "$ONLY" != scan ]]; then
  r="$(val report.run_once.median_s)"
  echo "| full report: run_once, $(val report.reference_rows) ref vs $(val report.current_rows) current ($REPORT_RUNS runs; min $(val report.run_once.min_s), max $(val report.run_once.max_s)) | ≤ 1 s | ${r} s | $(val report.run_once.cpu_median_s) s | $(verdict "$r" 1) |"
  for p in load_production reference_read current_read build_report build_report.text_drift text_drift.tokenize store; do
    echo "| ↳ phase $p | – | $(val "phase.$p.median_s") s | $(val "phase.$p.cpu_median_s") s | |"
  done
fi
if [[ "$ONLY" != report ]]; then
  s="$(val scan.median_s)"
  echo "| scan: Current::read last_n $LAST_N of a $(val scan.log_rows)-row log ($(val scan.log_mb) MB) ($SCAN_RUNS fresh processes; min $(val scan.min_s), max $(val scan.max_s)) | ≤ 10 s | ${s} s | $(val scan.cpu_median_s) s | $(verdict "$s" 10) |"
  echo "| ↳ split: read and split lines only | – | $(val scan.split.io_s) s | $(val scan.split.io_cpu_s) s | |"
  echo "| ↳ split: + serde_json parse (and drop) of every record, no window | – | $(val scan.split.parse_s) s | $(val scan.split.parse_cpu_s) s | |"
  echo "| ↳ reference point (not the crate's code): lines + timestamp-only parse + window of (time, line) | – | $(val scan.split.stamps_s) s | $(val scan.split.stamps_cpu_s) s | |"
  big="$(val scan.vmhwm_median_kb)"; small="$(val scan.small_log.vmhwm_kb)"; w10="$(val scan.window10x.vmhwm_kb)"
  bounded="$(awk -v a="$big" -v b="$small" 'BEGIN { print (b > 0 && a <= 1.25 * b) ? "PASS" : "FAIL" }')"
  echo "| scan peak RSS (VmHWM of the scan process), $(val scan.log_rows)-row log | bounded by window, not log | $(mb "$big") MB | | $bounded |"
  echo "| ↳ VmHWM: same window on a $(val scan.small_log.rows)-row log / 10x window ($(val scan.window10x.last_n)) on the full log | – | $(mb "$small") MB / $(mb "$w10") MB | | |"
fi
echo
echo "load average at end: $LOAD_END; nproc $(nproc); $(date -u +%Y-%m-%dT%H:%MZ)"
