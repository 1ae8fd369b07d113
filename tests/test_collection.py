"""Issue 2: every repository, image and function of every region, nothing dropped silently.

moto answers every listing in one page; our AwsLayer (devtools/aws/) pages like AWS
(ECR: 100 items a page by default, up to 1000 when asked; Lambda: 50 functions), so code that
reads only the first page gets an incomplete answer here, as it would on AWS, and these tests
fail on it. The code asks ECR for 1000 a page; `short_pages` makes the layer answer shorter
pages than asked (which AWS may also do), so a few hundred items are enough to need paging.
"""
from __future__ import annotations

from datetime import datetime

import boto3
import pytest

from devtools.simulated_account import FunctionSpec, ImageSpec, RegionSpec
from ecr_usage_report import config
from ecr_usage_report.aws import clients as aws_clients
from ecr_usage_report.aws.clients import ClientFactory
from get_ecr_object import get_region_ecr_object_dic, get_repository_object
from get_lambda_object import get_region_lambda_object, get_region_lambda_object_dic

SEOUL, VIRGINIA, OREGON = "ap-northeast-2", "us-east-1", "us-west-2"


def calls(layer, operation: str) -> int:
    """How many times an operation reached the server, all regions together."""
    return sum(count for (name, _), count in layer.calls.items() if name == operation)


def session() -> boto3.Session:
    return boto3.Session()


def test_reads_every_page_of_repositories(aws, seed):
    seed([RegionSpec(SEOUL, repositories={f"repo-{i:03}": [] for i in range(105)})])
    aws.layer.short_pages = 100
    ecr_object = get_region_ecr_object_dic(session(), [SEOUL])
    assert len(ecr_object[SEOUL]["repositories"]) == 105  # the first page alone holds 100
    assert calls(aws.layer, "DescribeRepositories") == 2


def test_reads_every_page_of_images(aws, seed):
    images = [ImageSpec([f"v{i}"], 1_000_000 + i, pushed_days_ago=i) for i in range(230)]
    seed([RegionSpec(SEOUL, repositories={"big": images})])
    aws.layer.short_pages = 100
    repository = get_region_ecr_object_dic(session(), [SEOUL])[SEOUL]["repositories"][0]
    assert len(repository["images"]) == 230
    assert repository["totalSizeBytes"] == sum(1_000_000 + i for i in range(230))
    assert calls(aws.layer, "DescribeImages") == 3


def test_asks_ecr_for_its_largest_pages(aws, seed):
    seed([RegionSpec(SEOUL, repositories={f"repo-{i:03}": [ImageSpec([f"v{j}"], 1, 1) for j in range(3)] for i in range(2)}
                     | {f"empty-{i:03}": [] for i in range(150)})])
    ecr_object = get_region_ecr_object_dic(session(), [SEOUL])
    assert len(ecr_object[SEOUL]["repositories"]) == 152
    assert calls(aws.layer, "DescribeRepositories") == 1  # 1000 a page asked; the default of 100 would take 2


def test_reads_every_page_of_functions_and_describes_only_image_functions(aws, seed):
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 10, 1)]})
    region.functions = [FunctionSpec(f"zip-{i:03}") for i in range(60)]
    region.functions += [FunctionSpec(f"img-{i:03}", ("app", "v1")) for i in range(60)]
    seed([region])
    functions = get_region_lambda_object_dic(session(), [SEOUL])[SEOUL]
    assert len(functions) == 120  # a page holds 50
    assert calls(aws.layer, "ListFunctions") == 3
    assert calls(aws.layer, "GetFunction") == 60  # ListFunctions already carries the rest of a Zip function


def test_aliases_are_listed_only_for_image_functions_with_a_published_version(aws, seed):
    # ListAliases shares Lambda's 15-a-second quota with ListFunctions, so it is asked only where an
    # alias can point at a published version. One listing of every version (the layer pages it 50
    # entries at a time, as AWS does; moto would answer in one page) tells which functions have one:
    # here 12 entries come first, so the 10th versioned function's 4 entries straddle pages 1 and 2.
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 10, 1)]})
    region.functions = [FunctionSpec(f"a-zip-{i:02}") for i in range(11)] + [FunctionSpec("a-zip-versioned", versions=2)]
    region.functions += [FunctionSpec(f"b-released-{i:02}", ("app", "v1"), versions=3, aliases=("live",)) for i in range(10)]
    region.functions += [FunctionSpec(f"c-img-{i:02}", ("app", "v1")) for i in range(20)]
    region.functions += [FunctionSpec(f"d-zip-{i:02}") for i in range(48)]
    seed([region])
    aws.layer.reset_counts()
    errors: list = []
    functions = {f["FunctionName"]: f for f in get_region_lambda_object_dic(session(), [SEOUL], errors)[SEOUL]}
    assert errors == [] and len(functions) == 90  # every function once; no version counted as a function
    assert calls(aws.layer, "ListFunctions") == 3  # 90 $LATEST entries and 32 versions, 50 a page
    assert calls(aws.layer, "ListAliases") == 10  # not for the 20 unversioned image functions, nor for Zip
    assert calls(aws.layer, "GetFunction") == 30 + 10  # each image function, and each aliased version
    released = [functions[f"b-released-{i:02}"]["AliasedVersions"] for i in range(10)]
    assert all([(v["Version"], v["Aliases"]) for v in versions] == [("3", ["live"])] for versions in released)
    assert all(versions[0]["ImageUri"].endswith("/app:v1") for versions in released)
    assert all(functions[f"c-img-{i:02}"]["AliasedVersions"] == [] for i in range(20))


def test_image_objects_keep_the_manual_keys_and_every_uri(aws, seed):
    images = [ImageSpec(["latest", "v3"], 412_000_000, 3, pulled_days_ago=1), ImageSpec([], 5, 9)]
    seeder = seed([RegionSpec(SEOUL, repositories={"team/app": images})])
    repository = get_region_ecr_object_dic(session(), [SEOUL])[SEOUL]["repositories"][0]
    uri = repository["repositoryUri"]
    tagged_digest, untagged_digest = seeder.digests[(SEOUL, "team/app")]
    by_digest = {image["imageDigest"]: image for image in repository["images"]}
    tagged, untagged = by_digest[tagged_digest], by_digest[untagged_digest]
    assert sorted(tagged["imageUris"]) == sorted([f"{uri}:latest", f"{uri}:v3", f"{uri}@{tagged_digest}"])
    assert untagged["imageUris"] == [f"{uri}@{untagged_digest}"] and untagged["imageTags"] == []
    assert tagged["imageSizeGB"] == 0.412 and tagged["imageSizeBytes"] == 412_000_000
    assert isinstance(tagged["imagePushedAt"], datetime) and isinstance(tagged["lastRecordedPullTime"], datetime)
    assert untagged["lastRecordedPullTime"] is None
    assert repository["lastPushedDate"] == tagged["imagePushedAt"]  # the newer of the two
    assert repository["totalSizeBytes"] == 412_000_005


def test_empty_repository_has_size_zero_and_no_push_date(aws, seed):
    seed([RegionSpec(SEOUL, repositories={"empty": []})])
    repository = get_region_ecr_object_dic(session(), [SEOUL])[SEOUL]["repositories"][0]
    assert (repository["totalSizeGB"], repository["lastPushedDate"], repository["images"]) == (0, None, [])


def test_lambda_objects_carry_log_group_and_resolved_digest(aws, seed):
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 10, 1)]})
    region.functions = [
        FunctionSpec("by-tag", ("app", "v1"), log_group="/custom/by-tag"),
        FunctionSpec("by-digest", ("app", "@0")),
        FunctionSpec("zipped"),
    ]
    seeder = seed([region])
    functions = {f["FunctionName"]: f for f in get_region_lambda_object_dic(session(), [SEOUL])[SEOUL]}
    digest = seeder.digests[(SEOUL, "app")][0]
    repo_uri = f"123456789012.dkr.ecr.{SEOUL}.amazonaws.com/app"
    assert functions["by-tag"]["LogGroupName"] == "/custom/by-tag"
    assert functions["by-tag"]["ImageUri"] == f"{repo_uri}:v1"
    assert functions["by-tag"]["ResolvedImageUri"] == f"{repo_uri}@{digest}"
    assert functions["by-digest"]["ResolvedImageUri"] == f"{repo_uri}@{digest}"
    assert functions["by-digest"]["LogGroupName"] == "/aws/lambda/by-digest"
    assert functions["zipped"]["PackageType"] == "Zip" and functions["zipped"]["ImageUri"] is None
    assert set(functions["zipped"]) == {"FunctionName", "MemorySize", "LastModified", "PackageType",
                                       "ImageUri", "Description", "LogGroupName", "ResolvedImageUri", "AliasedVersions"}


def test_default_regions_are_the_accounts_enabled_regions(aws, seed):
    seed([RegionSpec(OREGON, repositories={"only": []})], every_region=True)
    errors: list = []
    ecr_object = get_region_ecr_object_dic(session(), errors=errors)
    assert calls(aws.layer, "DescribeRegions") == 1
    assert {SEOUL, VIRGINIA, OREGON} <= set(ecr_object) and errors == []
    assert [r["repositoryName"] for r in ecr_object[OREGON]["repositories"]] == ["only"]


def test_a_failing_region_is_reported_and_the_others_are_still_read(aws, seed):
    seed([RegionSpec(r, repositories={f"repo-{r}": []}) for r in (SEOUL, VIRGINIA, OREGON)])
    aws.layer.fail(region=VIRGINIA, operation="DescribeRepositories", message="not authorized here")
    aws.layer.fail(region=OREGON, operation="ListFunctions", code="UnrecognizedClientException",
                   message="The security token included in the request is invalid.")
    ecr_errors: list = []
    lambda_errors: list = []
    ecr_object = get_region_ecr_object_dic(session(), [SEOUL, VIRGINIA, OREGON], ecr_errors)
    lambda_object = get_region_lambda_object_dic(session(), [SEOUL, VIRGINIA, OREGON], lambda_errors)
    assert sorted(ecr_object) == [SEOUL, OREGON]
    assert ecr_errors == [(VIRGINIA, "AccessDeniedException: not authorized here")]
    assert sorted(lambda_object) == [SEOUL, VIRGINIA]
    assert lambda_errors == [(OREGON, "UnrecognizedClientException: The security token included in the request is invalid.")]


def test_a_failing_repository_is_reported_with_its_region(aws, seed):
    seed([RegionSpec(SEOUL, repositories={"aa": [ImageSpec(["1"], 1, 1)], "bb": [ImageSpec(["1"], 1, 1)]})])
    aws.layer.fail(region=SEOUL, operation="DescribeImages", times=1)
    errors: list = []
    region = get_region_ecr_object_dic(session(), [SEOUL], errors)[SEOUL]
    assert len(region["repositories"]) == 1
    assert len(errors) == 1 and errors[0][0] in (f"{SEOUL}/aa", f"{SEOUL}/bb")
    assert errors[0][1].startswith("AccessDeniedException")
    assert region["errors"] == [(errors[0][0].split("/", 1)[1], errors[0][1])]


def test_manual_error_contract_of_the_per_region_functions(aws, seed):
    seed([RegionSpec(SEOUL, repositories={"aa": []})])
    aws.layer.fail(region=SEOUL)
    clients = ClientFactory(boto3.Session())
    assert get_repository_object(clients.get("ecr", SEOUL), "aa", "uri") == ("aa", "AccessDeniedException: User is not authorized")
    errors: list = []
    assert get_region_lambda_object(clients.get("lambda", SEOUL), SEOUL, errors=errors) is None
    assert errors == [(SEOUL, "AccessDeniedException: User is not authorized")]


def test_a_function_whose_get_function_fails_is_kept_and_the_error_named(aws, seed):
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 1, 1)]})
    region.functions = [FunctionSpec("img", ("app", "v1"))]
    seed([region])
    aws.layer.fail(region=SEOUL, operation="GetFunction")
    errors: list = []
    functions = get_region_lambda_object_dic(session(), [SEOUL], errors)[SEOUL]
    assert [f["FunctionName"] for f in functions] == ["img"]
    assert errors == [(f"{SEOUL}/img", "AccessDeniedException: User is not authorized")]


@pytest.mark.slow
def test_throttled_calls_are_retried_until_complete(aws, seed):
    region = RegionSpec(SEOUL, repositories={f"r{i}": [ImageSpec([f"t{j}"], 1, 1) for j in range(3)] for i in range(12)})
    region.functions = [FunctionSpec(f"f{i}", (f"r{i}", "t0")) for i in range(12)]
    seed([region])
    aws.layer.throttle_fraction = 0.3
    errors: list = []
    ecr_object = get_region_ecr_object_dic(session(), [SEOUL], errors)
    lambda_object = get_region_lambda_object_dic(session(), [SEOUL], errors)
    assert errors == []
    assert sum(len(r["images"]) for r in ecr_object[SEOUL]["repositories"]) == 36
    assert len(lambda_object[SEOUL]) == 12
    assert sum(aws.layer.throttled.values()) > 0  # the retries really happened


@pytest.mark.slow
def test_throttled_past_every_retry_is_an_error_not_a_gap(aws, seed, monkeypatch):
    monkeypatch.setattr(aws_clients, "MAX_ATTEMPTS", 2)
    seed([RegionSpec(SEOUL, repositories={"aa": []}), RegionSpec(OREGON, repositories={"bb": []})])
    aws.layer.fail(region=OREGON, operation="DescribeRepositories", code="ThrottlingException", message="Rate exceeded")
    errors: list = []
    ecr_object = get_region_ecr_object_dic(session(), [SEOUL, OREGON], errors)
    assert list(ecr_object) == [SEOUL]
    assert errors == [(OREGON, "ThrottlingException: Rate exceeded")]


@pytest.mark.parametrize("value", ["0", "-3", "many", "65"])
def test_bad_max_workers_is_a_clear_error(value):
    with pytest.raises(config.ConfigError, match="MAX_WORKERS must be a whole number from 1 to 64"):
        config.max_workers({"MAX_WORKERS": value})


def test_sequential_mode_reads_the_same_inventory(aws, seed, monkeypatch):
    region = RegionSpec(SEOUL, repositories={f"r{i}": [ImageSpec(["t"], i, 1)] for i in range(5)})
    region.functions = [FunctionSpec(f"f{i}", (f"r{i}", "t")) for i in range(5)]
    seed([region])
    shipped = get_region_ecr_object_dic(session(), [SEOUL])
    monkeypatch.setenv("MAX_WORKERS", "1")
    assert get_region_ecr_object_dic(session(), [SEOUL]) == shipped
