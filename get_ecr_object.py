"""ECR inventory: repositories and images of every region, as the manual's objects.

Region object: {'repositories': [...], 'totalSizeGB', 'totalSizeBytes', 'errors': [(repository, message)]}
Repository object: {'repositoryName', 'repositoryUri', 'images': [...], 'totalSizeGB',
    'totalSizeBytes', 'lastPushedDate' (datetime or None when empty),
    'lifecyclePolicy' (True, False, or None when it could not be read: see 'lifecyclePolicyError')}
Image object: {'imageTags', 'imageSizeGB', 'imagePushedAt', 'imageUris', 'imageDigest',
    'imageSizeBytes', 'lastRecordedPullTime' (datetime or None)}
"""
from __future__ import annotations

from concurrent.futures import Executor
from functools import partial
from typing import Any, Callable

import boto3

from aws_clients import ClientFactory
from aws_errors import AWS_ERRORS, error_code, error_message
from parallel import RegionPools, map_in_pool, map_regions
from regions import enabled_regions

BYTES_PER_GB = 10**9
PAGE_SIZE = 1000  # ECR's largest page for both listings: 10x fewer calls than its default of 100
VANISHED = "RepositoryNotFoundException"
NO_LIFECYCLE_POLICY = "LifecyclePolicyNotFoundException"


def bytes_to_gb(size_bytes: int) -> float:
    """Decimal gigabytes (10^9 bytes), as the manual's port counts them."""
    return size_bytes / BYTES_PER_GB


def image_uris(repository_uri: str, digest: str, tags: list[str]) -> list[str]:
    """Every URI a function can name this image by: one per tag, plus the digest form."""
    return [f"{repository_uri}:{tag}" for tag in tags] + [f"{repository_uri}@{digest}"]


def image_object(detail: dict[str, Any], repository_uri: str) -> dict[str, Any]:
    """Shape one DescribeImages imageDetail into the manual's image object."""
    tags = list(detail.get("imageTags", []))
    size_bytes = int(detail.get("imageSizeInBytes", 0))
    return {
        "imageTags": tags,
        "imageSizeGB": bytes_to_gb(size_bytes),
        "imagePushedAt": detail.get("imagePushedAt"),
        "imageUris": image_uris(repository_uri, detail["imageDigest"], tags),
        "imageDigest": detail["imageDigest"],
        "imageSizeBytes": size_bytes,
        "lastRecordedPullTime": detail.get("lastRecordedPullTime"),
    }


def repository_object(name: str, uri: str, images: list[dict[str, Any]]) -> dict[str, Any]:
    """The manual's repository object; an empty repository has size 0 and no push date."""
    total = sum(image["imageSizeBytes"] for image in images)
    pushed = [image["imagePushedAt"] for image in images if image["imagePushedAt"] is not None]
    return {
        "repositoryName": name,
        "repositoryUri": uri,
        "images": images,
        "totalSizeGB": bytes_to_gb(total),
        "totalSizeBytes": total,
        "lastPushedDate": max(pushed) if pushed else None,
    }


def lifecycle_policy(client: Any, repository_name: str) -> tuple[bool | None, str | None]:
    """Whether the repository has a lifecycle policy, and the error when that is unknown."""
    try:
        client.get_lifecycle_policy(repositoryName=repository_name)
    except AWS_ERRORS as exc:
        if error_code(exc) == NO_LIFECYCLE_POLICY:
            return False, None
        return None, f"GetLifecyclePolicy {error_message(exc)}"
    return True, None


def get_repository_object(client: Any, repositoryName: str, repositoryUri: str) -> dict[str, Any] | tuple[str, str] | None:
    """One repository with all its images (every DescribeImages page).

    Returns:
        The repository object; (repositoryName, error message) when ECR refuses;
        None when the repository was deleted after it was listed.
    """
    try:
        pages = client.get_paginator("describe_images").paginate(
            repositoryName=repositoryName, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        images = [image_object(detail, repositoryUri) for page in pages for detail in page.get("imageDetails", [])]
        has_policy, policy_error = lifecycle_policy(client, repositoryName)
    except AWS_ERRORS as exc:
        if error_code(exc) == VANISHED:
            return None
        return (repositoryName, error_message(exc))
    repository = repository_object(repositoryName, repositoryUri, images)
    repository["lifecyclePolicy"] = has_policy
    if policy_error:
        repository["lifecyclePolicyError"] = policy_error
    return repository


def list_repositories(client: Any) -> list[dict[str, Any]]:
    """Every repository of the client's region (every DescribeRepositories page)."""
    pages = client.get_paginator("describe_repositories").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
    return [repository for page in pages for repository in page.get("repositories", [])]


def region_object(results: list[Any]) -> dict[str, Any]:
    """Combine per-repository results into the manual's region object."""
    repositories = [result for result in results if isinstance(result, dict)]
    errors = [result for result in results if isinstance(result, tuple)]
    errors += [(repo["repositoryName"], repo["lifecyclePolicyError"]) for repo in repositories if "lifecyclePolicyError" in repo]
    total = sum(repository["totalSizeBytes"] for repository in repositories)
    return {"repositories": repositories, "totalSizeGB": bytes_to_gb(total), "totalSizeBytes": total, "errors": errors}


def get_region_ecr_object(
    client: Any, region: str, executor: Executor | None = None,
    on_listed: Callable[[list[dict[str, Any]]], None] | None = None,
) -> dict[str, Any] | tuple[str, str]:
    """All repositories of one region; repositories are read concurrently in `executor`.

    `on_listed(repositories)` is called with DescribeRepositories' entries before their images are read.

    Returns:
        The region object (repositories that failed are in its 'errors'), or
        (region, error message) when the region itself cannot be listed.
    """
    try:
        listed = list_repositories(client)
    except AWS_ERRORS as exc:
        return (region, error_message(exc))
    if on_listed is not None:
        on_listed(listed)

    def read(repository: dict[str, Any]) -> Any:
        return get_repository_object(client, repository["repositoryName"], repository["repositoryUri"])

    return region_object(map_in_pool(read, listed, executor, workers=1))


def get_region_ecr_object_dic(
    session: boto3.Session,
    regions: list[str] | None = None,
    errors: list[tuple[str, str]] | None = None,
    clients: ClientFactory | None = None,
    pools: RegionPools | None = None,
    on_listed: Callable[[str, list[dict[str, Any]]], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """The ECR object of every region (enabled regions by default).

    Every failure is appended to `errors` as (region, message) or
    ("region/repository", message); failed regions are left out of the result.
    Reads run in `pools` when given (shared with the other reader), else in new ones.
    `on_listed(region, repositories)` is called as each region's repositories are listed.
    """
    clients = clients or ClientFactory(session)
    regions = regions if regions is not None else enabled_regions(clients)
    errors = errors if errors is not None else []

    def collect(region: str, repository_pool: Executor) -> Any:
        tell = partial(on_listed, region) if on_listed is not None else None
        try:
            return get_region_ecr_object(clients.get("ecr", region), region, repository_pool, tell)
        except AWS_ERRORS as exc:  # e.g. an endpoint that cannot be resolved
            return (region, error_message(exc))

    results = map_regions(collect, regions, clients.workers, pools)
    ecr_object = {}
    for region, result in zip(regions, results):
        if isinstance(result, tuple):
            errors.append(result)
            continue
        errors.extend((f"{region}/{name}", message) for name, message in result["errors"])
        ecr_object[region] = result
    return ecr_object
