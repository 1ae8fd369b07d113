"""moto's threaded server with the layer in front, answering through every simulated service."""

from __future__ import annotations

import logging
import urllib.request
from typing import Iterable

from moto import backends as moto_backends
from moto.core.utils import get_service_model
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from devtools.aws.apprunner import AppRunner
from devtools.aws.batch import Batch
from devtools.aws.codebuild import CodeBuild
from devtools.aws.core import AwsLayer, Service
from devtools.aws.ec2 import Regions
from devtools.aws.ecr import Ecr
from devtools.aws.ecs import Ecs
from devtools.aws.eks import Eks
from devtools.aws.functions import Functions
from devtools.aws.logs import Logs
from devtools.aws.organizations import Organizations
from devtools.aws.sagemaker import SageMaker
from devtools.aws.sts import Sts

# Every service the layer answers where moto does not as AWS does; a new one is one module and one entry.
SERVICES = (Ecr, Functions, Logs, Regions, Ecs, Batch, Eks, AppRunner, CodeBuild, SageMaker, Sts, Organizations)
SIMULATED_SERVICES = ("ec2", "ecr", "lambda", "logs", "s3", "iam", "sts", "ecs", "events", "scheduler", "batch",
                      "eks")


def services() -> list[Service]:
    """A new instance of every simulated service, with nothing recorded."""
    return [service() for service in SERVICES]


def cache_moto_module_list() -> None:
    """moto lists its own package folder on every request, a large share of its CPU; list it once."""
    if not getattr(moto_backends.list_of_moto_modules, "cached", False):
        modules = tuple(moto_backends.list_of_moto_modules())
        cached = lambda: modules  # noqa: E731
        cached.cached = True  # type: ignore[attr-defined]
        moto_backends.list_of_moto_modules = cached


def warm_moto_service_models(services: Iterable[str] = SIMULATED_SERVICES) -> None:
    """Build moto's operation models once, before requests arrive side by side.

    moto 5.2.5 caches its OperationModel under the same key as botocore's, so two threads that
    first touch a service together can get botocore's model and answer 500
    (`'OperationModel' object has no attribute 'http_trait'`).
    """
    for service in services:
        model = get_service_model(service)
        for name in model.operation_names:
            model.operation_model(name).http_trait  # noqa: B018 (fills the cache)


class LayeredMotoServer(ThreadedMotoServer):
    """moto's threaded server with an AwsLayer in front."""

    def __init__(self, ip_address: str = "127.0.0.1", port: int = 0, verbose: bool = False,
                 *, latency: float = 0.0, throttle_fraction: float = 0.0, seed: int = 0) -> None:
        """Create the server and its layer (not started)."""
        super().__init__(ip_address=ip_address, port=port, verbose=verbose)
        cache_moto_module_list()
        warm_moto_service_models()
        app = DomainDispatcherApplication(create_backend_app)
        self.layer = AwsLayer(app, services(), latency=latency, throttle_fraction=throttle_fraction, seed=seed)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    def _server_entry(self) -> None:
        """Serve the layered app (same as the parent, but wrapped)."""
        self._server = make_server(
            self._ip_address, self._port, self.layer, True,
            request_handler=MotoRequestHandler,
        )
        self._server_ready_event.set()
        self._server.serve_forever()

    @property
    def endpoint_url(self) -> str:
        """http://127.0.0.1:<port> of the running server."""
        _, port = self.get_host_and_port()
        return f"http://127.0.0.1:{port}"

    def reset(self) -> None:
        """An empty account again: the layer's state, then moto's (through its reset API, which the
        cleared layer can no longer throttle or fail)."""
        self.layer.reset()
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")).close()
        self.layer.reset()  # the reset call itself is not counted
