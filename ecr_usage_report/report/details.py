"""The details: the report's text, line by line as the manual writes it (pure: no AWS, no HTTP)."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import partial
from typing import Iterable, Mapping

from ecr_usage_report.analysis.evidence import Evidence
from ecr_usage_report.analysis.findings import Findings
from ecr_usage_report.analysis.image_problems import ImageProblem, function_problems
from ecr_usage_report.analysis.join import UsageIndex, is_function
from ecr_usage_report.analysis.rules import (AGING, EMPTY, FRESH, IDLE, OLD, Candidate, Thresholds, archive_minimum,
                                             last_run_of, monthly_cost, push_age, repository_cost)
from ecr_usage_report.inventory.kinds import KINDS as CONSUMER_KINDS
from ecr_usage_report.inventory.model import AccountRead, EcrRegion, Inventory, LastRun, LogGroupKey, ReadError, Repository
from ecr_usage_report.inventory.places import account_of
from ecr_usage_report.inventory.storage import ARCHIVE_MINIMUM_DAYS
from ecr_usage_report.report import consumers as consumer_text, evidence as evidence_text
from ecr_usage_report.report.times import format_kst
from ecr_usage_report.report.words import count, gb, last_run_text, problem_text, usd

IN_USE = ":large_green_circle:"
NOT_IN_USE = ":red_circle:"
AGE_MARKERS = {FRESH: ":large_green_circle:", AGING: ":large_orange_circle:", OLD: ":red_circle:", None: "-"}
UNKNOWN_USE = "unknown"
TITLE = "[ECR repository 사용 현황]"


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


def repository_block(region: str, repository: Repository, usage: UsageIndex, last_runs: dict[LogGroupKey, LastRun],
                     now: datetime, usage_known: bool = True, evidence: Evidence | None = None) -> str:
    """A repository's line, then one line per function using it and one per other consumer, then
    what it holds besides active images, the functions whose image from it Lambda cannot pull or run,
    and its evidence of use: who else may pull it, unexplained pulls, what its lifecycle policy takes."""
    runners = [(user, usage.functions[user]) for user in usage.users_of(repository) if is_function(user)]
    users = [function for _, function in runners]
    lines = [repository_line(repository, True if users else (False if usage_known else None), now)]
    lines += [function_line(function.name, last_run_text(last_run_of(user.region, function, last_runs)))
              + consumer_text.account_text(user) for user, function in runners]
    lines += [consumer_text.consumer_line(consumer) for consumer in usage.others_of(repository)]
    lines += storage_lines(repository)
    lines += [f"\t- warning : {problem.label} : {problem_text(problem)}"
              for user in users for problem in function_problems(region, user, repository)]
    lines += evidence_text.evidence_lines(evidence, now)
    return "\n".join(lines)


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


def region_title(region: str, size_bytes: int) -> str:
    """The line that opens a region's section."""
    return f"====== REGION {region} Total Size : {gb(size_bytes)} GB ======"


def repository_sort_key(repository: Repository) -> tuple[int, datetime]:
    """Largest first, then most recently pushed first (used with reverse=True)."""
    return (repository.size_bytes, repository.last_pushed_at or datetime.min.replace(tzinfo=timezone.utc))


def region_section(region: str, data: EcrRegion, usage: UsageIndex, last_runs: dict[LogGroupKey, LastRun],
                   now: datetime, usage_known: bool = True, evidence: Mapping[str, Evidence] | None = None) -> str:
    """A region's title, then its repositories by size, then by last push."""
    repositories = sorted(data.repositories, key=repository_sort_key, reverse=True)
    blocks = [repository_block(region, repo, usage, last_runs, now, usage_known, (evidence or {}).get(repo.uri))
              for repo in repositories]
    return "\n".join([region_title(region, data.size_bytes), *blocks])


def empty_regions_line(regions: list[str]) -> list[str]:
    """Regions scanned that hold no repository, named in one line."""
    if not regions:
        return []
    return [f"Regions scanned with no ECR repository ({len(regions)}): {', '.join(sorted(regions))}"]


def regions_text(ecr: dict[str, EcrRegion], usage: UsageIndex, last_runs: dict[LogGroupKey, LastRun],
                 now: datetime, unjudged: tuple[str, ...] = (), evidence: Mapping[str, Evidence] | None = None) -> str:
    """Every region with repositories, largest first, then the regions that hold none (`unjudged`:
    those whose Lambda functions or other consumers were not all read; `evidence`: by repository URI)."""
    regions = sorted(ecr, key=lambda name: (-ecr[name].size_bytes, name))
    sections = [region_section(region, ecr[region], usage, last_runs, now, region not in unjudged, evidence)
                for region in regions if ecr[region].repositories]
    empty = [region for region in regions if not ecr[region].repositories]
    return join_blocks(sections + ["\n".join(empty_regions_line(empty))])


def accounts_text(accounts: tuple[AccountRead, ...], ecr: dict[str, EcrRegion], usage: UsageIndex,
                  last_runs: dict[LogGroupKey, LastRun], now: datetime, unjudged: tuple[str, ...] = (),
                  evidence: Mapping[str, Evidence] | None = None) -> str:
    """A report of several accounts: each account's title (its id and name), then its regions as
    regions_text writes them; an account not read says so."""
    blocks = []
    for account in accounts:
        title = f"###### ACCOUNT {account.label} ######"
        if not account.read:
            blocks.append(f"{title}\nnot read: see ERRORS")
            continue
        own = {where: data for where, data in ecr.items() if account_of(where) == account.id}
        blocks.append(join_blocks([title, regions_text(own, usage, last_runs, now, unjudged, evidence)]))
    return join_blocks(blocks)


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


def summary_totals_lines(findings: Findings) -> list[str]:
    """Totals, estimated cost and the five largest repositories."""
    totals, limits = findings.totals, findings.thresholds
    lines = [
        "====== SUMMARY ======",
        f"regions : {totals.regions_with_repositories} with repositories of {totals.regions_scanned} scanned"
        f" / repositories : {len(totals.repositories)} / images : {totals.images}"
        f" / total size : {gb(totals.size_bytes)} GB"
        f" / estimated storage cost : {usd(totals.monthly_cost)} per month"
        f" (at {usd(limits.price_per_gb_month)} per GB-month)",
        "Sizes add up each image's layers, so layers shared between images count more than once:"
        " the size and the cost are upper bounds.",
    ]
    lines += [f"{rank}. {region} {repo.name} : {gb(repo.size_bytes)} GB"
              f" ({usd(repository_cost(repo, limits))} per month)"
              for rank, (region, repo) in enumerate(totals.largest_as_read, start=1)]
    return lines


def summary_storage_lines(findings: Findings) -> list[str]:
    """Archived storage and its price, what sizes leave out of an index, and the index manifests read."""
    totals, limits = findings.totals, findings.thresholds
    repositories = [repo for _, repo in totals.repositories]
    lines = []
    if totals.archived_images:
        price = limits.archive_price_per_gb_month
        lines.append(f"archived : {count(totals.archived_images, 'image')}, {gb(totals.archived_bytes)} GB,"
                     f" {usd(monthly_cost(totals.archived_bytes, price))} per month (at {usd(price)} per GB-month);"
                     f" an archived image cannot be pulled until it is restored and is billed for at least"
                     f" {ARCHIVE_MINIMUM_DAYS} days")
    indexes = sum(len(repo.indexes) for repo in repositories)
    if indexes:
        read = sum(len(repo.index_children) for repo in repositories)
        lines += ["An image index adds nothing to a size: its platform images count, once each.",
                  f"index manifests read : {read} of {indexes}, with BatchGetImage, which records a pull of each"
                  " unless this report's role is on the region's pull-time update exclusion list;"
                  " last pulled times leave indexes out"]
    return lines


def summary_section(findings: Findings) -> list[str]:
    """The details' SUMMARY section: totals, the largest, archived storage, the images that will not run,
    pulls nothing listed explains, and the images a lifecycle policy will take from their consumers."""
    return (summary_totals_lines(findings) + summary_storage_lines(findings)
            + summary_problem_lines(findings.image_problems) + evidence_text.summary_lines(findings))


def summary_problem_lines(problems: Iterable[ImageProblem]) -> list[str]:
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
    if not consumer_kinds:
        nobody = "no function uses it"
    elif set(consumer_kinds) == set(CONSUMER_KINDS):
        nobody = "no function or other consumer uses it"
    else:
        nobody = f"no function or {' / '.join(consumer_kinds)} consumer uses it"
    if candidate.reason == EMPTY:
        created = repo.created_at or now
        return (head + f"empty since {format_kst(created)} (created {(now - created).days} days ago,"
                f" over {limits.unused_days}) and {nobody}" + tail)
    days, over = (now - repo.last_pushed_at).days, limits.unused_days
    pulled = evidence_text.pull_fact(repo, now)
    facts = (f"its last push was {days} days ago and {pulled} (over {over})" if repo.last_pulled_at
             else f"its last push was {days} days ago (over {over}) and it was never pulled")
    return head + f"{nobody}, {facts}" + tail


def candidates_section(findings: Findings) -> list[str]:
    """The deletion candidates section; nothing is ever deleted by the report."""
    limits, candidates = findings.thresholds, findings.candidates
    total = sum(c.repository.size_bytes for c in candidates)
    cost = sum(repository_cost(c.repository, limits) for c in candidates)
    lines = [f"====== DELETION CANDIDATES : {len(candidates)} repositories, {gb(total)} GB,"
             f" {usd(cost)} per month ======"]
    lines += [candidate_line(candidate, findings.now, limits, findings.consumer_kinds) for candidate in candidates]
    lines += consumer_text.not_judged_lines(findings)
    lines += [evidence_text.withheld_line(withheld, findings.now) for withheld in findings.withheld]
    lines.append("This report deletes nothing; check each candidate before you delete it.")
    return lines


def render_details(inventory: Inventory, findings: Findings, email: str,
                   run_errors: tuple[ReadError, ...] = ()) -> str:
    """The whole details: header, summary, regions, deletion candidates, what could not be read
    (the inventory's errors and the policies that could not be parsed, then the run's own, such as a
    failed export)."""
    return join_blocks([
        "\n".join(header_lines(email, findings.now)),
        "\n".join(consumer_text.legend_lines(inventory, findings)),
        "\n".join(summary_section(findings)),
        "\n".join(consumer_text.usage_count_lines(inventory, findings)),
        (partial(accounts_text, inventory.accounts) if inventory.accounts else regions_text)(
            inventory.ecr, findings.usage, inventory.last_runs, findings.now,
            tuple(findings.not_judged or findings.unjudged_regions), findings.evidence),
        "\n".join(candidates_section(findings)),
        "\n".join(errors_section(sorted([*inventory.errors, *findings.policy_errors]) + list(run_errors))),
    ])
