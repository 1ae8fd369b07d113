"""App Runner, which moto 5.2.5 lacks: CreateService, DescribeService, ListServices (every service in
one answer unless MaxResults asks fewer, at most 20), PauseService, DeleteService, per region."""

from __future__ import annotations

import threading
import time
import uuid

from devtools.aws.core import Service
from devtools.aws.paging import cut, page_bounds
from devtools.aws.protocol import ACCOUNT, Handler, Request, Response, error_response, json_answer

APP_RUNNER_PAGE = (None, 20)  # no MaxResults: every service in one answer, as App Runner documents


def answer(doc: dict) -> Response:
    """A JSON 1.0 answer, as App Runner sends."""
    return json_answer(doc, version="1.0")


class AppRunner(Service):
    """App Runner's services, kept here by region and ARN."""

    name = "apprunner"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: dict[str, dict[str, dict]] = {}  # region -> service ARN -> service

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        return {("apprunner", operation): handler for operation, handler in {
            "CreateService": self._create, "DescribeService": self._describe,
            "ListServices": self._list, "PauseService": self._pause,
            "DeleteService": self._delete}.items()}

    def reset(self) -> None:
        """Forget every service."""
        with self._lock:
            self._services.clear()

    def _service(self, req: Request) -> tuple[dict | None, Response | None]:
        arn = req.json().get("ServiceArn", "")
        with self._lock:
            service = self._services.get(req.region, {}).get(arn)
        if service is None:
            return None, error_response(req.service, "ResourceNotFoundException",
                                        f"Service not found: {arn}", 400)
        return service, None

    def _create(self, req: Request) -> Response:
        params = req.json()
        name = params.get("ServiceName", "")
        with self._lock:
            services = self._services.setdefault(req.region, {})
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
        return answer({"Service": service, "OperationId": uuid.uuid4().hex})

    def _describe(self, req: Request) -> Response:
        service, missing = self._service(req)
        return missing or answer({"Service": service})

    def _list(self, req: Request) -> Response:
        params = {key[0].lower() + key[1:]: value for key, value in req.json().items()}  # NextToken -> nextToken
        try:
            offset, size = page_bounds(params, APP_RUNNER_PAGE, self.layer.shorten)
        except ValueError:
            return error_response(req.service, "InvalidRequestException", "Invalid NextToken or MaxResults", 400)
        with self._lock:
            services = list(self._services.get(req.region, {}).values())
        summaries = [{key: service[key] for key in ("ServiceName", "ServiceId", "ServiceArn", "ServiceUrl",
                                                    "CreatedAt", "UpdatedAt", "Status")} for service in services]
        page, token = cut(summaries, offset, size)
        return answer({"ServiceSummaryList": page, **({"NextToken": token} if token else {})})

    def _pause(self, req: Request) -> Response:
        service, missing = self._service(req)
        if missing:
            return missing
        with self._lock:
            service.update(Status="PAUSED", UpdatedAt=time.time())
        return answer({"Service": service, "OperationId": uuid.uuid4().hex})

    def _delete(self, req: Request) -> Response:
        service, missing = self._service(req)
        if missing:
            return missing
        with self._lock:
            self._services[req.region].pop(service["ServiceArn"], None)
        return answer({"Service": {**service, "Status": "DELETED"}, "OperationId": uuid.uuid4().hex})
