#!/usr/bin/env bash
# Compose smoke test with podman (no Docker here; run as root, a few minutes; not part of
# `cargo test`): builds the fraudloop image (the runtime-local target of docker/Dockerfile, with
# release binaries built on this machine), brings up docker-compose.yml on an internal network
# with init, 2 predict-api replicas behind the load balancer, drift-monitor, trainer serve,
# feedback-agent and web-ui, drives predict → feedback → drift report → retrain through
# trainer serve (which promotes the candidate) through the published ports, checks that every
# replica serves the new version and wrote its own log files, and tears everything down.
#
# Images that come from registries are replaced by local ones (this machine cannot pull): the
# load balancer by Debian's nginx on the same base, n8n by the base with Node.js running an n8n
# install from a local cache (setup-podman.sh): n8n joins the run when an install is found
# (SMOKE_N8N_DIR, default the cache of tests/n8n/run.sh), starts, answers /healthz on its
# published port and imports the workflows of n8n/ (tests/n8n/run.sh runs them end to end).
# Prometheus and Grafana stay configured but out of this run; the schema and promtool checks and
# tests/observability/panels.sh (a real Prometheus on loopback) cover them.
#
#   tests/compose/smoke.sh                      # builds the release binaries
#   SMOKE_N8N_DIR=/path/to/n8n-install tests/compose/smoke.sh   # no install: n8n is left out
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

n8n_dir="${SMOKE_N8N_DIR:-${FRAUDLOOP_N8N_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fraudloop/n8n}}"
if [ -x "$n8n_dir/node_modules/.bin/n8n" ] && command -v node >/dev/null; then
  export SMOKE_N8N_DIR="$n8n_dir"
else
  unset SMOKE_N8N_DIR
  echo "note: no n8n install at $n8n_dir (set SMOKE_N8N_DIR): n8n is left out of this run"
fi
"$here/setup-podman.sh"

# --- binaries -----------------------------------------------------------------------------------
bin="${BIN_DIR:-${CARGO_TARGET_DIR:-$repo/target}/release}"
packages=(predict-api drift-monitor trainer feedback-agent web-ui)
if [ -z "${BIN_DIR:-}" ]; then
  step "cargo build --release ${packages[*]}"
  cargo_args=()
  for p in "${packages[@]}"; do cargo_args+=(-p "$p"); done
  cargo build --release --locked "${cargo_args[@]}"
fi
staged=target/docker-bin
rm -rf "$staged" && mkdir -p "$staged"
for b in "${packages[@]}"; do
  [ -x "$bin/$b" ] || fail "no $bin/$b"
  strip -o "$staged/$b" "$bin/$b"
done
services=(init predict-api lb drift-monitor trainer feedback-agent web-ui)
[ -n "${SMOKE_N8N_DIR:-}" ] && services+=(n8n)

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
# The first model sees 1,200 demo messages: few enough that a few hundred labelled drifted
# messages teach a retrain something the gate can measure.
export DEMO_ROWS=1200
export DRIFT_MONITOR_INTERVAL_SECS=3600
export PREDICT_API_ADMIN_TOKEN=smoke-predict-token DRIFT_MONITOR_ADMIN_TOKEN=smoke-drift-token
export TRAINER_ADMIN_TOKEN=smoke-trainer-token FEEDBACK_AGENT_ADMIN_TOKEN=smoke-agent-token
export AGENT_LINK_SECRET=smoke-link-secret-0123456789 N8N_ENCRYPTION_KEY=smoke-n8n-key
export GRAFANA_ADMIN_PASSWORD=smoke-grafana
# The loop checks every replica by name after a promotion (podman names them project_service_N).
PREDICT_API_URLS="$(seq -s, -f "http://${project}_predict-api_%g:8000" 1 "$PREDICT_API_REPLICAS")"
export PREDICT_API_URLS
export N8N_IMAGE="${SMOKE_N8N_IMAGE:-localhost/fraudloop-test-n8n:bookworm}"
export N8N_PORT="${SMOKE_N8N_PORT:-15678}"
compose=(podman-compose -p "$project" -f docker-compose.yml -f "$here/compose.smoke.yml")
[ -n "${SMOKE_N8N_DIR:-}" ] && compose+=(-f "$here/compose.smoke-n8n.yml")

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
wait_ready "$trainer_url" "trainer serve"
wait_ready "http://127.0.0.1:$WEB_UI_PORT" "web-ui (published port)"
curl -fsS -m 10 "http://127.0.0.1:$WEB_UI_PORT/" | grep -ci '<html' >/dev/null || fail "web-ui: no page at /"
# Not published: its own health check (GET /ready on HEALTHCHECK_PORT) from inside.
agent="${project}_feedback-agent_1"
deadline=$((SECONDS + 120))
until podman exec "$agent" fraudloop-healthcheck 2>/dev/null; do
  [ "$SECONDS" -lt "$deadline" ] || fail "feedback-agent not ready"
  sleep 1
done
echo "   feedback-agent ready"

if [ -n "${SMOKE_N8N_DIR:-}" ]; then
  deadline=$((SECONDS + 240))
  until curl -fsS -m 5 "http://127.0.0.1:$N8N_PORT/healthz" 2>/dev/null | grep -c '"ok"' >/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "n8n not healthy at http://127.0.0.1:$N8N_PORT/healthz"
    sleep 2
  done
  echo "   n8n healthy (http://127.0.0.1:$N8N_PORT, published port)"
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
drifted_csv="${TMPDIR:-/tmp}/$project-drifted.csv"
step "predict: 400 drifted messages as one CSV batch and 60 single messages, through lb"
"$bin/trainer" demo-data --out "$drifted_csv" --rows 400 --drifted --seed 7 >/dev/null
curl -fsS -m 60 "$api/predict/batch" -H 'content-type: text/csv' \
  --data-binary @"$drifted_csv" -o "${TMPDIR:-/tmp}/$project-batch.json" || fail "batch predict"
ids=()
for i in $(seq 1 60); do
  if [ $((i % 2)) = 0 ]; then text="URGENT $i: your account is locked, verify now at http://secure-bank-$i.top"
  else text="Hi, lunch at $i? see you at the usual place"; fi
  out="$(curl -fsS -m 30 "$api/predict" -H 'content-type: application/json' -d "{\"text\": \"$text\", \"channel\": \"sms\"}")"
  ids+=("$(printf '%s' "$out" | sed -n 's/.*"prediction_id":"\([^"]*\)".*/\1/p')")
done
[ "${#ids[@]}" = 60 ] && [ -n "${ids[59]}" ] || fail "predictions without ids"

step "feedback through lb: 40 labels on the single messages, the true label of 300 drifted ones"
for i in $(seq 0 39); do
  if [ $(((i + 1) % 2)) = 0 ]; then label=fraud; else label=legit; fi
  code="$(curl -sS -m 30 -o /dev/null -w '%{http_code}' "$api/feedback" -H 'content-type: application/json' \
    -d "{\"prediction_id\": \"${ids[$i]}\", \"label\": \"$label\", \"source\": \"operator\"}")"
  [ "$code" = 201 ] || fail "feedback $i answered $code"
done
python3 - "$api" "$drifted_csv" "${TMPDIR:-/tmp}/$project-batch.json" <<'PY' || fail "feedback on the drifted batch"
import csv, json, sys, urllib.request
api, rows, batch = sys.argv[1], list(csv.DictReader(open(sys.argv[2]))), json.load(open(sys.argv[3]))
results = batch["results"]
assert len(results) == len(rows) == 400, (len(results), len(rows))
for row, result in list(zip(rows, results))[:300]:
    body = json.dumps({"prediction_id": result["prediction_id"], "source": "operator",
                       "label": "fraud" if row["label"] in ("1", "fraud") else "legit"}).encode()
    req = urllib.request.Request(api + "/feedback", body, {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 201, r.status
print(f"   300 labels on the drifted batch ({sum(r['label'] in ('1', 'fraud') for r in rows[:300])} fraud)")
PY

step "each replica wrote its own prediction and feedback logs on the shared data volume"
sleep 1
files="$(podman exec "${replicas[0]}" bash -c 'ls data/predictions data/feedback')"
echo "$files" | sed 's/^/   /'
for r in "${replicas[@]}"; do
  host="$(podman exec "$r" cat /etc/hostname)"
  echo "$files" | grep -c "^predictions-$host-" >/dev/null || fail "no prediction log of replica $r ($host)"
  echo "$files" | grep -c "^feedback-$host-" >/dev/null || fail "no feedback log of replica $r ($host)"
done

step "drift report on demand (drift-monitor, published port)"
report="$(curl -fsS -X POST "$drift/admin/run" -H "Authorization: Bearer $DRIFT_MONITOR_ADMIN_TOKEN")"
python3 - "$report" <<'PY' || fail "drift report"
import json, sys
r = json.loads(sys.argv[1])
w = r["window"]
assert w["rows"] == 460, f"window rows {w['rows']} (expected 400 batch + 60 single)"
assert w["enough_data"], w
assert r["performance"]["labelled_rows"] == 340, r["performance"]["labelled_rows"]
assert r["performance"]["current"]["f1"] is not None, r["performance"]
assert r["dataset_drift"] or r["text_drift"]["detected"], "drifted traffic without drift"
print(f"   report: {w['rows']} rows, dataset drift {r['dataset_drift']} (share {r['drift_share']:.2f}), "
      f"text drift {r['text_drift']['detected']}, labelled {r['performance']['labelled_rows']}, "
      f"measured F1 {r['performance']['current']['f1']:.3f}")
PY
curl -fsS -m 30 "$drift/reports/latest.html" | grep -ci '<html' >/dev/null || fail "latest.html"
curl -fsS -m 30 "$drift/metrics" | grep -c '^fraudloop_drift_window_rows{side="current"} 460$' >/dev/null || fail "drift gauges"

step "feedback-agent: a notice for a scored message (offline templates; from inside its container)"
notice="$(podman exec "$agent" bash -c '
  body="{\"text\": \"URGENT: your parcel is held, pay the fee at http://parcel-fee.top\", \"contact\": {\"name\": \"Smoke\"}}"
  exec 3<>/dev/tcp/127.0.0.1/8003
  printf "POST /notify HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: %s\r\n\r\n%s" "${#body}" "$body" >&3
  cat <&3' | tr -d '\r')"
[[ "$notice" == "HTTP/1."?" 201 "* ]] || fail "POST /notify: ${notice%%$'\n'*}"
[[ "$notice" == *'"path":"template"'* ]] || fail "the notice is not the offline template's"
risk_level="$(sed -n 's/.*"risk_level":"\([a-z]*\)".*/\1/p' <<<"$notice")"
echo "   notice written (template path, risk level $risk_level)"

if [ -n "${SMOKE_N8N_DIR:-}" ]; then
  step "n8n: the workflows of n8n/ import as the README says (n8n import:workflow in the container)"
  podman exec "${project}_n8n_1" n8n import:workflow --separate --input=/fraudloop/n8n >/dev/null 2>&1 \
    || fail "n8n import:workflow"
  workflows="$(podman exec "${project}_n8n_1" n8n list:workflow 2>/dev/null | grep -c '|fraudloop: ')" || true
  shipped=(n8n/*.json)
  [ "$workflows" = "${#shipped[@]}" ] || fail "n8n lists $workflows fraudloop workflows, n8n/ has ${#shipped[@]}"
  echo "   $workflows workflows imported"
fi

# --- retrain through trainer serve; the new model reaches every replica -------------------------
step "retrain through trainer serve (POST /jobs; the loop may queue its own for the report too)"
job="$(curl -fsS -m 30 "$trainer_url/jobs" -H "Authorization: Bearer $TRAINER_ADMIN_TOKEN" \
  -H 'content-type: application/json' -H "Idempotency-Key: smoke-$$" \
  -d '{"kind": "retrain", "reason": "compose smoke test"}')"
job_id="$(printf '%s' "$job" | sed -n 's/.*"job_id":"\([^"]*\)".*/\1/p')"
[ -n "$job_id" ] || fail "POST /jobs answered $job"
deadline=$((SECONDS + 300))
until curl -fsS -m 30 "$trainer_url/jobs" -H "Authorization: Bearer $TRAINER_ADMIN_TOKEN" >"${TMPDIR:-/tmp}/$project-jobs.json" \
  && python3 -c 'import json, sys; j = json.load(open(sys.argv[1]))["jobs"]; sys.exit(any(x["state"] in ("queued", "running") for x in j))' \
    "${TMPDIR:-/tmp}/$project-jobs.json"; do
  [ "$SECONDS" -lt "$deadline" ] || fail "jobs still running after 300 s"
  sleep 2
done
target="$(python3 - "${TMPDIR:-/tmp}/$project-jobs.json" "$job_id" <<'PY'
import json, sys
jobs = json.load(open(sys.argv[1]))["jobs"]
for j in reversed(jobs):
    print(f"   {j['job_id']} ({j['reason']}): {j['state']}, candidate {j['candidate']}, promoted {j['promoted']}", file=sys.stderr)
assert any(j["job_id"] == sys.argv[2] for j in jobs), "our job is not listed"
promoted = [j for j in jobs if j["promoted"]]  # newest first
assert promoted, "no job promoted its candidate"
print(promoted[0]["candidate"])
PY
)" || fail "no promotion through trainer serve"
job_detail="$(curl -fsS -m 30 "$trainer_url/jobs" -H "Authorization: Bearer $TRAINER_ADMIN_TOKEN" \
  | python3 -c 'import json, sys; print(next(j["progress"] for j in json.load(sys.stdin)["jobs"] if j["promoted"]))')"
echo "   trainer: $job_detail"
echo "$job_detail" | grep -c "$PREDICT_API_REPLICAS replica(s) serve it" >/dev/null \
  || fail "the trainer did not check all $PREDICT_API_REPLICAS replicas"
curl -fsS -m 30 "$trainer_url/decisions" -H "Authorization: Bearer $TRAINER_ADMIN_TOKEN" >/dev/null \
  || fail "GET /decisions"

for r in "${replicas[@]}"; do
  served="$(replica_get "$r" /model | sed -n 's/.*"model_version":"\([^"]*\)".*/\1/p')"
  [ "$served" = "$target" ] || fail "$r serves $served, not $target"
done
echo "   every replica serves $target (${replicas[*]})"
for _ in 1 2 3 4; do
  curl -fsS -m 30 "$api/predict" -H 'content-type: application/json' -d '{"text": "verify your account now"}' \
    | grep -c "\"model_version\":\"$target\"" >/dev/null || fail "lb does not answer with $target"
done

step "the compose file's promises: named volumes, restart policies, a one-shot init"
for v in artifacts data reports agent loop; do
  podman volume exists "${project}_$v" || fail "no named volume ${project}_$v"
done
for c in $(podman ps -a --filter "label=io.podman.compose.project=$project" --format '{{.Names}}'); do
  policy="$(podman inspect --format '{{.HostConfig.RestartPolicy.Name}}' "$c")"
  case "$c" in
    *_init_1) [ "${policy:-no}" = no ] || fail "$c (one-shot) restarts: $policy" ;;
    *) [ "$policy" = unless-stopped ] || fail "$c restarts ${policy:-never}, not unless-stopped" ;;
  esac
done
# A second start of init (as on every `docker compose up`) finds the production model and exits 0.
again="$(podman start --attach "${project}_init_1" 2>&1)" || fail "init failed on its second start: $again"
grep -c "a production model exists; nothing to do" <<<"$again" >/dev/null || fail "init did work on its second start: $again"
echo "   volumes artifacts data reports agent loop; restart unless-stopped (init: no); init a no-op the second time"

echo "PASS: compose smoke (${services[*]}; predict-api ×$PREDICT_API_REPLICAS on an internal network; retrain → $target on every replica; ${SECONDS} s)"
