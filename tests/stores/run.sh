#!/usr/bin/env bash
# The store suites (crates/store-conformance) against every backend with real servers: files,
# PostgreSQL 15 and an S3-compatible server (moto), started here on loopback and stopped after.
# CI: tests/stores/run.sh (builds the test binary under the shared cargo lock when one exists).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/stores/servers.sh
trap stores_stop EXIT
lock=(); [ -e /work/cargo.lock ] && lock=(flock /work/cargo.lock)
"${lock[@]}" cargo test --locked -p store-conformance --no-run
start=$(date +%s.%N)
cargo test --locked -p store-conformance -- --nocapture 2>&1 | tee "$STORES_DIR/test.log" | grep -E '^test |test result|panicked|unset' || true
grep -q 'test result: ok' "$STORES_DIR/test.log" && ! grep -q 'is unset' "$STORES_DIR/test.log"
echo "suites ran in $(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN {printf "%.1f", a-b}') s"
