"""The report's text, line by line as the manual writes it (pure: no AWS, no HTTP)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from ecr_usage_report.analysis.consumers import ConsumerIndex
from ecr_usage_report.analysis.findings import Findings
from ecr_usage_report.analysis.image_problems import (ARCHIVED, GONE, INDEX, TAG_GONE, ImageProblem, digest_of,
                                                      function_problems, tag_of)
from ecr_usage_report.analysis.join import UsageIndex
from ecr_usage_report.analysis.rules import (AGING, FRESH, IDLE, OLD, Candidate, Thresholds,
                                             archive_minimum, last_run_of, monthly_cost, push_age, repository_cost,
                                             storage_cost)
from ecr_usage_report.inventory.kinds import KINDS as CONSUMER_KINDS
from ecr_usage_report.inventory.model import (Consumer, EcrRegion, Function, Inventory, LastRun, LogGroupKey,
                                              ReadError, Repository)
from ecr_usage_report.inventory.storage import ARCHIVE_MINIMUM_DAYS
from ecr_usage_report.report import consumers as consumer_text
from ecr_usage_report.report.times import format_kst

IN_USE = ":large_green_circle:"
NOT_IN_USE = ":red_circle:"
AGE_MARKERS = {FRESH: ":large_green_circle:", AGING: ":large_orange_circle:", OLD: ":red_circle:", None: "-"}
UNKNOWN_USE = "unknown"
TITLE = "[ECR repository 사용 현황]"
BYTES_PER_GB = 10**9


def gb(size_bytes: float) -> str:
    """Decimal gigabytes with three decimals."""
    return f"{size_bytes / BYTES_PER_GB:.3f}"


def usd(amount: float) -> str:
    """Dollars with cents."""
    return f"${amount:,.2f}"


def last_run_text(last: LastRun) -> str:
    """The time in Korea time, else why it is not known."""
    return format_kst(last.at) if last.at is not None else last.note


def header_lines(email: str, now: datetime) -> list[str]:
    """The report's opening lines and legend."""
    return [
        TITLE,
        f"Account: {email}",
        format_kst(now),
        f"해당 이미지와 연결된 람다 함수가 있는 경우 : {IN_USE}",
        f"해당 이미지와 연결된 람다 함수가 없는 경우 : {NOT_IN_USE}",
        f"push age (마지막 푸시로부터) : 6개월 미만 {AGE_MARKERS[FRESH]} / 6개월 이상 {AGE_MARKERS[AGING]}"
        f" / 1년 이상 {AGE_MARKERS[OLD]}",
    ]


def lifecycle_text(has_policy: bool | None) -> str:
    """yes, no, or unknown when it could not be read."""
    return {True: "yes", False: "no"}.get(has_policy, "unknown")


def repository_line(repository: Repository, in_use: bool | None, now: datetime) -> str:
    """One repository: the manual's fields, then age, image counts, last pull and lifecycle policy.
    `in_use` None: no function is known to use it, but its region's functions were not all read."""
    marker = {True: IN_USE, False: f"None {NOT_IN_USE}", None: UNKNOWN_USE}[in_use]
    untagged = repository.untagged
    not_judged = f", {len(repository.not_judged)} not judged" if repository.not_judged else ""
    return (
        f"repository name : {repository.name} / repository size : {gb(repository.size_bytes)} GB"
        f" / last pushed date : {format_kst(repository.last_pushed_at)} / current using lambda : {marker}"
        f" / push age : {AGE_MARKERS[push_age(repository.last_pushed_at, now)]}"
        f" / images : {len(repository.images)} (untagged {len(untagged)},"
        f" {gb(sum(image.stored_bytes for image in untagged))} GB{not_judged})"
        f" / last pulled : {format_kst(repository.last_pulled_at)}"
        f" / lifecycle policy : {lifecycle_text(repository.lifecycle_policy)}"
    )


def function_line(function_name: str, last_execution: str) -> str:
    """One function under its repository."""
    return f"\t- function name : {function_name} / last execution time : {last_execution}"


def repository_block(region: str, repository: Repository, users: tuple[Function, ...],
                     last_runs: dict[LogGroupKey, LastRun], now: datetime, usage_known: bool = True,
                     consumers: tuple[Consumer, ...] = ()) -> str:
    """A repository's line, then one line per function using it and one per other consumer, then
    what it holds besides active images and the functions whose image from it Lambda cannot pull or run."""
    lines = [repository_line(repository, True if users else (False if usage_known else None), now)]
    lines += [function_line(user.name, last_run_text(last_run_of(region, user, last_runs))) for user in users]
    lines += [consumer_text.consumer_line(consumer) for consumer in consumers]
    lines += storage_lines(repository)
    lines += [f"\t- warning : {problem.label} : {problem_text(problem)}"
              for user in users for problem in function_problems(region, user, repository)]
    return "\n".join(lines)


def count(number: int, noun: str, plural: str | None = None) -> str:
    """`1 image`, `2 images`."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def storage_lines(repository: Repository) -> list[str]:
    """Archived images, indexes and referrers of a repository; none for one of active images only."""
    lines = []
    if repository.archived:
        active = len(repository.images) - len(repository.archived)
        last = max((image.last_archived_at for image in repository.archived if image.last_archived_at), default=None)
        lines.append(f"\t- storage : active {count(active, 'image')} {gb(repository.active_size_bytes)} GB"
                     f" / archived {count(len(repository.archived), 'image')} {gb(repository.archived_size_bytes)} GB,"
                     f" last archived {format_kst(last)}")
    kinds = []
    unread = repository.unread_indexes
    if repository.indexes:
        platforms = count(len(repository.platform_images), "platform image")
        kinds.append(f"{count(len(repository.indexes), 'index', 'indexes')}"
                     + (f", {platforms} known" if unread else f" of {platforms}"))
    if unread:
        archived = sum(1 for image in unread if image.is_archived)
        reasons = [f"{archived} archived"] if archived else []
        reasons += [f"{len(unread) - archived} failed, see ERRORS"] if len(unread) > archived else []
        kinds.append(f"{count(len(unread), 'index manifest')} not read ({', '.join(reasons)})")
    if repository.referrers:
        subjects = {image.subject_digest for image in repository.referrers}
        kinds.append(f"{count(len(repository.referrers), 'referrer')} of {count(len(subjects), 'image')}"
                     " (signatures, SBOMs, attestations)")
    if kinds:
        lines.append("\t- kinds : " + " / ".join(kinds))
    return lines


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


def region_title(region: str, size_bytes: int) -> str:
    """The line that opens a region's section."""
    return f"====== REGION {region} Total Size : {gb(size_bytes)} GB ======"


def repository_sort_key(repository: Repository) -> tuple[int, datetime]:
    """Largest first, then most recently pushed first (used with reverse=True)."""
    return (repository.size_bytes, repository.last_pushed_at or datetime.min.replace(tzinfo=timezone.utc))


def region_section(region: str, data: EcrRegion, usage: UsageIndex, last_runs: dict[LogGroupKey, LastRun],
                   now: datetime, usage_known: bool = True, consumers: ConsumerIndex | None = None) -> str:
    """A region's title, then its repositories by size, then by last push."""
    repositories = sorted(data.repositories, key=repository_sort_key, reverse=True)
    others = consumers or ConsumerIndex()
    blocks = [repository_block(region, repo, usage.users_of(repo), last_runs, now, usage_known, others.users_of(repo))
              for repo in repositories]
    return "\n".join([region_title(region, data.size_bytes), *blocks])


def empty_regions_line(regions: list[str]) -> list[str]:
    """Regions scanned that hold no repository, named in one line."""
    if not regions:
        return []
    return [f"Regions scanned with no ECR repository ({len(regions)}): {', '.join(sorted(regions))}"]


def regions_text(ecr: dict[str, EcrRegion], usage: dict[str, UsageIndex], last_runs: dict[LogGroupKey, LastRun],
                 now: datetime, unjudged: tuple[str, ...] = (), consumers: ConsumerIndex | None = None) -> str:
    """Every region with repositories, largest first, then the regions that hold none (`unjudged`:
    those whose Lambda functions or other consumers were not all read)."""
    regions = sorted(ecr, key=lambda name: (-ecr[name].size_bytes, name))
    sections = [region_section(region, ecr[region], usage[region], last_runs, now, region not in unjudged, consumers)
                for region in regions if ecr[region].repositories]
    empty = [region for region in regions if not ecr[region].repositories]
    return join_blocks(sections + ["\n".join(empty_regions_line(empty))])


def errors_section(errors: Iterable[ReadError]) -> list[str]:
    """A closing section naming each region or resource that could not be read."""
    errors = list(errors)
    if not errors:
        return []
    lines = [f"====== ERRORS: {len(errors)} could not be read; the report above is without them ======"]
    lines += [f"- {error.where} : {error.message}" for error in errors]
    return lines


def join_blocks(blocks: Iterable[str]) -> str:
    """Sections separated by one blank line."""
    return "\n\n".join(block for block in blocks if block)


def summary_lines(inventory: Inventory, limits: Thresholds) -> list[str]:
    """Totals, estimated cost and the five largest repositories."""
    repositories = [(region, repo) for region, data in inventory.ecr.items() for repo in data.repositories]
    total = sum(repo.size_bytes for _, repo in repositories)
    archived = sum(repo.archived_size_bytes for _, repo in repositories)
    images = sum(len(repo.images) for _, repo in repositories)
    price = limits.price_per_gb_month
    filled = sum(1 for data in inventory.ecr.values() if data.repositories)
    lines = [
        "====== SUMMARY ======",
        f"regions : {filled} with repositories of {len(inventory.regions)} scanned"
        f" / repositories : {len(repositories)} / images : {images} / total size : {gb(total)} GB"
        f" / estimated storage cost : {usd(storage_cost(total - archived, archived, limits))} per month"
        f" (at {usd(price)} per GB-month)",
        "Sizes add up each image's layers, so layers shared between images count more than once:"
        " the size and the cost are upper bounds.",
    ]
    largest = sorted(repositories, key=lambda pair: -pair[1].size_bytes)[:5]
    lines += [f"{rank}. {region} {repo.name} : {gb(repo.size_bytes)} GB"
              f" ({usd(repository_cost(repo, limits))} per month)"
              for rank, (region, repo) in enumerate(largest, start=1)]
    return lines


def storage_summary_lines(inventory: Inventory, limits: Thresholds) -> list[str]:
    """Archived storage and its price, what sizes leave out of an index, and the index manifests read."""
    repositories = [repo for data in inventory.ecr.values() for repo in data.repositories]
    archived = [image for repo in repositories for image in repo.archived]
    lines = []
    if archived:
        size = sum(image.stored_bytes for image in archived)
        price = limits.archive_price_per_gb_month
        lines.append(f"archived : {count(len(archived), 'image')}, {gb(size)} GB,"
                     f" {usd(monthly_cost(size, price))} per month (at {usd(price)} per GB-month); an archived image"
                     f" cannot be pulled until it is restored and is billed for at least {ARCHIVE_MINIMUM_DAYS} days")
    indexes = sum(len(repo.indexes) for repo in repositories)
    if indexes:
        read = sum(len(repo.index_children) for repo in repositories)
        lines += ["An image index adds nothing to a size: its platform images count, once each.",
                  f"index manifests read : {read} of {indexes}, with BatchGetImage, which records a pull of each"
                  " unless this report's role is on the region's pull-time update exclusion list;"
                  " last pulled times leave indexes out"]
    return lines


def problem_summary_lines(problems: Iterable[ImageProblem]) -> list[str]:
    """The functions whose image Lambda can no longer pull or run, each with why."""
    lines = [f"- {problem.region} {problem.label} : {problem_text(problem)}" for problem in problems]
    return [f"Functions whose image will not run : {len(lines)}", *lines] if lines else []


def candidate_line(candidate: Candidate, now: datetime, limits: Thresholds,
                   consumer_kinds: tuple[str, ...] = ()) -> str:
    """One deletion candidate with its reason and what it would free."""
    repo = candidate.repository
    head = (f"- {candidate.region} {repo.name} : {gb(repo.size_bytes)} GB,"
            f" {usd(repository_cost(repo, limits))} per month : ")
    held, until = archive_minimum(repo, now)
    tail = (f"; {gb(held)} GB of it, archived under {ARCHIVE_MINIMUM_DAYS} days ago, is billed until"
            f" {format_kst(until)} even if deleted") if held else ""
    if candidate.reason == IDLE:
        runs = ", ".join(f"{name} (last run {last_run_text(last)})" for name, last in candidate.functions)
        return head + f"every function using it last ran over {limits.idle_days} days ago: {runs}" + tail
    days = (now - repo.last_pushed_at).days
    if not consumer_kinds:
        nobody = "no function uses it"
    elif set(consumer_kinds) == set(CONSUMER_KINDS):
        nobody = "no function or other consumer uses it"
    else:
        nobody = f"no function or {' / '.join(consumer_kinds)} consumer uses it"
    return head + f"{nobody} and its last push was {days} days ago (over {limits.unused_days})" + tail


def candidates_lines(findings: Findings) -> list[str]:
    """The deletion candidates section; nothing is ever deleted by the report."""
    limits, candidates = findings.thresholds, findings.candidates
    total = sum(c.repository.size_bytes for c in candidates)
    cost = sum(repository_cost(c.repository, limits) for c in candidates)
    lines = [f"====== DELETION CANDIDATES : {len(candidates)} repositories, {gb(total)} GB,"
             f" {usd(cost)} per month ======"]
    lines += [candidate_line(candidate, findings.now, limits, findings.consumer_kinds) for candidate in candidates]
    lines += consumer_text.not_judged_lines(findings)
    lines.append("This report deletes nothing; check each candidate before you delete it.")
    return lines


def render(inventory: Inventory, findings: Findings, email: str, run_errors: tuple[ReadError, ...] = ()) -> str:
    """The whole report: header, summary, regions, deletion candidates, what could not be read
    (the inventory's errors, then the run's own, such as a failed export)."""
    return join_blocks([
        "\n".join(header_lines(email, findings.now)),
        "\n".join(consumer_text.legend_lines(inventory, findings)),
        "\n".join(summary_lines(inventory, findings.thresholds) + storage_summary_lines(inventory, findings.thresholds)
                  + problem_summary_lines(findings.image_problems)),
        "\n".join(consumer_text.summary_lines(inventory, findings)),
        regions_text(inventory.ecr, findings.usage, inventory.last_runs, findings.now,
                     tuple(findings.not_judged or findings.unjudged_regions),
                     findings.consumers),
        "\n".join(candidates_lines(findings)),
        "\n".join(errors_section([*inventory.errors, *run_errors])),
    ])
