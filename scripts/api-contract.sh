#!/usr/bin/env bash
# Checks predict-api against its own OpenAPI document with schemathesis (property-based
# requests from the schema: examples, coverage, fuzzing and stateful phases, every check):
# no 5xx, no schema-valid request refused, no schema-violating request accepted, every response
# as documented. Runs the debug binaries that `cargo test --workspace` built (builds them if
# missing), on a fresh home with the demo model, on a random free loopback port.
#
#   scripts/api-contract.sh                    # fixed seeds, 200 examples per operation
#   API_CONTRACT_EXAMPLES=1000 scripts/api-contract.sh
#
# Needs python3 with venv and pip (schemathesis is installed, pinned, into target/).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
examples="${API_CONTRACT_EXAMPLES:-200}"
schemathesis_version="4.32.5"
token="contract-check-token"

venv="$target/api-contract-venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version"; then
  echo "==> installing schemathesis $schemathesis_version into $venv"
  python3 -m venv "$venv"
  # One retry: a registry hiccup should not fail the check, a missing package should.
  for attempt in 1 2; do
    if "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "schemathesis==$schemathesis_version"; then
      break
    fi
    [ "$attempt" = 2 ] && { echo "could not install schemathesis" >&2; exit 1; }
    sleep 5
  done
fi

echo "==> building the debug binaries (a no-op after cargo test --workspace)"
# The same build as the tests' (their integration tests run the binaries): a `cargo build` of
# two packages would unify features differently and rebuild half the dependencies.
(cd "$repo" && cargo test --workspace --locked --no-run --quiet)
bin="$target/debug"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

export FRAUDLOOP_HOME="$work/home"
mkdir -p "$FRAUDLOOP_HOME/data"
"$bin/trainer" demo-data --out "$FRAUDLOOP_HOME/data/demo.csv" --rows 1000 --seed 7 >/dev/null
"$bin/trainer" train --data "$FRAUDLOOP_HOME/data/demo.csv" >/dev/null

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
RUST_LOG=warn PREDICT_API_ADMIN_TOKEN="$token" "$bin/predict-api" --addr "127.0.0.1:$port" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do
  curl -fs "$url/ready" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.2
done

run() {
  local name="$1"; shift
  echo "==> schemathesis ($name)"
  # From the work dir: schemathesis leaves a .schemathesis/ folder where it runs.
  (cd "$work" && "$venv/bin/schemathesis" run "$url/openapi.json" --url "$url" \
    --checks all --workers 1 --continue-on-failure --generation-database none \
    --max-examples "$examples" --phases examples,coverage,fuzzing,stateful \
    --no-color "$@")
}
status=0
run "with the admin token" --seed 1 -H "Authorization: Bearer $token" || status=1
# Without a token the admin routes can only answer 401: schemathesis warns about that, which
# is the expected outcome, not a failure.
run "without a token" --seed 2 || status=1

if grep -E "panicked|ERROR" "$work/server.log"; then
  echo "the server logged a panic or an error (above)" >&2
  status=1
fi
[ "$status" = 0 ] && echo "==> the API matches its OpenAPI document"
exit "$status"
