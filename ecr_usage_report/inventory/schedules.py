"""Scheduled ECS tasks: EventBridge rules' ECS targets and EventBridge Scheduler schedules' ECS targets.

A monthly job is not running when the report runs, but the task definition it starts, and so its
images, are in use; the ECS readers describe the task definitions these name.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ecr_usage_report.aws.errors import AWS_ERRORS, error_code, error_message
from ecr_usage_report.inventory.model import ReadError
from ecr_usage_report.inventory.reader import RegionReader, token_pages

RULES_SERVICE = "events"
RULES_LABEL = "EventBridge"
SCHEDULES_SERVICE = "scheduler"
SCHEDULES_LABEL = "EventBridge Scheduler"
RULE_KIND = "eventbridge rule"
SCHEDULE_KIND = "scheduler schedule"
DEFAULT_BUS = "default"
DEFAULT_GROUP = "default"
RUN_TASK_TARGET = "arn:aws:scheduler:::aws-sdk:ecs:runTask"  # Scheduler's universal target for ecs:RunTask
VANISHED = "ResourceNotFoundException"
Rule = tuple[str, dict[str, Any]]  # (event bus name, ListRules entry)


@dataclass(frozen=True)
class ScheduledTask:
    """A rule or schedule that starts ECS tasks, and the task definitions it names."""

    kind: str  # RULE_KIND or SCHEDULE_KIND
    name: str
    task_definitions: tuple[str, ...]
    state: str


def list_rules(client: Any) -> list[Rule]:
    """Every rule of every event bus of the region (every page)."""
    buses = [bus["Name"] for page in token_pages(lambda **params: client.list_event_buses(**params))
             for bus in page.get("EventBuses", [])]
    return [(bus, rule) for bus in buses for page in client.get_paginator("list_rules").paginate(EventBusName=bus)
            for rule in page.get("Rules", [])]


def read_rule(client: Any, region: str, listed: Rule) -> tuple[ScheduledTask | None, list[ReadError]]:
    """A rule's ECS targets; None when it has none, or was deleted after it was listed."""
    bus, rule = listed
    name = rule["Name"] if bus == DEFAULT_BUS else f"{bus}/{rule['Name']}"
    try:
        targets = [target for page in client.get_paginator("list_targets_by_rule").paginate(
            Rule=rule["Name"], EventBusName=bus) for target in page.get("Targets", [])]
    except AWS_ERRORS as exc:
        if error_code(exc) == VANISHED:
            return None, []
        return None, [ReadError(region, RULES_LABEL, name, error_message(exc))]
    definitions = tuple(target["EcsParameters"]["TaskDefinitionArn"] for target in targets
                        if (target.get("EcsParameters") or {}).get("TaskDefinitionArn"))
    if not definitions:
        return None, []
    state = " ".join(part for part in (rule.get("State"), rule.get("ScheduleExpression")) if part)
    return ScheduledTask(RULE_KIND, name, definitions, state), []


def list_schedules(client: Any) -> list[dict[str, Any]]:
    """Every schedule of every schedule group of the region (every page)."""
    pages = client.get_paginator("list_schedules").paginate()
    return [schedule for page in pages for schedule in page.get("Schedules", [])]


def targets_ecs(summary: dict[str, Any]) -> bool:
    """Whether a schedule starts ECS tasks: only those need their whole definition read."""
    arn = (summary.get("Target") or {}).get("Arn", "")
    return arn == RUN_TASK_TARGET or (":ecs:" in arn and ":cluster/" in arn)


def run_task_definitions(target: dict[str, Any]) -> tuple[str, ...]:
    """The task definition an ECS target starts: its EcsParameters, or the universal target's RunTask input."""
    named = (target.get("EcsParameters") or {}).get("TaskDefinitionArn")
    if named:
        return (named,)
    try:
        given = json.loads(target.get("Input") or "{}")
    except ValueError:
        return ()
    named = given.get("TaskDefinition") if isinstance(given, dict) else None
    return (named,) if isinstance(named, str) and named else ()


def read_schedule(client: Any, region: str, summary: dict[str, Any]) -> tuple[ScheduledTask | None, list[ReadError]]:
    """A schedule's ECS target; None when it targets something else, or was deleted after it was listed."""
    if not targets_ecs(summary):
        return None, []
    group = summary.get("GroupName") or DEFAULT_GROUP
    name = f"{group}/{summary['Name']}"
    try:
        detail = client.get_schedule(Name=summary["Name"], GroupName=group)
    except AWS_ERRORS as exc:
        if error_code(exc) == VANISHED:
            return None, []
        return None, [ReadError(region, SCHEDULES_LABEL, name, error_message(exc))]
    definitions = run_task_definitions(detail.get("Target") or {})
    if not definitions:
        return None, [ReadError(region, SCHEDULES_LABEL, name, "its ECS target names no task definition")]
    state = " ".join(part for part in (detail.get("State"), detail.get("ScheduleExpression")) if part)
    return ScheduledTask(SCHEDULE_KIND, name, definitions, state), []


RULES: RegionReader[Rule, ScheduledTask] = RegionReader(
    service=RULES_SERVICE, label=RULES_LABEL, list_items=list_rules, read_item=read_rule)
SCHEDULES: RegionReader[dict[str, Any], ScheduledTask] = RegionReader(
    service=SCHEDULES_SERVICE, label=SCHEDULES_LABEL, list_items=list_schedules, read_item=read_schedule,
    needs_call=targets_ecs)
