"""Deliver messages to a Slack incoming webhook: whole, in order, paced, retried; the URL kept secret.

A reply is a success only when it is HTTP 200 with body `ok`. Connection errors, timeouts, 429
(after its Retry-After, capped) and 5xx are retried a few times with exponential backoff and
jitter; any other answer fails at once. The webhook URL is a secret: it is never logged, posted
or put in an exception's text.
"""
from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from functools import cache
from typing import Callable
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from ecr_usage_report.deliver.split import escape_for_slack, number_messages, split_message

REDACTED = "<SLACK_DDPS webhook>"
logger = logging.getLogger(__name__)
ERROR_TITLE = ":warning: [ECR repository 사용 현황] 오류"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Delivery:
    """How messages are posted."""

    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    retries: int = 4  # after the first try
    backoff: float = 0.5  # seconds before the first retry, doubling with each one
    jitter: float = 0.25  # up to this many seconds added to every wait
    max_retry_after: float = 30.0  # a server's Retry-After is honoured up to this
    interval: float = 1.0  # between the messages of one report: Slack takes about one a second


DEFAULT_DELIVERY = Delivery()


class SlackDeliveryError(RuntimeError):
    """Slack did not accept a message; the text names the status and Slack's answer."""


def redact(text: str, url: str) -> str:
    """Text with the webhook URL, and its path alone, replaced by a placeholder."""
    path = urlsplit(url).path
    text = text.replace(url, REDACTED)
    return text.replace(path, REDACTED) if len(path) > 1 else text


class RedactWebhooks(logging.Filter):
    """Scrubs every webhook this process posts to from a log line (urllib3 logs request paths)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: set[str] = set()
        self._lock = threading.Lock()

    def add(self, url: str) -> None:
        with self._lock:
            self.urls.add(url)

    def filter(self, record: logging.LogRecord) -> bool:
        message = cleaned = record.getMessage()
        for url in list(self.urls):
            cleaned = redact(cleaned, url)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


REDACT_WEBHOOKS = RedactWebhooks()
for _name in ("urllib3.connectionpool", "urllib3.util.retry", "requests"):
    logging.getLogger(_name).addFilter(REDACT_WEBHOOKS)


@cache
def http_session() -> requests.Session:
    """One keep-alive session per process; retries are this module's own, so its adapters make none."""
    session = requests.Session()
    for scheme in ("https://", "http://"):
        session.mount(scheme, HTTPAdapter(max_retries=0))
    return session


def retry_after(response: requests.Response, cap: float) -> float | None:
    """The server's Retry-After in seconds, capped; None when it gave none (or one not in seconds)."""
    value = response.headers.get("Retry-After", "").strip()
    try:
        return min(max(float(value), 0.0), cap)
    except ValueError:
        return None


class Webhook:
    """One incoming webhook, posted to in order."""

    def __init__(self, url: str, delivery: Delivery | None = None, sleep: Callable[[float], None] = time.sleep,
                 jitter: Callable[[], float] = random.random) -> None:
        self.url = url
        self.delivery = delivery or DEFAULT_DELIVERY
        self._sleep, self._jitter = sleep, jitter
        REDACT_WEBHOOKS.add(url)

    def post(self, text: str) -> requests.Response:
        """POST one message as it is; raises SlackDeliveryError once every try has failed."""
        delivery = self.delivery
        for attempt in range(delivery.retries + 1):
            wait: float | None = None
            try:
                response = http_session().post(self.url, json={"text": text},
                                               timeout=(delivery.connect_timeout, delivery.read_timeout))
            except (requests.ConnectionError, requests.Timeout) as exc:
                failure, retried = f"Slack webhook unreachable after retries: {redact(str(exc), self.url)}", True
            else:
                if response.status_code == 200 and response.text.strip() == "ok":
                    return response
                body = redact(response.text.strip()[:200], self.url) or "(empty body)"
                failure = f"Slack refused the message: HTTP {response.status_code} {body}"
                retried = response.status_code in RETRIED_STATUSES
                wait = retry_after(response, delivery.max_retry_after)
            if not retried or attempt == delivery.retries:
                break
            pause = (wait if wait is not None else delivery.backoff * 2**attempt) + delivery.jitter * self._jitter()
            logger.warning("%s; trying again in %.1f s (retry %d of %d)", failure, pause, attempt + 1, delivery.retries)
            self._sleep(pause)
        # Raised outside the except block, so requests' exception (which holds the URL) is not chained.
        raise SlackDeliveryError(failure)

    def send(self, report: str) -> list[requests.Response]:
        """A report of any length, escaped for Slack: split on line boundaries, numbered, in order, paced."""
        messages = number_messages(split_message(escape_for_slack(report)))
        responses = []
        for index, message in enumerate(messages):
            if index:
                self._sleep(self.delivery.interval)
            responses.append(self.post(message))
        return responses

    def send_error(self, message: str) -> requests.Response:
        """An error notice: a title line, then the message; returns the last response."""
        return self.send(f"{ERROR_TITLE}\n{message}")[-1]
