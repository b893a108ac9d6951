#!/usr/bin/env bash
# The n8n workflows of n8n/ in a real n8n against the real services, end to end.
#
# Installs n8n 2.8.4 once (tests/n8n/package.json, cached; about 9 minutes and 2.3 GB the first
# time), builds the service binaries (release) unless BIN_DIR is given, starts predict-api,
# drift-monitor, trainer serve and feedback-agent on loopback with a fresh home, an SMTP sink
# (aiosmtpd, in a cached virtualenv) and a Slack-compatible webhook listener, imports the
# workflows and the SMTP credential into a fresh n8n, publishes them and starts n8n, then:
#   - the JSON holds no secret and no hard-coded address;
#   - daily digest with the trainer down: a failed execution in n8n's execution log;
#   - daily digest: one e-mail with the model, the drift report and the loop's decisions;
#   - high-risk notification: the notice e-mailed with its links; the confirm link followed as a
#     person does (GET the page, which records nothing, then POST its form); the label stored in
#     predict-api; a notice the agent delivers to n8n itself is e-mailed as well;
#   - incident alert: a forced bad promotion, the loop's rollback decision, its alert e-mailed
#     and posted to the Slack-compatible listener, flagged as a rollback.
# Not part of `cargo test`.
#
#   tests/n8n/run.sh                                 # builds the binaries (release)
#   BIN_DIR=target/release tests/n8n/run.sh          # binaries already built
# Settings: FRAUDLOOP_N8N_DIR (n8n install, default ~/.cache/fraudloop/n8n), FRAUDLOOP_N8N_VENV
# (aiosmtpd, default ~/.cache/fraudloop/n8n-test-venv), N8N_TEST_KEEP=1 keeps the work folder.
set -euo pipefail
# Text is checked with [[ == *...* ]], not `printf | grep -q`: under pipefail, grep -q stops
# reading at its first match and printf's SIGPIPE failed the check now and then.
repo="$(cd "$(dirname "$0")/../.." && pwd)"
here="$repo/tests/n8n"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/fraudloop"
n8n_dir="${FRAUDLOOP_N8N_DIR:-$cache/n8n}"
venv="${FRAUDLOOP_N8N_VENV:-$cache/n8n-test-venv}"

step() { printf '\n==> %s\n' "$*"; }
ok() { printf '    ok: %s\n' "$*"; }
fail() {
  printf '\nFAIL: %s\n' "$*" >&2
  exit 1
}

# --- n8n, cached -------------------------------------------------------------------------------
n8n_usable() {
  [ -x "$n8n_dir/node_modules/.bin/n8n" ] &&
    cmp -s "$here/package.json" "$n8n_dir/package.json" &&
    (cd "$n8n_dir" && node -e 'require("sqlite3")') 2>/dev/null
}
command -v node >/dev/null || fail "node (20 or newer) is needed to run n8n"
if n8n_usable; then
  step "n8n: cached in $n8n_dir"
else
  step "n8n: installing 2.8.4 into $n8n_dir (the first time takes about 9 minutes and 2.3 GB)"
  mkdir -p "$n8n_dir"
  cp "$here/package.json" "$n8n_dir/package.json"
  (cd "$n8n_dir" && npm install --no-audit --no-fund --loglevel=error) ||
    fail "npm install of n8n failed"
  n8n_usable || fail "n8n installed but not usable (sqlite3 binding missing?)"
fi
n8n="$n8n_dir/node_modules/.bin/n8n"

if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  step "aiosmtpd: installing into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet aiosmtpd || fail "pip install aiosmtpd failed"
fi
py="$venv/bin/python"

# --- binaries ----------------------------------------------------------------------------------
if [ -n "${BIN_DIR:-}" ]; then
  bin="$(cd "$BIN_DIR" && pwd)"
else
  step "building predict-api, drift-monitor, trainer, feedback-agent (release)"
  (cd "$repo" && cargo build --release --locked -p predict-api -p drift-monitor -p trainer -p feedback-agent)
  bin="${CARGO_TARGET_DIR:-$repo/target}/release"
fi
for b in predict-api drift-monitor trainer feedback-agent; do
  [ -x "$bin/$b" ] || fail "no $bin/$b"
done

# --- work folder, ports, clean-up --------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/fraudloop-n8n.XXXXXX")"
pids=()
status=1
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" != 0 ]; then
    for log in "$work"/logs/*.log; do
      [ -f "$log" ] || continue
      printf '\n--- %s (last 25 lines)\n' "$log" >&2
      tail -n 25 "$log" >&2
    done
  fi
  if [ "${N8N_TEST_KEEP:-0}" = 1 ] || [ "$status" != 0 ]; then
    echo "work folder kept: $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
mkdir -p "$work/logs" "$work/mail" "$work/slack" "$work/home/data"

read -r pa dm tr fa n8n_port broker smtp slack < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(8)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])
for s in socks: s.close()')

random_token() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }
admin_token="$(random_token)"
export FRAUDLOOP_HOME="$work/home" RUST_LOG="${RUST_LOG:-warn}"
export PREDICT_API_ADMIN_TOKEN="$admin_token" DRIFT_MONITOR_ADMIN_TOKEN="$admin_token"
export TRAINER_ADMIN_TOKEN="$admin_token" FEEDBACK_AGENT_ADMIN_TOKEN="$admin_token"
link_secret="$(random_token)"
export AGENT_LINK_SECRET="$link_secret"

# Starts a program in the background with its output in logs/<name>.log.
start() {
  local name="$1"
  shift
  "$@" >"$work/logs/$name.log" 2>&1 &
  pids+=("$!")
}

wait_http() {
  local url="$1" what="$2" tries="${3:-120}"
  for _ in $(seq "$tries"); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  fail "$what did not answer at $url"
}

# --- the JSON: importable (below) and free of secrets and addresses ----------------------------
step "workflow JSON: no secret, no hard-coded address"
workflows=("$repo"/n8n/*.json)
[ "${#workflows[@]}" = 3 ] || fail "expected 3 workflows in n8n/, found ${#workflows[@]}"
if grep -EniH '"(password|passwd|secret|token|api_?key|apikey|authorization|bearer)[^"]*" *:' "${workflows[@]}"; then
  fail "a workflow holds a secret-looking field"
fi
if grep -EniH 'https?://|hooks\.slack\.com|Bearer [A-Za-z0-9]' "${workflows[@]}"; then
  fail "a workflow holds a literal address or token; use \$env or a credential"
fi
python3 - "${workflows[@]}" <<'EOF' || fail "a workflow does not take its addresses from the environment"
import json, sys
for path in sys.argv[1:]:
    wf = json.load(open(path))
    for node in wf["nodes"]:
        url = node["parameters"].get("url")
        if url is not None and not url.startswith("={{ $env."):
            sys.exit(f"{path}: node {node['name']!r} url {url!r}")
        for kind, ref in node.get("credentials", {}).items():
            if set(ref) != {"id", "name"}:
                sys.exit(f"{path}: node {node['name']!r} credential {kind} carries data")
EOF
ok "${#workflows[@]} workflows: no secret field, no literal URL, URLs from \$env, credentials by reference"

# --- the stack ---------------------------------------------------------------------------------
step "stack: demo model, predict-api :$pa, drift-monitor :$dm, SMTP sink :$smtp, webhook sink :$slack"
"$bin/trainer" demo-data --out "$FRAUDLOOP_HOME/data/demo_train.csv" --rows 1200 --seed 1 >/dev/null
"$bin/trainer" train --data "$FRAUDLOOP_HOME/data/demo_train.csv" >"$work/logs/train-v1.log" 2>&1
start smtp-sink "$py" "$here/sinks.py" smtp --port "$smtp" --dir "$work/mail"
start slack-sink "$py" "$here/sinks.py" http --port "$slack" --dir "$work/slack"
PREDICT_API_ADDR="127.0.0.1:$pa" PREDICT_API_RELOAD_POLL_MS=200 \
  start predict-api "$bin/predict-api"
DRIFT_MONITOR_ADDR="127.0.0.1:$dm" DRIFT_MONITOR_INTERVAL_SECS=2 DRIFT_MONITOR_WINDOW_ROWS=300 \
  start drift-monitor "$bin/drift-monitor" run
AGENT_PUBLIC_URL="http://127.0.0.1:$fa" FEEDBACK_AGENT_ADDR="127.0.0.1:$fa" FEEDBACK_AGENT_KNOWLEDGE_BASE="$repo/knowledge_base" \
  PREDICT_API_URL="http://127.0.0.1:$pa" N8N_WEBHOOK_URL="http://127.0.0.1:$n8n_port/webhook/fraudloop-notify" \
  start feedback-agent "$bin/feedback-agent"
wait_http "http://127.0.0.1:$pa/ready" predict-api
wait_http "http://127.0.0.1:$dm/health" drift-monitor
wait_http "http://127.0.0.1:$fa/ready" feedback-agent
ok "services answer"

# --- n8n ---------------------------------------------------------------------------------------
step "n8n: import the workflows and the SMTP credential, publish, start on :$n8n_port"
export N8N_USER_FOLDER="$work/n8n" N8N_PORT="$n8n_port" N8N_LISTEN_ADDRESS=127.0.0.1
export N8N_HOST=127.0.0.1 N8N_PROTOCOL=http WEBHOOK_URL="http://127.0.0.1:$n8n_port/"
encryption_key="$(random_token)"
export DB_TYPE=sqlite N8N_RUNNERS_BROKER_PORT="$broker" N8N_ENCRYPTION_KEY="$encryption_key"
export N8N_DIAGNOSTICS_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false
export N8N_TEMPLATES_ENABLED=false N8N_PERSONALIZATION_ENABLED=false N8N_SECURE_COOKIE=false
export N8N_BLOCK_ENV_ACCESS_IN_NODE=false GENERIC_TIMEZONE=UTC N8N_LOG_LEVEL=info
# What the workflows read with $env.
export PREDICT_API_URL="http://127.0.0.1:$pa" DRIFT_MONITOR_URL="http://127.0.0.1:$dm"
export TRAINER_URL="http://127.0.0.1:$tr" FEEDBACK_AGENT_URL="http://127.0.0.1:$fa"
export FRAUDLOOP_MAIL_FROM="fraudloop <fraudloop@example.test>" FRAUDLOOP_OPS_EMAIL="ops@example.test"
export FRAUDLOOP_SLACK_WEBHOOK_URL="http://127.0.0.1:$slack/services/T000/B000/test"
mkdir -p "$N8N_USER_FOLDER"
cat >"$work/credentials.json" <<EOF
[{"id": "fraudloopSmtp001", "name": "fraudloop SMTP", "type": "smtp",
  "data": {"user": "", "password": "", "host": "127.0.0.1", "port": $smtp, "secure": false,
           "disableStartTls": true}}]
EOF
"$n8n" import:credentials --input="$work/credentials.json" >"$work/logs/n8n-import.log" 2>&1 ||
  fail "n8n import:credentials failed"
for wf in "${workflows[@]}"; do
  "$n8n" import:workflow --input="$wf" >>"$work/logs/n8n-import.log" 2>&1 ||
    fail "n8n import:workflow --input=$wf failed"
  id="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$wf")"
  "$n8n" publish:workflow --id="$id" >>"$work/logs/n8n-import.log" 2>&1 ||
    fail "n8n publish:workflow --id=$id failed"
  ok "imported and published $(basename "$wf") ($id)"
done
start n8n "$n8n" start
wait_http "http://127.0.0.1:$n8n_port/healthz" n8n 240
n8n_url="http://127.0.0.1:$n8n_port"
# Published workflows are activated after the server answers; n8n logs each one.
for _ in $(seq 240); do
  [ "$(grep -c '^Activated workflow' "$work/logs/n8n.log")" -ge "${#workflows[@]}" ] && break
  grep -q '^Issue on initial workflow activation' "$work/logs/n8n.log" && fail "n8n could not activate a workflow"
  sleep 0.5
done
[ "$(grep -c '^Activated workflow' "$work/logs/n8n.log")" -ge "${#workflows[@]}" ] ||
  fail "n8n did not activate the ${#workflows[@]} workflows"
ok "n8n up, the three webhooks active"

# The owner account, for n8n's REST API (the execution log).
cookies="$work/n8n-cookies.txt"
curl -fsS -c "$cookies" -o /dev/null -H 'content-type: application/json' \
  -d '{"email":"owner@example.test","firstName":"Test","lastName":"Owner","password":"Owner-pass-1234"}' \
  "$n8n_url/rest/owner/setup" || fail "n8n owner setup failed"
# executions WORKFLOW_ID: the workflow's executions, newest first, as JSON lines {id, status}.
executions() {
  curl -fsS -b "$cookies" -G "$n8n_url/rest/executions" \
    --data-urlencode "filter={\"workflowId\":\"$1\"}" --data-urlencode limit=50 |
    python3 -c '
import json, sys
for e in json.load(sys.stdin)["data"]["results"]:
    print(json.dumps({"id": e["id"], "status": e["status"]}))'
}
# wait_execution WORKFLOW_ID STATUS COUNT: waits until COUNT executions have STATUS; prints the newest id.
wait_execution() {
  for _ in $(seq 120); do
    found="$(executions "$1" | python3 -c '
import json, sys
want, count = sys.argv[1], int(sys.argv[2])
ids = [json.loads(l)["id"] for l in sys.stdin if json.loads(l)["status"] == want]
print(ids[0] if len(ids) >= count else "")' "$2" "$3")"
    [ -n "$found" ] && { echo "$found"; return 0; }
    sleep 0.5
  done
  executions "$1" >&2 || true
  fail "no $2 execution ($3) of $1 in n8n's execution log"
}
# execution ID: the execution summed up as JSON (status, nodes_run, last_node, error_node, error).
execution() { curl -fsS -b "$cookies" "$n8n_url/rest/executions/$1" | python3 "$here/execution.py"; }
mail() { "$py" "$here/sinks.py" wait --dir "$work/mail" --timeout "${3:-60}" --count "${2:-1}" --grep "$1"; }
hook() { "$py" "$here/sinks.py" wait --dir "$work/slack" --timeout "${3:-60}" --count "${2:-1}" --grep "$1"; }
field() { python3 -c 'import json, sys; v = json.loads(sys.argv[1]); [v := v[k] for k in sys.argv[2:]]; print(v)' "$@"; }

# --- a service down: a failed execution, visible ------------------------------------------------
step "daily digest with the trainer down: the run fails and n8n's execution log shows it"
code="$(curl -s -o "$work/digest-down.json" -w '%{http_code}' -X POST "$n8n_url/webhook/fraudloop-digest")"
[ "$code" = 500 ] || fail "digest with the trainer down answered $code: $(cat "$work/digest-down.json")"
failed="$(wait_execution fraudloopDigest1 error 1)"
summary="$(execution "$failed")"
[ "$(field "$summary" error_node)" = "Loop decisions" ] || fail "the failed execution: $summary"
case "$(field "$summary" error)" in *refused*) ;; *) fail "the failed execution does not say why: $summary" ;; esac
[ -z "$(ls "$work/mail")" ] || fail "a digest was sent although the run failed"
ok "webhook answered $code; execution $failed: status error at 'Loop decisions': $(field "$summary" error); no mail"

step "trainer serve :$tr (alerts to n8n's fraudloop-alert webhook)"
TRAINER_ADDR="127.0.0.1:$tr" PREDICT_API_URLS="http://127.0.0.1:$pa" DRIFT_MONITOR_URL="http://127.0.0.1:$dm" \
  FRAUDLOOP_LOOP__ALERT_WEBHOOKS="$n8n_url/webhook/fraudloop-alert" FRAUDLOOP_LOOP__POLL_SECS=0.5 \
  FRAUDLOOP_LOOP__POLICY__REGRESSION_MIN_ROWS=40 FRAUDLOOP_LOOP__POLICY__COOLDOWNS__ALERT_SECS=0 \
  start trainer "$bin/trainer" serve
wait_http "http://127.0.0.1:$tr/ready" "trainer serve"
ok "trainer serve answers"

# --- 1. high-risk notification ------------------------------------------------------------------
step "high-risk notification: webhook → feedback-agent /notify → e-mail with the links"
scam='URGENT: your bank account has been suspended. Verify your card details now at http://secure-bank-verify.top/login or it will be closed today!'
request="$(python3 -c 'import json, sys; print(json.dumps({"text": sys.argv[1], "contact": {"email": "alice@example.test", "name": "Alice", "locale": "en"}}))' "$scam")"
answer="$(curl -fsS -H 'content-type: application/json' -d "$request" "$n8n_url/webhook/fraudloop-notify")" ||
  fail "the notify webhook failed"
prediction="$(field "$answer" prediction_id)"
notice="$(field "$answer" notice_id)"
if [ -z "$prediction" ] || [ -z "$notice" ]; then fail "the notify webhook answered $answer"; fi
received="$(mail alice@example.test)" || fail "no notice e-mail for alice@example.test"
subject="$(field "$received" subject)"
body="$(field "$received" text)"
confirm="$(printf '%s\n' "$body" | sed -n 's/^Yes, it was a scam: \(http[^ ]*\)$/\1/p' | tr -d '\r')"
dispute="$(printf '%s\n' "$body" | sed -n 's/^No, it was genuine: \(http[^ ]*\)$/\1/p' | tr -d '\r')"
case "$confirm" in "http://127.0.0.1:$fa/confirm?token="*) ;; *) fail "no confirm link in the mail: $body" ;; esac
case "$dispute" in "http://127.0.0.1:$fa/confirm?token="*) ;; *) fail "no dispute link in the mail: $body" ;; esac
[ "$confirm" != "$dispute" ] || fail "the confirm and dispute links are the same"
[ -n "$subject" ] || fail "the notice has no subject"
ok "notice $notice for prediction $prediction mailed to alice@example.test: \"$subject\", confirm and dispute links"
wait_execution fraudloopNotify1 success 1 >/dev/null

# label_of PREDICTION_ID: "label source" of the prediction in predict-api's export, or "none".
label_of() {
  curl -fsS -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$pa/admin/export/prod_data.csv" |
    python3 -c '
import csv, sys
rows = [r for r in csv.DictReader(sys.stdin) if r.get("prediction_id") == sys.argv[1] and r.get("label")]
print(rows[-1]["label"] + " " + rows[-1]["label_source"] if rows else "none")' "$1"
}
step "the confirm link, followed as a person does: the GET records nothing, the form's POST does"
curl -fsS -o /dev/null "$confirm" || fail "the confirm page did not open"
[ "$(label_of "$prediction")" = none ] || fail "opening the link (GET) recorded a label"
followed="$(python3 "$here/follow_link.py" "$confirm" confirm)" || fail "following the link failed: $followed"
stored="$(label_of "$prediction")"
[ "$stored" = "fraud user" ] || fail "predict-api has '$stored' for $prediction, expected 'fraud user'"
ok "after a GET: no label; after the form's POST: predict-api stores 'fraud' from source 'user' for $prediction"

step "a notice the agent delivers itself (channel webhook) is mailed by the same workflow"
request="$(python3 -c 'import json; print(json.dumps({"text": "【顺丰速运】您的包裹因地址不详被扣留，请点击 http://sf-express-help.top/x 补缴运费2元，逾期退回。", "contact": {"email": "bob@example.test", "locale": "zh"}, "channel": "webhook"}))')"
answer="$(curl -fsS -H 'content-type: application/json' -d "$request" "http://127.0.0.1:$fa/notify")" ||
  fail "feedback-agent /notify with channel webhook failed"
[ "$(field "$answer" delivery status)" = sent ] || fail "the agent's delivery to n8n: $answer"
received="$(mail bob@example.test)" || fail "no notice e-mail for bob@example.test"
[[ "$(field "$received" text)" == *"/confirm?token="* ]] || fail "bob's notice has no link"
ok "agent → n8n → e-mail to bob@example.test: \"$(field "$received" subject)\""

# --- 2. incident alert: a forced bad promotion, then the loop's rollback ------------------------
step "incident alert: a candidate trained on flipped labels promoted by force; the loop rolls back"
python3 - "$FRAUDLOOP_HOME/data/demo_train.csv" "$work/flipped.csv" <<'PY'
import csv, sys
with open(sys.argv[1], newline="") as src, open(sys.argv[2], "w", newline="") as dst:
    rows = csv.DictReader(src)
    out = csv.DictWriter(dst, fieldnames=rows.fieldnames)
    out.writeheader()
    for row in rows:
        row["label"] = "legit" if row["label"] == "fraud" else "fraud"
        out.writerow(row)
PY
"$bin/trainer" train --data "$work/flipped.csv" --json >"$work/train-bad.json" 2>"$work/logs/train-bad.log"
bad="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$work/train-bad.json")"
"$bin/trainer" promote "$bad" --reason "forced bad promotion (n8n test)" >>"$work/logs/train-bad.log" 2>&1
for _ in $(seq 100); do
  [ "$(field "$(curl -fsS "http://127.0.0.1:$pa/model")" model_version)" = "$bad" ] && break
  sleep 0.2
done
[ "$(field "$(curl -fsS "http://127.0.0.1:$pa/model")" model_version)" = "$bad" ] || fail "$bad never served"
# Labelled traffic on the bad model: operators label 80 of 200 messages with their true labels.
"$bin/trainer" demo-data --out "$work/traffic.csv" --rows 200 --seed 5 >/dev/null
python3 - "$work/traffic.csv" "http://127.0.0.1:$pa" <<'PY'
import csv, json, sys, urllib.request
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
def post(path, body):
    req = urllib.request.Request(sys.argv[2] + path, data=json.dumps(body).encode(),
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)
results = post("/predict/batch", {"items": [{"text": r["text"]} for r in rows]})["results"]
for row, result in list(zip(rows, results))[:80]:
    post("/feedback", {"prediction_id": result["prediction_id"], "label": row["label"], "source": "operator"})
PY
ok "$bad served; 200 messages scored, 80 labelled"
alert="$(hook rollback 1 180)" || fail "no rollback alert reached the Slack-compatible listener"
[ "$(field "$alert" fraudloop action)" = rollback ] || fail "the Slack message is not a rollback: $alert"
[ "$(field "$alert" fraudloop flagged)" = True ] || fail "the rollback is not flagged: $alert"
decision="$(field "$alert" fraudloop decision_id)"
report="$(field "$alert" fraudloop report)"
slack_text="$(field "$alert" text)"
[[ "$slack_text" == *ROLLBACK* ]] || fail "the Slack text does not flag the rollback: $slack_text"
received="$(mail "ROLLBACK" 1 60)" || fail "no rollback alert e-mail"
[ "$(field "$received" envelope_to)" = ops@example.test ] || fail "the alert went to $(field "$received" envelope_to)"
alert_text="$(field "$received" text)"
for want in "Decision: $decision" "Action:   rollback" "Reason:" "Report:   $report"; do
  [[ "$alert_text" == *"$want"* ]] || fail "the alert e-mail lacks '$want': $alert_text"
done
case "$report" in "http://127.0.0.1:$dm/reports/report-"*.json) ;; *) fail "the report link is $report" ;; esac
curl -fsS -o /dev/null "$report" || fail "the report link $report does not open"
logged="$(curl -fsS "http://127.0.0.1:$tr/decisions")"
python3 -c '
import json, sys
d = [x for x in json.loads(sys.argv[1])["decisions"] if x["decision_id"] == sys.argv[2]]
assert d and d[0]["action"] == "rollback", d' "$logged" "$decision" || fail "the trainer's log has no rollback $decision"
wait_execution fraudloopAlert01 success 1 >/dev/null
ok "rollback $decision: e-mail to ops@example.test \"$(field "$received" subject)\", Slack-compatible JSON flagged, report link $report opens"

# --- 3. daily digest ------------------------------------------------------------------------------
step "daily digest: drift report, loop decisions and the served model in one e-mail"
answer="$(curl -fsS -X POST "$n8n_url/webhook/fraudloop-digest")" || fail "the digest webhook failed"
received="$(mail "daily digest" 1 60)" || fail "no digest e-mail"
digest="$(field "$received" text)"
served="$(field "$(curl -fsS "http://127.0.0.1:$pa/model")" model_version)"
for want in "production $served" "Drift (report " "Loop decisions in the last 24 h:" "$decision ROLLBACK" "Needs attention:"; do
  [[ "$digest" == *"$want"* ]] || fail "the digest lacks '$want': $digest"
done
wait_execution fraudloopDigest1 success 1 >/dev/null
ok "digest mailed to $(field "$received" envelope_to): \"$(field "$received" subject)\""

status=0
step "all n8n workflow checks passed"
