"""One place that builds boto3 clients: retry mode, timeouts and a thread-safe cache."""
from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.utils import parse_timestamp

from aws_errors import AWS_ERRORS
from rate_quotas import pace_to_quotas

MAX_WORKERS_ENV = "MAX_WORKERS"
DEFAULT_MAX_WORKERS = 24  # threads per pool (parallel.RegionPools, last_run_prefetch); quota-capped calls are paced
MAX_ATTEMPTS = 8  # standard mode: throttles and 5xx back off exponentially (max 20 s a wait)
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30


def max_workers(value: str | None = None) -> int:
    """Worker threads per pool: explicit value, else env MAX_WORKERS, else 24."""
    raw = value if value is not None else os.environ.get(MAX_WORKERS_ENV)
    if raw is None or raw == "":
        return DEFAULT_MAX_WORKERS
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if not 1 <= number <= 64:
        raise ValueError(f"{MAX_WORKERS_ENV} must be a whole number from 1 to 64, got {raw!r}")
    return number


def client_config(workers: int) -> Config:
    """botocore settings shared by every client of a run."""
    return Config(
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        max_pool_connections=max(10, workers),
    )


def utc_timestamp(value: Any) -> datetime:
    """An AWS timestamp as a UTC datetime: epoch numbers directly, other forms as botocore parses them.

    botocore's default puts every datetime in dateutil's tzlocal(), whose offset lookups run in
    Python: 82 us of CPU per DescribeImages image, against 26 us here. The instant is the same.
    """
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    return parse_timestamp(value)


def new_session(profile_name: str | None = None) -> boto3.Session:
    """A boto3 session (the usual credential chain) whose clients parse timestamps with utc_timestamp."""
    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=utc_timestamp)
    return boto3.Session(botocore_session=core, profile_name=profile_name)


def load_paginator_model(client: Any) -> None:
    """Load the client's paginator model now, while the factory's lock is held.

    botocore loads it on a client's first get_paginator; on a cold cache that scans botocore's
    whole data directory (~400 services). Region threads that all page at once would each run
    that scan side by side (0.8 s of a benchmark run with nothing else done); under the lock it
    runs once, and every later client finds it cached.
    """
    operation = next(iter(client.meta.method_to_api_mapping), None)
    if operation is not None:
        client.can_paginate(operation)


class ClientFactory:
    """Builds each (service, region) client once, paced to its region's request-rate quotas; thread-safe.

    boto3 clients are thread-safe, sessions are not, so client creation is serialised.
    """

    def __init__(self, session: boto3.Session | None = None, workers: int | None = None) -> None:
        self.session = session or new_session()
        self.workers = workers or max_workers()
        self.config = client_config(self.workers)
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str, region: str) -> Any:
        """The cached client for a service in a region."""
        key = (service, region)
        built = self._clients.get(key)  # a built client is handed out without waiting for the lock
        if built is not None:
            return built
        with self._lock:
            if key not in self._clients:
                client = self.session.client(service, region_name=region, config=self.config)
                load_paginator_model(client)
                pace_to_quotas(client)
                self._clients[key] = client
            return self._clients[key]

    def build(self, service: str, regions: list[str]) -> None:
        """Build the service's clients now, in region order. One that cannot be built is left to
        the reader that needs it, which builds it again and reports the error for its region."""
        for region in regions:
            try:
                self.get(service, region)
            except AWS_ERRORS:
                continue
