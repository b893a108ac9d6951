#!/usr/bin/env python3
"""The capacity table of README "Scaling out" from measured costs: projects 1k, 10k and 100k
predictions/s onto predict-api replicas and PostgreSQL.

  bench/stores/project.py RESULT.json [--predict-core-ms 0.052] [--labels-share 0.01]

RESULT.json is bench/stores/run.sh's output. --predict-core-ms is predict-api's CPU per
/predict request in core-milliseconds (bench/k8s/resources.sh: 0.052 core-seconds per 1000).
Assumptions: replicas run at the autoscaler's 70 % of their CPU request (--replica-cores, the
manifests' 0.5),
the database at 60 % of its cores, labels are --labels-share of predictions, and every
prediction is kept for --retention-days days."""
import argparse
import json
import math

p = argparse.ArgumentParser()
p.add_argument("result")
p.add_argument("--predict-core-ms", type=float, default=0.052)
p.add_argument("--labels-share", type=float, default=0.01)
p.add_argument("--replica-cores", type=float, default=0.5)
p.add_argument("--retention-days", type=int, default=30)
a = p.parse_args()
r = json.load(open(a.result))
db_core_s = r["postgres_core_seconds_per_1000_predictions"] / 1000
wal = r["wal_bytes_per_prediction"]
heap = r["heap_bytes_per_prediction"]
index = r["index_bytes_per_prediction"]
print(f"measured: {r['predictions_per_second']:.0f} predictions/s through one writer, "
      f"{wal:.0f} WAL B, {heap:.0f} heap B, {index:.0f} index B per prediction, "
      f"{db_core_s * 1e6:.1f} database core-µs per prediction, label commit p99 "
      f"{r['label_commit_ms_p99']:.2f} ms")
print()
print(f"| predictions/s | predict-api replicas ({a.replica_cores:g} core requested each) | rows/s | WAL | table + indexes per day | index growth per day | database cores |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for rps in (1_000, 10_000, 100_000):
    replicas = max(2, math.ceil(rps * a.predict_core_ms / 1000 / (a.replica_cores * 0.7)))
    rows = rps * (1 + a.labels_share)
    wal_mb = rps * wal / 1e6
    day_gb = rps * 86400 * (heap + index) / 1e9
    index_gb = rps * 86400 * index / 1e9
    cores = max(1, math.ceil(rps * db_core_s / 0.6))
    print(f"| {rps:,} | {replicas} | {rows:,.0f} | {wal_mb:.1f} MB/s | {day_gb:,.1f} GB "
          f"({day_gb * a.retention_days / 1000:,.2f} TB over {a.retention_days} days) | "
          f"{index_gb:,.1f} GB | {cores} |")
