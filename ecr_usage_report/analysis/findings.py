"""What one run concludes from its inventory (pure)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ecr_usage_report.analysis.image_problems import ImageProblem, image_problems
from ecr_usage_report.analysis.join import UsageIndex
from ecr_usage_report.analysis.rules import Candidate, Thresholds, deletion_candidates, unjudged_regions
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


def analyse(inventory: Inventory, thresholds: Thresholds, now: datetime) -> Findings:
    """Join every region once, then judge each repository."""
    usage = {region: UsageIndex.of(inventory.functions.get(region, ())) for region in inventory.ecr}
    return Findings(now, thresholds, usage, deletion_candidates(inventory, usage, now, thresholds),
                    unjudged_regions(inventory), image_problems(inventory))
