"""What one run concludes from its inventory (pure)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ecr_usage_report.analysis.consumers import ConsumerIndex, lambda_version_consumers
from ecr_usage_report.analysis.image_problems import ImageProblem, image_problems
from ecr_usage_report.analysis.join import UsageIndex
from ecr_usage_report.analysis.rules import Candidate, Thresholds, deletion_candidates, not_judged
from ecr_usage_report.inventory.model import Inventory


@dataclass(frozen=True)
class Findings:
    """The join of each region, the deletion candidates, the regions not judged, and the functions
    whose image Lambda can no longer pull or run."""

    now: datetime
    thresholds: Thresholds
    usage: dict[str, UsageIndex]  # region -> who runs what, built once
    candidates: tuple[Candidate, ...]
    unjudged_regions: tuple[str, ...]
    image_problems: tuple[ImageProblem, ...] = ()
    consumers: ConsumerIndex = field(default_factory=ConsumerIndex)  # every other consumer, all regions joined
    not_judged: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region -> why (Lambda, consumer kinds)
    consumer_kinds: tuple[str, ...] = ()  # the kinds read besides Lambda functions


def analyse(inventory: Inventory, thresholds: Thresholds, now: datetime) -> Findings:
    """Join every region once, and every consumer once, then judge each repository."""
    usage = {region: UsageIndex.of(inventory.functions.get(region, ())) for region in inventory.ecr}
    found = [consumer for listed in inventory.consumers.values() for consumer in listed]
    consumers = ConsumerIndex.of(found + lambda_version_consumers(inventory.functions, inventory.last_runs))
    gaps = not_judged(inventory)
    return Findings(now, thresholds, usage, deletion_candidates(inventory, usage, now, thresholds, consumers),
                    tuple(gaps), image_problems(inventory), consumers, gaps, inventory.consumer_kinds)
