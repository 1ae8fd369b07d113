"""The AWS Batch kind: every ACTIVE job definition and the images its containers would run.

A job definition is not running when the report runs, but any job submitted to it runs its images.
Container, ECS and EKS properties are read, for single-node and multi-node jobs alike.
"""
from __future__ import annotations

from typing import Any, Iterator

from ecr_usage_report.inventory.model import Consumer, ReadError
from ecr_usage_report.inventory.reader import ConsumerKind

SERVICE = "batch"
LABEL = "Batch"
CONSUMER = "batch job-definition"
PAGE_SIZE = 100  # DescribeJobDefinitions' most


def list_job_definitions(client: Any) -> list[dict[str, Any]]:
    """Every ACTIVE job definition of the region, each revision (every page)."""
    pages = client.get_paginator("describe_job_definitions").paginate(
        status="ACTIVE", PaginationConfig={"PageSize": PAGE_SIZE})
    return [definition for page in pages for definition in page.get("jobDefinitions", [])]


def property_images(properties: dict[str, Any]) -> Iterator[str]:
    """The images of one set of job properties: a container, ECS task properties, or an EKS pod."""
    container = properties.get("containerProperties") or properties.get("container") or {}
    yield from [container["image"]] if container.get("image") else []
    for task in (properties.get("ecsProperties") or {}).get("taskProperties") or []:
        yield from (c["image"] for c in task.get("containers") or [] if c.get("image"))
    pod = (properties.get("eksProperties") or {}).get("podProperties") or {}
    for key in ("initContainers", "containers"):
        yield from (c["image"] for c in pod.get(key) or [] if c.get("image"))


def images_of(definition: dict[str, Any]) -> tuple[str, ...]:
    """Every image a job definition names, single-node or in any node range."""
    ranges = (definition.get("nodeProperties") or {}).get("nodeRangeProperties") or []
    images = [*property_images(definition), *(image for node in ranges for image in property_images(node))]
    return tuple(dict.fromkeys(images))


def consumer_of(client: Any, region: str, definition: dict[str, Any]) -> tuple[Consumer | None, list[ReadError]]:
    """A job definition as the listing told it (no call)."""
    name = f"{definition['jobDefinitionName']}:{definition['revision']}"
    return Consumer(CONSUMER, name, region, images_of(definition), state=definition.get("type", "")), []


KIND = ConsumerKind(
    word="batch", label=LABEL, service=SERVICE, list_items=list_job_definitions, read_item=consumer_of,
    needs_call=lambda definition: False, actions=("batch:DescribeJobDefinitions",))
