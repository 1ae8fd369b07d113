"""The benchmark's simulated account: its size, what it holds, and seeding it into moto.

bench/run.py and bench/compare.py seed it; bench/expected.py says what reading it must cost.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402

from devtools.aws.server import LayeredMotoServer  # noqa: E402
from devtools.fake_kubernetes import FakeKubernetes  # noqa: E402
from devtools.simulated_account import (MB, BatchJobSpec, EcsClusterSpec, EcsServiceSpec, EksClusterSpec,  # noqa: E402
                                        FunctionSpec, ImageSpec, RegionSpec, ScheduledTaskSpec, Seeder, WorkloadSpec)

DATA_REGIONS = ("us-east-1", "ap-northeast-2", "eu-west-1", "us-west-2", "eu-central-1",
                "ap-southeast-1", "ap-northeast-1", "sa-east-1")
ECS_CLUSTERS_PER_REGION = 2
SEED_WORKERS = 8


@dataclass(frozen=True)
class Size:
    """What the simulated account holds and how the API answers."""

    regions_with_data: int
    repositories: int
    images: int
    functions: int
    latency_ms: float
    throttle: float
    cache_reads: bool = True
    aws_quotas: bool = True
    versions: int = 0  # published versions of every function; an image function's alias `live` is on the newest
    ecs_services: int = 0  # each on revision 2 of its own family (revision 1 runs an older image); every 4th runs a task
    batch_jobs: int = 0  # ACTIVE job definitions
    eks_workloads: int = 0  # one cluster per data region: Deployments of 2 pods, every 4th a CronJob



def image_counts(total: int, repositories: int) -> list[int]:
    """Uneven images per repository, summing to `total`.

    Every 25th repository is big (101, 151, 201 or 251 images, so DescribeImages pages), every
    50th is empty, the others share what is left.
    """
    counts = [0] * repositories
    left = total
    for rank, index in enumerate(range(0, repositories, 25)):
        counts[index] = min(101 + 50 * (rank % 4), left)
        left -= counts[index]
    small = [i for i in range(repositories) if i % 25 and i % 50 != 49]
    if not small:
        counts[0] += left
        return counts
    base, extra = divmod(left, len(small))
    for rank, index in enumerate(small):
        counts[index] = base + (rank < extra)
    return counts


def image_spec(index: int) -> ImageSpec:
    """The index-th image of a repository, tagged v<index>."""
    pulled = None if index % 3 == 0 else float(index % 60)
    return ImageSpec([f"v{index}"], (50 + index * 37 % 450) * MB, 1 + index % 300, pulled)


def synthetic_account(size: Size, regions: list[str]) -> list[RegionSpec]:
    """Repositories and functions spread round-robin over the data regions.

    Every other function is image-based (with a log group; a quarter of them pinned by digest),
    pointing at an image of a non-empty repository of its region; the rest are Zip. Every
    function has `size.versions` published versions, and an image function's alias is on the newest.
    """
    specs = [RegionSpec(name) for name in regions]
    for index, count in enumerate(image_counts(size.images, size.repositories)):
        name = f"team-{index % 8}/service-{index:04d}"
        specs[index % len(specs)].repositories[name] = [image_spec(i) for i in range(count)]
    for index in range(size.functions):
        spec = specs[index % len(specs)]
        name = f"fn-{index:04d}"
        if index // len(specs) % 2:
            spec.functions.append(FunctionSpec(name, versions=size.versions))
            continue
        filled = [repo for repo, images in spec.repositories.items() if images]
        made = sum(1 for function in spec.functions if function.image)  # image functions so far
        repository = filled[made % len(filled)]
        image = index % len(spec.repositories[repository])
        reference = f"@{image}" if made % 4 == 3 else f"v{image}"
        spec.functions.append(FunctionSpec(name, (repository, reference), last_run_days_ago=0.25 + index % 45,
                                           versions=size.versions, aliases=("live",) if size.versions else ()))
    add_consumers(size, specs)
    return specs


def add_consumers(size: Size, specs: list[RegionSpec]) -> None:
    """ECS services (with one EventBridge rule and one Scheduler schedule a region), Batch job
    definitions and EKS workloads, round-robin over the data regions, each on an image of its region."""
    def image(spec: RegionSpec, rank: int, older: int = 0) -> tuple[str, str]:
        filled = [repo for repo, images in spec.repositories.items() if images]
        repository = filled[rank % len(filled)]
        return repository, f"v{max(len(spec.repositories[repository]) - 1 - older, 0)}"

    for index in range(size.ecs_services):
        spec, rank = specs[index % len(specs)], index // len(specs)
        family = f"svc-{index:04d}"
        spec.task_definitions[family] = [[image(spec, rank, older=1)], [image(spec, rank)]]
        if not spec.ecs_clusters:
            spec.ecs_clusters = [EcsClusterSpec(f"cluster-{n}") for n in range(ECS_CLUSTERS_PER_REGION)]
            spec.task_definitions["cron-job"] = [[image(spec, 0)]]
            spec.scheduled_tasks = [ScheduledTaskSpec("monthly-job", "cron-job", cluster="cluster-0"),
                                    ScheduledTaskSpec("nightly-job", "cron-job:1", scheduler=True, cluster="cluster-0")]
        cluster = spec.ecs_clusters[rank % ECS_CLUSTERS_PER_REGION]
        cluster.services.append(EcsServiceSpec(family, f"{family}:2", desired=0))
        if index % 4 == 0:
            cluster.tasks.append(f"{family}:2")
    for index in range(size.batch_jobs):
        spec = specs[index % len(specs)]
        spec.batch_jobs.append(BatchJobSpec(f"job-{index:04d}", image(spec, index // len(specs)),
                                            ("container", "ecs", "eks")[index % 3]))
    for index in range(size.eks_workloads):
        spec, rank = specs[index % len(specs)], index // len(specs)
        if not spec.eks_clusters:
            spec.eks_clusters = [EksClusterSpec(f"eks-{spec.name}")]
        kind, pods = ("cronjob", 0) if index % 4 == 3 else ("deployment", 2)
        spec.eks_clusters[0].workloads.append(WorkloadSpec(kind, f"team-{rank % 5}", f"app-{index:04d}",
                                                           image(spec, rank), pods=pods, last_run_days_ago=3))


def split(spec: RegionSpec, parts: int) -> list[RegionSpec]:
    """The region's repositories and functions in `parts` specs, so the Seeder writes them side by side;
    its other consumers go with the first (schedules name its task definitions)."""
    names, functions = list(spec.repositories), spec.functions
    chunks = [RegionSpec(spec.name, {name: spec.repositories[name] for name in names[part::parts]},
                         functions[part::parts]) for part in range(parts)]
    chunks[0] = replace(spec, repositories=chunks[0].repositories, functions=chunks[0].functions)
    return chunks


def seed(server: LayeredMotoServer, kubernetes: FakeKubernetes, specs: list[RegionSpec]) -> float:
    """Write the account into moto with latency off; returns the seconds it took."""
    began = time.perf_counter()
    seeder = Seeder(server.endpoint_url, server.layer, workers=SEED_WORKERS, kubernetes=kubernetes)
    chunks = [chunk for spec in specs for chunk in split(spec, SEED_WORKERS // len(specs) or 1)]
    seeder.seed(chunks)  # every chunk's images are pushed before any function is created
    return time.perf_counter() - began


def enabled_regions(server: LayeredMotoServer) -> list[str]:
    """The regions the handler will scan (what moto's DescribeRegions lists)."""
    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=server.endpoint_url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    return sorted(region["RegionName"] for region in ec2.describe_regions()["Regions"])
