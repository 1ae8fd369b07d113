"""The run's totals, computed once for every document that prints them (pure): the summary message, the
details' SUMMARY section, the export's summary and the run's returned summary."""
from __future__ import annotations

from dataclasses import dataclass

from ecr_usage_report.analysis.rules import Thresholds, storage_cost
from ecr_usage_report.inventory.model import Inventory, Repository

TOP = 5  # how many of the largest repositories the reports name
Located = tuple[str, Repository]  # (region, repository)


@dataclass(frozen=True)
class Totals:
    """Every region's repositories, and what they add up to."""

    repositories: tuple[Located, ...]  # region by region as read, each region's in ECR's order
    images: int
    archived_images: int
    active_bytes: int
    archived_bytes: int
    monthly_cost: float  # USD: active bytes at the storage price, archived bytes at the archive price
    regions_with_repositories: int
    regions_scanned: int
    largest: tuple[Located, ...]  # the summary message's TOP largest: size first, then region, then name
    largest_as_read: tuple[Located, ...]  # the details' TOP largest: size first, ties in the order read

    @property
    def size_bytes(self) -> int:
        return self.active_bytes + self.archived_bytes


def located_repositories(inventory: Inventory) -> tuple[Located, ...]:
    """Every region's repositories, with their region."""
    return tuple((region, repo) for region, data in inventory.ecr.items() for repo in data.repositories)


def totals(inventory: Inventory, limits: Thresholds) -> Totals:
    """What the inventory's repositories add up to, and its largest."""
    repositories = located_repositories(inventory)
    size = sum(repo.size_bytes for _, repo in repositories)
    archived = sum(repo.archived_size_bytes for _, repo in repositories)
    largest = sorted(repositories, key=lambda pair: (-pair[1].size_bytes, pair[0], pair[1].name))[:TOP]
    as_read = sorted(repositories, key=lambda pair: -pair[1].size_bytes)[:TOP]
    return Totals(repositories, sum(len(repo.images) for _, repo in repositories),
                  sum(len(repo.archived) for _, repo in repositories), size - archived, archived,
                  storage_cost(size - archived, archived, limits),
                  sum(1 for data in inventory.ecr.values() if data.repositories), len(inventory.regions),
                  tuple(largest), tuple(as_read))
