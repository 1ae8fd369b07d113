"""Deliver messages to the Slack incoming webhook in env var SLACK_DDPS, whole and in order.

The webhook URL is a secret: it is never logged, posted or put in an exception text.
"""
from __future__ import annotations

import functools
import logging
import os
import time
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from slack_split import escape_for_slack, number_messages, split_message

WEBHOOK_ENV = "SLACK_DDPS"
REDACTED = "<SLACK_DDPS webhook>"
CONNECT_TIMEOUT_SECONDS = 3.05
READ_TIMEOUT_SECONDS = 10.0
RETRIES = 4  # after the first try: on connection errors, timeouts, 429 and 5xx
BACKOFF_FACTOR = 0.5  # seconds; doubles each retry, plus up to 0.25 s of jitter
MAX_RETRY_AFTER_SECONDS = 30.0
MIN_INTERVAL_SECONDS = 1.0  # Slack posts about one message a second per webhook
ERROR_TITLE = ":warning: [ECR repository 사용 현황] 오류"

logger = logging.getLogger(__name__)


class SlackConfigError(ValueError):
    """SLACK_DDPS is missing or is not a webhook URL."""


class SlackDeliveryError(RuntimeError):
    """Slack did not accept a message; the text names the status and Slack's answer."""


class CappedRetry(Retry):
    """urllib3's retry, with a server's Retry-After capped so a run cannot sleep for hours."""

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), MAX_RETRY_AFTER_SECONDS)


def webhook_url() -> str:
    """The webhook URL from SLACK_DDPS, checked (the value itself is never echoed)."""
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if not url:
        raise SlackConfigError(f"{WEBHOOK_ENV} is not set: set it to the Slack incoming webhook URL")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(parts.path) < 2:
        raise SlackConfigError(
            f"{WEBHOOK_ENV} is not a webhook URL (expected https://hooks.slack.com/services/...); value not shown"
        )
    return url


def redact(text: str, url: str) -> str:
    """Text with the webhook URL, and its path alone, replaced by a placeholder."""
    path = urlsplit(url).path
    text = text.replace(url, REDACTED)
    return text.replace(path, REDACTED) if len(path) > 1 else text


class RedactWebhook(logging.Filter):
    """Scrubs the webhook from urllib3's retry and debug log lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        url = os.environ.get(WEBHOOK_ENV, "").strip()
        if url:
            message = record.getMessage()
            cleaned = redact(message, url)
            if cleaned != message:
                record.msg, record.args = cleaned, ()
        return True


@functools.lru_cache(maxsize=4)
def build_session(retries: int, backoff_factor: float) -> requests.Session:
    """A requests session that retries what is safe to retry, with backoff and jitter."""
    retry = CappedRetry(
        total=retries,
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods=frozenset({"POST"}),
        backoff_factor=backoff_factor,
        backoff_jitter=0.25,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


for _name in ("urllib3.connectionpool", "urllib3.util.retry"):
    logging.getLogger(_name).addFilter(RedactWebhook())


def post_text(text: str) -> requests.Response:
    """POST one message; success is HTTP 200 with body `ok`, anything else raises."""
    url = webhook_url()
    failure = None
    try:
        response = build_session(RETRIES, BACKOFF_FACTOR).post(
            url, json={"text": text}, timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
        )
    except requests.RequestException as exc:
        failure = redact(str(exc), url)
    if failure is not None:
        # Raised outside the except block: requests' exception (which holds the URL) is not chained.
        raise SlackDeliveryError(f"Slack webhook unreachable after retries: {failure}")
    if response.status_code != 200 or response.text.strip() != "ok":
        body = redact(response.text.strip()[:200], url) or "(empty body)"
        raise SlackDeliveryError(f"Slack refused the message: HTTP {response.status_code} {body}")
    return response


def send_message_to_slack(message: str) -> requests.Response:
    """Send one message (escaped for Slack); returns Slack's HTTP response."""
    return post_text(escape_for_slack(message))


def send_report_to_slack(report: str) -> list[requests.Response]:
    """Send a report of any length: split on line boundaries, numbered, in order, paced."""
    webhook_url()  # a configuration error stops us before the first message, not midway
    messages = number_messages(split_message(escape_for_slack(report)))
    responses = []
    for index, message in enumerate(messages):
        if index:
            time.sleep(MIN_INTERVAL_SECONDS)
        responses.append(post_text(message))
    return responses


def send_error_message_to_slack(message: str) -> requests.Response:
    """Send an error notice (a title line, then the message); returns the last response."""
    return send_report_to_slack(f"{ERROR_TITLE}\n{message}")[-1]
