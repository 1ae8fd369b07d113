"""Calls that AWS caps per region are paced under the quota, so a large region is read whole.

The pacing itself is tested with an injected clock; the simulated AWS keeps AWS's quotas as AWS
documents them (devtools.aws.quotas.AWS_RATE_QUOTAS), independently of the report's own table.
"""
from __future__ import annotations

import boto3

from devtools.aws.quotas import AWS_RATE_QUOTAS
from devtools.simulated_account import FunctionSpec, ImageSpec, RegionSpec, demo_account
from ecr_usage_report.aws.quotas import QUOTA_BURSTS, QUOTA_SHARE, REQUEST_RATE_QUOTAS, QuotaBucket, pace_to_quotas
from ecr_usage_report.run import run
from get_lambda_object import get_region_lambda_object_dic

SEOUL = "ap-northeast-2"


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


def test_lambdas_listings_share_one_paced_quota_and_get_function_has_its_own(aws, seed):
    seed([RegionSpec(SEOUL, functions=[FunctionSpec("f", ("app", "v1"))],
                     repositories={"app": [ImageSpec(["v1"], 1, 1)]})])
    waits: list[float] = []
    client = boto3.client("lambda", region_name=SEOUL)
    pace_to_quotas(client, clock=lambda: 0.0, sleep=waits.append)  # time stands still: no token comes back
    for _ in range(6):
        client.list_functions()
        client.list_aliases(FunctionName="f")
    assert len(waits) == 0  # 12 calls: one second's worth at 4/5 of the shared 15 a second
    client.list_aliases(FunctionName="f")
    client.list_functions()
    assert waits == [1 / 12, 2 / 12]  # the 13th and 14th wait their turn, whichever operation they are
    for _ in range(80):
        client.get_function(FunctionName="f")
    assert len(waits) == 2  # GetFunction's own quota: 80 of its 100 a second at once
    client.get_function(FunctionName="f")
    assert waits[2:] == [1 / 80]


def test_the_reports_pacing_stays_inside_every_aws_quota_it_calls_under(aws, seed):
    seed(demo_account())
    run({"dry_run": True, "regions": [SEOUL, "eu-west-1"]})  # Ireland: the demo's ECS, schedules, Batch and EKS
    called = aws.layer.operations
    assert {("ecs", "DescribeTasks"), ("events", "ListTargetsByRule"), ("scheduler", "GetSchedule")} <= called
    for quota in AWS_RATE_QUOTAS:
        covered = {operation for service, operation in called if quota.covers(service, operation)}
        paced = [(set(operations), rate * QUOTA_SHARE) for service, operations, rate in REQUEST_RATE_QUOTAS
                 if service == quota.service and covered & set(operations)]
        assert covered <= set().union(*(operations for operations, _ in paced)), f"unpaced: {covered}"
        assert sum(rate for _, rate in paced) <= quota.per_second, (quota, paced)


def test_a_region_of_many_released_functions_is_read_whole_under_aws_quotas(aws, seed):
    # 30 released functions: each needs a ListAliases, and all share Lambda's 15 a second with
    # the listing itself; read 6 at a time unpaced, they would ask several times faster.
    region = RegionSpec(SEOUL, repositories={"app": [ImageSpec(["v1"], 1, 1)]})
    region.functions = [FunctionSpec(f"f{i:02d}", ("app", "v1"), versions=1, aliases=("live",)) for i in range(30)]
    seed([region])
    aws.layer.rate_quotas = AWS_RATE_QUOTAS
    errors: list = []
    functions = get_region_lambda_object_dic(boto3.Session(), [SEOUL], errors)[SEOUL]
    assert errors == [] and len(functions) == 30
    assert all(function["ImageUri"] and function["AliasedVersions"][0]["Aliases"] == ["live"] for function in functions)
    assert aws.layer.answered.count(("ListAliases", SEOUL)) == 30


def test_a_quota_whose_bucket_aws_states_lets_a_burst_through_and_no_more_than_aws_holds(aws):
    waits: list[float] = []
    ecs = boto3.client("ecs", region_name=SEOUL)
    pace_to_quotas(ecs, clock=lambda: 0.0, sleep=waits.append)
    for _ in range(40):  # 4/5 of ECS's task definition read bucket of 50, at once
        ecs.list_task_definitions()
    assert waits == []
    ecs.list_task_definitions()
    assert waits == [1 / 16]  # then 4/5 of its 20 a second
    for (service, operation), burst in QUOTA_BURSTS.items():
        [quota] = [q for q in AWS_RATE_QUOTAS if q.covers(service, operation)]
        assert burst * QUOTA_SHARE <= (quota.burst or quota.per_second), (service, operation)
