"""ECR reader: a region's repositories, then each repository's images (active and archived), the
manifests of its image indexes, its lifecycle policy and its repository policy."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

import botocore

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.errors import AWS_ERRORS, error_code, error_message
from ecr_usage_report.inventory import storage
from ecr_usage_report.inventory.model import Image, ReadError, Repository
from ecr_usage_report.inventory.reader import RegionReader

LABEL = "ECR"
PAGE_SIZE = 1000  # ECR's largest page for both listings (its default is 100)
EVERY_STATUS = {"imageStatus": "ANY"}  # without it DescribeImages lists only ACTIVE images, not archived ones
MANIFESTS_PER_CALL = 100  # BatchGetImage's most images a call
VANISHED = "RepositoryNotFoundException"
NO_LIFECYCLE_POLICY = "LifecyclePolicyNotFoundException"
NO_REPOSITORY_POLICY = "RepositoryPolicyNotFoundException"


def reads_archived(client: Any) -> bool:
    """Whether this botocore knows DescribeImages' imageStatus filter: one older than ECR's archive
    refuses the request before sending it, so it is asked only where it is known."""
    return "imageStatus" in client.meta.service_model.shape_for("DescribeImagesFilter").members


def archive_gaps(clients: ClientFactory, repositories: dict[str, tuple[Repository, ...]]) -> list[ReadError]:
    """One error for each region with repositories whose archived images this botocore cannot ask for."""
    return [ReadError(region, LABEL, "archived images",
                      f"not read: botocore {botocore.__version__} knows no DescribeImages imageStatus filter;"
                      " package a newer boto3 with the function (sizes and costs leave archived images out)")
            for region, listed in repositories.items() if listed and not reads_archived(clients.get("ecr", region))]


def image_uris(repository_uri: str, digest: str, tags: tuple[str, ...]) -> tuple[str, ...]:
    """Every URI a function can name this image by: one per tag, plus the digest form."""
    return (*(f"{repository_uri}:{tag}" for tag in tags), f"{repository_uri}@{digest}")


def image_of(detail: dict[str, Any], repository_uri: str) -> Image:
    """One DescribeImages imageDetail."""
    tags = tuple(detail.get("imageTags", []))
    return Image(
        digest=detail["imageDigest"],
        tags=tags,
        size_bytes=int(detail.get("imageSizeInBytes") or 0),
        pushed_at=detail.get("imagePushedAt"),
        last_pulled_at=detail.get("lastRecordedPullTime"),
        uris=image_uris(repository_uri, detail["imageDigest"], tags),
        status=detail.get("imageStatus", storage.ACTIVE),
        last_archived_at=detail.get("lastArchivedAt"),
        last_activated_at=detail.get("lastActivatedAt"),
        manifest_media_type=detail.get("imageManifestMediaType"),
        artifact_media_type=detail.get("artifactMediaType"),
        subject_digest=detail.get("subjectManifestDigest"),
    )


def list_repositories(client: Any) -> list[dict[str, Any]]:
    """Every repository of the client's region (every DescribeRepositories page)."""
    pages = client.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
    return [repository for page in pages for repository in page.get("repositories", [])]


def lifecycle_policy(client: Any, repository_name: str) -> tuple[bool | None, str | None, str | None]:
    """Whether the repository has a lifecycle policy, its text, and the error when that is unknown."""
    return policy(lambda: client.get_lifecycle_policy(repositoryName=repository_name),
                  "GetLifecyclePolicy", NO_LIFECYCLE_POLICY, "lifecyclePolicyText")


def repository_policy(client: Any, repository_name: str) -> tuple[bool | None, str | None, str | None]:
    """Whether the repository has a repository policy, its text, and the error when that is unknown."""
    return policy(lambda: client.get_repository_policy(repositoryName=repository_name),
                  "GetRepositoryPolicy", NO_REPOSITORY_POLICY, "policyText")


def policy(call: Callable[[], dict[str, Any]], operation: str, none_code: str,
           text_key: str) -> tuple[bool | None, str | None, str | None]:
    """(True, its text, None); (False, None, None) when AWS says there is none; else (None, None, the error)."""
    try:
        answer = call()
    except AWS_ERRORS as exc:
        if error_code(exc) == none_code:
            return False, None, None
        return None, None, f"{operation} {error_message(exc)}"
    return True, answer.get(text_key), None


def index_children(client: Any, region: str, name: str,
                   images: tuple[Image, ...]) -> tuple[dict[str, tuple[str, ...]], list[ReadError]]:
    """The digests each active image index lists, from its manifest (BatchGetImage, up to 100 a call),
    and the indexes that could not be read. Only indexes are asked for: BatchGetImage records a pull
    of what it reads. An archived index cannot be read until it is restored, so it is not asked for."""
    wanted = [image.digest for image in images if image.is_index and not image.is_archived]
    children: dict[str, tuple[str, ...]] = {}
    errors: list[ReadError] = []
    for start in range(0, len(wanted), MANIFESTS_PER_CALL):
        asked = wanted[start:start + MANIFESTS_PER_CALL]
        try:
            answer = client.batch_get_image(repositoryName=name, imageIds=[{"imageDigest": d} for d in asked],
                                            acceptedMediaTypes=sorted(storage.INDEX_MEDIA_TYPES))
        except AWS_ERRORS as exc:
            errors.append(ReadError(region, LABEL, f"{name} index manifests",
                                    f"BatchGetImage {error_message(exc)}"))
            continue
        for image in answer.get("images", []):
            digest = image.get("imageId", {}).get("imageDigest", "")
            listed = listed_manifests(image.get("imageManifest", ""))
            if listed is None:
                errors.append(ReadError(region, LABEL, f"{name}@{digest}",
                                        "BatchGetImage: not an image index manifest"))
            else:
                children[digest] = listed
        errors += [ReadError(region, LABEL, f"{name}@{failure.get('imageId', {}).get('imageDigest', '')}",
                             f"BatchGetImage {failure.get('failureCode', 'Error')}: {failure.get('failureReason', '')}")
                   for failure in answer.get("failures", [])]
    return children, errors


def listed_manifests(manifest: str) -> tuple[str, ...] | None:
    """The digests an image index manifest lists; None when it is not one."""
    try:
        entries = json.loads(manifest).get("manifests")
    except (ValueError, AttributeError):
        return None
    if not isinstance(entries, list):
        return None
    return tuple(entry["digest"] for entry in entries
                 if isinstance(entry, dict) and isinstance(entry.get("digest"), str))


def read_repository(client: Any, region: str, name: str, uri: str,
                    created_at: datetime | None = None) -> tuple[Repository | None, list[ReadError]]:
    """One repository with every image, active and archived (every DescribeImages page), and what its
    indexes hold; an index manifest that cannot be read is named in the errors. Read it through
    `reader.read(READER, ...)`, which passes over a repository deleted since it was listed."""
    every_status = {"filter": EVERY_STATUS} if reads_archived(client) else {}
    pages = client.get_paginator("describe_images").paginate(
        repositoryName=name, **every_status, PaginationConfig={"PageSize": PAGE_SIZE})
    images = tuple(image_of(detail, uri) for page in pages for detail in page.get("imageDetails", []))
    has_lifecycle, lifecycle_text, lifecycle_error = lifecycle_policy(client, name)
    shared, shared_text, shared_error = repository_policy(client, name)
    children, errors = index_children(client, region, name, images)
    errors += [ReadError(region, LABEL, name, error) for error in (lifecycle_error, shared_error) if error]
    return (Repository(name, uri, images, has_lifecycle, children, lifecycle_text, shared, shared_text, created_at),
            errors)


def read_listed(client: Any, region: str, listed: dict[str, Any]) -> tuple[Repository | None, list[ReadError]]:
    """read_repository for a DescribeRepositories entry."""
    return read_repository(client, region, listed["repositoryName"], listed["repositoryUri"], listed.get("createdAt"))


READER: RegionReader[dict[str, Any], Repository] = RegionReader(
    service="ecr", label=LABEL, list_items=list_repositories, read_item=read_listed, gone=(VANISHED,),
    item_name=lambda listed: listed["repositoryName"])
