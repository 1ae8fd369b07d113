"""The manual's object shapes (dicts keyed as its section 3 shows), to and from the typed inventory.

Only the manual's entry points at the repository root use them; the engine works on the dataclasses.
Sizes in GB are decimal (10^9 bytes).
"""
from __future__ import annotations

import os
from typing import Any, Sequence

import boto3

from ecr_usage_report import config
from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.regions import enabled_regions
from ecr_usage_report.aws.scheduler import region_scheduler
from ecr_usage_report.inventory import reader
from ecr_usage_report.inventory.model import AliasedVersion, EcrRegion, Function, Image, ReadError, Repository
from ecr_usage_report.inventory.storage import ACTIVE, BYTES_PER_GB

ManualError = tuple[str, str]  # (where, message)


def image_object(image: Image) -> dict[str, Any]:
    return {
        "imageTags": list(image.tags),
        "imageSizeGB": image.size_bytes / BYTES_PER_GB,
        "imagePushedAt": image.pushed_at,
        "imageUris": list(image.uris),
        "imageDigest": image.digest,
        "imageSizeBytes": image.size_bytes,
        "lastRecordedPullTime": image.last_pulled_at,
        "imageStatus": image.status,
        "lastArchivedAt": image.last_archived_at,
        "imageManifestMediaType": image.manifest_media_type,
        "artifactMediaType": image.artifact_media_type,
        "subjectManifestDigest": image.subject_digest,
    }


def repository_object(repository: Repository, errors: Sequence[ReadError] = ()) -> dict[str, Any]:
    """The manual's repository object; 'lifecyclePolicyError' when its policy could not be read."""
    shaped = {
        "repositoryName": repository.name,
        "repositoryUri": repository.uri,
        "images": [image_object(image) for image in repository.images],
        "totalSizeGB": repository.size_bytes / BYTES_PER_GB,
        "totalSizeBytes": repository.size_bytes,
        "lastPushedDate": repository.last_pushed_at,
        "lifecyclePolicy": repository.lifecycle_policy,
        "indexManifests": {digest: list(children) for digest, children in repository.index_children.items()},
    }
    shaped.update({"lifecyclePolicyError": error.message for error in errors if error.resource == repository.name})
    return shaped


def region_object(region: EcrRegion, errors: Sequence[ReadError]) -> dict[str, Any]:
    """The manual's region object, with 'errors' as (repository, message)."""
    return {
        "repositories": [repository_object(repository, errors) for repository in region.repositories],
        "totalSizeGB": region.size_bytes / BYTES_PER_GB,
        "totalSizeBytes": region.size_bytes,
        "errors": [(error.resource, error.message) for error in errors],
    }


def function_object(function: Function) -> dict[str, Any]:
    aliased = function.aliased_versions
    return {
        "FunctionName": function.name,
        "MemorySize": function.memory_size,
        "LastModified": function.last_modified,
        "PackageType": function.package_type,
        "ImageUri": function.image_uri,
        "Description": function.description,
        "LogGroupName": function.log_group,
        "ResolvedImageUri": function.resolved_image_uri,
        "AliasedVersions": None if aliased is None else [
            {"Version": v.version, "Aliases": list(v.aliases), "ImageUri": v.image_uri,
             "ResolvedImageUri": v.resolved_image_uri} for v in aliased],
    }


def manual_errors(errors: list[ReadError]) -> list[ManualError]:
    """Errors as the manual's functions report them: (region or region/resource, message)."""
    return [(error.scope, error.message) for error in errors]


def image_from(shaped: dict[str, Any]) -> Image:
    return Image(shaped["imageDigest"], tuple(shaped["imageTags"]), shaped["imageSizeBytes"],
                 shaped["imagePushedAt"], shaped.get("lastRecordedPullTime"), tuple(shaped["imageUris"]),
                 status=shaped.get("imageStatus") or ACTIVE, last_archived_at=shaped.get("lastArchivedAt"),
                 manifest_media_type=shaped.get("imageManifestMediaType"),
                 artifact_media_type=shaped.get("artifactMediaType"),
                 subject_digest=shaped.get("subjectManifestDigest"))


def repository_from(shaped: dict[str, Any]) -> Repository:
    return Repository(shaped["repositoryName"], shaped["repositoryUri"],
                      tuple(image_from(image) for image in shaped["images"]), shaped.get("lifecyclePolicy"),
                      {digest: tuple(children) for digest, children in (shaped.get("indexManifests") or {}).items()})


def region_from(shaped: dict[str, Any]) -> EcrRegion:
    return EcrRegion(tuple(repository_from(repository) for repository in shaped["repositories"]))


def function_from(shaped: dict[str, Any]) -> Function:
    aliased = shaped.get("AliasedVersions", [])
    return Function(
        name=shaped["FunctionName"], memory_size=shaped.get("MemorySize"), last_modified=shaped.get("LastModified"),
        package_type=shaped.get("PackageType", "Zip"), image_uri=shaped.get("ImageUri"),
        description=shaped.get("Description", ""), log_group=shaped["LogGroupName"],
        resolved_image_uri=shaped.get("ResolvedImageUri"),
        aliased_versions=None if aliased is None else tuple(
            AliasedVersion(v["Version"], tuple(v["Aliases"]), v.get("ImageUri"), v.get("ResolvedImageUri"))
            for v in aliased),
    )


class OneClient:
    """Hands out one given client, as the manual's per-region functions take a client, not a session."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get(self, service: str, region: str) -> Any:
        return self.client


def read_with_client(read: reader.RegionReader, client: Any,
                     region: str) -> tuple[tuple[Any, ...] | None, list[ReadError]]:
    """One reader in the client's region, one call at a time: its values (None: the region could not be listed)."""
    with region_scheduler(1) as scheduler:
        values, errors = reader.read_regions(read, OneClient(client), scheduler, [region])
    return values.get(region), errors


def read_everywhere(read: reader.RegionReader, session: boto3.Session | None, regions: list[str] | None,
                    clients: ClientFactory | None) -> tuple[dict[str, tuple[Any, ...]], list[ReadError]]:
    """One reader in every region asked (default: every enabled one), MAX_WORKERS calls at a time."""
    clients = clients or ClientFactory(session, config.max_workers(os.environ))
    regions = regions if regions is not None else enabled_regions(clients)
    with region_scheduler(clients.workers) as scheduler:
        values, errors = reader.read_regions(read, clients, scheduler, regions)
    return values, sorted(errors)
