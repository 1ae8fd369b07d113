"""When each function in use last ran: the newest event of its CloudWatch Logs group.

A joined function's group is looked up as soon as the function is read and its region's
repositories are listed (the join needs their URIs, not their images), so the lookups, paced to
their own quota, run beside the rest of the inventory instead of after it.
"""
from __future__ import annotations

import threading
from concurrent.futures import Future
from datetime import datetime, timezone
from typing import Any, Iterable

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.errors import AWS_ERRORS, error_code, error_message
from ecr_usage_report.aws.scheduler import RegionScheduler, TimeRanOut
from ecr_usage_report.inventory.model import Function, LastRun, LogGroupKey, ReadError

SERVICE = "logs"
LABEL = "CloudWatch Logs"
NO_LOG_GROUP = "No Log Group"
NO_LOG_STREAM = "No Log Stream"


def last_run(client: Any, log_group_name: str) -> LastRun:
    """The newest log event of a group; 'No Log Group', 'No Log Stream' or the error otherwise."""
    try:
        answer = client.describe_log_streams(
            logGroupName=log_group_name, orderBy="LastEventTime", descending=True, limit=1)
    except AWS_ERRORS as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return LastRun(None, NO_LOG_GROUP)
        return LastRun(None, error_message(exc), failed=True)
    streams = answer.get("logStreams", [])
    if not streams or "lastEventTimestamp" not in streams[0]:
        return LastRun(None, NO_LOG_STREAM)
    return LastRun(datetime.fromtimestamp(streams[0]["lastEventTimestamp"] / 1000, tz=timezone.utc))


def lookup_errors(last_runs: dict[LogGroupKey, LastRun]) -> list[ReadError]:
    """The lookups that failed, as errors of the inventory."""
    return [ReadError(region, LABEL, group, last.note) for (region, group), last in last_runs.items() if last.failed]


def finished_lookup(future: Future[LastRun]) -> LastRun:
    """A lookup's answer; one the run's deadline cut short is unknown, and named."""
    try:
        return future.result()
    except TimeRanOut as exc:
        return LastRun(None, str(exc), failed=True)


class LastRunLookups:
    """One lookup per (region, log group), started as early as the join allows, in the logs lane."""

    def __init__(self, clients: ClientFactory, scheduler: RegionScheduler, account: str | None = None) -> None:
        """`account`: the id of the account read, in a report of several, where a function that runs
        another account's image may be joined to that account's repository."""
        self._clients, self._scheduler, self._account = clients, scheduler, account
        self._lock = threading.Lock()
        self._listed: dict[str, frozenset[str]] = {}  # region -> its repositories' URIs
        self._unjoined: dict[str, list[Function]] = {}  # region -> functions read before its repositories
        self._lookups: dict[LogGroupKey, Future[LastRun]] = {}

    def repositories_listed(self, region: str, repositories: list[dict[str, Any]]) -> None:
        """A region's repositories are listed (DescribeRepositories entries)."""
        uris = frozenset(repository["repositoryUri"] for repository in repositories)
        with self._lock:
            self._listed[region] = uris
            waiting = self._unjoined.pop(region, [])
        for function in waiting:
            self._look_up_if_joined(region, function, uris)

    def function_read(self, region: str, function: Function) -> None:
        """A function of the region is read."""
        with self._lock:
            uris = self._listed.get(region)
            if uris is None:
                self._unjoined.setdefault(region, []).append(function)
                return
        self._look_up_if_joined(region, function, uris)

    def results(self, groups: Iterable[LogGroupKey] | None = None) -> dict[LogGroupKey, LastRun]:
        """The last run of each group (default: every group begun); those not begun are looked up now."""
        with self._lock:
            wanted = sorted(set(self._lookups if groups is None else groups))
        futures = {group: self._start(group) for group in wanted}
        return {group: finished_lookup(future) for group, future in futures.items()}

    def _look_up_if_joined(self, region: str, function: Function, uris: frozenset[str]) -> None:
        named = function.repository_uris | function.rollback_repository_uris
        elsewhere = self._account is not None and any(not uri.startswith(f"{self._account}.") for uri in named)
        if named & uris or elsewhere:
            self._start((region, function.log_group))

    def _start(self, group: LogGroupKey) -> Future[LastRun]:
        with self._lock:
            if group not in self._lookups:
                region, name = group
                self._lookups[group] = self._scheduler.submit(SERVICE, region, self._look_up, region, name)
            return self._lookups[group]

    def _look_up(self, region: str, name: str) -> LastRun:
        return last_run(self._clients.get(SERVICE, region), name)
