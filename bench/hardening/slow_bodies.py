#!/usr/bin/env python3
"""Slow request bodies against predict-api on loopback, with normal /predict traffic measured
alongside.

`--slow` clients each send a POST /predict head announcing a 1,000-byte body, then one byte
per second; a client whose connection the server closes reconnects, so the attack stays at
full strength for `--duration` seconds. Meanwhile `--workers` normal clients call /predict.
Prints one JSON object: the normal calls' success and latency, and what the slow clients saw.
Stops by itself after `--duration` (+ a few seconds to close sockets).
"""
import argparse
import asyncio
import json
import time

from common import Normal


async def slow_client(host, port, deadline, seen):
    while time.monotonic() < deadline:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            seen["connect_failed"] += 1
            await asyncio.sleep(0.5)
            continue
        seen["connections"] += 1
        writer.write(b"POST /predict HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n{\"text\":\"")
        answered = None
        try:
            while time.monotonic() < deadline:
                try:
                    data = await asyncio.wait_for(reader.read(256), 1.0)
                    if not data:
                        break  # closed by the server
                    if answered is None:
                        answered = data.split(b" ", 2)[1].decode()
                        seen.setdefault(f"answer {answered}", 0)
                        seen[f"answer {answered}"] += 1
                except asyncio.TimeoutError:
                    writer.write(b"a")
                    await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()
        if time.monotonic() < deadline:
            seen["closed_by_server"] += 1


async def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--slow", type=int, default=500)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--pause", type=float, default=0.02)
    ap.add_argument("--duration", type=float, default=20)
    args = ap.parse_args()
    assert args.host in ("127.0.0.1", "localhost", "::1"), "loopback only"
    assert args.slow <= 2000 and args.duration <= 120, "bounded"
    seen = {"connections": 0, "closed_by_server": 0, "connect_failed": 0}
    start = time.monotonic()
    deadline = start + args.duration
    slow = [asyncio.create_task(slow_client(args.host, args.port, deadline, seen))
            for _ in range(args.slow)]
    # Let the slow clients take their sockets (and, before the fix, the slots) first.
    await asyncio.sleep(2)
    normal = Normal(args.host, args.port, args.workers, args.pause)
    await normal.run(deadline)
    await asyncio.wait(slow, timeout=5)
    print(json.dumps({"scenario": "slow_bodies", "slow_clients": args.slow,
                      "duration_s": args.duration, "normal": normal.summary(),
                      "slow": seen}))


if __name__ == "__main__":
    asyncio.run(main())
