"""ECS as AWS answers it where moto 5.2.5 does not.

| moto 5.2.5 | here, as AWS answers |
|---|---|
| ListClusters, ListServices, ListTasks, ListTaskDefinitions answer in one page | paged (ListServices 10 by default, the others 100; at most 100) |
| ListTaskDefinitions ignores `sort` | sorted by family and revision, DESC reversed |
| UpdateService replaces the only deployment's task definition | the previous one stays an ACTIVE deployment, as while a rollout is under way |
| DescribeTasks: the first container only, no `imageDigest`, `lastStatus` moves on each describe | every container of the task definition, the digest its tag resolved to when the task started, RUNNING |
"""
from __future__ import annotations

import itertools
import threading
import time
from functools import partial

from devtools.aws.core import Service
from devtools.aws.ecr import tag_digest
from devtools.aws.paging import forward_page
from devtools.aws.protocol import ACCOUNT, Handler, Request, Response, access_key, json_request, rewrite

ECS_TARGET = "AmazonEC2ContainerServiceV20141113"
ECS_PAGES = {"ListClusters": ("clusterArns", (100, 100)), "ListServices": ("serviceArns", (10, 100)),
             "ListTasks": ("taskArns", (100, 100))}
TASK_DEFINITION_PAGE = (100, 100)


def task_definition_key(arn: str) -> tuple[str, int]:
    """(family, revision) of a task definition ARN."""
    family, _, revision = arn.rpartition("/")[2].partition(":")
    return family, int(revision or 0)


def service_key(req: Request, service: dict) -> tuple[str, str, str]:
    """(region, cluster name, service name) of an ECS service."""
    return req.region, service.get("clusterArn", "").rpartition("/")[2], service.get("serviceName", "")


def task_definition_arn(req: Request, service: dict) -> str:
    """The service's task definition as an ARN (moto keeps the family:revision it was given)."""
    named = service.get("taskDefinition", "")
    return named if named.startswith("arn:") else f"arn:aws:ecs:{req.region}:{ACCOUNT}:task-definition/{named}"


class Ecs(Service):
    """ECS's clusters, services and tasks; `service_failures[(region, service name)]` is the reason
    DescribeServices gives under `failures` instead of the service."""

    name = "ecs"

    def __init__(self) -> None:
        self.service_failures: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._services: dict[tuple[str, str, str], str] = {}  # (region, cluster, service) -> task definition
        self._old_deployments: dict[tuple[str, str, str], list[dict]] = {}
        self._task_digests: dict[tuple[str, str], str] = {}  # (task ARN, container image) -> digest at start
        self._ids = itertools.count(1)

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        routes: dict[tuple[str, str], Handler] = {
            ("ecs", operation): partial(forward_page, self.layer, key=key, limits=limits)
            for operation, (key, limits) in ECS_PAGES.items()}
        routes.update({
            ("ecs", "ListTaskDefinitions"): self._list_task_definitions,
            ("ecs", "CreateService"): self._create_service,
            ("ecs", "UpdateService"): self._update_service,
            ("ecs", "DescribeServices"): self._describe_services,
            ("ecs", "DescribeTasks"): self._describe_tasks,
            ("ecs", "RunTask"): self._run_task,
        })
        return routes

    def reset(self) -> None:
        """Forget every recorded service, deployment and task, and the failures set."""
        with self._lock:
            self.service_failures.clear()
            self._services.clear()
            self._old_deployments.clear()
            self._task_digests.clear()

    def _list_task_definitions(self, req: Request) -> Response:
        descending = req.json().get("sort") == "DESC"

        def in_order(doc: dict) -> None:
            doc["taskDefinitionArns"] = sorted(doc.get("taskDefinitionArns") or [], key=task_definition_key,
                                               reverse=descending)

        return forward_page(self.layer, req, "taskDefinitionArns", TASK_DEFINITION_PAGE, in_order)

    def _create_service(self, req: Request) -> Response:
        resp = self.layer.forward(req)
        service = (resp.json() or {}).get("service") if resp.ok else None
        if service:
            with self._lock:
                self._services[service_key(req, service)] = task_definition_arn(req, service)
        return resp

    def _update_service(self, req: Request) -> Response:
        resp = self.layer.forward(req)
        service = (resp.json() or {}).get("service") if resp.ok else None
        if not service:
            return resp
        key = service_key(req, service)
        with self._lock:
            previous = self._services.get(key)
            self._services[key] = task_definition_arn(req, service)
            if previous and previous != self._services[key]:
                now = time.time()
                self._old_deployments.setdefault(key, []).insert(0, {
                    "id": f"ecs-svc/{next(self._ids):016d}", "status": "ACTIVE", "taskDefinition": previous,
                    "desiredCount": service.get("desiredCount", 0), "runningCount": service.get("desiredCount", 0),
                    "pendingCount": 0, "createdAt": now, "updatedAt": now, "rolloutState": "COMPLETED"})
        return resp

    def _describe_services(self, req: Request) -> Response:
        def with_old_deployments(doc: dict) -> None:
            with self._lock:
                for service in doc.get("services") or []:
                    key = service_key(req, service)
                    current = self._services.get(key) or task_definition_arn(req, service)
                    service["taskDefinition"] = current
                    primary = [{**deployment, "taskDefinition": current} for deployment in service.get("deployments") or []
                               if deployment.get("status") == "PRIMARY"]
                    service["deployments"] = [*primary, *self._old_deployments.get(key, [])]
                failed = {service["serviceArn"]: reason for service in doc.get("services") or []
                          if (reason := self.service_failures.get((req.region, service.get("serviceName"))))}
            doc["services"] = [service for service in doc.get("services") or [] if service["serviceArn"] not in failed]
            doc["failures"] = [*(doc.get("failures") or []),
                               *({"arn": arn, "reason": reason} for arn, reason in failed.items())]

        return rewrite(self.layer.forward(req), with_old_deployments)

    def _ask_ecs(self, req: Request, operation: str, params: dict) -> dict:
        """An ECS answer from moto in-process, signed as the request was."""
        resp = self.layer.call_app(json_request(ECS_TARGET, operation, params, req.environ.get("HTTP_AUTHORIZATION", "")))
        return (resp.json() or {}) if resp.ok else {}

    def _digest_of(self, req: Request, image: str) -> str | None:
        """The digest an ECR image URI runs: its own when pinned, else what its tag resolves to now."""
        if "@sha256:" in image:
            return image.rpartition("@")[2]
        return tag_digest(self.layer, access_key(req.environ), image)

    def _container_definitions(self, req: Request, arn: str, known: dict[str, list[dict]]) -> list[dict]:
        if arn not in known:
            answer = self._ask_ecs(req, "DescribeTaskDefinition", {"taskDefinition": arn})
            known[arn] = (answer.get("taskDefinition") or {}).get("containerDefinitions") or []
        return known[arn]

    def _run_task(self, req: Request) -> Response:
        """Record the digest each container's image resolves to as its task starts, as ECS pins it."""
        resp = self.layer.forward(req)
        known: dict[str, list[dict]] = {}
        for task in ((resp.json() or {}).get("tasks") or []) if resp.ok else []:
            for definition in self._container_definitions(req, task.get("taskDefinitionArn", ""), known):
                digest = self._digest_of(req, definition.get("image") or "")
                if digest:
                    with self._lock:
                        self._task_digests[(task.get("taskArn", ""), definition.get("image") or "")] = digest
        return resp

    def _describe_tasks(self, req: Request) -> Response:
        definitions: dict[str, list[dict]] = {}

        def containers_of(task: dict) -> list[dict]:
            moto_containers = {container.get("name"): container for container in task.get("containers") or []}
            containers = []
            for definition in self._container_definitions(req, task.get("taskDefinitionArn", ""), definitions):
                image = definition.get("image") or ""
                container = {**moto_containers.get(definition.get("name"), {}), "name": definition.get("name"),
                             "image": image, "lastStatus": "RUNNING", "taskArn": task.get("taskArn")}
                with self._lock:
                    digest = self._task_digests.get((task.get("taskArn", ""), image))
                digest = digest or self._digest_of(req, image)
                if digest:
                    container["imageDigest"] = digest
                containers.append(container)
            return containers

        def as_aws(doc: dict) -> None:
            for task in doc.get("tasks") or []:
                task["containers"] = containers_of(task)
                if task.get("desiredStatus") == "RUNNING":
                    task["lastStatus"] = "RUNNING"
                    task.setdefault("startedAt", task.get("createdAt"))

        return rewrite(self.layer.forward(req), as_aws)
