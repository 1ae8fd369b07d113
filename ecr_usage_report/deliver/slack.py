"""Deliver the report to Slack: through an incoming webhook, or as a bot through the Web API, whose
detail messages then go into the summary's thread. Whole, in order, paced, retried; secrets kept.

One retry policy for both: connection errors, 429 (after its Retry-After, capped) and 5xx are
retried a few times with exponential backoff and jitter, and so is a 200 whose answer says
`ratelimited` (a proxy may answer so); a read timeout only once, as the message may have arrived (a
duplicate beats a loss, five do not); any other answer fails at once. A try waits for its answer no
longer than the time left, and none starts when not even its shortest wait is left. The webhook
URL and the bot token are secrets: deliver/slack_settings.py registers them, and
ecr_usage_report.redaction keeps them out of every text (removed before Slack's answer is cut).
"""
from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from functools import cache
from typing import Any, Callable

import requests
from requests.adapters import HTTPAdapter

from ecr_usage_report.deliver.split import MESSAGE_LIMIT, number_messages, split_message
from ecr_usage_report.redaction import PLACEHOLDER as REDACTED
from ecr_usage_report.redaction import clipped, scrub
from ecr_usage_report.report.mrkdwn import escape_for_slack

ERROR_TITLE = ":warning: [ECR repository 사용 현황] 오류"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
RATE_LIMITED = "ratelimited"  # the Web API's error when it wants the message later, whatever the status
REFUSAL_CHARS = 200  # of Slack's answer, shown in the error once its secrets are removed
logger = logging.getLogger(__name__)
__all__ = ["BotChannel", "Delivery", "ERROR_TITLE", "REDACTED", "SlackDeliveryError", "Webhook", "send_report"]
Blocks = list[dict[str, Any]]


@dataclass(frozen=True)
class Delivery:
    """How messages are posted."""

    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    retries: int = 4  # after the first try
    resends_after_timeout: int = 1  # of the retries, those after a read timeout
    backoff: float = 0.5  # seconds before the first retry, doubling with each one
    jitter: float = 0.25  # up to this many seconds added to every wait
    max_retry_after: float = 30.0  # a server's Retry-After is honoured up to this
    interval: float = 1.0  # between the messages of one report: Slack takes about one a second
    message_limit: int = MESSAGE_LIMIT  # characters of one message, its "(i/n) " included
    shortest_read: float = 2.0  # the least a try waits for the answer near the deadline: Slack answers in less

    @property
    def longest_try(self) -> float:
        return self.connect_timeout + self.read_timeout

    @property
    def shortest_try(self) -> float:
        return self.connect_timeout + self.shortest_read


DEFAULT_DELIVERY = Delivery()


class SlackDeliveryError(RuntimeError):
    """Slack did not accept a message; the text names the status and Slack's answer."""


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
        seconds = float(value)
    except ValueError:
        return None
    return min(max(seconds, 0.0), cap) if math.isfinite(seconds) else None


class SlackPoster:
    """What both ways of posting share: each message POSTed with the one retry policy, in a deadline."""

    def __init__(self, delivery: Delivery | None = None, sleep: Callable[[float], None] = time.sleep,
                 jitter: Callable[[], float] = random.random, clock: Callable[[], float] = time.monotonic,
                 deadline: float | None = None) -> None:
        self.delivery = delivery or DEFAULT_DELIVERY
        self.sleep, self._jitter, self._clock = sleep, jitter, clock
        self.deadline = deadline

    def post_message(self, text: str, blocks: Blocks | None = None, thread: str | None = None) -> requests.Response:
        """Post one message, in `thread` where the way allows."""
        raise NotImplementedError

    def ensure_time(self) -> None:
        """Raises SlackDeliveryError when one more paced message could not be answered before the deadline,
        so what was not sent is named (and the report logged) while there is still time."""
        needed = self.delivery.interval + self.delivery.shortest_try
        if self.deadline is not None and self._clock() + needed > self.deadline:
            raise SlackDeliveryError("no time left to send it before the function's timeout")

    def timeouts(self) -> tuple[float, float]:
        """(connect, read) timeouts of the next try: its answer is not awaited past the deadline, yet
        at least `shortest_read`."""
        delivery = self.delivery
        if self.deadline is None:
            return delivery.connect_timeout, delivery.read_timeout
        left = self.deadline - self._clock() - delivery.connect_timeout
        return delivery.connect_timeout, max(min(delivery.read_timeout, left), delivery.shortest_read)

    def thread_of(self, response: requests.Response) -> str | None:
        """What a reply to the posted message threads under (None: replies follow in the channel)."""
        return None

    def refusal(self, response: requests.Response) -> str | None:
        """Why Slack refused this answer, or None when it took the message."""
        raise NotImplementedError

    def _post(self, url: str, payload: dict[str, Any], headers: dict[str, str] | None = None) -> requests.Response:
        """POST with retries; raises SlackDeliveryError once every try allowed has failed."""
        delivery = self.delivery
        resends_left = delivery.resends_after_timeout
        for attempt in range(delivery.retries + 1):
            wait: float | None = None
            try:
                response = http_session().post(url, json=payload, headers=headers, timeout=self.timeouts())
            except requests.ReadTimeout as exc:
                failure, retried = f"Slack did not answer in time: {scrub(str(exc))}", resends_left > 0
                resends_left -= 1
            except (requests.ConnectionError, requests.Timeout) as exc:  # never reached Slack: safe to retry
                failure, retried = f"Slack unreachable: {scrub(str(exc))}", True
            else:
                refusal = self.refusal(response)
                if refusal is None:
                    return response
                failure = f"Slack refused the message: HTTP {response.status_code} {scrub(refusal)}"
                retried = response.status_code in RETRIED_STATUSES or refusal == RATE_LIMITED
                wait = retry_after(response, delivery.max_retry_after)
            if not retried or attempt == delivery.retries:
                break
            pause = (wait if wait is not None else delivery.backoff * 2**attempt) + delivery.jitter * self._jitter()
            if self.deadline is not None and self._clock() + pause + delivery.shortest_try > self.deadline:
                failure += "; no time left to try again"
                break
            logger.warning("%s; trying again in %.1f s (retry %d of %d)", failure, pause, attempt + 1, delivery.retries)
            self.sleep(pause)
        # Raised outside the except block, so requests' exception (which holds the URL) is not chained.
        raise SlackDeliveryError(failure)

    def send(self, report: str) -> list[requests.Response]:
        """A text of any length, without a summary: the details messages alone."""
        return send_report(self, None, report)

    def send_error(self, message: str) -> requests.Response:
        """An error notice: a title line, then the message; returns the last answer."""
        return self.send(f"{ERROR_TITLE}\n{message}")[-1]


class Webhook(SlackPoster):
    """An incoming webhook: messages in the channel, in order (a webhook cannot reply in a thread)."""

    def __init__(self, url: str, delivery: Delivery | None = None, **timing: Any) -> None:
        super().__init__(delivery, **timing)
        self.url = url

    def post_message(self, text: str, blocks: Blocks | None = None, thread: str | None = None) -> requests.Response:
        return self._post(self.url, {"text": text, **({"blocks": blocks} if blocks else {})})

    def post(self, text: str) -> requests.Response:
        """One message as it is."""
        return self.post_message(text)

    def refusal(self, response: requests.Response) -> str | None:
        if response.status_code == 200 and response.text.strip() == "ok":
            return None
        return clipped(response.text.strip(), REFUSAL_CHARS) or "(empty body)"


class BotChannel(SlackPoster):
    """A channel a bot posts to with chat.postMessage; replies go into the first message's thread."""

    def __init__(self, token: str, channel: str, api_url: str, delivery: Delivery | None = None,
                 **timing: Any) -> None:
        super().__init__(delivery, **timing)
        self.channel, self.url = channel, api_url.rstrip("/") + "/chat.postMessage"
        self._headers = {"Authorization": f"Bearer {token}"}

    def post_message(self, text: str, blocks: Blocks | None = None, thread: str | None = None) -> requests.Response:
        payload: dict[str, Any] = {"channel": self.channel, "text": text}
        if blocks:
            payload["blocks"] = blocks
        if thread:
            payload["thread_ts"] = thread
        return self._post(self.url, payload, self._headers)

    def thread_of(self, response: requests.Response) -> str | None:
        return response.json()["ts"]

    def refusal(self, response: requests.Response) -> str | None:
        try:
            answer = response.json()
        except ValueError:
            return clipped(response.text.strip(), REFUSAL_CHARS) or "(empty body)"
        if not isinstance(answer, dict):
            return clipped(response.text.strip(), REFUSAL_CHARS)
        if response.status_code == 200 and answer.get("ok") is True and answer.get("ts"):
            return None
        return clipped(str(answer.get("error") or answer), REFUSAL_CHARS)


def send_report(poster: SlackPoster, summary: tuple[str, Blocks] | None,
                details: str | None) -> list[requests.Response]:
    """The summary (text and blocks) first, then the details escaped for Slack, split on line
    boundaries, numbered, paced, in order, in the summary's thread where the way allows.

    Raises:
        SlackDeliveryError: a message was refused; the text says which ones did not arrive.
    """
    sent: list[requests.Response] = []
    thread = None
    if summary is not None:
        sent.append(poster.post_message(*summary))
        thread = poster.thread_of(sent[0])
    limit = poster.delivery.message_limit
    messages = number_messages(split_message(escape_for_slack(details), limit)) if details else []
    for index, message in enumerate(messages):
        try:
            if sent:  # the first message always gets its try, as a notice does
                poster.ensure_time()
                poster.sleep(poster.delivery.interval)
            sent.append(poster.post_message(message, thread=thread))
        except SlackDeliveryError as exc:
            if len(sent) == 0 and len(messages) == 1:
                raise
            what, before = ("details", ", after the summary") if summary else ("messages", "")
            raise SlackDeliveryError(f"{exc} ({what} {index + 1} to {len(messages)} of {len(messages)} were not"
                                     f" delivered; {index} were{before})") from None
    return sent
