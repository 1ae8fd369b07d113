"""A warm Lambda container runs many invocations in one process: clients are reused, results never
are, and a run that fails stops its queued work instead of draining it."""
from __future__ import annotations

import boto3
import pytest

from devtools.simulated_account import ImageSpec, RegionSpec
from devtools.simulated_organization import create_accounts, credentials_of
from ecr_usage_report.aws.clients import ClientFactory, shared_factory
from ecr_usage_report.aws.scheduler import region_scheduler
from ecr_usage_report.config import DEFAULT_MAX_WORKERS
from ecr_usage_report.inventory.collect import collect
from ecr_usage_report.run import run

SEOUL, OREGON = "ap-northeast-2", "us-west-2"


def repositories_in(result) -> list[str]:
    return sorted(f"{region}/{repo.name}" for region, data in result.inventory.ecr.items() for repo in data.repositories)


def other_accounts_credentials(aws) -> dict[str, str]:
    """Credentials of a role in another account, as AssumeRole hands them out."""
    other = create_accounts(aws.endpoint_url, ["other"])["other"]
    key, secret, token = credentials_of(aws.endpoint_url, other)
    return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token}


def test_three_invocations_share_clients_but_never_results(aws, seed, monkeypatch):
    seed([RegionSpec(SEOUL, repositories={"lab/first": [ImageSpec(["v1"], 10**9, 5)]}),
          RegionSpec(OREGON, repositories={"lab/third": [ImageSpec(["v1"], 10**9, 5)]})])
    aws.layer.fail(region=SEOUL, operation="GetLifecyclePolicy", times=1)  # an error only the first run meets
    other = other_accounts_credentials(aws)
    boto3.client("ecr", region_name=SEOUL, aws_access_key_id=other["AWS_ACCESS_KEY_ID"],
                 aws_secret_access_key=other["AWS_SECRET_ACCESS_KEY"],
                 aws_session_token=other["AWS_SESSION_TOKEN"]).create_repository(repositoryName="other/second")

    first = run({"dry_run": True, "regions": [SEOUL]})
    clients = shared_factory(None, DEFAULT_MAX_WORKERS)
    seoul_ecr = clients.get("ecr", SEOUL)
    with monkeypatch.context() as as_other:
        for name, value in other.items():
            as_other.setenv(name, value)
        second = run({"dry_run": True, "regions": [SEOUL]})
    third = run({"dry_run": True, "regions": [OREGON]})

    assert repositories_in(first) == [f"{SEOUL}/lab/first"] and len(first.inventory.errors) == 1
    assert repositories_in(second) == [f"{SEOUL}/other/second"]  # the other account's, and only those
    assert second.inventory.errors == () and "lab/first" not in second.report
    assert repositories_in(third) == [f"{OREGON}/lab/third"] and third.inventory.errors == ()
    assert "lab/first" not in third.report and "other/second" not in third.report
    assert shared_factory(None, DEFAULT_MAX_WORKERS) is clients  # the first account's clients, built once
    assert clients.get("ecr", SEOUL) is seoul_ecr


def test_a_setting_changed_between_invocations_reaches_the_next_one_s_clients(aws, monkeypatch):
    # A factory reads botocore's settings once, so any AWS_ variable is part of what picks the factory.
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    before = shared_factory(None, DEFAULT_MAX_WORKERS).get("ecr", "us-east-1")
    monkeypatch.setenv("AWS_USE_FIPS_ENDPOINT", "true")
    after = shared_factory(None, DEFAULT_MAX_WORKERS).get("ecr", "us-east-1")
    assert before.meta.endpoint_url == "https://api.ecr.us-east-1.amazonaws.com"
    assert after.meta.endpoint_url == "https://ecr-fips.us-east-1.amazonaws.com"


def test_a_failed_collection_cancels_its_queued_reads(aws, seed):
    seed([RegionSpec(SEOUL, repositories={"app": []}),
          RegionSpec(OREGON, repositories={f"r{i:02d}": [ImageSpec(["v1"], 1, 1)] for i in range(30)})])

    class BrokenForSeoulsEcr(ClientFactory):
        def get(self, service: str, region: str):
            if (service, region) == ("ecr", SEOUL):
                raise RuntimeError("a bug, not an AWS error")
            return super().get(service, region)

    with pytest.raises(RuntimeError, match="a bug"):
        with region_scheduler(1) as scheduler:
            collect(BrokenForSeoulsEcr(boto3.Session(), workers=1), scheduler, [SEOUL, OREGON])
    assert aws.layer.calls[("DescribeImages", OREGON)] < 30  # Oregon's queued reads were dropped, not drained
