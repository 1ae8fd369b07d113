"""Every consumer kind besides Lambda functions (inventory/kinds.py lists them), read in every region
that offers it, on the run's scheduler.

A kind with a follow-up (ECS: the task definitions its services, and the schedules that feed it,
name) starts it in a region as soon as its reads and its feeders' there are in, beside the other kinds.
Lambda rollback versions are read by the Lambda reader itself (inventory/functions.py).
"""
from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Callable, Iterable, Iterator

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.scheduler import RegionScheduler
from ecr_usage_report.inventory import reader
from ecr_usage_report.inventory.kinds import READ_KINDS, ConsumerSettings
from ecr_usage_report.inventory.model import Consumer, ReadError
from ecr_usage_report.inventory.reader import ConsumerKind

DECLARED: tuple[ConsumerKind, ...] = tuple(import_module(f"{__package__}.{word}").KIND for word in READ_KINDS)
# How ERRORS names each kind's readers: an error under one of these leaves its region's usage unknown.
LABELS = tuple(kind.label for kind in DECLARED)
Pending = dict[str, Future[reader.Listing]]


@dataclass
class PendingConsumers:
    """The consumer readers started for a run, by kind (a kind not asked for has none)."""

    clients: ClientFactory
    scheduler: RegionScheduler
    settings: ConsumerSettings
    started: dict[str, Pending] = field(default_factory=dict)


@dataclass
class FollowingUp:
    """A kind with a follow-up: each region's values of it and its feeders, and the follow-up reads started."""

    kind: ConsumerKind
    values: dict[str, list[Any]] = field(default_factory=dict)
    started: Pending = field(default_factory=dict)


def start(clients: ClientFactory, scheduler: RegionScheduler, regions: list[str],
          settings: ConsumerSettings) -> PendingConsumers:
    """Queue every asked kind's listing in every region; one that does not offer its service holds none."""
    pending = PendingConsumers(clients, scheduler, settings)
    for kind in DECLARED:
        if kind.word in settings.kinds:
            pending.started[kind.word] = reader.start(kind.for_run(clients, scheduler), clients, scheduler, regions)
    return pending


def finish(pending: PendingConsumers) -> tuple[dict[str, tuple[Consumer, ...]], list[ReadError]]:
    """Every consumer found, by region, and every error. A kind's follow-up in a region is started as
    soon as that region's reads of it and its feeders are in, and read after the other kinds."""
    errors: list[ReadError] = []

    def done(started: Pending, label: str) -> dict[str, tuple]:
        values, kind_errors = reader.finish(started, label)
        errors.extend(kind_errors)
        return values

    following = [start_follow_ups(pending, kind, done) for kind in DECLARED if kind.follow_up is not None]
    found: dict[str, list[Consumer]] = {}
    for kind in DECLARED:
        if kind.follow_up is None and not kind.feeds:
            for region, values in done(pending.started.get(kind.word, {}), kind.label).items():
                found.setdefault(region, []).extend(flatten(values))
    for follow in following:
        read = done(follow.started, follow.kind.label)
        for region, values in sorted(follow.values.items()):
            found.setdefault(region, []).extend(
                follow.kind.follow_up.consumers(region, values, read.get(region, ()), pending.settings))
    return {region: tuple(consumers) for region, consumers in sorted(found.items())}, errors


def start_follow_ups(pending: PendingConsumers, kind: ConsumerKind,
                     done: Callable[[Pending, str], dict[str, tuple]]) -> FollowingUp:
    """Wait for each region's reads of the kind and its feeders, the soonest first, and start its follow-up there."""
    group = [kind, *(feeder for feeder in DECLARED if feeder.feeds == kind.word)]
    started = [pending.started.get(member.word, {}) for member in group]
    follow = FollowingUp(kind)
    for region in regions_as_read(started):
        follow.values[region] = [value for member, listing in zip(group, started) if region in listing
                                 for value in flatten(done({region: listing[region]}, member.label).get(region, ()))]
        follow_reader = kind.follow_up.reader(follow.values[region], pending.settings)
        if follow_reader is not None:
            follow.started.update(reader.start(follow_reader, pending.clients, pending.scheduler, [region]))
    return follow


def regions_as_read(started: list[Pending]) -> Iterator[str]:
    """Each region once every reader's listing there, and every read that listing queued, is done:
    the soonest first (only the calling thread waits)."""
    outstanding: dict[str, set[Future]] = {}
    region_of: dict[Future, str] = {}
    listings = {listing for pending in started for listing in pending.values()}
    for pending in started:
        for region, listing in pending.items():
            outstanding.setdefault(region, set()).add(listing)
            region_of[listing] = region
    while region_of:
        finished, _ = wait(list(region_of), return_when=FIRST_COMPLETED)
        for future in finished:
            region = region_of.pop(future)
            outstanding[region].discard(future)
            finished = future in listings and not future.cancelled() and not future.exception()
            outcome = future.result() if finished else None
            for read in outcome if isinstance(outcome, list) else ():
                outstanding[region].add(read)
                region_of[read] = region
            if not outstanding[region]:
                yield region


def flatten(values: Iterable) -> list:
    """Reads that found one value or several, as one list."""
    return [item for value in values for item in (value if isinstance(value, tuple) else (value,))]
