#!/usr/bin/env python3
"""Times POST /predict/batch with N mixed English/Chinese ~400-character items.

Usage: batch.py --url http://127.0.0.1:PORT [--items 1000] [--runs 30] [--warmup 3] [--pid PID]

Sends --warmup untimed requests, then --runs sequential timed ones over one keep-alive
connection (http.client, the stdlib module under urllib). The wall time runs from sending the
request to reading the last byte of the response (JSON decoding on the client is not timed).
Prints one JSON object: client wall time (median, p90, min, max, all runs, in ms) and, from the
responses, the model's own scoring time per item (latency_us, summed and median per item).
With --pid (the server's process id), also the server's CPU time (user + system, from
/proc/PID/stat) per timed request: unlike wall times, it does not grow when other processes
take the CPU.
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse

import messages


def percentile(values, q):
    """Nearest-rank percentile (q in 0..100)."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, -(-len(s) * q // 100) - 1))
    return s[int(k)]


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True, help="base URL of predict-api, e.g. http://127.0.0.1:8000")
    ap.add_argument("--items", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--pid", type=int, help="server process id, to report its CPU time")
    args = ap.parse_args()

    url = urllib.parse.urlsplit(args.url)
    body = json.dumps({"items": [{"text": t} for t in messages.mixed(args.items)]},
                      ensure_ascii=False).encode("utf-8")
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}

    walls, sums, item_medians = [], [], []
    cpu_before = None
    for i in range(args.warmup + args.runs):
        if i == args.warmup and args.pid:
            cpu_before = cpu_seconds(args.pid)
        started = time.perf_counter()
        conn.request("POST", "/predict/batch", body=body, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        wall = time.perf_counter() - started
        if response.status != 200:
            sys.exit(f"batch.py: HTTP {response.status}: {raw[:300]!r}")
        answer = json.loads(raw)
        if answer["succeeded"] != args.items or answer["failed"]:
            sys.exit(f"batch.py: {answer['succeeded']} succeeded, {answer['failed']} failed")
        if i < args.warmup:
            continue
        lat = [r["latency_us"] for r in answer["results"]]
        walls.append(wall * 1e3)
        sums.append(sum(lat) / 1e3)
        item_medians.append(statistics.median(lat))
    cpu_after = cpu_seconds(args.pid) if args.pid else None
    conn.close()

    print(json.dumps({
        "items": args.items,
        "body_bytes": len(body),
        "runs": args.runs,
        "warmup": args.warmup,
        "wall_ms_median": round(statistics.median(walls), 2),
        "wall_ms_p90": round(percentile(walls, 90), 2),
        "wall_ms_min": round(min(walls), 2),
        "wall_ms_max": round(max(walls), 2),
        "scoring_ms_sum_median": round(statistics.median(sums), 2),
        "scoring_us_per_item_median": statistics.median(item_medians),
        "server_cpu_ms_per_request": (round((cpu_after - cpu_before) * 1e3 / args.runs, 1)
                                      if args.pid else None),
        "wall_ms_all": [round(w, 2) for w in walls],
    }))


if __name__ == "__main__":
    main()
