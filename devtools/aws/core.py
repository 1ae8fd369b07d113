"""The layer in front of moto's app: it counts, delays, throttles and fails calls as asked, and routes
each (service, operation) to the service that answers it as AWS does, else to moto unchanged."""

from __future__ import annotations

import collections
import io
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from devtools.aws.protocol import (Handler, Key, Request, Response, access_key, error_response, parse,
                                   service_and_region, throttle_response)
from devtools.aws.quotas import RateQuota

WsgiApp = Callable[[dict, Callable], Iterable[bytes]]
READ_PREFIXES = ("Describe", "List", "Get")  # operations that only read state


@dataclass
class Failure:
    """A configured injected error."""

    region: str | None
    operation: str | None
    code: str
    message: str
    status: int
    times: int | None = field(default=None)
    service: str | None = None  # as the SigV4 scope names it; None: any (ECS and App Runner share ListServices)

    def matches(self, req: Request) -> bool:
        """True if this failure applies to the request."""
        return (self.region in (None, req.region) and self.operation in (None, req.operation)
                and self.service in (None, req.service))


class Service:
    """One service's answers where moto's differ from AWS's, and the state they need.

    The layer reaches it as `layer.<name>`, routes its `handlers()` to it and calls `reset()`
    when the account is emptied.
    """

    name = ""
    layer: AwsLayer

    def attach(self, layer: AwsLayer) -> None:
        """Answer through this layer (its `forward`, `call_app`, `shorten` and clocks)."""
        self.layer = layer

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """(service as SigV4 names it, operation) -> the handler answering it."""
        raise NotImplementedError

    def reset(self) -> None:
        """Forget what was recorded and set (nothing, unless the service keeps state)."""


def answer_key(req: Request) -> tuple:
    """What makes two reads the same: operation, region, caller, method, path, query and body."""
    env = req.environ
    return (req.operation, req.region, access_key(env), env.get("REQUEST_METHOD"), env.get("PATH_INFO"),
            env.get("QUERY_STRING"), req.body)


class AwsLayer:
    """WSGI middleware in front of moto's app, answering through its services."""

    def __init__(self, app: WsgiApp, services: Iterable[Service] = (), *, latency: float = 0.0,
                 throttle_fraction: float = 0.0, seed: int = 0) -> None:
        """Wrap app; latency in seconds, throttle_fraction in [0, 1]."""
        self.app = app
        self.latency = latency
        self.throttle_fraction = throttle_fraction
        self.calls: collections.Counter = collections.Counter()
        self.arrivals: list[Key] = []  # (operation, region) of every call, in the order they came
        self.answered: list[Key] = []  # (operation, region) of every call answered 2xx, in the order answered
        self.throttled: collections.Counter = collections.Counter()
        self.operations: set[tuple[str, str]] = set()  # (service, operation) of every call since reset_counts()
        self.in_flight = 0
        self.peak_in_flight = 0  # most calls answered at once since reset_counts()
        self.wall_clock: Callable[[], float] = time.time  # when an image is archived or a manifest pulled
        self.short_pages: int | None = None  # answer at most this many items a page, as AWS may do
        self.rate_quotas: tuple[RateQuota, ...] = ()  # enforced per region, as AWS does (e.g. AWS_RATE_QUOTAS)
        self.clock: Callable[[], float] = time.monotonic  # what the quotas' buckets refill by
        self.sleep: Callable[[float], None] = time.sleep  # how a call's latency is spent
        # (quota, the caller's access key, region) -> (tokens, when): quotas are per account, and a run reads
        # each account with one key (its own, or the one AssumeRole gave it)
        self._buckets: dict[tuple[RateQuota, str, str], tuple[float, float]] = {}
        self._cache_reads = False
        self._answers: dict[tuple, Response] = {}
        self._writes = 0  # counts writes, so a read that overlapped one is not kept
        self._lock = threading.Lock()
        self._moto_locks: dict[str, threading.RLock] = {}  # service -> one moto call of it at a time
        self.moto_faults: list[tuple[Key, str]] = []  # ((service, region), body) of moto's own 5xx answers
        self._random = random.Random(seed)
        self._failures: list[Failure] = []
        self.services: dict[str, Service] = {}
        self._handlers: dict[tuple[str, str], Handler] = {}
        for service in services:
            service.attach(self)
            self.services[service.name] = service
            for route, handler in service.handlers().items():
                if route in self._handlers:
                    raise ValueError(f"{route} is answered by two services")
                self._handlers[route] = handler

    def __getattr__(self, name: str) -> Any:
        """A service by its name: `layer.ecr.image_overrides`."""
        services = self.__dict__.get("services", {})
        if name in services:
            return services[name]
        raise AttributeError(name)

    # ---- public controls -------------------------------------------------

    def reset_counts(self) -> None:
        """Forget all counted calls and throttles."""
        with self._lock:
            self.calls.clear()
            self.operations.clear()
            self.arrivals.clear()
            self.answered.clear()
            self.throttled.clear()
            self.moto_faults.clear()
            self.peak_in_flight = self.in_flight

    @property
    def cache_reads(self) -> bool:
        """Answer a repeated read from memory until the next write (off by default).

        For the benchmark: on AWS the service's own work runs elsewhere, but moto's runs on the
        benchmark machine's cores, beside the handler it is measuring. Latency, throttling,
        injected failures and call counts still apply to every request. Turning it on or off
        empties the cache; so does any call that is not a Describe, List or Get. Answers of
        5xx are never kept. Edits made to the services' override dicts while it is on are not seen.
        """
        return self._cache_reads

    @cache_reads.setter
    def cache_reads(self, on: bool) -> None:
        with self._lock:
            self._cache_reads = on
            self._answers.clear()

    def fail(self, *, region: str | None = None, operation: str | None = None,
             code: str = "AccessDeniedException", message: str = "User is not authorized",
             status: int = 400, times: int | None = None, service: str | None = None) -> None:
        """Answer matching requests with an AWS error (times=None: forever)."""
        if times is not None and times <= 0:
            return
        with self._lock:
            self._failures.append(Failure(region, operation, code, message, status, times, service))

    def clear_failures(self) -> None:
        """Remove all configured failures."""
        with self._lock:
            self._failures.clear()

    def reset(self) -> None:
        """Forget everything: knobs, counts, and what every service recorded and was set."""
        self.clear_failures()
        self.reset_counts()
        self.short_pages = None
        self.cache_reads = False
        self.latency = 0.0
        self.throttle_fraction = 0.0
        with self._lock:
            self.rate_quotas = ()
            self.clock, self.sleep, self.wall_clock = time.monotonic, time.sleep, time.time
            self._buckets.clear()
        for service in self.services.values():
            service.reset()

    def shorten(self, size: int) -> int:
        """The page size, cut to `short_pages` when set."""
        return min(size, self.short_pages) if self.short_pages else size

    # ---- WSGI entry ------------------------------------------------------

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Handle one request."""
        req = parse(environ)
        with self._lock:
            self.calls[req.key] += 1
            self.operations.add((req.service, req.operation))
            self.arrivals.append(req.key)
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.latency > 0:
                self.sleep(self.latency)
            resp = self._injected(req) or self._answer(req)
        finally:
            with self._lock:
                self.in_flight -= 1
        if resp.status.startswith("2"):
            with self._lock:
                self.answered.append(req.key)
        start_response(resp.status, resp.headers)
        return [resp.body]

    def _injected(self, req: Request) -> Response | None:
        """A configured failure or a random throttle, if one applies."""
        with self._lock:
            failure = next((f for f in self._failures if f.matches(req)), None)
            if failure is not None:
                self._consume(failure)
                return error_response(req.service, failure.code, failure.message, failure.status)
            if not self._within_rate(req) or (
                    self.throttle_fraction > 0 and self._random.random() < self.throttle_fraction):
                self.throttled[req.key] += 1
                return throttle_response(req.service)
        return None

    def _within_rate(self, req: Request) -> bool:
        """Take a token from every quota the request counts against, or from none (lock held).

        A quota's bucket holds one second's worth of requests (at least one) and refills
        continuously, so bursts up to the rate pass and a steady stream above it is throttled.
        """
        quotas = [quota for quota in self.rate_quotas if quota.covers(req.service, req.operation)]
        if not quotas:
            return True
        now, counts, caller = self.clock(), {}, access_key(req.environ)
        for quota in quotas:
            room = max(1.0, quota.burst or quota.per_second)
            tokens, counted = self._buckets.get((quota, caller, req.region), (room, now))
            counts[quota] = min(room, tokens + (now - counted) * quota.per_second)
        allowed = all(tokens >= 1 for tokens in counts.values())
        for quota, tokens in counts.items():
            self._buckets[(quota, caller, req.region)] = (tokens - allowed, now)
        return allowed

    def _consume(self, failure: Failure) -> None:
        """Count down a limited failure (caller holds the lock)."""
        if failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                self._failures.remove(failure)

    def _answer(self, req: Request) -> Response:
        """The operation's answer: from the read cache when it is on and holds one."""
        if not self._cache_reads:
            return self._dispatch(req)
        if not req.operation.startswith(READ_PREFIXES):
            with self._lock:
                self._answers.clear()
                self._writes += 1
            resp = self._dispatch(req)
            with self._lock:
                self._writes += 1  # a read that began during this write must not be kept
            return resp
        key = answer_key(req)
        with self._lock:
            kept, writes = self._answers.get(key), self._writes
        if kept is not None:
            return kept
        resp = self._dispatch(req)
        with self._lock:
            if not resp.status.startswith("5") and writes == self._writes:
                self._answers[key] = resp
        return resp

    def _dispatch(self, req: Request) -> Response:
        """Route to the service answering the operation, or forward unchanged."""
        handler = self._handlers.get((req.service, req.operation))
        return handler(req) if handler else self.forward(req)

    # ---- moto --------------------------------------------------------------

    def forward(self, req: Request, body: bytes | None = None, query: str | None = None) -> Response:
        """Call the wrapped app, optionally with a new body or query string."""
        environ = dict(req.environ)
        body = req.body if body is None else body
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        if query is not None:
            environ["QUERY_STRING"] = query
            uri = environ.get("PATH_INFO", "/") + (f"?{query}" if query else "")
            environ.update({k: uri for k in ("REQUEST_URI", "RAW_URI") if k in environ})
        return self.call_app(environ)

    def call_app(self, environ: dict) -> Response:
        """Run the wrapped app and collect its whole answer, one call of a service at a time: moto's
        backends are not thread-safe (a DescribeTasks that moves a task on races another's answer)."""
        captured: dict[str, Any] = {}
        chunks: list[bytes] = []

        def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
            captured["status"], captured["headers"] = status, list(headers)
            return chunks.append

        service, region = service_and_region(environ)
        with self._moto_lock(service):
            result = self.app(environ, start_response)
            try:
                chunks.extend(result)
            finally:
                getattr(result, "close", lambda: None)()
        resp = Response(captured["status"], captured["headers"], b"".join(chunks))
        if resp.status.startswith("5"):  # a fault of moto's own: no test may take it for AWS's
            with self._lock:
                self.moto_faults.append(((service, region), resp.body[:300].decode("utf-8", "replace")))
        return resp

    def _moto_lock(self, service: str) -> threading.RLock:
        """The lock that serialises moto's calls of one service (services call each other in-process freely)."""
        with self._lock:
            return self._moto_locks.setdefault(service, threading.RLock())
