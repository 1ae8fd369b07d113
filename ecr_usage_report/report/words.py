"""The words every document of the report shares (pure): sizes, dollars, counts, last runs, and what is
wrong with a function's image."""
from __future__ import annotations

from ecr_usage_report.analysis.image_problems import ARCHIVED, GONE, INDEX, TAG_GONE, ImageProblem
from ecr_usage_report.inventory.model import LastRun
from ecr_usage_report.inventory.references import digest_of, tag_of
from ecr_usage_report.inventory.storage import BYTES_PER_GB
from ecr_usage_report.report.times import format_kst


def gb(size_bytes: float) -> str:
    """Decimal gigabytes with three decimals."""
    return f"{size_bytes / BYTES_PER_GB:.3f}"


def usd(amount: float) -> str:
    """Dollars with cents."""
    return f"${amount:,.2f}"


def count(number: int, noun: str, plural: str | None = None) -> str:
    """`1 image`, `2 images`."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def last_run_text(last: LastRun) -> str:
    """The time in Korea time, else why it is not known."""
    return format_kst(last.at) if last.at is not None else last.note


def short_ref(uri: str) -> str:
    """An image URI without its registry, its digest cut to 12 hex digits."""
    name = uri.split("/", 1)[-1]
    digest = digest_of(name)
    return f"{name.partition('@')[0]}@{digest[:19]}" if digest else name


def problem_text(problem: ImageProblem) -> str:
    """What is wrong with a function's image, and when it fails."""
    ref = short_ref(problem.uri)
    if problem.problem == TAG_GONE:
        return f"its tag {tag_of(problem.uri)} no longer exists: deploying that tag fails"
    if problem.by_tag:
        what = "an archived image" if problem.problem == ARCHIVED else "an image index, which Lambda cannot run"
        return f"its tag {tag_of(problem.uri)} now names {what}: deploying that tag fails"
    if problem.problem == ARCHIVED:
        since = problem.image.last_archived_at if problem.image else None
        return (f"its image {ref} is archived (since {format_kst(since)}):"
                " its next cold start fails until it is restored")
    if problem.problem == INDEX:
        return f"its image {ref} is an image index, which Lambda cannot run"
    if problem.problem == GONE:
        return f"its image {ref} is no longer in ECR: its next cold start fails"
    return f"its repository {ref} no longer exists: its next cold start fails"
