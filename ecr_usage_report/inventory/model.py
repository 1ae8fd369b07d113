"""The typed inventory of one run: what the readers found, and what they could not read."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

LogGroupKey = tuple[str, str]  # (region, log group name)


def repository_of(image_uri: str) -> str | None:
    """The repository URI an image URI points into (`repo:tag` or `repo@digest`); None without either."""
    named, at, _digest = image_uri.partition("@")
    head, slash, last = named.rpartition("/")
    name, colon, _tag = last.partition(":")
    return head + slash + name if colon or at else None


@dataclass(frozen=True)
class Image:
    """One image of a repository, as DescribeImages lists it."""

    digest: str
    tags: tuple[str, ...]
    size_bytes: int
    pushed_at: datetime | None
    last_pulled_at: datetime | None
    uris: tuple[str, ...]  # every URI a consumer can name it by: one per tag, then the digest form


@dataclass(frozen=True)
class Repository:
    """One repository with every image it holds."""

    name: str
    uri: str
    images: tuple[Image, ...]
    lifecycle_policy: bool | None  # None: it could not be read (the error is in the inventory's errors)

    @cached_property
    def size_bytes(self) -> int:
        return sum(image.size_bytes for image in self.images)

    @cached_property
    def last_pushed_at(self) -> datetime | None:
        pushed = [image.pushed_at for image in self.images if image.pushed_at is not None]
        return max(pushed) if pushed else None

    @cached_property
    def untagged(self) -> tuple[Image, ...]:
        return tuple(image for image in self.images if not image.tags)

    @cached_property
    def last_pulled_at(self) -> datetime | None:
        pulls = [image.last_pulled_at for image in self.images if image.last_pulled_at]
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

    @property
    def is_image(self) -> bool:
        return self.package_type == "Image"

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
        return not self.is_image or (self.image_uri is not None and self.aliased_versions is not None)


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
class Inventory:
    """Everything one run read: ECR and Lambda by region, the log times of the functions in use."""

    regions: tuple[str, ...]  # every region scanned
    ecr: dict[str, EcrRegion]  # the regions whose repositories could be listed
    functions: dict[str, tuple[Function, ...]]  # the regions whose functions could be listed
    last_runs: dict[LogGroupKey, LastRun]
    errors: tuple[ReadError, ...]  # sorted
