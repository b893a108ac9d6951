#!/usr/bin/env python3
"""An OpenAI-compatible chat endpoint on loopback for tests/observability/panels.sh, so the
feedback-agent's generation path (and its metrics) run against a real HTTP server.

POST <anything>/chat/completions answers a valid notice draft that cites S1, except when the
request mentions FAIL-LLM: then 500, as an overloaded provider would (the agent retries, counts
the errors and falls back to its templates). Every other request is 404.

Usage: fake_openai.py PORT   (standard library only; prints "ready" once listening)
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DRAFT = {
    "subject": "Please check this message",
    "body": "This message shows the signs of an account-takeover scam: it pushes you to act at once.",
    "reasons": ["It threatens to lock the account unless you act now."],
    "advice": ["Do not use the link; open the bank's app yourself."],
    "citations": ["S1"],
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        if not self.path.endswith("/chat/completions"):
            return self.answer(404, {"error": {"message": "not found"}})
        if b"FAIL-LLM" in raw:
            return self.answer(500, {"error": {"message": "scripted failure", "type": "server_error"}})
        return self.answer(200, {
            "id": "chatcmpl-panels",
            "object": "chat.completion",
            "model": json.loads(raw).get("model", "fake"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": json.dumps(DRAFT)}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()
