"""Joining consumers to repositories and images, and the rules over them (pure; no server)."""
from datetime import datetime, timedelta, timezone

import pytest

from ecr_usage_report.analysis.join import UsageIndex, function_consumer, lambda_version_consumers
from ecr_usage_report.analysis.rules import IDLE, UNUSED, Thresholds, repository_candidate
from ecr_usage_report.inventory.model import AliasedVersion, Consumer, Function, Image, LastRun, Repository
from ecr_usage_report.inventory.references import canonical_image

HOST = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
DIGEST = "sha256:" + "a" * 64
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)


def repo(name: str, host: str = HOST, pushed_days_ago: int = 400) -> Repository:
    image = Image(DIGEST, ("v1",), 1, NOW - timedelta(days=pushed_days_ago), None,
                  (f"{host}/{name}:v1", f"{host}/{name}@{DIGEST}"))
    return Repository(name, f"{host}/{name}", (image,), False)


def consumer(*images: str, kind: str = "ecs service", name: str = "prod/web", region: str = "us-east-1",
             last_run: datetime | None = None) -> Consumer:
    return Consumer(kind, name, region, images, last_run)


@pytest.mark.parametrize("named, canonical, by", [
    (f"{HOST}/team/app:v1", f"{HOST}/team/app:v1", "tag"),
    (f"{HOST}/team/app", f"{HOST}/team/app:latest", "tag"),  # no tag: a runtime pulls latest
    (f"{HOST}/team/app:v1@{DIGEST}", f"{HOST}/team/app@{DIGEST}", "digest"),  # the digest wins
    (f"docker-pullable://{HOST}/team/app@{DIGEST}", f"{HOST}/team/app@{DIGEST}", "digest"),  # a kubelet's imageID
    ("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/team/app:v1", f"{HOST}/team/app:v1", "tag"),
    ("123456789012.dkr-ecr.us-east-1.on.aws/team/app:v1", f"{HOST}/team/app:v1", "tag"),  # dual-stack
    ("123456789012.dkr-ecr-fips.us-east-1.on.aws/app@" + DIGEST, f"{HOST}/app@{DIGEST}", "digest"),
    ("123456789012.DKR.ECR.US-EAST-1.AMAZONAWS.COM/app:v1", f"{HOST}/app:v1", "tag"),
    ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v1",
     "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v1", "tag"),
    (f"{HOST}:443/team/app:v1", f"{HOST}/team/app:v1", "tag"),  # HTTPS's port, written out
    (f"{HOST}:443/team/app@{DIGEST}", f"{HOST}/team/app@{DIGEST}", "digest"),
], ids=["tag", "no-tag", "tag-and-digest", "image-id", "fips", "dual-stack", "dual-stack-fips", "upper-case", "china",
        "port", "port-digest"])
def test_any_name_of_the_private_registry_is_joined(named, canonical, by):
    use = canonical_image(named)
    assert (use.image, use.by, use.reference) == (canonical, by, named)


@pytest.mark.parametrize("named", ["team/app:v1", "nginx", "public.ecr.aws/nginx/nginx:stable",
                                   "docker.io/library/app:v1", f"{HOST}", "sha256:" + "b" * 64])
def test_a_name_that_is_not_the_private_registrys_is_not_joined(named):
    # without a registry host, ECS, Batch, App Runner and Kubernetes all pull from Docker Hub
    assert canonical_image(named) is None


def test_consumers_join_across_regions_once_each_by_kind_and_name():
    web, other = repo("web"), repo("web-2")
    found = [consumer(f"{HOST}/web:v1", f"{HOST}/web@{DIGEST}", region="eu-west-1"),
             consumer(f"{HOST}/web:v1", kind="batch job-definition", name="nightly:3"),
             consumer(f"{HOST}/web-2:v1", kind="eks pod", name="shop/prod/api")]
    index = UsageIndex.of({}, others=found)
    assert [(c.kind, c.name, c.region) for c in index.users_of(web)] == [
        ("batch job-definition", "nightly:3", "us-east-1"), ("ecs service", "prod/web", "eu-west-1")]
    assert [c.kind for c in index.users_of(other)] == ["eks pod"]
    assert index.users_of(repo("we")) == ()
    uses = [(c.kind, use.by) for c, use in index.image_uses(web.images[0])]
    assert uses == [("batch job-definition", "tag"), ("ecs service", "tag"), ("ecs service", "digest")]


def function(name: str, image: str | None = None, rollback: tuple[AliasedVersion, ...] = ()) -> Function:
    return Function(name, 128, None, "Image", image, "", f"/aws/lambda/{name}", None, (), rollback)


def test_rollback_versions_are_consumers_last_run_as_their_function():
    versions = (AliasedVersion("7", (), f"{HOST}/web:v6", f"{HOST}/web@{DIGEST}"),)
    ran = NOW - timedelta(days=2)
    [version] = lambda_version_consumers({"us-east-1": (function("resize", f"{HOST}/web:v7", versions),)},
                                         {("us-east-1", "/aws/lambda/resize"): LastRun(ran)})
    assert (version.kind, version.name, version.last_run, version.state) == (
        "lambda version", "resize:7", ran, "rollback target")
    assert version.images == (f"{HOST}/web:v6", f"{HOST}/web@{DIGEST}")


def judge(users=(), consumers=(), last_runs=None):
    functions = tuple(function_consumer("us-east-1", user, last_runs or {}) for user in users)
    return repository_candidate("us-east-1", repo("web"), functions + tuple(consumers), NOW, Thresholds())


def test_a_repository_any_consumer_uses_is_not_unused():
    assert judge().reason == UNUSED
    assert judge(consumers=[consumer(f"{HOST}/web:v1", kind="batch job-definition")]) is None


def test_idle_needs_every_consumer_to_be_lambda_with_its_idleness_known():
    old = NOW - timedelta(days=400)
    runs = {("us-east-1", "/aws/lambda/old-fn"): LastRun(old)}
    idle_version = consumer(f"{HOST}/web:v1", kind="lambda version", name="old-fn:3", last_run=old)
    candidate = judge([function("old-fn")], [idle_version], runs)
    assert candidate.reason == IDLE and [name for name, _ in candidate.functions] == ["old-fn", "old-fn:3"]
    unknown_version = consumer(f"{HOST}/web:v1", kind="lambda version", name="new-fn:1")
    assert judge([function("old-fn")], [unknown_version], runs) is None  # unknown is never idle
    assert judge([function("old-fn")], [consumer(f"{HOST}/web:v1", kind="eks cronjob", last_run=old)], runs) is None
