"""What the team could delete and what it costs (pure functions over the inventory).

Rules, as the team wrote them down:
1. unused: no function (nor an aliased version) runs any image of the repository, no consumer of
   any other kind read (ECS, scheduled tasks, Batch, App Runner, EKS, Lambda rollback versions)
   names one, its last push is older than `unused_days`, and so is its last pull (if any);
2. idle: every function using it last ran more than `idle_days` ago, and nothing but Lambda (its
   functions and their rollback versions) uses it. A function whose last run is unknown (no log
   group, no stream, lookup error) is not idle: it keeps the repository.
An empty repository that no consumer names, created more than `unused_days` ago, is a candidate too.
A region whose functions, or any consumer kind, could not all be read names no candidate: a gap
is not "unused". Nothing is ever deleted here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ecr_usage_report.analysis.join import LAMBDA_FUNCTION, LAMBDA_VERSION, UsageIndex
from ecr_usage_report.inventory.places import account_of
from ecr_usage_report.inventory.model import Consumer, Function, Inventory, LastRun, LogGroupKey, Repository
from ecr_usage_report.inventory.storage import ARCHIVE_MINIMUM_DAYS, BYTES_PER_GB

DEFAULT_PRICE_PER_GB_MONTH = 0.10  # USD, ECR storage in us-east-1 (docs/aws-quotas.md cites the price list)
DEFAULT_ARCHIVE_PRICE_PER_GB_MONTH = 0.10  # USD, ECR archive storage in us-east-1, first 150 TB a month (same source)
DEFAULT_UNUSED_DAYS = 183
DEFAULT_IDLE_DAYS = 365
HALF_YEAR_DAYS = 183
YEAR_DAYS = 365
UNUSED, IDLE, EMPTY = "unused", "idle", "empty"
FRESH, AGING, OLD = "fresh", "aging", "old"
UNKNOWN_RUN = LastRun(None, "unknown")
LAMBDA_KINDS = (LAMBDA_FUNCTION, LAMBDA_VERSION)  # the only consumers whose idleness is known
LAMBDA_GAP = "Lambda"  # why a region is not judged when its functions could not all be read
UNSCANNED_GAP = "consumers of regions not scanned"  # REGIONS narrowed the run and the others could not be listed
CROSS_REGION = " in "  # joins a kind and the other region it could not be read in: "ECS in eu-west-1"


@dataclass(frozen=True)
class Thresholds:
    """Price and age limits of one run."""

    price_per_gb_month: float = DEFAULT_PRICE_PER_GB_MONTH
    unused_days: int = DEFAULT_UNUSED_DAYS
    idle_days: int = DEFAULT_IDLE_DAYS
    archive_price_per_gb_month: float = DEFAULT_ARCHIVE_PRICE_PER_GB_MONTH


@dataclass(frozen=True)
class Candidate:
    """A repository the rules name for deletion, and why."""

    region: str
    repository: Repository
    reason: str  # UNUSED, IDLE or EMPTY
    functions: tuple[tuple[str, LastRun], ...] = field(default=())  # for IDLE: who, and when they last ran


def monthly_cost(size_bytes: int, price_per_gb_month: float) -> float:
    """Estimated USD a month to store that many bytes (decimal GB)."""
    return size_bytes / BYTES_PER_GB * price_per_gb_month


def storage_cost(active_bytes: int, archived_bytes: int, limits: Thresholds) -> float:
    """Estimated USD a month: active bytes at the storage price, archived bytes at the archive price."""
    return (monthly_cost(active_bytes, limits.price_per_gb_month)
            + monthly_cost(archived_bytes, limits.archive_price_per_gb_month))


def repository_cost(repository: Repository, limits: Thresholds) -> float:
    """What storing the repository costs a month, which is what deleting it saves."""
    return storage_cost(repository.active_size_bytes, repository.archived_size_bytes, limits)


def archive_minimum(repository: Repository, now: datetime) -> tuple[int, datetime | None]:
    """Bytes archived under 90 days ago, which ECR bills until their 90th day in the archive even
    if they are deleted, and the last such day (None when there are none)."""
    minimum = timedelta(days=ARCHIVE_MINIMUM_DAYS)
    held = [(image.stored_bytes, image.last_archived_at + minimum) for image in repository.archived
            if image.last_archived_at is not None and now - image.last_archived_at < minimum]
    return sum(size for size, _ in held), max((until for _, until in held), default=None)


def push_age(last_pushed: datetime | None, now: datetime) -> str | None:
    """FRESH under six months since the last push, AGING from six months, OLD from a year; None if never pushed."""
    if last_pushed is None:
        return None
    age = now - last_pushed
    if age >= timedelta(days=YEAR_DAYS):
        return OLD
    return AGING if age >= timedelta(days=HALF_YEAR_DAYS) else FRESH


def last_run_of(region: str, function: Function, last_runs: dict[LogGroupKey, LastRun]) -> LastRun:
    """The function's last run as looked up, else unknown."""
    return last_runs.get((region, function.log_group), UNKNOWN_RUN)


def is_idle(last: LastRun, now: datetime, idle_days: int) -> bool:
    """True only when the function is known to have last run more than idle_days ago."""
    return last.at is not None and now - last.at > timedelta(days=idle_days)


def repository_candidate(region: str, repository: Repository, users: tuple[Consumer, ...], now: datetime,
                         limits: Thresholds) -> Candidate | None:
    """The rule a repository falls under, if any, given every consumer (functions included) that uses it."""
    if not users:
        limit = now - timedelta(days=limits.unused_days)
        pushed, pulled, created = repository.last_pushed_at, repository.last_pulled_at, repository.created_at
        if pushed is not None and pushed < limit and (pulled is None or pulled < limit):
            return Candidate(region, repository, UNUSED)
        if not repository.images and created is not None and created < limit:
            return Candidate(region, repository, EMPTY)
        return None
    if any(user.kind not in LAMBDA_KINDS for user in users):
        return None  # only Lambda's idleness is known
    runs = tuple((user.name, LastRun(user.last_run, UNKNOWN_RUN.note)) for user in users)
    if all(is_idle(last, now, limits.idle_days) for _, last in runs):
        return Candidate(region, repository, IDLE, runs)
    return None


def usage_known(functions: tuple[Function, ...] | None) -> bool:
    """True when the region's functions were listed and every image function's images were read."""
    return functions is not None and all(function.usage_known for function in functions)


def not_judged(inventory: Inventory) -> dict[str, tuple[str, ...]]:
    """Regions with repositories whose usage is not known, each with why: Lambda, a consumer kind (as
    ERRORS names it) that could not all be read there, or `<kind> in <region>` for one unread elsewhere,
    since any region's consumers may run this region's images (Lambda runs only its own region's). In a
    report of several accounts, another account's gaps count through the repository policies that let
    it pull (analysis/evidence.withhold), as no other account pulls without one."""
    gaps: dict[str, list[str]] = {}
    for region in sorted({error.region for error in inventory.errors}):
        kinds = {error.service for error in inventory.errors if error.region == region}
        if unread := [label for label in inventory.consumer_labels if label in kinds]:
            gaps[region] = unread
    reasons = {}
    for region, data in sorted(inventory.ecr.items()):
        why = [LAMBDA_GAP] if not usage_known(inventory.functions.get(region)) else []
        why += gaps.get(region, [])
        why += [cross_region_gap(label, other) for other, labels in gaps.items()
                if other != region and account_of(other) == account_of(region) for label in labels]
        why += [UNSCANNED_GAP] if inventory.consumer_regions is None else []
        if data.repositories and why:
            reasons[region] = tuple(why)
    return reasons


def cross_region_gap(label: str, region: str) -> str:
    """Why a region is not judged when a consumer kind of another region could not all be read."""
    return f"{label}{CROSS_REGION}{region}"


def gap_of(reason: str) -> tuple[str, str | None]:
    """A not-judged reason as (kind, the other region it was unread in, or None for the region's own)."""
    label, found, region = reason.rpartition(CROSS_REGION)
    return (label, region) if found else (reason, None)


def deletion_candidates(inventory: Inventory, usage: UsageIndex, now: datetime,
                        limits: Thresholds) -> tuple[Candidate, ...]:
    """Every repository the rules name, largest first, then the empty ones by region and name."""
    unjudged = not_judged(inventory)
    found = [candidate
             for region, data in inventory.ecr.items() if region not in unjudged
             for repository in data.repositories
             if (candidate := repository_candidate(region, repository, usage.users_of(repository), now, limits))]
    return tuple(sorted(found, key=lambda c: (c.reason == EMPTY, -c.repository.size_bytes, c.region,
                                              c.repository.name)))
