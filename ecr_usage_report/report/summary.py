"""The summary message: what a team reads in 30 seconds, in Block Kit with a plain-text fallback (pure).

Totals, what changed since the last report, the five largest repositories, the deletion
candidates, warnings and the count of errors; the manual's lines follow as the details.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecr_usage_report.analysis.comparison import Comparison
from ecr_usage_report.analysis.findings import Findings
from ecr_usage_report.analysis.rules import repository_cost
from ecr_usage_report.analysis.totals import TOP
from ecr_usage_report.inventory.model import Inventory, ReadError
from ecr_usage_report.report import consumers as consumer_text, evidence as evidence_text
from ecr_usage_report.report.mrkdwn import escape_for_slack
from ecr_usage_report.report.words import gb, problem_text, usd
from ecr_usage_report.report.times import format_kst

BAR_CHARS = 12
FULL_BAR, EMPTY_BAR = "█", "░"
HEADER_LIMIT = 150  # Slack's limit for a header block's text
SECTION_LIMIT = 3000  # and for a section's


@dataclass(frozen=True)
class SummaryContext:
    """What the summary says about where things are: the export's place, where the details go."""

    s3_uri: str | None  # REPORT_S3_URI, when set
    details_note: str  # e.g. "Details follow in this message's thread."
    not_compared: str | None = None  # why the last report, which exists, could not be compared


def bar(size: int, largest: int) -> str:
    """A bar of BAR_CHARS characters, filled in proportion to the largest."""
    filled = round(BAR_CHARS * size / largest) if largest else 0
    return FULL_BAR * filled + EMPTY_BAR * (BAR_CHARS - filled)


def signed_gb(size_bytes: int) -> str:
    return ("+" if size_bytes >= 0 else "-") + gb(abs(size_bytes))


def totals_lines(findings: Findings) -> list[str]:
    totals = findings.totals
    archived = totals.archived_bytes
    split = f" ({gb(totals.active_bytes)} active, {gb(archived)} archived)" if archived else ""
    return [f"*{len(totals.repositories)} repositories*, {totals.images} images, "
            f"*{gb(totals.size_bytes)} GB*{split}, *{usd(totals.monthly_cost)} a month*"
            f" (in {totals.regions_with_repositories} of {totals.regions_scanned} regions scanned)"]


def accounts_lines(inventory: Inventory) -> list[str]:
    """A report of several accounts: how many were read, of which organization, and those that were not."""
    if not inventory.accounts:
        return []
    unread = [account.label for account in inventory.accounts if not account.read]
    of = f" of organization {inventory.organization}" if inventory.organization else ""
    line = f"*{len(inventory.accounts) - len(unread)} of {len(inventory.accounts)} accounts read*{of}"
    if unread:
        line += f"; not read (see Errors): {', '.join(unread[:TOP])}" + (f" and {len(unread) - TOP} more"
                                                                         if len(unread) > TOP else "")
    return [line]


def previous_day(generated_at: str) -> str:
    """The earlier export's day in Korea time, as every date of the report is (its export keeps UTC)."""
    try:
        return format_kst(datetime.fromisoformat(generated_at.replace("Z", "+00:00")))[:10]
    except ValueError:
        return generated_at[:10]


def size_text(comparison: Comparison, key: tuple[str, str]) -> str:
    """` (1.200 GB)`: an added repository's size now, a removed one's then; "" when not known."""
    return f" ({gb(comparison.sizes[key])} GB)" if key in comparison.sizes else ""


def change_lines(comparison: Comparison | None, context: SummaryContext) -> list[str]:
    if context.s3_uri is None:
        return ["*Since the last report:* not compared (set REPORT_S3_URI to keep reports and compare them)"]
    if context.not_compared is not None:
        return [f"*Since the last report:* not compared: {context.not_compared}"]
    if comparison is None:
        return [f"*Since the last report:* no earlier report in {context.s3_uri}; this is the first"]
    (size_then, size_now), (cost_then, cost_now) = comparison.size_bytes, comparison.monthly_cost_usd
    lines = [f"*Since the last report* ({previous_day(comparison.previous_at)}): {gb(size_then)} → {gb(size_now)} GB"
             f" ({signed_gb(size_now - size_then)}), {usd(cost_then)} → {usd(cost_now)} a month"]
    for title, keys, sized in (("added", comparison.added, True), ("removed", comparison.removed, True),
                               ("new deletion candidates", comparison.new_candidates, False)):
        if keys:
            names = ", ".join(f"{region} {name}" + size_text(comparison, key) * sized for region, name in keys[:TOP]
                              for key in [(region, name)])
            more = f" and {len(keys) - TOP} more" if len(keys) > TOP else ""
            lines.append(f"• {len(keys)} {title}: {names}{more}")
    if comparison.grew:
        lines.append("• grew most: " + ", ".join(f"{region} {name} {signed_gb(grown)} GB"
                                                for (region, name), grown in comparison.grew))
    if comparison.left_out:
        left_out = len(comparison.left_out)
        lines.append(f"• {left_out} region{'s' * (left_out > 1)} left out of the comparison, not read fully by both"
                     f" reports (totals are over the rest): {', '.join(comparison.left_out[:TOP])}"
                     + (f" and {left_out - TOP} more" if left_out > TOP else ""))
    return lines


def largest_lines(findings: Findings) -> list[str]:
    repositories = findings.totals.largest
    if not repositories:
        return []
    largest = repositories[0][1].size_bytes
    width = max(len(f"{region} {repo.name}") for region, repo in repositories)
    rows = [f"{(region + ' ' + repo.name).ljust(width)} {bar(repo.size_bytes, largest)} {gb(repo.size_bytes)} GB"
            for region, repo in repositories]
    return ["*Largest repositories*", "```", *rows, "```"]


def candidates_lines(findings: Findings) -> list[str]:
    candidates, limits = findings.candidates, findings.thresholds
    total = sum(c.repository.size_bytes for c in candidates)
    cost = sum(repository_cost(c.repository, limits) for c in candidates)
    lines = [f"*Deletion candidates: {len(candidates)}*, {gb(total)} GB, {usd(cost)} a month"]
    lines += [f"• {c.region} {c.repository.name}: {gb(c.repository.size_bytes)} GB"
              f" ({usd(repository_cost(c.repository, limits))}), {c.reason}"
              for c in candidates[:TOP]]
    if len(candidates) > TOP:
        lines.append(f"• and {len(candidates) - TOP} more in the details")
    return lines


def warning_lines(findings: Findings, errors: list[ReadError]) -> list[str]:
    warnings = [f"• {problem.region} {problem.label}: {problem_text(problem)}"
                for problem in findings.image_problems[:TOP]]
    if len(findings.image_problems) > TOP:
        warnings.append(f"• and {len(findings.image_problems) - TOP} more functions whose image will not run")
    archived = findings.archived_in_use
    warnings += [f"• {each.region} {each.repository.name}: {evidence_text.archived_text(each)}"
                 for each in archived[:TOP]]
    if len(archived) > TOP:
        warnings.append(f"• and {len(archived) - TOP} more archived images that other consumers still run")
    lifecycle = findings.lifecycle_warnings
    warnings += [f"• {w.region} {w.repository.name}: {evidence_text.warning_text(w)}" for w in lifecycle[:TOP]]
    if len(lifecycle) > TOP:
        warnings.append(f"• and {len(lifecycle) - TOP} more images a lifecycle policy will take from their consumers")
    if unlisted := evidence_text.unlisted_summary(findings, TOP):
        warnings.append(f"• {unlisted}")
    if findings.not_judged or findings.unjudged_regions:
        warnings += [f"• {line[0].lower()}{line[1:]}" for line in consumer_text.not_judged_lines(findings, TOP)]
    withheld = [evidence_text.withheld_line(each, findings.now) for each in findings.withheld]
    warnings += [f"• {line[0].lower()}{line[1:]}" for line in withheld[:TOP]]
    if len(withheld) > TOP:
        warnings.append(f"• and {len(withheld) - TOP} more repositories not judged")
    lines = ["*Warnings:*", *warnings] if warnings else ["*Warnings:* none"]
    return lines + [f"*Errors:* {len(errors)}" + (" (listed at the end of the details)" if errors else "")]


def section_text(lines: list[str]) -> str:
    """A section's lines within Slack's limit: cut on a line boundary, with a mark saying how many were left out."""
    def mark(left: int) -> str:
        return f"… and {left} more line{'s' * (left > 1)}, past Slack's limit for a section"

    whole = "\n".join(lines)
    if len(whole) <= SECTION_LIMIT:
        return whole
    kept: list[str] = []
    for index, line in enumerate(lines):
        if len("\n".join([*kept, line, mark(len(lines) - index - 1)])) > SECTION_LIMIT:
            break
        kept.append(line)
    return "\n".join([*kept, mark(len(lines) - len(kept))])


def summary_message(inventory: Inventory, findings: Findings, email: str, comparison: Comparison | None,
                    context: SummaryContext,
                    run_errors: tuple[ReadError, ...] = ()) -> tuple[str, list[dict[str, Any]]]:
    """The summary as (plain-text fallback, Block Kit blocks)."""
    title = f"ECR usage report · {email} · {format_kst(findings.now)[:10]}"[:HEADER_LIMIT]
    errors = [*inventory.errors, *findings.policy_errors, *run_errors]
    sections = [accounts_lines(inventory) + totals_lines(findings), change_lines(comparison, context), largest_lines(findings),
                candidates_lines(findings), warning_lines(findings, errors), [f"_{context.details_note}_"]]
    sections = [[escape_for_slack(line) for line in lines] for lines in sections if lines]
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    for lines in sections:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": section_text(lines)}})
    text = "\n\n".join([escape_for_slack(title), *("\n".join(lines) for lines in sections)])
    return text, blocks
