"""The simulated AWS's consumer services, where moto 5.2.5 differs from AWS, and App Runner, which it lacks.

Part of devtools.aws_layer.AwsLayer (its `consumers`): the layer routes these (service, operation)
pairs here, and everything else as before.

| moto 5.2.5 | here, as AWS answers |
|---|---|
| ECS ListClusters, ListServices, ListTasks, ListTaskDefinitions answer in one page | paged (ListServices 10 by default, the others 100; at most 100) |
| ListTaskDefinitions ignores `sort` | sorted by family and revision, DESC reversed |
| UpdateService replaces the only deployment's task definition | the previous one stays an ACTIVE deployment, as while a rollout is under way |
| DescribeTasks: the first container only, no `imageDigest`, `lastStatus` moves on each describe | every container of the task definition, the digest its tag resolved to when the task started, RUNNING |
| Batch RegisterJobDefinition refuses `ecsProperties` | kept and answered by DescribeJobDefinitions (paged, 100 a page) |
| EKS DescribeCluster: a made-up endpoint and CA | `eks_clusters[(region, name)]` sets them (a local Kubernetes API) |
| no App Runner | CreateService, DescribeService, ListServices, PauseService, DeleteService |
| CodeBuild ListProjects answers in one page | paged, 100 names a page |
| BatchGetProjects takes any number of names and leaves out `projectsNotFound` | at most 100 (ValidationException); names what it did not find |
| SageMaker ListModels answers in one page, each model whole | paged (10 by default, at most 100), each a summary: ModelName, ModelArn, CreationTime |
| ListEndpoints pages 100 by default | 10 by default, at most 100 |
"""
from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from functools import partial
from typing import TYPE_CHECKING, Any, Callable

from werkzeug.test import EnvironBuilder

from devtools.aws_layer import IMAGE_TAG_RE, Request, Response, decode_token, encode_token, error_response, page_size

if TYPE_CHECKING:
    from devtools.aws_layer import AwsLayer

ACCOUNT = "123456789012"
ECS_TARGET = "AmazonEC2ContainerServiceV20141113"
ECS_PAGES = {"ListClusters": ("clusterArns", (100, 100)), "ListServices": ("serviceArns", (10, 100)),
             "ListTasks": ("taskArns", (100, 100))}
TASK_DEFINITION_PAGE = (100, 100)
BATCH_PAGE = (100, 100)
APP_RUNNER_PAGE = (None, 20)  # no MaxResults: every service in one answer, as App Runner documents
APP_RUNNER_TARGET = "AppRunner"
CODEBUILD_PAGE = (100, 100)  # ListProjects has no maxResults: 100 names a page
PROJECTS_PER_BATCH_GET = 100
SAGEMAKER_PAGE = (10, 100)
MODEL_SUMMARY = ("ModelName", "ModelArn", "CreationTime")
ENDPOINT_SUMMARY = ("EndpointName", "EndpointArn", "CreationTime", "LastModifiedTime", "EndpointStatus")
Handler = Callable[[Request], Response]


def json_answer(doc: Any, status: str = "200 OK") -> Response:
    """A JSON 1.0 answer, as App Runner sends."""
    body = json.dumps(doc).encode()
    return Response(status, [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body))),
                             ("x-amzn-RequestId", "x")], body)


def page_bounds(params: dict, limits: tuple[int | None, int], shorten: Callable[[int], int]) -> tuple[int, int | None]:
    """(offset, size) of the page asked for in `nextToken` / `maxResults` (popped); ValueError if invalid."""
    offset = decode_token(params.pop("nextToken", None))
    asked = params.pop("maxResults", None)
    if asked is None and limits[0] is None:
        return offset, None
    return offset, shorten(page_size(asked, (limits[0] or limits[1], limits[1])))


def cut(items: list, offset: int, size: int | None) -> tuple[list, str | None]:
    """One page of items and the token of the next, if any."""
    end = len(items) if size is None else offset + size
    return items[offset:end], encode_token(end) if end < len(items) else None


def task_definition_key(arn: str) -> tuple[str, int]:
    """(family, revision) of a task definition ARN."""
    family, _, revision = arn.rpartition("/")[2].partition(":")
    return family, int(revision or 0)


class ConsumerServices:
    """The layer's ECS, Batch, EKS, CodeBuild, SageMaker and App Runner answers; state is per region, as AWS keeps it."""

    def __init__(self, layer: AwsLayer) -> None:
        self.layer = layer
        self.eks_clusters: dict[tuple[str, str], dict] = {}  # (region, name) -> DescribeCluster fields to answer
        # (region, service name) -> the reason DescribeServices gives under `failures` instead of the service
        self.service_failures: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self._services: dict[tuple[str, str, str], str] = {}  # (region, cluster, service) -> task definition
        self._old_deployments: dict[tuple[str, str, str], list[dict]] = {}
        self._ecs_job_properties: dict[str, dict] = {}  # Batch job definition ARN -> ecsProperties
        self._task_digests: dict[tuple[str, str], str] = {}  # (task ARN, container image) -> digest at start
        self._app_runner: dict[str, dict[str, dict]] = {}  # region -> service ARN -> service
        self._ids = itertools.count(1)

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        routes: dict[tuple[str, str], Handler] = {
            ("ecs", operation): partial(self._page, key=key, limits=limits)
            for operation, (key, limits) in ECS_PAGES.items()}
        routes.update({
            ("ecs", "ListTaskDefinitions"): self._list_task_definitions,
            ("ecs", "CreateService"): self._create_service,
            ("ecs", "UpdateService"): self._update_service,
            ("ecs", "DescribeServices"): self._describe_services,
            ("ecs", "DescribeTasks"): self._describe_tasks,
            ("ecs", "RunTask"): self._run_task,
            ("batch", "RegisterJobDefinition"): self._register_job_definition,
            ("batch", "DescribeJobDefinitions"): self._describe_job_definitions,
            ("eks", "DescribeCluster"): self._describe_cluster,
        })
        routes.update({("apprunner", operation): handler for operation, handler in {
            "CreateService": self._app_runner_create, "DescribeService": self._app_runner_describe,
            "ListServices": self._app_runner_list, "PauseService": self._app_runner_pause,
            "DeleteService": self._app_runner_delete}.items()})
        routes.update({
            ("codebuild", "ListProjects"): partial(self._page, key="projects", limits=CODEBUILD_PAGE),
            ("codebuild", "BatchGetProjects"): self._batch_get_projects,
            ("sagemaker", "ListModels"): partial(self._sagemaker_page, key="Models", fields=MODEL_SUMMARY),
            ("sagemaker", "ListEndpoints"): partial(self._sagemaker_page, key="Endpoints", fields=ENDPOINT_SUMMARY),
        })
        return routes

    def reset(self) -> None:
        """Forget every recorded service, deployment, job definition and cluster override."""
        with self._lock:
            self.eks_clusters.clear()
            self.service_failures.clear()
            self._services.clear()
            self._old_deployments.clear()
            self._ecs_job_properties.clear()
            self._task_digests.clear()
            self._app_runner.clear()

    # ---- paging -------------------------------------------------------------

    def _page(self, req: Request, key: str, limits: tuple[int | None, int],
              edit: Callable[[dict], None] | None = None) -> Response:
        """Forward without the paging parameters, then answer one page as AWS does."""
        params = req.json()
        try:
            offset, size = page_bounds(params, limits, self.layer._shorten)
        except ValueError:
            return error_response(req.service, "InvalidParameterException", "Invalid nextToken or maxResults", 400)

        def one_page(doc: dict) -> None:
            if edit is not None:
                edit(doc)
            doc[key], token = cut(doc.get(key) or [], offset, size)
            doc.pop("nextToken", None)
            if token:
                doc["nextToken"] = token

        return self.layer._rewrite(self.layer._forward(req, json.dumps(params).encode()), one_page)

    # ---- ECS ---------------------------------------------------------------

    def _list_task_definitions(self, req: Request) -> Response:
        descending = req.json().get("sort") == "DESC"

        def in_order(doc: dict) -> None:
            doc["taskDefinitionArns"] = sorted(doc.get("taskDefinitionArns") or [], key=task_definition_key,
                                               reverse=descending)

        return self._page(req, "taskDefinitionArns", TASK_DEFINITION_PAGE, in_order)

    @staticmethod
    def _service_key(req: Request, service: dict) -> tuple[str, str, str]:
        return req.region, service.get("clusterArn", "").rpartition("/")[2], service.get("serviceName", "")

    @staticmethod
    def _task_definition_arn(req: Request, service: dict) -> str:
        """The service's task definition as an ARN (moto keeps the family:revision it was given)."""
        named = service.get("taskDefinition", "")
        return named if named.startswith("arn:") else f"arn:aws:ecs:{req.region}:{ACCOUNT}:task-definition/{named}"

    def _create_service(self, req: Request) -> Response:
        resp = self.layer._forward(req)
        service = (resp.json() or {}).get("service") if resp.ok else None
        if service:
            with self._lock:
                self._services[self._service_key(req, service)] = self._task_definition_arn(req, service)
        return resp

    def _update_service(self, req: Request) -> Response:
        resp = self.layer._forward(req)
        service = (resp.json() or {}).get("service") if resp.ok else None
        if not service:
            return resp
        key = self._service_key(req, service)
        with self._lock:
            previous = self._services.get(key)
            self._services[key] = self._task_definition_arn(req, service)
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
                    key = self._service_key(req, service)
                    current = self._services.get(key) or self._task_definition_arn(req, service)
                    service["taskDefinition"] = current
                    primary = [{**deployment, "taskDefinition": current} for deployment in service.get("deployments") or []
                               if deployment.get("status") == "PRIMARY"]
                    service["deployments"] = [*primary, *self._old_deployments.get(key, [])]
                failed = {service["serviceArn"]: reason for service in doc.get("services") or []
                          if (reason := self.service_failures.get((req.region, service.get("serviceName"))))}
            doc["services"] = [service for service in doc.get("services") or [] if service["serviceArn"] not in failed]
            doc["failures"] = [*(doc.get("failures") or []),
                               *({"arn": arn, "reason": reason} for arn, reason in failed.items())]

        return self.layer._rewrite(self.layer._forward(req), with_old_deployments)

    def _ask_ecs(self, req: Request, operation: str, params: dict) -> dict:
        """An ECS answer from moto in-process, signed as the request was."""
        environ = EnvironBuilder(method="POST", path="/", data=json.dumps(params), headers={
            "X-Amz-Target": f"{ECS_TARGET}.{operation}", "Content-Type": "application/x-amz-json-1.1",
            "Authorization": req.environ.get("HTTP_AUTHORIZATION", "")}).get_environ()
        resp = self.layer._call_app(environ)
        return (resp.json() or {}) if resp.ok else {}

    def _digest_of(self, req: Request, image: str) -> str | None:
        """The digest an ECR image URI runs: its own when pinned, else what its tag resolves to now."""
        if "@sha256:" in image:
            return image.rpartition("@")[2]
        match = IMAGE_TAG_RE.match(image)
        if not match:
            return None
        akid = req.environ.get("HTTP_AUTHORIZATION", "").partition("Credential=")[2].split("/")[0]
        return self.layer._resolve_tag(match["host"].split(".")[3], akid or "testing", match["repo"], match["tag"])

    def _container_definitions(self, req: Request, arn: str, known: dict[str, list[dict]]) -> list[dict]:
        if arn not in known:
            answer = self._ask_ecs(req, "DescribeTaskDefinition", {"taskDefinition": arn})
            known[arn] = (answer.get("taskDefinition") or {}).get("containerDefinitions") or []
        return known[arn]

    def _run_task(self, req: Request) -> Response:
        """Record the digest each container's image resolves to as its task starts, as ECS pins it."""
        resp = self.layer._forward(req)
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

        return self.layer._rewrite(self.layer._forward(req), as_aws)

    # ---- Batch -------------------------------------------------------------

    def _register_job_definition(self, req: Request) -> Response:
        params = req.json()
        ecs_properties = params.get("ecsProperties")
        if not ecs_properties or params.get("containerProperties") or params.get("eksProperties"):
            return self.layer._forward(req)
        containers = [c for task in ecs_properties.get("taskProperties") or [] for c in task.get("containers") or []]
        stand_in = {k: v for k, v in params.items() if k != "ecsProperties"}
        stand_in["containerProperties"] = {"image": (containers or [{}])[0].get("image", "none"),
                                           "vcpus": 1, "memory": 128}
        resp = self.layer._forward(req, json.dumps(stand_in).encode())
        arn = (resp.json() or {}).get("jobDefinitionArn") if resp.ok else None
        if arn:
            with self._lock:
                self._ecs_job_properties[arn] = ecs_properties
        return resp

    def _describe_job_definitions(self, req: Request) -> Response:
        def with_ecs_properties(doc: dict) -> None:
            with self._lock:
                for definition in doc.get("jobDefinitions") or []:
                    properties = self._ecs_job_properties.get(definition.get("jobDefinitionArn", ""))
                    if properties is not None:
                        definition.pop("containerProperties", None)
                        definition["ecsProperties"] = properties

        return self._page(req, "jobDefinitions", BATCH_PAGE, with_ecs_properties)

    # ---- EKS ---------------------------------------------------------------

    def _describe_cluster(self, req: Request) -> Response:
        def with_override(doc: dict) -> None:
            cluster = doc.get("cluster") or {}
            with self._lock:
                cluster.update(self.eks_clusters.get((req.region, cluster.get("name", "")), {}))

        return self.layer._rewrite(self.layer._forward(req), with_override)

    # ---- CodeBuild and SageMaker ---------------------------------------------

    def _batch_get_projects(self, req: Request) -> Response:
        names = req.json().get("names") or []
        if len(names) > PROJECTS_PER_BATCH_GET:
            return error_response(req.service, "ValidationException", "1 validation error detected: Value at"
                                  " 'names' failed to satisfy constraint: Member must have length less than or equal"
                                  f" to {PROJECTS_PER_BATCH_GET}", 400)

        def with_not_found(doc: dict) -> None:
            found = {name for project in doc.get("projects") or []
                     for name in (project.get("name"), project.get("arn"))}
            doc["projectsNotFound"] = [name for name in names if name not in found]

        return self.layer._rewrite(self.layer._forward(req), with_not_found)

    def _sagemaker_page(self, req: Request, key: str, fields: tuple[str, ...]) -> Response:
        """Forward asking for every item, then answer one page of summaries as SageMaker does."""
        params = req.json()
        try:
            asked = {"nextToken": params.pop("NextToken", None), "maxResults": params.pop("MaxResults", None)}
            offset, size = page_bounds(asked, SAGEMAKER_PAGE, self.layer._shorten)
        except ValueError:
            return error_response(req.service, "ValidationException", "Invalid NextToken or MaxResults", 400)

        def one_page(doc: dict) -> None:
            summaries = [{field: item[field] for field in fields if field in item} for item in doc.get(key) or []]
            doc[key], token = cut(summaries, offset, size)
            doc.pop("NextToken", None)
            if token:
                doc["NextToken"] = token

        everything = {**params, "MaxResults": 10**6} if key == "Endpoints" else params  # moto pages endpoints at 100
        return self.layer._rewrite(self.layer._forward(req, json.dumps(everything).encode()), one_page)

    # ---- App Runner ----------------------------------------------------------

    def _app_runner_service(self, req: Request) -> tuple[dict | None, Response | None]:
        arn = req.json().get("ServiceArn", "")
        with self._lock:
            service = self._app_runner.get(req.region, {}).get(arn)
        if service is None:
            return None, error_response(req.service, "ResourceNotFoundException",
                                        f"Service not found: {arn}", 400)
        return service, None

    def _app_runner_create(self, req: Request) -> Response:
        params = req.json()
        name = params.get("ServiceName", "")
        with self._lock:
            services = self._app_runner.setdefault(req.region, {})
            if any(service["ServiceName"] == name for service in services.values()):
                return error_response(req.service, "InvalidRequestException", f"Service {name} already exists", 400)
            service_id = uuid.uuid4().hex
            now = time.time()
            service = {
                "ServiceName": name, "ServiceId": service_id,
                "ServiceArn": f"arn:aws:apprunner:{req.region}:{ACCOUNT}:service/{name}/{service_id}",
                "ServiceUrl": f"{service_id[:10]}.{req.region}.awsapprunner.com", "CreatedAt": now, "UpdatedAt": now,
                "Status": "RUNNING", "SourceConfiguration": params.get("SourceConfiguration") or {},
                "InstanceConfiguration": params.get("InstanceConfiguration") or {"Cpu": "1024", "Memory": "2048"},
                "NetworkConfiguration": {"EgressConfiguration": {"EgressType": "DEFAULT"}},
            }
            services[service["ServiceArn"]] = service
        return json_answer({"Service": service, "OperationId": uuid.uuid4().hex})

    def _app_runner_describe(self, req: Request) -> Response:
        service, missing = self._app_runner_service(req)
        return missing or json_answer({"Service": service})

    def _app_runner_list(self, req: Request) -> Response:
        params = {key[0].lower() + key[1:]: value for key, value in req.json().items()}  # NextToken -> nextToken
        try:
            offset, size = page_bounds(params, APP_RUNNER_PAGE, self.layer._shorten)
        except ValueError:
            return error_response(req.service, "InvalidRequestException", "Invalid NextToken or MaxResults", 400)
        with self._lock:
            services = list(self._app_runner.get(req.region, {}).values())
        summaries = [{key: service[key] for key in ("ServiceName", "ServiceId", "ServiceArn", "ServiceUrl",
                                                    "CreatedAt", "UpdatedAt", "Status")} for service in services]
        page, token = cut(summaries, offset, size)
        return json_answer({"ServiceSummaryList": page, **({"NextToken": token} if token else {})})

    def _app_runner_pause(self, req: Request) -> Response:
        service, missing = self._app_runner_service(req)
        if missing:
            return missing
        with self._lock:
            service.update(Status="PAUSED", UpdatedAt=time.time())
        return json_answer({"Service": service, "OperationId": uuid.uuid4().hex})

    def _app_runner_delete(self, req: Request) -> Response:
        service, missing = self._app_runner_service(req)
        if missing:
            return missing
        with self._lock:
            self._app_runner[req.region].pop(service["ServiceArn"], None)
        return json_answer({"Service": {**service, "Status": "DELETED"}, "OperationId": uuid.uuid4().hex})
