"""The ECS kind: every cluster's services and running (or pending) tasks; then, as its follow-up, the
task definitions that services and schedules (EventBridge rules, Scheduler schedules) name, with the
newest ACTIVE revisions of each family (inventory/task_definitions.py).

A service runs the task definitions of all its deployments (the primary and any still draining);
a task's containers carry the digest each image resolved to when it started, so it is found even
after its tag moved; a family's newest ACTIVE revisions are what a rollback would deploy.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecr_usage_report.aws.errors import AWS_ERRORS, error_code
from ecr_usage_report.inventory import task_definitions
from ecr_usage_report.inventory.kinds import ConsumerSettings
from ecr_usage_report.inventory.model import ROLLBACK_STATE, Consumer, ReadError
from ecr_usage_report.inventory.reader import ConsumerKind, FollowUp, RegionReader
from ecr_usage_report.inventory.references import image_name
from ecr_usage_report.inventory.task_definitions import FamilyRead, definition_images, task_definition_ref

SERVICE = "ecs"
LABEL = "ECS"
PAGE_SIZE = 100  # the largest page of ListClusters, ListServices and ListTasks
SERVICES_PER_DESCRIBE = 10  # DescribeServices' most
TASKS_PER_DESCRIBE = 100  # DescribeTasks' most
VANISHED = "ClusterNotFoundException"
GONE_SERVICE = "INACTIVE"  # a deleted service, still described for a while
MISSING = "MISSING"  # a describe failure for what was deleted since it was listed
Batch = tuple[str, str, tuple[str, ...]]  # ("services" or "tasks", cluster ARN, the ARNs one describe call takes)
TASK_KIND, SERVICE_KIND, REVISION_KIND = "ecs task", "ecs service", "ecs task-definition"


@dataclass(frozen=True)
class EcsService:
    """A service and the task definitions its deployments run, primary first."""

    cluster: str
    name: str
    task_definitions: tuple[str, ...]
    state: str


@dataclass(frozen=True)
class EcsTask:
    """A task whose desired status is RUNNING, and the images its containers run."""

    cluster: str
    group: str  # "service:web" for a service's task, "family:report" for a task run on its own
    images: tuple[str, ...]  # each container's image, and the same image pinned by the digest it runs
    started_at: datetime | None
    status: str


@dataclass(frozen=True)
class ScheduledTask:
    """An EventBridge rule or Scheduler schedule that starts ECS tasks, and the task definitions it names."""

    kind: str  # how the report names it: "eventbridge rule", "scheduler schedule"
    name: str
    task_definitions: tuple[str, ...]
    state: str


def cluster_name(arn: str) -> str:
    """A cluster's name from its ARN (or its name)."""
    return arn.rpartition("/")[2]


def chunks(arns: list[str], size: int) -> list[tuple[str, ...]]:
    """The ARNs in groups one describe call takes."""
    return [tuple(arns[start:start + size]) for start in range(0, len(arns), size)]


def list_batches(client: Any) -> list[Batch]:
    """Every cluster's services and RUNNING tasks (every page), in the groups one describe call takes.
    A cluster deleted after it was listed is passed over."""
    batches: list[Batch] = []
    clusters = client.get_paginator("list_clusters").paginate(PaginationConfig={"PageSize": PAGE_SIZE})
    for cluster in (arn for page in clusters for arn in page.get("clusterArns", [])):
        try:
            services = [arn for page in client.get_paginator("list_services").paginate(
                cluster=cluster, PaginationConfig={"PageSize": PAGE_SIZE}) for arn in page.get("serviceArns", [])]
            tasks = [arn for page in client.get_paginator("list_tasks").paginate(
                cluster=cluster, desiredStatus="RUNNING", PaginationConfig={"PageSize": PAGE_SIZE})
                for arn in page.get("taskArns", [])]
        except AWS_ERRORS as exc:
            if error_code(exc) == VANISHED:
                continue
            raise
        batches += [("services", cluster, arns) for arns in chunks(services, SERVICES_PER_DESCRIBE)]
        batches += [("tasks", cluster, arns) for arns in chunks(tasks, TASKS_PER_DESCRIBE)]
    return batches


def service_of(cluster: str, service: dict[str, Any]) -> EcsService:
    """A DescribeServices entry."""
    deployments = sorted(service.get("deployments") or [], key=lambda deployment: deployment.get("status") != "PRIMARY")
    definitions = [d["taskDefinition"] for d in deployments if d.get("taskDefinition")]
    # CODE_DEPLOY and EXTERNAL services run their revisions in task sets, not deployments
    definitions += [ts["taskDefinition"] for ts in service.get("taskSets") or [] if ts.get("taskDefinition")]
    if not definitions and service.get("taskDefinition"):
        definitions = [service["taskDefinition"]]
    state = f"{service.get('runningCount', 0)} of {service.get('desiredCount', 0)} running"
    return EcsService(cluster_name(cluster), service["serviceName"], tuple(dict.fromkeys(definitions)), state)


def task_images(task: dict[str, Any]) -> tuple[str, ...]:
    """Each container's image, and the same image pinned by the digest it resolved to."""
    images = []
    for container in task.get("containers") or []:
        image = container.get("image")
        if not image:
            continue
        images.append(image)
        if container.get("imageDigest"):
            images.append(f"{image_name(image)}@{container['imageDigest']}")
    return tuple(dict.fromkeys(images))


def task_of(cluster: str, task: dict[str, Any]) -> EcsTask:
    """A DescribeTasks entry."""
    return EcsTask(cluster_name(cluster), task.get("group", ""), task_images(task), task.get("startedAt"),
                   task.get("lastStatus", ""))


def read_batch(client: Any, region: str,
               batch: Batch) -> tuple[tuple[EcsService | EcsTask, ...] | None, list[ReadError]]:
    """One DescribeServices or DescribeTasks call; what it no longer finds was deleted since it was listed."""
    kind, cluster, arns = batch
    if kind == "services":
        answer = client.describe_services(cluster=cluster, services=list(arns))
        found: tuple[EcsService | EcsTask, ...] = tuple(
            service_of(cluster, service) for service in answer.get("services", [])
            if service.get("status") != GONE_SERVICE)
    else:
        answer = client.describe_tasks(cluster=cluster, tasks=list(arns))
        found = tuple(task_of(cluster, task) for task in answer.get("tasks", []))
    # MISSING: deleted since it was listed; any other failure leaves that one unread
    return found, [ReadError(region, LABEL, batch_name(batch),
                             f"{failure.get('reason')}: {failure.get('arn', '')} {failure.get('detail', '')}".strip())
                   for failure in answer.get("failures") or [] if failure.get("reason") != MISSING]


def batch_name(batch: Batch) -> str:
    """How a failed describe names its batch: the cluster and what was described."""
    return f"{cluster_name(batch[1])} {batch[0]}"


def families_wanted(values: list[Any], settings: ConsumerSettings) -> RegionReader | None:
    """A reader of the task definition families that a region's services and schedules name, if any."""
    named = [arn for value in values if isinstance(value, (EcsService, ScheduledTask))
             for arn in value.task_definitions]
    return task_definitions.reader(task_definitions.families_named(named),
                                   settings.ecs_rollback_revisions) if named else None


def ecs_consumers(region: str, values: list[Any], described: tuple[FamilyRead, ...],
                  settings: ConsumerSettings) -> list[Consumer]:
    """Services, task groups, scheduled tasks, then each family's newest ACTIVE revisions that nothing
    above names (what a rollback would deploy)."""
    families = {read.family: read for read in described}
    consumers, named = [], set()
    for service in (value for value in values if isinstance(value, EcsService)):
        consumers.append(Consumer(SERVICE_KIND, f"{service.cluster}/{service.name}", region,
                                  definition_images(service.task_definitions, families), state=service.state))
        named.update(map(task_definition_ref, service.task_definitions))
    groups: dict[tuple[str, str], list[EcsTask]] = {}
    for task in (value for value in values if isinstance(value, EcsTask)):
        groups.setdefault((task.cluster, task.group), []).append(task)
    for (cluster, group), tasks in sorted(groups.items()):
        started = [task.started_at for task in tasks if task.started_at]
        statuses = sorted({task.status.lower() for task in tasks if task.status})
        consumers.append(Consumer(TASK_KIND, f"{cluster}/{group}", region,
                                  tuple(dict.fromkeys(image for task in tasks for image in task.images)),
                                  max(started, default=None), f"{len(tasks)} {'/'.join(statuses) or 'tasks'}"))
    for task in (value for value in values if isinstance(value, ScheduledTask)):
        consumers.append(Consumer(task.kind, task.name, region, definition_images(task.task_definitions, families),
                                  state=task.state))
        named.update(map(task_definition_ref, task.task_definitions))
    for family, read in sorted(families.items()):
        named_latest = (family, None) in named
        for rank, revision in enumerate(read.newest[:settings.ecs_rollback_revisions]):
            if (family, revision) in named or (rank == 0 and named_latest):
                continue
            consumers.append(Consumer(REVISION_KIND, f"{family}:{revision}", region,
                                      read.revisions[revision].images, state=ROLLBACK_STATE))
    return consumers


KIND = ConsumerKind(
    word="ecs", label=LABEL, service=SERVICE, list_items=list_batches, read_item=read_batch, item_name=batch_name,
    gone=(VANISHED,), follow_up=FollowUp(reader=families_wanted, consumers=ecs_consumers),
    actions=("ecs:ListClusters", "ecs:ListServices", "ecs:ListTasks", "ecs:DescribeServices", "ecs:DescribeTasks",
             "ecs:ListTaskDefinitions", "ecs:DescribeTaskDefinition"))
