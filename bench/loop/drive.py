#!/usr/bin/env python3
"""Drives one closed-loop run (see run.sh): clean traffic, then drifted traffic with operator
labels, and measures the loop latency and the F1 of the served answers. Prints one JSON
object. Standard library only."""
import argparse, csv, json, threading, time, urllib.request

def call(url, body=None, token=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())

def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [(r["text"], r["label"] == "fraud") for r in csv.DictReader(f)]

def wait_up(url):
    for _ in range(300):
        try:
            call(url)
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")

def score(replica, messages, label=0):
    """Scores in batches of 100; labels the first `label` as an operator; returns F1."""
    tp = fp = fn = 0
    for i in range(0, len(messages), 100):
        chunk = messages[i:i + 100]
        r = call(f"{replica}/predict/batch", {"items": [{"text": t} for t, _ in chunk]})
        for j, ((text, fraud), p) in enumerate(zip(chunk, r["results"])):
            pred = p["label"] == "fraud"
            tp += pred and fraud
            fp += pred and not fraud
            fn += (not pred) and fraud
            if i + j < label:
                call(f"{replica}/feedback", {"prediction_id": p["prediction_id"],
                     "label": "fraud" if fraud else "legit", "source": "operator"})
    return 2 * tp / max(1, 2 * tp + fp + fn)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--home"); ap.add_argument("--k", type=int)
    ap.add_argument("--replicas"); ap.add_argument("--trainer")
    a = ap.parse_args()
    replicas = a.replicas.split(",")
    for r in replicas:
        wait_up(f"{r}/model")
    wait_up(f"{a.trainer}/health")
    v1 = call(f"{replicas[0]}/model")["model_version"]

    failed = [0]; sent = [0]; stop = threading.Event()
    def client():
        n = 0
        while not stop.is_set():
            try:
                call(f"{replicas[n % len(replicas)]}/predict", {"text": "Your parcel is out for delivery today"})
                sent[0] += 1
            except Exception:
                failed[0] += 1
            n += 1
            time.sleep(0.02)
    t = threading.Thread(target=client, daemon=True); t.start()

    clean_f1 = score(replicas[0], rows(f"{a.home}/clean.csv"))
    # Recovered F1 is measured on drifted messages nobody labelled: any text that is also
    # among the labelled drifted messages is left out (the retrained model may have seen it).
    drifted = rows(f"{a.home}/drifted.csv")
    labelled = {t for t, _ in drifted[:a.k + a.k // 3]}
    drifted_eval = [r for r in rows(f"{a.home}/drifted_eval.csv") if r[0] not in labelled]
    drifted_f1_before = score(replicas[1], drifted_eval)
    # Drift: the first drifted request starts the clock; operators label as they go.
    started = time.monotonic()
    score(replicas[0], drifted, label=a.k + a.k // 3)
    served_at = None
    verdict = None
    while time.monotonic() - started < 600:
        versions = [call(f"{r}/model")["model_version"] for r in replicas]
        if all(v != v1 and v == versions[0] for v in versions):
            served_at = time.monotonic()
            break
        # The loop may also end without a new model: the gate rejected the candidate.
        jobs = call(f"{a.trainer}/jobs")["jobs"]
        if jobs and all(j["state"] in ("rejected", "failed") for j in jobs):
            verdict = call(f"{a.trainer}/jobs/{jobs[0]['job_id']}").get("gate")
            break
        time.sleep(0.2)
    stop.set(); t.join()
    # F1 of whatever the replicas serve once the loop is done (the first model if rejected).
    after = score(replicas[0], drifted_eval)
    decisions = call(f"{a.trainer}/decisions")["decisions"]
    print(json.dumps({
        "loop_latency_s": round(served_at - started, 2) if served_at else None,
        "clean_f1": round(clean_f1, 4),
        "drifted_f1_before": round(drifted_f1_before, 4),
        "drifted_f1_after": round(after, 4),
        "recovered_gap": round(clean_f1 - after, 4),
        "drifted_eval_rows": len(drifted_eval),
        "predict_ok": sent[0], "predict_failed": failed[0],
        "new_version": versions[0] if served_at else None,
        "decisions": [(d["action"], d["rule"]) for d in decisions],
        "rejected_by": verdict and [r for r in verdict["reasons"] if r.startswith("fail")],
    }))

main()
