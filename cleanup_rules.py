"""What the team can delete and what it costs (pure functions over the collected objects).

Rules, as the team wrote them down:
1. unused: no function (nor an aliased version) runs any image of the repository, and its last
   push is older than `unused_days`;
2. idle: every function using it last ran more than `idle_days` ago. A function whose last run
   is unknown (no log group, no stream, lookup error) is not idle: it keeps the repository.
A region whose functions could not all be read names no candidate: a gap is not "unused".
Nothing is ever deleted here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from log_times import LastRun
from usage_join import UsageIndex

DEFAULT_PRICE_PER_GB_MONTH = 0.10  # USD, ECR storage in us-east-1
DEFAULT_UNUSED_DAYS = 183
DEFAULT_IDLE_DAYS = 365
HALF_YEAR_DAYS = 183
YEAR_DAYS = 365
FRESH, AGING, OLD = ":large_green_circle:", ":large_orange_circle:", ":red_circle:"
UNUSED, IDLE = "unused", "idle"


@dataclass(frozen=True)
class Thresholds:
    """Price and age limits of one run."""

    price_per_gb_month: float = DEFAULT_PRICE_PER_GB_MONTH
    unused_days: int = DEFAULT_UNUSED_DAYS
    idle_days: int = DEFAULT_IDLE_DAYS


@dataclass(frozen=True)
class Candidate:
    """A repository the rules name for deletion, and why."""

    region: str
    repository: dict[str, Any]
    reason: str  # UNUSED or IDLE
    functions: list[tuple[str, LastRun]] = field(default_factory=list)  # for IDLE: who, and when they last ran


def monthly_cost(size_bytes: int, price_per_gb_month: float) -> float:
    """Estimated USD a month to store that many bytes (decimal GB)."""
    return size_bytes / 10**9 * price_per_gb_month


def age_marker(last_pushed: datetime | None, now: datetime) -> str:
    """Green under six months since the last push, orange from six months, red from a year."""
    if last_pushed is None:
        return "-"
    age = now - last_pushed
    if age >= timedelta(days=YEAR_DAYS):
        return OLD
    return AGING if age >= timedelta(days=HALF_YEAR_DAYS) else FRESH


def untagged_images(repository: dict[str, Any]) -> list[dict[str, Any]]:
    """Images with no tag left."""
    return [image for image in repository["images"] if not image["imageTags"]]


def last_pulled(repository: dict[str, Any]) -> datetime | None:
    """The newest pull ECR recorded for any image of the repository."""
    pulls = [image["lastRecordedPullTime"] for image in repository["images"] if image.get("lastRecordedPullTime")]
    return max(pulls) if pulls else None


def is_idle(last: LastRun, now: datetime, idle_days: int) -> bool:
    """True only when the function is known to have last run more than idle_days ago."""
    return last.at is not None and now - last.at > timedelta(days=idle_days)


def repository_candidate(
    region: str, repository: dict[str, Any], users: list[dict[str, Any]],
    last_runs: dict[tuple[str, str], LastRun], now: datetime, limits: Thresholds,
) -> Candidate | None:
    """The rule a repository falls under, if any, given the functions that use it."""
    if not users:
        pushed = repository["lastPushedDate"]
        if pushed is not None and now - pushed > timedelta(days=limits.unused_days):
            return Candidate(region, repository, UNUSED)
        return None
    runs = [(user["FunctionName"], last_runs.get((region, user["LogGroupName"]), LastRun("unknown"))) for user in users]
    if all(is_idle(last, now, limits.idle_days) for _, last in runs):
        return Candidate(region, repository, IDLE, runs)
    return None


def usage_known(functions: list[dict[str, Any]] | None) -> bool:
    """True when every image function's image and aliased versions were read."""
    if functions is None:
        return False
    images = [f for f in functions if f["PackageType"] == "Image"]
    return all(f["ImageUri"] is not None and f["AliasedVersions"] is not None for f in images)


def deletion_candidates(
    ecr_object: dict[str, Any], lambda_object: dict[str, list[dict[str, Any]]],
    last_runs: dict[tuple[str, str], LastRun], now: datetime, limits: Thresholds,
) -> list[Candidate]:
    """Every repository the rules name, largest first."""
    found = []
    for region, ecr_region in ecr_object.items():
        if not usage_known(lambda_object.get(region)):
            continue
        index = UsageIndex.of(lambda_object[region])
        found += [candidate for repository in ecr_region["repositories"]
                  if (candidate := repository_candidate(region, repository, index.users_of(repository),
                                                        last_runs, now, limits))]
    return sorted(found, key=lambda c: (-c.repository["totalSizeBytes"], c.region, c.repository["repositoryName"]))
