"""The EventBridge Scheduler kind: schedules whose target starts ECS tasks.

Like EventBridge rules, they feed the ECS kind, whose follow-up describes the task definitions they name.
"""
from __future__ import annotations

import json
from typing import Any

from ecr_usage_report.inventory.ecs import ScheduledTask
from ecr_usage_report.inventory.model import ReadError
from ecr_usage_report.inventory.reader import ConsumerKind

LABEL = "EventBridge Scheduler"
DEFAULT_GROUP = "default"
RUN_TASK_TARGET = "arn:aws:scheduler:::aws-sdk:ecs:runTask"  # Scheduler's universal target for ecs:RunTask


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


def schedule_name(summary: dict[str, Any]) -> str:
    """A schedule's name after its group's."""
    return f"{summary.get('GroupName') or DEFAULT_GROUP}/{summary['Name']}"


def read_schedule(client: Any, region: str, summary: dict[str, Any]) -> tuple[ScheduledTask | None, list[ReadError]]:
    """A schedule's ECS target; None when it targets something else."""
    if not targets_ecs(summary):
        return None, []
    detail = client.get_schedule(Name=summary["Name"], GroupName=summary.get("GroupName") or DEFAULT_GROUP)
    definitions = run_task_definitions(detail.get("Target") or {})
    if not definitions:
        return None, [ReadError(region, LABEL, schedule_name(summary), "its ECS target names no task definition")]
    state = " ".join(part for part in (detail.get("State"), detail.get("ScheduleExpression")) if part)
    return ScheduledTask("scheduler schedule", schedule_name(summary), definitions, state), []


KIND = ConsumerKind(
    word="scheduler", label=LABEL, service="scheduler", list_items=list_schedules, read_item=read_schedule,
    item_name=schedule_name, gone=("ResourceNotFoundException",), needs_call=targets_ecs, feeds="ecs",
    actions=("scheduler:ListSchedules", "scheduler:GetSchedule"))
