"""ECS readers: every cluster's services and running (or pending) tasks, then the task definitions
that services and schedules name, with the newest ACTIVE revisions of each family.

A service runs the task definitions of all its deployments (the primary and any still draining);
a task's containers carry the digest each image resolved to when it started, so it is found even
after its tag moved; a family's newest ACTIVE revisions are what a rollback would deploy.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Iterable

from ecr_usage_report.aws.errors import AWS_ERRORS, error_code, error_message
from ecr_usage_report.inventory.model import ReadError
from ecr_usage_report.inventory.references import image_name
from ecr_usage_report.inventory.reader import RegionReader

SERVICE = "ecs"
LABEL = "ECS"
PAGE_SIZE = 100  # the largest page of ListClusters, ListServices and ListTasks
SERVICES_PER_DESCRIBE = 10  # DescribeServices' most
TASKS_PER_DESCRIBE = 100  # DescribeTasks' most
VANISHED = "ClusterNotFoundException"
GONE_SERVICE = "INACTIVE"  # a deleted service, still described for a while
MISSING = "MISSING"  # a describe failure for what was deleted since it was listed
Batch = tuple[str, str, tuple[str, ...]]  # ("services" or "tasks", cluster ARN, the ARNs one describe call takes)
Family = tuple[str, frozenset[int | None]]  # (family, the revisions named; None: the latest ACTIVE)


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
class TaskDefinition:
    """One revision of a task definition and the images of its containers."""

    family: str
    revision: int
    images: tuple[str, ...]


@dataclass(frozen=True)
class FamilyRead:
    """A family's revisions that were asked for, and its newest ACTIVE ones, newest first."""

    family: str
    revisions: dict[int, TaskDefinition]
    newest: tuple[int, ...]

    def named(self, revision: int | None) -> TaskDefinition | None:
        """A revision, or the latest ACTIVE one for None."""
        if revision is None:
            return self.revisions.get(self.newest[0]) if self.newest else None
        return self.revisions.get(revision)


def task_definition_ref(reference: str) -> tuple[str, int | None]:
    """(family, revision) of a task definition named by ARN or family[:revision]; revision None: the latest."""
    family, _, revision = reference.rpartition("/")[2].partition(":")
    return family, int(revision) if revision.isdigit() else None


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
    try:
        if kind == "services":
            answer = client.describe_services(cluster=cluster, services=list(arns))
            found: tuple[EcsService | EcsTask, ...] = tuple(
                service_of(cluster, service) for service in answer.get("services", [])
                if service.get("status") != GONE_SERVICE)
        else:
            answer = client.describe_tasks(cluster=cluster, tasks=list(arns))
            found = tuple(task_of(cluster, task) for task in answer.get("tasks", []))
    except AWS_ERRORS as exc:
        if error_code(exc) == VANISHED:
            return None, []
        return None, [ReadError(region, LABEL, f"{cluster_name(cluster)} {kind}", error_message(exc))]
    # MISSING: deleted since it was listed; any other failure leaves that one unread
    return found, [ReadError(region, LABEL, f"{cluster_name(cluster)} {kind}",
                             f"{failure.get('reason')}: {failure.get('arn', '')} {failure.get('detail', '')}".strip())
                   for failure in answer.get("failures") or [] if failure.get("reason") != MISSING]


def definition_of(described: dict[str, Any]) -> TaskDefinition:
    """A DescribeTaskDefinition answer's taskDefinition."""
    images = [container["image"] for container in described.get("containerDefinitions") or [] if container.get("image")]
    return TaskDefinition(described["family"], int(described["revision"]), tuple(dict.fromkeys(images)))


def read_family(client: Any, region: str, wanted: Family, newest: int) -> tuple[FamilyRead | None, list[ReadError]]:
    """The revisions of a family that were named, and its `newest` ACTIVE revisions (what a rollback
    would deploy), each described once."""
    family, revisions = wanted
    try:
        listed: list[str] = []
        if newest or None in revisions:
            listed = client.list_task_definitions(familyPrefix=family, status="ACTIVE", sort="DESC",
                                                  maxResults=max(newest, 1)).get("taskDefinitionArns", [])
        active = tuple(revision for _, revision in map(task_definition_ref, listed) if revision is not None)
        wanted_revisions = {revision for revision in revisions if revision is not None} | set(active[:newest])
        if None in revisions and active:
            wanted_revisions.add(active[0])
        described = {revision: definition_of(client.describe_task_definition(
            taskDefinition=f"{family}:{revision}")["taskDefinition"]) for revision in sorted(wanted_revisions)}
    except AWS_ERRORS as exc:
        return None, [ReadError(region, LABEL, f"task definition {family}", error_message(exc))]
    return FamilyRead(family, described, active[:max(newest, 1)]), []


def families_named(references: Iterable[str]) -> dict[str, set[int | None]]:
    """The families and revisions that task definition references name."""
    named: dict[str, set[int | None]] = {}
    for reference in references:
        family, revision = task_definition_ref(reference)
        named.setdefault(family, set()).add(revision)
    return named


def task_definitions_reader(wanted: dict[str, dict[str, set[int | None]]],
                            newest: int) -> RegionReader[Family, FamilyRead]:
    """A reader of the families each region's services and schedules name (region -> family -> revisions)."""
    def list_families(client: Any) -> list[Family]:
        return [(family, frozenset(revisions)) for family, revisions in
                sorted(wanted.get(client.meta.region_name, {}).items())]

    return RegionReader(service=SERVICE, label=LABEL, list_items=list_families,
                        read_item=partial(read_family, newest=newest))


CLUSTERS: RegionReader[Batch, tuple[EcsService | EcsTask, ...]] = RegionReader(
    service=SERVICE, label=LABEL, list_items=list_batches, read_item=read_batch)
