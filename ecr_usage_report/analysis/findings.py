"""What one run concludes from its inventory (pure)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ecr_usage_report.analysis.image_problems import ImageProblem, image_problems
from ecr_usage_report.analysis.join import UsageIndex, lambda_version_consumers
from ecr_usage_report.analysis.rules import Candidate, Thresholds, deletion_candidates, not_judged
from ecr_usage_report.analysis.totals import Totals, totals
from ecr_usage_report.inventory.model import Inventory


@dataclass(frozen=True)
class Findings:
    """The join, the totals, the deletion candidates, the regions not judged, and the functions whose
    image Lambda can no longer pull or run."""

    now: datetime
    thresholds: Thresholds
    usage: UsageIndex  # who runs what: functions and every other consumer, all regions joined once
    totals: Totals
    candidates: tuple[Candidate, ...]
    unjudged_regions: tuple[str, ...]
    image_problems: tuple[ImageProblem, ...] = ()
    not_judged: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region -> why (Lambda, consumer kinds)
    consumer_kinds: tuple[str, ...] = ()  # the kinds read besides Lambda functions


def analyse(inventory: Inventory, thresholds: Thresholds, now: datetime) -> Findings:
    """Join every consumer once (functions included), add up the totals, then judge each repository."""
    found = [consumer for listed in inventory.consumers.values() for consumer in listed]
    versions = lambda_version_consumers(inventory.functions, inventory.last_runs)
    usage = UsageIndex.of(inventory.functions, inventory.last_runs, found + versions)
    gaps = not_judged(inventory)
    return Findings(now, thresholds, usage, totals(inventory, thresholds),
                    deletion_candidates(inventory, usage, now, thresholds), tuple(gaps), image_problems(inventory),
                    gaps, inventory.consumer_kinds)
