"""Batch as AWS answers it where moto 5.2.5 does not: RegisterJobDefinition takes `ecsProperties`
(moto refuses them) and DescribeJobDefinitions answers them, 100 a page."""

from __future__ import annotations

import json
import threading

from devtools.aws.core import Service
from devtools.aws.paging import forward_page
from devtools.aws.protocol import Handler, Request, Response

BATCH_PAGE = (100, 100)


class Batch(Service):
    """Batch's job definitions."""

    name = "batch"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ecs_job_properties: dict[str, dict] = {}  # job definition ARN -> ecsProperties

    def handlers(self) -> dict[tuple[str, str], Handler]:
        """What the layer routes here."""
        return {("batch", "RegisterJobDefinition"): self._register_job_definition,
                ("batch", "DescribeJobDefinitions"): self._describe_job_definitions}

    def reset(self) -> None:
        """Forget every recorded job definition."""
        with self._lock:
            self._ecs_job_properties.clear()

    def _register_job_definition(self, req: Request) -> Response:
        """Register a stand-in with containerProperties in moto and keep the ecsProperties given."""
        params = req.json()
        ecs_properties = params.get("ecsProperties")
        if not ecs_properties or params.get("containerProperties") or params.get("eksProperties"):
            return self.layer.forward(req)
        containers = [c for task in ecs_properties.get("taskProperties") or [] for c in task.get("containers") or []]
        stand_in = {k: v for k, v in params.items() if k != "ecsProperties"}
        stand_in["containerProperties"] = {"image": (containers or [{}])[0].get("image", "none"),
                                           "vcpus": 1, "memory": 128}
        resp = self.layer.forward(req, json.dumps(stand_in).encode())
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

        return forward_page(self.layer, req, "jobDefinitions", BATCH_PAGE, with_ecs_properties)
