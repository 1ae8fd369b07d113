"""The CodeBuild kind: every build project and the image its builds run in (`environment.image`).

A project builds only when started, but every build it starts runs its image.
"""
from __future__ import annotations

from typing import Any

from ecr_usage_report.inventory.model import Consumer, ReadError
from ecr_usage_report.inventory.reader import ConsumerKind

NAMES_PER_CALL = 100  # BatchGetProjects' most
CONSUMER = "codebuild project"
Names = tuple[str, ...]  # the project names one BatchGetProjects call takes


def list_projects(client: Any) -> list[Names]:
    """Every project of the region (every page), in the groups one BatchGetProjects call takes."""
    names = [name for page in client.get_paginator("list_projects").paginate() for name in page.get("projects", [])]
    return [tuple(names[start:start + NAMES_PER_CALL]) for start in range(0, len(names), NAMES_PER_CALL)]


def read_projects(client: Any, region: str, names: Names) -> tuple[tuple[Consumer, ...], list[ReadError]]:
    """One BatchGetProjects call; a project it no longer finds (projectsNotFound) was deleted since it was listed."""
    projects = client.batch_get_projects(names=list(names)).get("projects", [])
    return tuple(Consumer(CONSUMER, project["name"], region, (project["environment"]["image"],))
                 for project in projects if (project.get("environment") or {}).get("image")), []


KIND = ConsumerKind(
    word="codebuild", label="CodeBuild", service="codebuild", list_items=list_projects, read_item=read_projects,
    item_name=lambda names: f"projects {names[0]} to {names[-1]}",
    actions=("codebuild:ListProjects", "codebuild:BatchGetProjects"))
