"""Deliver messages to a Slack incoming webhook: whole, in order, paced, retried; the URL kept secret.

A reply is a success only when it is HTTP 200 with body `ok`. Connection errors, 429 (after its
Retry-After, capped) and 5xx are retried a few times with exponential backoff and jitter; a read
timeout only once, as the message may have arrived (a duplicate beats a loss, five do not); any
other answer fails at once. Retries stop when the time left would not cover another try. The
webhook URL is a secret (ecr_usage_report.redaction keeps it out of every text).
"""
from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from functools import cache
from typing import Callable

import requests
from requests.adapters import HTTPAdapter

from ecr_usage_report.deliver.split import MESSAGE_LIMIT, escape_for_slack, number_messages, split_message
from ecr_usage_report.redaction import PLACEHOLDER as REDACTED
from ecr_usage_report.redaction import register_url, scrub

ERROR_TITLE = ":warning: [ECR repository 사용 현황] 오류"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
logger = logging.getLogger(__name__)
__all__ = ["Delivery", "ERROR_TITLE", "REDACTED", "SlackDeliveryError", "Webhook"]


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

    @property
    def longest_try(self) -> float:
        return self.connect_timeout + self.read_timeout


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
        return min(max(float(value), 0.0), cap)
    except ValueError:
        return None


class Webhook:
    """One incoming webhook, posted to in order, within an optional deadline (on `clock`)."""

    def __init__(self, url: str, delivery: Delivery | None = None, sleep: Callable[[float], None] = time.sleep,
                 jitter: Callable[[], float] = random.random, clock: Callable[[], float] = time.monotonic,
                 deadline: float | None = None) -> None:
        self.url = url
        self.delivery = delivery or DEFAULT_DELIVERY
        self._sleep, self._jitter, self._clock = sleep, jitter, clock
        self.deadline = deadline
        register_url(url)

    def post(self, text: str) -> requests.Response:
        """POST one message as it is; raises SlackDeliveryError once every try allowed has failed."""
        delivery = self.delivery
        resends_left = delivery.resends_after_timeout
        for attempt in range(delivery.retries + 1):
            wait: float | None = None
            try:
                response = http_session().post(self.url, json={"text": text},
                                               timeout=(delivery.connect_timeout, delivery.read_timeout))
            except requests.ReadTimeout as exc:
                failure, retried = f"Slack webhook did not answer in time: {scrub(str(exc))}", resends_left > 0
                resends_left -= 1
            except (requests.ConnectionError, requests.Timeout) as exc:  # never reached Slack: safe to retry
                failure, retried = f"Slack webhook unreachable: {scrub(str(exc))}", True
            else:
                if response.status_code == 200 and response.text.strip() == "ok":
                    return response
                body = scrub(response.text.strip()[:200]) or "(empty body)"
                failure = f"Slack refused the message: HTTP {response.status_code} {body}"
                retried = response.status_code in RETRIED_STATUSES
                wait = retry_after(response, delivery.max_retry_after)
            if not retried or attempt == delivery.retries:
                break
            pause = (wait if wait is not None else delivery.backoff * 2**attempt) + delivery.jitter * self._jitter()
            if self.deadline is not None and self._clock() + pause + delivery.longest_try > self.deadline:
                failure += "; no time left to try again"
                break
            logger.warning("%s; trying again in %.1f s (retry %d of %d)", failure, pause, attempt + 1, delivery.retries)
            self._sleep(pause)
        # Raised outside the except block, so requests' exception (which holds the URL) is not chained.
        raise SlackDeliveryError(failure)

    def send(self, report: str) -> list[requests.Response]:
        """A report of any length, escaped for Slack: split on line boundaries, numbered, in order, paced.

        Raises:
            SlackDeliveryError: a message was refused; the text says which ones did not arrive.
        """
        messages = number_messages(split_message(escape_for_slack(report), self.delivery.message_limit))
        responses = []
        for index, message in enumerate(messages):
            if index:
                self._sleep(self.delivery.interval)
            try:
                responses.append(self.post(message))
            except SlackDeliveryError as exc:
                if len(messages) == 1:
                    raise
                raise SlackDeliveryError(f"{exc} (messages {index + 1} to {len(messages)} of {len(messages)}"
                                         f" were not delivered; {index} were)") from None
        return responses

    def send_error(self, message: str) -> requests.Response:
        """An error notice: a title line, then the message; returns the last response."""
        return self.send(f"{ERROR_TITLE}\n{message}")[-1]
