#!/usr/bin/env python3
"""Feedback on unknown prediction ids against predict-api on loopback, with normal /predict
and /feedback (on older predictions, read from the logs) measured alongside.

`--senders` clients send feedback on random UUIDs back to back for `--duration` seconds;
`--workers` normal clients alternate /predict and /feedback on ids from `--ids` (predictions
in the logs, not in the service's memory). Prints one JSON object and stops by itself.
"""
import argparse
import asyncio
import json
import time
import uuid

from common import Conn, Normal


async def sender(host, port, deadline, seen):
    conn = Conn(host, port)
    while time.monotonic() < deadline:
        body = {"prediction_id": str(uuid.uuid4()), "label": "fraud"}
        try:
            status, _ = await conn.request("POST", "/feedback", body, timeout=15.0)
        except Exception as e:  # noqa: BLE001
            status = type(e).__name__
        seen[str(status)] = seen.get(str(status), 0) + 1
    conn.close()


async def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ids", required=True, help="file of known prediction ids, one a line")
    ap.add_argument("--senders", type=int, default=30)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--pause", type=float, default=0.02)
    ap.add_argument("--duration", type=float, default=20)
    args = ap.parse_args()
    assert args.host in ("127.0.0.1", "localhost", "::1"), "loopback only"
    assert args.senders <= 200 and args.duration <= 120, "bounded"
    ids = [line.strip() for line in open(args.ids) if line.strip()]
    seen = {}
    deadline = time.monotonic() + args.duration
    senders = [asyncio.create_task(sender(args.host, args.port, deadline, seen))
               for _ in range(args.senders)]
    await asyncio.sleep(1)
    normal = Normal(args.host, args.port, args.workers, args.pause, feedback_ids=ids)
    await normal.run(deadline)
    await asyncio.wait(senders, timeout=20)
    print(json.dumps({"scenario": "unknown_ids", "senders": args.senders,
                      "duration_s": args.duration, "normal": normal.summary(),
                      "unknown_id_answers": seen}))


if __name__ == "__main__":
    asyncio.run(main())
