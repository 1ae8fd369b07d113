"""The report's lines about consumers besides the manual's Lambda functions (pure).

The manual's lines stay as it writes them; these follow them: one line per consumer under each
repository it uses, a legend and a count by kind, and why a region was not judged.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ecr_usage_report.analysis.join import LAMBDA_FUNCTION, count_by_kind, is_function
from ecr_usage_report.analysis.rules import LAMBDA_GAP, UNSCANNED_GAP, gap_of
from ecr_usage_report.inventory.model import Consumer, Inventory
from ecr_usage_report.inventory.places import account_of
from ecr_usage_report.report.times import format_kst

if TYPE_CHECKING:
    from ecr_usage_report.analysis.findings import Findings


def consumer_line(consumer: Consumer) -> str:
    """One consumer under a repository: kind and name, when it last ran where that is known, its state."""
    line = f"\t- {consumer.kind} {consumer.name}"
    if consumer.last_run is not None:
        line += f" / last run : {format_kst(consumer.last_run)}"
    return line + (f" / {consumer.state}" if consumer.state else "") + account_text(consumer)


def account_text(consumer: Consumer) -> str:
    """` / account 111122223333` in a report of several accounts, "" in a report of one."""
    account = account_of(consumer.region)
    return f" / account {account}" if account else ""


def counts_text(counts: dict[str, int]) -> str:
    """`ecs service 2, eks cronjob 1`, or `none`."""
    return ", ".join(f"{kind} {count}" for kind, count in counts.items()) or "none"


def legend_lines(inventory: Inventory, findings: Findings) -> list[str]:
    """What the consumer lines are, the kinds read, and how many of each kind were found."""
    if not inventory.consumer_kinds:
        return []
    return [f'other consumers, each listed under the repositories it uses as "- <kind> <name>" (kinds read:'
            f" {', '.join(inventory.consumer_kinds)}) : {counts_text(count_by_kind(findings.usage.found))}"]


def usage_count_lines(inventory: Inventory, findings: Findings) -> list[str]:
    """How many consumers of each kind use the report's repositories, Lambda functions included."""
    if not inventory.consumer_kinds:
        return []
    users = {user for _, repo in findings.totals.repositories for user in findings.usage.users_of(repo)}
    functions = {user for user in users if is_function(user)}
    others = users - functions
    counts = {LAMBDA_FUNCTION: len(functions), **count_by_kind(others)} if functions else count_by_kind(others)
    return [f"consumers using these repositories : {len(functions) + len(others)} ({counts_text(counts)})"]


def not_judged_lines(findings: Findings, most_regions: int | None = None) -> list[str]:
    """Why regions name no candidate, a line per kind: their Lambda functions (the manual's line), or a
    consumer kind unread somewhere (a consumer may run any region's images). `most_regions` cuts
    each list of regions, for the summary."""
    reasons = findings.not_judged or {region: (LAMBDA_GAP,) for region in findings.unjudged_regions}
    unread: dict[str, list[str]] = {}  # kind -> the regions it could not all be read in
    affected: dict[str, list[str]] = {}  # kind -> the regions it leaves not judged
    for region, why in reasons.items():
        for reason in why:
            label, elsewhere = gap_of(reason)
            unread.setdefault(label, [])
            if (where := elsewhere or region) not in unread[label]:
                unread[label].append(where)
            if region not in affected.setdefault(label, []):
                affected[label].append(region)
    lines = []
    for label, regions in affected.items():
        listed = region_list(regions, most_regions)
        if label == LAMBDA_GAP:
            lines.append(f"Not judged, as their Lambda functions could not all be read: {listed}")
        elif label == UNSCANNED_GAP:
            lines.append(f"Not judged, as the consumers of the regions not scanned (REGIONS) could not be read,"
                         f" and they may run any region's images: {listed}")
        elif sorted(unread[label]) == sorted(regions):
            lines.append(f"Not judged, as their {label} consumers could not all be read: {listed}")
        else:
            lines.append(f"Not judged, as {label} consumers in {region_list(sorted(unread[label]), most_regions)}"
                         f" could not all be read, and they may run any region's images: {listed}")
    return lines


def region_list(regions: list[str], most: int | None = None) -> str:
    """Regions by name, the first `most` of them and how many more."""
    if most is None or len(regions) <= most:
        return ", ".join(regions)
    return f"{', '.join(regions[:most])} and {len(regions) - most} more"
