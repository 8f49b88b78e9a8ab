"""A user's own JSON service on 127.0.0.1, for the HTTP target: POST /answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # keep test output quiet

    def do_OPTIONS(self) -> None:
        self.send_response(204)
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        self.server.bodies.append(body)
        question = str(body.get("question", ""))
        seen = self.server.attempts.get(question, 0) + 1
        self.server.attempts[question] = seen
        if question == "busy" and seen == 1:
            self._send(429, {"error": "rate limited"}, {"Retry-After": "0.1"})
        elif question == "broken":
            self._send(500, {"error": "internal"})
        elif question == "bad request":
            self._send(400, {"error": "question too long"})
        else:
            self._send(200, {"data": {"answer": question.upper(), "tenant": body.get("tenant")}})

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[dict[str, Any]] = []
        self.attempts: dict[str, int] = {}


@contextmanager
def answer_service() -> Iterator[_Server]:
    """Run the service in a thread; `server.url` is the endpoint to target."""
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/answer"  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
