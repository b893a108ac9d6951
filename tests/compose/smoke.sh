#!/usr/bin/env bash
# Compose smoke test with podman (no Docker here; run as root, a few minutes; not part of
# `cargo test`): builds the fraudloop image (the runtime-local target of docker/Dockerfile, with
# release binaries built on this machine), brings up docker-compose.yml on an internal network with
# 2 predict-api replicas behind the load balancer, drives predict → feedback → drift report →
# promotion (→ retrain through `trainer serve` when this build has it) through the published
# ports, checks every replica and its own log files, and tears everything down.
#
# Services started: the ones with a binary in this build. Always init, predict-api ×2, lb and
# drift-monitor; trainer when `trainer serve` exists (issue #14), feedback-agent and web-ui when
# their binaries exist (issues #15, #16). n8n, Prometheus and Grafana need images from registries,
# which this machine cannot pull: they are checked by the schema and promtool checks and by
# tests/observability/panels.sh (a real Prometheus on loopback) instead.
#
#   tests/compose/smoke.sh                      # builds the release binaries when missing
#   BIN_DIR=/path/to/release tests/compose/smoke.sh
#   SMOKE_REPLICAS=3 tests/compose/smoke.sh     # as `--scale predict-api=3`
#   SMOKE_KEEP=1 tests/compose/smoke.sh         # leave the stack running for a look
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
here=tests/compose
project="${SMOKE_PROJECT:-fraudloop-smoke}"
export SMOKE_PREDICT_PORT="${SMOKE_PREDICT_PORT:-18000}"
export SMOKE_DRIFT_PORT="${SMOKE_DRIFT_PORT:-18001}"
export SMOKE_TRAINER_PORT="${SMOKE_TRAINER_PORT:-18002}"
export WEB_UI_PORT="${SMOKE_WEB_UI_PORT:-18080}"
api="http://127.0.0.1:$SMOKE_PREDICT_PORT"
drift="http://127.0.0.1:$SMOKE_DRIFT_PORT"
trainer_url="http://127.0.0.1:$SMOKE_TRAINER_PORT"

step() { echo "== $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

"$here/setup-podman.sh"

# --- binaries -----------------------------------------------------------------------------------
bin="${BIN_DIR:-${CARGO_TARGET_DIR:-$repo/target}/release}"
packages=(predict-api drift-monitor trainer)
for optional in feedback-agent web-ui; do
  [ -d "crates/$optional" ] && packages+=("$optional")
done
if [ -z "${BIN_DIR:-}" ]; then
  step "cargo build --release ${packages[*]}"
  cargo_args=()
  for p in "${packages[@]}"; do cargo_args+=(-p "$p"); done
  cargo build --release --locked "${cargo_args[@]}"
fi
staged=target/docker-bin
rm -rf "$staged" && mkdir -p "$staged"
for b in "${packages[@]}"; do
  if [ -x "$bin/$b" ]; then
    strip -o "$staged/$b" "$bin/$b"
  else
    case "$b" in
      feedback-agent | web-ui) echo "note: no $bin/$b; $b is left out" ;;
      *) fail "no $bin/$b" ;;
    esac
  fi
done

services=(init predict-api lb drift-monitor)
if "$bin/trainer" serve --help >/dev/null 2>&1; then
  services+=(trainer)
  has_trainer_service=1
else
  has_trainer_service=0
  echo "note: this trainer has no 'serve' yet (issue #14): the trainer service and the retrain step are skipped"
fi
[ -x "$staged/feedback-agent" ] && services+=(feedback-agent)
[ -x "$staged/web-ui" ] && services+=(web-ui)

# --- image --------------------------------------------------------------------------------------
image="localhost/fraudloop:smoke"
step "building $image (docker/Dockerfile, target runtime-local)"
podman build --quiet --format docker -f docker/Dockerfile --target runtime-local \
  --build-arg RUNTIME_IMAGE="${SMOKE_BASE_IMAGE:-localhost/fraudloop-base:bookworm}" -t "$image" . >/dev/null
podman run --rm "$image" id 2>/dev/null | grep -c 'uid=10001(fraudloop)' >/dev/null || fail "the image does not run as the fraudloop user"
podman image inspect --format '{{json .Config.Healthcheck}}' "$image" | grep -q fraudloop-healthcheck \
  || fail "the image has no HEALTHCHECK"

# --- stack --------------------------------------------------------------------------------------
export FRAUDLOOP_IMAGE="$image"
export NGINX_IMAGE="${SMOKE_NGINX_IMAGE:-localhost/fraudloop-test-nginx:bookworm}"
export PREDICT_API_REPLICAS="${SMOKE_REPLICAS:-2}"
export DEMO_ROWS=2000
export DRIFT_MONITOR_INTERVAL_SECS=3600
export PREDICT_API_ADMIN_TOKEN=smoke-predict-token DRIFT_MONITOR_ADMIN_TOKEN=smoke-drift-token
export TRAINER_ADMIN_TOKEN=smoke-trainer-token FEEDBACK_AGENT_ADMIN_TOKEN=smoke-agent-token
export AGENT_LINK_SECRET=smoke-link-secret-0123456789 N8N_ENCRYPTION_KEY=smoke-n8n-key
export GRAFANA_ADMIN_PASSWORD=smoke-grafana
compose=(podman-compose -p "$project" -f docker-compose.yml -f "$here/compose.smoke.yml")

teardown() {
  if [ "${SMOKE_KEEP:-0}" = 1 ]; then
    echo "SMOKE_KEEP=1: the stack stays up; stop it with: ${compose[*]} down -v"
    return
  fi
  step "tearing down (containers, network, volumes)"
  "${compose[@]}" down -v >/dev/null 2>&1 || true
  containers="$(podman ps -aq --filter "label=io.podman.compose.project=$project")"
  [ -z "$containers" ] || podman rm -f $containers >/dev/null 2>&1 || true
  for n in fraudloop edge; do podman network rm -f "${project}_$n" >/dev/null 2>&1 || true; done
  for v in artifacts data reports agent loop n8n prometheus grafana; do
    podman volume rm -f "${project}_$v" >/dev/null 2>&1 || true
  done
}
on_exit() {
  rc=$?
  if [ "$rc" != 0 ]; then
    echo "--- logs (failure) ---"
    for c in $(podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}'); do
      echo "--- $c"; podman logs --tail 30 "$c" 2>&1 || true
    done
  fi
  teardown
}
trap on_exit EXIT
"${compose[@]}" down -v >/dev/null 2>&1 || true

step "up: ${services[*]} (predict-api ×$PREDICT_API_REPLICAS, internal network)"
"${compose[@]}" up -d --no-build "${services[@]}" >"${TMPDIR:-/tmp}/$project-up.log" 2>&1 \
  || { cat "${TMPDIR:-/tmp}/$project-up.log"; fail "podman-compose up"; }
network="$(podman network ls --format '{{.Name}}' | grep "^${project}_fraudloop$")" \
  || fail "no network ${project}_fraudloop"
[ "$(podman network inspect --format '{{.Internal}}' "$network")" = true ] || fail "$network is not internal"

# Healthchecks need systemd under podman, so the test waits on the services' own /ready.
wait_ready() {
  local url="$1" name="$2" deadline=$((SECONDS + ${3:-180}))
  until curl -fsS -m 5 -o /dev/null "$url/ready" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$name not ready at $url/ready"
    sleep 1
  done
  echo "   $name ready ($url)"
}
wait_ready "$api" "predict-api (through lb)"
wait_ready "$drift" drift-monitor
[ "$has_trainer_service" = 1 ] && wait_ready "$trainer_url" trainer
[ -x "$staged/web-ui" ] && wait_ready "http://127.0.0.1:$WEB_UI_PORT" "web-ui (published port)"
if [ -x "$staged/feedback-agent" ]; then
  # Not published: its own health check (GET /ready on HEALTHCHECK_PORT) from inside.
  deadline=$((SECONDS + 120))
  until podman exec "${project}_feedback-agent_1" fraudloop-healthcheck 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "feedback-agent not ready"
    sleep 1
  done
  echo "   feedback-agent ready"
fi

mapfile -t replicas < <(podman ps --filter "label=io.podman.compose.project=$project" \
  --filter "label=com.docker.compose.service=predict-api" --format '{{.Names}}')
[ "${#replicas[@]}" = "$PREDICT_API_REPLICAS" ] || fail "expected $PREDICT_API_REPLICAS predict-api replicas, found ${#replicas[@]}"
# GET on a replica's own port, from inside it (the image has no curl; the health check script's way).
replica_get() {
  podman exec "$1" bash -c "exec 3<>/dev/tcp/127.0.0.1/8000; printf 'GET $2 HTTP/1.0\r\n\r\n' >&3; cat <&3" \
    | sed '1,/^\r$/d'
}
for r in "${replicas[@]}"; do
  podman exec "$r" fraudloop-healthcheck || fail "$r: the image's health check fails"
  replica_get "$r" /model | grep -c '"model_version":"v0001"' >/dev/null || fail "$r does not serve v0001"
done
echo "   replicas ${replicas[*]}: healthy, serving v0001"

# --- predict → feedback → report ---------------------------------------------------------------
step "predict: 300 drifted messages as one CSV batch and 60 single messages, through lb"
"$bin/trainer" demo-data --out "${TMPDIR:-/tmp}/$project-drifted.csv" --rows 300 --drifted --seed 7 >/dev/null
curl -fsS -m 30 "$api/predict/batch" -H 'content-type: text/csv' \
  --data-binary @"${TMPDIR:-/tmp}/$project-drifted.csv" | grep -c '"results"' >/dev/null || fail "batch predict"
ids=()
for i in $(seq 1 60); do
  if [ $((i % 2)) = 0 ]; then text="URGENT $i: your account is locked, verify now at http://secure-bank-$i.top"
  else text="Hi, lunch at $i? see you at the usual place"; fi
  out="$(curl -fsS -m 30 "$api/predict" -H 'content-type: application/json' -d "{\"text\": \"$text\", \"channel\": \"sms\"}")"
  ids+=("$(printf '%s' "$out" | sed -n 's/.*"prediction_id":"\([^"]*\)".*/\1/p')")
done
[ "${#ids[@]}" = 60 ] && [ -n "${ids[59]}" ] || fail "predictions without ids"

step "feedback: 40 labels through lb (a label may reach the other replica than its prediction)"
for i in $(seq 0 39); do
  if [ $(((i + 1) % 2)) = 0 ]; then label=fraud; else label=legit; fi
  code="$(curl -sS -m 30 -o /dev/null -w '%{http_code}' "$api/feedback" -H 'content-type: application/json' \
    -d "{\"prediction_id\": \"${ids[$i]}\", \"label\": \"$label\", \"source\": \"operator\"}")"
  [ "$code" = 201 ] || fail "feedback $i answered $code"
done

step "each replica wrote its own prediction and feedback logs on the shared data volume"
sleep 1
files="$(podman exec "${replicas[0]}" bash -c 'ls data/predictions data/feedback')"
echo "$files" | sed 's/^/   /'
[ "$(echo "$files" | grep -c '^predictions-.*\.jsonl$')" -ge "$PREDICT_API_REPLICAS" ] || fail "fewer prediction log files than replicas"
for r in "${replicas[@]}"; do
  host="$(podman exec "$r" cat /etc/hostname)"
  echo "$files" | grep -c "^predictions-$host-" >/dev/null || fail "no prediction log of replica $r ($host)"
done

step "drift report on demand (drift-monitor, published port)"
report="$(curl -fsS -X POST "$drift/admin/run" -H "Authorization: Bearer $DRIFT_MONITOR_ADMIN_TOKEN")"
python3 - "$report" <<'PY' || fail "drift report"
import json, sys
r = json.loads(sys.argv[1])
w = r["window"]
assert w["rows"] == 360, f"window rows {w['rows']} (expected 300 batch + 60 single)"
assert w["enough_data"], w
assert r["performance"]["labelled_rows"] == 40, r["performance"]["labelled_rows"]
assert r["performance"]["current"]["f1"] is not None, r["performance"]
print(f"   report: {w['rows']} rows, dataset drift {r['dataset_drift']} (share {r['drift_share']:.2f}), "
      f"text drift {r['text_drift']['detected']}, labelled {r['performance']['labelled_rows']}, "
      f"measured F1 {r['performance']['current']['f1']:.3f}")
PY
curl -fsS -m 30 "$drift/reports/latest.html" | grep -ci '<html' >/dev/null || fail "latest.html"
curl -fsS -m 30 "$drift/metrics" | grep -c '^fraudloop_drift_window_rows{side="current"} 360$' >/dev/null || fail "drift gauges"

# --- a new model reaches every replica ---------------------------------------------------------
if [ "$has_trainer_service" = 1 ]; then
  step "retrain through trainer serve (POST /jobs), then every replica serves the result"
  job="$(curl -fsS -m 30 "$trainer_url/jobs" -H "Authorization: Bearer $TRAINER_ADMIN_TOKEN" \
    -H 'content-type: application/json' -H "Idempotency-Key: smoke-$$" \
    -d '{"kind": "retrain", "reason": "compose smoke test"}')"
  job_id="$(printf '%s' "$job" | sed -n 's/.*"job_id":"\([^"]*\)".*/\1/p')"
  [ -n "$job_id" ] || fail "POST /jobs answered $job"
  deadline=$((SECONDS + 300))
  while :; do
    state="$(curl -fsS -m 30 "$trainer_url/jobs/$job_id" -H "Authorization: Bearer $TRAINER_ADMIN_TOKEN" \
      | sed -n 's/.*"state":"\([a-z]*\)".*/\1/p')"
    case "$state" in succeeded | failed | rejected) break ;; esac
    [ "$SECONDS" -lt "$deadline" ] || fail "job $job_id still $state"
    sleep 2
  done
  echo "   job $job_id: $state"
  [ "$state" != failed ] || fail "retrain job failed"
  curl -fsS -m 30 "$trainer_url/decisions" -H "Authorization: Bearer $TRAINER_ADMIN_TOKEN" >/dev/null \
    || fail "GET /decisions"
fi

step "promotion on the shared artifact volume reaches every replica (trainer CLI in the stack's image)"
podman exec "${replicas[0]}" trainer train --data data/demo_train.csv >/dev/null
target="$(podman exec "${replicas[0]}" trainer list --json | python3 -c '
import json, sys
print(max(v["version"] for v in json.load(sys.stdin)["versions"]))')"
podman exec "${replicas[0]}" trainer promote "$target" --reason "compose smoke test" >/dev/null
for r in "${replicas[@]}"; do
  deadline=$((SECONDS + 30))
  until replica_get "$r" /model | grep -c "\"model_version\":\"$target\"" >/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "$r does not serve $target 30 s after the promotion"
    sleep 1
  done
done
echo "   every replica serves $target"
curl -fsS -m 30 "$api/predict" -H 'content-type: application/json' -d '{"text": "verify your account now"}' \
  | grep -c "\"model_version\":\"$target\"" >/dev/null || fail "lb does not answer with $target"

echo "PASS: compose smoke (${services[*]}; predict-api ×$PREDICT_API_REPLICAS on an internal network)"
