"""The manual's ECR objects: repositories and images of every region.

Region object: {'repositories': [...], 'totalSizeGB', 'totalSizeBytes', 'errors': [(repository, message)]}
Repository object: {'repositoryName', 'repositoryUri', 'images': [...], 'totalSizeGB',
    'totalSizeBytes', 'lastPushedDate' (datetime or None when empty),
    'lifecyclePolicy' (True, False, or None when it could not be read: see 'lifecyclePolicyError'),
    'indexManifests': {index digest: [digests its manifest lists]} (indexes whose manifest was read)}
Image object: {'imageTags', 'imageSizeGB', 'imagePushedAt', 'imageUris', 'imageDigest',
    'imageSizeBytes', 'lastRecordedPullTime' (datetime or None), 'imageStatus' (ACTIVE, ARCHIVED,
    ACTIVATING), 'lastArchivedAt', 'imageManifestMediaType', 'artifactMediaType', 'subjectManifestDigest'}
Sizes count each distinct manifest once, archived ones too: an image index adds nothing of its own.
"""
from __future__ import annotations

from typing import Any

import boto3

from ecr_usage_report import manual
from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.inventory import ecr, reader
from ecr_usage_report.inventory.model import EcrRegion


def get_region_ecr_object(client: Any, region: str) -> dict[str, Any] | tuple[str, str]:
    """All repositories of one region, from an ECR client of that region.

    Returns:
        The region object (repositories that failed are in its 'errors'), or
        (region, error message) when the region itself cannot be listed.
    """
    repositories, errors = manual.read_with_client(ecr.READER, client, region)
    if repositories is None:
        return (region, errors[0].message)
    return manual.region_object(EcrRegion(repositories), errors)


def get_repository_object(client: Any, repositoryName: str,
                          repositoryUri: str) -> dict[str, Any] | tuple[str, str] | None:
    """One repository with all its images (every DescribeImages page) and its lifecycle policy.

    Returns:
        The repository object; (repositoryName, error message) when ECR refuses;
        None when the repository was deleted after it was listed.
    """
    repository, errors = reader.read(ecr.READER, client, client.meta.region_name,
                                     {"repositoryName": repositoryName, "repositoryUri": repositoryUri})
    if repository is None:
        return (repositoryName, errors[0].message) if errors else None
    return manual.repository_object(repository, errors)


def get_region_ecr_object_dic(
    session: boto3.Session,
    regions: list[str] | None = None,
    errors: list[tuple[str, str]] | None = None,
    clients: ClientFactory | None = None,
) -> dict[str, dict[str, Any]]:
    """The ECR object of every region (enabled regions by default), read side by side.

    Every failure is appended to `errors` as (region, message) or ("region/repository", message);
    regions that could not be listed are left out of the result.
    """
    found, read_errors = manual.read_everywhere(ecr.READER, session, regions, clients)
    if errors is not None:
        errors.extend(manual.manual_errors(read_errors))
    return {region: manual.region_object(EcrRegion(repositories), [e for e in read_errors if e.region == region])
            for region, repositories in found.items()}
