"""Each repository's lifecycle policy and repository policy, as the simulated ECR answers and the reader keeps them."""
from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devtools.simulated_account import ImageSpec, RegionSpec
from ecr_usage_report.inventory.ecr import read_repository
from ecr_usage_report.inventory.model import ReadError

REGION = "ap-northeast-2"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
# AWS's "Archive images not pulled in 90 days, delete a year after" policy: moto 5.2.5 refuses every part of it
ARCHIVE_POLICY = json.dumps({"rules": [
    {"rulePriority": 1, "description": "Archive images not pulled in 90 days",
     "selection": {"tagStatus": "any", "countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90},
     "action": {"type": "transition", "targetStorageClass": "archive"}},
    {"rulePriority": 2, "description": "Delete images archived for more than 365 days",
     "selection": {"tagStatus": "any", "storageClass": "archive", "countType": "sinceImageTransitioned",
                   "countUnit": "days", "countNumber": 365},
     "action": {"type": "expire"}}]}, indent=2)
SHARED = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "AllowPull", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]}]}, indent=4)


@pytest.fixture
def ecr(aws):
    client = boto3.client("ecr", region_name=REGION, config=NO_RETRY)
    client.create_repository(repositoryName="team/app")
    return client


def error_of(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


def test_no_policies_are_named_by_their_not_found_codes(ecr):
    assert error_of(lambda: ecr.get_repository_policy(repositoryName="team/app"))[0] == "RepositoryPolicyNotFoundException"
    assert error_of(lambda: ecr.get_lifecycle_policy(repositoryName="team/app"))[0] == "LifecyclePolicyNotFoundException"
    assert error_of(lambda: ecr.get_repository_policy(repositoryName="team/gone"))[0] == "RepositoryNotFoundException"


def test_a_repository_policy_is_answered_as_it_was_set(ecr):
    ecr.set_repository_policy(repositoryName="team/app", policyText=SHARED)
    assert ecr.get_repository_policy(repositoryName="team/app")["policyText"] == SHARED


def test_an_archive_lifecycle_policy_is_accepted_and_answered_as_it_was_put(ecr):
    answer = ecr.put_lifecycle_policy(repositoryName="team/app", lifecyclePolicyText=ARCHIVE_POLICY)
    assert answer["lifecyclePolicyText"] == ARCHIVE_POLICY
    assert ecr.get_lifecycle_policy(repositoryName="team/app")["lifecyclePolicyText"] == ARCHIVE_POLICY


@pytest.mark.parametrize("action", [{"type": "transition"}, {"type": "transition", "targetStorageClass": "deep"},
                                    {"type": "delete"}], ids=["no-target", "unknown-target", "unknown-type"])
def test_a_lifecycle_policy_aws_refuses_is_refused(ecr, action):
    policy = json.loads(ARCHIVE_POLICY)
    policy["rules"][0]["action"] = action
    code, _ = error_of(lambda: ecr.put_lifecycle_policy(repositoryName="team/app", lifecyclePolicyText=json.dumps(policy)))
    assert code == "InvalidParameterException"
    assert error_of(lambda: ecr.get_lifecycle_policy(repositoryName="team/app"))[0] == "LifecyclePolicyNotFoundException"


def test_the_reader_keeps_both_policies_and_the_last_pull(aws, seed, ecr):
    seeder = seed([RegionSpec(REGION, repositories={"team/web": [ImageSpec(["v1"], 100, 30, pulled_days_ago=3)]},
                              lifecycle_policies={"team/web": ARCHIVE_POLICY}, repository_policies={"team/web": SHARED})])
    repository, errors = read_repository(ecr, REGION, "team/web", "uri/team/web")
    assert errors == []
    assert (repository.lifecycle_policy, repository.lifecycle_policy_text) == (True, ARCHIVE_POLICY)
    assert (repository.repository_policy, repository.repository_policy_text) == (True, SHARED)
    assert repository.images[0].last_pulled_at.timestamp() == pytest.approx(seeder.now - 3 * 86_400, abs=1)


def test_the_reader_says_a_repository_without_policies_has_none(ecr):
    repository, errors = read_repository(ecr, REGION, "team/app", "uri/team/app")
    assert errors == []
    assert (repository.lifecycle_policy, repository.lifecycle_policy_text) == (False, None)
    assert (repository.repository_policy, repository.repository_policy_text) == (False, None)


def test_a_repository_policy_that_cannot_be_read_is_unknown_and_named(aws, ecr):
    aws.layer.fail(region=REGION, operation="GetRepositoryPolicy", message="no policy read")
    repository, errors = read_repository(ecr, REGION, "team/app", "uri/team/app")
    assert (repository.repository_policy, repository.repository_policy_text) == (None, None)
    assert errors == [ReadError(REGION, "ECR", "team/app", "GetRepositoryPolicy AccessDeniedException: no policy read")]
