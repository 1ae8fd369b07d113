"""Text of the report (pure functions: no AWS, no HTTP)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

from kst_time import format_kst
from cleanup_rules import AGING, FRESH, IDLE, OLD, Candidate, Thresholds, age_marker, last_pulled, monthly_cost, untagged_images

IN_USE = ":large_green_circle:"
NOT_IN_USE = ":red_circle:"
TITLE = "[ECR repository 사용 현황]"


def gb(value: float) -> str:
    """Gigabytes with three decimals."""
    return f"{value:.3f}"


def header_lines(email: str, now: datetime) -> list[str]:
    """The report's opening lines and legend."""
    return [
        TITLE,
        f"Account: {email}",
        format_kst(now),
        f"해당 이미지와 연결된 람다 함수가 있는 경우 : {IN_USE}",
        f"해당 이미지와 연결된 람다 함수가 없는 경우 : {NOT_IN_USE}",
        f"push age (마지막 푸시로부터) : 6개월 미만 {FRESH} / 6개월 이상 {AGING} / 1년 이상 {OLD}",
    ]


def lifecycle_text(has_policy: bool | None) -> str:
    """yes, no, or unknown when it could not be read."""
    return {True: "yes", False: "no"}.get(has_policy, "unknown")


def repository_line(repository: dict[str, Any], in_use: bool, now: datetime) -> str:
    """One repository: the manual's fields, then age, image counts, last pull and lifecycle policy."""
    marker = IN_USE if in_use else f"None {NOT_IN_USE}"
    untagged = untagged_images(repository)
    untagged_gb = sum(image["imageSizeBytes"] for image in untagged) / 10**9
    return (
        f"repository name : {repository['repositoryName']} / repository size : {gb(repository['totalSizeGB'])} GB"
        f" / last pushed date : {format_kst(repository['lastPushedDate'])} / current using lambda : {marker}"
        f" / push age : {age_marker(repository['lastPushedDate'], now)}"
        f" / images : {len(repository['images'])} (untagged {len(untagged)}, {gb(untagged_gb)} GB)"
        f" / last pulled : {format_kst(last_pulled(repository))}"
        f" / lifecycle policy : {lifecycle_text(repository.get('lifecyclePolicy'))}"
    )


def function_line(function_name: str, last_execution: str) -> str:
    """One function under its repository."""
    return f"\t- function name : {function_name} / last execution time : {last_execution}"


def region_title(region: str, total_gb: float) -> str:
    """The line that opens a region's section."""
    return f"====== REGION {region} Total Size : {gb(total_gb)} GB ======"


def repository_sort_key(repository: dict[str, Any]) -> tuple[int, datetime]:
    """Largest first, then most recently pushed first (used with reverse=True)."""
    pushed = repository["lastPushedDate"] or datetime.min.replace(tzinfo=timezone.utc)
    return (repository["totalSizeBytes"], pushed)


def errors_section(errors: Iterable[tuple[str, str]]) -> list[str]:
    """A closing section naming each region or resource that could not be read."""
    errors = list(errors)
    if not errors:
        return []
    lines = [f"====== ERRORS: {len(errors)} could not be read; the report above is without them ======"]
    lines += [f"- {where} : {message}" for where, message in errors]
    return lines


def empty_regions_line(regions: list[str]) -> list[str]:
    """Regions scanned that hold no repository, named in one line."""
    if not regions:
        return []
    return [f"Regions scanned with no ECR repository ({len(regions)}): {', '.join(sorted(regions))}"]


def join_blocks(blocks: Iterable[str]) -> str:
    """Sections separated by one blank line."""
    return "\n\n".join(block for block in blocks if block)


def usd(amount: float) -> str:
    """Dollars with cents."""
    return f"${amount:,.2f}"


def summary_lines(ecr_object: dict[str, Any], scanned: int, limits: Thresholds) -> list[str]:
    """Totals, estimated cost and the five largest repositories."""
    repositories = [(region, repo) for region, data in ecr_object.items() for repo in data["repositories"]]
    total = sum(repo["totalSizeBytes"] for _, repo in repositories)
    images = sum(len(repo["images"]) for _, repo in repositories)
    price = limits.price_per_gb_month
    lines = [
        "====== SUMMARY ======",
        f"regions : {sum(1 for data in ecr_object.values() if data['repositories'])} with repositories of {scanned} scanned"
        f" / repositories : {len(repositories)} / images : {images} / total size : {gb(total / 10**9)} GB"
        f" / estimated storage cost : {usd(monthly_cost(total, price))} per month (at {usd(price)} per GB-month)",
        "Sizes add up each image's layers, so layers shared between images count more than once:"
        " the size and the cost are upper bounds.",
    ]
    largest = sorted(repositories, key=lambda pair: -pair[1]["totalSizeBytes"])[:5]
    lines += [
        f"{rank}. {region} {repo['repositoryName']} : {gb(repo['totalSizeGB'])} GB"
        f" ({usd(monthly_cost(repo['totalSizeBytes'], price))} per month)"
        for rank, (region, repo) in enumerate(largest, start=1)
    ]
    return lines


def candidate_line(candidate: Candidate, now: datetime, limits: Thresholds) -> str:
    """One deletion candidate with its reason and what it would free."""
    repo = candidate.repository
    head = (f"- {candidate.region} {repo['repositoryName']} : {gb(repo['totalSizeGB'])} GB,"
            f" {usd(monthly_cost(repo['totalSizeBytes'], limits.price_per_gb_month))} per month : ")
    if candidate.reason == IDLE:
        runs = ", ".join(f"{name} (last run {last.text})" for name, last in candidate.functions)
        return head + f"every function using it last ran over {limits.idle_days} days ago: {runs}"
    days = (now - repo["lastPushedDate"]).days
    return head + f"no function uses it and its last push was {days} days ago (over {limits.unused_days})"


def candidates_lines(candidates: list[Candidate], unjudged: list[str], now: datetime, limits: Thresholds) -> list[str]:
    """The deletion candidates section; nothing is ever deleted by the report."""
    total = sum(c.repository["totalSizeBytes"] for c in candidates)
    lines = [f"====== DELETION CANDIDATES : {len(candidates)} repositories, {gb(total / 10**9)} GB,"
             f" {usd(monthly_cost(total, limits.price_per_gb_month))} per month ======"]
    lines += [candidate_line(candidate, now, limits) for candidate in candidates]
    if unjudged:
        lines.append(f"Not judged, as their Lambda functions could not all be read: {', '.join(sorted(unjudged))}")
    lines.append("This report deletes nothing; check each candidate before you delete it.")
    return lines
