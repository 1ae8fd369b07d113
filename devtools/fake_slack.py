"""A real local HTTP server that answers like a Slack incoming webhook, for tests and demos.

It records every request. By default it answers 200 `ok`; queue other answers with
`answer_next(...)` (e.g. a 429 with Retry-After, then the default).
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WEBHOOK_PATH = "/services/T0SECRET/B0SECRET/xoxbSecretToken123"


@dataclass
class Answer:
    """One scripted reply."""

    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (to provoke client timeouts)


@dataclass
class Received:
    """One request the server got."""

    path: str
    payload: dict
    status: int  # what the server answered
    at: float


class FakeSlack:
    """Start with `with FakeSlack() as slack:`; `slack.url` is the secret webhook URL."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._answers: list[Answer] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{WEBHOOK_PATH}"

    def answer_next(self, *answers: Answer) -> None:
        """Queue replies for the next requests, in order."""
        with self._lock:
            self._answers.extend(answers)

    def reset(self) -> None:
        """Forget what was received and any queued answers."""
        with self._lock:
            self.received.clear()
            self._answers.clear()

    def texts(self) -> list[str]:
        """The `text` of every message accepted (HTTP 200), in arrival order."""
        return [r.payload.get("text", "") for r in self.received if r.status == 200]

    def _next_answer(self) -> Answer:
        with self._lock:
            return self._answers.pop(0) if self._answers else Answer()

    def _handler_class(self) -> type:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                answer = fake._next_answer()
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = {"_raw": raw.decode("utf-8", "replace")}
                status, body = (answer.status, answer.body) if self.path.split("?")[0] == WEBHOOK_PATH else (404, "no_service")
                if status == 200 and not payload.get("text"):
                    status, body = 400, "no_text"
                with fake._lock:
                    fake.received.append(Received(self.path, payload, status, time.monotonic()))
                if answer.delay:
                    time.sleep(answer.delay)
                data = body.encode()
                try:
                    self.send_response(status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> "FakeSlack":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
