"""ECS task definitions: the revisions that services and schedules name, and each family's newest ACTIVE
revisions (what a rollback would deploy), read as the ECS kind's follow-up (inventory/ecs.py)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Iterable

from ecr_usage_report.inventory.model import ReadError
from ecr_usage_report.inventory.reader import RegionReader

SERVICE = "ecs"
LABEL = "ECS"
Family = tuple[str, frozenset[int | None]]  # (family, the revisions named; None: the latest ACTIVE)


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


def definition_of(described: dict[str, Any]) -> TaskDefinition:
    """A DescribeTaskDefinition answer's taskDefinition."""
    images = [container["image"] for container in described.get("containerDefinitions") or [] if container.get("image")]
    return TaskDefinition(described["family"], int(described["revision"]), tuple(dict.fromkeys(images)))


def read_family(client: Any, region: str, wanted: Family, newest: int) -> tuple[FamilyRead | None, list[ReadError]]:
    """The revisions of a family that were named, and its `newest` ACTIVE revisions (what a rollback
    would deploy), each described once."""
    family, revisions = wanted
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
    return FamilyRead(family, described, active[:max(newest, 1)]), []


def families_named(references: Iterable[str]) -> dict[str, set[int | None]]:
    """The families and revisions that task definition references name."""
    named: dict[str, set[int | None]] = {}
    for reference in references:
        family, revision = task_definition_ref(reference)
        named.setdefault(family, set()).add(revision)
    return named


def definition_images(references: Iterable[str], families: dict[str, FamilyRead]) -> tuple[str, ...]:
    """The images of the task definitions named (a definition that could not be read adds none; its error is named)."""
    images: list[str] = []
    for reference in references:
        family, revision = task_definition_ref(reference)
        definition = families[family].named(revision) if family in families else None
        images += definition.images if definition else ()
    return tuple(dict.fromkeys(images))


def reader(wanted: dict[str, set[int | None]], newest: int) -> RegionReader[Family, FamilyRead]:
    """A reader of the families one region's services and schedules name (family -> revisions)."""
    families = [(family, frozenset(revisions)) for family, revisions in sorted(wanted.items())]
    return RegionReader(service=SERVICE, label=LABEL, list_items=lambda client: families,
                        read_item=partial(read_family, newest=newest),
                        item_name=lambda family: f"task definition {family[0]}")
