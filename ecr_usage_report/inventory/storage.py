"""What a repository's images are to one another (pure): each image's kind from what DescribeImages
says of it, and which images a tag reaches, directly, through an image index, or as a referrer
of an image it reaches. An image nothing reaches is untagged: deleting it breaks no tag.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Protocol

DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
OCI_IMAGE_INDEX = "application/vnd.oci.image.index.v1+json"
INDEX_MEDIA_TYPES = frozenset({DOCKER_MANIFEST_LIST, OCI_IMAGE_INDEX})
IMAGE, INDEX, REFERRER = "image", "index", "referrer"
ACTIVE = "ACTIVE"  # DescribeImages' imageStatus; ARCHIVED and ACTIVATING images cannot be pulled
BYTES_PER_GB = 10**9  # sizes are in decimal gigabytes, as AWS prices storage
ARCHIVE_MINIMUM_DAYS = 90  # an archived image is billed for at least this long (ECR user guide, "Archiving an image")


class Described(Protocol):
    """What reachability needs of an image (inventory.model.Image has it)."""

    digest: str
    tags: tuple[str, ...]
    subject_digest: str | None

    @property
    def is_index(self) -> bool: ...


def kind_of(manifest_media_type: str | None, subject_digest: str | None) -> str:
    """REFERRER when it names a subject, INDEX when its manifest is an image index, else IMAGE."""
    if subject_digest:
        return REFERRER
    return INDEX if manifest_media_type in INDEX_MEDIA_TYPES else IMAGE


@dataclass(frozen=True)
class Reach:
    """Which of a repository's images a tag reaches."""

    reached: frozenset[str]  # digests reached by a tag, an index or a subject
    complete: bool  # False: a reached index's manifest was not read, so it may reach more


def reach(images: Iterable[Described], index_children: Mapping[str, tuple[str, ...]]) -> Reach:
    """Follow tags, then the manifests of reached indexes, then the referrers of reached images."""
    by_digest = {image.digest: image for image in images}
    referrers: dict[str, list[str]] = {}
    for image in by_digest.values():
        if image.subject_digest:
            referrers.setdefault(image.subject_digest, []).append(image.digest)
    pending = [digest for digest, image in by_digest.items() if image.tags]
    reached: set[str] = set()
    complete = True
    while pending:
        digest = pending.pop()
        if digest in reached or digest not in by_digest:
            continue
        reached.add(digest)
        if by_digest[digest].is_index:
            children = index_children.get(digest)
            complete = complete and children is not None
            pending += children or ()
        pending += referrers.get(digest, ())
    return Reach(frozenset(reached), complete)
