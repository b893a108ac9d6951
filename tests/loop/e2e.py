#!/usr/bin/env python3
"""Drives tests/loop/run.sh's services through the closed loop and checks every step (see
run.sh). Exits non-zero with the reason on the first failed check. Standard library only."""
import argparse, csv, http.server, json, subprocess, sys, threading, time, urllib.error
import urllib.request

def call(url, body=None, token=None, headers=None, timeout=30):
    """(status, JSON answer) of a GET, or of a POST when `body` is given."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")

def get(url):
    status, body = call(url)
    check(status == 200, f"GET {url}: {status} {body}")
    return body

def check(ok, what):
    if not ok:
        sys.exit(f"loop e2e: {what}")

def wait(what, probe, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got:
            return got
        check(time.monotonic() < deadline, f"timed out waiting for {what}")
        time.sleep(0.2)

def background_predictions(replicas, texts):
    """A client sending `texts` to /predict on the replicas in turn, every 20 ms, until the
    returned stop() is called; counts answers in the returned {"ok", "failed"}."""
    counts = {"ok": 0, "failed": 0}
    stop = threading.Event()
    def client():
        n = 0
        while not stop.is_set():
            try:
                status, _ = call(f"{replicas[n % len(replicas)]}/predict",
                                 {"text": texts[n % len(texts)]}, timeout=10)
                counts["ok" if status == 200 else "failed"] += 1
            except Exception:
                counts["failed"] += 1
            n += 1
            time.sleep(0.02)
    t = threading.Thread(target=client, daemon=True)
    t.start()
    def stop_client():
        stop.set()
        t.join()
    return counts, stop_client

def webhook(port, status):
    """A webhook receiver on loopback answering `status`; returns the bodies it got."""
    got = []
    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            got.append(json.loads(body))
            self.send_response(status)
            self.end_headers()
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return got

def main():
    ap = argparse.ArgumentParser()
    for a in ("--bin", "--home", "--replicas", "--trainer", "--token"):
        ap.add_argument(a, required=True)
    ap.add_argument("--hook-down", type=int, required=True)
    ap.add_argument("--hook-up", type=int, required=True)
    a = ap.parse_args()
    hook_down, hook_up = webhook(a.hook_down, 500), webhook(a.hook_up, 200)
    replicas, trainer = a.replicas.split(","), a.trainer

    def demo(rows, seed, drifted):
        out = f"{a.home}/demo-{seed}.csv"
        cmd = [f"{a.bin}/trainer", "demo-data", "--out", out, "--rows", str(rows),
               "--seed", str(seed), "--label-noise", "0"] + (["--drifted"] if drifted else [])
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        with open(out, newline="", encoding="utf-8") as f:
            return [(r["text"], r["label"] == "fraud") for r in csv.DictReader(f)]

    def served():
        return [get(f"{r}/model")["model_version"] for r in replicas]

    def traffic(messages, label=0, replica=0):
        """Scores `messages` in batches; an operator labels the first `label`; returns F1."""
        tp = fp = fn = 0
        for i in range(0, len(messages), 100):
            chunk = messages[i:i + 100]
            status, r = call(f"{replicas[replica]}/predict/batch",
                             {"items": [{"text": t} for t, _ in chunk]})
            check(status == 200, f"/predict/batch: {status} {r}")
            for j, ((_, fraud), p) in enumerate(zip(chunk, r["results"])):
                pred = p["label"] == "fraud"
                tp += pred and fraud
                fp += pred and not fraud
                fn += (not pred) and fraud
                if i + j < label:
                    status, body = call(f"{replicas[replica]}/feedback", {
                        "prediction_id": p["prediction_id"],
                        "label": "fraud" if fraud else "legit", "source": "operator"})
                    check(status in (200, 201), f"/feedback: {status} {body}")
        return 2 * tp / max(1, 2 * tp + fp + fn)

    def decisions():
        return get(f"{trainer}/decisions")["decisions"]

    def newer_decision(seen, want):
        """A decision beyond the first `seen` (oldest first) that satisfies `want`."""
        def probe():
            all_ = decisions()
            new = all_[:max(0, len(all_) - seen)]
            return next((d for d in reversed(new) if want(d)), None)
        return probe

    def finished_job(job_id):
        def probe():
            job = get(f"{trainer}/jobs/{job_id}")
            return job if job["state"] not in ("queued", "running") else None
        return wait(f"job {job_id}", probe, timeout=300)

    for r in replicas:
        wait(f"{r}/ready", lambda r=r: call(f"{r}/ready")[0] == 200)
    wait("trainer /ready", lambda: call(f"{trainer}/ready")[0] == 200)
    v1 = served()
    check(v1 == ["v0001", "v0001"], f"replicas serve {v1}")

    # A client on both replicas for the whole run: no request may fail. It sends ordinary
    # (clean) messages, so that its own traffic is no drift.
    counts, stop_client = background_predictions(replicas, [t for t, _ in demo(2000, 98, False)])

    # 1. Clean traffic → ok.
    clean_f1 = traffic(demo(250, 2, False))
    d = wait("a decision on clean traffic",
             newer_decision(0, lambda d: d["signals"]["enough_data"]))
    check(d["action"] == "ok", f"clean traffic: {d['action']} ({d['rule']}: {d['reason']})")
    print(f"1. clean traffic: {d['action']} ({d['rule']}: {d['reason']})")

    # 2. Drifted traffic with k operator labels → retrain → gate passes → served everywhere.
    seen = len(decisions())
    drifted = demo(400, 3, True)
    started = time.monotonic()
    drifted_before = traffic(drifted, label=200)
    d = wait("a retrain decision", newer_decision(seen, lambda d: d["action"] == "retrain"))
    job_id = d["outcome"].split()[1].rstrip(";")
    job = finished_job(job_id)
    check(job["state"] == "succeeded" and job["promoted"],
          f"retrain job {job_id}: {job['state']}: {job.get('gate', {}).get('reasons')} {job.get('error')}")
    v2 = job["candidate"]
    wait(f"{v2} on every replica", lambda: served() == [v2, v2], timeout=30)
    latency = time.monotonic() - started
    drifted_after = traffic(demo(300, 4, True), replica=1)
    check(drifted_after > drifted_before,
          f"F1 on drifted traffic {drifted_before:.3f} -> {drifted_after:.3f}")
    print(f"2. drifted traffic: {d['action']} ({d['rule']}: {d['reason']}); {job_id} "
          f"{job['state']}, gate: {job['gate']['reasons']}; {v2} on both replicas "
          f"{latency:.1f} s after the first drifted request; F1 clean {clean_f1:.3f}, "
          f"drifted {drifted_before:.3f} -> {drifted_after:.3f}")
    entry = next(x for x in decisions() if x.get("decision_id") == d["decision_id"])
    check(entry["later_outcomes"] and entry["later_outcomes"][0]["state"] == "succeeded",
          f"the audit log lacks the job's outcome: {entry}")

    # 3. A candidate trained on flipped labels → rejected; the same key → the same job.
    def drill():
        return call(f"{trainer}/jobs", {"kind": "retrain", "reason": "gate drill",
                                        "flip_labels": True},
                    token=a.token, headers={"Idempotency-Key": "drill-1"})
    status, body = drill()
    check(status == 202, f"POST /jobs: {status} {body}")
    again = drill()[1]
    check(again["job_id"] == body["job_id"], f"same key, new job: {body} vs {again}")
    status, _ = call(f"{trainer}/jobs", {"kind": "retrain"})
    check(status == 401, f"POST /jobs without the token: {status}")
    bad = finished_job(body["job_id"])
    failed = [r for r in bad["gate"]["reasons"] if r.startswith("fail")]
    check(bad["state"] == "rejected" and failed, f"flipped-label job: {bad['state']}")
    v3 = bad["candidate"]
    check(served() == [v2, v2], f"a rejected candidate is served: {served()}")
    print(f"3. flipped labels: {bad['id']} {bad['state']}: {failed}")

    # 4. A forced bad promotion → regression on labelled rows → rollback, and never back.
    subprocess.run([f"{a.bin}/trainer", "--home", a.home, "promote", v3], check=True,
                   stdout=subprocess.DEVNULL)
    wait(f"{v3} on every replica", lambda: served() == [v3, v3], timeout=30)
    seen = len(decisions())
    traffic(demo(200, 5, True), label=80)
    d = wait("a rollback decision", newer_decision(seen, lambda d: d["action"] == "rollback"))
    check(d["rule"] == "R2" and d["versions"]["rolled_back_from"] == v3, f"rollback: {d}")
    wait(f"{v2} back on every replica", lambda: served() == [v2, v2], timeout=30)
    time.sleep(4)  # more reports come; none may roll back again
    rollbacks = [x for x in decisions() if x["action"] == "rollback"]
    check(len(rollbacks) == 1, f"{len(rollbacks)} rollbacks")
    check(served() == [v2, v2], f"after the rollback the replicas serve {served()}")
    print(f"4. forced promotion of {v3}: {d['action']} ({d['rule']}: {d['reason']}); "
          f"{v2} served again")

    stop_client()
    check(counts["failed"] == 0, f"{counts['failed']} failed /predict requests")
    check(counts["ok"] > 50, f"only {counts['ok']} /predict requests")
    all_ = decisions()
    for x in all_:
        check(x.get("reason"), f"a decision without a reason: {x}")
    actions = {x["action"] for x in all_}
    check({"ok", "retrain", "rollback"} <= actions, f"actions seen: {actions}")
    with urllib.request.urlopen(f"{trainer}/metrics", timeout=10) as r:
        metrics = r.read().decode()
    check('fraudloop_loop_decisions_total{action="rollback"} 1' in metrics,
          "fraudloop_loop_decisions_total{action=\"rollback\"} is not 1")
    # Alerts: the rejected candidate and the rollback reached the working receiver as
    # Slack-compatible JSON, each after the failing one was tried (3 attempts) and given up on.
    texts = lambda: [b.get("text", "") for b in hook_up]
    wait("the rejection and rollback alerts", lambda: any("rejected" in t for t in texts())
         and any("rollback (R2)" in t for t in texts()), timeout=30)
    check(all(isinstance(b["text"], str) and "fraudloop" in b for b in hook_up),
          f"alert bodies: {hook_up}")
    check(len(hook_down) >= 3 * len(hook_up), f"{len(hook_down)} attempts at the failing "
          f"receiver for {len(hook_up)} alerts")
    print(f"alerts: {len(hook_up)} delivered ({'; '.join(t[:60] for t in texts())}); "
          f"{len(hook_down)} attempts refused by the failing receiver")
    print(f"/predict: {counts['ok']} ok, {counts['failed']} failed; "
          f"{len(all_)} decisions, each with its reason")

if __name__ == "__main__":
    main()
