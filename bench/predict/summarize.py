#!/usr/bin/env python3
"""Turns bench/predict/run.sh's results.jsonl into the results table (Markdown on stdout).

Usage: summarize.py results.jsonl

Medians are over the rounds/runs of one run.sh invocation. The throughput ratio is
predict req/s / baseline req/s; "paired" is the median of the per-round ratios (each round runs
the baseline and then predict back to back), "of medians" is median predict / median baseline.
"""

import json
import statistics
import sys

TARGET_RATIO = 0.60
TARGET_P99_MS = 5.0
TARGET_BATCH_MS = 25.0
TARGET_RSS_MIB = 64.0


def med(values):
    return statistics.median(values)


def verdict(ok):
    return "PASS" if ok else "FAIL"


def main():
    rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
    meta = next(r for r in rows if r["phase"] == "meta")
    env = {r["at"]: r for r in rows if r["phase"] == "env"}
    models = {r["home"]: r for r in rows if r["phase"] == "model"}
    load = [r for r in rows if r["phase"] == "load"]
    batch = next((r for r in rows if r["phase"] == "batch"), None)
    rss_all = [r for r in rows if r["phase"] == "rss"]
    rss = [r for r in rss_all if r.get("variant", "default") == "default"]
    dur = meta["duration"]

    def by(conns, server):
        return [r["wrk"] for r in load if r["conns"] == conns and r["server"] == server]

    def cpu_us(conns, server):
        """Median server CPU time (user + system) per request over the rounds."""
        v = [r["server_cpu_s"] * 1e6 / r["wrk"]["requests"] for r in load
             if r["conns"] == conns and r["server"] == server and "server_cpu_s" in r]
        return med(v) if v else None

    out = []
    w = out.append
    w(f"Run: {env['start']['date']} to {env.get('end', env['start'])['date']}; "
      f"{meta['nproc']} CPUs, {meta['kernel']}; git {meta['git']} (+{meta['dirty_files']} uncommitted files); {meta['wrk']}")
    w("Load average (1/5/15 min) at each phase: " + "; ".join(
        f"{k} {v['load']}" for k, v in env.items()))
    w("")
    w("| metric | target | measured (median) | ratio | result | runs | command |")
    w("|---|---|---|---|---|---|---|")

    base, pred = by(32, "baseline"), by(32, "predict")
    if base and pred:
        b_rps, p_rps = med([x["rps"] for x in base]), med([x["rps"] for x in pred])
        paired = [p["rps"] / b["rps"] for b, p in zip(base, pred)]
        ratio = med(paired)
        p50, p99 = med([x["p50_us"] for x in pred]) / 1e3, med([x["p99_us"] for x in pred]) / 1e3
        b50, b99 = med([x["p50_us"] for x in base]) / 1e3, med([x["p99_us"] for x in base]) / 1e3
        n = len(pred)
        wrk = f"`wrk -t2 -c32 -d{dur} --latency -s bench/predict/predict.lua URL`"
        w(f"| baseline `POST /echo` throughput (trivial axum JSON) | (reference) | {b_rps:,.0f} req/s "
          f"(p50 {b50:.2f} ms, p99 {b99:.2f} ms) | 1.00 | - | {len(base)} | {wrk} |")
        w(f"| `POST /predict` throughput | >= 60 % of baseline | {p_rps:,.0f} req/s | "
          f"{ratio:.3f} paired (min {min(paired):.3f}, max {max(paired):.3f}); {p_rps / b_rps:.3f} of medians "
          f"| {verdict(ratio >= TARGET_RATIO)} | {n} | {wrk} |")
        w(f"| `POST /predict` p50 latency, 32 connections | (none) | {p50:.2f} ms | - | - | {n} | same |")
        w(f"| `POST /predict` p99 latency, 32 connections | <= 5 ms | {p99:.2f} ms | "
          f"{p99 / TARGET_P99_MS:.2f}x target | {verdict(p99 <= TARGET_P99_MS)} | {n} | same |")
        non2xx = sum(x["non_2xx"] for x in base + pred)
        errs = sum(x[k] for x in base + pred for k in ("err_connect", "err_read", "err_write", "err_timeout"))
        if non2xx or errs:
            w(f"| **errors during load** | 0 | {non2xx} non-2xx, {errs} socket errors | - | FAIL | - | - |")

    cb, cp = cpu_us(32, "baseline"), cpu_us(32, "predict")
    demo_feed = next((r["feed"] for r in rows if r["phase"] == "scoring"), None)
    if cb and cp:
        model = ""
        if demo_feed:
            avg = (demo_feed["scoring_us_en_median"] + demo_feed["scoring_us_zh_median"]) / 2
            model = (f"; model scoring (`latency_us`, 1 connection) en {demo_feed['scoring_us_en_median']:.0f} us, "
                     f"zh {demo_feed['scoring_us_zh_median']:.0f} us, mean {avg:.0f} us")
        w(f"| server CPU time per request, 32 connections | (info) | predict {cp:.0f} us, baseline {cb:.0f} us{model} | "
          f"{cp / cb:.1f}x baseline | - | {len(pred)} | utime+stime from `/proc/PID/stat` around each wrk round |")

    b1, p1 = by(1, "baseline"), by(1, "predict")
    if b1 and p1:
        w(f"| `POST /predict` p50 / p99, 1 connection (unsaturated) | (info) | "
          f"{med([x['p50_us'] for x in p1]) / 1e3:.2f} / {med([x['p99_us'] for x in p1]) / 1e3:.2f} ms, "
          f"{med([x['rps'] for x in p1]):,.0f} req/s | baseline {med([x['p50_us'] for x in b1]) / 1e3:.3f} / "
          f"{med([x['p99_us'] for x in b1]) / 1e3:.3f} ms, {med([x['rps'] for x in b1]):,.0f} req/s | - | {len(p1)} | "
          f"`wrk -t1 -c1 -d5s --latency -s bench/predict/predict.lua URL` |")

    if batch:
        b = batch["result"]
        w(f"| `POST /predict/batch`, 1000 items (mixed en/zh, {b['body_bytes'] / 1e3:.0f} kB) | <= 25 ms | "
          f"{b['wall_ms_median']:.1f} ms (p90 {b['wall_ms_p90']:.1f}, min {b['wall_ms_min']:.1f}) | "
          f"{b['wall_ms_median'] / TARGET_BATCH_MS:.1f}x target | {verdict(b['wall_ms_median'] <= TARGET_BATCH_MS)} | "
          f"{b['runs']} | `python3 bench/predict/batch.py --url URL --items 1000 --runs {b['runs']} --warmup {b['warmup']}` |")
        w(f"| model scoring time in that batch (sum of `latency_us` over the items) | (info) | "
          f"{b['scoring_ms_sum_median']:.1f} ms, {b['scoring_us_per_item_median']:.0f} us/item median | - | - | {b['runs']} | same |")
        if b.get("server_cpu_ms_per_request") is not None:
            cpu = b["server_cpu_ms_per_request"]
            w(f"| server CPU time per batch request (user + system, mean) | (info; 25 ms on 2 cores = 50 ms CPU at most) | "
              f"{cpu:.1f} ms | {cpu / (2 * TARGET_BATCH_MS):.1f}x the 2-core budget | - | {b['runs']} | `/proc/PID/stat` around the timed runs |")

    if rss:
        terms = models.get("big", {}).get("n_features", "?")
        mib = lambda k: med([r[k] for r in rss]) / 1024  # noqa: E731
        v_rss, v_hwm = mib("rss_kib"), mib("hwm_kib")
        cmd = "`predict-api --home H --addr 127.0.0.1:0`, `feed.py --n 2000`, `/proc/PID/status`"
        w(f"| VmRSS, {terms}-term model, after 2000 en/zh predictions | <= 64 MiB | {v_rss:.1f} MiB | "
          f"{v_rss / TARGET_RSS_MIB:.2f} of budget | {verdict(v_rss <= TARGET_RSS_MIB)} | {len(rss)} | {cmd} |")
        w(f"| VmHWM (peak), same | <= 64 MiB | {v_hwm:.1f} MiB | {v_hwm / TARGET_RSS_MIB:.2f} of budget | "
          f"{verdict(v_hwm <= TARGET_RSS_MIB)} | {len(rss)} | same |")
        w(f"| VmRSS right after start (model loaded, no request) | (info) | {mib('idle_rss_kib'):.1f} MiB | - | - | {len(rss)} | same |")
        w(f"| VmRSS / VmHWM after 25k more items via batch (recent-prediction cache full) | (info) | "
          f"{mib('rss_27k_kib'):.1f} / {mib('hwm_27k_kib'):.1f} MiB | {mib('rss_27k_kib') / TARGET_RSS_MIB:.2f} of budget | - | "
          f"{len(rss)} | `batch.py --items 1000 --runs 25 --warmup 0` |")
        variants = {
            "cjk-jieba": f"{models.get('jieba', {}).get('n_features', '?')}-term model trained with "
                         "`FRAUDLOOP_TRAINER_TOKENIZER__CJK=jieba` (loads the jieba dictionary)",
        }
        for key, label in variants.items():
            vr = [r for r in rss_all if r.get("variant") == key]
            if not vr:
                continue
            vm = lambda k: med([r[k] for r in vr]) / 1024  # noqa: E731
            w(f"| VmRSS / VmHWM after 2000 predictions: {label} | (info) | {vm('rss_kib'):.1f} / {vm('hwm_kib'):.1f} MiB "
              f"(idle {vm('idle_rss_kib'):.1f}) | {vm('rss_kib') / TARGET_RSS_MIB:.2f} / {vm('hwm_kib') / TARGET_RSS_MIB:.2f} of budget | "
              f"would {verdict(max(vm('rss_kib'), vm('hwm_kib')) <= TARGET_RSS_MIB)} | {len(vr)} | same |")
        f = [r["feed"] for r in rss]
        w("")
        w(f"Model scoring time (`latency_us`) during the 2000 sequential predictions on the {terms}-term model: "
          f"en median {med([x['scoring_us_en_median'] for x in f]):.0f} us (p99 {med([x['scoring_us_en_p99'] for x in f]):.0f}), "
          f"zh median {med([x['scoring_us_zh_median'] for x in f]):.0f} us (p99 {med([x['scoring_us_zh_p99'] for x in f]):.0f}).")
    if "demo" in models:
        w(f"Load and batch used the 4000-row demo model ({models['demo']['n_features']} terms).")
    print("\n".join(out))


if __name__ == "__main__":
    main()
