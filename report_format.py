"""Text of the report (pure functions: no AWS, no HTTP)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

KST = timezone(timedelta(hours=9), "KST")
TIME_FORMAT = "%Y-%m-%d %H:%M"
NO_DATE = "-"
IN_USE = ":large_green_circle:"
NOT_IN_USE = ":red_circle:"
TITLE = "[ECR repository 사용 현황]"


def format_kst(moment: datetime | None) -> str:
    """Korea time as `YYYY-MM-DD HH:MM`; a naive datetime is taken as UTC; None gives '-'."""
    if moment is None:
        return NO_DATE
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(KST).strftime(TIME_FORMAT)


def format_epoch_ms_kst(epoch_ms: int) -> str:
    """Korea time of a CloudWatch timestamp (milliseconds since the epoch)."""
    return format_kst(datetime.fromtimestamp(epoch_ms / 1000, tz=timezone.utc))


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
    ]


def repository_line(repository: dict[str, Any], in_use: bool) -> str:
    """One repository: name, size, last push and whether a function uses it."""
    marker = IN_USE if in_use else f"None {NOT_IN_USE}"
    return (
        f"repository name : {repository['repositoryName']} / repository size : {gb(repository['totalSizeGB'])} GB"
        f" / last pushed date : {format_kst(repository['lastPushedDate'])} / current using lambda : {marker}"
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
