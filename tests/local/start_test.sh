#!/usr/bin/env bash
# The README's first command, tested: scripts/start.sh with binaries already built (debug by
# default), an empty home and free loopback ports. It must train the demo model, start every
# service, print the URLs (the dashboard first when there is one), carry
# predict → feedback → drift report, stop everything on Ctrl-C (SIGINT), and, when a port is
# taken, say which service failed and exit non-zero.
#
# Usage: tests/local/start_test.sh [BIN_DIR]   (default: $CARGO_TARGET_DIR or target, /debug)
# Needs: the binaries of scripts/start.sh's services in BIN_DIR, curl, python3.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
bin="${1:-${CARGO_TARGET_DIR:-$repo/target}/debug}"
work="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-start-test.XXXXXX")"
launcher=""
blocker=""
cleanup() {
  local rc=$?
  [ -n "$launcher" ] && kill -TERM "$launcher" 2>/dev/null && wait "$launcher" 2>/dev/null
  [ -n "$blocker" ] && kill "$blocker" 2>/dev/null
  if [ $rc -eq 0 ]; then rm -rf "$work"; else echo "start_test: kept $work" >&2; fi
}
trap cleanup EXIT
fail() { echo "start_test: FAIL: $*" >&2; echo "--- launcher output:" >&2; cat "$work/out.log" >&2 || true; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

export FRAUDLOOP_BIN_DIR="$bin"
export FRAUDLOOP_HOME="$work/home"
export DRIFT_MONITOR_INTERVAL_SECS=1
export DRIFT_MONITOR_MIN_ROWS=1
for var in WEB_UI_ADDR PREDICT_API_ADDR DRIFT_MONITOR_ADDR TRAINER_ADDR FEEDBACK_AGENT_ADDR; do
  export "$var=127.0.0.1:$(free_port)"
done

launch() { # starts scripts/start.sh in the background, output to $work/out.log
  # A script's background jobs ignore SIGINT, and so does everything started by a shell that
  # was itself started in the background; a shell cannot trap a signal it starts out ignoring.
  # `env --default-signal` restores it, so the launcher gets Ctrl-C the way a terminal delivers it.
  env --default-signal=INT "$repo/scripts/start.sh" >"$work/out.log" 2>&1 &
  launcher=$!
}

echo "== start: empty home, free ports"
launch
for _ in $(seq 900); do
  grep -q '^==> ready' "$work/out.log" && break
  kill -0 "$launcher" 2>/dev/null || fail "the launcher exited before it was ready"
  sleep 0.2
done
grep -q '^==> ready' "$work/out.log" || fail "not ready within 180 s"
grep -q 'training the first model' "$work/out.log" || fail "the demo model was not trained"
first_url="$(sed -n '/fraudloop is running/{n;p;q}' "$work/out.log")"
if [ -d "$repo/crates/web-ui" ]; then
  [[ "$first_url" == *dashboard*"$WEB_UI_ADDR"* ]] || fail "the dashboard is not the first URL: $first_url"
fi

echo "== predict → feedback → report"
prediction="$(curl -fsS "http://$PREDICT_API_ADDR/predict" -H 'content-type: application/json' \
  -d '{"text": "您的包裹因地址不详被扣留，请点击 http://sf-express-help.top/x 补缴运费"}')" ||
  fail "/predict"
id="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["prediction_id"])' "$prediction")"
status="$(curl -s -o /dev/null -w '%{http_code}' "http://$PREDICT_API_ADDR/feedback" \
  -H 'content-type: application/json' -d "{\"prediction_id\": \"$id\", \"label\": \"fraud\", \"source\": \"operator\"}")"
[ "$status" = 201 ] || fail "/feedback answered $status"
seen=""
for _ in $(seq 60); do
  report="$(curl -fs "http://$DRIFT_MONITOR_ADDR/reports/latest" || true)"
  seen="$(python3 -c 'import json,sys
r = json.loads(sys.argv[1] or "{}")
print(r.get("window", {}).get("rows", 0), r.get("performance", {}).get("labelled_rows", 0))' "$report")"
  [ "$seen" = "1 1" ] && break
  sleep 0.5
done
[ "$seen" = "1 1" ] || fail "the drift report never showed the prediction and its label (rows, labelled: $seen)"

echo "== Ctrl-C stops everything"
kill -INT "$launcher"
wait "$launcher" || fail "the launcher exited with $? on Ctrl-C"
launcher=""
for var in PREDICT_API_ADDR DRIFT_MONITOR_ADDR; do
  if curl -fs -o /dev/null "http://${!var}/health"; then fail "${var%_ADDR} still answers after Ctrl-C"; fi
done

echo "== a taken port is reported"
python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
host, port = sys.argv[1].split(":"); s.bind((host, int(port))); s.listen(); time.sleep(600)' \
  "$PREDICT_API_ADDR" &
blocker=$!
sleep 0.5
launch
rc=0
wait "$launcher" || rc=$?
launcher=""
[ "$rc" -ne 0 ] || fail "the launcher exited 0 with predict-api's port taken"
grep -q 'predict-api failed to start' "$work/out.log" || fail "the failing service was not named"
echo "start_test: ok"
