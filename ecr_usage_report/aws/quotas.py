"""AWS's per-region request-rate quotas, and the pacing that keeps every call under them.

Throttled calls are retried with backoff, but a client's retry budget runs out when a region
asks far faster than its quota for long; pacing keeps a run under the quota whatever the
region's size. docs/aws-quotas.md has the table with its sources.
"""
from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any, Callable

# (client's service name, operations that count against one quota, requests a second), per
# account and region. Lambda: "Lambda API requests" in its quotas page (fixed); ListFunctions
# and ListAliases are read as one shared control-plane quota, the safe reading.
# CloudWatch Logs: DescribeLogStreams in its quotas page (adjustable; the default is kept).
# ECS: the sustained rate of each category of read actions in its request throttling page.
# EventBridge: one fixed quota for all control plane APIs. EventBridge Scheduler: its quotas page.
REQUEST_RATE_QUOTAS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("lambda", ("ListFunctions", "ListAliases"), 15),
    ("lambda", ("GetFunction",), 100),
    ("logs", ("DescribeLogStreams",), 25),
    ("ecs", ("ListClusters",), 20),
    ("ecs", ("ListServices", "DescribeServices"), 20),
    ("ecs", ("ListTasks", "DescribeTasks"), 20),
    ("ecs", ("ListTaskDefinitions", "DescribeTaskDefinition"), 20),
    ("events", ("ListEventBuses", "ListRules", "ListTargetsByRule"), 50),
    ("scheduler", ("ListSchedules",), 50),
    ("scheduler", ("GetSchedule",), 50),
)
# The bucket sizes AWS states besides the rate (ECS's token buckets), by (service, the quota's first
# operation); another quota's bucket holds one second's worth.
QUOTA_BURSTS: dict[tuple[str, str], float] = {
    ("ecs", "ListClusters"): 50, ("ecs", "ListServices"): 100, ("ecs", "ListTasks"): 100,
    ("ecs", "ListTaskDefinitions"): 50,
}
QUOTA_SHARE = 0.8  # the rest of each quota stays for the account's other callers (deploys, console)
PACED_CALLS_AT_ONCE = 6  # of one service in one region: more would only hold threads asleep until a token is due
PACED_SERVICES = frozenset(service for service, _, _ in REQUEST_RATE_QUOTAS)


def calls_at_once(service: str) -> int | None:
    """How many of a region's calls to this service may run at once (None: no limit of its own)."""
    return PACED_CALLS_AT_ONCE if service in PACED_SERVICES else None


class QuotaBucket:
    """Tokens at `rate` a second, holding `room` (default one second's worth); full at first, as an
    idle quota is.

    A caller that finds no token reserves the next one and sleeps until it is due, outside the
    lock, so callers are served in turn.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, room: float | None = None) -> None:
        self.rate, self.room = rate, max(1.0, rate if room is None else room)
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


def pace_to_quotas(client: Any, clock: Callable[[], float] = time.monotonic,
                   sleep: Callable[[float], None] = time.sleep) -> None:
    """Make every attempt of the client's quota-capped operations, retries included, take a token first.

    One bucket per quota and client: a client serves one service in one region, a quota's scope.
    """
    service = client.meta.service_model.service_name
    for quota_service, operations, rate in REQUEST_RATE_QUOTAS:
        if quota_service == service:
            room = QUOTA_BURSTS.get((service, operations[0]), rate) * QUOTA_SHARE
            take = partial(take_token, QuotaBucket(rate * QUOTA_SHARE, clock, sleep, room))
            event_service = client.meta.service_model.service_id.hyphenize()
            for operation in operations:
                client.meta.events.register(f"before-send.{event_service}.{operation}", take)


def take_token(bucket: QuotaBucket, **_: Any) -> None:
    """A before-send handler: wait for a token; returning None lets botocore send the request."""
    bucket.take()
