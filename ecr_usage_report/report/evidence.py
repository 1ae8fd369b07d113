"""The report's lines about a repository's own evidence of use (pure): who else may pull it, pulls by
something the report cannot list, what its lifecycle policy will take, and the repositories not
judged on this account's evidence alone."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Iterable

from ecr_usage_report.analysis.access import SharedWith
from ecr_usage_report.analysis.evidence import ArchivedInUse, Changes, Evidence, LifecycleWarning, Withheld
from ecr_usage_report.analysis.lifecycle import ARCHIVE, EXPIRE
from ecr_usage_report.inventory.model import Image, Repository
from ecr_usage_report.report.times import format_kst
from ecr_usage_report.report.words import count, gb, usd

if TYPE_CHECKING:
    from ecr_usage_report.analysis.findings import Findings

UNLISTED = "pulled by something this report cannot list"
MOST_IMAGES = 5  # images named in one line
CONSEQUENCES = {  # what the consumers of an image face when the policy acts on it
    EXPIRE: "their next pull, cold start or deploy of it fails",
    ARCHIVE: "it cannot be pulled until restored: their next pull, cold start or deploy of it fails",
}


def image_name(image: Image) -> str:
    """Its tags, else its digest cut to 12 hex digits."""
    return ", ".join(image.tags) if image.tags else image.digest[:19]


def images_text(images: Iterable[Image]) -> str:
    """Images by name, the first MOST_IMAGES of them and how many more."""
    names = [image_name(image) for image in images]
    more = f" and {len(names) - MOST_IMAGES} more" if len(names) > MOST_IMAGES else ""
    return " / ".join(names[:MOST_IMAGES]) + more


def days_ago(when: datetime, now: datetime) -> int:
    return (now - when).days


def pull_fact(repository: Repository, now: datetime) -> str:
    """`its last pull 300 days ago`, or `never pulled`."""
    pulled = repository.last_pulled_at
    return f"its last pull {days_ago(pulled, now)} days ago" if pulled else "never pulled"


def shared_text(shared: SharedWith | None) -> str:
    """`shared with 2 other accounts (111122223333, 444455556666), organization o-abc, everyone`."""
    if shared is None:
        return ""
    accounts = shared.accounts
    parts = [f"{count(len(accounts), 'other account')} ({', '.join(accounts)})"] if accounts else []
    parts += [f"organization {org}" for org in shared.organizations] + (["everyone"] if shared.everyone else [])
    parts += [grant.text for grant in shared.services]
    return "shared with " + ", ".join(parts)


def changes_text(verb: str, changes: Changes, with_cost: bool) -> str:
    """`expires 3 images, 1.200 GB ($0.12 a month)`, with how many ECR may leave for later."""
    cost = f" ({usd(changes.monthly_cost)} a month)" if with_cost else ""
    maybe = f", {changes.uncertain} of them maybe later" if changes.uncertain else ""
    return f"{verb} {count(changes.images, 'image')}, {gb(changes.size_bytes)} GB{cost}{maybe}"


def lifecycle_line(evidence: Evidence) -> list[str]:
    """What the lifecycle policy's next evaluation expires and archives; nothing when it takes nothing."""
    parts = [changes_text("expires", evidence.expires, True)] if evidence.expires else []
    parts += [changes_text("archives", evidence.archives, False)] if evidence.archives else []
    return [f"\t- lifecycle : next evaluation {', '.join(parts)}"] if parts else []


def warning_text(warning: LifecycleWarning) -> str:
    """`lifecycle rule 1 ("...") expires v1, which lambda function old-fn runs: ...`."""
    choice = warning.selected
    verb = f"{choice.action}s" if choice.certain else f"may {choice.action}"
    users = ", ".join(f"{user.kind} {user.name}" for user in warning.users)
    runs = "runs" if len(warning.users) == 1 else "run"
    return (f"lifecycle {choice.rule} {verb} {image_name(warning.image)}, which {users} {runs}:"
            f" {CONSEQUENCES[choice.action]}")


def archived_text(found: ArchivedInUse) -> str:
    """`ecs service prod/web runs v2, archived since ...: ...`."""
    users = ", ".join(f"{user.kind} {user.name}" for user in found.users)
    runs = "runs" if len(found.users) == 1 else "run"
    return (f"{users} {runs} {image_name(found.image)}, archived since {format_kst(found.image.last_archived_at)}:"
            " it cannot be pulled until it is restored, so their next task, pod or job start fails")


def evidence_lines(evidence: Evidence | None, now: datetime) -> list[str]:
    """The lines under a repository: who else may pull it, pulls nothing listed explains, its lifecycle."""
    if evidence is None:
        return []
    lines = [f"\t- {evidence.shared.text}"] if evidence.shared is not None and evidence.shared.shared else []
    if pulled := evidence.unlisted_pulls:
        lines.append(f"\t- {UNLISTED} : last pull {format_kst(pulled[0].last_pulled_at)}"
                     f" ({days_ago(pulled[0].last_pulled_at, now)} days ago), images {images_text(pulled)}")
    lines += lifecycle_line(evidence)
    lines += [f"\t- warning : {warning_text(warning)}" for warning in evidence.warnings]
    lines += [f"\t- warning : {archived_text(found)}" for found in evidence.archived_in_use]
    return lines


def withheld_line(withheld: Withheld, now: datetime) -> str:
    """A repository the rules would name, not judged on this account's evidence alone."""
    why = shared_text(withheld.shared) if withheld.shared is not None else withheld.reason
    why += ", which this report could not read whole" if withheld.several and withheld.shared is not None else ""
    repo = withheld.repository
    return f"Not judged, {why}: {withheld.region} {repo.name}, {gb(repo.size_bytes)} GB, {pull_fact(repo, now)}"


def unlisted_summary(findings: Findings, most: int | None = None) -> str:
    """`2 repositories pulled by something this report cannot list: region name, ...`, or ""."""
    found = findings.unlisted_pulls
    if not found:
        return ""
    names = [f"{each.region} {each.repository.name}" for each in found]
    cut = names if most is None else names[:most]
    more = f" and {len(names) - len(cut)} more" if len(names) > len(cut) else ""
    return f"{count(len(found), 'repository', 'repositories')} {UNLISTED}: {', '.join(cut)}{more}"


def summary_lines(findings: Findings) -> list[str]:
    """The details' SUMMARY lines: repositories pulled by nothing listed, images a lifecycle policy will take
    from their consumers."""
    lines = [unlisted_summary(findings)] if findings.unlisted_pulls else []
    archived = findings.archived_in_use
    if archived:
        lines.append(f"Archived images that other consumers still run : {len(archived)}")
        lines += [f"- {each.region} {each.repository.name} : {archived_text(each)}" for each in archived]
    warnings = findings.lifecycle_warnings
    if warnings:
        lines.append(f"Images a lifecycle policy will take from their consumers : {len(warnings)}")
        lines += [f"- {w.region} {w.repository.name} : {warning_text(w)}" for w in warnings]
    return lines
