"""Every consumer kind besides Lambda functions, read in every region that offers it, on the run's scheduler.

ECS services, tasks and scheduled tasks are read first; the task definitions they name (and each
family's newest ACTIVE revisions) are described as soon as those are in, beside the other kinds.
Lambda rollback versions are read by the Lambda reader itself (inventory/functions.py).
"""
from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field, replace
from typing import Iterable, Iterator

from ecr_usage_report.aws.clients import ClientFactory
from ecr_usage_report.aws.scheduler import RegionScheduler
from ecr_usage_report.inventory import apprunner, batch, ecs, eks, reader, schedules
from ecr_usage_report.inventory.ecs import EcsService, EcsTask, FamilyRead, task_definition_ref
from ecr_usage_report.inventory.model import Consumer, ReadError
from ecr_usage_report.inventory.schedules import ScheduledTask

ECS, EVENTBRIDGE, SCHEDULER, BATCH, APP_RUNNER, EKS, LAMBDA_VERSIONS = (
    "ecs", "eventbridge", "scheduler", "batch", "apprunner", "eks", "lambda-versions")
KINDS = (ECS, EVENTBRIDGE, SCHEDULER, BATCH, APP_RUNNER, EKS, LAMBDA_VERSIONS)  # CONSUMER_KINDS' words
DEFAULT_ECS_ROLLBACK_REVISIONS = 3
DEFAULT_LAMBDA_ROLLBACK_VERSIONS = 1
# How ERRORS names each kind's readers: an error under one of these leaves its region's usage unknown.
LABELS = (ecs.LABEL, schedules.RULES_LABEL, schedules.SCHEDULES_LABEL, batch.LABEL, apprunner.LABEL, eks.LABEL)
TASK_KIND, SERVICE_KIND, REVISION_KIND = "ecs task", "ecs service", "ecs task-definition"
ROLLBACK_STATE = "rollback target"
Pending = dict[str, Future[reader.Listing]]


@dataclass(frozen=True)
class ConsumerSettings:
    """Which consumer kinds a run reads, and how many rollback targets of each."""

    kinds: frozenset[str] = frozenset(KINDS)
    ecs_rollback_revisions: int = DEFAULT_ECS_ROLLBACK_REVISIONS  # newest ACTIVE revisions of each family used
    lambda_rollback_versions: int = DEFAULT_LAMBDA_ROLLBACK_VERSIONS  # newest published versions of each function

    @property
    def lambda_versions(self) -> int:
        """How many rollback versions the Lambda reader reads of each image function."""
        return self.lambda_rollback_versions if LAMBDA_VERSIONS in self.kinds else 0


@dataclass
class PendingConsumers:
    """The consumer readers started for a run, by kind (a kind not asked for has none)."""

    clients: ClientFactory
    scheduler: RegionScheduler
    settings: ConsumerSettings
    started: dict[str, Pending] = field(default_factory=dict)


def start(clients: ClientFactory, scheduler: RegionScheduler, regions: list[str],
          settings: ConsumerSettings) -> PendingConsumers:
    """Queue every asked kind's listing in every region; one that does not offer its service holds none."""
    readers = {ECS: ecs.CLUSTERS, EVENTBRIDGE: schedules.RULES, SCHEDULER: schedules.SCHEDULES,
               BATCH: batch.READER, APP_RUNNER: apprunner.READER,
               EKS: eks.reader(lambda region: clients.get("sts", region))}
    pending = PendingConsumers(clients, scheduler, settings)
    for kind, kind_reader in readers.items():
        if kind in settings.kinds:
            pending.started[kind] = reader.start(replace(kind_reader, where_offered=True), clients, scheduler, regions)
    return pending


def finish(pending: PendingConsumers) -> tuple[dict[str, tuple[Consumer, ...]], list[ReadError]]:
    """Every consumer found, by region, and every error. The task definitions that a region's ECS
    services and schedules name are described as soon as that region's are read, beside the rest."""
    errors: list[ReadError] = []

    def done(started: dict[str, Future[reader.Listing]]) -> dict[str, tuple]:
        values, kind_errors = reader.finish(started)
        errors.extend(kind_errors)
        return values

    first = [pending.started.get(kind, {}) for kind in (ECS, EVENTBRIDGE, SCHEDULER)]
    clusters: dict[str, tuple] = {}
    scheduled: dict[str, tuple[ScheduledTask, ...]] = {}
    families: dict[str, Future[reader.Listing]] = {}
    for region in regions_as_read(first):
        ecs_read, rules, timetables = (done({region: kind[region]} if region in kind else {}) for kind in first)
        clusters.update(ecs_read)
        scheduled[region] = rules.get(region, ()) + timetables.get(region, ())
        wanted = families_wanted(ecs_read, {region: scheduled[region]})
        if wanted:
            families.update(reader.start(ecs.task_definitions_reader(wanted, pending.settings.ecs_rollback_revisions),
                                         pending.clients, pending.scheduler, [region]))
    found: dict[str, list[Consumer]] = {}
    for kind in (BATCH, APP_RUNNER, EKS):
        for region, values in done(pending.started.get(kind, {})).items():
            found.setdefault(region, []).extend(flatten(values))
    described = done(families)
    for region in sorted({*clusters, *scheduled}):
        by_family = {read.family: read for read in described.get(region, ())}
        found.setdefault(region, []).extend(ecs_consumers(
            region, flatten(clusters.get(region, ())), scheduled.get(region, ()), by_family,
            pending.settings.ecs_rollback_revisions))
    return {region: tuple(consumers) for region, consumers in sorted(found.items())}, errors


def regions_as_read(started: list[dict[str, Future[reader.Listing]]]) -> Iterator[str]:
    """Each region once every reader's listing there, and every read that listing queued, is done:
    the soonest first (only the calling thread waits)."""
    outstanding: dict[str, set[Future]] = {}
    region_of: dict[Future, str] = {}
    listings = {listing for pending in started for listing in pending.values()}
    for pending in started:
        for region, listing in pending.items():
            outstanding.setdefault(region, set()).add(listing)
            region_of[listing] = region
    while region_of:
        finished, _ = wait(list(region_of), return_when=FIRST_COMPLETED)
        for future in finished:
            region = region_of.pop(future)
            outstanding[region].discard(future)
            finished = future in listings and not future.cancelled() and not future.exception()
            outcome = future.result() if finished else None
            for read in outcome if isinstance(outcome, list) else ():
                outstanding[region].add(read)
                region_of[read] = region
            if not outstanding[region]:
                yield region


def flatten(values: Iterable) -> list:
    """Reads that found one value or several, as one list."""
    return [item for value in values for item in (value if isinstance(value, tuple) else (value,))]


def families_wanted(clusters: dict[str, tuple], scheduled: dict[str, tuple[ScheduledTask, ...]]
                    ) -> dict[str, dict[str, set[int | None]]]:
    """Each region's task definition families that services and schedules name, with the revisions named."""
    references: dict[str, list[str]] = {}
    for region, values in clusters.items():
        references.setdefault(region, []).extend(
            arn for read in flatten(values) if isinstance(read, EcsService) for arn in read.task_definitions)
    for region, tasks in scheduled.items():
        references.setdefault(region, []).extend(arn for task in tasks for arn in task.task_definitions)
    return {region: ecs.families_named(named) for region, named in references.items() if named}


def definition_images(references: Iterable[str], families: dict[str, FamilyRead]) -> tuple[str, ...]:
    """The images of the task definitions named (a definition that could not be read adds none; its error is named)."""
    images: list[str] = []
    for reference in references:
        family, revision = task_definition_ref(reference)
        definition = families[family].named(revision) if family in families else None
        images += definition.images if definition else ()
    return tuple(dict.fromkeys(images))


def ecs_consumers(region: str, reads: list, scheduled: Iterable[ScheduledTask], families: dict[str, FamilyRead],
                  rollback_revisions: int) -> list[Consumer]:
    """Services, task groups, scheduled tasks, then each family's newest ACTIVE revisions that nothing
    above names (what a rollback would deploy)."""
    consumers, named = [], set()
    for service in (read for read in reads if isinstance(read, EcsService)):
        consumers.append(Consumer(SERVICE_KIND, f"{service.cluster}/{service.name}", region,
                                  definition_images(service.task_definitions, families), state=service.state))
        named.update(map(task_definition_ref, service.task_definitions))
    groups: dict[tuple[str, str], list[EcsTask]] = {}
    for task in (read for read in reads if isinstance(read, EcsTask)):
        groups.setdefault((task.cluster, task.group), []).append(task)
    for (cluster, group), tasks in sorted(groups.items()):
        started = [task.started_at for task in tasks if task.started_at]
        statuses = sorted({task.status.lower() for task in tasks if task.status})
        consumers.append(Consumer(TASK_KIND, f"{cluster}/{group}", region,
                                  tuple(dict.fromkeys(image for task in tasks for image in task.images)),
                                  max(started, default=None), f"{len(tasks)} {'/'.join(statuses) or 'tasks'}"))
    for task in scheduled:
        consumers.append(Consumer(task.kind, task.name, region, definition_images(task.task_definitions, families),
                                  state=task.state))
        named.update(map(task_definition_ref, task.task_definitions))
    for family, read in sorted(families.items()):
        named_latest = (family, None) in named
        for rank, revision in enumerate(read.newest[:rollback_revisions]):
            if (family, revision) in named or (rank == 0 and named_latest):
                continue
            consumers.append(Consumer(REVISION_KIND, f"{family}:{revision}", region,
                                      read.revisions[revision].images, state=ROLLBACK_STATE))
    return consumers
