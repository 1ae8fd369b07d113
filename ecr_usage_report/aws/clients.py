"""The one place that builds boto3 clients: retry mode, timeouts, pacing, a thread-safe cache.

Clients are expensive to build and hold no results, so a warm Lambda container reuses them: one
factory per set of credentials and settings (shared_factory), kept until clear_shared_factories().
"""
from __future__ import annotations

import hashlib
import os
import threading
import urllib.request
from datetime import datetime, timezone
from typing import Any

import boto3
from botocore.config import Config
from botocore.utils import parse_timestamp

from ecr_usage_report.aws.errors import AWS_ERRORS
from ecr_usage_report.aws.lean_session import LeanSession, settle_settings
from ecr_usage_report.aws.quotas import pace_to_quotas
from ecr_usage_report.aws.shared_models import read_lean, share_between, share_models
from ecr_usage_report.aws.trust_store import read_bundle_once

MAX_ATTEMPTS = 8  # standard mode: throttles and 5xx back off exponentially, at most 20 s a wait
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30
# What a client depends on besides the profile: every AWS_ variable (botocore's settings, read once a factory)
# and these; a change of any of them is another account, endpoint, setting or way there.
CLIENT_ENV_PREFIX = "AWS_"
OTHER_CLIENT_ENV = ("REQUESTS_CA_BUNDLE", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY",
                    "no_proxy")


def client_config(workers: int) -> Config:
    """botocore settings shared by every client of a run. With no proxy in the environment, clients are told
    so: botocore would otherwise scan the environment for one as it builds each client."""
    return Config(
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        max_pool_connections=max(10, workers),
        proxies=None if urllib.request.getproxies() else {},
    )


def utc_timestamp(value: Any) -> datetime:
    """An AWS timestamp as a UTC datetime: epoch numbers directly, other forms as botocore parses them.

    botocore's default puts every datetime in dateutil's tzlocal(), whose offset lookups are slow
    in pure Python; the instant is the same.
    """
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    return parse_timestamp(value)


def new_session(profile_name: str | None = None, credentials: tuple[str, str, str] | None = None,
                region_name: str | None = None) -> boto3.Session:
    """A boto3 session (the usual credential chain, or the given key, secret and token) whose clients parse
    timestamps with utc_timestamp, whose models are read without their documentation, and whose clients
    copy only their own service's handlers and read the settings once (lean_session)."""
    core = LeanSession()
    read_lean(core)
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=utc_timestamp)
    key, secret, token = credentials or (None, None, None)
    session = boto3.Session(aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
                            region_name=region_name, botocore_session=core, profile_name=profile_name)
    settle_settings(core)
    return session


def load_paginator_model(client: Any) -> None:
    """Load the client's paginator model now, under the factory's lock: on a cold cache botocore
    scans its whole data directory for it, and threads that all page at once would each scan."""
    operation = next(iter(client.meta.method_to_api_mapping), None)
    if operation is not None:
        client.can_paginate(operation)


class ClientFactory:
    """Builds each (service, region) client once, paced to its region's request-rate quotas; thread-safe.

    boto3 clients are thread-safe, sessions are not, so client creation is serialised.
    """

    def __init__(self, session: boto3.Session | None = None, workers: int = 1) -> None:
        self.session = session or new_session()
        share_models(self.session._session)  # boto3 keeps its botocore session there, and offers no accessor
        self.workers = workers
        self.config = client_config(workers)
        self._clients: dict[tuple[str, str], Any] = {}
        self._offered: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()
        self._offered_lock = threading.Lock()  # not the build lock: asking which regions offer waits on no build

    def with_credentials(self, credentials: tuple[str, str, str]) -> ClientFactory:
        """A factory for another account (key, secret, token), in this one's region and width, whose
        clients share this one's models."""
        session = new_session(credentials=credentials, region_name=self.session.region_name)
        share_between(session._session, self.session._session)
        return ClientFactory(session, self.workers)

    def get(self, service: str, region: str) -> Any:
        """The cached client for a service in a region."""
        key = (service, region)
        built = self._clients.get(key)  # a built client is handed out without waiting for the lock
        if built is not None:
            return built
        with self._lock:
            if key not in self._clients:
                client = self.session.client(service, region_name=region, config=self.config)
                read_bundle_once(client)
                load_paginator_model(client)
                pace_to_quotas(client)
                self._clients[key] = client
            return self._clients[key]

    def release(self, service: str, region: str) -> None:
        """Forget a client (one that served a region holding nothing of its service); built again if asked."""
        self._clients.pop((service, region), None)  # atomic: it waits on no client being built

    def regions_offering(self, service: str) -> frozenset[str]:
        """Every region botocore's endpoint data offers the service in, in every partition; read through
        this factory's session, which loads the service's model once for this and its clients."""
        with self._offered_lock:
            if service not in self._offered:
                self._offered[service] = frozenset(
                    region for partition in self.session.get_available_partitions()
                    for region in self.session.get_available_regions(service, partition_name=partition))
            return self._offered[service]

    def build(self, service: str, regions: list[str]) -> None:
        """Build the service's clients now, in region order. One that cannot be built is left to
        the reader that needs it, which builds it again and reports the error for its region."""
        for region in regions:
            try:
                self.get(service, region)
            except AWS_ERRORS:
                continue


def client_env() -> list[str]:
    """The environment a factory's clients depend on, as NAME=value lines."""
    return [f"{name}={value}" for name, value in sorted(os.environ.items())
            if name.startswith(CLIENT_ENV_PREFIX) or name in OTHER_CLIENT_ENV]


_shared: dict[str, ClientFactory] = {}
_shared_lock = threading.Lock()


def shared_factory(profile: str | None, workers: int) -> ClientFactory:
    """This container's factory for the current credentials, settings, endpoint and width, built on first use.

    Raises:
        botocore.exceptions.ProfileNotFound: the profile is not configured.
    """
    settings = "\0".join([profile or "", str(workers), *client_env()])
    key = hashlib.sha256(settings.encode()).hexdigest()  # the key holds no secret in clear
    with _shared_lock:
        if key not in _shared:
            _shared[key] = ClientFactory(new_session(profile), workers)
        return _shared[key]


def clear_shared_factories() -> None:
    """Forget every shared factory (tests; a new container starts with none)."""
    with _shared_lock:
        _shared.clear()
