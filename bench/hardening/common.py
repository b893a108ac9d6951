"""A tiny asyncio HTTP/1.1 client and the "normal traffic" measured while an attack runs.

No third-party packages: the load is small (a few hundred sockets), and raw sockets let the
attack scripts send bodies byte by byte.
"""
import asyncio
import json
import random
import time


class Conn:
    """One keep-alive connection to host:port."""

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method, path, body=None, timeout=5.0):
        """Sends a request; returns (status, body bytes). Reconnects when needed."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), timeout)
        data = b"" if body is None else json.dumps(body).encode()
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n")
        try:
            self.writer.write(head.encode() + data)
            return await asyncio.wait_for(self._response(), timeout)
        except BaseException:
            self.close()
            raise

    async def _response(self):
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length, close = 0, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and "close" in value.lower():
                close = True
        body = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


class Normal:
    """Normal callers: `workers` keep-alive clients, each calling /predict and, when
    `feedback_ids` are given, /feedback on one of them in turn, pausing `pause` s between
    calls, until `deadline`. Every call counts: a 2xx is a success, anything else (a status,
    a timeout, a closed socket) a failure."""

    def __init__(self, host, port, workers, pause, feedback_ids=None):
        self.host, self.port, self.workers, self.pause = host, port, workers, pause
        self.feedback_ids = feedback_ids or []
        self.results = {"predict": [], "feedback": []}
        self.statuses = {}

    async def _worker(self, i, deadline):
        conn = Conn(self.host, self.port)
        rng = random.Random(i)
        n = 0
        while time.monotonic() < deadline:
            n += 1
            if self.feedback_ids and n % 2 == 0:
                kind = "feedback"
                body = {"prediction_id": rng.choice(self.feedback_ids),
                        "label": rng.choice(["fraud", "legit"]), "source": "operator"}
                path = "/feedback"
            else:
                kind = "predict"
                body = {"text": f"Your parcel {rng.randrange(10**6)} is held: pay the fee at "
                                f"http://parcel-help.top/{rng.randrange(1000)}"}
                path = "/predict"
            started = time.monotonic()
            try:
                status, _ = await conn.request("POST", path, body, timeout=5.0)
            except Exception as e:  # noqa: BLE001 - every failure counts
                status = type(e).__name__
            elapsed = time.monotonic() - started
            ok = isinstance(status, int) and 200 <= status < 300
            self.results[kind].append((ok, elapsed))
            self.statuses[f"{kind} {status}"] = self.statuses.get(f"{kind} {status}", 0) + 1
            await asyncio.sleep(self.pause)
        conn.close()

    async def run(self, deadline):
        await asyncio.gather(*(self._worker(i, deadline) for i in range(self.workers)))

    def summary(self):
        out = {}
        for kind, results in self.results.items():
            if not results:
                continue
            latencies = sorted(e * 1000 for _, e in results)
            ok = sum(1 for o, _ in results if o)
            out[kind] = {
                "calls": len(results),
                "success_pct": round(100 * ok / len(results), 2),
                "p50_ms": round(percentile(latencies, 50), 2),
                "p99_ms": round(percentile(latencies, 99), 2),
                "max_ms": round(latencies[-1], 2),
            }
        out["statuses"] = self.statuses
        return out
