"""Local stand-ins for the outside world the workflows talk to, speaking the real protocols.

  sinks.py smtp --port P --dir D   an SMTP server (aiosmtpd): each message is written to D as
                                   NNNN.eml, then renamed into place, so readers never see half
  sinks.py http --port P --dir D   an HTTP server taking Slack-compatible webhook POSTs: each
                                   JSON body is written to D as NNNN.json; answers 200 "ok" as
                                   Slack does, 400 "invalid_payload" to a body without "text"
  sinks.py wait --dir D --count N --timeout S [--grep TEXT]
                                   waits until D holds N messages (whose decoded text contains
                                   TEXT) and prints the newest as JSON (mail: from, to, subject,
                                   text; webhook: the body); exits 1 on timeout
"""
import argparse
import email
import email.policy
import itertools
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_counter = itertools.count(1)
_lock = threading.Lock()


def store(directory, suffix, data):
    with _lock:
        n = next(_counter)
    path = os.path.join(directory, f"{n:04d}{suffix}")
    with open(path + ".tmp", "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.rename(path + ".tmp", path)
    return path


def run_smtp(port, directory):
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            header = (
                f"X-Envelope-From: {envelope.mail_from}\r\n"
                f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
            ).encode()
            path = store(directory, ".eml", header + envelope.original_content)
            print(f"smtp: {envelope.mail_from} -> {envelope.rcpt_tos}: {path}", flush=True)
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"smtp sink on 127.0.0.1:{port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def run_http(port, directory):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            try:
                payload = json.loads(body)
                ok = isinstance(payload, dict) and isinstance(payload.get("text"), str)
            except ValueError:
                ok = False
            if not ok:
                self.reply(400, b"invalid_payload")
                return
            path = store(directory, ".json", body)
            print(f"webhook: {self.path}: {path}", flush=True)
            self.reply(200, b"ok")

        def reply(self, status, body):
            self.send_response(status)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"webhook sink on 127.0.0.1:{port}", flush=True)
    server.serve_forever()


def decode(path):
    """A stored message as JSON: an e-mail's headers and decoded text, or a webhook's body."""
    with open(path, "rb") as f:
        raw = f.read()
    if not path.endswith(".eml"):
        return json.loads(raw)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    body = message.get_body(preferencelist=("plain", "html"))
    return {
        "file": path,
        "envelope_to": message["X-Envelope-To"],
        "from": message["From"],
        "to": message["To"],
        "subject": message["Subject"],
        "text": body.get_content() if body else "",
    }


def wait(directory, count, timeout, grep):
    deadline = time.time() + timeout
    while True:
        names = sorted(n for n in os.listdir(directory) if not n.endswith(".tmp"))
        found = [decode(os.path.join(directory, n)) for n in names]
        if grep:
            found = [m for m in found if grep in json.dumps(m, ensure_ascii=False)]
        if len(found) >= count:
            print(json.dumps(found[-1], ensure_ascii=False))
            return 0
        if time.time() > deadline:
            print(f"timed out: {len(found)} of {count} in {directory}", file=sys.stderr)
            return 1
        time.sleep(0.2)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("smtp", "http"):
        p = sub.add_parser(name)
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--dir", required=True)
    p = sub.add_parser("wait")
    p.add_argument("--dir", required=True)
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--grep", default="")
    args = parser.parse_args()
    if args.cmd == "smtp":
        run_smtp(args.port, args.dir)
    elif args.cmd == "http":
        run_http(args.port, args.dir)
    else:
        sys.exit(wait(args.dir, args.count, args.timeout, args.grep))


if __name__ == "__main__":
    main()
