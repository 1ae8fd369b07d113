"""A real local HTTP server that answers like Slack, for tests and demos: an incoming webhook at
WEBHOOK_PATH, and the Web API's chat.postMessage at API_PATH for a bot token.

It records every request and checks Block Kit's limits as Slack does (50 blocks, 3,000
characters a section's text, 150 a header's). By default it answers as Slack does when all is
well; queue other answers with `answer_next(...)` (e.g. a 429 with Retry-After, then the default).
An Answer's body is sent as it is, for either endpoint.
"""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

WEBHOOK_PATH = "/services/T0SECRET/B0SECRET/xoxbSecretToken123"
API_PATH = "/api/"
BOT_TOKEN = "xoxb-1111-2222-BotSecretToken"
CHANNEL = "C0REPORTS"
MAX_BLOCKS, MAX_SECTION_CHARS, MAX_HEADER_CHARS = 50, 3000, 150


@dataclass
class Answer:
    """One scripted reply."""

    status: int = 200
    body: str | None = None  # None: Slack's own answer to a good request
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (to provoke client timeouts)
    # An error answer echoing the request, as a proxy may: the body's {url} and {authorization} are
    # replaced by the URL and the Authorization header received.
    echo: bool = False


@dataclass
class Received:
    """One request the server got."""

    path: str
    payload: dict
    status: int  # what the server answered
    at: float
    accepted: bool = False  # Slack took the message (webhook: 200 ok; API: ok true)
    ts: str | None = None  # the API's id of an accepted message


def block_kit_error(payload: dict[str, Any]) -> str | None:
    """Why Slack would refuse the message's blocks, or None."""
    blocks = payload.get("blocks")
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        limit = MAX_HEADER_CHARS if block.get("type") == "header" else MAX_SECTION_CHARS
        if not isinstance(text, str) or len(text) > limit:
            return "invalid_blocks"
    return None


class FakeSlack:
    """Start with `with FakeSlack() as slack:`; `slack.url` is the secret webhook URL, `slack.api_url`
    the Web API's base URL (for BOT_TOKEN and CHANNEL)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._answers: list[Answer] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def root(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return self.root + WEBHOOK_PATH

    @property
    def api_url(self) -> str:
        return self.root + API_PATH

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
        """The `text` of every message Slack took, in arrival order."""
        return [r.payload.get("text", "") for r in self.received if r.accepted]

    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.accepted]

    def _next_answer(self) -> Answer:
        with self._lock:
            return self._answers.pop(0) if self._answers else Answer()

    def _webhook(self, payload: dict[str, Any]) -> tuple[int, str]:
        if not payload.get("text"):
            return 400, "no_text"
        return (400, error) if (error := block_kit_error(payload)) else (200, "ok")

    def _post_message(self, payload: dict[str, Any], authorization: str) -> tuple[int, str]:
        if authorization != f"Bearer {BOT_TOKEN}":
            error = "not_authed" if not authorization else "invalid_auth"
        elif payload.get("channel") != CHANNEL:
            error = "channel_not_found"
        elif not payload.get("text"):
            error = "no_text"
        else:
            error = block_kit_error(payload)
        if error:
            return 200, json.dumps({"ok": False, "error": error})
        with self._lock:
            ts = f"1764547200.{len(self.received):06d}"
        return 200, json.dumps({"ok": True, "channel": CHANNEL, "ts": ts, "message": {"text": payload["text"]}})

    def _handler_class(self) -> type:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                answer = fake._next_answer()
                try:
                    payload = json.loads(raw)
                except ValueError:
                    payload = {"_raw": raw.decode("utf-8", "replace")}
                path = self.path.split("?")[0]
                if path == WEBHOOK_PATH:
                    status, body = fake._webhook(payload)
                elif path == API_PATH + "chat.postMessage":
                    status, body = fake._post_message(payload, self.headers.get("Authorization", ""))
                else:
                    status, body = 404, "no_service"
                if answer.body is not None or answer.status != 200:
                    status, body = answer.status, answer.body if answer.body is not None else ""
                if answer.echo:
                    body = body.replace("{url}", fake.root + self.path).replace(
                        "{authorization}", self.headers.get("Authorization", ""))
                received = Received(self.path, payload, status, time.monotonic())
                received.accepted = status == 200 and (body == "ok" or '"ok": true' in body)
                if received.accepted and body != "ok":
                    received.ts = json.loads(body)["ts"]
                with fake._lock:
                    fake.received.append(received)
                if answer.delay:
                    time.sleep(answer.delay)
                data = body.encode()
                try:
                    self.send_response(status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "text/html" if path == WEBHOOK_PATH else "application/json")
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
