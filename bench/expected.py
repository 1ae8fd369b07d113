"""What a run of the benchmark's account must cost: the API calls an efficient run makes, the inventory
it reports, and the floor AWS's request-rate quotas put under its wall time.
"""
from __future__ import annotations

import math
from collections import Counter

import boto3

from devtools.simulated_account import RegionSpec
from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.quotas import QUOTA_SHARE, REQUEST_RATE_QUOTAS
from ecr_usage_report.inventory.kinds import DEFAULT_ECS_ROLLBACK_REVISIONS

SLACK_SECONDS_A_MESSAGE = 1.0  # Slack's rate limit for posting to one channel
PAGE = {"DescribeRepositories": 1000, "DescribeImages": 1000, "ListFunctions": 50,  # the largest pages AWS gives
        "ListServices": 100, "DescribeServices": 10, "ListTasks": 100, "DescribeTasks": 100,
        "DescribeJobDefinitions": 100}
CHECKED_OPERATIONS = ("DescribeRegions", "DescribeRepositories", "DescribeImages", "GetLifecyclePolicy",
                      "GetRepositoryPolicy",
                      "ListFunctions", "GetFunction", "ListAliases", "DescribeLogStreams",
                      "ListClusters", "ListServices", "DescribeServices", "ListTasks", "DescribeTasks",
                      "ListTaskDefinitions", "DescribeTaskDefinition", "ListEventBuses", "ListRules",
                      "ListTargetsByRule", "ListSchedules", "GetSchedule", "DescribeJobDefinitions",
                      "DescribeService", "DescribeCluster")


def pages(items: int, per_page: int) -> int:
    """Calls to list `items` a page at a time (an empty listing still takes one call)."""
    return max(1, math.ceil(items / per_page))


def expected_calls(specs: list[RegionSpec], regions: list[str]) -> dict[str, int]:
    """The API calls an efficient run makes on this account."""
    by_name = {spec.name: spec for spec in specs}
    filled = [by_name.get(region, RegionSpec(region)) for region in regions]
    image_functions = [(spec.name, f) for spec in filled for f in spec.functions if f.image]
    released = [f for _, f in image_functions if f.versions]  # a published version: aliases are listed
    return {
        "DescribeRegions": 1,
        "DescribeRepositories": sum(pages(len(s.repositories), PAGE["DescribeRepositories"]) for s in filled),
        "DescribeImages": sum(pages(len(images), PAGE["DescribeImages"])
                              for s in filled for images in s.repositories.values()),
        "ListFunctions": sum(pages(sum(1 + f.versions for f in s.functions), PAGE["ListFunctions"]) for s in filled),
        "GetLifecyclePolicy": sum(len(s.repositories) for s in filled),
        "GetRepositoryPolicy": sum(len(s.repositories) for s in filled),
        "GetFunction": len(image_functions) + sum(1 for f in released if f.aliases),  # + each aliased version
        "ListAliases": len(released),
        "DescribeLogStreams": len({(region, f.log_group or f"/aws/lambda/{f.name}") for region, f in image_functions}),
        **consumer_calls(filled, regions),
    }


def consumer_calls(filled: list[RegionSpec], regions: list[str]) -> dict[str, int]:
    """The calls an efficient run makes to read every consumer kind (App Runner has none here)."""
    offering = ClientFactory(boto3.Session(region_name="us-east-1"))

    def offered(service: str) -> list[RegionSpec]:
        return [spec for spec in filled if spec.name in offering.regions_offering(service)]

    clusters = [cluster for spec in offered("ecs") for cluster in spec.ecs_clusters]
    services = [service for cluster in clusters for service in cluster.services]
    scheduled = [task for spec in offered("ecs") for task in spec.scheduled_tasks]
    families = {(spec.name, task.task_definition.split(":")[0]) for spec in offered("ecs")
                for task in spec.scheduled_tasks}
    revisions = {(spec.name, task.task_definition.split(":")[0], 1) for spec in offered("ecs")
                 for task in spec.scheduled_tasks}  # their families have one revision
    for spec in offered("ecs"):
        for cluster in spec.ecs_clusters:
            for service in cluster.services:
                family, revision = service.task_definition.split(":")
                families.add((spec.name, family))  # described: the one used and the newest ACTIVE ones
                revisions |= {(spec.name, family, number)
                              for number in range(max(1, int(revision) - DEFAULT_ECS_ROLLBACK_REVISIONS + 1),
                                                  int(revision) + 1)}
    return {
        "ListClusters": len(offered("ecs")) + len(offered("eks")),
        "ListServices": len(clusters) + len(offered("apprunner")),  # ECS's, and App Runner's of the same name
        "DescribeServices": sum(math.ceil(len(c.services) / PAGE["DescribeServices"]) for c in clusters),
        "ListTasks": sum(pages(len(c.tasks), PAGE["ListTasks"]) for c in clusters),
        "DescribeTasks": sum(math.ceil(len(c.tasks) / PAGE["DescribeTasks"]) for c in clusters),
        "ListTaskDefinitions": len(families) if services or scheduled else 0,
        "DescribeTaskDefinition": len(revisions),
        "ListEventBuses": len(offered("events")),
        "ListRules": len(offered("events")),  # the default bus only
        "ListTargetsByRule": sum(1 for task in scheduled if not task.scheduler),
        "ListSchedules": len(offered("scheduler")),
        "GetSchedule": sum(1 for task in scheduled if task.scheduler),
        "DescribeJobDefinitions": sum(pages(sum(j.revisions for j in s.batch_jobs), PAGE["DescribeJobDefinitions"])
                                      for s in offered("batch")),
        "DescribeService": sum(len(s.app_runner) for s in offered("apprunner")),
        "DescribeCluster": sum(len(s.eks_clusters) for s in offered("eks")),
    }


def inventory(specs: list[RegionSpec], regions: list[str]) -> dict[str, int]:
    """The summary counts a complete run reports."""
    return {
        "regions": len(regions),
        "repositories": sum(len(spec.repositories) for spec in specs),
        "images": sum(len(images) for spec in specs for images in spec.repositories.values()),
        "functions": sum(len(spec.functions) for spec in specs),
    }


def floor_s(calls: dict[tuple[str, str], int], messages: int = 0) -> float:
    """The least wall time AWS's request-rate quotas leave a run making these calls, plus Slack's pacing.

    The report paces each quota of each region at its share (QUOTA_SHARE of REQUEST_RATE_QUOTAS), so a
    region's n calls under a quota take at least n / (rate × share) seconds; the run takes at least its
    slowest such chain (DescribeLogStreams for the joined functions, at this benchmark's sizes), and
    then a second for each Slack message after the first (one a second to a channel). Each pacer's
    bucket starts full, which could save room / (rate × share) of a chain: left out, as AWS's callers
    share it. Calls are keyed (operation, region); an operation name two services share counts for both.
    """
    chains = [0.0]
    for _, operations, rate in REQUEST_RATE_QUOTAS:
        by_region: Counter[str] = Counter()
        for (operation, region), count in calls.items():
            if operation in operations:
                by_region[region] += count
        chains += [count / (rate * QUOTA_SHARE) for count in by_region.values()]
    return round(max(chains) + max(0, messages - 1) * SLACK_SECONDS_A_MESSAGE, 2)
