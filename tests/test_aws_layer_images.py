"""The simulated ECR answers like AWS where moto 5.2.5 does not: archive, indexes, referrers, pulls."""
from __future__ import annotations

import hashlib
import json
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "ap-northeast-2"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
IMAGE_CONFIG = "application/vnd.oci.image.config.v1+json"
SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json"
NOW = 1_800_000_000.0


@pytest.fixture
def ecr(aws) -> Any:
    """An ECR client of the simulated account, with a repository `team/app`; the layer's wall clock at NOW."""
    aws.layer.wall_clock = lambda: NOW
    client = boto3.client("ecr", region_name=REGION, config=NO_RETRY)
    client.create_repository(repositoryName="team/app")
    return client


def image_manifest(seed: str, subject: dict | None = None, artifact_type: str | None = None) -> str:
    digest = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
    manifest: dict[str, Any] = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                "config": {"mediaType": IMAGE_CONFIG, "size": 7, "digest": digest},
                                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": 9,
                                            "digest": digest[::-1]}]}
    if artifact_type:
        manifest["artifactType"] = artifact_type
    if subject:
        manifest["subject"] = subject
    return json.dumps(manifest)


def push(ecr: Any, manifest: str, tag: str | None = None) -> str:
    extra = {"imageTag": tag} if tag else {}
    return ecr.put_image(repositoryName="team/app", imageManifest=manifest, **extra)["image"]["imageId"]["imageDigest"]


def index_manifest(*digests: str) -> str:
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": digest, "size": 500, "platform": {"os": "linux", "architecture": arch}}
        for digest, arch in zip(digests, ("amd64", "arm64"))]})


def details(ecr: Any, **kwargs: Any) -> dict[str, dict]:
    pages = ecr.get_paginator("describe_images").paginate(repositoryName="team/app", **kwargs)
    return {detail["imageDigest"]: detail for page in pages for detail in page["imageDetails"]}


def test_a_pushed_manifest_gets_its_sha256_as_digest(ecr):
    manifest = index_manifest("sha256:" + "a" * 64)
    assert push(ecr, manifest, "v1") == "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()


def test_describe_images_lists_archived_images_only_when_asked(aws, ecr):
    kept, archived = push(ecr, image_manifest("kept"), "v2"), push(ecr, image_manifest("old"), "v1")
    answer = ecr.update_image_storage_class(repositoryName="team/app", imageId={"imageTag": "v1"},
                                            targetStorageClass="ARCHIVE")
    assert (answer["imageId"]["imageDigest"], answer["imageStatus"]) == (archived, "ARCHIVED")
    assert list(details(ecr)) == [kept]  # no filter: ACTIVE only, as botocore's model says
    assert details(ecr)[kept]["imageStatus"] == "ACTIVE"
    everything = details(ecr, filter={"imageStatus": "ANY"})
    assert set(everything) == {kept, archived}
    assert everything[archived]["imageStatus"] == "ARCHIVED"
    assert everything[archived]["lastArchivedAt"].timestamp() == NOW
    assert list(details(ecr, filter={"imageStatus": "ARCHIVED"})) == [archived]
    assert list(details(ecr, filter={"imageStatus": "ANY", "tagStatus": "UNTAGGED"})) == []


def test_a_restored_image_is_listed_again_with_when_it_was_restored(aws, ecr):
    digest = push(ecr, image_manifest("old"), "v1")
    ecr.update_image_storage_class(repositoryName="team/app", imageId={"imageDigest": digest},
                                   targetStorageClass="ARCHIVE")
    aws.layer.wall_clock = lambda: NOW + 60
    restored = ecr.update_image_storage_class(repositoryName="team/app", imageId={"imageDigest": digest},
                                              targetStorageClass="STANDARD")
    assert restored["imageStatus"] == "ACTIVATING"
    detail = details(ecr)[digest]
    assert detail["imageStatus"] == "ACTIVE" and detail["lastActivatedAt"].timestamp() == NOW + 60


def test_archiving_an_image_that_is_not_there_is_refused(ecr):
    with pytest.raises(ClientError) as refused:
        ecr.update_image_storage_class(repositoryName="team/app", imageId={"imageTag": "nope"},
                                       targetStorageClass="ARCHIVE")
    assert refused.value.response["Error"]["Code"] == "ImageNotFoundException"


def test_an_index_is_sized_as_its_largest_platform_image(aws, ecr):
    amd64, arm64 = push(ecr, image_manifest("amd64")), push(ecr, image_manifest("arm64"))
    aws.layer.ecr.image_overrides.update({amd64: {"imageSizeInBytes": 300}, arm64: {"imageSizeInBytes": 280}})
    index = push(ecr, index_manifest(amd64, arm64), "1.0")
    listed = details(ecr)
    assert listed[index]["imageSizeInBytes"] == 300 and listed[index]["imageManifestMediaType"] == OCI_INDEX
    assert "artifactMediaType" not in listed[index]
    assert listed[amd64]["artifactMediaType"] == IMAGE_CONFIG and "imageTags" not in listed[amd64]
    asked = ecr.describe_images(repositoryName="team/app", imageIds=[{"imageTag": "1.0"}])["imageDetails"]
    assert [detail["imageSizeInBytes"] for detail in asked] == [300]  # sized even when its children are not asked for


def test_referrers_name_their_subject_and_artifact_type(ecr):
    subject = push(ecr, image_manifest("app"), "v1")
    signature = push(ecr, image_manifest("sig", {"mediaType": OCI_MANIFEST, "digest": subject, "size": 400}, SIGNATURE))
    listed = details(ecr)
    assert listed[signature]["subjectManifestDigest"] == subject
    assert listed[signature]["artifactMediaType"] == SIGNATURE
    assert "subjectManifestDigest" not in listed[subject]


def test_batch_get_image_reads_manifests_and_names_each_image_it_cannot(ecr):
    index = push(ecr, index_manifest("sha256:" + "a" * 64), "1.0")
    archived = push(ecr, image_manifest("old"), "v1")
    ecr.update_image_storage_class(repositoryName="team/app", imageId={"imageDigest": archived},
                                   targetStorageClass="ARCHIVE")
    missing = "sha256:" + "0" * 64
    answer = ecr.batch_get_image(repositoryName="team/app", imageIds=[
        {"imageDigest": index}, {"imageDigest": archived}, {"imageDigest": missing}])
    [image] = answer["images"]
    assert image["imageId"] == {"imageDigest": index} and json.loads(image["imageManifest"])["mediaType"] == OCI_INDEX
    assert [(failure["imageId"], failure["failureCode"]) for failure in answer["failures"]] == [
        ({"imageDigest": archived}, "ImageNotFound"), ({"imageDigest": missing}, "ImageNotFound")]


def test_batch_get_image_takes_at_most_100_images(ecr):
    with pytest.raises(ClientError) as refused:
        ecr.batch_get_image(repositoryName="team/app",
                            imageIds=[{"imageDigest": f"sha256:{n:064x}"} for n in range(101)])
    assert refused.value.response["Error"]["Code"] == "ValidationException"


def test_reading_a_manifest_records_a_pull_unless_the_caller_is_excluded(aws, ecr):
    index = push(ecr, index_manifest("sha256:" + "a" * 64), "1.0")
    aws.layer.ecr.image_overrides[index] = {"lastRecordedPullTime": NOW - 86_400 * 30}
    caller = "arn:aws:iam::123456789012:user/testing"  # the simulated caller of the access key `testing`
    ecr.register_pull_time_update_exclusion(principalArn=caller)
    assert ecr.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == [caller]
    ecr.batch_get_image(repositoryName="team/app", imageIds=[{"imageDigest": index}])
    assert details(ecr)[index]["lastRecordedPullTime"].timestamp() == NOW - 86_400 * 30
    with pytest.raises(ClientError) as twice:
        ecr.register_pull_time_update_exclusion(principalArn=caller)
    assert twice.value.response["Error"]["Code"] == "ExclusionAlreadyExistsException"
    ecr.deregister_pull_time_update_exclusion(principalArn=caller)
    ecr.batch_get_image(repositoryName="team/app", imageIds=[{"imageDigest": index}])
    assert details(ecr)[index]["lastRecordedPullTime"].timestamp() == NOW


def test_pull_time_update_exclusions_are_kept_per_region(aws, ecr):
    caller = "arn:aws:iam::123456789012:role/ecr-usage-report"
    ecr.register_pull_time_update_exclusion(principalArn=caller)
    elsewhere = boto3.client("ecr", region_name="us-east-1", config=NO_RETRY)
    assert elsewhere.list_pull_time_update_exclusions()["pullTimeUpdateExclusions"] == []
    with pytest.raises(ClientError) as unknown:
        elsewhere.deregister_pull_time_update_exclusion(principalArn=caller)
    assert unknown.value.response["Error"]["Code"] == "ExclusionNotFoundException"


def test_a_moved_tag_leaves_its_old_image_untagged(ecr):
    old = push(ecr, image_manifest("old"), "v1")
    new = push(ecr, image_manifest("new"), "v1")  # moto alone deletes the old image
    listed = details(ecr)
    assert set(listed) == {old, new}
    assert listed[new]["imageTags"] == ["v1"] and "imageTags" not in listed[old]
    assert list(details(ecr, filter={"tagStatus": "UNTAGGED"})) == [old]
    again = push(ecr, image_manifest("newer"), "v1")
    assert set(details(ecr)) == {old, new, again}
