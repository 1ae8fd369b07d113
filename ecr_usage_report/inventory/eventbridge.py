"""The EventBridge kind: rules whose targets start ECS tasks.

A monthly job is not running when the report runs, but the task definition it starts, and so its
images, are in use: the rules feed the ECS kind, whose follow-up describes the task definitions they name.
"""
from __future__ import annotations

from typing import Any

from ecr_usage_report.inventory.ecs import ScheduledTask
from ecr_usage_report.inventory.model import ReadError
from ecr_usage_report.inventory.reader import ConsumerKind, token_pages

DEFAULT_BUS = "default"
Rule = tuple[str, dict[str, Any]]  # (event bus name, ListRules entry)


def list_rules(client: Any) -> list[Rule]:
    """Every rule of every event bus of the region (every page)."""
    buses = [bus["Name"] for page in token_pages(lambda **params: client.list_event_buses(**params))
             for bus in page.get("EventBuses", [])]
    return [(bus, rule) for bus in buses for page in client.get_paginator("list_rules").paginate(EventBusName=bus)
            for rule in page.get("Rules", [])]


def rule_name(listed: Rule) -> str:
    """A rule's name, after its event bus's unless that is the default one."""
    bus, rule = listed
    return rule["Name"] if bus == DEFAULT_BUS else f"{bus}/{rule['Name']}"


def read_rule(client: Any, region: str, listed: Rule) -> tuple[ScheduledTask | None, list[ReadError]]:
    """A rule's ECS targets; None when it has none."""
    bus, rule = listed
    targets = [target for page in client.get_paginator("list_targets_by_rule").paginate(
        Rule=rule["Name"], EventBusName=bus) for target in page.get("Targets", [])]
    definitions = tuple(target["EcsParameters"]["TaskDefinitionArn"] for target in targets
                        if (target.get("EcsParameters") or {}).get("TaskDefinitionArn"))
    if not definitions:
        return None, []
    state = " ".join(part for part in (rule.get("State"), rule.get("ScheduleExpression")) if part)
    return ScheduledTask("eventbridge rule", rule_name(listed), definitions, state), []


KIND = ConsumerKind(
    word="eventbridge", label="EventBridge", service="events", list_items=list_rules, read_item=read_rule,
    item_name=rule_name, gone=("ResourceNotFoundException",), feeds="ecs",
    actions=("events:ListEventBuses", "events:ListRules", "events:ListTargetsByRule"))
