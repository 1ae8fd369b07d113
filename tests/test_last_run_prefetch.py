"""Log times are read while the inventory still is: DescribeLogStreams has a quota of its own, so
its paced calls run beside Lambda's paced ListAliases instead of after them. The same calls as
before: one per distinct log group of a function that runs an image of the region's repositories.

Orders and counts are read from the calls AWS answered. On a busy machine a paced call can now and
then be held up and reach the simulated quota bunched with later ones; it is refused and retried,
which is not a second lookup. Pacing itself is tested in test_rate_quotas.
"""
from __future__ import annotations

import boto3

import lambda_function
from aws_clients import ClientFactory
from devtools.aws_layer import AWS_RATE_LIMITS
from devtools.simulated_account import FunctionSpec, ImageSpec, RegionSpec
from last_run_prefetch import LastRunPrefetch
from log_times import NO_LOG_GROUP

SEOUL, OREGON = "ap-northeast-2", "us-west-2"
ACCOUNT_REGISTRY = f"123456789012.dkr.ecr.{SEOUL}.amazonaws.com"


def image_function(name: str, repository: str, group: str | None = None, registry: str = ACCOUNT_REGISTRY) -> dict:
    return {"FunctionName": name, "LogGroupName": group or f"/aws/lambda/{name}",
            "ImageUri": f"{registry}/{repository}:v1", "ResolvedImageUri": None, "AliasedVersions": []}


def test_a_joined_functions_log_group_is_looked_up_once_both_reads_are_in(aws, seed, monkeypatch):
    monkeypatch.setenv("MAX_WORKERS", "4")
    seed([RegionSpec(SEOUL, functions=[FunctionSpec("a", None, last_run_days_ago=1)])])
    repositories = [{"repositoryName": "app", "repositoryUri": f"{ACCOUNT_REGISTRY}/app"}]
    with LastRunPrefetch(ClientFactory(boto3.Session())) as prefetch:
        prefetch.function_read(SEOUL, image_function("a", "app"))
        prefetch.function_read(SEOUL, image_function("a-twin", "app", group="/aws/lambda/a"))  # the same group
        prefetch.function_read(SEOUL, image_function("other", "elsewhere"))  # runs no repository of the region
        assert aws.layer.calls[("DescribeLogStreams", SEOUL)] == 0  # the repositories are not listed yet
        prefetch.repositories_listed(SEOUL, repositories)
    assert aws.layer.calls[("DescribeLogStreams", SEOUL)] == 1  # leaving waited for the lookups begun: /a, once
    last_runs = prefetch.last_runs([(SEOUL, "/aws/lambda/a"), (SEOUL, "/aws/lambda/gone")])
    assert last_runs[(SEOUL, "/aws/lambda/a")].at is not None
    assert last_runs[(SEOUL, "/aws/lambda/gone")].text == NO_LOG_GROUP  # not prefetched: looked up at the end
    assert aws.layer.calls[("DescribeLogStreams", SEOUL)] == 2  # /a once, /gone once, nothing for "other"


def test_a_region_with_many_lookups_does_not_hold_back_another_regions(aws, seed):
    # Lookups wait for their region's DescribeLogStreams tokens (20 a second here). Seoul's 60,
    # handed over first, would otherwise take all 24 threads, each asleep until its token is due,
    # and Oregon's 5 would wait about 2 s for Seoul's to drain; a region gets at most a few threads.
    seed([RegionSpec(SEOUL, functions=[FunctionSpec(f"s{i:02d}", None, last_run_days_ago=1) for i in range(60)]),
          RegionSpec(OREGON, functions=[FunctionSpec(f"o{i}", None, last_run_days_ago=1) for i in range(5)])])
    aws.layer.rate_limits = dict(AWS_RATE_LIMITS)
    with LastRunPrefetch(ClientFactory(boto3.Session())) as prefetch:
        for region, names in ((SEOUL, [f"s{i:02d}" for i in range(60)]), (OREGON, [f"o{i}" for i in range(5)])):
            registry = f"123456789012.dkr.ecr.{region}.amazonaws.com"
            prefetch.repositories_listed(region, [{"repositoryName": "app", "repositoryUri": f"{registry}/app"}])
            for name in names:
                prefetch.function_read(region, image_function(name, "app", registry=registry))
    # In the order AWS answered them: a refused attempt that was retried is not a second lookup.
    lookups = [region for operation, region in aws.layer.answered if operation == "DescribeLogStreams"]
    assert (lookups.count(SEOUL), lookups.count(OREGON)) == (60, 5), dict(aws.layer.throttled)
    assert max(at for at, region in enumerate(lookups) if region == OREGON) < 30  # not behind Seoul's


def test_log_times_are_read_while_lambdas_paced_listing_goes_on(aws, seed, slack):
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 1, 1)]})
    region.functions = [FunctionSpec(f"f{i:02d}", ("app", "v1"), last_run_days_ago=1, versions=1, aliases=("live",))
                        for i in range(30)]  # released: each needs a ListAliases
    seed([region])
    aws.layer.rate_limits = dict(AWS_RATE_LIMITS)
    result = lambda_function.run({"dry_run": True, "regions": [SEOUL]})
    assert result.inventory.errors == [] and len(result.findings.last_runs) == 30
    order = aws.layer.answered
    first_log_lookup = order.index(("DescribeLogStreams", SEOUL))
    last_alias_listing = len(order) - 1 - order[::-1].index(("ListAliases", SEOUL))
    assert first_log_lookup < last_alias_listing  # 30 ListAliases at 12 a second take 1.5 s; logs did not wait
    assert order.count(("DescribeLogStreams", SEOUL)) == 30, dict(aws.layer.throttled)


def test_a_log_lookup_waits_for_the_regions_repository_list_not_for_its_images(aws, seed, slack, monkeypatch):
    # The join needs the repositories' URIs only; 40 repositories' images take a while to read.
    monkeypatch.setenv("MAX_WORKERS", "4")
    region = RegionSpec(SEOUL, repositories={f"r{i:02d}": [ImageSpec(["v1"], 1, 1)] for i in range(40)})
    region.functions = [FunctionSpec("f", ("r00", "v1"), last_run_days_ago=1)]
    seed([region])
    aws.layer.latency = 0.02
    result = lambda_function.run({"dry_run": True, "regions": [SEOUL]})
    assert result.inventory.errors == [] and len(result.findings.last_runs) == 1
    order = aws.layer.arrivals
    last_image_read = len(order) - 1 - order[::-1].index(("DescribeImages", SEOUL))
    assert order.index(("DescribeLogStreams", SEOUL)) < last_image_read


def test_the_sequential_run_reads_log_times_only_at_the_end(aws, seed, slack, monkeypatch):
    monkeypatch.setenv("MAX_WORKERS", "1")
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 1, 1)]})
    region.functions = [FunctionSpec(f"f{i}", ("app", "v1"), last_run_days_ago=1) for i in range(3)]
    seed([region])
    lambda_function.run({"dry_run": True, "regions": [SEOUL]})
    order = [operation for operation, _ in aws.layer.arrivals]
    assert order[-3:] == ["DescribeLogStreams"] * 3 and order.count("DescribeLogStreams") == 3
