#!/usr/bin/env python3
"""bench/scaled/run.sh's measurements: `measure` (one wrk run through the balancer, CPU of the
replicas and of PostgreSQL from /proc), `events` (a promotion and a kill -9 under load) and
`summarize` (medians and ratios as Markdown). One JSON line per measure/events run."""
import argparse, glob, json, os, re, signal, statistics, subprocess, sys, threading, time
import urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "..", "predict", "predict.lua")
TICK = os.sysconf("SC_CLK_TCK")


def call(url, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET",
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / TICK


def postgres_pids():
    out = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def predictions_served(port):
    _, text = call(f"http://127.0.0.1:{port}/metrics")
    return sum(float(m) for m in re.findall(
        rb"^fraudloop_predictions_total\{[^}]*\} ([0-9.e+]+)$", text, re.M))


def wrk(lb, duration):
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{duration}", "--latency", "-s", LUA,
                          f"http://127.0.0.1:{lb}/predict"], capture_output=True, text=True,
                         check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("BENCH_JSON "))
    return json.loads(line[len("BENCH_JSON "):])


def measure(a):
    ports, pids = a.ports.split(","), [int(p) for p in a.pids.split(",")]
    pg = postgres_pids() if a.backend == "postgres" else []
    before = [predictions_served(p) for p in ports]
    cpu0, pg0 = cpu_seconds(pids), cpu_seconds(pg)
    w = wrk(a.lb, a.duration)
    cpu1, pg1 = cpu_seconds(pids), cpu_seconds(pg)
    after = [predictions_served(p) for p in ports]
    per_replica = [round((y - x) / w["seconds"], 1) for x, y in zip(before, after)]
    replica_cpu = cpu1 - cpu0
    print(json.dumps({
        "backend": a.backend, "round": a.round, "rps": w["rps"], "p50_us": w["p50_us"],
        "p99_us": w["p99_us"], "non_2xx": w["non_2xx"], "errors": w["err_connect"] +
        w["err_read"] + w["err_write"] + w["err_timeout"], "per_replica_rps": per_replica,
        "replica_cores": round(replica_cpu / w["seconds"], 3),
        "rps_per_core": round(w["requests"] / replica_cpu, 1) if replica_cpu else None,
        "postgres_core_us_per_request": round((pg1 - pg0) * 1e6 / w["requests"], 1) if pg else None,
    }))


def events(a):
    ports, pids = a.ports.split(","), [int(p) for p in a.pids.split(",")]
    replicas = [f"http://127.0.0.1:{p}" for p in ports]
    env = dict(os.environ, **dict(kv.split("=", 1) for kv in a.env.split()))
    load = {}

    def background(duration):
        load["wrk"] = wrk(a.lb, duration)
    served = lambda: [json.loads(call(f"{r}/model")[1])["model_version"] for r in replicas]

    # A promotion under load: every replica picks it up; no request fails.
    t = threading.Thread(target=background, args=("8s",))
    t.start()
    time.sleep(2)
    started = time.monotonic()
    subprocess.run([f"{a.bin}/trainer", "promote", "v0002"], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    while served() != ["v0002"] * len(replicas) and time.monotonic() - started < 30:
        time.sleep(0.02)
    switch = time.monotonic() - started
    t.join()
    promotion = {"all_serve_v0002": served() == ["v0002"] * len(replicas),
                 "seconds_until_all_serve": round(switch, 2),
                 "requests": load["wrk"]["requests"], "non_2xx": load["wrk"]["non_2xx"],
                 "errors": load["wrk"]["err_connect"] + load["wrk"]["err_read"]
                 + load["wrk"]["err_write"] + load["wrk"]["err_timeout"]}

    # kill -9 of the last replica right after a 201 on /feedback, under load through nginx.
    victim, victim_pid = replicas[-1], pids[-1]
    t = threading.Thread(target=background, args=("8s",))
    t.start()
    time.sleep(2)
    acknowledged, latencies = [], []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        status, body = call(f"{victim}/predict", {"text": f"verify your account {len(acknowledged)}"})
        pid = json.loads(body)["prediction_id"]
        t0 = time.monotonic()
        status, body = call(f"{victim}/feedback", {"prediction_id": pid, "label": "fraud",
                                                  "source": "operator"})
        latencies.append(time.monotonic() - t0)
        assert status == 201, (status, body)
        acknowledged.append(json.loads(body)["feedback_id"])
    os.kill(victim_pid, signal.SIGKILL)
    t.join()
    if a.backend == "postgres":
        ids = ",".join(f"'{i}'" for i in acknowledged)
        stored = int(subprocess.run(a.psql.split() + ["-c", f"SELECT count(*) FROM feedback "
                                    f"WHERE feedback_id IN ({ids})"], capture_output=True,
                                    text=True, check=True).stdout)
    else:
        found = set()
        for path in glob.glob(f"{a.data}/feedback/*.jsonl"):
            for line in open(path, encoding="utf-8"):
                try:
                    found.add(json.loads(line)["feedback_id"])
                except ValueError:
                    pass
        stored = len(found & set(acknowledged))
    latencies.sort()
    kill = {"acknowledged": len(acknowledged), "stored": stored,
            "feedback_p50_ms": round(1000 * latencies[len(latencies) // 2], 2),
            "feedback_p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 2),
            "requests": load["wrk"]["requests"], "non_2xx": load["wrk"]["non_2xx"],
            "errors": load["wrk"]["err_connect"] + load["wrk"]["err_read"]
            + load["wrk"]["err_write"] + load["wrk"]["err_timeout"]}
    print(json.dumps({"backend": a.backend, "promotion": promotion, "kill": kill}))


def summarize(a):
    rounds = [json.loads(l) for l in open(a.rounds)]
    evs = {e["backend"]: e for e in map(json.loads, open(a.events))}
    med = lambda b, k: statistics.median(r[k] for r in rounds if r["backend"] == b)
    rows = []
    for b in ("files", "postgres"):
        per = [statistics.median(r["per_replica_rps"][i] for r in rounds if r["backend"] == b)
               for i in range(a.replicas)]
        rows.append((b, med(b, "rps"), per, med(b, "p50_us"), med(b, "p99_us"),
                     med(b, "replica_cores"), med(b, "rps_per_core"),
                     med(b, "postgres_core_us_per_request") if b == "postgres" else None,
                     sum(r["non_2xx"] + r["errors"] for r in rounds if r["backend"] == b)))
    n = len([r for r in rounds if r["backend"] == "files"])
    print(f"{a.replicas} replicas behind nginx, medians of {n} rounds per backend\n")
    print("| backend | /predict/s | per replica | p50 | p99 | replica cores used | "
          "requests per replica core-second | PostgreSQL core-µs per request | failed |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for b, rps, per, p50, p99, cores, per_core, pg, failed in rows:
        print(f"| {b} | {rps:,.0f} | {' / '.join(f'{x:,.0f}' for x in per)} | {p50 / 1000:.2f} ms "
              f"| {p99 / 1000:.2f} ms | {cores:.2f} | {per_core:,.0f} | "
              f"{'' if pg is None else f'{pg:.0f}'} | {failed} |")
    # Rounds alternate backends: the ratio within each round holds when the machine's speed
    # drifts between rounds; its median is the comparison.
    by_round = {}
    for r in rounds:
        by_round.setdefault(r["round"], {})[r["backend"]] = r
    pairs = [v for v in by_round.values() if len(v) == 2]
    ratio = lambda k: statistics.median(v["postgres"][k] / v["files"][k] for v in pairs)
    print(f"\nPostgreSQL + S3 vs files (median of the {len(pairs)} per-round ratios): throughput "
          f"{ratio('rps'):.2f}x, p99 {ratio('p99_us'):.2f}x, requests per replica core-second "
          f"{ratio('rps_per_core'):.2f}x\n")
    print("| backend | promotion under load: all replicas serve it after | /predict failed "
          "during it | kill -9 after a 201: labels stored / acknowledged | label p50 / p99 | "
          "/predict failed through nginx during the kill |")
    print("|---|---:|---:|---:|---:|---:|")
    for b in ("files", "postgres"):
        e = evs[b]
        pr, k = e["promotion"], e["kill"]
        print(f"| {b} | {pr['seconds_until_all_serve']:.2f} s | {pr['non_2xx'] + pr['errors']} "
              f"of {pr['requests']:,} | {k['stored']} / {k['acknowledged']} | "
              f"{k['feedback_p50_ms']:.2f} / {k['feedback_p99_ms']:.2f} ms | "
              f"{k['non_2xx'] + k['errors']} of {k['requests']:,} |")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("measure")
    for x in ("--backend", "--round", "--lb", "--duration", "--ports", "--pids"):
        m.add_argument(x, required=True)
    e = sub.add_parser("events")
    for x in ("--backend", "--lb", "--bin", "--env", "--ports", "--pids", "--psql", "--data"):
        e.add_argument(x, required=True)
    s = sub.add_parser("summarize")
    s.add_argument("--rounds", required=True)
    s.add_argument("--events", required=True)
    s.add_argument("--replicas", type=int, required=True)
    a = ap.parse_args()
    {"measure": measure, "events": events, "summarize": summarize}[a.cmd](a)


if __name__ == "__main__":
    main()
