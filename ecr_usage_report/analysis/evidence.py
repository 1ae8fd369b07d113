"""What a repository's own records say of its use (pure): its pulls, who its repository policy lets
pull, and what its lifecycle policy will expire or archive of the images consumers run.

A deletion candidate promises that nothing breaks: a recent pull by nothing the report lists, or a
policy that lets another account pull, is use the report cannot see, so such a repository is shown
and left to its team. A policy that cannot be read is named, never guessed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from ecr_usage_report.analysis.access import SharedWith, shared_with
from ecr_usage_report.analysis.join import UsageIndex, is_function
from ecr_usage_report.analysis.lifecycle import ARCHIVE, EXPIRE, Outcome, Selected, evaluate
from ecr_usage_report.analysis.policy import PolicyError
from ecr_usage_report.analysis.rules import LAMBDA_GAP, Candidate, Thresholds, storage_cost
from ecr_usage_report.inventory.model import Consumer, Image, Inventory, ReadError, Repository
from ecr_usage_report.inventory.places import account_of

LABEL = "ECR"  # policy errors are named under ERRORS as the ECR reader's are
UNREAD_POLICY = "its repository policy could not be read (see ERRORS)"


@dataclass(frozen=True)
class LifecycleWarning:
    """An image a consumer runs that the repository's lifecycle policy will expire or archive."""

    region: str
    repository: Repository
    image: Image
    selected: Selected  # the rule, the action, and whether ECR's choice is certain
    users: tuple[Consumer, ...]  # by kind, region and name


@dataclass(frozen=True)
class ArchivedInUse:
    """An archived image that consumers besides functions (whose own warning says more) still run."""

    region: str
    repository: Repository
    image: Image
    users: tuple[Consumer, ...]  # by kind, region and name


@dataclass(frozen=True)
class Changes:
    """What one action of a lifecycle policy's next evaluation takes: images, bytes, what storing them costs."""

    images: int
    size_bytes: int
    monthly_cost: float  # USD, at the price of the storage class each image is in now
    uncertain: int = 0  # of them, those ECR may leave for a later evaluation (docs/ecr-lifecycle.md)


@dataclass(frozen=True)
class Evidence:
    """A repository's pulls, sharing and lifecycle, as the report shows them under it."""

    region: str
    repository: Repository
    unlisted_pulls: tuple[Image, ...]  # pulled within unused_days while no consumer is listed: by what, then?
    shared: SharedWith | None  # who outside the account may pull; None: no policy, or it could not be read
    policy_unread: bool  # the repository policy could not be read or parsed: the repository is not judged
    expires: Changes | None  # None: no lifecycle policy, or it could not be read
    archives: Changes | None
    warnings: tuple[LifecycleWarning, ...]
    archived_in_use: tuple[ArchivedInUse, ...] = ()  # their next pull of it fails until it is restored

    @property
    def withheld(self) -> str | None:
        """Why the repository is not judged on this account's evidence alone, if it is not."""
        if self.policy_unread:
            return UNREAD_POLICY
        return self.shared.text if self.shared is not None and self.shared.shared else None


@dataclass(frozen=True)
class Withheld:
    """A repository the rules would name, not judged: another account may pull it, or its policy is unread."""

    region: str
    repository: Repository
    reason: str  # SharedWith.text, or UNREAD_POLICY
    shared: SharedWith | None  # in a report of several accounts, only those it could not read whole
    several: bool = False  # a report of several accounts, which read the others that may pull it


@dataclass(frozen=True)
class ReadAccounts:
    """In a report of several accounts, the accounts whose every consumer was read, and the organization
    when all of its accounts were: what a repository policy lets them pull is judged on what they run."""

    several: bool = False
    accounts: frozenset[str] = frozenset()
    organizations: frozenset[str] = frozenset()

    def unread(self, shared: SharedWith) -> SharedWith:
        """Who the policy lets pull that this report did not read whole."""
        return SharedWith(tuple(a for a in shared.accounts if a not in self.accounts),
                          tuple(o for o in shared.organizations if o not in self.organizations), shared.everyone,
                          tuple(grant for grant in shared.services
                                if not (grant.accounts and set(grant.accounts) <= self.accounts)))


def read_accounts(inventory: Inventory) -> ReadAccounts:
    """Which accounts of a report of several were read whole: opened, and no Lambda or consumer kind
    unread in any of their regions."""
    if not inventory.accounts:
        return ReadAccounts()
    labels = {*inventory.consumer_labels, LAMBDA_GAP}
    gaps = {account_of(error.region) for error in inventory.errors if error.service in labels}
    whole = frozenset(account.id for account in inventory.accounts if account.read and account.id not in gaps)
    organization = inventory.organization
    every = organization is not None and all(account.id in whole for account in inventory.accounts)
    return ReadAccounts(True, whole, frozenset({organization}) if every else frozenset())


def recent_pulls(repository: Repository, now: datetime, days: int) -> tuple[Image, ...]:
    """Its images (indexes aside, as Repository.last_pulled_at) pulled within `days` of `now`, newest first."""
    since = now - timedelta(days=days)
    pulled = [image for image in repository.images
              if not image.is_index and image.last_pulled_at is not None and image.last_pulled_at > since]
    return tuple(sorted(pulled, key=lambda image: image.last_pulled_at, reverse=True))


def sharing(region: str, repository: Repository) -> tuple[SharedWith | None, bool, list[ReadError]]:
    """(who outside its account may pull, whether the policy is unread, the parse error to name)."""
    if repository.repository_policy is None:
        return None, True, []  # the read error is in the inventory's errors
    if not repository.repository_policy:
        return None, False, []
    found = shared_with(repository.repository_policy_text, repository.account)
    if isinstance(found, PolicyError):
        return None, True, [ReadError(region, LABEL, repository.name, f"repository policy not read: {found.reason}")]
    return found, False, []


def lifecycle_outcome(region: str, repository: Repository, now: datetime) -> tuple[Outcome | None, list[ReadError]]:
    """What the next evaluation of its lifecycle policy selects, and the parse error to name."""
    if not repository.lifecycle_policy:
        return None, []
    outcome = evaluate(repository.lifecycle_policy_text, repository.images, now, repository.index_children)
    if isinstance(outcome, PolicyError):
        return None, [ReadError(region, LABEL, repository.name, f"lifecycle policy not read: {outcome.reason}")]
    return outcome, []


def changes(images: list[tuple[Image, Selected]], limits: Thresholds) -> Changes | None:
    """What the images of one action add up to; None for no image."""
    if not images:
        return None
    archived = sum(image.stored_bytes for image, _ in images if image.is_archived)
    size = sum(image.stored_bytes for image, _ in images)
    return Changes(len(images), size, storage_cost(size - archived, archived, limits),
                   sum(1 for _, choice in images if not choice.certain))


def runners(repository: Repository, image: Image, usage: UsageIndex) -> tuple[Consumer, ...]:
    """Every consumer (functions and rollback versions included) that runs the image, by tag or digest,
    or through an index whose manifest lists it."""
    by_digest = {each.digest: each for each in repository.images}
    through = [by_digest[index] for index, children in repository.index_children.items()
               if image.digest in children and index in by_digest]
    found = {consumer for each in (image, *through) for uri in each.uris for consumer, _ in usage.by_image.get(uri, ())}
    return tuple(sorted(found, key=lambda c: (c.kind, c.region, c.name)))


def repository_evidence(region: str, repository: Repository, usage: UsageIndex, now: datetime,
                        limits: Thresholds) -> tuple[Evidence, list[ReadError]]:
    """A repository's evidence of use, and the policies of it that could not be parsed.

    Args:
        region: where the repository is.
        repository: the repository, with its images and policies as read.
        usage: who runs what.
        now: the run's time: a lifecycle policy is evaluated as of it.
        limits: `unused_days` is how recent a pull is use; the prices value what the policy takes.

    Returns:
        The evidence, and a ReadError for each policy text that could not be parsed.
    """
    unlisted = () if usage.users_of(repository) else recent_pulls(repository, now, limits.unused_days)
    shared, unread, errors = sharing(region, repository)
    outcome, lifecycle_errors = lifecycle_outcome(region, repository, now)
    by_digest = {image.digest: image for image in repository.images}
    chosen = [(by_digest[digest], choice) for digest, choice in (outcome.selected.items() if outcome else ())]
    warnings = tuple(LifecycleWarning(region, repository, image, choice, users) for image, choice in chosen
                     if (users := runners(repository, image, usage)))
    expires = changes([pair for pair in chosen if pair[1].action == EXPIRE], limits)
    archives = changes([pair for pair in chosen if pair[1].action == ARCHIVE], limits)
    archived_in_use = tuple(ArchivedInUse(region, repository, image, users) for image in repository.archived
                            if (users := tuple(c for c in runners(repository, image, usage) if not is_function(c))))
    evidence = Evidence(region, repository, unlisted, shared, unread, expires, archives, warnings, archived_in_use)
    return evidence, errors + lifecycle_errors


def withhold(candidates: Iterable[Candidate], evidence: dict[str, Evidence],
             read: ReadAccounts | None = None) -> tuple[tuple[Candidate, ...], tuple[Withheld, ...]]:
    """The candidates the evidence read is enough for, and those it is not: shared with an account (or
    organization) this report did not read whole, or whose policy is unread."""
    read = read or ReadAccounts()
    kept, withheld = [], []
    for candidate in candidates:
        found = evidence.get(candidate.repository.uri)
        reason, shared = (found.withheld, found.shared) if found is not None else (None, None)
        if reason and shared is not None and not found.policy_unread and read.several:
            shared = read.unread(shared)
            reason = shared.text if shared.shared else None
        if reason:
            withheld.append(Withheld(candidate.region, candidate.repository, reason, shared, read.several))
        else:
            kept.append(candidate)
    return tuple(kept), tuple(withheld)
