"""The typed inventory of one run: what the readers found, and what they could not read."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Mapping

from ecr_usage_report.inventory import storage
from ecr_usage_report.inventory.references import repository_of

ROLLBACK_STATE = "rollback target"  # the state of a consumer that only a rollback would run (ECS, Lambda)

LogGroupKey = tuple[str, str]  # (region, log group name)


@dataclass(frozen=True)
class Image:
    """One image of a repository (an image, an image index or a referrer), as DescribeImages lists it."""

    digest: str
    tags: tuple[str, ...]
    size_bytes: int  # as ECR gives it: for an index, the size of its largest platform image
    pushed_at: datetime | None
    last_pulled_at: datetime | None
    uris: tuple[str, ...]  # every URI a consumer can name it by: one per tag, then the digest form
    status: str = storage.ACTIVE  # ACTIVE, ARCHIVED or ACTIVATING (being restored)
    last_archived_at: datetime | None = None
    last_activated_at: datetime | None = None  # when it was last restored from the archive
    manifest_media_type: str | None = None
    artifact_media_type: str | None = None
    subject_digest: str | None = None  # a referrer's subject: the image it signs or describes

    @property
    def kind(self) -> str:
        """storage.IMAGE, INDEX or REFERRER."""
        return storage.kind_of(self.manifest_media_type, self.subject_digest)

    @property
    def is_index(self) -> bool:
        return self.manifest_media_type in storage.INDEX_MEDIA_TYPES

    @property
    def is_archived(self) -> bool:
        """In the archive storage class (or on its way back), so it cannot be pulled."""
        return self.status != storage.ACTIVE

    @property
    def stored_bytes(self) -> int:
        """What it adds to its repository's storage: nothing for an index, whose platform images count."""
        return 0 if self.is_index else self.size_bytes


@dataclass(frozen=True)
class Repository:
    """One repository with every image it holds, active or archived."""

    name: str
    uri: str
    images: tuple[Image, ...]
    lifecycle_policy: bool | None  # None: it could not be read (the error is in the inventory's errors)
    # an index's digest -> the digests its manifest lists; an index missing here was not read
    index_children: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    lifecycle_policy_text: str | None = None  # GetLifecyclePolicy's text, when lifecycle_policy is True
    repository_policy: bool | None = False  # whether it has a repository policy; None: it could not be read
    repository_policy_text: str | None = None  # GetRepositoryPolicy's policyText, when repository_policy is True
    created_at: datetime | None = None  # DescribeRepositories' createdAt

    @property
    def account(self) -> str:
        """The account that owns it: its registry's, `<account>.dkr.ecr.<region>.amazonaws.com`."""
        return self.uri.split(".", 1)[0]

    @cached_property
    def size_bytes(self) -> int:
        """Every distinct manifest's size once, active and archived; an index adds nothing of its own."""
        return sum(image.stored_bytes for image in self.images)

    @cached_property
    def archived(self) -> tuple[Image, ...]:
        return tuple(image for image in self.images if image.is_archived)

    @cached_property
    def archived_size_bytes(self) -> int:
        return sum(image.stored_bytes for image in self.archived)

    @property
    def active_size_bytes(self) -> int:
        return self.size_bytes - self.archived_size_bytes

    @cached_property
    def last_pushed_at(self) -> datetime | None:
        pushed = [image.pushed_at for image in self.images if image.pushed_at is not None]
        return max(pushed) if pushed else None

    @cached_property
    def reach(self) -> storage.Reach:
        """Which images a tag reaches, through indexes and subjects."""
        return storage.reach(self.images, self.index_children)

    @cached_property
    def untagged(self) -> tuple[Image, ...]:
        """Images that no tag, index or subject reaches; none are named while a reached index is unread."""
        if not self.reach.complete:
            return ()
        return tuple(image for image in self.images if image.digest not in self.reach.reached)

    @cached_property
    def not_judged(self) -> tuple[Image, ...]:
        """Images no tag is known to reach, while a reached index's manifest was not read: it may hold them."""
        if self.reach.complete:
            return ()
        return tuple(image for image in self.images if image.digest not in self.reach.reached)

    @cached_property
    def indexes(self) -> tuple[Image, ...]:
        return tuple(image for image in self.images if image.is_index)

    @cached_property
    def unread_indexes(self) -> tuple[Image, ...]:
        """Indexes whose manifest was not read (archived, or the read failed)."""
        return tuple(image for image in self.indexes if image.digest not in self.index_children)

    @cached_property
    def platform_images(self) -> tuple[Image, ...]:
        """Images that a read index manifest lists."""
        listed = {digest for children in self.index_children.values() for digest in children}
        return tuple(image for image in self.images if image.digest in listed)

    @cached_property
    def referrers(self) -> tuple[Image, ...]:
        return tuple(image for image in self.images if image.subject_digest)

    @cached_property
    def last_pulled_at(self) -> datetime | None:
        """The newest pull of an image that is not an index: reading an index's manifest, as this
        report does, records a pull of it, and a real pull of an index pulls a platform image too."""
        pulls = [image.last_pulled_at for image in self.images if image.last_pulled_at and not image.is_index]
        return max(pulls) if pulls else None


@dataclass(frozen=True)
class EcrRegion:
    """The repositories of one region that could be read."""

    repositories: tuple[Repository, ...]

    @cached_property
    def size_bytes(self) -> int:
        return sum(repository.size_bytes for repository in self.repositories)


@dataclass(frozen=True)
class AliasedVersion:
    """A published version that aliases point to, and the image it runs."""

    version: str
    aliases: tuple[str, ...]
    image_uri: str | None
    resolved_image_uri: str | None


@dataclass(frozen=True)
class Function:
    """One Lambda function; the image fields are None for Zip, or when GetFunction failed."""

    name: str
    memory_size: int | None
    last_modified: str | None
    package_type: str
    image_uri: str | None
    description: str
    log_group: str
    resolved_image_uri: str | None
    aliased_versions: tuple[AliasedVersion, ...] | None  # None: they could not be read
    # the newest published versions (rollback targets) that no alias names; None: they could not be read
    rollback_versions: tuple[AliasedVersion, ...] | None = ()

    @property
    def is_image(self) -> bool:
        return self.package_type == "Image"

    @cached_property
    def rollback_repository_uris(self) -> frozenset[str]:
        """The repositories its rollback versions run."""
        uris = (uri for v in self.rollback_versions or () for uri in (v.image_uri, v.resolved_image_uri) if uri)
        return frozenset(repo for repo in map(repository_of, uris) if repo is not None)

    @cached_property
    def image_refs(self) -> frozenset[str]:
        """The image URIs it names: its own and its resolved digest, and those of its aliased versions."""
        codes = [(self.image_uri, self.resolved_image_uri)]
        codes += [(v.image_uri, v.resolved_image_uri) for v in self.aliased_versions or ()]
        return frozenset(uri for pair in codes for uri in pair if uri)

    @cached_property
    def repository_uris(self) -> frozenset[str]:
        """The repositories whose images it (or an aliased version) runs."""
        return frozenset(uri for uri in map(repository_of, self.image_refs) if uri is not None)

    @property
    def usage_known(self) -> bool:
        """Whether every image it may run was read (always, for a Zip function)."""
        return not self.is_image or (self.image_uri is not None and self.aliased_versions is not None
                                     and self.rollback_versions is not None)


@dataclass(frozen=True)
class LastRun:
    """When a log group's newest event happened, or why that is not known."""

    at: datetime | None
    note: str = ""  # when `at` is None: No Log Group, No Log Stream, or the error
    failed: bool = False  # the lookup itself failed (the note is the error)


@dataclass(frozen=True, order=True)
class ReadError:
    """Something that could not be read (or written); errors sort by region, then service, then resource."""

    region: str  # "" for what belongs to no region (the S3 export)
    service: str  # as the report names it: "ECR", "Lambda", "CloudWatch Logs"
    resource: str  # "" for the region's listing itself
    message: str

    @property
    def where(self) -> str:
        return f"{self.service} {self.scope}"

    @property
    def scope(self) -> str:
        """The region, or region/resource."""
        return "/".join(part for part in (self.region, self.resource) if part)


@dataclass(frozen=True)
class Consumer:
    """Anything besides a Lambda function that runs, or can start, images: an ECS service, an EKS CronJob..."""

    kind: str  # how the report names it: "ecs service", "batch job-definition", "eks cronjob"
    name: str  # "prod/web", "nightly:7", "prod/jobs/report"
    region: str
    images: tuple[str, ...]  # the image references it names, as it names them (tag or digest forms)
    last_run: datetime | None = None  # when it last ran or started, where AWS (or Kubernetes) knows it
    state: str = ""  # its own status words: "2 of 2 running", "ENABLED", "rollback target"


@dataclass(frozen=True)
class AccountRead:
    """One account a report of several accounts was asked to read: its id, its name where Organizations
    gives it, and whether it could be read at all (why not is in the errors)."""

    id: str
    name: str = ""
    read: bool = True

    @property
    def label(self) -> str:
        return f"{self.id} ({self.name})" if self.name else self.id


@dataclass(frozen=True)
class Inventory:
    """Everything one run read: ECR and Lambda by region, the log times of the functions in use."""

    regions: tuple[str, ...]  # every region scanned
    ecr: dict[str, EcrRegion]  # the regions whose repositories could be listed
    functions: dict[str, tuple[Function, ...]]  # the regions whose functions could be listed
    last_runs: dict[LogGroupKey, LastRun]
    errors: tuple[ReadError, ...]  # sorted
    consumers: dict[str, tuple[Consumer, ...]] = field(default_factory=dict)  # region -> what consumer readers found
    consumer_kinds: tuple[str, ...] = ()  # the consumer kinds read (CONSUMER_KINDS)
    # how ERRORS names every consumer kind's readers: an error under one leaves its region's usage unknown
    consumer_labels: tuple[str, ...] = ()
    # where consumers were read: every enabled region, even when ECR and Lambda were read in fewer (a
    # consumer may run any region's images); None: the enabled regions could not be listed, so the
    # consumers of regions not scanned are unknown
    consumer_regions: tuple[str, ...] | None = ()
    # a report of several accounts: each account asked (every key above is then a place, inventory/places.py)
    accounts: tuple[AccountRead, ...] = ()
    organization: str | None = None  # the organization's id, when ACCOUNTS is organization
