"""Calls that AWS caps per region are paced to the quota, so a large region is read whole.

moto keeps no request-rate quotas; the layer keeps AWS's (`AwsLayer.rate_limits`, a token bucket
per operation and region that holds one second's worth), so code that asks faster than a quota
is throttled here as it would be on AWS. Unpaced, the reads below ask at a few hundred calls a
second and are throttled many times; paced, not once.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3

from aws_clients import ClientFactory
from devtools.aws_layer import AWS_RATE_LIMITS
from devtools.simulated_account import FunctionSpec, ImageSpec, RegionSpec
from get_lambda_object import get_region_lambda_object_dic
from log_times import NO_LOG_GROUP, fetch_last_runs, regions_in_turn
from parallel import map_at_most
from rate_quotas import QuotaBucket

SEOUL, OREGON = "ap-northeast-2", "us-west-2"


def test_a_region_of_many_image_functions_is_read_whole_without_a_throttle(aws, seed):
    # Lambda answers 15 ListAliases a second in a region (fixed); 30 released functions (each with
    # a published version, so each needs one) read 6 at a time would ask at about 100 a second.
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 1, 1)]})
    region.functions = [FunctionSpec(f"f{i:02d}", ("app", "v1"), versions=1, aliases=("live",)) for i in range(30)]
    seed([region])
    aws.layer.rate_limits = dict(AWS_RATE_LIMITS)
    errors: list = []
    functions = get_region_lambda_object_dic(boto3.Session(), [SEOUL], errors)[SEOUL]
    assert errors == [] and len(functions) == 30
    assert all(function["ImageUri"] and function["AliasedVersions"][0]["Aliases"] == ["live"] for function in functions)
    assert aws.layer.calls[("ListAliases", SEOUL)] == 30
    assert sum(aws.layer.throttled.values()) == 0


def test_log_lookups_of_many_functions_are_not_throttled(aws, seed):
    # DescribeLogStreams: 25 a second in a region. 40 groups in one region, 24 threads.
    seed([RegionSpec(SEOUL, functions=[FunctionSpec(f"z{i:02d}", None, last_run_days_ago=1) for i in range(40)])])
    aws.layer.rate_limits = dict(AWS_RATE_LIMITS)
    groups = [(SEOUL, f"/aws/lambda/z{i:02d}") for i in range(40)] + [(OREGON, "/aws/lambda/gone")]
    last_runs = fetch_last_runs(ClientFactory(boto3.Session()), groups)
    assert last_runs[(OREGON, "/aws/lambda/gone")].text == NO_LOG_GROUP
    assert all(last_runs[pair].at is not None for pair in groups[:40])  # every time read, none an error
    assert sum(aws.layer.throttled.values()) == 0


def test_one_callers_items_take_at_most_their_share_of_a_shared_pool():
    running, most, lock = [0], [0], threading.Lock()

    def work(item: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.01)
        with lock:
            running[0] -= 1
        return item * 2

    with ThreadPoolExecutor(8) as pool:
        assert map_at_most(work, list(range(20)), pool, 3) == [item * 2 for item in range(20)]
    assert most[0] == 3


def test_regions_take_turns_in_log_lookups():
    pairs = [("b", "/2"), ("a", "/1"), ("a", "/3"), ("a", "/2"), ("b", "/1"), ("a", "/1")]
    assert regions_in_turn(pairs) == [("a", "/1"), ("b", "/1"), ("a", "/2"), ("b", "/2"), ("a", "/3")]


def test_a_quota_bucket_lets_a_seconds_worth_through_then_paces_callers_in_turn():
    now, waits = [100.0], []
    bucket = QuotaBucket(4, clock=lambda: now[0], sleep=waits.append)
    for _ in range(6):
        bucket.take()
    assert waits == [0.25, 0.5]  # 4 at once from a full bucket, then one every quarter second, in turn
    now[0] += 10  # idle time refills it, up to one second's worth
    waits.clear()
    for _ in range(5):
        bucket.take()
    assert waits == [0.25]
