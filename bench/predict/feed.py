#!/usr/bin/env python3
"""Sends N sequential POST /predict requests, alternating English and Chinese ~400-character
messages (so the jieba dictionary is loaded), over one keep-alive connection.

Usage: feed.py --url http://127.0.0.1:PORT [--n 2000]

Prints one JSON object: requests sent, elapsed seconds, and the median / p99 of the model's own
scoring time (latency_us) per language.
"""

import argparse
import http.client
import json
import statistics
import sys
import time
import urllib.parse

import messages


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--n", type=int, default=2000)
    args = ap.parse_args()

    url = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    lat = {"en": [], "zh": []}
    started = time.perf_counter()
    for i, text in enumerate(messages.mixed(args.n)):
        conn.request("POST", "/predict", body=json.dumps({"text": text}, ensure_ascii=False).encode(),
                     headers=headers)
        response = conn.getresponse()
        raw = response.read()
        if response.status != 200:
            sys.exit(f"feed.py: HTTP {response.status}: {raw[:300]!r}")
        lat["en" if i % 2 == 0 else "zh"].append(json.loads(raw)["latency_us"])
    elapsed = time.perf_counter() - started
    conn.close()

    def p99(v):
        s = sorted(v)
        return s[min(len(s) - 1, int(len(s) * 0.99))]

    print(json.dumps({
        "requests": args.n,
        "seconds": round(elapsed, 3),
        "scoring_us_en_median": statistics.median(lat["en"]),
        "scoring_us_en_p99": p99(lat["en"]),
        "scoring_us_zh_median": statistics.median(lat["zh"]),
        "scoring_us_zh_p99": p99(lat["zh"]),
    }))


if __name__ == "__main__":
    main()
