"""Tests of the simulated AWS (devtools/aws/) against a live LayeredMotoServer."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
import zipfile
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from devtools.aws.quotas import AWS_RATE_QUOTAS, RateQuota
from devtools.aws.server import LayeredMotoServer

REGION = "us-east-1"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})  # max_attempts=1 means ONE RETRY
ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


@pytest.fixture
def server(aws_server: LayeredMotoServer) -> LayeredMotoServer:
    """The session's layered moto server (conftest's), an empty account for every test here."""
    aws_server.reset()
    return aws_server


def client(server: LayeredMotoServer, service: str, region: str = REGION,
           config: Config | None = None) -> Any:
    """A boto3 client aimed at the server."""
    return boto3.client(service, region_name=region, endpoint_url=server.endpoint_url,
                        aws_access_key_id="testing", aws_secret_access_key="testing",
                        config=config)


def manifest(seed: str) -> str:
    """A small, unique image manifest."""
    def digest(kind: str) -> str:
        return "sha256:" + hashlib.sha256(f"{kind}{seed}".encode()).hexdigest()
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": 7023, "digest": digest("config")},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32654, "digest": digest("layer")}]})


def push(ecr: Any, repo: str, seed: str, tag: str | None = None) -> str:
    """Push an image and return its digest."""
    kwargs = {"imageTag": tag} if tag else {}
    image = ecr.put_image(repositoryName=repo, imageManifest=manifest(seed), **kwargs)["image"]
    return image["imageId"]["imageDigest"]


def zip_bytes() -> bytes:
    """A real zip containing a handler."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return 1\n")
    return buf.getvalue()


@pytest.fixture
def role_arn(server: LayeredMotoServer) -> str:
    """An IAM role Lambda accepts."""
    iam = client(server, "iam")
    return iam.create_role(RoleName="layer-test", AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]


# ---- paging ------------------------------------------------------------------


def test_describe_repositories_pages_like_aws(server: LayeredMotoServer) -> None:
    ecr = client(server, "ecr", "eu-west-1")
    for i in range(105):
        ecr.create_repository(repositoryName=f"paging/repo-{i:03d}")
    first = ecr.describe_repositories()
    assert len(first["repositories"]) == 100 and "nextToken" in first
    small = ecr.describe_repositories(maxResults=7)
    assert len(small["repositories"]) == 7
    names = [r["repositoryName"] for page in ecr.get_paginator("describe_repositories").paginate()
             for r in page["repositories"]]
    assert names == [f"paging/repo-{i:03d}" for i in range(105)]
    pages = list(ecr.get_paginator("describe_repositories").paginate(
        PaginationConfig={"PageSize": 50}))
    assert [len(p["repositories"]) for p in pages] == [50, 50, 5]
    assert server.layer.calls[("DescribeRepositories", "eu-west-1")] == 2 + 2 + 3


def test_describe_images_pages_like_aws(server: LayeredMotoServer) -> None:
    ecr = client(server, "ecr", "eu-west-2")
    ecr.create_repository(repositoryName="many")
    digests = [push(ecr, "many", f"many-{i}", tag=f"t{i}" if i % 2 else None) for i in range(230)]
    first = ecr.describe_images(repositoryName="many")
    assert len(first["imageDetails"]) == 100 and first["nextToken"]
    pages = list(ecr.get_paginator("describe_images").paginate(repositoryName="many"))
    assert [len(p["imageDetails"]) for p in pages] == [100, 100, 30]
    assert sorted(d["imageDigest"] for p in pages for d in p["imageDetails"]) == sorted(digests)
    one = ecr.describe_images(repositoryName="many", imageIds=[{"imageTag": "t3"}])
    assert [d["imageDigest"] for d in one["imageDetails"]] == [digests[3]]


def test_bad_ecr_token_is_invalid_parameter(server: LayeredMotoServer) -> None:
    ecr = client(server, "ecr", config=NO_RETRY)
    with pytest.raises(ClientError) as err:
        ecr.describe_repositories(nextToken="not-a-token")
    assert err.value.response["Error"]["Code"] == "InvalidParameterException"


def test_list_functions_pages_like_aws(server: LayeredMotoServer, role_arn: str) -> None:
    lam = client(server, "lambda", "ap-south-1")
    code = zip_bytes()
    for i in range(120):
        lam.create_function(FunctionName=f"fn-{i:03d}", Role=role_arn, Runtime="python3.12",
                            Handler="index.handler", Code={"ZipFile": code})
    first = lam.list_functions()
    assert len(first["Functions"]) == 50 and first["NextMarker"]
    assert len(lam.list_functions(MaxItems=10)["Functions"]) == 10
    assert len(lam.list_functions(MaxItems=500)["Functions"]) == 50
    pages = list(lam.get_paginator("list_functions").paginate())
    assert [len(p["Functions"]) for p in pages] == [50, 50, 20]
    names = [f["FunctionName"] for p in pages for f in p["Functions"]]
    assert sorted(names) == [f"fn-{i:03d}" for i in range(120)]
    assert server.layer.calls[("CreateFunction", "ap-south-1")] == 120
    assert server.layer.calls[("ListFunctions", "ap-south-1")] == 1 + 1 + 1 + 3


def test_describe_regions_answers_a_commercial_account_s_regions(server: LayeredMotoServer) -> None:
    ec2 = client(server, "ec2", "ap-northeast-2")
    enabled = {region["RegionName"]: region["OptInStatus"] for region in ec2.describe_regions()["Regions"]}
    assert len(enabled) == 17 and set(enabled.values()) == {"opt-in-not-required"}  # moto: 38, China's too
    server.layer.ec2.opted_in_regions = {"ap-east-1"}
    every = {region["RegionName"]: region["OptInStatus"] for region in ec2.describe_regions(AllRegions=True)["Regions"]}
    assert every["ap-east-1"] == "opted-in" and every["me-south-1"] == "not-opted-in"
    assert not any(name.startswith(("cn-", "us-gov-")) for name in every)
    assert "ap-east-1" in {region["RegionName"] for region in ec2.describe_regions(AllRegions=False)["Regions"]}
    server.layer.ec2.opted_in_regions = set()


# ---- counting, failures, throttling, latency ------------------------------------


def test_calls_are_counted_per_operation_and_region(server: LayeredMotoServer) -> None:
    client(server, "ecr", "us-west-2").describe_repositories()
    client(server, "logs", "us-west-2").describe_log_groups()
    client(server, "ec2", "us-west-2").describe_regions()
    client(server, "sts").get_caller_identity()
    calls = server.layer.calls
    assert calls[("DescribeRepositories", "us-west-2")] == 1
    assert calls[("DescribeLogGroups", "us-west-2")] == 1
    assert calls[("DescribeRegions", "us-west-2")] == 1
    assert calls[("GetCallerIdentity", "us-east-1")] == 1
    server.layer.reset_counts()
    assert not server.layer.calls


def put_object(s3: Any) -> None:
    """PutObject into a bucket made on first use (S3's errors are XML, unlike the JSON services')."""
    try:
        s3.create_bucket(Bucket="layer-errors", CreateBucketConfiguration={"LocationConstraint": "eu-north-1"})
    except ClientError:
        pass  # made by an earlier call
    s3.put_object(Bucket="layer-errors", Key="k", Body=b"x")


@pytest.mark.parametrize("service,call,operation", [
    ("ecr", lambda c: c.describe_repositories(), "DescribeRepositories"),
    ("logs", lambda c: c.describe_log_groups(), "DescribeLogGroups"),
    ("lambda", lambda c: c.list_functions(), "ListFunctions"),
    ("ec2", lambda c: c.describe_regions(), "DescribeRegions"),
    ("sts", lambda c: c.get_caller_identity(), "GetCallerIdentity"),
    ("s3", lambda c: put_object(c), "PutObject"),
])
def test_fail_answers_with_service_error(server: LayeredMotoServer, service: str,
                                         call: Any, operation: str) -> None:
    server.layer.fail(region="eu-north-1", operation=operation, code="AccessDeniedException",
                      message="nope", times=1)
    denied = client(server, service, "eu-north-1", config=NO_RETRY)
    with pytest.raises(ClientError) as err:
        call(denied)
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    assert err.value.response["Error"]["Message"] == "nope"
    call(denied)  # times=1 used up


def test_fail_filters_by_region_and_operation(server: LayeredMotoServer) -> None:
    server.layer.fail(region="sa-east-1", operation="DescribeImages", code="RepositoryNotFoundException")
    client(server, "ecr", "sa-east-1").describe_repositories()
    client(server, "ecr", "ca-central-1").describe_repositories()
    with pytest.raises(ClientError) as err:
        client(server, "ecr", "sa-east-1").describe_images(repositoryName="nope")
    assert err.value.response["Error"]["Code"] == "RepositoryNotFoundException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    server.layer.clear_failures()
    with pytest.raises(ClientError) as err:  # now moto's own answer
        client(server, "ecr", "sa-east-1").describe_images(repositoryName="nope")
    assert err.value.response["Error"]["Code"] == "RepositoryNotFoundException"
    assert server.layer.calls[("DescribeImages", "sa-east-1")] == 2


@pytest.mark.parametrize("service,call,code,status", [
    ("ecr", lambda c: c.describe_repositories(), "ThrottlingException", 400),
    ("logs", lambda c: c.describe_log_groups(), "ThrottlingException", 400),
    ("lambda", lambda c: c.list_functions(), "TooManyRequestsException", 429),
    ("ec2", lambda c: c.describe_regions(), "RequestLimitExceeded", 503),
])
def test_throttles_have_service_codes(server: LayeredMotoServer, service: str, call: Any,
                                      code: str, status: int) -> None:
    server.layer.throttle_fraction = 1.0
    with pytest.raises(ClientError) as err:
        call(client(server, service, config=NO_RETRY))
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert sum(server.layer.throttled.values()) == 1
    assert sum(server.layer.calls.values()) == 1


@pytest.mark.parametrize("service,call,operation", [
    ("ecr", lambda c: c.describe_repositories(), "DescribeRepositories"),
    ("logs", lambda c: c.describe_log_groups(), "DescribeLogGroups"),
    ("lambda", lambda c: c.list_functions(), "ListFunctions"),
    ("ec2", lambda c: c.describe_regions(), "DescribeRegions"),
])
def test_throttles_are_retried_by_default(service: str, call: Any, operation: str) -> None:
    # own server: random.Random(10) draws ok, throttle, ok -> the 2nd call is retried once
    seeded = LayeredMotoServer(throttle_fraction=0.5, seed=10)
    seeded.start()
    try:
        default_client = client(seeded, service, "eu-central-1")
        call(default_client)
        call(default_client)
        key = (operation, "eu-central-1")
        assert seeded.layer.throttled[key] == 1
        assert seeded.layer.calls[key] == 3 and seeded.layer.arrivals.count(key) == 3
        assert seeded.layer.answered.count(key) == 2  # the refused attempt is not an answer
    finally:
        seeded.stop()


def test_default_retries_retry_a_throttle(server: LayeredMotoServer) -> None:
    server.layer.fail(operation="DescribeLogGroups", code="ThrottlingException", times=1)
    client(server, "logs", "eu-south-1").describe_log_groups()
    assert server.layer.calls[("DescribeLogGroups", "eu-south-1")] == 2


def answer_or_code(call: Any, **kwargs: Any) -> str:
    try:
        call(**kwargs)
        return "answered"
    except ClientError as exc:
        return exc.response["Error"]["Code"]


def test_rate_quotas_throttle_past_a_second_worth_per_region(server: LayeredMotoServer) -> None:
    no_retry = Config(retries={"mode": "standard", "total_max_attempts": 1})
    oregon, ireland = (client(server, "lambda", region, no_retry) for region in ("us-west-2", "eu-west-1"))
    oregon.list_functions(), ireland.list_functions()  # moto builds a region's backend on its first call
    now = [1000.0]
    server.layer.clock = lambda: now[0]
    server.layer.rate_quotas = (RateQuota("lambda", frozenset({"ListFunctions"}), 3),)  # as AWS's 15, smaller
    outcomes = [answer_or_code(oregon.list_functions) for _ in range(5)]
    assert outcomes == ["answered"] * 3 + ["TooManyRequestsException"] * 2  # one second's worth passes
    assert answer_or_code(ireland.list_functions) == "answered"  # another region, another bucket
    now[0] += 0.34  # refills at 3 a second: one more by now
    assert [answer_or_code(oregon.list_functions) for _ in range(2)] == ["answered", "TooManyRequestsException"]


def test_lambdas_control_plane_calls_share_one_quota_as_aws_documents(server: LayeredMotoServer, role_arn: str) -> None:
    lam = client(server, "lambda", "eu-north-1", Config(retries={"mode": "standard", "total_max_attempts": 1}))
    lam.create_function(FunctionName="quota", Role=role_arn, Runtime="python3.12", Handler="index.handler",
                        Code={"ZipFile": zip_bytes()})
    server.layer.clock = lambda: 1000.0
    server.layer.rate_quotas = AWS_RATE_QUOTAS
    listings = [answer_or_code(lam.list_functions) for _ in range(8)]
    listings += [answer_or_code(lam.list_aliases, FunctionName="quota") for _ in range(8)]
    assert listings == ["answered"] * 15 + ["TooManyRequestsException"]  # 15 a second across all its APIs
    gets = [answer_or_code(lam.get_function, FunctionName="quota") for _ in range(101)]
    assert gets == ["answered"] * 100 + ["TooManyRequestsException"]  # GetFunction's 100 are its own


def test_latency_overlaps_between_threads(server: LayeredMotoServer) -> None:
    server.layer.latency = 0.5
    ecr = client(server, "ecr")
    ecr.describe_repositories()  # warm up the client first
    server.layer.reset_counts()
    threads = [threading.Thread(target=ecr.describe_repositories) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert server.layer.peak_in_flight == 5  # each call waits on the server, not in the client


def repository_names(ecr: Any) -> list[str]:
    return sorted(r["repositoryName"] for r in ecr.describe_repositories()["repositories"])


def test_cache_reads_answers_repeated_reads_from_memory_until_a_write(server: LayeredMotoServer) -> None:
    from moto.ecr.models import ecr_backends  # moto's own state, behind the layer's back
    ecr, other_region = client(server, "ecr", "ap-south-1"), client(server, "ecr", "ap-southeast-2")
    ecr.create_repository(repositoryName="cached-a")
    server.layer.cache_reads = True
    assert repository_names(ecr) == ["cached-a"]
    ecr_backends["123456789012"]["ap-south-1"].create_repository("sneaked-in", None, None, None, [], None)
    assert repository_names(ecr) == ["cached-a"]  # answered from memory: moto not asked again
    assert repository_names(other_region) == []  # another region is another answer
    assert server.layer.calls[("DescribeRepositories", "ap-south-1")] == 2  # cached calls still count
    ecr.create_repository(repositoryName="cached-b")  # any write empties the cache
    assert repository_names(ecr) == ["cached-a", "cached-b", "sneaked-in"]


def test_cache_reads_keeps_latency_failures_and_throttles(server: LayeredMotoServer) -> None:
    ecr = client(server, "ecr", "ap-east-1", config=NO_RETRY)
    server.layer.cache_reads = True
    with pytest.raises(ClientError) as err:  # moto's 4xx answer is kept like any other
        ecr.describe_images(repositoryName="missing")
    assert err.value.response["Error"]["Code"] == "RepositoryNotFoundException"
    ecr.describe_repositories()
    server.layer.fail(operation="DescribeRepositories", code="AccessDeniedException", times=1)
    with pytest.raises(ClientError) as err:
        ecr.describe_repositories()
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
    server.layer.throttle_fraction = 1.0
    with pytest.raises(ClientError) as err:
        ecr.describe_repositories()
    assert err.value.response["Error"]["Code"] == "ThrottlingException"
    waits: list[float] = []
    server.layer.throttle_fraction, server.layer.latency, server.layer.sleep = 0.0, 0.2, waits.append
    ecr.describe_repositories()
    assert waits == [0.2]


# ---- Lambda fidelity -------------------------------------------------------------


def test_logging_config_injected(server: LayeredMotoServer, role_arn: str) -> None:
    lam = client(server, "lambda", "eu-west-3")
    code = {"ZipFile": zip_bytes()}
    common = {"Role": role_arn, "Runtime": "python3.12", "Handler": "index.handler", "Code": code}
    custom = {"LogFormat": "JSON", "LogGroup": "/custom/group"}
    lam.create_function(FunctionName="custom-logs", LoggingConfig=custom, **common)
    lam.create_function(FunctionName="default-logs", **common)
    expected = {
        "custom-logs": {**custom, "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"},
        "default-logs": {"LogFormat": "Text", "LogGroup": "/aws/lambda/default-logs"},
    }
    listed = {f["FunctionName"]: f["LoggingConfig"] for f in lam.list_functions()["Functions"]}
    assert listed == expected
    for name, config in expected.items():
        assert lam.get_function(FunctionName=name)["Configuration"]["LoggingConfig"] == config
        assert lam.get_function_configuration(FunctionName=name)["LoggingConfig"] == config
    other = client(server, "lambda", "eu-west-1").list_functions()["Functions"]
    assert all(f["FunctionName"] not in expected for f in other)


def test_resolved_image_uri_is_pinned_at_deploy(server: LayeredMotoServer, role_arn: str) -> None:
    ecr, lam = client(server, "ecr", "us-east-2"), client(server, "lambda", "us-east-2")
    repo_uri = ecr.create_repository(repositoryName="team/app")["repository"]["repositoryUri"]
    old = push(ecr, "team/app", "app-v1", tag="latest")
    push(ecr, "team/app", "app-v1", tag="v1")  # second tag keeps the old image alive
    lam.create_function(FunctionName="by-tag", Role=role_arn, PackageType="Image",
                        Code={"ImageUri": f"{repo_uri}:latest"})
    lam.create_function(FunctionName="by-digest", Role=role_arn, PackageType="Image",
                        Code={"ImageUri": f"{repo_uri}@{old}"})
    new = push(ecr, "team/app", "app-v2", tag="latest")  # tag moves
    assert new != old

    def resolved(name: str) -> str:
        return lam.get_function(FunctionName=name)["Code"]["ResolvedImageUri"]

    assert resolved("by-tag") == f"{repo_uri}@{old}"
    assert resolved("by-digest") == f"{repo_uri}@{old}"
    assert lam.get_function(FunctionName="by-tag")["Code"]["ImageUri"] == f"{repo_uri}:latest"
    lam.update_function_code(FunctionName="by-tag", ImageUri=f"{repo_uri}:latest")
    assert resolved("by-tag") == f"{repo_uri}@{new}"


# ---- overrides ---------------------------------------------------------------------


def test_image_overrides(server: LayeredMotoServer) -> None:
    ecr = client(server, "ecr", "ap-northeast-1")
    ecr.create_repository(repositoryName="over")
    changed, untouched = push(ecr, "over", "o1", tag="a"), push(ecr, "over", "o2", tag="b")
    server.layer.ecr.image_overrides[changed] = {
        "imagePushedAt": 1_600_000_000.0, "imageSizeInBytes": 123,
        "lastRecordedPullTime": 1_600_000_100.5}
    details = {d["imageDigest"]: d for d in ecr.describe_images(repositoryName="over")["imageDetails"]}
    assert details[changed]["imagePushedAt"].timestamp() == 1_600_000_000.0
    assert details[changed]["imageSizeInBytes"] == 123
    assert details[changed]["lastRecordedPullTime"].timestamp() == 1_600_000_100.5
    assert details[untouched]["imagePushedAt"].timestamp() > 1_700_000_000


def test_log_stream_overrides(server: LayeredMotoServer) -> None:
    logs = client(server, "logs", "us-west-1")
    logs.create_log_group(logGroupName="/aws/lambda/old")
    logs.create_log_group(logGroupName="/aws/lambda/empty")
    logs.create_log_stream(logGroupName="/aws/lambda/old", logStreamName="s1")
    now_ms = int(time.time() * 1000)
    logs.put_log_events(logGroupName="/aws/lambda/old", logStreamName="s1",
                        logEvents=[{"timestamp": now_ms, "message": "hi"}])
    old_ms = now_ms - 90 * 86_400_000
    server.layer.logs.log_stream_overrides[("us-west-1", "/aws/lambda/old")] = old_ms
    server.layer.logs.log_stream_overrides[("us-west-1", "/aws/lambda/empty")] = old_ms
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/old", orderBy="LastEventTime",
                                        descending=True, limit=1)["logStreams"]
    assert [s["lastEventTimestamp"] for s in streams] == [old_ms]
    assert logs.describe_log_streams(logGroupName="/aws/lambda/empty")["logStreams"] == []
    other = client(server, "logs", "us-west-2")
    other.create_log_group(logGroupName="/aws/lambda/old")
    other.create_log_stream(logGroupName="/aws/lambda/old", logStreamName="s1")
    other.put_log_events(logGroupName="/aws/lambda/old", logStreamName="s1",
                         logEvents=[{"timestamp": now_ms, "message": "hi"}])
    fresh = other.describe_log_streams(logGroupName="/aws/lambda/old")["logStreams"]
    assert fresh[0]["lastEventTimestamp"] == now_ms


def test_versions_and_aliases_keep_their_image(server: LayeredMotoServer, role_arn: str) -> None:
    ecr, lam = client(server, "ecr", "ca-west-1"), client(server, "lambda", "ca-west-1")
    repo_uri = ecr.create_repository(repositoryName="team/versioned")["repository"]["repositoryUri"]
    v1, v2 = push(ecr, "team/versioned", "ver-1", tag="v1"), push(ecr, "team/versioned", "ver-2", tag="v2")
    lam.create_function(FunctionName="versioned", Role=role_arn, PackageType="Image",
                        Code={"ImageUri": f"{repo_uri}:v1"})
    assert lam.publish_version(FunctionName="versioned")["Version"] == "1"
    lam.create_alias(FunctionName="versioned", Name="prod", FunctionVersion="1")
    lam.update_function_code(FunctionName="versioned", ImageUri=f"{repo_uri}:v2")

    def code(name: str = "versioned", **qualifier: str) -> tuple[str, str]:
        found = lam.get_function(FunctionName=name, **qualifier)["Code"]
        return found["ImageUri"], found["ResolvedImageUri"]

    first, second = (f"{repo_uri}:v1", f"{repo_uri}@{v1}"), (f"{repo_uri}:v2", f"{repo_uri}@{v2}")
    assert code(Qualifier="1") == code(Qualifier="prod") == code("versioned:prod") == first
    assert code() == code(Qualifier="$LATEST") == second
    aliases = lam.list_aliases(FunctionName="versioned")["Aliases"]
    assert [(a["Name"], a["FunctionVersion"]) for a in aliases] == [("prod", "1")]
    assert lam.publish_version(FunctionName="versioned")["Version"] == "2"
    lam.update_alias(FunctionName="versioned", Name="prod", FunctionVersion="2")
    assert code(Qualifier="prod") == code(Qualifier="2") == second
    assert code(Qualifier="1") == first
