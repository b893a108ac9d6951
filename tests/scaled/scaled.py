#!/usr/bin/env python3
"""Drives tests/scaled/run.sh's services (PostgreSQL + S3, two predict-api replicas, drift-monitor,
trainer serve, feedback-agent, no shared folder) through the loop and a kill -9, checking every step. Exits
non-zero with the reason on the first failed check. Standard library only."""
import argparse, csv, glob, os, signal, subprocess, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "loop"))
from e2e import background_predictions, call, get, wait  # noqa: E402  (the loop e2e's helpers)


def check(ok, what):
    if not ok:
        sys.exit(f"scaled: {what}")


def main():
    ap = argparse.ArgumentParser()
    for a in ("--bin", "--work", "--replicas", "--pids", "--monitor", "--trainer", "--agent",
              "--agent-token", "--psql"):
        ap.add_argument(a, required=True)
    a = ap.parse_args()
    replicas, trainer = a.replicas.split(","), a.trainer
    began = time.monotonic()
    waited = {"labels": 0, "404s": 0}
    made = {"predictions": 0}  # answered by the replicas, outside the background client

    def sql(query):
        out = subprocess.run(a.psql.split() + ["-c", query], check=True, capture_output=True,
                             text=True).stdout
        return out.strip()

    def demo(rows, seed, drifted):
        out = f"{a.work}/demo-{seed}.csv"
        cmd = [f"{a.bin}/trainer", "--home", f"{a.work}/init", "demo-data", "--out", out,
               "--rows", str(rows), "--seed", str(seed), "--label-noise", "0"]
        subprocess.run(cmd + (["--drifted"] if drifted else []), check=True,
                       stdout=subprocess.DEVNULL)
        with open(out, newline="", encoding="utf-8") as f:
            return [(r["text"], r["label"] == "fraud") for r in csv.DictReader(f)]

    def served():
        return [get(f"{r}/model")["model_version"] for r in replicas]

    def label(replica, pid, fraud):
        """Feedback on `pid` through `replica`; a prediction made on the other replica is found
        in the database once its batched insert has landed (retried on 404 for a second)."""
        waited["labels"] += 1
        for _ in range(20):
            status, body = call(f"{replica}/feedback", {
                "prediction_id": pid, "label": "fraud" if fraud else "legit",
                "source": "operator"})
            if status != 404:
                break
            waited["404s"] += 1
            time.sleep(0.05)
        check(status in (200, 201), f"/feedback: {status} {body}")
        return body

    def traffic(messages, labels=0, replica=0):
        """Scores `messages` in batches on one replica; the first `labels` are labelled
        through the *other* replica; returns F1."""
        tp = fp = fn = 0
        other = replicas[1 - replica]
        for i in range(0, len(messages), 100):
            chunk = messages[i:i + 100]
            status, r = call(f"{replicas[replica]}/predict/batch",
                             {"items": [{"text": t} for t, _ in chunk]})
            check(status == 200, f"/predict/batch: {status} {r}")
            made["predictions"] += len(r["results"])
            for j, ((_, fraud), p) in enumerate(zip(chunk, r["results"])):
                pred = p["label"] == "fraud"
                tp += pred and fraud
                fp += pred and not fraud
                fn += (not pred) and fraud
                if i + j < labels:
                    label(other, p["prediction_id"], fraud)
        return 2 * tp / max(1, 2 * tp + fp + fn)

    def decisions():
        return get(f"{trainer}/decisions")["decisions"]

    for r in replicas:
        wait(f"{r}/ready", lambda r=r: call(f"{r}/ready")[0] == 200)
    wait("trainer /ready", lambda: call(f"{trainer}/ready")[0] == 200)
    wait("feedback-agent /ready", lambda: call(f"{a.agent}/ready")[0] == 200)
    v1 = served()
    check(v1 == ["v0001", "v0001"], f"replicas serve {v1}")
    check(sql("SELECT production FROM registry_aliases") == "v0001",
          "production is not v0001 in PostgreSQL")
    print(f"0. both replicas serve {v1[0]} from the bucket; production alias in PostgreSQL")

    # A client on both replicas for the whole loop: no request may fail.
    counts, stop_client = background_predictions(replicas, [t for t, _ in demo(2000, 98, False)])

    # 1. Clean traffic on replica 0 → a report from the database's window → ok.
    clean_f1 = traffic(demo(250, 2, False), replica=0)
    d = wait("a decision on clean traffic",
             lambda: next((d for d in decisions() if d["signals"]["enough_data"]), None))
    check(d["action"] == "ok", f"clean traffic: {d['action']} ({d['rule']}: {d['reason']})")
    print(f"1. clean traffic: report from PostgreSQL's window, decision {d['action']} "
          f"({d['rule']}: {d['reason']})")

    # The feedback agent (auto mode) finds a high-risk prediction with a contact in the
    # database, made on replica 0 while it asks replica 1 about it, and writes one notice.
    scams = [t for t, fraud in demo(40, 7, False) if fraud]
    status, r = call(f"{replicas[0]}/predict/batch", {"items": [{"text": t} for t in scams]})
    check(status == 200, f"/predict/batch: {status} {r}")
    made["predictions"] += len(r["results"])
    riskiest = max(zip(scams, r["results"]), key=lambda x: x[1]["risk_score"])
    check(riskiest[1]["risk_score"] >= 0.5, f"no demo scam scores 0.5: {riskiest}")
    status, p = call(f"{replicas[0]}/predict", {
        "text": riskiest[0], "meta": {"contact": {"email": "scaled@mail.example"}}})
    check(status == 200, f"/predict with a contact: {status} {p}")
    made["predictions"] += 1

    def notices():
        status, outbox = call(f"{a.agent}/outbox", token=a.agent_token)
        check(status == 200, f"agent /outbox: {status} {outbox}")
        return [e for e in outbox["entries"] if e.get("to") == "scaled@mail.example"] or None
    sent = wait("the agent's notice", notices, timeout=20)
    check(len(sent) == 1, f"{len(sent)} notices: {sent}")
    print(f"   feedback-agent (auto mode) read the prediction from PostgreSQL and wrote one "
          f"notice (risk {p['risk_score']:.2f})")

    # 2. Drifted traffic on replica 0, 200 operator labels through replica 1 → retrain.
    seen = len(decisions())
    started = time.monotonic()
    drifted_before = traffic(demo(400, 3, True), labels=200, replica=0)
    stored = int(sql("SELECT count(*) FROM feedback"))
    check(stored == 200, f"{stored} labels in PostgreSQL, want 200")

    def retrain():
        all_ = decisions()
        new = all_[:max(0, len(all_) - seen)]
        return next((d for d in new if d["action"] == "retrain"), None)
    d = wait("a retrain decision", retrain)
    job_id = d["outcome"].split()[1].rstrip(";")

    def finished():
        job = get(f"{trainer}/jobs/{job_id}")
        return job if job["state"] not in ("queued", "running") else None
    job = wait(f"job {job_id}", finished, timeout=300)
    check(job["state"] == "succeeded" and job["promoted"],
          f"retrain job {job_id}: {job['state']}: {job.get('gate', {}).get('reasons')} "
          f"{job.get('error')}")
    v2 = job["candidate"]
    wait(f"{v2} on both replicas", lambda: served() == [v2, v2], timeout=30)
    latency = time.monotonic() - started
    drifted_after = traffic(demo(300, 4, True), replica=1)
    check(drifted_after > drifted_before,
          f"F1 on drifted traffic {drifted_before:.3f} -> {drifted_after:.3f}")
    check(sql("SELECT production || ',' || previous FROM registry_aliases") == f"{v2},v0001",
          "the aliases in PostgreSQL are not the promotion's")
    history = sql("SELECT kind || ':' || version || ':' || actor FROM registry_history ORDER BY seq")
    check(history.splitlines()[-1].startswith(f"promote:{v2}:"), f"history: {history}")
    print(f"2. drifted traffic + 200 labels (given through the other replica): {d['action']} "
          f"({d['rule']}); {job_id} {job['state']}, gate {job['gate']['reasons']}; {v2} on both "
          f"replicas {latency:.1f} s after the first drifted request; F1 clean {clean_f1:.3f}, "
          f"drifted {drifted_before:.3f} -> {drifted_after:.3f}; {waited['404s']} of "
          f"{waited['labels']} labels waited for the other replica's insert")

    stop_client()
    check(counts["failed"] == 0, f"{counts['failed']} failed /predict of {counts['ok'] + counts['failed']}")
    print(f"   /predict during the loop: {counts['ok']} ok, {counts['failed']} failed")

    # Nothing went through files: no home holds a bundle or a log; the bucket holds both
    # versions and the training datasets, the database the predictions.
    files = [p for p in glob.glob(f"{a.work}/*/artifacts/**", recursive=True) if os.path.isfile(p)]
    files += [p for p in glob.glob(f"{a.work}/*/data/**", recursive=True) if os.path.isfile(p)]
    files += [p for p in glob.glob(f"{a.work}/*/loop/**", recursive=True)
              if os.path.isfile(p) and "/loop/datasets/" not in p]
    check(not files, f"files written to a home: {files[:5]}")
    # The loop's records are in PostgreSQL: its decisions, and the job as it ended.
    loop_decisions = int(sql("SELECT count(*) FROM loop_decisions"))
    loop_jobs = sql("SELECT id || ':' || (job->>'state') FROM loop_jobs ORDER BY seq").splitlines()
    check(loop_decisions >= 2 and f"{job_id}:succeeded" in loop_jobs,
          f"loop records in PostgreSQL: {loop_decisions} decision lines, jobs {loop_jobs}")
    listing = subprocess.run([f"{a.bin}/trainer", "--home", f"{a.work}/init", "list", "--json"],
                             check=True, capture_output=True, text=True).stdout
    check(f'"{v2}"' in listing and '"v0001"' in listing, f"trainer list: {listing[:300]}")
    # Every answered prediction is stored (the writer inserts what queued every 50 ms).
    expected = made["predictions"] + counts["ok"]
    wait(f"{expected} predictions in PostgreSQL",
         lambda: int(sql("SELECT count(*) FROM predictions")) >= expected, timeout=10)
    predictions = int(sql("SELECT count(*) FROM predictions"))
    per_replica = sql("SELECT instance || '=' || count(*) FROM predictions GROUP BY instance "
                      "ORDER BY instance").replace("\n", ", ")
    check(predictions == expected, f"{predictions} predictions in PostgreSQL, {expected} answered")
    print(f"   stores: no bundle, log or loop file in any home; {predictions} predictions in "
          f"PostgreSQL ({per_replica}), {loop_decisions} decision lines and jobs {loop_jobs}; "
          f"trainer list reads v0001..{v2} from the bucket")

    # 3. Durability: labels through replica 1, kill -9 right after a 201; every acknowledged
    # label must be in PostgreSQL.
    victim = replicas[1]
    pid = int(open(a.pids.split(",")[1]).read())
    texts = demo(60, 6, True)
    status, r = call(f"{replicas[0]}/predict/batch", {"items": [{"text": t} for t, _ in texts]})
    check(status == 200, f"/predict/batch: {status}")
    acknowledged = []
    for (_, fraud), p in zip(texts, r["results"]):
        body = label(victim, p["prediction_id"], fraud)
        acknowledged.append(body["feedback_id"])
    # One more, and the kill the moment its 201 arrives.
    status, body = call(f"{victim}/feedback", {"text": "final label before the crash " + str(time.time()),
                                              "label": "fraud", "source": "operator"})
    os.kill(pid, signal.SIGKILL)
    check(status == 201, f"last /feedback: {status} {body}")
    acknowledged.append(body["feedback_id"])
    ids = ",".join(f"'{i}'" for i in acknowledged)
    found = int(sql(f"SELECT count(*) FROM feedback WHERE feedback_id IN ({ids})"))
    check(found == len(acknowledged),
          f"{len(acknowledged) - found} of {len(acknowledged)} acknowledged labels lost")
    # The surviving replica still serves, and reads the killed one's labels.
    check(call(f"{replicas[0]}/ready")[0] == 200, "the surviving replica is not ready")
    print(f"3. kill -9 of replica 2 right after a 201: {found}/{len(acknowledged)} acknowledged "
          f"labels in PostgreSQL; replica 1 still serves {served_one(replicas[0])}")
    print(f"   the whole run took {time.monotonic() - began:.1f} s")


def served_one(replica):
    return get(f"{replica}/model")["model_version"]


if __name__ == "__main__":
    main()
