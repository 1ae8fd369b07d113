"""What one run concludes from its inventory (pure)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ecr_usage_report.analysis.evidence import (ArchivedInUse, Evidence, LifecycleWarning, Withheld,
                                                read_accounts, repository_evidence, withhold)
from ecr_usage_report.analysis.image_problems import ImageProblem, image_problems
from ecr_usage_report.analysis.join import UsageIndex, lambda_version_consumers
from ecr_usage_report.analysis.rules import Candidate, Thresholds, deletion_candidates, not_judged
from ecr_usage_report.analysis.totals import Totals, totals
from ecr_usage_report.inventory.model import Inventory, ReadError


@dataclass(frozen=True)
class Findings:
    """The join, the totals, the deletion candidates, the regions and repositories not judged, the
    functions whose image Lambda can no longer pull or run, and each repository's evidence of use."""

    now: datetime
    thresholds: Thresholds
    usage: UsageIndex  # who runs what: functions and every other consumer, all regions joined once
    totals: Totals
    candidates: tuple[Candidate, ...]
    unjudged_regions: tuple[str, ...]
    image_problems: tuple[ImageProblem, ...] = ()
    not_judged: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region -> why (Lambda, consumer kinds)
    consumer_kinds: tuple[str, ...] = ()  # the kinds read besides Lambda functions
    evidence: dict[str, Evidence] = field(default_factory=dict)  # repository URI -> pulls, sharing, lifecycle
    withheld: tuple[Withheld, ...] = ()  # what the rules would name, but others may pull, or its policy is unread
    policy_errors: tuple[ReadError, ...] = ()  # policies that could not be parsed, named under ERRORS

    @property
    def unlisted_pulls(self) -> tuple[Evidence, ...]:
        """Repositories pulled within unused_days that no consumer the report lists uses."""
        return tuple(found for found in self.evidence.values() if found.unlisted_pulls)

    @property
    def archived_in_use(self) -> tuple[ArchivedInUse, ...]:
        """Every archived image that a consumer besides a function still runs."""
        return tuple(each for found in self.evidence.values() for each in found.archived_in_use)

    @property
    def lifecycle_warnings(self) -> tuple[LifecycleWarning, ...]:
        """Every image a consumer runs that a lifecycle policy will expire or archive."""
        return tuple(warning for found in self.evidence.values() for warning in found.warnings)


def analyse(inventory: Inventory, thresholds: Thresholds, now: datetime) -> Findings:
    """Join every consumer once (functions included), add up the totals, read each repository's evidence of
    use (pulls, sharing, lifecycle), then judge each repository."""
    found = [consumer for listed in inventory.consumers.values() for consumer in listed]
    versions = lambda_version_consumers(inventory.functions, inventory.last_runs)
    usage = UsageIndex.of(inventory.functions, inventory.last_runs, found + versions)
    gaps = not_judged(inventory)
    evidence: dict[str, Evidence] = {}
    errors: list[ReadError] = []
    for region, data in sorted(inventory.ecr.items()):
        for repository in data.repositories:
            evidence[repository.uri], found = repository_evidence(region, repository, usage, now, thresholds)
            errors += found
    candidates, withheld = withhold(deletion_candidates(inventory, usage, now, thresholds), evidence,
                                   read_accounts(inventory))
    return Findings(now, thresholds, usage, totals(inventory, thresholds), candidates, tuple(gaps),
                    image_problems(inventory), gaps, inventory.consumer_kinds, evidence, withheld,
                    tuple(sorted(errors)))
