"""Log times are looked up during the inventory: a joined function's group once the function is read
and its region's repositories are listed, one lookup per group, in the logs lane of its region."""
from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Callable

import boto3

from devtools.simulated_account import FunctionSpec, ImageSpec, RegionSpec
from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.inventory.logs import NO_LOG_GROUP, LastRunLookups
from ecr_usage_report.inventory.model import Function, LastRun
from ecr_usage_report.run import run

SEOUL, OREGON = "ap-northeast-2", "us-west-2"
ACCOUNT_REGISTRY = f"123456789012.dkr.ecr.{SEOUL}.amazonaws.com"


class RecordingScheduler:
    """Records what is submitted; runs it when asked, or at once once `run_at_once` is set."""

    def __init__(self) -> None:
        self.submitted: list[tuple[str, str, Callable[[], Any], Future]] = []
        self.run_at_once = False

    def submit(self, service: str, region: str, fn: Callable[..., Any], *args: Any) -> Future:
        future: Future = Future()
        self.submitted.append((service, region, lambda: fn(*args), future))
        if self.run_at_once:
            self.run_all()
        return future

    def lanes(self) -> list[tuple[str, str]]:
        return [(service, region) for service, region, _, _ in self.submitted]

    def run_all(self) -> None:
        for _, _, call, future in self.submitted:
            if not future.done():
                future.set_result(call())


def image_function(name: str, repository: str, group: str | None = None) -> Function:
    return Function(name=name, memory_size=128, last_modified=None, package_type="Image",
                    image_uri=f"{ACCOUNT_REGISTRY}/{repository}:v1", description="",
                    log_group=group or f"/aws/lambda/{name}", resolved_image_uri=None, aliased_versions=())


LISTED = [{"repositoryName": "app", "repositoryUri": f"{ACCOUNT_REGISTRY}/app"}]


def test_a_joined_functions_group_is_looked_up_once_both_reads_are_in_and_only_once():
    scheduler = RecordingScheduler()
    lookups = LastRunLookups(ClientFactory(boto3.Session(region_name=SEOUL)), scheduler)
    lookups.function_read(SEOUL, image_function("a", "app"))
    lookups.function_read(SEOUL, image_function("a-twin", "app", group="/aws/lambda/a"))  # the same group
    lookups.function_read(SEOUL, image_function("other", "elsewhere"))  # runs no repository of the region
    assert scheduler.submitted == []  # the region's repositories are not listed yet
    lookups.repositories_listed(SEOUL, LISTED)
    assert scheduler.lanes() == [("logs", SEOUL)]  # /aws/lambda/a, once
    lookups.function_read(SEOUL, image_function("late", "app"))  # read after the listing: looked up at once
    assert scheduler.lanes() == [("logs", SEOUL)] * 2


def test_results_wait_for_the_lookups_begun_and_start_the_ones_left(aws, seed):
    seed([RegionSpec(SEOUL, functions=[FunctionSpec("a", None, last_run_days_ago=1)])])
    scheduler = RecordingScheduler()
    lookups = LastRunLookups(ClientFactory(boto3.Session()), scheduler)
    lookups.repositories_listed(SEOUL, LISTED)
    lookups.function_read(SEOUL, image_function("a", "app"))
    scheduler.run_all()
    scheduler.run_at_once = True
    found = lookups.results([(SEOUL, "/aws/lambda/a"), (OREGON, "/aws/lambda/gone")])
    assert found[(SEOUL, "/aws/lambda/a")].at is not None
    assert found[(OREGON, "/aws/lambda/gone")] == LastRun(None, NO_LOG_GROUP)
    assert scheduler.lanes() == [("logs", SEOUL), ("logs", OREGON)]  # Seoul's was not looked up twice
    assert aws.layer.calls[("DescribeLogStreams", SEOUL)] == 1


def test_a_run_looks_up_each_group_in_use_once(aws, seed, monkeypatch):
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 1, 1)], "idle": [ImageSpec(["v1"], 1, 1)]})
    region.functions = [FunctionSpec(f"f{i}", ("app", "v1"), last_run_days_ago=1) for i in range(3)]
    region.functions += [FunctionSpec("shared", ("app", "v1"), log_group="/aws/lambda/f0"),
                         FunctionSpec("zip", None, last_run_days_ago=1)]  # runs no image: not looked up
    seed([region])
    result = run({"dry_run": True, "regions": [SEOUL]})
    assert result.inventory.errors == ()
    assert sorted(result.inventory.last_runs) == [(SEOUL, f"/aws/lambda/f{i}") for i in range(3)]
    assert aws.layer.answered.count(("DescribeLogStreams", SEOUL)) == 3


def test_a_log_lookup_waits_for_the_regions_repository_list_not_for_its_images(aws, seed, monkeypatch):
    # The join needs the repositories' URIs only; 40 repositories' images take a while to read.
    monkeypatch.setenv("MAX_WORKERS", "4")
    region = RegionSpec(SEOUL, repositories={f"r{i:02d}": [ImageSpec(["v1"], 1, 1)] for i in range(40)})
    region.functions = [FunctionSpec("f", ("r00", "v1"), last_run_days_ago=1)]
    seed([region])
    aws.layer.latency = 0.02
    result = run({"dry_run": True, "regions": [SEOUL]})
    assert result.inventory.errors == () and len(result.inventory.last_runs) == 1
    order = aws.layer.arrivals
    last_image_read = len(order) - 1 - order[::-1].index(("DescribeImages", SEOUL))
    assert order.index(("DescribeLogStreams", SEOUL)) < last_image_read
