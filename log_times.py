"""When each function last ran, from the newest event of its CloudWatch Logs group."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import zip_longest
from typing import Any

from aws_clients import ClientFactory
from aws_errors import AWS_ERRORS, error_code, error_message
from parallel import map_in_pool
from kst_time import format_kst

NO_LOG_GROUP = "No Log Group"
NO_LOG_STREAM = "No Log Stream"


@dataclass(frozen=True)
class LastRun:
    """What the report shows for a log group, and the moment when it is known."""

    text: str
    at: datetime | None = None


def last_run(client: Any, log_group_name: str) -> LastRun:
    """The newest log event of a group; 'No Log Group', 'No Log Stream' or the error otherwise."""
    try:
        answer = client.describe_log_streams(
            logGroupName=log_group_name, orderBy="LastEventTime", descending=True, limit=1
        )
    except AWS_ERRORS as exc:
        return LastRun(NO_LOG_GROUP if error_code(exc) == "ResourceNotFoundException" else error_message(exc))
    streams = answer.get("logStreams", [])
    if not streams or "lastEventTimestamp" not in streams[0]:
        return LastRun(NO_LOG_STREAM)
    moment = datetime.fromtimestamp(streams[0]["lastEventTimestamp"] / 1000, tz=timezone.utc)
    return LastRun(format_kst(moment), moment)


def regions_in_turn(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Distinct (region, log group) pairs, sorted, with the regions taking turns.

    DescribeLogStreams is paced per region: in region order, every thread would wait on one
    region's quota while the other regions' quotas went unused.
    """
    by_region: dict[str, list[tuple[str, str]]] = {}
    for pair in sorted(set(pairs)):
        by_region.setdefault(pair[0], []).append(pair)
    return [pair for turn in zip_longest(*by_region.values()) for pair in turn if pair is not None]


def fetch_last_runs(clients: ClientFactory, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], LastRun]:
    """Last run of each distinct (region, log group), looked up concurrently, once each."""
    pairs = regions_in_turn(pairs)

    def lookup(pair: tuple[str, str]) -> LastRun:
        return last_run(clients.get("logs", pair[0]), pair[1])

    return dict(zip(pairs, map_in_pool(lookup, pairs, None, clients.workers)))
