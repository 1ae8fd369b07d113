"""Pace the calls that AWS caps per region (request-rate quotas), so a large region is read whole.

Throttled calls are retried with backoff, but each client's retry budget runs out when a region
asks far faster than its quota for long (a region of 400 image functions lost 39 functions'
aliases that way). Pacing keeps every run under the quota, whatever the region's size.
"""
from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any, Callable

# Request-rate quotas per account and region: (botocore service id, operations that count
# against it, requests a second). Lambda documents 15 a second for "the remainder of the control
# plane API requests" (fixed); read as one quota that ListFunctions and ListAliases share, the safe reading.
REQUEST_RATE_QUOTAS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("lambda", ("ListFunctions", "ListAliases"), 15),
    ("lambda", ("GetFunction",), 100),  # fixed
    ("cloudwatch-logs", ("DescribeLogStreams",), 25),  # botocore's model: "a limit of 25 transactions per second"
)
QUOTA_SHARE = 0.8  # take at most 4/5 of a quota: the rest stays for the account's other callers (deploys, console)


class QuotaBucket:
    """Tokens at `rate` a second, holding one second's worth; full at first, as an idle quota is.

    A caller that finds no token reserves the next one and sleeps until it is due, outside the
    lock, so callers are served in turn. (botocore's adaptive-mode bucket is internal and starts
    empty, which would cost each paced operation a second of its burst.)
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate, self.room = rate, max(1.0, rate)
        self.clock, self.sleep = clock, sleep
        self.tokens, self.counted = self.room, clock()
        self._lock = threading.Lock()

    def take(self) -> None:
        """Wait until a token is due, then use it."""
        with self._lock:
            now = self.clock()
            self.tokens = min(self.room, self.tokens + (now - self.counted) * self.rate) - 1
            self.counted = now
            wait = -self.tokens / self.rate
        if wait > 0:
            self.sleep(wait)


def pace_to_quotas(client: Any) -> None:
    """Make every attempt of the client's quota-capped operations take a token from its quota's bucket first.

    One bucket per quota and client: the ClientFactory builds one client per service and region,
    which is a quota's scope. Retries take a token too, as AWS counts them.
    """
    service = client.meta.service_model.service_id.hyphenize()
    for quota_service, operations, rate in REQUEST_RATE_QUOTAS:
        if quota_service == service:
            take = partial(take_token, QuotaBucket(rate * QUOTA_SHARE))
            for operation in operations:
                client.meta.events.register(f"before-send.{service}.{operation}", take)


def take_token(bucket: QuotaBucket, **_: Any) -> None:
    """A before-send handler: wait for a token. It returns None, so botocore sends the request."""
    bucket.take()
