"""A tiny HTTP server for the sandbox runtime tests: answers its pod name; GET /healthz is 200 until
POST /sick (then 503), so a test can turn a pod unready from outside.

    python echo_server.py PORT
"""

from __future__ import annotations

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SICK = {"now": False}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._answer(503 if SICK["now"] else 200, b"sick" if SICK["now"] else b"ok")
        else:
            self._answer(200, os.environ.get("POD_NAME", "?").encode())

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/sick":
            SICK["now"] = True
        self._answer(200, os.environ.get("POD_NAME", "?").encode() + b":" + body)

    def _answer(self, code: int, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
