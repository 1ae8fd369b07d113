"""ECR reader: a region's repositories, then each repository's images and lifecycle policy."""
from __future__ import annotations

from typing import Any

from ecr_usage_report.aws.errors import AWS_ERRORS, error_code, error_message
from ecr_usage_report.inventory.model import Image, ReadError, Repository
from ecr_usage_report.inventory.reader import RegionReader

LABEL = "ECR"
PAGE_SIZE = 1000  # ECR's largest page for both listings (its default is 100)
VANISHED = "RepositoryNotFoundException"
NO_LIFECYCLE_POLICY = "LifecyclePolicyNotFoundException"


def image_uris(repository_uri: str, digest: str, tags: tuple[str, ...]) -> tuple[str, ...]:
    """Every URI a function can name this image by: one per tag, plus the digest form."""
    return (*(f"{repository_uri}:{tag}" for tag in tags), f"{repository_uri}@{digest}")


def image_of(detail: dict[str, Any], repository_uri: str) -> Image:
    """One DescribeImages imageDetail."""
    tags = tuple(detail.get("imageTags", []))
    return Image(
        digest=detail["imageDigest"],
        tags=tags,
        size_bytes=int(detail.get("imageSizeInBytes", 0)),
        pushed_at=detail.get("imagePushedAt"),
        last_pulled_at=detail.get("lastRecordedPullTime"),
        uris=image_uris(repository_uri, detail["imageDigest"], tags),
    )


def list_repositories(client: Any) -> list[dict[str, Any]]:
    """Every repository of the client's region (every DescribeRepositories page)."""
    pages = client.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
    return [repository for page in pages for repository in page.get("repositories", [])]


def lifecycle_policy(client: Any, repository_name: str) -> tuple[bool | None, str | None]:
    """Whether the repository has a lifecycle policy, and the error when that is unknown."""
    try:
        client.get_lifecycle_policy(repositoryName=repository_name)
    except AWS_ERRORS as exc:
        if error_code(exc) == NO_LIFECYCLE_POLICY:
            return False, None
        return None, f"GetLifecyclePolicy {error_message(exc)}"
    return True, None


def read_repository(client: Any, region: str, name: str, uri: str) -> tuple[Repository | None, list[ReadError]]:
    """One repository with every image (every DescribeImages page); None when it could not be read
    (the error given) or was deleted after it was listed (no error: it is gone)."""
    try:
        pages = client.get_paginator("describe_images").paginate(
            repositoryName=name, PaginationConfig={"PageSize": PAGE_SIZE})
        images = tuple(image_of(detail, uri) for page in pages for detail in page.get("imageDetails", []))
        has_policy, policy_error = lifecycle_policy(client, name)
    except AWS_ERRORS as exc:
        if error_code(exc) == VANISHED:
            return None, []
        return None, [ReadError(region, LABEL, name, error_message(exc))]
    errors = [ReadError(region, LABEL, name, policy_error)] if policy_error else []
    return Repository(name, uri, images, has_policy), errors


def read_listed(client: Any, region: str, listed: dict[str, Any]) -> tuple[Repository | None, list[ReadError]]:
    """read_repository for a DescribeRepositories entry."""
    return read_repository(client, region, listed["repositoryName"], listed["repositoryUri"])


READER: RegionReader[dict[str, Any], Repository] = RegionReader(
    service="ecr", label=LABEL, list_items=list_repositories, read_item=read_listed)
