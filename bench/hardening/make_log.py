#!/usr/bin/env python3
"""Writes another replica's prediction log (schema 1, ~950 bytes a line) into HOME/data, and
`--ids-out` with every 50th prediction id (the older predictions normal feedback labels)."""
import argparse
import datetime
import json
import os
import random
import uuid

ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--home", required=True)
ap.add_argument("--rows", type=int, default=115_000)
ap.add_argument("--ids-out", required=True)
args = ap.parse_args()
rng = random.Random(42)
d = os.path.join(args.home, "data", "predictions")
os.makedirs(d, exist_ok=True)
start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)
descriptors = {k: 1.0 for k in ["cjk_share", "digit_share", "email_count", "exclamation_count",
                                "length", "money_count", "oov_rate", "phone_count",
                                "upper_share", "url_count", "word_count"]}
descriptors["folded"] = 0.0
with open(os.path.join(d, "predictions-other-replica-20260101T000000Z-1.jsonl"), "w") as f, \
        open(args.ids_out, "w") as ids:
    for i in range(args.rows):
        pid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        text = f"Message {i}: " + " ".join(rng.choice(
            ["your", "parcel", "is", "held", "pay", "the", "fee", "now", "lunch", "at", "noon",
             "account", "verify", "http://x.top", "meeting", "notes"]) for _ in range(140))
        record = {"schema": 1, "prediction_id": pid,
                  "at": (start + datetime.timedelta(seconds=i / 10)).isoformat(),
                  "instance": "other-replica", "model_version": "v0001", "text": text,
                  "risk_score": 0.5, "predicted_label": "fraud", "threshold": 0.5,
                  "risk_level": "medium", "descriptors": descriptors, "latency_us": 10}
        f.write(json.dumps(record, separators=(",", ":")) + "\n")
        if i % 50 == 0:
            ids.write(pid + "\n")
